from pathlib import Path

import pytest
from conftest import appraisal, patient, study, write_yaml

from pipeline.core.errors import InvalidDataError
from pipeline.extract.tables import compile_tables, read_forms


def compile_dir(root: Path):
    return compile_tables(read_forms(root / "extraction"), read_forms(root / "appraisal"))


def write_study(root: Path, data: dict) -> Path:
    write_yaml(root / "appraisal" / f"{data['study_id']}.yaml", appraisal(data["study_id"]))
    return write_yaml(root / "extraction" / f"{data['study_id']}.yaml", data)


def problems_for(root: Path) -> list[str]:
    with pytest.raises(InvalidDataError) as caught:
        compile_dir(root)
    return caught.value.problems


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_valid_forms_compile_into_the_tidy_tables(tmp_path):
    write_study(tmp_path, study("alpha2020", "seed:a", [patient(), patient(patient_id="alpha2020-2",
                                                                           antibodies="not reported")]))
    tables = compile_dir(tmp_path)
    assert list(tables.studies.study_id) == ["alpha2020"]
    assert tables.studies.n_patients.tolist() == [2]
    assert tables.studies.jbi_yes.tolist() == [8]
    assert tables.patients.antibodies.tolist() == ["anti-TIF1g", "not reported"]
    assert tables.treatments.agent.tolist() == ["glucocorticoid", "glucocorticoid"]


@pytest.mark.parametrize("overrides, field, message", [
    ({"renal_histology": "membranous"}, "renal_histology", "not in the vocabulary"),
    ({"age_years": 130}, "age_years", "outside the range 0 to 100"),
    ({"proteinuria_g_day": 75}, "proteinuria_g_day", "outside the range 0 to 50"),
    ({"serum_albumin_g_dl": 0.2}, "serum_albumin_g_dl", "outside the range 0.5 to 6"),
    ({"ns_timing_months": -3}, "ns_timing_months", "outside the range"),
    ({"age_group": "juvenile", "myositis_type": "JDM"}, "age_group", "juvenile means an age under 18"),
    ({"biopsy_done": "no"}, "renal_histology", "a biopsy diagnosis needs biopsy_done yes"),
    ({"antibodies": ["anti-XYZ"]}, "antibodies", "antibody not in the vocabulary"),
])
def test_each_rule_names_file_line_field_and_value(tmp_path, overrides, field, message):
    path = write_study(tmp_path, study("alpha2020", "seed:a", [patient(**overrides)]))
    found = [p for p in problems_for(tmp_path) if f": {field}: " in p]
    assert found, problems_for(tmp_path)
    assert message in found[0]
    assert found[0].startswith(f"{path}:{line_of(path, field + ':')}: {field}: ")


def test_a_stated_value_needs_its_provenance(tmp_path):
    data = patient()
    del data["provenance"]["proteinuria_g_day"]
    path = write_study(tmp_path, study("alpha2020", "seed:a", [data]))
    (problem,) = problems_for(tmp_path)
    assert problem == f"{path}:{line_of(path, 'proteinuria_g_day:')}: proteinuria_g_day: stated value has no " \
                      f"provenance (5.2)"


def test_not_reported_values_need_no_provenance(tmp_path):
    quiet = patient(sex="not reported", proteinuria_g_day=None, renal_outcome="not reported", provenance={})
    quiet["provenance"] = {k: "abstract" for k in ("age_years", "myositis_type", "antibodies", "malignancy",
                                                   "kidney_presentation", "ns_timing", "ns_timing_months",
                                                   "serum_albumin_g_dl", "biopsy_done", "renal_histology",
                                                   "muscle_outcome", "died", "follow_up_months", "treatments")}
    write_study(tmp_path, study("alpha2020", "seed:a", [quiet]))
    assert compile_dir(tmp_path).patients.sex.tolist() == ["not reported"]


def test_duplicated_patient_ids_are_refused(tmp_path):
    write_study(tmp_path, study("alpha2020", "seed:a", [patient(), patient()]))
    assert any("patient_id: duplicated value (alpha2020-1)" in p for p in problems_for(tmp_path))


def test_unconfirmed_machine_suggestions_block_publication(tmp_path):
    write_study(tmp_path, study("alpha2020", "seed:a", [patient(unconfirmed=["sex"])]))
    assert any("sex: machine suggestion not yet confirmed by a reviewer (F)" in p for p in problems_for(tmp_path))


def test_malformed_yaml_gets_a_line(tmp_path):
    path = tmp_path / "extraction" / "alpha2020.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("study_id: alpha2020\npatients:\n  - patient_id: [unclosed\n")
    (problem,) = problems_for(tmp_path)
    assert problem.startswith(f"{path}:") and "malformed YAML" in problem


def test_wrong_encoding_is_reported_not_crashed(tmp_path):
    path = tmp_path / "extraction" / "alpha2020.yaml"
    path.parent.mkdir(parents=True)
    path.write_bytes("title: Müller\n".encode("latin-1"))
    (problem,) = problems_for(tmp_path)
    assert problem.startswith(f"{path}:1: file: not UTF-8 text")


def test_file_name_and_study_id_must_agree(tmp_path):
    data = study("alpha2020", "seed:a", [patient()])
    write_yaml(tmp_path / "appraisal" / "alpha2020.yaml", appraisal("alpha2020"))
    write_yaml(tmp_path / "extraction" / "other2020.yaml", data)
    problems = problems_for(tmp_path)
    assert any("study_id: must equal the file name 'other2020'" in p for p in problems)


def test_every_study_needs_an_appraisal_and_appraisals_need_eight_items(tmp_path):
    write_yaml(tmp_path / "extraction" / "alpha2020.yaml", study("alpha2020", "seed:a", [patient()]))
    short = appraisal("alpha2020")
    short["items"] = short["items"][:7]
    write_yaml(tmp_path / "appraisal" / "alpha2020.yaml", short)
    problems = problems_for(tmp_path)
    assert any("items: the JBI case-report checklist has 8 items" in p for p in problems)
    assert any("no JBI appraisal form" in p for p in problems)


def test_a_duplicated_field_is_an_error_with_its_line(tmp_path):
    path = tmp_path / "extraction" / "alpha2020.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("study_id: alpha2020\nyear: 2020\nyear: 2021\n")
    (problem,) = problems_for(tmp_path)
    assert problem == f"{path}:3: file: malformed YAML (duplicated key 'year')"
