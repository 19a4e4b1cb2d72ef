"""How this was computed: the note under every headline result of the book.

From a number on a page to its code in one step (issue 20): each headline (a row of the Summary
of Findings, of the answer table, an outcome chapter's forest plot) carries a small collapsible
note that names

- the ``row_id`` of the protocol (``data/analyses.csv``, :mod:`jakmeta.review.protocol`);
- the protocol entry in words: question, trials, time point, multi-arm rule, model and prior, the
  date the entry was fixed and whether that was before or after its results were seen;
- the functions that computed it, with their module path (read from the function objects, so that
  a renamed or moved function renames the note);
- the command that reproduces it: ``python -m jakmeta analyse --row ROW_ID``.

Every word is read from the protocol (:func:`jakmeta.review.protocol.entry`), never typed here.
:class:`ComputedNote` and :class:`ComputedNotes` render as a ``<details class="jm-computed">``
element in a notebook (``_repr_html_``) and as plain text elsewhere (``__repr__``); neither has a
random id, so notebooks stored with outputs compare equal under nbval. The summary line of each note
carries the command, so that a printed page (closed notes print their summary only) still says how
to reproduce every row.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from jakmeta.book.plots import MEASURE_NAMES
from jakmeta.evidence.package import DataPackage
from jakmeta.review import protocol
from jakmeta.review.analysis import analyse
from jakmeta.review.fewstudies import headline
from jakmeta.stats import mantel_haenszel, pool
from jakmeta.stats.bayes import pool_bayes

__all__ = ["ComputedNote", "ComputedNotes", "command", "engine_for", "function_name", "note", "notes",
           "timepoint_text"]

#: The command that reproduces a protocol row (``jakmeta.cli``: ``analyse --row``).
COMMAND = "python -m jakmeta analyse --row {row_id}"

#: The pooling function of the engine behind each headline model code of ``analyses.csv``.
ENGINES = {"bayes": pool_bayes, "mh": mantel_haenszel, "reml-hksj": pool}


def function_name(function) -> str:
    """The dotted path of a function as a reviewer imports it, e.g.
    ``jakmeta.review.fewstudies.headline`` (``__module__`` + ``__qualname__``)."""
    return f"{function.__module__}.{function.__qualname__}"


def command(row_id: str) -> str:
    """``python -m jakmeta analyse --row ROW_ID``: the command that prints the row as the book shows it."""
    return COMMAND.format(row_id=row_id)


def engine_for(model: str):
    """The engine function that pools a model code of the protocol (``bayes``, ``mh``, ``reml-hksj``)."""
    if model not in ENGINES:
        raise ValueError(f"model '{model}' has no engine function; valid: {', '.join(ENGINES)}")
    return ENGINES[model]


def timepoint_text(e: protocol.Entry) -> str:
    """The time point of an entry in words: 'each trial's primary time point', 'each trial's
    latest' or 'week 24'."""
    if e.timepoint == "primary":
        return "each trial's primary time point"
    if e.timepoint == "latest":
        return "each trial's latest placebo-controlled time point"
    return f"week {e.timepoint}"


def _intervention(e: protocol.Entry) -> str:
    if not e.drug:
        return "JAK inhibitors as a class (at least two drugs)"
    if e.dose == "licensed":
        return f"{e.drug}, licensed doses combined"
    return f"{e.drug} {e.dose}" if e.dose else e.drug


