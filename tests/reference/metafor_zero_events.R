# Reference values for Mantel-Haenszel and Peto pooling of 2x2 tables with zero events, computed
# with metafor's rma.mh() and rma.peto() (default arguments: add = 1/2, to = "only0",
# drop00 = TRUE for the per-table effects behind Q; no correction for the pooled estimate).
# Writes tests/reference/metafor_zero_events.json, which tests/test_zero_events.py reads; the
# project does not need R to run its tests. Regenerate (with Debian's r-cran-metafor) by
#   Rscript tests/reference/metafor_zero_events.R > tests/reference/metafor_zero_events.json
suppressPackageStartupMessages({library(metafor); library(jsonlite)})

cases <- list(
  list(name = "issue19_k2_one_double_zero",
       description = "k = 2: one trial with events, one with no event in either arm (the example of issue 19)",
       ai = c(181, 0), n1i = c(187, 33), ci = c(82, 0), n2i = c(228, 150)),
  list(name = "single_arm_zeros_k3",
       description = "k = 3: no event in the control arm of one trial and in the treatment arm of another",
       ai = c(5, 10, 0), n1i = c(50, 100, 40), ci = c(0, 3, 2), n2i = c(50, 100, 40)),
  list(name = "two_double_zero_k4",
       description = "k = 4: two double-zero trials, one with a zero control arm, one without zero cells",
       ai = c(0, 3, 7, 0), n1i = c(20, 30, 60, 25), ci = c(0, 0, 2, 0), n2i = c(20, 30, 60, 25)),
  list(name = "one_informative_left_k3",
       description = "k = 3: two double-zero trials leave one informative trial",
       ai = c(4, 0, 0), n1i = c(50, 30, 45), ci = c(1, 0, 0), n2i = c(50, 30, 44)),
  list(name = "all_double_zero_k2",
       description = "k = 2: no event in any arm of any trial",
       ai = c(0, 0), n1i = c(30, 40), ci = c(0, 0), n2i = c(30, 40)),
  list(name = "events_in_treatment_arms_only_k2",
       description = "k = 2: events only in the treatment arms (no event in any control arm)",
       ai = c(3, 2), n1i = c(50, 40), ci = c(0, 0), n2i = c(50, 40)),
  list(name = "all_events_double_k3",
       description = "k = 3: one trial where every participant had the event in both arms",
       ai = c(30, 12, 9), n1i = c(30, 40, 20), ci = c(30, 5, 4), n2i = c(30, 40, 20)),
  list(name = "all_events_in_treatment_arms_k2",
       description = "k = 2: every treated participant had the event (no non-event in any treatment arm)",
       ai = c(20, 30), n1i = c(20, 30), ci = c(10, 12), n2i = c(20, 30)),
  list(name = "single_trial_zero_cell_k1",
       description = "k = 1: a single trial with no event in the treatment arm",
       ai = 0, n1i = 20, ci = 5, n2i = 20),
  list(name = "sparse_harms_k5",
       description = "k = 5: rare adverse events with 2:1 allocation, two double-zero trials",
       ai = c(2, 0, 1, 0, 3), n1i = c(300, 150, 400, 250, 500), ci = c(0, 0, 1, 0, 0),
       n2i = c(150, 75, 200, 120, 250))
)

fields <- function(res) {
  num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) NA else as.numeric(x)
  list(beta = num(res$beta), se = num(res$se), zval = num(res$zval), pval = num(res$pval),
       ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub), tau2 = num(res$tau2), QE = num(res$QE),
       QEp = num(res$QEp), I2 = num(res$I2), H2 = num(res$H2), k = res$k, k_yi = res$k.yi)
}

fit <- function(f) {
  warnings <- character(0)
  out <- withCallingHandlers(
    tryCatch(fields(f()), error = function(e) list(error = conditionMessage(e))),
    warning = function(w) {warnings <<- c(warnings, conditionMessage(w)); invokeRestart("muffleWarning")})
  if (length(warnings)) out$warnings <- unique(warnings)
  out
}

results <- lapply(cases, function(cs) {
  args <- list(ai = cs$ai, n1i = cs$n1i, ci = cs$ci, n2i = cs$n2i)
  cs$results <- list(
    MH_OR = fit(function() do.call(rma.mh, c(args, measure = "OR"))),
    MH_RR = fit(function() do.call(rma.mh, c(args, measure = "RR"))),
    MH_RD = fit(function() do.call(rma.mh, c(args, measure = "RD"))),
    PETO = fit(function() do.call(rma.peto, args)))
  cs
})

out <- list(
  generated_by = list(
    software = paste0("R ", R.version$major, ".", R.version$minor, ", metafor ",
                      as.character(packageVersion("metafor")), " (Debian r-cran-metafor; Viechtbauer 2010, ",
                      "https://www.metafor-project.org)"),
    script = "tests/reference/metafor_zero_events.R",
    command = "Rscript tests/reference/metafor_zero_events.R > tests/reference/metafor_zero_events.json",
    calls = c("rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, measure = m) for m in OR, RR, RD",
              "rma.peto(ai = ai, n1i = n1i, ci = ci, n2i = n2i)"),
    notes = paste("beta, se, ci_lb, ci_ub on the analysis scale (log OR, log RR, RD); I2 in percent;",
                  "null = NA in metafor; 'error' = metafor stopped with this message;",
                  "k = tables, k_yi = tables with an estimable per-table effect (Q has k_yi - 1 df).")),
  cases = results)
cat(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null", null = "null"), "\n")
