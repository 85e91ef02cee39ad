"""One project session's ranking from its folder to the Secretariat's channel: the files
read and checked, the ranking and its outputs, and one message per distinct ranking."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from smewg.core.catalogue import Catalogue, load_catalogue
from smewg.core.channels import load_channels
from smewg.core.rubric import Rubric, load_rubric
from smewg.core.settings import Settings, public_link
from smewg.core.store import session_scope
from smewg.work import messages
from smewg.work.outbox import enqueue
from smewg.work.proposal_outputs import write_ranking
from smewg.work.proposal_ranking import Ranking, rank, ranking_digest
from smewg.work.proposals import read_session


class NoSession(FileNotFoundError):
    """The session has no folder of proposals; the message says where to put them."""


class ProposalsContext:
    """Settings, plan and rubric, handed to the tasks of a ranking as one opaque value (a
    plain class: Prefect walks dataclass parameters looking for futures)."""

    def __init__(self, settings: Settings, catalogue: Catalogue, rubric: Rubric):
        self.settings = settings
        self.catalogue = catalogue
        self.rubric = rubric

    def __repr__(self) -> str:
        return f"ProposalsContext(plan={self.plan.id!r})"

    @property
    def plan(self):
        return self.catalogue.plan


def proposals_context(settings: Settings) -> ProposalsContext:
    catalogue = load_catalogue(settings.plan_file, settings.economies_file)
    return ProposalsContext(settings, catalogue, load_rubric(settings.rubric_file, catalogue.plan))


def session_folder(settings: Settings, session: str) -> Path:
    return settings.proposals_dir / session


def output_folder(settings: Settings, session: str) -> Path:
    return settings.outputs_dir / "proposals" / session


def rank_session(context: ProposalsContext, session: str, as_of: date) -> Ranking:
    """Read and check every file of the session folder, and rank (``as_of``: the day the
    ranking is dated; a session's files are read as they are now)."""
    folder = session_folder(context.settings, session)
    if not folder.is_dir():
        raise NoSession(
            f"no proposals for session {session}: put the files in {folder} "
            f"(`smewg proposals template --session {session}` writes the template)"
        )
    files = read_session(
        folder,
        session,
        context.plan,
        context.catalogue.economies,
        context.rubric,
        max_bytes=context.settings.max_submission_bytes,
    )
    return rank(files, context.plan, context.rubric)


def write_outputs(context: ProposalsContext, ranking: Ranking, as_of: date) -> dict[str, Any]:
    return write_ranking(
        ranking, context.rubric, as_of, context.settings.rubric_file, output_folder(context.settings, ranking.session)
    )


def notify_secretariat(
    engine: Engine, context: ProposalsContext, ranking: Ranking, outputs: dict[str, Any], now: datetime
) -> bool:
    """Queue the ranking's message for the Secretariat, once per distinct ranking."""
    channels = load_channels(context.settings.slack_file, context.settings.slack_secretariat_channel)
    eligible = [r for r in ranking.proposals if r.eligible]
    message = messages.proposals_ranked(
        key=f"proposals:{ranking.session}:{ranking_digest(ranking)}",
        channel=channels.secretariat,
        session=ranking.session,
        ranked=len(ranking.proposals),
        eligible=len(eligible),
        top=[(r.proposal.id, r.proposal.title, r.score) for r in eligible[:3]],
        not_used=sum(p.refused for p in ranking.problems),
        report=public_link(context.settings, outputs["html"]),
    )
    with session_scope(engine) as session:
        return enqueue(session, message, now=now)
