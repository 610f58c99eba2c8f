#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "sandbox/seccomp.h"

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

static uint64_t relaxed;

static int load(void)
{
	char *err = NULL;
	struct sc_prog prog;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sc_build(relaxed, &prog, &err) < 0 ||
	    sc_load(&prog, &err) < 0)
		return -1;
	sc_prog_free(&prog);
	return 0;
}

/* A denied call must fail with exactly this errno. */
#define DENIED(call, e)                                                                            \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(call);                                                            \
		if (r_ != -1 || errno != (e))                                                      \
			return __LINE__ % 200 + 10;                                                \
	} while (0)

static int denials(void *arg)
{
	(void)arg;
	if (load() < 0)
		return 1;
	DENIED(syscall(SYS_io_uring_setup, 8, NULL), EPERM);
	DENIED(syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM);
	DENIED(syscall(SYS_add_key, "user", "x", "y", 1, 0), EPERM);
	DENIED(syscall(SYS_bpf, 0, NULL, 0), EPERM);
	DENIED(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM);
	DENIED(syscall(SYS_userfaultfd, 0), EPERM);
	DENIED(ptrace(PTRACE_TRACEME, 0, 0, 0), EPERM);
	DENIED(syscall(SYS_process_vm_readv, getppid(), NULL, 0, NULL, 0, 0), EPERM);
	DENIED(mount("none", "/tmp", "tmpfs", 0, NULL), EPERM);
	DENIED(umount2("/tmp", MNT_DETACH), EPERM);
	DENIED(syscall(SYS_pivot_root, "/", "/"), EPERM);
	DENIED(chroot("/"), EPERM);
	DENIED(syscall(SYS_fsopen, "tmpfs", 0), ENOSYS);
	DENIED(syscall(SYS_open_tree, AT_FDCWD, "/", 0), ENOSYS);
	DENIED(syscall(SYS_move_mount, -1, "", -1, "", 0), ENOSYS);
	DENIED(syscall(SYS_mount_setattr, -1, "", 0, NULL, 0), ENOSYS);
	DENIED(unshare(CLONE_NEWUSER), EPERM);
	DENIED(unshare(CLONE_NEWNS), EPERM);
	DENIED(unshare(CLONE_NEWNET | CLONE_FILES), EPERM);
	DENIED(setns(0, 0), EPERM);
	DENIED(syscall(SYS_clone3, NULL, 0), ENOSYS);
	DENIED(syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
	DENIED(syscall(SYS_init_module, NULL, 0, ""), EPERM);
	DENIED(syscall(SYS_reboot, 0, 0, 0, NULL), EPERM);
	DENIED(syscall(SYS_swapon, "/x", 0), EPERM);
	DENIED(syscall(SYS_syslog, 3, NULL, 0), EPERM);
	DENIED(syscall(SYS_open_by_handle_at, -1, NULL, 0), EPERM);
	DENIED(socket(AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT);
	DENIED(socket(AF_ALG, SOCK_SEQPACKET, 0), EAFNOSUPPORT);
	DENIED(socket(AF_VSOCK, SOCK_STREAM, 0), EAFNOSUPPORT);
	DENIED(socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT), EPROTONOSUPPORT);
	/* The kernel reads the family as an int: upper bits do not hide AF_PACKET. */
	DENIED(syscall(SYS_socket, 0x100000000ul | AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT);
	DENIED(syscall(SYS_personality, 0xdead000000000000ul | ADDR_NO_RANDOMIZE), EPERM);
	DENIED(syscall(SYS_unshare, 0xffffffff00000000ul | CLONE_NEWUSER), EPERM);
	DENIED(personality(ADDR_NO_RANDOMIZE), EPERM);
	DENIED(personality(READ_IMPLIES_EXEC), EPERM);
	DENIED(personality(0x80000000u | ADDR_NO_RANDOMIZE), EPERM);
	return 0;
}

static int allowed(void *arg)
{
	(void)arg;
	if (load() < 0)
		return 1;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	int s4 = socket(AF_INET, SOCK_STREAM, 0);
	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (s < 0 || s4 < 0 || nl < 0 || (s6 < 0 && errno != EAFNOSUPPORT))
		return 2;
	if (personality(0xffffffff) < 0 || personality(PER_LINUX) < 0)
		return 3;
	pid_t pid = fork(); /* clone without namespace flags */
	if (pid < 0)
		return 4;
	if (pid == 0)
		_exit(0);
	int st;
	waitpid(pid, &st, 0);
	/* Other ioctls pass: FIONREAD on a socket. */
	int n;
	if (ioctl(s, FIONREAD, &n) < 0 && errno != EINVAL)
		return 5;
	return 0;
}

/* The kernel reads ioctl's request as 32 bits: 0x1_00005412 is TIOCSTI to it, and must be
 * denied too (the CVE-2017-5226 filter bypass). /dev/null answers ENOTTY when the call gets
 * through, so EPERM shows the filter decided. */
static int tty_inject(void *arg)
{
	(void)arg;
	int fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || load() < 0)
		return 1;
	char c = 'x';
	DENIED(ioctl(fd, TIOCSTI, &c), EPERM);
	DENIED(syscall(SYS_ioctl, fd, 0x100000000ul | TIOCSTI, &c), EPERM);
	DENIED(syscall(SYS_ioctl, fd, 0xffffffff00000000ul | TIOCSTI, &c), EPERM);
	DENIED(ioctl(fd, TIOCLINUX, &c), EPERM);
	DENIED(syscall(SYS_ioctl, fd, 0x100000000ul | TIOCLINUX, &c), EPERM);
	return 0;
}

static int x32_entry(void *arg)
{
	(void)arg;
	if (load() < 0)
		return 1;
	syscall(0x40000000 | SYS_getpid);
	return 2; /* reached only if the x32 call was let through */
}

static int i386_entry(void *arg)
{
	(void)arg;
	if (load() < 0)
		return 1;
	long ret;
	/* getpid (20) through the 32-bit entry point. */
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20) : "memory");
	return 2;
}

