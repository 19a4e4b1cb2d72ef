"""The bibliography in author-year form, matching the citations in the text (``bibtex_reference_style:
author_year``): entries sorted by first author, year and title, each labelled "Liu et al. 2023"
instead of a number. Same-author, same-year entries get a, b, ... ("King et al. 2022a").

A pybtex formatting style, ``jakmeta_author_year`` (``_config.yml: bibtex_default_style``), built
on pybtex's ``unsrt`` formatting, with its own label and sorting styles (sorted as the labels read).
"""

from __future__ import annotations

import re
import string
from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle

STYLE = "jakmeta_author_year"


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[{}\\]", "", str(text))).strip()


def _who(entry) -> str:
    """First author's surname ("Liu"), "A and B" for two, "A et al." for three or more; an entry
    without an author is named by its organisation, journal, publisher or title."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    surnames = [_plain(" ".join(p.prelast_names + p.last_names)) for p in persons]
    surnames = [s for s in surnames if s and s.lower() != "others"]
    others = any(_plain(" ".join(p.last_names)).lower() == "others" for p in persons)
    if surnames:
        if len(surnames) == 1 and not others:
            return surnames[0]
        if len(surnames) == 2 and not others:
            return f"{surnames[0]} and {surnames[1]}"
        return f"{surnames[0]} et al."
    for field in ("organization", "institution", "journal", "publisher", "howpublished"):
        if entry.fields.get(field):
            return _plain(entry.fields[field])
    title = _plain(entry.fields.get("title", entry.key))
    return title if len(title) <= 40 else title[:38].rsplit(" ", 1)[0] + " …"


def author_year_label(entry) -> str:
    """The label of one entry: who and the year ("Liu et al. 2023")."""
    year = _plain(entry.fields.get("year", "n.d."))
    return f"{_who(entry)} {year}"


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        labels = [author_year_label(e) for e in sorted_entries]
        counts, seen = Counter(labels), Counter()
        for label in labels:
            if counts[label] > 1:
                yield label + string.ascii_lowercase[seen[label] % 26]
                seen[label] += 1
            else:
                yield label


class AuthorYearSorting(BaseSortingStyle):
    """Sorted as the labels read: by who (first author's surname, or the organisation, journal or
    title that names an entry without authors), then year, then title."""

    def sorting_key(self, entry):
        return (_who(entry).lower(), _plain(entry.fields.get("year", "")), _plain(entry.fields.get("title", "")).lower())


class AuthorYearStyle(UnsrtStyle):
    default_label_style = STYLE
    default_sorting_style = STYLE


def setup(app):
    register_plugin("pybtex.style.labels", STYLE, AuthorYearLabels)
    register_plugin("pybtex.style.sorting", STYLE, AuthorYearSorting)
    register_plugin("pybtex.style.formatting", STYLE, AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
