/* Small whole-file writes to kernel interfaces (/proc, /sys/fs/cgroup): one write(2), so the
 * kernel sees the value in one piece, as these files require. */
#ifndef BRIG_UTIL_FILEIO_H
#define BRIG_UTIL_FILEIO_H

/* Writes s to an existing file at path (no create, no truncate). 0, or -1 with errno kept. */
int write_string_file(const char *path, const char *s);

#endif
