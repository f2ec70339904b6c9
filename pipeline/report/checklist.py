"""The PRISMA 2020 checklist (27 items) and the PRISMA-LSR items, each pointing at the section of this page that
answers it, or saying why it is not done. A test builds the page and checks that every anchor exists."""

from __future__ import annotations

from dataclasses import dataclass

from IPython.display import HTML

from pipeline.report.display import escape


@dataclass(frozen=True)
class Item:
    number: str
    topic: str
    where: str  # a section anchor of the page, or "" when not done
    note: str = ""


PRISMA_2020 = (
    Item("1", "Title: identify the report as a systematic review", "what-the-evidence-says", "the page title names a living systematic review"),
    Item("2", "Abstract", "what-the-evidence-says", "a summary by facet with numbers and certainty, not a structured abstract"),
    Item("3", "Rationale", "the-question"),
    Item("4", "Objectives", "the-question"),
    Item("5", "Eligibility criteria", "protocol-and-eligibility"),
    Item("6", "Information sources, with the date each was last searched", "sources-and-search-strategies"),
    Item("7", "Search strategies", "sources-and-search-strategies", "queries as run; the offline corpus's queries are logged per run"),
    Item("8", "Selection process", "screening-agreement", "blind screening, consensus rows; the reviewers are AI assistants"),
    Item("9", "Data collection process", "dual-extraction", "two independent extractions, settled against the source"),
    Item("10a", "Data items: outcomes", "protocol-and-eligibility", "PROTOCOL.md, Outcomes"),
    Item("10b", "Data items: other variables", "characteristics-of-included-patients"),
    Item("11", "Study risk of bias assessment", "critical-appraisal-jbi-checklist-for-case-reports"),
    Item("12", "Effect measures", "how-often-the-cohorts-pooled", "proportions; counts for case reports"),
    Item("13a", "Synthesis methods: which studies enter which synthesis", "how-often-the-cohorts-pooled",
         "cohorts with events and denominators are pooled; case-report patients are counted, never pooled with them"),
    Item("13b", "Synthesis methods: preparing the data", "changes-from-the-protocol"),
    Item("13c", "Synthesis methods: displaying results", "how-often-the-cohorts-pooled", "tables and forest plots"),
    Item("13d", "Synthesis methods: the synthesis", "how-often-the-cohorts-pooled",
         "random effects on the logit scale, DerSimonian-Laird and Paule-Mandel"),
    Item("13e", "Synthesis methods: heterogeneity", "how-often-the-cohorts-pooled", "tau², I², prediction intervals"),
    Item("13f", "Synthesis methods: sensitivity analyses", "parameters-of-this-build", "report parameters; leave-one-out"),
    Item("14", "Reporting bias assessment", "",
         "not done: with case reports and three small cohorts, publication bias cannot be assessed (Limitations)"),
    Item("15", "Certainty assessment", "what-the-evidence-says", "a certainty label with its reason for every statement"),
    Item("16a", "Results of the search and selection", "flow-of-records-prisma-2020-updated-review"),
    Item("16b", "Studies that seemed eligible but were excluded", "reports-not-retrieved"),
    Item("17", "Study characteristics", "evidence-table"),
    Item("18", "Risk of bias in studies", "critical-appraisal-jbi-checklist-for-case-reports"),
    Item("19", "Results of individual studies", "evidence-table", "and each cohort in the frequency tables"),
    Item("20a", "Results of syntheses: characteristics and risk of bias of the contributing studies", "how-often-the-cohorts-pooled"),
    Item("20b", "Results of syntheses: the results", "how-often-the-cohorts-pooled"),
    Item("20c", "Results of syntheses: heterogeneity", "how-often-the-cohorts-pooled"),
    Item("20d", "Results of syntheses: sensitivity analyses", "how-often-the-cohorts-pooled"),
    Item("21", "Reporting biases", "", "not done (item 14)"),
    Item("22", "Certainty of evidence", "what-the-evidence-says"),
    Item("23a", "Discussion: interpretation", "what-the-evidence-says"),
    Item("23b", "Discussion: limitations of the evidence", "limitations"),
    Item("23c", "Discussion: limitations of the review processes", "limitations"),
    Item("23d", "Discussion: implications", "what-the-evidence-says", "What the evidence cannot say"),
    Item("24a", "Registration", "review-information"),
    Item("24b", "Protocol", "protocol-and-eligibility", "PROTOCOL.md"),
    Item("24c", "Amendments to the protocol", "changes-from-the-protocol"),
    Item("25", "Support", "review-information"),
    Item("26", "Competing interests", "review-information"),
    Item("27", "Availability of data, code and other materials", "download-the-data"),
)

PRISMA_LSR = (
    Item("LSR 1", "Version number and date", "what-the-evidence-says", "in the page's heading"),
    Item("LSR 2", "What triggered this version", "what-changed-since-the-previous-version"),
    Item("LSR 3", "Changes since the preceding version (results and methods)", "what-changed-since-the-previous-version"),
    Item("LSR 4", "Search schedule", "living-review-schedule-prisma-lsr"),
    Item("LSR 5", "Plan for retiring from living mode", "living-review-schedule-prisma-lsr"),
    Item("LSR 6", "Date each source was last searched", "sources-and-search-strategies"),
)


def checklist_html() -> HTML:
    rows = []
    for item in (*PRISMA_2020, *PRISMA_LSR):
        answered = (f'<a href="#{escape(item.where)}">{escape(item.where.replace("-", " "))}</a>' if item.where
                    else "not done")
        rows.append(f"<tr><td>{escape(item.number)}</td><td>{escape(item.topic)}</td><td>{answered}</td>"
                    f"<td>{escape(item.note)}</td></tr>")
    return HTML('<div class="report-table-wrap"><p class="table-caption"><span class="table-number"></span> '
                'PRISMA 2020 and PRISMA-LSR items: where this page answers each.</p><table class="report-table">'
                '<thead><tr><th>item</th><th>topic</th><th>answered in</th><th>note</th></tr></thead><tbody>'
                + "".join(rows) + "</tbody></table></div>")


def anchors() -> set[str]:
    return {item.where for item in (*PRISMA_2020, *PRISMA_LSR) if item.where}
