"""The review's charts are drawn on one reused figure; the bytes must be those
of a chart drawn on a new figure, whatever was drawn before it, from any thread."""

from __future__ import annotations

import io
import random
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from smewg.work.review_charts import _draw, _tick


def fresh_figure_chart(years: list[int], values: list[float | None], label: str, salt: str) -> str:
    """The chart drawn the obvious way: a new figure and axes each time."""
    from matplotlib import rcParams
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    rcParams["svg.fonttype"] = "path"
    rcParams["svg.hashsalt"] = salt
    rcParams["axes.titley"] = 1.0
    figure = Figure(figsize=(4.2, 1.9), dpi=72)
    axes = figure.add_subplot()
    points = [(y, v) for y, v in zip(years, values) if v is not None]
    if points:
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", color="#1f5fa8", linewidth=2)
    else:
        axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes, color="#888888")
    axes.set_xticks(years)
    axes.set_xlim(years[0] - 0.3, years[-1] + 0.3)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4))
    axes.yaxis.set_major_formatter(FuncFormatter(_tick))
    axes.set_title(label, fontsize=9, loc="left", color="#333333")
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    figure.subplots_adjust(left=0.13, right=0.97, top=0.84, bottom=0.15)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    return (
        re.sub(r'id="([^"]+)"', lambda m: f'id="c{salt[:8]}-{m.group(1)}"', svg)
        .replace("url(#", f"url(#c{salt[:8]}-")
        .replace('xlink:href="#', f'xlink:href="#c{salt[:8]}-')
    )


def _charts(count: int, seed: int) -> list[tuple[list[int], list[float | None], str, str]]:
    """Spans of 2, 4 and 6 years; no data at all, gaps, negatives, and values from tens to trillions."""
    rng = random.Random(seed)
    spans = [[2021, 2022], [2021, 2022, 2023, 2024], [2019, 2020, 2021, 2022, 2023, 2024]]
    charts = []
    for n in range(count):
        years = spans[n % 3]
        roll = rng.random()
        if roll < 0.15:
            values: list[float | None] = [None] * len(years)
        elif roll < 0.35:
            values = [rng.choice([None, rng.uniform(0, 100)]) for _ in years]
        elif roll < 0.5:
            values = [rng.uniform(-5, 5) for _ in years]
        else:
            values = [rng.uniform(0, 10 ** rng.randint(1, 12)) for _ in years]
        charts.append((years, values, f"Indicator {n} <b>&amp;</b>", f"{seed:08x}{n:024x}"))
    return charts


@pytest.mark.parametrize("seed", [1, 2])
def test_a_chart_on_the_reused_figure_is_the_chart_of_a_new_figure(seed):
    for years, values, label, salt in _charts(30, seed):
        assert _draw(years, values, label, salt) == fresh_figure_chart(years, values, label, salt), (years, values)


def test_threads_drawing_side_by_side_each_get_the_right_charts():
    charts = _charts(24, 3)
    expected = [fresh_figure_chart(*chart) for chart in charts]
    with ThreadPoolExecutor(max_workers=3) as pool:
        drawn = list(pool.map(lambda chart: _draw(*chart), charts))
    assert drawn == expected
