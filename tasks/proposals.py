"""Tasks of a project session's ranking: read and rank, write the outputs, tell the Secretariat."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from smewg.core.clock import now_utc
from smewg.core.store import create_store_engine
from smewg.tasks.outbox import deliver
from smewg.work.proposal_ranking import Ranking
from smewg.work.proposal_session import ProposalsContext, notify_secretariat, rank_session, write_outputs
from smewg.work.untrusted import terminal_safe


@task(name="rank-session", cache_policy=NO_CACHE)
def rank_session_task(context: ProposalsContext, session: str, as_of: date) -> Ranking:
    """Every file of the session read and checked; a bad file or row is logged, never fatal."""
    ranking = rank_session(context, session, as_of)
    logger = get_run_logger()
    for problem in ranking.problems:
        logger.warning("%s", terminal_safe(problem))
    logger.info(
        "session %s: %d proposals ranked, %d eligible, %d files or rows not used",
        session,
        len(ranking.proposals),
        sum(r.eligible for r in ranking.proposals),
        sum(p.refused for p in ranking.problems),
    )
    return ranking


@task(name="write-ranking", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def write_ranking_task(context: ProposalsContext, ranking: Ranking, as_of: date) -> dict[str, Any]:
    return write_outputs(context, ranking, as_of)


@task(name="notify-ranking", cache_policy=NO_CACHE)
def notify_ranking_task(context: ProposalsContext, ranking: Ranking, outputs: dict[str, Any]) -> dict[str, Any]:
    """One message per distinct ranking (ranking the same files again says nothing new), delivered now."""
    engine = create_store_engine(context.settings.resolved_database_url)
    try:
        queued = notify_secretariat(engine, context, ranking, outputs, now_utc())
        return {"queued": queued, **deliver(engine, context.settings, logger=get_run_logger())}
    finally:
        engine.dispose()
