"""Suites (named dicts) and TOML configs, validated before anything runs.

A config is a dict (or a TOML file with the same keys)::

    name = "mine"
    repeats = 5          # timed repeats per cell and method (after warm-up)
    min_time = 0.05      # seconds one repeat must last at least (autorange)
    threads = 1          # BLAS/XLA threads; 0 leaves the environment alone
    methods = ["admodes_fwd_chunk1", "admodes_rev_chunk1", "jax_jacrev_jit"]   # default: all

    [[sweeps]]
    family = "mlp"
    n = [1, 4, 16, 64]   # an int or a list; the cells are the product n x m x size
    m = [16]
    size = 32

Every problem is reported at once, each naming its key (``sweeps[1].n[2]``), as a
``ConfigError``; a sweep whose dense Jacobians would not fit in the machine's memory
is refused too. This module imports NumPy only when validating, so the CLI can read
``threads`` and pin them first.
"""

from __future__ import annotations

import copy
import difflib
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ConfigError", "Config", "Cell", "SUITES", "DEFAULTS", "load", "read_toml", "validate", "available_memory"]


class ConfigError(ValueError):
    """A config that cannot run; the message names every offending key."""


DEFAULTS: dict = {
    "name": "custom",
    "description": "",
    "repeats": 5,
    "warmup": 1,
    "min_time": 0.05,
    "budget_s": 30.0,
    "threads": 1,
    "seed": 0,
    "rtol": 1e-8,
    "atol": 1e-12,
    "memory": True,
    "max_memory_fraction": 0.5,
    "methods": None,
    "sweeps": [],
}
SWEEP_KEYS = ("family", "n", "m", "size", "methods")
# a suite's name is a folder (results/NAME) and text in the paper: no '..', '/', markup or spaces
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+\-]*")

_GRID = [1, 8, 64, 512]

SUITES: dict[str, dict] = {
    "quick": {
        "name": "quick",
        "description": "small grids on every family; finishes in under 2 minutes on 2 cores",
        "repeats": 3,
        "min_time": 0.003,
        "budget_s": 1.0,
        "sweeps": [
            {"family": "mlp", "n": _GRID, "m": _GRID, "size": 32},
            {"family": "mlp", "n": 64, "m": 64, "size": [8, 512]},
            {"family": "elementwise", "n": [1, 16, 512], "size": 8},
            {"family": "loss", "n": [16, 128, 1024], "size": 16},
            {"family": "poly", "n": 4, "m": [4, 64, 1024], "size": 4},
            {"family": "worked"},
        ],
    },
    "full": {
        "name": "full",
        "description": "n, m up to 4096; takes a long time (hours)",
        "repeats": 7,
        "min_time": 0.1,
        "budget_s": 60.0,
        "sweeps": [
            {"family": "mlp", "n": [1, 4, 16, 64, 256, 1024, 4096], "m": [1, 4, 16, 64, 256, 1024, 4096], "size": 64},
            {"family": "mlp", "n": 256, "m": 256, "size": [16, 256, 1024, 4096]},
            {"family": "elementwise", "n": [1, 4, 16, 64, 256, 1024, 4096], "size": 8},
            {"family": "elementwise", "n": 256, "size": [2, 32, 128]},
            {"family": "loss", "n": [16, 64, 256, 1024, 4096], "size": 64},
            {"family": "poly", "n": [2, 8], "m": [4, 16, 64, 256, 1024, 4096], "size": 8},
            {"family": "trajectory", "n": 4, "m": [4, 16, 64, 128], "size": 8},
            {"family": "trajectory", "n": [16, 64, 256], "m": 16, "size": 8},
            {"family": "worked"},
        ],
    },
    "tiny": {
        "name": "tiny",
        "description": "a smoke test in a few seconds (two families, admodes and JAX eager)",
        "repeats": 1,
        "min_time": 0.0005,
        "memory": False,
        "methods": ["admodes_fwd_chunk1", "admodes_fwd_vec", "admodes_rev_chunk1", "admodes_rev_vec", "admodes_auto",
                    "admodes_replay_fwd", "admodes_replay_rev", "jax_jacrev_eager"],
        "sweeps": [
            {"family": "mlp", "n": [2, 3], "m": [2, 3], "size": 4},
            {"family": "worked"},
        ],
    },
}


@dataclass(frozen=True)
class Cell:
    """One (family, n, m, size) point of the grid and the methods measured there."""

    family: str
    n: int
    m: int
    size: int
    seed: int
    methods: tuple

    @property
    def key(self) -> str:
        return f"{self.family}|n={self.n}|m={self.m}|size={self.size}|seed={self.seed}"


