"""The Jinja2 environment of every HTML page smewg writes (``report_templates/``): one
place that decides that text from outside is escaped (autoescape) before it reaches a page."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "report_templates"


def _trusted_svg(svg: str) -> Markup:
    """Charts are drawn here from numbers (no outside text reaches them but escaped titles)."""
    return Markup(svg)


@cache
def environment() -> Environment:
    pages = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True
    )
    pages.filters["markup_svg"] = _trusted_svg
    return pages


def page_template(name: str) -> Template:
    """``report_templates/<name>``, autoescaped."""
    return environment().get_template(name)
