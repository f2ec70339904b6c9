"""`python -m bench`: run every benchmark side by side and write bench/RESULTS.md.

Each figure is measured several times (median, min, max); each comparison runs in this one command on
this machine, so ratios, not absolute seconds, are what the targets judge."""

from __future__ import annotations

import gc
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REPEATS = int(os.environ.get("LSR_BENCH_REPEATS", "3"))


def measure(run: Callable[[], object], repeats: int = REPEATS) -> dict[str, float]:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return {"median": statistics.median(times), "min": min(times), "max": max(times)}


def fmt(stats: dict[str, float]) -> str:
    return f"{stats['median']:.2f} s (min {stats['min']:.2f}, max {stats['max']:.2f})"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def peak_memory(run: Callable[[], object]) -> tuple[object, int]:
    tracemalloc.start()
    result = run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, peak


def bench_build(work: Path) -> tuple[list[str], dict]:
    from pipeline.report.build import NOTEBOOKS, build

    from .generate import scaled_project

    project = scaled_project(ROOT, work / "build", 1)
    ours = measure(lambda: build(project, output=work / "out-ours"))
    tables = work / "out-ours" / "data"

    def naive():
        out = work / "out-naive"
        out.mkdir(exist_ok=True)
        for name in NOTEBOOKS:
            subprocess.run([str(BIN / "papermill"), str(project / "notebooks" / name), str(out / name), "-p",
                            "tables_dir", str(tables), "-p", "project_root", str(project), "--no-progress-bar",
                            "-k", "python3"], check=True, capture_output=True, cwd=project / "notebooks")
        subprocess.run([str(BIN / "jupyter-nbconvert"), "--to", "html", "--no-input", *[str(out / n) for n in NOTEBOOKS]],
                       check=True, capture_output=True)

    theirs = measure(naive, repeats=max(2, REPEATS - 1))  # the slowest figure of the run
    ratio = ours["median"] / theirs["median"]
    lines = ["## 1. Build against the naive pipeline",
             f"- `lsr build` (papermill API, one process, one kernel): {fmt(ours)}",
             f"- naive: one `papermill` command per notebook ({len(NOTEBOOKS)}) plus one `jupyter nbconvert`: {fmt(theirs)}",
             f"- ratio {ratio:.2f} (target at most 0.50): {verdict(ratio <= 0.5)}", ""]
    return lines, {"build": ours}


def bench_refresh(work: Path, full_build: dict) -> list[str]:
    from .generate import scaled_project

    project = scaled_project(ROOT, work / "refresh", 1)
    lsr = [str(BIN / "lsr"), "--root", str(project), "refresh"]
    subprocess.run(lsr, check=True, capture_output=True)  # publish version 1
    nothing = measure(lambda: subprocess.run(lsr, check=True, capture_output=True), repeats=max(REPEATS, 5))
    ratio = nothing["median"] / full_build["median"]
    return ["## 2. No-change refresh against a full build",
            f"- `lsr refresh` with no input changed (a new process each time, imports included): {fmt(nothing)}",
            f"- full build (from 1): {fmt(full_build)}",
            f"- ratio {ratio:.3f} (target at most 0.02): {verdict(ratio <= 0.02)}", ""]


PEAK_SCRIPT = """
import resource, sys, time
from pipeline.search.pubmed import parse_pubmed_xml
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
with open(sys.argv[1], 'rb') as stream:
    n = sum(1 for _ in parse_pubmed_xml(stream))
print(n, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base)
"""