@dataclass
class Config:
    name: str
    description: str
    repeats: int
    warmup: int
    min_time: float
    budget_s: float | None
    threads: int
    seed: int
    rtol: float
    atol: float
    memory: bool
    max_memory_fraction: float
    methods: list | None
    sweeps: list
    cells: list = field(default_factory=list)
    source: str = ""

    def as_dict(self) -> dict:
        keys = list(DEFAULTS)
        return {k: copy.deepcopy(getattr(self, k)) for k in keys}


def read_toml(path) -> dict:
    """The raw dict of a TOML config (no validation; standard library only)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    if "suite" in raw and isinstance(raw["suite"], dict):  # allow a [suite] table for the scalars
        raw = {**raw.pop("suite"), **raw}
    raw.setdefault("name", path.stem)
    return raw


def raw_config(suite: str | None = None, path=None) -> dict:
    """The raw dict of a named suite or a TOML file."""
    if path is not None:
        return read_toml(path)
    name = suite or "full"
    if name not in SUITES:
        raise ConfigError(f"suite: unknown suite {name!r} (known: {', '.join(SUITES)})")
    return copy.deepcopy(SUITES[name])


def available_memory() -> int:
    """Bytes of memory available to this process (MemAvailable, else physical memory)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 8 << 30


def _suggest(word, options):
    close = difflib.get_close_matches(str(word), list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _int_list(value, where, errors, *, allow_zero=False):
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        errors.append(f"{where}: empty list; give at least one value")
        return []
    out = []
    for i, v in enumerate(values):
        key = f"{where}[{i}]" if isinstance(value, list) else where
        if not _is_int(v):
            errors.append(f"{key}: {v!r} is not an integer")
        elif v < 0:
            errors.append(f"{key}: {v} is negative; sizes must be positive integers")
        elif v == 0 and not allow_zero:
            errors.append(f"{key}: 0 is not a positive size")
        else:
            out.append(int(v))
    return out


def validate(raw: dict, *, memory_limit: int | None = None, extra_methods=()) -> Config:
    """Check every key of ``raw`` and expand its sweeps into cells; raise ``ConfigError`` naming the keys."""
    from . import families, methods  # imports NumPy: after threads are pinned

    errors: list[str] = []
    if not isinstance(raw, dict):
        raise ConfigError("config: must be a table (dict) of keys")
    for key in raw:
        if key not in DEFAULTS:
            errors.append(f"{key}: unknown key{_suggest(key, DEFAULTS)}; known keys: {', '.join(DEFAULTS)}")
    cfg = {**copy.deepcopy(DEFAULTS), **{k: v for k, v in raw.items() if k in DEFAULTS}}

    def number(key, lo, *, integer=False, allow_none=False, strict=False, hi=None, why=""):
        v = cfg[key]
        if v is None and allow_none:
            return
        ok = _is_int(v) if integer else (isinstance(v, int | float) and not isinstance(v, bool))
        if not ok:
            errors.append(f"{key}: {v!r} is not {'an integer' if integer else 'a number'}")
        elif not math.isfinite(v):  # inf never finishes (min_time) or accepts anything (tolerances); nan compares false
            errors.append(f"{key}: {v} is not a finite number{why}")
        elif v < lo or (strict and v == lo):
            errors.append(f"{key}: {v} must be {'>' if strict else '>='} {lo}")
        elif hi is not None and v > hi:
            errors.append(f"{key}: {v} must be <= {hi}{why}")

    number("repeats", 1, integer=True)
    number("warmup", 1, integer=True)
    number("min_time", 0, strict=True, why="; a repeat must last a finite time, e.g. 0.05 (seconds)")
    number("budget_s", 0, allow_none=True, strict=True, why="; leave budget_s out for no time budget")
    number("threads", 0, integer=True)
    number("seed", 0, integer=True)
    number("rtol", 0, why="; a tolerance that accepts every Jacobian checks nothing")
    number("atol", 0, why="; a tolerance that accepts every Jacobian checks nothing")
    number("max_memory_fraction", 0, strict=True, hi=1, why=" (a fraction of the memory available)")
    if not isinstance(cfg["memory"], bool):
        errors.append(f"memory: {cfg['memory']!r} must be true or false")
    for key in ("name", "description"):
        if not isinstance(cfg[key], str):
            errors.append(f"{key}: {cfg[key]!r} must be a string")
    if isinstance(cfg["name"], str) and not PLAIN_NAME.fullmatch(cfg["name"]):
        errors.append(f"name: {cfg['name']!r} is not a plain name (letters, digits, _ . + -, starting with a letter "
                      "or digit): it names the results folder (results/NAME) and is copied into the paper")

    known_methods = {**methods.METHODS, **{m.name: m for m in extra_methods}}

    def method_list(value, where):
        if value is None:
            return None
        if not isinstance(value, list) or not value:
            errors.append(f"{where}: must be a non-empty list of method names")
            return None
        for i, name in enumerate(value):
            if name not in known_methods:
                errors.append(f"{where}[{i}]: unknown method {name!r}{_suggest(name, known_methods)}")
        return list(value)

    top_methods = method_list(cfg["methods"], "methods")
    sweeps = cfg["sweeps"]
    if not isinstance(sweeps, list) or not sweeps:
        errors.append("sweeps: give at least one sweep ([[sweeps]] with family = ...)")
        sweeps = []

    limit = memory_limit
    fraction = cfg["max_memory_fraction"]
    if limit is None and isinstance(fraction, int | float) and math.isfinite(fraction) and 0 < fraction <= 1:
        limit = int(available_memory() * float(fraction))
    cells: dict[str, Cell] = {}
    seed = cfg["seed"] if _is_int(cfg["seed"]) else 0
    for s, sweep in enumerate(sweeps):
        where = f"sweeps[{s}]"
        if not isinstance(sweep, dict):
            errors.append(f"{where}: must be a table with family = ...")
            continue
        for key in sweep:
            if key not in SWEEP_KEYS:
                errors.append(f"{where}.{key}: unknown key{_suggest(key, SWEEP_KEYS)}; sweep keys: {', '.join(SWEEP_KEYS)}")
        name = sweep.get("family")
        if name not in families.FAMILIES:
            errors.append(f"{where}.family: unknown family {name!r}{_suggest(name, families.FAMILIES)} (known: {', '.join(families.FAMILIES)})")
            continue
        fam = families.FAMILIES[name]
        if "n" in sweep:
            ns = _int_list(sweep["n"], f"{where}.n", errors)
        elif fam.fixed_n is not None:
            ns = [fam.fixed_n]
        else:
            errors.append(f"{where}.n: missing; family {name!r} needs n")
            ns = []
        ms = _int_list(sweep["m"], f"{where}.m", errors) if "m" in sweep else None
        if ms is None:
            if fam.fixed_m is not None:
                ms = [fam.fixed_m]
            elif not fam.m_equals_n:
                errors.append(f"{where}.m: missing; family {name!r} needs m")
                ms = []
        sizes = _int_list(sweep["size"], f"{where}.size", errors) if "size" in sweep else [fam.default_size]
        sweep_methods = method_list(sweep.get("methods"), f"{where}.methods")
        chosen = tuple(sweep_methods or top_methods or list(methods.METHODS))
        for n in ns:
            for m in (ms if ms is not None else [n]):
                for size in sizes:
                    problem = fam.check(n, m, size)
                    if problem:
                        errors.append(f"{where}: {problem}")
                        continue
                    need = fam.estimate_bytes(n, m, size)
                    if limit is not None and need > limit:
                        errors.append(
                            f"{where}.n/{where}.m: the cell n={n}, m={m}, {fam.size_name}={size} needs about "
                            f"{need / 2**30:.1f} GiB for its dense Jacobians, constants and recorded tape, more than the {limit / 2**30:.1f} GiB "
                            f"allowed (max_memory_fraction of the memory available); lower n, m or {fam.size_name}"
                        )
                        continue
                    cell = Cell(name, n, m, size, seed, chosen)
                    if cell.key in cells:  # the same cell in two sweeps: measure the union of methods once
                        old = cells[cell.key]
                        merged = old.methods + tuple(x for x in chosen if x not in old.methods)
                        cells[cell.key] = Cell(name, n, m, size, seed, merged)
                    else:
                        cells[cell.key] = cell
    if errors:
        raise ConfigError("config refused:\n  " + "\n  ".join(dict.fromkeys(errors)))
    return Config(**{k: cfg[k] for k in DEFAULTS}, cells=list(cells.values()))


def load(suite: str | None = None, path=None, overrides: dict | None = None, **kw) -> Config:
    """Read a suite or TOML file, apply ``overrides`` (top-level keys), and validate."""
    raw = raw_config(suite, path)
    raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config = validate(raw, **kw)
    config.source = str(path) if path is not None else f"suite:{suite or 'full'}"
    return config
