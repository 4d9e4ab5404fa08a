"""Maps of areas as proportional symbols, drawn on the server as SVG: one circle per area that
has a point (latitude, longitude), on a web-Mercator projection fitted to the points — no tiles,
no network, no script. The circle's area is proportional to the value; a change (which may be
negative) is drawn with filled circles for gains and hollow ones for losses, so the sign does not
rest on colour alone. A legend gives three reference sizes; the page or report puts the same
numbers in a table beside the map (the map's text alternative)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from civicflow.report._model import Table

GAIN = "#1d70b8"
LOSS = "#d4351c"
INK = "#0b0c0c"


@dataclass(frozen=True, slots=True, kw_only=True)
class MapPoint:
    area: str
    lat: float
    lon: float
    value: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolMap:
    """A drawn map: ``svg`` (markup), its label, and the points it drew (for its table)."""

    id: str
    label: str
    svg: str
    points: tuple[MapPoint, ...]
    unit: str = ""

    def table(self) -> Table:
        """The map's numbers as a table (its text alternative), largest first."""
        rows = sorted(self.points, key=lambda p: (-p.value, p.area))
        return Table(
            caption=self.label,
            columns=("Area", self.unit or "Value", "Latitude", "Longitude"),
            rows=tuple((p.area, _fmt(p.value), f"{p.lat:.4f}", f"{p.lon:.4f}") for p in rows),
            numeric=frozenset({1, 2, 3}),
        )


def map_points(
    values: Mapping[str, float | None], coordinates: Mapping[str, Sequence[float]]
) -> list[MapPoint]:
    """The areas that have both a value and a point."""
    out = []
    for area, value in values.items():
        where = coordinates.get(area)
        if where is None or value is None or not math.isfinite(value):
            continue
        lat, lon = float(where[0]), float(where[1])
        if math.isfinite(lat) and math.isfinite(lon):
            out.append(MapPoint(area=area, lat=lat, lon=lon, value=float(value)))
    return out


