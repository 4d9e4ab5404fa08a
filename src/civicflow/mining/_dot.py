"""What every Graphviz drawing of an analysis needs: DOT string escaping and a colour ramp."""

from __future__ import annotations


def dot_escape(text: str) -> str:
    """``text`` inside a double-quoted DOT string."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def mix_colour(low: str, high: str, t: float) -> str:
    """The colour ``t`` (clipped to [0, 1]) of the way from ``low`` to ``high`` (``#rrggbb``)."""
    t = min(max(t, 0.0), 1.0)
    a = [int(low[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(high[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))
