"""Command line: ``python -m jakmeta validate|summary|reproduce|analyse|snapshot``.

- ``validate [DIR]``: check the data package; print every problem (file, line, column) and exit 1
  when there is one.
- ``summary [--format csv|markdown]``: the Summary of Findings rows computed from ``data/``.
- ``reproduce [--format csv|markdown]``: our estimates beside the published ones.
- ``analyse --row ROW_ID [--format csv|markdown] [options]``: one row of the Summary of Findings
  exactly as the book shows it (the protocol entry of ``data/analyses.csv``: estimate, interval,
  model), then the per-trial table; ``--format csv`` gives one row with the columns of ``summary``.
  Each option overrides one choice of the protocol row: ``--trials``, ``--exclude``, ``--multiarm``,
  ``--measure``, ``--timepoint``, ``--model``, ``--prior``, and ``--method``/``--ci`` (a frequentist
  random-effects headline with that τ² estimator and interval).
- ``analyse OUTCOME [--trials liu|update|all] [--method M] [--ci C] [--multiarm R] [--measure M]
  [--exclude TRIAL ...] [--plot FILE]``: an ad hoc random-effects analysis of an outcome with these
  settings (default: Liu et al.'s trials, REML + HKSJ, all active arms combined); not a Summary of
  Findings row. Built on :func:`jakmeta.review.analysis.analyse`.
- ``snapshot [--folder DIR]``: store this version's pooled results as ``results/summaries/v<version>.csv``
  (read by the "What changed" chapter).

Missing values are printed as an em dash, never as NaN; numbers with 3 significant figures
(:func:`significant`; published values as transcribed), p-values below 0.001 as "< 0.001";
``--format csv`` keeps full precision. ``analyse`` refuses, with the valid values, what it cannot
do: an outcome without placebo and active arms in ``data/``, a measure that does not fit the
outcome, a plot file type it cannot write.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import pandas as pd

from jakmeta.evidence.package import DataValidationError, validate_package

MISSING = "—"


def _cmd_validate(args: argparse.Namespace) -> int:
    tables, problems = validate_package(args.directory)
    if problems:
        print(f"{args.directory or 'data'}: {len(problems)} problem(s)", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{len(t)} {name} rows" for name, t in tables.items())
    print(f"data package valid: {counts}")
    return 0


def significant(value: float, figures: int = 3) -> str:
    """A number with ``figures`` significant figures in positional notation, trailing zeros kept:
    0.0490, 2.10, 17.2, 141, 1250 (never an exponent); infinities as ∞."""
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if value == 0:
        return "0"
    rounded = float(f"{value:.{figures}g}")
    decimals = max(0, figures - 1 - math.floor(math.log10(abs(rounded))))
    return f"{rounded:.{decimals}f}"


def format_p(value: float) -> str:
    """A p-value in a table: "< 0.001" below 0.001 (never 0.00; :func:`jakmeta.review.wording.p_value`);
    missing -> em dash."""
    from jakmeta.review.wording import p_value

    return MISSING if value is None or not math.isfinite(value) else p_value(value)


_P_COLUMN = re.compile(r"(^|_)(p|pvalue|p_value)$")


def _cell(value, decimals: int | None = None, *, verbatim: bool = False, p_value: bool = False) -> str:
    """One value as printed: missing -> em dash; floats with ``decimals`` decimals when given, else
    whole ones without '.0' and others with 3 significant figures (``verbatim``: as stored, for
    transcribed published values; ``p_value``: :func:`format_p`); anything else as given."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, float) and p_value:
        return format_p(value)
    if isinstance(value, float) and decimals is not None:
        return f"{value:.{decimals}f}"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return str(value) if verbatim else significant(value)
    return str(value)


def printable(frame: pd.DataFrame, decimals: dict[str, int] | None = None, *,
              verbatim: tuple[str, ...] = ()) -> pd.DataFrame:
    """The frame with every value as text and every missing value as an em dash (:func:`_cell`);
    columns named like p-values (``p``, ``*_pvalue``, ``*_p``) as :func:`format_p`."""
    decimals = decimals or {}
    return frame.astype(object).apply(lambda column: column.map(
        lambda v: _cell(v, decimals.get(column.name), verbatim=column.name in verbatim,
                        p_value=bool(_P_COLUMN.search(str(column.name))))))


