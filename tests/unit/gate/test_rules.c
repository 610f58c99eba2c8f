/* Unit tests of the review gate's rules: git config parsing, path rules, modes, symlinks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "gate/changes.h"
#include "gate/rules.h"

static void gitconfig_risky_keys(void **state)
{
	(void)state;
	const char *cfg = "[core]\n\tbare = false\n\thooksPath = /tmp/h\n"
			  "[alias]\n\tst = status\n\tx = !sh -c id\n"
			  "[url \"https://evil/\"]\n\tinsteadOf = https://github.com/\n"
			  "[filter \"lfs\"]\n\tsmudge = git-lfs smudge\n"
			  "[Credential]\n\tHelper = store\n"
			  "; comment\n[remote \"origin\"]\n\turl = x\n";
	struct strv out = {0};
	rules_gitconfig_risky(cfg, strlen(cfg), &out);
	assert_int_equal(out.n, 5);
	assert_true(strv_contains(&out, "core.hookspath=/tmp/h"));
	assert_true(strv_contains(&out, "alias.x=!sh -c id"));
	assert_true(strv_contains(&out, "url.https://evil/.insteadof=https://github.com/"));
	assert_true(strv_contains(&out, "filter.lfs.smudge=git-lfs smudge"));
	assert_true(strv_contains(&out, "credential.helper=store"));
	strv_free(&out);
}

static bool has(const struct change *c, const char *rule, enum finding_sev sev)
{
	for (size_t i = 0; i < c->nf; i++)
		if (!strcmp(c->f[i].rule, rule) && c->f[i].sev == sev)
			return true;
	return false;
}

static struct change make(const char *path, enum change_kind kind, mode_t mode)
{
	struct change c = {0};
	c.path = (char *)path;
	c.kind = kind;
	c.mode = mode;
	return c;
}

static void free_findings(struct change *c)
{
	for (size_t i = 0; i < c->nf; i++)
		free(c->f[i].reason);
	free(c->f);
}

static void path_rules(void **state)
{
	(void)state;
	struct rules_ctx ctx = {.upper_fd = -1, .lower_fd = -1};
	struct {
		const char *path, *rule;
		enum finding_sev sev;
	} cases[] = {
		{".git/hooks/pre-push", "git-hook", SEV_HIGH},
		{".github/workflows/ci.yml", "ci", SEV_HIGH},
		{".gitlab-ci.yml", "ci", SEV_HIGH},
		{"pkg/sub/CLAUDE.md", "agent-instructions", SEV_MEDIUM},
		{".claude/settings.json", "agent-config", SEV_HIGH},
		{".vscode/tasks.json", "editor-task", SEV_HIGH},
		{".envrc", "envrc", SEV_HIGH},
		{"lib/Makefile", "build-script", SEV_MEDIUM},
		{"setup.py", "install-script", SEV_HIGH},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct change c = make(cases[i].path, CHANGE_ADDED, S_IFREG | 0644);
		rules_check(&c, &ctx);
		if (!has(&c, cases[i].rule, cases[i].sev))
			fail_msg("%s: no %s finding", cases[i].path, cases[i].rule);
		free_findings(&c);
	}
	struct change plain = make("src/main.c", CHANGE_MODIFIED, S_IFREG | 0644);
	rules_check(&plain, &ctx);
	assert_int_equal(plain.nf, 0);
}

static void mode_rules(void **state)
{
	(void)state;
	struct rules_ctx ctx = {.upper_fd = -1, .lower_fd = -1};
	struct change c = make("bin/x", CHANGE_ADDED, S_IFREG | 04755);
	rules_check(&c, &ctx);
	assert_true(has(&c, "setuid", SEV_HIGH));
	assert_true(has(&c, "executable", SEV_MEDIUM));
	free_findings(&c);
	c = make("p", CHANGE_ADDED, S_IFIFO | 0644);
	rules_check(&c, &ctx);
	assert_true(has(&c, "special-file", SEV_MEDIUM));
	free_findings(&c);
	/* Losing the execute bit is no finding. */
	c = make("run.sh", CHANGE_MODE, S_IFREG | 0644);
	c.lower_mode = S_IFREG | 0755;
	rules_check(&c, &ctx);
	assert_int_equal(c.nf, 0);
}

static void symlinks(void **state)
{
	(void)state;
	char dir[] = "/tmp/brig-test-rules-XXXXXX";
	assert_non_null(mkdtemp(dir));
	int fd = open(dir, O_PATH | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(mkdirat(fd, "a", 0755), 0);
	assert_int_equal(symlinkat("../b", fd, "a/in"), 0);
	assert_int_equal(symlinkat("../../b", fd, "a/out"), 0);
	assert_int_equal(symlinkat("/etc", fd, "abs"), 0);
	struct rules_ctx ctx = {.upper_fd = fd, .lower_fd = -1};
	struct change c = make("a/in", CHANGE_ADDED, S_IFLNK | 0777);
	rules_check(&c, &ctx);
	assert_true(has(&c, "symlink", SEV_LOW));
	free_findings(&c);
	c = make("a/out", CHANGE_ADDED, S_IFLNK | 0777);
	rules_check(&c, &ctx);
	assert_true(has(&c, "symlink-escape", SEV_HIGH));
	free_findings(&c);
	c = make("abs", CHANGE_ADDED, S_IFLNK | 0777);
	rules_check(&c, &ctx);
	assert_true(has(&c, "symlink-escape", SEV_HIGH));
	free_findings(&c);
	unlinkat(fd, "a/in", 0);
	unlinkat(fd, "a/out", 0);
	unlinkat(fd, "abs", 0);
	unlinkat(fd, "a", AT_REMOVEDIR);
	close(fd);
	rmdir(dir);
}

static void every_rule_listed(void **state)
{
	(void)state;
	size_t n = 0;
	const struct rule_doc *r = rules_list(&n);
	assert_true(n >= 25);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(r[i].id);
		assert_non_null(r[i].reason);
		assert_non_null(r[i].what);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gitconfig_risky_keys),
		cmocka_unit_test(path_rules),
		cmocka_unit_test(mode_rules),
		cmocka_unit_test(symlinks),
		cmocka_unit_test(every_rule_listed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
