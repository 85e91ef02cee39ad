"""Scoring and ranking a session's proposals with the rubric (seed section 6: proposals with
a direct link to the plan's priorities get a higher score).

"Link to the plan" is computed: each objective a proposal claims is checked against its
title and summary, and only claims the text supports count; a claim it never supports is
flagged. The other criteria are the economies' scores, combined as the rubric says. Every
figure comes with its explanation in words.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import snowballstemmer

from smewg.core.catalogue import Objective, Plan
from smewg.core.rubric import LINK_TO_PLAN, Rubric
from smewg.work.formatting import counted
from smewg.work.proposals import Problem, Proposal, SessionFiles

_WORD = re.compile(r"[a-z0-9]+")
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "its",
        "of",
        "on",
        "or",
        "the",
        "their",
        "to",
        "with",
        "within",
    ]
)


@cache
def _stemmer():
    return snowballstemmer.stemmer("english")


def words(text: str) -> tuple[str, ...]:
    """``text`` as stemmed words: "Exporters' markets" -> ("export", "market")."""
    return tuple(_stemmer().stemWords(_WORD.findall(text.lower())))


@dataclass(frozen=True)
class KeyWord:
    shown: str
    stems: tuple[str, ...]


def key_words(objective: Objective, rubric: Rubric) -> tuple[KeyWord, ...]:
    """What shows a text is about ``objective``: its title's words (less generic ones) and the rubric's."""
    generic = {stem for word in rubric.link_to_plan.generic_words for stem in words(word)}
    found: dict[tuple[str, ...], KeyWord] = {}
    for raw in _WORD.findall(objective.title.lower()):
        stems = words(raw)
        if stems and raw not in _FUNCTION_WORDS and stems[0] not in generic and len(raw) > 2:
            found.setdefault(stems, KeyWord(raw, stems))
    for phrase in rubric.link_to_plan.key_words.get(objective.id, ()):
        stems = words(phrase)
        if stems:
            found.setdefault(stems, KeyWord(phrase, stems))
    return tuple(found.values())


def _contains(text: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    if len(phrase) == 1:
        return phrase[0] in text
    return any(text[i : i + len(phrase)] == phrase for i in range(len(text) - len(phrase) + 1))


@dataclass(frozen=True)
class Claim:
    objective: str
    title: str
    matched: tuple[str, ...]
    supported: bool


def check_claims(proposal: Proposal, plan: Plan, rubric: Rubric) -> list[Claim]:
    """Each claimed objective with the key words the proposal's title and summary use."""
    text = words(f"{proposal.title} {proposal.summary}")
    present = set(text)
    objectives = {o.id: o for o in plan.objectives()}
    claims = []
    for objective_id in proposal.objectives:
        objective = objectives[objective_id]
        keys = key_words(objective, rubric)
        matched = tuple(k.shown for k in keys if (k.stems[0] in present and _contains(text, k.stems)))
        needed = min(rubric.link_to_plan.min_matching_words, len(keys))
        claims.append(Claim(objective_id, objective.title, matched, bool(keys) and len(matched) >= needed))
    return claims


@dataclass
class RankedProposal:
    proposal: Proposal
    link_score: float
    claims: list[Claim]
    criteria: dict[str, float | None]
    """Each criterion's score (None: no economy scored it)."""
    scorers: dict[str, int]
    """How many economies scored each criterion."""
    score: float
    eligible: bool
    flags: list[str] = field(default_factory=list)
    explanation: str = ""
    rank: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.proposal.id,
            "rank": self.rank,
            "score": round(self.score, 2),
            "eligible": self.eligible,
            "link_score": self.link_score,
            "flags": self.flags,
            "explanation": self.explanation,
            "title": self.proposal.title,
            "economy": self.proposal.economy,
            "stage": self.proposal.stage,
            "criteria": {k: (None if v is None else round(v, 2)) for k, v in self.criteria.items()},
            "supported_objectives": [c.objective for c in self.claims if c.supported],
        }


@dataclass
class Ranking:
    session: str
    proposals: list[RankedProposal]
    uncovered: list[Objective]
    problems: list[Problem]
    files: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "proposals": [p.as_dict() for p in self.proposals],
            "uncovered_objectives": [o.id for o in self.uncovered],
            "problems": [p.as_dict() for p in self.problems],
        }


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _ids(ids: list[str]) -> str:
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]


