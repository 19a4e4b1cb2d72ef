"""Releases of this living review: version, dates, the downloadable data package, and what changed.

- :func:`version` is ``jakmeta.__version__``; ``pyproject.toml`` and ``CITATION.cff`` carry the same
  number (``tests/book/test_release.py`` checks the three agree).
- :func:`data_last_searched` is the latest ``date`` in ``data/searches.csv`` (the search log), read
  from the data, never typed; :func:`build_date` is the date of ``SOURCE_DATE_EPOCH`` (the Makefile
  sets it to the time of the last commit, so that two builds of one commit are identical).
- :func:`snapshot` is the table of headline results of one version, one row per ``row_id`` of the
  protocol (``data/analyses.csv``), with the model that produced it; ``python -m jakmeta snapshot``
  stores it as ``results/summaries/v<version>.csv``, and :func:`changes` lists what moved between
  two stored snapshots, by ``row_id``: the living review's change log (``chapters/changes.ipynb``).
  Snapshots stored before the protocol (versions 0.1.0 and 0.2.0: REML + HKSJ for every outcome,
  Liu et al.'s trials and all trials) get the row ids ``<outcome>`` (all trials) and
  ``<outcome>_liu`` (:func:`read_snapshots`).
- :func:`setup` makes this module a Sphinx extension (``_config.yml: sphinx.extra_extensions``): it
  puts the version and the dates in every page's footer and in MyST substitutions, and copies the
  data package (and a zip of it) and ``CITATION.cff`` (without its comments for developers)
  into the website;
- :func:`citation_apa` and :func:`citation_bibtex` are the ready-to-paste citations the download
  page shows, generated from ``CITATION.cff``.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import math
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd

from jakmeta import __version__

ROOT = Path(__file__).resolve().parents[3]
SUMMARIES = ROOT / "results" / "summaries"
#: Trial sets a snapshot covers (see :func:`jakmeta.review.analysis.study_set`).
SNAPSHOT_SETS = ("liu", "all")
SNAPSHOT_COLUMNS = ["version", "outcome", "label", "trials_set", "measure", "method", "ci", "k",
                    "trials", "participants", "estimate", "ci_low", "ci_high", "pi_low", "pi_high",
                    "tau2", "i2"]
#: Columns added by the protocol (snapshots from version 0.3.0 on); older ones get them filled in.
PROTOCOL_COLUMNS = ["row_id", "model"]
#: The model of every result in the snapshots stored before the protocol.
OLD_MODEL = "Random effects, REML τ², HKSJ interval"
#: Results are compared at the precision the book prints them (2 decimals; ratios on their scale).
DECIMALS = 2


def version() -> str:
    return __version__


def _data_dir(directory: str | os.PathLike | None) -> Path:
    if directory is not None:
        return Path(directory)
    from jakmeta.evidence.package import default_data_dir

    return default_data_dir()


def data_last_searched(directory: str | os.PathLike | None = None) -> dt.date | None:
    """The latest search date of the data package: max of ``searches.csv: date``; else a
    ``last_searched`` (or ``searched``) date in ``datapackage.json``; ``None`` when neither exists."""
    directory = _data_dir(directory)
    searches = directory / "searches.csv"
    if searches.exists():
        dates = pd.to_datetime(pd.read_csv(searches, dtype=str).get("date", pd.Series(dtype=str)),
                               errors="coerce", format="%Y-%m-%d").dropna()
        if len(dates):
            return dates.max().date()
    meta = directory / "datapackage.json"
    if meta.exists():
        package = json.loads(meta.read_text(encoding="utf-8"))
        for key in ("last_searched", "searched"):
            if package.get(key):
                return dt.date.fromisoformat(str(package[key])[:10])
    return None


def build_date() -> dt.date:
    """The date of ``SOURCE_DATE_EPOCH``; else of the last commit; else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        try:
            epoch = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True,
                                   text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            epoch = ""
    if epoch and epoch.isdigit() and int(epoch) > 0:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.datetime.now(dt.UTC).date()


# ------------------------------------------------------------------------------ snapshots

