"""`lsr`: the living review's command line. Every user-facing failure is one line and a non-zero exit."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

from pipeline import __version__
from pipeline.core.config import PARAMETER_HELP, load_config, parse_override
from pipeline.core.errors import ConfigError, InvalidDataError, ReviewError
from pipeline.core.secrets import RedactingStream
from pipeline.core.vocabulary import SCREENING_STAGE

EXIT_CODES = """exit codes:
  0  done (or nothing to do)
  1  other error (one line; --debug or LSR_DEBUG=1 shows the traceback)
  2  bad configuration or parameter
  3  invalid data (every problem is listed as file:line: field: message (value))
  4  build failed (the failing notebook and cell are named; the last report is left in place)
  5  a source could not be reached
  6  another run holds the lock
  7  new records await screening (lsr refresh)"""


def _parameters_help() -> str:
    return "parameters (-p NAME VALUE):\n" + "\n".join(f"  {k:<20} {v}" for k, v in PARAMETER_HELP.items())


def _build(args: argparse.Namespace) -> int:
    from pipeline.report.build import build

    root = Path(args.root)
    defaults = load_config(root).parameters
    overrides = {name: parse_override(name, value, defaults) for name, value in args.parameter}
    result = build(root, overrides, output=args.output,
                   progress=(lambda name: print(f"running {name}", file=sys.stderr)) if not args.quiet else
                   (lambda name: None))
    print(f"report written to {result.report}")
    if args.output is None and result.output.name == "draft":
        print("reports/latest is the published version, left as it is; `lsr refresh` publishes a new one",
              file=sys.stderr)
    return 0


def _validate(args: argparse.Namespace) -> int:
    from pipeline.catalog import Catalog, load_review_data

    data = load_review_data(Catalog(Path(args.root).resolve()))
    tidy = data.tidy
    print(f"valid: {len(tidy.studies)} studies, {len(tidy.patients)} patients, {len(tidy.treatments)} treatments, "
          f"{len(data.records)} records, {len(data.ledger)} screening decisions")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from pipeline.living.refresh import refresh

    outcome = refresh(Path(args.root), online=args.online,
                      progress=(lambda name: print(f"running {name}", file=sys.stderr)))
    print(outcome.message)
    return outcome.code


def _screen(args: argparse.Namespace) -> int:
    from pipeline.catalog import Catalog
    from pipeline.screen.agreement import agreement
    from pipeline.screen.ledger import conflicts, read_ledger
    from pipeline.search.records import read_project_records

    catalog = Catalog(Path(args.root).resolve())
    if args.add:
        return _screen_add(args, catalog)
    records = read_project_records(catalog)
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


def _screen_add(args: argparse.Namespace, catalog) -> int:
    """One decision appended to the ledger after the whole ledger with it has been checked."""
    from pipeline.core.atomic import write_text_atomic
    from pipeline.core.lock import project_lock
    from pipeline.screen.ledger import read_ledger, read_reviewers, with_decision
    from pipeline.screen.queue import write_queue
    from pipeline.search.records import read_project_records

    if not args.stage or not args.reviewer or not (args.include or args.exclude or args.not_retrieved):
        raise ConfigError("screen --add needs --stage, --reviewer and one of --include, --exclude REASON, "
                          "--not-retrieved")
    decision = ("include" if args.include else "exclude" if args.exclude else "not retrieved")
    row = {"record_id": args.add, "stage": args.stage, "reviewer": args.reviewer, "decision": decision,
           "reason": args.exclude or "", "date": args.date or dt.datetime.now(dt.timezone.utc).date().isoformat(),
           "note": args.note or ""}
    with project_lock(catalog):
        records = read_project_records(catalog)
        text = with_decision(catalog.ledger, set(records.record_id), row)
        read_reviewers(catalog.reviewers, read_ledger(catalog.ledger, text=text))
        write_text_atomic(catalog.ledger, text)
        waiting = write_queue(catalog)
    print(f"{catalog.ledger}: {args.add} {args.stage}: {decision} by {args.reviewer}; {waiting} await screening")
    return 0


def _fulltext(args: argparse.Namespace) -> int:
    from pipeline.catalog import Catalog, load_review_data
    from pipeline.core.lock import project_lock
    from pipeline.extract.fulltext import Target, default_targets, fetch
    from pipeline.screen.ledger import final_decisions
    from pipeline.search.europepmc import europepmc_client

    catalog = Catalog(Path(args.root).resolve())
    with project_lock(catalog):
        data = load_review_data(catalog)
        targets = default_targets(data.records, final_decisions(data.ledger), data.tidy.studies)
        if args.records:
            known = {t.record_id: t for t in targets}
            by_id = data.records.drop_duplicates("record_id").set_index("record_id")
            unknown = [r for r in args.records if r not in by_id.index]
            if unknown:
                raise ReviewError(f"no record {', '.join(unknown)} in data/raw")
            targets = [known.get(r) or Target(r, str(by_id.pmcid.get(r, "") or "").upper()) for r in args.records]
        summary = fetch(catalog, targets, europepmc_client())
    for record_id, reason in summary.not_available:
        print(f"{record_id}\tnot available: {reason}")
    for record_id, fault in summary.failed:
        print(f"{record_id}\tfailed, tried again next run: {fault}", file=sys.stderr)
    print(f"full texts: {len(summary.stored)} stored, {len(summary.not_available)} not available, "
          f"{len(summary.already_held)} already held, {len(summary.failed)} failed ({catalog.fulltext_index})")
    return 5 if summary.failed else 0


def _search(args: argparse.Namespace) -> int:
    from pipeline.catalog import Catalog
    from pipeline.core.lock import project_lock

    catalog = Catalog(Path(args.root).resolve())
    with project_lock(catalog):
        return _search_locked(args, catalog)


def _search_locked(args: argparse.Namespace, catalog) -> int:
    from pipeline.screen.queue import write_queue
    from pipeline.search.records import read_all_records, read_search_log

    if args.online:
        from tqdm import tqdm

        from pipeline.search.run import default_fetchers, search_online

        bars = []

        def progress_factory(label):
            bar = tqdm(desc=label, unit="record", file=sys.stderr)
            bars.append(bar)

            def update(done, total):
                bar.total = total
                bar.n = done
                bar.refresh()
            return update

        for summary in search_online(catalog, default_fetchers(progress_factory)):
            state = f"{summary.new} new" if summary.written else "nothing new (already searched today)"
            print(f"{summary.source}: {summary.retrieved} retrieved, {state}")
        for bar in bars:
            bar.close()
    from pipeline.search.dedupe import project_links

    log = read_search_log(catalog.search_log)
    records = read_all_records(catalog.raw, log)
    canonical = project_links(catalog, records)
    duplicates = sum(canonical[r] != r for r in records.record_id)
    for source, group in records.groupby("source"):
        runs = log[log.source == source]
        print(f"{source}: {len(group)} records in {len(runs)} run(s), last searched {runs.run_at.max()[:10]}")
    print(f"{len(records)} records, {duplicates} linked as duplicates; "
          f"{write_queue(catalog)} await screening (data/screening/queue.csv)")
    return 0


def _import(args: argparse.Namespace) -> int:
    from pipeline.catalog import Catalog
    from pipeline.core.lock import project_lock
    from pipeline.screen.queue import write_queue
    from pipeline.search.run import import_file

    catalog = Catalog(Path(args.root).resolve())
    with project_lock(catalog):
        summary = import_file(catalog, Path(args.file), args.source, args.format)
        waiting = write_queue(catalog)
    print(f"{args.file}: {summary.retrieved} records read, {summary.new} new written under "
          f"data/raw/{args.source}/; {waiting} await screening")
    _print_waiting(catalog, args.source)
    return 0


def _print_waiting(catalog, source: str, limit: int = 20) -> None:
    """The source's records awaiting screening, best first, with the id `lsr screen --add` takes."""
    import pandas as pd

    queue = pd.read_csv(catalog.queue, dtype=str, keep_default_na=False)
    mine = queue[queue.source == source]
    for row in mine.head(limit).itertuples():
        print(f"  {row.record_id}\t{row.title[:90]}")
    if len(mine) > limit:
        print(f"  ... and {len(mine) - limit} more in {catalog.queue}")


