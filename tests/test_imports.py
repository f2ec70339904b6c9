"""Imports of database exports (RIS dialects, PubMed nbib, BibTeX, CSV) into Records.

The files under tests/data/imports/ are invented fixtures in each real export format; none is evidence."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from pipeline.core.errors import InvalidDataError, ReviewError
from pipeline.search.imports import (
    detect_format,
    read_bibtex,
    read_csv_records,
    read_export,
    read_medline,
    read_ris,
)
from pipeline.search.records import Record

DATA = Path(__file__).resolve().parent / "data" / "imports"
DOI_2019 = "10.9999/fixture.2019.001"
TITLE_2019 = "Test case: dermatomyositis with membranous nephropathy (fixture)"


def rid(source: str, key: str) -> str:
    """The id rule: source + the first 12 hex digits of SHA-1 of the DOI, PMID or title|year key."""
    return f"{source}:{hashlib.sha1(key.encode()).hexdigest()[:12]}"


def problems(call, *args) -> list[str]:
    with pytest.raises(InvalidDataError) as caught:
        call(*args)
    return caught.value.problems


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


# ---------------------------------------------------------------- RIS dialects

def test_embase_ris_t1_a1_n2_jf_y1_and_doi_in_m3():
    assert read_ris(DATA / "embase.ris", "embase") == [
        Record(record_id=rid("embase", f"doi:{DOI_2019}"), source="embase", title=TITLE_2019,
               abstract="This is an invented fixture abstract for the import tests. It describes no patient "
                        "and is not evidence.",
               authors=["Testperson A", "Fixture-Case BC"], journal="Journal of Fixture Nephrology", year=2019,
               doi=DOI_2019, mesh_terms=["dermatomyositis", "membranous nephropathy", "fixture"],
               language="English",
               url="https://www.embase.com/search/results?subaction=viewrecord&id=L2099000001&from=export"),
        Record(record_id=rid("embase", "title:test case juvenile dermatomyositis and minimal change disease "
                                       "fixture abstract|2012"),
               source="embase",
               title="Test case: juvenile dermatomyositis and minimal change disease (fixture abstract)",
               abstract="Invented conference abstract used only as a test fixture.", authors=["Exampleauthor C"],
               journal="Fixture Rheumatology Congress Abstracts", year=2012,
               publication_types=["Conference Abstract"], language="English"),
    ]


def test_scopus_ris_with_bom_and_crlf():
    raw = (DATA / "scopus.ris").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfTY  - JOUR\r\n") and raw.count(b"\r\n") == raw.count(b"\n")
    assert read_ris(DATA / "scopus.ris", "scopus") == [
        Record(record_id=rid("scopus", f"doi:{DOI_2019}"), source="scopus", title=TITLE_2019,
               abstract="An invented abstract used only as a Scopus style test fixture; it reports no patient.",
               authors=["Testperson A", "Fixture-Case BC"], journal="Journal of Fixture Nephrology", year=2019,
               pmid="99000001", doi=DOI_2019, publication_types=["Article"],
               mesh_terms=["dermatomyositis", "nephrotic syndrome"], language="English",
               url="https://www.scopus.com/inward/record.uri?eid=2-s2.0-99999999999"
                   "&doi=10.9999%2ffixture.2019.001&partnerID=40"),
        Record(record_id=rid("scopus", "title:test case dermatomyositis and thrombotic microangiopathy "
                                       "fixture|2022"),
               source="scopus", title="Test case: dermatomyositis and thrombotic microangiopathy (fixture)",
               abstract="Second invented Scopus style abstract.", authors=["Müller J"],
               journal="Fixture Case Reports", year=2022, pmcid="PMC9900002", publication_types=["Letter"],
               language="German"),
    ]


def test_web_of_science_ris_continuation_lines_and_doi_from_a_doi_org_url():
    first, second = read_ris(DATA / "wos.ris", "wos")
    assert first == Record(
        record_id=rid("wos", "doi:10.9999/fixture.2020.7"), source="wos",
        title="Test case: anti-MDA5 dermatomyositis with focal segmental glomerulosclerosis (fixture)",
        abstract="An invented abstract for a Web of Science style fixture. It continues on an indented second "
                 "line.",
        authors=["Testperson A", "van Fixture BC"], journal="FIXTURE JOURNAL OF CLINICAL TESTS", year=2020,
        doi="10.9999/FIXTURE.2020.7", publication_types=["Article"],
        url="https://www.webofscience.com/wos/woscc/full-record/WOS:000999999900001")
    assert first.pmid == ""  # AN is a WOS accession number, not a PMID
    assert second.doi == "10.9999/fixture.2021.2"
    assert second.record_id == rid("wos", "doi:10.9999/fixture.2021.2")
    assert (second.title, second.authors, second.journal, second.year, second.pmid) == (
        "Test case: polymyositis with nephrotic-range proteinuria (fixture)", ["Exampleauthor D"],
        "FIXTURE REPORTS", 2021, "")


def test_ovid_ris_pmid_in_an_or_notes_and_doi_in_ur():
    assert read_ris(DATA / "ovid.ris", "ovid") == [
        Record(record_id=rid("ovid", "doi:10.9999/fixture.2018.3"), source="ovid",
               title="Test case: dermatomyositis, IgA nephropathy and a fixture title",
               abstract="Invented abstract in the Ovid dialect.", authors=["Testperson A", "Fixture-Case JP"],
               journal="Journal of Fixture Nephrology", year=2018, pmid="99000003", doi="10.9999/fixture.2018.3",
               language="English", url="http://ovidsp.ovid.com/ovidweb.cgi?T=JS&AN=99000003"),
        Record(record_id=rid("ovid", "pmid:99000004"), source="ovid",
               title="Test case: amyopathic dermatomyositis with lupus-like nephritis (fixture)",
               authors=["Exampleauthor D"], journal="Fixture Case Rep", year=2017, pmid="99000004",
               pmcid="PMC9900004"),
    ]


def test_an_is_a_pmid_only_in_medline_exports(tmp_path):
    entry = "TY  - JOUR\nDB  - {db}\nAN  - 12345678\nTI  - Test case: accession number fixture\nER  - \n"
    assert [read_ris(write(tmp_path, "an.ris", entry.format(db=db)), "t")[0].pmid
            for db in ("Ovid MEDLINE(R) ALL", "Embase", "cin20", "PubMed")] == ["12345678", "", "", "12345678"]


@pytest.mark.parametrize("value", ["10.9999/Fix.1", "doi:10.9999/Fix.1", "DOI: 10.9999/Fix.1",
                                   "https://dx.doi.org/10.9999/Fix.1", "http://doi.org/10.9999%2FFix.1",
                                   "10.9999/Fix.1 [doi]", "10.9999/Fix.1."])
def test_ris_doi_forms(tmp_path, value):
    path = write(tmp_path, "d.ris", f"TY  - JOUR\nTI  - Test case: a fixture title\nDO  - {value}\nER  - \n")
    [record] = read_ris(path, "t")
    assert (record.doi, record.record_id) == ("10.9999/Fix.1", rid("t", "doi:10.9999/fix.1"))


@pytest.mark.parametrize("value, year", [("2012", 2012), ("2012///", 2012), ("2012/05/03/", 2012),
                                         ("2012//", 2012), ("2012 May", 2012)])
def test_ris_year_forms(tmp_path, value, year):
    path = write(tmp_path, "y.ris", f"TY  - JOUR\nTI  - Test case: a fixture title\nPY  - {value}\nER  - \n")
    assert read_ris(path, "t")[0].year == year


def test_ris_y1_is_used_when_py_is_missing_and_a2_editors_are_ignored(tmp_path):
    path = write(tmp_path, "y.ris", "TY  - JOUR\nTI  - Test case: a fixture title\nAU  - Testperson, A.\n"
                                    "A2  - Editorname, E.\nY1  - 2015/01/01/\nJO  - Fix J\nJA  - Fix\nER  - \n")
    [record] = read_ris(path, "t")
    assert (record.year, record.authors, record.journal) == (2015, ["Testperson A"], "Fix J")


def test_ris_text_outside_entries_is_ignored(tmp_path):
    path = write(tmp_path, "open.ris", "Exported by a fixture tool\n\nTY  - JOUR\nTI  - Test case: first fixture\n"
                                       "ER  - \nTY  - JOUR\nTI  - Test case: second fixture\nER  - \n")
    assert [r.title for r in read_ris(path, "t")] == ["Test case: first fixture", "Test case: second fixture"]


def test_ris_entries_not_closed_with_er_are_refused_with_their_lines(tmp_path):
    # A download cut off mid-file ends in an open entry: importing it silently would lose records unnoticed.
    path = write(tmp_path, "cut.ris", "TY  - JOUR\nTI  - Test case: first fixture\n"
                                      "TY  - JOUR\nTI  - Test case: second fixture\nER  - \n"
                                      "TY  - JOUR\nTI  - Test case: third fixture\n")
    with pytest.raises(InvalidDataError) as caught:
        read_ris(path, "t")
    assert [p.split(": ER:")[0] for p in caught.value.problems] == [f"{path}:1", f"{path}:6"]


def test_the_same_key_twice_in_one_file_gets_a_numbered_id(tmp_path):
    entry = "TY  - JOUR\nTI  - Test case: a duplicated fixture\nDO  - 10.9999/dup\nER  - \n"
    path = write(tmp_path, "dup.ris", entry * 3)
    base = rid("t", "doi:10.9999/dup")
    assert [r.record_id for r in read_ris(path, "t")] == [base, base + "-2", base + "-3"]


def test_the_same_paper_gets_the_same_key_in_every_format():
    digests = {record.record_id.split(":", 1)[1]
               for path in ("embase.ris", "scopus.ris", "pubmed.nbib", "refs.bib", "refs.csv")
               for record in read_export(DATA / path, "s")[:1]}
    assert digests == {rid("s", f"doi:{DOI_2019}").split(":", 1)[1]}


# ---------------------------------------------------------------- MEDLINE / nbib

def test_pubmed_nbib_with_continuation_lines_and_doi_lid():
    assert read_medline(DATA / "pubmed.nbib", "pubmed") == [
        Record(record_id=rid("pubmed", f"doi:{DOI_2019}"), source="pubmed",
               title="Test case: dermatomyositis with membranous nephropathy, a fixture title that continues on "
                     "a second line.",
               abstract="This is an invented fixture abstract for the import tests. It continues on a "
                        "continuation line and describes no patient.",
               authors=["Testperson A", "Fixture-Case BC"], journal="Journal of fixture nephrology", year=2019,
               pmid="99000001", doi=DOI_2019, pmcid="PMC9900001",
               publication_types=["Case Reports", "Journal Article"],
               mesh_terms=["Dermatomyositis/*complications", "Glomerulonephritis, Membranous/diagnosis/*etiology",
                           "Humans"],
               language="eng", url="https://pubmed.ncbi.nlm.nih.gov/99000001/"),
        Record(record_id=rid("pubmed", "doi:10.9999/fixture.2021.2"), source="pubmed",
               title="Test case: polymyositis with minimal change disease (fixture).",
               abstract="Second invented abstract.", authors=["Exampleauthor DJM"], journal="Fixture Case Rep",
               year=2021, pmid="99000002", doi="10.9999/fixture.2021.2", publication_types=["Letter"],
               language="eng; fre", url="https://pubmed.ncbi.nlm.nih.gov/99000002/"),
    ]


# ---------------------------------------------------------------- BibTeX

def test_bibtex_accents_braces_persons_and_macros():
    assert read_bibtex(DATA / "refs.bib", "bib") == [
        Record(record_id=rid("bib", f"doi:{DOI_2019}"), source="bib",
               title="Test case: Dermatomyositis with membranous nephropathy in a Müller-type fixture",
               abstract="An invented abstract with an IgG4 brace, 50% of nothing & a été accent.",
               authors=["Müller J", "Testperson AB", "van der Fixture A", "Fixture Study Group"],
               journal="Journal of Fixture Nephrology", year=2019, pmid="99000001", doi=DOI_2019,
               mesh_terms=["dermatomyositis", "membranous nephropathy"],
               url="https://example.org/fixture/2019_001"),
        Record(record_id=rid("bib", "doi:10.9999/fixture.2021.2"), source="bib",
               title="Test case: Çelik's juvenile dermatomyositis (fixture)",
               authors=["Østergaard S", "Exampleauthor D"], journal="Fixture Congress Abstracts", year=2021,
               doi="10.9999/fixture.2021.2", language="english"),
    ]


# ---------------------------------------------------------------- CSV

def test_csv_columns_in_any_case_quoted_newlines_and_blank_rows():
    assert read_csv_records(DATA / "refs.csv", "csv") == [
        Record(record_id=rid("csv", f"doi:{DOI_2019}"), source="csv", title=TITLE_2019,
               abstract="An invented abstract, on two lines.", authors=["Testperson A", "Fixture-Case BC"],
               journal="Journal of Fixture Nephrology", year=2019, pmid="99000001", doi=DOI_2019,
               pmcid="PMC9900001", language="English", url="https://example.org/fixture/1"),
        Record(record_id=rid("csv", "title:test case quoted polymyositis fixture|"), source="csv",
               title='Test case: "quoted" polymyositis fixture'),
        Record(record_id=rid("csv", "title:test case muller s dermatomyositis fixture|2020"), source="csv",
               title="Test case: Müller's dermatomyositis (fixture)", authors=["Müller J"], year=2020,
               language="German"),
    ]


# ---------------------------------------------------------------- format detection

@pytest.mark.parametrize("name, fmt", [("embase.ris", "ris"), ("scopus.ris", "ris"), ("pubmed.nbib", "medline"),
                                       ("refs.bib", "bibtex"), ("refs.csv", "csv")])
def test_format_from_extension_and_from_content_of_a_txt_file(tmp_path, name, fmt):
    assert detect_format(DATA / name) == fmt
    copy = tmp_path / "export.txt"
    shutil.copy(DATA / name, copy)
    assert detect_format(copy) == fmt
    reader = {"ris": read_ris, "medline": read_medline, "bibtex": read_bibtex, "csv": read_csv_records}[fmt]
    expected = reader(DATA / name, "x")
    assert read_export(DATA / name, "x") == expected
    assert read_export(copy, "x") == expected


@pytest.mark.parametrize("fmt", ["ris", "RIS"])
def test_an_explicit_format_wins_over_the_extension(tmp_path, fmt):
    path = tmp_path / "download.dat"
    shutil.copy(DATA / "wos.ris", path)
    assert read_export(path, "wos", fmt) == read_ris(DATA / "wos.ris", "wos")
    nbib = tmp_path / "pubmed.export"
    shutil.copy(DATA / "pubmed.nbib", nbib)
    assert read_export(nbib, "pubmed", "nbib") == read_medline(DATA / "pubmed.nbib", "pubmed")


# ---------------------------------------------------------------- bad input: file, line and field

def test_ris_problems_are_all_listed_with_the_entry_start_line(tmp_path):
    path = write(tmp_path, "bad.ris", "TY  - JOUR\nTI  - Test case: fine fixture\nPY  - 2019\nER  - \n\n"
                                      "TY  - JOUR\nAU  - Testperson, A.\nPY  - 2019\nER  - \n\n"
                                      "TY  - JOUR\nT1  - Test case: bad year fixture\nY1  - in press\nER  - \n\n"
                                      "TY  - JOUR\nTI  - Test case: bad doi fixture\nDO  - not available\nER  - \n")
    assert problems(read_ris, path, "t") == [
        f"{path}:6: title: required value is missing, no TI or T1 ()",
        f"{path}:11: year: Y1 is not a year (in press)",
        f"{path}:16: doi: DO is not a DOI (not available)",
    ]


def test_ris_year_outside_the_plausible_range(tmp_path):
    path = write(tmp_path, "bad.ris", "TY  - JOUR\nTI  - Test case: fixture\nPY  - 3019\nER  - \n")
    assert problems(read_ris, path, "t") == [f"{path}:1: year: PY is not a year between 1600 and 2100 (3019)"]


def test_ris_file_without_entries(tmp_path):
    path = write(tmp_path, "not.ris", "PMID- 99000001\nTI  - Test case: fixture\n")
    assert problems(read_ris, path, "t") == [
        f"{path}:1: format: no RIS entries, expected 'TY  -' lines (PMID- 99000001)"]


def test_medline_problems_name_the_record_start_line(tmp_path):
    path = write(tmp_path, "bad.nbib", "PMID- 99000001\nTI  - Test case: fine fixture\nDP  - 2019 Mar\n\n"
                                       "PMID- 99000002\nDP  - 2019\nAB  - no title here\n\n"
                                       "PMID- 99000003\nTI  - Test case: bad date fixture\nDP  - Spring\n"
                                       "this line is not MEDLINE\n")
    assert problems(read_medline, path, "t") == [
        f"{path}:5: title: required value is missing, no TI (99000002)",
        f"{path}:9: year: DP is not a year (Spring)",
        f"{path}:12: line: not a MEDLINE tag or continuation line (this line is not MEDLINE)",
    ]


def test_bibtex_problems_name_the_entry_line(tmp_path):
    path = write(tmp_path, "bad.bib", "@article{fine,\n  title = {Test case: fine fixture},\n  year = 2019,\n}\n"
                                      "\n@article{notitle,\n  author = {Testperson, A.},\n  year = 2019,\n}\n"
                                      "@article{badyear,\n  title = {Test case: fixture},\n  year = {forthcoming},\n"
                                      "  doi = {n/a},\n}\n")
    assert problems(read_bibtex, path, "t") == [
        f"{path}:6: title: required value is missing, entry notitle has no title ()",
        f"{path}:10: year: is not a year (forthcoming)",
        f"{path}:10: doi: not a DOI (n/a)",
    ]


def test_bibtex_syntax_error_and_repeated_key(tmp_path):
    path = write(tmp_path, "broken.bib", "@article{a,\n  title = {Test case: fixture},\n}\n"
                                         "@article{b,\n  title = {unclosed,\n  year = 2019\n")
    [problem] = problems(read_bibtex, path, "t")
    assert problem.startswith(f"{path}:5: syntax: ") and "premature end of file" in problem
    path = write(tmp_path, "twice.bib", "@article{a,\n  title = {Test case: one}\n}\n\n"
                                        "@article{a,\n  title = {Test case: two}\n}\n")
    assert problems(read_bibtex, path, "t") == [f"{path}:5: syntax: repeated bibliography entry: a"]


def test_csv_problems_name_the_row_line(tmp_path):
    path = write(tmp_path, "bad.csv", 'title,abstract,year,doi,pmid\n'
                                      'Test case: fine fixture,"two\nlines",2019,,\n'
                                      ',no title,2019,,\n'
                                      'Test case: bad year fixture,,19xx,,\n'
                                      'Test case: bad ids fixture,,2019,doi:none,PMC1\n'
                                      'Test case: short row\n')
    assert problems(read_csv_records, path, "t") == [
        f"{path}:4: title: required value is missing ()",
        f"{path}:5: year: is not a year (19xx)",
        f"{path}:6: doi: not a DOI (doi:none)",
        f"{path}:6: pmid: not a PubMed id (PMC1)",
        f"{path}:7: row: 1 fields where the header has 5 (Test case: short row)",
    ]


def test_csv_without_a_title_column(tmp_path):
    path = write(tmp_path, "bad.csv", "Name,Year\nTest case: fixture,2019\n")
    assert problems(read_csv_records, path, "t") == [f"{path}:1: header: no title column (Name, Year)"]


@pytest.mark.parametrize("name", ["bad.ris", "bad.nbib", "bad.bib", "bad.csv", "bad.txt"])
def test_a_file_that_is_not_utf8_names_the_line_of_the_first_bad_byte(tmp_path, name):
    content = {"bad.ris": b"TY  - JOUR\nTI  - Test case: fixture\nAU  - M\xfcller, J.\nER  - \n",
               "bad.nbib": b"PMID- 99000001\nTI  - Test case: fixture\nAU  - M\xfcller J\n",
               "bad.bib": b"@article{a,\n  title = {Test case: fixture},\n  author = {M\xfcller, J.},\n}\n",
               "bad.csv": b"title,authors\r\nTest case: fixture,Testperson A\r\nTest case: two,M\xfcller J\r\n",
               "bad.txt": b"\xef\xbb\xbfTY  - JOUR\r\nTI  - Test case: fixture\r\nAU  - M\xfcller, J.\r\n"}[name]
    path = write(tmp_path, name, content)
    [problem] = problems(read_export, path, "t")
    assert problem.startswith(f"{path}:3: file: not UTF-8 text") and "(byte 0xFC at offset" in problem


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
@pytest.mark.parametrize("name", ["empty.ris", "empty.nbib", "empty.bib", "empty.csv", "empty.txt"])
def test_an_empty_file_is_reported(tmp_path, name, content):
    path = write(tmp_path, name, content)
    assert problems(read_export, path, "t") == [f"{path}:1: file: empty, no records ({len(content)} bytes)"]


def test_csv_with_only_a_header_is_reported(tmp_path):
    path = write(tmp_path, "header.csv", "title,year\n")
    assert problems(read_export, path, "t") == [f"{path}:2: row: no records below the header ()"]


@pytest.mark.parametrize("name, content", [
    ("notes.txt", "Some notes about the search.\nNo export here.\n"),
    ("export.docx", "PK binary-looking text"),
])
def test_an_unrecognised_format_is_reported(tmp_path, name, content):
    path = write(tmp_path, name, content)
    [problem] = problems(read_export, path, "t")
    assert problem.startswith(f"{path}:1: format: unrecognised export format")


def test_an_unknown_format_name_is_reported(tmp_path):
    path = DATA / "wos.ris"
    assert problems(read_export, path, "t", "endnote") == [
        f"{path}:1: format: unrecognised format name, expected one of ris, medline, bibtex, csv (endnote)"]


def test_a_missing_file_is_reported(tmp_path):
    path = tmp_path / "absent.ris"
    assert problems(read_export, path, "t") == [f"{path}:1: file: not found ()"]


@pytest.mark.parametrize("source", ["", "my source", "a:b"])
def test_a_source_name_that_cannot_make_ids_is_refused(source):
    with pytest.raises(ReviewError, match="source name"):
        read_ris(DATA / "wos.ris", source)
