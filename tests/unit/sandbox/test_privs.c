#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "sandbox/privs.h"

static int dropped(void *arg)
{
	(void)arg;
	become_userns_root();
	char *err = NULL;
	if (privs_drop(&err) < 0)
		return 1;
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &hdr, d) < 0 || d[0].effective || d[0].permitted || d[1].permitted)
		return 2;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 3;
	for (int cap = 0; cap <= 40; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			return 4;
	/* Securebits are locked: turning NOROOT off again must fail. */
	if (prctl(PR_SET_SECUREBITS, 0, 0, 0, 0) == 0)
		return 5;
	/* Capabilities cannot be raised back. */
	d[0].effective = d[0].permitted = 1u << CAP_SYS_ADMIN;
	if (syscall(SYS_capset, &hdr, d) == 0)
		return 6;
	return 0;
}

/* As root, dropping CAP_DAC_OVERRIDE makes a mode-000 file unreadable even for uid 0. */
static int no_dac_override(void *arg)
{
	const char *path = arg;
	char *err = NULL;
	if (privs_drop(&err) < 0)
		return 1;
	return open(path, O_RDONLY) < 0 && errno == EACCES ? 0 : 2;
}

static void test_drop(void **state)
{
	(void)state;
	assert_int_equal(in_child(dropped, NULL), 0);
}

static void test_root_loses_dac_override(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char path[] = "/tmp/brig-privs-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	chmod(path, 0);
	assert_int_equal(in_child(no_dac_override, path), 0);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_root_loses_dac_override),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
