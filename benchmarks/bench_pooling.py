"""Benchmark of the vectorised pooling engine (not a timed test).

``jakmeta.pooling.pool_many`` pools 100,000 simulated meta-analyses of k = 7 studies with REML and
the HKSJ interval in one vectorised call. For comparison, the same kind of work done the usual way,
a Python loop calling ``statsmodels.stats.meta_analysis.combine_effects`` (DerSimonian-Laird, the
cheapest estimator statsmodels offers; it has no REML), is timed on the first 2,000 rows in the
same run and extrapolated linearly to 100,000 rows. Targets on a 2-core machine: pool_many <= 1 s
and >= 50x faster than the statsmodels loop.

Run with ``python benchmarks/bench_pooling.py`` (or ``make bench``).
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np
from statsmodels.stats.meta_analysis import combine_effects

from jakmeta.pooling import pool_many

N_META = 100_000
K = 7
N_LOOP = 2_000
SEED = 20240611
REPEATS = 3


def simulate(rng: np.random.Generator, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Log odds ratios of n meta-analyses: mu = 0.8, tau2 in {0, 0.05, 0.2}, within-study variances
    between 0.02 and 0.5 (roughly trials of 40 to 1000 patients)."""
    vi = rng.uniform(0.02, 0.5, size=(n, k))
    tau2 = rng.choice([0.0, 0.05, 0.2], size=n)
    theta = 0.8 + rng.standard_normal((n, k)) * np.sqrt(tau2)[:, None]
    yi = theta + rng.standard_normal((n, k)) * np.sqrt(vi)
    return yi, vi


def time_pool_many(yi: np.ndarray, vi: np.ndarray) -> tuple[list[float], object]:
    pool_many(yi[:100], vi[:100], method="REML", ci="hksj")  # warm-up (imports, scipy set-up)
    times, result = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = pool_many(yi, vi, method="REML", ci="hksj")
        times.append(time.perf_counter() - start)
    return times, result


def time_statsmodels_loop(yi: np.ndarray, vi: np.ndarray) -> float:
    for i in range(10):  # warm-up
        combine_effects(yi[i], vi[i], method_re="dl")
    start = time.perf_counter()
    for i in range(yi.shape[0]):
        res = combine_effects(yi[i], vi[i], method_re="dl")
        res.conf_int(use_t=True)  # the HKSJ-type interval, to do comparable work
    return time.perf_counter() - start


def main() -> int:
    rng = np.random.default_rng(SEED)
    yi, vi = simulate(rng, N_META, K)
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, numpy {np.__version__}")
    print(f"Data: {N_META:,} simulated meta-analyses, k = {K} (numpy Generator, seed {SEED})")

    times, result = time_pool_many(yi, vi)
    best, median = min(times), float(np.median(times))
    print(f"pool_many(method='REML', ci='hksj'): best {best:.3f} s, median {median:.3f} s "
          f"of {REPEATS} runs (target <= 1 s)")
    print(f"  converged: {int(result.converged.sum()):,} of {N_META:,} rows; "
          f"tau2 = 0 in {int((result.tau2 == 0).sum()):,} rows")

    with np.errstate(invalid="ignore"):  # statsmodels takes sqrt of its untruncated negative DL variances
        loop = time_statsmodels_loop(yi[:N_LOOP], vi[:N_LOOP])
    extrapolated = loop * N_META / N_LOOP
    print(f"statsmodels combine_effects (DL) in a Python loop: {loop:.2f} s for {N_LOOP:,} rows, "
          f"extrapolated linearly to {N_META:,} rows: {extrapolated:.1f} s")
    ratio = extrapolated / median
    print(f"Speed-up of pool_many (median run) over the extrapolated loop: {ratio:.0f}x (target >= 50x)")
    ok = median <= 1.0 and ratio >= 50
    print("Targets met." if ok else "Targets NOT met.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
