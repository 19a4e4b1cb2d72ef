"""Forest, funnel and traffic-light plots, drawn with matplotlib.

Conventions: labelled axes with units, the line of no effect, ratio measures on a log axis, a
colour-blind-safe palette (Okabe & Ito), a fixed font (DejaVu Sans, shipped with matplotlib) and no
timestamps in the image metadata, so that the same data give the same picture byte for byte.
"""

from __future__ import annotations

import math

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

#: Okabe-Ito colour-blind-safe palette.
PALETTE = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
           "sky": "#56B4E9", "purple": "#CC79A7", "yellow": "#F0E442", "black": "#000000",
           "grey": "#7F7F7F"}
RATIO_MEASURES = {"OR", "RR"}
MEASURE_NAMES = {"OR": "Odds ratio", "RR": "Risk ratio", "RD": "Risk difference",
                 "MD": "Mean difference (SALT points)", "SMD": "Standardised mean difference"}


def use_book_style() -> None:
    """Deterministic, readable defaults for every figure of the book."""
    mpl.rcParams.update({
        "font.family": "DejaVu Sans", "font.size": 10, "axes.titlesize": 11,
        "figure.dpi": 100, "savefig.dpi": 100, "svg.hashsalt": "jakmeta",
        "axes.spines.top": False, "axes.spines.right": False,
        "path.simplify": False,
    })
    try:  # the inline backend of notebooks: no creation date or software version in PNGs
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png", metadata={"Software": None})
    except (ImportError, TypeError):
        pass


def _fmt(value: float, measure: str) -> str:
    return f"{math.exp(value):.2f}" if measure in RATIO_MEASURES else f"{value:.2f}"


def forest_plot(table: pd.DataFrame, result, measure: str, *, title: str = "",
                labels: tuple[str, str] = ("Favours placebo", "Favours JAK inhibitor"),
                level: float = 0.95, higher_is_better: bool = True) -> Figure:
    """Forest plot: each comparison's estimate and CI (box area ~ weight), the pooled diamond,
    and the prediction interval as a line through the diamond.

    ``table`` has columns ``trial, yi, vi`` (log scale for OR/RR); ``result`` is a
    :class:`jakmeta.pooling.PoolResult` (or None when nothing can be pooled).
    """
    use_book_style()
    k = len(table)
    z = stats.norm.ppf(0.5 + level / 2)
    yi = table["yi"].to_numpy(float)
    se = np.sqrt(table["vi"].to_numpy(float))
    lo, hi = yi - z * se, yi + z * se
    null = 1.0 if measure in RATIO_MEASURES else 0.0
    weights = (np.asarray(result.weights, float) if result is not None and k > 1
               else np.full(k, 100.0 / max(k, 1)))
    show_pool = result is not None and k > 1
    rows = k + (2 if show_pool else 0)
    fig, ax = plt.subplots(figsize=(9.5, 1.9 + 0.42 * rows))
    positions = np.arange(k, 0, -1) + (1.5 if show_pool else 0)
    sizes = 30 + 250 * weights / max(weights.max(), 1e-9)
    tr = np.exp if measure in RATIO_MEASURES else (lambda x: x)
    ax.hlines(positions, tr(lo), tr(hi), color=PALETTE["black"], lw=1.2)
    ax.scatter(tr(yi), positions, s=sizes, marker="s", color=PALETTE["blue"], zorder=3)
    text_x = 1.02
    for p, name, y, low, high, w in zip(positions, table["trial"], yi, lo, hi, weights, strict=True):
        ax.annotate(name, (-0.02, p), xycoords=("axes fraction", "data"), ha="right", va="center")
        ax.annotate(f"{_fmt(y, measure)} [{_fmt(low, measure)}, {_fmt(high, measure)}]   {w:5.1f} %",
                    (text_x, p), xycoords=("axes fraction", "data"), ha="left", va="center",
                    family="DejaVu Sans Mono", fontsize=9)
    ax.annotate(f"{measure} [{int(level * 100)}% CI]   weight", (text_x, rows + 0.65),
                xycoords=("axes fraction", "data"), ha="left", va="center", fontsize=9, weight="bold")
    if show_pool:
        est, cl, ch = result.estimate, result.ci_low, result.ci_high
        diamond_y = 0.8
        ax.fill([tr(cl), tr(est), tr(ch), tr(est)],
                [diamond_y, diamond_y + 0.3, diamond_y, diamond_y - 0.3], color=PALETTE["vermillion"], zorder=3)
        if k >= 3 and np.isfinite(result.pi_low) and np.isfinite(result.pi_high):
            ax.hlines(diamond_y, tr(result.pi_low), tr(result.pi_high), color=PALETTE["vermillion"],
                      lw=1.5, linestyles=(0, (4, 2)), zorder=2, label="95% prediction interval")
            ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.30 * 4 / max(rows, 4)), frameon=False, fontsize=8)
        name = f"Pooled ({result.method}, {result.ci.upper()})"
        ax.annotate(name, (-0.02, diamond_y), xycoords=("axes fraction", "data"), ha="right",
                    va="center", weight="bold")
        ax.annotate(f"{_fmt(est, measure)} [{_fmt(cl, measure)}, {_fmt(ch, measure)}]",
                    (text_x, diamond_y), xycoords=("axes fraction", "data"), ha="left", va="center",
                    family="DejaVu Sans Mono", fontsize=9, weight="bold")
    ax.axvline(null, color=PALETTE["grey"], lw=1, ls="-", zorder=1)
    if measure in RATIO_MEASURES:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_ylim(0.2, rows + 1.0)
    ax.set_xlabel(f"{MEASURE_NAMES.get(measure, measure)} ({'log scale' if measure in RATIO_MEASURES else 'JAK inhibitor minus placebo'})")
    left, right = labels if higher_is_better else labels[::-1]
    ax.annotate(f"← {left}  ", (null, 1.0), xycoords=("data", "axes fraction"), ha="right", va="bottom",
                fontsize=8, color=PALETTE["grey"], annotation_clip=False)
    ax.annotate(f"  {right} →", (null, 1.0), xycoords=("data", "axes fraction"), ha="left", va="bottom",
                fontsize=8, color=PALETTE["grey"], annotation_clip=False)
    if title:
        ax.set_title(title, loc="left", pad=18)
    fig.subplots_adjust(left=0.30, right=0.60, top=1 - 0.75 / fig.get_figheight(),
                        bottom=0.95 / fig.get_figheight())
    return fig


