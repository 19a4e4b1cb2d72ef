"""Pooling: the public face of the meta-analysis engine (imports kept stable for the chapters).

The engine is split by concept; each module's docstring names the papers it follows:

- :mod:`jakmeta.tau2`           estimators of tau²: DL [dersimonian1986], REML/ML by Fisher scoring
  [viechtbauer2005] with a scale-free stopping rule and a check for the global maximum of the
  likelihood, PM [paule1982; dersimonian2007], SJ [sidik2005], HE [hedges1985]; the estimators
  offered follow the review of Veroniki et al. [veroniki2016]
- :mod:`jakmeta.inference`      estimate, Wald and HKSJ intervals [hartung2001; knapp2003;
  sidik2002; intHout2014] and the modified HKSJ [rover2015], I² and H² [higgins2002],
  prediction intervals [higgins2009]; the warning classes
- :mod:`jakmeta.engine`         :func:`pool` and the vectorised :func:`pool_many`, internal
  rescaling, result classes
- :mod:`jakmeta.common_effect`  Mantel-Haenszel [mantel1959; robins1986; greenland1985;
  sato1989] and Peto [yusuf1985]
- :mod:`jakmeta.heterogeneity`  the Q-profile interval for tau² [viechtbauer2007]
- :mod:`jakmeta.resampling`     leave-one-out [viechtbauer2010] and subgroup analyses
  [borenstein2009; cochrane_handbook_ch10]
- :mod:`jakmeta.bayes`          Bayesian random-effects pooling for few trials [rover2020]

Conventions (as metafor, see ``tests/reference/README.md``): I² = 100·tau²/(tau² + s²) and
H² = (tau² + s²)/s² with the typical variance s² = (k−1)/tr(P) for random-effects models; for
common-effect, MH and Peto models I² = max(0, 100·(Q − df)/Q), H² = Q/df. Prediction interval:
mu ± z·√(se² + tau²) for ``ci="z"``; t(k−1) with the HKSJ se for ``ci="hksj"``; ``pi="higgins"``
uses t(k−2). Weights are reported in percent.
"""

from __future__ import annotations

from jakmeta.bayes import BayesResult, pool_bayes
from jakmeta.common_effect import MH_MEASURES, mantel_haenszel, peto
from jakmeta.effects import BINARY_MEASURES
from jakmeta.engine import (
    CI_METHODS,
    METHODS,
    PI_METHODS,
    RANGE_LIMIT,
    PoolManyResult,
    PoolResult,
    pool,
    pool_many,
)
from jakmeta.heterogeneity import Tau2ConfInt, tau2_confint
from jakmeta.inference import ConvergenceWarning, DegenerateResultWarning, i2_from_q
from jakmeta.resampling import (
    SubgroupResult,
    leave_one_out,
    leave_one_out_counts,
    subgroup_analysis,
)
from jakmeta.tau2 import MAXITER, PM_ATOL, PM_MAXITER
from jakmeta.tau2 import mixed_effects_fit as _mixed_effects_fit

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
    "BayesResult",
    "ConvergenceWarning",
    "DegenerateResultWarning",
    "PoolManyResult",
    "PoolResult",
    "SubgroupResult",
    "Tau2ConfInt",
    "_mixed_effects_fit",
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
