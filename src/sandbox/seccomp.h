/* The cell's syscall filter: a deny list of named rules, each stopping one class of attack.
 * Built before the other layers are applied (libseccomp allocates), loaded last, just before
 * exec, so that nothing brig itself does after it needs a denied call. */
#ifndef BRIG_SANDBOX_SECCOMP_H
#define BRIG_SANDBOX_SECCOMP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Rule groups by index; a profile relaxes a group by name (e.g. `ptrace = true`). */
size_t sc_rule_count(void);
const char *sc_rule_name(size_t i);
const char *sc_rule_stops(size_t i);
/* A rule that may not be relaxed by any profile (mount, tty injection...). */
int sc_rule_relaxable(size_t i);
/* Index of the named rule group, or -1. */
int sc_rule_index(const char *name);

/* A compiled filter: classic BPF, ready to load without allocating. Two programs: libseccomp's
 * (calls denied by number, foreign architectures killed) and brig's own argument checks. */
struct sc_prog {
	void *insns;
	unsigned short len;
	void *args_insns;
	unsigned short args_len;
};

/* relaxed: bit i set = rule group i is not installed. Returns 0, or -1 with *err set. */
int sc_build(uint64_t relaxed, struct sc_prog *out, char **err);
/* Loads the filter into the calling thread; requires no_new_privs. */
int sc_load(const struct sc_prog *prog, char **err);
void sc_prog_free(struct sc_prog *prog);

/* [{name, stops, active, relaxable}] for `brig check`. */
json_t *sc_rules_json(uint64_t relaxed);

#endif
