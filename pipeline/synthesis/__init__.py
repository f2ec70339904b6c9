"""Stage 4, synthesis: the answer computed from the tidy tables: the patients under the report parameters,
proportions with confidence intervals, subgroup associations, treatments and outcomes, the claims checked.

Reads the tidy tables (through the data catalog); writes nothing. Pure functions, tested on small tables."""
