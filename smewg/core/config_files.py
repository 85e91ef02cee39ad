"""Reading the YAML files people edit (plans, economies, calendars, FX), with errors that
name the file and the key, the same way for every one of them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)
Loaded = TypeVar("Loaded")
_LOADED: dict[tuple[str, str, str], Any] = {}


def loaded_once(path: Path, load: Callable[[Path], Loaded]) -> Loaded:
    """``load(path)``, remembered per content of the file: a file read on every rollup or
    calendar check is parsed and validated once, and read again when it is edited. ``load``
    must return an object nobody changes (the loaders' models are frozen). A file that
    cannot be read is left to ``load``, which says what is wrong with it."""
    try:
        key = (f"{load.__module__}.{load.__qualname__}", str(path), hashlib.sha256(path.read_bytes()).hexdigest())
    except OSError:
        return load(path)
    if key not in _LOADED:
        if len(_LOADED) >= 64:
            _LOADED.clear()
        _LOADED[key] = load(path)
    return _LOADED[key]


class ConfigFileError(ValueError):
    """A file a person edits (plan, economies, calendar, FX, Slack channels) cannot be used.

    The message names the file and the key; the CLI prints it and exits 2.
    """


def read_yaml(path: Path, error: type[Exception], *, missing: str) -> tuple[str, Any]:
    """The file's text and parsed YAML; ``error(message)`` naming the file otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error(f"{path}: {missing}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        return text, yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise error(f"{path}: not valid YAML{where}: {problem}") from exc


def describe_location(raw: Any, loc: tuple[Any, ...]) -> str:
    """Turn pydantic's ``loc`` into a path a person can follow, adding ids to list items."""
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            if isinstance(node, list) and key < len(node):
                node = node[key]
                if isinstance(node, dict) and "id" in node:
                    label += f" (id {node['id']})"
            else:
                node = None
            if parts:
                parts[-1] += label
            else:
                parts.append(label)
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return " > ".join(parts) or "(top level)"


def validate(model: type[Model], raw: Any, path: Path, error: type[Exception], what: str) -> Model:
    """``model.model_validate(raw)``, or ``error`` listing every problem by key, in plain words."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{path}: {what} is not valid:"]
        for problem in exc.errors():
            message = problem["msg"].removeprefix("Value error, ")
            if problem["type"] == "missing":
                message = "field required"
            elif problem["type"] == "extra_forbidden":
                message = "unknown key (check its spelling)"
            elif problem["type"].startswith(("date_", "datetime_")):
                message += f" (got {problem.get('input')!r}; write dates as YYYY-MM-DD, e.g. 2023-06-30)"
            lines.append(f"  - {describe_location(raw, tuple(problem['loc']))}: {message}")
        raise error("\n".join(lines)) from None
