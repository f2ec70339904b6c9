"""The README's worked example, run as written: from a PubMed export to a published version. The commands are
read from the README, so the README cannot drift from what works."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, make_project

pytestmark = pytest.mark.slow
FIXTURE = REPO / "tests" / "data" / "imports" / "pubmed.nbib"


def readme_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Worked example"):]
    block = section[section.index("```sh") + 5:section.index("```", section.index("```sh") + 5)]
    return [line.split("   #")[0].strip() for line in block.splitlines() if line.startswith(".venv/bin/lsr")]


def run(command: str, project: Path, values: dict[str, str]) -> subprocess.CompletedProcess:
    for placeholder, value in values.items():
        command = re.sub(rf"\b{placeholder}\b", value, command)
    args = shlex.split(command)
    assert args[0] == ".venv/bin/lsr"
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args[1:]], cwd=project, capture_output=True,
                          text=True)


def confirm(form_path: Path) -> None:
    """What the README asks of the reviewer between extract and validate, done as an editor would."""
    form = yaml.safe_load(form_path.read_text(encoding="utf-8"))
    patient = form["patients"][0]
    for field in patient.pop("unconfirmed"):
        patient["provenance"][field] = "abstract (PubMed record): 'dermatomyositis with membranous nephropathy'"
    form_path.write_text(yaml.safe_dump(form, sort_keys=False, allow_unicode=True), encoding="utf-8")


def appraise(appraisal_path: Path) -> None:
    appraisal = yaml.safe_load(appraisal_path.read_text(encoding="utf-8"))
    for item in appraisal["items"]:
        item["answer"], item["reason"] = "Unclear", "the abstract does not say"
    appraisal_path.write_text(yaml.safe_dump(appraisal, sort_keys=False), encoding="utf-8")


def test_the_readme_worked_example_takes_a_pubmed_record_to_a_published_version(tmp_path):
    commands = readme_commands()
    assert [c.split()[1] for c in commands] == ["import", "screen", "screen", "extract", "validate", "build",
                                                "refresh"]
    project = make_project(tmp_path / "review")
    record_text = FIXTURE.read_text(encoding="utf-8").strip().split("\n\n")[0]  # one fixture record, PMID 99000001
    (project / "pubmed-99000001.nbib").write_text(record_text + "\n", encoding="utf-8")
    (project / "data" / "screening" / "reviewers.csv").write_text(
        "reviewer,who,role,work,dates\nr1,a person,screening,fixture,2026\nr2,a person,screening and extraction,"
        "worked example,2026\n", encoding="utf-8")
    values = {"PMID": "99000001", "YOUR_ID": "r2", "KEY": "testperson2019"}

    imported = run(commands[0], project, values)
    assert imported.returncode == 0, imported.stderr
    values["RECORD"] = re.search(r"^\s+(pubmed-export:\S+)\t", imported.stdout, re.M).group(1)
    for command in commands[1:4]:
        result = run(command, project, values)
        assert result.returncode == 0, (command, result.stderr)
    unfinished = run(commands[4], project, values)
    assert unfinished.returncode == 3 and "machine suggestion not yet confirmed" in unfinished.stderr + \
        unfinished.stdout

    confirm(project / "data" / "extraction" / "testperson2019.yaml")
    appraise(project / "data" / "appraisal" / "testperson2019.yaml")
    for command in commands[4:]:
        result = run(command, project, values)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
    page = (project / "reports" / "latest" / "index.html").read_text(encoding="utf-8")
    assert 'id="ref-testperson2019"' in page and "Version 1" in page
    assert (project / "reports" / "v1" / "index.html").exists()
    ledger = (project / "data" / "screening" / "ledger.csv").read_text(encoding="utf-8")
    assert f"{values['RECORD']},full text,r2,include," in ledger
