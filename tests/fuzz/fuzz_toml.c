/* libFuzzer target for the TOML parser. Beyond "no crash, no leak, no UB", it checks what the
 * rest of brig relies on: every error has a place and a message, every value a position, every
 * string its terminating NUL, and every key can be found again with toml_get. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const struct toml_value *v, int depth);

static void check_pos(struct toml_pos pos)
{
	if (pos.line < 1 || pos.col < 1)
		abort();
}

static void check_table(const struct toml_table *t, int depth)
{
	if (depth > TOML_MAX_DEPTH + 1)
		abort();
	check_pos(t->pos);
	for (size_t i = 0; i < t->n; i++) {
		const struct toml_kv *kv = &t->kvs[i];
		check_pos(kv->pos);
		if (kv->key[kv->key_len] != 0)
			abort();
		if (strlen(kv->key) == kv->key_len && toml_get_kv(t, kv->key) != kv)
			abort();
		check_value(kv->val, depth + 1);
	}
}

static void check_value(const struct toml_value *v, int depth)
{
	check_pos(v->pos);
	if (!toml_type_name(v->type))
		abort();
	switch (v->type) {
	case TOML_STRING:
		if (v->u.str.ptr[v->u.str.len] != 0)
			abort();
		break;
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		if (strlen(v->u.datetime) < 8)
			abort();
		break;
	case TOML_ARRAY:
		for (size_t i = 0; i < v->u.arr.n; i++)
			check_value(v->u.arr.items[i], depth + 1);
		break;
	case TOML_TABLE:
		check_table(v->u.tab, depth);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct toml_error err;
	struct toml_table *t = toml_parse((const char *)data, size, &err);
	if (!t) {
		if (err.line < 1 || err.col < 1 || !err.msg[0])
			abort();
		return 0;
	}
	check_table(t, 0);
	toml_free(t);
	return 0;
}
