#include "sandbox/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/plan.h"
#include "util/xalloc.h"

/* The uapi header on build machines often predates ABI 4-7; the values below are the kernel's
 * stable ABI, written out so that brig built on an old distribution still uses a new kernel. */
#define LL_CREATE_VERSION (1u << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

#define LL_FS_EXECUTE (1ull << 0)
#define LL_FS_WRITE_FILE (1ull << 1)
#define LL_FS_READ_FILE (1ull << 2)
#define LL_FS_READ_DIR (1ull << 3)
#define LL_FS_REMOVE_DIR (1ull << 4)
#define LL_FS_REMOVE_FILE (1ull << 5)
#define LL_FS_MAKE_CHAR (1ull << 6)
#define LL_FS_MAKE_DIR (1ull << 7)
#define LL_FS_MAKE_REG (1ull << 8)
#define LL_FS_MAKE_SOCK (1ull << 9)
#define LL_FS_MAKE_FIFO (1ull << 10)
#define LL_FS_MAKE_BLOCK (1ull << 11)
#define LL_FS_MAKE_SYM (1ull << 12)
#define LL_FS_REFER (1ull << 13)    /* ABI 2 */
#define LL_FS_TRUNCATE (1ull << 14) /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ull << 15) /* ABI 5 */

#define LL_NET_CONNECT_TCP (1ull << 1) /* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX (1ull << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ull << 1)        /* ABI 6 */

struct ll_ruleset_attr {
	uint64_t handled_fs;
	uint64_t handled_net;
	uint64_t scoped;
};

struct ll_path_beneath {
	uint64_t allowed;
	int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port {
	uint64_t allowed;
	uint64_t port;
};

/* Rights that make sense on a file that is not a directory; the kernel refuses others there. */
#define LL_FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | \
			LL_FS_IOCTL_DEV)
#define LL_READ_RIGHTS (LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_IOCTL_DEV)

int landlock_abi_version(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_VERSION);
	return v < 0 ? 0 : (int)v;
}

const char *landlock_abi_features(int abi)
{
	static const char *const f[] = {
		"none",
		"fs",
		"fs, refer",
		"fs, refer, truncate",
		"fs, refer, truncate, tcp",
		"fs, refer, truncate, tcp, ioctl-dev",
		"fs, refer, truncate, tcp, ioctl-dev, scopes",
	};
	if (abi < 0)
		abi = 0;
	return abi < (int)(sizeof f / sizeof *f) ? f[abi] : f[sizeof f / sizeof *f - 1];
}

