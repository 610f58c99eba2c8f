/* `brig scan --git`: the lines every commit added, across all refs. */
#ifndef BRIG_SCAN_GITHIST_H
#define BRIG_SCAN_GITHIST_H

#include <stddef.h>
#include <stdint.h>

#include "scan/report.h"
#include "scan/scan.h"

/* 0 done, -1 error (message printed). Adds to *bytes and *files. */
int scan_git_history(const struct scan_db *db, const char *repo, struct report *rep,
                     uint64_t *bytes, size_t *files);

#endif
