"""The protocol's controlled vocabularies: the only values the tidy tables may hold."""

from __future__ import annotations

NOT_REPORTED = "not reported"

DESIGN = ("case report", "case series", "cohort")
EVIDENCE_LEVEL = ("full text", "abstract only")
AGE_GROUP = ("adult", "juvenile", NOT_REPORTED)
SEX = ("F", "M", NOT_REPORTED)
MYOSITIS_TYPE = ("DM", "JDM", "CADM", "DM overlap", "antisynthetase", "PM", "other IIM")
# The comparator stratum: reported apart, pooled only when a report parameter asks.
COMPARATOR_TYPES = ("PM", "other IIM")
YES_NO = ("yes", "no", NOT_REPORTED)
KIDNEY_PRESENTATION = (
    "nephrotic syndrome",
    "nephrotic-range proteinuria",
    "sub-nephrotic proteinuria",
    "other",
)
NS_TIMING = ("before", "concurrent", "after", NOT_REPORTED)
RENAL_HISTOLOGY = (
    "membranous nephropathy",
    "minimal change disease",
    "FSGS",
    "MPGN",
    "IgA nephropathy",
    "mesangial proliferative GN",
    "crescentic GN",
    "lupus nephritis",
    "thrombotic microangiopathy",
    "amyloidosis",
    "other glomerular",
    "no biopsy",
    NOT_REPORTED,
)
# Histology values that do not come from a kidney biopsy.
NON_BIOPSY_HISTOLOGY = ("no biopsy", NOT_REPORTED)
# "improved, remission not defined": the authors say the kidney disease improved (was relieved, regressed,
# resolved) without the numbers that define remission; counted apart from defined remission.
IMPROVED_UNDEFINED = "improved, remission not defined"
RENAL_OUTCOME = (
    "complete remission",
    "partial remission",
    IMPROVED_UNDEFINED,
    "no remission",
    "ESKD or dialysis",
    "death",
    NOT_REPORTED,
)
MUSCLE_OUTCOME = ("remission", "improved", "no response", NOT_REPORTED)
ANTIBODIES = (
    "anti-MDA5",
    "anti-NXP2",
    "anti-TIF1g",
    "anti-Mi-2",
    "anti-SAE",
    "anti-Jo-1",
    "anti-PL-7",
    "anti-PL-12",
    "anti-EJ",
    "anti-OJ",
    "anti-Ro52",
    "anti-U1RNP",
    "anti-PM-Scl",
    "ANA",
    "anti-dsDNA",
    "ANCA-MPO",
    "ANCA-PR3",
    "anti-PLA2R",
    "other",
)
AGENT = (
    "glucocorticoid",
    "methylprednisolone pulse",
    "methotrexate",
    "mycophenolate",
    "azathioprine",
    "cyclophosphamide",
    "tacrolimus",
    "cyclosporine",
    "rituximab",
    "IVIG",
    "plasma exchange",
    "ACE inhibitor or ARB",
    "diuretic",
    "statin",
    "hydroxychloroquine",
    "TNF inhibitor",
    "JAK inhibitor",
    "eculizumab",
    "tumour therapy",
    "other",
)
TARGET = ("kidney", "muscle", "both", NOT_REPORTED)
JBI_ANSWER = ("Yes", "No", "Unclear", "Not applicable")
JBI_ITEMS = (
    "Patient's demographic characteristics clearly described",
    "Patient's history clearly described and presented as a timeline",
    "Current clinical condition of the patient on presentation clearly described",
    "Diagnostic tests or assessment methods and the results clearly described",
    "Intervention(s) or treatment procedure(s) clearly described",
    "Post-intervention clinical condition clearly described",
    "Adverse events (harms) or unanticipated events identified and described",
    "Case report provides takeaway lessons",
)
SCREENING_STAGE = ("title/abstract", "full text")
SCREENING_DECISION = ("include", "exclude", "maybe", "not retrieved")
# A report sought at full text whose text could not be reached: PRISMA's "reports not retrieved".
NOT_RETRIEVED = "not retrieved"
EXCLUSION_REASONS = (
    "not myositis",
    "no glomerular or nephrotic kidney involvement",
    "non-glomerular kidney injury only",
    "kidney disease explained by another cause",
    "no individual patient data",
    "duplicate patient",
    "not human",
    "other",
)

ANTIBODY_SEPARATOR = "; "
