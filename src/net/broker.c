/* The broker's event loop. One thread of epoll; level-triggered, with interest derived from each
 * connection's state after every event, so no state can wait on an event it did not ask for.
 * Buffers are bounded: a relay reads only when the other side has drained (back-pressure), and an
 * idle tunnel holds no buffer at all. */
/* Messages are cut at their buffer's end rather than grown: a cut message still names the host. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include "net/broker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "net/confine.h"
#include "net/dns.h"
#include "net/http.h"
#include "net/judge.h"
#include "net/resolve.h"
#include "net/sni.h"
#include "net/socks.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SCRATCH (256 * 1024)
#define IN_MAX (HTTP_HEAD_MAX + 32)
#define TLS_PEEK_MAX (16384 + 5)

enum ep_kind { EP_HTTP, EP_SOCKS, EP_TRANS, EP_DNS_UDP, EP_DNS_TCP, EP_PUB, EP_RESOLVED, EP_CTL,
	       EP_CLIENT, EP_UPSTREAM };
enum conn_kind { K_HTTP, K_SOCKS, K_TRANS, K_PUB, K_DNS };
enum conn_state { S_HEAD, S_RESOLVE, S_CONNECT, S_PUB_WAIT, S_RELAY };

struct ep {
	enum ep_kind kind;
	bool gone; /* hung up and taken out of epoll: never polled again */
	int fd;
	uint32_t events; /* registered interest */
	struct conn *c;
	int port; /* EP_PUB: the port inside the cell */
};

struct half {
	char *buf;
	size_t len, off; /* bytes kept in buf (prefixes, inspected bytes, partial writes) */
	int pipe[2];     /* splice path: bytes move socket -> pipe -> socket, never copied out */
	size_t inpipe;   /* bytes sitting in the pipe; counted in len as well */
	bool eof, shut;
	uint64_t bytes;
};

struct conn {
	enum conn_kind kind;
	enum conn_state state;
	struct ep cep, uep;
	uint8_t *in;
	size_t inlen;
	struct half c2u, u2c;
	bool greeted;      /* SOCKS greeting done */
	bool inspect_sni;  /* client bytes held until the ClientHello's name is checked */
	bool body_limited; /* absolute-form: only the declared body goes upstream */
	bool close_after_response;
	uint64_t body_left;
	uint64_t c2u_counted; /* c2u.bytes already taken off body_left */
	char method[24];
	const char *via;
	struct judgment j;
	struct sockaddr_storage ra[JUDGE_MAX_ADDRS];
	int nra, ira;
	struct resolve_job *job;
	unsigned id;
	struct timespec t0;
	struct timespec since; /* entered its current state (head and connect timeouts) */
	bool closed;
	struct conn *next, *prev;
};

static int epfd = -1;
static struct judge_ctx jc;
static struct dns_pool pool;
static struct conn *conns, *graveyard;
static unsigned next_id = 1;
static int ctl_fd = -1;
static char scratch[SCRATCH];
/* The terminal may be in raw mode while the launcher relays the cell's pty: end lines with CR. */
static const char *eol = "\n";

static long long ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000LL + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static void ep_set(struct ep *e, uint32_t want)
{
	if (e->fd < 0 || e->gone || e->events == want)
		return;
	struct epoll_event ev = {.events = want, .data.ptr = e};
	epoll_ctl(epfd, EPOLL_CTL_MOD, e->fd, &ev);
	e->events = want;
}

static void ep_add(struct ep *e, uint32_t want)
{
	struct epoll_event ev = {.events = want, .data.ptr = e};
	epoll_ctl(epfd, EPOLL_CTL_ADD, e->fd, &ev);
	e->events = want;
}

static void fd_close(struct ep *e)
{
	if (e->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, e->fd, NULL);
		close(e->fd);
		e->fd = -1;
	}
}

