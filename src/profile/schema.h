/* Typed, strict access to a profile's TOML tables. Unknown keys and wrong types are errors that
 * name file:line:col, the table and key, and what was expected: a typo must never produce a
 * silently weaker sandbox. Each area (network, hardening, review) parses its own table with these. */
#ifndef BRIG_PROFILE_SCHEMA_H
#define BRIG_PROFILE_SCHEMA_H

#include <stdbool.h>
#include <stdint.h>

#include "profile/toml.h"
#include "util/xalloc.h"

struct schema_ctx {
	const char *file; /* for messages; "built-in preset" when none */
	char err[1024];   /* the first error */
};

/* Records an error at pos; always returns -1. */
int schema_fail(struct schema_ctx *c, struct toml_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fails on any key of table t (named tname, e.g. "[network]") not in the NULL-terminated list. */
int schema_known_keys(struct schema_ctx *c, const struct toml_table *t, const char *tname,
		      const char *const *allowed);

/* Each returns 1 when the key was present and valid, 0 when absent, -1 on error. */
int schema_bool(struct schema_ctx *c, const struct toml_table *t, const char *tname, const char *key,
		bool *out);
int schema_string(struct schema_ctx *c, const struct toml_table *t, const char *tname,
		  const char *key, char **out);
int schema_int(struct schema_ctx *c, const struct toml_table *t, const char *tname, const char *key,
	       int64_t min, int64_t max, int64_t *out);
/* An array of strings; positions of each item are kept for later messages (pos may be NULL). */
struct pos_strv {
	struct strv sv;
	struct toml_pos *pos;
};
int schema_strings(struct schema_ctx *c, const struct toml_table *t, const char *tname,
		   const char *key, struct pos_strv *out);
void pos_strv_push(struct pos_strv *p, const char *s, struct toml_pos pos);
void pos_strv_free(struct pos_strv *p);
/* A sub-table, e.g. [network] in the document root. */
int schema_table(struct schema_ctx *c, const struct toml_table *t, const char *key,
		 const struct toml_table **out);
/* "FILE:LINE:COL" for messages about an item parsed earlier. */
char *schema_where(const struct schema_ctx *c, struct toml_pos pos);

#endif
