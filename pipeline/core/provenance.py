"""What a report was built from: a checksum of its inputs and the software versions."""

from __future__ import annotations

import hashlib
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPORTED_PACKAGES = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib", "pandera", "pybtex", "papermill",
                     "nbconvert", "nbclient", "itables", "biopython", "rispy", "PyYAML")


def software_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in REPORTED_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def files_digest(paths: list[Path], root: Path) -> str:
    """SHA-256 over the files' paths (relative to root) and contents, in a fixed order."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _derived_or_transient(relative: Path) -> bool:
    """data/processed is derived; dot-files are staging folders and temporary files of a running build."""
    return "processed" in relative.parts or any(part.startswith(".") for part in relative.parts)


def input_files(root: Path) -> list[Path]:
    """The review's inputs: curated data (not the derived data/processed), config, bibliography."""
    root = Path(root)
    data = [p for p in (root / "data").rglob("*") if p.is_file() and not _derived_or_transient(p.relative_to(root))]
    return data + [p for p in (root / "review.toml", root / "references.bib") if p.exists()]


def inputs_digest(root: Path) -> tuple[int, str]:
    """(number of input files, their SHA-256): what the report cites as the data it was built from."""
    root = Path(root).resolve()
    files = input_files(root)
    return len(files), files_digest(files, root)
