/* Landlock: a second, independent layer that repeats the file view in terms of access rights
 * (read-only where mounted read-only, nothing where nothing is mounted), and with ABI 6 scopes
 * abstract unix sockets and signals to the cell. Uses the best ABI the kernel offers. */
#ifndef BRIG_SANDBOX_LANDLOCK_H
#define BRIG_SANDBOX_LANDLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct plan;

/* The kernel's Landlock ABI: 0 when Landlock is missing or disabled (boot without lsm=landlock). */
int landlock_abi_version(void);

struct landlock_opts {
	bool scope;             /* ABI 6+: abstract unix sockets and signals stay inside */
	const uint16_t *ports;  /* ABI 4+: when nports > 0, TCP connect only to these ports */
	int nports;
};

/* Prepares the ruleset (opens every path of the plan, as seen inside the cell) without applying
 * it. Returns the ruleset fd (>= 0), or -1 with *err set. */
int landlock_prepare(const struct plan *plan, const struct landlock_opts *o, int abi, char **err);
/* Restricts the calling thread; closes the ruleset fd. */
int landlock_enforce(int ruleset_fd, char **err);

/* What the ABI in use covers, for `brig check`: "fs", "fs+refer", ... */
const char *landlock_abi_features(int abi);

#endif