def bench_parse(work: Path) -> list[str]:
    from Bio import Entrez

    from pipeline.search.pubmed import parse_pubmed_xml

    from .generate import pubmed_xml

    lines = ["## 3. PubMed XML parsing (generated files in the PubMed DTD format)",
             "| records | ours: records/s | ours: peak memory | Bio.Entrez.read: records/s | Entrez peak memory | throughput ratio |",
             "|---|---|---|---|---|---|"]
    ok, peaks = True, {}
    for n in (1_000, 10_000, 100_000):
        path = pubmed_xml(work / f"pubmed-{n}.xml", n)

        def ours():
            with path.open("rb") as stream:
                return sum(1 for _ in parse_pubmed_xml(stream))

        def entrez():
            with path.open("rb") as stream:
                return len(Entrez.read(stream, validate=False)["PubmedArticle"])

        if n < 100_000:
            t_ours = measure(ours)
            count, peak = peak_memory(ours)
            peak_text = f"{peak / 2**20:.1f} MiB (traced)"
        else:
            # One run in a fresh process: growth of its resident set while parsing (tracing 100k would take minutes).
            out = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(path)], capture_output=True, text=True,
                                 check=True, cwd=ROOT).stdout.split()
            count, seconds, peak = int(out[0]), float(out[1]), int(out[2]) * 1024
            t_ours = {"median": seconds, "min": seconds, "max": seconds}
            peak_text = f"{peak / 2**20:.1f} MiB (resident-set growth)"
        assert count == n, (count, n)
        peaks[n] = peak
        if n == 100_000:
            lines.append(f"| {n:,} | {n / t_ours['median']:,.0f} ({fmt(t_ours)}, one run) | {peak_text} | not run | "
                         f"not run | |")
            continue
        t_entrez = measure(entrez, REPEATS if n == 1_000 else 1)
        entrez_peak = f"{peak_memory(entrez)[1] / 2**20:.1f} MiB" if n == 1_000 else "not traced"
        ratio = t_entrez["median"] / t_ours["median"]
        ok &= ratio >= 5
        lines.append(f"| {n:,} | {n / t_ours['median']:,.0f} ({fmt(t_ours)}) | {peak_text} | "
                     f"{n / t_entrez['median']:,.0f} ({fmt(t_entrez)}) | {entrez_peak} | {ratio:.1f}x |")
    flat = peaks[100_000] <= 16 * 2**20 and peaks[10_000] <= 2 * peaks[1_000] + 2**20
    lines += ["", "Bio.Entrez.read is compared at 1k and 10k records; at 100k it builds the whole document in memory "
                  "and takes over a minute, so it is left out to keep `make bench` within its time budget.",
              f"- throughput at least 5x Bio.Entrez.read at every size: {verdict(ok)}",
              f"- peak memory flat from 1k to 100k records (streaming): {verdict(flat)}"]
    if not ok:
        lines.append("- Why the throughput target is missed: the parser is ElementTree's iterparse with start and end "
                     "events so that each finished article can be dropped from the root; the Python-level loop over "
                     "about 120 events per article dominates (profiled). Bio.Entrez.read is slower per record and holds "
                     "the whole file in memory. Closing the gap needs a C-level parser (lxml, not a dependency today) "
                     "or a pull parser that skips events below the article level.")
    lines.append("")
    return lines


def bench_dedupe() -> list[str]:
    from pipeline.search.dedupe import link_duplicates, record_keys

    from .generate import records_with_duplicates

    lines = ["## 4. Deduplication with planted duplicates",
             "| records | time | peak memory | planted | precision | recall |", "|---|---|---|---|---|---|"]
    ok = True
    for n in (10_000, 100_000):
        records, planted = records_with_duplicates(n)

        def run():
            return link_duplicates((r.record_id, record_keys(r.pmid, r.doi, r.pmcid, r.title, r.year, r.first_author))
                                   for r in records)

        stats = measure(run)
        canonical, peak = peak_memory(run)
        found = {(r, c) for r, c in canonical.items() if r != c}
        true = len(found & planted)
        precision, recall = true / len(found) if found else 0, true / len(planted)
        if n == 100_000:
            ok = stats["median"] < 10 and recall >= 0.98 and precision >= 0.99
        lines.append(f"| {n:,} | {fmt(stats)} | {peak / 2**20:.0f} MiB | {len(planted):,} | {precision:.4f} | {recall:.4f} |")
    lines += ["", f"- 100k records under 10 s, recall >= 0.98, precision >= 0.99: {verdict(ok)}", ""]
    return lines