static void conn_close(struct conn *c, const char *error)
{
	if (c->closed)
		return;
	if (c->kind != K_DNS && c->j.allow && (c->state == S_RELAY || error))
		judge_event(&jc, c->via, c->method, &c->j, (long long)c->c2u.bytes,
			    (long long)c->u2c.bytes, ms_since(&c->t0), error);
	if (c->job)
		resolve_cancel(c->job);
	fd_close(&c->cep);
	fd_close(&c->uep);
	free(c->in);
	free(c->c2u.buf);
	free(c->u2c.buf);
	for (int i = 0; i < 2; i++) {
		if (c->c2u.pipe[i] >= 0)
			close(c->c2u.pipe[i]);
		if (c->u2c.pipe[i] >= 0)
			close(c->u2c.pipe[i]);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	/* Freed after the current batch of events, which may still name it. */
	c->closed = true;
	c->next = graveyard;
	graveyard = c;
}

static struct conn *conn_new(enum conn_kind kind, int fd, const char *via)
{
	struct conn *c = xcalloc(1, sizeof *c);
	c->kind = kind;
	c->via = via;
	c->cep = (struct ep){.kind = EP_CLIENT, .fd = fd, .c = c};
	c->uep = (struct ep){.kind = EP_UPSTREAM, .fd = -1, .c = c};
	c->c2u.pipe[0] = c->c2u.pipe[1] = c->u2c.pipe[0] = c->u2c.pipe[1] = -1;
	c->id = next_id++;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	c->since = c->t0;
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	ep_add(&c->cep, EPOLLIN);
	return c;
}

/* Writes what it can now and keeps the rest; the caller stops reading the source until the
 * kept bytes are gone. */
static int send_or_keep(struct half *h, int fd, const void *data, size_t n)
{
	size_t done = 0;
	if (!h->len) {
		ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN)
			return -1;
		done = w > 0 ? (size_t)w : 0;
	}
	if (done < n) {
		char *nb = xmalloc(h->len - h->off + n - done);
		memcpy(nb, h->buf + h->off, h->len - h->off);
		memcpy(nb + h->len - h->off, (const char *)data + done, n - done);
		h->len = h->len - h->off + n - done;
		h->off = 0;
		free(h->buf);
		h->buf = nb;
	}
	return 0;
}

