"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable offline.

Geometry is computed in `Decimal` like every figure it shows (never `float`), rounded to a
tenth of a pixel. Colours come from CSS classes (`prop_firm/admin/dashboard.css`) so the
admin's light and dark themes both apply; the `fill` attributes are the fallback.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

_PX = Decimal("0.1")
_ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: Decimal | int
    shown: str = ""  # the value as printed next to the bar (defaults to the value)
    tone: str = ""  # extra CSS class: "good", "bad", "warn", "muted"


def _px(value: Decimal) -> Decimal:
    return value.quantize(_PX, rounding=ROUND_HALF_EVEN)


def _scale(value: Decimal | int, top: Decimal, length: int) -> Decimal:
    if top <= 0:
        return _ZERO
    return _px(max(Decimal(value), _ZERO) * length / top)


def hbar_chart(
    bars: Sequence[Bar], *, title: str, width: int = 520, label_width: int = 150
) -> SafeString:
    """Horizontal bars, one row per item, scaled to the largest value."""
    row, gap, value_width = 22, 6, 110
    plot = width - label_width - value_width
    top = max((Decimal(b.value) for b in bars), default=_ZERO)
    height = max(len(bars), 1) * (row + gap) + gap
    rows = format_html_join(
        "",
        '<g class="pf-row" transform="translate(0 {})">'
        '<text class="pf-label" x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect class="pf-track" x="{}" y="0" width="{}" height="{}" fill="#eeeeee"></rect>'
        '<rect class="pf-bar {}" x="{}" y="0" width="{}" height="{}" fill="#79aec8">'
        "<title>{}: {}</title></rect>"
        '<text class="pf-value" x="{}" y="{}">{}</text></g>',
        (
            (
                gap + index * (row + gap),
                label_width - 8,
                row - 7,
                bar.label,
                label_width,
                plot,
                row,
                bar.tone,
                label_width,
                _scale(bar.value, top, plot),
                row,
                bar.label,
                bar.shown or bar.value,
                label_width + plot + 8,
                row - 7,
                bar.shown or bar.value,
            )
            for index, bar in enumerate(bars)
        ),
    )
    empty = (
        format_html('<text class="pf-empty" x="{}" y="20">No data.</text>', label_width)
        if not bars
        else ""
    )
    return format_html(
        '<svg class="pf-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" '
        'height="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}</svg>',
        title,
        width,
        height,
        width,
        height,
        title,
        rows,
        empty,
    )


def column_chart(
    bars: Sequence[Bar], *, title: str, width: int = 640, height: int = 180, every: int = 5
) -> SafeString:
    """Vertical columns over time (one per day), a label under every `every`-th column."""
    top_pad, bottom_pad, side = 10, 24, 4
    plot_height = height - top_pad - bottom_pad
    slot = _px(Decimal(width - 2 * side) / max(len(bars), 1))
    column = _px(slot * Decimal("0.8"))
    top = max((Decimal(b.value) for b in bars), default=_ZERO)
    parts = []
    for index, bar in enumerate(bars):
        x = _px(side + slot * index)
        h = _scale(bar.value, top, plot_height)
        parts.append(
            format_html(
                '<rect class="pf-bar {}" x="{}" y="{}" width="{}" height="{}" fill="#79aec8">'
                "<title>{}: {}</title></rect>",
                bar.tone,
                x,
                top_pad + plot_height - h,
                column,
                h,
                bar.label,
                bar.shown or bar.value,
            )
        )
        last = index == len(bars) - 1
        if index % every == 0 or last:
            # The last label ends at its column, so it never runs off the chart.
            parts.append(
                format_html(
                    '<text class="pf-axis" x="{}" y="{}" text-anchor="{}">{}</text>',
                    x + column if last else x,
                    height - 8,
                    "end" if last else "start",
                    bar.label,
                )
            )
    baseline = format_html(
        '<line class="pf-baseline" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999999"></line>',
        side,
        top_pad + plot_height,
        width - side,
        top_pad + plot_height,
    )
    return format_html(
        '<svg class="pf-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" '
        'height="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}</svg>',
        title,
        width,
        height,
        width,
        height,
        title,
        format_html_join("", "{}", ((p,) for p in parts)),
        baseline,
    )
