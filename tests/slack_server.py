"""A small local HTTP server that speaks the parts of the Slack Web API the project uses.

It answers like Slack does: HTTP 200 with ``{"ok": false, "error": ...}`` for API errors
(``invalid_auth``, ``channel_not_found``), 429 with ``Retry-After``, 5xx, and slow answers
that make the client time out. Faults are scripted per method, in order:

    server.script("chat.postMessage", "429", "500", "timeout")

``"timeout"`` stores the message and then answers too late (delivered, but the client
cannot know); ``"timeout-lost"`` answers too late without storing it; ``"500-posted"``
stores it and answers 500 (Slack has it, the client is told it failed).
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse


@dataclass
class Request:
    method: str
    headers: dict[str, str]
    params: dict[str, Any]


@dataclass
class FakeSlack:
    token: str
    channels: dict[str, str] = field(default_factory=dict)  # "#name" -> "C..."
    slow_seconds: float = 2.5
    post_seconds: float = 0.0  # every post takes this long (Slack under load)
    posted: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    _faults: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, method: str, *faults: str) -> None:
        self._faults[method].extend(faults)

    def next_fault(self, method: str) -> str | None:
        with self._lock:
            return self._faults[method].popleft() if self._faults[method] else None

    def channel_id(self, channel: str) -> str | None:
        if channel in self.channels.values():
            return channel
        return self.channels.get(channel)

    def posted_to(self, channel: str) -> list[dict[str, Any]]:
        channel_id = self.channel_id(channel)
        return [m for m in self.posted if m["channel"] == channel_id]

    def calls(self, method: str) -> int:
        return sum(1 for r in self.requests if r.method == method)

    # -- API methods --------------------------------------------------------------

    def handle(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Answer as Slack's Web API does (https://api.slack.com/methods), errors included."""
        if method == "auth.test":
            return {"ok": True, "team": "APEC", "user": "smewg-bot"}
        if method == "chat.postMessage":
            return self._post(params)
        if method == "conversations.list":
            listed = [{"id": cid, "name": name.lstrip("#")} for name, cid in self.channels.items()]
            return {"ok": True, "channels": listed[: _limit(params)], "response_metadata": {"next_cursor": ""}}
        if method == "conversations.history":
            return self._history(params)
        return {"ok": False, "error": "unknown_method"}

    def _post(self, params: dict[str, Any]) -> dict[str, Any]:
        time.sleep(self.post_seconds)
        channel_id = self.channel_id(params.get("channel", ""))
        if channel_id is None:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        blocks = params.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        with self._lock:
            ts = f"{time.time():.6f}"
            self.posted.append(
                {"channel": channel_id, "text": params.get("text"), "blocks": blocks, "metadata": metadata, "ts": ts}
            )
        return {"ok": True, "channel": channel_id, "ts": ts}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Newest first, ``limit`` per page with a cursor; metadata only with ``include_all_metadata``."""
        channel_id = self.channel_id(params.get("channel", ""))
        if channel_id is None:
            return {"ok": False, "error": "channel_not_found"}
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("true", "1")
        oldest = float(params.get("oldest") or 0)
        found = [m for m in reversed(self.posted) if m["channel"] == channel_id and float(m["ts"]) >= oldest]
        start = int(params.get("cursor") or 0)
        page = found[start : start + _limit(params)]
        more = start + len(page) < len(found)
        messages = [
            {"type": "message", "text": m["text"], "ts": m["ts"], **({"metadata": m["metadata"]} if with_metadata else {})}
            for m in page
        ]
        cursor = str(start + len(page)) if more else ""
        return {"ok": True, "messages": messages, "has_more": more, "response_metadata": {"next_cursor": cursor}}


def _limit(params: dict[str, Any]) -> int:
    """Slack's default page is 100 (history) and its maximum 1,000."""
    return max(1, min(int(params.get("limit") or 100), 1000))


def _handler(fake: FakeSlack):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def _params(self) -> dict[str, Any]:
            params: dict[str, Any] = dict(parse_qsl(urlparse(self.path).query))
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                body = self.rfile.read(length).decode("utf-8")
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params.update(json.loads(body))
                else:
                    params.update(dict(parse_qsl(body)))
            return params

        def _answer(self, status: int, document: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            body = json.dumps(document).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                pass

        def _serve(self) -> None:
            method = urlparse(self.path).path.rsplit("/", 1)[-1]
            params = self._params()
            fake.requests.append(Request(method, dict(self.headers), params))
            authorization = self.headers.get("Authorization") or (f"Bearer {params['token']}" if "token" in params else None)
            if authorization is None:
                return self._answer(200, {"ok": False, "error": "not_authed"})
            if authorization != f"Bearer {fake.token}":
                return self._answer(200, {"ok": False, "error": "invalid_auth"})
            fault = fake.next_fault(method)
            if fault == "429":
                return self._answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
            if fault in ("500", "503"):
                return self._answer(int(fault), {"ok": False, "error": "internal_error"})
            if fault == "500-posted":  # Slack took the message, then failed to answer
                fake.handle(method, params)
                return self._answer(500, {"ok": False, "error": "internal_error"})
            if fault == "timeout":
                document = fake.handle(method, params)
                time.sleep(fake.slow_seconds)
                return self._answer(200, document)
            if fault == "timeout-lost":
                time.sleep(fake.slow_seconds)
                return self._answer(200, {"ok": False, "error": "request_timeout"})
            if fault and fault.startswith("error:"):
                return self._answer(200, {"ok": False, "error": fault.removeprefix("error:")})
            return self._answer(200, fake.handle(method, params))

        do_GET = _serve  # noqa: N815 - http.server's names
        do_POST = _serve  # noqa: N815

    return Handler


class SlackServer:
    """Run a FakeSlack on 127.0.0.1 on a free port; ``base_url`` is what WebClient takes."""

    def __init__(self, fake: FakeSlack):
        self.fake = fake
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def __enter__(self) -> SlackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
