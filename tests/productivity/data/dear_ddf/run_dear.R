# Reference DDF results from deaR 1.5.3 (model_dir + efficiencies) for tests/productivity/test_conventions.py.
# deaR's R files are sourced (only lpSolve is needed for model_dir; the plotting imports are not):
#   Rscript run_dear.R <deaR source folder> <output folder>        (R 4.2.2, lpSolve from Debian)
suppressMessages(library(lpSolve))
args <- commandArgs(trailingOnly = TRUE)
for (f in list.files(file.path(args[1], "R"), full.names = TRUE)) source(f)
load(file.path(args[1], "data", "Coelli_1998.RData"))
d <- make_deadata(Coelli_1998, ni = 2, no = 1)
zero_in <- matrix(0, nrow = 2, ncol = 5)
out <- c("rts,direction,dmu,beta,rho")
for (rts in c("crs", "vrs")) for (dir in c("input_output", "output")) {
  r <- model_dir(d, dir_input = if (dir == "output") zero_in else d$input, dir_output = d$output, rts = rts)
  beta <- sapply(r$DMU, function(x) x$beta); rho <- efficiencies(r)
  out <- c(out, sprintf("%s,%s,%s,%.17g,%.17g", rts, dir, Coelli_1998$dmus, beta, rho))
}
writeLines(out, file.path(args[2], "dear_model_dir.csv"))
write.csv(Coelli_1998[, 1:4], file.path(args[2], "coelli_1998.csv"), row.names = FALSE)
