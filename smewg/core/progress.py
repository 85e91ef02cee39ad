"""Progress of long work, for whoever is watching (``smewg demo`` draws bars from it).

Flows and tasks report what they are doing here; nothing listens in a worker, so a report
costs nothing there. A terminal command that wants bars subscribes for the length of its
run (:func:`listening`). Reports carry a key (e.g. ``cycle-2022``), a description and a
total of steps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class ProgressListener(Protocol):
    def started(self, key: str, description: str, total: int) -> None: ...

    def advanced(self, key: str, steps: int, note: str) -> None: ...


_listeners: list[ProgressListener] = []
_lock = threading.Lock()


@contextmanager
def listening(listener: ProgressListener) -> Iterator[ProgressListener]:
    """Send every report made in this process to ``listener`` until the block ends."""
    with _lock:
        _listeners.append(listener)
    try:
        yield listener
    finally:
        with _lock:
            _listeners.remove(listener)


def started(key: str, description: str, total: int) -> None:
    """A piece of work of ``total`` steps begins."""
    for listener in list(_listeners):
        listener.started(key, description, total)


def advanced(key: str, steps: int = 1, note: str = "") -> None:
    """``steps`` more steps of ``key`` are done; ``note`` says what is being done now."""
    for listener in list(_listeners):
        listener.advanced(key, steps, note)
