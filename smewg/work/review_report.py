"""The review as files: one self-contained HTML page, a PDF of the same page, the tables as XLSX.

HTML: Jinja2 with autoescape (every text from outside is escaped), CSS inline, charts
inline SVG: the page loads nothing from anywhere. Every printed figure carries
``data-key`` (indicator|breakdown|year|statistic|area) and ``data-snapshot`` so that it can
be checked against the snapshot it came from.

PDF: WeasyPrint renders the same HTML with print CSS (each priority area starts a page).
It is a Python library laying out HTML and CSS itself (no browser to drive, no network),
so the PDF is the HTML's content, not a second document to keep in step.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from smewg.core.catalogue import Catalogue, Indicator, Plan
from smewg.core.paths import PROJECT_DIR
from smewg.work.export import neutralise
from smewg.work.formatting import DASH, count_text, figure_text, percent_text
from smewg.work.html_pages import TEMPLATES, page_template
from smewg.work.review_charts import trend_svg
from smewg.work.review_data import PROGRESS_STATES, ReviewData, progress_of

HEADLINE = {"count": "SUM", "amount": "SUM", "percent": "MEAN"}
ROW_STATISTICS = {"count": ("N_REPORTING", "SUM"), "amount": ("N_REPORTING", "SUM"), "percent": ("N_REPORTING", "MEAN", "MEDIAN")}
STATISTIC_LABEL = {
    "N_REPORTING": "economies reporting",
    "N_NO_DATA": "economies answering 'no data'",
    "SUM": "APEC total",
    "MEAN": "APEC mean",
    "MEDIAN": "APEC median",
    "CHANGE_PREV": "change on the previous year (balanced panel)",
    "CHANGE_BASELINE": "change on the baseline year (balanced panel)",
}


def methodology(first: int, last: int) -> list[str]:
    """How the review's figures are made: printed in the HTML and the PDF alike."""
    return [
        "Every figure is a figure of the KPI rollup snapshot of its cycle, named in the provenance. Each cycle uses, per "
        "economy, the newest version it had sent by the snapshot's date that was not rejected, and only its rows that "
        "passed the quality checks.",
        "Counts are summed over the reporting economies. Amounts are converted to US dollars at the cycle year's annual "
        "average rate, then summed; an amount in a currency without a rate is listed and left out of the sum, never "
        "added unconverted. Percents (shares) are never summed: the mean and the median of the economies' shares are shown.",
        "Changes are computed on balanced panels: only economies reporting in both years count. Counts and amounts: the "
        "percent change of the panel's sum (amounts of both years at the later year's rates, so exchange-rate moves are "
        "not counted as progress). Percents: the change of the panel's mean, in percentage points.",
        f"Progress per indicator (total breakdown): its change on the baseline year {first} in {last}. With fewer than "
        "3 economies in the panel: not enough data. Counts and amounts: above +5 % improving, below -5 % worsening, "
        "else stable; percents: the same with +/-1 percentage point. Every KPI of the plan is framed so that more is progress.",
        'Economies answering "no data" (an empty value with a note such as "not collected") count as having answered, '
        "not as reporting a figure. Economy values are shown for each indicator's total; breakdowns by economy are in the "
        "XLSX tables.",
    ]


def code_version() -> str:
    """The checkout's commit (``git describe``), else the package version."""
    try:
        found = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=10, check=True
        )
        return found.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        from importlib.metadata import version

        return version("smewg-cycle")


def _cell(data: dict[tuple, float | None], key: tuple, kind: str, snapshot: int | None, unit: str | None = None) -> dict:
    value = data.get(key)
    return {
        "text": figure_text(value, key[3], kind, unit),
        "key": "|".join(str(k) for k in key),
        "snapshot": snapshot if value is not None else None,
    }


EXCEL_MAX_ROWS = 1_048_576
ANNEX_ROWS = 500
"""Rows of the data-quality annex (and of the notes) printed in the document; the XLSX has
every one (a cycle of many bad files would otherwise print thousands of pages)."""
BREAKDOWNS_SHOWN = 12
"""Breakdowns of an indicator shown in the document (the total first); the XLSX has every
one. The plan's indicators have at most 3; a plan of regions (100 breakdowns each) would
otherwise make a PDF of ~35,000 table rows (bench/scale_postgres.py)."""


