"""jakmeta: the library beneath the book *JAK inhibitors versus placebo for alopecia areata*.

Four floors, each using only the floors below it (a test checks the arrows):

- :mod:`jakmeta.stats`     the pooling engine: effect sizes, τ², intervals, Mantel-Haenszel, Bayes
- :mod:`jakmeta.evidence`  the data package in ``data/``: loading, validation, words for its codes
- :mod:`jakmeta.review`    the review's answers: protocol, analyses, headline, GRADE, Summary of
  Findings, sensitivity, reproduction, triangulation, sentences
- :mod:`jakmeta.book`      the pages: tables, plots, release, notebooks

and :mod:`jakmeta.cli`, ``python -m jakmeta validate|summary|reproduce|analyse|snapshot``, on top.
``stats`` and ``evidence`` are side by side: neither uses the other.
"""

__version__ = "0.2.0"
