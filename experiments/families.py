"""Problem families: functions parameterised by (n inputs, m outputs) and a size knob.

A family is one small class. It draws its constants once from a seeded NumPy
generator (``constants``) and writes its function once against an array namespace
``xp`` (``function``): the same code then runs as plain NumPy (what admodes
differentiates), ``jax.numpy`` (the oracle and the JAX methods), ``autograd.numpy``
and torch. Adding a family:

    @register
    class Cubic(Family):
        name = "cubic"
        description = "x -> (A x)**3"
        size_name = "unused"
        def constants(self, n, m, size, rng):
            return {"A": rng.standard_normal((m, n)) / np.sqrt(n)}
        def function(self, xp, c, n, m, size):
            A = c["A"]
            return lambda x: (A @ x) ** 3

``build(n, m, size, seed)`` returns a ``Problem`` with ``x0`` and ``fun(backend)``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

__all__ = ["Family", "Problem", "Backend", "FAMILIES", "register", "get_family", "get_backend", "BACKENDS"]

FAMILIES: dict[str, "Family"] = {}


def register(cls):
    """Class decorator: add a family (an instance of ``cls``) to ``FAMILIES``."""
    inst = cls()
    if not inst.name or inst.name in FAMILIES:
        raise ValueError(f"family name {inst.name!r} is empty or taken")
    FAMILIES[inst.name] = inst
    return cls


def get_family(name: str) -> "Family":
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown family {name!r} (known: {', '.join(FAMILIES)})") from None


# ----------------------------------------------------------------------------- backends


@dataclass(frozen=True)
class Backend:
    """How a family's function is written for one array library: a namespace and a constant converter."""

    name: str
    xp: Any
    const: Callable[[np.ndarray], Any]
    input: Callable[[np.ndarray], Any]


class _TorchNamespace:
    """The few NumPy names families use, on torch (float64 everywhere)."""

    def __init__(self, torch):
        self._torch = torch

    def __getattr__(self, name):
        return getattr(self._torch, name)


def _numpy_backend():
    return Backend("numpy", np, lambda a: np.asarray(a, dtype=np.float64), lambda a: np.asarray(a, dtype=np.float64))


def _jax_backend():
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return Backend("jax", jnp, lambda a: jnp.asarray(a, dtype=jnp.float64), lambda a: jnp.asarray(a, dtype=jnp.float64))


def _autograd_backend():
    anp = importlib.import_module("autograd.numpy")
    return Backend("autograd", anp, lambda a: np.asarray(a, dtype=np.float64), lambda a: np.asarray(a, dtype=np.float64))


def _torch_backend():
    torch = importlib.import_module("torch")

    def conv(a):
        return torch.as_tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64)

    return Backend("torch", _TorchNamespace(torch), conv, conv)


BACKENDS: dict[str, Callable[[], Backend]] = {
    "numpy": _numpy_backend,
    "jax": _jax_backend,
    "autograd": _autograd_backend,
    "torch": _torch_backend,
}
_backend_cache: dict[str, Backend] = {}


def get_backend(name: str) -> Backend:
    """The backend ``name`` (imports its library on first use)."""
    if name not in _backend_cache:
        _backend_cache[name] = BACKENDS[name]()
    return _backend_cache[name]


# ----------------------------------------------------------------------------- problems


@dataclass
class Problem:
    """One cell's function: ``fun(backend)`` at ``x0`` (a float64 vector of length n) has m outputs."""

    family: "Family"
    n: int
    m: int
    size: int
    seed: int
    x0: np.ndarray
    consts: dict
    _funs: dict = field(default_factory=dict, repr=False)
    cache: dict = field(default_factory=dict, repr=False)  # e.g. compiled JAX code shared by oracle and method

    def fun(self, backend: str = "numpy") -> Callable:
        """The function written for ``backend`` (numpy, jax, autograd, torch), built once."""
        if backend not in self._funs:
            b = get_backend(backend)
            c = {k: b.const(v) for k, v in self.consts.items()}
            self._funs[backend] = self.family.function(b.xp, c, self.n, self.m, self.size)
        return self._funs[backend]

    def x(self, backend: str = "numpy"):
        """``x0`` as an input of ``backend``."""
        return get_backend(backend).input(self.x0)

    @property
    def label(self) -> str:
        return self.family.label(self.n, self.m, self.size)