def _indicator_block(
    values_of: dict[str, list[tuple]],
    indicator: Indicator,
    data: ReviewData,
    lookup: dict,
    snapshots: dict[int, int],
    units: dict[tuple, str | None],
    economies: dict[str, str],
    chart_dir: Path | None,
) -> dict[str, Any]:
    years = data.years
    kind = indicator.kind
    rows = []
    for breakdown in indicator.breakdowns[:BREAKDOWNS_SHOWN]:
        suffix = "" if breakdown == "total" else f" ({breakdown.replace('_', ' ')})"
        statistics = [*ROW_STATISTICS[kind], "N_NO_DATA", "CHANGE_PREV", "CHANGE_BASELINE"]
        for statistic in statistics:
            keys = [(indicator.id, breakdown, y, statistic, "APEC") for y in years]
            shown_when_zero = statistic in ("SUM", "MEAN", "MEDIAN", "CHANGE_PREV", "CHANGE_BASELINE")
            if statistic != "N_REPORTING" and all(
                lookup.get(k) is None or (lookup.get(k) == 0 and not shown_when_zero) for k in keys
            ):
                continue
            label = STATISTIC_LABEL[statistic] + (" (USD)" if statistic == "SUM" and kind == "amount" else "")
            rows.append(
                {
                    "label": label + suffix,
                    "apec": True,
                    "cells": [_cell(lookup, k, kind, snapshots[k[2]], units.get(k)) for k in keys],
                }
            )
        # Economies' own values for the total; their breakdowns are in the XLSX (tables stay readable).
        order = {code: n for n, code in enumerate(economies)}  # APEC's order
        reporters = sorted(
            {k[4] for k in values_of.get(indicator.id, []) if k[1] == breakdown},
            key=lambda code: (order.get(code, len(order)), code),
        )
        for code in reporters if breakdown == "total" else []:
            keys = [(indicator.id, breakdown, y, "VALUE", code) for y in years]
            unit = next((units.get(k) for k in keys if units.get(k)), None)
            shown_unit = f" ({unit})" if kind == "amount" and unit else ""
            rows.append(
                {
                    "label": f"{economies.get(code, code)}{suffix}{shown_unit}",
                    "apec": False,
                    "cells": [_cell(lookup, k, kind, snapshots[k[2]]) for k in keys],
                }
            )
    headline = [lookup.get((indicator.id, "total", y, HEADLINE[kind], "APEC")) for y in years]
    label = {"count": "APEC total", "amount": "APEC total, USD", "percent": "APEC mean, %"}[kind]
    reported_by = {y: sorted(k[4] for k in values_of.get(indicator.id, []) if k[1] == "total" and k[2] == y) for y in years}
    progress = progress_of(data, indicator.id, kind)
    return {
        "id": indicator.id,
        "name": indicator.name,
        "kind": kind,
        "breakdowns": list(indicator.breakdowns),
        "rows": rows,
        "breakdowns_not_shown": max(0, len(indicator.breakdowns) - BREAKDOWNS_SHOWN),
        "chart": trend_svg(years, headline, f"{indicator.id} {label}", cache_dir=chart_dir),
        "reported_by": reported_by,
        "progress": progress,
        "progress_text": (
            DASH if progress.change is None else figure_text(progress.change, "CHANGE_BASELINE", kind, progress.unit)
        ),
    }


