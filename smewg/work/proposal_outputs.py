"""What the proposals ranking leaves for people: a self-contained HTML page, an XLSX
workbook, and the XLSX template economies fill in. Text from the files is untrusted:
escaped in HTML (Jinja2 autoescape), neutralised in spreadsheet cells."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from smewg.core.catalogue import Plan
from smewg.core.economies import EconomyRegistry
from smewg.core.rubric import Rubric
from smewg.work.export import neutralise
from smewg.work.html_pages import page_template
from smewg.work.proposal_ranking import Ranking
from smewg.work.proposals import COLUMNS, SHEET, STAGES


def _shown(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def ranking_html(ranking: Ranking, rubric: Rubric, as_of: date, rubric_file: Path) -> str:
    ranked = [
        {**r.as_dict(), "score": f"{r.score:.2f}", "criteria": {k: _shown(v) for k, v in r.criteria.items()}}
        for r in ranking.proposals
    ]
    return page_template("proposals.html.j2").render(
        session=ranking.session,
        as_of=as_of.isoformat(),
        rubric_file=rubric_file.name,
        scale=rubric.scale,
        criteria=[
            {**c.model_dump(), "weight": f"{c.weight:g}", "minimum": f"{c.minimum:g}", "short": c.id.replace("_", " ")}
            for c in rubric.criteria
        ],
        ranked=ranked,
        uncovered=ranking.uncovered,
        problems=ranking.problems,
        files=ranking.files,
        counts={
            "proposals": len(ranking.proposals),
            "eligible": sum(r.eligible for r in ranking.proposals),
            "refused": sum(p.refused for p in ranking.problems),
        },
    )


def _write_xlsx(ranking: Ranking, rubric: Rubric, out: Path) -> None:
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def header(sheet, names: list[str]) -> None:
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for name in names:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    sheet = workbook.create_sheet("Ranking")
    criteria = [c.id for c in rubric.criteria]
    header(
        sheet, ["rank", "id", "title", "economy", "co_sponsors", "stage", "score", *criteria, "eligible", "flags", "explanation"]
    )
    for r in ranking.proposals:
        p = r.proposal
        sheet.append(
            [
                r.rank,
                neutralise(p.id),
                neutralise(p.title),
                p.economy,
                ";".join(p.co_sponsors),
                p.stage,
                round(r.score, 2),
                *(None if r.criteria[c] is None else round(r.criteria[c], 2) for c in criteria),  # type: ignore[arg-type]
                "yes" if r.eligible else "no",
                neutralise("; ".join(r.flags)),
                neutralise(r.explanation),
            ]
        )
    uncovered = workbook.create_sheet("Objectives not addressed")
    header(uncovered, ["objective", "title"])
    for objective in ranking.uncovered:
        uncovered.append([objective.id, objective.title])
    problems = workbook.create_sheet("Not used")
    header(problems, ["file", "row", "field", "what is wrong"])
    for problem in ranking.problems:
        problems.append([neutralise(problem.file), problem.row, problem.field, neutralise(problem.message)])
    workbook.save(out)


def write_ranking(ranking: Ranking, rubric: Rubric, as_of: date, rubric_file: Path, folder: Path) -> dict[str, Any]:
    """``ranking.html`` and ``ranking.xlsx`` in ``folder`` (written whole, then moved in place)."""
    folder.mkdir(parents=True, exist_ok=True)
    html, xlsx = folder / "ranking.html", folder / "ranking.xlsx"
    partial = html.with_suffix(".html.partial")
    partial.write_text(ranking_html(ranking, rubric, as_of, rubric_file), encoding="utf-8")
    partial.replace(html)
    partial = xlsx.with_suffix(".xlsx.partial")
    _write_xlsx(ranking, rubric, partial)
    partial.replace(xlsx)
    return {"html": str(html), "xlsx": str(xlsx)}


COLUMN_GUIDE = {
    "id": "the proposal's APEC id, e.g. SME 07 {session}; one row per proposal",
    "title": "the project's title",
    "economy": "the proposing economy: its code (KOR) or name (Republic of Korea)",
    "co_sponsors": "co-sponsoring economies, separated by ; (JPN;VNM)",
    "session": "the project session: {session}",
    "stage": "concept_note, or proposal for a full proposal after its concept note passed",
    "objectives": "the plan's objectives it serves, separated by ; (2.1;3.2): see the sheet Objectives. "
    "The summary must show each one: a claim the text never supports is flagged and earns nothing",
    "summary": "what the project does, for whom and how",
    "budget_usd": "the budget in US dollars, a plain number (150000)",
    "funding_source": "e.g. APEC Support Fund, General Project Account, self-funded",
    "start": "start date, YYYY-MM-DD",
    "end": "end date, YYYY-MM-DD",
}


def write_template(out: Path, plan: Plan, registry: EconomyRegistry, rubric: Rubric, session: str) -> Path:
    """The XLSX an economy fills in: the Proposals sheet (columns of SPEC section 8, a list
    for ``stage``), the plan's objectives and the economies' codes to choose from."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    stages = DataValidation(type="list", formula1='"' + ",".join(STAGES) + '"', allow_blank=False)
    sheet.add_data_validation(stages)
    stages.add("F2:F500")
    for column, width in zip("ABCDEFGHIJKL", (16, 40, 12, 18, 10, 14, 14, 60, 12, 20, 12, 12)):
        sheet.column_dimensions[column].width = width
    guide = workbook.create_sheet("Read me")
    guide.append(["column", "what to write"])
    for name, text in COLUMN_GUIDE.items():
        guide.append([name, text.format(session=session)])
    guide.column_dimensions["B"].width = 100
    objectives = workbook.create_sheet("Objectives")
    objectives.append(["objective", "title", "priority"])
    for priority in plan.priorities:
        for objective in priority.objectives:
            objectives.append([objective.id, objective.title, priority.title])
    economies = workbook.create_sheet("Economies")
    economies.append(["code", "name"])
    for economy in registry:
        if economy.code in plan.economies:
            economies.append([economy.code, economy.name])
    criteria = workbook.create_sheet("Rubric")
    criteria.append(["criterion", "title", "weight", "minimum", "scored by"])
    for criterion in rubric.criteria:
        criteria.append(
            [
                criterion.id,
                criterion.title,
                criterion.weight,
                criterion.minimum,
                "computed" if criterion.computed else "economies",
            ]
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)
    return out
