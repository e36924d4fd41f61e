"""Rendering a graph: the text table, Graphviz DOT, a layered layout and a matplotlib drawing.

Functions of a :class:`admodes.graph.Graph` that read it and never change it; the graph's
methods ``to_text``, ``to_dot``, ``layout``, ``draw`` and ``save`` call them. Values are
written in ``VALUE_COLOUR``, adjoints in ``ADJOINT_COLOUR``, tangents in
``TANGENT_COLOUR`` and local derivatives in ``LOCAL_COLOUR``.
"""

from __future__ import annotations

import html
import io
import math

from .format import format_number, format_sum, format_value

__all__ = ["VALUE_COLOUR", "ADJOINT_COLOUR", "TANGENT_COLOUR", "LOCAL_COLOUR",
           "to_text", "to_dot", "layout", "draw", "save", "svg"]

VALUE_COLOUR = "#1f4e9c"  # primal values: blue
ADJOINT_COLOUR = "#c0392b"  # adjoints (backward sweep): red
TANGENT_COLOUR = "#1e8449"  # tangents (forward sweep): green
LOCAL_COLOUR = "#555555"  # local derivatives on edges: grey


# --------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------


def adjoint_text(node) -> str:
    """A node's adjoint as the sum of its contributions (``"7 + 2 = 9"``), ``"(seed)"`` for a bare seed."""
    if not node.adjoint_parts:
        return "0"
    parts = node.adjoint_parts
    text = format_sum([c for _, c in parts])
    if len(parts) == 1 and parts[0][0] is None:
        text += " (seed)"
    return text


def tangent_text(node) -> str:
    """A node's tangent as the sum of its incoming contributions (an input's: its seed)."""
    if node.kind == "input":
        return format_value(node.tangent)
    parts = [c for _, c in node.tangent_parts]
    return format_sum(parts) if parts else "0"


