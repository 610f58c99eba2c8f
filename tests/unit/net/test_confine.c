/* The broker's confinement, applied in a child: Landlock leaves only the resolver's files, and
 * seccomp kills exec and refuses raw and Unix sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "net/confine.h"

static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn());
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int files(void)
{
	if (confine_landlock() < 0)
		return 10;
	if (syscall(SYS_landlock_create_ruleset, NULL, 0, 1UL) < 1)
		return 0; /* no Landlock in this kernel: nothing more to check */
	if (open("/etc/passwd", O_RDONLY) >= 0 || errno != EACCES)
		return 11;
	if (open("/tmp/brig-confine-test", O_WRONLY | O_CREAT, 0600) >= 0)
		return 12;
	int fd = open("/etc/hosts", O_RDONLY);
	if (fd < 0 && errno != ENOENT)
		return 13;
	return 0;
}

static int exec_killed(void)
{
	if (confine_seccomp() < 0)
		return 10;
	char *const argv[] = {(char *)"true", NULL};
	execve("/bin/true", argv, argv + 1);
	return 11; /* exec failed without killing: also wrong */
}

static int sockets(void)
{
	if (confine_seccomp() < 0)
		return 10;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 11;
	if (socket(AF_INET, SOCK_RAW, 1) >= 0 || socket(AF_UNIX, SOCK_STREAM, 0) >= 0 ||
	    socket(AF_NETLINK, SOCK_RAW, 0) >= 0 || socket(AF_PACKET, SOCK_RAW, 0) >= 0)
		return 12;
	return 0;
}

static void landlock_files(void **state)
{
	(void)state;
	assert_int_equal(in_child(files), 0);
}

static void seccomp_exec(void **state)
{
	(void)state;
	assert_int_equal(in_child(exec_killed), 128 + SIGSYS);
}

static void seccomp_sockets(void **state)
{
	(void)state;
	assert_int_equal(in_child(sockets), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(landlock_files),
		cmocka_unit_test(seccomp_exec),
		cmocka_unit_test(seccomp_sockets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
