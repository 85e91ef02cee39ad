"""Exports of a rollup snapshot: SDMX-CSV 1.0, CSV and XLSX (one sheet per priority area).

SDMX-CSV has exactly the columns and vocabulary of SPEC section 7: one row per
economy's value (``REF_AREA`` the economy, ``STATISTIC`` ``VALUE``, amounts in their
reported currency) and per aggregate (``REF_AREA`` ``APEC``; ``N_REPORTING``, ``SUM``,
``MEAN``, ``MEDIAN``; sums of amounts in USD). CSV and XLSX hold the same figures plus the
changes, coverage and the names a reader needs.

Text cells that a spreadsheet would run as a formula (starting ``=``, ``+``, ``-``, ``@``,
tab or carriage return) are prefixed with ``'`` (OWASP's advice for CSV injection).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from smewg.core.catalogue import Plan
from smewg.core.cycle import CycleContext
from smewg.core.settings import Settings
from smewg.core.store import session_scope
from smewg.core.store.models import RollupSnapshotRow
from smewg.work.rollup import snapshot_figures

SDMX_COLUMNS = ["DATAFLOW", "FREQ", "REF_AREA", "INDICATOR", "BREAKDOWN", "STATISTIC", "TIME_PERIOD", "OBS_VALUE", "UNIT_MEASURE"]
SDMX_STATISTICS = ("VALUE", "N_REPORTING", "SUM", "MEAN", "MEDIAN")
DATAFLOW = "APEC:SMEWG_KPI(1.0)"
FORMATS = ("sdmx-csv", "csv", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell that cannot run as a spreadsheet formula, and that a workbook can hold:
    control characters XML forbids (an escape sequence in a note, say) become U+FFFD, where
    openpyxl would refuse the whole workbook."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells neutralised; object columns keep their values' own types (105 stays 105)."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object or str(out[name].dtype) == "str":
            out[name] = pd.Series([neutralise(v) for v in out[name]], index=out.index, dtype=object)
    return out


def sdmx_frame(figures: pd.DataFrame) -> pd.DataFrame:
    rows = figures[figures["statistic"].isin(SDMX_STATISTICS)]
    ref_area = [
        economies[0] if statistic == "VALUE" else "APEC" for statistic, economies in zip(rows["statistic"], rows["economies"])
    ]
    frame = pd.DataFrame(
        {
            "DATAFLOW": DATAFLOW,
            "FREQ": "A",
            "REF_AREA": ref_area,
            "INDICATOR": rows["indicator"].to_numpy(),
            "BREAKDOWN": rows["breakdown"].str.upper().to_numpy(),
            "STATISTIC": rows["statistic"].to_numpy(),
            "TIME_PERIOD": rows["year"].astype(int).to_numpy(),
            "OBS_VALUE": rows["value"].to_numpy(),
            "UNIT_MEASURE": rows["unit"].str.upper().to_numpy(),
        },
        columns=SDMX_COLUMNS,
    )
    return frame.sort_values(["INDICATOR", "BREAKDOWN", "REF_AREA", "STATISTIC"], kind="stable").reset_index(drop=True)


def readable_frame(figures: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Figures with names, for people: one row per figure, economies as a list."""
    names = {i.id: i.name for i in plan.all_indicators()}
    names |= {o.id: f"Objective: {o.title}" for o in plan.objectives()}
    names |= {p.id: f"Priority area: {p.title}" for p in plan.priorities} | {"G": "General indicators"}
    frame = figures.assign(
        name=figures["indicator"].map(names),
        ref_area=[e[0] if s == "VALUE" else "APEC" for s, e in zip(figures["statistic"], figures["economies"])],
        economies=figures["economies"].map(lambda codes: " ".join(codes)),
    )
    # Plan order of indicators (as computed), then the APEC figures before each economy's value, by code.
    frame = frame.assign(_order=range(len(frame)), _value=(frame["statistic"] == "VALUE"))
    first = frame.groupby(["indicator", "breakdown"], sort=False)["_order"].transform("min")
    frame = frame.assign(_group=first).sort_values(["_group", "_value", "ref_area", "_order"], kind="stable")
    people = [_for_people(v, s, u) for v, s, u in zip(frame["value"], frame["statistic"], frame["unit"], strict=True)]
    frame = frame.assign(value=pd.Series(people, index=frame.index, dtype=object))  # 105, not 105.0
    return frame[["year", "indicator", "name", "breakdown", "ref_area", "statistic", "value", "unit", "economies"]]


WHOLE_NUMBERS = {"N_REPORTING", "N_NO_DATA", "INDICATORS_WITH_DATA"}


