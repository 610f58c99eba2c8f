#include "sandbox/seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/netlink.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/xalloc.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

/* Denies every named call outright. Calls this libseccomp does not know are skipped: the
 * kernel it was built for lacks them too, or a newer libseccomp would name them. */
static int deny_names(scmp_filter_ctx ctx, int err, const char *const *names)
{
	for (; *names; names++) {
		int nr = seccomp_syscall_resolve_name(*names);
		if (nr == __NR_SCMP_ERROR)
			continue;
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 0) < 0)
			return -1;
	}
	return 0;
}

/* io_uring performs reads, writes, connects and opens from kernel workers, out of reach of this
 * filter, and has been a steady source of privilege escalations (CVE-2022-29582, CVE-2023-2598). */
static int rule_io_uring(scmp_filter_ctx ctx)
{
	static const char *const n[] = {"io_uring_setup", "io_uring_enter", "io_uring_register", NULL};
	return deny_names(ctx, EPERM, n);
}

/* The kernel keyring is not namespaced: a cell could read or plant keys of the user's session
 * (Kerberos tickets, fscrypt and ecryptfs keys) and reach keyring bugs (CVE-2016-0728). */
static int rule_keyring(scmp_filter_ctx ctx)
{
	static const char *const n[] = {"keyctl", "add_key", "request_key", NULL};
	return deny_names(ctx, EPERM, n);
}

/* eBPF verifier bugs are kernel code execution (CVE-2021-3490, CVE-2023-2163). */
static int rule_bpf(scmp_filter_ctx ctx)
{
	static const char *const n[] = {"bpf", NULL};
	return deny_names(ctx, EPERM, n);
}

/* perf events leak kernel addresses and timing, and the subsystem has its own escalations
 * (CVE-2013-2094, CVE-2023-6931). */
static int rule_perf(scmp_filter_ctx ctx)
{
	static const char *const n[] = {"perf_event_open", NULL};
	return deny_names(ctx, EPERM, n);
}

/* userfaultfd lets a process stall the kernel in the middle of a copy from user memory: the
 * standard tool for winning use-after-free races in exploits. */
static int rule_userfaultfd(scmp_filter_ctx ctx)
{
	static const char *const n[] = {"userfaultfd", NULL};
	return deny_names(ctx, EPERM, n);
}

/* Reading and writing another process's memory: stealing tokens from a sibling agent process,
 * or injecting code into a process with a weaker filter (and ptrace-based seccomp bypasses on
 * kernels before 4.8). Debuggers need it: `ptrace = true` lifts this rule. */
static int rule_ptrace(scmp_filter_ctx ctx)
{
	static const char *const n[] = {"ptrace", "process_vm_readv", "process_vm_writev",
					"process_madvise", NULL};
	return deny_names(ctx, EPERM, n);
}

/* Whole-machine operations: loading kernel code (modules, kexec), rebooting, swap files,
 * process accounting files, reading the kernel log (addresses for exploits), raw port I/O. The
 * cell has no capability for them; this keeps their code paths out of reach entirely. */
static int rule_kernel_admin(scmp_filter_ctx ctx)
{
	static const char *const n[] = {
		"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
		"reboot",     "swapon",		 "swapoff",	"acct",	       "syslog",
		"iopl",	      "ioperm",		 "quotactl",	"lookup_dcookie", "uselib",
		"nfsservctl", "vhangup",	 NULL};
	return deny_names(ctx, EPERM, n);
}

/* open_by_handle_at opens any inode of a file system by number, past every mount and path
 * check (the 2014 "shocker" container escape). */
static int rule_file_handles(scmp_filter_ctx ctx)
{
	static const char *const n[] = {"open_by_handle_at", "name_to_handle_at", NULL};
	return deny_names(ctx, EPERM, n);
}

/* Changing the file view from inside: unmounting a read-only bind to reveal what is under it,
 * remounting the project's protected paths writable, chroot tricks. The new mount API gets
 * ENOSYS so that programs fall back to mount(2), which this filter can see and deny. */
static int rule_mount(scmp_filter_ctx ctx)
{
	static const char *const classic[] = {"mount", "umount", "umount2", "pivot_root", "chroot",
					      NULL};
	static const char *const fresh[] = {"open_tree", "move_mount", "fsopen",	 "fsconfig",
					    "fsmount",	 "fspick",     "mount_setattr", NULL};
	return deny_names(ctx, EPERM, classic) < 0 ? -1 : deny_names(ctx, ENOSYS, fresh);
}

