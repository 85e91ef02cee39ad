"""Validate a parsed submission with the Great Expectations suite in ``expectations/``.

The suite file holds the rules; each expectation's ``severity`` says what a failure
means (critical: the row is quarantined; warning: accepted and flagged) and its
``meta`` says which field it is about and how to tell the economy, in plain words. This
module only adds the helper columns the rules read (the indicator's kind, the total of
a breakdown, the previous year's value) and turns GX results into row problems.

GX runs through :mod:`smewg.work.gx_runtime`: one context per thread, reused.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from smewg.core.catalogue import Plan
from smewg.core.paths import SUBMISSION_SUITE_FILE
from smewg.core.submission_format import currency_codes
from smewg.work.numbers import suite_parameters as number_patterns

SUITE_FILE = SUBMISSION_SUITE_FILE
ROW_ID = "row"


@dataclass
class RuleOutcome:
    """How one rule of the suite went for one file: for the validation report."""

    field: str | None
    severity: str  # error (quarantines) or warning (flags)
    rule: str  # the rule in plain words
    failed: int | None  # rows that broke it; None for a whole-file rule
    success: bool


@dataclass
class Validation:
    problems: list[dict[str, Any]]
    statuses: pd.Series  # per frame row: accepted, flagged or quarantined
    success: bool
    statistics: dict[str, Any]
    rules: list[RuleOutcome]


@dataclass
class FileToValidate:
    frame: pd.DataFrame
    parse_problems: list[dict[str, Any]] = field(default_factory=list)
    previous: dict[tuple[str, str], float] | None = None
    """(indicator, breakdown) -> last year's value, for the change check."""


