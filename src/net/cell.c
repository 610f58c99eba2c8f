/* The filtered network of one cell: the listening sockets are made inside the cell's network
 * namespace by its pid 1 and passed out over a socketpair; the broker, forked by the supervisor
 * in the host's namespaces, accepts on them and connects out. Nothing bridges the two namespaces
 * but the broker, so when it dies the cell has no way out. */
#include "net/cell.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdnoreturn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/broker.h"
#include "net/capture.h"
#include "net/hostrules.h"
#include "net/presets.h"
#include "profile/profile.h"
#include "sandbox/plan.h"
#include "session/session.h"
#include "util/log.h"

enum { PORT_HTTP = 3128, PORT_SOCKS = 1080, PORT_TRANS = 3129, PORT_DNS = 53 };
enum { FD_HTTP, FD_SOCKS, FD_TRANS4, FD_TRANS6, FD_DNS_UDP, FD_DNS_TCP, NFDS };

struct net_cell {
	struct hostrules rules;
	struct session *s;
	int ctl[2]; /* [0] outside (broker), [1] inside (pid 1) */
	int pub_fd[BROKER_MAX_PUBLISH], pub_port[BROKER_MAX_PUBLISH];
	size_t npub;
	pid_t broker;
	char *test_hosts;
};

int net_rules_from_policy(const struct profile *p, struct hostrules *hr, char **err)
{
	const struct net_policy *np = &p->net;
	hr->profile = xstrdup(p->source ? p->source : "your profile");
	const struct pos_strv *lists[] = {&np->deny, &np->allow, &np->allow_presets};
	static const char *const names[] = {"deny", "allow", "allow_presets"};
	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; i < lists[l]->sv.n; i++) {
			/* The rule's own line, so that events and refusals point at it. */
			char *where = lists[l]->pos && lists[l]->pos[i].line > 0
					      ? xasprintf("%s:%d:%d [network] %s", hr->profile,
							  lists[l]->pos[i].line, lists[l]->pos[i].col,
							  names[l])
					      : xasprintf("[network] %s", names[l]);
			const char *v = lists[l]->sv.v[i];
			int rc = l == 2 ? net_preset_add(hr, v, where, err)
					: hostrules_add(hr, l == 0, v, where, err);
			free(where);
			if (rc < 0)
				return -1;
		}
	return 0;
}

static int parse_publish(const char *spec, int *host, int *cell)
{
	char *end;
	long a = strtol(spec, &end, 10), b = a;
	if (*end == ':')
		b = strtol(end + 1, &end, 10);
	if (*end || end == spec || a < 1 || a > 65535 || b < 1 || b > 65535)
		return -1;
	*host = (int)a;
	*cell = (int)b;
	return 0;
}

static int host_listener(int port, char **err)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 128) < 0) {
		*err = xasprintf("[network] publish: cannot listen on the host's 127.0.0.1:%d: %s", port,
				 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct net_cell *net_cell_new(const struct profile *p, struct session *s, char **err)
{
	struct net_cell *nc = xcalloc(1, sizeof *nc);
	nc->s = s;
	nc->broker = -1;
	nc->ctl[0] = nc->ctl[1] = -1;
	if (net_rules_from_policy(p, &nc->rules, err) < 0)
		goto fail;
	for (size_t i = 0; i < p->net.publish.sv.n; i++) {
		int hp, cp;
		if (nc->npub == BROKER_MAX_PUBLISH ||
		    parse_publish(p->net.publish.sv.v[i], &hp, &cp) < 0) {
			*err = xasprintf("[network] publish: \"%s\" is not PORT or HOSTPORT:CELLPORT "
					 "(at most %d entries)",
					 p->net.publish.sv.v[i], BROKER_MAX_PUBLISH);
			goto fail;
		}
		int fd = host_listener(hp, err);
		if (fd < 0)
			goto fail;
		nc->pub_fd[nc->npub] = fd;
		nc->pub_port[nc->npub++] = cp;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, nc->ctl) < 0) {
		*err = xasprintf("socketpair: %s", strerror(errno));
		goto fail;
	}
	const char *th = getenv("BRIG_NET_TEST_HOSTS");
	nc->test_hosts = th ? xstrdup(th) : NULL;
	return nc;
fail:
	net_cell_free(nc);
	return NULL;
}

void net_cell_plan(struct net_cell *nc, struct plan *plan)
{
	(void)nc;
	plan_add(plan, PLAN_FILE_DATA, NULL, "/etc/resolv.conf", "network filtered")->data =
		xstrdup("nameserver 127.0.0.1\noptions use-vc-never\n");
	/* The host's /etc/hosts may pin names to addresses (mirrors): inside, names go through the
	 * DNS stub so that a connection made without the proxy is still judged by name. */
	plan_add(plan, PLAN_FILE_DATA, NULL, "/etc/hosts", "network filtered")->data =
		xstrdup("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
}

static void env_set(struct strv *env, const char *key, const char *val)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], key, kl) && env->v[i][kl] == '=') {
			free(env->v[i]);
			env->v[i] = xasprintf("%s=%s", key, val);
			return;
		}
	strv_push_owned(env, xasprintf("%s=%s", key, val));
}

