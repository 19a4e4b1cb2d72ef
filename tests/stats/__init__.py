"""Tests of jakmeta.stats, one file per module.

``K5_YI``/``K5_VI``: five made-up studies (not data of the book) shared by the tests of tau2,
inference, heterogeneity and resampling, whose expected values were computed with metafor 3.8.1 by
tests/reference/metafor_k5.R (printed to 12 significant digits).
"""

import numpy as np

K5_YI = (-0.5, 0.1, -0.9, -0.3, 0.4)
K5_VI = (0.04, 0.09, 0.06, 0.12, 0.08)

# dat.bcg, log risk ratios (metafor escalc values, printed to 8 decimals in its trimfill docs)
BCG_YI = np.array([-0.88931133, -1.58538866, -1.34807315, -1.44155119, -0.21754732, -0.78611559, -1.62089822,
                   0.01195233, -0.46941765, -1.37134480, -0.33935883, 0.44591340, -0.01731395])
BCG_VI = np.array([0.325584765, 0.194581121, 0.415367965, 0.020010032, 0.051210172, 0.006905618, 0.223017248,
                   0.003961579, 0.056434210, 0.073024794, 0.012412214, 0.532505845, 0.071404660])

# dat.hine1989 risk differences x 100: Q < k - 1, so every tau2 estimator gives 0
HINE_YI = np.array([2.8026, 0.0, 1.9711, 1.7961, 3.5334, 4.4031])
HINE_VI = np.array([17.7575, 37.5657, 8.1323, 10.8998, 8.0114, 6.132])

for _array in (BCG_YI, BCG_VI, HINE_YI, HINE_VI):
    _array.setflags(write=False)  # shared by several test modules: no test may change them
