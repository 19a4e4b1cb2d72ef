"""Settings shared by the library tests: no test may depend on the clock.

Hypothesis, by default, fails an example that takes longer than 200 ms (``deadline``) and a test
whose data generation is slow (health check ``too_slow``): both read the clock, and both fail on a
busy machine. This profile turns them off for every property test; speed is measured in
``make bench`` (benchmarks/), never asserted.

Plots are drawn with matplotlib's non-interactive backend (Agg), chosen here once for every test
module, before any of them imports pyplot.
"""

import matplotlib
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile("jakmeta", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("jakmeta")
