"""Flow ``rank-proposals``: a project session's proposals checked, scored with the rubric,
ranked and explained (seed section 6), as HTML, XLSX and a Prefect table, with a message
to the Secretariat."""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from smewg.core.clock import today
from smewg.core.settings import get_settings
from smewg.flows.hooks import RUN_HOOKS
from smewg.tasks.proposals import notify_ranking_task, rank_session_task, write_ranking_task
from smewg.work.proposal_ranking import Ranking
from smewg.work.proposal_session import proposals_context
from smewg.work.proposals import session_name
from smewg.work.untrusted import markdown_cell


def _table(ranking: Ranking) -> list[dict]:
    return [
        {
            "rank": r.rank,
            "id": markdown_cell(r.proposal.id),
            "title": markdown_cell(r.proposal.title),
            "economy": r.proposal.economy,
            "score": f"{r.score:.2f}",
            "link to plan": f"{r.link_score:g}",
            "eligible": "yes" if r.eligible else "no",
            "flags": markdown_cell("; ".join(r.flags)),
        }
        for r in ranking.proposals
    ]


def _summary(ranking: Ranking, outputs: dict) -> str:
    lines = [
        f"## Project proposals, session {ranking.session}",
        "",
        f"{len(ranking.proposals)} ranked, {sum(r.eligible for r in ranking.proposals)} eligible.",
        "",
        f"- HTML: `{outputs['html']}`",
        f"- XLSX: `{outputs['xlsx']}`",
        "",
        "Objectives no proposal addresses: " + (", ".join(o.id for o in ranking.uncovered) or "none"),
    ]
    if ranking.problems:
        lines += ["", "| file | row | field | what is wrong |", "|---|---|---|---|"]
        lines += [
            f"| {markdown_cell(p.file)} | {p.row or ''} | {p.field or ''} | {markdown_cell(p.message)} |"
            for p in ranking.problems[:200]
        ]
    return "\n".join(lines) + "\n"


@flow(name="rank-proposals", timeout_seconds=30 * 60, description="Score and rank a project session's proposals.", **RUN_HOOKS)
def rank_proposals(session: str, as_of: date | None = None) -> dict:
    """``session``: e.g. 2021A (files in ``$SMEWG_HOME/proposals/2021A/``). ``as_of``: the day
    the ranking is dated (default today in the plan's time zone)."""
    session = session_name(session)
    as_of = as_of or today()
    context = proposals_context(get_settings())
    ranking = rank_session_task(context, session, as_of)
    outputs = write_ranking_task(context, ranking, as_of)
    key = f"proposals-{session.lower()}"
    create_table_artifact(key=key, table=_table(ranking), description=f"Project proposals {session}, best first")
    create_markdown_artifact(key=f"{key}-summary", markdown=_summary(ranking, outputs), description=f"Proposals {session}")
    delivery = notify_ranking_task(context, ranking, outputs)
    return {**ranking.as_dict(), "as_of": as_of.isoformat(), "outputs": outputs, "delivery": delivery}
