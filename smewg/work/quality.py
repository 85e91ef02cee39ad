"""Validate a parsed submission with the Great Expectations suite in ``expectations/``.

The suite file holds the rules; each expectation's ``severity`` says what a failure
means (critical: the row is quarantined; warning: accepted and flagged) and its
``meta`` says which field it is about and how to tell the economy, in plain words. This
module only adds the helper columns the rules read (the indicator's kind, the total of
a breakdown, the previous year's value) and turns GX results into row problems.

A fresh ephemeral GX context is made for every validation: contexts (and their batch
caches) are not safe to share across threads.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
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
class Validation:
    problems: list[dict[str, Any]]
    statuses: pd.Series  # per frame row: accepted, flagged or quarantined
    success: bool
    statistics: dict[str, Any]
    result: Any  # the GX ExpectationSuiteValidationResult, for Data Docs


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


def prepare(frame: pd.DataFrame, plan: Plan, previous: dict[tuple[str, str], float] | None = None) -> pd.DataFrame:
    """Add the helper columns the suite reads. ``previous``: (indicator, breakdown) -> last year's value."""
    kinds = {i.id: i.kind for i in plan.all_indicators()}
    data = frame.copy()
    data["kind"] = data["indicator"].map(kinds)
    known = data["kind"].notna()
    data["kind_unit"] = (data["kind"] + "|" + data["unit"]).where(known & data["unit"].notna())
    totals = data.loc[data["breakdown"] == "total"].drop_duplicates("indicator").set_index("indicator")["value"]
    # A group's rate may exceed the overall rate (women's adoption above the total's): only
    # counts and amounts have a total that bounds their breakdowns.
    data["total_value"] = data["indicator"].map(totals).where((data["breakdown"] != "total") & (data["kind"] != "percent"))
    if previous:
        keys = list(zip(data["indicator"], data["breakdown"]))
        last = pd.Series([previous.get(k, np.nan) for k in keys], index=data.index, dtype="float64")
        # 0 -> 0 gives NaN (no change to judge); x -> 0 or 0 -> x gives inf (flagged).
        with np.errstate(divide="ignore", invalid="ignore"):
            data["change_ratio"] = data["value"] / last
    else:
        data["change_ratio"] = np.nan
    return data


def _message(template: str, entry: dict[str, Any]) -> str:
    values = {k: (v.item() if hasattr(v, "item") else v) for k, v in entry.items()}
    try:
        return template.format(**values)
    except (KeyError, ValueError, IndexError):
        return template.split("{")[0].strip() or template


def run_suite(data: pd.DataFrame, parameters: dict[str, list], suite=None):
    """Validate ``data`` on a fresh ephemeral context; return the GX validation result."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("submission").add_dataframe_asset("rows")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": data})
    return batch.validate(
        suite or load_suite(parameters=parameters),
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]},
    )


def problems_from(result, parameters: dict[str, list]) -> list[dict[str, Any]]:
    problems = []
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        meta = config.meta or {}
        severity = "warning" if str(getattr(config.severity, "value", config.severity)) == "warning" else "error"
        details = outcome.result or {}
        entries = details.get("unexpected_index_list")
        if entries:
            for entry in entries:
                problems.append(
                    {
                        "row": int(entry[ROW_ID]),
                        "field": meta.get("field"),
                        "severity": severity,
                        "message": _message(meta.get("message", config.type), entry),
                    }
                )
        elif config.type == "expect_column_distinct_values_to_contain_set":
            order = {indicator: n for n, indicator in enumerate(parameters["indicator_ids"])}
            listed = sorted(details.get("partial_missing_list") or [], key=lambda i: order.get(i, len(order)))
            count = int(details.get("missing_count") or len(listed))
            missing = ", ".join(listed) + (f" and {count - len(listed)} more" if count > len(listed) else "")
            problems.append(
                {
                    "row": None,
                    "field": meta.get("field"),
                    "severity": severity,
                    "message": _message(meta.get("message", ""), {"missing": missing, "missing_count": count}),
                }
            )
        else:
            error = (outcome.exception_info or {}).get("exception_message")
            problems.append(
                {
                    "row": None,
                    "field": meta.get("field"),
                    "severity": "error",
                    "message": f"check {config.type} could not run: {error}" if error else config.type,
                }
            )
    return problems


def validate(
    frame: pd.DataFrame,
    plan: Plan,
    year: int,
    *,
    parse_problems: list[dict] | None = None,
    previous: dict[tuple[str, str], float] | None = None,
    suite=None,
) -> Validation:
    """Run the suite; merge the parser's row problems (they explain a row better than a generic rule)."""
    parameters = suite_parameters(plan, year)
    result = run_suite(prepare(frame, plan, previous), parameters, suite)
    problems = list(parse_problems or [])
    specific = {(p["row"], p["field"]) for p in problems}
    problems += [p for p in problems_from(result, parameters) if (p["row"], p["field"]) not in specific]
    problems.sort(key=lambda p: (p["row"] is None, p["row"] or 0, p["severity"] != "error", p["field"] or ""))
    error_rows = {p["row"] for p in problems if p["severity"] == "error" and p["row"] is not None}
    warning_rows = {p["row"] for p in problems if p["severity"] == "warning" and p["row"] is not None}
    statuses = pd.Series(
        np.where(
            frame[ROW_ID].isin(error_rows), "quarantined", np.where(frame[ROW_ID].isin(warning_rows), "flagged", "accepted")
        ),
        index=frame.index,
    )
    statistics = {
        **(result.statistics or {}),
        "rows": int(len(frame)),
        "rows_accepted": int((statuses != "quarantined").sum()),
        "rows_quarantined": int((statuses == "quarantined").sum()),
        "rows_flagged": int((statuses == "flagged").sum()),
    }
    statistics = {k: (v.item() if hasattr(v, "item") else v) for k, v in statistics.items()}
    return Validation(
        problems,
        statuses,
        not error_rows and not any(p["row"] is None and p["severity"] == "error" for p in problems),
        statistics,
        result,
    )


OFFLINE_STYLE = """<style>
body { font-family: sans-serif; margin: 1.5em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 6px; vertical-align: top; }
.smewg-header { background: #f3f6fa; border-left: 4px solid #1f5fa8; padding: 0.6em 1em; margin-bottom: 1em; }
</style>"""


def write_data_docs(result, path: Path, *, heading: str = "") -> Path:
    """Render one validation as a GX Data Docs page (the same renderer GX sites use).

    GX's page loads its styles from a CDN; these machines are offline, so a small inline
    style keeps the tables readable, and a heading says which file the page is about.
    """
    from html import escape

    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        html = DefaultJinjaPageView().render(ValidationResultsPageRenderer().render(result))
        html = html.replace("</head>", OFFLINE_STYLE + "</head>", 1)
        if heading:
            html = html.replace("<body>", f'<body><div class="smewg-header"><h1>{escape(heading)}</h1></div>', 1)
    except Exception as error:  # a rendering bug must not lose the submission
        logging.getLogger("smewg.quality").warning("Data Docs rendering failed: %s", error)
        html = (
            f"<html><body><h1>Validation</h1><pre>{json.dumps(result.to_json_dict(), indent=2, default=str)}</pre></body></html>"
        )
    path.write_text(html, encoding="utf-8")
    return path
