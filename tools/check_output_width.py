"""Fail if an executed chapter prints a line wider than 80 characters.

Usage: python tools/check_output_width.py _build/jupyter_execute

Wider lines do not fit the page's output box at desktop width: the reader would
have to scroll sideways. Streams and plain-text results are checked; figures and
HTML are checked by the browser test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

WIDTH = 80


def wide_lines(path: Path) -> list[str]:
    """Return ``cell N: line`` for every output line of `path` wider than WIDTH."""
    notebook = nbformat.read(path, as_version=4)
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            if output.get("data", {}).get("text/html"):
                continue  # rendered as HTML, not as text
            for line in "".join(text).splitlines():
                if len(line) > WIDTH:
                    found.append(f"cell {index}: {len(line)} characters: {line[:60]}...")
    return found


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else "_build/jupyter_execute")
    notebooks = sorted(root.rglob("*.ipynb"))
    if not notebooks:
        print(f"error: no executed notebooks under {root}; build the book first")
        return 2
    problems = [f"{p.relative_to(root)}: {line}" for p in notebooks for line in wide_lines(p)]
    for problem in problems:
        print(f"error: {problem}")
    print(f"{len(notebooks)} notebooks, {len(problems)} output lines over {WIDTH} characters")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