def _row(a, outcome: str, label: str, trials_set: str) -> dict:
    ratio = a.measure in ("OR", "RR")

    def scale(value):
        if value is None or not math.isfinite(value):
            return math.nan
        return math.exp(value) if ratio else value

    r = a.result
    trials = a.table["study_id"].nunique() if len(a.table) else 0
    participants = int(a.table["n_t"].sum() + a.table["n_c"].sum()) if len(a.table) else 0
    row = {"outcome": outcome, "label": label, "trials_set": trials_set, "measure": a.measure,
           "method": a.settings.get("method", "REML"), "ci": a.settings.get("ci", "hksj"),
           "k": len(a.table), "trials": int(trials), "participants": participants}
    for name in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high"):
        row[name] = scale(getattr(r, name, None)) if r is not None else math.nan
    row["tau2"] = getattr(r, "tau2", math.nan) if r is not None else math.nan
    row["i2"] = getattr(r, "i2", math.nan) if r is not None else math.nan
    return row


def snapshot(pkg=None, ver: str | None = None) -> pd.DataFrame:
    """Headline result of every protocol row (``data/analyses.csv``, primary and sensitivity), the
    same number the Summary of Findings and ``analyse --row`` show."""
    from jakmeta.evidence.package import load_package
    from jakmeta.review import fewstudies, protocol

    pkg = pkg if pkg is not None else load_package()
    rows = []
    for e in protocol.entries(pkg):
        a = protocol.run(pkg, e)
        row = _row(a, e.outcome, e.label, e.trial_set)
        h = fewstudies.headline(a)
        tr = math.exp if a.measure in ("OR", "RR") else (lambda x: x)

        def scaled(v, tr=tr):
            return tr(v) if v is not None and math.isfinite(v) else math.nan

        if h is not None:
            row.update(estimate=scaled(h.estimate), ci_low=scaled(h.ci_low), ci_high=scaled(h.ci_high),
                       pi_low=scaled(h.pi_low), pi_high=scaled(h.pi_high))
        row.update(row_id=e.row_id, model=h.model if h is not None else "")
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.insert(0, "version", ver or version())
    return frame[SNAPSHOT_COLUMNS + PROTOCOL_COLUMNS]


