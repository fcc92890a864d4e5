"""Small server-rendered SVG charts: no JavaScript, no CDN, readable by screen readers."""

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

_BAR = "#1d4ed8"


def bar_chart(rows: list[tuple[str, float]], *, title: str, unit: str = "") -> SafeString:
    """Return horizontal bars, one per (label, value), labelled with their values."""
    if not rows:
        return format_html('<p class="text-muted">{}</p>', "No data yet.")
    width, label_w, row_h = 640, 220, 26
    top = max(value for _label, value in rows) or 1
    height = row_h * len(rows) + 8
    parts = [
        f'<svg role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value) in enumerate(rows):
        y = 4 + index * row_h
        bar = (width - label_w - 70) * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="13" '
            f'fill="#344054">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar:.1f}" height="18" rx="3" fill="{_BAR}"/>'
            f'<text x="{label_w + bar + 6:.1f}" y="{y + 17}" font-size="13" fill="#101828">'
            f"{escape(_number(value))}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label and value is escaped above


def line_chart(points: list[tuple[str, float]], *, title: str) -> SafeString:
    """Return a line over time, one (day label, value) per point, with the first and last labels."""
    if not points:
        return format_html('<p class="text-muted">{}</p>', "No data yet.")
    width, height, pad = 640, 200, 36
    top = max(value for _label, value in points) or 1
    step = (width - 2 * pad) / max(len(points) - 1, 1)
    coords = [
        (pad + i * step, height - pad - (height - 2 * pad) * value / top)
        for i, (_label, value) in enumerate(points)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    first, last = points[0], points[-1]
    return mark_safe(  # noqa: S308 - labels are escaped, the rest are numbers
        f'<svg role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#d0d5dd"/>'
        f'<polyline points="{path}" fill="none" stroke="{_BAR}" stroke-width="2.5"/>'
        f'<text x="{pad}" y="{height - 12}" font-size="12" fill="#475467">{escape(first[0])}</text>'
        f'<text x="{width - pad}" y="{height - 12}" font-size="12" text-anchor="end" '
        f'fill="#475467">{escape(last[0])}</text>'
        f'<text x="{pad}" y="{pad - 10}" font-size="12" fill="#475467">max {_number(top)}</text>'
        "</svg>"
    )


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
