"""A yardstick: autograd 1.9.1's own test suite, run against admodes through a thin adapter.

``python -m yardsticks.autograd_suite`` fetches autograd's source distribution into a
cache outside the repository, runs its ``tests/`` with pytest with the shim package in
``shim/autograd`` first on ``sys.path`` (``autograd.numpy`` is NumPy, the operators and
``check_grads`` are admodes'), sorts the failures by reason (``classify``) and writes
``results/yardsticks/autograd_suite.md`` and ``.json``.
"""

from pathlib import Path

SHIM = Path(__file__).resolve().parent / "shim"
AUTOGRAD_VERSION = "1.9.1"

__all__ = ["SHIM", "AUTOGRAD_VERSION", "load_shim"]


def load_shim(name: str = "admodes_autograd_shim"):
    """The shim package imported under another name, beside any real autograd.

    The suite imports it as ``autograd`` (first on ``sys.path`` of a subprocess); tests of
    the shim import it this way so that one process can hold both it and the real
    autograd the experiments compare against.
    """
    import importlib
    import importlib.util
    import sys

    if name in sys.modules:
        return sys.modules[name]
    init = SHIM / "autograd" / "__init__.py"
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    for sub in ("test_util", "extend", "tracer", "core", "misc", "scipy"):
        importlib.import_module(f"{name}.{sub}")
    return module
