"""jakmeta: the library beneath the book *JAK inhibitors versus placebo for alopecia areata*.

One module per concept, in the order a reader goes from a number on a page to the code behind it:

Data
- :mod:`jakmeta.data`          loading and validating the data package in ``data/``
- :mod:`jakmeta.tables`        descriptive tables of the data (completeness, sources, conflicts)
- :mod:`jakmeta.harms`         harms per licensed drug and dose (Mantel-Haenszel RR, AE windows)

Statistics (the engine)
- :mod:`jakmeta.effects`       per-study effect sizes (log OR, log RR, RD, MD, SMD)
- :mod:`jakmeta.tau2`          estimators of the between-study variance tau² (DL, PM, REML, ML, ...)
- :mod:`jakmeta.inference`     pooled estimate, intervals (Wald, HKSJ), prediction intervals
- :mod:`jakmeta.engine`        ``pool`` and the vectorised ``pool_many``
- :mod:`jakmeta.common_effect` Mantel-Haenszel and Peto
- :mod:`jakmeta.heterogeneity` Q-profile intervals for tau² and I²
- :mod:`jakmeta.resampling`    leave-one-out and subgroup analyses
- :mod:`jakmeta.bayes`         Bayesian random effects for few trials (numerical integration over tau)
- :mod:`jakmeta.pooling`       the stable public face of the engine modules above
- :mod:`jakmeta.bias`          small-study effects (Egger's regression test)
- :mod:`jakmeta.simulation`    Monte Carlo coverage of the interval methods

From data to the book's answers
- :mod:`jakmeta.protocol`      the protocol as data (``data/analyses.csv``): every analysis by ``row_id``
- :mod:`jakmeta.analysis`      one outcome from the data package to a meta-analysis
- :mod:`jakmeta.fewstudies`    which estimate is the headline (one model for every k >= 2)
- :mod:`jakmeta.grade`         GRADE rules (domains, optimal information size)
- :mod:`jakmeta.certainty`     GRADE applied to an analysis, with its footnotes
- :mod:`jakmeta.sof`           the Summary of Findings
- :mod:`jakmeta.wording`       judgement words generated from the numbers
- :mod:`jakmeta.sentences`     reporting sentences and study tables of the outcome chapters
- :mod:`jakmeta.sensitivity`   the sensitivity analyses
- :mod:`jakmeta.reproduction`  comparison with Liu et al.'s published figures
- :mod:`jakmeta.triangulation` comparison with other published meta-analyses
- :mod:`jakmeta.report`        re-exports of the result tables (kept for old imports)

The book and its users
- :mod:`jakmeta.display`       the one table-rendering helper of the chapters
- :mod:`jakmeta.plots`         forest, funnel and traffic-light plots
- :mod:`jakmeta.release`       version, dates, downloads and the change log
- :mod:`jakmeta.notebooks`     re-executing the chapters
- :mod:`jakmeta.cli`           ``python -m jakmeta validate|summary|reproduce|analyse|snapshot``
"""

__version__ = "0.2.0"
