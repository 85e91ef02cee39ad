"""The one place that reads the wall clock. Everything else takes an explicit ``as_of``."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

PLAN_TIMEZONE = "Asia/Singapore"


def today(timezone: str = PLAN_TIMEZONE) -> date:
    """Today's date in the plan's time zone: the default ``as_of`` of commands and flows."""
    return datetime.now(ZoneInfo(timezone)).date()


def now_utc() -> datetime:
    """The current instant, timezone-aware, for "received at"/"created at" stamps."""
    return datetime.now(ZoneInfo("UTC"))