static int flush_pipe(struct half *h, int fd)
{
	while (h->inpipe) {
		ssize_t m = splice(h->pipe[0], NULL, fd, NULL, h->inpipe,
				   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (m <= 0)
			return m < 0 && errno == EAGAIN ? 0 : -1;
		h->inpipe -= (size_t)m;
		h->len -= (size_t)m;
	}
	return 0;
}

static int flush_half(struct half *h, int fd)
{
	size_t kept = h->len - h->inpipe; /* buffered bytes go first: they came first */
	while (kept > h->off) {
		ssize_t w = send(fd, h->buf + h->off, kept - h->off, MSG_NOSIGNAL);
		if (w < 0)
			return errno == EAGAIN ? 0 : -1;
		h->off += (size_t)w;
	}
	free(h->buf);
	h->buf = NULL;
	h->len = h->inpipe;
	h->off = 0;
	return h->inpipe ? flush_pipe(h, fd) : 0;
}

/* Moves up to max bytes from src to dst through the half's pipe. Returns 1 when it moved data,
 * 0 at end of stream, -1 on EAGAIN, -2 on an error, -3 when no pipe can be had (use copies). */
static int splice_relay(struct half *h, int src, int dst, size_t max)
{
	if (h->pipe[0] < 0) {
		if (pipe2(h->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
			return -3;
		fcntl(h->pipe[1], F_SETPIPE_SZ, SCRATCH);
	}
	ssize_t n = splice(src, NULL, h->pipe[1], NULL, max, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
	if (n == 0)
		return 0;
	if (n < 0)
		return errno == EAGAIN ? -1 : errno == EINVAL ? -3 : -2;
	h->bytes += (uint64_t)n;
	h->inpipe += (size_t)n;
	h->len += (size_t)n;
	return flush_pipe(h, dst) < 0 ? -2 : 1;
}

/* Drops what is still queued for a side that can no longer take it. */
static void abort_half(struct half *h)
{
	free(h->buf);
	h->buf = NULL;
	h->len = h->off = h->inpipe = 0;
	h->eof = true;
	if (h->pipe[0] >= 0) { /* the pipe may still hold bytes: a fresh one is made if needed */
		close(h->pipe[0]);
		close(h->pipe[1]);
		h->pipe[0] = h->pipe[1] = -1;
	}
}

static void update(struct conn *c)
{
	uint32_t ci = 0, ui = 0;
	switch (c->state) {
	case S_HEAD:
		ci = EPOLLIN;
		break;
	case S_CONNECT:
		ui = EPOLLOUT;
		break;
	case S_RESOLVE:
	case S_PUB_WAIT:
		break;
	case S_RELAY:
		if (!c->c2u.len && !c->c2u.eof && !(c->body_limited && !c->body_left))
			ci |= EPOLLIN;
		if (c->u2c.len)
			ci |= EPOLLOUT;
		if (!c->u2c.len && !c->u2c.eof)
			ui |= EPOLLIN;
		if (c->c2u.len)
			ui |= EPOLLOUT;
		break;
	}
	ep_set(&c->cep, ci);
	ep_set(&c->uep, ui);
}

/* ---- refusals ---- */

static void say_refused(struct conn *c)
{
	/* The cell shares the user's terminal: one line there tells the person (or the agent
	 * reading its own stderr) what happened and the profile line that would change it. */
	fprintf(stderr, "brig: network: %s%s", c->j.why, eol);
	judge_event(&jc, c->via, c->method, &c->j, -1, -1, -1, NULL);
}

static void http_error(struct conn *c, int status, const char *reason, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\nX-Brig-Refusal: 1\r\n\r\n",
			 status, reason, strlen(body) + 1);
	struct iovec iov[3] = {{head, (size_t)n}, {(void *)body, strlen(body)}, {"\n", 1}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 3};
	ssize_t w = sendmsg(c->cep.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)w;
}

static void refuse(struct conn *c)
{
	say_refused(c);
	if (c->kind == K_HTTP) {
		char body[700];
		snprintf(body, sizeof body, "brig: %s", c->j.why);
		http_error(c, 403, "Forbidden", body);
	} else if (c->kind == K_SOCKS) {
		uint8_t rep[10];
		socks_reply(rep, SOCKS_REP_NOT_ALLOWED);
		ssize_t w = send(c->cep.fd, rep, sizeof rep, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)w;
	} else if (c->kind == K_TRANS) {
		/* A reset, not an orderly end: the program sees its connection refused rather
		 * than an empty answer it might retry or misread. */
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		setsockopt(c->cep.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	}
	conn_close(c, NULL);
}

static void fail_upstream(struct conn *c, const char *what)
{
	if (c->kind == K_HTTP) {
		char body[600];
		snprintf(body, sizeof body, "brig: %s:%d is allowed but %s", c->j.host, c->j.port,
			 what);
		http_error(c, 502, "Bad Gateway", body);
	} else if (c->kind == K_SOCKS) {
		uint8_t rep[10];
		socks_reply(rep, SOCKS_REP_HOST_UNREACH);
		ssize_t w = send(c->cep.fd, rep, sizeof rep, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)w;
	}
	conn_close(c, what);
}

/* ---- connecting out ---- */

static void start_relay(struct conn *c);

static void try_connect(struct conn *c)
{
	while (c->ira < c->nra) {
		struct sockaddr_storage *sa = &c->ra[c->ira];
		int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			c->ira++;
			continue;
		}
		socklen_t len = sa->ss_family == AF_INET ? sizeof(struct sockaddr_in)
							 : sizeof(struct sockaddr_in6);
		if (connect(fd, (struct sockaddr *)sa, len) == 0 || errno == EINPROGRESS) {
			c->uep.fd = fd;
			ep_add(&c->uep, EPOLLOUT);
			c->state = S_CONNECT;
			clock_gettime(CLOCK_MONOTONIC, &c->since);
			update(c);
			return;
		}
		close(fd);
		c->ira++;
	}
	fail_upstream(c, "no address of it accepted the connection");
}

static void connect_done(struct conn *c)
{
	int err = 0;
	socklen_t el = sizeof err;
	if (getsockopt(c->uep.fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
		fd_close(&c->uep);
		c->ira++;
		try_connect(c);
		return;
	}
	start_relay(c);
}

static void set_addr(struct sockaddr_storage *ss, int family, const uint8_t *a, int port)
{
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		memcpy(&s4->sin_addr, a, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, a, 16);
	}
}

/* The decision point shared by all front ends. */
static void decide(struct conn *c, const char *host, int family, const uint8_t *addr, int port)
{
	judge_target(&jc, host, family, addr, port, &c->j);
	if (!c->j.allow) {
		refuse(c);
		return;
	}
	/* Every tunnel allowed by name (including a synthetic address mapped back to its name)
	 * gets its ClientHello checked; plain absolute-form requests carry no TLS. */
	c->inspect_sni = c->j.by_name && !c->body_limited;
	if (!c->j.by_name) {
		set_addr(&c->ra[0], c->j.family, c->j.addr, port);
		c->nra = 1;
		try_connect(c);
		return;
	}
	c->job = xcalloc(1, sizeof *c->job);
	c->job->owner = c;
	snprintf(c->job->host, sizeof c->job->host, "%s", c->j.host);
	c->job->port = port;
	c->state = S_RESOLVE;
	update(c);
	resolve_submit(c->job);
}

static void resolved(struct resolve_job *job)
{
	struct conn *c = job->owner;
	c->job = NULL;
	memcpy(c->ra, job->addr, sizeof c->ra);
	c->nra = judge_addresses(&jc, &c->j, c->ra, job->n);
	if (!c->j.allow) {
		refuse(c);
		return;
	}
	try_connect(c);
}

/* ---- relaying ---- */

static void forward_client_bytes(struct conn *c, const uint8_t *data, size_t n)
{
	if (c->body_limited) {
		if (n > c->body_left)
			n = (size_t)c->body_left; /* pipelined requests are not followed */
		c->body_left -= n;
	}
	c->c2u.bytes += n;
	c->c2u_counted = c->c2u.bytes;
	if (n && send_or_keep(&c->c2u, c->uep.fd, data, n) < 0)
		abort_half(&c->c2u), abort_half(&c->u2c);
}

/* SNI check: a tunnel opened for one name must not carry a TLS session for another (domain
 * fronting through an allowed host). Non-TLS protocols (ssh, plain HTTP) pass. */
static int inspect(struct conn *c)
{
	char sni[256];
	int r = tls_sni(c->in, c->inlen, sni);
	if (r == SNI_INCOMPLETE && c->inlen < TLS_PEEK_MAX)
		return 0;
	if (r == SNI_FOUND && strcmp(sni, c->j.host)) {
		c->j.allow = false;
		snprintf(c->j.why, sizeof c->j.why,
			 "refused %s:%d: the TLS server name \"%s\" does not match the host the "
			 "connection was opened for",
			 c->j.host, c->j.port, sni);
		refuse(c);
		return -1;
	}
	if (r == SNI_MALFORMED || r == SNI_INCOMPLETE) {
		c->j.allow = false;
		snprintf(c->j.why, sizeof c->j.why,
			 "refused %s:%d: malformed or oversized TLS ClientHello", c->j.host, c->j.port);
		refuse(c);
		return -1;
	}
	c->inspect_sni = false;
	forward_client_bytes(c, c->in, c->inlen);
	c->inlen = 0;
	return 0;
}

static void start_relay(struct conn *c)
{
	c->state = S_RELAY;
	const char *ok = NULL;
	size_t oklen = 0;
	uint8_t socks_ok[10];
	if (c->kind == K_HTTP && !strcmp(c->method, "CONNECT")) {
		ok = "HTTP/1.1 200 Connection established\r\n\r\n";
		oklen = strlen(ok);
	} else if (c->kind == K_SOCKS) {
		socks_reply(socks_ok, SOCKS_REP_OK);
		ok = (const char *)socks_ok;
		oklen = sizeof socks_ok;
	}
	if (ok && send_or_keep(&c->u2c, c->cep.fd, ok, oklen) < 0) {
		conn_close(c, "client went away");
		return;
	}
	if (c->inspect_sni && c->inlen && inspect(c) < 0)
		return;
	if (!c->inspect_sni && c->inlen) {
		forward_client_bytes(c, c->in, c->inlen);
		c->inlen = 0;
	}
	update(c);
}

static bool relay_finished(struct conn *c)
{
	if (c->u2c.eof && !c->u2c.len && (c->c2u.eof || c->close_after_response))
		return true;
	return c->c2u.eof && c->u2c.eof && !c->c2u.len && !c->u2c.len;
}

static void half_shut(struct half *h, int fd)
{
	if (h->eof && !h->len && !h->shut && fd >= 0) {
		shutdown(fd, SHUT_WR);
		h->shut = true;
	}
}

static void relay_client_readable(struct conn *c)
{
	if (c->inspect_sni) {
		if (!c->in)
			c->in = xmalloc(TLS_PEEK_MAX);
		ssize_t n = recv(c->cep.fd, c->in + c->inlen, TLS_PEEK_MAX - c->inlen, 0);
		if (n == 0) {
			c->c2u.eof = true;
			c->inspect_sni = false;
			forward_client_bytes(c, c->in, c->inlen);
			c->inlen = 0;
		} else if (n > 0) {
			c->inlen += (size_t)n;
			inspect(c);
		} else if (errno != EAGAIN) {
			conn_close(c, NULL);
		}
		return;
	}
	size_t want = SCRATCH;
	if (c->body_limited && c->body_left < want)
		want = (size_t)c->body_left;
	if (!c->c2u.len) {
		int r = splice_relay(&c->c2u, c->cep.fd, c->uep.fd, want);
		if (r != -3) {
			if (r == 1 && c->body_limited)
				c->body_left -= c->c2u.bytes - c->c2u_counted;
			c->c2u_counted = c->c2u.bytes;
			if (r == 0)
				c->c2u.eof = true;
			else if (r == -2)
				abort_half(&c->c2u), abort_half(&c->u2c);
			return;
		}
	}
	ssize_t n = recv(c->cep.fd, scratch, want, 0);
	if (n > 0)
		forward_client_bytes(c, (uint8_t *)scratch, (size_t)n);
	else if (n == 0)
		c->c2u.eof = true;
	else if (errno != EAGAIN)
		abort_half(&c->c2u), abort_half(&c->u2c);
}

static void relay_upstream_readable(struct conn *c)
{
	if (!c->u2c.len) {
		int r = splice_relay(&c->u2c, c->uep.fd, c->cep.fd, SCRATCH);
		if (r != -3) {
			if (r == 0)
				c->u2c.eof = true;
			else if (r == -2)
				abort_half(&c->c2u), abort_half(&c->u2c);
			return;
		}
	}
	ssize_t n = recv(c->uep.fd, scratch, SCRATCH, 0);
	if (n > 0) {
		c->u2c.bytes += (uint64_t)n;
		if (send_or_keep(&c->u2c, c->cep.fd, scratch, (size_t)n) < 0)
			abort_half(&c->c2u), abort_half(&c->u2c);
	} else if (n == 0) {
		c->u2c.eof = true;
	} else if (errno != EAGAIN) {
		abort_half(&c->c2u), abort_half(&c->u2c);
	}
}

/* A socket reported hang-up or error while we were not reading it: its peer is gone both ways.
 * Level-triggered epoll would report that again and again, so it leaves the poll set; what it
 * sent us still goes to the other side, what was queued for it is dropped. */
static void side_gone(struct conn *c, struct ep *e)
{
	bool client = e == &c->cep;
	(client ? &c->c2u : &c->u2c)->eof = true;
	abort_half(client ? &c->u2c : &c->c2u);
	epoll_ctl(epfd, EPOLL_CTL_DEL, e->fd, NULL);
	e->gone = true;
}

static void relay_event(struct conn *c, struct ep *e, uint32_t ev)
{
	bool client = e == &c->cep;
	if (ev & EPOLLOUT) {
		struct half *h = client ? &c->u2c : &c->c2u;
		if (flush_half(h, e->fd) < 0)
			side_gone(c, e);
	}
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (client && (c->cep.events & EPOLLIN))
			relay_client_readable(c);
		else if (!client && (c->uep.events & EPOLLIN))
			relay_upstream_readable(c);
		else if (!e->gone)
			side_gone(c, e);
	}
	if (c->closed) /* by inspect() or a read error */
		return;
	half_shut(&c->c2u, c->uep.fd);
	half_shut(&c->u2c, c->cep.fd);
	if (relay_finished(c)) {
		conn_close(c, NULL);
		return;
	}
	update(c);
}

/* ---- front ends ---- */

static int read_head(struct conn *c)
{
	if (!c->in)
		c->in = xmalloc(IN_MAX);
	if (c->inlen >= IN_MAX) /* full: let the parser refuse it (431) */
		return 1;
	ssize_t n = recv(c->cep.fd, c->in + c->inlen, IN_MAX - c->inlen, 0);
	if (n <= 0)
		return n == 0 || errno != EAGAIN ? -1 : 0;
	c->inlen += (size_t)n;
	return 1;
}

static void consume_in(struct conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->inlen - n);
	c->inlen -= n;
}

static void http_head(struct conn *c)
{
	struct http_request r;
	const char *err = NULL;
	int status;
	long n = http_parse_request((const char *)c->in, c->inlen, &r, &err, &status);
	if (n == 0)
		return;
	if (n < 0) {
		char body[300];
		snprintf(body, sizeof body, "brig: malformed proxy request refused: %s", err);
		fprintf(stderr, "brig: network: %s%s", body + 6, eol);
		http_error(c, status, status == 431 ? "Request Header Fields Too Large" : "Bad Request",
			   body);
		conn_close(c, NULL);
		return;
	}
	snprintf(c->method, sizeof c->method, "%s", r.method);
	consume_in(c, (size_t)n);
	unsigned char ip[16];
	int fam = ip_literal_parse(r.host, strlen(r.host), ip);
	if (!r.is_connect) {
		c->via = "http";
		size_t hl;
		char *head = http_upstream_head(&r, &hl);
		/* The rewritten head goes first, then exactly the declared body. */
		uint8_t *nin = xmalloc(IN_MAX + hl);
		memcpy(nin, head, hl);
		size_t body = c->inlen < r.length ? c->inlen : (size_t)r.length;
		memcpy(nin + hl, c->in, body);
		free(head);
		free(c->in);
		c->in = nin;
		c->inlen = hl + body;
		c->body_limited = true;
		c->body_left = r.length - body + c->inlen;
		c->close_after_response = true;
	}
	char host[256];
	snprintf(host, sizeof host, "%s", r.host);
	int port = r.port;
	http_request_free(&r);
	decide(c, host, fam, ip, port);
}

static void socks_head(struct conn *c)
{
	if (!c->greeted) {
		long n = socks_parse_greeting(c->in, c->inlen);
		if (n < 0) {
			uint8_t no[2] = {5, 0xff};
			ssize_t w = send(c->cep.fd, no, 2, MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)w;
			conn_close(c, NULL);
			return;
		}
		if (n == 0)
			return;
		consume_in(c, (size_t)n);
		uint8_t ok[2] = {5, 0};
		if (send(c->cep.fd, ok, 2, MSG_NOSIGNAL | MSG_DONTWAIT) != 2) {
			conn_close(c, NULL);
			return;
		}
		c->greeted = true;
	}
	struct socks_request r;
	int rep;
	long n = socks_parse_request(c->in, c->inlen, &r, &rep);
	if (n == 0)
		return;
	if (n < 0) {
		uint8_t out[10];
		socks_reply(out, rep);
		ssize_t w = send(c->cep.fd, out, sizeof out, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)w;
		fprintf(stderr, "brig: network: malformed or refused SOCKS5 request%s%s",
			rep == SOCKS_REP_NOT_ALLOWED ? " (invalid host name)" : "", eol);
		conn_close(c, NULL);
		return;
	}
	consume_in(c, (size_t)n);
	snprintf(c->method, sizeof c->method, "CONNECT");
	decide(c, r.host, r.family, r.addr, r.port);
}

static void dns_tcp_head(struct conn *c);

static void client_event(struct conn *c, uint32_t ev)
{
	if (c->state == S_RELAY) {
		relay_event(c, &c->cep, ev);
		return;
	}
	if (c->state != S_HEAD) {
		if (ev & (EPOLLHUP | EPOLLERR))
			conn_close(c, NULL);
		return;
	}
	int r = read_head(c);
	if (r < 0) {
		conn_close(c, NULL);
		return;
	}
	if (r == 0)
		return;
	if (c->kind == K_HTTP)
		http_head(c);
	else if (c->kind == K_SOCKS)
		socks_head(c);
	else if (c->kind == K_DNS)
		dns_tcp_head(c);
}

static void upstream_event(struct conn *c, uint32_t ev)
{
	if (c->state == S_CONNECT)
		connect_done(c);
	else if (c->state == S_RELAY)
		relay_event(c, &c->uep, ev);
}

static void accept_trans(int lfd)
{
	struct sockaddr_storage orig;
	socklen_t ol = sizeof orig;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct conn *c = conn_new(K_TRANS, fd, "transparent");
	/* The destination the cell's program asked for, before the redirect in the cell's own
	 * netns rewrote it to this listener. */
	int fam = AF_INET;
	if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &orig, &ol) < 0) {
		ol = sizeof orig;
		fam = AF_INET6;
		if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &orig, &ol) < 0) {
			conn_close(c, NULL);
			return;
		}
	}
	uint8_t a[16];
	int port;
	char host[INET6_ADDRSTRLEN];
	if (orig.ss_family == AF_INET) {
		memcpy(a, &((struct sockaddr_in *)&orig)->sin_addr, 4);
		port = ntohs(((struct sockaddr_in *)&orig)->sin_port);
		fam = AF_INET;
	} else {
		memcpy(a, &((struct sockaddr_in6 *)&orig)->sin6_addr, 16);
		port = ntohs(((struct sockaddr_in6 *)&orig)->sin6_port);
		fam = AF_INET6;
	}
	inet_ntop(fam, a, host, sizeof host);
	snprintf(c->method, sizeof c->method, "TCP");
	decide(c, host, fam, a, port);
}

