"""Open every page of the built book in headless Chromium and fail on what a reader would see.

Usage: python tools/check_in_browser.py _build/html [--screenshots _build/screenshots]

The book is served over HTTP on the loopback interface and every page is opened
at a desktop (1280 px), a tablet (800 px) and a phone (390 px) width. A page
fails when, at any width,

- a script raises or logs an error, or a request goes to another host or fails;
- math is left unrendered (a ``.math`` element without MathJax output) or
  MathJax reports an error;
- the site-navigation or page-contents button does not open its panel;
- the page scrolls sideways;
- an inline (interactive) figure is scaled so that its text is smaller than 9 px;

and, at the desktop width, when a display equation, a code cell or an output is
wider than its box, or a figure is scaled so that its text is smaller than 9 px,
or has no alt text that describes it. A screenshot of each page at each width is
saved for people to look at. Chromium is Debian's (``/usr/bin/chromium``, or the
``CHROMIUM`` environment variable), driven by Playwright for Python, so no browser
is downloaded. The last line reads ``N passed, N failed``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from queue import Empty
from typing import Any
from urllib.parse import urlsplit

from chromium import CHROMIUM_FLAGS, chromium_executable, serve
from playwright.sync_api import Browser, Page, sync_playwright

WIDTHS = {"desktop": (1280, 900), "tablet": (800, 1000), "phone": (390, 844)}
MIN_FIGURE_TEXT_PX = 9.0
# Pages Sphinx writes that are not chapters: checked for errors, without figures or nav.
GENERATED = {"search.html", "genindex.html", "py-modindex.html"}
REDIRECT = re.compile(r'http-equiv="Refresh" content="0; url=([^"]+)"', re.IGNORECASE)

# Measured in the page: what is wider than its box at this width.
OVERFLOW_SCRIPT = """
() => {
  const wide = (el, box) => el.scrollWidth > box.clientWidth + 1;
  const found = [];
  for (const el of document.querySelectorAll('mjx-container[display="true"]')) {
    const box = el.closest('.math') || el.parentElement;
    if (el.getBoundingClientRect().width > box.getBoundingClientRect().width + 1
        || wide(el, box))
      found.push('equation: ' + (el.closest('[id]') || {}).id);
  }
  for (const el of document.querySelectorAll('div.highlight pre, .cell_output pre')) {
    if (el.scrollWidth > el.clientWidth + 1) {
      const line = el.textContent.split('\\n').reduce((a, b) => a.length > b.length ? a : b);
      found.push('code: ' + line.trim().slice(0, 60));
    }
  }
  return found;
}
"""

FIGURE_SCRIPT = """
async () => {
  const found = [];
  const figures = '.bd-article .cell_output img, .bd-article figure img';
  for (const img of document.querySelectorAll(figures)) {
    const src = img.getAttribute('src') || '';
    const alt = (img.getAttribute('alt') || '').trim();
    const name = src.split('/').pop();
    if (!alt || alt === src || alt === name || /\\.(svg|png|jpe?g)$/i.test(alt))
      found.push('figure without alt text: ' + name);
    const box = img.parentElement.getBoundingClientRect().width;
    if (img.getBoundingClientRect().width > box + 1)
      found.push('figure wider than its box: ' + name);
    if (!/\\.svg$/i.test(src)) continue;
    const text = await (await fetch(img.src)).text();
    const svg = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
    const viewBox = (svg.getAttribute('viewBox') || '').split(/[ ,]+/).map(Number);
    if (viewBox.length !== 4) continue;
    const scale = img.getBoundingClientRect().width / viewBox[2];
    const sizes = [...text.matchAll(/font(?:-size)?:\\s*(?:[a-z]+\\s+)*([0-9.]+)px/g)]
      .map(m => Number(m[1]));
    if (svg.querySelectorAll('text').length === 0)
      found.push('figure text drawn as paths: ' + name);
    if (sizes.length && Math.min(...sizes) * scale < MIN_PX)
      found.push(`figure text ${(Math.min(...sizes) * scale).toFixed(1)} px: ${name}`);
  }
  return found;
}
""".replace("MIN_PX", str(MIN_FIGURE_TEXT_PX))


# Figures drawn inline (the interactive ones) reflow with the page: checked at every width.
INLINE_SVG_SCRIPT = """
() => {
  const found = [];
  for (const svg of document.querySelectorAll('.bd-article .cell_output svg')) {
    const ctm = svg.getScreenCTM();
    if (!ctm || svg.getBoundingClientRect().width === 0) continue;
    const sizes = [...svg.querySelectorAll('text')]
      .map(t => parseFloat(getComputedStyle(t).fontSize) * ctm.a);
    if (sizes.length && Math.min(...sizes) < MIN_PX)
      found.push(`inline figure text ${Math.min(...sizes).toFixed(1)} px: `
        + (svg.getAttribute('aria-label') || '').slice(0, 40));
  }
  return found;
}
""".replace("MIN_PX", str(MIN_FIGURE_TEXT_PX))


def wait_for_math(page: Page) -> list[str]:
    """Wait until MathJax has typeset the page; return what is left unrendered."""
    page.wait_for_function(
        "() => !document.querySelector('.math') || (window.MathJax && MathJax.startup"
        " && MathJax.startup.promise)",
        timeout=20_000,
    )
    page.evaluate(
        "() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null"
    )
    problems = page.evaluate(
        """() => {
          const found = [];
          for (const el of document.querySelectorAll('span.math, div.math'))
            if (!el.querySelector('mjx-container')) found.push('unrendered math: '
              + el.textContent.trim().slice(0, 60));
          for (const el of document.querySelectorAll('mjx-merror, [data-mjx-error]'))
            found.push('MathJax error: ' + (el.getAttribute('data-mjx-error')
              || el.textContent).slice(0, 60));
          return found;
        }"""
    )
    return list(problems)


def check_toggle(page: Page, selector: str, opened: str, name: str) -> list[str]:
    """Click the visible `selector` button and check that `opened` becomes true."""
    buttons = [b for b in page.query_selector_all(selector) if b.is_visible()]
    if not buttons:
        return [f"no visible {name} button"]
    buttons[0].click()
    try:
        page.wait_for_function(opened, timeout=3_000)
    except Exception:
        return [f"the {name} button does not open its panel"]
    page.keyboard.press("Escape")
    page.wait_for_timeout(100)
    if page.evaluate(opened) and "sidebar-hidden" not in opened:
        page.evaluate("() => document.querySelectorAll('dialog[open]').forEach(d => d.close())")
    return []


def check_navigation(page: Page, width: str) -> list[str]:
    if width == "desktop":
        opened = "() => document.querySelector('#pst-primary-sidebar')"
        opened += ".classList.contains('pst-sidebar-hidden')"
        problems = check_toggle(page, ".primary-toggle", opened, "site-navigation")
        if not problems:  # show it again for the screenshot
            next(b for b in page.query_selector_all(".primary-toggle") if b.is_visible()).click()
        return problems
    problems = check_toggle(
        page,
        ".primary-toggle",
        "() => document.querySelector('#pst-primary-sidebar-modal').open",
        "site-navigation",
    )
    if page.query_selector("#pst-page-toc-nav a"):
        problems += check_toggle(
            page,
            ".secondary-toggle",
            "() => document.querySelector('#pst-secondary-sidebar-modal').open",
            "page-contents",
        )
    return problems


def check_page(browser: Browser, base: str, page_path: str, shots: Path) -> list[str]:
    """Load `page_path` once at the desktop width, then narrow the window to the others.

    MathJax typesets once; the theme lays the page out again at each width.
    """
    host = urlsplit(base).netloc
    found: list[tuple[str, str]] = []
    width = "desktop"

    def report(problem: str) -> None:
        found.append((width, problem))

    def on_request(request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https") and parts.netloc != host:
            report(f"request to another host: {request.url[:100]}")

    def on_response(response: Any) -> None:
        if response.status >= 400:
            report(f"HTTP {response.status}: {response.url[len(base):][:100]}")

    def on_console(message: Any) -> None:
        if message.type == "error":
            report(f"console error: {message.text[:120]}")

    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h})
    page = context.new_page()
    page.on("request", on_request)
    page.on("response", on_response)
    page.on("requestfailed", lambda r: report(f"failed request: {r.url[:100]}"))
    page.on("pageerror", lambda e: report(f"script error: {e}"))
    page.on("console", on_console)
    page.goto(f"{base}/{page_path}", wait_until="load")
    for problem in wait_for_math(page):
        report(problem)
    name = page_path.removesuffix(".html").replace("/", "-")
    for width, (w, h) in WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        page.wait_for_timeout(150)  # let the theme react to the new width
        if page.evaluate("() => document.scrollingElement.scrollWidth > innerWidth + 1"):
            report("the page scrolls sideways")
        if page_path not in GENERATED:
            if width == "desktop":
                for problem in page.evaluate(OVERFLOW_SCRIPT) + page.evaluate(FIGURE_SCRIPT):
                    report(problem)
            for problem in page.evaluate(INLINE_SVG_SCRIPT):
                report(problem)
            for problem in check_navigation(page, width):
                report(problem)
        page.screenshot(path=str(shots / f"{name}-{width}.png"))
    context.close()
    return [f"{w}: {p}" for w, p in dict.fromkeys(found)]


def check_pages(base: str, queue: Any, shots: Path) -> dict[str, list[str]]:
    """Check pages taken from `queue` until it is empty, in one Chromium; problems by page."""
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), args=CHROMIUM_FLAGS
        )
        while True:
            try:
                page_path = queue.get_nowait()
            except Empty:
                break
            results[page_path] = check_page(browser, base, page_path, shots)
        browser.close()
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, nargs="?", default=Path("_build/html"))
    parser.add_argument("--screenshots", type=Path, default=Path("_build/screenshots"))
    parser.add_argument(
        "--workers", type=int, default=min(2, os.cpu_count() or 1),
        help="browser processes checking pages side by side (default: up to 2)",
    )
    args = parser.parse_args(argv)
    if not (args.root / "index.html").is_file():
        print(f"error: {args.root}/index.html not found; build the book first", file=sys.stderr)
        return 2
    args.screenshots.mkdir(parents=True, exist_ok=True)
    pages, redirects = [], []
    for path in sorted(args.root.rglob("*.html")):
        relative = path.relative_to(args.root)
        if relative.parts[0].startswith("_"):
            continue
        target = REDIRECT.search(path.read_text(errors="replace")[:500])
        if target:  # a redirect page (the root index): its target is checked in its turn
            redirects.append((str(relative), (path.parent / target.group(1)).resolve()))
        else:
            pages.append(str(relative))
    for page_path, target_path in redirects:
        if not target_path.is_file():
            print(f"FAILED {page_path}: redirects to a missing page {target_path.name}")
            return 1
    server, base = serve(args.root)
    start = time.perf_counter()
    failed = 0
    # Pages are independent: each worker process drives its own Chromium and
    # takes the next page from a shared queue, so that the work balances itself.
    context = get_context("spawn")
    results: dict[str, list[str]] = {}
    with context.Manager() as manager, ProcessPoolExecutor(args.workers, context) as pool:
        queue = manager.Queue()
        for page_path in pages:
            queue.put(page_path)
        workers = [
            pool.submit(check_pages, base, queue, args.screenshots) for _ in range(args.workers)
        ]
        for worker in workers:
            results.update(worker.result())
    for page_path in pages:
        problems = results[page_path]
        failed += bool(problems)
        print(f"{'FAILED' if problems else 'passed'} {page_path}")
        for problem in problems:
            print(f"    {problem}")
    server.shutdown()
    elapsed = time.perf_counter() - start
    print(f"screenshots in {args.screenshots}; {len(pages)} pages in {elapsed:.0f} s")
    print(f"{len(pages) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
