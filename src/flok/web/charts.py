"""Server-rendered inline SVG charts: no JavaScript library, readable by screen readers.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that states the
numbers in words, and scales to its container (``viewBox``, width 100%).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from flok.app.progress import number

BAR = "#2457a6"
DEMAND = "#b3541e"
TRACK = "#e3e8f0"
TEXT = "#1d2633"


def _fmt(value: float) -> str:
    return number(value)


def _frame(width: int, height: int, title: str, desc: str, body: str, css: str = "chart") -> Markup:
    return Markup(
        f'<svg class="{css}" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{body}</svg>"
    )


def bar_chart(
    items: Sequence[tuple[str, float]], title: str, *, unit: str = "", highlight: Sequence[str] = ()
) -> Markup:
    """Horizontal bars, one per (label, value); the value is written at the end of its bar.

    Bars named in ``highlight`` (e.g. "unassigned") take the second colour.
    """
    row, label_w, width = 28, 120, 480
    value_w = 80
    track = width - label_w - value_w  # room for the value after the longest bar ("100,000")
    top = max((v for _, v in items), default=0.0) or 1.0
    height = max(row, row * len(items)) + 8
    parts = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        w = track * value / top
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" fill="{TEXT}" font-size="14">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{track}" height="18" fill="{TRACK}"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="18" '
            f'fill="{DEMAND if label in highlight else BAR}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 18}" fill="{TEXT}" font-size="14">'
            f"{escape(_fmt(value))}{escape(unit)}</text>"
        )
    desc = "; ".join(f"{label}: {_fmt(v)}{unit}" for label, v in items) or "no data"
    return _frame(width, height, title, desc, "".join(parts))


def fill_bar(assigned: int, capacity: int, demand: int, top: int) -> Markup:
    """One opportunity's row of the demand chart: its seats (track), seats given (bar) and demand
    (a tick), on a scale shared by the rows (``top``: the largest seats or demand shown).

    The labels and numbers are HTML next to it (a table), so they wrap rather than being cut off
    and are read with the row; the picture's description repeats them in words.
    """
    width, height = 300, 28
    scale = (width - 4) / (top or 1)
    cap_w, got_w = scale * capacity, scale * min(assigned, capacity or assigned)
    dem_x = 2 + min(scale * demand, width - 4)
    body = (
        f'<rect x="2" y="6" width="{cap_w:.1f}" height="16" fill="{TRACK}" stroke="{BAR}" stroke-width="1"/>'
        f'<rect x="2" y="6" width="{got_w:.1f}" height="16" fill="{BAR}"/>'
        f'<line x1="{dem_x:.1f}" x2="{dem_x:.1f}" y1="1" y2="27" stroke="{DEMAND}" stroke-width="3"/>'
    )
    desc = f"{number(assigned)} of {number(capacity)} seats given; {number(demand)} listed it"
    return Markup(
        f'<svg class="fillbar" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'preserveAspectRatio="none" aria-label="{escape(desc)}"><title>{escape(desc)}</title>{body}</svg>'
    )


def sparkline(
    values: Sequence[float], title: str, *, low: float | None = None, high: float | None = None
) -> Markup:
    """A small line with a dot on the latest value and a faint line at 50 (neutral pulse).

    The scale spans the data and 50, so a quiet week is a flat line at the middle and any
    movement is visible; the exact numbers are in the accessible description.
    """
    width, height, pad = 120, 32, 3
    if not values:
        return _frame(width, height, title, "no data", "")
    low = min(min(values), 50.0) - 1.0 if low is None else low
    high = max(max(values), 50.0) + 1.0 if high is None else high
    n = len(values)
    span = (high - low) or 1.0

    def point(i: int, v: float) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * (i / max(1, n - 1))
        y = height - pad - (height - 2 * pad) * (min(high, max(low, v)) - low) / span
        return x, y

    pts = [point(i, v) for i, v in enumerate(values)]
    mid_y = point(0, 50.0)[1]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    lx, ly = pts[-1]
    body = (
        f'<line x1="{pad}" x2="{width - pad}" y1="{mid_y:.1f}" y2="{mid_y:.1f}" stroke="{TRACK}"/>'
        f'<polyline points="{line}" fill="none" stroke="{BAR}" stroke-width="2"/>'
        f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="3" fill="{DEMAND}"/>'
    )
    desc = f"from {values[0]:.0f} to {values[-1]:.0f}, lowest {min(values):.0f}, highest {max(values):.0f}"
    return Markup(
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}: {escape(desc)}"><title>{escape(title)}</title>'
        f"<desc>{escape(desc)}</desc>{body}</svg>"
    )


def meter(fraction: float, title: str) -> Markup:
    """A single horizontal share bar (0–100 %) with its percentage written next to it."""
    width, height = 300, 26
    f = min(1.0, max(0.0, fraction))
    body = (
        f'<rect x="0" y="4" width="240" height="18" fill="{TRACK}"/>'
        f'<rect x="0" y="4" width="{240 * f:.1f}" height="18" fill="{BAR}"/>'
        f'<text x="248" y="19" font-size="14" fill="{TEXT}">{f:.0%}</text>'
    )
    return _frame(width, height, title, f"{f:.0%}", body, css="chart meter")
