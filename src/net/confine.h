/* The broker's own confinement: it parses hostile input, so a bug there must find no files to
 * read, nothing to execute and few system calls to use. */
#ifndef BRIG_NET_CONFINE_H
#define BRIG_NET_CONFINE_H

/* Landlock: no file access except reading the resolver's configuration; no TCP bind. Applies to
 * the calling thread and threads created after it. Returns 0, or -1 after logging. A kernel
 * without Landlock is reported and tolerated (seccomp still applies). */
int confine_landlock(void);
/* seccomp allowlist for all threads: no exec, no new processes, no ptrace, sockets of the
 * Internet families only. Returns 0, or -1 after logging. */
int confine_seccomp(void);

#endif
