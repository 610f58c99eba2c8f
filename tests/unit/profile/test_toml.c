/* Unit tests of the TOML parser's API: positions, errors, lookups, limits, scale. The grammar
 * itself is held to toml-test (tests/toml). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "profile/toml.h"

static struct toml_table *parse(const char *doc)
{
	struct toml_error err;
	struct toml_table *t = toml_parse(doc, strlen(doc), &err);
	if (!t)
		fail_msg("unexpected error at %d:%d: %s", err.line, err.col, err.msg);
	return t;
}

static void test_positions(void **state)
{
	(void)state;
	struct toml_table *t = parse("# header\n"
				     "a = 1\n"
				     "[tab]\n"
				     "  key = \"v\"\n"
				     "  arr = [\n"
				     "    true,\n"
				     "    2021-01-02,\n"
				     "  ]\r\n"
				     "  b.c = 'x'\n");
	const struct toml_kv *a = toml_get_kv(t, "a");
	assert_non_null(a);
	assert_int_equal(a->pos.line, 2);
	assert_int_equal(a->pos.col, 1);
	assert_int_equal(a->val->pos.line, 2);
	assert_int_equal(a->val->pos.col, 5);

	const struct toml_value *tab = toml_get(t, "tab");
	assert_non_null(tab);
	assert_int_equal(tab->type, TOML_TABLE);
	assert_int_equal(tab->u.tab->pos.line, 3);
	assert_int_equal(tab->u.tab->pos.col, 2);

	const struct toml_kv *key = toml_get_kv(tab->u.tab, "key");
	assert_int_equal(key->pos.line, 4);
	assert_int_equal(key->pos.col, 3);
	assert_int_equal(key->val->pos.col, 9);
	assert_string_equal(key->val->u.str.ptr, "v");

	const struct toml_value *arr = toml_get(tab->u.tab, "arr");
	assert_int_equal(arr->type, TOML_ARRAY);
	assert_int_equal(arr->u.arr.n, 2);
	assert_int_equal(arr->u.arr.items[0]->pos.line, 6);
	assert_int_equal(arr->u.arr.items[0]->pos.col, 5);
	assert_int_equal(arr->u.arr.items[1]->pos.line, 7);
	assert_int_equal(arr->u.arr.items[1]->type, TOML_DATE_LOCAL);

	/* Lines after a CRLF are still counted right. */
	const struct toml_value *b = toml_get(tab->u.tab, "b");
	assert_int_equal(b->type, TOML_TABLE);
	const struct toml_kv *c = toml_get_kv(b->u.tab, "c");
	assert_int_equal(c->pos.line, 9);
	assert_int_equal(c->pos.col, 5);
	assert_int_equal(c->val->pos.col, 9);
	toml_free(t);
}

static void test_values(void **state)
{
	(void)state;
	struct toml_table *t = parse("min = -9223372036854775808\n"
				     "max = 0x7fff_ffff_ffff_ffff\n"
				     "f = 6.626e-34\n"
				     "ninf = -inf\n"
				     "s = \"a\\u0000b\"\n"
				     "ml = \"\"\"\\\n   joined \\\n   here\"\"\"\n"
				     "dt = 1979-05-27 07:32:00.5z\n"
				     "t = 07:32:00\n"
				     "yes = true\n"
				     "crlf = \"\"\"\r\none\r\ntwo\"\"\"\r\n");
	assert_int_equal(toml_get(t, "min")->u.i, INT64_MIN);
	assert_int_equal(toml_get(t, "max")->u.i, INT64_MAX);
	assert_true(toml_get(t, "f")->u.f > 6.6e-34 && toml_get(t, "f")->u.f < 6.7e-34);
	assert_true(toml_get(t, "ninf")->u.f < -1e308);
	const struct toml_value *s = toml_get(t, "s");
	assert_int_equal(s->u.str.len, 3);
	assert_memory_equal(s->u.str.ptr, "a\0b", 4);
	assert_string_equal(toml_get(t, "ml")->u.str.ptr, "joined here");
	assert_int_equal(toml_get(t, "dt")->type, TOML_DATETIME);
	assert_string_equal(toml_get(t, "dt")->u.datetime, "1979-05-27T07:32:00.5Z");
	assert_int_equal(toml_get(t, "t")->type, TOML_TIME_LOCAL);
	assert_true(toml_get(t, "yes")->u.b);
	assert_string_equal(toml_get(t, "crlf")->u.str.ptr, "one\ntwo");
	toml_free(t);
}

