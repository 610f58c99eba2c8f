/* Names inside a gated session's directory. */
#ifndef BRIG_GATE_GATE_PATHS_H
#define BRIG_GATE_GATE_PATHS_H

#define GATE_UPPER "upper"          /* overlay upper: the change set */
#define GATE_WORK "work"            /* overlay workdir */
#define GATE_SEEN "seen.json"       /* the lower's state of each changed path, taken at exit */
#define GATE_JOURNAL "apply.journal" /* paths of an apply under way; present = unfinished */
#define GATE_TMP_PREFIX ".brig-apply." /* temporary files apply writes next to their target */

#endif
