"""Errors end in the user's code: admodes' frames are filtered from tracebacks (all but the one
boundary frame Python adds as the error leaves it), unless ADMODES_TRACEBACK_FILTERING=off."""

import os
import subprocess
import sys
import traceback

import numpy as np
import pytest

import admodes as ad

PACKAGE = os.path.dirname(ad.__file__)


def _frames(error):
    return [f for f in traceback.extract_tb(error.__traceback__)]


def _user_error(x):
    return np.sum(np.frexp(x)[0] * x)  # np.frexp has no rule: admodes raises inside np.*


CALLS = {
    "grad": lambda: ad.grad(_user_error)(np.ones(3)),
    "grad of grad": lambda: ad.grad(lambda x: np.sum(ad.grad(_user_error)(x)))(np.ones(3)),
    "jacobian forward": lambda: ad.jacobian(_user_error, mode="forward")(np.ones(3)),
    "hessian": lambda: ad.hessian(_user_error)(np.ones(3)),
    "jvp": lambda: ad.jvp(_user_error, (np.ones(3),), (np.ones(3),)),
    "record": lambda: ad.record(_user_error, np.ones(3)),
    "bad argnums": lambda: ad.grad(_user_error, argnums=1.5)(np.ones(3)),
    "a Python error in user code": lambda: ad.grad(lambda x: {}["missing"])(1.0),
}


@pytest.mark.parametrize("call", list(CALLS))
def test_admodes_frames_are_filtered(call):
    with pytest.raises(Exception) as caught:
        CALLS[call]()
    frames = _frames(caught.value)
    internal = [f for f in frames if f.filename.startswith(PACKAGE)]
    assert len(internal) == 1 and internal[0].filename.endswith("tracebacks.py"), [f.name for f in internal]
    assert any("ADMODES_TRACEBACK_FILTERING=off" in n for n in caught.value.__notes__)
    if call != "bad argnums":  # the user's own line is kept
        assert any(f.filename == __file__ and f.name in ("_user_error", "<lambda>") for f in frames)


def test_filtering_off_shows_every_frame():
    code = ("import numpy as np, admodes as ad\n"
            "ad.grad(lambda x: np.sum(np.frexp(x)[0] * x))(np.ones(3))\n")
    env = dict(os.environ, ADMODES_TRACEBACK_FILTERING="off")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode != 0
    assert run.stderr.count(PACKAGE) > 3 and "admodes removed" not in run.stderr
