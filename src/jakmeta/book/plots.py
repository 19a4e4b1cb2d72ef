"""Forest, funnel and traffic-light plots, drawn with matplotlib.

Conventions: labelled axes with units, the line of no effect, ratio measures on a log axis, a
colour-blind-safe palette (Okabe & Ito), a fixed font (DejaVu Sans, shipped with matplotlib) and no
timestamps in the image metadata, so that the same data give the same picture byte for byte.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from jakmeta.book.tables import marker_legend, source_marker
from jakmeta.review.certainty import interval_label

#: Okabe-Ito colour-blind-safe palette.
PALETTE = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
           "sky": "#56B4E9", "purple": "#CC79A7", "yellow": "#F0E442", "black": "#000000",
           "grey": "#7F7F7F"}
RATIO_MEASURES = {"OR", "RR", "PETO"}
MEASURE_NAMES = {"OR": "Odds ratio", "RR": "Risk ratio", "PETO": "Peto odds ratio", "RD": "Risk difference",
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
    _register_png_with_description()


def _register_png_with_description() -> None:
    """In a notebook, write a figure's ``alt_text`` into its PNG (the ``Description`` text chunk),
    so that the book can use it as the image's alt text (``_ext/site_fixes.py``) when the cell
    gives none. Outside IPython nothing happens."""
    try:
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.core.pylabtools import print_figure
        from matplotlib_inline.backend_inline import InlineBackend
    except ImportError:
        return
    if not InteractiveShell.initialized():
        return
    kwargs = dict(InlineBackend.instance().print_figure_kwargs)
    kwargs.pop("metadata", None)

    def png(fig):
        metadata = {"Software": None}
        if getattr(fig, "alt_text", None):
            metadata["Description"] = fig.alt_text
        return print_figure(fig, fmt="png", base64=True, metadata=metadata, **kwargs)

    InteractiveShell.instance().display_formatter.formatters["image/png"].for_type(Figure, png)


def _fmt(value: float, measure: str) -> str:
    """A value as printed on the plot: 2 decimals; ratios beyond the printable range (a trial with
    few events can give a CI limit in the millions) as ``> 9999`` or ``< 0.01``."""
    if measure in RATIO_MEASURES:
        ratio = math.exp(value) if value < 700 else math.inf
        if ratio > 9999:
            return "> 9999"
        if 0 < ratio < 0.005:
            return "< 0.01"
        return f"{ratio:.2f}"
    return f"{value:.2f}".replace("-", "−")  # a typographic minus, as on the axis


def _fmt_p(p: float) -> str:
    from jakmeta.review.wording import p_text

    return p_text(p)


def _fmt_count(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or pd.isna(value):
        return "—"
    v = float(value)
    return str(int(round(v))) if v.is_integer() else f"{v:.1f}"


#: RoB 2 domains in the order of the traffic-light plot and robvis (Sterne et al. 2019).
ROB_DOMAINS = ("D1_randomisation", "D2_deviations", "D3_missing_data", "D4_measurement", "D5_selection",
               "overall")
ROB_DOMAIN_NAMES = {
    "D1_randomisation": "randomisation process", "D2_deviations": "deviations from intended interventions",
    "D3_missing_data": "missing outcome data", "D4_measurement": "measurement of the outcome",
    "D5_selection": "selection of the reported result", "overall": "overall",
}
METHOD_NAMES = {
    "REML": "random effects, τ² by REML", "DL": "random effects, τ² by DerSimonian-Laird",
    "PM": "random effects, τ² by Paule-Mandel", "SJ": "random effects, τ² by Sidik-Jonkman",
    "HE": "random effects, τ² by Hedges", "ML": "random effects, τ² by maximum likelihood",
    "EB": "random effects, τ² by empirical Bayes", "FE": "common effect, inverse variance",
    "MH": "common effect, Mantel-Haenszel", "Peto": "common effect, Peto", "PETO": "common effect, Peto",
}
CI_NAMES = {"hksj": "Hartung-Knapp-Sidik-Jonkman", "wald": "Wald (normal)", "z": "Wald (normal)",
            "hksj-adhoc": "Hartung-Knapp-Sidik-Jonkman with ad hoc correction", "kr": "Kenward-Roger",
            "pl": "profile likelihood"}


def lower_is_better(outcome: str | None) -> bool:
    """True for outcomes where a value below the null favours the JAK inhibitor: harms (``ae_*``)
    and the change in SALT score (``salt_cfb``, ``salt_pcfb``)."""
    return bool(outcome) and (str(outcome).startswith("ae_") or str(outcome) in ("salt_cfb", "salt_pcfb"))


def rob_judgements(rob: pd.DataFrame | None, study_ids, outcome: str | None = None) -> dict:
    """``{study_id: {domain: judgement}}`` from ``data/risk_of_bias.csv`` rows. A row whose
    ``outcome_scope`` names ``outcome`` wins over an ``all outcomes`` row; missing cells are
    ``not_assessed``."""
    out = {sid: dict.fromkeys(ROB_DOMAINS, "not_assessed") for sid in study_ids}
    if rob is None or len(rob) == 0:
        return out
    rows = rob[rob["study_id"].isin(list(study_ids))]
    if "outcome_scope" in rows.columns:
        from jakmeta.evidence.rob import rows_for

        rows = rows_for(rows, outcome)
    for r in rows.itertuples():
        if r.domain in ROB_DOMAINS and out[r.study_id].get(r.domain) == "not_assessed":
            out[r.study_id][r.domain] = r.judgement if r.judgement in JUDGEMENT_COLOURS else "not_assessed"
    return out


def _arm_columns(table: pd.DataFrame) -> str | None:
    if {"events_t", "n_t", "events_c", "n_c"} <= set(table.columns):
        return "binary"
    if {"mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c"} <= set(table.columns):
        return "continuous"
    return None


def forest_alt_text(table: pd.DataFrame, result, measure: str, *, title: str = "", level: float = 0.95) -> str:
    """A description of a forest plot for screen readers, computed from the same numbers."""
    z = stats.norm.ppf(0.5 + level / 2)
    name = MEASURE_NAMES.get(measure, measure).split(" (")[0].lower()
    parts = [f"Forest plot{': ' + title if title else ''}. {len(table)} comparison(s), {name} with "
             f"{int(round(level * 100))}% confidence intervals."]
    for row in table.itertuples():
        se = math.sqrt(row.vi)
        parts.append(f"{row.trial}: {_fmt(row.yi, measure)} ({_fmt(row.yi - z * se, measure)} to "
                     f"{_fmt(row.yi + z * se, measure)}).")
    if result is not None and len(table) > 1:
        parts.append(f"Pooled: {_fmt(result.estimate, measure)} ({_fmt(result.ci_low, measure)} to "
                     f"{_fmt(result.ci_high, measure)})"
                     + (f"; I² = {result.i2:.0f}%." if np.isfinite(getattr(result, "i2", np.nan)) else "."))
        if np.isfinite(getattr(result, "pi_low", np.nan)) and len(table) >= 3:
            parts.append(f"Prediction interval {_fmt(result.pi_low, measure)} to {_fmt(result.pi_high, measure)}.")
    return " ".join(parts)


def _source_markers(table: pd.DataFrame) -> list[str]:
    """Per row, the source-quality marker (:func:`jakmeta.book.tables.source_marker`) when the table
    carries ``source_type``/``approximate`` (as :func:`jakmeta.review.analysis.comparison_table` makes it)."""
    if "source_type" not in table:
        return [""] * len(table)
    approximate = table["approximate"] if "approximate" in table else ["no"] * len(table)
    return [source_marker(s, a) for s, a in zip(table["source_type"], approximate, strict=True)]


def forest_plot(table: pd.DataFrame, result, measure: str, *, title: str = "",
                labels: tuple[str, str] = ("Favours placebo", "Favours JAK inhibitor"),
                level: float = 0.95, higher_is_better: bool | None = None,
                rob: pd.DataFrame | None = None, outcome: str | None = None,
                arm_names: tuple[str, str] = ("JAK inhibitor", "Placebo"),
                show_arms: bool = True, models: list | None = None, model_text: str | None = None,
                subgroup: str | None = None, subtotals: dict | None = None, interval: str = "CI") -> Figure:
    """Forest plot laid out as Cochrane's RevMan and robvis do: per trial, the arm data (events and
    total, or mean, SD and N, per arm), the weight, the estimate and CI as text, the estimate as a
    box (area ~ weight) with its CI, and, when ``rob`` is given, the RoB 2 judgements per domain
    and overall as coloured dots with symbols (+ low, − some concerns, × high, ? no information read by us).
    Under the trials: the pooled estimate (diamond), the prediction interval as its own row, and
    heterogeneity (τ², Q with df and p, I²) and the test for the overall effect as text.

    ``table`` has columns ``trial, yi, vi`` (log scale for OR/RR) and, for the arm columns,
    ``events_t, n_t, events_c, n_c`` or ``mean_t, sd_t, n_t, mean_c, sd_c, n_c`` (as made by
    :func:`jakmeta.review.analysis.comparison_table`) and ``study_id`` to match ``rob`` (the rows of
    ``data/risk_of_bias.csv``; ``outcome`` picks outcome-specific judgements). ``result`` is a
    :class:`jakmeta.stats.PoolResult` or None when nothing can be pooled. The figure's
    description for screen readers is in ``fig.alt_text`` (see :func:`forest_alt_text`). A trial
    whose values are approximate or come only from a sponsor, conference or news source carries a
    marker after its name (≈, †, ‡; :func:`jakmeta.book.tables.source_marker`), explained under the plot.
    ``higher_is_better`` places the "favours" labels; by default it follows ``outcome``: False for
    harms (``ae_*``) and the SALT change (a lower SALT score is less hair loss), else True.
    ``models`` adds labelled rows under the prediction interval, one per other model
    ``(name, estimate, ci_low, ci_high)`` on the analysis scale (hollow diamonds), and
    ``model_text`` replaces the "Model:" note (:func:`headline_forest_plot` uses both so that the
    diamond is the book's headline estimate).
    ``subgroup`` names a column of ``table`` (e.g. ``drug`` or ``dose``) when a pool mixes drugs or
    doses: the trials are grouped under a heading per value (in order of first appearance), and
    ``interval`` names the pooled and subtotal intervals ("CI", or "CrI" for a Bayesian headline).
    ``subtotals`` (``{value: PoolResult}``, computed by the caller with the same model) adds a
    subtotal diamond under each group of two or more comparisons, as RevMan does; the overall
    pooled diamond stays at the bottom. Without ``subgroup`` nothing changes.
    Layout follows RevMan 5 and robvis :cite:`mcguinness2021robvis`.
    """
    use_book_style()
    if higher_is_better is None:
        higher_is_better = not lower_is_better(outcome)
    table = table.reset_index(drop=True)
    grouped = subgroup is not None and subgroup in table.columns and table[subgroup].nunique() > 1
    order = np.arange(len(table))
    if grouped:  # trials of one group together, groups in order of first appearance
        first = {g: i for i, g in reversed(list(enumerate(table[subgroup])))}
        order = np.array(sorted(range(len(table)), key=lambda i: (first[table[subgroup].iloc[i]], i)))
        table = table.iloc[order].reset_index(drop=True)
    k = len(table)
    z = stats.norm.ppf(0.5 + level / 2)
    yi = table["yi"].to_numpy(float)
    se = np.sqrt(table["vi"].to_numpy(float))
    lo, hi = yi - z * se, yi + z * se
    ratio = measure in RATIO_MEASURES
    tr = np.exp if ratio else (lambda x: x)
    null = 1.0 if ratio else 0.0
    show_pool = result is not None and k > 1
    weights = (np.asarray(result.weights, float)[order] if show_pool else np.full(k, 100.0 / max(k, 1)))
    pi_ok = (show_pool and k >= 3 and np.isfinite(getattr(result, "pi_low", np.nan))
             and np.isfinite(getattr(result, "pi_high", np.nan)))
    kind = _arm_columns(table) if show_arms else None
    show_rob = rob is not None and "study_id" in table.columns
    fs = 9  # font size of the table part

    # ---- columns, left to right (width in inches, alignment)
    name_w, plot_w, dot_w = 2.05, 2.2, 0.21
    arm_cols = {"binary": [("events", "Events"), ("n", "Total")],
                "continuous": [("mean", "Mean"), ("sd", "SD"), ("n", "N")]}.get(kind, [])
    arm_w = 0.54
    cols = [("name", name_w, "left")]
    for arm in ("t", "c"):
        cols += [(f"{key}_{arm}", arm_w, "right") for key, _ in arm_cols]
    # the estimate column is as wide as its longest text (DejaVu Sans 9 pt, bold on the pooled row)
    texts = [f"{_fmt(y, measure)} [{_fmt(a, measure)}, {_fmt(b, measure)}]" for y, a, b in zip(yi, lo, hi, strict=True)]
    if show_pool:
        texts.append(f"{_fmt(result.estimate, measure)} [{_fmt(result.ci_low, measure)}, {_fmt(result.ci_high, measure)}]")
        texts += [f"{_fmt(m[1], measure)} [{_fmt(m[2], measure)}, {_fmt(m[3], measure)}]" for m in (models or [])]
    estimate_w = max(1.45, 0.078 * max(len(t) for t in texts) + 0.1) if texts else 1.45
    cols += [("weight", 0.68, "right"), ("estimate", estimate_w, "right"), ("gap", 0.15, "left"),
             ("plot", plot_w, "center"), ("gap2", 0.1, "left")]
    if show_rob:
        cols += [(dom, dot_w, "center") for dom in ROB_DOMAINS]
    cols += [("end", 0.15, "left")]
    width = sum(w for _, w, _ in cols)
    left_edge, x = {}, 0.1
    for key, w, _ in cols:
        left_edge[key] = x
        x += w
    width += 0.2

    # ---- rows, top to bottom (y in data units, one per row)
    header_rows = 2 if (arm_cols or show_rob) else 1
    # subgroups: a heading row before each group, a subtotal row after it (row numbers before shifts)
    group_head, group_total, extra, offset = {}, {}, [], 0
    if grouped:
        labels_g = list(table[subgroup])
        for i, g in enumerate(labels_g):
            if i == 0 or labels_g[i - 1] != g:
                group_head[g] = header_rows + i + offset
                offset += 1
            extra.append(offset)
            if (i == k - 1 or labels_g[i + 1] != g) and g in (subtotals or {}) and labels_g.count(g) > 1:
                offset += 1
                group_total[g] = header_rows + i + offset
    trial_rows = [header_rows + i + (extra[i] if grouped else 0) for i in range(k)]
    pooled_row = header_rows + k + offset + 0.4 if show_pool else None
    pi_row = pooled_row + 1 if show_pool else None
    models = list(models or []) if show_pool else []
    last_row = (pi_row + len(models)) if show_pool else header_rows + k - 1 + offset
    row_h = 0.3
    markers = _source_markers(table)
    names = ["\n".join(textwrap.wrap(f"{n} {m}".rstrip(), 29, break_long_words=True)[:2])
             for n, m in zip(table["trial"], markers, strict=True)]
    # row positions in data units; a wrapped name gets a little more room
    pos, shift = {}, 0.0
    group_y = {}
    for i, r in enumerate(trial_rows):
        if grouped and table[subgroup].iloc[i] in group_head and group_head[table[subgroup].iloc[i]] == r - 1:
            group_y[("head", table[subgroup].iloc[i])] = r - 1 + shift
        wrapped = "\n" in names[i]
        pos[r] = r + shift + (0.175 if wrapped else 0.0)
        shift += 0.35 if wrapped else 0.0
        if grouped and group_total.get(table[subgroup].iloc[i]) == r + 1:
            group_y[("total", table[subgroup].iloc[i])] = r + 1 + shift
    if show_pool:
        pooled_row, pi_row = pooled_row + shift, pi_row + shift
    last_row += shift
    het_lines = []
    if show_pool:
        method = METHOD_NAMES.get(result.method, result.method)
        ci_name = CI_NAMES.get(str(result.ci).lower(), str(result.ci))
        het_lines.append(model_text or f"Model: {method}; {int(round(level * 100))}% CI by {ci_name}.")
        nan = float("nan")
        tau2_value, q, i2 = (float(getattr(result, name, nan)) for name in ("tau2", "q", "i2"))
        tau2 = (f"τ² = {tau2_value:.2f}" if getattr(result, "tau2_estimable", True) and np.isfinite(tau2_value)
                else "τ² = 0 (common-effect model)")
        if np.isfinite(q):
            het_lines.append(f"Heterogeneity: {tau2}; Q = {q:.2f}, df = {getattr(result, 'q_df', k - 1)} "
                             f"({_fmt_p(float(getattr(result, 'q_pvalue', nan)))}); I² = {i2:.0f}%")
        df = float(getattr(result, "df", nan))
        statistic, pvalue = float(getattr(result, "statistic", nan)), float(getattr(result, "pvalue", nan))
        if np.isfinite(statistic) and np.isfinite(pvalue):
            stat = (f"t = {statistic:.2f}, df = {df:g}" if np.isfinite(df)
                    else f"z = {statistic:.2f}").replace("-", "−")
            het_lines.append(f"Test for overall effect: {stat} ({_fmt_p(pvalue)})")
    if show_rob:
        het_lines.append("Risk of bias (RoB 2): " + "; ".join(
            f"D{i + 1} {ROB_DOMAIN_NAMES[d]}" for i, d in enumerate(ROB_DOMAINS[:5]))
            + "; O overall. Judgements: + low, − some concerns, × high, ? no information read by us.")
    if any(markers):
        het_lines.append("Source of the values: " + marker_legend(markers) + ".")
    # the notes under the plot wrap to the figure's width (DejaVu Sans 8.5 pt: about 4.9 pt a character)
    max_chars = max(40, int((width - 0.2) * 72 / 4.9))
    het_lines = [part for line in het_lines for part in textwrap.wrap(line, max_chars)]
    top_in = 0.45 if title else 0.15
    axis_in = 0.8  # tick labels, favours labels, axis label
    text_in = 0.2 * len(het_lines) + 0.1
    plot_h = (last_row + 1.2) * row_h
    height = top_in + plot_h + axis_in + text_in
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((left_edge["plot"] / width, (axis_in + text_in) / height,
                       plot_w / width, plot_h / height))
    ax.set_ylim(last_row + 0.6, -0.6)

    def cell(key: str, y: float, text: str, *, bold: bool = False, size: float = fs, color: str = "black",
             mono: bool = False):
        _, w, align = next(c for c in cols if c[0] == key)
        xl = left_edge[key]
        xpos = {"left": xl, "right": xl + w - 0.05, "center": xl + w / 2}[align]
        ax.annotate(text, (xpos / width, y), xycoords=("figure fraction", "data"), ha=align, va="center",
                    fontsize=size, weight="bold" if bold else "normal", color=color, annotation_clip=False,
                    family="DejaVu Sans Mono" if mono else "DejaVu Sans")

    def spanning(first: str, last: str, y: float, text: str):
        xl = left_edge[first]
        xr = left_edge[last] + next(c for c in cols if c[0] == last)[1]
        ax.annotate(text, ((xl + xr) / 2 / width, y), xycoords=("figure fraction", "data"), ha="center",
                    va="center", fontsize=fs, weight="bold", annotation_clip=False)

    # ---- header
    h1, h2 = (0, 1) if header_rows == 2 else (0, 0)
    cell("name", h2, "Trial", bold=True)
    if arm_cols:
        for arm, label in zip(("t", "c"), arm_names, strict=True):
            spanning(f"{arm_cols[0][0]}_{arm}", f"{arm_cols[-1][0]}_{arm}", h1, label)
            for key, head in arm_cols:
                cell(f"{key}_{arm}", h2, head, bold=True, size=fs - 0.5)
    cell("weight", h2, "Weight", bold=True)
    cell("estimate", h2, f"{measure} [{int(round(level * 100))}% CI]", bold=True)
    if show_rob:
        spanning(ROB_DOMAINS[0], ROB_DOMAINS[-1], h1, "Risk of bias")
        for i, dom in enumerate(ROB_DOMAINS):
            cell(dom, h2, "O" if dom == "overall" else f"D{i + 1}", bold=True, size=8)
    blend = mpl.transforms.blended_transform_factory(fig.transFigure, ax.transData)
    ax.add_line(plt.Line2D([0.1 / width, (width - 0.1) / width], [h2 + 0.5] * 2, transform=blend,
                           color=PALETTE["grey"], lw=0.6, clip_on=False))

    # ---- trials
    judgements = rob_judgements(rob, list(table["study_id"]), outcome) if show_rob else {}
    for i, r in enumerate(trial_rows):
        y = pos[r]
        row = table.iloc[i]
        cell("name", y, names[i])
        for key, _ in arm_cols:
            for arm in ("t", "c"):
                value = row.get(f"{key}_{arm}")
                text = (_fmt_count(value) if key in ("events", "n")
                        else ("—" if pd.isna(value) else f"{float(value):.1f}".replace("-", "−")))
                cell(f"{key}_{arm}", y, text)
        cell("weight", y, f"{weights[i]:.1f}%")
        cell("estimate", y, f"{_fmt(yi[i], measure)} [{_fmt(lo[i], measure)}, {_fmt(hi[i], measure)}]")
        if show_rob:
            for dom in ROB_DOMAINS:
                j = judgements.get(row["study_id"], {}).get(dom, "not_assessed")
                xl = left_edge[dom] + dot_w / 2
                ax.scatter([xl / width], [y], s=80, color=JUDGEMENT_COLOURS[j], edgecolor="black", lw=0.4,
                           transform=blend, clip_on=False, zorder=4)
                ax.annotate(JUDGEMENT_SYMBOLS[j], (xl / width, y), xycoords=("figure fraction", "data"),
                            ha="center", va="center", fontsize=7.5, weight="bold", annotation_clip=False,
                            zorder=5)

    # ---- x range: every CI and the null, clipped to a readable span; arrows mark clipped CIs
    ends = [tr(lo), tr(hi), [null]]
    ends += [[tr(subtotals[g].ci_low), tr(subtotals[g].ci_high)] for kind_, g in group_y if kind_ == "total"]
    if show_pool:
        ends += [[tr(result.ci_low), tr(result.ci_high)]]
        if pi_ok:
            ends += [[tr(result.pi_low), tr(result.pi_high)]]
        ends += [[tr(m[2]), tr(m[3])] for m in models]
    values = np.concatenate([np.asarray(e, float).ravel() for e in ends])
    values = values[np.isfinite(values)]
    xmin, xmax = float(values.min()), float(values.max())
    if ratio:
        xmin, xmax = max(xmin, 1e-3), min(xmax, 1e3)
        xmin, xmax = xmin / 1.3, xmax * 1.3
    else:
        span = (xmax - xmin) or 1.0
        xmin, xmax = xmin - 0.05 * span, xmax + 0.05 * span
    ax.set_xlim(xmin, xmax)
    if ratio:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(mpl.ticker.LogLocator(base=10, subs=(1.0,), numticks=12))
        ax.xaxis.set_minor_locator(mpl.ticker.NullLocator())
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))

    def clipped_line(y, low, high, **kw):
        a, b = max(low, xmin), min(high, xmax)
        ax.hlines(y, a, b, **kw)
        if low < xmin:
            ax.plot([xmin], [y], marker="<", color=kw.get("color", "black"), ms=5, clip_on=False)
        if high > xmax:
            ax.plot([xmax], [y], marker=">", color=kw.get("color", "black"), ms=5, clip_on=False)

    ys = np.array([pos[r] for r in trial_rows])
    sizes = 20 + 160 * weights / max(weights.max(), 1e-9)
    for y, a, b in zip(ys, tr(lo), tr(hi), strict=True):
        clipped_line(y, a, b, color=PALETTE["black"], lw=1.1)
    ax.scatter(np.clip(tr(yi), xmin, xmax), ys, s=sizes, marker="s", color=PALETTE["blue"], zorder=3)
    null_bottom = (pi_row + len(models) + 0.5) if show_pool else (ys.max() + 0.5)
    ax.vlines(null, h2 + 0.5, null_bottom, color=PALETTE["grey"], lw=0.9, zorder=1)

    # ---- subgroups: headings and subtotal diamonds (RevMan: black diamonds, weights summed)
    for (kind_, g), y in group_y.items():
        if kind_ == "head":
            cell("name", y, str(g)[:1].upper() + str(g)[1:], bold=True)
            continue
        sub, members = subtotals[g], (table[subgroup] == g).to_numpy()
        cell("name", y, f"Subtotal ({int(round(level * 100))}% {interval})")
        cell("weight", y, f"{weights[members].sum():.1f}%")
        cell("estimate", y, f"{_fmt(sub.estimate, measure)} [{_fmt(sub.ci_low, measure)}, {_fmt(sub.ci_high, measure)}]")
        ax.fill([max(tr(sub.ci_low), xmin), tr(sub.estimate), min(tr(sub.ci_high), xmax), tr(sub.estimate)],
                [y, y - 0.26, y, y + 0.26], color=PALETTE["black"], zorder=3)

    # ---- pooled diamond, prediction interval row, heterogeneity
    if show_pool:
        est, cl, ch = result.estimate, result.ci_low, result.ci_high
        cell("name", pooled_row, f"Pooled ({int(round(level * 100))}% {interval})", bold=True)
        if kind == "binary":
            for arm in ("t", "c"):
                cell(f"events_{arm}", pooled_row, _fmt_count(table[f"events_{arm}"].sum()), bold=True)
                cell(f"n_{arm}", pooled_row, _fmt_count(table[f"n_{arm}"].sum()), bold=True)
        elif kind == "continuous":
            for arm in ("t", "c"):
                cell(f"n_{arm}", pooled_row, _fmt_count(table[f"n_{arm}"].sum()), bold=True)
        cell("weight", pooled_row, "100.0%", bold=True)
        cell("estimate", pooled_row, f"{_fmt(est, measure)} [{_fmt(cl, measure)}, {_fmt(ch, measure)}]", bold=True)
        ax.fill([max(tr(cl), xmin), tr(est), min(tr(ch), xmax), tr(est)],
                [pooled_row, pooled_row - 0.32, pooled_row, pooled_row + 0.32],
                color=PALETTE["vermillion"], zorder=3)
        for edge, inside, marker in ((xmin, tr(cl) >= xmin, "<"), (xmax, tr(ch) <= xmax, ">")):
            if not inside:  # the pooled interval runs beyond the axis
                ax.plot([edge], [pooled_row], marker=marker, ms=6,
                        color=PALETTE["vermillion"], clip_on=False, zorder=4)
        cell("name", pi_row, f"Prediction interval ({int(round(level * 100))}%)")
        if pi_ok:
            cell("estimate", pi_row, f"[{_fmt(result.pi_low, measure)}, {_fmt(result.pi_high, measure)}]")
            clipped_line(pi_row, tr(result.pi_low), tr(result.pi_high), color=PALETTE["vermillion"], lw=2.2)
            for end in (tr(result.pi_low), tr(result.pi_high)):
                if xmin <= end <= xmax:
                    ax.vlines(end, pi_row - 0.18, pi_row + 0.18, color=PALETTE["vermillion"], lw=1.5)
        else:
            method = str(getattr(result, "method", ""))  # a common-effect headline has no τ², hence no interval
            why = "k < 3" if k < 3 else ("common-effect model" if method.startswith("Common effect") else "not computable")
            cell("estimate", pi_row, f"not estimated ({why})", size=8, color=PALETTE["grey"])
        for j, (name, m_est, m_low, m_high) in enumerate(models):
            y = pi_row + 1 + j
            cell("name", y, short_model_name(str(name)), size=8, color="#404040")
            cell("estimate", y, f"{_fmt(m_est, measure)} [{_fmt(m_low, measure)}, {_fmt(m_high, measure)}]",
                 size=8, color="#404040")
            ax.fill([max(tr(m_low), xmin), tr(m_est), min(tr(m_high), xmax), tr(m_est)],
                    [y, y - 0.22, y, y + 0.22], facecolor="none", edgecolor=PALETTE["grey"], lw=1.0, zorder=3)

    # ---- axes, favours labels, texts below
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_bounds(xmin, xmax)
    ax.tick_params(axis="x", labelsize=8.5)
    ax.set_xlabel(f"{MEASURE_NAMES.get(measure, measure)} ({'log scale' if ratio else 'JAK inhibitor minus placebo'})",
                  fontsize=9, labelpad=16)
    left, right = labels if higher_is_better else labels[::-1]
    for text, ha in ((f"← {left}", "right"), (f"{right} →", "left")):
        ax.annotate(text, (null, 0), xycoords=("data", "axes fraction"), xytext=(-4 if ha == "right" else 4, -22),
                    textcoords="offset points", ha=ha, va="top", fontsize=8, color="#404040",
                    annotation_clip=False)
    for i, line in enumerate(het_lines):
        ax.annotate(line, (0.1 / width, (text_in - 0.12 - 0.2 * i) / height), xycoords="figure fraction",
                    ha="left", va="center", fontsize=8.5, annotation_clip=False)
    if title:
        ax.annotate(title, (0.1 / width, 1 - 0.22 / height), xycoords="figure fraction", ha="left",
                    va="center", fontsize=11, weight="bold", annotation_clip=False)
    fig.alt_text = forest_alt_text(table, result, measure, title=title, level=level)
    totals = [g for kind_, g in group_y if kind_ == "total"]
    if totals:
        fig.alt_text += " Subtotals: " + "; ".join(
            f"{g}: {_fmt(subtotals[g].estimate, measure)} ({_fmt(subtotals[g].ci_low, measure)} to "
            f"{_fmt(subtotals[g].ci_high, measure)})" for g in totals) + "."
    return fig


def short_model_name(name: str) -> str:
    """A model name short enough for a forest plot row: 'REML, HKSJ', 'Mantel-Haenszel', ..."""
    table = (("modified HKSJ", "REML, modified HKSJ"), ("HKSJ", "REML, HKSJ"), ("DerSimonian", "DerSimonian-Laird, Wald"),
             ("Mantel-Haenszel", "Mantel-Haenszel"), ("inverse variance", "Common effect (IV)"))
    for key, short in table:
        if key in name:
            return short
    if name.startswith("Bayesian"):
        prior = name.split(", ", 1)[1].split(" prior")[0] if ", " in name else ""
        return f"Bayesian, {prior}" + (" (0.5 corr.)" if "correction" in name else "")
    return textwrap.shorten(name, 34, placeholder="…")


def headline_forest_plot(a, *, title: str = "", rob: pd.DataFrame | None = None, level: float = 0.95) -> Figure:
    """The forest plot of an analysis whose diamond is the book's headline estimate
    (:func:`jakmeta.review.fewstudies.headline`, the protocol's model) and whose extra rows are the
    sensitivity models of :func:`jakmeta.review.fewstudies.model_fits`; weights and heterogeneity are those
    of the REML fit (``a.result``). A pool that mixes drugs (a class row) groups its trials by drug,
    with a subtotal diamond per drug of two or more trials computed by the row's own model
    (:func:`jakmeta.review.fewstudies.subgroup_headlines`)."""
    from types import SimpleNamespace

    from jakmeta.review import fewstudies

    h = fewstudies.headline(a)
    r = a.result
    if h is None or a.k < 2:
        return forest_plot(a.table, r, a.measure, title=title, rob=rob, outcome=a.outcome, level=level)
    shown = SimpleNamespace(estimate=h.estimate, ci_low=h.ci_low, ci_high=h.ci_high, pi_low=h.pi_low,
                            pi_high=h.pi_high, weights=r.weights, tau2=r.tau2, q=r.q, q_df=r.q_df,
                            q_pvalue=r.q_pvalue, i2=r.i2, method=h.model, ci="", df=float("nan"),
                            statistic=float("nan"), pvalue=float("nan"), tau2_estimable=True)
    others = fewstudies.model_fits(a)[1:]
    subtotals = {g: SimpleNamespace(estimate=s.estimate, ci_low=s.ci_low, ci_high=s.ci_high)
                 for g, s in fewstudies.subgroup_headlines(a, "drug").items()}
    text = (f"Diamond: {h.model} (the book's headline). Weights: random effects, REML τ². "
            + ("Black diamonds: subtotal per drug (its therapeutic doses combined), same model. " if subtotals else "")
            + "Hollow diamonds: the other models, for comparison.")
    fig = forest_plot(a.table, shown, a.measure, title=title, rob=rob, outcome=a.outcome, level=level,
                      models=others, model_text=text, subgroup="drug" if subtotals else None,
                      subtotals=subtotals or None, interval=interval_label(h).split()[-1])
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
    fig.alt_text = (f"Funnel plot{': ' + title if title else ''}: the {MEASURE_NAMES.get(measure, measure).lower()} "
                    f"of each of {len(se)} trials against its standard error, with 95% pseudo-confidence limits "
                    f"around the common-effect estimate {_fmt(estimate, measure)}.")
    return fig


JUDGEMENT_COLOURS = {"low": PALETTE["green"], "some_concerns": PALETTE["yellow"],
                     "high": PALETTE["vermillion"], "not_assessed": "#DDDDDD"}
JUDGEMENT_SYMBOLS = {"low": "+", "some_concerns": "−", "high": "×", "not_assessed": "?"}
#: Legend words where the code is not the reader's word (not_assessed: a fact we could not read).
JUDGEMENT_WORDS = {"not_assessed": "no information read by us"}


def traffic_light_plot(rob: pd.DataFrame, trial_names: dict[str, str] | None = None) -> Figure:
    """RoB 2 traffic-light plot: trials as rows (one row per scope of results where a trial's
    efficacy and harms are judged apart), domains D1-D5 and overall as columns."""
    use_book_style()
    domains = ["D1_randomisation", "D2_deviations", "D3_missing_data", "D4_measurement",
               "D5_selection", "overall"]
    scoped = "outcome_scope" in rob.columns
    keys = list(dict.fromkeys(zip(rob["study_id"], rob["outcome_scope"] if scoped else [None] * len(rob), strict=True)))
    n_scopes = pd.Series([sid for sid, _ in keys]).value_counts()
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.45 * len(keys)))
    overall = {}
    for r, (sid, scope) in enumerate(keys):
        mine = rob[(rob["study_id"] == sid) & ((rob["outcome_scope"] == scope) if scoped else True)]
        for c, dom in enumerate(domains):
            cell = mine[mine["domain"] == dom]
            judgement = cell["judgement"].iloc[0] if len(cell) else "not_assessed"
            judgement = judgement if judgement in JUDGEMENT_COLOURS else "not_assessed"
            if dom == "overall":
                overall[(sid, scope)] = judgement
            ax.scatter(c, r, s=320, color=JUDGEMENT_COLOURS[judgement], edgecolor="black", lw=0.5)
            ax.annotate(JUDGEMENT_SYMBOLS[judgement], (c, r), ha="center", va="center", fontsize=10,
                        weight="bold")
    ax.set_xticks(range(len(domains)), ["D1", "D2", "D3", "D4", "D5", "Overall"])
    names = trial_names or {}
    ax.set_yticks(range(len(keys)), [names.get(sid, sid) + (f" ({str(scope).split(' (')[0]})" if n_scopes[sid] > 1 else "")
                                     for sid, scope in keys])
    ax.set_ylim(len(keys) - 0.5, -0.5)
    ax.set_xlim(-0.6, len(domains) - 0.4)
    ax.tick_params(length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    handles = [plt.Line2D([], [], marker="o", ls="", color=col, markeredgecolor="black", markersize=10,
                          label=f"{JUDGEMENT_SYMBOLS[j]} {JUDGEMENT_WORDS.get(j, j.replace('_', ' '))}")
               for j, col in JUDGEMENT_COLOURS.items()]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12 if len(keys) > 4 else -0.3),
              ncol=4, frameon=False, fontsize=8)
    fig.tight_layout()
    counts = ", ".join(f"{sum(1 for j in overall.values() if j == key)} {JUDGEMENT_WORDS.get(key, key.replace('_', ' '))}"
                       for key in JUDGEMENT_COLOURS if any(j == key for j in overall.values()))
    fig.alt_text = (f"Traffic-light plot of RoB 2 judgements for {len(n_scopes)} trials ({len(keys)} rows: efficacy and "
                    f"harms apart where they were judged apart), domains D1 to D5 and overall. Overall judgements: {counts}.")
    return fig


STATE_COLOURS = {"usable (reported)": PALETTE["blue"], "usable (derived)": PALETTE["sky"],
                 "sensitivity only": PALETTE["purple"], "partial": PALETTE["yellow"],
                 "percent only": PALETTE["orange"], "not found": "#EEEEEE"}


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
    cells = matrix.to_numpy().ravel().tolist()
    fig.alt_text = (f"Grid of {matrix.shape[0]} trials by {matrix.shape[1]} outcomes, coloured by what the data "
                    "package holds: " + ", ".join(f"{cells.count(s)} cells {s}" for s in states if cells.count(s)) + ".")
    return fig
