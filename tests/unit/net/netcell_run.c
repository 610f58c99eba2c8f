/* A minimal launcher for testing the filtered network before and besides `brig run`: it calls the
 * hooks of net/cell.h in the documented order around a cell made only of a user, mount and
 * network namespace, with the plan's data files bound over /etc/resolv.conf and /etc/hosts.
 *   netcell_run PROFILE.toml CMD [ARG...]      (XDG_STATE_HOME chooses where the session goes) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/cell.h"
#include "profile/profile.h"
#include "sandbox/plan.h"
#include "session/session.h"
#include "util/log.h"

extern char **environ;

static void write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		die_errno("%s", path);
	close(fd);
}

static void bind_data(const char *dst, const char *data)
{
	char tmpl[] = "/tmp/netcell-XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		die_errno("temp file");
	close(fd);
	if (mount(tmpl, dst, NULL, MS_BIND, NULL) < 0)
		die_errno("bind %s", dst);
	unlink(tmpl);
}

static int cell_main(struct net_cell *nc, const struct plan *plan, struct strv *env, char **cmd)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS) < 0)
		die_errno("unshare");
	char map[64];
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
	write_file("/proc/self/uid_map", map);
	snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
	write_file("/proc/self/gid_map", map);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die_errno("make / private");
	for (size_t i = 0; i < plan->n; i++)
		if (plan->e[i].kind == PLAN_FILE_DATA)
			bind_data(plan->e[i].dst, plan->e[i].data);
	char *err = NULL;
	if (net_cell_setup_inside(nc, &err) < 0)
		die("%s", err);
	pid_t pid = fork();
	if (pid == 0) {
		execvpe(cmd[0], cmd, env->v);
		die_errno("exec %s", cmd[0]);
	}
	for (;;) {
		int st;
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		struct pollfd pfd = {.fd = net_cell_inside_fd(nc), .events = POLLIN};
		if (poll(&pfd, pfd.fd >= 0 ? 1 : 0, 20) > 0)
			net_cell_inside_event(nc);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3)
		die("usage: netcell_run PROFILE.toml CMD [ARG...]");
	struct profile p;
	char *err = NULL;
	if (profile_load_file(argv[1], POSTURE_AGENT, &p, &err) < 0)
		die("%s", err);
	struct session s;
	if (session_create(&p, &s, &err) < 0)
		die("%s", err);
	struct net_cell *nc = net_cell_new(&p, &s, &err);
	if (!nc)
		die("%s", err);
	struct plan plan = {0};
	net_cell_plan(nc, &plan);
	struct strv env = {0};
	for (char **e = environ; *e; e++)
		strv_push(&env, *e);
	net_cell_env(nc, &env);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(cell_main(nc, &plan, &env, argv + 2));
	if (net_cell_start_broker(nc, pid, &err) < 0) {
		log_err("%s", err);
		kill(pid, SIGKILL);
	}
	fprintf(stderr, "netcell_run: session %s\n", s.id);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	net_cell_free(nc);
	plan_free(&plan);
	strv_free(&env);
	session_close(&s);
	profile_free(&p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
