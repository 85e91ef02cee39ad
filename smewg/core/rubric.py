"""The rubric that scores project proposals (``config/proposal-rubric.yaml``, SPEC section 8):
criteria with weights and minimums on one scale, and how "link to the plan" is computed."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from smewg.core.catalogue import Plan
from smewg.core.config_files import ConfigFileError, read_yaml, validate

LINK_TO_PLAN = "link_to_plan"


class RubricError(ConfigFileError):
    """A rubric file that cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scale(_Strict):
    min: int = 1
    max: int = 4

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.max <= self.min:
            raise ValueError(f"max ({self.max}) must be above min ({self.min})")
        return self


class Criterion(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    weight: float = Field(gt=0)
    minimum: float
    computed: bool = False
    """Computed by smewg (only ``link_to_plan``), not scored by the economies."""


class LinkToPlan(_Strict):
    score_by_supported_objectives: tuple[float, ...] = Field(min_length=1)
    min_matching_words: int = Field(default=2, ge=1)
    generic_words: tuple[str, ...] = ()
    key_words: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    def score(self, supported: int) -> float:
        """The link score of a proposal whose text supports ``supported`` of its claims."""
        return self.score_by_supported_objectives[min(supported, len(self.score_by_supported_objectives) - 1)]


class Rubric(_Strict):
    scale: Scale = Scale()
    min_co_sponsors: int = Field(default=0, ge=0)
    combine_scores: Literal["mean", "median"] = "mean"
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    link_to_plan: LinkToPlan

    @model_validator(mode="after")
    def _consistent(self) -> Rubric:
        ids = [c.id for c in self.criteria]
        if len(set(ids)) != len(ids):
            raise ValueError("criteria ids must be unique")
        computed = [c.id for c in self.criteria if c.computed]
        if computed != [LINK_TO_PLAN]:
            raise ValueError(f"exactly one computed criterion, {LINK_TO_PLAN!r}, is supported (got {computed})")
        for criterion in self.criteria:
            if not self.scale.min <= criterion.minimum <= self.scale.max:
                raise ValueError(f"criteria {criterion.id}: minimum {criterion.minimum} is outside the scale")
        for position, value in enumerate(self.link_to_plan.score_by_supported_objectives):
            if not self.scale.min <= value <= self.scale.max:
                raise ValueError(f"link_to_plan.score_by_supported_objectives[{position}]: {value} is outside the scale")
        return self

    @property
    def scored_by_economies(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if not c.computed)

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)


def load_rubric(path: Path, plan: Plan) -> Rubric:
    """Read and validate the rubric; its key words must name objectives of ``plan``."""
    _, raw = read_yaml(path, RubricError, missing="proposal rubric not found (SMEWG_RUBRIC_FILE)")
    rubric = validate(Rubric, raw, path, RubricError, "the proposal rubric")
    objectives = {o.id for o in plan.objectives()}
    unknown = sorted(set(rubric.link_to_plan.key_words) - objectives)
    if unknown:
        raise RubricError(
            f"{path}: link_to_plan > key_words: {', '.join(unknown)} "
            f"{'is not an objective' if len(unknown) == 1 else 'are not objectives'} of the plan {plan.id}"
        )
    return rubric
