/* The file view of a cell as an ordered list of steps. Built on the host from a profile, carried
 * out inside the cell's mount namespace (mounts.c), and read again by Landlock (a second layer that
 * must grant no more than the mounts do) and by `brig check`. Later steps cover earlier ones. */
#ifndef BRIG_SANDBOX_PLAN_H
#define BRIG_SANDBOX_PLAN_H

#include <stdbool.h>
#include <stddef.h>

enum plan_kind {
	PLAN_BIND_RO,   /* src bound read-only at dst (recursive, nosuid, nodev) */
	PLAN_BIND_RW,   /* src bound read-write at dst (recursive, nosuid, nodev) */
	PLAN_DEV_BIND,  /* a device node bound at dst, devices allowed */
	PLAN_TMPFS,     /* empty writable tmpfs at dst (hides what was there) */
	PLAN_TMPFS_RO,  /* empty read-only tmpfs at dst */
	PLAN_HIDE_FILE, /* /dev/null bound read-only over the file dst */
	PLAN_DIR,       /* mkdir dst in a tmpfs (mode in .mode) */
	PLAN_SYMLINK,   /* symlink dst -> src */
	PLAN_FILE_DATA, /* a read-only file at dst with contents .data */
	PLAN_PROC,      /* fresh procfs at dst */
	PLAN_DEV,       /* minimal /dev at dst */
	PLAN_OVERLAY,   /* overlay: lower = src (never written), upper/work from .upper/.work */
};

struct plan_entry {
	enum plan_kind kind;
	char *src;    /* host path, already resolved (no symlinks), or NULL */
	char *dst;    /* path inside the cell */
	char *why;    /* where this step comes from: "preset agent", "FILE:LINE:COL [sandbox].writable" */
	char *data;   /* PLAN_FILE_DATA contents */
	char *upper;  /* PLAN_OVERLAY */
	char *work;   /* PLAN_OVERLAY */
	unsigned mode;
	bool optional; /* skip quietly when src is missing (system dirs that some hosts lack) */
	int src_fd;   /* opened inside the cell before any mount: -1 until then */
	int upper_fd, work_fd; /* PLAN_OVERLAY: O_PATH|O_CLOEXEC fds opened by the supervisor and
				* inherited by the cell (the paths may be hidden by then) */
};

struct plan {
	struct plan_entry *e;
	size_t n, cap;
};

struct plan_entry *plan_add(struct plan *p, enum plan_kind kind, const char *src, const char *dst,
			    const char *why);
void plan_free(struct plan *p);
const char *plan_kind_name(enum plan_kind kind);
/* True when the host's file at path can be changed from the cell: the last step covering path is
 * a read-write bind of the host (tmpfs and overlay changes never reach the host). */
bool plan_path_writable(const struct plan *p, const char *path);
/* True when the host's file at path is not visible in the cell (under a tmpfs, or absent). */
bool plan_path_hidden(const struct plan *p, const char *path);

#endif