/* ---- argument rules ----
 * Rules that look at arguments are a small classic-BPF program of their own, loaded next to
 * libseccomp's: the kernel applies every filter and the most restrictive answer wins. Written by
 * hand because libseccomp compares an argument once per rule (a personality check alone took 40
 * rules and 0.2 ms to compile at every start) and compares 64 bits where the kernel reads an
 * int: here each argument is read as its low 32 bits, exactly what the kernel sees. */

struct bpf_buf {
	struct sock_filter f[160];
	size_t n;
};

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i)) /* little-endian low half */
#define LD_ABS(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, jt, jf) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define RET_ERRNO(e) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
#define RET_ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the argument filter reads the low 32 bits of arguments at little-endian offsets"
#endif

/* if (nr == NR) { body, which always returns } */
static void block(struct bpf_buf *b, int nr, const struct sock_filter *body, size_t n)
{
	b->f[b->n++] = (struct sock_filter)LD_ABS(offsetof(struct seccomp_data, nr));
	b->f[b->n++] = (struct sock_filter)JEQ((unsigned)nr, 0, (unsigned char)n);
	memcpy(b->f + b->n, body, n * sizeof *body);
	b->n += n;
}

#define NS_FLAGS                                                                                   \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |             \
	 CLONE_NEWPID | CLONE_NEWNET)

/* A new user namespace gives back every capability (over a new set of kernel objects that have
 * had many bugs: CVE-2022-0185, CVE-2023-32233); other new namespaces and setns let the command
 * leave the cell's view. clone3 passes its flags in memory a filter cannot read: ENOSYS makes
 * libc fall back to clone, whose flags are checked here. In clone's flags 0x80 is part of the
 * exit signal, so CLONE_NEWTIME is only checked for unshare. */
static void args_namespaces(struct bpf_buf *b)
{
	const struct sock_filter unshare_body[] = {
		LD_ABS(ARG_LO(0)),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, NS_FLAGS | CLONE_NEWTIME),
		JEQ(0, 1, 0),
		RET_ERRNO(EPERM),
		RET_ALLOW,
	};
	const struct sock_filter clone_body[] = {
		LD_ABS(ARG_LO(0)),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, NS_FLAGS),
		JEQ(0, 1, 0),
		RET_ERRNO(EPERM),
		RET_ALLOW,
	};
	block(b, SYS_unshare, unshare_body, sizeof unshare_body / sizeof *unshare_body);
	block(b, SYS_clone, clone_body, sizeof clone_body / sizeof *clone_body);
}

static int rule_namespaces(scmp_filter_ctx ctx)
{
	static const char *const n[] = {"setns", NULL};
	static const char *const n3[] = {"clone3", NULL};
	return deny_names(ctx, EPERM, n) < 0 ? -1 : deny_names(ctx, ENOSYS, n3);
}

/* TIOCSTI pushes characters into the terminal's input queue: they run in the user's shell after
 * the cell exits (CVE-2017-5226). TIOCLINUX can do the same through the console's paste buffer.
 * The kernel reads the request as 32 bits, and so does this rule: a request with garbage in bits
 * 32-63 does not slip past (the 64-bit argument bypass of filters that compare 64 bits). */
static void args_tty_inject(struct bpf_buf *b)
{
	const struct sock_filter body[] = {
		LD_ABS(ARG_LO(1)),
		JEQ(TIOCSTI, 2, 0),
		JEQ(TIOCLINUX, 1, 0),
		RET_ALLOW,
		RET_ERRNO(EPERM),
	};
	block(b, SYS_ioctl, body, sizeof body / sizeof *body);
}

/* personality flags that weaken the process: no address randomisation (makes exploits of a
 * program run afterwards reliable), executable data, a mapping at address zero (NULL-pointer
 * kernel exploits). Plain values (PER_LINUX32 for `linux32`, UNAME26) and the query 0xffffffff
 * stay allowed. */
