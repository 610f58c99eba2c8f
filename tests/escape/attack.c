/* Attack programs for the escape suite, one multi-call binary: `attack NAME ARGS...`.
 * Each attack prints "ok" when the call it tries succeeded (the attack got through) or
 * "errno=ENAME" when the kernel refused it, so that a test asserts on what really happened.
 * Built by the suite with `cc` at set-up; never part of brig. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif

static int report(long rc)
{
	if (rc >= 0)
		puts("ok");
	else
		printf("errno=%s\n", strerrorname_np(errno));
	return 0;
}

/* Injects a character into a terminal we control: a fresh pty made our controlling tty, so
 * that only a filter (or the kernel's legacy_tiocsti switch) can stop it. */
static int tiocsti(int wide)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
		return report(-1);
	setsid();
	int s = open(ptsname(m), O_RDWR);
	if (s < 0)
		return report(-1);
	ioctl(s, TIOCSCTTY, 0);
	char c = 'X';
	unsigned long req = TIOCSTI | (wide ? 0xdead000000000000ul : 0);
	long rc = syscall(SYS_ioctl, s, req, &c);
	int e = errno;
	/* Whatever the call said: did a character arrive? */
	struct termios t;
	tcgetattr(s, &t);
	cfmakeraw(&t);
	tcsetattr(s, TCSANOW, &t);
	char got;
	fcntl(s, F_SETFL, O_NONBLOCK);
	if (read(s, &got, 1) == 1) {
		puts("injected");
		return 0;
	}
	errno = e;
	return report(rc);
}

/* On /dev/null the kernel itself would say ENOTTY: EPERM is the filter's answer. */
static int tioclinux(int wide)
{
	int fd = open("/dev/null", O_RDONLY);
	char buf[2] = {2, 0}; /* TIOCL_SETSEL-like subcode */
	unsigned long req = TIOCLINUX | (wide ? 0x100000000ul : 0);
	return report(syscall(SYS_ioctl, fd, req, buf));
}

static int do_clone_newuser(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return report(pid);
}

static int do_socket(const char *fam)
{
	if (!strcmp(fam, "packet"))
		return report(socket(AF_PACKET, SOCK_RAW, 0));
	if (!strcmp(fam, "alg"))
		return report(socket(AF_ALG, SOCK_SEQPACKET, 0));
	if (!strcmp(fam, "vsock"))
		return report(socket(AF_VSOCK, SOCK_STREAM, 0));
	if (!strcmp(fam, "key"))
		return report(socket(AF_KEY, SOCK_RAW, 2));
	if (!strcmp(fam, "bluetooth"))
		return report(socket(AF_BLUETOOTH, SOCK_RAW, 0));
	if (!strcmp(fam, "netlink-audit"))
		return report(socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT));
	if (!strcmp(fam, "netlink-netfilter"))
		return report(socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER));
	if (!strcmp(fam, "inet-highbits"))
		return report(syscall(SYS_socket, 0x100000000ul | AF_PACKET, SOCK_RAW, 0));
	return 2;
}

static socklen_t unix_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	size_t n = strlen(name);
	if (name[0] == '@') { /* abstract */
		memcpy(a->sun_path + 1, name + 1, n - 1);
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	}
	memcpy(a->sun_path, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/* Host side: listens on a unix socket (path or @abstract) for secs seconds. */
static int serve(const char *name, int secs)
{
	struct sockaddr_un a;
	socklen_t len = unix_addr(&a, name);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(s, (struct sockaddr *)&a, len) < 0 || listen(s, 8) < 0)
		return report(-1);
	puts("listening");
	fflush(stdout);
	alarm((unsigned)secs);
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c >= 0) {
			(void)!write(c, "HOST-SECRET\n", 12);
			close(c);
		}
	}
}