def to_text(graph) -> str:
    """The graph as a table, one node per line (the Wengert list), with the sweeps done so far."""
    header = ["node", "formula", "value"]
    if "forward" in graph.swept:
        header.append("tangent")
    if "backward" in graph.swept:
        header.append("adjoint")
    rows = [header]
    for n in graph.nodes:
        if n.kind == "const" and n.value.size == 1 and not n.outputs:
            continue
        row = [n.name, n.formula or n.kind, format_value(n.value)]
        if "forward" in graph.swept:
            row.append(tangent_text(n))
        if "backward" in graph.swept:
            row.append(adjoint_text(n))
        rows.append(row)
    widths = [max(len(r[k]) for r in rows) for k in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def box_lines(graph, n):
    """The lines of a node's box: ``(text, colour, bold)``."""
    lines = [(n.formula if n.kind == "op" else n.name, "#000000", True)]
    if n.kind == "input":
        lines.append(("input" + ("" if n.value.size == 1 else f" {n.value.dtype}"), "#777777", False))
    elif n.kind == "const":
        lines.append(("constant", "#777777", False))
    extra = [o for o in n.outputs if o != n.name]
    if extra:
        lines.append(("output " + ", ".join(extra), "#777777", False))
    lines.append((f"value {format_value(n.value)}", VALUE_COLOUR, False))
    if "forward" in graph.swept and n.kind != "const":
        lines.append((f"tangent {tangent_text(n)}", TANGENT_COLOUR, False))
    if "backward" in graph.swept and n.kind != "const":
        lines.append((f"adjoint {adjoint_text(n)}", ADJOINT_COLOUR, False))
    return lines


def label_lines(graph, e):
    """The lines of an edge's label: ``(text, colour)``; none for an edge without a derivative."""
    if not e.differentiable:
        return []
    local = e.local
    lines = [(f"∂ = {format_number(local)}" if isinstance(local, float) else f"∂: {local}", LOCAL_COLOUR)]
    if "forward" in graph.swept and e.tangent is not None:
        lines.append((f"tangent {format_value(e.tangent)} →", TANGENT_COLOUR))
    if "backward" in graph.swept and e.adjoint is not None:
        lines.append((f"← adjoint {format_value(e.adjoint)}", ADJOINT_COLOUR))
    return lines


def is_visible(n) -> bool:
    """Scalar constants are written into their consumers' formulas instead of drawn."""
    return not (n.kind == "const" and n.value.size == 1 and not n.outputs)


def title_text(graph) -> str:
    """The title on one line (DOT's graph label)."""
    return " · ".join(title_parts(graph))


def title_parts(graph) -> list:
    """The title's lines: the graph's ``title`` and the seed of each sweep done."""
    parts = []
    if graph.title:
        parts.append(graph.title)
    if "forward" in graph.swept:
        parts.append(f"forward sweep, seed: {graph.swept['forward']}")
    if "backward" in graph.swept:
        parts.append(f"backward sweep, seed: {graph.swept['backward']}")
    return parts


# --------------------------------------------------------------------------------------
# DOT
# --------------------------------------------------------------------------------------


def to_dot(graph) -> str:
    """Graphviz DOT text of the graph (values, local derivatives, and the sweeps done so far).

    Render it with ``dot -Tpng graph.dot -o graph.png`` where Graphviz is
    installed; producing the text needs nothing.

    >>> import admodes as ad
    >>> dot = ad.trace(lambda a, b, c: (a + b) * (b + c), -1.0, 3.0, 4.0).backward().to_dot()
    >>> dot.startswith("digraph"), "adjoint 7 + 2 = 9" in dot
    (True, True)
    """

    def esc(s):
        return html.escape(s, quote=True)

    out = [
        "digraph admodes {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor="#f8f8f8", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=10, color="#666666"];',
    ]
    title = title_text(graph)
    if title:
        out.append(f'  labelloc="t"; label=<{esc(title)}>;')
    for n in graph.nodes:
        if not is_visible(n):
            continue
        rows = []
        for text, colour, bold in box_lines(graph, n):
            t = esc(text)
            t = f"<b>{t}</b>" if bold else t
            rows.append(f'<font color="{colour}">{t}</font>')
        style = ""
        if n.kind == "input":
            style = ', fillcolor="#eef3fb"'
        elif n.kind == "const":
            style = ', style="rounded,dashed", fillcolor="#ffffff"'
        elif n.outputs:
            style = ', penwidth=2'
        out.append(f'  n{n.index} [label=<{"<br/>".join(rows)}>{style}];')
    for e in graph.edges:
        if not is_visible(graph.nodes[e.src]):
            continue
        lines = label_lines(graph, e)
        attrs = []
        if lines:
            attrs.append("label=<" + "<br/>".join(f'<font color="{c}">{esc(t)}</font>' for t, c in lines) + ">")
        if not e.differentiable:
            attrs.append('style="dashed"')
        out.append(f"  n{e.src} -> n{e.dst}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    out.append("}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------


def layout(graph):
    """A layered layout, left to right: ``{node index: (layer, position in layer)}``.

    Operations sit one layer after their latest argument; inputs and constants
    one layer before their first use. Within a layer, nodes are ordered by the
    mean position of their neighbours (a few barycentre sweeps), which keeps
    edges from crossing in small graphs.
    """
    visible = [n for n in graph.nodes if is_visible(n)]
    layer = {}
    for n in visible:  # nodes are in execution order: parents come first
        ps = [layer[p] for p in n.parents if p in layer]
        layer[n.index] = 1 + max(ps) if n.kind == "op" and ps else 0
    for n in visible:  # inputs and constants move next to their first use
        if n.kind != "op":
            uses = [layer[e.dst] for e in n.out_edges if e.dst in layer]
            layer[n.index] = max(min(uses) - 1, 0) if uses else 0
    nlayers = max(layer.values(), default=-1) + 1
    layers = [[n.index for n in visible if layer[n.index] == k] for k in range(nlayers)]
    neighbours = {n.index: set() for n in visible}
    for e in graph.edges:
        if e.src in neighbours and e.dst in neighbours:
            neighbours[e.src].add(e.dst)
            neighbours[e.dst].add(e.src)

    def order(layers, forward):
        pos = {i: k for lay in layers for k, i in enumerate(lay)}
        seq = range(1, len(layers)) if forward else range(len(layers) - 2, -1, -1)
        for k in seq:
            ref = layers[k - 1] if forward else layers[k + 1]
            ref_set = set(ref)

            def key(i):
                ns = [pos[j] for j in neighbours[i] if j in ref_set]
                return (sum(ns) / len(ns)) if ns else pos[i]

            layers[k] = sorted(layers[k], key=lambda i: (key(i), pos[i]))
            pos.update({i: p for p, i in enumerate(layers[k])})

    for _ in range(3):
        order(layers, True)
        order(layers, False)
    return {i: (k, p) for k, lay in enumerate(layers) for p, i in enumerate(lay)}


# --------------------------------------------------------------------------------------
# Drawing with matplotlib
# --------------------------------------------------------------------------------------


def geometry(graph, direction, fontsize):
    """Box sizes, centres (inches) and edge-label positions for ``draw``."""
    pos = layout(graph)
    cw = fontsize * 0.6 / 72  # inches per character (monospace)
    lh = fontsize * 1.45 / 72  # inches per line
    small = 0.85  # edge labels are a little smaller than node text
    pad = 0.09
    boxes = {}
    for i in pos:
        lines = box_lines(graph, graph.nodes[i])
        boxes[i] = (max(len(t) for t, _, _ in lines) * cw + 2 * pad, len(lines) * lh + 2 * pad, lines)
    edge_lines = {id(e): label_lines(graph, e) for e in graph.edges if e.src in pos and e.dst in pos}
    nlayers = max((k for k, _ in pos.values()), default=-1) + 1
    if direction == "auto":
        direction = "LR" if nlayers <= 6 else "TB"
    if direction not in ("LR", "TB"):
        raise ValueError(f"draw: direction={direction!r} is not 'LR', 'TB' or 'auto'.")
    lr = direction == "LR"

    def along(i):  # size along the layer axis
        return boxes[i][0] if lr else boxes[i][1]

    def across(i):  # size along the order-in-layer axis
        return boxes[i][1] if lr else boxes[i][0]

    extent = [0.0] * nlayers
    for i, (k, _) in pos.items():
        extent[k] = max(extent[k], along(i))
    gaps = [0.6 if lr else 0.5] * max(nlayers - 1, 0)
    label_w = 0.0
    labelled_in = {}  # dst -> its labelled incoming edges (stacked along the gap in TB)
    for e in graph.edges:
        if edge_lines.get(id(e)):
            labelled_in.setdefault(e.dst, []).append(e)
    for d, es in labelled_in.items():
        k = pos[d][0] - 1
        ws = [max(len(t) for t, _ in edge_lines[id(e)]) * cw * small for e in es]
        hs = [len(edge_lines[id(e)]) * lh * small for e in es]
        label_w = max([label_w] + ws)
        if 0 <= k < len(gaps):
            need = (max(ws) + 0.5) if lr else (sum(hs) * (1.5 if len(es) > 1 else 1) + 0.55)
            gaps[k] = max(gaps[k], need)
    centres_along, x = [], 0.0
    for k in range(nlayers):
        centres_along.append(x + extent[k] / 2)
        x += extent[k] + (gaps[k] if k < len(gaps) else 0)
    span_along = x
    gap_across = 0.45 if lr else max(0.5, label_w * 0.6)
    members = [sorted((p, i) for i, (kk, p) in pos.items() if kk == k) for k in range(nlayers)]
    spans = [sum(across(i) for _, i in m) + gap_across * (len(m) - 1) for m in members]
    span_across = max(spans, default=0.0)
    centre = {}
    for k, m in enumerate(members):
        c = (span_across - spans[k]) / 2
        for _, i in m:
            a = c + across(i) / 2
            # LR: layers left to right, order top to bottom; TB: layers top to bottom, order left to right
            centre[i] = (centres_along[k], span_across - a) if lr else (a, span_along - centres_along[k])
            c += across(i) + gap_across
    width, height = (span_along, span_across) if lr else (span_across, span_along)
    # where along its edge each label sits: the middle, or (TB) staggered so labels of
    # edges into one node do not overlap
    label_at = {}
    for d, es in labelled_in.items():
        if lr or len(es) == 1:
            label_at.update({id(e): 0.5 for e in es})
        else:
            es = sorted(es, key=lambda e: centre[e.src][0])
            label_at.update({id(e): (k + 1) / (len(es) + 1) for k, e in enumerate(es)})
    return boxes, centre, edge_lines, label_at, width, height, direction


def on_arc(start, end, rad, t):
    """The point at fraction ``t`` of matplotlib's ``arc3`` curve from ``start`` to ``end``."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    bulge = 2 * t * (1 - t) * rad  # a quadratic Bezier with its control point rad * chord off the middle
    return start[0] + t * dx + bulge * dy, start[1] + t * dy - bulge * dx


def spread_labels(labels, steps: int = 80, max_labels: int = 200):
    """Slide overlapping edge labels along their edges (``t`` in [0.2, 0.8]) until they separate."""
    if len(labels) > max_labels:
        return

    def rect(lab, t):
        x, y = on_arc(lab[0], lab[1], lab[2], t)
        return x, y, lab[3] / 2 + 0.03, lab[4] / 2 + 0.03

    def overlap(r1, r2):
        return abs(r1[0] - r2[0]) < r1[2] + r2[2] and abs(r1[1] - r2[1]) < r1[3] + r2[3]

    def distance(r1, r2):  # how far apart, relative to the sizes (> 1: no overlap)
        return max(abs(r1[0] - r2[0]) / (r1[2] + r2[2]), abs(r1[1] - r2[1]) / (r1[3] + r2[3]))

    for _ in range(steps):
        moved = False
        for i in range(len(labels)):
            for j in range(i + 1, len(labels)):
                a, b = labels[i], labels[j]
                if not overlap(rect(a, a[5]), rect(b, b[5])):
                    continue
                best = None
                for da in (-0.05, 0.0, 0.05):
                    for db in (-0.05, 0.0, 0.05):
                        ta, tb = min(max(a[5] + da, 0.2), 0.8), min(max(b[5] + db, 0.2), 0.8)
                        score = distance(rect(a, ta), rect(b, tb))
                        if best is None or score > best[0] + 1e-9:
                            best = (score, ta, tb)
                if (best[1], best[2]) != (a[5], b[5]):
                    a[5], b[5] = best[1], best[2]
                    moved = True
        if not moved:
            return


def draw(graph, ax=None, path=None, *, dpi: int = 150, title: str | None = None, fontsize: float = 9.0,
         direction: str = "auto"):
    """Draw the graph with matplotlib alone; return the Figure (and save it if ``path`` is given).

    Boxes are nodes (inputs shaded, outputs bold-edged, array constants dashed),
    arrows are edges labelled with their local derivative. Values are written in
    blue, adjoints in red, tangents in green (``VALUE_COLOUR``, ``ADJOINT_COLOUR``,
    ``TANGENT_COLOUR``). Layers run left to right (``direction="LR"``) or top to
    bottom (``"TB"``); ``"auto"`` picks LR for shallow graphs and TB for deep ones.
    Without ``ax``, a new Figure sized to fit the text is made (no pyplot, so no
    window opens); ``path`` may end in .png, .svg or .pdf.

    >>> import admodes as ad
    >>> fig = ad.trace(lambda a, b, c: (a + b) * (b + c), -1.0, 3.0, 4.0).backward().draw()
    >>> type(fig).__name__
    'Figure'
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    boxes, centre, edge_lines, label_at, width, height, direction = geometry(graph, direction, fontsize)
    cw = fontsize * 0.6 / 72
    lh = fontsize * 1.45 / 72
    small = 0.85
    pad = 0.09
    lr = direction == "LR"

    title_lines = title_parts(graph) if title is None else str(title).split("\n")
    title_lines = [t for t in title_lines if t]
    title_fs = fontsize * 1.05
    legend = [("values", VALUE_COLOUR), ("∂ local derivatives", LOCAL_COLOUR)]
    if "forward" in graph.swept:
        legend.append(("tangents (forward sweep)", TANGENT_COLOUR))
    if "backward" in graph.swept:
        legend.append(("adjoints (backward sweep)", ADJOINT_COLOUR))
    legend_chars = sum(len(t) for t, _ in legend) + 4 * (len(legend) - 1)
    margin = 0.25
    title_h = (len(title_lines) * title_fs * 1.5 / 72 + 0.2) if title_lines else 0.0
    legend_h = 0.35
    full_w = max([width, legend_chars * cw * small] + [len(t) * title_fs * 0.6 / 72 for t in title_lines])
    shift = (full_w - width) / 2  # centre the drawing under a wider title or legend
    centre = {i: (x + shift, y) for i, (x, y) in centre.items()}

    if ax is None:
        fig = Figure(figsize=(full_w + 2 * margin, height + 2 * margin + title_h + legend_h))
        ax = fig.add_axes((0, 0, 1, 1))
    else:
        fig = ax.figure
    ax.set_axis_off()
    ax.set_xlim(-margin, full_w + margin)
    ax.set_ylim(-margin - legend_h, height + margin + title_h)
    ax.set_aspect("equal")
    text_kw = dict(family="DejaVu Sans Mono", fontsize=fontsize, ha="center", va="center")

    # edges first, under the boxes
    pairs = {}
    for e in graph.edges:
        if id(e) in edge_lines:
            pairs.setdefault((e.src, e.dst), []).append(e)
    labels = []  # [start, end, rad, width, height, t, lines]
    for (s, d), es in pairs.items():
        (xs_, ys_), (xd, yd) = centre[s], centre[d]
        if lr:
            start, end = (xs_ + boxes[s][0] / 2, ys_), (xd - boxes[d][0] / 2, yd)
        else:
            start, end = (xs_, ys_ - boxes[s][1] / 2), (xd, yd + boxes[d][1] / 2)
        chord = max(math.hypot(end[0] - start[0], end[1] - start[1]), 1e-6)
        sep = max([len(edge_lines[id(e)]) * lh * small for e in es] + [0.25]) + 0.12
        for k, e in enumerate(es):
            # parallel edges (x * x) bend apart enough that their labels do not overlap
            rad = 0.0 if len(es) == 1 else max(-0.9, min(0.9, 2 * (k - (len(es) - 1) / 2) * sep / chord))
            ax.add_patch(FancyArrowPatch(
                start, end, arrowstyle="-|>", mutation_scale=11, linewidth=1.1,
                color="#888888" if e.differentiable else "#bbbbbb",
                linestyle="-" if e.differentiable else "--",
                connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2, zorder=1,
            ))
            lines = edge_lines[id(e)]
            if lines:
                w = max(len(text) for text, _ in lines) * cw * small
                labels.append([start, end, rad, w, len(lines) * lh * small, label_at.get(id(e), 0.5), lines])
    spread_labels(labels)
    for start, end, rad, w, h, t, lines in labels:
        mx, my = on_arc(start, end, rad, t)
        ax.add_patch(FancyBboxPatch(
            (mx - w / 2, my - h / 2), w, h,
            boxstyle="round,pad=0.03", facecolor="white", edgecolor="none", alpha=0.9, zorder=2,
        ))
        for r, (text, colour) in enumerate(lines):
            ax.text(mx, my + h / 2 - (r + 0.5) * lh * small, text, color=colour, zorder=3,
                    **{**text_kw, "fontsize": fontsize * small})

    for i, (cx, cy) in centre.items():
        w, h, lines = boxes[i]
        n = graph.nodes[i]
        face = "#eef3fb" if n.kind == "input" else ("#ffffff" if n.kind == "const" else "#f8f8f8")
        ax.add_patch(FancyBboxPatch(
            (cx - w / 2, cy - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.08",
            facecolor=face, edgecolor="#333333", linewidth=2.0 if n.outputs else 1.0,
            linestyle="--" if n.kind == "const" else "-", zorder=4,
        ))
        for r, (t, colour, bold) in enumerate(lines):
            yy = cy + h / 2 - pad - lh / 2 - r * lh
            ax.text(cx, yy, t, color=colour, fontweight="bold" if bold else "normal", zorder=5, **text_kw)

    for r, t in enumerate(title_lines):
        yy = height + margin + title_h - 0.1 - (r + 0.5) * title_fs * 1.5 / 72
        ax.text(full_w / 2, yy, t, **{**text_kw, "fontsize": title_fs})
    lx = full_w / 2 - legend_chars * cw * small / 2
    ly = -margin - legend_h / 2 + 0.05
    for t, colour in legend:
        ax.text(lx, ly, t, color=colour, **{**text_kw, "fontsize": fontsize * small, "ha": "left"})
        lx += (len(t) + 4) * cw * small
    if path is not None:
        fig.savefig(path, dpi=dpi, facecolor="white")
    return fig


def save(graph, path, *, dpi: int = 150) -> str:
    """Write the graph to ``path``: DOT text for ``.dot``/``.gv``, else a matplotlib figure (.png, .svg, .pdf)."""
    path = str(path)
    if path.lower().endswith((".dot", ".gv")):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(to_dot(graph))
    else:
        draw(graph, path=path, dpi=dpi)
    return path


def svg(graph):
    """The drawing as SVG text (how a graph shows itself in Jupyter); ``None`` without matplotlib."""
    try:
        fig = draw(graph)
    except ImportError:  # pragma: no cover - matplotlib missing
        return None
    buf = io.StringIO()
    fig.savefig(buf, format="svg", facecolor="white")
    return buf.getvalue()
