/* Shared between the parts of the TOML parser; not for use outside src/profile/toml*.c. */
#ifndef BRIG_PROFILE_TOML_INTERNAL_H
#define BRIG_PROFILE_TOML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "profile/toml.h"

/* toml_table.flags */
enum {
	TAB_IMPLICIT = 1u << 0, /* created as the parent of a [a.b] header; [a] may still define it */
	TAB_DEFINED = 1u << 1,  /* defined by its own [header] */
	TAB_DOTTED = 1u << 2,   /* created by a dotted key; only dotted keys may add to it */
	TAB_INLINE = 1u << 3,   /* written as { ... }: closed for good once written */
};

/* toml_value.flags */
enum {
	VAL_AOT = 1u << 0, /* array built by [[header]]s, which later [[header]]s may extend */
};

struct toml_parser {
	const char *buf, *cur, *end;
	int line;
	const char *line_start;
	struct toml_error *err;
	bool failed;
};

/* A growable byte buffer for unescaped strings. */
struct toml_buf {
	char *p;
	size_t n, cap;
};

/* --- toml_lex.c: cursor, errors, whitespace, comments, strings, keys */
bool tp_fail(struct toml_parser *p, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct toml_pos tp_pos(const struct toml_parser *p, const char *at);
const char *tp_describe(const struct toml_parser *p, const char *at, char out[32]);
const char *tp_quote(const char *s, size_t len, char out[80]);
void tp_skip_ws(struct toml_parser *p);
bool tp_at_newline(const struct toml_parser *p);
bool tp_newline(struct toml_parser *p);
bool tp_comment(struct toml_parser *p);
bool tp_skip_ws_nl(struct toml_parser *p);
bool tp_line_end(struct toml_parser *p, const char *after);
bool tp_string(struct toml_parser *p, struct toml_buf *out, bool key);
bool tp_key_segment(struct toml_parser *p, struct toml_buf *out);
size_t toml_utf8_check(const char *s, size_t len);
size_t toml_utf8_cut(const char *s, size_t n);

void tb_putc(struct toml_buf *b, char c);
void tb_put(struct toml_buf *b, const char *s, size_t n);
char *tb_finish(struct toml_buf *b, size_t *len);

/* --- toml_number.c */
bool tp_number(struct toml_parser *p, struct toml_value *v);

/* --- toml_datetime.c: the cursor is on a digit; false (no error) when it is no date/time. */
bool tp_looks_datetime(const struct toml_parser *p);
bool tp_datetime(struct toml_parser *p, struct toml_value *v);

/* --- toml_table.c */
struct toml_table *tab_new(struct toml_pos pos, unsigned flags);
struct toml_kv *tab_find(const struct toml_table *t, const char *key, size_t len);
struct toml_kv *tab_add(struct toml_table *t, char *key, size_t len, struct toml_pos pos,
			struct toml_value *val);
struct toml_value *val_new(enum toml_type type, struct toml_pos pos);
void val_free(struct toml_value *v);
void arr_push(struct toml_array *a, struct toml_value *v);

#endif