def _print_table(frame: pd.DataFrame, fmt: str, decimals: dict[str, int] | None = None) -> None:
    if fmt == "csv":  # a missing value is an empty field, as CSV readers expect; full precision
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:  # published values (Liu et al.'s) as transcribed, every computed one with 3 significant figures
        verbatim = tuple(c for c in frame.columns if str(c).startswith("published"))
        print(printable(frame, decimals, verbatim=verbatim).to_markdown(index=False, disable_numparse=True))


def _cmd_table(args: argparse.Namespace) -> int:
    from jakmeta.review import reproduction, sof

    builder = sof.summary_table if args.command == "summary" else reproduction.reproduction_table
    try:
        frame = builder(args.data)
    except DataValidationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    _print_table(frame, args.format)
    return 0


# ------------------------------------------------------------------------------------- analyse

class UsageError(ValueError):
    """A command-line value that is not valid; the message lists the valid ones."""


def _resolve_trials(pkg, names: list[str]) -> list[str]:
    """Study ids for trial names or ids as a reviewer types them (case and '-'/'_' ignored)."""
    def norm(text: str) -> str:
        return "".join(ch for ch in str(text).lower() if ch.isalnum())

    lookup = {}
    for _, row in pkg.studies.iterrows():
        lookup[norm(row["study_id"])] = row["study_id"]
        lookup.setdefault(norm(row["trial_name"]), row["study_id"])
    ids, unknown = [], []
    for name in names:
        (ids if norm(name) in lookup else unknown).append(lookup.get(norm(name), name))
    if unknown:
        valid = "; ".join(f"{r.study_id} ({r.trial_name})" for r in pkg.studies.itertuples())
        raise UsageError(f"unknown trial(s) {', '.join(unknown)}; valid: {valid}")
    return ids


#: Measures for each kind of outcome (events/total; mean, SD and n).
BINARY_MEASURES = ("OR", "RR", "RD", "PETO")
CONTINUOUS_MEASURES = ("MD", "SMD")
#: How a measure is named on its reporting scale (the Peto log OR is reported as the Peto OR).
MEASURE_WORDS = {"PETO": "Peto OR"}
#: File types the forest plot can be written as.
PLOT_FORMATS = ("png", "svg", "pdf")


def _num(value) -> str:
    return MISSING if value is None or not math.isfinite(value) else significant(value)


def _scaled(measure: str, value) -> float:
    """A value on the reporting scale (:func:`jakmeta.review.analysis.reporting_scale`), NaN when missing."""
    from jakmeta.review.analysis import reporting_scale

    if value is None or not math.isfinite(value):
        return math.nan
    try:
        return reporting_scale(measure)(value)
    except OverflowError:
        return math.inf


def pooled_lines(a) -> list[str]:
    """The pooled result of an analysis in words, on the reporting scale, without NaN."""
    from jakmeta.evidence.labels import outcome_label
    from jakmeta.review.wording import p_text

    label = outcome_label(a.outcome)
    s = a.settings
    name = MEASURE_WORDS.get(a.measure, a.measure)
    lines = [f"{label}: {name}, tau² {s.get('method')}, CI {s.get('ci')}, multi-arm rule "
             f"{s.get('multiarm')}, time point {s.get('timepoint')}"]
    if a.result is None or a.k == 0:
        lines.append("No trial in this set reports the outcome: nothing to pool.")
        return lines
    r = a.result

    def scaled(v) -> str:
        return _num(_scaled(a.measure, v))

    pooled = "Estimate" if a.k == 1 else "Pooled"
    lines.append(f"{pooled} {name} {scaled(r.estimate)} (95% CI {scaled(r.ci_low)} to "
                 f"{scaled(r.ci_high)}); {a.k} comparison(s), {a.n_trials} trial(s), "
                 f"{a.n_participants} participants")
    if a.k > 1:
        i2 = MISSING if not math.isfinite(r.i2) else f"{r.i2:.0f}"
        lines.append(f"95% prediction interval {scaled(r.pi_low)} to {scaled(r.pi_high)}; "
                     f"tau² = {_num(r.tau2)}, I² = {i2} %, Q = {_num(r.q)} "
                     f"({p_text(r.q_pvalue)})")
    else:
        lines.append("One comparison: the trial's own estimate; no heterogeneity to estimate.")
    if len(a.excluded):
        for _, row in a.excluded.iterrows():
            lines.append(f"Left out: {row.get('trial', row['study_id'])} ({row['reason']})")
    return lines