static int connect_unix(const char *name)
{
	struct sockaddr_un a;
	socklen_t len = unix_addr(&a, name);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&a, len) < 0)
		return report(-1);
	char buf[64] = "";
	(void)!read(s, buf, sizeof buf - 1);
	printf("connected %s", buf);
	return 0;
}

static int mem(long mb)
{
	for (long i = 0; i < mb; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			printf("allocation failed after %ld MiB\n", i);
			return 0;
		}
		memset(p, 1, 1 << 20);
	}
	printf("allocated %ld MiB\n", mb);
	return 0;
}

static int forkbomb(long max)
{
	setpgid(0, 0);
	long n = 0;
	for (; n < max; n++) {
		pid_t p = fork();
		if (p < 0)
			break;
		if (p == 0) {
			pause();
			_exit(0);
		}
	}
	if (n < max)
		printf("fork failed after %ld: %s\n", n, strerrorname_np(errno));
	else
		printf("forked %ld\n", n);
	fflush(stdout);
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGKILL);
	return 0;
}

static int write_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		return report(-1);
	return report(write(fd, "pwned\n", 6));
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *a = argv[1];
	const char *x = argc > 2 ? argv[2] : "";
	pid_t pid = argc > 2 ? (pid_t)atoi(argv[2]) : 0;
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(a, "tiocsti"))
		return tiocsti(0);
	if (!strcmp(a, "tiocsti-wide"))
		return tiocsti(1);
	if (!strcmp(a, "tioclinux"))
		return tioclinux(0);
	if (!strcmp(a, "tioclinux-wide"))
		return tioclinux(1);
	if (!strcmp(a, "ptrace-attach"))
		return report(ptrace(PTRACE_ATTACH, pid, 0, 0));
	if (!strcmp(a, "ptrace-seize"))
		return report(ptrace(PTRACE_SEIZE, pid, 0, 0));
	if (!strcmp(a, "vm-read")) {
		char buf[16];
		struct iovec l = {buf, sizeof buf}, r = {(void *)0x400000, sizeof buf};
		return report(syscall(SYS_process_vm_readv, pid, &l, 1, &r, 1, 0));
	}
	if (!strcmp(a, "proc-mem-write")) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/mem", pid);
		return report(open(path, O_RDWR));
	}
	if (!strcmp(a, "keyctl-session"))
		return report(syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0));
	if (!strcmp(a, "add-key"))
		return report(syscall(SYS_add_key, "user", "brig", "secret", 6, -3));
	if (!strcmp(a, "request-key"))
		return report(syscall(SYS_request_key, "user", "brig", NULL, -3));
	if (!strcmp(a, "io-uring"))
		return report(syscall(SYS_io_uring_setup, 8, calloc(1, 256)));
	if (!strcmp(a, "bpf")) {
		char attr[128] = {0};
		return report(syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, attr, sizeof attr));
	}
	if (!strcmp(a, "perf")) {
		char attr[128] = {0};
		return report(syscall(SYS_perf_event_open, attr, 0, -1, -1, 0));
	}
	if (!strcmp(a, "userfaultfd"))
		return report(syscall(SYS_userfaultfd, O_CLOEXEC));
	if (!strcmp(a, "unshare-user"))
		return report(unshare(CLONE_NEWUSER));
	if (!strcmp(a, "unshare-mount"))
		return report(unshare(CLONE_NEWNS));
	if (!strcmp(a, "unshare-net"))
		return report(unshare(CLONE_NEWNET));
	if (!strcmp(a, "unshare-pid"))
		return report(unshare(CLONE_NEWPID));
	if (!strcmp(a, "clone-newuser"))
		return do_clone_newuser();
	if (!strcmp(a, "clone3"))
		return report(syscall(SYS_clone3, calloc(1, 88), 88));
	if (!strcmp(a, "setns"))
		return report(setns(open(x, O_RDONLY), 0));
	if (!strcmp(a, "mount-tmpfs"))
		return report(mount("none", x, "tmpfs", 0, NULL));
	if (!strcmp(a, "remount-rw"))
		return report(mount(NULL, x, NULL, MS_REMOUNT | MS_BIND, NULL));
	if (!strcmp(a, "umount"))
		return report(umount2(x, MNT_DETACH));
	if (!strcmp(a, "fsopen"))
		return report(syscall(SYS_fsopen, "tmpfs", 0));
	if (!strcmp(a, "open-tree"))
		return report(syscall(SYS_open_tree, AT_FDCWD, x, 1 /* OPEN_TREE_CLONE */));
	if (!strcmp(a, "move-mount"))
		return report(syscall(SYS_move_mount, AT_FDCWD, x, AT_FDCWD, "/tmp", 0));
	if (!strcmp(a, "mount-setattr")) {
		uint64_t attr[4] = {0, 1 /* MOUNT_ATTR_RDONLY to clear */, 0, 0};
		return report(syscall(SYS_mount_setattr, AT_FDCWD, x, 0, attr, sizeof attr));
	}
	if (!strcmp(a, "chroot"))
		return report(chroot(x));
	if (!strcmp(a, "pivot-root"))
		return report(syscall(SYS_pivot_root, ".", "."));
	if (!strcmp(a, "x32")) {
		syscall(0x40000000 | SYS_getpid);
		puts("x32 syscall returned: not blocked");
		return 0;
	}
	if (!strcmp(a, "i386")) {
		long ret;
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20) : "memory");
		puts("int 0x80 returned: not blocked");
		return 0;
	}
	if (!strcmp(a, "socket"))
		return do_socket(x);
	if (!strcmp(a, "personality"))
		return report(personality(ADDR_NO_RANDOMIZE));
	if (!strcmp(a, "open-by-handle")) {
		char h[136] = {0};
		return report(syscall(SYS_open_by_handle_at, AT_FDCWD, h, O_RDONLY));
	}
	if (!strcmp(a, "name-to-handle")) {
		char h[136] = {0};
		int mid;
		((unsigned *)h)[0] = 128;
		return report(syscall(SYS_name_to_handle_at, AT_FDCWD, "/", h, &mid, 0));
	}
	if (!strcmp(a, "init-module"))
		return report(syscall(SYS_init_module, "", 0, ""));
	if (!strcmp(a, "kexec"))
		return report(syscall(SYS_kexec_load, 0, 0, NULL, 0));
	if (!strcmp(a, "reboot"))
		return report(syscall(SYS_reboot, 0xfee1dead, 672274793, 0x4321fedc, NULL));
	if (!strcmp(a, "swapon"))
		return report(syscall(SYS_swapon, x, 0));
	if (!strcmp(a, "syslog"))
		return report(syscall(SYS_syslog, 10 /* SIZE_BUFFER */, NULL, 0));
	if (!strcmp(a, "acct"))
		return report(syscall(SYS_acct, x));
	if (!strcmp(a, "mknod"))
		return report(mknod(x, S_IFBLK | 0600, makedev(8, 0)));
	if (!strcmp(a, "open-write"))
		return report(open(x, O_WRONLY));
	if (!strcmp(a, "write"))
		return write_file(x);
	if (!strcmp(a, "read-fd")) {
		char buf[64];
		return report(read(atoi(x), buf, sizeof buf));
	}
	if (!strcmp(a, "kill"))
		return report(kill(pid, argc > 3 ? atoi(argv[3]) : SIGKILL));
	if (!strcmp(a, "serve"))
		return serve(x, argc > 3 ? atoi(argv[3]) : 30);
	if (!strcmp(a, "connect"))
		return connect_unix(x);
	if (!strcmp(a, "euid"))
		return printf("%u\n", (unsigned)geteuid()) < 0;
	if (!strcmp(a, "mem"))
		return mem(atol(x));
	if (!strcmp(a, "forkbomb"))
		return forkbomb(atol(x));
	fprintf(stderr, "attack: unknown attack %s\n", a);
	return 2;
}