@dataclass(frozen=True)
class ComputedNote:
    """The note of one protocol row: each field is words or a name read from the protocol and the code."""

    row_id: str
    label: str
    question: str
    trials: str
    timepoint: str
    multiarm: str
    model: str
    fixed: str
    functions: tuple[str, ...]
    engine: str

    @property
    def command(self) -> str:
        return command(self.row_id)

    def fields(self) -> list[tuple[str, str]]:
        """(heading, text) pairs of the note, in the order shown."""
        return [("Row", f"{self.row_id}: {self.label}"),
                ("Protocol question", self.question),
                ("Trials", self.trials),
                ("Time point", self.timepoint),
                ("Multi-arm trials", self.multiarm),
                ("Model", self.model),
                ("Fixed", self.fixed),
                ("Computed by", f"{self.functions[0]} (pooling: {self.engine}) over "
                                + " and ".join(self.functions[1:])),
                ("Reproduce", self.command)]

    def __repr__(self) -> str:
        return "\n".join([f"How this was computed ({self.row_id})"] + [f"  {k}: {v}" for k, v in self.fields()])

    def _html(self, summary: str) -> str:
        e = html.escape
        code = {"Computed by"}
        items = []
        for key, value in self.fields():
            if key == "Row":
                text = f"<code>{e(self.row_id)}</code>: {e(self.label)}"
            elif key == "Reproduce":
                text = f"<code>{e(value)}</code>"
            elif key in code:
                text = (f"<code>{e(self.functions[0])}</code> (pooling: <code>{e(self.engine)}</code>) over "
                        + " and ".join(f"<code>{e(f)}</code>" for f in self.functions[1:]))
            else:
                text = e(value)
            items.append(f"<dt>{e(key)}</dt><dd>{text}</dd>")
        return (f'<details class="jm-computed" data-row-id="{e(self.row_id)}">'
                f"<summary>{summary}</summary><dl>{''.join(items)}</dl></details>")

    def _repr_html_(self) -> str:
        return self._html(f'<span class="jm-computed-title">How this was computed</span> '
                          f'<span class="jm-computed-cmd">Reproduce: <code>{html.escape(self.command)}</code></span>')


@dataclass(frozen=True)
class ComputedNotes:
    """The notes of several rows (a table's), one closed note per row in the table's order."""

    title: str
    items: tuple[ComputedNote, ...]

    def __repr__(self) -> str:
        return "\n".join([self.title] + [f"- {n.label}: {n.command}" for n in self.items])

    def _repr_html_(self) -> str:
        e = html.escape
        parts = [n._html(f'<span class="jm-computed-title">{e(n.label)}</span> '
                         f'<span class="jm-computed-cmd">Reproduce: <code>{e(n.command)}</code></span>')
                 for n in self.items]
        return (f'<div class="jm-computed-list"><p class="jm-computed-list-title">{e(self.title)}</p>'
                + "".join(parts) + "</div>")


def note(pkg: DataPackage | None, row_id: str, label: str | None = None) -> ComputedNote:
    """The note of protocol row ``row_id`` (``label``: the row's label as the page shows it, e.g. a
    class row relabelled with its one drug; default the protocol's)."""
    e = protocol.entry(pkg, row_id)
    population = f"; {e.population}" if e.population else ""
    if e.exclude_arms and pkg is not None:
        arms = pkg.arms.set_index(["study_id", "arm_id"])["dose"].astype(str).to_dict()
        trials = pkg.studies.set_index("study_id")["trial_name"].to_dict()
        left_out = "; dose-ranging arms left out: " + ", ".join(
            f"{trials.get(s, s)} {arms.get((s, a), a)}" for s, a in e.exclude_arms)
    else:
        left_out = f"; {len(e.exclude_arms)} dose-ranging arm(s) left out" if e.exclude_arms else ""
    fixed = f"{e.date_fixed}, {protocol.WHEN.get(e.fixed, e.fixed)}"
    if e.question_fixed and e.question_fixed != e.date_fixed:
        fixed += f" (question asked since {e.question_fixed})"
    measure = MEASURE_NAMES.get(e.measure, e.measure)
    return ComputedNote(
        row_id=e.row_id, label=label or e.label,
        question=f"{_intervention(e)} versus placebo; {measure[:1].lower()}{measure[1:]}",
        trials=protocol.TRIAL_SETS.get(e.trial_set, e.trial_set) + population,
        timepoint=timepoint_text(e),
        multiarm=protocol.MULTIARM.get(e.multiarm, e.multiarm) + left_out,
        model=protocol.model_text(e) + " (a single trial: its own estimate)",
        fixed=fixed,
        functions=(function_name(headline), function_name(analyse), function_name(protocol.run)),
        engine=function_name(engine_for(e.model)))


def notes(pkg: DataPackage | None, rows: Iterable, title: str = "How each row was computed") -> ComputedNotes:
    """The notes of several rows: ``rows`` are row ids or ``(row_id, label)`` pairs, in the table's order."""
    items = []
    for row in rows:
        row_id, label = (row, None) if isinstance(row, str) else row
        items.append(note(pkg, row_id, label))
    return ComputedNotes(title, tuple(items))
