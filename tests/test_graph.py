"""ad.trace: the computation graph with values, local derivatives, tangents, adjoints and costs.

The seed example is the background's f(a, b, c) = (a + b)(b + c) at a = -1, b = 3, c = 4:
values x = 2, y = 7, f = 14; adjoints 7, 9 (= 7 + 2, two paths into b), 2; tangents seeded
at b: 1, 1, 9.
"""

import re

import numpy as np
import pytest

import admodes as ad
from admodes.graph import ADJOINT_COLOUR, TANGENT_COLOUR, VALUE_COLOUR, format_number, format_value


def f(a, b, c):
    return (a + b) * (b + c)


@pytest.fixture
def seed_graph():
    return ad.trace(f, -1.0, 3.0, 4.0)


def _floats(xs):
    return [float(x) for x in xs]


# ------------------------------------------------------------------ the seed example


def test_seed_graph_structure(seed_graph):
    g = seed_graph
    assert [n.name for n in g.nodes] == ["a", "b", "c", "add1", "add2", "f"]
    assert [n.kind for n in g.nodes] == ["input"] * 3 + ["op"] * 3
    assert [n.op for n in g.operations] == ["add", "add", "multiply"]
    assert [n.name for n in g.output_nodes] == ["f"]
    assert [(g.nodes[e.src].name, g.nodes[e.dst].name) for e in g.edges] == [
        ("a", "add1"), ("b", "add1"), ("b", "add2"), ("c", "add2"), ("add1", "f"), ("add2", "f"),
    ]
    assert all(n.shape == () and n.dtype == np.float64 for n in g.nodes)
    assert g["add1"].formula == "add1 = a + b"
    assert g["f"].formula == "f = add1 × add2"


def test_seed_values_2_7_14(seed_graph):
    assert _floats(n.value for n in seed_graph.operations) == [2.0, 7.0, 14.0]
    assert _floats(n.value for n in seed_graph.inputs) == [-1.0, 3.0, 4.0]


def test_seed_local_derivatives(seed_graph):
    g = seed_graph
    assert g.edge("add1", "f").local == 7.0  # d(xy)/dx = y
    assert g.edge("add2", "f").local == 2.0  # d(xy)/dy = x
    assert all(g.edge(s, d).local == 1.0 for s, d in [("a", "add1"), ("b", "add1"), ("b", "add2"), ("c", "add2")])


def test_seed_adjoints_7_9_2(seed_graph):
    g = seed_graph.backward()
    assert _floats(n.adjoint for n in g.inputs) == [7.0, 9.0, 2.0]
    assert _floats([g["add1"].adjoint, g["add2"].adjoint, g["f"].adjoint]) == [7.0, 2.0, 1.0]
    # b is used twice: both contributions and their sum
    parts = g["b"].adjoint_parts
    assert [g.nodes[e.dst].name for e, _ in parts] == ["add1", "add2"]
    assert _floats(c for _, c in parts) == [7.0, 2.0]
    assert _floats([g.edge("b", "add1").adjoint, g.edge("b", "add2").adjoint]) == [7.0, 2.0]
    # the same numbers as the engine's own reverse mode
    assert _floats(ad.grad(f, argnums=(0, 1, 2))(-1.0, 3.0, 4.0)) == [7.0, 9.0, 2.0]


def test_seed_forward_sweep_wrt_b_gives_1_1_9(seed_graph):
    g = seed_graph.forward("b")
    assert _floats(n.tangent for n in g.operations) == [1.0, 1.0, 9.0]
    assert _floats(n.tangent for n in g.inputs) == [0.0, 1.0, 0.0]
    # the tangent of f is the sum of its two incoming contributions: 7*1 + 2*1
    assert _floats(c for _, c in g["f"].tangent_parts) == [7.0, 2.0]
    # other ways to give the seed
    assert float(seed_graph.forward(1)["f"].tangent) == 9.0
    assert float(seed_graph.forward({"a": 1.0})["f"].tangent) == 7.0
    assert float(seed_graph.forward([0.0, 0.0, 1.0])["f"].tangent) == 2.0


