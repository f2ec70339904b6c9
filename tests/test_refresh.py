"""Living updates: versions, the no-change fast path, the lock, crash safety and determinism."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import REPO, appraisal, patient, study, write_yaml

from pipeline.core.errors import LockHeldError
from pipeline.core.lock import run_lock
from pipeline.living.refresh import refresh
from pipeline.report.build import build

pytestmark = pytest.mark.slow


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
            for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def add_study(root: Path, study_id: str, histology: str = "minimal change disease") -> None:
    record = f"seed:{study_id}"
    form = study(study_id, record, [patient(patient_id=f"{study_id}-1", renal_histology=histology)], year=2024)
    write_yaml(root / "data/extraction" / f"{study_id}.yaml", form)
    write_yaml(root / "data/appraisal" / f"{study_id}.yaml", appraisal(study_id))
    with (root / "data/raw/seed_corpus/run1/records.csv").open("a") as stream:
        stream.write(f"{record},seed_corpus,{form['title']},,,Test J,2024,,{form['doi']},,,,English,{form['url']}\n")
    with (root / "data/screening/ledger.csv").open("a") as stream:
        for stage in ("title/abstract", "full text"):
            stream.write(f"{record},{stage},r1,include,,2026-11-26,\n")
    with (root / "references.bib").open("a") as stream:
        stream.write(f"\n@article{{{study_id},\n  title = {{{form['title']}}},\n  journal = {{Test J}},\n"
                     f"  year = {{2024}},\n  url = {{{form['url']}}}\n}}\n")


def test_refresh_publishes_once_then_does_nothing_then_versions_a_new_study(project):
    first = refresh(project)
    assert first.code == 0 and "published version 1" in first.message
    reports = project / "reports"
    assert (reports / "latest").resolve() == (reports / "v1").resolve()
    assert "Version 1" in (reports / "index.html").read_text()
    assert "## Version 1" in (project / "CHANGELOG.md").read_text()

    before = snapshot(project)
    started = time.perf_counter()
    second = refresh(project)
    assert second.code == 0 and second.message.startswith("nothing to do")
    assert snapshot(project) == before  # not one file written, not even touched
    assert time.perf_counter() - started >= 0  # (speed is measured in bench/, not asserted here)

    add_study(project, "gamma2024")
    third = refresh(project)
    assert third.code == 0 and "published version 2" in third.message
    assert (reports / "latest").resolve() == (reports / "v2").resolve()
    assert (reports / "v1" / "index.html").exists()  # the preceding version stays readable
    page = (reports / "latest" / "index.html").read_text()
    news = page[page.index('id="what-changed-since-the-previous-version"'):page.index('id="search-and-selection"')]
    assert "after version 1" in news and "Studies added: gamma2024" in news
    assert "included studies: 2 -&gt; 3" in news and "minimal change disease: 0 -&gt; 1" in news
    changelog = (project / "CHANGELOG.md").read_text()
    assert changelog.index("## Version 2") < changelog.index("## Version 1")


def test_a_second_run_gets_the_lock_error_and_a_stale_lock_is_taken_over(project):
    lock = project / ".lsr.lock"
    holder = subprocess.Popen([sys.executable, "-c", "import time; from pipeline.core.lock import run_lock\n"
                               f"with run_lock({str(lock)!r}):\n    print('held', flush=True); time.sleep(30)"],
                              cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeldError, match=f"process {holder.pid}"):
            refresh(project)
    finally:
        holder.kill()  # SIGKILL: the holder cannot clean up, the kernel drops its lock
        holder.wait()
    assert lock.exists()  # a stale lock file, owned by a dead process
    assert refresh(project).code == 0  # taken over
    assert not lock.exists()
    with run_lock(lock):
        result = subprocess.run([sys.executable, "-m", "pipeline.cli", "refresh"], cwd=project,
                                capture_output=True, text=True)
    assert result.returncode == 6 and "holds the lock" in result.stderr


def test_a_run_killed_mid_build_leaves_data_and_report_intact_and_the_next_run_recovers(project):
    assert refresh(project).code == 0
    latest_page = (project / "reports" / "latest" / "index.html").read_bytes()
    add_study(project, "delta2024")
    processed = {p.name: p.read_bytes() for p in (project / "data" / "processed").iterdir()}
    run = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "refresh"], cwd=project,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and not list((project / "reports").glob(".v2.building-*/notebooks/*.ipynb")):
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert (project / "reports" / "latest" / "index.html").read_bytes() == latest_page
    assert {p.name: p.read_bytes() for p in (project / "data" / "processed").iterdir()} == processed
    recovered = refresh(project)
    assert "published version 2" in recovered.message
    assert not list((project / "reports").glob(".*building*"))


def test_two_builds_of_the_same_inputs_are_identical_but_for_the_timestamp(project):
    first = build(project, output=project / "out1")
    second = build(project, output=project / "out2")
    assert first.tables == second.tables
    strip = lambda page: re.sub(r"built \d{4}-\d\d-\d\d \d\d:\d\d UTC", "built <time>", page)  # noqa: E731
    assert strip(first.report.read_text()) == strip(second.report.read_text())


def test_the_workflow_is_valid_yaml_and_runs_the_online_refresh_weekly():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "refresh.yml").read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    assert triggers["schedule"][0]["cron"].split()[-1] == "1" and "workflow_dispatch" in triggers
    steps = workflow["jobs"]["refresh"]["steps"]
    assert any("lsr refresh --online" in step.get("run", "") for step in steps)
    assert any("gh issue create" in step.get("run", "") for step in steps)
    text = (REPO / ".github" / "workflows" / "refresh.yml").read_text()
    assert "secrets.NCBI_API_KEY" in text and not re.search(r"api_key\s*[:=]\s*['\"]?\w{20,}", text)
