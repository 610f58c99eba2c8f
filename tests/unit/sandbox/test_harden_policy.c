#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profile/toml.h"
#include "sandbox/harden_policy.h"
#include "sandbox/seccomp.h"

/* Parses doc's top-level tables the way the profile loader does. Returns -1, 0 or 1. */
static int parse(const char *doc, struct harden_policy *hp, char *err, size_t errlen)
{
	struct toml_error te;
	struct toml_table *t = toml_parse(doc, strlen(doc), &te);
	assert_non_null(t);
	struct schema_ctx c = {.file = "test.toml"};
	harden_policy_defaults(hp, POSTURE_AGENT);
	int rc = 0;
	for (size_t i = 0; i < t->n && rc >= 0; i++)
		if (t->kvs[i].val->type == TOML_TABLE)
			rc = harden_policy_parse_table(&c, t->kvs[i].key, t->kvs[i].val->u.tab, hp);
	snprintf(err, errlen, "%s", c.err);
	toml_free(t);
	return rc;
}

static void test_defaults(void **state)
{
	(void)state;
	struct harden_policy hp;
	harden_policy_defaults(&hp, POSTURE_AGENT);
	assert_true(hp.seccomp && hp.landlock && hp.protect && hp.limits.enabled);
	assert_true(hp.limits.pids > 0 && hp.limits.memory > 0);
	harden_policy_free(&hp);
	harden_policy_defaults(&hp, POSTURE_PWRAP);
	assert_false(hp.seccomp || hp.landlock || hp.protect || hp.limits.enabled);
	harden_policy_free(&hp);
}

static void test_relax(void **state)
{
	(void)state;
	struct harden_policy hp;
	char err[1024];
	assert_int_equal(parse("[seccomp]\nptrace = true\nbpf = false\n", &hp, err, sizeof err), 1);
	assert_true(hp.seccomp_relaxed & (1ull << sc_rule_index("ptrace")));
	assert_false(hp.seccomp_relaxed & (1ull << sc_rule_index("bpf")));
	assert_string_equal(hp.seccomp_relaxed_where[sc_rule_index("ptrace")], "test.toml:2:10");
	json_t *j = harden_policy_to_json(&hp);
	json_t *r = json_array_get(json_object_get(json_object_get(j, "seccomp"), "rules"),
				   (size_t)sc_rule_index("ptrace"));
	assert_string_equal(json_string_value(json_object_get(r, "lifted_by")), "test.toml:2:10");
	json_decref(j);
	harden_policy_free(&hp);
}

static void test_errors(void **state)
{
	(void)state;
	struct harden_policy hp;
	char err[1024];
	assert_int_equal(parse("[seccomp]\nmount = true\n", &hp, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot be lifted"));
	harden_policy_free(&hp);
	assert_int_equal(parse("[seccomp]\nptrac = true\n", &hp, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown key 'ptrac'"));
	harden_policy_free(&hp);
	assert_int_equal(parse("[limits]\nmemory = \"lots\"\n", &hp, err, sizeof err), -1);
	assert_non_null(strstr(err, "test.toml:2:"));
	harden_policy_free(&hp);
	assert_int_equal(parse("[limits]\nmemroy = 1\n", &hp, err, sizeof err), -1);
	harden_policy_free(&hp);
	assert_int_equal(parse("[protect]\npaths = [\"../outside\"]\n", &hp, err, sizeof err), -1);
	harden_policy_free(&hp);
	assert_int_equal(parse("[protect]\nlift = [\"nothing\"]\n", &hp, err, sizeof err), -1);
	harden_policy_free(&hp);
	assert_int_equal(parse("[landlock]\nmin_abi = \"3\"\n", &hp, err, sizeof err), -1);
	harden_policy_free(&hp);
	assert_int_equal(parse("[limits]\nnofile = 3\n", &hp, err, sizeof err), -1);
	harden_policy_free(&hp);
}

static void test_values(void **state)
{
	(void)state;
	struct harden_policy hp;
	char err[1024];
	assert_int_equal(parse("[limits]\nmemory = \"512M\"\npids = 64\ncpu = 150\nfsize = 0\n"
			       "[landlock]\nmin_abi = 3\n[protect]\nlift = [\".envrc\"]\n"
			       "paths = [\"Makefile\", \"~/.npmrc\"]\n",
			       &hp, err, sizeof err),
			 1);
	assert_int_equal(hp.limits.memory, 512ll << 20);
	assert_int_equal(hp.limits.pids, 64);
	assert_int_equal(hp.limits.cpu_percent, 150);
	assert_int_equal(hp.limits.fsize, 0);
	assert_int_equal(hp.landlock_min_abi, 3);
	assert_true(hp.landlock_required);
	assert_int_equal(hp.protect_extra.sv.n, 2);
	json_t *j = harden_policy_to_json(&hp);
	assert_non_null(json_object_get(j, "landlock"));
	assert_non_null(json_object_get(json_object_get(j, "limits"), "cgroup"));
	assert_non_null(json_object_get(j, "privileges"));
	json_decref(j);
	harden_policy_free(&hp);
	/* Not ours: left to other areas. */
	assert_int_equal(parse("[network]\nmode = \"none\"\n", &hp, err, sizeof err), 0);
	harden_policy_free(&hp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_relax),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
