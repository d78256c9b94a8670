# Reference slacks from R Benchmarking (Bogetoft & Otto) for tests/productivity/test_slack_precision.py.
# Run: Rscript run_benchmarking.R <folder with case*.csv>   (R 4.2.2, Benchmarking 0.33, lpSolveAPI 5.5.2.0-17.15)
suppressMessages(library(Benchmarking))
dir <- commandArgs(trailingOnly = TRUE)[1]
for (f in Sys.glob(file.path(dir, "case?.csv"))) {
  d <- read.csv(f); X <- as.matrix(d[, c("x1", "x2")]); Y <- as.matrix(d[, c("y1", "y2")])
  for (rts in c("vrs", "crs")) for (ori in c("in", "out")) {
    e <- dea(X, Y, RTS = rts, ORIENTATION = ori, SLACK = TRUE)
    r <- cbind(eff = e$eff, sx1 = e$sx[, 1], sx2 = e$sx[, 2], sy1 = e$sy[, 1], sy2 = e$sy[, 2])
    txt <- apply(r, 1, function(v) paste(sprintf("%.17g", v), collapse = ","))
    writeLines(c("eff,sx1,sx2,sy1,sy2", txt), sub(".csv", paste0("_", rts, "_", ori, "_bm.csv"), f, fixed = TRUE))
  }
}