def report_model(
    data: ReviewData,
    catalogue: Catalogue,
    *,
    title: str,
    reported_by: str,
    audience: str,
    version: int,
    as_of: str,
    built_at: datetime,
    inputs_key: str,
    changes: list[dict],
    chart_dir: Path | None = None,
) -> dict[str, Any]:
    """Everything the template prints, prepared and formatted here (the template only lays it out)."""
    plan = catalogue.plan
    economies = list(catalogue.participating())
    lookup = data.lookup()
    units = {
        key: unit
        for key, unit in zip(
            zip(
                data.figures["indicator"],
                data.figures["breakdown"],
                data.figures["year"],
                data.figures["statistic"],
                data.figures["area"],
            ),
            data.figures["unit"],
        )
    }
    snapshots = {year: cycle.snapshot_id for year, cycle in data.snapshots.items()}
    names = {e.code: e.name for e in economies}
    values_of: dict[str, list[tuple]] = {}  # indicator -> keys of its economies' values
    for key in lookup:
        if key[3] == "VALUE":
            values_of.setdefault(key[0], []).append(key)
    blocks = {
        i.id: _indicator_block(values_of, i, data, lookup, snapshots, units, names, chart_dir) for i in plan.all_indicators()
    }
    priorities = [
        {
            "id": p.id,
            "title": p.title,
            "success_factors": list(p.success_factors),
            "objectives": [
                {"id": o.id, "title": o.title, "indicators": [blocks[i.id] for i in o.indicators]} for o in p.objectives
            ],
        }
        for p in plan.priorities
    ]
    general = [blocks[i.id] for i in plan.general_indicators]
    years = data.years
    reporting = {y: sorted({k[4] for k in lookup if k[2] == y and k[3] == "VALUE"}) for y in years}
    with_data = {y: len({k[0] for k in lookup if k[2] == y and k[3] == "VALUE"}) for y in years}
    tally = Counter(b["progress"].status for b in blocks.values())
    movers = sorted(
        (b for b in blocks.values() if b["progress"].status in ("improving", "worsening")),
        key=lambda b: -abs(b["progress"].change or 0),
    )[:5]
    cycle_rows = []
    for year in years:
        overall = data.snapshots[year].analytics.get("overall", {})
        snapshot = snapshots[year]
        cycle_rows.append(
            {
                "year": year,
                "snapshot": snapshot,
                "cells": [
                    {"key": f"analytics|{year}|response_rate", "text": percent_text(overall.get("response_rate"))},
                    {"key": f"analytics|{year}|on_time_rate", "text": percent_text(overall.get("on_time_rate"))},
                    {"key": f"analytics|{year}|median_days_from_call", "text": count_text(overall.get("median_days_from_call"))},
                    {"key": f"analytics|{year}|reminders_sent", "text": count_text(overall.get("reminders_sent"))},
                    {"key": f"analytics|{year}|correction_rounds", "text": count_text(overall.get("correction_rounds"))},
                ],
            }
        )
    last = years[-1]
    no_data: set[tuple[str, str]] = set()
    for key, answered in zip(
        zip(data.figures["indicator"], data.figures["year"], data.figures["statistic"]), data.figures["economies"]
    ):
        if key[1] == last and key[2] == "N_NO_DATA":
            no_data |= {(key[0], code) for code in answered}
    reported = {(k[0], k[4]) for k in lookup if k[2] == last and k[3] == "VALUE"}
    indicator_ids = [i.id for i in plan.all_indicators()]
    matrix = [
        {
            "economy": e.code,
            "name": e.name,
            "cells": [
                "reported" if (i, e.code) in reported else ("no data" if (i, e.code) in no_data else "missing")
                for i in indicator_ids
            ],
        }
        for e in economies
    ]
    participating = [e.code for e in economies]
    silent = {y: [names[c] for c in participating if c not in reporting[y]] for y in years}
    shown_changes = [
        {
            **c,
            "old_text": figure_text(c["old"], c["statistic"], _kind(plan, c["indicator"]), c.get("unit")),
            "new_text": figure_text(c["new"], c["statistic"], _kind(plan, c["indicator"]), c.get("unit")),
            "economy_names": [names.get(code, code) for code in c["economies"]],
        }
        for c in changes
    ]
    return {
        "title": title,
        "reported_by": reported_by,
        "audience": audience,
        "plan": plan,
        "version": version,
        "as_of": as_of,
        "built_at": built_at.strftime("%Y-%m-%d %H:%M UTC"),
        "code_version": code_version(),
        "inputs_key": inputs_key,
        "years": years,
        "economy_count": len(participating),
        "summary": {
            "reporting": {y: len(reporting[y]) for y in years},
            "with_data": with_data,
            "indicators": len(indicator_ids),
            "tally": [(s, tally.get(s, 0)) for s in PROGRESS_STATES],
            "movers": movers,
        },
        "priorities": priorities,
        "general": general,
        "cycle_rows": cycle_rows,
        "matrix": {"year": last, "indicators": indicator_ids, "rows": matrix},
        "fx": {y: data.snapshots[y].fx_rates for y in years},
        "not_converted": [n for y in years for n in data.snapshots[y].not_converted if n.get("year") == y],
        "quality": data.quality[:ANNEX_ROWS],
        "quality_total": len(data.quality),
        "notes": data.notes[:ANNEX_ROWS],
        "notes_total": len(data.notes),
        "silent": silent,
        "names": names,
        "snapshots": [
            {
                "year": y,
                "id": c.snapshot_id,
                "as_of": c.as_of.isoformat(),
                "versions": sorted(
                    (names.get(code, code), v, c.files.get(code, "")) for code, v in c.versions.get(str(y), {}).items()
                ),
            }
            for y, c in sorted(data.snapshots.items())
        ],
        "changes": shown_changes,
        "methodology": methodology(years[0], years[-1]),
    }


