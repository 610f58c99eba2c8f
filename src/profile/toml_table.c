/* The TOML tree: tables with a key hash, arrays, values, and freeing them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile/toml_internal.h"
#include "util/xalloc.h"

/* Below this many keys a linear scan beats hashing; above it, a document with a million keys in
 * one table must not cost a million scans per insertion. */
#define INDEX_MIN 16

/* Open addressing; slots hold kv index + 1 (0 = empty). Kept at most half full. */
struct toml_index {
	size_t cap; /* a power of two */
	size_t *slot;
};

/* FNV-1a. Profiles are written by the user, never by the agent (DESIGN: policy lives outside
 * the project), so hash flooding is not the threat a keyed hash would answer. */
static uint64_t key_hash(const char *k, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)k[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void index_insert(struct toml_index *ix, const struct toml_table *t, size_t i)
{
	size_t mask = ix->cap - 1;
	size_t h = key_hash(t->kvs[i].key, t->kvs[i].key_len) & mask;
	while (ix->slot[h])
		h = (h + 1) & mask;
	ix->slot[h] = i + 1;
}

static void index_rebuild(struct toml_table *t)
{
	struct toml_index *ix = t->index;
	if (!ix)
		ix = t->index = xcalloc(1, sizeof *ix);
	free(ix->slot);
	ix->cap = 64;
	while (ix->cap < t->n * 2 + 2)
		ix->cap *= 2;
	ix->slot = xcalloc(ix->cap, sizeof *ix->slot);
	for (size_t i = 0; i < t->n; i++)
		index_insert(ix, t, i);
}

static bool key_eq(const struct toml_kv *kv, const char *key, size_t len)
{
	return kv->key_len == len && memcmp(kv->key, key, len) == 0;
}

struct toml_kv *tab_find(const struct toml_table *t, const char *key, size_t len)
{
	if (!t->index) {
		for (size_t i = 0; i < t->n; i++)
			if (key_eq(&t->kvs[i], key, len))
				return &t->kvs[i];
		return NULL;
	}
	size_t mask = t->index->cap - 1;
	for (size_t h = key_hash(key, len) & mask; t->index->slot[h]; h = (h + 1) & mask) {
		struct toml_kv *kv = &t->kvs[t->index->slot[h] - 1];
		if (key_eq(kv, key, len))
			return kv;
	}
	return NULL;
}

struct toml_kv *tab_add(struct toml_table *t, char *key, size_t len, struct toml_pos pos,
			struct toml_value *val)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 4;
		t->kvs = xreallocarray(t->kvs, t->cap, sizeof *t->kvs);
	}
	struct toml_kv *kv = &t->kvs[t->n++];
	*kv = (struct toml_kv){.key = key, .key_len = len, .pos = pos, .val = val};
	if (t->index && t->n * 2 + 2 <= t->index->cap)
		index_insert(t->index, t, t->n - 1);
	else if (t->n >= INDEX_MIN)
		index_rebuild(t);
	return kv;
}

struct toml_table *tab_new(struct toml_pos pos, unsigned flags)
{
	struct toml_table *t = xcalloc(1, sizeof *t);
	t->pos = pos;
	t->flags = flags;
	return t;
}

struct toml_value *val_new(enum toml_type type, struct toml_pos pos)
{
	struct toml_value *v = xcalloc(1, sizeof *v);
	v->type = type;
	v->pos = pos;
	return v;
}

void arr_push(struct toml_array *a, struct toml_value *v)
{
	/* Capacity is not stored: grow at powers of two, which n alone tells. */
	if ((a->n & (a->n - 1)) == 0)
		a->items = xreallocarray(a->items, a->n ? a->n * 2 : 1, sizeof *a->items);
	a->items[a->n++] = v;
}

void val_free(struct toml_value *v)
{
	if (!v)
		return;
	switch (v->type) {
	case TOML_STRING:
		free(v->u.str.ptr);
		break;
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		free(v->u.datetime);
		break;
	case TOML_ARRAY:
		for (size_t i = 0; i < v->u.arr.n; i++)
			val_free(v->u.arr.items[i]);
		free(v->u.arr.items);
		break;
	case TOML_TABLE:
		toml_free(v->u.tab);
		break;
	default:
		break;
	}
	free(v);
}

void toml_free(struct toml_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->kvs[i].key);
		val_free(t->kvs[i].val);
	}
	free(t->kvs);
	if (t->index)
		free(t->index->slot);
	free(t->index);
	free(t);
}

const struct toml_kv *toml_get_kv(const struct toml_table *t, const char *key)
{
	return t && key ? tab_find(t, key, strlen(key)) : NULL;
}

const struct toml_value *toml_get(const struct toml_table *t, const char *key)
{
	const struct toml_kv *kv = toml_get_kv(t, key);
	return kv ? kv->val : NULL;
}

const char *toml_type_name(enum toml_type type)
{
	switch (type) {
	case TOML_STRING: return "string";
	case TOML_INTEGER: return "integer";
	case TOML_FLOAT: return "float";
	case TOML_BOOL: return "boolean";
	case TOML_DATETIME: return "offset date-time";
	case TOML_DATETIME_LOCAL: return "local date-time";
	case TOML_DATE_LOCAL: return "local date";
	case TOML_TIME_LOCAL: return "local time";
	case TOML_ARRAY: return "array";
	case TOML_TABLE: return "table";
	}
	return "unknown";
}
