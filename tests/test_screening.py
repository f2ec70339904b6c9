import pytest
from conftest import LEDGER_HEADER, write_csv
from statsmodels.stats.inter_rater import cohens_kappa

from pipeline.core.errors import InvalidDataError
from pipeline.screen.agreement import agreement, cohen_kappa
from pipeline.screen.ledger import conflicts, final_decisions, read_ledger, with_decision


def ledger(tmp_path, rows):
    return write_csv(tmp_path / "ledger.csv", LEDGER_HEADER, rows)


def test_conflicts_and_consensus(tmp_path):
    path = ledger(tmp_path, [
        ["r1", "title/abstract", "ana", "include", "", "2026-01-02", ""],
        ["r1", "title/abstract", "ben", "exclude", "not myositis", "2026-01-02", ""],
        ["r2", "title/abstract", "ana", "include", "", "2026-01-02", ""],
        ["r2", "title/abstract", "ben", "exclude", "not myositis", "2026-01-02", ""],
        ["r2", "title/abstract", "consensus", "include", "", "2026-01-03", "DM stated in abstract"],
    ])
    frame = read_ledger(path, {"r1", "r2"})
    assert [(c.record_id, c.decisions) for c in conflicts(frame)] == [("r1", {"ana": "include", "ben": "exclude"})]
    final = final_decisions(frame).set_index("record_id").decision.to_dict()
    assert final == {"r1": "maybe", "r2": "include"}  # an unsettled conflict is never counted as decided


def test_agreement_matches_statsmodels(tmp_path):
    decisions = [("a", "include", "include"), ("b", "exclude", "exclude"), ("c", "exclude", "include"),
                 ("d", "exclude", "exclude"), ("e", "include", "include")]
    rows = []
    for record, first, second in decisions:
        for reviewer, decision in (("ana", first), ("ben", second)):
            rows.append([record, "title/abstract", reviewer, decision,
                         "not myositis" if decision == "exclude" else "", "2026-01-02", ""])
    frame = read_ledger(ledger(tmp_path, rows), None)
    (row,) = agreement(frame).to_dict("records")
    assert row["n_records"] == 5 and row["percent_agreement"] == 80.0
    expected = cohens_kappa([[2, 0], [1, 2]]).kappa  # rows: ana include/exclude; columns: ben
    assert row["cohen_kappa"] == pytest.approx(expected)


def test_kappa_is_undefined_without_variation():
    assert cohen_kappa(["include"] * 3, ["include"] * 3) is None


@pytest.mark.parametrize("row, message", [
    (["zz", "title/abstract", "ana", "include", "", "2026-01-02", ""], "record_id: no such record in data/raw (zz)"),
    (["r1", "abstract", "ana", "include", "", "2026-01-02", ""], "stage: not one of"),
    (["r1", "title/abstract", "ana", "exclude", "boring", "2026-01-02", ""], "reason: an exclusion needs a reason"),
    (["r1", "title/abstract", "ana", "exclude", "other", "2026-01-02", ""], "note: reason 'other' needs a note"),
    (["r1", "title/abstract", "ana", "include", "", "02/01/2026", ""], "date: not a YYYY-MM-DD date"),
])
def test_bad_rows_are_named_by_line_and_field(tmp_path, row, message):
    path = ledger(tmp_path, [row])
    with pytest.raises(InvalidDataError) as caught:
        read_ledger(path, {"r1"})
    assert caught.value.problems[0].startswith(f"{path}:2: ")
    assert message in caught.value.problems[0]


def test_bad_csv_quoting_is_reported(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(",".join(LEDGER_HEADER) + '\nr1,title/abstract,ana,include,,2026-01-02,"unclosed\n')
    with pytest.raises(InvalidDataError) as caught:
        read_ledger(path, {"r1"})
    assert "malformed CSV" in caught.value.problems[0] and caught.value.problems[0].startswith(f"{path}:2:")


def test_same_reviewer_twice_is_a_duplicate(tmp_path):
    row = ["r1", "title/abstract", "ana", "include", "", "2026-01-02", ""]
    with pytest.raises(InvalidDataError, match="first at line 2"):
        read_ledger(ledger(tmp_path, [row, row]), {"r1"})


def test_a_decision_is_checked_with_the_whole_ledger_before_anything_is_written(tmp_path):
    path = ledger(tmp_path, [["r1", "title/abstract", "ana", "include", "", "2026-01-02", ""]])
    before = path.read_bytes()
    decision = {"record_id": "r1", "stage": "full text", "reviewer": "ana", "decision": "exclude",
                "reason": "not a listed reason", "date": "2026-01-03", "note": ""}
    with pytest.raises(InvalidDataError) as caught:
        with_decision(path, {"r1"}, decision)
    assert caught.value.problems == [f"{path}:3: reason: an exclusion needs a reason from the protocol's list "
                                     f"(not a listed reason)"]
    with pytest.raises(InvalidDataError, match="no such record"):
        with_decision(path, {"r1"}, {**decision, "record_id": "r9", "reason": "not myositis"})
    assert path.read_bytes() == before
    text = with_decision(path, {"r1"}, {**decision, "reason": "not myositis", "note": 'said "no"'})
    assert text.splitlines()[-1] == 'r1,full text,ana,exclude,not myositis,2026-01-03,"said ""no"""'
    assert len(read_ledger(path, {"r1"}, text)) == 2