def _extract(args: argparse.Namespace) -> int:
    from pipeline.catalog import Catalog
    from pipeline.core.atomic import write_text_atomic
    from pipeline.core.forms import dump_form
    from pipeline.core.identifiers import check_study_id, inside
    from pipeline.core.lock import project_lock
    from pipeline.extract.references import load_bibliography
    from pipeline.extract.fulltext import stored_article
    from pipeline.extract.suggest import (
        appraisal_skeleton,
        bibliography_entry,
        form_from_suggestion,
        suggest,
        suggest_from_full_text,
    )

    catalog = Catalog(Path(args.root).resolve())
    if args.evaluate:
        from pipeline.workbench import suggestion_accuracy

        print(suggestion_accuracy(catalog.root).to_string(index=False))
        return 0
    if not args.study_id:
        raise ReviewError("--suggest needs --study-id (the new study's BibTeX key, e.g. smith2026)")
    check_study_id(args.study_id, "--study-id")
    target = inside(catalog.extraction, f"{args.study_id}.yaml")
    from pipeline.search.records import read_project_records

    with project_lock(catalog):
        records = read_project_records(catalog)
        matches = records[records.record_id == args.suggest]
        if matches.empty:
            raise ReviewError(f"no record {args.suggest} in data/raw (see data/screening/queue.csv)")
        if target.exists():
            raise ReviewError(f"{target} exists already; nothing was overwritten")
        record = matches.iloc[0].to_dict()
        article = stored_article(catalog, record["record_id"], str(record.get("pmcid") or ""))
        suggestion = (suggest_from_full_text(article) if article is not None
                      else suggest(record["title"], record["abstract"]))
        form = form_from_suggestion(args.study_id, record, suggestion)
        write_text_atomic(target, dump_form(form))
        appraisal = inside(catalog.appraisal, f"{args.study_id}.yaml")
        if not appraisal.exists():
            write_text_atomic(appraisal, dump_form(appraisal_skeleton(args.study_id)))
        has_bibliography = catalog.bibliography.exists()
        added_entry = not has_bibliography or args.study_id not in load_bibliography(catalog.bibliography).entries
        if added_entry:
            bibliography = catalog.bibliography.read_text(encoding="utf-8") if has_bibliography else ""
            write_text_atomic(catalog.bibliography, bibliography.rstrip("\n") + "\n\n"
                              + bibliography_entry(args.study_id, record))
    pending = form["patients"][0]["unconfirmed"]
    print(f"{target}: {len(pending)} suggested value(s) from the {suggestion.source} to confirm "
          f"({', '.join(pending) or 'none'}); lsr validate lists them until each is confirmed")
    print(f"{appraisal}: the JBI checklist to answer"
          + (f"; {catalog.bibliography}: entry {args.study_id} from the record's metadata, to check" if added_entry
             else ""))
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="lsr", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Living systematic review of dermatomyositis and nephrotic syndrome: search, screen, extract, "
                    "analyse and publish the report from the files under data/.",
        epilog=EXIT_CODES)
    top.add_argument("--version", action="version", version=f"lsr {__version__}")
    top.add_argument("--root", default=".", help="project folder holding review.toml (default: here)")
    top.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error "
                                                          "(also LSR_DEBUG=1)")
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

    search = commands.add_parser(
        "search", help="the living search: summarise the committed snapshot, or query the live sources",
        description="Without --online: deduplicate the committed raw records and refresh the screening queue (no "
                    "network). With --online: query PubMed and Europe PMC (LSR_PUBMED_URL, LSR_EUROPEPMC_URL; "
                    "NCBI_API_KEY from the environment) for records added since each source's last search, write "
                    "only new records under data/raw and queue them. A failed run writes nothing.")
    search.add_argument("--online", action="store_true", help="query the live sources")
    search.set_defaults(run=_search)

    importer = commands.add_parser(
        "import", help="import a database export (RIS, MEDLINE/nbib, BibTeX, CSV)",
        description="Read an export from a database without a free API (Embase, Scopus, Web of Science...), write "
                    "its new records once under data/raw/SOURCE/RUN/ beside a copy of the file, and queue them.")
    importer.add_argument("file", help="the exported file")
    importer.add_argument("--source", required=True, help="source name, e.g. embase, scopus, wos")
    importer.add_argument("--format", choices=["ris", "medline", "bibtex", "csv"], default=None,
                          help="file format (default: from the extension and content)")
    importer.set_defaults(run=_import)

    extract = commands.add_parser(
        "extract", help="machine-assisted extraction: pre-fill a form, or measure the suggestions' accuracy",
        description="--suggest RECORD --study-id KEY writes data/extraction/KEY.yaml from the record's title and "
                    "abstract, every suggested value marked unconfirmed until a reviewer confirms it. --evaluate "
                    "prints precision and recall of the suggestions per field against the reviewers' final values.")
    action = extract.add_mutually_exclusive_group(required=True)
    action.add_argument("--suggest", metavar="RECORD", help="record id from data/raw (e.g. pubmed:12345678)")
    action.add_argument("--evaluate", action="store_true", help="accuracy of the suggestions per field")
    extract.add_argument("--study-id", help="BibTeX key of the new study (with --suggest)")
    extract.set_defaults(run=_extract)

    fulltext = commands.add_parser(
        "fulltext", help="fetch open-access full texts (JATS XML) from Europe PMC, once each",
        description="Fetch the JATS full text of every record sought at full text and every included study (or "
                    "of the RECORDs named) from Europe PMC (LSR_EUROPEPMC_URL overrides the address), store each "
                    "once under data/raw/fulltext/ with its SHA-256 and date, and record why there is none where "
                    "there is none. lsr extract --suggest then reads the full text.")
    fulltext.add_argument("records", nargs="*", metavar="RECORD", help="record ids (default: see above)")
    fulltext.set_defaults(run=_fulltext)

    screen = commands.add_parser("screen", help="screening ledger: record a decision, conflicts, agreement",
                                 description="Record one decision (--add), list records where independent "
                                             "reviewers disagree and no consensus row settles it, or print "
                                             "agreement per stage.")
    mode = screen.add_mutually_exclusive_group()
    mode.add_argument("--conflicts", action="store_true", help="list unsettled disagreements (default)")
    mode.add_argument("--agreement", action="store_true", help="percent agreement and Cohen's kappa per stage")
    mode.add_argument("--add", metavar="RECORD", help="record one decision on RECORD in the ledger (checked first)")
    screen.add_argument("--stage", choices=SCREENING_STAGE, help="with --add")
    screen.add_argument("--reviewer", help="with --add: your reviewer id (data/screening/reviewers.csv)")
    verdict = screen.add_mutually_exclusive_group()
    verdict.add_argument("--include", action="store_true", help="with --add")
    verdict.add_argument("--exclude", metavar="REASON", help="with --add: a reason from the protocol's list")
    verdict.add_argument("--not-retrieved", action="store_true", help="with --add, full text: say why in --note")
    screen.add_argument("--note", help="with --add")
    screen.add_argument("--date", help="with --add: YYYY-MM-DD (default: today, UTC)")
    screen.set_defaults(run=_screen)
    return top


@contextmanager
def _redacted_output():
    """Every line the command prints (messages, log records, progress bars, tracebacks) is redacted."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(sys.stdout), RedactingStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def _unexpected(exc: BaseException) -> str:
    """One line for what no part of the review anticipated, naming the file where the OS says which."""
    if isinstance(exc, MemoryError):
        return "ran out of memory (is an input file far larger than expected?)"
    if isinstance(exc, RecursionError):
        return "an input is nested too deeply to read"
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return f"{type(exc).__name__}: {exc}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("LSR_DEBUG") == "1"
    argv = [arg for arg in argv if arg != "--debug"]
    with _redacted_output():
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
        except Exception as exc:  # the last line of defence: one line, never a traceback unless asked
            if debug:
                traceback.print_exc()
            print(f"lsr: {_unexpected(exc)} (run with --debug for the traceback)",
                  file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