def bench_growth(work: Path, base: dict) -> list[str]:
    from pipeline.report.build import build

    from .generate import scaled_project

    lines = ["## 5. Growth: build time with more patients (synthetic copies of the committed studies)",
             f"- committed data (1x): {fmt(base)}"]
    times = {}
    for factor in (10, 100):
        project = scaled_project(ROOT, work / f"growth-{factor}", factor)
        times[factor] = measure(lambda p=project: build(p, output=p / "reports" / "bench"), repeats=max(2, REPEATS - 1))
        lines.append(f"- {factor}x patients: {fmt(times[factor])} (ratio {times[factor]['median'] / base['median']:.2f})")
    ratio = times[100]["median"] / base["median"]
    lines.append(f"- 100x the patients costs {ratio:.2f}x the time (target at most 2x): {verdict(ratio <= 2)}")
    if ratio > 2:
        lines.append("- Why: reading and checking 100x the YAML forms (one extraction and one appraisal form per study) and "
                     "rendering an evidence table 100x longer grow with the data; the kernel start, imports and figures "
                     "that dominate a build of the committed data do not.")
    lines.append("")
    return lines


def bench_politeness() -> list[str]:
    import json

    from pytest_httpserver import HTTPServer
    from werkzeug import Request, Response

    from pipeline.search import pubmed

    from .generate import DOCTYPE, _article

    n = 1_000
    stamps: list[float] = []
    rng = random.Random(3)
    articles = [_article(40_000_000 + i, rng) for i in range(n)]
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()

    def esearch(request: Request) -> Response:
        stamps.append(time.monotonic())
        return Response(json.dumps({"esearchresult": {"count": str(n), "webenv": "W", "querykey": "1"}}),
                        content_type="application/json")

    def efetch(request: Request) -> Response:
        stamps.append(time.monotonic())
        start, size = int(request.args["retstart"]), int(request.args["retmax"])
        return Response(DOCTYPE + "<PubmedArticleSet>" + "".join(articles[start:start + size]) + "</PubmedArticleSet>",
                        content_type="text/xml")

    server.expect_request("/esearch.fcgi").respond_with_handler(esearch)
    server.expect_request("/efetch.fcgi").respond_with_handler(efetch)
    os.environ["LSR_PUBMED_URL"] = server.url_for("/")
    os.environ.pop("NCBI_API_KEY", None)
    try:
        records = pubmed.search_pubmed("bench", date(2024, 1, 1), date(2024, 12, 31))
    finally:
        server.stop()
    minimum = 1 + math.ceil(n / 10_000)  # efetch serves up to 10,000 records per request
    ours_batches = 1 + math.ceil(n / 200)
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    fastest = min(gaps) if gaps else float("inf")
    window = max(sum(1 for t in stamps if s <= t < s + 1) for s in stamps)
    ok = len(stamps) == ours_batches and window <= 3 and len(records) == n
    return ["## 6. Politeness of a live PubMed search (local server)",
            f"- {n:,} new records: {len(stamps)} requests (1 esearch + efetch in batches of 200); the minimum the "
            f"E-utilities limits allow is {minimum} (efetch returns up to 10,000 records per request). We trade "
            f"{len(stamps) - minimum} extra requests for responses of bounded size (about 2 MB each) that are "
            f"parsed and released batch by batch",
            f"- shortest gap between requests {fastest:.3f} s; most requests in any 1-second window: {window} "
            f"(NCBI allows 3 without a key)",
            f"- one request per batch, no retries or repeats, and never more than 3 requests per second: {verdict(ok)}", ""]


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lsr-bench-") as folder:
        work = Path(folder)
        header = ["# Benchmark results", "",
                  f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
                  f"{REPEATS} repetitions per figure ({max(2, REPEATS - 1)} for the naive pipeline and the growth builds) unless stated. Written by `make bench` on {date.today()}.", ""]
        build_lines, stats = bench_build(work)
        sections = [build_lines, bench_refresh(work, stats["build"]), bench_parse(work), bench_dedupe(),
                    bench_growth(work, stats["build"]), bench_politeness()]
    lines = header + [line for section in sections for line in section]
    total = time.perf_counter() - started
    lines.append(f"Total benchmark time: {total:.0f} s (target: under 600 s for `make bench` in a fresh clone; "
                 f"{verdict(total < 600)}; a fresh clone adds the one-off install of .venv).")
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