@lru_cache(maxsize=4)
def _suite_json(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def resolve_parameters(value: Any, parameters: dict[str, Any]) -> Any:
    """The suite's ``{"$PARAMETER": name}`` references replaced by their values.

    Done here, not by GX: GX evaluates them with one pyparsing grammar shared by the whole
    process, which is not thread-safe; collection validates economies in parallel threads
    and hit ``SuiteParameterParser.push_first() missing ... 'toks'`` at random (and the
    process stayed broken). Concrete kwargs never reach that parser.
    """
    if isinstance(value, dict):
        if set(value) == {"$PARAMETER"}:
            return parameters[value["$PARAMETER"]]
        return {key: resolve_parameters(item, parameters) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_parameters(item, parameters) for item in value]
    return value


def load_suite(path: Path = SUITE_FILE, parameters: dict[str, Any] | None = None):
    """The suite from its file, its ``$PARAMETER`` references resolved with ``parameters``;
    refuses a file whose expectations GX silently dropped."""
    import great_expectations as gx

    import smewg.work.breakdown_expectation  # noqa: F401 - registers the custom expectation before the suite loads

    data = json.loads(_suite_json(path))
    if parameters is not None:
        data = resolve_parameters(data, parameters)
    suite = gx.ExpectationSuite(**data)
    if len(suite.expectations) != len(data["expectations"]):
        raise RuntimeError(
            f"{path}: {len(data['expectations'])} expectations in the file but GX loaded "
            f"{len(suite.expectations)}; an expectation type is unknown to this GX version"
        )
    return suite


def suite_parameters(plan: Plan, year: int) -> dict[str, Any]:
    from smewg.work.breakdown_expectation import register_plan

    register_plan(plan)
    kind_units = ["count|count", "percent|percent", *(f"amount|{code}" for code in sorted(currency_codes()))]
    return {
        "indicator_ids": [i.id for i in plan.all_indicators()],
        "plan_id": plan.id,
        "kind_units": kind_units,
        "cycle_years": [year],
        **number_patterns(),
    }


def _joined(left: pd.Series, right: pd.Series) -> pd.Series:
    """``left + "|" + right`` per row, missing where either is; each distinct pair is joined
    once (joining a million rows' strings took 0.4 s)."""
    left_codes, left_texts = pd.factorize(left)
    right_codes, right_texts = pd.factorize(right)
    both = (left_codes >= 0) & (right_codes >= 0)
    pair_codes, pairs = pd.factorize(left_codes[both].astype(np.int64) * len(right_texts) + right_codes[both])
    joined = np.array([f"{left_texts[p // len(right_texts)]}|{right_texts[p % len(right_texts)]}" for p in pairs], dtype=object)
    values = np.full(len(left), None, dtype=object)
    values[both] = joined[pair_codes]
    return pd.Series(values, index=left.index, dtype="str")


def prepare(frame: pd.DataFrame, plan: Plan, previous: dict[tuple[str, str], float] | None = None) -> pd.DataFrame:
    """Add the helper columns the suite reads. ``previous``: (indicator, breakdown) -> last year's value."""
    kinds = {i.id: i.kind for i in plan.all_indicators()}
    data = frame.copy()
    data["kind"] = data["indicator"].map(kinds)
    data["kind_unit"] = _joined(data["kind"], data["unit"])
    totals = data.loc[data["breakdown"] == "total"].drop_duplicates("indicator").set_index("indicator")["value"]
    # A group's rate may exceed the overall rate (women's adoption above the total's): only
    # counts and amounts have a total that bounds their breakdowns.
    data["total_value"] = data["indicator"].map(totals).where((data["breakdown"] != "total") & (data["kind"] != "percent"))
    if previous:
        before = pd.Series(previous, dtype="float64")  # (indicator, breakdown) keys: a MultiIndex
        keys = pd.MultiIndex.from_arrays([data["indicator"], data["breakdown"]])
        last = pd.Series(before.reindex(keys).to_numpy(), index=data.index)
        # 0 -> 0 gives NaN (no change to judge); x -> 0 or 0 -> x gives inf (flagged).
        with np.errstate(divide="ignore", invalid="ignore"):
            data["change_ratio"] = data["value"] / last
    else:
        data["change_ratio"] = np.nan
    return data


def _plain(name: str, value: Any) -> Any:
    """A value as people read it in a message: 2023.0 (a year column holding blanks) as
    2023, figures with thousands separators and at most two decimals (19,000,000, not
    1.9e+07), a ratio to three significant digits."""
    value = value.item() if hasattr(value, "item") else value
    if not isinstance(value, float | int) or isinstance(value, bool):
        return value
    if name in ("year", ROW_ID):
        return int(value) if float(value).is_integer() else value
    if isinstance(value, float) and not math.isfinite(value):
        return "infinite"
    if name == "change_ratio":
        return f"{value:.3g}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) >= 0.01 else f"{value:.3g}"


def _message(template: str, entry: dict[str, Any]) -> str:
    values = {k: _plain(k, v) for k, v in entry.items()}
    try:
        return template.format(**values)
    except (KeyError, ValueError, IndexError):
        return template.split("{")[0].strip() or template


def run_suite(data: pd.DataFrame, suite) -> Any:
    """Validate ``data`` with ``suite`` (on this thread's GX context); the GX validation result,
    every expectation's with its details (what Data Docs render)."""
    from smewg.work import gx_runtime

    return gx_runtime.run_suite(data, suite)


def failed_outcomes(data: pd.DataFrame, suite) -> list[Any]:
    """GX's outcomes of the rules of ``suite`` that fail on ``data``, each with its failing rows.

    Two passes for a suite of several rules: every rule asked only whether it holds (GX's
    cheapest result format), then the failing ones again for their rows and values. Most
    files pass most rules, and working out the details of the rules that hold was about
    half of a validation's time (the submission suite on a 65-row file: 124 -> 83 ms). A
    one-rule suite runs once with its details: a second validation's fixed cost (~10 ms)
    would be all a first pass could save.
    """
    from smewg.work import gx_runtime

    if len(suite.expectations) > 1:
        verdicts = gx_runtime.run_suite(data, suite, gx_runtime.PASS_OR_FAIL)
        failing = {int(outcome.expectation_config.meta["rule"]) for outcome in verdicts.results if not outcome.success}
        if not failing:
            return []
        suite = _rules_of(suite, frozenset(failing))
    return [outcome for outcome in gx_runtime.run_suite(data, suite).results if not outcome.success]


def _rules_of(suite, rules: frozenset[int]):
    """The part of ``suite`` holding the expectations of ``rules`` (by their ``meta.rule``)."""
    import great_expectations as gx

    chosen = [e.configuration.to_json_dict() for e in suite.expectations if int(e.meta["rule"]) in rules]
    return gx.ExpectationSuite(name=f"{suite.name}-failing", expectations=chosen)


def warm_up() -> None:
    """Import Great Expectations and register the suite's custom expectation now (~4 s),
    e.g. while a temporary Prefect server starts, rather than in the first collection."""
    import smewg.work.breakdown_expectation
    import smewg.work.gx_runtime  # noqa: F401


# Great Expectations costs ~13 ms per expectation per validation whatever the size of the
# data (it rebuilds each rule's metric graph), ~0.2 s per file for this suite: more than
# parsing and storing a 65-row file together. Rules judged row by row do not care which
# file a row came from, so the files of one collection run are validated together, in one
# data frame, with those rules; rules about a file as a whole run per file.
BATCH_ROWS = 200_000
"""Files are validated together up to this many rows (a bigger file is validated alone)."""
FILE_COLUMN = "_file"
UNIQUE_WITHIN_FILE = {"expect_compound_columns_to_be_unique"}
"""Row-by-row rules that compare rows with each other: batched with the file as part of the key."""
PER_FILE = {"expect_column_values_to_be_unique"}
"""Map rules that compare rows with each other and cannot take the file as a key."""


@dataclass
class _Suites:
    whole: Any  # every rule as the file has it, for a file validated alone
    rows: Any  # rules judged row by row, for a frame holding many files
    files: Any  # rules about a whole file, for one file's frame in a batch
    rules: list[dict[str, Any]]  # every rule of the file in its order: type, field, severity, message


def _suites(parameters: dict[str, Any], path: Path = SUITE_FILE) -> _Suites:
    """The suite file split into the rules that can run over many files at once and the rest."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    suite = load_suite(path, parameters)
    data = resolve_parameters(json.loads(_suite_json(path)), parameters)
    whole, rows, files, rules = [], [], [], []
    for index, (expectation, spec) in enumerate(zip(suite.expectations, data["expectations"], strict=True)):
        spec = {**spec, "meta": {**(spec.get("meta") or {}), "rule": index}}
        whole.append(spec)
        severity = "warning" if str(getattr(expectation.severity, "value", expectation.severity)) == "warning" else "error"
        row_by_row = isinstance(expectation, ColumnMapExpectation | ColumnPairMapExpectation | MulticolumnMapExpectation)
        rules.append({"type": spec["type"], "meta": spec["meta"], "severity": severity, "row_by_row": row_by_row})
        if spec["type"] in UNIQUE_WITHIN_FILE:
            spec = {**spec, "kwargs": {**spec["kwargs"], "column_list": [*spec["kwargs"]["column_list"], FILE_COLUMN]}}
            rows.append(spec)
        elif row_by_row and spec["type"] not in PER_FILE:
            rows.append(spec)
        else:
            files.append(spec)
    return _Suites(_suite_from(data, "whole", whole), _suite_from(data, "rows", rows), _suite_from(data, "files", files), rules)


def _suite_from(data: dict[str, Any], part: str, expectations: list[dict[str, Any]]):
    import great_expectations as gx

    return gx.ExpectationSuite(**{**data, "name": f"{data['name']}-{part}", "expectations": expectations})


def _results(failed: list[Any]) -> list[tuple[int, Any, list[dict[str, Any]] | None]]:
    """(rule index, GX outcome, failing entries or None) for each of the failed outcomes
    :func:`failed_outcomes` gives."""
    return [
        (int(outcome.expectation_config.meta["rule"]), outcome, (outcome.result or {}).get("unexpected_index_list") or None)
        for outcome in failed
    ]


def _problem(rule: dict[str, Any], outcome, entry: dict[str, Any] | None, parameters: dict[str, Any]) -> dict[str, Any]:
    """One failure in plain words: a row's, or the whole file's when ``entry`` is None."""
    meta, severity = rule["meta"], rule["severity"]
    if entry is not None:
        return {
            "row": int(entry[ROW_ID]),
            "field": meta.get("field"),
            "severity": severity,
            "message": _message(meta.get("message", rule["type"]), entry),
        }
    details = outcome.result or {}
    if rule["type"] == "expect_column_distinct_values_to_contain_set":
        order = {indicator: n for n, indicator in enumerate(parameters["indicator_ids"])}
        listed = sorted(details.get("partial_missing_list") or [], key=lambda i: order.get(i, len(order)))
        count = int(details.get("missing_count") or len(listed))
        missing = ", ".join(listed) + (f" and {count - len(listed)} more" if count > len(listed) else "")
        message = _message(meta.get("message", ""), {"missing": missing, "missing_count": count})
        return {"row": None, "field": meta.get("field"), "severity": severity, "message": message}
    error = (outcome.exception_info or {}).get("exception_message")
    message = f"check {rule['type']} could not run: {error}" if error else meta.get("message", rule["type"]).split("{")[0].strip()
    return {"row": None, "field": meta.get("field"), "severity": "error" if error else severity, "message": message}


def _batches(files: list[FileToValidate]) -> list[list[int]]:
    """Indexes of ``files`` in groups of at most ``BATCH_ROWS`` rows (a bigger file alone)."""
    batches: list[list[int]] = [[]]
    rows = 0
    for index, item in enumerate(files):
        if batches[-1] and rows + len(item.frame) > BATCH_ROWS:
            batches.append([])
            rows = 0
        batches[-1].append(index)
        rows += len(item.frame)
    return [b for b in batches if b]


def validate_many(files: list[FileToValidate], plan: Plan, year: int) -> list[Validation]:
    """Validate each file with the suite, the row-by-row rules over many files at once.

    The result for each file is what validating it alone gives (the tests compare both).
    """
    if not files:
        return []
    parameters = suite_parameters(plan, year)
    suites = _suites(parameters)
    prepared = [prepare(item.frame, plan, item.previous) for item in files]
    found: list[list[tuple[int, Any, dict[str, Any] | None]]] = [[] for _ in files]
    alone: set[int] = set()
    for batch in _batches(files):
        if len(batch) == 1:  # one file (a big one, or a run with one new file): the suite as it is, one GX run
            only = batch[0]
            alone.add(only)
            for rule, outcome, entries in _results(failed_outcomes(prepared[only], suites.whole)):
                found[only] += [(rule, outcome, entry) for entry in entries] if entries else [(rule, outcome, None)]
            continue
        frame, origin = _together([prepared[i] for i in batch])
        for rule, outcome, entries in _results(failed_outcomes(frame, suites.rows)):
            if entries is None:  # the rule could not run on the batch: it counts against each file
                for i in batch:
                    found[i].append((rule, outcome, None))
                continue
            for entry in entries:
                position = int(entry[ROW_ID])
                file_index, row = batch[origin[0][position]], origin[1][position]
                found[file_index].append((rule, outcome, {**entry, ROW_ID: row}))
    if suites.files.expectations:
        for i, data in enumerate(prepared):
            if i not in alone:
                found[i] += [(rule, outcome, None) for rule, outcome, _ in _results(failed_outcomes(data, suites.files))]
    return [_judge(item, failures, suites.rules, parameters) for item, failures in zip(files, found, strict=True)]


def _together(frames: list[pd.DataFrame]) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray]]:
    """One frame of ``frames`` with a file column and new row ids; the position's (frame, row id)."""
    if len(frames) == 1:
        frame = frames[0].assign(**{FILE_COLUMN: 0})
    else:
        frame = pd.concat([f.assign(**{FILE_COLUMN: n}) for n, f in enumerate(frames)], ignore_index=True)
    origin = (frame[FILE_COLUMN].to_numpy(), frame[ROW_ID].to_numpy())
    frame[ROW_ID] = np.arange(len(frame))
    return frame, origin


def _judge(item: FileToValidate, failures, rules: list[dict[str, Any]], parameters: dict[str, Any]) -> Validation:
    """One file's problems, row statuses, statistics and rule outcomes from its failures."""
    problems = list(item.parse_problems)
    specific = {(p["row"], p["field"]) for p in problems}  # the parser explains a row better than a generic rule
    failed_rows: dict[int, int] = {}
    failed_rules: set[int] = set()
    for rule, outcome, entry in failures:
        failed_rules.add(rule)
        if entry is not None:
            failed_rows[rule] = failed_rows.get(rule, 0) + 1
        problem = _problem(rules[rule], outcome, entry, parameters)
        if (problem["row"], problem["field"]) not in specific:
            problems.append(problem)
    problems.sort(key=lambda p: (p["row"] is None, p["row"] or 0, p["severity"] != "error", p["field"] or ""))
    frame = item.frame
    error_rows = {p["row"] for p in problems if p["severity"] == "error" and p["row"] is not None}
    warning_rows = {p["row"] for p in problems if p["severity"] == "warning" and p["row"] is not None}
    statuses = pd.Series(
        np.where(
            frame[ROW_ID].isin(error_rows), "quarantined", np.where(frame[ROW_ID].isin(warning_rows), "flagged", "accepted")
        ),
        index=frame.index,
    )
    evaluated = len(rules)
    statistics = {
        "evaluated_expectations": evaluated,
        "successful_expectations": evaluated - len(failed_rules),
        "unsuccessful_expectations": len(failed_rules),
        "success_percent": round(100 * (evaluated - len(failed_rules)) / evaluated, 1) if evaluated else 100.0,
        "rows": int(len(frame)),
        "rows_accepted": int((statuses != "quarantined").sum()),
        "rows_quarantined": int((statuses == "quarantined").sum()),
        "rows_flagged": int((statuses == "flagged").sum()),
    }
    outcomes = [
        RuleOutcome(
            field=rule["meta"].get("field"),
            severity=rule["severity"],
            rule=rule_in_words(rule["type"], rule["meta"]),
            failed=failed_rows.get(n, 0) if rule["row_by_row"] else None,
            success=n not in failed_rules,
        )
        for n, rule in enumerate(rules)
    ]
    success = not error_rows and not any(p["row"] is None and p["severity"] == "error" for p in problems)
    return Validation(problems, statuses, success, statistics, outcomes)


def rule_in_words(kind: str, meta: dict[str, Any]) -> str:
    """The rule as the suite file describes it (``meta.rule_text``), else its GX name in words."""
    if meta.get("rule_text"):
        return str(meta["rule_text"])
    return kind.removeprefix("expect_").replace("_", " ")


def validate(
    frame: pd.DataFrame,
    plan: Plan,
    year: int,
    *,
    parse_problems: list[dict] | None = None,
    previous: dict[tuple[str, str], float] | None = None,
) -> Validation:
    """Validate one file (see :func:`validate_many`)."""
    return validate_many([FileToValidate(frame, list(parse_problems or []), previous)], plan, year)[0]
