/* Findings for people (text, colour on a terminal), for programs (JSON) and for code-scanning
 * dashboards (SARIF 2.1.0). Previews only: a report never holds a whole secret. */
#ifndef BRIG_SCAN_REPORT_H
#define BRIG_SCAN_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "scan/scan.h"

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_SARIF };

struct report;

struct report *report_new(enum report_format fmt, FILE *out, int color);
/* commit: NULL unless the finding comes from git history. */
void report_add(struct report *r, const char *file, const char *commit, const struct scan_finding *f);
size_t report_count(const struct report *r);
/* Writes JSON/SARIF documents or the text summary, then frees the report. */
void report_finish(struct report *r, size_t files, uint64_t bytes);

#endif
