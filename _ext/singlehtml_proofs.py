"""Let the single-page HTML build (``make pdf``) render sphinx-proof's boxes.

sphinx-proof registers how to write its theorem, definition and proof nodes for
the ``html`` builder only; the ``singlehtml`` builder, whose output ``make pdf``
prints, then fails on the first theorem. Once every extension is loaded, the
handlers registered for ``html`` by sphinx-proof are registered for
``singlehtml`` too.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def copy_proof_handlers(app: Sphinx) -> None:
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for name, (visit, depart) in handlers.get("html", {}).items():
        if visit.__module__.startswith("sphinx_proof") and name not in single:
            single[name] = (visit, depart)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", copy_proof_handlers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
