"""Read one submission file (XLSX template or CSV) into the long format.

Structural faults reject the whole file with :class:`SubmissionRejected`: unreadable or
not UTF-8, wrong columns, empty, wrong year, another economy's rows, too large. Row
faults found while reading (formulas, numbers whose format is ambiguous) become row
problems; everything else about rows is judged by the Great Expectations suite.

Numbers are normalised only where the reading is certain: "1,234,567", "1,234.5" and
"1 234" lose their separators, "1,234" too for counts (which are whole), and "12%" is 12
for percent indicators. "1.234,5" or "1,5" are refused with a message, never guessed.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from smewg.core.economies import EconomyRegistry, UnknownEconomy
from smewg.core.submission_format import CSV_COLUMNS, DATA_SHEET, META_SHEET, TEMPLATE_INFO_COLUMNS
from smewg.work.numbers import PLAIN_NUMBER, normalise_number


class SubmissionRejected(ValueError):
    """The whole file is refused. ``str()`` is the message for the economy."""

    def __init__(self, message: str, *, row: int | None = None, field: str | None = None):
        self.row, self.field = row, field
        super().__init__(message)


@dataclass
class ParsedSubmission:
    frame: pd.DataFrame
    """Columns: row, economy, year, indicator, breakdown, raw_value, value_text, value, unit, note."""
    file_format: str
    problems: list[dict] = field(default_factory=list)
    """Row problems found while reading: {row, field, severity, message}."""


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if np.isnan(value) else repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).strip()


@dataclass(frozen=True)
class _Texts:
    """A text column as codes into its distinct texts: each change is made once per distinct
    text, not once per row (codes, units and often values repeat a lot)."""

    codes: np.ndarray
    distinct: np.ndarray

    @classmethod
    def of(cls, column: pd.Series, *, strip: bool = True) -> _Texts:
        """A column's texts (a missing cell as ""), with surrounding spaces removed if ``strip``.

        (Reading a CSV as categories would give the codes for free, but pandas then reads a
        column of numbers as numbers: "007" and "5.50" would not be kept as typed.)
        """
        codes, uniques = pd.factorize(column.astype(str), use_na_sentinel=False)
        texts = [(t.strip() if strip else t) if isinstance(t, str) else "" for t in uniques]
        return cls(codes, np.array(texts, dtype=object))

    def rows(self, keep: np.ndarray) -> _Texts:
        """Only the rows ``keep`` selects, and only the distinct texts they hold (so that
        :meth:`numbers` infers its type from those rows' texts alone, as pandas would)."""
        codes = self.codes[keep]
        used = np.zeros(len(self.distinct), dtype=bool)
        used[codes] = True
        return _Texts((np.cumsum(used) - 1)[codes], self.distinct[used])

    def changed(self, change) -> _Texts:
        return _Texts(self.codes, np.array([change(t) for t in self.distinct], dtype=object))

    def test(self, predicate) -> np.ndarray:
        return np.array([bool(predicate(t)) for t in self.distinct], dtype=bool)[self.codes]

    def numbers(self) -> np.ndarray:
        """Each row's text as a number (``pd.to_numeric``, NaN where it is none)."""
        return pd.to_numeric(pd.Series(self.distinct, dtype=object), errors="coerce").to_numpy()[self.codes]

    def values(self) -> np.ndarray:
        return self.distinct[self.codes]

    def series(self, index: pd.Index) -> pd.Series:
        return pd.Series(self.values(), index=index, dtype="str")


def _shown_value(cell):
    """A cell's value as the person typed it: a number formatted as a percentage (Excel
    stores 12.5% as 0.125) comes back as "12.5%", for the percent rules to judge."""
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
        return f"{round(value * 100, 10):g}%"
    return value


def decode_text(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise SubmissionRejected(
            f"{path.name} is not UTF-8 text (byte 0x{raw[error.start]:02x} on line {line}); "
            "save it as 'CSV UTF-8' and send it again",
            row=line,
        ) from None


MAX_COLUMNS = 50
"""A header with more cells than this is not the template's (the template has 11 columns)."""
MAX_UNPACKED_FACTOR = 20
"""An .xlsx may unpack to at most this many times the submission size limit (zip bombs)."""
MAX_SHARED_STRINGS_BYTES = 32_000_000
"""A workbook's text cells (its shared strings) unpacked: ~200 MB of memory to read
(bench/xlsx_memory.py); a submission's codes, units and notes take a few KB."""


def _check_columns(columns: list[str], allowed_extra: tuple[str, ...], path: Path) -> None:
    if len(columns) == 1 and ";" in columns[0]:
        raise SubmissionRejected(f"{path.name} uses ';' between columns; use commas (CSV UTF-8)", row=1)
    if len(columns) > MAX_COLUMNS:
        raise SubmissionRejected(
            f"{path.name} header row has {len(columns):,} columns; the columns must be {','.join(CSV_COLUMNS)}", row=1
        )
    known = set(CSV_COLUMNS) | set(allowed_extra)
    missing = [c for c in CSV_COLUMNS if c not in columns]
    unexpected = [c for c in columns if c not in known]
    duplicated = sorted(c for c, n in Counter(columns).items() if n > 1)
    problems = []
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected column(s): {', '.join(unexpected)}")
    if duplicated:
        problems.append(f"repeated column(s): {', '.join(duplicated)}")
    if problems:
        raise SubmissionRejected(
            f"{path.name} header row: {'; '.join(problems)}. The columns must be {','.join(CSV_COLUMNS)}", row=1
        )


def _read_csv(raw: bytes, path: Path) -> pd.DataFrame:
    text = decode_text(raw, path)
    if not text.strip():
        raise SubmissionRejected(f"{path.name} is empty")
    # The header is checked as written (pandas would rename a repeated column).
    first_line = text.split("\n", 1)[0]
    if len(first_line) > MAX_COLUMNS * 100:  # read no further: a header is a few hundred characters
        raise SubmissionRejected(
            f"{path.name} header row is {len(first_line):,} characters long; the columns must be {','.join(CSV_COLUMNS)}", row=1
        )
    header = next(csv.reader(io.StringIO(first_line)), [])
    columns = [c.strip().lower() for c in header]
    _check_columns(columns, (), path)
    try:
        # Blank lines are kept so that row numbers are those a spreadsheet shows; dropped below.
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False)
    except pd.errors.ParserError as error:
        raise SubmissionRejected(f"{path.name} cannot be read as CSV: {error}") from None
    frame.columns = columns
    # Line numbers as a person sees them in a text editor: header is line 1.
    frame.insert(0, "row", np.arange(2, len(frame) + 2, dtype=np.int64))
    return frame


_SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _shared_strings_parts(archive: zipfile.ZipFile) -> set[str]:
    """The parts ``[Content_Types].xml`` declares as shared strings (openpyxl finds them by
    content type, so a renamed part is still read whole)."""
    try:
        with archive.open("[Content_Types].xml") as manifest:
            text = manifest.read(1_000_000).decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError):
        return set()
    parts = set()
    for override in re.findall(r"<Override\b[^>]*>", text):
        if _SHARED_STRINGS_TYPE in override:
            name = re.search(r'PartName="/?([^"]+)"', override)
            if name:
                parts.add(name.group(1))
    return parts


def check_unpacked_size(data: bytes, path: Path, limit: int) -> None:
    """Refuse a workbook whose parts unpack to more than ``limit`` bytes, or whose shared
    strings (held in memory whole by openpyxl, ~6 bytes of memory per byte of XML) pass
    :data:`MAX_SHARED_STRINGS_BYTES`, before reading it: a few MB of zip can hold gigabytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            shared_parts = _shared_strings_parts(archive)
    except zipfile.BadZipFile:
        return  # openpyxl says what is wrong with it
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limit:
        raise SubmissionRejected(
            f"{path.name} unpacks to {unpacked / 1e6:,.0f} MB, over the {limit / 1e6:,.0f} MB limit for a workbook; "
            "send the template as .xlsx with the data only, or as a CSV UTF-8 file"
        )
    shared = sum(
        entry.file_size
        for entry in entries
        if entry.filename.lower().endswith("sharedstrings.xml") or entry.filename in shared_parts
    )
    if shared > MAX_SHARED_STRINGS_BYTES:
        raise SubmissionRejected(
            f"{path.name} holds {shared / 1e6:,.0f} MB of text cells, over the {MAX_SHARED_STRINGS_BYTES / 1e6:,.0f} MB "
            "limit for a workbook; send the template with the data only, or as a CSV UTF-8 file"
        )


def _read_xlsx(data: bytes, path: Path, max_bytes: int = 20_000_000) -> tuple[pd.DataFrame, dict[str, str], list[dict]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_unpacked_size(data, path, MAX_UNPACKED_FACTOR * max_bytes)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SubmissionRejected(
            f"{path.name} cannot be opened as an Excel workbook ({error.__class__.__name__}); "
            "send the template as .xlsx or a CSV UTF-8 file"
        ) from None
    try:
        if DATA_SHEET not in workbook.sheetnames:
            raise SubmissionRejected(f"{path.name} has no '{DATA_SHEET}' sheet; use the template for your economy")
        meta = {}
        if META_SHEET in workbook.sheetnames:
            for row in workbook[META_SHEET].iter_rows(min_col=1, max_col=2, values_only=True):
                if row[0] is not None:
                    meta[str(row[0])] = _cell_text(row[1])
        rows = workbook[DATA_SHEET].iter_rows()
        header = next(rows, None)
        if header is None:
            raise SubmissionRejected(f"{path.name} is empty")
        columns = [_cell_text(c.value).lower() for c in header]
        while columns and columns[-1] == "":
            columns.pop()
        _check_columns(columns, TEMPLATE_INFO_COLUMNS, path)
        records, problems = [], []
        value_index, note_index = columns.index("value"), columns.index("note")
        for number, row_cells in enumerate(rows, start=2):
            cells = [_shown_value(c) for c in row_cells[: len(columns)]] + [None] * (len(columns) - len(row_cells))
            # The template pre-fills every indicator row: one left without a value or a note
            # was not answered (a missing indicator), not a row in error.
            if _cell_text(cells[value_index]) == "" and _cell_text(cells[note_index]) == "":
                continue
            value = cells[value_index]
            if isinstance(value, str) and value.startswith("="):
                problems.append(
                    {
                        "row": number,
                        "field": "value",
                        "severity": "error",
                        "message": f"contains a formula ({value[:40]}); type the number instead",
                    }
                )
            records.append([number, *(_cell_text(c) for c in cells)])
    finally:
        workbook.close()
    frame = pd.DataFrame(records, columns=["row", *columns]).astype({"row": np.int64})
    return frame.drop(columns=[c for c in TEMPLATE_INFO_COLUMNS if c in frame.columns]), meta, problems


def parse_submission(
    path: Path,
    *,
    economy: str,
    year: int,
    registry: EconomyRegistry,
    kinds: Mapping[str, str],
    max_bytes: int,
    data: bytes | None = None,
) -> ParsedSubmission:
    """Read ``path`` (from ``economy``'s inbox folder of cycle ``year``) into the long format.

    ``data``: the file's bytes when already read (so what is parsed is what was checksummed).
    """
    size = len(data) if data is not None else path.stat().st_size
    if size > max_bytes:
        raise SubmissionRejected(f"{path.name} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit")
    suffix = path.suffix.lower()
    problems: list[dict] = []
    if suffix in (".csv", ".xlsx"):
        data = data if data is not None else path.read_bytes()
    if suffix == ".csv" and data is not None:
        frame, file_format = _read_csv(data, path), "csv"
    elif suffix == ".xlsx" and data is not None:
        frame, meta, problems = _read_xlsx(data, path, max_bytes)
        file_format = "xlsx"
        if meta.get("economy") and meta["economy"] != economy:
            raise SubmissionRejected(f"{path.name} is the template of {meta['economy']}, but it is in {economy}'s folder")
        if meta.get("year") and meta["year"] != str(year):
            raise SubmissionRejected(f"{path.name} is the template for {meta['year']}; this is the {year} cycle")
    else:
        raise SubmissionRejected(f"{path.name}: files of type '{suffix or '(none)'}' are not accepted; send .xlsx or .csv")

    texts = {column: _Texts.of(frame[column], strip=column != "value") for column in CSV_COLUMNS}
    kept = ~np.logical_and.reduce([t.test(lambda text: text == "") for t in texts.values()])
    frame = frame.loc[kept, ["row"]].copy()
    if frame.empty:
        raise SubmissionRejected(f"{path.name} has a header but no data rows")
    texts = {column: t.rows(kept) for column, t in texts.items()}
    for column in ("economy", "year", "indicator"):
        frame[column] = texts[column].series(frame.index)

    _check_economies(frame, economy, registry, path)
    frame = frame.assign(economy=economy)

    years = pd.Series(texts["year"].numbers(), index=frame.index)
    if not (years == year).any():
        found = sorted({str(y) for y in frame["year"].unique()})[:3]
        raise SubmissionRejected(f"{path.name} is for year {', '.join(found)}; this inbox is for the {year} cycle")
    frame["year"] = years

    frame["breakdown"] = texts["breakdown"].changed(lambda text: text.lower() or "total").series(frame.index)
    kind_of_row = frame["indicator"].map(kinds)
    # Currency codes are upper case, the kinds "count"/"percent" lower case; case is not an error.
    unit = texts["unit"]
    frame["unit"] = pd.Series(
        np.where(
            (kind_of_row == "amount").to_numpy(),
            unit.changed(lambda text: text.upper() or None).values(),
            unit.changed(lambda text: text.lower() or None).values(),
        ),
        index=frame.index,
        dtype="str",
    )
    frame["note"] = texts["note"].changed(lambda text: text or None).series(frame.index)
    value = texts["value"]
    frame["raw_value"] = value.changed(lambda text: text or None).series(frame.index)
    value_text = value.series(frame.index)
    # Only cells that are not plain numbers need a closer look (a handful in real files).
    given = value.test(lambda text: text != "")
    odd = pd.Series(given & ~value.test(PLAIN_NUMBER.match), index=frame.index)
    numeric = ~odd & given
    already = {(p["row"], p["field"]) for p in problems}
    for index in frame.index[odd]:
        text, message = normalise_number(value_text.at[index], kind_of_row.at[index])
        value_text.at[index] = text
        numeric.at[index] = message is None and text != ""  # a cell of spaces is an empty cell
        row = int(frame.at[index, "row"])
        if message and (row, "value") not in already:
            problems.append({"row": row, "field": "value", "severity": "error", "message": message})
    frame["value_text"] = value_text.replace("", None)
    if (odd & numeric).any():  # texts normalised above, row by row
        values = pd.to_numeric(value_text.where(numeric), errors="coerce")
    else:
        values = pd.Series(value.numbers(), index=frame.index).where(numeric)
    # A plain number that does not fit a float (1e400, 5,000 nines) comes back infinite or
    # empty: quarantined with a message, never stored as an accepted row without a value.
    unusable = numeric.to_numpy() & ~np.isfinite(values.to_numpy(dtype="float64", na_value=np.nan))
    for index in frame.index[unusable]:
        row = int(frame.at[index, "row"])
        problems.append(
            {
                "row": row,
                "field": "value",
                "severity": "error",
                "message": f"'{_shown(value_text.at[index])}' is too large to be a figure",
            }
        )
    frame["value"] = values.where(~unusable)
    columns = ["row", "economy", "year", "indicator", "breakdown", "raw_value", "value_text", "value", "unit", "note"]
    return ParsedSubmission(frame[columns].reset_index(drop=True), file_format, problems)


def _shown(text: str, limit: int = 40) -> str:
    """A cell quoted in a message: a 5,000-digit value is not repeated whole."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _check_economies(frame: pd.DataFrame, economy: str, registry: EconomyRegistry, path: Path) -> None:
    for text in frame["economy"].unique():
        first_row = int(frame.loc[frame["economy"] == text, "row"].iloc[0])
        if text == "":
            raise SubmissionRejected(
                f"{path.name} row {first_row}, field economy: empty; write {economy}", row=first_row, field="economy"
            )
        try:
            named = registry.resolve(text)
        except UnknownEconomy as error:
            raise SubmissionRejected(
                f"{path.name} row {first_row}, field economy: {error}", row=first_row, field="economy"
            ) from None
        if named.code != economy:
            raise SubmissionRejected(
                f"{path.name} row {first_row}, field economy: names {named.name} ({named.code}) but the file is in "
                f"{economy}'s folder; an economy can only submit its own data",
                row=first_row,
                field="economy",
            )