/* ---- DNS stub ---- */

static size_t dns_answer(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap)
{
	struct dns_query q;
	if (dns_parse_query(pkt, len, &q) < 0)
		return 0;
	int rcode = DNS_RCODE_NXDOMAIN;
	uint8_t a4[4];
	bool have = false;
	if (q.qclass != 1) {
		rcode = DNS_RCODE_REFUSED;
	} else if (q.name[0] && hostrules_name_resolvable(jc.rules, q.name)) {
		rcode = DNS_RCODE_OK;
		have = dns_pool_addr(&pool, q.name, a4) == 0;
		if (!have)
			rcode = DNS_RCODE_REFUSED;
	}
	/* Every answer is a decision: allowed names are logged too, so the log shows what the
	 * cell looked up even when it never connected. */
	struct judgment j = {.port = 53, .allow = rcode == DNS_RCODE_OK};
	snprintf(j.host, sizeof j.host, "%s", q.name[0] ? q.name : "(invalid name)");
	if (!j.allow)
		snprintf(j.why, sizeof j.why, "DNS query for %s answered %s (no allow rule names it)",
			 j.host, rcode == DNS_RCODE_NXDOMAIN ? "NXDOMAIN" : "REFUSED");
	judge_event(&jc, "dns",
		    q.qtype == DNS_TYPE_AAAA ? "AAAA" : q.qtype == DNS_TYPE_A ? "A" : "other", &j, -1,
		    -1, -1, NULL);
	return dns_build_answer(pkt, &q, rcode, have ? a4 : NULL, out, cap);
}

