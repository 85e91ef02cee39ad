"""``smewg proposals``: the template economies fill in, a session's ranking (the
rank-proposals flow), and an approved proposal added to a cycle's work plan."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from smewg.cli.options import AsOfOption, JsonOption, YearOption, parse_as_of, require_initialised_store
from smewg.cli.output import console, emit_json, print_error
from smewg.core.clock import today
from smewg.core.settings import get_settings
from smewg.work.untrusted import terminal_safe

app = typer.Typer(
    help="Project proposals: template, ranking by link to the plan, adding approved ones to a cycle.", no_args_is_help=True
)


def _session(value: str) -> str:
    from smewg.work.proposals import session_name

    try:
        return session_name(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--session") from None


SessionOption = Annotated[str, typer.Option("--session", help="The project session, e.g. 2021A.", callback=_session)]


def _context():
    from smewg.work.proposal_session import proposals_context

    return proposals_context(get_settings())


@app.command("template")
def template(
    session: SessionOption,
    scores_for: Annotated[
        str | None,
        typer.Option("--scores-for", help="Write this economy's scoring sheet for the session's proposals instead."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write it (default under outputs/templates/proposals/).")
    ] = None,
) -> None:
    """Write the proposals template (XLSX), or an economy's scoring sheet (CSV) listing every
    proposal of the session and every criterion the economies score."""
    from smewg.work.proposal_outputs import write_template

    settings = get_settings()
    context = _context()
    folder = settings.outputs_dir / "templates" / "proposals" / session
    if scores_for is None:
        path = write_template(
            out or folder / f"proposals-{session}.xlsx", context.plan, context.catalogue.economies, context.rubric, session
        )
        console.print(f"Proposals template for session {session}: {path}", markup=False, soft_wrap=True)
        console.print(f"Completed files go in {settings.proposals_dir / session}/", markup=False, soft_wrap=True)
        return
    from smewg.work.proposal_session import rank_session

    economy = context.catalogue.economies.resolve(scores_for)
    ranking = rank_session(context, session, today())  # every file there now
    path = out or folder / f"scores-{economy.code}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["proposal", "criterion", "score"])
        for ranked in sorted(ranking.proposals, key=lambda r: r.proposal.id):
            for criterion in context.rubric.scored_by_economies:
                writer.writerow([ranked.proposal.id, criterion.id, ""])
    console.print(
        f"Scoring sheet of {economy.name} for session {session} ({len(ranking.proposals)} proposals): {path}\n"
        f"Scores from {context.rubric.scale.min} to {context.rubric.scale.max}; the completed sheet goes in "
        f"{settings.proposals_dir / session}/ as {path.name}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("rank")
def rank(session: SessionOption, as_of: AsOfOption = None, json_output: JsonOption = False) -> None:
    """Check, score and rank the session's proposals (the rank-proposals flow): HTML, XLSX,
    a Prefect table and a message to the Secretariat."""
    from smewg.work.proposal_session import session_folder

    folder = session_folder(get_settings(), session)
    if not folder.is_dir():
        print_error(
            f"no proposals for session {session}: put the files in {folder} "
            f"(`smewg proposals template --session {session}` writes the template)"
        )
        raise typer.Exit(1)
    _context()  # a broken plan or rubric file is one line before any flow starts
    require_initialised_store()
    from smewg.flows.proposals import rank_proposals

    result = rank_proposals(session=session, as_of=parse_as_of(as_of))
    if json_output:
        emit_json({k: v for k, v in result.items() if k != "delivery"})
        return
    table = Table(title=f"Project proposals, session {session} (best first)")
    for column in ("rank", "id", "title", "economy", "score", "link", "eligible", "flags"):
        table.add_column(column, overflow="fold")
    for p in result["proposals"]:
        table.add_row(
            str(p["rank"]),
            Text(terminal_safe(p["id"])),
            Text(terminal_safe(p["title"])),
            p["economy"],
            f"{p['score']:.2f}",
            f"{p['link_score']:g}",
            "yes" if p["eligible"] else "no",
            Text(terminal_safe("; ".join(p["flags"]))),
        )
    console.print(table)
    console.print("Objectives no proposal addresses: " + (", ".join(result["uncovered_objectives"]) or "none"), highlight=False)
    for problem in result["problems"]:
        where = ", ".join(
            str(part) for part in (problem["file"], problem["row"] and f"row {problem['row']}", problem["field"]) if part
        )
        effect = "not used" if problem["refused"] else "note"
        console.print(f"  {effect}: {terminal_safe(where)}: {terminal_safe(problem['message'])}", markup=False, soft_wrap=True)
    console.print(f"HTML: {result['outputs']['html']}\nXLSX: {result['outputs']['xlsx']}", markup=False, soft_wrap=True)


@app.command("add-to-cycle")
def add_to_cycle(
    session: SessionOption,
    proposal: Annotated[str, typer.Option("--id", help="The approved proposal's id, e.g. 'SME 07 2021A'.")],
    year: YearOption,
    objective: Annotated[
        str | None, typer.Option(help="The objective the activity serves (default: the first its text supports).")
    ] = None,
    due: Annotated[str | None, typer.Option(help="Due date YYYY-MM-DD (default: the proposal's end date).")] = None,
) -> None:
    """Add an approved, eligible proposal to the cycle calendar's activities (objective, lead
    economy, due date), so that the work plan and the KPIs it targets are tracked together."""
    from smewg.core.calendar import Activity, add_activity, calendar_path
    from smewg.work.proposal_session import rank_session

    settings = get_settings()
    context = _context()
    ranking = rank_session(context, session, today())
    wanted = " ".join(proposal.split())
    found = next((r for r in ranking.proposals if r.proposal.id == wanted), None)
    if found is None:
        print_error(f"no proposal {wanted!r} in session {session}; `smewg proposals rank --session {session}` lists them")
        raise typer.Exit(1)
    if not found.eligible:
        print_error(f"proposal {wanted} is not eligible ({'; '.join(found.flags)}); only eligible proposals join a cycle")
        raise typer.Exit(1)
    supported = [c.objective for c in found.claims if c.supported]
    if objective is None and not supported:
        raise typer.BadParameter(
            "the proposal's text supports none of its objectives; name the one it serves", param_hint="--objective"
        )
    if objective is not None and objective not in supported:
        raise typer.BadParameter(
            f"{objective!r} is not an objective the proposal's text supports ({', '.join(supported)})", param_hint="--objective"
        )
    due_on = parse_as_of(due) if due else found.proposal.end
    if due_on is None:
        raise typer.BadParameter("the proposal has no end date; give the activity's due date", param_hint="--due")
    activity = Activity(
        id=found.proposal.id,
        title=found.proposal.title,
        objective=objective or supported[0],
        lead=found.proposal.economy,
        due=due_on,
    )
    path = calendar_path(settings.schedule_dir, year)
    added = add_activity(path, activity, context.plan)
    state = "added to" if added else "already in"
    console.print(
        f"{terminal_safe(activity.id)} ({activity.objective}, lead {activity.lead}, due {activity.due}) {state} {path}",
        markup=False,
        soft_wrap=True,
    )
