#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "sandbox/harden_policy.h"
#include "sandbox/limits.h"

static int nofile(void *arg)
{
	(void)arg;
	struct harden_limits l = {.enabled = true, .nofile = 32};
	char *err = NULL;
	if (limits_apply_rlimits(&l, &err) < 0)
		return 1;
	int last = -1;
	for (int i = 0; i < 64; i++) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0)
			return errno == EMFILE && last < 32 ? 0 : 2;
		last = fd;
	}
	return 3;
}

static int fsize(void *arg)
{
	const char *path = arg;
	struct harden_limits l = {.enabled = true, .fsize = 4096};
	char *err = NULL;
	signal(SIGXFSZ, SIG_IGN);
	if (limits_apply_rlimits(&l, &err) < 0)
		return 1;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char buf[8192] = {0};
	ssize_t n = write(fd, buf, sizeof buf);
	ssize_t m = write(fd, buf, sizeof buf);
	return n == 4096 && m < 0 && errno == EFBIG ? 0 : 2;
}

/* Never raises: a limit already lower than the profile's stays. */
static int never_raise(void *arg)
{
	(void)arg;
	struct rlimit rl = {100, 100};
	setrlimit(RLIMIT_NOFILE, &rl);
	struct harden_limits l = {.enabled = true, .nofile = 5000};
	char *err = NULL;
	if (limits_apply_rlimits(&l, &err) < 0)
		return 1;
	getrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_cur == 100 && rl.rlim_max == 100 ? 0 : 2;
}

static void test_nofile(void **state)
{
	(void)state;
	assert_int_equal(in_child(nofile, NULL), 0);
}

static void test_fsize(void **state)
{
	(void)state;
	char path[] = "/tmp/brig-fsize-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(in_child(fsize, path), 0);
	unlink(path);
}

static void test_never_raise(void **state)
{
	(void)state;
	assert_int_equal(in_child(never_raise, NULL), 0);
}

static void test_disabled_is_noop(void **state)
{
	(void)state;
	struct harden_limits l = {.enabled = false, .nofile = 16};
	char *err = NULL;
	struct rlimit before, after;
	getrlimit(RLIMIT_NOFILE, &before);
	assert_int_equal(limits_apply_rlimits(&l, &err), 0);
	getrlimit(RLIMIT_NOFILE, &after);
	assert_int_equal(before.rlim_cur, after.rlim_cur);
	assert_int_equal(limits_cgroup_attach(&l, "x", getpid(), &err), 0);
}

static void test_probe(void **state)
{
	(void)state;
	struct limits_probe pr;
	limits_probe(&pr);
	/* Either a delegated parent, or a reason why not: never neither. */
	assert_true(pr.delegated ? pr.parent != NULL : pr.why != NULL);
	limits_probe_free(&pr);
	json_t *j = limits_probe_json();
	assert_non_null(json_object_get(j, "delegated"));
	json_decref(j);
	assert_non_null(strstr(limits_delegation_help(), "Delegate"));
}

/* Where a cgroup can be used (root on this kind of host, or a delegated v2 subtree), the
 * process lands in a per-session cgroup carrying the pids limit. */
static void test_cgroup_attach(void **state)
{
	(void)state;
	pid_t pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	struct harden_limits l = {.enabled = true, .pids = 16};
	char *err = NULL;
	int rc = limits_cgroup_attach(&l, "unit-test", pid, &err);
	char path[64], buf[4096] = "";
	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_true(rc >= 0);
	if (rc == 0)
		skip(); /* no delegation and not root: the rlimit fallback, tested above */
	assert_non_null(strstr(buf, "brig-unit-test"));
}

static void test_parse_size(void **state)
{
	(void)state;
	int64_t v;
	assert_int_equal(harden_parse_size("512M", &v), 0);
	assert_int_equal(v, 512ll << 20);
	assert_int_equal(harden_parse_size("2G", &v), 0);
	assert_int_equal(v, 2ll << 30);
	assert_int_equal(harden_parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ll << 30);
	assert_int_equal(harden_parse_size("1024", &v), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(harden_parse_size("12X", &v), -1);
	assert_int_equal(harden_parse_size("-1G", &v), -1);
	assert_int_equal(harden_parse_size("G", &v), -1);
	assert_int_equal(harden_parse_size("99999999999T", &v), -1);
	assert_int_equal(harden_parse_size("1Gx", &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nofile),	     cmocka_unit_test(test_fsize),
		cmocka_unit_test(test_never_raise),  cmocka_unit_test(test_disabled_is_noop),
		cmocka_unit_test(test_probe),	     cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_cgroup_attach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