void net_cell_env(struct net_cell *nc, struct strv *env)
{
	(void)nc;
	char http[64], socks[64];
	snprintf(http, sizeof http, "http://127.0.0.1:%d", PORT_HTTP);
	snprintf(socks, sizeof socks, "socks5h://127.0.0.1:%d", PORT_SOCKS);
	static const char *const keys[][2] = {{"HTTP_PROXY", "http_proxy"},
					      {"HTTPS_PROXY", "https_proxy"}};
	for (size_t i = 0; i < 2; i++) {
		env_set(env, keys[i][0], http);
		env_set(env, keys[i][1], http);
	}
	env_set(env, "ALL_PROXY", socks);
	env_set(env, "all_proxy", socks);
	env_set(env, "NO_PROXY", "localhost,127.0.0.1,::1");
	env_set(env, "no_proxy", "localhost,127.0.0.1,::1");
}

static int inside_listener(int family, int type, int port)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_storage ss = {0};
	socklen_t len;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		s6->sin6_addr = in6addr_loopback;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		len = sizeof *s6;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 1024) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

int net_cell_setup_inside(struct net_cell *nc, char **err)
{
	close(nc->ctl[0]);
	nc->ctl[0] = -1;
	for (size_t i = 0; i < nc->npub; i++) {
		close(nc->pub_fd[i]);
		nc->pub_fd[i] = -1;
	}
	/* loopback is up already: the launcher brings it up for every network namespace */
	if (capture_setup(PORT_TRANS, err) < 0)
		return -1;
	int fds[NFDS];
	fds[FD_HTTP] = inside_listener(AF_INET, SOCK_STREAM, PORT_HTTP);
	fds[FD_SOCKS] = inside_listener(AF_INET, SOCK_STREAM, PORT_SOCKS);
	fds[FD_TRANS4] = inside_listener(AF_INET, SOCK_STREAM, PORT_TRANS);
	fds[FD_TRANS6] = inside_listener(AF_INET6, SOCK_STREAM, PORT_TRANS);
	fds[FD_DNS_UDP] = inside_listener(AF_INET, SOCK_DGRAM, PORT_DNS);
	fds[FD_DNS_TCP] = inside_listener(AF_INET, SOCK_STREAM, PORT_DNS);
	unsigned mask = 0;
	int send_fds[NFDS], n = 0;
	for (int i = 0; i < NFDS; i++)
		if (fds[i] >= 0) {
			mask |= 1u << i;
			send_fds[n++] = fds[i];
		} else if (i != FD_TRANS6) { /* IPv6 may be off in the kernel; the rest is required */
			*err = xasprintf("cannot create the broker's listener #%d inside the cell: %s",
					 i, strerror(errno));
			for (int k = 0; k < n; k++)
				close(send_fds[k]);
			return -1;
		}
	char cbuf[CMSG_SPACE(sizeof(int) * NFDS)] = {0};
	struct iovec iov = {&mask, sizeof mask};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(cm), send_fds, sizeof(int) * (size_t)n);
	ssize_t w = sendmsg(nc->ctl[1], &mh, MSG_NOSIGNAL);
	/* pid 1 keeps no copy: the broker must be the only holder, so that its death closes them. */
	for (int k = 0; k < n; k++)
		close(send_fds[k]);
	if (w != (ssize_t)sizeof mask) {
		*err = xasprintf("cannot hand the cell's listeners to the broker: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int net_cell_inside_fd(struct net_cell *nc)
{
	return nc ? nc->ctl[1] : -1;
}

static int connect_inside(unsigned port)
{
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&s4, sizeof s4) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	/* A server bound to "localhost" may have taken ::1 only. */
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
				  .sin6_addr = in6addr_loopback};
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&s6, sizeof s6) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

void net_cell_inside_event(struct net_cell *nc)
{
	struct broker_ctl_msg m;
	ssize_t n = recv(nc->ctl[1], &m, sizeof m, MSG_DONTWAIT);
	if (n == 0) { /* the broker is gone: stop polling a dead socket */
		log_warn("network: the broker has stopped; this cell has no network from now on");
		close(nc->ctl[1]);
		nc->ctl[1] = -1;
		return;
	}
	if (n != sizeof m)
		return;
	int fd = connect_inside(m.port);
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {&m, sizeof m};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof cbuf;
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	} else {
		m.port = 0;
	}
	ssize_t w = sendmsg(nc->ctl[1], &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)w;
	if (fd >= 0)
		close(fd);
}

static int recv_listeners(int ctl, int fds[NFDS], char **err)
{
	unsigned mask = 0;
	char cbuf[CMSG_SPACE(sizeof(int) * NFDS)];
	struct iovec iov = {&mask, sizeof mask};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof cbuf};
	ssize_t n;
	do
		n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (n != sizeof mask || !cm || cm->cmsg_type != SCM_RIGHTS) {
		*err = xstrdup("the cell did not set up its network (see the message above)");
		return -1;
	}
	int got[NFDS], ngot = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	memcpy(got, CMSG_DATA(cm), sizeof(int) * (size_t)ngot);
	for (int i = 0, k = 0; i < NFDS; i++)
		fds[i] = (mask & (1u << i)) && k < ngot ? got[k++] : -1;
	return 0;
}

/* The broker holds nothing it does not use: no terminal beyond stderr, no pipe of the
 * launcher's whose end-of-file someone waits for. */
static void close_other_fds(const int *keep, size_t nkeep)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int dfd = dirfd(d);
	int list[1024], n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 1024) {
		int fd = atoi(de->d_name);
		if (fd <= 2 || fd == dfd || de->d_name[0] == '.')
			continue;
		bool kept = false;
		for (size_t i = 0; i < nkeep; i++)
			kept |= keep[i] == fd;
		if (!kept)
			list[n++] = fd;
	}
	closedir(d);
	for (int i = 0; i < n; i++)
		close(list[i]);
}

/* In the broker: waits for pid 1 of the cell to send the listeners it made inside. The wait is
 * here and not in the supervisor, because the launcher lets the cell run (and so set up its
 * network) only after this hook returns. */
static noreturn void broker_main(struct net_cell *nc, int events, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int keep[BROKER_MAX_PUBLISH + 2];
	size_t nkeep = 0;
	for (size_t i = 0; i < nc->npub; i++)
		keep[nkeep++] = nc->pub_fd[i];
	keep[nkeep++] = nc->ctl[0];
	keep[nkeep++] = events;
	close_other_fds(keep, nkeep);
	int fds[NFDS];
	char *err = NULL;
	if (recv_listeners(nc->ctl[0], fds, &err) < 0)
		_exit(BRIG_EXIT_FAIL); /* the cell failed before its network was up, and said why */
	struct broker_config cfg = {
		.http_fd = fds[FD_HTTP], .socks_fd = fds[FD_SOCKS], .trans4_fd = fds[FD_TRANS4],
		.trans6_fd = fds[FD_TRANS6], .dns_udp_fd = fds[FD_DNS_UDP],
		.dns_tcp_fd = fds[FD_DNS_TCP], .ctl_fd = nc->ctl[0], .npub = nc->npub,
		.rules = &nc->rules, .events_fd = events, .confine = true,
		.test_hosts = nc->test_hosts};
	memcpy(cfg.pub_fd, nc->pub_fd, sizeof cfg.pub_fd);
	memcpy(cfg.pub_port, nc->pub_port, sizeof cfg.pub_port);
	broker_run(&cfg);
	_exit(BRIG_EXIT_FAIL);
}

int net_cell_start_broker(struct net_cell *nc, pid_t cell_pid, char **err)
{
	(void)cell_pid;
	close(nc->ctl[1]);
	nc->ctl[1] = -1;
	int events = nc->s && nc->s->events_fd >= 0 ? dup(nc->s->events_fd) : -1;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		*err = xasprintf("cannot start the network broker: %s", strerror(errno));
		if (events >= 0)
			close(events);
		return -1;
	}
	if (pid == 0)
		broker_main(nc, events, parent);
	nc->broker = pid;
	/* The broker is now the only holder of the host-side listeners and of the control socket:
	 * if it dies, the cell's listeners (which only it receives) die with it. */
	for (size_t i = 0; i < nc->npub; i++) {
		close(nc->pub_fd[i]);
		nc->pub_fd[i] = -1;
	}
	close(nc->ctl[0]);
	nc->ctl[0] = -1;
	if (events >= 0)
		close(events);
	return 0;
}

void net_cell_stop(struct net_cell *nc)
{
	if (!nc || nc->broker <= 0)
		return;
	kill(nc->broker, SIGKILL);
	waitpid(nc->broker, NULL, 0);
	nc->broker = -1;
}

void net_cell_free(struct net_cell *nc)
{
	if (!nc)
		return;
	net_cell_stop(nc);
	for (int i = 0; i < 2; i++)
		if (nc->ctl[i] >= 0)
			close(nc->ctl[i]);
	for (size_t i = 0; i < nc->npub; i++)
		if (nc->pub_fd[i] >= 0)
			close(nc->pub_fd[i]);
	hostrules_free(&nc->rules);
	free(nc->test_hosts);
	free(nc);
}
