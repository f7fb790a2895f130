"""pytest plugin: let strict nbval replay chapters that glue computed numbers into the text.

``myst_nb.glue(name, value, display=False)`` shows ``value`` as an output whose MIME
types start with ``application/papermill.record/``. When myst-nb executes a chapter it
moves those outputs out of the cells into the page's text, so the notebooks it writes
under ``_build/jupyter_execute`` no longer hold them, and a rerun has one output more than
its reference. This plugin removes exactly those outputs from the rerun before nbval
compares; every other output is compared as strictly as before. Loaded by ``make nbval``
with ``-p tools.nbval_glue``.
"""

from __future__ import annotations

from typing import Any

from nbval.plugin import IPyNbCell

GLUE_PREFIX = "application/papermill.record/"

_compare_outputs = IPyNbCell.compare_outputs


def is_glue(output: Any) -> bool:
    """Whether `output` is a glued value that myst-nb moves into the text."""
    data = output.get("data", {}) if hasattr(output, "get") else {}
    return bool(data) and all(key.startswith(GLUE_PREFIX) for key in data)


def compare_outputs(self: Any, test: Any, ref: Any, skip_compare: Any = None) -> Any:
    """Nbval's comparison, with the glued values left out of the rerun's outputs."""
    return _compare_outputs(self, [o for o in test if not is_glue(o)], ref, skip_compare)


IPyNbCell.compare_outputs = compare_outputs  # type: ignore[method-assign]
