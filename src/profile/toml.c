/* The TOML document grammar: key/value pairs, [tables], [[arrays of tables]], values, and the
 * rules on which table may be defined or extended where. */
#include <stdlib.h>
#include <string.h>

#include "profile/toml.h"
#include "profile/toml_internal.h"
#include "util/xalloc.h"

struct seg {
	char *key;
	size_t len;
	struct toml_pos pos;
	const char *at;
};

struct keypath {
	struct seg *s;
	size_t n;
	const char *start, *end; /* the key as written, for messages */
};

static void keypath_free(struct keypath *kp)
{
	for (size_t i = 0; i < kp->n; i++)
		free(kp->s[i].key);
	free(kp->s);
	*kp = (struct keypath){0};
}

static bool too_deep(struct toml_parser *p, const char *at, int depth)
{
	if (depth <= TOML_MAX_DEPTH)
		return false;
	return !tp_fail(p, at, "nesting deeper than %d tables and arrays", TOML_MAX_DEPTH);
}

/* key = simple-key *( ws '.' ws simple-key ) */
static bool parse_key(struct toml_parser *p, struct keypath *kp)
{
	size_t cap = 0;
	tp_skip_ws(p);
	kp->start = p->cur;
	for (;;) {
		tp_skip_ws(p);
		if (kp->n == cap) {
			cap = cap ? cap * 2 : 4;
			kp->s = xreallocarray(kp->s, cap, sizeof *kp->s);
		}
		struct seg *s = &kp->s[kp->n];
		struct toml_buf b = {0};
		s->at = p->cur;
		s->pos = tp_pos(p, p->cur);
		if (!tp_key_segment(p, &b)) {
			free(b.p);
			return false;
		}
		s->key = tb_finish(&b, &s->len);
		kp->n++;
		kp->end = p->cur;
		if (kp->n > TOML_MAX_DEPTH)
			return tp_fail(p, s->at, "key has more than %d dotted parts", TOML_MAX_DEPTH);
		tp_skip_ws(p);
		if (p->cur >= p->end || *p->cur != '.')
			return true;
		p->cur++;
	}
}

/* The key as written, for messages. */
static const char *kp_text(const struct keypath *kp, char out[80])
{
	size_t n = (size_t)(kp->end - kp->start);
	if (n > 60)
		n = toml_utf8_cut(kp->start, 60);
	memcpy(out, kp->start, n);
	strcpy(out + n, kp->end - kp->start > 60 ? "..." : "");
	return out;
}

/* One key: its value, quoted; a dotted key: as written. */
static const char *key_desc(const struct keypath *kp, char out[80])
{
	if (kp->n == 1)
		return tp_quote(kp->s[0].key, kp->s[0].len, out);
	char raw[80];
	kp_text(kp, raw);
	return tp_quote(raw, strlen(raw), out);
}

static const char *seg_q(const struct seg *s, char out[80])
{
	return tp_quote(s->key, s->len, out);
}

/* "an integer", "a string", ... */
static const char *a_type(const struct toml_value *v)
{
	switch (v->type) {
	case TOML_INTEGER: return "an integer";
	case TOML_DATETIME: return "an offset date-time";
	case TOML_ARRAY: return v->flags & VAL_AOT ? "an array of tables" : "a static array";
	case TOML_TABLE: return v->u.tab->flags & TAB_INLINE ? "an inline table" : "a table";
	case TOML_STRING: return "a string";
	case TOML_FLOAT: return "a float";
	case TOML_BOOL: return "a boolean";
	case TOML_DATETIME_LOCAL: return "a local date-time";
	case TOML_DATE_LOCAL: return "a local date";
	case TOML_TIME_LOCAL: return "a local time";
	}
	return "a value";
}

static bool dup_key(struct toml_parser *p, const struct seg *s, const struct toml_kv *old)
{
	char q[80];
	return tp_fail(p, s->at, "duplicate key %s: already defined at line %d, column %d", seg_q(s, q),
		       old->pos.line, old->pos.col);
}

/* Adds key -> new table to t, taking the key from the segment. */
static struct toml_table *add_table(struct toml_table *t, struct seg *s, unsigned flags)
{
	struct toml_value *v = val_new(TOML_TABLE, s->pos);
	v->u.tab = tab_new(s->pos, flags);
	tab_add(t, s->key, s->len, s->pos, v);
	s->key = NULL;
	return v->u.tab;
}

static struct toml_value *parse_value(struct toml_parser *p, int depth);

/* Walks the dotted part of a key in a key/value pair, creating tables as it goes. Dotted keys
 * may only add to tables that dotted keys made, within the same table section: never to a
 * [header] table, an inline table or an array. */
static struct toml_table *walk_dotted(struct toml_parser *p, struct toml_table *t,
				      struct keypath *kp, int *depth, unsigned extra_flags)
{
	for (size_t i = 0; i + 1 < kp->n; i++) {
		struct seg *s = &kp->s[i];
		if (too_deep(p, s->at, ++*depth))
			return NULL;
		struct toml_kv *kv = tab_find(t, s->key, s->len);
		if (!kv) {
			t = add_table(t, s, TAB_DOTTED | extra_flags);
			continue;
		}
		char q[80];
		if (kv->val->type != TOML_TABLE)
			return tp_fail(p, s->at, "key %s is already %s (line %d), not a table",
				       seg_q(s, q), a_type(kv->val), kv->pos.line),
			       NULL;
		unsigned f = kv->val->u.tab->flags;
		if (f & TAB_INLINE && !(f & TAB_DOTTED && extra_flags))
			return tp_fail(p, s->at, "cannot add to %s: an inline table (line %d) is "
						 "complete as written",
				       seg_q(s, q), kv->pos.line),
			       NULL;
		if (!(f & TAB_DOTTED))
			return tp_fail(p, s->at, "cannot add to table %s with a dotted key: it was made "
						 "by a [header] at line %d; put the key under a header "
						 "for that table",
				       seg_q(s, q), kv->pos.line),
			       NULL;
		t = kv->val->u.tab;
	}
	return t;
}

/* key = value, in a table section (depth = the table's own depth) or an inline table. */
static bool parse_keyval(struct toml_parser *p, struct toml_table *t, int depth, bool in_inline)
{
	struct keypath kp = {0};
	char q[80];
	bool ok = false;
	if (!parse_key(p, &kp))
		goto out;
	tp_skip_ws(p);
	if (p->cur >= p->end || *p->cur != '=') {
		char d[32];
		tp_fail(p, p->cur, "expected '=' after key %s, found %s", key_desc(&kp, q),
			tp_describe(p, p->cur, d));
		goto out;
	}
	p->cur++;
	tp_skip_ws(p);
	struct toml_table *target = walk_dotted(p, t, &kp, &depth, in_inline ? TAB_INLINE : 0);
	if (!target)
		goto out;
	struct seg *last = &kp.s[kp.n - 1];
	struct toml_kv *old = tab_find(target, last->key, last->len);
	if (old) {
		dup_key(p, last, old);
		goto out;
	}
	if (p->cur >= p->end || *p->cur == '#' || *p->cur == '\n' || *p->cur == '\r') {
		tp_fail(p, p->cur, "expected a value after '=' for key %s", seg_q(last, q));
		goto out;
	}
	struct toml_value *v = parse_value(p, depth + 1);
	if (!v)
		goto out;
	tab_add(target, last->key, last->len, last->pos, v);
	last->key = NULL;
	ok = true;
out:
	keypath_free(&kp);
	return ok;
}

static struct toml_value *parse_array(struct toml_parser *p, struct toml_value *v, int depth)
{
	const char *open = p->cur++;
	for (;;) {
		if (!tp_skip_ws_nl(p))
			return NULL;
		if (p->cur < p->end && *p->cur == ']')
			break;
		if (p->cur >= p->end)
			return tp_fail(p, open, "unterminated array: no closing ']'"), NULL;
		struct toml_value *item = parse_value(p, depth + 1);
		if (!item)
			return NULL;
		arr_push(&v->u.arr, item);
		if (!tp_skip_ws_nl(p))
			return NULL;
		if (p->cur < p->end && *p->cur == ',') {
			p->cur++;
			continue;
		}
		if (p->cur < p->end && *p->cur == ']')
			break;
		char d[32];
		return tp_fail(p, p->cur, "expected ',' or ']' after an array element, found %s",
			       tp_describe(p, p->cur, d)),
		       NULL;
	}
	p->cur++;
	return v;
}

/* { k = v, ... } on one line, no trailing comma (TOML 1.0). */
static struct toml_value *parse_inline(struct toml_parser *p, struct toml_value *v, int depth)
{
	p->cur++;
	v->u.tab = tab_new(v->pos, TAB_INLINE);
	tp_skip_ws(p);
	if (p->cur < p->end && *p->cur == '}') {
		p->cur++;
		return v;
	}
	for (;;) {
		tp_skip_ws(p);
		if (!parse_keyval(p, v->u.tab, depth, true))
			return NULL;
		tp_skip_ws(p);
		if (p->cur < p->end && *p->cur == ',') {
			p->cur++;
			tp_skip_ws(p);
			if (p->cur < p->end && *p->cur == '}')
				return tp_fail(p, p->cur, "trailing comma in inline table (not allowed "
							  "in TOML 1.0)"),
				       NULL;
			continue;
		}
		if (p->cur < p->end && *p->cur == '}')
			break;
		char d[32];
		return tp_fail(p, p->cur, "expected ',' or '}' in inline table, found %s%s",
			       tp_describe(p, p->cur, d),
			       tp_at_newline(p) ? " (an inline table must fit on one line)" : ""),
		       NULL;
	}
	p->cur++;
	return v;
}

