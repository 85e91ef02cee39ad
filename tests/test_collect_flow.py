"""The collect-submissions flow on a real Prefect server: 21 economies in parallel."""

from __future__ import annotations

from datetime import date

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import select

from smewg.core.settings import get_settings
from smewg.core.store import create_store_engine, session_scope
from smewg.core.store.models import ObservationRow, SubmissionRow, ValidationResultRow
from smewg.flows.collect import collect_submissions
from smewg.work.collect import collect_all
from smewg.work.simulate_submissions import simulate_submissions
from tests import collection_helpers as h

pytestmark = pytest.mark.prefect
AS_OF = date(2022, 12, 31)


def _stored_result() -> dict:
    """Everything collection decided, without ids and clock times."""
    engine = create_store_engine(get_settings().resolved_database_url)
    try:
        with session_scope(engine) as session:
            versions = {s.id: (s.economy_code, s.version) for s in session.scalars(select(SubmissionRow))}
            submissions = sorted(
                (
                    s.economy_code,
                    s.version,
                    s.status,
                    s.file_name,
                    s.checksum,
                    s.rows_accepted,
                    s.rows_quarantined,
                    s.rows_flagged,
                    versions.get(s.superseded_by_id),
                )
                for s in session.scalars(select(SubmissionRow))
            )
            observations = sorted(
                (
                    *versions[o.submission_id],
                    o.row_number,
                    o.indicator_id,
                    o.breakdown,
                    o.value,
                    o.raw_value,
                    o.unit,
                    o.note,
                    o.status,
                )
                for o in session.scalars(select(ObservationRow))
            )
            problems = sorted((*versions[v.submission_id], str(v.problems)) for v in session.scalars(select(ValidationResultRow)))
    finally:
        engine.dispose()
    return {"submissions": submissions, "observations": observations, "problems": problems}


def test_collecting_21_economies_in_parallel_stores_what_one_by_one_does(prefect_api, smewg_home, monkeypatch, tmp_path):
    h.prepare(smewg_home, monkeypatch)
    context = h.context()
    files = simulate_submissions(get_settings().resolved_inbox, context.catalogue, context.calendar)
    assert len({f.economy for f in files}) == 19 and any(f.correction for f in files)

    result = collect_submissions(year=2022, as_of=AS_OF)
    assert len(result["outcomes"]) == len(files)
    parallel = _stored_result()

    monkeypatch.setenv("SMEWG_INBOX", str(get_settings().resolved_inbox))
    monkeypatch.setenv("SMEWG_HOME", str(tmp_path / "sequential"))
    h.prepare(tmp_path / "sequential", monkeypatch)
    collect_all(h.context(), AS_OF)
    assert _stored_result() == parallel
    assert len(parallel["submissions"]) == len(files)

    with get_client(sync_client=True) as client:
        summary = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["collection-2022"])))
        links = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_="data-docs-2022-%")))
    assert any(f"{len(files)} new file(s)" in a.data for a in summary)
    assert links and all("(file://" in a.data for a in links)
