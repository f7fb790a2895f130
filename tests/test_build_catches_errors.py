"""The strict build step of `make test` must fail on a raising cell or a Sphinx warning.

Each case builds a throwaway one-page book with the project's own _config.yml and
the Makefile's own build target, so a change that loosens either is caught here.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FRONT_MATTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
    jupytext_version: 1.19.6
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A throwaway page

"""

CELL = "```{{code-cell}} ipython3\n{source}\n```\n"

PAGES = {
    "clean": FRONT_MATTER + CELL.format(source="print(6 * 7)") + "\nSee {cite}`bishop2006`.\n",
    "raising cell": FRONT_MATTER + CELL.format(source="1 / 0"),
    "missing citation": FRONT_MATTER + "See {cite}`no-such-reference`.\n",
    "broken reference": FRONT_MATTER + "See {prf:ref}`no-such-label`.\n",
}

EXPECTED = {
    "raising cell": "ZeroDivisionError",
    "missing citation": "no-such-reference",
    "broken reference": "no-such-label",
}


def build(tmp_path: Path, page: str) -> subprocess.CompletedProcess[str]:
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(ROOT / "_config.yml", book)
    shutil.copy(ROOT / "references.bib", book)
    shutil.copytree(ROOT / "_ext", book / "_ext")
    shutil.copytree(ROOT / "_static", book / "_static")
    (book / "index.md").write_text(page + "\n```{bibliography}\n```\n", encoding="utf-8")
    (book / "_toc.yml").write_text("format: jb-book\nroot: index\n", encoding="utf-8")
    return subprocess.run(
        ["make", "-C", str(ROOT), "book-strict", f"BOOK_DIR={book}"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_a_clean_book_builds(tmp_path: Path) -> None:
    result = build(tmp_path, PAGES["clean"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "book" / "_build" / "html" / "index.html").is_file()


@pytest.mark.parametrize("defect", sorted(EXPECTED))
def test_the_build_fails_on(defect: str, tmp_path: Path) -> None:
    result = build(tmp_path, PAGES[defect])
    assert result.returncode != 0, f"the build ignored a {defect}"
    assert EXPECTED[defect] in result.stdout + result.stderr
