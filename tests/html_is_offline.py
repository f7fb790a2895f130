"""Fail if the built book loads a script, stylesheet or font from another host.

Usage: python tests/html_is_offline.py _build/html

Readers may open the book without a network; MathJax is therefore served from the
book itself (see _ext/offline_mathjax.py). Links (<a href>) may point anywhere.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REMOTE = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["'](?:https?:)?//[^"']+["']"""
    r"""|url\(\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)


def remote_loads(root: Path) -> list[str]:
    """Return ``path: match`` for every remote load in the HTML and CSS under `root`."""
    found = []
    for path in sorted([*root.rglob("*.html"), *root.rglob("*.css")]):
        for match in REMOTE.finditer(path.read_text(encoding="utf-8", errors="replace")):
            found.append(f"{path.relative_to(root)}: {match.group(0)[:120]}")
    return found


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "_build/html")
    if not (root / "index.html").is_file():
        print(f"error: {root}/index.html not found; build the book first", file=sys.stderr)
        return 2
    mathjax = root / "_static" / "mathjax"
    for needed in ("tex-chtml.js", "input/tex/extensions/boldsymbol.js", "output/chtml/fonts"):
        if not (mathjax / needed).exists():
            print(f"error: the built book lacks _static/mathjax/{needed}", file=sys.stderr)
            return 1
    found = remote_loads(root)
    for line in found:
        print(f"remote load: {line}", file=sys.stderr)
    pages = len(list(root.rglob("*.html")))
    print(f"{pages} pages, {len(found)} remote loads")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