def test_seed_dot_text(seed_graph):
    dot = seed_graph.backward().to_dot()
    assert dot.startswith("digraph admodes {") and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    for text in ["value 2<", "value 7<", "value 14<", "value -1<", "value 3<", "value 4<"]:
        assert text in dot
    labels = {m.group(1): m.group(2) for m in re.finditer(r"^  (n\d+) \[label=<(.*)>", dot, re.M)}
    assert len(labels) == 6
    adjoint = {k: re.search(r"adjoint ([^<]*)<", v).group(1) for k, v in labels.items()}
    assert [adjoint[f"n{i}"] for i in range(3)] == ["7", "7 + 2 = 9", "2"]
    assert adjoint["n5"] == "1 (seed)"
    assert len(re.findall(r"^  n\d+ -> n\d+", dot, re.M)) == 6
    assert "∂ = 7" in dot and "∂ = 2" in dot
    assert f'color="{VALUE_COLOUR}"' in dot and f'color="{ADJOINT_COLOUR}"' in dot


def test_seed_forward_dot_text(seed_graph):
    dot = seed_graph.forward("b").to_dot()
    assert "tangent 7 + 2 = 9" in dot
    assert f'color="{TANGENT_COLOUR}"' in dot
    assert "adjoint" not in dot  # only the sweep that was run is shown


def test_text_table(seed_graph):
    text = str(seed_graph.backward())
    assert "7 + 2 = 9" in text
    assert re.search(r"^f\s+f = add1 × add2\s+14\s+1 \(seed\)$", text, re.M)


def _colour_pixels(image, hex_colour, tol=0.08):
    rgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return int(np.sum(np.all(np.abs(image[..., :3] - rgb) < tol, axis=-1)))


def test_seed_png_is_rendered(seed_graph, tmp_path):
    import matplotlib.image as mpimg

    path = tmp_path / "graph.png"
    fig = seed_graph.backward().draw(path=path, dpi=80)
    assert path.exists() and path.stat().st_size > 10_000
    image = mpimg.imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 300
    # values in one colour, adjoints in another, both really drawn
    assert _colour_pixels(image, VALUE_COLOUR) > 50
    assert _colour_pixels(image, ADJOINT_COLOUR) > 50
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "adjoint 7 + 2 = 9" in texts
    assert "← adjoint 7" in texts and "← adjoint 2" in texts  # the two contributions into b, on its edges
    assert "value 14" in texts


def test_forward_png_and_svg(seed_graph, tmp_path):
    import matplotlib.image as mpimg

    g = seed_graph.forward("b")
    png = g.save(tmp_path / "fwd.png", dpi=80)
    assert _colour_pixels(mpimg.imread(png), TANGENT_COLOUR) > 50
    svg = g._repr_svg_()
    assert "<svg" in svg
    g.save(tmp_path / "fwd.svg")
    assert (tmp_path / "fwd.svg").read_text().count("<svg") == 1
    g.save(tmp_path / "fwd.dot")
    assert (tmp_path / "fwd.dot").read_text() == g.to_dot()
    # both directions of the layered layout draw
    assert g.draw(direction="TB").get_size_inches()[1] > g.draw(direction="LR").get_size_inches()[1]


def test_draw_into_given_axes(seed_graph):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert seed_graph.draw(ax=ax) is fig
    assert any(t.get_text() == "value 14" for t in ax.texts)


# ------------------------------------------------------------------ agreement with the engines


