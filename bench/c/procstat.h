/*
 * BENCHMARK TOOL - NOT PRODUCT CODE.
 * Part of the cdk-gwlb-inspection benchmark (bench/). Compiled at bench time into bench/out/.
 *
 * Reads a process's CPU time (utime + stime, all threads) from /proc/PID/stat and its
 * resident set size (VmRSS) from /proc/PID/status.
 */
#ifndef BENCH_PROCSTAT_H
#define BENCH_PROCSTAT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* CPU seconds used by pid (0 when pid <= 0 or unreadable). */
static double proc_cpu_seconds(int pid) {
  if (pid <= 0) return 0;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  /* the command name (field 2) may contain spaces: fields resume after the last ')' */
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  p += 2; /* now at field 3 (state) */
  unsigned long long utime = 0, stime = 0;
  for (int field = 3; field <= 15 && *p; field++) {
    if (field == 14) utime = strtoull(p, NULL, 10);
    if (field == 15) stime = strtoull(p, NULL, 10);
    p = strchr(p, ' ');
    if (!p) break;
    p++;
  }
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* VmRSS of pid in KiB (0 when unreadable). */
static long proc_rss_kb(int pid) {
  if (pid <= 0) return 0;
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  long kb = 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmRSS:", 6) == 0) { kb = strtol(line + 6, NULL, 10); break; }
  }
  fclose(f);
  return kb;
}

#endif
