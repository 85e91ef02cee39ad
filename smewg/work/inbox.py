"""Find submission files in ``inbox/<YEAR>/<ECONOMY>/``.

Hidden files and office lock files (``.~lock...#``, ``~$...``) are ignored; links that
point outside the inbox are never followed; folders that are not an economy code are
reported, not guessed. A file counts as received at its modification time, so a
simulation ``as_of`` a given day only sees what had arrived by then.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class InboxFile:
    economy: str
    path: Path
    received_at: datetime


def _ignored(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$") or name.endswith("#")


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def scan_inbox(
    inbox: Path, year: int, economies: list[str], *, as_of: date, timezone: str, now: datetime, quiet_seconds: int = 30
) -> tuple[dict[str, list[InboxFile]], list[str]]:
    """Files per economy that had arrived by the end of ``as_of``, oldest first; and warnings.

    A file changed less than ``quiet_seconds`` before ``now`` may still be being copied and
    waits for the next run; a modification time in the future counts as ``now``. Entries
    that are not regular files (pipes, sockets, dangling links) are reported, never opened.
    """
    root = inbox / str(year)
    found: dict[str, list[InboxFile]] = {}
    warnings: list[str] = []
    if not root.is_dir():
        return found, warnings
    zone = ZoneInfo(timezone)
    for folder in sorted(root.iterdir()):
        if _ignored(folder.name):
            continue
        if not _inside(folder, inbox):
            warnings.append(f"{folder}: a link to outside the inbox; not followed")
            continue
        if not folder.is_dir():
            warnings.append(f"{folder}: files belong in an economy folder ({root}/<CODE>/); ignored")
            continue
        if folder.name not in economies:
            warnings.append(
                f"{folder}: '{folder.name}' is not an economy code of the plan "
                f"(folders are named by ISO alpha-3 code, e.g. KOR); ignored"
            )
            continue
        files = []
        for path in folder.iterdir():
            if _ignored(path.name):
                continue
            if not _inside(path, inbox):
                warnings.append(f"{path}: a link to outside the inbox; not followed")
                continue
            try:
                status = path.stat()  # follows a link inside the inbox to its file
            except OSError as error:  # a dangling link, a file gone meanwhile, no permission
                warnings.append(f"{path}: cannot be read ({error.strerror or error}); ignored")
                continue
            if stat.S_ISDIR(status.st_mode):
                warnings.append(f"{path}: sub-folders are not read; put files directly in {folder}")
                continue
            if not stat.S_ISREG(status.st_mode):  # a pipe would block the reader forever
                warnings.append(f"{path}: not a regular file (a pipe, socket or device); ignored")
                continue
            received = datetime.fromtimestamp(status.st_mtime, tz=UTC)
            age = (now - received).total_seconds()
            if 0 <= age < quiet_seconds:
                warnings.append(f"{path}: changed {int(age)} s ago, may still be being copied; collected on the next run")
                continue
            if age < 0:  # a clock ahead, or a timestamp kept from elsewhere: it has arrived now
                warnings.append(
                    f"{path}: modification time {received:%Y-%m-%d %H:%M} UTC is in the future; counted as received now"
                )
                received = now
            arrived = received.astimezone(zone).date()
            if arrived <= as_of:
                files.append(InboxFile(folder.name, path, received))
            else:
                warnings.append(
                    f"{path}: arrived {arrived.isoformat()}, after the as-of date {as_of.isoformat()}; "
                    "a collection as of that day or later takes it"
                )
        if files:
            found[folder.name] = sorted(files, key=lambda f: (f.received_at, f.path.name))
    return found, warnings
