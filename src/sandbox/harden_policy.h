/* [seccomp], [landlock], [limits], [protect]: the cell's hardening layers. Parsed here; applied by
 * harden.c just before exec. */
#ifndef BRIG_SANDBOX_HARDEN_POLICY_H
#define BRIG_SANDBOX_HARDEN_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "profile/posture.h"
#include "profile/schema.h"

#define HARDEN_MAX_RULES 64

/* A limit of 0 means "no limit". */
struct harden_limits {
	bool enabled;
	bool from_profile;   /* a [limits] table was given: a weaker fallback is warned about */
	int64_t memory;      /* bytes: cgroup memory.max, else RLIMIT_DATA per process */
	int64_t pids;        /* cgroup pids.max, else RLIMIT_NPROC */
	int64_t cpu_percent; /* cgroup cpu.max, 100 = one CPU; no rlimit equivalent */
	int64_t cpu_seconds; /* RLIMIT_CPU per process */
	int64_t nofile;      /* RLIMIT_NOFILE */
	int64_t fsize;       /* bytes: RLIMIT_FSIZE */
};

struct harden_policy {
	bool seccomp;  /* the syscall filter is on */
	bool landlock; /* the Landlock layer is on */
	/* [seccomp] NAME = true lifts rule group NAME (seccomp.h); never silently: where it was
	 * lifted is kept for `brig check` and the warning at start. */
	uint64_t seccomp_relaxed;
	char *seccomp_relaxed_where[HARDEN_MAX_RULES];
	int landlock_min_abi;   /* refuse to start below this ABI (0: any, when landlock is on) */
	bool landlock_required; /* refuse to start when the kernel has no Landlock at all */
	bool landlock_scope;    /* ABI 6: abstract unix sockets and signals stay in the cell */
	struct harden_limits limits;
	bool protect; /* protected paths on */
	struct pos_strv protect_extra; /* [protect] paths added by the profile */
	struct pos_strv protect_lift;  /* [protect] lift: default entries the profile gives up */
};

void harden_policy_defaults(struct harden_policy *hp, enum posture posture);
/* name is the table's name ("seccomp", "landlock", "limits", "protect"); returns 1 when that table
 * belongs to hardening and was parsed, 0 when the name is not one of ours, -1 on error. */
int harden_policy_parse_table(struct schema_ctx *c, const char *name, const struct toml_table *t,
			      struct harden_policy *hp);
json_t *harden_policy_to_json(const struct harden_policy *hp);
void harden_policy_free(struct harden_policy *hp);

/* "2G", "512M", "1024" (bytes); returns -1 on a malformed size. */
int harden_parse_size(const char *s, int64_t *out);

#endif
