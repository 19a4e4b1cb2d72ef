"""The first use of a glossary term on each page links to its entry in ``chapters/glossary.md``.

After references are resolved, the text of every page (not its headings, code, math, links or
raw HTML outputs) is searched, in reading order, for the terms of the glossary; the first
occurrence of each entry becomes a link (class ``jm-term``) to it. The terms are read from the
glossary itself (Sphinx's standard domain), so a new entry links everywhere without another list.
Acronyms and symbols (a capital letter or a non-ASCII symbol in the term) match as written; other
terms match in any case. :data:`NOT_LINKED` are too short or too common to link.
"""

from __future__ import annotations

import re

GLOSSARY = "chapters/glossary"
#: Terms that are not linked automatically (a letter, or words used in their everyday sense).
NOT_LINKED = {"k", "Q", "CI", "OR", "RR", "MD", "DL", "SoF", "Placebo", "Adverse event", "Meta-analysis",
              "Heterogeneity", "Absolute effect", "Pooled estimate", "Alopecia areata", "JAK inhibitor",
              "tau²", "Fixed-effect model"}


def _pattern(term: str) -> re.Pattern:
    exact = any(c.isupper() for c in term[1:]) or any(ord(c) > 127 for c in term)
    body = re.escape(term).replace(r"\ ", r"[\s\u00a0]+")
    return re.compile(r"(?<![\w-])" + body + r"(?![\w-])", 0 if exact else re.IGNORECASE)


def _entries(env) -> dict[str, str]:
    """Anchor of each term -> anchor of the first term of its glossary entry (synonyms such as
    "HKSJ" and "Hartung-Knapp-Sidik-Jonkman" share an entry, which is linked once a page)."""
    from docutils import nodes

    entry = {}
    for item in env.get_doctree(GLOSSARY).findall(nodes.definition_list_item):
        ids = [i for term in item.findall(nodes.term) for i in term.get("ids", [])]
        for anchor in ids:
            entry[anchor] = ids[0]
    return entry


def glossary_terms(env) -> dict[str, tuple[str, str, re.Pattern]]:
    """``{term: (anchor, entry, pattern)}`` for the linked terms of the glossary, longest first."""
    std = env.get_domain("std")
    entries = _entries(env)
    found = {}
    for (kind, name), (docname, anchor) in std.objects.items():
        if kind == "term" and docname == GLOSSARY and name not in NOT_LINKED:
            found[name] = (anchor, entries.get(anchor, anchor), _pattern(name))
    return dict(sorted(found.items(), key=lambda item: -len(item[0])))


def _skipped(node) -> bool:
    from docutils import nodes
    from sphinx import addnodes

    banned = (nodes.literal, nodes.literal_block, nodes.reference, nodes.title, nodes.math, nodes.math_block,
              nodes.raw, nodes.FixedTextElement, nodes.citation, nodes.citation_reference, nodes.term,
              nodes.rubric, addnodes.pending_xref, nodes.caption, nodes.label, nodes.target)
    parent = node.parent
    while parent is not None:
        if isinstance(parent, banned):
            return True
        parent = parent.parent
    return False


def _link_first_uses(app, doctree, docname) -> None:
    from docutils import nodes

    if docname == GLOSSARY or GLOSSARY not in app.env.all_docs or app.builder.format != "html":
        return
    terms = glossary_terms(app.env)
    if not terms:
        return
    uri = app.builder.get_relative_uri(docname, GLOSSARY)
    linked: set[str] = set()
    queue = [t for t in doctree.findall(nodes.Text) if not _skipped(t)]
    while queue and len(linked) < len({entry for _, entry, _ in terms.values()}):
        text = queue.pop(0)
        value = str(text)
        best = None
        for name, (anchor, entry, pattern) in terms.items():
            if entry in linked:
                continue
            match = pattern.search(value)
            if match and (best is None or match.start() < best[0].start()):
                best = (match, name, anchor, entry)
        if best is None:
            continue
        match, name, anchor, entry = best
        linked.add(entry)
        link = nodes.reference("", match.group(0), refuri=f"{uri}#{anchor}", classes=["jm-term"],
                               reftitle=f"{name}: see the glossary")
        after = nodes.Text(value[match.end():])
        parts = [nodes.Text(value[:match.start()]), link, after]
        parent = text.parent
        index = parent.index(text)
        parent.remove(text)
        for offset, part in enumerate(p for p in parts if not (isinstance(p, nodes.Text) and not str(p))):
            parent.insert(index + offset, part)
        if str(after):
            queue.insert(0, after)


def setup(app):
    app.connect("doctree-resolved", _link_first_uses)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
