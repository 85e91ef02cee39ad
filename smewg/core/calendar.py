"""The yearly cycle calendar: one YAML file per cycle (reference year) in ``schedule/``.

The Secretariat edits these files. :func:`load_calendar` validates them (dates in
order, known economies, activities linked to real objectives) and raises
:class:`CalendarError` naming the file and key. :func:`template_calendar` writes the
sensible defaults used by ``smewg schedule new``.

Every economy has its own deadline (the cycle's, or its extension); reminder and
escalation steps are counted from that economy's deadline.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from smewg.core.catalogue import Plan
from smewg.core.config_files import ConfigFileError, loaded_once, read_yaml, validate

ActivityStatus = Literal["planned", "in_progress", "done", "cancelled"]


class CalendarError(ConfigFileError):
    """A calendar file that cannot be used; the message names the file and key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Milestone(_Strict):
    name: str
    date: date


class ReviewDate(Milestone):
    """When a review report (SPEC: mid-term 2022, final 2024) is due."""

    kind: Literal["midterm", "final"]


class Activity(_Strict):
    """A work-plan activity of the year (the plan's implementation schedule is annual)."""

    id: str
    title: str
    objective: str = Field(description="Objective id the activity serves, e.g. 2.1")
    lead: str = Field(description="Lead economy code")
    due: date
    status: ActivityStatus = "planned"

    @field_validator("lead", mode="before")
    @classmethod
    def _lead_as_code(cls, value: object) -> object:
        return economy_code(value) if isinstance(value, str) else value

    @property
    def priority(self) -> str:
        return self.objective.split(".")[0]


class Window(_Strict):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")
        return self


class Step(_Strict):
    """One reminder or escalation step for one economy."""

    kind: Literal["reminder", "escalation"]
    name: str  # "T-30", "T+7"
    date: date
    offset_days: int