static int ptrace_relaxed(void *arg)
{
	(void)arg;
	if (load() < 0)
		return 1;
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
		return 2;
	return 0;
}

static void test_denials(void **state)
{
	(void)state;
	relaxed = 0;
	assert_int_equal(in_child(denials, NULL), 0);
}

static void test_allowed(void **state)
{
	(void)state;
	relaxed = 0;
	assert_int_equal(in_child(allowed, NULL), 0);
}

static void test_tty_inject_both_widths(void **state)
{
	(void)state;
	relaxed = 0;
	assert_int_equal(in_child(tty_inject, NULL), 0);
}

static void test_foreign_arch_killed(void **state)
{
	(void)state;
	relaxed = 0;
	assert_int_equal(in_child(x32_entry, NULL), 1000 + SIGSYS);
	assert_int_equal(in_child(i386_entry, NULL), 1000 + SIGSYS);
}

static void test_relax_ptrace(void **state)
{
	(void)state;
	relaxed = 1ull << sc_rule_index("ptrace");
	assert_int_equal(in_child(ptrace_relaxed, NULL), 0);
	relaxed = 0;
	assert_int_not_equal(in_child(ptrace_relaxed, NULL), 0);
}

static void test_rule_table(void **state)
{
	(void)state;
	assert_true(sc_rule_count() >= 12);
	assert_int_equal(sc_rule_index("nonsense"), -1);
	assert_true(sc_rule_relaxable((size_t)sc_rule_index("ptrace")));
	assert_false(sc_rule_relaxable((size_t)sc_rule_index("mount")));
	assert_false(sc_rule_relaxable((size_t)sc_rule_index("tty_inject")));
	json_t *j = sc_rules_json(1ull << sc_rule_index("bpf"));
	assert_int_equal(json_array_size(j), sc_rule_count());
	json_t *bpf = json_array_get(j, (size_t)sc_rule_index("bpf"));
	assert_false(json_is_true(json_object_get(bpf, "active")));
	assert_non_null(json_string_value(json_object_get(bpf, "stops")));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_denials),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_tty_inject_both_widths),
		cmocka_unit_test(test_foreign_arch_killed),
		cmocka_unit_test(test_relax_ptrace),
		cmocka_unit_test(test_rule_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
