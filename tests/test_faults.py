"""Fault injection: what a hostile or careless reviewer, a crash or a broken network does to the pipeline.

Every case asserts the exit code, a one-line message naming the file (or the value) at fault, that no
traceback reaches the user, and that data/, reports/latest and the project's other files are unchanged."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, patient, study, write_yaml

from pipeline.cli import main


def state(root: Path) -> dict[str, str]:
    """Every file of the project (reports/latest included, the lock excluded) with its content digest."""
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and "__pycache__" not in path.parts and relative != ".lsr.lock":
            files[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


@pytest.fixture
def lsr(capsys):
    """Run the CLI in this process: (exit code, stdout, stderr)."""
    def run(root: Path, *args: str) -> tuple[int, str, str]:
        code = main(["--root", str(root), *args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def refused(result: tuple[int, str, str], code: int, *words: str) -> None:
    exit_code, out, err = result
    assert exit_code == code, (exit_code, out, err)
    assert "Traceback" not in out + err
    for word in words:
        assert word in err, (word, err)


# ---------------------------------------------------------------- output targets: nothing lost through -o

@pytest.mark.parametrize("target, why", [
    ("data", "inside the project's data/"),
    ("data/new-report", "inside the project's data/"),
    ("README.md", "is a file"),
    (".", "holds the project itself"),
    ("..", "holds the project itself"),
    ("reports", "not an earlier report"),
    ("/", "root"),
    ("review.toml/below", "is a file, so no folder can be made below it"),
    ("x" * 300, "too long"),
])
def test_build_refuses_every_output_that_is_not_a_new_folder_or_an_earlier_report(project, lsr, target, why,
                                                                                 monkeypatch):
    (project / "README.md").write_text("keep me\n")
    (project / "reports").mkdir()
    (project / "reports" / ".gitkeep").write_text("")  # as in the project: reports/ exists from the start
    before = state(project)
    monkeypatch.chdir(project)
    refused(lsr(project, "build", "-o", target), 1, why)
    assert state(project) == before


def test_build_refuses_a_folder_it_cannot_write(project, lsr):
    refused(lsr(project, "build", "-o", "/proc/lsr-cannot-write-here"), 1, "not writable")


def test_build_refuses_an_existing_folder_that_is_not_a_report(project, lsr, tmp_path):
    mine = tmp_path / "my-notes"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious")
    refused(lsr(project, "build", "-o", str(mine)), 1, "not an earlier report")
    assert (mine / "notes.txt").read_text() == "precious"


@pytest.mark.slow
def test_after_a_refresh_a_plain_build_writes_a_draft_and_leaves_the_published_version(project, lsr):
    assert lsr(project, "refresh")[0] == 0
    published = (project / "reports" / "v1" / "index.html").read_bytes()
    for _ in range(2):  # twice in a row, as the hostile run did
        code, out, err = lsr(project, "build", "-q")
        assert code == 0 and "Traceback" not in err, err
        assert "reports/draft/index.html" in out and "published version" in err
    assert os.readlink(project / "reports" / "latest") == "v1"
    assert (project / "reports" / "latest" / "index.html").read_bytes() == published
    assert "Draft build, not a published version" in (project / "reports" / "draft" / "index.html").read_text()
    refused(lsr(project, "build", "-o", str(project / "reports" / "latest")), 1, "is a link")
    refused(lsr(project, "build", "-o", str(project / "reports" / "v1")), 1, "published version 1")
    before = state(project)
    refused(lsr(project, "build", "-o", str(project / "reports")), 1, "not an earlier report")
    assert state(project) == before  # every published version and versions.json are still there
    assert lsr(project, "refresh")[0] == 0  # and the next refresh still works


# ---------------------------------------------------------------- one writer at a time

def test_a_build_while_another_run_holds_the_lock_exits_6(project, lsr):
    before = state(project)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pipeline.core.lock import run_lock\n"
                               f"with run_lock({str(project / '.lsr.lock')!r}):\n"
                               "    print('held', flush=True); time.sleep(30)"],
                              cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        for command in (["build", "-q"], ["refresh"], ["search"], ["import", str(REPO / "README.md"),
                                                                    "--source", "embase"]):
            refused(lsr(project, *command), 6, "holds the lock", f"process {holder.pid}")
    finally:
        holder.kill()
        holder.wait()
    assert state(project) == before


def test_a_lock_path_that_is_a_folder_is_a_clear_error(project, lsr):
    (project / ".lsr.lock").mkdir()
    refused(lsr(project, "build", "-q"), 1, ".lsr.lock is a folder")


@pytest.mark.slow
def test_two_builds_started_together_one_builds_the_other_is_told_to_wait(project):
    command = [sys.executable, "-m", "pipeline.cli", "--root", str(project), "build", "-q"]
    first = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not (project / ".lsr.lock").exists():
        time.sleep(0.05)
    second = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert second.returncode == 6 and "holds the lock" in second.stderr and "Traceback" not in second.stderr
    assert (project / "reports" / "latest" / "index.html").exists()


@pytest.mark.slow
def test_a_build_killed_mid_way_leaves_debris_that_the_next_run_clears(project):
    command = [sys.executable, "-m", "pipeline.cli", "--root", str(project), "build", "-q"]
    run = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and not list((project / "reports").glob(".latest.building-*/notebooks/*.ipynb")):
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert list((project / "reports").glob(".latest.building-*"))
    (project / "data" / "screening" / ".ledger.csv.x1y2.tmp").write_text("half a write")
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert not list((project / "reports").glob(".*building*"))
    assert not list((project / "data").rglob(".*.tmp"))


# ---------------------------------------------------------------- bounded parsing: no hang

ALIAS_BOMB = "bomb:\n" + "".join(f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 10))


def test_a_yaml_alias_bomb_in_a_form_is_refused_at_once(project, lsr):
    form = project / "data" / "extraction" / "alpha2020.yaml"
    form.write_text(form.read_text() + "extra: &l0 [lol]\n" + ALIAS_BOMB.replace("bomb:\n", "bomb2:\n"))
    started = time.monotonic()
    refused(lsr(project, "validate"), 3, f"{form}:", "anchors and aliases")
    assert time.monotonic() - started < 60


def test_a_huge_form_is_refused_by_its_size(project, lsr):
    form = project / "data" / "extraction" / "alpha2020.yaml"
    with form.open("a") as stream:
        stream.write("nested:\n")
        for depth in range(1, 2000):
            stream.write("  " * depth + f"k{depth}:\n")
        stream.write("x" * (2 << 20))
    refused(lsr(project, "validate"), 3, f"{form}:1: file: larger than")


def test_a_bibtex_import_of_thousands_of_entries_is_read_whole(project, lsr, tmp_path):
    export = tmp_path / "big.bib"
    export.write_text("".join(f"@article{{k{i},\n  author = {{M{{\\\"u}}ller, Jo}},\n  title = {{Case {i} of "
                              f"dermatomyositis}},\n  year = {{2020}}\n}}\n" for i in range(2000)))
    code, out, err = lsr(project, "import", str(export), "--source", "embase")
    assert code == 0, err
    assert "2000 records read, 2000 new" in out


# ---------------------------------------------------------------- every input error is one line, never a traceback

def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize("old, new, words", [
    ("confidence_level = 0.95", 'confidence_level = "high"', ["confidence_level", "a number", "'high'"]),
    ("year_min = 1900", 'year_min = "1900"', ["year_min", "whole number", "'1900'"]),
    ("year_min = 1900", "year_min = 1900.5", ["year_min", "whole number", "1900.5"]),
    ("include_comparator = false", 'include_comparator = "false"', ["include_comparator", "true or false",
                                                                   "'false'"]),
    ('title = "Dermatomyositis', 'heading = "Dermatomyositis', ["[review] title", "missing"]),
])
def test_bad_configuration_values_are_named(project, lsr, old, new, words):
    edit(project / "review.toml", old, new)
    before = state(project)
    for command in (["validate"], ["build", "-q"]):
        refused(lsr(project, *command), 2, "review.toml", *words)
    assert state(project) == before


def test_a_configuration_that_is_not_utf8_is_named(project, lsr):
    config = project / "review.toml"
    config.write_bytes(config.read_bytes().replace(b"Dermatomyositis", b"Dermatomyosit\xe9s", 1))
    refused(lsr(project, "validate"), 2, "review.toml:", "not UTF-8")


@pytest.mark.parametrize("patch, words", [
    ({"patients": "one patient"}, ["patients: an included study needs at least one patient"]),
    ({"patients": 5}, ["patients: an included study needs at least one patient"]),
    ({"year": "twenty twenty"}, ["year: must be a year like 2012", "twenty twenty"]),
    ({"year": "2020-05-01"}, ["year: must be a year like 2012"]),
    ({"title": ["a", "list"]}, ["title: must be text"]),
])
def test_bad_study_fields_are_named(project, lsr, patch, words):
    form = project / "data" / "extraction" / "alpha2020.yaml"
    data = study("alpha2020", "seed:a1", [patient()])
    data.update(patch)
    write_yaml(form, data)
    refused(lsr(project, "validate"), 3, f"{form}:", *words)


@pytest.mark.parametrize("patch, words", [
    ({"provenance": ["abstract"]}, ["provenance: must be a mapping"]),
    ({"treatments": "prednisolone"}, ["treatments: must be a list"]),
    ({"age_years": float("nan")}, ["age_years: not a number (nan)"]),
    ({"sex": ["F"]}, ["sex: must be text"]),
])
def test_bad_patient_fields_are_named(project, lsr, patch, words):
    form = project / "data" / "extraction" / "alpha2020.yaml"
    write_yaml(form, study("alpha2020", "seed:a1", [patient(**patch)]))
    refused(lsr(project, "validate"), 3, f"{form}:", *words)


def test_a_list_used_as_a_key_is_named(project, lsr):
    form = project / "data" / "extraction" / "alpha2020.yaml"
    form.write_text(form.read_text() + "? [a, b]\n: value\n")
    refused(lsr(project, "validate"), 3, f"{form}:", "a key must be a plain name")


def test_a_nul_byte_in_the_ledger_is_named(project, lsr):
    ledger = project / "data" / "screening" / "ledger.csv"
    ledger.write_bytes(ledger.read_bytes().replace(b"r1,include", b"r1\x00,include", 1))
    refused(lsr(project, "validate"), 3, f"{ledger}:2: row: holds a NUL byte")


def test_an_import_into_another_sources_folder_is_refused(project, lsr, tmp_path):
    export = tmp_path / "x.ris"
    export.write_text("TY  - JOUR\nTI  - A dermatomyositis case\nER  - \n")
    before = state(project)
    refused(lsr(project, "import", str(export), "--source", "seed_corpus"), 1, "--source seed_corpus",
            "never into another source's raw folder")
    refused(lsr(project, "import", str(export), "--source", "../escape"), 1, "source name must be")
    assert state(project) == before


def test_a_device_as_an_import_is_refused_without_reading_it(project, lsr):
    refused(lsr(project, "import", "/dev/zero", "--source", "embase"), 3, "/dev/zero:1: file: not a regular file")


def test_an_import_under_a_memory_limit_fails_in_one_line(project, tmp_path):
    big = tmp_path / "big.ris"
    with big.open("w") as stream:
        for i in range(60_000):
            stream.write(f"TY  - JOUR\nTI  - Case {i} of dermatomyositis with a long title {'x' * 400}\nER  - \n")
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (700 * 2**20, 700 * 2**20))"
    result = subprocess.run([sys.executable, "-c", f"{limit}\nimport sys\nfrom pipeline.cli import main\n"
                             f"sys.exit(main(['--root', {str(project)!r}, 'import', {str(big)!r}, '--source', 'x']))"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    if result.returncode == 1:
        assert "ran out of memory" in result.stderr
        assert not (project / "data" / "raw" / "x").exists()


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(project, lsr, monkeypatch):
    import pipeline.cli

    def explode(args):
        raise RuntimeError("something nobody planned for")

    monkeypatch.setattr(pipeline.cli, "_validate", explode)
    code, out, err = lsr(project, "validate")
    assert code == 1 and err.strip().count("\n") == 0 and "something nobody planned for" in err
    assert "--debug" in err and "Traceback" not in err
    code, out, err = lsr(project, "--debug", "validate")
    assert code == 1 and "Traceback" in err
