"""The Prefect API a command's flow runs report to.

With ``PREFECT_API_URL`` set (a running ``prefect server start``, production) nothing is
started. Without it, the command starts a temporary server of its own, as Prefect would,
but one that cannot outlive the command: Prefect's stops at a clean exit only, so every
SIGKILL left a server running (~200 MB each). Ours is ``prefect server start`` (no UI,
an ephemeral server's services) with Linux's parent-death signal set: the kernel stops it when the command dies,
however it dies. Its database is Prefect's usual one under ``PREFECT_HOME``, so the runs
stay there for ``prefect server start`` to show later. A new database starts as a copy
of a migrated template (:mod:`smewg.cli.prefect_database`), and a command may launch the
server before its heavy imports (:func:`launch_temporary_server`) so that both overlap.

Then runs this machine's killed commands left Running are marked Crashed and alerted
(:mod:`smewg.flows.killed_runs`), and this command's runs are tagged with its process.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

logger = logging.getLogger("smewg.prefect_server")
logger.setLevel(logging.INFO)  # its two lines belong in the command's log, as Prefect's own do
PR_SET_PDEATHSIG = 1
STARTUP_SECONDS = 120
LATER_UI_URL = "http://127.0.0.1:4200"
"""``prefect server start``'s default address: where a temporary server's runs can be seen after."""

_state: dict[str, object] = {}


def _prctl():
    """libc's prctl, looked up before the fork (a child of a threaded process must not dlopen)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _die_with_parent(parent: int, prctl) -> None:
    """In the server's process before it starts: the kernel sends SIGTERM when the command
    dies. (It fires when the thread that started the server ends: ``use_prefect`` runs on
    the command's main thread.)"""
    if prctl is not None and prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        os._exit(70)  # the server would outlive a killed command: better not to start it
    if os.getppid() != parent:  # the command died before the line above: do not start
        os._exit(0)


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch_temporary_server(log: Path) -> None:
    """Start the temporary server now, without waiting for it: a command calls this before
    its heavy imports so that the server boots meanwhile (``use_prefect`` waits for it).
    Nothing is started when the environment's ``PREFECT_API_URL`` names a running server
    (Prefect is not imported yet to read its profile: when the profile names one,
    ``use_prefect`` stops the server launched here)."""
    if "launched" in _state or "url" in _state or os.environ.get("PREFECT_API_URL"):
        return
    assert threading.current_thread() is threading.main_thread(), "the server must be started by the main thread"
    server, url = _launch(log)
    atexit.register(_stop, server)
    _state["launched"] = (server, url, log)


def _start_server(log: Path) -> tuple[subprocess.Popen, str]:
    """A temporary server started and ready (stopping it is the caller's)."""
    server, url = _launch(log)
    _wait_until_ready(server, url, log)
    return server, url


def _launch(log: Path) -> tuple[subprocess.Popen, str]:
    from smewg.cli.prefect_database import seed_new_database

    _state["new_database"] = seed_new_database()
    port = _free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    logger.info("Starting temporary server on http://127.0.0.1:%d (prefect server start; it stops with this command)", port)
    parent, prctl = os.getpid(), _prctl()
    # As Prefect's own temporary server: no UI, and the services an ephemeral server runs,
    # above all the task run recorder (`--no-services` left every task run unrecorded).
    # Events are not kept and no automation runs on it: those belong to the production
    # server, where deployments and automations live; here they would only slow the command.
    env = {
        "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_ACTIONS_ENABLED": "false",
        **os.environ,
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT__SERVER_EPHEMERAL": "1",
    }
    env.pop("PREFECT_API_URL", None)
    with log.open("a", encoding="utf-8") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            # Its own session: Ctrl-C on the command reaches the command only, which then
            # records its runs' end on a server still up (and stops it at exit).
            start_new_session=True,
            preexec_fn=lambda: _die_with_parent(parent, prctl),
        )
    return server, f"http://127.0.0.1:{port}/api"


def _wait_until_ready(server: subprocess.Popen, url: str, log: Path) -> None:
    import httpx

    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                logger.info("Temporary server ready at %s", url)
                return
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            _stop(server)
            raise RuntimeError(f"the temporary Prefect server did not start (its output is in {log})")
        time.sleep(0.1)


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def use_prefect(log: Path) -> str:
    """The API URL this process's flows report to, started if need be (once per process);
    its runs tagged with the process; this machine's killed runs ended and alerted."""
    if "url" in _state:
        return str(_state["url"])
    assert threading.current_thread() is threading.main_thread(), "the server must be started by the main thread"
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings

    from smewg.flows.hooks import tag_runs_with
    from smewg.flows.killed_runs import end_killed_runs, process_tag

    settings = contextlib.ExitStack()
    url = PREFECT_API_URL.value()
    if url and "launched" in _state:  # a running server named in a Prefect profile, not the environment
        _stop(_state.pop("launched")[0])  # type: ignore[index]
    if not url:
        launch_temporary_server(log)
        launched = _state.pop("launched")
        assert isinstance(launched, tuple)
        server, url, started_log = launched
        _wait_until_ready(server, url, started_log)
        # Run links point where `prefect server start` shows these runs later (same PREFECT_HOME).
        settings.enter_context(temporary_settings(updates={PREFECT_API_URL: url, PREFECT_UI_URL: LATER_UI_URL}))
        _state["server"] = server
    tag_runs_with(process_tag())  # for the rest of the command
    _state["url"], _state["context"] = url, settings
    if not _state.get("new_database"):  # a database this command just created holds no runs
        end_killed_runs()
    return url


def temporary_server_pid() -> int | None:
    """The pid of the server this process started (None when it uses a running one)."""
    server = _state.get("server")
    return server.pid if isinstance(server, subprocess.Popen) else None