def funnel_plot(yi: np.ndarray, vi: np.ndarray, estimate: float, measure: str, *, title: str = "") -> Figure:
    """Funnel plot: effect against standard error (inverted axis) with 95% pseudo-confidence limits
    around the common-effect estimate (Sterne et al. 2011)."""
    use_book_style()
    se = np.sqrt(np.asarray(vi, float))
    fig, ax = plt.subplots(figsize=(6.0, 4.5))
    top = max(se.max() * 1.1, 1e-6)
    grid = np.linspace(0, top, 50)
    tr = np.exp if measure in RATIO_MEASURES else (lambda x: x)
    ax.plot(tr(estimate - 1.96 * grid), grid, color=PALETTE["grey"], ls="--", lw=1)
    ax.plot(tr(estimate + 1.96 * grid), grid, color=PALETTE["grey"], ls="--", lw=1)
    ax.axvline(tr(estimate), color=PALETTE["vermillion"], lw=1.2)
    ax.scatter(tr(np.asarray(yi, float)), se, color=PALETTE["blue"], zorder=3)
    ax.set_ylim(top, 0)
    if measure in RATIO_MEASURES:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel(f"{MEASURE_NAMES.get(measure, measure)}{' (log scale)' if measure in RATIO_MEASURES else ''}")
    ax.set_ylabel("Standard error")
    if title:
        ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig


JUDGEMENT_COLOURS = {"low": PALETTE["green"], "some_concerns": PALETTE["yellow"],
                     "high": PALETTE["vermillion"], "not_assessed": "#DDDDDD"}
JUDGEMENT_SYMBOLS = {"low": "+", "some_concerns": "−", "high": "×", "not_assessed": "?"}


def traffic_light_plot(rob: pd.DataFrame, trial_names: dict[str, str] | None = None) -> Figure:
    """RoB 2 traffic-light plot: trials as rows, domains D1-D5 and overall as columns."""
    use_book_style()
    domains = ["D1_randomisation", "D2_deviations", "D3_missing_data", "D4_measurement",
               "D5_selection", "overall"]
    studies = list(dict.fromkeys(rob["study_id"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.45 * len(studies)))
    for r, sid in enumerate(studies):
        for c, dom in enumerate(domains):
            cell = rob[(rob["study_id"] == sid) & (rob["domain"] == dom)]
            judgement = cell["judgement"].iloc[0] if len(cell) else "not_assessed"
            ax.scatter(c, r, s=320, color=JUDGEMENT_COLOURS[judgement], edgecolor="black", lw=0.5)
            ax.annotate(JUDGEMENT_SYMBOLS[judgement], (c, r), ha="center", va="center", fontsize=10,
                        weight="bold")
    ax.set_xticks(range(len(domains)), ["D1", "D2", "D3", "D4", "D5", "Overall"])
    names = trial_names or {}
    ax.set_yticks(range(len(studies)), [names.get(s, s) for s in studies])
    ax.set_ylim(len(studies) - 0.5, -0.5)
    ax.set_xlim(-0.6, len(domains) - 0.4)
    ax.tick_params(length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    handles = [plt.Line2D([], [], marker="o", ls="", color=col, markeredgecolor="black", markersize=10,
                          label=f"{JUDGEMENT_SYMBOLS[j]} {j.replace('_', ' ')}") for j, col in JUDGEMENT_COLOURS.items()]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12 if len(studies) > 4 else -0.3),
              ncol=4, frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


STATE_COLOURS = {"usable (reported)": PALETTE["blue"], "usable (derived)": PALETTE["sky"],
                 "partial": PALETTE["yellow"], "percent only": PALETTE["orange"], "not found": "#EEEEEE"}


def completeness_plot(matrix: pd.DataFrame) -> Figure:
    """Trial x outcome grid coloured by what the data package holds for each cell."""
    use_book_style()
    states = list(STATE_COLOURS)
    codes = matrix.apply(lambda col: col.map(states.index)).to_numpy(dtype=float)
    cmap = mpl.colors.ListedColormap([STATE_COLOURS[s] for s in states])
    fig, ax = plt.subplots(figsize=(9.0, 1.6 + 0.42 * len(matrix)))
    ax.imshow(codes, cmap=cmap, vmin=-0.5, vmax=len(states) - 0.5, aspect="auto")
    ax.set_xticks(range(matrix.shape[1]), [c.split(" (")[0] for c in matrix.columns], rotation=35, ha="right")
    ax.set_yticks(range(matrix.shape[0]), matrix.index)
    ax.set_xticks(np.arange(-0.5, matrix.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, matrix.shape[0]), minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="both", length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    handles = [mpl.patches.Patch(facecolor=STATE_COLOURS[s], edgecolor="#999999", label=s) for s in states]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig
