#include "sandbox/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gate/gate.h"
#include "net/capture.h"
#include "net/cell.h"
#include "profile/profile.h"
#include "sandbox/harden.h"
#include "sandbox/mounts.h"
#include "sandbox/tty.h"
#include "sandbox/view.h"
#include "session/session.h"
#include "util/fileio.h"
#include "util/log.h"

extern char **environ;

/* Signals a person or a process manager sends to brig, passed on to the command. */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

struct cell {
	struct launch *l;
	struct tty_relay tty;
	struct net_cell *net;
	/* supervisor -> pid 1: 'g' once the id maps are written (pid 1 may build the view), 'r'
	 * once the cgroup holds pid 1 and the broker runs (pid 1 may start the command). The cgroup
	 * attach (an RCU grace period on cgroup v1) and the broker's fork overlap with the mounts. */
	int go[2];
	/* pid 1 -> supervisor: the command's exit status, sent once every process of the cell is
	 * gone, so the supervisor need not wait for the kernel to take the namespaces apart. */
	int done[2];
	pid_t pid1;
};

static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGWINCH);
	for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
		sigaddset(set, forwarded[i]);
	sigprocmask(SIG_BLOCK, set, NULL);
}

static void unblock_all(void)
{
	sigset_t none;
	sigemptyset(&none);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The cell sees the caller's own uid and gid and nothing else: never root unless the caller is
 * root, and then a root without capabilities once the command runs. */
static int write_id_maps(pid_t pid, char **err)
{
	char path[64], map[64];
	snprintf(path, sizeof path, "/proc/%d/setgroups", pid);
	if (write_string_file(path, "deny") < 0 && errno != ENOENT) {
		*err = xasprintf("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
	snprintf(map, sizeof map, "%u %u 1\n", (unsigned)getuid(), (unsigned)getuid());
	if (write_string_file(path, map) < 0) {
		*err = xasprintf("cannot map the user id into the cell (%s): %s", path,
				 strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
	snprintf(map, sizeof map, "%u %u 1\n", (unsigned)getgid(), (unsigned)getgid());
	if (write_string_file(path, map) < 0) {
		*err = xasprintf("cannot map the group id into the cell (%s): %s", path,
				 strerror(errno));
		return -1;
	}
	return 0;
}

static noreturn void exec_command(struct cell *c)
{
	struct launch *l = c->l;
	char *err = NULL;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	unblock_all();
	if (tty_relay_child(&c->tty) < 0) {
		log_errno("cannot give the cell its terminal");
		_exit(BRIG_EXIT_FAIL);
	}
	/* Nothing brig holds (the pty master, broker sockets, profile files) reaches the command. */
	if (syscall(SYS_close_range, 3, ~0U, 0) < 0) {
		for (int fd = 3; fd < 65536; fd++)
			close(fd);
	}
	if (chdir(l->view->workdir) < 0) {
		log_errno("cannot enter %s inside the cell", l->view->workdir);
		_exit(BRIG_EXIT_FAIL);
	}
	if (harden_apply(l->p, &l->view->plan, &err) < 0) {
		log_err("%s; refusing to run the command with a weaker cell", err);
		_exit(BRIG_EXIT_FAIL);
	}
	environ = l->env.v;
	execvp(l->argv.v[0], l->argv.v);
	int e = errno;
	if (e == ENOENT)
		log_err("%s: command not found in the cell (PATH=%s)", l->argv.v[0],
			getenv("PATH") ? getenv("PATH") : "");
	else
		log_err("%s: cannot run: %s", l->argv.v[0], strerror(e));
	_exit(e == ENOENT ? BRIG_EXIT_NOT_FOUND : BRIG_EXIT_CANNOT_RUN);
}

static int status_to_exit(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return BRIG_EXIT_FAIL;
}

static noreturn void finish(struct cell *c, int status)
{
	if (c->l->p->unshare_pid) {
		/* Whatever the command left running dies now, and is reaped, before the status is
		 * reported: a gated session's changes are complete once no process is left. */
		kill(-1, SIGKILL);
		while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
			;
	}
	unsigned char b = (unsigned char)status;
	ssize_t w = write(c->done[1], &b, 1);
	(void)w;
	_exit(status);
}

/* pid 1 of the cell: reaps every orphan (as init must), passes signals on to the command, serves
 * the network hooks, and leaves with the command's status, which ends the pid namespace. */
static noreturn void pid1_loop(struct cell *c, pid_t cmd, const sigset_t *mask)
{
	int sfd = signalfd(-1, mask, SFD_CLOEXEC);
	int nfd = c->net ? net_cell_inside_fd(c->net) : -1;
	int dn = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (dn >= 0) {
		/* pid 1 must not hold the user's pipes or terminal open after the command ends. */
		dup2(dn, 0), dup2(dn, 1), close(dn);
	}
	for (;;) {
		struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN}, {.fd = nfd, .events = POLLIN}};
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			_exit(BRIG_EXIT_FAIL);
		if (pfd[1].revents & POLLIN)
			net_cell_inside_event(c->net);
		if (!(pfd[0].revents & POLLIN))
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof si) != sizeof si)
			continue;
		if (si.ssi_signo != SIGCHLD) {
			kill(cmd, (int)si.ssi_signo);
			continue;
		}
		int st;
		pid_t w;
		while ((w = waitpid(-1, &st, WNOHANG)) > 0)
			if (w == cmd)
				finish(c, status_to_exit(st));
	}
}

static noreturn void cell_main(struct cell *c, const sigset_t *mask)
{
	struct launch *l = c->l;
	char *err = NULL;
	/* If the supervisor dies, pid 1 dies, and with it every process of the cell. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(c->go[1]);
	close(c->done[0]);
	char b;
	if (read(c->go[0], &b, 1) != 1 || b != 'g')
		_exit(BRIG_EXIT_FAIL); /* the supervisor gave up; it said why */
	if (sethostname("brig", 4) < 0)
		log_warn("cannot set the cell's host name: %s", strerror(errno));
	if (l->p->net.mode != NET_HOST && capture_loopback_up(&err) < 0)
		goto fail;
	if (c->net && net_cell_setup_inside(c->net, &err) < 0)
		goto fail;
	if (mounts_build(&l->view->plan, &err) < 0)
		goto fail;
	/* The cell gets no nested user namespaces: they are the door to most kernel attack
	 * surface a cell has (mount, netfilter and bpf code written for real root). */
	if (write_string_file("/proc/sys/user/max_user_namespaces", "0") < 0 && l->p->unshare_pid)
		log_warn("cannot disable nested user namespaces in the cell: %s", strerror(errno));
	prctl(PR_SET_DUMPABLE, 0); /* the command may not ptrace or read pid 1's fds */
	if (!l->p->unshare_pid)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (read(c->go[0], &b, 1) != 1 || b != 'r')
		_exit(BRIG_EXIT_FAIL); /* the supervisor could not confine the cell; it said why */
	close(c->go[0]);
	pid_t cmd = fork();
	if (cmd < 0) {
		err = xasprintf("fork: %s", strerror(errno));
		goto fail;
	}
	if (cmd == 0)
		exec_command(c);
	if (c->tty.active) {
		close(c->tty.slave);
		close(c->tty.master);
	}
	pid1_loop(c, cmd, mask);
fail:
	log_err("%s", err);
	_exit(BRIG_EXIT_FAIL);
}

static int clone_flags(const struct profile *p)
{
	int f = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
	if (p->unshare_pid)
		f |= CLONE_NEWPID;
	if (p->net.mode != NET_HOST)
		f |= CLONE_NEWNET;
	return f;
}

static int supervise(struct cell *c, const sigset_t *mask)
{
	int sfd = signalfd(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tty_relay_start(&c->tty);
	int status = BRIG_EXIT_FAIL;
	int done = 0;
	for (;;) {
		struct pollfd pfd[5] = {{.fd = sfd, .events = POLLIN}, {.fd = c->done[0], .events = POLLIN}};
		size_t n = 2 + tty_relay_pollfds(&c->tty, &pfd[2]);
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			break;
		tty_relay_service(&c->tty, &pfd[2]);
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			unsigned char b;
			if (read(c->done[0], &b, 1) == 1) {
				status = b;
				done = 1;
			} else {
				close(c->done[0]); /* pid 1 died without a word: its wait status says why */
				c->done[0] = -1;
			}
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof si) == sizeof si) {
			if (si.ssi_signo == SIGWINCH) {
				tty_relay_winch(&c->tty);
			} else if (si.ssi_signo == SIGCHLD) {
				int st;
				pid_t w;
				while ((w = waitpid(-1, &st, WNOHANG)) > 0)
					if (w == c->pid1) {
						if (!done)
							status = status_to_exit(st);
						done = 1;
						c->pid1 = -1;
					}
			} else if (c->pid1 > 0) {
				kill(c->pid1, (int)si.ssi_signo);
			}
		}
		if (done)
			break;
	}
	tty_relay_close(&c->tty);
	close(sfd);
	return status;
}

int launch_run(struct launch *l)
{
	struct cell c = {.l = l, .go = {-1, -1}, .done = {-1, -1}};
	char *err = NULL;
	int status = BRIG_EXIT_FAIL;
	sigset_t mask;
	if (tty_relay_open(&c.tty, &err) < 0)
		goto out;
	if (l->p->net.mode == NET_FILTERED) {
		c.net = net_cell_new(l->p, l->session, &err);
		if (!c.net)
			goto out;
		net_cell_plan(c.net, &l->view->plan);
		net_cell_env(c.net, &l->env);
	} else if (l->p->net.mode == NET_HOST && l->p->posture == POSTURE_AGENT) {
		log_warn("network mode \"host\": this cell reaches every host the machine can "
			 "reach, unfiltered");
	}
	if (pipe2(c.go, O_CLOEXEC) < 0 || pipe2(c.done, O_CLOEXEC) < 0) {
		err = xasprintf("pipe: %s", strerror(errno));
		goto out;
	}
	block_signals(&mask);
	fflush(NULL);
	c.pid1 = (pid_t)syscall(SYS_clone, clone_flags(l->p) | SIGCHLD, NULL, NULL, NULL, NULL);
	if (c.pid1 < 0) {
		err = xasprintf("cannot create the cell's namespaces: %s (run 'brig doctor')",
				strerror(errno));
		goto out;
	}
	if (c.pid1 == 0)
		cell_main(&c, &mask);
	close(c.go[0]);
	c.go[0] = -1;
	close(c.done[1]);
	c.done[1] = -1;
	if (write_id_maps(c.pid1, &err) < 0 || write(c.go[1], "g", 1) != 1 ||
	    harden_limits_attach(l->p, l->session, c.pid1, &err) < 0 ||
	    (c.net && net_cell_start_broker(c.net, c.pid1, &err) < 0) ||
	    write(c.go[1], "r", 1) != 1) {
		if (!err)
			err = xasprintf("cannot start the cell: %s", strerror(errno));
		kill(c.pid1, SIGKILL);
		waitpid(c.pid1, NULL, 0);
		goto out;
	}
	close(c.go[1]);
	c.go[1] = -1;
	status = supervise(&c, &mask);
out:
	if (err) {
		tty_relay_close(&c.tty);
		log_err("%s", err);
		free(err);
	}
	if (c.net) {
		net_cell_stop(c.net);
		net_cell_free(c.net);
	}
	for (int i = 0; i < 2; i++)
		if (c.done[i] >= 0)
			close(c.done[i]);
	if (c.go[0] >= 0)
		close(c.go[0]);
	if (c.go[1] >= 0)
		close(c.go[1]);
	return status;
}

int launch_unsandboxed(struct launch *l)
{
	/* pwrap runs the shell directly when the sandbox is disabled; so does brig, after saying so. */
	log_warn("profile '%s' has [sandbox] enabled = false: running without a cell", l->p->name);
	fflush(NULL);
	if (chdir(l->view->project) < 0) {
		log_errno("cannot enter %s", l->view->project);
		return BRIG_EXIT_FAIL;
	}
	environ = l->env.v;
	execvp(l->argv.v[0], l->argv.v);
	int e = errno;
	log_err("%s: %s", l->argv.v[0], strerror(e));
	return e == ENOENT ? BRIG_EXIT_NOT_FOUND : BRIG_EXIT_CANNOT_RUN;
}
