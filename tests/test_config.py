import pytest

from pipeline.core.config import load_config, parse_override
from pipeline.core.errors import ConfigError


def test_review_config_loads_parameters_and_sources(project):
    config = load_config(project)
    assert config.parameters["age_group"] == "all"
    assert config.sources["pubmed"].kind == "pubmed"
    assert "Dermatomyositis" in config.sources["pubmed"].query


@pytest.mark.parametrize("name, text, expected", [
    ("biopsy_proven_only", "true", True), ("biopsy_proven_only", "No", False), ("year_min", "2000", 2000),
    ("confidence_level", "0.9", 0.9), ("age_group", "juvenile", "juvenile"),
])
def test_overrides_take_the_parameters_type(project, name, text, expected):
    assert parse_override(name, text, load_config(project).parameters) == expected


@pytest.mark.parametrize("name, text, message", [
    ("biopsy_only", "true", "unknown parameter 'biopsy_only'"),
    ("biopsy_proven_only", "perhaps", "takes true or false"),
    ("year_min", "twenty", "takes a whole number"),
])
def test_bad_overrides_are_named(project, name, text, message):
    with pytest.raises(ConfigError, match=message):
        parse_override(name, text, load_config(project).parameters)


def test_parameter_values_are_checked(project):
    config = load_config(project)
    with pytest.raises(ConfigError, match="age_group"):
        config.with_parameters({"age_group": "elderly"})
    with pytest.raises(ConfigError, match="year_min"):
        config.with_parameters({"year_min": 2020, "year_max": 2010})


def test_unknown_key_in_config_file_is_reported(project):
    path = project / "review.toml"
    path.write_text(path.read_text().replace("\n[parameters]\n", "\n[parameters]\nsurprise = 1\n"))
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(project)