static void dns_udp(int fd)
{
	for (int i = 0; i < 64; i++) {
		uint8_t pkt[4096], out[4200];
		struct sockaddr_storage from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(fd, pkt, sizeof pkt, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		size_t m = dns_answer(pkt, (size_t)n, out, sizeof out);
		if (m) {
			ssize_t w = sendto(fd, out, m, MSG_DONTWAIT, (struct sockaddr *)&from, fl);
			(void)w;
		}
	}
}

static void dns_tcp_head(struct conn *c)
{
	while (c->inlen >= 2) {
		size_t len = (size_t)(c->in[0] << 8 | c->in[1]);
		if (len > 4096) {
			conn_close(c, NULL);
			return;
		}
		if (c->inlen < 2 + len)
			return;
		uint8_t out[4202];
		size_t m = dns_answer(c->in + 2, len, out + 2, sizeof out - 2);
		if (!m) {
			conn_close(c, NULL);
			return;
		}
		out[0] = (uint8_t)(m >> 8);
		out[1] = (uint8_t)m;
		if (send(c->cep.fd, out, m + 2, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)(m + 2)) {
			conn_close(c, NULL);
			return;
		}
		consume_in(c, 2 + len);
	}
}

/* ---- publish: host 127.0.0.1:PORT to the cell's own loopback ---- */

static void accept_pub(struct ep *l)
{
	int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct conn *c = conn_new(K_PUB, fd, "publish");
	snprintf(c->j.host, sizeof c->j.host, "cell loopback");
	c->j.port = l->port;
	c->j.allow = true;
	c->state = S_PUB_WAIT;
	update(c);
	struct broker_ctl_msg m = {.id = c->id, .port = (unsigned)l->port};
	if (ctl_fd < 0 || send(ctl_fd, &m, sizeof m, MSG_NOSIGNAL) != sizeof m)
		conn_close(c, "the cell is not reachable");
}

static void ctl_event(void)
{
	struct broker_ctl_msg m;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&m, sizeof m};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof cbuf};
	ssize_t n = recvmsg(ctl_fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n == 0) {
		/* pid 1 of the cell is gone: so is every client. */
		_exit(0);
	}
	if (n != sizeof m)
		return;
	int fd = -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	for (struct conn *c = conns; c; c = c->next)
		if (c->id == m.id && c->state == S_PUB_WAIT) {
			if (fd < 0 || !m.port) {
				conn_close(c, "nothing listens on that port inside the cell");
				return;
			}
			fcntl(fd, F_SETFL, O_NONBLOCK);
			c->uep.fd = fd;
			ep_add(&c->uep, 0);
			start_relay(c);
			return;
		}
	if (fd >= 0)
		close(fd);
}

