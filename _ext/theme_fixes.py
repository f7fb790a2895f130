"""Remove two script errors that the book's theme stack logs on every page.

- sphinx-thebe adds its configuration script twice (it connects to an event that
  fires once per reading pass), and the second ``const THEBE_JS_URL`` is a
  redeclaration error. The book runs no live code (``launch_buttons.thebe`` is
  off), so the thebe scripts are dropped, and any other script added twice is
  kept once.
- pydata-sphinx-theme reads the colour mode from ``localStorage`` and falls back
  to the ``default_mode`` of ``html_context``, empty unless set; on a first visit it
  then logs "Got invalid theme mode". It is set to ``auto`` (follow the system).
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _is_thebe(script: Any) -> bool:
    filename = getattr(script, "filename", None) or ""
    body = getattr(script, "attributes", {}).get("body", "") or ""
    return "thebe" in filename or "THEBE_JS_URL" in body


def unique_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    seen: set[tuple[str | None, str | None]] = set()
    kept = []
    for script in context.get("script_files", []):
        key = (getattr(script, "filename", None), getattr(script, "attributes", {}).get("body"))
        if key in seen or _is_thebe(script):
            continue
        seen.add(key)
        kept.append(script)
    context["script_files"] = kept


def default_mode(app: Sphinx, config: Any) -> None:
    config.html_context.setdefault("default_mode", "auto")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", default_mode)
    app.connect("html-page-context", unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
