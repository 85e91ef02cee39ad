"""Headless Chromium for tests that look at a page as a person would.

Every request the page makes to the network goes to a recording proxy on 127.0.0.1
(loopback included, via ``<-loopback>``), which refuses it: a self-contained page makes
none. Chromium's own services (update checks, sign-in, network time) call out even for an
empty page; those hosts are told apart, and a control page proves a page's requests are seen.
``make test`` installs Debian's ``chromium`` when it is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

BROWSER_SERVICES = ("google.com", "googleapis.com", "gstatic.com", "gvt1.com")
"""Hosts Chromium itself calls (measured: clients2.google.com, update.googleapis.com, accounts.google.com)."""


class RecordingProxy:
    @property
    def page_requests(self) -> list[str]:
        """Requests not made by Chromium's own services."""
        return [r for r in self.requests if not _host(r).endswith(BROWSER_SERVICES)]

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorded = self.requests

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _refuse(self) -> None:
                recorded.append(f"{self.command} {self.path}")
                self.send_error(403, "no network for report pages")

            do_GET = do_POST = do_HEAD = do_CONNECT = _refuse  # noqa: N815 - http.server's names

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def _host(request: str) -> str:
    from urllib.parse import urlsplit

    target = request.split(" ", 1)[1]
    return (urlsplit(target).hostname if "//" in target else target.rsplit(":", 1)[0]) or ""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("headless Chromium is needed to look at the reports; `make test` installs Debian's chromium", pytrace=False)
    return found


def screenshot(page: Path, out: Path, proxy: RecordingProxy, *, size: str = "1200,1600") -> Path:
    """A PNG of ``page`` as Chromium renders it, every network request sent to ``proxy``."""
    with tempfile.TemporaryDirectory(prefix="smewg-chromium-") as profile:
        subprocess.run(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--hide-scrollbars",
                f"--proxy-server={proxy.address}",
                "--proxy-bypass-list=<-loopback>",
                f"--window-size={size}",
                f"--screenshot={out}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
    return out


def drawn_offline(page: Path, out: Path) -> Path:
    """Open ``page`` in headless Chromium and check what a person would see: it asked the
    network for nothing, and it is drawn (many colours, not a white sheet). The screenshot."""
    from PIL import Image

    with RecordingProxy() as proxy:
        shot = screenshot(page, out, proxy)
    assert proxy.page_requests == [], f"{page.name} asked the network for {proxy.page_requests}"
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50, f"{page.name} looks blank"
    assert sum(count for count, colour in colours if colour == (255, 255, 255)) < 0.97 * image.width * image.height, (
        f"{page.name} is nearly all white"
    )
    return shot