def test_node_used_twice_by_one_op():
    g = ad.trace(lambda x: x * x + np.sin(x), 1.0).backward()
    parts = _floats(c for _, c in g["x"].adjoint_parts)
    assert parts == pytest.approx([1.0, 1.0, np.cos(1.0)])
    assert float(g["x"].adjoint) == pytest.approx(2 + np.cos(1.0))
    assert len(g["mul1"].in_edges) == 2
    g.forward("x")
    assert float(g.output_nodes[0].tangent) == pytest.approx(2 + np.cos(1.0))
    g.draw()  # parallel edges draw


def test_constants_and_argnums():
    W = np.arange(6.0).reshape(2, 3)
    g = ad.trace(lambda x, W: np.tanh(W @ x) * 2.0, np.ones(3), W, argnums=0)
    assert [n.name for n in g.inputs] == ["x"]
    consts = [n for n in g.nodes if n.kind == "const"]
    assert any(n.value.shape == (2, 3) for n in consts)
    assert any(n.value.size == 1 and float(n.value) == 2.0 for n in consts)
    assert "× 2" in g.output_nodes[0].formula  # a scalar constant is written into the formula
    dot = g.backward(np.ones(2)).to_dot()
    assert "dashed" in dot
    J = ad.jacobian(lambda x: np.tanh(W @ x) * 2.0, mode="reverse")(np.ones(3))
    assert np.allclose(g["x"].adjoint, np.ones(2) @ J)
    report = g.cost()  # only x is differentiated: n = 3 forward sweeps, m = 2 backward sweeps
    assert (report.forward.sweeps, report.reverse.sweeps) == (3, 2)
    with ad.count_ops() as c:
        ad.jacobian(lambda x, W: np.tanh(W @ x) * 2.0, argnums=0, mode="reverse", chunk=1)(np.ones(3), W)
    assert report.reverse.jacobian_ops == c.ops


def test_big_arrays_do_not_form_big_jacobians():
    g = ad.trace(lambda x: np.sum(np.sin(x) @ x), np.ones((200, 200)))
    assert g.edges[-1].local == "1×40000 (not formed)" and g.edges[-1].jacobian is None
    assert g.edges[0].local.startswith("40000×40000 diag")


def test_pytree_inputs_and_names():
    params = {"W": np.ones((2, 2)), "b": np.zeros(2)}
    g = ad.trace(lambda p, x: np.sum(p["W"] @ x + p["b"]), params, np.array([1.0, 2.0]))
    assert [n.name for n in g.inputs] == ["p.W", "p.b", "x"]
    g = ad.trace(lambda p, x: np.sum(p["W"] @ x + p["b"]), params, np.array([1.0, 2.0]), names=["W", "b", "x"])
    assert [n.name for n in g.inputs] == ["W", "b", "x"]


def test_multiple_outputs_need_a_cotangent():
    g = ad.trace(lambda x: (np.sin(x), x * 3.0), 0.5, output_names=["s", "t"])
    assert [n.name for n in g.output_nodes] == ["s", "t"]
    with pytest.raises(ad.AdmodesError, match="cotangent"):
        g.backward()
    g.backward({"t": 1.0})
    assert float(g["x"].adjoint) == 3.0
    g.backward([1.0, 1.0])
    assert float(g["x"].adjoint) == pytest.approx(np.cos(0.5) + 3.0)


def test_bad_seeds_are_refused(seed_graph):
    with pytest.raises(ad.AdmodesError, match="no input named 'z'"):
        seed_graph.forward("z")
    with pytest.raises(ad.AdmodesError, match="shape"):
        seed_graph.forward({"a": np.ones(2)})
    with pytest.raises(ad.AdmodesError, match="floating"):
        ad.trace(f, -1, 3, 4)


def _mlp():
    rng = np.random.default_rng(0)
    params = (rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal((2, 4)), rng.standard_normal(2))
    x, y = rng.standard_normal(3), np.array([1.0, -1.0])

    def loss(W1, b1, W2, b2):
        h = np.tanh(W1 @ x + b1)
        return np.mean((W2 @ h + b2 - y) ** 2)

    return loss, params


