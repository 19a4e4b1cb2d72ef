# Reference values for tests/stats/test_tau2.py, test_inference.py, test_heterogeneity.py and
# test_resampling.py: five made-up studies (no data of the book), fitted with metafor 3.8.1
# (Debian r-cran-metafor; Viechtbauer 2010, J Stat Softw 36(3)). The tests type the printed values
# with their source (this script); R is not needed to run them. Run: Rscript tests/reference/metafor_k5.R
# metafor's iterations stop at loose defaults (tau2 change < 1e-5; root finders at 1e-5 or
# eps^0.25, e.g. Q-profile bounds off by 1e-3 relative): TIGHT asks for the solution itself, which
# is what the engine computes (to 1e-8 relative or better).
suppressMessages(library(metafor))
options(digits = 12)
yi <- c(-0.5, 0.1, -0.9, -0.3, 0.4)
vi <- c(0.04, 0.09, 0.06, 0.12, 0.08)
g <- c("a", "a", "b", "b", "b")
TIGHT <- list(threshold = 1e-12, tol = 1e-12, maxiter = 1000)
for (m in c("DL", "HE", "SJ", "PM", "ML", "REML")) {
  r <- rma(yi, vi, method = m, control = TIGHT)
  cat(m, "tau2", r$tau2, "beta", r$beta[1], "se", r$se, "I2", r$I2, "H2", r$H2, "\n")
}
r <- rma(yi, vi, method = "REML", control = TIGHT)
cat("REML se.tau2", r$se.tau2, "ML se.tau2", rma(yi, vi, method = "ML", control = TIGHT)$se.tau2, "QE", r$QE, "QEp", r$QEp, "\n")
print(confint(r, control = TIGHT)$random)                        # Q-profile interval (Viechtbauer 2007)
p <- predict(r); cat("REML z: pi", p$pi.lb, p$pi.ub, "\n")
r <- rma(yi, vi, method = "REML", test = "knha", control = TIGHT)
cat("REML knha: se", r$se, "ci", r$ci.lb, r$ci.ub, "p", r$pval, "\n")
p <- predict(r); cat("REML knha: pi", p$pi.lb, p$pi.ub, "\n")
print(as.data.frame(leave1out(rma(yi, vi, method = "REML", control = TIGHT))))
m <- rma(yi, vi, mods = ~ factor(g), method = "FE")
cat("FE subgroups: QM", m$QM, "QMp", m$QMp, "QE", m$QE, "QEp", m$QEp, "\n")
cat("FE per group:", rma(yi[g == "a"], vi[g == "a"], method = "FE")$beta,
    rma(yi[g == "b"], vi[g == "b"], method = "FE")$beta, "\n")
