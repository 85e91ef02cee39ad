"""Slack messages as Block Kit (slack-sdk's models) with a plain-text fallback.

Text that comes from people or files (economy names, activity titles, error messages)
is escaped (``&``, ``<``, ``>``) in the blocks so it can never form a link or a mention.
The plain ``text`` fallback is kept as written (what ``smewg outbox`` shows) and escaped
as a whole when it is posted (``smewg.work.slack``): none of it is Slack markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from smewg.work.formatting import counted

HEADER_LIMIT = 150
SECTION_LIMIT = 3000


def escape(text: str) -> str:
    """Slack's escaping for user text, ``&`` first."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Message:
    """A message to write to the outbox. ``dedupe_key`` makes it be sent at most once."""

    dedupe_key: str
    kind: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    economy_code: str | None = None
    cycle_year: int | None = None
    due_on: date | None = None
    """The cycle day the message belongs to (the run's as_of), so backfills count it on that day."""

    def on(self, day: date) -> Message:
        return replace(self, due_on=day)


def _blocks(header: str, body: str, context: str | None = None) -> list[dict[str, Any]]:
    blocks = [
        HeaderBlock(text=_clip(header, HEADER_LIMIT)),
        SectionBlock(text=MarkdownTextObject(text=_clip(body, SECTION_LIMIT))),
    ]
    if context:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_clip(context, SECTION_LIMIT))]))
    return [block.to_dict() for block in blocks]


def reminder(
    *,
    key: str,
    channel: str,
    economy_code: str,
    economy_name: str,
    year: int,
    step: str,
    deadline: date,
    as_of: date,
    template: str | None,
) -> Message:
    days = (deadline - as_of).days
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    name = escape(economy_name)
    text = (
        f"Reminder ({step}): {economy_name}'s {year} KPI submission for the SMEWG Strategic Plan "
        f"is due {deadline.isoformat()} ({when})." + (f" Template: {template}" if template else "")
    )
    body = (
        f"*{name}*, your *{year}* KPI submission is due *{deadline.isoformat()}* ({when}).\n"
        + (f"Your template: `{escape(template)}`\n" if template else "")
        + 'Fill in the figures you have; leave a value empty with a note ("not collected") where you have none.'
    )
    return Message(
        key, "reminder", channel, text, _blocks(f"SMEWG {year} data call: reminder", body, f"step {step}"), economy_code, year
    )


def escalation(
    *, key: str, channel: str, economy_code: str, economy_name: str, year: int, step: str, deadline: date, as_of: date
) -> Message:
    late = (as_of - deadline).days
    text = (
        f"Overdue ({step}): {economy_name}'s {year} KPI submission was due {deadline.isoformat()}, "
        f"{late} day{'s' if late != 1 else ''} ago. Please send it, or tell the Secretariat when to expect it."
    )
    body = (
        f"*{escape(economy_name)}*, your *{year}* KPI submission was due *{deadline.isoformat()}* "
        f"({late} day{'s' if late != 1 else ''} ago).\nPlease send it, or reply with the date to expect it."
    )
    return Message(
        key, "escalation", channel, text, _blocks(f"SMEWG {year} data call: overdue", body, f"step {step}"), economy_code, year
    )


def missed_deadline(
    *, key: str, channel: str, year: int, as_of: date, escalated: list[tuple[str, str, str]], late: list[tuple[str, str, date]]
) -> Message:
    """``escalated``: (code, name, step) escalated now; ``late``: (code, name, deadline) of all late economies."""
    escalated_text = ", ".join(f"{code} ({step})" for code, _, step in escalated)
    text = (
        f"SMEWG {year}: {len(late)} economies have missed their deadline as of {as_of.isoformat()}: "
        + ", ".join(code for code, _, _ in late)
        + f". Escalated today: {escalated_text}."
    )
    lines = "\n".join(f"• *{code}* {escape(name)}, due {deadline.isoformat()}" for code, name, deadline in late)
    return Message(
        key,
        "missed_deadline",
        channel,
        text,
        _blocks(
            f"SMEWG {year}: {len(late)} submissions overdue",
            lines,
            f"as of {as_of.isoformat()}; escalated now: {escape(escalated_text)}",
        ),
        None,
        year,
    )


def overdue_item(*, key: str, channel: str, year: int, what: str, due: date, as_of: date, detail: str = "") -> Message:
    days = (as_of - due).days
    text = f"SMEWG {year}: {what} was due {due.isoformat()} and is not done ({days} days late). {detail}".strip()
    body = f"*{escape(what)}* was due *{due.isoformat()}* and is not done ({days} days late)."
    if detail:
        body += f"\n{escape(detail)}"
    return Message(key, "missed_deadline", channel, text, _blocks(f"SMEWG {year}: overdue", body), None, year)


def failure(
    *,
    key: str,
    channel: str,
    flow_name: str,
    parameters: dict[str, Any],
    error: str,
    link: str,
    state: str = "Failed",
    year: int | None = None,
) -> Message:
    """``year``: the cycle the run worked on, so each cycle's status counts only its own failures."""
    params = ", ".join(f"{name}={value}" for name, value in parameters.items()) or "(none)"
    text = f"Flow {flow_name} {state.lower()}: {error}. Parameters: {params}. Run: {link}"
    body = (
        f"*{escape(flow_name)}* {state.lower()}.\n*Error:* {escape(error)}\n*Parameters:* `{escape(params)}`\n"
        f"<{link}|Open the run in Prefect>"
    )
    return Message(key, "failure", channel, text, _blocks(f"Flow run {state.lower()}: {flow_name}", body), cycle_year=year)