def _score(proposal: Proposal, files: SessionFiles, plan: Plan, rubric: Rubric) -> RankedProposal:
    claims = check_claims(proposal, plan, rubric)
    supported = [c.objective for c in claims if c.supported]
    link = rubric.link_to_plan.score(len(supported))
    given: dict[str, list[float]] = {c.id: [] for c in rubric.scored_by_economies}
    for sheet_row in files.scores:
        if sheet_row.proposal == proposal.id:
            given[sheet_row.criterion].append(sheet_row.score)
    combine = statistics.median if rubric.combine_scores == "median" else statistics.fmean
    criteria: dict[str, float | None] = {LINK_TO_PLAN: link}
    criteria.update({cid: (combine(values) if values else None) for cid, values in given.items()})
    # A criterion nobody scored counts at the bottom of the scale (and the proposal is not eligible).
    counted_as = {cid: (rubric.scale.min if value is None else value) for cid, value in criteria.items()}
    total = sum(c.weight * counted_as[c.id] for c in rubric.criteria)
    score = total / sum(c.weight for c in rubric.criteria)

    flags = [f"claims {c.objective} but its text never supports it: not counted" for c in claims if not c.supported]
    for criterion in rubric.criteria:
        value = criteria[criterion.id]
        if value is None:
            flags.append(f"not eligible: no economy scored {criterion.title.lower()}")
        elif value < criterion.minimum:
            flags.append(
                f"not eligible: {criterion.title.lower()} {_number(value)} is under the minimum {_number(criterion.minimum)}"
            )
    if len(proposal.co_sponsors) < rubric.min_co_sponsors:
        flags.append(
            f"not eligible: {counted(len(proposal.co_sponsors), 'co-sponsor')}, the rubric asks for {rubric.min_co_sponsors}"
        )
    eligible = not any(f.startswith("not eligible") for f in flags)

    if claims:
        said = [f"{c.objective} ({', '.join(c.matched)})" for c in claims if c.supported]
        unsupported = [c.objective for c in claims if not c.supported]
        link_text = f"claims {_ids([c.objective for c in claims])}"
        if said:
            link_text += f"; the text supports {_ids(said)}"
        if unsupported:
            link_text += f"; {_ids(unsupported)} not supported by the text, not counted"
    else:
        link_text = "claims no objective of the plan"
    scale = f"of {_number(rubric.scale.max)}"
    parts = [f"Link to the plan {_number(link)} {scale}: {link_text}."]
    scored = [
        f"{c.title.lower()} {_number(criteria[c.id])} ({scorers} {'economy' if scorers == 1 else 'economies'})"  # type: ignore[arg-type]
        for c in rubric.scored_by_economies
        if criteria[c.id] is not None and (scorers := len(given[c.id]))
    ]
    if scored:
        parts.append(f"Economies' {rubric.combine_scores} scores: " + ", ".join(scored) + ".")
    parts.append(f"Weighted score {_number(score)} {scale}.")
    parts.append(
        "Eligible."
        if eligible
        else "Not eligible: " + "; ".join(f.removeprefix("not eligible: ") for f in flags if f.startswith("not eligible")) + "."
    )
    parts[0] = parts[0][0].upper() + parts[0][1:]
    return RankedProposal(
        proposal,
        link,
        claims,
        criteria,
        {cid: len(values) for cid, values in given.items()},
        score,
        eligible,
        flags,
        " ".join(parts),
    )


def rank(files: SessionFiles, plan: Plan, rubric: Rubric) -> Ranking:
    """Eligible proposals first, then by weighted score, link score and id; objectives no
    proposal's text supports are listed as uncovered."""
    scored = [_score(p, files, plan, rubric) for p in files.proposals]
    scored.sort(key=lambda r: (not r.eligible, -round(r.score, 9), -r.link_score, r.proposal.id))
    for position, ranked in enumerate(scored, start=1):
        ranked.rank = position
    covered = {c.objective for r in scored for c in r.claims if c.supported}
    uncovered = [o for o in plan.objectives() if o.id not in covered]
    return Ranking(files.session, scored, uncovered, list(files.problems), list(files.files))


def ranking_digest(ranking: Ranking) -> str:
    """Changes when anything a reader of the ranking would see changes (for notifying once)."""
    return hashlib.sha256(json.dumps(ranking.as_dict(), sort_keys=True, default=str).encode()).hexdigest()[:16]