def _kind(plan: Plan, indicator: str) -> str:
    return next((i.kind for i in plan.all_indicators() if i.id == indicator), "count")


def render_html(model: dict[str, Any]) -> str:
    return page_template("review.html.j2").render(**model)


def write_pdf(model: dict[str, Any], path: Path) -> Path:
    """The PDF of the same content, laid out by Typst from the model as JSON data.

    Text from outside reaches Typst as JSON strings, which it shows as text: nothing in a
    cell can become markup. The charts are the same SVG the HTML inlines.
    """
    import typst

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="smewg-review-") as folder:
        build = Path(folder)
        shutil.copy(TEMPLATES / "review.typ", build / "review.typ")
        (build / "charts").mkdir()
        document = _pdf_document(model, build / "charts")
        (build / "model.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        typst.compile(str(build / "review.typ"), output=str(path), root=str(build))
    return path


def _pdf_document(model: dict[str, Any], charts: Path) -> dict[str, Any]:
    years = model["years"]
    written: dict[str, str] = {}

    def chart(svg: str) -> str:
        name = written.setdefault(svg, f"charts/{len(written)}.svg")
        (charts.parent / name).write_text(svg, encoding="utf-8")
        return name

    def block(b: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": b["id"],
            "name": b["name"],
            "kind": b["kind"],
            "status": b["progress"].status,
            "progress_text": b["progress_text"] if b["progress"].change is not None else DASH,
            "chart": chart(b["chart"]),
            "rows": [{"label": r["label"], "apec": r["apec"], "cells": [c["text"] for c in r["cells"]]} for r in b["rows"]],
            "breakdowns_not_shown": b["breakdowns_not_shown"],
            "reported_by": [f"{y}: {', '.join(b['reported_by'][y]) or 'none'}" for y in years],
        }

    names = model["names"]
    summary = model["summary"]
    return {
        "title": model["title"],
        "plan_title": model["plan"].title,
        "reported_by": model["reported_by"],
        "audience": model["audience"],
        "years": years,
        "as_of": model["as_of"],
        "version": model["version"],
        "built_at": model["built_at"],
        "code_version": model["code_version"],
        "inputs_key": model["inputs_key"][:16],
        "economy_count": model["economy_count"],
        "summary": {
            "reporting": [str(summary["reporting"][y]) for y in years],
            "with_data": [str(summary["with_data"][y]) for y in years],
            "indicators": summary["indicators"],
            "tally": [[state, count] for state, count in summary["tally"]],
            "movers": [
                {
                    "id": b["id"],
                    "name": b["name"],
                    "progress_text": b["progress_text"],
                    "panel": b["progress"].panel,
                    "status": b["progress"].status,
                }
                for b in summary["movers"]
            ],
        },
        "priorities": [
            {**p, "objectives": [{**o, "indicators": [block(b) for b in o["indicators"]]} for o in p["objectives"]]}
            for p in model["priorities"]
        ],
        "general": [block(b) for b in model["general"]],
        "cycle_rows": [{"year": r["year"], "cells": [c["text"] for c in r["cells"]]} for r in model["cycle_rows"]],
        "matrix": {
            "year": model["matrix"]["year"],
            "indicators": model["matrix"]["indicators"],
            "rows": [{"economy": r["economy"], "cells": r["cells"]} for r in model["matrix"]["rows"]],
        },
        "methodology": model["methodology"],
        "fx": [[str(y), "; ".join(f"{c} {r:,.4f}" for c, r in sorted(model["fx"][y].items())) or DASH] for y in years],
        "not_converted": [
            f"{names.get(n['economy'], n['economy'])} {n['indicator']} {n['breakdown']} {n['year']} in {n['unit']}"
            for n in model["not_converted"]
        ],
        "silent": [f"{y}: {', '.join(model['silent'][y]) or 'none'}" for y in years],
        "quality": [
            [
                names.get(q["economy"], q["economy"]),
                str(q["year"]),
                str(q["row"]),
                q["indicator"],
                q["breakdown"],
                q["value"] or "",
                q["status"],
                q["message"],
            ]
            for q in model["quality"]
        ],
        "notes": [
            [names.get(n["economy"], n["economy"]), str(n["year"]), n["indicator"], n["breakdown"], n["note"]]
            for n in model["notes"]
        ],
        "quality_total": model["quality_total"],
        "notes_total": model["notes_total"],
        "snapshots": [
            [
                str(s["year"]),
                str(s["id"]),
                s["as_of"],
                "; ".join(f"{name} v{v}" + (f" ({file})" if file else "") for name, v, file in s["versions"]),
            ]
            for s in model["snapshots"]
        ],
        "changes": [
            [
                c["indicator"],
                c["breakdown"],
                str(c["year"]),
                c["statistic"] + ("" if c["area"] == "APEC" else f" {c['area']}"),
                c["old_text"],
                c["new_text"],
                ", ".join(c["economy_names"]),
            ]
            for c in model["changes"]
        ],
    }


def write_xlsx(data: ReviewData, plan: Plan, path: Path, model: dict[str, Any]) -> Path:
    """The review's tables: every figure (long format), progress per indicator, the reporting cycle."""
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook(write_only=True)
    names = defaultdict(str, {i.id: neutralise(i.name) for i in plan.all_indicators()})
    ordered = data.figures.sort_values(["year", "indicator", "breakdown", "statistic", "area"])
    # A sheet holds 1,048,576 rows: a review of many breakdowns gets a sheet of figures per year.
    rows = EXCEL_MAX_ROWS - 1  # under the header
    parts = [("Figures", ordered)] if len(ordered) <= rows else [(f"Figures {y}", p) for y, p in ordered.groupby("year")]
    parts = [
        (title if len(part) <= rows else f"{title} ({n // rows + 1})", part.iloc[n : n + rows])
        for title, part in parts
        for n in range(0, max(len(part), 1), rows)
    ]
    columns = ["year", "indicator", "breakdown", "area", "statistic", "value", "unit", "snapshot_id"]
    for title, part in parts:
        sheet = workbook.create_sheet(title)
        sheet.append(["year", "indicator", "name", "breakdown", "area", "statistic", "value", "unit", "snapshot"])
        for year, indicator, breakdown, area, statistic, value, unit, snapshot in part[columns].itertuples(
            index=False, name=None
        ):
            shown = None if value is None or value != value else float(value)
            sheet.append([int(year), indicator, names[indicator], breakdown, area, statistic, shown, unit, int(snapshot)])
    sheet = workbook.create_sheet("Progress")
    sheet.append(["indicator", "name", "status", "change on baseline", "unit", "panel economies"])
    for indicator in plan.all_indicators():
        progress = progress_of(data, indicator.id, indicator.kind)
        sheet.append([indicator.id, neutralise(indicator.name), progress.status, progress.change, progress.unit, progress.panel])
    sheet = workbook.create_sheet("Reporting cycle")
    sheet.append(
        ["year", "snapshot", "response rate %", "on-time rate %", "median days from call", "reminders sent", "correction rounds"]
    )
    for year in data.years:
        overall = data.snapshots[year].analytics.get("overall", {})
        sheet.append(
            [
                year,
                data.snapshots[year].snapshot_id,
                overall.get("response_rate"),
                overall.get("on_time_rate"),
                overall.get("median_days_from_call"),
                overall.get("reminders_sent"),
                overall.get("correction_rounds"),
            ]
        )
    sheet = workbook.create_sheet("Data quality")
    sheet.append(["economy", "cycle", "row", "indicator", "breakdown", "value as written", "status", "what is wrong"])
    for q in data.quality:
        sheet.append(
            [
                q["economy"],
                q["year"],
                q["row"],
                q["indicator"],
                q["breakdown"],
                neutralise(q["value"]),
                q["status"],
                neutralise(q["message"]),
            ]
        )
    sheet = workbook.create_sheet("Notes")
    sheet.append(["economy", "cycle", "row", "indicator", "breakdown", "note"])
    for n in data.notes:
        sheet.append([n["economy"], n["year"], n["row"], n["indicator"], n["breakdown"], neutralise(n["note"])])
    if model["changes"]:
        sheet = workbook.create_sheet("What changed")
        sheet.append(["indicator", "breakdown", "year", "statistic", "area", "old", "new", "economies"])
        for change in model["changes"]:
            sheet.append(
                [
                    change["indicator"],
                    change["breakdown"],
                    change["year"],
                    change["statistic"],
                    change["area"],
                    change["old"],
                    change["new"],
                    " ".join(change["economies"]),
                ]
            )
    workbook.save(path)
    return path