struct bad {
	const char *doc;
	int line, col;
	const char *msg; /* a part of the message */
};

static void test_errors(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{"name \"x\"\n", 1, 6, "expected '=' after key \"name\""},
		{"a = 1\nb = \n", 2, 5, "expected a value after '=' for key \"b\""},
		{"a = 1\na = 2\n", 2, 1, "duplicate key \"a\": already defined at line 1, column 1"},
		{"[t]\nx = 1\n[t]\n", 3, 2, "table [t] is defined twice"},
		{"s = \"abc\n", 1, 9, "unterminated string"},
		{"s = \"\\q\"\n", 1, 6, "unknown escape \\q"},
		{"s = \"\\uD800\"\n", 1, 6, "not a Unicode scalar value"},
		{"d = 2023-02-29\n", 1, 13, "day 29 is out of range for 2023-02"},
		{"i = 9223372036854775808\n", 1, 5, "does not fit in 64 bits"},
		{"i = 012\n", 1, 5, "leading zeros"},
		{"x = [1, 2\ny = 3\n", 2, 1, "expected ',' or ']'"},
		{"t = {a = 1,\n b = 2}\n", 1, 12, "expected a key"},
		{"a = {x = 1}\na.y = 2\n", 2, 1, "cannot add to \"a\": an inline table"},
		{"[a.b]\n[a]\nb.c = 1\n", 3, 1, "it was made by a [header] at line 1"},
		{"a = [1]\n[[a]]\n", 2, 3, "is already a static array"},
		{"ok = 1\nbad = \"\xff\"\n", 2, 8, "invalid UTF-8"},
		{"a = 1 # \x01\n", 1, 9, "control character U+0001 in comment"},
		{"a = 1\rb = 2\n", 1, 6, "carriage return"},
		{"x = trueish\n", 1, 9, "expected end of line after a key/value pair"},
		{"k = v\n", 1, 5, "strings need quotes"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct toml_error err;
		struct toml_table *t = toml_parse(cases[i].doc, strlen(cases[i].doc), &err);
		if (t)
			fail_msg("case %zu accepted: %s", i, cases[i].doc);
		if (err.line != cases[i].line || err.col != cases[i].col ||
		    !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: got %d:%d \"%s\", want %d:%d \"...%s...\"", i, err.line,
				 err.col, err.msg, cases[i].line, cases[i].col, cases[i].msg);
	}
}

static void test_get(void **state)
{
	(void)state;
	struct toml_table *t = parse("a.b.c = 1\n\"quoted key\" = 2\n[[arr]]\nx = 1\n[[arr]]\nx = 2\n");
	assert_null(toml_get(t, "a.b.c")); /* no dotted paths */
	assert_null(toml_get(t, "missing"));
	assert_null(toml_get(NULL, "a"));
	assert_int_equal(toml_get(t, "quoted key")->u.i, 2);
	const struct toml_value *a = toml_get(t, "a");
	const struct toml_value *b = toml_get(a->u.tab, "b");
	assert_int_equal(toml_get(b->u.tab, "c")->u.i, 1);
	const struct toml_value *arr = toml_get(t, "arr");
	assert_int_equal(arr->type, TOML_ARRAY);
	assert_int_equal(arr->u.arr.n, 2);
	assert_int_equal(toml_get(arr->u.arr.items[1]->u.tab, "x")->u.i, 2);
	/* Keys keep document order. */
	assert_string_equal(t->kvs[0].key, "a");
	assert_string_equal(t->kvs[1].key, "quoted key");
	assert_string_equal(t->kvs[2].key, "arr");
	toml_free(t);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(toml_type_name(TOML_STRING), "string");
	assert_string_equal(toml_type_name(TOML_INTEGER), "integer");
	assert_string_equal(toml_type_name(TOML_FLOAT), "float");
	assert_string_equal(toml_type_name(TOML_BOOL), "boolean");
	assert_string_equal(toml_type_name(TOML_DATETIME), "offset date-time");
	assert_string_equal(toml_type_name(TOML_DATETIME_LOCAL), "local date-time");
	assert_string_equal(toml_type_name(TOML_DATE_LOCAL), "local date");
	assert_string_equal(toml_type_name(TOML_TIME_LOCAL), "local time");
	assert_string_equal(toml_type_name(TOML_ARRAY), "array");
	assert_string_equal(toml_type_name(TOML_TABLE), "table");
}

