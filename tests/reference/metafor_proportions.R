# Reference values for tests/test_meta.py: random-effects meta-analysis of proportions on the logit scale
# (metafor::rma with measure "PLO"), DerSimonian-Laird and Paule-Mandel, on two published data sets that ship
# with metadat and on the review's own cohorts. Run: Rscript tests/reference/metafor_proportions.R
# (Debian: apt-get install r-cran-metafor). The tests do not need R: they carry the printed values.
suppressMessages(library(metafor))

sets <- list(
  pritz1997 = dat.pritz1997[, c("xi", "ni")],
  debruin2009 = dat.debruin2009[, c("xi", "ni")],
  kidney_involvement = data.frame(xi = c(35, 30, 14), ni = c(150, 146, 65))
)

for (name in names(sets)) {
  d <- escalc(measure = "PLO", xi = xi, ni = ni, data = sets[[name]])
  cat(sprintf("%s xi=c(%s) ni=c(%s)\n", name, paste(sets[[name]]$xi, collapse = ","),
              paste(sets[[name]]$ni, collapse = ",")))
  for (method in c("DL", "PM")) {
    fit <- rma(yi, vi, data = d, method = method)
    p <- predict(fit, transf = transf.ilogit)
    cat(sprintf("  %s k=%d estimate=%.6f ci=(%.6f, %.6f) pi=(%.6f, %.6f) tau2=%.6f i2=%.4f\n",
                method, fit$k, p$pred, p$ci.lb, p$ci.ub, p$pi.lb, p$pi.ub, fit$tau2, fit$I2 / 100))
  }
}
