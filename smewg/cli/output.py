"""Console and JSON output for the CLI (SPEC section 7).

With ``--json`` a command prints exactly one JSON document on stdout; everything else
(progress, logs, errors) goes to stderr so scripts can pipe stdout into ``jq``.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def print_error(message: str) -> None:
    """``error: message`` on stderr, never wrapped (paths and keys stay greppable)."""
    err_console.print("[bold red]error:[/] ", end="")
    err_console.print(message, markup=False, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` on stderr and exit non-zero."""
    print_error(message)
    raise typer.Exit(code)


def fail_if_undelivered(delivery: dict[str, Any]) -> None:
    """Exit 1 with one line when Slack did not take every message (they stay in the outbox)."""
    if delivery.get("failed"):
        problems = "; ".join(dict.fromkeys(delivery.get("problems") or []))
        fail(
            f"{delivery['failed']} message(s) could not be delivered ({problems[:300]}); "
            "they stay in the outbox for the next run (smewg outbox --status failed, smewg outbox send)"
        )