def write_snapshot(frame: pd.DataFrame, folder: str | os.PathLike = SUMMARIES) -> Path:
    """Store a snapshot as ``<folder>/v<version>.csv`` (10 significant digits, LF line ends)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"v{frame['version'].iloc[0]}.csv"
    frame.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")
    return path


def _version_key(ver: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\-]", ver))


def read_snapshots(folder: str | os.PathLike = SUMMARIES) -> dict[str, pd.DataFrame]:
    """Every stored snapshot, oldest version first."""
    found = {}
    for path in Path(folder).glob("v*.csv"):
        frame = pd.read_csv(path)
        missing = [c for c in SNAPSHOT_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; "
                             f"a snapshot has {', '.join(SNAPSHOT_COLUMNS)}")
        if "row_id" not in frame.columns:  # stored before the protocol: REML + HKSJ by outcome and trial set
            frame = frame.assign(row_id=[o if t == "all" else f"{o}_{t}" for o, t in
                                         zip(frame["outcome"], frame["trials_set"], strict=True)], model=OLD_MODEL)
        found[path.stem[1:]] = frame
    return dict(sorted(found.items(), key=lambda item: _version_key(item[0])))


def _shown(value: float) -> str:
    """As compared and printed: 2 decimals; above 1000 (CI limits of sparse data), 4 significant
    digits, so that noise in the 10th digit of a huge limit does not count as a change."""
    if pd.isna(value):
        return "—"
    if abs(value) >= 1000:
        return f"{float(f'{value:.4g}'):.0f}"
    return f"{value:.{DECIMALS}f}"


def _result(row, with_model: bool = False) -> str:
    if row is None or pd.isna(row["estimate"]):
        return "no pooled result"
    model = f"; {row['model']}" if with_model and isinstance(row.get("model"), str) and row.get("model") else ""
    return (f"{row['measure']} {_shown(row['estimate'])} ({_shown(row['ci_low'])} to "
            f"{_shown(row['ci_high'])}); k = {int(row['k'])}, n = {int(row['participants'])}{model}")


def changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """The pooled results that moved from ``old`` to ``new``: a different number of comparisons,
    trials or participants, a different measure, or an estimate or CI limit that differs at the
    printed precision (2 decimals); results that appear or disappear are listed too.

    One row per moved result: outcome, trial set, what moved (comparisons, trials, participants,
    estimate, 95% CI), the old and the new result (estimate, CI, k comparisons, n participants)."""
    key = ["row_id"]
    for frame in (old, new):
        if "row_id" not in frame.columns:
            frame["row_id"] = [o if t == "all" else f"{o}_{t}" for o, t in zip(frame["outcome"], frame["trials_set"], strict=True)]
            frame["model"] = OLD_MODEL
    merged = old.merge(new, on=key, how="outer", suffixes=("_old", "_new"), indicator=True)
    rows = []
    for _, m in merged.iterrows():
        label = m["label_new"] if isinstance(m.get("label_new"), str) else m["label_old"]
        old_row = _side(m, "_old") if m["_merge"] != "right_only" else None
        new_row = _side(m, "_new") if m["_merge"] != "left_only" else None
        moved = _what_moved(old_row, new_row)
        if moved:
            trials_set = m["trials_set_new"] if isinstance(m.get("trials_set_new"), str) else m.get("trials_set_old")
            rows.append({"row_id": m["row_id"], "outcome": label, "trials_set": trials_set, "moved": ", ".join(moved),
                         "old": _result(old_row, "model" in moved), "new": _result(new_row, "model" in moved)})
    return pd.DataFrame(rows, columns=["row_id", "outcome", "trials_set", "moved", "old", "new"])


def _side(m: pd.Series, suffix: str) -> dict:
    return {c: m.get(c + suffix, m.get(c)) for c in SNAPSHOT_COLUMNS + ["model"] if c not in ("outcome",)}


def _what_moved(old: dict | None, new: dict | None) -> list[str]:
    if old is None:  # a new row without a result yet is not a change of results
        return [] if new is None or pd.isna(new.get("estimate")) else ["new result"]
    if new is None:
        return [] if pd.isna(old.get("estimate")) else ["no longer a protocol row"]
    if pd.isna(old.get("estimate")) and not pd.isna(new.get("estimate")):
        return ["new result"]
    if pd.isna(new.get("estimate")) and not pd.isna(old.get("estimate")):
        return ["no longer pooled"]
    if pd.isna(new.get("estimate")) and pd.isna(old.get("estimate")):
        return []
    moved = ["measure"] if str(old["measure"]) != str(new["measure"]) else []
    if str(old.get("model", "")) != str(new.get("model", "")):
        moved.append("model")
    for name, text in (("k", "comparisons"), ("trials", "trials"), ("participants", "participants")):
        if float(old[name]) != float(new[name]):  # 4 and 4.0 (an outer merge makes floats) are equal
            moved.append(text)
    if _shown(old["estimate"]) != _shown(new["estimate"]):
        moved.append("estimate")
    if any(_shown(old[name]) != _shown(new[name]) for name in ("ci_low", "ci_high")):
        moved.append("95% CI")
    return moved


def change_log(folder: str | os.PathLike = SUMMARIES) -> list[tuple[str, str, pd.DataFrame]]:
    """For each pair of consecutive stored versions: (old version, new version, :func:`changes`)."""
    snaps = read_snapshots(folder)
    versions = list(snaps)
    return [(a, b, changes(snaps[a], snaps[b])) for a, b in itertools.pairwise(versions)]


def pending_changes(folder: str | os.PathLike = SUMMARIES, pkg=None) -> tuple[str | None, pd.DataFrame]:
    """The results as computed now against the stored snapshot of this version (else of the newest
    stored one): (that version, :func:`changes`). Non-empty when code or data changed after the
    snapshot was stored (``make snapshot`` stores it again)."""
    snaps = read_snapshots(folder)
    current = snapshot(pkg)
    if not snaps:
        return None, changes(current.iloc[0:0], current)
    reference = version() if version() in snaps else list(snaps)[-1]
    return reference, changes(snaps[reference], current)


# ------------------------------------------------------------------------------ the website

def data_package_files(directory: str | os.PathLike | None = None) -> list[Path]:
    """What the download offers: ``datapackage.json``, the codebook ``README.md`` and every
    resource file that ``datapackage.json`` names, in its order."""
    directory = _data_dir(directory)
    package = json.loads((directory / "datapackage.json").read_text(encoding="utf-8"))
    files = [directory / "datapackage.json", directory / "README.md"]
    files += [directory / r["path"] for r in package.get("resources", []) if r.get("path")]
    return [f for f in dict.fromkeys(files) if f.exists()]


def write_data_zip(target: str | os.PathLike, directory: str | os.PathLike | None = None) -> Path:
    """A zip of :func:`data_package_files` under a folder ``jakmeta-data-<version>/``. Byte-identical
    for the same files: entries in a fixed order, dated by :func:`build_date`, fixed permissions."""
    target = Path(target)
    stamp = build_date().timetuple()[:3] + (0, 0, 0)
    prefix = f"jakmeta-data-{version()}"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in data_package_files(directory):
            info = zipfile.ZipInfo(f"{prefix}/{path.name}", date_time=stamp)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return target


# ------------------------------------------------------------------------------ citation

def read_citation(path: str | os.PathLike | None = None) -> dict:
    """``CITATION.cff`` (YAML) as a dict; ``path`` defaults to the project's."""
    import yaml

    path = Path(path) if path is not None else ROOT / "CITATION.cff"
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _cff_authors(cff: dict) -> list[tuple[str, str]]:
    """(family or entity name, given names) per author of a CFF record."""
    out = []
    for a in cff.get("authors", []):
        if a.get("family-names"):
            out.append((str(a["family-names"]), str(a.get("given-names", ""))))
        elif a.get("name"):
            out.append((str(a["name"]), ""))
    return out


