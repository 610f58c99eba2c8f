/* Per-layer cost of the hardening, measured in-process (bench/harden.sh runs it): each layer's
 * preparation and application, timed in a fresh child 200 times; the median is printed. The
 * end-to-end start-up (hyperfine) is too noisy on a shared machine to show sub-millisecond
 * differences; these figures are what each layer adds. Usage: harden_layers PROJECT_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/harden_policy.h"
#include "sandbox/landlock.h"
#include "sandbox/limits.h"
#include "sandbox/plan.h"
#include "sandbox/privs.h"
#include "sandbox/protect.h"
#include "sandbox/seccomp.h"

enum { RUNS = 200 };

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static const char *project;

static void agent_like_plan(struct plan *p)
{
	static const char *const ro[] = {"/usr", "/etc", "/opt", "/var", "/srv", "/sys"};
	for (size_t i = 0; i < sizeof ro / sizeof *ro; i++)
		plan_add(p, PLAN_BIND_RO, ro[i], ro[i], "bench");
	plan_add(p, PLAN_PROC, NULL, "/proc", "bench");
	plan_add(p, PLAN_DEV, NULL, "/dev", "bench");
	plan_add(p, PLAN_TMPFS, NULL, "/tmp", "bench");
	plan_add(p, PLAN_TMPFS, NULL, "/var/tmp", "bench");
	plan_add(p, PLAN_TMPFS, NULL, "/run", "bench");
	plan_add(p, PLAN_BIND_RW, project, project, "bench");
}

/* Each measured step runs in its own child: filters and restrictions do not accumulate. */
static double measure(int (*step)(void))
{
	double t[RUNS];
	for (int i = 0; i < RUNS; i++) {
		int pipefd[2];
		if (pipe(pipefd) < 0)
			exit(1);
		pid_t pid = fork();
		if (pid == 0) {
			double a = now_us();
			int rc = step();
			double d = now_us() - a;
			if (rc < 0)
				d = -1;
			(void)!write(pipefd[1], &d, sizeof d);
			_exit(0);
		}
		close(pipefd[1]);
		if (read(pipefd[0], &t[i], sizeof t[i]) != sizeof t[i])
			t[i] = -1;
		close(pipefd[0]);
		waitpid(pid, NULL, 0);
	}
	qsort(t, RUNS, sizeof *t, cmp);
	return t[RUNS / 2];
}

static int seccomp_step(void)
{
	struct sc_prog prog;
	char *err = NULL;
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return sc_build(0, &prog, &err) < 0 || sc_load(&prog, &err) < 0 ? -1 : 0;
}

static int landlock_step(void)
{
	struct plan p = {0};
	agent_like_plan(&p);
	struct landlock_opts o = {.scope = true};
	char *err = NULL;
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	int fd = landlock_prepare(&p, &o, landlock_abi_version(), &err);
	return fd < 0 || landlock_enforce(fd, &err) < 0 ? -1 : 0;
}

static int privs_step(void)
{
	char *err = NULL;
	return privs_drop(&err);
}

static int rlimits_step(void)
{
	struct harden_policy hp;
	harden_policy_defaults(&hp, POSTURE_AGENT);
	char *err = NULL;
	return limits_apply_rlimits(&hp.limits, &err);
}

static int probe_step(void)
{
	struct limits_probe pr;
	limits_probe(&pr);
	limits_probe_free(&pr);
	return 0;
}

static int protect_step(void)
{
	struct harden_policy hp;
	harden_policy_defaults(&hp, POSTURE_AGENT);
	struct plan p = {0};
	agent_like_plan(&p);
	protect_plan(&hp, project, NULL, &p);
	protect_finish(); /* the placeholders go again: part of the cost */
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PROJECT_DIR\n", argv[0]);
		return 2;
	}
	project = argv[1];
	if (geteuid() != 0)
		unshare(0x10000000 /* CLONE_NEWUSER: capabilities for securebits */);
	printf("| layer | step | median (µs) |\n|---|---|---|\n");
	printf("| seccomp | build (%zu rule groups) + load | %.0f |\n", sc_rule_count(),
	       measure(seccomp_step));
	printf("| Landlock (ABI %d) | ruleset for an agent-like plan + restrict | %.0f |\n",
	       landlock_abi_version(), measure(landlock_step));
	printf("| privileges | securebits, capabilities, no_new_privs | %.0f |\n",
	       measure(privs_step));
	printf("| limits | rlimits in the cell | %.0f |\n", measure(rlimits_step));
	printf("| limits | cgroup delegation probe (supervisor) | %.0f |\n", measure(probe_step));
	printf("| protected paths | plan steps for %s (walk + placeholders) | %.0f |\n", project,
	       measure(protect_step));
	return 0;
}
