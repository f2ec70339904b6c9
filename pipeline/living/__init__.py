"""The living cycle around the stages: `lsr refresh` searches, queues, validates and publishes reports/vN when a
published value or a method changed, with the version record saying what moved (PRISMA-LSR).

Reads everything the build reads and reports/versions.json; writes reports/vN, reports/latest,
reports/versions.json, reports/index.html and CHANGELOG.md."""
