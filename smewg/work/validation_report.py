"""The validation report of one submitted file: a self-contained HTML page for the economy.

Linked from the acknowledgement: what was accepted, every problem with its row, field and
what to do, and the suite's rules with their outcome for this file, in plain words. Every
text that came from the file (cells, its name) is escaped by Jinja2's autoescape; the page
needs no network (no scripts, no CDN).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from smewg.work.html_pages import page_template
from smewg.work.quality import Validation
from smewg.work.submissions import Outcome

MAX_PROBLEMS = 2_000
"""A file with more problems lists the first ones (a 1M-row file could have a million)."""


def write_validation_report(
    path: Path,
    validation: Validation,
    outcome: Outcome,
    *,
    economy_name: str,
    year: int,
    received: datetime,
    frame: pd.DataFrame | None = None,
    indicator_names: dict[str, str] | None = None,
) -> Path:
    """Write the page of the stored ``outcome`` to ``path`` (its folders made) and return ``path``.

    ``frame`` (the parsed rows) puts each problem beside its row as written: indicator (with
    its name from ``indicator_names``), breakdown and value."""
    stats = validation.statistics
    if outcome.status == "rejected":
        verdict = "rejected: nothing of this file is used; data accepted before stays in use"
    elif outcome.rows_quarantined:
        verdict = "accepted in part"
    else:
        verdict = "accepted"
    page: dict[str, Any] = {
        "file": outcome.file,
        "economy": outcome.economy,
        "economy_name": economy_name,
        "year": year,
        "received": f"{received:%d %B %Y %H:%M} UTC",
        "version": outcome.version,
        "verdict": verdict,
        "rows": f"{stats['rows']:,}",
        "rows_accepted": f"{outcome.rows_accepted:,}",
        "rows_flagged": f"{outcome.rows_flagged:,}",
        "rows_quarantined": f"{outcome.rows_quarantined:,}",
        "problems": _beside_rows(outcome.problems[:MAX_PROBLEMS], frame, indicator_names or {}),
        "problems_total": len(outcome.problems),
        "rules": validation.rules,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page_template("validation.html.j2").render(page), encoding="utf-8")
    return path


def _beside_rows(problems: list[dict[str, Any]], frame: pd.DataFrame | None, names: dict[str, str]) -> list[dict[str, Any]]:
    """Each problem with its row's indicator, breakdown and value as the file has them."""
    if frame is None or frame.empty:
        return problems
    rows = frame.set_index("row")
    shown = []
    for problem in problems:
        row = problem.get("row")
        if row is None or row not in rows.index:
            shown.append(problem)
            continue
        cells = rows.loc[row]
        indicator = "" if pd.isna(cells["indicator"]) else str(cells["indicator"])
        written = cells.get("raw_value", cells.get("value_text"))
        shown.append(
            {
                **problem,
                "indicator": indicator,
                "indicator_name": names.get(indicator, ""),
                "breakdown": "" if pd.isna(cells["breakdown"]) else str(cells["breakdown"]),
                "written": "" if written is None or pd.isna(written) else str(written),
            }
        )
    return shown