static uint64_t handled_fs(int abi)
{
	uint64_t h = (LL_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0-12 */
	if (abi >= 2)
		h |= LL_FS_REFER;
	if (abi >= 3)
		h |= LL_FS_TRUNCATE;
	if (abi >= 5)
		h |= LL_FS_IOCTL_DEV;
	return h;
}

static int add_path(int rfd, const char *path, uint64_t rights, char **err)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		/* Optional steps whose source is missing leave nothing to grant. */
		if (errno == ENOENT)
			return 0;
		*err = xasprintf("landlock: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rights &= LL_FILE_RIGHTS;
	struct ll_path_beneath pb = {.allowed = rights, .parent_fd = fd};
	long rc = syscall(SYS_landlock_add_rule, rfd, LL_RULE_PATH_BENEATH, &pb, 0);
	int e = errno;
	close(fd);
	if (rc < 0) {
		*err = xasprintf("landlock: cannot add a rule for %s: %s", path, strerror(e));
		return -1;
	}
	return 0;
}

/* dst covers path when equal or a parent directory of it. */
static bool covers(const char *dst, const char *path)
{
	size_t n = strlen(dst);
	if (n == 1 && dst[0] == '/')
		return true;
	return strncmp(dst, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Writable in the cell's own view: host binds, but also tmpfs and overlays, whose writes stay in
 * the cell or the session (plan_path_writable answers the host's question instead). */
static bool view_writable(const struct plan *plan, const char *path)
{
	for (size_t i = plan->n; i-- > 0;) {
		const struct plan_entry *e = &plan->e[i];
		if (e->kind == PLAN_DIR || e->kind == PLAN_SYMLINK || !covers(e->dst, path))
			continue;
		return e->kind == PLAN_BIND_RW || e->kind == PLAN_TMPFS || e->kind == PLAN_OVERLAY ||
		       e->kind == PLAN_DEV || e->kind == PLAN_DEV_BIND;
	}
	return false;
}

/* The rights of one step of the plan, given what the final view makes of its destination. */
static uint64_t step_rights(const struct plan *plan, const struct plan_entry *e, uint64_t all)
{
	switch (e->kind) {
	case PLAN_DIR:
	case PLAN_SYMLINK:
		return 0; /* inherit from the tmpfs they live in */
	case PLAN_PROC:
		/* Read-only: writing /proc/PID/mem of a sibling would be ptrace by other means. */
		return LL_READ_RIGHTS & ~LL_FS_IOCTL_DEV;
	case PLAN_DEV:
		return all;
	case PLAN_DEV_BIND:
		return (LL_FILE_RIGHTS & all);
	default:
		return view_writable(plan, e->dst) ? all : (LL_READ_RIGHTS & all);
	}
}

static int add_plan(int rfd, const struct plan *plan, uint64_t all, char **err)
{
	/* Listing "/" and the directories brig made in it is harmless and expected (`ls /`);
	 * reading or writing anything still needs a rule below. */
	if (add_path(rfd, "/", LL_FS_READ_DIR, err) < 0)
		return -1;
	for (size_t i = 0; i < plan->n; i++) {
		uint64_t r = step_rights(plan, &plan->e[i], all);
		if (r && add_path(rfd, plan->e[i].dst, r, err) < 0)
			return -1;
	}
	return 0;
}

static int add_ports(int rfd, const struct landlock_opts *o, char **err)
{
	for (int i = 0; i < o->nports; i++) {
		struct ll_net_port np = {.allowed = LL_NET_CONNECT_TCP, .port = o->ports[i]};
		if (syscall(SYS_landlock_add_rule, rfd, LL_RULE_NET_PORT, &np, 0) < 0) {
			*err = xasprintf("landlock: cannot allow TCP port %u: %s", o->ports[i],
					 strerror(errno));
			return -1;
		}
	}
	return 0;
}

int landlock_prepare(const struct plan *plan, const struct landlock_opts *o, int abi, char **err)
{
	if (abi < 1) {
		*err = xasprintf("landlock: not available in this kernel");
		return -1;
	}
	struct ll_ruleset_attr attr = {.handled_fs = handled_fs(abi)};
	bool net = o->nports > 0 && abi >= 4;
	if (net)
		attr.handled_net = LL_NET_CONNECT_TCP;
	/* Abstract unix sockets are otherwise reachable by name from any process of the same
	 * network namespace (the host's X11 and D-Bus sockets when the network is shared), and
	 * signals could reach processes outside the cell's Landlock domain. */
	if (o->scope && abi >= 6)
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	/* Older kernels take a shorter struct; trailing fields they do not know must be zero. */
	size_t size = abi >= 6 ? sizeof attr : abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
	int rfd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (rfd < 0) {
		*err = xasprintf("landlock: cannot create a ruleset: %s", strerror(errno));
		return -1;
	}
	if (add_plan(rfd, plan, attr.handled_fs, err) < 0 || (net && add_ports(rfd, o, err) < 0)) {
		close(rfd);
		return -1;
	}
	return rfd;
}

int landlock_enforce(int rfd, char **err)
{
	long rc = syscall(SYS_landlock_restrict_self, rfd, 0);
	int e = errno;
	close(rfd);
	if (rc < 0) {
		*err = xasprintf("landlock: cannot restrict the process: %s", strerror(e));
		return -1;
	}
	return 0;
}
