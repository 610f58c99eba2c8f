/* Runs a check in a forked child, so that filters and restrictions never touch the test runner.
 * The child returns 0 for success or a small number naming the failed step. */
#ifndef BRIG_TEST_CHILD_H
#define BRIG_TEST_CHILD_H

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* Returns the child's exit code, or 1000 + signal when it was killed. */
static inline int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	int st = 0;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFSIGNALED(st) ? 1000 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* Unprivileged runs need capabilities for securebits and Landlock without no_new_privs: a user
 * namespace of their own gives them. */
static inline void become_userns_root(void)
{
	if (geteuid() != 0)
		(void)unshare(CLONE_NEWUSER);
}

#endif
