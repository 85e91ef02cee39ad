"""``smewg review midterm|final``: assemble a review (the assemble-review flow) and say where it is."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from smewg.cli.options import AsOfOption, JsonOption, parse_as_of, require_initialised_store
from smewg.cli.output import console, emit_json
from smewg.work.untrusted import terminal_safe


class ReviewKind(StrEnum):
    midterm = "midterm"
    final = "final"


def review(
    kind: Annotated[ReviewKind, typer.Argument(help="midterm (reported by the Chair) or final (to SME Ministers).")],
    rerun: Annotated[bool, typer.Option("--rerun", help="Roll the cycles up again first: picks up corrections.")] = False,
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
) -> None:
    """Build the review as a new version when its data changed (HTML, PDF, XLSX, what changed)."""
    require_initialised_store()
    from smewg.flows.review import assemble_review

    result = assemble_review(kind=kind.value, as_of=parse_as_of(as_of), rerun=rerun)
    if json_output:
        emit_json({k: v for k, v in result.items() if k != "delivery"})
        return
    state = "built" if result["created"] else "unchanged inputs: no new version"
    console.print(f"{kind.value.title()} review version {result['version']} ({state})", highlight=False)
    for label in ("html", "pdf", "xlsx"):
        console.print(f"  {label}: {result[label]}", highlight=False, soft_wrap=True)
    if result["created"] and result["version"] > 1:
        table = Table(title=f"{len(result['changed'])} figures changed since version {result['version'] - 1}")
        for column in ("indicator", "breakdown", "year", "figure", "old", "new", "moved by"):
            table.add_column(column)
        for c in result["changed"][:40]:
            table.add_row(
                c["indicator"],
                c["breakdown"],
                str(c["year"]),
                f"{c['statistic']} {c['area']}",
                "–" if c["old"] is None else f"{c['old']:,.2f}",
                "–" if c["new"] is None else f"{c['new']:,.2f}",
                terminal_safe(" ".join(c["economies"])),
            )
        console.print(table)
