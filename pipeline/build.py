"""`lsr build`: validate the data, compile the tidy tables, execute the notebooks in order with papermill's
Python API in this one process, render the readers' page, and publish it atomically."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

from .atomic import replace_dir, staging_dir, write_if_changed
from .catalog import NOTEBOOKS, Catalog
from .citations import load_bibliography
from .config import ReviewConfig, load_config
from .errors import BuildError
from .kernel import KERNEL_NAME, ThisInterpreterKernelManager, reset_namespace
from .render import PageInfo, assemble, notebook_body
from .validate import ReviewData, load_review_data, tables_csv
from .versions import Version

@dataclass(frozen=True)
class BuildResult:
    output: Path
    report: Path
    tables: dict[str, bytes]


def notebook_parameters(config: ReviewConfig, tables_dir: Path) -> dict[str, Any]:
    return {**config.parameters, "project_root": str(config.root), "tables_dir": str(tables_dir)}


def execute_notebooks(notebooks: Path, executed: Path, parameters: dict[str, Any],
                      progress: Callable[[str], None] = lambda name: None) -> list[nbformat.NotebookNode]:
    """Run each notebook in catalog order in one kernel (its namespace reset between notebooks, its imports
    kept); a failure names the notebook and the cell."""
    executed.mkdir(parents=True, exist_ok=True)
    manager = ThisInterpreterKernelManager()
    manager.start_kernel(cwd=str(notebooks))
    results = []
    try:
        for name, _title in NOTEBOOKS:
            progress(name)
            try:
                results.append(papermill.execute_notebook(
                    str(notebooks / name), str(executed / name), parameters=parameters,
                    kernel_name=KERNEL_NAME, km=manager, cwd=str(notebooks), progress_bar=False,
                    request_save_on_cell_execute=False,
                    log_output=False,
                ))
            except PapermillExecutionError as exc:
                first_line = (exc.source or "").strip().splitlines()[0][:80] if exc.source else ""
                raise BuildError(f"notebook {name} failed in cell {_source_cell_index(notebooks / name, exc.cell_index)}"
                                 f" ({first_line}): {exc.ename}: {exc.evalue}") from None
            except FileNotFoundError as exc:
                raise BuildError(f"notebook {name}: {exc}") from None
            reset_namespace(manager)
    finally:
        manager.shutdown_kernel(now=True)
    return results


def _source_cell_index(path: Path, executed_index: int) -> int:
    """The failing cell's index in the notebook as the reviewer sees it: papermill inserts one cell of
    injected parameters after the cell tagged `parameters`."""
    cells = nbformat.read(path, as_version=4).cells
    tagged = [i for i, cell in enumerate(cells) if "parameters" in cell.get("metadata", {}).get("tags", [])]
    return executed_index - 1 if tagged and executed_index > tagged[0] else executed_index


def build(root: Path, overrides: dict[str, Any] | None = None, output: Path | None = None,
          clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
          progress: Callable[[str], None] = lambda name: None, version: str = "unversioned",
          version_record: Version | None = None, publish_tables: bool | None = None,
          data: ReviewData | None = None) -> BuildResult:
    """Build the report into `output` (default reports/latest). The tidy tables are published to
    data/processed by the default build, or whenever `publish_tables` says so. A caller that has already
    validated the data passes it as `data`."""
    catalog = Catalog(Path(root).resolve())
    config = load_config(catalog.root).with_parameters(overrides or {})
    data = data or load_review_data(catalog)  # raises InvalidDataError before anything is written
    bibliography = load_bibliography(catalog.bibliography)
    target = Path(output).resolve() if output else catalog.latest_report

    staging = staging_dir(target)
    try:
        tables = tables_csv(data.tables)
        (staging / "data").mkdir()
        for name, content in tables.items():
            (staging / "data" / name).write_bytes(content)
        if version_record is not None:
            (staging / "data" / "version.json").write_text(json.dumps(asdict(version_record), ensure_ascii=False))
        executed = execute_notebooks(catalog.notebooks, staging / "notebooks",
                                     notebook_parameters(config, staging / "data"), progress)
        info = PageInfo(title=config.review["title"], version=version,
                        built=clock().strftime("%Y-%m-%d %H:%M UTC"), parameters=config.parameters)
        try:
            page = assemble([notebook_body(nb) for nb in executed], info, bibliography)
        except ValueError as exc:
            raise BuildError(str(exc)) from None
        (staging / "index.html").write_text(page, encoding="utf-8")
        replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if publish_tables or (publish_tables is None and target == catalog.latest_report):
        for name, content in tables.items():
            write_if_changed(catalog.processed / name, content)
    return BuildResult(target, target / "index.html", tables)
