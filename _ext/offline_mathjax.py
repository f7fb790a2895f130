r"""Serve MathJax from the built book instead of a CDN, so math renders offline.

MathJax 3 comes from the ``django-static-mathjax`` package (a plain copy of the
MathJax distribution; Django itself is not needed). The extension points
``mathjax_path`` at ``_static/mathjax/tex-chtml.js`` and copies the script and
everything it loads on demand into the HTML output: the web fonts, the TeX
packages it autoloads for macros such as ``\boldsymbol`` or ``\cancel`` (a page
whose package is missing stops typesetting altogether), and the menu and
accessibility components.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

STATIC_SUBDIR = "mathjax"
FILES = ("tex-chtml.js",)
DIRECTORIES = ("input/tex/extensions", "output/chtml", "ui", "a11y", "sre", "adaptors")


def mathjax_source() -> Path:
    import mathjax  # provided by django-static-mathjax

    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def set_mathjax_path(app: Sphinx, config: Any) -> None:
    config.mathjax_path = f"{STATIC_SUBDIR}/tex-chtml.js"


def copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source = mathjax_source()
    target = Path(app.outdir) / "_static" / STATIC_SUBDIR
    for name in FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target / name)
    for name in DIRECTORIES:
        shutil.copytree(source / name, target / name, dirs_exist_ok=True)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", set_mathjax_path)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