def analysable_outcomes(pkg) -> list[str]:
    """Outcome codes that ``analyse`` accepts: those of :data:`jakmeta.evidence.labels.OUTCOME_LABELS` and
    every code of ``outcomes.csv`` with a value (not ``not_available``) in a placebo arm and in an
    active arm."""
    from jakmeta.evidence.labels import OUTCOME_LABELS

    arms = pkg.arms
    role = dict(zip(zip(arms["study_id"], arms["arm_id"], strict=True), arms["role"], strict=True))
    rows = pkg.outcomes.loc[pkg.outcomes["status"] != "not_available", ["outcome", "study_id", "arm_id"]]
    roles: dict[str, set] = {}
    for outcome, study_id, arm_id in rows.itertuples(index=False):
        roles.setdefault(outcome, set()).add(role.get((study_id, arm_id)))
    both = sorted(code for code, found in roles.items() if {"placebo", "active"} <= found)
    return list(dict.fromkeys(list(OUTCOME_LABELS) + both))


def _check_analyse_args(pkg, args: argparse.Namespace) -> str:
    """Refuse what ``analyse`` cannot do, listing the valid values; returns the measure to use."""
    from jakmeta.evidence.package import is_binary_outcome
    from jakmeta.review.analysis import DEFAULT_MEASURE

    valid = analysable_outcomes(pkg)
    if args.outcome not in valid:
        held = set(pkg.outcomes["outcome"])
        why = (" (data/outcomes.csv has no value for it in both a placebo and an active arm)"
               if args.outcome in held else "")
        raise UsageError(f"unknown outcome '{args.outcome}'{why}; valid: " + ", ".join(valid))
    binary = is_binary_outcome(args.outcome)
    measures = BINARY_MEASURES if binary else CONTINUOUS_MEASURES
    measure = args.measure or DEFAULT_MEASURE.get(args.outcome) or measures[1 if binary else 0]
    if measure not in measures:
        kind = "counts events/total" if binary else "is a mean (SD, n) per arm"
        raise UsageError(f"measure {measure} does not fit outcome '{args.outcome}', which {kind}; valid: "
                         + ", ".join(measures))
    if args.plot:
        plot = Path(args.plot)
        kind = plot.suffix.lower().lstrip(".")
        if kind not in PLOT_FORMATS:
            raise UsageError(f"--plot {args.plot}: cannot write a '{plot.suffix or 'file without extension'}' "
                             "file; valid file types: " + ", ".join(f".{f}" for f in PLOT_FORMATS))
        if not plot.resolve().parent.is_dir():
            raise UsageError(f"--plot {args.plot}: the folder {plot.resolve().parent} does not exist")
    return measure


#: Defaults of the ad hoc ``analyse OUTCOME`` (without ``--row``).
AD_HOC = {"trials": "liu", "method": "REML", "ci": "hksj", "multiarm": "combine"}


def _row_overrides(args: argparse.Namespace, pkg, e) -> tuple[dict, list[str]]:
    """The protocol choices an ``analyse --row`` command overrides, and the words that say so."""
    from jakmeta.review import analysis, protocol

    overrides, said = {}, []
    if args.trials is not None or args.exclude:
        studies = analysis.study_set(pkg, args.trials) if args.trials else protocol.trials_for(pkg, e)
        if args.exclude:
            dropped = _resolve_trials(pkg, args.exclude)
            studies = [s for s in studies if s not in dropped]
            said.append(f"without {', '.join(dropped)}")
        overrides["studies"] = studies
        if args.trials:
            said.append(f"trial set {args.trials}")
    for name in ("multiarm", "measure", "timepoint"):
        value = getattr(args, name)
        if value is not None:
            overrides[name] = int(value) if name == "timepoint" and str(value).isdigit() else value
            said.append(f"{name} {value}")
    if args.method is not None or args.ci is not None:
        overrides.update(model="random-effects", method=args.method or "REML", ci=args.ci or "hksj")
        said.append(f"random effects, τ² {args.method or 'REML'}, CI {args.ci or 'hksj'}")
    if args.model is not None:
        overrides["model"] = args.model
        said.append(f"model {args.model}")
    if args.prior is not None:
        overrides["tau_prior"] = protocol.parse_prior(args.prior)
        overrides.setdefault("model", "bayes")
        said.append(f"prior {args.prior} on tau")
    return overrides, said