static bool word(struct toml_parser *p, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(p->end - p->cur) < n || memcmp(p->cur, w, n) != 0)
		return false;
	p->cur += n;
	return true;
}

static bool scalar(struct toml_parser *p, struct toml_value *v)
{
	char c = *p->cur;
	if (c == '"' || c == '\'') {
		struct toml_buf b = {0};
		if (!tp_string(p, &b, false)) {
			free(b.p);
			return false;
		}
		v->type = TOML_STRING;
		v->u.str.ptr = tb_finish(&b, &v->u.str.len);
		return true;
	}
	if (word(p, "true") || word(p, "false")) {
		v->type = TOML_BOOL;
		v->u.b = p->cur[-1] == 'e' && p->cur[-2] == 'u'; /* "true", not "false" */
		return true;
	}
	if (c >= '0' && c <= '9' && tp_looks_datetime(p))
		return tp_datetime(p, v);
	bool special = (size_t)(p->end - p->cur) >= 3 &&
		       (memcmp(p->cur, "inf", 3) == 0 || memcmp(p->cur, "nan", 3) == 0);
	if ((c >= '0' && c <= '9') || c == '+' || c == '-' || special)
		return tp_number(p, v);
	char d[32];
	return tp_fail(p, p->cur, "expected a value (string, number, boolean, date, array or "
				  "inline table), found %s%s",
		       tp_describe(p, p->cur, d),
		       (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? " (strings need quotes)"
									 : "");
}

/* depth is the depth the value itself sits at. */
static struct toml_value *parse_value(struct toml_parser *p, int depth)
{
	struct toml_value *v = val_new(TOML_BOOL, tp_pos(p, p->cur));
	struct toml_value *r;
	if (p->cur < p->end && (*p->cur == '[' || *p->cur == '{')) {
		if (too_deep(p, p->cur, depth)) {
			r = NULL;
		} else if (*p->cur == '[') {
			v->type = TOML_ARRAY;
			r = parse_array(p, v, depth);
		} else {
			v->type = TOML_TABLE;
			r = parse_inline(p, v, depth);
		}
	} else {
		r = p->cur < p->end && scalar(p, v) ? v : NULL;
		if (p->cur >= p->end && !r && !p->failed)
			tp_fail(p, p->cur, "expected a value, found end of file");
	}
	if (!r)
		val_free(v);
	return r;
}

/* Makes s the last element of the [[array]] at kv (or a new one), returning its table. */
static struct toml_table *aot_append(struct toml_table *t, struct toml_kv *kv, struct seg *s)
{
	struct toml_value *arr = kv ? kv->val : NULL;
	if (!arr) {
		arr = val_new(TOML_ARRAY, s->pos);
		arr->flags = VAL_AOT;
		tab_add(t, s->key, s->len, s->pos, arr);
		s->key = NULL;
	}
	struct toml_value *elem = val_new(TOML_TABLE, s->pos);
	elem->u.tab = tab_new(s->pos, TAB_DEFINED);
	arr_push(&arr->u.arr, elem);
	return elem->u.tab;
}

/* The last key of a [header] or [[header]]. */
static struct toml_table *header_last(struct toml_parser *p, struct toml_table *t,
				      struct keypath *kp, bool aot)
{
	struct seg *s = &kp->s[kp->n - 1];
	struct toml_kv *kv = tab_find(t, s->key, s->len);
	char q[80];
	if (aot) {
		if (!kv)
			return aot_append(t, NULL, s);
		if (kv->val->type == TOML_ARRAY && kv->val->flags & VAL_AOT)
			return aot_append(t, kv, s);
		return tp_fail(p, s->at, "cannot make [[%s]] an array of tables: key %s is already "
					 "%s (line %d)",
			       kp_text(kp, (char[80]){0}), seg_q(s, q), a_type(kv->val), kv->pos.line),
		       NULL;
	}
	if (!kv)
		return add_table(t, s, TAB_DEFINED);
	struct toml_table *tab = kv->val->type == TOML_TABLE ? kv->val->u.tab : NULL;
	if (tab && tab->flags & TAB_IMPLICIT) {
		tab->flags = (tab->flags & ~TAB_IMPLICIT) | TAB_DEFINED;
		tab->pos = s->pos;
		return tab;
	}
	if (tab)
		return tp_fail(p, s->at, "table [%s] is defined twice: first %s at line %d",
			       kp_text(kp, (char[80]){0}),
			       tab->flags & TAB_DOTTED   ? "by a dotted key"
			       : tab->flags & TAB_INLINE ? "as an inline table"
							 : "by a header",
			       kv->pos.line),
		       NULL;
	return tp_fail(p, s->at, "cannot make [%s] a table: key %s is already %s (line %d)",
		       kp_text(kp, (char[80]){0}), seg_q(s, q), a_type(kv->val), kv->pos.line),
	       NULL;
}

/* Walks a header's key from the root. Headers may pass through tables made by headers or by
 * dotted keys and through the last element of an array of tables; never into an inline table
 * or a static array. */
static struct toml_table *header_walk(struct toml_parser *p, struct toml_table *t,
				      struct keypath *kp, bool aot, int *depth)
{
	*depth = 0;
	for (size_t i = 0; i + 1 < kp->n; i++) {
		struct seg *s = &kp->s[i];
		struct toml_kv *kv = tab_find(t, s->key, s->len);
		if (too_deep(p, s->at, ++*depth))
			return NULL;
		if (!kv) {
			t = add_table(t, s, TAB_IMPLICIT);
			continue;
		}
		struct toml_value *v = kv->val;
		char q[80];
		if (v->type == TOML_ARRAY && v->flags & VAL_AOT) {
			if (too_deep(p, s->at, ++*depth))
				return NULL;
			t = v->u.arr.items[v->u.arr.n - 1]->u.tab;
		} else if (v->type == TOML_TABLE && !(v->u.tab->flags & TAB_INLINE)) {
			t = v->u.tab;
		} else {
			return tp_fail(p, s->at, "cannot define [%s]: key %s is %s (line %d), "
						 "which cannot be extended",
				       kp_text(kp, (char[80]){0}), seg_q(s, q), a_type(v), kv->pos.line),
			       NULL;
		}
	}
	*depth += aot ? 2 : 1;
	if (too_deep(p, kp->s[kp->n - 1].at, *depth))
		return NULL;
	return header_last(p, t, kp, aot);
}

/* [a.b] or [[a.b]]; returns the table that following key/value pairs go to. */
static struct toml_table *parse_header(struct toml_parser *p, struct toml_table *root, int *depth)
{
	const char *open = p->cur++;
	bool aot = p->cur < p->end && *p->cur == '[';
	if (aot)
		p->cur++;
	struct keypath kp = {0};
	struct toml_table *t = NULL;
	if (!parse_key(p, &kp))
		goto out;
	tp_skip_ws(p);
	if (p->cur >= p->end || *p->cur != ']' || (aot && (p->cur + 1 >= p->end || p->cur[1] != ']'))) {
		char d[32];
		const char *at = p->cur < p->end && *p->cur == ']' ? p->cur + 1 : p->cur;
		tp_fail(p, at, "expected '%s' to close the table header opened at column %d, found %s",
			aot ? "]]" : "]", tp_pos(p, open).col, tp_describe(p, at, d));
		goto out;
	}
	p->cur += aot ? 2 : 1;
	t = header_walk(p, root, &kp, aot, depth);
out:
	keypath_free(&kp);
	return t;
}

static bool parse_document(struct toml_parser *p, struct toml_table *root)
{
	struct toml_table *section = root;
	int depth = 0;
	if (p->end - p->cur >= 3 && memcmp(p->cur, "\xef\xbb\xbf", 3) == 0) {
		p->cur += 3;
		p->line_start = p->cur;
	}
	while (p->cur < p->end) {
		tp_skip_ws(p);
		if (p->cur >= p->end)
			break;
		char c = *p->cur;
		if (c == '#' || c == '\n' || c == '\r') {
			if (!tp_line_end(p, "a comment"))
				return false;
		} else if (c == '[') {
			section = parse_header(p, root, &depth);
			if (!section || !tp_line_end(p, "a table header"))
				return false;
		} else {
			if (!parse_keyval(p, section, depth, false) ||
			    !tp_line_end(p, "a key/value pair"))
				return false;
		}
	}
	return true;
}

struct toml_table *toml_parse(const char *buf, size_t len, struct toml_error *err)
{
	struct toml_error dummy;
	if (!err)
		err = &dummy;
	*err = (struct toml_error){0};
	if (!buf && len) {
		*err = (struct toml_error){.line = 1, .col = 1, .msg = "no input (NULL buffer)"};
		return NULL;
	}
	if (!buf)
		buf = ""; /* NULL + 0 is undefined behaviour */
	struct toml_parser p = {
		.buf = buf, .cur = buf, .end = buf + len, .line = 1, .line_start = buf, .err = err};
	size_t bad = toml_utf8_check(buf, len);
	if (bad < len) {
		tp_fail(&p, buf + bad, "invalid UTF-8 (byte 0x%02x): a TOML document must be UTF-8",
			(unsigned char)buf[bad]);
		return NULL;
	}
	struct toml_table *root = tab_new((struct toml_pos){1, 1}, TAB_DEFINED);
	if (!parse_document(&p, root)) {
		toml_free(root);
		return NULL;
	}
	return root;
}
