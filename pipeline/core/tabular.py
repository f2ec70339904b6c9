"""Reading reviewer-kept CSV files strictly (precise errors with file, line and field) and writing
tidy tables deterministically (same rows, same bytes)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from pipeline.core.errors import InvalidDataError


def numbered_rows(reader, path: Path, problems: list[str]) -> Iterator[tuple[int, list[str]]]:
    """The reader's non-empty rows with the line each starts on; malformed quoting is added to `problems`
    as `file:line: row: ...` and ends the rows (nothing after it can be trusted)."""
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(f"{path}:{line}: row: malformed CSV ({exc})")
            return
        if values:
            yield line, values


def read_csv_strict(path: Path, required: tuple[str, ...],
                    text: str | None = None) -> list[tuple[int, dict[str, str]]]:
    """Rows with their line numbers; every problem is reported as `file:line: field: message (value)`. With
    `text`, that text is read as what `path` would hold (a change checked before it is written)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8") if text is None else text
    except FileNotFoundError:
        raise InvalidDataError([f"{path}:1: file: not found"]) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InvalidDataError([f"{path}:{line}: file: not UTF-8 text (byte {exc.start})"]) from None
    if "\x00" in text:  # Python's csv reads NUL bytes as text; a ledger never holds one
        line = text[: text.index("\x00")].count("\n") + 1
        raise InvalidDataError([f"{path}:{line}: row: holds a NUL byte (a damaged file?)"])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidDataError([f"{path}:1: file: empty, expected a header row"]) from None
    except csv.Error as exc:
        raise InvalidDataError([f"{path}:1: header: malformed CSV ({exc})"]) from None
    missing = [name for name in required if name not in header]
    if missing:
        raise InvalidDataError([f"{path}:1: header: missing column(s) {', '.join(missing)}"])
    rows, problems = [], []
    for line, values in numbered_rows(reader, path, problems):
        if len(values) != len(header):
            problems.append(f"{path}:{line}: row: {len(values)} fields where the header has {len(header)}")
            continue
        rows.append((line, dict(zip(header, values))))
    if problems:
        raise InvalidDataError(problems)
    return rows


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n", float_format="%.10g").encode("utf-8")


def read_table(path: Path) -> pd.DataFrame:
    """A tidy table as the notebooks read it: empty cells are missing values, ids stay text."""
    return pd.read_csv(path, dtype={"pmid": "string", "doi": "string", "pmcid": "string", "record_id": "string"},
                       keep_default_na=False, na_values=[""])
