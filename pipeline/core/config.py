"""The review configuration (`review.toml`) and its typed, validated parameters."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError

CONFIG_NAME = "review.toml"

# Allowed values for parameters that take a fixed set; others are checked by type and range below.
PARAMETER_CHOICES: dict[str, tuple[str, ...]] = {"age_group": ("all", "adult", "juvenile")}
# Each parameter's type, checked strictly: a quoted "false" is text, and text is not a boolean.
PARAMETER_TYPES: dict[str, type] = {"include_comparator": bool, "biopsy_proven_only": bool, "age_group": str,
                                    "year_min": int, "year_max": int, "keep_undated_reports": bool,
                                    "confidence_level": float}
TYPE_WORDS = {bool: "true or false (without quotes)", int: "a whole number (without quotes)",
              float: "a number (without quotes)", str: "text in quotes"}
REVIEW_TEXT_KEYS = ("title", "question", "search_schedule", "retirement_plan")
SOURCE_KINDS = ("seed", "pubmed", "europepmc", "import")

PARAMETER_HELP: dict[str, str] = {
    "include_comparator": "pool the polymyositis / other-IIM comparator stratum into the tallies (true/false)",
    "biopsy_proven_only": "keep only patients whose kidney disease was diagnosed by biopsy (true/false)",
    "age_group": "all, adult or juvenile",
    "year_min": "earliest publication year of included reports",
    "year_max": "latest publication year of included reports",
    "keep_undated_reports": "keep reports whose page shows no year whatever the year range (true/false)",
    "confidence_level": "level of the binomial confidence intervals, between 0 and 1",
}


@dataclass(frozen=True)
class Source:
    name: str
    label: str
    kind: str
    query: str = ""
    limits: str = ""
    description: str = ""


@dataclass(frozen=True)
class ReviewConfig:
    root: Path
    review: dict[str, Any]
    parameters: dict[str, Any]
    sources: dict[str, Source] = field(default_factory=dict)

    def with_parameters(self, overrides: dict[str, Any]) -> "ReviewConfig":
        merged = {**self.parameters, **overrides}
        check_parameters(merged)
        return ReviewConfig(self.root, self.review, merged, self.sources)


def _type_ok(value: Any, expected: type) -> bool:
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, expected)


def _check_types(path: Path, raw: dict) -> None:
    for section in ("review", "parameters", "sources"):
        if section not in raw:
            raise ConfigError(f"{path}: missing section [{section}]")
        if not isinstance(raw[section], dict):
            raise ConfigError(f"{path}: [{section}] must be a table of keys")
    for key in REVIEW_TEXT_KEYS:
        value = raw["review"].get(key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path}: [review] {key}: required text is missing"
                              + ("" if value is None else f" (found {value!r})"))
    for key, value in raw["review"].items():
        if not isinstance(value, str):
            raise ConfigError(f"{path}: [review] {key}: must be text in quotes, not {value!r}")
    unknown = set(raw["parameters"]) - set(PARAMETER_HELP)
    if unknown:
        raise ConfigError(f"{path}: [parameters] has unknown key(s): {', '.join(sorted(unknown))}")
    missing = set(PARAMETER_HELP) - set(raw["parameters"])
    if missing:
        raise ConfigError(f"{path}: [parameters] lacks: {', '.join(sorted(missing))}")
    for name, value in raw["parameters"].items():
        expected = PARAMETER_TYPES[name]
        if not _type_ok(value, expected):
            raise ConfigError(f"{path}: [parameters] {name}: must be {TYPE_WORDS[expected]}, not {value!r}")
    for name, spec in raw["sources"].items():
        if not isinstance(spec, dict):
            raise ConfigError(f"{path}: [sources.{name}] must be a table of keys")
        for key, value in spec.items():
            if not isinstance(value, str):
                raise ConfigError(f"{path}: [sources.{name}] {key}: must be text in quotes, not {value!r}")
        if spec.get("kind") not in SOURCE_KINDS:
            raise ConfigError(f"{path}: [sources.{name}] kind: one of {', '.join(SOURCE_KINDS)}, not "
                              f"{spec.get('kind')!r}")
        if not spec.get("label"):
            raise ConfigError(f"{path}: [sources.{name}] label: required text is missing")


def load_config(root: Path) -> ReviewConfig:
    path = Path(root) / CONFIG_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no review configuration here (run lsr from the project folder)") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not the review configuration") from None
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02X}); save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    _check_types(path, raw)
    try:
        sources = {name: Source(name=name, **spec) for name, spec in raw["sources"].items()}
    except TypeError as exc:
        raise ConfigError(f"{path}: [sources]: {exc}") from None
    config = ReviewConfig(Path(root), raw["review"], dict(raw["parameters"]), sources)
    check_parameters(config.parameters, where=f"{path}: [parameters] ")
    return config


def parse_override(name: str, text: str, defaults: dict[str, Any]) -> Any:
    """Turn a command-line `-p name value` into a value of the parameter's type."""
    if name not in defaults:
        known = ", ".join(sorted(defaults))
        raise ConfigError(f"unknown parameter '{name}' (known: {known})")
    default = defaults[name]
    if isinstance(default, bool):
        lowered = text.strip().lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise ConfigError(f"parameter '{name}' takes true or false, not '{text}'")
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"parameter '{name}' takes a whole number, not '{text}'") from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"parameter '{name}' takes a number, not '{text}'") from None
    return text


def check_parameters(params: dict[str, Any], where: str = "") -> None:
    for name, value in params.items():
        expected = PARAMETER_TYPES.get(name)
        if expected is not None and not _type_ok(value, expected):
            raise ConfigError(f"{where}parameter '{name}' must be {TYPE_WORDS[expected]}, not {value!r}")
    for name, choices in PARAMETER_CHOICES.items():
        if params[name] not in choices:
            raise ConfigError(f"{where}parameter '{name}' takes one of {', '.join(choices)}, not '{params[name]}'")
    if params["year_min"] > params["year_max"]:
        raise ConfigError(f"{where}year_min ({params['year_min']}) is after year_max ({params['year_max']})")
    if not 0 < params["confidence_level"] < 1:
        raise ConfigError(f"{where}confidence_level must lie between 0 and 1, not {params['confidence_level']}")
