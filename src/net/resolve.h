/* Name resolution for the broker without blocking its event loop: a few threads run
 * getaddrinfo() and signal completion through an eventfd. */
#ifndef BRIG_NET_RESOLVE_H
#define BRIG_NET_RESOLVE_H

#include <sys/socket.h>

#include "net/judge.h"

struct resolve_job {
	void *owner; /* NULL once the owner gave up (the main thread only reads it under the lock) */
	char host[256];
	int port;
	struct sockaddr_storage addr[JUDGE_MAX_ADDRS];
	int n;
	struct resolve_job *next;
};

/* test_hosts: "name=addr,name=addr" answered before the system resolver (BRIG_NET_TEST_HOSTS, for
 * tests that need a name resolving to a given address). Returns the eventfd, or -1. */
int resolve_start(int nthreads, const char *test_hosts);
void resolve_submit(struct resolve_job *job);
void resolve_cancel(struct resolve_job *job);
/* Takes the finished jobs (call when the eventfd is readable). */
struct resolve_job *resolve_take_done(void);

#endif
