"""jakmeta.stats: the pooling engine.

Given effect sizes (or 2×2 counts) of k trials, what is the pooled effect, how uncertain is it,
and how much do the trials differ?

Knows nothing of alopecia areata, the data package or the book. One module per concept; each
docstring names the papers it follows:

- :mod:`jakmeta.stats.effects`        per-trial effect sizes: log OR, log RR, RD, MD, SMD
- :mod:`jakmeta.stats.tau2`           estimators of τ²: DL, REML, ML, PM, SJ, HE
- :mod:`jakmeta.stats.inference`      Wald and HKSJ intervals, I² and H², prediction intervals
- :mod:`jakmeta.stats.engine`         :func:`pool` and the vectorised :func:`pool_many`
- :mod:`jakmeta.stats.common_effect`  Mantel-Haenszel and Peto
- :mod:`jakmeta.stats.heterogeneity`  the Q-profile interval for τ²
- :mod:`jakmeta.stats.resampling`     leave-one-out and subgroup analyses
- :mod:`jakmeta.stats.bayes`          Bayesian random effects for few trials
- :mod:`jakmeta.stats.bias`           small-study effects (Egger's regression test)
- :mod:`jakmeta.stats.simulation`     Monte Carlo coverage of the interval methods

Conventions (as metafor, see ``tests/reference/README.md``): I² = 100·τ²/(τ² + s²) and
H² = (τ² + s²)/s² with the typical variance s² = (k−1)/tr(P) for random-effects models; for
common-effect, MH and Peto models I² = max(0, 100·(Q − df)/Q), H² = Q/df. Prediction interval:
mu ± z·√(se² + τ²) for ``ci="z"``; t(k−1) with the HKSJ se for ``ci="hksj"``; ``pi="higgins"``
uses t(k−2). Weights are reported in percent.

Public names: each module lists its own in ``__all__``, with a numpydoc docstring (parameters,
returns, attributes and the references.bib keys of its sources; checked by ruff's pydocstyle rules
and ``tests/stats/test_docstrings.py``). A leading underscore marks an implementation detail of
the engine (e.g. the τ² estimators of :mod:`jakmeta.stats.tau2`, which work on an internal
layout and are reached through ``pool(method=...)``); other packages do not use those.
"""

from __future__ import annotations

from jakmeta.stats.bayes import TAU_PRIORS, BayesResult, pool_bayes
from jakmeta.stats.bias import EggerResult, egger_test
from jakmeta.stats.common_effect import MH_MEASURES, mantel_haenszel, peto
from jakmeta.stats.effects import (
    BINARY_MEASURES,
    EffectSizes,
    binary_effects,
    combine_arms,
    continuous_effects,
)
from jakmeta.stats.engine import (
    CI_METHODS,
    METHODS,
    PI_METHODS,
    RANGE_LIMIT,
    PoolManyResult,
    PoolResult,
    pool,
    pool_many,
)
from jakmeta.stats.heterogeneity import Tau2ConfInt, tau2_confint
from jakmeta.stats.inference import ConvergenceWarning, DegenerateResultWarning, i2_from_q
from jakmeta.stats.resampling import (
    SubgroupResult,
    leave_one_out,
    leave_one_out_counts,
    subgroup_analysis,
)
from jakmeta.stats.tau2 import MAXITER, PM_ATOL, PM_MAXITER

__all__ = [
    "BINARY_MEASURES",
    "CI_METHODS",
    "MAXITER",
    "METHODS",
    "MH_MEASURES",
    "PI_METHODS",
    "PM_ATOL",
    "PM_MAXITER",
    "RANGE_LIMIT",
    "TAU_PRIORS",
    "BayesResult",
    "ConvergenceWarning",
    "DegenerateResultWarning",
    "EffectSizes",
    "EggerResult",
    "PoolManyResult",
    "PoolResult",
    "SubgroupResult",
    "Tau2ConfInt",
    "binary_effects",
    "combine_arms",
    "continuous_effects",
    "egger_test",
    "i2_from_q",
    "leave_one_out",
    "leave_one_out_counts",
    "mantel_haenszel",
    "peto",
    "pool",
    "pool_bayes",
    "pool_many",
    "subgroup_analysis",
    "tau2_confint",
]
