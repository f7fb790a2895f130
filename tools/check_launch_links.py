"""Check offline that every Colab and Binder button opens a notebook the publish step writes.

Usage: python tools/check_launch_links.py _build/html _build/notebooks

For each chapter page of the built book, the launch links must name the book's
repository (``repository.url`` in ``_config.yml``) and the branch the workflow
publishes the notebooks to (``launch_notebooks_branch``, also ``NOTEBOOKS_BRANCH``
in ``.github/workflows/book.yml``), and point at a notebook that
``tools/export_notebooks.py`` wrote. The network is not needed: what Colab and
Binder would fetch is exactly that branch, which holds the repository, its
``binder/`` environment and the notebooks.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r'href="(https://(?:mybinder\.org|colab\.research\.google\.com)/[^"]+)"')


def expected() -> tuple[str, str]:
    """Return the repository (owner/name) and the branch the links must name."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repository = config["repository"]["url"].removeprefix("https://github.com/").strip("/")
    branch = config["sphinx"]["config"]["launch_notebooks_branch"]
    workflow = (ROOT / ".github" / "workflows" / "book.yml").read_text()
    if f"NOTEBOOKS_BRANCH: {branch}" not in workflow:
        raise SystemExit(f"error: the workflow does not publish to the branch {branch!r}")
    return repository, branch


def notebook_of(url: str, repository: str, branch: str) -> str:
    """Return the path a launch URL opens; raise ``ValueError`` if it is not ours."""
    parts = urlsplit(url)
    if parts.netloc == "mybinder.org":
        prefix = f"/v2/gh/{repository}/{branch}"
        if parts.path != prefix:
            raise ValueError(f"Binder link to {parts.path}, expected {prefix}")
        urlpath = unquote(parse_qs(parts.query)["urlpath"][0])
        return urlpath.removeprefix("lab/").removeprefix("tree/")
    prefix = f"/github/{repository}/blob/{branch}/"
    if not parts.path.startswith(prefix):
        raise ValueError(f"Colab link to {parts.path}, expected {prefix}...")
    return parts.path.removeprefix(prefix)


def main(argv: list[str]) -> int:
    html, notebooks = (Path(a) for a in [*argv, "_build/html", "_build/notebooks"][:2])
    repository, branch = expected()
    for needed in ("binder/runtime.txt", "binder/requirements.txt", "binder/postBuild"):
        if not (ROOT / needed).is_file():
            print(f"error: {needed} is missing: Binder would have no environment")
            return 1
    problems, links = [], 0
    for page in sorted((html / "chapters").glob("*.html")):
        found = LINK.findall(page.read_text())
        if not found and (notebooks / "chapters" / f"{page.stem}.ipynb").exists():
            problems.append(f"{page.name}: no launch buttons")
        for url in found:
            links += 1
            try:
                path = notebook_of(url.replace("&amp;", "&"), repository, branch)
            except ValueError as error:
                problems.append(f"{page.name}: {error}")
                continue
            if not path.endswith(".ipynb") or not (notebooks / path).is_file():
                problems.append(f"{page.name}: {url} opens {path}, which is not exported")
    for problem in problems:
        print(f"error: {problem}")
    print(f"{links} launch links checked against {notebooks}: {len(problems)} problems")
    return 1 if problems or not links else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
