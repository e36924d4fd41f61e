"""Configs are validated before anything runs; a refusal names the offending key."""

import pytest
from experiments_helpers import tiny_raw

from experiments.__main__ import main
from experiments.config import SUITES, ConfigError, validate


def refused(raw, **kw):
    with pytest.raises(ConfigError) as info:
        validate(raw, **kw)
    return str(info.value)


def test_every_suite_validates():
    for name, suite in SUITES.items():
        config = validate(suite)
        assert config.cells, name
        assert len({c.key for c in config.cells}) == len(config.cells)


def test_quick_suite_stays_small():
    cells = validate(SUITES["quick"]).cells
    assert len(cells) <= 40
    assert {c.family for c in cells} >= {"mlp", "elementwise", "loss", "poly", "worked"}


def test_unknown_family_is_refused_naming_the_key():
    msg = refused(tiny_raw(sweeps=[{"family": "mlpp", "n": 2, "m": 2}]))
    assert "sweeps[0].family" in msg and "'mlpp'" in msg and "did you mean 'mlp'" in msg


def test_negative_size_is_refused_naming_the_key():
    msg = refused(tiny_raw(sweeps=[{"family": "mlp", "n": [2, -4], "m": 2, "size": 3}]))
    assert "sweeps[0].n[1]" in msg and "negative" in msg
    msg = refused(tiny_raw(sweeps=[{"family": "mlp", "n": 2, "m": 2, "size": -1}]))
    assert "sweeps[0].size" in msg and "negative" in msg


def test_dense_jacobian_too_big_for_memory_is_refused():
    msg = refused(tiny_raw(sweeps=[{"family": "mlp", "n": 2, "m": 2}, {"family": "mlp", "n": 10**6, "m": 10**6}]))
    assert "sweeps[1].n/sweeps[1].m" in msg and "GiB" in msg
    # the same with an explicit small limit
    msg = refused(tiny_raw(sweeps=[{"family": "mlp", "n": 64, "m": 64}]), memory_limit=1000)
    assert "sweeps[0]" in msg


def test_unknown_keys_methods_and_bad_values_are_all_reported():
    raw = tiny_raw(repeat=3, min_time=-1, methods=["admodes_fwd_chunk1", "jax_jacfwd_jitt"])
    raw["sweeps"] = [{"family": "mlp", "n": 2, "m": 2, "sise": 3}, {"family": "elementwise", "n": 4, "m": 5}]
    msg = refused(raw)
    for key in ("repeat:", "did you mean 'repeats'", "min_time:", "methods[1]", "sweeps[0].sise", "sweeps[1]:", "m = n"):
        assert key in msg, key


def test_fixed_shapes_come_from_the_family():
    config = validate(tiny_raw(sweeps=[{"family": "worked"}, {"family": "loss", "n": [8, 16]}, {"family": "elementwise", "n": 4}]))
    shapes = {(c.family, c.n, c.m) for c in config.cells}
    assert shapes == {("worked", 3, 1), ("loss", 8, 1), ("loss", 16, 1), ("elementwise", 4, 4)}


def test_cli_refuses_a_bad_toml_before_running(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('repeats = 1\n[[sweeps]]\nfamily = "nope"\nn = 2\nm = 2\n')
    out = tmp_path / "out"
    assert main(["run", "--config", str(bad), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "sweeps[0].family" in err and "'nope'" in err
    assert not out.exists()  # nothing ran, nothing was written


def test_cli_refuses_a_missing_or_broken_toml(tmp_path, capsys):
    assert main(["run", "--config", str(tmp_path / "missing.toml")]) == 2
    broken = tmp_path / "broken.toml"
    broken.write_text("repeats = = 1\n")
    assert main(["run", "--config", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "not valid TOML" in err


def test_a_bare_run_does_not_start_the_full_suite(capsys):
    assert main(["run", "--no-progress"]) == 2
    assert "--quick" in capsys.readouterr().err


def test_a_run_without_jax_says_what_to_install(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_jax(name, *args, **kwargs):
        if name == "jax" or name.startswith("jax."):
            raise ModuleNotFoundError("No module named 'jax'", name="jax")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_jax)
    assert main(["run", "--suite", "tiny", "--no-progress", "--no-plot", "--out", "unused"]) == 2
    assert "pip install 'admodes[experiments]'" in capsys.readouterr().err
