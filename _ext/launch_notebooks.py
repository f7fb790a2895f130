"""Point the Binder and Colab buttons at runnable notebooks of the chapters.

The chapters are MyST markdown (``.md``) files, which Colab cannot open and
Binder opens as text. ``make notebooks`` (``tools/export_notebooks.py``) writes
each chapter as an ``.ipynb`` notebook, and the publishing workflow commits them,
with the library and its Binder environment, to the branch named by
``launch_notebooks_branch``. This extension runs after sphinx-book-theme has made
its launch buttons and rewrites their links to that branch and to the ``.ipynb``
file, so that both services open the notebook of the page.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from sphinx.application import Sphinx

NOTEBOOK_DIRECTORY = "chapters"


def notebook_path(pagename: str) -> str:
    """Repository path of the exported notebook of `pagename` (``chapters/x`` -> ``.ipynb``)."""
    return str(PurePosixPath(pagename).with_suffix(".ipynb"))


def launch_urls(app: Sphinx, pagename: str) -> dict[str, str]:
    """The Binder and Colab URLs of the notebook of `pagename`, keyed by button text."""
    repository = app.config.html_theme_options.get("repository_url", "").rstrip("/")
    org_repo = repository.removeprefix("https://github.com/")
    launch = app.config.html_theme_options.get("launch_buttons", {})
    branch = app.config.launch_notebooks_branch
    path = notebook_path(pagename)
    urls = {}
    if launch.get("binderhub_url"):
        binder = launch["binderhub_url"].rstrip("/")
        interface = {"classic": "tree", "jupyterlab": "lab/tree"}[
            launch.get("notebook_interface", "classic")
        ]
        target = quote(f"{interface}/{path}")
        urls["Binder"] = f"{binder}/v2/gh/{org_repo}/{branch}?urlpath={target}"
    if launch.get("colab_url"):
        colab = launch["colab_url"].rstrip("/")
        urls["Colab"] = f"{colab}/github/{org_repo}/blob/{branch}/{path}"
    return urls


def _buttons(header_buttons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for button in header_buttons:
        found.append(button)
        found.extend(_buttons(button.get("buttons", [])))
    return found


def rewrite_launch_buttons(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if not pagename.startswith(NOTEBOOK_DIRECTORY + "/"):
        return
    urls = launch_urls(app, pagename)
    for button in _buttons(context.get("header_buttons", [])):
        if button.get("text") in urls:
            button["url"] = urls[button["text"]]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("launch_notebooks_branch", "notebooks", "html")
    # sphinx-book-theme adds its launch buttons at priority 501.
    app.connect("html-page-context", rewrite_launch_buttons, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
