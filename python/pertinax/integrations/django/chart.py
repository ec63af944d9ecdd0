"""The dashboard's chart: success and retry rates over time as an inline SVG, drawn on the
server from numbers only (no script, no external asset)."""

import datetime
import typing as t

from django.utils.safestring import SafeString, mark_safe

__all__ = ["rates_svg"]

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 32
SERIES = (("success_rate", "#1a7f37", "success rate"), ("retry_rate", "#bc4c00", "retry rate"))


def rates_svg(points: t.Sequence[t.Mapping[str, t.Any]]) -> SafeString:
    """An SVG line chart of ``success_rate`` and ``retry_rate`` (0..1) against ``at``."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" id="pertinax-rates-chart" '
        f'aria-label="success and retry rates over time">',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        f'stroke="#d0d7de"/>',
    ]
    for pct in (0, 25, 50, 75, 100):
        y = TOP + plot_h * (1 - pct / 100)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#eaeef2"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#57606a">{pct}%</text>'
        )
    times = [float(p["at"]) for p in points]
    if len(times) >= 2 and times[-1] > times[0]:
        t0, span = times[0], times[-1] - times[0]
    else:
        t0, span = (times[0] if times else 0.0), 1.0

    def x_of(at: float) -> float:
        return LEFT + plot_w * ((at - t0) / span if len(times) >= 2 else 0.5)

    for key, colour, _label in SERIES:
        coords = [
            f"{x_of(float(p['at'])):.1f},{TOP + plot_h * (1 - float(p[key])):.1f}"
            for p in points
            if p.get(key) is not None
        ]
        if len(coords) == 1:
            cx, cy = coords[0].split(",")
            parts.append(f'<circle class="{key}" cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>')
        elif coords:
            parts.append(
                f'<polyline class="{key}" points="{" ".join(coords)}" fill="none" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
    for i, (_key, colour, label) in enumerate(SERIES):
        left = LEFT + 8 + i * 130
        parts.append(
            f'<rect x="{left}" y="{HEIGHT - 14}" width="12" height="4" fill="{colour}"/>'
            f'<text x="{left + 16}" y="{HEIGHT - 9}" font-size="11" fill="#24292f">{label}</text>'
        )
    if times:
        for at, anchor in ((times[0], "start"), (times[-1], "end")):
            stamp = datetime.datetime.fromtimestamp(at).strftime("%H:%M:%S")
            parts.append(
                f'<text x="{LEFT if anchor == "start" else LEFT + plot_w}" '
                f'y="{TOP + plot_h + 14}" font-size="11" text-anchor="{anchor}" '
                f'fill="#57606a">{stamp}</text>'
            )
    else:
        parts.append(
            f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" font-size="13" '
            f'text-anchor="middle" fill="#57606a">no data yet</text>'
        )
    parts.append("</svg>")
    # Every interpolated value above is a number or one of our own constants.
    return mark_safe("".join(parts))  # noqa: S308