def test_mlp_graph_matches_engines():
    loss, params = _mlp()
    g = ad.trace(loss, *params).backward()
    grads = ad.grad(loss, argnums=(0, 1, 2, 3))(*params)
    for node, gr in zip(g.inputs, grads):
        assert node.shape == gr.shape
        assert np.allclose(node.adjoint, gr)
    # the forward sweep along a random direction agrees with jvp
    rng = np.random.default_rng(1)
    tangents = tuple(rng.standard_normal(p.shape) for p in params)
    _, jvp_out = ad.jvp(loss, params, tangents)
    assert np.allclose(g.forward(list(tangents)).output_nodes[0].tangent, jvp_out)
    # array edges carry a summary of the local Jacobian, and the Jacobian itself when small
    e = g["W1"].out_edges[0]  # into the matrix product (its primitive may change with the engine)
    product = g.nodes[e.dst]
    assert "W1 @" in product.formula
    assert isinstance(e.local, str) and e.local.startswith(f"{product.value.size}×12")
    assert e.jacobian.shape == product.shape + (4, 3)
    tanh = next(n for n in g.operations if n.op == "tanh")
    assert "diag" in tanh.in_edges[0].local


def test_mlp_renders(tmp_path):
    loss, params = _mlp()
    g = ad.trace(loss, *params).backward()
    path = tmp_path / "mlp.png"
    g.draw(path=path, dpi=60)
    assert path.exists() and path.stat().st_size > 20_000
    assert "digraph" in g.to_dot()


def test_mlp_costs_match_count_ops():
    loss, params = _mlp()
    g = ad.trace(loss, *params)
    report = g.cost()
    n = sum(p.size for p in params)
    argnums = (0, 1, 2, 3)
    with ad.count_ops() as fwd:
        ad.jacobian(loss, argnums=argnums, mode="forward", chunk=1)(*params)
    with ad.count_ops() as rev:
        ad.jacobian(loss, argnums=argnums, mode="reverse", chunk=1)(*params)
    with ad.count_ops() as one_fwd:
        ad.jvp(loss, params, tuple(np.zeros_like(p) for p in params))
    with ad.count_ops() as record:
        _, pullback = ad.vjp(loss, *params)
    with ad.count_ops() as back:
        pullback(1.0)
    assert (report.forward.jacobian_ops, report.forward.jacobian_flops) == (fwd.ops, fwd.flops)
    assert (report.reverse.jacobian_ops, report.reverse.jacobian_flops) == (rev.ops, rev.flops)
    assert report.forward.sweep_ops == one_fwd.ops
    assert (report.reverse.record_ops, report.reverse.sweep_ops) == (record.ops, record.ops + back.ops)
    assert report.reverse.stored_bytes == record.tape_bytes > 0
    assert report.forward.stored_bytes == 0
    assert (report.forward.sweeps, report.reverse.sweeps) == (n, 1)
    # the graph has one node per primitive applied to a traced value: the tape's length (the
    # recording pass also counts ops on constants only, e.g. reshaping the data x for the matmul)
    assert len(g.operations) == report.reverse.tape_length == record.tape_length
    assert report.reverse.record_ops >= len(g.operations)
    # why reverse wins for a gradient: one sweep vs n
    assert report.reverse.jacobian_ops < report.forward.jacobian_ops
    assert g.cost("forward") is report.forward
    assert "full Jacobian" in str(report)


def test_seed_costs():
    report = ad.trace(f, -1.0, 3.0, 4.0).cost()
    assert (report.forward.sweeps, report.forward.sweep_ops, report.forward.jacobian_ops) == (3, 8, 24)
    assert (report.reverse.sweeps, report.reverse.sweep_ops, report.reverse.jacobian_ops) == (1, 6, 6)


def test_annotation_is_not_counted_as_engine_work():
    with ad.count_ops() as c:
        g = ad.trace(f, -1.0, 3.0, 4.0)
        g.backward()
        g.forward("b")
    assert c.ops == 3  # the evaluation itself, nothing from the sweeps of the picture


