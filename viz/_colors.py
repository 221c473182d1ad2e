"""Colours: node kinds, and a log-scale map of gradient magnitude (blue = vanishing, red = exploding).

The gradient map is fixed in absolute terms by default (1e-8 .. 1e2, one colour stop every two
decades) so that "vanishing" means the same thing in every picture; ``grad_range="auto"`` stretches
it over the magnitudes present instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# Node kinds: header colour of value nodes, and border colour/width.
KIND_FILL = {
    "output": "#b7e4c7",  # green
    "param": "#ffd166",  # amber
    "leaf": "#bde0fe",  # light blue: a leaf you differentiate with respect to
    "constant": "#e9ecef",  # grey: data, no gradient
    "intermediate": "#ffffff",
}
KIND_BORDER = {
    "output": ("#1b7f3b", 3),
    "param": ("#b07d00", 2),
    "leaf": ("#3a6ea5", 1),
    "constant": ("#8d99ae", 1),
    "intermediate": ("#6c757d", 1),
}
KIND_TEXT = {
    "output": "output",
    "param": "parameter",
    "leaf": "input, requires grad",
    "constant": "input, no grad",
    "intermediate": "intermediate",
}
OP_FILL = "#f1f3f5"
OP_BORDER = "#495057"
COLLAPSED_FILL = "#e7f5ff"
CLUSTER_FILLS = ("#f4f8fd", "#e9f1fb", "#dde9f8", "#d2e2f5", "#c7dbf2")
CLUSTER_BORDER = "#7b9acc"

# Gradient magnitude map: stops at fractions of the log range (ColorBrewer RdYlBu, reversed).
_STOPS = (
    (0.0, (0x31, 0x36, 0x95)),  # vanishing
    (0.2, (0x45, 0x75, 0xB4)),
    (0.4, (0xAB, 0xD9, 0xE9)),
    (0.6, (0xFF, 0xFF, 0xBF)),  # healthy
    (0.8, (0xFD, 0xAE, 0x61)),
    (1.0, (0xA5, 0x00, 0x26)),  # exploding
)
ZERO_FILL = "#bdbdbd"  # gradient exactly zero (dead units, unused inputs)
NONFINITE_FILL = "#ff00ff"  # NaN or inf
NO_GRAD_FILL = "#ffffff"
DEFAULT_GRAD_RANGE = (1e-8, 1e2)


def grad_magnitude(g: object) -> float | None:
    """Mean absolute value of a gradient (None without one, NaN if it is not finite)."""
    if g is None:
        return None
    a = np.asarray(g.data if hasattr(g, "data") else g)
    if a.size == 0:
        return None
    if a.dtype.kind not in "fc":
        a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        return math.nan
    return float(np.mean(np.abs(a), dtype=np.float64))


def resolve_range(grad_range: object, magnitudes: Sequence[float]) -> tuple[float, float]:
    """The (low, high) of the colour map: given, or ``"auto"`` over the finite positive values."""
    if grad_range is None:
        return DEFAULT_GRAD_RANGE
    if isinstance(grad_range, str):
        if grad_range != "auto":
            raise ValueError(
                f"viz: grad_range must be a (low, high) pair or 'auto', got {grad_range!r}"
            )
        vals = [m for m in magnitudes if m is not None and math.isfinite(m) and m > 0]
        if not vals:
            return DEFAULT_GRAD_RANGE
        lo = 10 ** math.floor(math.log10(min(vals)))
        hi = 10 ** math.ceil(math.log10(max(vals)))
        if hi <= lo:
            hi = lo * 10
        return lo, hi
    lo, hi = (float(x) for x in grad_range)  # type: ignore[union-attr]
    if not (0 < lo < hi):
        raise ValueError(f"viz: grad_range must satisfy 0 < low < high, got {grad_range!r}")
    return lo, hi


def grad_color(m: float | None, lo: float, hi: float) -> str:
    """Fill colour for a mean |grad| of ``m`` on a log scale from ``lo`` to ``hi``."""
    if m is None:
        return NO_GRAD_FILL
    if math.isnan(m) or math.isinf(m):
        return NONFINITE_FILL
    if m == 0:
        return ZERO_FILL
    x = (math.log10(m) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    return _interp(min(max(x, 0.0), 1.0))


def _interp(x: float) -> str:
    for (x0, c0), (x1, c1) in zip(_STOPS, _STOPS[1:]):
        if x <= x1:
            f = 0.0 if x1 == x0 else (x - x0) / (x1 - x0)
            rgb = tuple(round(a + (b - a) * f) for a, b in zip(c0, c1))
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return "#{:02x}{:02x}{:02x}".format(*_STOPS[-1][1])


def text_color(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (``#rrggbb``)."""
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "#ffffff" if 0.299 * r + 0.587 * g + 0.114 * b < 128 else "#000000"


def decades(lo: float, hi: float) -> list[float]:
    """Powers of ten from ``lo`` to ``hi`` (at most 11 of them) for the legend."""
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    step = max(1, math.ceil((b - a) / 10))
    return [10.0 ** e for e in range(a, b + 1, step)]
