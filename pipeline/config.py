"""The review configuration (`review.toml`) and its typed, validated parameters."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

CONFIG_NAME = "review.toml"

# Allowed values for parameters that take a fixed set; others are checked by type and range below.
PARAMETER_CHOICES: dict[str, tuple[str, ...]] = {"age_group": ("all", "adult", "juvenile")}

PARAMETER_HELP: dict[str, str] = {
    "include_comparator": "pool the polymyositis / other-IIM comparator stratum into the tallies (true/false)",
    "biopsy_proven_only": "keep only patients whose kidney disease was diagnosed by biopsy (true/false)",
    "age_group": "all, adult or juvenile",
    "year_min": "earliest publication year of included reports",
    "year_max": "latest publication year of included reports",
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


def load_config(root: Path) -> ReviewConfig:
    path = Path(root) / CONFIG_NAME
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no review configuration here (run lsr from the project folder)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    for section in ("review", "parameters", "sources"):
        if section not in raw:
            raise ConfigError(f"{path}: missing section [{section}]")
    unknown = set(raw["parameters"]) - set(PARAMETER_HELP)
    if unknown:
        raise ConfigError(f"{path}: [parameters] has unknown key(s): {', '.join(sorted(unknown))}")
    missing = set(PARAMETER_HELP) - set(raw["parameters"])
    if missing:
        raise ConfigError(f"{path}: [parameters] lacks: {', '.join(sorted(missing))}")
    try:
        sources = {name: Source(name=name, **spec) for name, spec in raw["sources"].items()}
    except TypeError as exc:
        raise ConfigError(f"{path}: [sources]: {exc}") from None
    config = ReviewConfig(Path(root), raw["review"], dict(raw["parameters"]), sources)
    check_parameters(config.parameters)
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


def check_parameters(params: dict[str, Any]) -> None:
    for name, choices in PARAMETER_CHOICES.items():
        if params[name] not in choices:
            raise ConfigError(f"parameter '{name}' takes one of {', '.join(choices)}, not '{params[name]}'")
    if params["year_min"] > params["year_max"]:
        raise ConfigError(f"year_min ({params['year_min']}) is after year_max ({params['year_max']})")
    if not 0 < params["confidence_level"] < 1:
        raise ConfigError(f"confidence_level must lie between 0 and 1, not {params['confidence_level']}")