def _cff_link(cff: dict) -> str:
    if cff.get("doi"):
        return f"https://doi.org/{cff['doi']}"
    return str(cff.get("url") or cff.get("repository-code") or "")


def citation_apa(cff: dict) -> str:
    """APA 7 reference for software (APA Publication Manual, 7th ed., section 10.10):
    ``Author. (Year). *Title* (Version x) [Computer software]. URL``; an author without given names
    (a group) is written whole; initials for given names."""
    names = []
    for family, given in _cff_authors(cff):
        initials = " ".join(f"{part[0]}." for part in given.replace("-", " ").split() if part)
        names.append(f"{family}, {initials}" if initials else family)
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + ", & " + names[-1] if names else ""
    year = str(cff.get("date-released", ""))[:4] or "n.d."
    text = f"{who.rstrip('.')}. ({year}). *{cff.get('title', '')}* (Version {cff.get('version', '')}) [Computer software]."
    link = _cff_link(cff)
    return f"{text} {link}" if link else text


def citation_bibtex(cff: dict, key: str = "jakmeta") -> str:
    """A BibTeX ``@software`` entry (biblatex's type; ``@misc`` readers ignore the type) from a CFF
    record: authors (a group in braces), title, year, version, date, licence and link."""
    authors = " and ".join(f"{{{family}}}" if not given else f"{family}, {given}"
                           for family, given in _cff_authors(cff))
    fields = [("author", authors), ("title", f"{{{cff.get('title', '')}}}"),
              ("year", str(cff.get("date-released", ""))[:4]), ("version", str(cff.get("version", ""))),
              ("date", str(cff.get("date-released", ""))), ("license", str(cff.get("license", ""))),
              ("url", _cff_link(cff))]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@software{{{key},\n{body}\n}}"


#: Forges whose repositories have their issue tracker at ``<repository>/issues``.
ISSUE_FORGES = ("github.com", "gitlab.com", "codeberg.org")


def issue_tracker(cff: dict) -> str:
    """The address of the repository's issue tracker from ``repository-code`` of a CFF record
    (``<repository>/issues`` on GitHub, GitLab and Codeberg; the repository's own address elsewhere),
    or ``""`` when the record names no repository: an address is read, never guessed."""
    repository = str(cff.get("repository-code") or "").strip().rstrip("/")
    if not repository:
        return ""
    host = re.sub(r"^https?://(www\.)?", "", repository).split("/", 1)[0].lower()
    return f"{repository}/issues" if host in ISSUE_FORGES else repository


def _cff_emails(cff: dict) -> list[str]:
    """The e-mail addresses of the ``contact`` persons or entities of a CFF record."""
    return [str(c["email"]).strip() for c in cff.get("contact") or [] if isinstance(c, dict) and c.get("email")]