static char *put(char *o, const char *s)
{
	size_t n = strlen(s);
	memcpy(o, s, n);
	return o + n;
}

/* "prefix" + open * n + mid + close * n */
static char *nest(const char *prefix, const char *open, int n, const char *mid, const char *close)
{
	size_t len = strlen(prefix) + (strlen(open) + strlen(close)) * (size_t)n + strlen(mid) + 2;
	char *s = malloc(len);
	if (!s)
		abort();
	char *o = put(s, prefix);
	for (int i = 0; i < n; i++)
		o = put(o, open);
	o = put(o, mid);
	for (int i = 0; i < n; i++)
		o = put(o, close);
	strcpy(o, "\n");
	return s;
}

static void expect_depth_error(char *doc)
{
	struct toml_error err;
	struct toml_table *t = toml_parse(doc, strlen(doc), &err);
	assert_null(t);
	assert_non_null(strstr(err.msg, "than 1000")); /* nesting deeper / more dotted parts */
	free(doc);
}

static void expect_ok(char *doc)
{
	toml_free(parse(doc));
	free(doc);
}

static void test_depth_limit(void **state)
{
	(void)state;
	expect_ok(nest("a = ", "[", TOML_MAX_DEPTH, "", "]"));
	expect_depth_error(nest("a = ", "[", TOML_MAX_DEPTH + 1, "", "]"));
	expect_depth_error(nest("a = ", "[", 100000, "", "]"));
	expect_depth_error(nest("a = ", "{b = ", 100000, "1", "}"));
	expect_depth_error(nest("a = ", "[{b = ", 5000, "1", "}]"));
	/* Depth by keys alone: [k.k.k...] and k.k.k... = 1 */
	expect_depth_error(nest("[k", ".k", 5000, "", ""));
	char *doc = nest("k", ".k", 5000, " = 1", "");
	expect_depth_error(doc);
}

static void test_large_document(void **state)
{
	(void)state;
	enum { KEYS = 200000, TABLES = 50000 };
	size_t cap = (size_t)KEYS * 40 + (size_t)TABLES * 40, n = 0;
	char *doc = malloc(cap);
	if (!doc)
		abort();
	for (int i = 0; i < KEYS; i++)
		n += (size_t)sprintf(doc + n, "key_%d = \"value number %d\"\n", i, i);
	for (int i = 0; i < TABLES; i++)
		n += (size_t)sprintf(doc + n, "[[items]]\nid = %d\n", i);
	clock_t start = clock();
	struct toml_error err;
	struct toml_table *t = toml_parse(doc, n, &err);
	double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
	assert_non_null(t);
	assert_int_equal(t->n, KEYS + 1);
	assert_string_equal(toml_get(t, "key_199999")->u.str.ptr, "value number 199999");
	const struct toml_value *items = toml_get(t, "items");
	assert_int_equal(items->u.arr.n, TABLES);
	assert_int_equal(toml_get(items->u.arr.items[TABLES - 1]->u.tab, "id")->u.i, TABLES - 1);
	/* Linear work: ~7 MB parse in well under this even under ASan; a quadratic duplicate
	 * check would take minutes. */
	assert_true(secs < 10.0);
	toml_free(t);

	/* The duplicate is found in a big table too. */
	n += (size_t)sprintf(doc + n, "[[items]]\nid = 1\nid = 2\n");
	assert_null(toml_parse(doc, n, &err));
	assert_non_null(strstr(err.msg, "duplicate key \"id\""));
	free(doc);
}

static void test_empty_and_bom(void **state)
{
	(void)state;
	struct toml_error err;
	struct toml_table *t = toml_parse("", 0, &err);
	assert_non_null(t);
	assert_int_equal(t->n, 0);
	toml_free(t);
	t = toml_parse("\xef\xbb\xbfx = 1", 8, &err);
	assert_non_null(t);
	assert_int_equal(toml_get_kv(t, "x")->pos.col, 1);
	toml_free(t);
	/* Embedded NUL is a control character, not the end of the input. */
	assert_null(toml_parse("a = 1\0b = 2", 11, &err));
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 6);
	t = toml_parse(NULL, 0, &err);
	assert_non_null(t);
	toml_free(t);
	assert_null(toml_parse(NULL, 5, &err));
	assert_null(toml_parse("a = ", 4, NULL)); /* err is optional */
	toml_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positions),   cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),      cmocka_unit_test(test_get),
		cmocka_unit_test(test_type_names),  cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_large_document), cmocka_unit_test(test_empty_and_bom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
