"""Runs whose process was killed (SIGKILL, the OOM killer, a closed terminal): marked Crashed
and alerted, once, by the next ``smewg`` command that runs a flow on the same machine.

A killed process runs no hook, and a run started by a command (not a worker) has no
worker or heartbeat automation watching it on the command's temporary server: it would
stay Running forever. Every run a command starts gets the tag of its process
(``smewg-process:<machine>:<pid>:<start>``, the machine being this boot of this host in
this pid namespace: two containers sharing a host name never judge each other's pids) as
it starts running (the ``on_running`` hook ``smewg.flows.hooks.tag_with_process``); a later
command finds the runs still Running or Pending whose process is gone and ends them. The
start time in the tag tells a reused pid from the process that ran the flow. A process
killed in the milliseconds between its run's creation and that hook leaves the run
untagged: it is not found here (the price of keeping the tag off task runs, see the hook).
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
from prefect.client.schemas.objects import StateType
from prefect.states import Crashed, State

from smewg.flows.hooks import alert_secretariat

TAG_PREFIX = "smewg-process:"
PAGE = 200
logger = logging.getLogger("smewg.killed_runs")


def _started(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, from /proc), '' where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # field 22: starttime


def _machine() -> str:
    """This host, this boot, this pid namespace: where a pid means the same process."""
    parts = [socket.gethostname()]
    try:
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8])
        parts.append(os.readlink("/proc/self/ns/pid").strip("pid:[]"))
    except OSError:
        pass
    return "-".join(parts).replace(":", "-")


def process_tag(pid: int | None = None) -> str:
    pid = pid or os.getpid()
    return f"{TAG_PREFIX}{_machine()}:{pid}:{_started(pid)}"


def _alive(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc to ask: it answered the signal
    if stat.rsplit(")", 1)[1].split()[0] == "Z":
        return False  # killed, not yet reaped by its parent
    return not started or _started(pid) == started


@dataclass(frozen=True)
class KilledRun:
    id: str
    name: str
    flow: str


def end_killed_runs() -> list[KilledRun]:
    """Mark Crashed, and alert, every Running or Pending run of this machine whose process
    is gone. Housekeeping: a fault here is logged and never stops the command."""
    machine, host = _machine(), socket.gethostname()
    found: list[KilledRun] = []
    try:
        with get_client(sync_client=True) as client:
            offset = 0
            while True:
                runs = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(
                        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING, StateType.PENDING])),
                    ),
                    limit=PAGE,
                    offset=offset,
                )
                ended_before = len(found)
                for run in runs:
                    tag = next((t for t in run.tags if t.startswith(TAG_PREFIX)), None)
                    if tag is None:
                        continue
                    tagged_machine, _, rest = tag.removeprefix(TAG_PREFIX).partition(":")
                    pid_text, _, started = rest.partition(":")
                    if tagged_machine != machine or not pid_text.isdigit() or _alive(int(pid_text), started):
                        continue  # another machine's run, or its process lives
                    try:
                        found.append(_end(client, run, pid_text, host))
                    except Exception:
                        logger.exception("could not end flow run %s, whose process %s is gone", run.name, pid_text)
                if len(runs) < PAGE:
                    return found
                offset += PAGE - (len(found) - ended_before)  # the runs ended left the Running set
    except Exception:
        logger.exception("could not look for runs killed with their command")
    return found


def _end(client, run, pid_text: str, host: str) -> KilledRun:
    state: State = Crashed(message=f"its process ({pid_text} on {host}) was killed before the run ended; no result was recorded")
    client.set_flow_run_state(run.id, state, force=True)
    flow = client.read_flow(run.flow_id)
    if run.parent_task_run_id is None:  # a subflow's crash is its parent's: one alert
        alert_secretariat(flow, run, state)
    logger.warning("flow run %s (%s) was killed with its process %s: marked Crashed", run.name, flow.name, pid_text)
    return KilledRun(str(run.id), run.name, flow.name)
