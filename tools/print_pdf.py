"""Print the whole book to one PDF with headless Chromium, math rendered.

Usage: python tools/print_pdf.py _build/singlehtml _build/pdf/book.pdf

`make pdf` first builds the book as a single HTML page (Sphinx's ``singlehtml``
builder, reusing the executed notebooks), then this script serves it on the
loopback interface, waits until MathJax has typeset every equation, and prints
it with the same Chromium (Debian's) and Playwright set-up as the browser test.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from chromium import CHROMIUM_FLAGS, chromium_executable, serve
from playwright.sync_api import sync_playwright

PRINT_CSS = """
@page { size: A4; margin: 18mm 16mm; }
.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .header-article,
.prev-next-area, .bd-footer, .bd-footer-article, .search-button-field,
.theme-switch-button, .sidebar-toggle, .toggle-details__summary-text { display: none !important; }
.bd-main .bd-content .bd-article-container { max-width: 100% !important; }
details { display: block; }
mjx-container { break-inside: avoid; }
figure, .cell_output img { break-inside: avoid; max-width: 100%; }
"""


def entry_page(root: Path) -> str:
    """Return the page that holds the book, at the root of `root`.

    With the root document in ``chapters/``, Sphinx writes the single page to
    ``chapters/index.html`` but links its assets as if it sat at the root, and
    writes a redirect as ``index.html``. The page is copied to the root, where
    its links resolve.
    """
    html = (root / "index.html").read_text()
    match = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', html)
    if not match:
        return "index.html"
    shutil.copyfile(root / match.group(1), root / "book.html")
    return "book.html"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root, target = Path(argv[0]), Path(argv[1])
    if not (root / "index.html").is_file():
        print(f"error: {root}/index.html not found; run make pdf", file=sys.stderr)
        return 2
    target.parent.mkdir(parents=True, exist_ok=True)
    start = entry_page(root)
    server, base = serve(root)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), args=CHROMIUM_FLAGS
        )
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        page.goto(f"{base}/{start}", wait_until="load")
        page.wait_for_function("() => window.MathJax && MathJax.startup", timeout=120_000)
        page.evaluate("() => MathJax.startup.promise")
        errors = page.evaluate("() => document.querySelectorAll('mjx-merror').length")
        unrendered = page.evaluate(
            "() => [...document.querySelectorAll('span.math, div.math')]"
            ".filter(e => !e.querySelector('mjx-container')).length"
        )
        if errors or unrendered:
            print(f"error: {errors} MathJax errors, {unrendered} unrendered", file=sys.stderr)
            return 1
        # Open every solution and dropdown: the PDF has no buttons to press.
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        page.add_style_tag(content=PRINT_CSS)
        page.emulate_media(media="print")
        page.pdf(path=str(target), format="A4", print_background=True, outline=True)
        browser.close()
    server.shutdown()
    print(f"wrote {target} ({target.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
