#include "net/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define BRIG_LL_NET_BIND_TCP (1ULL << 0)

/* The attribute layout of ABI >= 4 (handled_access_net), declared here so that older headers
 * still build; the kernel is told the size it is given. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
};

static const char *const resolver_files[] = {
	"/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf",
	NULL,
};

/* When brig runs as root the broker would otherwise keep every capability in the host's
 * namespaces (raw sockets, binding low ports, reading any file Landlock misses). */
static void drop_caps(void)
{
	for (int cap = 0; cap <= 63; cap++)
		prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};
	syscall(SYS_capset, &h, d);
}

int confine_landlock(void)
{
	drop_caps(); /* threads made later inherit the empty sets */
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		log_warn("network broker: this kernel has no Landlock; the broker runs with seccomp "
			 "only");
		return 0;
	}
	uint64_t fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */
	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	struct ll_ruleset_attr attr = {.handled_access_fs = fs,
				       .handled_access_net = abi >= 4 ? BRIG_LL_NET_BIND_TCP : 0};
	size_t size = abi >= 4 ? sizeof attr : sizeof attr.handled_access_fs;
	int rfd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (rfd < 0) {
		log_errno("network broker: landlock_create_ruleset");
		return -1;
	}
	for (size_t i = 0; resolver_files[i]; i++) {
		int fd = open(resolver_files[i], O_PATH | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct landlock_path_beneath_attr pb = {.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE,
							.parent_fd = fd};
		if (syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
			log_errno("network broker: landlock rule for %s", resolver_files[i]);
		close(fd);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_landlock_restrict_self, rfd, 0) < 0) {
		log_errno("network broker: landlock_restrict_self");
		close(rfd);
		return -1;
	}
	close(rfd);
	return 0;
}

static const char *const allowed[] = {
	"read", "write", "readv", "writev", "close", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"epoll_ctl", "accept4", "accept", "connect", "getsockopt", "setsockopt", "sendto",
	"recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "fcntl", "futex",
	"mmap", "munmap", "mremap", "madvise", "brk", "clock_gettime", "gettimeofday",
	"clock_nanosleep", "nanosleep", "exit", "exit_group", "rt_sigreturn", "rt_sigprocmask",
	"sigaltstack", "openat", "open", "newfstatat", "fstat", "statx", "lseek", "pread64",
	"getrandom", "getpid", "gettid", "tgkill", "poll", "ppoll", "getsockname", "getpeername",
	"bind", "uname", "sched_yield", "set_robust_list", "rseq", "getuid", "geteuid", "getgid",
	"getegid", "restart_syscall", "splice", "pipe2", "mprotect", "prlimit64", "sched_getaffinity", "rt_sigaction",
	NULL,
};

/* Kill outright: an exploited parser reaching for these is not a bug to tolerate. */
static const char *const fatal[] = {
	"execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev", "fork", "vfork",
	"clone3", "setns", "unshare", "mount", "pivot_root", "chroot", "bpf", "perf_event_open",
	"keyctl", "add_key", "request_key", "userfaultfd", "io_uring_setup", "kexec_load",
	"init_module", "finit_module", "open_by_handle_at", "memfd_create", NULL,
};

int confine_seccomp(void)
{
	/* Everything not listed fails with EPERM rather than killing: sanitizer runtimes and
	 * libc probe a few calls, and a refused call is already a closed door. */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		goto fail;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) < 0)
		goto fail;
	for (size_t i = 0; allowed[i]; i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr != __NR_SCMP_ERROR && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0)
			goto fail;
	}
	for (size_t i = 0; fatal[i]; i++) {
		int nr = seccomp_syscall_resolve_name(fatal[i]);
		if (nr != __NR_SCMP_ERROR && seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0) < 0)
			goto fail;
	}
	/* clone only for threads (the resolver's are made before this filter; none after). */
	if (seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 0) < 0)
		goto fail;
	/* Internet sockets for connecting out and the resolver; Unix sockets only fail (glibc asks
	 * nscd); netlink, packet and raw sockets fail too. */
	static const int fams[] = {AF_INET, AF_INET6}, types[] = {SOCK_STREAM, SOCK_DGRAM};
	for (size_t f = 0; f < 2; f++)
		for (size_t t = 0; t < 2; t++)
			if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
					     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fams[f]),
					     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf,
						     (scmp_datum_t)types[t])) < 0)
				goto fail;
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			     SCMP_A1(SCMP_CMP_EQ, FIONREAD)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			     SCMP_A1(SCMP_CMP_EQ, FIONBIO)) < 0)
		goto fail;
	if (seccomp_load(ctx) < 0)
		goto fail;
	seccomp_release(ctx);
	return 0;
fail:
	log_err("network broker: cannot install its seccomp filter");
	if (ctx)
		seccomp_release(ctx);
	return -1;
}
