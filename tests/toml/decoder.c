/* toml-test decoder: TOML on stdin, toml-test's tagged JSON on stdout; exit 1 on invalid
 * input, with the parser's line:col message on stderr. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "profile/toml.h"

static json_t *table_json(const struct toml_table *t);

static json_t *tagged(const char *type, json_t *value)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "value", value);
	return o;
}

static json_t *float_json(double f)
{
	char buf[64];
	if (isnan(f))
		snprintf(buf, sizeof buf, "nan");
	else if (isinf(f))
		snprintf(buf, sizeof buf, "%sinf", f < 0 ? "-" : "");
	else
		snprintf(buf, sizeof buf, "%.17g", f);
	return tagged("float", json_string(buf));
}

static json_t *value_json(const struct toml_value *v)
{
	char buf[32];
	switch (v->type) {
	case TOML_STRING:
		return tagged("string", json_stringn(v->u.str.ptr, v->u.str.len));
	case TOML_INTEGER:
		snprintf(buf, sizeof buf, "%" PRId64, v->u.i);
		return tagged("integer", json_string(buf));
	case TOML_FLOAT:
		return float_json(v->u.f);
	case TOML_BOOL:
		return tagged("bool", json_string(v->u.b ? "true" : "false"));
	case TOML_DATETIME:
		return tagged("datetime", json_string(v->u.datetime));
	case TOML_DATETIME_LOCAL:
		return tagged("datetime-local", json_string(v->u.datetime));
	case TOML_DATE_LOCAL:
		return tagged("date-local", json_string(v->u.datetime));
	case TOML_TIME_LOCAL:
		return tagged("time-local", json_string(v->u.datetime));
	case TOML_ARRAY: {
		json_t *a = json_array();
		for (size_t i = 0; i < v->u.arr.n; i++)
			json_array_append_new(a, value_json(v->u.arr.items[i]));
		return a;
	}
	case TOML_TABLE:
		return table_json(v->u.tab);
	}
	return json_null();
}

static json_t *table_json(const struct toml_table *t)
{
	json_t *o = json_object();
	for (size_t i = 0; i < t->n; i++)
		json_object_setn_new(o, t->kvs[i].key, t->kvs[i].key_len, value_json(t->kvs[i].val));
	return o;
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	*len = n;
	return buf;
}

int main(void)
{
	size_t len;
	char *buf = read_all(stdin, &len);
	if (!buf) {
		fprintf(stderr, "decoder: out of memory\n");
		return 2;
	}
	struct toml_error err;
	struct toml_table *t = toml_parse(buf, len, &err);
	free(buf);
	if (!t) {
		fprintf(stderr, "line %d, column %d: %s\n", err.line, err.col, err.msg);
		return 1;
	}
	json_t *j = table_json(t);
	toml_free(t);
	json_dumpf(j, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(j);
	return 0;
}
