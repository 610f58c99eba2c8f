#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "sandbox/landlock.h"
#include "sandbox/plan.h"

static char root[64];

static char *at(const char *rel)
{
	static char buf[8][256];
	static int i;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof buf[i], "%s/%s", root, rel);
	return buf[i];
}

static int setup(void **state)
{
	(void)state;
	strcpy(root, "/tmp/brig-ll-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	mkdir(at("ro"), 0755);
	mkdir(at("rw"), 0755);
	mkdir(at("hidden"), 0755);
	mkdir(at("rw/inner-ro"), 0755);
	FILE *f = fopen(at("ro/file"), "w");
	fputs("hello", f);
	fclose(f);
	f = fopen(at("hidden/secret"), "w");
	fputs("secret", f);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static int restricted(void *arg)
{
	struct plan *plan = arg;
	char *err = NULL;
	struct landlock_opts o = {.scope = true};
	int abi = landlock_abi_version();
	int fd = landlock_prepare(plan, &o, abi, &err);
	if (fd < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || landlock_enforce(fd, &err) < 0)
		return 1;
	/* Writable where the plan binds read-write. */
	int w = open(at("rw/new"), O_WRONLY | O_CREAT, 0644);
	if (w < 0)
		return 2;
	close(w);
	if (mkdir(at("rw/dir"), 0755) < 0 || unlink(at("rw/new")) < 0)
		return 3;
	/* Readable, not writable, where read-only. */
	int r = open(at("ro/file"), O_RDONLY);
	if (r < 0)
		return 4;
	close(r);
	if (open(at("ro/file"), O_WRONLY) >= 0 || errno != EACCES)
		return 5;
	if (open(at("ro/new"), O_WRONLY | O_CREAT, 0644) >= 0 || errno != EACCES)
		return 6;
	/* Nothing where nothing is mounted. */
	if (open(at("hidden/secret"), O_RDONLY) >= 0 || errno != EACCES)
		return 7;
	if (open("/etc/hostname", O_RDONLY) >= 0 && open("/etc/passwd", O_RDONLY) >= 0)
		return 8;
	/* A hard link would carry a read-only file into a writable tree: refused (ABI 2 refer). */
	if (link(at("ro/file"), at("rw/link")) == 0)
		return 9;
	return 0;
}

static void test_mirror_plan(void **state)
{
	(void)state;
	if (landlock_abi_version() < 1)
		skip();
	struct plan plan = {0};
	plan_add(&plan, PLAN_BIND_RO, at("ro"), at("ro"), "test");
	plan_add(&plan, PLAN_BIND_RW, at("rw"), at("rw"), "test");
	assert_int_equal(in_child(restricted, &plan), 0);
	plan_free(&plan);
}

/* A tmpfs step is writable in the cell's view even though nothing of the host can change
 * there: Landlock must follow the view, not plan_path_writable's host question. */
static int tmpfs_writable(void *arg)
{
	struct plan *plan = arg;
	char *err = NULL;
	struct landlock_opts o = {0};
	int fd = landlock_prepare(plan, &o, landlock_abi_version(), &err);
	if (fd < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || landlock_enforce(fd, &err) < 0)
		return 1;
	int w = open(at("hidden/scratch"), O_WRONLY | O_CREAT, 0644);
	if (w < 0)
		return 2;
	close(w);
	return unlink(at("hidden/scratch")) == 0 ? 0 : 3;
}

static void test_tmpfs_step_writable(void **state)
{
	(void)state;
	if (landlock_abi_version() < 1)
		skip();
	struct plan plan = {0};
	plan_add(&plan, PLAN_TMPFS, NULL, at("hidden"), "test");
	assert_int_equal(in_child(tmpfs_writable, &plan), 0);
	plan_free(&plan);
}

/* Abstract unix sockets bound outside the Landlock domain cannot be reached from inside it
 * (ABI 6): the host's X11 (@/tmp/.X11-unix/X0) and D-Bus sockets when the network is shared. */
static int abstract_connect(void *arg)
{
	struct plan *plan = arg;
	char *err = NULL;
	struct landlock_opts o = {.scope = true};
	int fd = landlock_prepare(plan, &o, landlock_abi_version(), &err);
	if (fd < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || landlock_enforce(fd, &err) < 0)
		return 1;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	memcpy(a.sun_path, "\0brig-test-abstract", 19);
	if (connect(s, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 19) == 0)
		return 2;
	return errno == EPERM ? 0 : 3;
}

static void test_scope_abstract(void **state)
{
	(void)state;
	if (landlock_abi_version() < 6)
		skip();
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	memcpy(a.sun_path, "\0brig-test-abstract", 19);
	assert_int_equal(bind(l, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 19),
			 0);
	assert_int_equal(listen(l, 1), 0);
	struct plan plan = {0};
	assert_int_equal(in_child(abstract_connect, &plan), 0);
	close(l);
	plan_free(&plan);
}

static void test_abi(void **state)
{
	(void)state;
	int abi = landlock_abi_version();
	assert_true(abi >= 0);
	assert_non_null(landlock_abi_features(abi));
	assert_string_equal(landlock_abi_features(0), "none");
	assert_non_null(strstr(landlock_abi_features(99), "scopes"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abi),
		cmocka_unit_test(test_mirror_plan),
		cmocka_unit_test(test_tmpfs_step_writable),
		cmocka_unit_test(test_scope_abstract),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