def _for_people(value: Any, statistic: str, unit: str | None) -> Any:
    """A figure at the precision people read it (the SDMX file keeps full precision):
    counts whole, sums in USD in whole dollars, means, medians and coverage to 2 decimals,
    changes to 1 decimal (percent) or 2 (percentage points); an economy's own value as sent,
    a count as a whole number."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if statistic in WHOLE_NUMBERS or unit == "count" or (statistic == "SUM" and unit == "USD"):
        return int(round(value))
    if statistic == "VALUE":
        return value
    if statistic.startswith("CHANGE_"):
        return round(value, 2 if unit == "pp" else 1)
    return round(value, 2)


def sheet_title(text: str, limit: int = 31) -> str:
    """An Excel sheet name (at most 31 characters, no ``[]:*?/\\``) cut at a word, not inside one."""
    text = " ".join("".join(" " if c in "[]:*?/\\" else c for c in text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rstrip(" ,;-")
    cut = cut[: cut.rfind(" ")].rstrip(" ,;-") if " " in cut else cut
    return cut + "…"


FILE_SUFFIX = {"sdmx-csv": "sdmx.csv", "csv": "csv", "xlsx": "xlsx"}


def export_path(settings: Settings, year: int, snapshot_id: int, fmt: str) -> Path:
    """Where a snapshot's export goes: ``$SMEWG_HOME/outputs/exports/<year>/smewg-kpi-<year>-s<id>.<suffix>``."""
    return settings.exports_dir / str(year) / f"smewg-kpi-{year}-s{snapshot_id}.{FILE_SUFFIX[fmt]}"


def export_snapshot(context: CycleContext, snapshot_id: int) -> dict[str, Any]:
    """Write the snapshot's SDMX-CSV, CSV and XLSX files; return their paths and the headline table."""
    with session_scope(context.engine) as session:
        figures = snapshot_figures(session, snapshot_id)
        snapshot = session.get(RollupSnapshotRow, snapshot_id)
        assert snapshot is not None, f"snapshot {snapshot_id} is not in the store"
        details = snapshot.details
    files = {
        fmt: str(
            write_export(
                figures,
                context.catalogue.plan,
                fmt,
                export_path(context.settings, context.year, snapshot_id, fmt),
                details.get("analytics"),
            )
        )
        for fmt in FORMATS
    }
    headline = figures[(figures["breakdown"] == "total") & figures["statistic"].isin(["N_REPORTING", "SUM", "MEAN"])]
    table = [
        {
            "indicator": r.indicator,
            "statistic": r.statistic,
            "value": None if pd.isna(r.value) else round(r.value, 2),
            "unit": r.unit,
        }
        for r in headline.itertuples()
    ]
    return {"files": files, "table": table, "analytics": details.get("analytics", {}).get("overall", {})}


def write_export(figures: pd.DataFrame, plan: Plan, fmt: str, out: Path, analytics: dict | None = None) -> Path:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "sdmx-csv":
        _neutralise_frame(sdmx_frame(figures)).to_csv(out, index=False, encoding="utf-8")
    elif fmt == "csv":
        _neutralise_frame(readable_frame(figures, plan)).to_csv(out, index=False, encoding="utf-8")
    else:
        _write_xlsx(readable_frame(figures, plan), plan, out, analytics)
    return out


def _priority_of(indicator: str) -> str:
    return "G" if indicator.startswith("G") else indicator.split(".")[0]


def _write_xlsx(frame: pd.DataFrame, plan: Plan, out: Path, analytics: dict | None) -> None:
    """Write-only mode: rows are streamed to the file, not kept as cell objects (linear, flat memory)."""
    workbook = Workbook(write_only=True)
    sheets = [(p.id, sheet_title(f"P{p.id} {p.title}")) for p in plan.priorities] + [("G", "General indicators")]
    bold = Font(bold=True)
    for key, title in sheets:
        sheet = workbook.create_sheet(title)
        sheet.freeze_panes = "A2"
        for column, width in zip("ABCDEFGHI", (6, 9, 60, 14, 9, 16, 16, 10, 40), strict=False):
            sheet.column_dimensions[column].width = width
        part = frame[frame["indicator"].map(_priority_of) == key]
        value_at = list(part.columns).index("value")
        sheet.append([_bold(sheet, name, bold) for name in part.columns])
        for row in part.itertuples(index=False):
            cells = [neutralise(None if isinstance(v, float) and pd.isna(v) else v) for v in row]
            cells[value_at] = _number(sheet, cells[value_at])
            sheet.append(cells)
    if analytics:
        sheet = workbook.create_sheet("Cycle analytics")
        columns = list(analytics["per_economy"][0]) if analytics["per_economy"] else []
        sheet.append(columns)
        for row in analytics["per_economy"]:
            sheet.append([neutralise(row[c]) for c in columns])
        sheet.append([])
        for key, value in analytics["overall"].items():
            sheet.append([key, value])
    workbook.save(out)


def _number(sheet, value: Any) -> Any:
    """A figure with a number format: thousands separators, decimals only where it has them."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = "#,##0" if float(value).is_integer() else "#,##0.0#"
    return cell


def _bold(sheet, value: Any, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell
