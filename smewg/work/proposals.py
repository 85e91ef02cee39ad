"""Reading a project session's files (SPEC section 8): the proposals (CSV or the XLSX
template) and the economies' scoring sheets (``scores-<ECONOMY>.csv``).

Every problem names the file, the row (the header is row 1) and the field. A problem
with one row refuses that proposal or score only; a problem with the file as a whole
(unreadable, a missing column) refuses that file only: nothing else of the session is
lost. A proposal with fewer co-sponsors than the rubric asks is kept and listed as not
eligible.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from smewg.core.catalogue import Plan
from smewg.core.economies import EconomyRegistry, UnknownEconomy
from smewg.core.rubric import Rubric
from smewg.work.formatting import counted
from smewg.work.numbers import COMMA_GROUPS, PLAIN_NUMBER
from smewg.work.parse import MAX_COLUMNS, MAX_UNPACKED_FACTOR, SubmissionRejected, check_unpacked_size, decode_text

COLUMNS = (
    "id",
    "title",
    "economy",
    "co_sponsors",
    "session",
    "stage",
    "objectives",
    "summary",
    "budget_usd",
    "funding_source",
    "start",
    "end",
)
REQUIRED = ("id", "title", "economy", "session", "stage", "summary")
"""Fields a proposal cannot be read without; the others may be empty."""
STAGES = ("concept_note", "proposal")
SCORE_COLUMNS = ("proposal", "criterion", "score")
SHEET = "Proposals"
"""The template's sheet of proposals (another workbook: its first sheet)."""
SESSION = re.compile(r"^[0-9]{4}[AB]$")
PROPOSAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/()-]*$")
"""APEC's ids (``SME 07 2021A``): letters, digits, spaces and ``._/()-``, never a formula or markup."""
TEXT_LIMITS = {"id": 40, "title": 300, "summary": 10_000, "funding_source": 200}
SCORES_FILE = re.compile(r"^scores-(?P<economy>.+)\.csv$", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    field: str | None
    message: str
    refused: bool = True
    """False: the proposal is kept but listed as not eligible (too few co-sponsors)."""

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.file, f"row {self.row}" if self.row else "", self.field or "") if part)
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "field": self.field, "message": self.message, "refused": self.refused}


@dataclass(frozen=True)
class Proposal:
    id: str
    title: str
    economy: str
    co_sponsors: tuple[str, ...]
    session: str
    stage: str
    objectives: tuple[str, ...]
    summary: str
    budget_usd: float | None
    funding_source: str
    start: date | None
    end: date | None
    file: str
    row: int


@dataclass(frozen=True)
class Score:
    economy: str
    proposal: str
    criterion: str
    score: float
    file: str
    row: int


@dataclass
class SessionFiles:
    session: str
    proposals: list[Proposal] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    """Names of the files read (proposals and scoring sheets), refused ones included."""


def session_name(text: str) -> str:
    """``2021a`` -> ``2021A``; anything but a year and A or B is refused with the format."""
    name = text.strip().upper()
    if not SESSION.match(name):
        raise ValueError(f"{text!r} is not a project session; write the year and A or B, e.g. 2021A")
    return name


class _Refused(ValueError):
    """One field of one row cannot be used; the message says what to write instead."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_of_csv(raw: bytes, path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(decode_text(raw, path), newline="")))


def _rows_of_xlsx(raw: bytes, path: Path, max_bytes: int) -> list[list[str]]:
    from openpyxl import load_workbook

    check_unpacked_size(raw, path, MAX_UNPACKED_FACTOR * max_bytes)
    workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    try:
        sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
        # The columns the files have, and some: a sheet whose dimension reaches column XFD
        # would otherwise give 16,384 cells a row.
        return [[_text(cell) for cell in row] for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)]
    finally:
        workbook.close()


def read_table(path: Path, max_bytes: int) -> list[list[str]]:
    """The file's rows as text (header first); ``ValueError`` saying what is wrong with it."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"{size:,} bytes, over the {max_bytes:,}-byte limit")
    raw = path.read_bytes()
    try:
        if path.suffix.lower() == ".xlsx":
            return _rows_of_xlsx(raw, path, max_bytes)
        return _rows_of_csv(raw, path)
    except SubmissionRejected as error:
        raise ValueError(str(error)) from error
    except csv.Error as error:
        raise ValueError(f"not a readable CSV file ({error})") from error
    except Exception as error:  # openpyxl's zip and XML errors: the file is not a workbook it can read
        if path.suffix.lower() == ".xlsx":
            raise ValueError(f"not a readable .xlsx workbook ({type(error).__name__}: {error})") from error
        raise


def _header(rows: list[list[str]], expected: tuple[str, ...], required: tuple[str, ...]) -> dict[str, int]:
    """Column positions by name; ``ValueError`` naming every required column that is missing."""
    if not rows:
        raise ValueError("the file is empty; the first row must name the columns: " + ",".join(expected))
    names = [cell.strip().lower() for cell in rows[0]]
    positions = {name: position for position, name in enumerate(names) if name in expected}
    missing = [name for name in required if name not in positions]
    if missing:
        others = [name for name in names if name and name not in expected]
        extra = f" (the file has {', '.join(repr(o) for o in others)})" if others else ""
        raise _Refused(
            missing[0],
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}{extra}; the columns are {','.join(expected)}",
        )
    return positions


def _list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,]", text) if part.strip()]


def _date(name: str, text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10] if len(text) > 10 and text[10] == "T" else text)
    except ValueError:
        raise _Refused(name, f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2022-03-31") from None


def _budget(text: str) -> float | None:
    if not text:
        return None
    plain = text.replace(",", "") if COMMA_GROUPS.match(text) else text
    if not PLAIN_NUMBER.match(plain) or float(plain) < 0:
        raise _Refused("budget_usd", f"{text!r} is not an amount in USD; write a plain number, e.g. 150000")
    return float(plain)


def _economy(registry: EconomyRegistry, plan: Plan, name: str, text: str) -> str:
    try:
        code = registry.resolve(text).code
    except UnknownEconomy as unknown:
        raise _Refused(name, str(unknown.args[0]) if unknown.args else str(unknown)) from None
    if code not in plan.economies:
        raise _Refused(name, f"{text!r} is not a member economy of the plan {plan.id}")
    return code


def _proposal(cells: dict[str, str], file: str, row: int, session: str, plan: Plan, registry: EconomyRegistry) -> Proposal:
    for name in REQUIRED:
        if not cells.get(name):
            raise _Refused(name, "empty; every proposal needs " + ", ".join(REQUIRED))
    for name, limit in TEXT_LIMITS.items():
        if len(cells.get(name, "")) > limit:
            raise _Refused(name, f"{len(cells[name]):,} characters, over the limit of {limit:,}")
    if not PROPOSAL_ID.match(cells["id"]):
        raise _Refused("id", f"{cells['id']!r} is not a proposal id; write it as APEC does, e.g. SME 07 {session}")
    try:
        written_session = session_name(cells["session"])
    except ValueError as error:
        raise _Refused("session", str(error)) from None
    if written_session != session:
        raise _Refused("session", f"{cells['session']!r}, but the file is in the folder of session {session}")
    stage = re.sub(r"[\s-]+", "_", cells["stage"].lower())
    if stage not in STAGES:
        raise _Refused("stage", f"{cells['stage']!r} is not a stage; write concept_note or proposal")
    objectives = {o.id for o in plan.objectives()}
    claimed = tuple(dict.fromkeys(_list(cells.get("objectives", ""))))
    for objective in claimed:
        if objective not in objectives:
            raise _Refused(
                "objectives",
                f"{objective!r} is not an objective of the plan; write ids like 2.1;3.2 ({', '.join(sorted(objectives))})",
            )
    economy = _economy(registry, plan, "economy", cells["economy"])
    co_sponsors = tuple(
        dict.fromkeys(
            code
            for code in (_economy(registry, plan, "co_sponsors", t) for t in _list(cells.get("co_sponsors", "")))
            if code != economy
        )
    )
    start, end = _date("start", cells.get("start", "")), _date("end", cells.get("end", ""))
    if start and end and end < start:
        raise _Refused("end", f"{end} comes before the start ({start})")
    return Proposal(
        id=" ".join(cells["id"].split()),
        title=cells["title"],
        economy=economy,
        co_sponsors=co_sponsors,
        session=session,
        stage=stage,
        objectives=claimed,
        summary=cells["summary"],
        budget_usd=_budget(cells.get("budget_usd", "")),
        funding_source=cells.get("funding_source", ""),
        start=start,
        end=end,
        file=file,
        row=row,
    )


def _cells(row: list[str], positions: dict[str, int]) -> dict[str, str]:
    return {name: (row[position].strip() if position < len(row) else "") for name, position in positions.items()}


def read_proposals(path: Path, into: SessionFiles, plan: Plan, registry: EconomyRegistry, rubric: Rubric, max_bytes: int) -> None:
    """Add the file's proposals (and its problems) to ``into``; a duplicate id keeps the first."""
    into.files.append(path.name)
    try:
        rows = read_table(path, max_bytes)
        positions = _header(rows, COLUMNS, REQUIRED + ("objectives",))
    except _Refused as refused:
        into.problems.append(Problem(path.name, 1, refused.field, f"file refused: {refused}"))
        return
    except ValueError as error:
        into.problems.append(Problem(path.name, None, None, f"file refused: {error}"))
        return
    seen = {p.id: p for p in into.proposals}
    for number, row in enumerate(rows[1:], start=2):
        cells = _cells(row, positions)
        if not any(cells.values()):
            continue  # blank lines between proposals
        try:
            proposal = _proposal(cells, path.name, number, into.session, plan, registry)
        except _Refused as refused:
            shown = " ".join(cells.get("id", "").split())[:40] or "?"
            into.problems.append(Problem(path.name, number, refused.field, f"{refused} (proposal {shown!r} refused)"))
            continue
        if proposal.id in seen:
            first = seen[proposal.id]
            into.problems.append(
                Problem(
                    path.name, number, "id", f"duplicate id {proposal.id!r}, already in {first.file} row {first.row}; refused"
                )
            )
            continue
        if len(proposal.co_sponsors) < rubric.min_co_sponsors:
            into.problems.append(
                Problem(
                    path.name,
                    number,
                    "co_sponsors",
                    f"{counted(len(proposal.co_sponsors), 'co-sponsoring economy')}, the rubric asks for at least {rubric.min_co_sponsors}; "
                    f"proposal {proposal.id} is listed as not eligible",
                    refused=False,
                )
            )
        seen[proposal.id] = proposal
        into.proposals.append(proposal)


def read_scores(path: Path, into: SessionFiles, plan: Plan, registry: EconomyRegistry, rubric: Rubric, max_bytes: int) -> None:
    """Add one economy's scoring sheet to ``into``; read after every proposal of the session."""
    into.files.append(path.name)
    match = SCORES_FILE.match(path.name)
    assert match is not None
    try:
        economy = _economy(registry, plan, "file name", match["economy"])
        rows = read_table(path, max_bytes)
        positions = _header(rows, SCORE_COLUMNS, SCORE_COLUMNS)
    except (_Refused, ValueError) as error:
        field_name = error.field if isinstance(error, _Refused) else None
        into.problems.append(
            Problem(path.name, 1 if field_name and field_name != "file name" else None, field_name, f"file refused: {error}")
        )
        return
    proposals = {p.id for p in into.proposals}
    scored = {c.id for c in rubric.scored_by_economies}
    seen: dict[tuple[str, str], int] = {(s.proposal, s.criterion): s.row for s in into.scores if s.economy == economy}
    low, high = rubric.scale.min, rubric.scale.max
    for number, row in enumerate(rows[1:], start=2):
        cells = _cells(row, positions)
        if not any(cells.values()):
            continue
        proposal_id, criterion, text = " ".join(cells["proposal"].split()), cells["criterion"].strip().lower(), cells["score"]
        problem: tuple[str, str] | None = None
        if proposal_id not in proposals:
            problem = ("proposal", f"{cells['proposal'][:60]!r} is not a proposal of session {into.session} (or it was refused)")
        elif criterion not in scored:
            computed = (
                " (computed from the objectives, not scored by economies)" if criterion in {c.id for c in rubric.criteria} else ""
            )
            problem = (
                "criterion",
                f"{cells['criterion'][:40]!r} is not a criterion economies score{computed}; write one of {', '.join(sorted(scored))}",
            )
        elif not PLAIN_NUMBER.match(text) or not low <= float(text) <= high:
            problem = ("score", f"{text[:20]!r} is not a score; write a number from {low} to {high}")
        elif (proposal_id, criterion) in seen:
            problem = (
                "criterion",
                f"{proposal_id} {criterion} scored twice by {economy} (first in row {seen[(proposal_id, criterion)]})",
            )
        if problem:
            into.problems.append(Problem(path.name, number, problem[0], f"{problem[1]}; score refused"))
            continue
        seen[(proposal_id, criterion)] = number
        into.scores.append(Score(economy, proposal_id, criterion, float(text), path.name, number))


def read_session(
    folder: Path,
    session: str,
    plan: Plan,
    registry: EconomyRegistry,
    rubric: Rubric,
    *,
    max_bytes: int,
    received_by: datetime | None = None,
) -> SessionFiles:
    """Every proposals file of the session folder, then every scoring sheet, in name order.

    ``received_by``: files changed after it are left for a later ranking (listed, not read)."""
    into = SessionFiles(session)
    proposals_files: list[Path] = []
    scores_files: list[Path] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "~$")):
            continue  # hidden files and the lock files spreadsheet programs leave
        if not path.is_file():
            into.problems.append(Problem(path.name, None, None, "not a regular file; ignored", refused=True))
            continue
        if path.suffix.lower() not in (".csv", ".xlsx"):
            into.problems.append(Problem(path.name, None, None, "not a CSV or .xlsx file; ignored"))
            continue
        if received_by is not None and datetime.fromtimestamp(path.stat().st_mtime, received_by.tzinfo) >= received_by:
            into.problems.append(
                Problem(path.name, None, None, "changed after the as-of date; left for a later ranking", refused=False)
            )
            continue
        (scores_files if SCORES_FILE.match(path.name) else proposals_files).append(path)
    for path in proposals_files:
        read_proposals(path, into, plan, registry, rubric, max_bytes)
    for path in scores_files:
        read_scores(path, into, plan, registry, rubric, max_bytes)
    return into
