#include "sandbox/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "gate/gate.h"
#include "util/xalloc.h"

/* The new root is a tmpfs mounted over /tmp of the cell's private copy of the host's mounts;
 * every host source is opened (by fd) before that tmpfs hides anything. */
#define NEWROOT "/tmp"

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty", NULL};

struct ctx {
	int root_fd;
	int dev_fds[8];
	int null_fd;
	char **err;
	unsigned data_seq;
};

static int fail(struct ctx *c, const struct plan_entry *e, const char *what, int err)
{
	*c->err = xasprintf("building the cell's view: %s %s (%s): %s: %s", plan_kind_name(e->kind),
			    e->dst, e->why, what, strerror(err));
	return -1;
}

static int openat2_nofollow(int dirfd, const char *path, int flags)
{
	/* Every path brig mounts from or onto is symlink-free by construction; a symlink seen
	 * now was planted after the plan was made. */
	struct open_how how = {.flags = (unsigned)flags | O_CLOEXEC,
			       .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

static int open_sources(struct ctx *c, struct plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		struct plan_entry *e = &plan->e[i];
		if (!e->src || e->kind == PLAN_SYMLINK)
			continue;
		e->src_fd = openat2_nofollow(AT_FDCWD, e->src, O_PATH);
		if (e->src_fd < 0 && !(e->optional && errno == ENOENT))
			return fail(c, e, e->src, errno);
		if (e->kind == PLAN_OVERLAY && gate_open_layers(e, c->err) < 0)
			return -1;
	}
	for (int i = 0; dev_nodes[i]; i++) {
		char *path = xasprintf("/dev/%s", dev_nodes[i]);
		c->dev_fds[i] = openat2_nofollow(AT_FDCWD, path, O_PATH);
		free(path);
	}
	c->null_fd = c->dev_fds[0];
	if (c->null_fd < 0) {
		*c->err = xasprintf("cannot open /dev/null: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int tmpfs_fd(const char *mode, const char *size, unsigned attrs)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", mode, 0) < 0 ||
	    (size && fsconfig(fs, FSCONFIG_SET_STRING, "size", size, 0) < 0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		int e = errno;
		close(fs);
		errno = e;
		return -1;
	}
	int m = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	int e = errno;
	close(fs);
	errno = e;
	return m;
}

/* Opens (creating when missing) the mount point for dst below the new root, one component at a
 * time and never through a symlink. dir: the final component is a directory, else a file. */
static int mountpoint(struct ctx *c, const char *dst, int dir, unsigned mode)
{
	int fd = dup(c->root_fd);
	const char *p = dst;
	while (fd >= 0) {
		while (*p == '/')
			p++;
		if (!*p)
			return fd;
		const char *end = strchrnul(p, '/');
		char *name = xstrndup(p, (size_t)(end - p));
		int last = *end == '\0' || end[strspn(end, "/")] == '\0';
		int next = openat2_nofollow(fd, name, O_PATH);
		if (next < 0 && errno == ENOENT) {
			int r;
			if (last && !dir) {
				r = mknodat(fd, name, S_IFREG | 0644, 0);
			} else {
				r = mkdirat(fd, name, last ? (mode_t)mode : 0755);
			}
			if (r < 0 && errno != EEXIST) {
				free(name);
				close(fd);
				return -1;
			}
			next = openat2_nofollow(fd, name, O_PATH);
		}
		free(name);
		close(fd);
		fd = next;
		p = end;
	}
	return -1;
}

static int attach(int tree, int target)
{
	return move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

static int bind_fd(int src_fd, int target, unsigned attrs, int recursive)
{
	int tree = open_tree(src_fd, "",
			     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
				     (recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return -1;
	struct mount_attr attr = {.attr_set = attrs};
	int r = mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
			      sizeof attr);
	if (r == 0)
		r = attach(tree, target);
	int e = errno;
	close(tree);
	errno = e;
	return r;
}

static int is_dir_fd(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

static int do_dev(struct ctx *c, const struct plan_entry *e, int target)
{
	int t = tmpfs_fd("0755", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	if (t < 0 || attach(t, target) < 0)
		return fail(c, e, "tmpfs", errno);
	close(t);
	char *base = xasprintf("%s", e->dst);
	for (int i = 0; dev_nodes[i]; i++) {
		if (c->dev_fds[i] < 0)
			continue;
		char *dst = xasprintf("%s/%s", base, dev_nodes[i]);
		int mp = mountpoint(c, dst, 0, 0644);
		int r = mp < 0 ? -1 : bind_fd(c->dev_fds[i], mp, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0);
		int err = errno;
		if (mp >= 0)
			close(mp);
		free(dst);
		if (r < 0) {
			free(base);
			return fail(c, e, dev_nodes[i], err);
		}
	}
	/* A private devpts instance: the cell's ptys are not the host's, and the host's are not
	 * reachable (no /dev/pts/N of the user's other terminals). */
	char *pts = xasprintf("%s/pts", base);
	int mp = mountpoint(c, pts, 1, 0755);
	int fs = fsopen("devpts", FSOPEN_CLOEXEC);
	int ok = mp >= 0 && fs >= 0 && fsconfig(fs, FSCONFIG_SET_FLAG, "newinstance", NULL, 0) == 0 &&
		 fsconfig(fs, FSCONFIG_SET_STRING, "ptmxmode", "0666", 0) == 0 &&
		 fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0620", 0) == 0 &&
		 fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0;
	int m = ok ? fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC) : -1;
	int err = errno;
	if (m < 0 || attach(m, mp) < 0) {
		free(pts);
		free(base);
		return fail(c, e, "devpts", m < 0 ? err : errno);
	}
	close(m);
	close(fs);
	close(mp);
	free(pts);
	char *shm = xasprintf("%s/shm", base);
	mp = mountpoint(c, shm, 1, 01777);
	m = tmpfs_fd("1777", "25%", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	free(shm);
	if (mp < 0 || m < 0 || attach(m, mp) < 0)
		return free(base), fail(c, e, "shm", errno);
	close(m);
	close(mp);
	int dfd = openat2_nofollow(c->root_fd, base + 1, O_PATH | O_DIRECTORY);
	free(base);
	if (dfd < 0)
		return fail(c, e, "reopen", errno);
	static const char *const links[][2] = {{"ptmx", "pts/ptmx"},	   {"fd", "/proc/self/fd"},
					       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
					       {"stderr", "/proc/self/fd/2"}};
	for (size_t i = 0; i < sizeof links / sizeof *links; i++)
		if (symlinkat(links[i][1], dfd, links[i][0]) < 0) {
			close(dfd);
			return fail(c, e, links[i][0], errno);
		}
	close(dfd);
	return 0;
}

static int do_proc(struct ctx *c, const struct plan_entry *e, int target)
{
	int fs = fsopen("proc", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fail(c, e, "procfs", errno);
	int m = fsmount(fs, FSMOUNT_CLOEXEC,
			MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	close(fs);
	if (m < 0 || attach(m, target) < 0)
		return fail(c, e, "procfs", errno);
	close(m);
	return 0;
}

static int do_file_data(struct ctx *c, const struct plan_entry *e, int target)
{
	/* The contents live in the root tmpfs under /.brig (read-only once the root is sealed)
	 * and are bound over the target, which may sit in a read-only system bind. */
	if (mkdirat(c->root_fd, ".brig", 0755) < 0 && errno != EEXIST)
		return fail(c, e, "/.brig", errno);
	char *name = xasprintf(".brig/file%u", c->data_seq++);
	int fd = openat(c->root_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	size_t len = e->data ? strlen(e->data) : 0;
	if (fd < 0 || write(fd, e->data ? e->data : "", len) != (ssize_t)len) {
		free(name);
		return fail(c, e, "write", errno);
	}
	close(fd);
	int src = openat2_nofollow(c->root_fd, name, O_PATH);
	free(name);
	int r = src < 0 ? -1 : bind_fd(src, target, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0);
	int err = errno;
	if (src >= 0)
		close(src);
	return r < 0 ? fail(c, e, "bind", err) : 0;
}

static int do_entry(struct ctx *c, struct plan_entry *e)
{
	if (e->src && e->src_fd < 0 && e->kind != PLAN_SYMLINK)
		return 0; /* optional and missing */
	if (e->kind == PLAN_SYMLINK) {
		char *slash = strrchr(e->dst, '/');
		char *parent = xstrndup(e->dst, (size_t)(slash - e->dst));
		int pfd = mountpoint(c, parent[0] ? parent : "/", 1, 0755);
		free(parent);
		int r = pfd < 0 ? -1 : symlinkat(e->src, pfd, slash + 1);
		int err = errno;
		if (pfd >= 0)
			close(pfd);
		return r < 0 && err != EEXIST ? fail(c, e, "symlink", err) : 0;
	}
	int dir = 1;
	if (e->kind == PLAN_HIDE_FILE || e->kind == PLAN_FILE_DATA)
		dir = 0;
	else if (e->src_fd >= 0 && e->kind != PLAN_OVERLAY)
		dir = is_dir_fd(e->src_fd);
	int target = mountpoint(c, e->dst, dir, e->mode);
	if (target < 0)
		return fail(c, e, "mount point", errno);
	int r = 0;
	const unsigned base = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	switch (e->kind) {
	case PLAN_BIND_RO:
		r = bind_fd(e->src_fd, target, base | MOUNT_ATTR_RDONLY, 1);
		break;
	case PLAN_BIND_RW:
		r = bind_fd(e->src_fd, target, base, 1);
		break;
	case PLAN_DEV_BIND:
		r = bind_fd(e->src_fd, target, MOUNT_ATTR_NOSUID, 1);
		break;
	case PLAN_TMPFS:
	case PLAN_TMPFS_RO: {
		char mode[8];
		snprintf(mode, sizeof mode, "%o", e->mode);
		int m = tmpfs_fd(mode, e->data, base | (e->kind == PLAN_TMPFS_RO ? MOUNT_ATTR_RDONLY : 0));
		r = m < 0 ? -1 : attach(m, target);
		if (m >= 0)
			close(m);
		break;
	}
	case PLAN_HIDE_FILE:
		r = bind_fd(c->null_fd, target, base | MOUNT_ATTR_RDONLY, 0);
		break;
	case PLAN_DIR:
		break;
	case PLAN_PROC:
		r = do_proc(c, e, target);
		close(target);
		return r;
	case PLAN_DEV:
		r = do_dev(c, e, target);
		close(target);
		return r;
	case PLAN_FILE_DATA:
		r = do_file_data(c, e, target);
		close(target);
		return r;
	case PLAN_OVERLAY: {
		char *path = xasprintf(NEWROOT "%s", e->dst);
		r = gate_mount_overlay(e, path, c->err);
		free(path);
		close(target);
		return r;
	}
	case PLAN_SYMLINK:
		break;
	}
	int err = errno;
	close(target);
	if (r < 0)
		return fail(c, e, "mount", err);
	if (!strcmp(e->dst, "/")) {
		/* The whole host bound over the new root (pwrap's posture): later steps must land
		 * on top of that bind, not on the tmpfs it now covers. */
		close(c->root_fd);
		c->root_fd = open(NEWROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (c->root_fd < 0)
			return fail(c, e, "reopen root", errno);
	}
	return 0;
}

int mounts_build(struct plan *plan, char **err)
{
	struct ctx c = {.root_fd = -1, .err = err};
	for (size_t i = 0; i < sizeof c.dev_fds / sizeof *c.dev_fds; i++)
		c.dev_fds[i] = -1;
	/* Nothing the cell mounts may propagate back to the host, and host changes below
	 * mounts the cell keeps must not surprise it either. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		*err = xasprintf("cannot make mounts private: %s", strerror(errno));
		return -1;
	}
	if (open_sources(&c, plan) < 0)
		return -1;
	int root = tmpfs_fd("0755", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (root < 0 || move_mount(root, "", AT_FDCWD, NEWROOT, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		*err = xasprintf("cannot create the cell's root tmpfs: %s", strerror(errno));
		return -1;
	}
	close(root);
	c.root_fd = open(NEWROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c.root_fd < 0) {
		*err = xasprintf("cannot open the cell's root: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < plan->n; i++)
		if (do_entry(&c, &plan->e[i]) < 0)
			return -1;
	for (size_t i = 0; i < plan->n; i++)
		if (plan->e[i].src_fd >= 0) {
			close(plan->e[i].src_fd);
			plan->e[i].src_fd = -1;
		}
	for (size_t i = 0; i < sizeof c.dev_fds / sizeof *c.dev_fds; i++)
		if (c.dev_fds[i] >= 0)
			close(c.dev_fds[i]);
	/* pivot_root(".", ".") stacks the old root under the new one; detaching it leaves the
	 * cell with no path back to the host's tree. */
	if (fchdir(c.root_fd) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
		*err = xasprintf("pivot_root into the cell's root failed: %s", strerror(errno));
		return -1;
	}
	close(c.root_fd);
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	if (mount_setattr(AT_FDCWD, "/", 0, &ro, sizeof ro) < 0) {
		*err = xasprintf("cannot make the cell's root read-only: %s", strerror(errno));
		return -1;
	}
	return 0;
}