def _cmd_analyse_row(args: argparse.Namespace) -> int:
    from jakmeta.evidence.package import load_package
    from jakmeta.review import protocol, sentences, sof

    def work():
        pkg = load_package(args.data)
        e = protocol.entry(pkg, args.row)
        if args.outcome not in (None, e.outcome):
            raise UsageError(f"row '{args.row}' is an analysis of {e.outcome}, not of {args.outcome}")
        args.outcome = e.outcome
        _check_analyse_args(pkg, args)  # a measure that does not fit, a plot type it cannot write
        overrides, said = _row_overrides(args, pkg, e)
        return pkg, said, sof.summary_row(pkg, e, **overrides), protocol.run(pkg, e, **overrides)

    done, refused = _or_refuse(work)
    if refused:
        return refused
    pkg, said, row, a = done
    table = sof.summary_columns(pd.DataFrame([row]))
    if args.format == "csv":
        _print_table(table, "csv")
        return 0
    r = table.iloc[0]
    print(f"{r['row_id']}: {row['label']}" + (f" (overridden: {'; '.join(said)})" if said else ""))
    print(f"Intervention: {r['intervention']}; drugs: {r['drugs'] or MISSING}; trials: {r['trials'] or MISSING}; "
          f"weeks: {r['weeks'] or MISSING}")
    if a.k == 0:
        print(row["statement"])
        return 0
    print(f"{r['measure']} {_cell(r['estimate'])} ({sof.interval_name(r)} {_cell(r['ci_low'])} to {_cell(r['ci_high'])}); "
          f"model: {r['model']}; k = {r['k']}, {r['participants']} participants; certainty: {r['certainty']}")
    if a.k > 1 and math.isfinite(r["pi_low"]):
        print(f"95% prediction interval {_cell(r['pi_low'])} to {_cell(r['pi_high'])}")
    print()
    _print_table(sentences.study_table(a), "markdown", {a.measure: 2, "Weight %": 1})
    if args.plot:
        from jakmeta.book import plots

        _agg()
        return _save_plot(plots.headline_forest_plot(a, title=row["label"], rob=pkg.risk_of_bias), args.plot)
    return 0


