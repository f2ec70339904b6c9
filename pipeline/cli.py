"""`lsr`: the living review's command line. Every user-facing failure is one line and a non-zero exit."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .config import PARAMETER_HELP, load_config, parse_override
from .errors import InvalidDataError, ReviewError

EXIT_CODES = """exit codes:
  0  done (or nothing to do)
  1  other error
  2  bad configuration or parameter
  3  invalid data (every problem is listed as file:line: field: message (value))
  4  build failed (the failing notebook and cell are named; the last report is left in place)
  5  a source could not be reached
  6  another run holds the lock
  7  new records await screening (lsr refresh)"""


def _parameters_help() -> str:
    return "parameters (-p NAME VALUE):\n" + "\n".join(f"  {k:<20} {v}" for k, v in PARAMETER_HELP.items())


def _build(args: argparse.Namespace) -> int:
    from .build import build

    root = Path(args.root)
    defaults = load_config(root).parameters
    overrides = {name: parse_override(name, value, defaults) for name, value in args.parameter}
    result = build(root, overrides, output=args.output,
                   progress=(lambda name: print(f"running {name}", file=sys.stderr)) if not args.quiet else
                   (lambda name: None))
    print(f"report written to {result.report}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from .catalog import Catalog
    from .validate import load_review_data

    data = load_review_data(Catalog(Path(args.root).resolve()))
    tidy = data.tidy
    print(f"valid: {len(tidy.studies)} studies, {len(tidy.patients)} patients, {len(tidy.treatments)} treatments, "
          f"{len(data.records)} records, {len(data.ledger)} screening decisions")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from .refresh import refresh

    outcome = refresh(Path(args.root), online=args.online,
                      progress=(lambda name: print(f"running {name}", file=sys.stderr)))
    print(outcome.message)
    return outcome.code


def _screen(args: argparse.Namespace) -> int:
    from .catalog import Catalog
    from .records import read_all_records, read_search_log
    from .screening import agreement, conflicts, read_ledger

    catalog = Catalog(Path(args.root).resolve())
    records = read_all_records(catalog.raw, read_search_log(catalog.search_log))
    ledger = read_ledger(catalog.ledger, set(records.record_id))
    if args.agreement:
        print(agreement(ledger).to_string(index=False))
        return 0
    found = conflicts(ledger)
    for conflict in found:
        decisions = ", ".join(f"{who}: {decision}" for who, decision in sorted(conflict.decisions.items()))
        print(f"{conflict.record_id}\t{conflict.stage}\t{decisions}")
    print(f"{len(found)} unsettled conflict(s); settle each with a 'consensus' row in {catalog.ledger}",
          file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="lsr", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Living systematic review of dermatomyositis and nephrotic syndrome: search, screen, extract, "
                    "analyse and publish the report from the files under data/.",
        epilog=EXIT_CODES)
    top.add_argument("--version", action="version", version=f"lsr {__version__}")
    top.add_argument("--root", default=".", help="project folder holding review.toml (default: here)")
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)

    build = commands.add_parser(
        "build", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="build the HTML report from the committed data (no network)",
        description="Validate the data, compile the tidy tables, run the notebooks in order (papermill, one "
                    "process) and publish the report atomically: a failure leaves the previous report in place.",
        epilog=_parameters_help() + "\n\nexample: lsr build -p biopsy_proven_only true -o reports/sensitivity/")
    build.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                       help="override a [parameters] value of review.toml for this build")
    build.add_argument("-o", "--output", type=Path, default=None,
                       help="folder to publish into (default: reports/latest; data/processed is only "
                            "updated by the default build)")
    build.add_argument("-q", "--quiet", action="store_true", help="do not print progress")
    build.set_defaults(run=_build)

    validate = commands.add_parser("validate", help="check every data file against the protocol's schema",
                                   description="Check extraction and appraisal forms, the screening ledger, raw "
                                               "records and references; print every problem and exit 3 if any.")
    validate.set_defaults(run=_validate)

    refresh = commands.add_parser(
        "refresh", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="the scheduled run: search, queue, validate and publish a new version if anything changed",
        description="Search (the committed snapshot, or the live sources with --online), queue new records for "
                    "screening, validate, and publish reports/vN with reports/latest pointing at it when the "
                    "results or methods changed. With no input changed it exits 0 at once and writes nothing.",
        epilog=EXIT_CODES)
    refresh.add_argument("--online", action="store_true", help="query PubMed and Europe PMC for new records")
    refresh.set_defaults(run=_refresh)

    screen = commands.add_parser("screen", help="screening ledger: conflicts between reviewers, agreement",
                                 description="List records where independent reviewers disagree and no consensus "
                                             "row settles it, or print agreement per stage.")
    mode = screen.add_mutually_exclusive_group()
    mode.add_argument("--conflicts", action="store_true", help="list unsettled disagreements (default)")
    mode.add_argument("--agreement", action="store_true", help="percent agreement and Cohen's kappa per stage")
    screen.set_defaults(run=_screen)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except InvalidDataError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"lsr: {len(exc.problems)} problem(s) in the data; nothing was written", file=sys.stderr)
        return exc.exit_code
    except ReviewError as exc:
        print(f"lsr: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("lsr: interrupted; nothing was published", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