/* ---- timeouts ---- */

#define HEAD_TIMEOUT_MS 30000    /* a client that never finishes its request head */
#define CONNECT_TIMEOUT_MS 10000 /* an address that never answers: try the next one */

static void sweep(void)
{
	for (struct conn *c = conns, *nx; c; c = nx) {
		nx = c->next;
		long long age = ms_since(&c->since);
		if (c->state == S_HEAD && age > HEAD_TIMEOUT_MS) {
			conn_close(c, NULL);
		} else if (c->state == S_CONNECT && age > CONNECT_TIMEOUT_MS) {
			fd_close(&c->uep);
			c->ira++;
			try_connect(c);
		}
	}
}

/* ---- loop ---- */

static struct ep listeners[16 + BROKER_MAX_PUBLISH];
static size_t nlisteners;

static void listen_on(enum ep_kind kind, int fd, int port)
{
	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	struct ep *e = &listeners[nlisteners++];
	*e = (struct ep){.kind = kind, .fd = fd, .port = port};
	ep_add(e, EPOLLIN);
}

static void accept_front(enum conn_kind kind, int lfd, const char *via)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0)
		conn_new(kind, fd, via);
}

static void dispatch(struct ep *e, uint32_t ev)
{
	switch (e->kind) {
	case EP_HTTP: accept_front(K_HTTP, e->fd, "http-connect"); break;
	case EP_SOCKS: accept_front(K_SOCKS, e->fd, "socks5"); break;
	case EP_DNS_TCP: accept_front(K_DNS, e->fd, "dns"); break;
	case EP_TRANS: accept_trans(e->fd); break;
	case EP_DNS_UDP: dns_udp(e->fd); break;
	case EP_PUB: accept_pub(e); break;
	case EP_CTL: ctl_event(); break;
	case EP_RESOLVED:
		for (struct resolve_job *j = resolve_take_done(), *nx; j; j = nx) {
			nx = j->next;
			if (j->owner)
				resolved(j);
			free(j);
		}
		break;
	case EP_CLIENT: client_event(e->c, ev); break;
	case EP_UPSTREAM: upstream_event(e->c, ev); break;
	}
}