#: What a report of an error should name (the About and download pages).
REPORT_WHAT = ("Name the page, the table or figure, and, where you can, the source (publication and page, "
               "table or figure, or registry record) that shows the right value.")


def report_error(cff: dict) -> str:
    """How a reader reports an error (MyST Markdown for ``{{ report_error }}``), from a CFF record:
    the issue tracker of ``repository-code`` (:func:`issue_tracker`) and the e-mail of ``contact``,
    when recorded; when neither is, a sentence that says so, and what to do meanwhile."""
    tracker, emails = issue_tracker(cff), _cff_emails(cff)
    ways = []
    if tracker:
        ways.append(f"open an issue in the repository's **issue tracker**, <{tracker}>")
    ways += [f"write to <{e}>" for e in emails]
    if ways:
        return f"To report an error, {' or '.join(ways)}. {REPORT_WHAT}"
    return ("**No public address for reports is recorded yet.** This version of the book names neither "
            "an issue tracker nor a contact e-mail: the fields `repository-code` and `contact` of its "
            "citation metadata (CITATION.cff) are empty, and the book does not guess an address. Until "
            f"they are filled in, report an error to whoever gave you this book or its repository. {REPORT_WHAT}")


def cff_without_comments(text: str) -> str:
    """``CITATION.cff`` as offered to readers: without the comment lines for developers at its top."""
    lines = text.splitlines(keepends=True)
    while lines and (lines[0].lstrip().startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return "".join(lines)


def _stage_downloads(folder: Path, source: Path) -> None:
    """Write into ``folder`` (the site's root): data/<files>, jakmeta-data.zip, CITATION.cff."""
    shutil.rmtree(folder / "data", ignore_errors=True)
    (folder / "data").mkdir(parents=True)
    data = source / "data"
    for path in data_package_files(data):
        shutil.copyfile(path, folder / "data" / path.name)
    write_data_zip(folder / "jakmeta-data.zip", data)
    if (source / "CITATION.cff").exists():
        text = (source / "CITATION.cff").read_text(encoding="utf-8")
        (folder / "CITATION.cff").write_text(cff_without_comments(text), encoding="utf-8")


def _on_config_inited(app, config) -> None:
    source = Path(app.srcdir)
    searched = data_last_searched(source / "data")
    searched_text = searched.isoformat() if searched else "not recorded"
    built = build_date().isoformat()
    config.version = config.release = version()
    files = data_package_files(source / "data")
    links = ", ".join(f'<a href="../data/{f.name}"><code>{f.name}</code></a>' for f in files)
    subs = dict(config.myst_substitutions or {})
    subs.update(version=version(), data_searched=searched_text, build_date=built, data_files=links)
    cff = read_citation(source / "CITATION.cff") if (source / "CITATION.cff").exists() else {}
    subs.update(report_error=report_error(cff))
    if cff:
        subs.update(citation_apa=citation_apa(cff),
                    citation_bibtex=f'<pre class="jm-citation">{html.escape(citation_bibtex(cff))}</pre>')
    config.myst_substitutions = subs
    app.jakmeta_release = (f"Version {version()} · data last searched {searched_text} · "
                           f"built from the commit of {built}")


def _on_page_context(app, pagename, templatename, context, doctree) -> None:
    """The release line under every page's footer, with links relative to that page."""
    on_it = pagename == "chapters/download" or "chapters/download" not in app.env.all_docs
    download = "" if on_it else context["pathto"]("chapters/download")
    links = (f' · <a href="{download}">download the data</a> · <a href="{download}#how-to-cite">how to cite</a>'
             if download else "")
    context["theme_extra_footer"] = (
        f"{context.get('theme_extra_footer') or ''}<p class=\"jakmeta-release\">{app.jakmeta_release}"
        f"{links}</p>")


def _on_build_finished(app, exception) -> None:
    """Copy the downloads into the site (not through html_extra_path, whose exclude patterns would
    drop data/README.md, the codebook)."""
    if exception is None and app.builder.format == "html":
        _stage_downloads(Path(app.outdir), Path(app.srcdir))


def setup(app) -> dict:
    app.connect("config-inited", _on_config_inited)
    app.connect("build-finished", _on_build_finished)
    app.connect("html-page-context", _on_page_context)
    return {"version": version(), "parallel_read_safe": True, "parallel_write_safe": True}
