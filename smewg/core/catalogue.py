"""The strategic plan as typed data: priorities, objectives, indicators, reviews.

A plan lives in one YAML file under ``config/plans/``. :func:`load_plan` reads and
validates it; any fault raises :class:`PlanError` naming the file and the key (for
example ``priorities[0] (id 1) > objectives[1] (id 1.2) > title: field required``), so
a Secretariat officer editing the file knows where to look.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from smewg.core.config_files import ConfigFileError, read_yaml, validate

Kind = Literal["count", "percent", "amount"]
KINDS: tuple[str, ...] = ("count", "percent", "amount")
BREAKDOWN_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class PlanError(ConfigFileError):
    """A plan file that cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _refuse_duplicates(ids: Iterator[str]) -> None:
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    if duplicates:
        raise ValueError(f"duplicate indicator id(s): {', '.join(duplicates)}")


class Indicator(_Strict):
    id: str
    name: str = Field(min_length=1)
    kind: Kind
    breakdowns: tuple[str, ...] = ("total",)
    group: str | None = None

    @field_validator("breakdowns")
    @classmethod
    def _total_first_and_well_formed(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or value[0] != "total":
            raise ValueError("breakdowns must start with 'total'")
        for name in value:
            if not BREAKDOWN_PATTERN.match(name):
                raise ValueError(f"breakdown {name!r} must be lower-case letters, digits or '_'")
        if len(set(value)) != len(value):
            raise ValueError("breakdowns must not repeat")
        return value

    @property
    def unit_hint(self) -> str:
        """What goes in a submission's ``unit`` column for this indicator."""
        return "ISO 4217 currency code" if self.kind == "amount" else self.kind


class Objective(_Strict):
    id: str
    title: str = Field(min_length=1)
    indicators: tuple[Indicator, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _indicator_ids_extend_objective_id(self) -> Objective:
        _refuse_duplicates(ind.id for ind in self.indicators)
        for position, indicator in enumerate(self.indicators, start=1):
            expected = f"{self.id}.{position}"
            if indicator.id != expected:
                raise ValueError(
                    f"indicator {indicator.id!r} is number {position} of objective {self.id}: its id must be {expected!r}"
                )
        return self


class Priority(_Strict):
    id: str
    title: str = Field(min_length=1)
    success_factors: tuple[str, ...] = ()
    objectives: tuple[Objective, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _objective_ids_extend_priority_id(self) -> Priority:
        for position, objective in enumerate(self.objectives, start=1):
            expected = f"{self.id}.{position}"
            if objective.id != expected:
                raise ValueError(
                    f"objective {objective.id!r} is number {position} of priority {self.id}: its id must be {expected!r}"
                )
        return self


class Review(_Strict):
    kind: Literal["midterm", "final"]
    year: int
    title: str
    reported_by: str
    audience: str


class Period(_Strict):
    start: int
    end: int

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        return self

    @property
    def years(self) -> range:
        return range(self.start, self.end + 1)


class Plan(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    source: str | None = None
    period: Period
    timezone: str = "Asia/Singapore"
    economies: tuple[str, ...] = Field(min_length=1)
    priorities: tuple[Priority, ...] = Field(min_length=1)
    general_indicators: tuple[Indicator, ...] = ()
    critical_success_factors: tuple[str, ...] = ()
    reviews: tuple[Review, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        _refuse_duplicates(ind.id for ind in self.all_indicators())
        for position, priority in enumerate(self.priorities, start=1):
            if priority.id != str(position):
                raise ValueError(f"priority {priority.id!r} is number {position}: its id must be {str(position)!r}")
        for position, indicator in enumerate(self.general_indicators, start=1):
            if indicator.id != f"G.{position}":
                raise ValueError(f"general indicator {indicator.id!r} is number {position}: its id must be 'G.{position}'")
        duplicate_economies = [c for c, n in Counter(self.economies).items() if n > 1]
        if duplicate_economies:
            raise ValueError(f"economy listed twice: {', '.join(duplicate_economies)}")
        for review in self.reviews:
            if review.year not in self.period.years:
                raise ValueError(
                    f"{review.kind} review year {review.year} is outside the plan period {self.period.start}-{self.period.end}"
                )
        return self

    # -- navigation ---------------------------------------------------------------

    @cached_property
    def json_text(self) -> str:
        """The plan's JSON form as ``json.dumps`` writes it, made once per plan (rollups hash
        it on every run)."""
        return json.dumps(self.model_dump(mode="json"))

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Plan:
        """A copy, which works its JSON form out again (pydantic copies the cached one along)."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("json_text", None)
        return copy

    def objectives(self) -> Iterator[Objective]:
        for priority in self.priorities:
            yield from priority.objectives

    def indicators(self) -> Iterator[Indicator]:
        """The plan's objective indicators (``P.O.I``), in plan order."""
        for objective in self.objectives():
            yield from objective.indicators

    def all_indicators(self) -> Iterator[Indicator]:
        """Objective indicators followed by the general indicators ``G.n``."""
        yield from self.indicators()
        yield from self.general_indicators

    def indicator(self, indicator_id: str) -> Indicator:
        for indicator in self.all_indicators():
            if indicator.id == indicator_id:
                return indicator
        raise KeyError(f"plan {self.id} has no indicator {indicator_id!r}")

    def review(self, kind: str) -> Review | None:
        return next((r for r in self.reviews if r.kind == kind), None)


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file; raise :class:`PlanError` naming the file and key."""
    path = Path(path)
    _, raw = read_yaml(path, PlanError, missing="plan file not found")
    if not isinstance(raw, dict):
        raise PlanError(f"{path}: expected a mapping of plan keys at the top level")
    return validate(Plan, raw, path, PlanError, "the plan file")


class Catalogue(BaseModel):
    """A plan together with the economy registry it draws on."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    plan: Plan
    economies: Any  # EconomyRegistry; typed loosely to keep this module free of the import cycle

    def participating(self):
        """The plan's economies, in APEC order."""
        return [e for e in self.economies if e.code in self.plan.economies]


def load_catalogue(plan_file: str | Path, economies_file: str | Path) -> Catalogue:
    """Load a plan and the economies file and check that every plan economy is known."""
    from smewg.core.economies import load_economies

    plan = load_plan(plan_file)
    registry = load_economies(economies_file)
    unknown = [code for code in plan.economies if code not in registry.codes]
    if unknown:
        raise PlanError(
            f"{plan_file}: economies: {', '.join(unknown)} not in {economies_file} (use the ISO 3166 alpha-3 codes listed there)"
        )
    return Catalogue(plan=plan, economies=registry)
