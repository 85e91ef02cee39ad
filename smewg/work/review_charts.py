"""Trend charts of a review as inline SVG (matplotlib, no network, no fonts to fetch).

A chart is drawn once per content: its SVG is kept under the given cache folder, named by
the hash of everything drawn, so a rebuild after one economy's correction redraws only
the charts whose figures moved.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import threading
import uuid
from pathlib import Path
from typing import Any

CHART_VERSION = 2
"""Bump when the drawing changes, so that cached charts are redrawn."""


def trend_svg(years: list[int], values: list[float | None], label: str, *, cache_dir: Path | None = None) -> str:
    """A small line chart of ``values`` by year; gaps (None) are left open."""
    key = hashlib.sha256(json.dumps([CHART_VERSION, years, values, label]).encode()).hexdigest()[:32]
    cached = cache_dir / f"{key}.svg" if cache_dir else None
    if cached is not None and cached.is_file():
        return cached.read_text(encoding="utf-8")
    svg = _draw(years, values, label, key)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own, then an atomic rename: builds side by side never see half a file.
        temporary = cached.with_name(f".{key}.{uuid.uuid4().hex}.tmp")
        temporary.write_text(svg, encoding="utf-8")
        temporary.replace(cached)
    return svg


def _draw(years: list[int], values: list[float | None], label: str, salt: str) -> str:
    # One chart at a time: the SVG writer reads its id salt from matplotlib's global rcParams,
    # so two threads drawing at once would swap salts (and drawing holds the GIL anyway).
    with _drawing:
        return _draw_alone(years, values, label, salt)


def _draw_alone(years: list[int], values: list[float | None], label: str, salt: str) -> str:
    from matplotlib import rcParams

    rcParams["svg.fonttype"] = "path"  # text as shapes: the SVG needs no font
    rcParams["svg.hashsalt"] = salt  # stable element ids, so the same chart is the same bytes
    # The title placed, not searched for: matplotlib otherwise measures the axes to keep it
    # off ticks on top (there are none), a fifth of a chart's drawing time.
    rcParams["axes.titley"] = 1.0
    figure, axes, line, no_data = _canvas()
    points = [(y, v) for y, v in zip(years, values) if v is not None]
    line.set_data([p[0] for p in points], [p[1] for p in points])
    line.set_visible(bool(points))
    no_data.set_visible(not points)
    axes.set_xticks(years)
    axes.set_xlim(years[0] - 0.3, years[-1] + 0.3)
    if points:
        axes.relim()
        axes.set_autoscaley_on(True)
        axes.autoscale_view(scalex=False)
    else:
        axes.set_ylim(0, 1)  # what an empty axes shows
    axes.set_title(label, fontsize=9, loc="left", color="#333333")
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # inline: no XML declaration or DOCTYPE
    # Unique ids per chart, so that many charts inline in one page do not share clip paths.
    return (
        re.sub(r'id="([^"]+)"', lambda m: f'id="c{salt[:8]}-{m.group(1)}"', svg)
        .replace("url(#", f"url(#c{salt[:8]}-")
        .replace('xlink:href="#', f'xlink:href="#c{salt[:8]}-')
    )


_drawing = threading.Lock()


@functools.cache
def _canvas() -> tuple[Any, Any, Any, Any]:
    """The figure, axes, line and "no data" text, made once and redrawn for every chart: a
    new axes builds its ticks anew, about half of a chart's drawing time (27 -> 13 ms a
    chart; ``tests/test_review_charts.py`` checks the bytes equal a new figure's). The object
    API, not pyplot: no figure registry, nothing kept by matplotlib itself."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    figure = Figure(figsize=(4.2, 1.9), dpi=72)
    axes = figure.add_subplot()
    (line,) = axes.plot([], [], marker="o", color="#1f5fa8", linewidth=2)
    no_data = axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes, color="#888888")
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4))
    axes.yaxis.set_major_formatter(FuncFormatter(_tick))
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    # Fixed margins: tight_layout would double the drawing time (measured 64 vs 28 ms a chart).
    figure.subplots_adjust(left=0.13, right=0.97, top=0.84, bottom=0.15)
    return figure, axes, line, no_data


def _tick(value: float, _position: int) -> str:
    magnitude = abs(value)
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"
