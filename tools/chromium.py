"""Headless Chromium for the browser test and the PDF: one set-up, loopback only.

Debian's ``chromium`` package (``/usr/bin/chromium``, or the browser named by the
``CHROMIUM`` environment variable) is driven by Playwright for Python, so no
browser is downloaded. The book is served over HTTP on 127.0.0.1, as a reader's
browser would load it, and the flags keep Chromium from calling any other host.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_executable() -> str:
    """Debian's Chromium, or the browser the ``CHROMIUM`` environment variable names."""
    return os.environ.get("CHROMIUM", "/usr/bin/chromium")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serve files without logging every request."""

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing."""


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve `root` on a free port of 127.0.0.1 in a background thread; return server and URL."""
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


