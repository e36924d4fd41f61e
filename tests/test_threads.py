"""Threads: op counters and recordings belong to the thread that opened them.

admodes keeps its per-call state (the op counter of ``count_ops``, the recordings that log
comparisons for ``ad.record``) in context variables, so a threaded program gets from each
thread exactly what that thread did. Each test runs two threads whose blocks overlap in time
(a barrier holds both inside their block) and compares what each saw with what the same
work gives when run alone.
"""

import threading

import numpy as np
import pytest

import admodes as ad
from admodes import core

X = np.array([0.3, -1.2, 0.8])


def _f(x):
    return np.sum(np.sin(x) * x)


def _g(x):
    return np.sum(np.exp(x)) * np.sum(np.cos(x)) + np.sum(x * x * x)


def _alone(fun, x, ops):
    with ad.count_ops() as counter:
        for op in ops:
            op(fun, x)
    return counter.ops, dict(counter.by_primitive)


def _run_threads(targets):
    """Run each target in its own thread; re-raise the first exception a thread met."""
    errors = []

    def wrap(target):
        def run():
            try:
                target()
            except BaseException as exc:  # pragma: no cover - only on failure
                errors.append(exc)
        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a thread did not finish"
    if errors:
        raise errors[0]


OPS = {
    "grad": lambda fun, x: ad.grad(fun)(x),
    "forward grad": lambda fun, x: ad.grad(fun, mode="forward")(x),
    "hessian": lambda fun, x: ad.hessian(fun)(x),
    "replay": lambda fun, x: ad.record(ad.grad(fun), x)(x + 0.5),
}


@pytest.mark.parametrize("op", list(OPS))
def test_overlapping_count_ops_blocks_count_only_their_own_thread(op):
    ops = [OPS[op]] * 3
    expected = {name: _alone(fun, X, ops) for name, fun in (("f", _f), ("g", _g))}
    assert expected["f"] != expected["g"]  # the two threads do measurably different work
    inside = threading.Barrier(2)
    seen = {}

    def worker(name, fun):
        def run():
            with ad.count_ops() as counter:
                inside.wait()  # both blocks are open from here on
                for do in ops:
                    do(fun, X)
                inside.wait()  # and both stay open until both have finished their work
            seen[name] = (counter.ops, dict(counter.by_primitive))
        return run

    _run_threads([worker("f", _f), worker("g", _g)])
    assert seen == expected
    # no counter is left installed anywhere: replay stages again, and hot paths see None
    assert core._counter is None
    assert core.counting() is None


def test_a_thread_without_a_block_is_not_counted():
    inside = threading.Barrier(2)
    seen = {}

    def counting_thread():
        with ad.count_ops() as counter:
            inside.wait()
            inside.wait()  # the other thread does all its work between these two waits
        seen["ops"] = counter.ops

    def busy_thread():
        inside.wait()
        for _ in range(5):
            ad.grad(_g)(X)
        inside.wait()

    _run_threads([counting_thread, busy_thread])
    assert seen["ops"] == 0
    assert core._counter is None


def test_blocks_that_close_in_the_opposite_order_leave_nothing_installed():
    first_open = threading.Event()
    second_open = threading.Event()
    first_closed = threading.Event()
    seen = {}

    def outer():  # opens first, closes last
        with ad.count_ops() as counter:
            first_open.set()
            second_open.wait(10)
            first_closed.wait(10)
            ad.grad(_f)(X)
        seen["outer"] = counter.ops

    def inner():  # opens second, closes first
        first_open.wait(10)
        with ad.count_ops() as counter:
            second_open.set()
            ad.grad(_g)(X)
        first_closed.set()
        seen["inner"] = counter.ops

    _run_threads([outer, inner])
    assert seen["outer"] == _alone(_f, X, [OPS["grad"]])[0]
    assert seen["inner"] == _alone(_g, X, [OPS["grad"]])[0]
    assert core._counter is None


def _branchy(x):
    return np.sum(np.where(x > 0, x * x, -x))


def test_a_recording_does_not_log_another_threads_comparisons():
    alone = ad.record(ad.grad(_branchy), X)
    inside = threading.Barrier(2)
    done = {}

    def recorder():
        inside.wait()
        done["tape"] = ad.record(ad.grad(_branchy), X)
        inside.wait()

    def comparer():
        inside.wait()
        y = np.linspace(-1.0, 1.0, 7)
        for _ in range(50):
            ad.grad(lambda v: np.sum(np.where(v > 0.1, v, 0.0) + (v < 0.2) * v))(y)
        inside.wait()

    _run_threads([recorder, comparer])
    tape = done["tape"]
    assert len(tape.comparisons) == len(alone.comparisons)
    other = -X
    # the branches it logged are its own: at a point with other signs the check says so
    assert tape.same_branches(X)
    assert not tape.same_branches(other)
    np.testing.assert_allclose(tape(X), ad.grad(_branchy)(X))


def test_replay_stages_again_after_threads_counted():
    def worker():
        with ad.count_ops():
            ad.grad(_f)(X)

    _run_threads([worker, worker])
    tape = ad.record(ad.grad(_f), X)
    np.testing.assert_allclose(tape(X + 0.1), ad.grad(_f)(X + 0.1), rtol=1e-13)
    # a leftover counter would have switched staging off: the call ran a staged program
    assert tape._programs.get(("value", False)) is not None


def test_derivatives_in_threads_are_right():
    """Many threads differentiating at once each get their own derivative."""
    points = [X + 0.1 * k for k in range(6)]
    results = [None] * len(points)

    def worker(k):
        def run():
            for _ in range(10):
                results[k] = (ad.grad(_g)(points[k]), ad.hessian(_f)(points[k]))
        return run

    _run_threads([worker(k) for k in range(len(points))])
    for k, p in enumerate(points):
        np.testing.assert_allclose(results[k][0], ad.grad(_g, mode="forward")(p), rtol=1e-12)
        np.testing.assert_allclose(results[k][1], ad.jacfwd(ad.jacfwd(_f))(p), rtol=1e-12)