ACK_PROBLEM_LINES = 15


def _problem_line(problem: dict[str, Any]) -> str:
    where = f"Row {problem['row']}" if problem.get("row") else "File"
    field_name = f", {problem['field']}" if problem.get("field") else ""
    return f"{where}{field_name}: {problem['message']}"


def acknowledgement(
    *,
    key: str,
    channel: str,
    economy_code: str,
    economy_name: str,
    year: int,
    file: str,
    version: int,
    status: str,
    accepted: int,
    quarantined: int,
    flagged: int,
    problems: list[dict[str, Any]],
    report: str | None,
) -> Message:
    """What happened to a submission, in plain words, with the rows to fix."""
    errors = [p for p in problems if p["severity"] == "error"]
    warnings = [p for p in problems if p["severity"] == "warning"]
    if status == "rejected":
        headline = f"{file} could not be accepted: {errors[0]['message'] if errors else 'see the report'}"
    else:
        parts = [f"{file} received as version {version}: {counted(accepted, 'row')} accepted"]
        if flagged:
            parts.append(f"{flagged:,} of them flagged for a check")
        if quarantined:
            parts.append(f"{counted(quarantined, 'row')} to correct")
        headline = ", ".join(parts) + "."
    listed = errors[:ACK_PROBLEM_LINES] + warnings[: max(0, ACK_PROBLEM_LINES - len(errors))]
    more = len(errors) + len(warnings) - len(listed)
    lines = [("To correct: " if p["severity"] == "error" else "Please check: ") + _problem_line(p) for p in listed]
    if more:
        lines.append(f"... and {more} more" + (f" in the validation report {report}" if report else ""))
    resend = "Send a corrected file to your inbox folder; it replaces this version (which is kept)."
    text = f"SMEWG {year}, {economy_name}: {headline}" + ("\n" + "\n".join(lines) if lines else "")
    if errors:
        text += f"\n{resend}"
    if report:
        text += f"\nValidation report: {report}"
    body = f"*{escape(economy_name)}*: {escape(headline)}"
    if lines:
        body += "\n" + "\n".join(f"• {escape(line)}" for line in lines)
    if errors:
        body += f"\n{resend}"
    context = f"validation report: {escape(report)}" if report else None
    return Message(
        key,
        "acknowledgement",
        channel,
        text,
        _blocks(f"SMEWG {year} submission {'rejected' if status == 'rejected' else 'received'}", body, context),
        economy_code,
        year,
    )


def review(
    *,
    key: str,
    channel: str,
    title: str,
    version: int,
    year: int,
    html: str,
    pdf: str,
    changed: int,
    corrections: list[tuple[str, int, int, str]],
) -> Message:
    """A review (re)built: links to its files, how many figures changed and which corrections did it.

    ``corrections``: (economy name, cycle, version, file name) of the versions that are new
    since the previous build; file names come from outside and are escaped.
    """
    what = "built" if version == 1 else f"rebuilt as version {version}: {changed} figure{'s' if changed != 1 else ''} changed"
    lines = [f"{name}: {cycle} cycle, version {number} ({file})" for name, cycle, number, file in corrections]
    text = f"{title} {what}. HTML: {html} PDF: {pdf}" + ("\nCorrections: " + "; ".join(lines) if lines else "")
    body = f"*{escape(title)}* {escape(what)}.\nHTML: `{escape(html)}`\nPDF: `{escape(pdf)}`"
    if lines:
        body += "\n*Corrections since the previous version:*\n" + "\n".join(f"• {escape(line)}" for line in lines)
    return Message(key, "review", channel, text, _blocks(f"SMEWG review: {title}"[:150], body), cycle_year=year)


def proposals_ranked(
    *,
    key: str,
    channel: str,
    session: str,
    ranked: int,
    eligible: int,
    top: list[tuple[str, str, float]],
    not_used: int,
    report: str | None,
) -> Message:
    """A session's proposals ranked: how many, the first eligible ones, what was not used.

    ``top``: (id, title, score) of the best eligible proposals; ids and titles come from
    the proposals' files and are escaped.
    """
    head = f"Project proposals {session} ranked: {counted(ranked, 'proposal')}, {eligible} eligible"
    if not_used:
        head += f"; {counted(not_used, 'file or row')} not used (see the report)"
    lines = [f"{number}. {pid}: {title} ({score:.2f})" for number, (pid, title, score) in enumerate(top, start=1)]
    text = head + "." + ("\nTop: " + "; ".join(lines) if lines else "") + (f"\nReport: {report}" if report else "")
    body = escape(head) + "."
    if lines:
        body += "\n*Top eligible proposals:*\n" + "\n".join(f"{escape(line)}" for line in lines)
    if report:
        body += f"\nReport: `{escape(report)}`"
    return Message(key, "proposals", channel, text, _blocks(f"SMEWG project proposals, session {session}", body))