class Calendar(_Strict):
    year: int
    plan: str
    timezone: str = "Asia/Singapore"
    call_for_data: date
    deadline: date
    reminder_days_before: tuple[int, ...] = (30, 14, 7, 1)
    escalation_days_after: tuple[int, ...] = (1, 7, 14)
    quality_check: Window
    rollup: date
    meetings: tuple[Milestone, ...] = ()
    reviews: tuple[ReviewDate, ...] = ()
    extensions: dict[str, date] = Field(default_factory=dict)
    activities: tuple[Activity, ...] = ()

    @field_validator("extensions", mode="before")
    @classmethod
    def _extensions_by_code(cls, value: object) -> object:
        """Keys may be any name people type for an economy ("Viet Nam", "Taiwan"): stored by code."""
        if not isinstance(value, dict):
            return value
        by_code: dict[str, object] = {}
        written: dict[str, str] = {}
        for key, extended in value.items():
            code = economy_code(str(key))
            if code in written:
                raise ValueError(f"{written[code]!r} and {key!r} name the same economy ({code}); keep one")
            written[code] = str(key)
            by_code[code] = extended
        return by_code

    @field_validator("reminder_days_before", "escalation_days_after")
    @classmethod
    def _positive_distinct(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(days <= 0 for days in value):
            raise ValueError("days must be positive")
        if len(set(value)) != len(value):
            raise ValueError("days must not repeat")
        return tuple(sorted(value, reverse=True)) if value else value

    @model_validator(mode="after")
    def _dates_in_order(self) -> Calendar:
        order = [
            ("call_for_data", self.call_for_data),
            ("deadline", self.deadline),
            ("quality_check.start", self.quality_check.start),
            ("quality_check.end", self.quality_check.end),
            ("rollup", self.rollup),
        ]
        for (first, a), (second, b) in zip(order, order[1:]):
            if b < a:
                raise ValueError(f"{second} ({b}) comes before {first} ({a})")
        if self.call_for_data.year != self.year:
            raise ValueError(f"call_for_data ({self.call_for_data}) is not in the cycle year {self.year}")
        for code, extended in self.extensions.items():
            if extended <= self.deadline:
                raise ValueError(f"extensions.{code} ({extended}) does not extend the deadline ({self.deadline})")
        if self.reminder_days_before and self.deadline - timedelta(days=max(self.reminder_days_before)) < self.call_for_data:
            raise ValueError(
                f"the first reminder ({max(self.reminder_days_before)} days before {self.deadline}) "
                f"would come before the call for data ({self.call_for_data})"
            )
        ids = [a.id for a in self.activities]
        if len(set(ids)) != len(ids):
            raise ValueError("activity ids must be unique")
        return self

    # -- derived dates ------------------------------------------------------------

    def deadline_for(self, economy: str) -> date:
        return self.extensions.get(economy, self.deadline)

    def steps_for(self, economy: str) -> list[Step]:
        """Reminder then escalation steps of one economy, in date order."""
        deadline = self.deadline_for(economy)
        steps = [
            Step(kind="reminder", name=f"T-{d}", date=deadline - timedelta(days=d), offset_days=-d)
            for d in self.reminder_days_before
        ]
        steps += [
            Step(kind="escalation", name=f"T+{d}", date=deadline + timedelta(days=d), offset_days=d)
            for d in sorted(self.escalation_days_after)
        ]
        return steps

    def action_days(self, economies: list[str]) -> list[date]:
        """Every day on which a reminder, escalation or overdue alert can first be due.

        Running the cycle's flows on these days alone gives the same messages as running
        them every day (that is what the catch-up rule guarantees).
        """
        days = {step.date for code in economies for step in self.steps_for(code)}
        days |= {activity.due + timedelta(days=1) for activity in self.activities}
        days |= {self.rollup + timedelta(days=1)} | {review.date + timedelta(days=1) for review in self.reviews}
        return sorted(days)

    def milestones(self) -> list[Milestone]:
        """Every dated event of the cycle, for ``schedule show`` and the status table."""
        events = [
            Milestone(name="call for data", date=self.call_for_data),
            Milestone(name="reporting deadline", date=self.deadline),
            Milestone(name="quality checks start", date=self.quality_check.start),
            Milestone(name="quality checks end", date=self.quality_check.end),
            Milestone(name="KPI rollup", date=self.rollup),
            *self.meetings,
            *(Milestone(name=r.name, date=r.date) for r in self.reviews),
        ]
        return sorted(events, key=lambda m: m.date)


def economy_code(text: str) -> str:
    """The code of the economy ``text`` names (code, name or any alias, from the economies
    file in the settings), else ``text`` as written, for :func:`check_against_plan` to refuse
    with the nearest economy."""
    from smewg.core.economies import UnknownEconomy, load_economies
    from smewg.core.settings import get_settings

    try:
        # Read once per content of the file: a calendar names economies many times.
        return loaded_once(Path(get_settings().economies_file), load_economies).resolve(text).code
    except (UnknownEconomy, ConfigFileError):
        return text


def _economy_key_hint(text: str) -> str:
    """What to write instead of ``text`` where an economy's code is expected (a name or an
    alias is recognised and its code named; anything else gets the nearest economy)."""
    from smewg.core.economies import UnknownEconomy, load_economies
    from smewg.core.paths import ECONOMIES_FILE

    try:
        economy = load_economies(ECONOMIES_FILE).resolve(text)
    except UnknownEconomy as unknown:
        return f"not an economy of the plan ({unknown.args[0] if unknown.args else unknown}); keys are ISO alpha-3 codes"
    except Exception:  # the economies file itself is reported where it is loaded
        return "not an economy of the plan (use ISO alpha-3 codes)"
    return f"write the economy's code {economy.code} ({economy.name}), not its name"


def check_against_plan(calendar: Calendar, plan: Plan, source: str) -> None:
    """Economies and objectives named in the calendar must exist in the plan."""
    problems = []
    if calendar.plan != plan.id:
        problems.append(f"plan: {calendar.plan!r} is not the plan in force ({plan.id})")
    for position, review in enumerate(calendar.reviews):
        planned = plan.review(review.kind)
        if planned is None or planned.year != calendar.year:
            problems.append(f"reviews[{position}]: the plan has no {review.kind} review in {calendar.year}")
    if calendar.year not in plan.period.years:
        problems.append(f"year: {calendar.year} is outside the plan period {plan.period.start}-{plan.period.end}")
    for code in calendar.extensions:
        if code not in plan.economies:
            problems.append(f"extensions.{code}: {_economy_key_hint(code)}")
    objectives = {o.id for o in plan.objectives()}
    for position, activity in enumerate(calendar.activities):
        if activity.objective not in objectives:
            problems.append(
                f"activities[{position}] (id {activity.id}) > objective: {activity.objective!r} is not an objective of the plan"
            )
        if activity.lead not in plan.economies:
            problems.append(f"activities[{position}] (id {activity.id}) > lead: {activity.lead!r} is not an economy of the plan")
    if problems:
        raise CalendarError(f"{source}: the calendar does not fit the plan:\n" + "\n".join(f"  - {p}" for p in problems))


def calendar_path(directory: Path, year: int) -> Path:
    return directory / f"cycle-{year}.yaml"


def load_calendar(path: Path, plan: Plan | None = None) -> Calendar:
    """Read and validate a calendar file (and check it against ``plan`` when given)."""
    year = path.stem.removeprefix("cycle-")
    _, raw = read_yaml(path, CalendarError, missing=f"no calendar; create it with `smewg schedule new {year}`")
    calendar = validate(Calendar, raw, path, CalendarError, "the calendar")
    if year.isdigit() and int(year) != calendar.year:
        raise CalendarError(
            f"{path}: year: {calendar.year}, but the file is the calendar of {year} (cycle-{year}.yaml); "
            f"correct the year or rename the file to cycle-{calendar.year}.yaml"
        )
    if plan is not None:
        check_against_plan(calendar, plan, str(path))
    return calendar


def template_calendar(year: int, plan: Plan) -> Calendar:
    """Sensible default dates for a cycle, in the plan's time zone.

    Call for data 1 March, deadline 31 May, quality checks in June, rollup 15 July, the
    two SMEWG meetings in April and September; in review years the review is due two
    weeks before the second meeting, where the Chair reports it (or Ministers receive it).
    """
    reviews = tuple(
        ReviewDate(kind=review.kind, name=f"{review.title} ({review.reported_by} to {review.audience})", date=date(year, 8, 27))
        for review in plan.reviews
        if review.year == year
    )
    return Calendar(
        year=year,
        plan=plan.id,
        timezone=plan.timezone,
        call_for_data=date(year, 3, 1),
        deadline=date(year, 5, 31),
        quality_check=Window(start=date(year, 6, 1), end=date(year, 6, 30)),
        rollup=date(year, 7, 15),
        meetings=(
            Milestone(name="First SMEWG meeting", date=date(year, 4, 20)),
            Milestone(name="Second SMEWG meeting", date=date(year, 9, 10)),
        ),
        reviews=reviews,
    )


def dump_calendar(calendar: Calendar) -> str:
    """YAML text of a calendar, with a header explaining how to edit it."""
    data = calendar.model_dump(mode="json")
    header = (
        f"# Cycle calendar for reference year {calendar.year} ({calendar.plan}), dates in {calendar.timezone}.\n"
        "# Edit freely: dates must stay in order (call for data, deadline, quality checks, rollup).\n"
        "# extensions: {ECONOMY: YYYY-MM-DD} moves that economy's deadline and its reminders.\n"
        "# activities: - {id, title, objective: '2.1', lead: KOR, due: YYYY-MM-DD, status: planned|in_progress|done|cancelled}\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def add_activity(path: Path, activity: Activity, plan: Plan) -> bool:
    """Add ``activity`` to the calendar file, keeping what people wrote in it (comments,
    order); False when an activity with its id is already there. The new text is checked
    as a calendar before it replaces the file."""
    calendar = load_calendar(path, plan)
    if any(a.id == activity.id for a in calendar.activities):
        return False
    text = path.read_text(encoding="utf-8")
    item = yaml.safe_dump(
        [activity.model_dump(mode="json")], default_flow_style=None, sort_keys=False, allow_unicode=True, width=1000
    )
    lines = text.splitlines()
    top_level = [i for i, line in enumerate(lines) if line and not line[0].isspace() and not line.startswith(("#", "-"))]
    position = next((i for i in top_level if lines[i].split(":")[0].strip() == "activities"), None)
    rewrite = dump_calendar(calendar.model_copy(update={"activities": (*calendar.activities, activity)}))
    if position is None:
        new_text = text.rstrip("\n") + "\nactivities:\n" + item
    elif lines[position].split(":", 1)[1].split("#")[0].strip() in ("", "[]"):
        end = next((i for i in top_level if i > position), len(lines))
        block = lines[position + 1 : end]
        while block and not block[-1].strip():
            block.pop()
        items = [line for line in block if line.lstrip().startswith("- ")]
        indent = items[0][: len(items[0]) - len(items[0].lstrip())] if items else ""
        head = lines[position] if lines[position].split(":", 1)[1].split("#")[0].strip() == "" else "activities:"
        added = [indent + line for line in item.rstrip("\n").splitlines()]
        new_lines = [*lines[:position], head, *block, *added, *lines[position + 1 + len(block) :]]
        new_text = "\n".join(new_lines) + "\n"
    else:  # written some other way (a flow list): written again whole, from the calendar
        new_text = rewrite
    try:
        yaml.safe_load(new_text)
    except yaml.YAMLError:
        new_text = rewrite  # a layout the lines above cannot extend: the calendar written again whole
    partial = path.with_name(path.name + ".partial")
    partial.write_text(new_text, encoding="utf-8")
    try:
        check = validate(Calendar, yaml.safe_load(new_text), path, CalendarError, "the calendar")
        check_against_plan(check, plan, str(path))
        if [a.id for a in check.activities] != [*(a.id for a in calendar.activities), activity.id]:
            raise CalendarError(f"{path}: could not add activity {activity.id} without changing the others; add it by hand")
    except Exception:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    return True
