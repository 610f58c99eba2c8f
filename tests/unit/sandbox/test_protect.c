#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox/harden_policy.h"
#include "sandbox/plan.h"
#include "sandbox/protect.h"

static char root[64];

static char *at(const char *rel)
{
	static char buf[16][512];
	static int i;
	i = (i + 1) % 16;
	snprintf(buf[i], sizeof buf[i], "%s/%s", root, rel);
	return buf[i];
}

static void put(const char *rel, const char *data)
{
	FILE *f = fopen(at(rel), "w");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	strcpy(root, "/tmp/brig-protect-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	char *r = realpath(root, NULL);
	strcpy(root, r);
	free(r);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* The read-only step for dst, or NULL. */
static const struct plan_entry *ro_step(const struct plan *p, const char *dst)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].kind == PLAN_BIND_RO && !strcmp(p->e[i].dst, dst))
			return &p->e[i];
	return NULL;
}

static void test_project_paths(void **state)
{
	(void)state;
	mkdir(at("proj"), 0755);
	mkdir(at("proj/.git"), 0755);
	put("proj/.git/config", "[core]\n");
	put("proj/.envrc", "export A=1\n");
	mkdir(at("proj/.vscode"), 0755);
	mkdir(at("proj/vendor"), 0755);
	mkdir(at("proj/vendor/lib"), 0755);
	mkdir(at("proj/vendor/lib/.git"), 0755);
	mkdir(at("proj/vendor/lib/.git/hooks"), 0755);
	put("proj/vendor/lib/.git/config", "[core]\n");

	struct harden_policy hp;
	harden_policy_defaults(&hp, POSTURE_AGENT);
	struct plan plan = {0};
	plan_add(&plan, PLAN_BIND_RW, at("proj"), at("proj"), "project");
	protect_plan(&hp, at("proj"), NULL, &plan);

	assert_non_null(ro_step(&plan, at("proj/.git/config")));
	assert_non_null(ro_step(&plan, at("proj/.envrc")));
	assert_non_null(ro_step(&plan, at("proj/.vscode")));
	assert_non_null(ro_step(&plan, at("proj/vendor/lib/.git/config")));
	assert_non_null(ro_step(&plan, at("proj/vendor/lib/.git/hooks")));
	/* Missing .git/hooks: an empty placeholder is made so that it can be bound read-only. */
	assert_non_null(ro_step(&plan, at("proj/.git/hooks")));
	struct stat st;
	assert_int_equal(lstat(at("proj/.git/hooks"), &st), 0);
	/* Missing files cannot be bound: watched instead. */
	assert_null(ro_step(&plan, at("proj/.mcp.json")));
	struct protect_stats s = protect_last_stats();
	assert_true(s.created >= 1);
	assert_true(s.watched >= 1);
	/* The placeholders go again, as long as they are empty. */
	protect_finish();
	assert_int_equal(lstat(at("proj/.git/hooks"), &st), -1);
	assert_int_equal(lstat(at("proj/.claude"), &st), -1);
	plan_free(&plan);
	harden_policy_free(&hp);
}

static void test_lift_and_extra(void **state)
{
	(void)state;
	mkdir(at("p2"), 0755);
	put("p2/.envrc", "x\n");
	put("p2/Makefile", "all:\n");
	struct harden_policy hp;
	harden_policy_defaults(&hp, POSTURE_AGENT);
	struct toml_pos pos = {1, 1};
	pos_strv_push(&hp.protect_lift, ".envrc", pos);
	pos_strv_push(&hp.protect_extra, "Makefile", pos);
	struct plan plan = {0};
	plan_add(&plan, PLAN_BIND_RW, at("p2"), at("p2"), "project");
	protect_plan(&hp, at("p2"), NULL, &plan);
	assert_null(ro_step(&plan, at("p2/.envrc")));
	assert_non_null(ro_step(&plan, at("p2/Makefile")));
	protect_finish();
	plan_free(&plan);
	harden_policy_free(&hp);
}

/* A worktree's .git is a file naming the real git directory: the file is protected (it must not
 * be repointed), and so are the hooks and config of the directories it names. */
static void test_worktree(void **state)
{
	(void)state;
	mkdir(at("w"), 0755);
	mkdir(at("w/main"), 0755);
	mkdir(at("w/main/.git"), 0755);
	mkdir(at("w/main/.git/hooks"), 0755);
	put("w/main/.git/config", "[core]\n");
	mkdir(at("w/main/.git/worktrees"), 0755);
	mkdir(at("w/main/.git/worktrees/wt"), 0755);
	put("w/main/.git/worktrees/wt/commondir", "../..\n");
	mkdir(at("w/wt"), 0755);
	char buf[600];
	snprintf(buf, sizeof buf, "gitdir: %s\n", at("w/main/.git/worktrees/wt"));
	put("w/wt/.git", buf);
	struct harden_policy hp;
	harden_policy_defaults(&hp, POSTURE_AGENT);
	struct plan plan = {0};
	plan_add(&plan, PLAN_BIND_RW, at("w"), at("w"), "project");
	protect_plan(&hp, at("w"), NULL, &plan);
	assert_non_null(ro_step(&plan, at("w/wt/.git")));
	assert_non_null(ro_step(&plan, at("w/main/.git/config")));
	assert_non_null(ro_step(&plan, at("w/main/.git/hooks")));
	protect_finish();
	plan_free(&plan);
	harden_policy_free(&hp);
}

static void test_home_when_writable(void **state)
{
	(void)state;
	mkdir(at("home"), 0755);
	put("home/.bashrc", "echo hi\n");
	struct harden_policy hp;
	harden_policy_defaults(&hp, POSTURE_AGENT);
	struct plan plan = {0};
	plan_add(&plan, PLAN_BIND_RO, at("home"), at("home"), "home read-only");
	protect_plan(&hp, NULL, at("home"), &plan);
	assert_null(ro_step(&plan, at("home/.bashrc"))); /* read-only already: nothing to add */
	plan_add(&plan, PLAN_BIND_RW, at("home"), at("home"), "home writable");
	protect_plan(&hp, NULL, at("home"), &plan);
	assert_non_null(ro_step(&plan, at("home/.bashrc")));
	protect_finish();
	plan_free(&plan);
	harden_policy_free(&hp);
}

static void test_json(void **state)
{
	(void)state;
	struct harden_policy hp;
	harden_policy_defaults(&hp, POSTURE_AGENT);
	json_t *j = protect_list_json(&hp);
	json_t *paths = json_object_get(j, "paths");
	assert_true(json_array_size(paths) >= 20);
	bool hooks = false;
	size_t i;
	json_t *v;
	json_array_foreach(paths, i, v) hooks |= !strcmp(json_string_value(json_object_get(v, "path")),
							 ".git/hooks");
	assert_true(hooks);
	json_decref(j);
	harden_policy_free(&hp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_project_paths), cmocka_unit_test(test_lift_and_extra),
		cmocka_unit_test(test_worktree),      cmocka_unit_test(test_home_when_writable),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
