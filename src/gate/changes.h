/* The change set of a gated session, read from the overlay's upper directory alone: whiteouts
 * (deletions), opaque directories (a directory replaced as a whole), copied-up files (modified,
 * or only their mode), new files. The walk visits only what the upper dir holds, so its cost
 * follows the number of changes, not the size of the project. */
#ifndef BRIG_GATE_CHANGES_H
#define BRIG_GATE_CHANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

enum change_kind {
	CHANGE_ADDED,    /* not in the project */
	CHANGE_MODIFIED, /* contents, symlink target or file type differ */
	CHANGE_DELETED,  /* whiteout, or absent from an opaque directory */
	CHANGE_MODE,     /* same contents, permission bits differ */
};

enum finding_sev { SEV_LOW, SEV_MEDIUM, SEV_HIGH };

struct finding {
	const char *rule; /* static: rule id, e.g. "git-hook" */
	enum finding_sev sev;
	char *reason;     /* one line */
};

struct change {
	char *path;       /* relative to the project root, no leading "./" */
	enum change_kind kind;
	mode_t mode;      /* in the upper dir (type + permissions); 0 when deleted */
	mode_t lower_mode; /* in the project; 0 when absent */
	off_t size, lower_size;
	dev_t rdev;
	bool opaque;      /* a directory whose project contents were removed as a whole */
	bool metacopy;    /* upper holds metadata only; the data is still the lower's */
	char *rename_from; /* an added file whose contents equal a deleted one */
	bool renamed_away; /* a deletion paired with an added file (shown as a rename) */
	struct finding *f;
	size_t nf;
	char *conflict;   /* why apply must skip this path, or NULL */
	bool applied;     /* already written by an earlier `brig apply PATH` */
};

struct changeset {
	struct change *c;
	size_t n, cap;
};

/* Walks upper (fd of the upper dir) against lower (fd of the real project). */
int changes_collect(int upper_fd, int lower_fd, struct changeset *cs, char **err);
void changes_pair_renames(struct changeset *cs, int upper_fd, int lower_fd);
void changes_free(struct changeset *cs);
const char *change_kind_name(enum change_kind k);
const char *finding_sev_name(enum finding_sev s);
void change_add_finding(struct change *c, const char *rule, enum finding_sev sev, char *reason);
/* The worst severity among c's findings, or -1. */
int change_max_sev(const struct change *c);

/* Reads a symlink at dirfd/path (NULL on error). */
char *gate_readlinkat(int dirfd, const char *path);
/* The same for a path below root, never through a symlink on the way. */
char *gate_readlinkat_beneath(int root, const char *path);
/* Opens dir-relative path beneath dirfd: no "..", no absolute or magic links, no symlinks at all
 * (RESOLVE_NO_SYMLINKS), so nothing can lead out of the tree. */
int gate_open_beneath(int dirfd, const char *path, int flags, mode_t mode);
/* True when the two regular files hold the same bytes. */
bool gate_same_contents(int dfd_a, const char *a, int dfd_b, const char *b);
/* Whiteout: a 0/0 character device in the upper dir. */
bool gate_is_whiteout(const struct stat *st);
/* Reads trusted.overlay.X, else user.overlay.X, of an open upper file: its length, or -1. */
ssize_t gate_overlay_xattr(int fd, const char *x, char *buf, size_t n);

#endif
