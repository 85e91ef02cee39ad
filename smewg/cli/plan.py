"""``smewg plan show``: the plan's priorities, objectives and indicators."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.tree import Tree

from smewg.cli.options import JsonOption
from smewg.cli.output import console, emit_json, fail
from smewg.core.catalogue import KINDS, Indicator, Plan, load_catalogue
from smewg.core.settings import get_settings

app = typer.Typer(help="The strategic plan catalogue.", no_args_is_help=True)


def _indicator_json(indicator: Indicator) -> dict[str, Any]:
    return {"id": indicator.id, "name": indicator.name, "kind": indicator.kind, "breakdowns": list(indicator.breakdowns)}


def _keep(indicator: Indicator, kind: str | None, search: str | None) -> bool:
    if kind and indicator.kind != kind:
        return False
    return not search or search.lower() in indicator.name.lower() or search == indicator.id


def plan_document(
    plan: Plan, *, priority: str | None = None, objective: str | None = None, kind: str | None = None, search: str | None = None
) -> dict[str, Any]:
    """The ``plan show --json`` document, filtered; empty branches are dropped."""
    priorities = []
    for p in plan.priorities:
        if priority and p.id != priority:
            continue
        objectives = []
        for o in p.objectives:
            if objective and o.id != objective:
                continue
            indicators = [_indicator_json(i) for i in o.indicators if _keep(i, kind, search)]
            if indicators:
                objectives.append({"id": o.id, "title": o.title, "indicators": indicators})
        if objectives:
            priorities.append(
                {"id": p.id, "title": p.title, "success_factors": list(p.success_factors), "objectives": objectives}
            )
    general = []
    if not priority and not objective:
        general = [_indicator_json(i) for i in plan.general_indicators if _keep(i, kind, search)]
    return {
        "plan": plan.id,
        "title": plan.title,
        "period": [plan.period.start, plan.period.end],
        "priorities": priorities,
        "general_indicators": general,
        "reviews": [r.model_dump() for r in plan.reviews],
    }


def _label(indicator: dict[str, Any]) -> str:
    breakdowns = ", ".join(indicator["breakdowns"])
    return f"[bold]{indicator['id']}[/] {indicator['name']} [dim]({indicator['kind']}; {breakdowns})[/]"


def render_tree(document: dict[str, Any]) -> Tree:
    tree = Tree(f"[bold]{document['title']}[/] [dim]({document['plan']})[/]")
    for p in document["priorities"]:
        branch = tree.add(f"[bold cyan]Priority {p['id']}[/] {p['title']}")
        for o in p["objectives"]:
            leaf = branch.add(f"[cyan]{o['id']}[/] {o['title']}")
            for indicator in o["indicators"]:
                leaf.add(_label(indicator))
    if document["general_indicators"]:
        general = tree.add("[bold cyan]General indicators[/]")
        for indicator in document["general_indicators"]:
            general.add(_label(indicator))
    return tree


def counts_line(document: dict[str, Any]) -> str:
    objectives = [o for p in document["priorities"] for o in p["objectives"]]
    indicators = [i for o in objectives for i in o["indicators"]]
    return (
        f"{len(document['priorities'])} priority areas, {len(objectives)} objectives, "
        f"{len(indicators)} indicators, {len(document['general_indicators'])} general indicators"
    )


@app.command("show")
def show(
    priority: Annotated[str | None, typer.Option(help="Only this priority area, e.g. 2.")] = None,
    objective: Annotated[str | None, typer.Option(help="Only this objective, e.g. 2.1.")] = None,
    kind: Annotated[str | None, typer.Option(help=f"Only indicators of this kind: {', '.join(KINDS)}.")] = None,
    search: Annotated[str | None, typer.Option(help="Only indicators whose name contains this text.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Show the plan as a tree: priority areas, objectives, indicators (id, kind, breakdowns)."""
    if kind and kind not in KINDS:
        fail(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    settings = get_settings()
    plan = load_catalogue(settings.plan_file, settings.economies_file).plan
    document = plan_document(plan, priority=priority, objective=objective, kind=kind, search=search)
    if (priority or objective) and not document["priorities"]:
        fail(
            f"plan {plan.id} has no {'objective ' + objective if objective else 'priority area ' + str(priority)}"
            + (f" with indicators of kind {kind}" if kind else "")
        )
    if json_output:
        emit_json(document)
        return
    console.print(render_tree(document))
    console.print(counts_line(document), style="dim")
