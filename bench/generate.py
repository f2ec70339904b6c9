"""Seeded, reproducible inputs for the benchmarks: PubMed XML files, records with planted duplicates,
and projects with more patients. Written to temporary folders, never committed."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import yaml

from pipeline.search.records import Record

DOCTYPE = ('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January '
           '2024//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">\n')
WORDS = ("dermatomyositis nephrotic syndrome membranous glomerulonephritis proteinuria juvenile antibody renal "
         "biopsy remission patient case report kidney lesion myositis treatment outcome podocyte").split()


def _article(pmid: int, rng: random.Random) -> str:
    title = " ".join(rng.choice(WORDS) for _ in range(10)).capitalize()
    abstract = "".join(f'<AbstractText Label="{label}">{" ".join(rng.choice(WORDS) for _ in range(60))}.</AbstractText>'
                       for label in ("BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"))
    authors = "".join(f"<Author ValidYN=\"Y\"><LastName>Author{rng.randrange(10**6)}</LastName><ForeName>A</ForeName>"
                      f"<Initials>A</Initials></Author>" for _ in range(rng.randint(1, 8)))
    mesh = "".join(f'<MeshHeading><DescriptorName UI="D{rng.randrange(10**6):06d}" MajorTopicYN="N">'
                   f'{rng.choice(WORDS).capitalize()}</DescriptorName></MeshHeading>' for _ in range(6))
    return (f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
            f'<Article PubModel="Print"><Journal><ISSN IssnType="Print">0000-0000</ISSN><JournalIssue CitedMedium="Print">'
            f'<Volume>{rng.randint(1, 90)}</Volume><PubDate><Year>{rng.randint(1970, 2025)}</Year></PubDate>'
            f'</JournalIssue><Title>Generated Journal {rng.randint(1, 500)}</Title></Journal>'
            f'<ArticleTitle>{title} <i>in vivo</i>.</ArticleTitle><Abstract>{abstract}</Abstract>'
            f'<AuthorList CompleteYN="Y">{authors}</AuthorList><Language>eng</Language>'
            f'<PublicationTypeList><PublicationType UI="D002363">Case Reports</PublicationType></PublicationTypeList>'
            f'</Article><MedlineJournalInfo><MedlineTA>Gen J</MedlineTA></MedlineJournalInfo>'
            f'<MeshHeadingList>{mesh}</MeshHeadingList></MedlineCitation><PubmedData>'
            f'<PublicationStatus>ppublish</PublicationStatus><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
            f'<ArticleId IdType="doi">10.99999/gen.{pmid}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>\n')


def pubmed_xml(path: Path, n: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as stream:
        stream.write(DOCTYPE + "<PubmedArticleSet>\n")
        for i in range(n):
            stream.write(_article(30_000_000 + i, rng))
        stream.write("</PubmedArticleSet>\n")
    return path


def records_with_duplicates(n: int, share: float = 0.2, seed: int = 2) -> tuple[list[Record], set[tuple[str, str]]]:
    """n records of which about `share` are planted duplicates of earlier ones: DOI case changed, title
    punctuation/markup/diacritics changed, or the DOI dropped. Returns the records and the planted pairs."""
    rng = random.Random(seed)
    originals = int(n * (1 - share))
    records = []
    for i in range(originals):
        title = f"{' '.join(rng.choice(WORDS) for _ in range(9))} {i}"
        records.append(Record(f"a:{i}", "a", title=title, authors=[f"Author{rng.randrange(10**5)} A"],
                              year=rng.randint(1980, 2025), doi=f"10.5555/x.{i}" if rng.random() < 0.8 else ""))
    planted = set()
    for j in range(n - originals):
        original = records[rng.randrange(originals)]
        kind = rng.choice(("doi-case", "title-markup", "no-doi"))
        title, doi = original.title, original.doi
        if kind == "doi-case" and doi:
            doi = "https://doi.org/" + doi.upper()
        elif kind == "title-markup":
            title = "<i>" + title.replace(" ", ", ", 1).upper().replace("E", "É", 1) + "</i>."
        else:
            doi = ""
        duplicate = Record(f"b:{j}", "b", title=title, authors=[original.authors[0].upper()], year=original.year,
                           doi=doi)
        records.append(duplicate)
        planted.add((duplicate.record_id, original.record_id))
    return records, planted


def scaled_project(source: Path, target: Path, factor: int) -> Path:
    """A copy of the project whose included studies are repeated `factor` times under new ids (synthetic
    copies for timing only; the copies never leave the temporary folder)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".venv", ".git", "reports", "__pycache__", "bench",
                                                                  ".pytest_cache", "*.egg-info", "docs"))
    if factor == 1:
        return target
    extraction, appraisal = target / "data/extraction", target / "data/appraisal"
    bib = (target / "references.bib").open("a", encoding="utf-8")
    ledger = (target / "data/screening/ledger.csv").open("a", encoding="utf-8")
    forms = sorted(extraction.glob("*.yaml"))
    for copy in range(1, factor):
        for path in forms:
            form = yaml.safe_load(path.read_text(encoding="utf-8"))
            key = f"{form['study_id']}_x{copy}"
            form["study_id"] = key
            for patient in form["patients"]:
                patient["patient_id"] = f"{key}-{patient['patient_id'].rsplit('-', 1)[1]}"
            (extraction / f"{key}.yaml").write_text(yaml.safe_dump(form, sort_keys=False, allow_unicode=True))
            graded = yaml.safe_load((appraisal / path.name).read_text(encoding="utf-8"))
            graded["study_id"] = key
            (appraisal / f"{key}.yaml").write_text(yaml.safe_dump(graded, sort_keys=False, allow_unicode=True))
            bib.write(f"\n@article{{{key},\n  title = {{Synthetic copy {copy} of {form['study_id']}}},\n"
                      f"  url = {{{form['url']}}}\n}}\n")
    bib.close()
    ledger.close()
    return target