int broker_run(const struct broker_config *cfg)
{
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "brig-broker");
	/* Two descriptors per tunnel: the default soft limit (1024) would cap a busy cell near 500. */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	if (isatty(2))
		eol = "\r\n";
	jc.rules = cfg->rules;
	jc.pool = &pool;
	jc.events_fd = cfg->events_fd;
	judge_collect_self(&jc);
	ctl_fd = cfg->ctl_fd;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		log_errno("network broker: epoll");
		return -1;
	}
	/* Landlock before the resolver threads exist (they inherit it); seccomp after, synchronised
	 * over all threads. */
	if (cfg->confine && confine_landlock() < 0)
		return -1;
	int rfd = resolve_start(4, cfg->test_hosts);
	if (rfd < 0) {
		log_errno("network broker: resolver threads");
		return -1;
	}
	if (cfg->confine && confine_seccomp() < 0)
		return -1;
	listen_on(EP_HTTP, cfg->http_fd, 0);
	listen_on(EP_SOCKS, cfg->socks_fd, 0);
	listen_on(EP_TRANS, cfg->trans4_fd, 0);
	listen_on(EP_TRANS, cfg->trans6_fd, 0);
	listen_on(EP_DNS_UDP, cfg->dns_udp_fd, 0);
	listen_on(EP_DNS_TCP, cfg->dns_tcp_fd, 0);
	listen_on(EP_RESOLVED, rfd, 0);
	listen_on(EP_CTL, cfg->ctl_fd, 0);
	for (size_t i = 0; i < cfg->npub; i++)
		listen_on(EP_PUB, cfg->pub_fd[i], cfg->pub_port[i]);
	struct epoll_event evs[64];
	time_t last_sweep = 0;
	for (;;) {
		int n = epoll_wait(epfd, evs, 64, 1000);
		if (n < 0 && errno != EINTR) {
			log_errno("network broker: epoll_wait");
			return -1;
		}
		for (int i = 0; i < n; i++) {
			struct ep *e = evs[i].data.ptr;
			if ((e->kind == EP_CLIENT || e->kind == EP_UPSTREAM) && e->c->closed)
				continue;
			dispatch(e, evs[i].events);
		}
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec != last_sweep) {
			last_sweep = now.tv_sec;
			sweep();
		}
		while (graveyard) {
			struct conn *c = graveyard;
			graveyard = c->next;
			free(c);
		}
	}
}
