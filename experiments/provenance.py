"""Where a set of results came from: versions, CPU, threads, git commit, seed, date, command.

``collect(...)`` returns a JSON-ready dict; the runner writes it to
``provenance.json`` next to the CSV at the start of a run and again at its end.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from .threads import thread_settings

__all__ = ["collect", "package_versions", "cpu_model", "git_info", "write_json"]

PROVENANCE_VERSION = 2

PACKAGES = ("admodes", "numpy", "jax", "jaxlib", "pandas", "matplotlib", "tqdm", "autograd", "torch", "scipy")


def package_versions() -> dict:
    """Installed versions (None when absent); imported modules report their own ``__version__``."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        mod = sys.modules.get(name)
        version = getattr(mod, "__version__", None) if mod else None
        if version is None:
            try:
                version = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                version = None
        if version is None and name == "admodes":
            try:
                import admodes

                version = admodes.__version__
            except ImportError:  # pragma: no cover
                pass
        out[name] = version
    return out


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas_info() -> dict | None:
    try:
        import numpy as np

        cfg = np.show_config(mode="dicts")
        deps = cfg.get("Build Dependencies", {})
        return {k: {kk: v.get(kk) for kk in ("name", "version")} for k, v in deps.items() if k in ("blas", "lapack")}
    except Exception:  # pragma: no cover - differs between NumPy builds
        return None


def git_info(repo: Path | None = None) -> dict:
    repo = repo or Path(__file__).resolve().parent.parent

    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=10).stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            return None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "branch": git("rev-parse", "--abbrev-ref", "HEAD"), "dirty": bool(status) if commit else None}


def _jax_flag(jax, name: str, default):
    """The current value of a JAX config flag (``jax.config.<name>`` does not exist for every flag)."""
    cfg = jax.config
    for get in (lambda: cfg.read(name), lambda: cfg.values[name], lambda: getattr(cfg, name)):
        try:
            return get()
        except (AttributeError, KeyError, TypeError):
            continue
    return default


def collect(config=None, argv=None, extra: dict | None = None) -> dict:
    """The provenance of a run of ``config`` started by ``argv``."""
    info = {
        # 2: JAX flags read with jax.config.read (version 1 recorded jax_cpu_enable_async_dispatch
        # as true whatever its value)
        "provenance_version": PROVENANCE_VERSION,
        "date_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command_line": list(sys.argv if argv is None else argv),
        "cwd": os.getcwd(),
        "versions": package_versions(),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "blas": _blas_info(),
        "threads": thread_settings(),
        "git": git_info(),
    }
    try:
        import jax

        info["jax_backend"] = jax.default_backend()
        info["jax_enable_x64"] = bool(_jax_flag(jax, "jax_enable_x64", False))
        info["jax_cpu_enable_async_dispatch"] = _jax_flag(jax, "jax_cpu_enable_async_dispatch", None)
    except Exception:  # pragma: no cover
        pass
    if config is not None:
        info["suite"] = config.name
        info["config_source"] = config.source
        info["seed"] = config.seed
        info["config"] = config.as_dict()
    if extra:
        info.update(extra)
    return info


def write_json(path, data) -> None:
    """Write ``data`` as JSON atomically (temp file, fsync, rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w") as f:
            json.dump(data, f, indent=2, default=str)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:  # a full disk: the previous file stays whole
        tmp.unlink(missing_ok=True)
        raise
