"""Server-rendered SVG charts: no script, nothing fetched, readable on screen and on paper.

Every label is escaped; every bar carries its exact figure in a <title> (a tooltip on screen,
read by screen readers) and the figure is also printed beside or above it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

ROW = 20
LABEL_WIDTH = 280
VALUE_WIDTH = 70
FONT = 12


@dataclass(frozen=True)
class Stack:
    name: str
    value: int
    css: str


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _svg(width: int, height: int, label: str, body: list[str], css: str = "") -> Markup:
    return Markup(
        f'<svg class="chart {escape(css)}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>{"".join(body)}</svg>'
    )


def hbars(
    rows: Sequence[tuple[str, float]], *, label: str, width: int = 640, css: str = ""
) -> Markup:
    """One horizontal bar per row, longest first as given, scaled to the largest value."""
    top = max((v for _, v in rows), default=0) or 1
    span = width - LABEL_WIDTH - VALUE_WIDTH
    body = []
    for i, (name, value) in enumerate(rows):
        y = i * ROW
        length = round(span * value / top, 1)
        text = escape(_clip(name, 38))
        body.append(
            f'<g class="row"><title>{escape(name)}: {_number(value)}</title>'
            f'<text class="label" x="{LABEL_WIDTH - 6}" y="{y + 14}" text-anchor="end" '
            f'font-size="{FONT}">{text}</text>'
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 3}" width="{length}" height="{ROW - 6}"/>'
            f'<text class="value" x="{LABEL_WIDTH + length + 4}" y="{y + 14}" '
            f'font-size="{FONT}">{_number(value)}</text></g>'
        )
    return _svg(width, max(len(rows), 1) * ROW + 4, label, body, css)


def stacked_columns(
    columns: Sequence[tuple[str, Sequence[Stack]]],
    *,
    label: str,
    height: int = 180,
    column_width: int = 44,
) -> Markup:
    """Vertical stacked columns (e.g. a histogram split by decision) with a legend below."""
    head = 16  # room for the tallest column's figure
    plot = height - 40 - head
    top = max((sum(s.value for s in stacks) for _, stacks in columns), default=0) or 1
    body = []
    for i, (name, stacks) in enumerate(columns):
        x = 10 + i * column_width
        base: float = head + plot
        total = sum(s.value for s in stacks)
        parts = ", ".join(f"{s.name} {s.value:,}" for s in stacks)
        body.append(f"<g><title>{escape(name)}: {total:,} ({escape(parts)})</title>")
        for stack in stacks:
            h = round(plot * stack.value / top, 1)
            base -= h
            body.append(
                f'<rect class="bar {escape(stack.css)}" x="{x}" y="{round(base, 1)}" '
                f'width="{column_width - 8}" height="{h}"/>'
            )
        body.append(
            f'<text class="value" x="{x + (column_width - 8) / 2}" y="{round(base - 3, 1)}" '
            f'text-anchor="middle" font-size="10">{total:,}</text>'
            f'<text class="label" x="{x + (column_width - 8) / 2}" y="{head + plot + 14}" '
            f'text-anchor="middle" font-size="10">{escape(name)}</text></g>'
        )
    legend_x = 10
    for stack in columns[0][1] if columns else ():
        body.append(
            f'<rect class="bar {escape(stack.css)}" x="{legend_x}" y="{height - 14}" '
            f'width="10" height="10"/><text class="label" x="{legend_x + 14}" '
            f'y="{height - 5}" font-size="10">{escape(stack.name)}</text>'
        )
        legend_x += 14 + 7 * len(stack.name) + 16
    width = 20 + len(columns) * column_width
    return _svg(max(width, 320), height, label, body)


def sparkbars(
    months: Sequence[str],
    counts: Sequence[int],
    *,
    label: str,
    width: int = 300,
    height: int = 110,
) -> Markup:
    """Twelve small columns for one working group, the busiest month's figure on top."""
    plot = height - 34
    top = max(counts, default=0) or 1
    step = (width - 10) / max(len(counts), 1)
    body = []
    for i, (month, n) in enumerate(zip(months, counts, strict=True)):
        h = round(plot * n / top, 1)
        x = round(5 + i * step, 1)
        body.append(
            f'<rect class="bar" x="{x}" y="{round(14 + plot - h, 1)}" width="{round(step - 3, 1)}" '
            f'height="{h}"><title>{escape(month)}: {n:,}</title></rect>'
        )
    peak = max(counts, default=0)
    body.append(f'<text class="value" x="5" y="10" font-size="10">max {peak:,}</text>')
    if months:
        body.append(
            f'<text class="label" x="5" y="{height - 6}" font-size="10">{escape(months[0])}</text>'
            f'<text class="label" x="{width - 5}" y="{height - 6}" text-anchor="end" '
            f'font-size="10">{escape(months[-1])}</text>'
        )
    return _svg(width, height, label, body, "spark")
