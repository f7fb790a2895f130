"""A bibliography style whose labels are the in-text citations: [Vaswani et al., 2017].

With ``bibtex_reference_style: label`` a citation prints its entry's label, so the
text and the bibliography show the same thing. The entries are formatted and
sorted as in pybtex's ``plain`` style (by author, year and title); each label is
the authors' last names (one, two, or the first followed by "et al.") and the
year, with a, b, ... appended where two entries would share a label.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.application import Sphinx

NAME = "author_year_labels"


def _last_name(person: Any) -> str:
    return " ".join(part.render_as("text") for part in person.rich_last_names)


def author_year(entry: Any) -> str:
    """The label of one entry before duplicates are told apart."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_last_name(person) for person in people]
    if not names:
        authors = entry.fields.get("organization") or entry.fields.get("publisher") or entry.key
    elif len(names) == 1:
        authors = names[0]
    elif len(names) == 2:
        authors = f"{names[0]} and {names[1]}"
    else:
        authors = f"{names[0]} et al."
    year = entry.fields.get("year", "n.d.")
    return f"{authors}, {year}"


class AuthorYearLabelStyle(BaseLabelStyle):  # type: ignore[misc]
    def format_labels(self, sorted_entries: Iterable[Any]) -> Iterator[str]:
        entries = list(sorted_entries)
        labels = [author_year(entry) for entry in entries]
        counts = Counter(labels)
        seen: Counter[str] = Counter()
        for label in labels:
            if counts[label] > 1:
                seen[label] += 1
                yield f"{label}{chr(ord('a') + seen[label] - 1)}"
            else:
                yield label


class AuthorYearStyle(PlainStyle):  # type: ignore[misc]
    default_label_style = NAME


def setup(app: Sphinx) -> dict[str, Any]:
    register_plugin("pybtex.style.labels", NAME, AuthorYearLabelStyle)
    register_plugin("pybtex.style.formatting", NAME, AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
