#include "profile/schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int schema_fail(struct schema_ctx *c, struct toml_pos pos, const char *fmt, ...)
{
	if (c->err[0])
		return -1;
	int n = snprintf(c->err, sizeof c->err, "%s:%d:%d: ", c->file ? c->file : "profile", pos.line,
			 pos.col);
	if (n < 0 || (size_t)n >= sizeof c->err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + n, sizeof c->err - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

char *schema_where(const struct schema_ctx *c, struct toml_pos pos)
{
	return xasprintf("%s:%d:%d", c->file ? c->file : "profile", pos.line, pos.col);
}

int schema_known_keys(struct schema_ctx *c, const struct toml_table *t, const char *tname,
		      const char *const *allowed)
{
	for (size_t i = 0; i < t->n; i++) {
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(t->kvs[i].key, *a) == 0)
				ok = true;
		if (ok)
			continue;
		char list[512] = "";
		for (const char *const *a = allowed; *a; a++) {
			strncat(list, *a, sizeof list - strlen(list) - 3);
			if (a[1])
				strncat(list, ", ", sizeof list - strlen(list) - 1);
		}
		return schema_fail(c, t->kvs[i].pos, "unknown key '%s' in %s (known keys: %s)",
				   t->kvs[i].key, tname, list);
	}
	return 0;
}

static const struct toml_kv *typed(struct schema_ctx *c, const struct toml_table *t,
				   const char *tname, const char *key, enum toml_type want, int *rc)
{
	const struct toml_kv *kv = toml_get_kv(t, key);
	*rc = 0;
	if (!kv)
		return NULL;
	if (kv->val->type != want) {
		*rc = schema_fail(c, kv->val->pos, "%s %s must be a %s, not a %s", tname, key,
				  toml_type_name(want), toml_type_name(kv->val->type));
		return NULL;
	}
	*rc = 1;
	return kv;
}

int schema_bool(struct schema_ctx *c, const struct toml_table *t, const char *tname, const char *key,
		bool *out)
{
	int rc;
	const struct toml_kv *kv = typed(c, t, tname, key, TOML_BOOL, &rc);
	if (kv)
		*out = kv->val->u.b;
	return rc;
}

static int plain_string(struct schema_ctx *c, const struct toml_value *v, const char *tname,
			const char *key)
{
	/* An embedded NUL would make the C string mean something else than the file says. */
	if (strlen(v->u.str.ptr) != v->u.str.len)
		return schema_fail(c, v->pos, "%s %s contains a NUL character", tname, key);
	return 0;
}

int schema_string(struct schema_ctx *c, const struct toml_table *t, const char *tname,
		  const char *key, char **out)
{
	int rc;
	const struct toml_kv *kv = typed(c, t, tname, key, TOML_STRING, &rc);
	if (!kv)
		return rc;
	if (plain_string(c, kv->val, tname, key) < 0)
		return -1;
	free(*out);
	*out = xstrdup(kv->val->u.str.ptr);
	return 1;
}

int schema_int(struct schema_ctx *c, const struct toml_table *t, const char *tname, const char *key,
	       int64_t min, int64_t max, int64_t *out)
{
	int rc;
	const struct toml_kv *kv = typed(c, t, tname, key, TOML_INTEGER, &rc);
	if (!kv)
		return rc;
	if (kv->val->u.i < min || kv->val->u.i > max)
		return schema_fail(c, kv->val->pos, "%s %s = %lld is out of range (%lld to %lld)",
				   tname, key, (long long)kv->val->u.i, (long long)min,
				   (long long)max);
	*out = kv->val->u.i;
	return 1;
}

void pos_strv_push(struct pos_strv *p, const char *s, struct toml_pos pos)
{
	strv_push(&p->sv, s);
	p->pos = xreallocarray(p->pos, p->sv.n, sizeof *p->pos);
	p->pos[p->sv.n - 1] = pos;
}

void pos_strv_free(struct pos_strv *p)
{
	strv_free(&p->sv);
	free(p->pos);
	p->pos = NULL;
}

int schema_strings(struct schema_ctx *c, const struct toml_table *t, const char *tname,
		   const char *key, struct pos_strv *out)
{
	int rc;
	const struct toml_kv *kv = typed(c, t, tname, key, TOML_ARRAY, &rc);
	if (!kv)
		return rc;
	const struct toml_array *a = &kv->val->u.arr;
	for (size_t i = 0; i < a->n; i++) {
		const struct toml_value *v = a->items[i];
		if (v->type != TOML_STRING)
			return schema_fail(c, v->pos, "%s %s: every item must be a string, not a %s",
					   tname, key, toml_type_name(v->type));
		if (plain_string(c, v, tname, key) < 0)
			return -1;
		pos_strv_push(out, v->u.str.ptr, v->pos);
	}
	return 1;
}

int schema_table(struct schema_ctx *c, const struct toml_table *t, const char *key,
		 const struct toml_table **out)
{
	int rc;
	char tname[128];
	snprintf(tname, sizeof tname, "[%s]", key);
	const struct toml_kv *kv = typed(c, t, "table", key, TOML_TABLE, &rc);
	(void)tname;
	if (kv)
		*out = kv->val->u.tab;
	return rc;
}
