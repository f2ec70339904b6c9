import pytest

from pipeline.core.errors import BuildError
from pipeline.extract.references import load_bibliography
from pipeline.report.citations import bibliography_html, cite, number_citations

BIB = r"""
@article{zhang2022,
  author = {Zhang, Wěi and Ó Briain, Seán},
  title = {IgA Nephropathy in Anti-TIF1$\gamma$ Dermatomyositis: a Case},
  journal = {Front Immunol}, year = {2022}, doi = {10.3389/fimmu.2022.757802}, pmid = {35250986},
  url = {https://example.org/zhang}
}
@article{freire2010,
  title = {Polymyositis associated with nephrotic syndrome},
  journal = {Rev Bras Reumatol}, year = {2010}, url = {https://example.org/freire}
}
"""


@pytest.fixture
def bibliography(tmp_path):
    path = tmp_path / "references.bib"
    path.write_text(BIB, encoding="utf-8")
    return load_bibliography(path)


def test_numbers_follow_first_citation(bibliography):
    page, order = number_citations(f"<p>{cite('freire2010')} then {cite('zhang2022', 'freire2010')}</p>",
                                   set(bibliography.entries))
    assert order == ["freire2010", "zhang2022"]
    assert "href='#ref-freire2010'>1</a>]" in page
    assert "[<a class='cite' href='#ref-zhang2022'>2</a>, <a class='cite' href='#ref-freire2010'>1</a>]" in page


def test_unknown_keys_fail_the_build(bibliography):
    with pytest.raises(BuildError, match="nosuch2020"):
        number_citations(cite("nosuch2020"), set(bibliography.entries))


def test_bibliography_keeps_names_capitals_and_links(bibliography):
    html = bibliography_html(bibliography, ["zhang2022", "freire2010"])
    assert html.index('id="ref-zhang2022"') < html.index('id="ref-freire2010"')
    assert "Wěi Zhang" in html and "Seán Ó&nbsp;Briain" in html  # pybtex ties the particle
    assert "IgA Nephropathy in Anti-TIF1" in html  # the style does not lower-case titles
    assert '<a href="https://doi.org/10.3389/fimmu.2022.757802">' in html
    assert '<a href="https://pubmed.ncbi.nlm.nih.gov/35250986/">PMID:35250986</a>' in html
    assert "Polymyositis associated with nephrotic syndrome" in html  # no author, still formatted
