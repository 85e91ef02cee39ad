"""``smewg economies`` and ``smewg economies resolve TEXT``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from smewg.cli.options import JsonOption
from smewg.cli.output import console, emit_json, fail
from smewg.core.economies import UnknownEconomy, load_economies
from smewg.core.settings import get_settings

app = typer.Typer(help="The APEC member economies and their aliases.", invoke_without_command=True)


@app.callback()
def list_economies(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """List the 21 economies in APEC order with codes and accepted aliases."""
    if ctx.invoked_subcommand is not None:
        return
    registry = load_economies(get_settings().economies_file)
    if json_output:
        emit_json(
            [{"code": e.code, "name": e.name, "order": e.order, "alpha2": e.alpha2, "aliases": list(e.aliases)} for e in registry]
        )
        return
    table = Table(title="APEC member economies")
    for column in ("#", "code", "name", "alpha-2", "aliases"):
        table.add_column(column)
    for e in registry:
        table.add_row(str(e.order), e.code, e.name, e.alpha2, "; ".join(e.aliases))
    console.print(table)


@app.command("resolve")
def resolve(
    text: Annotated[str, typer.Argument(help="A code, abbreviation or name, e.g. 'ROK' or 'Viet Nam'.")],
    json_output: JsonOption = False,
) -> None:
    """Show the canonical code of an economy as a person might type it."""
    registry = load_economies(get_settings().economies_file)
    try:
        economy = registry.resolve(text)
    except UnknownEconomy as error:
        fail(str(error))
    if json_output:
        emit_json({"input": text, "code": economy.code, "name": economy.name})
    else:
        console.print(f"{economy.code}  {economy.name}", highlight=False)
