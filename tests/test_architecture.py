"""The pipeline's shape: one package per stage, dependencies running one way, one catalog naming every
dataset (and the README's table kept equal to it), thin notebooks that ask the catalog."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO

from pipeline import catalog as catalog_module
from pipeline.catalog import Catalog, datasets_markdown

# Each layer may import itself and the layers listed; nothing imports a layer above it.
LAYERS = {
    "core": {"core"},
    "search": {"core", "search"},
    "screen": {"core", "search", "screen"},
    "extract": {"core", "search", "screen", "extract"},
    "synthesis": {"core", "extract", "synthesis"},
    "catalog": {"core", "search", "screen", "extract", "synthesis", "catalog"},
    "report": {"core", "search", "screen", "extract", "synthesis", "catalog", "report"},
    "living": {"core", "search", "screen", "extract", "synthesis", "catalog", "report", "living"},
}
STAGES = ("core", "search", "screen", "extract", "synthesis", "report", "living")


def pipeline_imports(path: Path) -> set[str]:
    """The first component after `pipeline.` of every import in a module (function-level ones included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            parts = node.module.split(".")
            found.add(parts[1] if len(parts) > 1 else "pipeline")
            if len(parts) == 1:  # from pipeline import core, ...
                found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import; the project writes absolute imports")
    return found - {"__version__", "pipeline"}


def layer_of(path: Path) -> str:
    relative = path.relative_to(REPO / "pipeline")
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


@pytest.mark.parametrize("path", sorted((REPO / "pipeline").rglob("*.py")), ids=lambda p: p.relative_to(REPO).as_posix())
def test_dependencies_run_one_way(path):
    layer = layer_of(path)
    if layer in ("cli", "workbench", "__init__"):
        return  # the thin layers on top may use everything
    assert pipeline_imports(path) <= LAYERS[layer], (layer, pipeline_imports(path) - LAYERS[layer])


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_package_says_what_it_reads_and_writes(stage):
    doc = ast.get_docstring(ast.parse((REPO / "pipeline" / stage / "__init__.py").read_text()))
    assert doc and "Reads" in doc and ("writes" in doc or "Writes" in doc), stage


def test_readme_shows_the_catalog_datasets_and_where_each_stage_lives():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert datasets_markdown() in readme
    for stage in STAGES:
        assert f"pipeline/{stage}/" in readme, stage


def test_every_catalog_path_exists_in_the_project_or_is_derived():
    for dataset in catalog_module.DATASETS:
        if dataset.path.startswith("(") or dataset.path.startswith("reports/") or dataset.once_run:
            continue
        pattern = dataset.path.replace("<source>", "*").replace("<run>", "*").replace("<study_id>", "*") \
            .replace("<table>", "*")
        assert list(REPO.glob(pattern)), dataset.path


def test_analysis_notebooks_ask_the_catalog_and_never_select_for_themselves():
    setups = set()
    for path in sorted((REPO / "notebooks").glob("0*.ipynb")):
        cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        source = "".join(cells[1]["source"])  # the cell after the parameters cell
        setups.add("\n".join(line for line in source.splitlines()[:4]))
        text = path.read_text()
        assert "select_patients" not in text and "load_tables" not in text, path.name
    assert len(setups) == 1, setups  # the same first lines in every analysis notebook


def test_the_selection_is_computed_once_for_all_notebooks_of_a_build(tmp_path, monkeypatch):
    calls = []
    real = catalog_module.select_patients

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(catalog_module, "select_patients", counting)
    namespace = {"project_root": str(REPO), "tables_dir": str(REPO / "data" / "processed"),
                 "include_comparator": False, "biopsy_proven_only": False, "age_group": "all", "year_min": 1900,
                 "year_max": 2100, "confidence_level": 0.95}
    frames = [Catalog.for_notebook(dict(namespace)).selected_patients() for _notebook in range(8)]
    assert len(calls) == 1
    assert all(frame.equals(frames[0]) for frame in frames)
    frames[0].loc[frames[0].index[0], "sex"] = "changed by one notebook"
    assert Catalog.for_notebook(dict(namespace)).selected_patients().iloc[0].sex != "changed by one notebook"
    Catalog.for_notebook({**namespace, "age_group": "adult"}).selected_patients()
    assert len(calls) == 2  # other parameters, another selection
    assert isinstance(frames[0], pd.DataFrame)
