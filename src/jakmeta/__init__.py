"""jakmeta: the library beneath the book *JAK inhibitors versus placebo for alopecia areata*.

One module per concept:

- :mod:`jakmeta.data`     loading and validating the data package in ``data/``
- :mod:`jakmeta.effects`  per-study effect sizes (log OR, log RR, RD, MD, SMD)
- :mod:`jakmeta.pooling`  common-effect and random-effects pooling (tau2 estimators, HKSJ)
- :mod:`jakmeta.bias`     small-study effects (Egger's regression test)
- :mod:`jakmeta.grade`    GRADE certainty assessment and Summary of Findings
- :mod:`jakmeta.plots`    forest and funnel plots
- :mod:`jakmeta.cli`      ``python -m jakmeta ...``
"""

__version__ = "0.2.0"
