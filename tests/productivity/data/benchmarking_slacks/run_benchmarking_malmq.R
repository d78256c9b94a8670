# Reference Malmquist indices from R Benchmarking's malmq for tests/productivity/test_conventions.py:
# period 0 = case0.csv, period 1 = case2.csv (the same 60 unit ids). R 4.2.2, Benchmarking 0.33.
suppressMessages(library(Benchmarking))
dir <- commandArgs(trailingOnly = TRUE)[1]
a <- read.csv(file.path(dir, "case0.csv")); b <- read.csv(file.path(dir, "case2.csv"))
rows <- c()
for (rts in c("crs", "vrs")) for (ori in c("in", "out")) {
  r <- malmq(as.matrix(a[, 1:2]), as.matrix(a[, 3:4]), NULL, as.matrix(b[, 1:2]), as.matrix(b[, 3:4]), NULL,
             RTS = rts, ORIENTATION = ori)
  rows <- c(rows, sprintf("%s,%s,%d,%.17g,%.17g,%.17g", rts, ori, r$id, r$m, r$tc, r$ec))
}
writeLines(c("rts,orientation,unit,m,tc,ec", rows), file.path(dir, "malmq_bm.csv"))
