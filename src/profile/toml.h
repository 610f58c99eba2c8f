/* A TOML 1.0 parser. Debian ships no C TOML library, so brig has its own, held to the official
 * toml-test suite (tests/toml). Every value keeps the line and column it was written at, so a
 * profile error can name the exact place. */
#ifndef BRIG_PROFILE_TOML_H
#define BRIG_PROFILE_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum toml_type {
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOL,
	TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
	TOML_DATETIME_LOCAL, /* 1979-05-27T07:32:00 */
	TOML_DATE_LOCAL,     /* 1979-05-27 */
	TOML_TIME_LOCAL,     /* 07:32:00 */
	TOML_ARRAY,
	TOML_TABLE,
};

struct toml_pos {
	int line; /* 1-based */
	int col;  /* 1-based, in bytes */
};

struct toml_table;
struct toml_value;
struct toml_index;

struct toml_array {
	struct toml_value **items;
	size_t n;
};

struct toml_value {
	enum toml_type type;
	struct toml_pos pos;
	union {
		struct {
			char *ptr; /* NUL-terminated; may contain NUL bytes only if len says so */
			size_t len;
		} str;
		int64_t i;
		double f;
		bool b;
		char *datetime; /* the literal as written, 'T' normalised: "1979-05-27T07:32:00Z" */
		struct toml_array arr;
		struct toml_table *tab;
	} u;
	unsigned flags; /* parser bookkeeping: set on arrays built by [[...]] headers */
};

struct toml_kv {
	char *key; /* one key segment, unescaped */
	size_t key_len;
	struct toml_pos pos; /* where the key was written */
	struct toml_value *val;
};

struct toml_table {
	struct toml_kv *kvs; /* in document order */
	size_t n, cap;
	struct toml_pos pos;
	unsigned flags; /* parser bookkeeping (defined / implicit / inline / array-of-tables) */
	struct toml_index *index; /* key hash, built once a table grows past a few keys */
};

struct toml_error {
	int line, col;
	char msg[256];
};

/* Parses a whole document. On failure returns NULL and fills err (line, col, message). */
struct toml_table *toml_parse(const char *buf, size_t len, struct toml_error *err);
void toml_free(struct toml_table *t);

/* Looks a key up in one table (no dotted paths). NULL when absent. */
const struct toml_value *toml_get(const struct toml_table *t, const char *key);
/* Like toml_get, also returning the key's own position. */
const struct toml_kv *toml_get_kv(const struct toml_table *t, const char *key);

/* Deepest nesting of tables and arrays a document may have; deeper input is an error, so that
 * neither the parser nor code walking the tree recursively can run out of stack. */
#define TOML_MAX_DEPTH 1000

/* "string", "integer", ... for error messages. */
const char *toml_type_name(enum toml_type type);

#endif
