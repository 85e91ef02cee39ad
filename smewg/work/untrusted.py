"""Text that came from outside (cells, notes, file names) made safe for each place it is shown.

HTML goes through Jinja2's autoescape and Slack text through :func:`smewg.work.messages.escape`;
this module covers Prefect's markdown artifacts and the terminal.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def terminal_safe(text: object) -> str:
    """Control characters (escape sequences that could move the cursor or retitle the
    terminal) shown as ``\\xNN`` instead of being sent to it."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def markdown_cell(text: object) -> str:
    """One line of plain text inside Prefect markdown: no HTML, links, emphasis or table breaks."""
    flat = terminal_safe(str(text).replace("\r", " ").replace("\n", " "))
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)