def _or_refuse(work):
    """Run ``work()``; return ``(result, 0)``, or ``(None, exit code)`` after printing the error: 1 for a
    data package that does not validate, 2 for a request the command cannot do (the usage errors)."""
    try:
        return work(), 0
    except DataValidationError as err:
        print(f"error: {err}", file=sys.stderr)
        return None, 1
    except (UsageError, ValueError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return None, 2


def _agg() -> None:
    """Matplotlib without a display (the command line writes files only)."""
    import matplotlib

    matplotlib.use("Agg")


def _save_plot(fig, path: str) -> int:
    """Write a forest plot to ``path`` (PNG without the software stamp, so reruns are identical); 1 with
    a clear error when the file cannot be written, else 0."""
    try:
        fig.savefig(path, bbox_inches="tight",
                    metadata={"Software": None} if str(path).lower().endswith(".png") else None)
    except OSError as err:
        print(f"error: could not write the forest plot {path}: {err}", file=sys.stderr)
        return 1
    print(f"\nforest plot written to {path}")
    return 0


def _cmd_analyse(args: argparse.Namespace) -> int:
    from jakmeta.book import plots
    from jakmeta.evidence.labels import outcome_label
    from jakmeta.evidence.package import load_package
    from jakmeta.review import analysis, sentences

    if args.row:
        return _cmd_analyse_row(args)
    for name, value in AD_HOC.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    def work():
        if args.outcome is None:
            raise UsageError("name an outcome (e.g. salt20) or a Summary of Findings row with --row ROW_ID")
        if args.model is not None or args.prior is not None or args.timepoint is not None:
            raise UsageError("--model, --prior and --timepoint override a protocol row: use them with --row ROW_ID")
        pkg = load_package(args.data)
        measure = _check_analyse_args(pkg, args)
        studies = analysis.study_set(pkg, args.trials)
        dropped: list[str] = []
        if args.exclude:
            dropped = _resolve_trials(pkg, args.exclude)
            studies = [s for s in studies if s not in dropped]
        return pkg, studies, dropped, analysis.analyse(pkg, args.outcome, measure=measure, method=args.method,
                                                       ci=args.ci, multiarm=args.multiarm, studies=studies)

    done, refused = _or_refuse(work)
    if refused:
        return refused
    pkg, studies, dropped, a = done
    print("\n".join(pooled_lines(a)))
    without = [s for s in studies if s not in a.trial_ids]
    print(f"Trial set '{args.trials}'" + (f" without {', '.join(dropped)}" if args.exclude else "")
          + f": {len(studies)} trials; without data for this outcome: {', '.join(without) or 'none'}")
    print("An ad hoc analysis, not a Summary of Findings row: `analyse --row ROW_ID` reproduces those.")
    if a.k:
        print()
        table = sentences.study_table(a, number=significant)
        _print_table(table.rename(columns=MEASURE_WORDS), "markdown", {"Weight %": 1})
    if args.plot and not a.k:
        print(f"\nno forest plot written to {args.plot}: no trial to plot")
    elif args.plot:
        _agg()
        return _save_plot(plots.forest_plot(a.table, a.result, a.measure, title=outcome_label(args.outcome),
                                            rob=pkg.risk_of_bias, outcome=args.outcome), args.plot)
    return 0


def _cmd_snapshot(args: argparse.Namespace) -> int:
    from jakmeta.book import release

    try:
        path = release.write_snapshot(release.snapshot(), args.folder)
    except DataValidationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"pooled results of version {release.version()} written to {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from jakmeta.book import release
    from jakmeta.review.analysis import MULTIARM_RULES
    from jakmeta.stats import CI_METHODS, METHODS

    parser = argparse.ArgumentParser(prog="python -m jakmeta", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"jakmeta {release.version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="check the data package against its schema and rules")
    validate.add_argument("directory", nargs="?", default=None, help="data package folder (default: data/)")
    validate.set_defaults(func=_cmd_validate)
    for name, text in (("summary", "Summary of Findings rows"), ("reproduce", "reproduction table")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--format", choices=["csv", "markdown"], default="markdown")
        p.add_argument("--data", default=None, help="data package folder (default: data/)")
        p.set_defaults(func=_cmd_table)

    an = sub.add_parser("analyse", aliases=["analyze"], help="rerun one analysis with other settings",
                        description="Rerun one meta-analysis and print the pooled result and the "
                                    "per-trial table. Example: python -m jakmeta analyse salt20 "
                                    "--trials all --method DL --ci z --exclude brave_aa2 --plot f.png")
    an.add_argument("outcome", nargs="?", default=None,
                    help="outcome code, e.g. salt20 (an unknown code lists the valid ones); not needed with --row")
    an.add_argument("--row", metavar="ROW_ID", default=None,
                    help="a Summary of Findings row of data/analyses.csv, e.g. salt20_baricitinib_4mg: "
                         "prints exactly the book's estimate, interval and model; other options override one choice")
    an.add_argument("--format", choices=["csv", "markdown"], default="markdown",
                    help="with --row: csv gives one row with the columns of 'summary --format csv'")
    an.add_argument("--trials", choices=["liu", "update", "all"], default=None,
                    help="trial set: Liu et al.'s 7 trials, those published since, or all (default liu; "
                         "with --row: the row's)")
    an.add_argument("--method", choices=METHODS, default=None, help="tau² estimator (default REML)")
    an.add_argument("--ci", choices=CI_METHODS, default=None, help="confidence interval (default hksj)")
    an.add_argument("--multiarm", choices=[r for r in MULTIARM_RULES if r != "split"] + ["split"], default=None,
                    help="rule for trials with several active arms (default combine; 'split' is refused: "
                         "dose arms sharing a placebo group are not independent trials)")
    an.add_argument("--timepoint", default=None, help="with --row: 'primary', 'latest' or a week, e.g. 24")
    an.add_argument("--model", choices=["bayes", "mh", "reml-hksj"], default=None,
                    help="with --row: the headline model (Bayesian, Mantel-Haenszel, REML + HKSJ)")
    an.add_argument("--prior", default=None,
                    help="with --row: prior on tau, e.g. 'half-cauchy(1)' or 'log-normal(-1.03, 0.755)'")
    an.add_argument("--measure", choices=[*BINARY_MEASURES, *CONTINUOUS_MEASURES], default=None,
                    help="effect measure: OR, RR, RD or PETO for events, MD or SMD for means (default: "
                         "the outcome's, as Liu et al. used; RR for other adverse events; with --row: the row's)")
    an.add_argument("--exclude", nargs="+", metavar="TRIAL", default=[],
                    help="leave out these trials (study_id or trial name)")
    an.add_argument("--plot", metavar="FILE", help="write the forest plot (.png, .svg or .pdf)")
    an.add_argument("--data", default=None, help="data package folder (default: data/)")
    an.set_defaults(func=_cmd_analyse)

    snap = sub.add_parser("snapshot", help="store this version's pooled results (results/summaries/)")
    snap.add_argument("--folder", default=str(release.SUMMARIES), help="where (default results/summaries)")
    snap.set_defaults(func=_cmd_snapshot)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. `python -m jakmeta summary | head`: stop quietly, as other tools do
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