def _mercator(lat: float, lon: float) -> tuple[float, float]:
    lat = max(min(lat, 85.0), -85.0)
    return math.radians(lon), math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def symbol_map(
    points: Sequence[MapPoint],
    *,
    id: str,
    label: str,
    unit: str = "",
    signed: bool = False,
    width: int = 560,
    height: int = 440,
    max_radius: float = 16.0,
) -> SymbolMap | None:
    """The map of ``points`` (None without any): circles of area ∝ |value|, the largest drawn
    first so the small stay visible; ``signed`` for a change (filled: gain, hollow: loss)."""
    if not points:
        return None
    legend_w = 150
    pad = max_radius + 4
    xy = [_mercator(p.lat, p.lon) for p in points]
    xs, ys = [x for x, _ in xy], [y for _, y in xy]
    span_x = max(max(xs) - min(xs), 1e-9)
    span_y = max(max(ys) - min(ys), 1e-9)
    plot_w, plot_h = width - legend_w - 2 * pad, height - 2 * pad
    scale = min(plot_w / span_x, plot_h / span_y)
    off_x = pad + (plot_w - span_x * scale) / 2
    off_y = pad + (plot_h - span_y * scale) / 2
    biggest = max(abs(p.value) for p in points) or 1.0

    def radius(value: float) -> float:
        return max_radius * math.sqrt(abs(value) / biggest) if biggest > 0 else 0.0

    order = sorted(range(len(points)), key=lambda i: -abs(points[i].value))
    title_id, desc_id = f"{id}-title", f"{id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cf-symbol-map" id="{escape(id)}" '
        f'viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{title_id} {desc_id}">',
        f'<title id="{title_id}">{escape(label)}</title>',
        f'<desc id="{desc_id}">{len(points)} areas drawn as circles at their location '
        f"(web-Mercator projection); a circle's area is proportional to the value"
        + ("; filled circles are gains, hollow ones losses" if signed else "")
        + ". The table beside the map holds the same numbers.</desc>",
        f'<rect x="0" y="0" width="{width - legend_w}" height="{height}" fill="#f3f2f1"/>',
    ]
    for i in order:
        p = points[i]
        x = off_x + (xy[i][0] - min(xs)) * scale
        y = off_y + (max(ys) - xy[i][1]) * scale
        r = radius(p.value)
        loss = signed and p.value < 0
        colour = LOSS if loss else GAIN
        fill = "none" if loss else colour
        value_text = ("+" if signed and p.value > 0 else "") + _fmt(p.value)
        parts.append(
            f'<circle class="cf-map-symbol" cx="{x:.1f}" cy="{y:.1f}" r="{r:.2f}" '
            f'fill="{fill}" fill-opacity="0.55" stroke="{colour}" stroke-width="1.2" '
            f'data-area="{escape(p.area)}" data-value="{p.value:.6g}">'
            f"<title>{escape(p.area)}: {value_text} {escape(unit)}</title></circle>"
        )
    # the legend: three reference sizes (and the sign key for a change)
    lx = width - legend_w + 12
    parts.append(
        f'<g class="cf-map-legend" font-family="sans-serif" font-size="12" fill="{INK}">'
        f'<text x="{lx}" y="20" font-weight="bold">{escape(unit or "value")}</text>'
    )
    y = 40.0
    for share in (1.0, 0.5, 0.1):
        value = biggest * share
        r = radius(value)
        y += r + 4
        parts.append(
            f'<circle class="cf-map-legend-symbol" cx="{lx + max_radius:.1f}" cy="{y:.1f}" '
            f'r="{r:.2f}" fill="none" stroke="{INK}" data-value="{value:.6g}"/>'
            f'<text x="{lx + 2 * max_radius + 8:.1f}" y="{y + 4:.1f}">{_fmt(value)}</text>'
        )
        y += r + 8
    if signed:
        y += 10
        parts.append(
            f'<circle cx="{lx + 8}" cy="{y:.1f}" r="6" fill="{GAIN}" fill-opacity="0.55" '
            f'stroke="{GAIN}"/><text x="{lx + 20}" y="{y + 4:.1f}">gain</text>'
        )
        y += 20
        parts.append(
            f'<circle cx="{lx + 8}" cy="{y:.1f}" r="6" fill="none" stroke="{LOSS}" '
            f'stroke-width="1.2"/><text x="{lx + 20}" y="{y + 4:.1f}">loss</text>'
        )
    parts.append("</g></svg>")
    return SymbolMap(id=id, label=label, svg="".join(parts), points=tuple(points), unit=unit)


def allocation_maps(result: Mapping[str, object], *, prefix: str = "alloc") -> list[SymbolMap]:
    """The maps of a stored allocation result that has ``coordinates``: forecast demand per
    area, the chosen plan's units, and (with a fair plan) the change efficient → fair."""
    coordinates = result.get("coordinates") or {}
    if not isinstance(coordinates, Mapping) or not coordinates:
        return []
    outcomes = result.get("outcomes") or []
    assert isinstance(outcomes, list)
    unit = str(result.get("unit") or "units")
    fair = result.get("fair") is not None
    maps = []
    demand = symbol_map(
        map_points({o["area"]: o["demand"] for o in outcomes}, coordinates),
        id=f"{prefix}-map-demand", label="Forecast demand per area over the horizon",
        unit="cases",
    )  # fmt: skip
    units = symbol_map(
        map_points(
            {o["area"]: o["units_fair"] if fair else o["units_efficient"] for o in outcomes},
            coordinates,
        ),
        id=f"{prefix}-map-units",
        label=f"{unit.capitalize()} allocated per area ({'fair' if fair else 'efficient'} plan)",
        unit=unit,
    )
    maps += [m for m in (demand, units) if m is not None]
    if fair:
        change = symbol_map(
            map_points(
                {o["area"]: (o["units_fair"] or 0.0) - o["units_efficient"] for o in outcomes},
                coordinates,
            ),
            id=f"{prefix}-map-change",
            label=f"Change in {unit} per area from the efficient to the fair plan",
            unit=unit,
            signed=True,
        )
        if change is not None:
            maps.append(change)
    return maps
