"""Per-economy submission templates: an XLSX workbook (openpyxl) and the same rows as CSV.

The workbook has an Instructions sheet, a Data sheet pre-filled with one row per
indicator and allowed breakdown (drop-downs for breakdown and unit), and a hidden
``_meta`` sheet (economy, year, plan, template version) that collection checks.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from smewg.core.catalogue import Catalogue, Indicator
from smewg.core.economies import Economy
from smewg.core.settings import Settings
from smewg.core.submission_format import (
    CSV_COLUMNS,
    DATA_SHEET,
    META_SHEET,
    NO_DATA_NOTES,
    TEMPLATE_COLUMNS,
    TEMPLATE_VERSION,
    currency_codes,
    unit_for_kind,
)

INSTRUCTIONS = """\
SMEWG Strategic Plan {plan_title}: KPI submission for {economy} ({code}), reference year {year}

1. Fill in the 'value' column of the Data sheet. Do not add, remove or rename columns.
2. Counts are whole numbers; percents are 0-100 (write 12.5, not 12.5% or 0.125);
   amounts are money values in the currency of the 'unit' column (an ISO 4217 code,
   pre-filled with {currency}; change it if you report in another currency).
3. Where you have no figure, leave 'value' empty and say why in 'note'
   (for example: {no_data}). That counts as an answer.
4. A breakdown (women, youth, ...) must not exceed its total.
5. Type numbers, not formulas. Do not change the hidden _meta sheet.
6. Save the file and put it in the inbox folder {code} of cycle {year}.
   Sending a corrected file later replaces this one; earlier versions are kept.
"""


@dataclass(frozen=True)
class TemplateRow:
    economy: str
    year: int
    indicator: Indicator
    breakdown: str
    unit: str

    def as_template(self) -> list:
        return [
            self.economy,
            self.year,
            self.indicator.id,
            self.indicator.name,
            self.indicator.kind,
            self.breakdown,
            None,
            self.unit,
            None,
        ]

    def as_csv(self) -> list:
        return [self.economy, self.year, self.indicator.id, self.breakdown, "", self.unit, ""]


def template_rows(catalogue: Catalogue, economy: Economy, year: int) -> list[TemplateRow]:
    return [
        TemplateRow(economy.code, year, indicator, breakdown, unit_for_kind(indicator.kind, economy.currency))
        for indicator in catalogue.plan.all_indicators()
        for breakdown in indicator.breakdowns
    ]


def _add_list_validation(sheet, column: str, rows: list[int], source: str, prompt: str) -> None:
    validation = DataValidation(
        type="list",
        formula1=source,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not allowed",
        error=prompt,
        promptTitle="Choose",
        prompt=prompt,
    )
    sheet.add_data_validation(validation)
    for row in rows:
        validation.add(f"{column}{row}")


def write_xlsx(path: Path, catalogue: Catalogue, economy: Economy, year: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    template_workbook(catalogue, economy, year).save(path)


def template_workbook(catalogue: Catalogue, economy: Economy, year: int) -> Workbook:
    """The economy's template for ``year`` as an openpyxl workbook (not yet saved)."""
    rows = template_rows(catalogue, economy, year)
    workbook = Workbook()
    instructions = workbook.active
    instructions.title = "Instructions"
    text = INSTRUCTIONS.format(
        plan_title=catalogue.plan.title,
        economy=economy.name,
        code=economy.code,
        year=year,
        currency=economy.currency,
        no_data=", ".join(f'"{n}"' for n in NO_DATA_NOTES[:2]),
    )
    for number, line in enumerate(text.splitlines(), start=1):
        instructions.cell(row=number, column=1, value=line)
    instructions["A1"].font = Font(bold=True, size=13)
    instructions.column_dimensions["A"].width = 110

    data = workbook.create_sheet(DATA_SHEET)
    data.append(list(TEMPLATE_COLUMNS))
    for cell in data[1]:
        cell.font = Font(bold=True)
    for row in rows:
        data.append(row.as_template())
    grey = PatternFill("solid", fgColor="EEEEEE")
    for row in data.iter_rows(min_row=2, max_col=6):
        for cell in row:
            cell.fill = grey  # pre-filled: do not edit
    for column, width in zip("ABCDEFGHI", (9, 6, 9, 70, 9, 14, 16, 8, 40)):
        data.column_dimensions[column].width = width
    data.freeze_panes = "A2"

    # Lists for the drop-downs live on the hidden sheet, one column per list.
    meta = workbook.create_sheet(META_SHEET)
    for key, value in (
        ("economy", economy.code),
        ("year", year),
        ("plan", catalogue.plan.id),
        ("template_version", TEMPLATE_VERSION),
    ):
        meta.append([key, value])
    currencies = sorted(currency_codes())
    for offset, value in enumerate(currencies, start=1):
        meta.cell(row=offset, column=4, value=value)
    breakdown_sets: dict[tuple[str, ...], list[int]] = {}
    unit_rows: dict[str, list[int]] = {"count": [], "percent": [], "amount": []}
    for number, row in enumerate(rows, start=2):
        breakdown_sets.setdefault(row.indicator.breakdowns, []).append(number)
        unit_rows[row.indicator.kind].append(number)
    for position, (allowed, numbers) in enumerate(sorted(breakdown_sets.items()), start=6):
        letter = meta.cell(row=1, column=position).column_letter
        for offset, value in enumerate(allowed, start=1):
            meta.cell(row=offset, column=position, value=value)
        _add_list_validation(
            data, "F", numbers, f"{META_SHEET}!${letter}$1:${letter}${len(allowed)}", f"One of: {', '.join(allowed)}"
        )
    _add_list_validation(data, "H", unit_rows["count"], '"count"', "count")
    _add_list_validation(data, "H", unit_rows["percent"], '"percent"', "percent")
    _add_list_validation(
        data, "H", unit_rows["amount"], f"{META_SHEET}!$D$1:$D${len(currencies)}", "An ISO 4217 currency code, e.g. USD"
    )
    meta.sheet_state = "hidden"
    workbook.active = 1
    return workbook


def write_csv(path: Path, catalogue: Catalogue, economy: Economy, year: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(row.as_csv() for row in template_rows(catalogue, economy, year))


def write_templates(
    settings: Settings, catalogue: Catalogue, year: int, economies: list[str] | None = None
) -> list[dict[str, str]]:
    """Write the XLSX and CSV template of each economy (all of the plan's by default)."""
    written = []
    for economy in catalogue.participating():
        if economies and economy.code not in economies:
            continue
        xlsx = settings.template_file(year, economy.code)
        write_xlsx(xlsx, catalogue, economy, year)
        csv_path = xlsx.with_suffix(".csv")
        write_csv(csv_path, catalogue, economy, year)
        written.append({"economy": economy.code, "xlsx": str(xlsx), "csv": str(csv_path)})
    return written