def test_rules_of_whole_op_primitives():
    # concatenate has one JVP/VJP rule for all arguments; power has a whole-op JVP
    fun = lambda x, y: np.sum(np.concatenate([x, y]) ** 2.0 * np.arange(1.0, 5.0))  # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    g = ad.trace(fun, x, y).backward()
    gx, gy = ad.grad(fun, argnums=(0, 1))(x, y)
    assert np.allclose(g["x"].adjoint, gx) and np.allclose(g["y"].adjoint, gy)
    g.forward("y")
    assert np.isclose(float(g.output_nodes[0].tangent), float(ad.jvp(fun, (x, y), (np.zeros(2), np.ones(2)))[1]))


def test_custom_vjp_in_a_graph():
    @ad.custom_vjp
    def clip_gradient(x):
        return x

    clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (np.clip(g, -0.5, 0.5),))
    g = ad.trace(lambda x: clip_gradient(x) * 3.0, 2.0).backward()
    assert float(g["x"].adjoint) == 0.5
    assert float(ad.grad(lambda x: clip_gradient(x) * 3.0)(2.0)) == 0.5


def test_number_formatting():
    assert format_number(14.0) == "14" and format_number(-0.0) == "0"
    assert format_number(1 / 3) == "0.3333"
    assert format_value(np.ones((3, 4))) == "3×4, norm 3.464"
    assert format_value(np.array([1.0, 2.5])) == "[1, 2.5]"


def test_docstring_examples_run():
    import doctest
    import importlib
    import pkgutil

    import admodes.graph

    names = ["admodes.graph"] + [f"admodes.graph.{m.name}" for m in pkgutil.iter_modules(admodes.graph.__path__)]
    attempted = 0
    for name in names:
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, name
        attempted += result.attempted
    assert attempted > 10


def test_rename_follows_the_background(seed_graph):
    g = seed_graph.rename(add1="x", add2="y").backward()
    assert [n.formula for n in g.operations] == ["x = a + b", "y = b + c", "f = x × y"]
    assert "x = a + b" in g.to_dot()
    with pytest.raises(ad.AdmodesError, match="already called"):
        g.rename(x="y")
    with pytest.raises(KeyError):
        g.rename(zz="q")


# ---------------------------------------------------------------------- inputs: as the API takes them

_BAD_CALLS = {
    "argnums twice": ({"argnums": (0, 0)}, (np.ones(2),), "more than once"),
    "argnums a float": ({"argnums": 1.0}, (np.ones(2),), "must be an int"),
    "argnums a float, no arguments": ({"argnums": 1.0}, (), "must be an int"),
    "argnums out of range": ({"argnums": 3}, (np.ones(2),), "does not fit a call"),
    "a string": ({"argnums": 0}, ("abc",), "is a string"),
    "an int array": ({"argnums": 0}, (np.arange(3),), "dtype int64"),
    "a complex array": ({"argnums": 0}, (np.ones(2) * 1j,), "complex"),
    "an object array": ({"argnums": 0}, (np.array([1.0, None], dtype=object),), "object array"),
}


@pytest.mark.parametrize("case", sorted(_BAD_CALLS))
def test_trace_refuses_what_grad_refuses(case):
    """ad.trace takes its inputs through the API's argument handling: the same refusal, the
    same reason, for every input ad.grad refuses."""
    kwargs, args, reason = _BAD_CALLS[case]
    f = lambda x=None, y=None: np.sum(x * 2.0)  # noqa: E731
    for name, call in (("grad", lambda: ad.grad(f, **kwargs)(*args)), ("trace", lambda: ad.trace(f, *args, **kwargs))):
        with pytest.raises(ad.AdmodesError, match=reason) as caught:
            call()
        assert str(caught.value).startswith(f"{name}:"), str(caught.value)