class Family:
    """A problem family. Subclasses set the class attributes and write ``constants`` and ``function``.

    Shape rules: ``fixed_n`` / ``fixed_m`` pin a dimension (the config may omit it);
    ``m_equals_n`` ties m to n. ``size_name`` names the knob, ``default_size`` is used when
    the config gives none, ``min_n`` is the smallest n that makes sense.
    """

    name = ""
    description = ""
    size_name = "size"
    default_size = 1
    fixed_n: int | None = None
    fixed_m: int | None = None
    m_equals_n = False
    min_n = 1

    def constants(self, n: int, m: int, size: int, rng: np.random.Generator) -> dict:
        return {}

    def function(self, xp, c: dict, n: int, m: int, size: int) -> Callable:  # pragma: no cover - abstract
        raise NotImplementedError

    def initial_point(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal(n)

    def width(self, n: int, m: int, size: int) -> int:
        """The largest intermediate vector length (for the memory estimate)."""
        return max(n, m, size)

    def check(self, n: int, m: int, size: int) -> str | None:
        """Why (n, m, size) does not fit this family, or ``None`` if it does."""
        if self.fixed_n is not None and n != self.fixed_n:
            return f"family {self.name!r} has n = {self.fixed_n} fixed (got n = {n}); omit n"
        if self.fixed_m is not None and m != self.fixed_m:
            return f"family {self.name!r} has m = {self.fixed_m} fixed (got m = {m}); omit m"
        if self.m_equals_n and m != n:
            return f"family {self.name!r} has m = n (got n = {n}, m = {m}); omit m"
        if n < self.min_n:
            return f"family {self.name!r} needs n >= {self.min_n} (got n = {n})"
        return None

    def kept(self, n: int, m: int, size: int) -> int:
        """Floats the problem holds besides its widest intermediate: its constants and
        what a reverse-mode tape keeps of a loop ``size`` (or ``m``) steps long."""
        return 0

    def estimate_bytes(self, n: int, m: int, size: int) -> int:
        """Rough peak bytes of one cell: several dense m x n Jacobians (result, oracle,
        basis and transposes), vectorised sweeps carrying n (or m) copies of the widest
        intermediate, and the constants and tape of ``kept`` (four copies: the tape, the
        oracle's and the vectorised sweeps')."""
        w = self.width(n, m, size)
        return 8 * (6 * n * m + 4 * max(n, m) * w + 4 * w + 4 * self.kept(n, m, size))

    def label(self, n: int, m: int, size: int) -> str:
        return f"{self.name} n={n} m={m} {self.size_name}={size}"

    def build(self, n: int, m: int | None = None, size: int | None = None, seed: int = 0) -> Problem:
        n = self.fixed_n if self.fixed_n is not None else int(n)
        if self.fixed_m is not None:
            m = self.fixed_m
        elif self.m_equals_n or m is None:
            m = n
        size = self.default_size if size is None else int(size)
        problem = self.check(n, m, size)
        if problem:
            raise ValueError(problem)
        rng = np.random.default_rng([int(seed), n, m, size])
        consts = {k: np.asarray(v, dtype=np.float64) for k, v in self.constants(n, m, size, rng).items()}
        x0 = np.asarray(self.initial_point(n, rng), dtype=np.float64).reshape(n)
        return Problem(self, n, m, size, int(seed), x0, consts)


# ----------------------------------------------------------------------------- the families


@register
class MLP(Family):
    name = "mlp"
    description = "dense two-layer tanh network x -> tanh(W2 tanh(W1 x)); size = hidden width h"
    size_name = "h"
    default_size = 32

    def constants(self, n, m, size, rng):
        return {
            "W1": rng.standard_normal((size, n)) / np.sqrt(n),
            "W2": rng.standard_normal((m, size)) / np.sqrt(size),
        }

    def function(self, xp, c, n, m, size):
        W1, W2 = c["W1"], c["W2"]
        return lambda x: xp.tanh(W2 @ xp.tanh(W1 @ x))


@register
class Elementwise(Family):
    name = "elementwise"
    description = "elementwise chain of `depth` smooth ops (diagonal Jacobian, m = n: forward mode's best case)"
    size_name = "depth"
    default_size = 8
    m_equals_n = True

    def constants(self, n, m, size, rng):
        return {"a": 0.5 + rng.random(n), "b": rng.standard_normal(n) * 0.1}

    def function(self, xp, c, n, m, size):
        a, b = c["a"], c["b"]
        steps = (
            xp.sin,
            xp.tanh,
            lambda u: u + 0.1 * u * u,
            xp.cos,
            lambda u: xp.exp(-0.5 * u * u),
        )

        def f(x):
            u = a * x + b
            for k in range(size):
                u = steps[k % len(steps)](u)
            return u

        return f

    def width(self, n, m, size):
        return n

    def kept(self, n, m, size):
        return 3 * size * n  # each of `depth` ops keeps its input and a local derivative of length n


@register
class Loss(Family):
    name = "loss"
    description = (
        "scalar loss (m = 1) of n parameters: mean-squared error of a one-hidden-layer tanh MLP "
        "(8 features, hidden width ~ n/9) on `batch` data points, plus 1e-3 * |theta|^2"
    )
    size_name = "batch"
    default_size = 16
    fixed_m = 1
    min_n = 2
    features = 8

    def layout(self, n):
        d = max(1, min(self.features, n // 2))
        h = n // (d + 1)
        return d, h

    def constants(self, n, m, size, rng):
        d, _ = self.layout(n)
        X = rng.standard_normal((size, d))
        return {"X": X, "y": np.sin(X.sum(axis=1))}

    def function(self, xp, c, n, m, size):
        X, y = c["X"], c["y"]
        d, h = self.layout(n)

        def f(theta):
            W1 = xp.reshape(theta[: h * d], (h, d))
            w2 = theta[h * d : h * d + h]
            pred = w2 @ xp.tanh(W1 @ X.T)
            return xp.mean((pred - y) ** 2) + 1e-3 * xp.sum(theta * theta)

        return f

    def initial_point(self, n, rng):
        return rng.standard_normal(n) / np.sqrt(max(self.layout(n)[0], 1))

    def width(self, n, m, size):
        d, h = self.layout(n)
        return max(n, h * size)


@register
class Poly(Family):
    name = "poly"
    description = (
        "wide output (m >> n): a Chebyshev polynomial with n coefficients evaluated at m points, "
        "then `steps` explicit-Euler steps of u' = sin(u) - u/2 at every point"
    )
    size_name = "steps"
    default_size = 4

    def constants(self, n, m, size, rng):
        t = np.cos(np.pi * (np.arange(m) + 0.5) / m)  # Chebyshev nodes in (-1, 1)
        return {"V": np.polynomial.chebyshev.chebvander(t, n - 1)}

    def function(self, xp, c, n, m, size):
        V = c["V"]

        def f(x):
            u = V @ x
            for _ in range(size):
                u = u + 0.2 * (xp.sin(u) - 0.5 * u)
            return u

        return f

    def initial_point(self, n, rng):
        return rng.standard_normal(n) / np.sqrt(n)

    def width(self, n, m, size):
        return m

    def kept(self, n, m, size):
        return m * n + 6 * size * m  # the Vandermonde matrix; each of `steps` Euler steps keeps ~6 arrays of m


@register
class Trajectory(Family):
    name = "trajectory"
    description = (
        "time-stepped trajectory: n parameters force a `state`-dimensional system "
        "s <- s + 0.1 (tanh(A s + B x) - s) for m steps; the outputs are r . s at each step"
    )
    size_name = "state"
    default_size = 4

    def constants(self, n, m, size, rng):
        return {
            "A": 0.5 * rng.standard_normal((size, size)) / np.sqrt(size),
            "B": rng.standard_normal((size, n)) / np.sqrt(n),
            "r": rng.standard_normal(size),
            "s0": np.zeros(size),
        }

    def function(self, xp, c, n, m, size):
        A, B, r, s0 = c["A"], c["B"], c["r"], c["s0"]

        def f(x):
            drive = B @ x
            s = s0
            out = []
            for _ in range(m):
                s = s + 0.1 * (xp.tanh(A @ s + drive) - s)
                out.append(r @ s)
            return xp.stack(out)

        return f

    def width(self, n, m, size):
        return max(n, m, size)

    def kept(self, n, m, size):
        return size * size + size * n + 6 * m * size  # A, B; each of m steps keeps ~6 arrays of `state`


@register
class WorkedExample(Family):
    name = "worked"
    description = "the worked example f(a, b, c) = (a + b)(b + c) at (a, b, c) = (-1, 3, 4): n = 3, m = 1"
    size_name = "unused"
    default_size = 1
    fixed_n = 3
    fixed_m = 1

    def function(self, xp, c, n, m, size):
        return lambda x: (x[0] + x[1]) * (x[1] + x[2])

    def initial_point(self, n, rng):
        return np.array([-1.0, 3.0, 4.0])

    def label(self, n, m, size):
        return f"{self.name} n={n} m={m}"
