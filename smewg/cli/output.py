"""Console and JSON output for the CLI (SPEC section 7).

With ``--json`` a command prints exactly one JSON document on stdout; everything else
(progress, logs, errors) goes to stderr so scripts can pipe stdout into ``jq``.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def print_error(message: str) -> None:
    """``error: message`` on stderr, one line, never wrapped (paths and keys stay greppable)."""
    err_console.print("[bold red]error:[/] ", end="")
    err_console.print(" ".join(message.split()), markup=False, highlight=False, soft_wrap=True)


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


def send_logs_to(path: Path, *, prefect: bool = True) -> None:
    """Prefect's and the libraries' log lines go to ``path``, not the terminal (the bars do),
    for the rest of the process (the temporary server logs its stop at exit).

    Prefect sends run logs to its API (the UI shows them) and writes every line to the
    console through handlers on the root logger; those handlers are swapped for the file.
    ``prefect=False``: the file only, without importing Prefect (~1 s), for what a command
    logs before it needs Prefect; call again without it before Prefect logs anything.
    """
    if prefect:
        from prefect.logging.configuration import setup_logging

        setup_logging()
    to_file = _log_files.get(path)
    if to_file is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        to_file = _log_files[path] = logging.FileHandler(path, encoding="utf-8")
        to_file.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d | %(levelname)-7s | %(name)s - %(message)s", "%H:%M:%S"))
    for name in ("", "uvicorn", "fastapi", "prefect._internal"):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.addHandler(to_file)
    logging.captureWarnings(True)


_log_files: dict[Path, logging.FileHandler] = {}


def log_path() -> Path:
    """Where commands write what the terminal does not show: run logs and tracebacks."""
    from smewg.core.settings import get_settings

    try:
        home = get_settings().home
    except Exception:  # settings that cannot be read are themselves the error being reported
        home = Path("var")
    return (home / "logs" / "smewg.log").resolve()
