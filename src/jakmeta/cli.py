"""Command line: ``python -m jakmeta validate|summary|reproduce``.

- ``validate [DIR]``: check the data package; print every problem (file, line, column) and exit 1
  when there is one.
- ``summary [--format csv|markdown]``: the Summary of Findings rows computed from ``data/``.
- ``reproduce [--format csv|markdown]``: our estimates beside the published ones.
"""

from __future__ import annotations

import argparse
import sys

from jakmeta.data import DataValidationError, validate_package


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


def _print_table(frame, fmt: str) -> None:
    if fmt == "csv":
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        print(frame.to_markdown(index=False))


def _cmd_table(args: argparse.Namespace) -> int:
    from jakmeta import report

    builder = report.summary_table if args.command == "summary" else report.reproduction_table
    try:
        frame = builder(args.data)
    except DataValidationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    _print_table(frame, args.format)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jakmeta", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="check the data package against its schema and rules")
    validate.add_argument("directory", nargs="?", default=None, help="data package folder (default: data/)")
    validate.set_defaults(func=_cmd_validate)
    for name, text in (("summary", "Summary of Findings rows"), ("reproduce", "reproduction table")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--format", choices=["csv", "markdown"], default="markdown")
        p.add_argument("--data", default=None, help="data package folder (default: data/)")
        p.set_defaults(func=_cmd_table)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
