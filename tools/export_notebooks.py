"""Write every chapter as a runnable ``.ipynb`` notebook, for Colab and Binder.

Usage: python tools/export_notebooks.py [--output _build/notebooks] [--revision REV]

The chapters are MyST markdown notebooks; Colab opens only ``.ipynb`` and Binder
shows a ``.md`` file as text unless jupytext is installed. For each chapter in
``_toc.yml`` this writes ``<output>/chapters/<name>.ipynb`` (jupytext, no
outputs) with one cell added at the top: where ``omnivault`` cannot be imported,
as on Colab, it installs the library, with the packages the chapters use, from
the book's repository at `revision`; where it can, as on Binder or in a local
clone, the cell does nothing. The publishing workflow commits the output folder,
together with the repository itself and its ``binder/`` environment, to the
branch the launch buttons point at (``launch_notebooks_branch`` in
``_config.yml``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent

INSTALL_CELL = '''\
# Make this notebook run anywhere: where the book's library is missing (Colab, a
# bare Jupyter), install it, pinned to the revision this notebook was exported
# from, with the packages the chapters use. Elsewhere this cell does nothing.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("omnivault") is None:
    requirement = "omnivault[notebooks] @ git+{repository}@{revision}"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", requirement],
        check=True,
    )
'''


def chapters(toc: Path) -> list[str]:
    """Every file named in `toc`, the root first, in reading order."""
    data = yaml.safe_load(toc.read_text())
    files = [data["root"]]
    for part in data.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


def is_notebook(source: Path) -> bool:
    """Whether a MyST file is a notebook (it has jupytext front matter with a kernel)."""
    return "kernelspec:" in source.read_text().split("\n---", 1)[0]


def repository_url(config: Path) -> str:
    url: str = yaml.safe_load(config.read_text())["repository"]["url"]
    return url.removesuffix("/").removesuffix(".git")


def export(source: Path, target: Path, repository: str, revision: str) -> None:
    notebook = jupytext.read(source)
    cell = nbformat.v4.new_code_cell(
        INSTALL_CELL.format(repository=repository, revision=revision),
        metadata={"tags": ["install-omnivault"]},
    )
    notebook.cells.insert(0, cell)
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    for index, each in enumerate(notebook.cells):  # stable ids: the same file every time
        each["id"] = f"cell-{index}"
    nbformat.validate(notebook)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)


def current_revision() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "_build" / "notebooks")
    parser.add_argument("--revision", default=None, help="git revision to pin (default HEAD)")
    args = parser.parse_args(argv)
    revision = args.revision or current_revision()
    repository = repository_url(ROOT / "_config.yml")
    written = 0
    for name in chapters(ROOT / "_toc.yml"):
        source = ROOT / f"{name}.md"
        if not source.exists():
            raise SystemExit(f"error: {name} is in _toc.yml but {source} does not exist")
        if not is_notebook(source):
            continue
        export(source, args.output / f"{name}.ipynb", repository, revision)
        written += 1
    print(f"{written} notebooks in {args.output}, installing omnivault from {revision[:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
