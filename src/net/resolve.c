#include "net/resolve.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/xalloc.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct resolve_job *todo, *done;
static int done_fd = -1;
static char *fixed_hosts;

static int set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		return -1;
	return 0;
}

static int add_literal(struct resolve_job *j, const char *txt)
{
	struct sockaddr_storage ss = {0};
	if (inet_pton(AF_INET, txt, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, txt, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		return -1;
	if (j->n < JUDGE_MAX_ADDRS)
		j->addr[j->n++] = ss;
	return 0;
}

static bool from_fixed(struct resolve_job *j)
{
	if (!fixed_hosts)
		return false;
	size_t hl = strlen(j->host);
	for (const char *p = fixed_hosts; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (eq && (size_t)(eq - p) == hl && !strncmp(p, j->host, hl)) {
			char txt[64];
			size_t al = len - hl - 1;
			if (al < sizeof txt) {
				memcpy(txt, eq + 1, al);
				txt[al] = '\0';
				add_literal(j, txt);
			}
		}
		p += len + (end ? 1 : 0);
	}
	return j->n > 0;
}

static void lookup(struct resolve_job *j)
{
	j->n = 0;
	if (from_fixed(j))
		goto ports;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	if (getaddrinfo(j->host, NULL, &hints, &res) != 0)
		return;
	for (struct addrinfo *ai = res; ai && j->n < JUDGE_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof j->addr[0])
			continue;
		memset(&j->addr[j->n], 0, sizeof j->addr[0]);
		memcpy(&j->addr[j->n], ai->ai_addr, ai->ai_addrlen);
		j->n++;
	}
	freeaddrinfo(res);
ports:
	for (int i = 0; i < j->n; i++)
		set_port(&j->addr[i], j->port);
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mu);
		while (!todo)
			pthread_cond_wait(&cv, &mu);
		struct resolve_job *j = todo;
		todo = j->next;
		bool wanted = j->owner != NULL;
		pthread_mutex_unlock(&mu);
		if (wanted)
			lookup(j);
		pthread_mutex_lock(&mu);
		j->next = done;
		done = j;
		pthread_mutex_unlock(&mu);
		uint64_t one = 1;
		ssize_t w = write(done_fd, &one, sizeof one);
		(void)w;
	}
	return NULL;
}

int resolve_start(int nthreads, const char *test_hosts)
{
	fixed_hosts = test_hosts && *test_hosts ? xstrdup(test_hosts) : NULL;
	done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (done_fd < 0)
		return -1;
	for (int i = 0; i < nthreads; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL) != 0)
			return -1;
		pthread_detach(t);
	}
	return done_fd;
}

void resolve_submit(struct resolve_job *job)
{
	pthread_mutex_lock(&mu);
	job->next = NULL;
	struct resolve_job **tail = &todo;
	while (*tail)
		tail = &(*tail)->next;
	*tail = job;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

void resolve_cancel(struct resolve_job *job)
{
	pthread_mutex_lock(&mu);
	job->owner = NULL;
	pthread_mutex_unlock(&mu);
}

struct resolve_job *resolve_take_done(void)
{
	uint64_t n;
	ssize_t r = read(done_fd, &n, sizeof n);
	(void)r;
	pthread_mutex_lock(&mu);
	struct resolve_job *d = done;
	done = NULL;
	pthread_mutex_unlock(&mu);
	return d;
}