static void args_personality(struct bpf_buf *b)
{
	const unsigned bad = ADDR_NO_RANDOMIZE | MMAP_PAGE_ZERO | ADDR_COMPAT_LAYOUT |
			     READ_IMPLIES_EXEC | ADDR_LIMIT_32BIT | SHORT_INODE | WHOLE_SECONDS |
			     STICKY_TIMEOUTS | ADDR_LIMIT_3GB;
	const struct sock_filter body[] = {
		LD_ABS(ARG_LO(0)),
		JEQ(0xffffffffu, 3, 0), /* the query changes nothing */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, bad),
		JEQ(0, 1, 0),
		RET_ERRNO(EPERM),
		RET_ALLOW,
	};
	block(b, SYS_personality, body, sizeof body / sizeof *body);
}

/* Only unix, inet and inet6 sockets (and netlink route, which getaddrinfo uses to list local
 * addresses). Other families are rarely used code with a long list of bugs: AF_PACKET
 * (CVE-2017-7308, CVE-2020-14386), AF_ALG (CVE-2017-17712 class), AF_VSOCK (CVE-2021-26708),
 * AF_BLUETOOTH, AF_KEY, and raw netlink families such as NETLINK_AUDIT or nftables. */
static void args_socket_families(struct bpf_buf *b)
{
	const struct sock_filter body[] = {
		LD_ABS(ARG_LO(0)),
		JEQ(AF_UNIX, 7, 0),
		JEQ(AF_INET, 6, 0),
		JEQ(AF_INET6, 5, 0),
		JEQ(AF_NETLINK, 1, 0),
		RET_ERRNO(EAFNOSUPPORT),
		LD_ABS(ARG_LO(2)),
		JEQ(NETLINK_ROUTE, 1, 0),
		RET_ERRNO(EPROTONOSUPPORT),
		RET_ALLOW,
	};
	block(b, SYS_socket, body, sizeof body / sizeof *body);
	block(b, SYS_socketpair, body, sizeof body / sizeof *body);
}

struct rule_group {
	const char *name;
	const char *stops;
	int relaxable;
	int (*add)(scmp_filter_ctx ctx);  /* libseccomp rules, or NULL */
	void (*args)(struct bpf_buf *b); /* argument rules, or NULL */
};

static const struct rule_group groups[] = {
	{"io_uring", "io_uring: I/O done by kernel workers outside this filter, and its exploits", 1,
	 rule_io_uring},
	{"keyring", "reading or planting keys in the user's kernel keyring (not namespaced)", 1,
	 rule_keyring},
	{"bpf", "eBPF programs: verifier bugs are kernel code execution", 1, rule_bpf},
	{"perf", "perf_event_open: kernel address leaks and perf exploits", 1, rule_perf},
	{"userfaultfd", "userfaultfd: stalling kernel copies to win exploit races", 1,
	 rule_userfaultfd},
	{"ptrace", "ptrace and process_vm_readv/writev: reading or injecting into other processes",
	 1, rule_ptrace},
	{"kernel_admin",
	 "kexec, module loading, reboot, swap, acct, syslog, port I/O: whole-machine operations", 0,
	 rule_kernel_admin},
	{"file_handles", "open_by_handle_at: opening inodes past mounts (the shocker escape)", 0,
	 rule_file_handles},
	{"mount",
	 "mount, umount, pivot_root, chroot and the new mount API: changing the cell's file view",
	 0, rule_mount},
	{"namespaces",
	 "unshare/clone/setns with namespace flags: a nested user namespace's capabilities, leaving "
	 "the cell's view",
	 1, rule_namespaces, args_namespaces},
	{"tty_inject",
	 "ioctl TIOCSTI/TIOCLINUX (32-bit compare): typing commands into the user's terminal", 0,
	 NULL, args_tty_inject},
	{"personality", "personality flags that disable ASLR or make data executable", 1,
	 NULL, args_personality},
	{"socket_families",
	 "sockets other than unix, inet, inet6, netlink route: AF_PACKET, AF_ALG, AF_VSOCK... bugs",
	 0, NULL, args_socket_families},
};

size_t sc_rule_count(void) { return sizeof groups / sizeof *groups; }
const char *sc_rule_name(size_t i) { return i < sc_rule_count() ? groups[i].name : NULL; }
const char *sc_rule_stops(size_t i) { return i < sc_rule_count() ? groups[i].stops : NULL; }
int sc_rule_relaxable(size_t i) { return i < sc_rule_count() && groups[i].relaxable; }

