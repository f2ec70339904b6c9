"""Stage 2, screen: decisions on records, title/abstract then full text, blind and double where possible.

Reads the raw records, the duplicate links and data/screening/ledger.csv (one row per decision, kept by
reviewers); writes data/screening/queue.csv (records awaiting a decision, by relevance). Also computes
agreement between reviewers and the PRISMA 2020 flow counts."""
