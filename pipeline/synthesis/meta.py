"""How often: meta-analysis of proportions over the context cohorts.

Per study, the proportion with its exact (Clopper-Pearson) interval. Pooled on the logit scale with random
effects, DerSimonian-Laird and Paule-Mandel, by statsmodels' `combine_effects`; the confidence and the
prediction interval, tau² and I² are reported as R's metafor reports them (`rma(measure = "PLO")`, the test's
reference): a study with 0 or all events gets 0.5 added to its cells, the prediction interval uses the normal
quantile and sqrt(tau² + SE²), and I² is tau² / (tau² + the typical within-study variance). Leave-one-out
shows how much one cohort moves a pooled figure. Fewer than three cohorts make a pooled figure fragile."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.proportion import proportion_confint

# statsmodels' names for the between-study variance estimators.
METHODS = {"DL": "chi2", "PM": "iterated"}
METHOD_NAMES = {"DL": "DerSimonian-Laird", "PM": "Paule-Mandel"}
FRAGILE_BELOW = 3
POOLED_COLUMNS = ["outcome", "method", "k", "events", "n", "estimate", "ci_low", "ci_high", "pi_low", "pi_high",
                  "tau2", "i2"]


DM_ONLY = "dermatomyositis only"
DM_ONLY_SUFFIX = ", dermatomyositis only"  # the sensitivity analysis's outcome name in meta_pooled.csv


def logit_effects(events: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log odds and their variances; a study with 0 or n events gets 0.5 added to both cells."""
    events, n = np.asarray(events, dtype=float), np.asarray(n, dtype=float)
    edge = (events == 0) | (events == n)
    x, total = np.where(edge, events + 0.5, events), np.where(edge, n + 1.0, n)
    return np.log(x / (total - x)), 1.0 / x + 1.0 / (total - x)


def pool(events, n, method: str = "DL", level: float = 0.95) -> dict[str, float]:
    """Random-effects pooled proportion of two or more studies, back-transformed from the logit scale."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    y, v = logit_effects(events, n)
    if len(y) < 2:
        raise ValueError("pooling needs two or more studies")
    with np.errstate(invalid="ignore"):  # a negative DL tau² makes statsmodels take a square root of it
        result = combine_effects(y, v, method_re=METHODS[method], use_t=False, alpha=1 - level)
    if result.tau2 > 0:
        mean, se, tau2 = float(result.mean_effect_re), float(result.sd_eff_w_re), float(result.tau2)
    else:  # statsmodels leaves DerSimonian-Laird's tau² negative when Q < df; at tau² = 0 the model is the fixed one
        mean, se, tau2 = float(result.mean_effect_fe), float(result.sd_eff_w_fe), 0.0
    z = norm.ppf(1 - (1 - level) / 2)
    w = 1.0 / v
    typical = (len(w) - 1) * w.sum() / (w.sum() ** 2 - (w ** 2).sum())
    spread = np.sqrt(tau2 + se ** 2)
    return {"k": len(y), "events": int(np.sum(events)), "n": int(np.sum(n)), "estimate": float(expit(mean)),
            "ci_low": float(expit(mean - z * se)), "ci_high": float(expit(mean + z * se)),
            "pi_low": float(expit(mean - z * spread)), "pi_high": float(expit(mean + z * spread)),
            "tau2": tau2, "i2": tau2 / (tau2 + typical)}


def study_proportions(inputs: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Each study's proportion with its exact interval (the forest plot's rows)."""
    low, high = proportion_confint(inputs.events, inputs.n, alpha=1 - level, method="beta")
    return inputs.assign(proportion=inputs.events / inputs.n, ci_low=np.asarray(low, dtype=float),
                         ci_high=np.asarray(high, dtype=float))


def pooled_table(inputs: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Every outcome that two or more studies report, pooled by each method (data/processed/meta_pooled.csv)."""
    rows = []
    dm_only = inputs[inputs.scope == DM_ONLY].assign(outcome=lambda f: f.outcome + DM_ONLY_SUFFIX)
    for outcome, group in pd.concat([inputs, dm_only]).groupby("outcome", sort=True):
        if len(group) < 2:
            continue
        for method in METHODS:
            rows.append({"outcome": outcome, "method": method, **pool(group.events, group.n, method, level)})
    return pd.DataFrame(rows, columns=POOLED_COLUMNS)


def leave_one_out(inputs: pd.DataFrame, outcome: str, method: str = "DL", level: float = 0.95) -> pd.DataFrame:
    """The pooled proportion with each study left out in turn (needs three or more studies)."""
    group = inputs[inputs.outcome == outcome].reset_index(drop=True)
    rows = []
    if len(group) >= FRAGILE_BELOW:
        for index, left_out in group.iterrows():
            rest = group.drop(index)
            rows.append({"left out": left_out.study_id, **pool(rest.events, rest.n, method, level)})
    return pd.DataFrame(rows, columns=["left out", *POOLED_COLUMNS[2:]])