int sc_rule_index(const char *name)
{
	for (size_t i = 0; i < sc_rule_count(); i++)
		if (!strcmp(groups[i].name, name))
			return (int)i;
	return -1;
}

/* libseccomp writes the program to an fd; reading it back into memory lets the load itself be a
 * single prctl with no allocation, after rlimits have been lowered. */
static int export_prog(scmp_filter_ctx ctx, struct sc_prog *out, char **err)
{
	int fd = memfd_create("brig-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		*err = xasprintf("seccomp: memfd_create: %s", strerror(errno));
		return -1;
	}
	int rc = seccomp_export_bpf(ctx, fd);
	off_t size = lseek(fd, 0, SEEK_END);
	if (rc < 0 || size <= 0 || size % (off_t)sizeof(struct sock_filter) ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		close(fd);
		*err = xasprintf("seccomp: cannot export the filter (%s)", strerror(rc < 0 ? -rc : EINVAL));
		return -1;
	}
	out->insns = xmalloc((size_t)size);
	if (pread(fd, out->insns, (size_t)size, 0) != size) {
		close(fd);
		sc_prog_free(out);
		*err = xasprintf("seccomp: cannot read the exported filter back");
		return -1;
	}
	close(fd);
	out->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	return 0;
}

/* The argument filter: an architecture guard (other architectures are the main filter's to
 * kill; here their numbers mean something else), then one block per checked call. */
static void build_args(uint64_t relaxed, struct sc_prog *out)
{
	struct bpf_buf b = {.n = 0};
	b.f[b.n++] = (struct sock_filter)LD_ABS(offsetof(struct seccomp_data, arch));
	b.f[b.n++] = (struct sock_filter)JEQ(seccomp_arch_native(), 1, 0);
	b.f[b.n++] = (struct sock_filter)RET_ALLOW;
	for (size_t i = 0; i < sc_rule_count(); i++)
		if (groups[i].args && !(relaxed & (1ull << i)))
			groups[i].args(&b);
	b.f[b.n++] = (struct sock_filter)RET_ALLOW;
	out->args_insns = xmalloc(b.n * sizeof *b.f);
	memcpy(out->args_insns, b.f, b.n * sizeof *b.f);
	out->args_len = (unsigned short)b.n;
}

int sc_build(uint64_t relaxed, struct sc_prog *out, char **err)
{
	memset(out, 0, sizeof *out);
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		*err = xasprintf("seccomp: cannot create a filter");
		return -1;
	}
	/* Only the native architecture: i386 (int 0x80) and x32 entries reach different syscall
	 * tables with different numbers, where a deny list written for x86_64 means nothing. The
	 * process is killed rather than given an error it might retry differently. */
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	/* no_new_privs is set by privs.c before the load, and checked there. */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	for (size_t i = 0; rc == 0 && i < sc_rule_count(); i++) {
		if (relaxed & (1ull << i))
			continue;
		if (groups[i].add && groups[i].add(ctx) < 0) {
			seccomp_release(ctx);
			*err = xasprintf("seccomp: cannot add rule '%s'", groups[i].name);
			return -1;
		}
	}
	if (rc < 0) {
		seccomp_release(ctx);
		*err = xasprintf("seccomp: cannot set filter attributes: %s", strerror(-rc));
		return -1;
	}
	rc = export_prog(ctx, out, err);
	seccomp_release(ctx);
	if (rc == 0)
		build_args(relaxed, out);
	return rc;
}

int sc_load(const struct sc_prog *prog, char **err)
{
	struct sock_fprog fp = {.len = prog->len, .filter = prog->insns};
	struct sock_fprog args = {.len = prog->args_len, .filter = prog->args_insns};
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) < 0 ||
	    (args.len && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &args, 0, 0) < 0)) {
		*err = xasprintf("seccomp: cannot load the filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void sc_prog_free(struct sc_prog *prog)
{
	free(prog->insns);
	free(prog->args_insns);
	memset(prog, 0, sizeof *prog);
}

json_t *sc_rules_json(uint64_t relaxed)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sc_rule_count(); i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:b}", "name", groups[i].name,
						   "stops", groups[i].stops, "active",
						   !(relaxed & (1ull << i)), "relaxable",
						   groups[i].relaxable));
	return a;
}
