"""`lsr build`: validate the data, compile the tidy tables, execute the notebooks in order with papermill's
Python API in this one process, render the readers' page, and publish it atomically.

A report goes into a new folder or replaces an earlier report folder (recognised by the marker file every
build writes), never anything else: `-o data`, `-o .` or `-o README.md` are refused before any work. A plain
build writes reports/latest, or reports/draft once reports/latest points at a published version."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

from pipeline.catalog import Catalog, ReviewData, load_review_data, tables_csv
from pipeline.core.atomic import STAGING_MARK, staging_dir, swap_together
from pipeline.core.config import ReviewConfig, load_config
from pipeline.core.errors import BuildError, ReviewError
from pipeline.core.lock import project_lock
from pipeline.report.kernel import (
    KERNEL_NAME,
    ThisInterpreterKernelManager,
    with_namespace_reset,
    without_namespace_reset,
)
from pipeline.report.render import PageInfo, assemble, notebook_body
from pipeline.report.versions import Version, read_versions

REPORT_MARKER = ".lsr-report"
# What a report folder holds; a folder of exactly these (without the marker) is a report of an older build.
REPORT_ENTRIES = {"index.html", "data", "notebooks", REPORT_MARKER}
DRAFT = "Draft build, not a published version"
# Room for the staging folder's prefix and suffix within the file system's 255-byte name limit.
MAX_NAME_BYTES = 200
MAX_PATH_BYTES = 3800
NOTEBOOKS = (
    # executed in this order, shown in this order; each notebook's own heading titles its section
    "00_summary.ipynb", "01_frequency.ipynb", "02_search_and_selection.ipynb", "03_patients.ipynb",
    "04_kidney_lesions.ipynb", "05_treatment_outcomes.ipynb", "06_claims.ipynb", "07_quality_and_evidence.ipynb",
    "08_methods.ipynb",
)
PROTECTED = ("data", "notebooks", "pipeline", "tests", "bench", "docs", ".git", ".ci", ".github", ".venv")


@dataclass(frozen=True)
class BuildResult:
    output: Path
    report: Path
    tables: dict[str, bytes]


def notebook_parameters(config: ReviewConfig, tables_dir: Path) -> dict[str, Any]:
    return {**config.parameters, "project_root": str(config.root), "tables_dir": str(tables_dir)}


def execute_notebooks(notebooks: Path, executed: Path, parameters: dict[str, Any],
                      progress: Callable[[str], None] = lambda name: None) -> list[nbformat.NotebookNode]:
    """Run each notebook in catalog order in one kernel (its namespace reset before each notebook, its
    imports kept); a failure names the notebook and the cell as the reviewer sees them."""
    executed.mkdir(parents=True, exist_ok=True)
    manager = ThisInterpreterKernelManager()
    manager.start_kernel(cwd=str(notebooks))
    results = []
    try:
        for name in NOTEBOOKS:
            progress(name)
            try:
                source = nbformat.read(notebooks / name, as_version=4)
                executed_notebook = without_namespace_reset(papermill.execute_notebook(
                    with_namespace_reset(source), None, parameters=parameters,
                    kernel_name=KERNEL_NAME, km=manager, cwd=str(notebooks), progress_bar=False,
                    request_save_on_cell_execute=False, log_output=False,
                ))
            except PapermillExecutionError as exc:
                first_line = (exc.source or "").strip().splitlines()[0][:80] if exc.source else ""
                raise BuildError(f"notebook {name} failed in cell "
                                 f"{_source_cell_index(notebooks / name, exc.cell_index - 1)}"
                                 f" ({first_line}): {exc.ename}: {exc.evalue}") from None
            except FileNotFoundError as exc:
                raise BuildError(f"notebook {name}: {exc}") from None
            nbformat.write(executed_notebook, executed / name)
            results.append(executed_notebook)
    finally:
        manager.shutdown_kernel(now=True)
    return results


def _source_cell_index(path: Path, executed_index: int) -> int:
    """The failing cell's index in the notebook as the reviewer sees it: papermill inserts one cell of
    injected parameters after the cell tagged `parameters`."""
    cells = nbformat.read(path, as_version=4).cells
    tagged = [i for i, cell in enumerate(cells) if "parameters" in cell.get("metadata", {}).get("tags", [])]
    return executed_index - 1 if tagged and executed_index > tagged[0] else executed_index


def _is_report_folder(folder: Path) -> bool:
    if (folder / REPORT_MARKER).is_file():
        return True
    entries = {entry.name for entry in folder.iterdir()}
    return "index.html" in entries and entries <= REPORT_ENTRIES


def _published_version(catalog: Catalog, folder: Path) -> int | None:
    try:
        marker = json.loads((folder / REPORT_MARKER).read_text(encoding="utf-8"))
        if marker.get("kind") == "published":
            return marker.get("version")
    except (OSError, ValueError, AttributeError):
        pass
    if folder.parent == catalog.reports:
        for recorded in read_versions(catalog.root):
            if recorded.folder == folder.name:
                return recorded.number
    return None


def report_target(catalog: Catalog, output: Path | None) -> Path:
    """The folder a build may publish into, or a ReviewError saying why not (checked before any work)."""
    if output is None:
        latest = catalog.latest_report
        target = catalog.draft_report if latest.is_symlink() else latest
    else:
        target = Path(os.path.abspath(os.path.expanduser(str(output))))
    shown = output if output is not None else target.relative_to(catalog.root)
    if not target.name or target == Path(target.anchor):
        raise ReviewError(f"-o {shown}: a report needs a folder of its own, not the file system's root")
    if len(target.name.encode()) > MAX_NAME_BYTES or len(str(target).encode()) > MAX_PATH_BYTES:
        raise ReviewError(f"-o {str(shown)[:80]}...: the folder name is too long for the file system")
    root = catalog.root
    if target == root or root.is_relative_to(target):
        raise ReviewError(f"-o {shown}: that folder holds the project itself; give a new folder for the report")
    for name in PROTECTED:
        if target.is_relative_to(root / name):
            raise ReviewError(f"-o {shown}: reports are never written inside the project's {name}/ folder")
    if target.is_symlink():
        raise ReviewError(f"-o {shown}: is a link (to {os.readlink(target)}); published versions are never "
                          f"overwritten, give a new folder")
    if target.exists():
        if not target.is_dir():
            raise ReviewError(f"-o {shown}: is a file, not a report folder; nothing was written")
        if not _is_report_folder(target):
            raise ReviewError(f"-o {shown}: exists and is not an earlier report (no {REPORT_MARKER} marker); "
                              f"nothing was written; give a new folder or an earlier report's folder")
        number = _published_version(catalog, target)
        if number is not None:
            raise ReviewError(f"-o {shown}: is published version {number}; published versions are never "
                              f"overwritten, give a new folder")
    else:
        ancestor = target.parent
        while not ancestor.exists():
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise ReviewError(f"-o {shown}: {ancestor} is a file, so no folder can be made below it")
        try:  # a trial folder: os.access says yes to root even where nothing can be made (/proc, read-only mounts)
            os.rmdir(tempfile.mkdtemp(dir=ancestor, prefix=".lsr-write-test-"))
        except OSError as exc:
            raise ReviewError(f"-o {shown}: {ancestor} is not writable ({exc.strerror}); nothing was written") from None
    return target


def _write_tables(folder: Path, tables: dict[str, bytes]) -> None:
    folder.mkdir(exist_ok=True)
    for name, content in tables.items():
        (folder / name).write_bytes(content)


def build(root: Path, overrides: dict[str, Any] | None = None, output: Path | None = None,
          clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
          progress: Callable[[str], None] = lambda name: None, version: str | None = None,
          version_record: Version | None = None, publish_tables: bool | None = None,
          data: ReviewData | None = None) -> BuildResult:
    """Build the report into `output` (default reports/latest, or reports/draft when reports/latest is a
    published version). The tidy tables are published to data/processed by the default build, or whenever
    `publish_tables` says so, in the same step as the report: both are swapped in, or neither. A caller
    that has already validated the data passes it as `data`."""
    catalog = Catalog(Path(root).resolve())
    protocol = load_config(catalog.root)
    config = protocol.with_parameters(overrides or {})
    target = report_target(catalog, output)
    publish = publish_tables if publish_tables is not None else output is None
    with project_lock(catalog):
        data = data or load_review_data(catalog)  # raises InvalidDataError before anything is written
        for debris in target.parent.glob(f".{target.name}{STAGING_MARK}*"):  # a killed build to this target
            shutil.rmtree(debris, ignore_errors=True)
        staging = staging_dir(target)
        tables_staging = None
        try:
            tables = tables_csv(data.tables)
            _write_tables(staging / "data", tables)
            if version_record is not None:
                (staging / "data" / "version.json").write_text(json.dumps(asdict(version_record),
                                                                          ensure_ascii=False))
            executed = execute_notebooks(catalog.notebooks, staging / "notebooks",
                                         notebook_parameters(config, staging / "data"), progress)
            built = clock().strftime("%Y-%m-%d %H:%M UTC")
            info = PageInfo(title=config.review["title"], version=f"Version {version}" if version else DRAFT,
                            built=built, parameters=config.parameters,
                            changed={k: (protocol.parameters.get(k), v) for k, v in config.parameters.items()
                                     if protocol.parameters.get(k) != v})
            try:
                page = assemble([notebook_body(nb) for nb in executed], info, data.bibliography)
            except ValueError as exc:
                raise BuildError(str(exc)) from None
            (staging / "index.html").write_text(page, encoding="utf-8")
            marker = {"kind": "published" if version_record is not None else "draft", "built": built,
                      "version": version_record.number if version_record is not None else None}
            (staging / REPORT_MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")
            pairs = [(staging, target)]
            if publish:
                tables_staging = staging_dir(catalog.processed)
                _write_tables(tables_staging, tables)
                pairs.append((tables_staging, catalog.processed))
            swap_together(pairs)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if tables_staging is not None:
                shutil.rmtree(tables_staging, ignore_errors=True)
            raise
    return BuildResult(target, target / "index.html", tables)
