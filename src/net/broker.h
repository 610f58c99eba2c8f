/* The egress broker: one confined process serving the cell's HTTP proxy, SOCKS5 proxy,
 * transparent listener and DNS stub (all listening sockets made inside the cell's network
 * namespace and passed out), connecting out from the host's namespace. */
#ifndef BRIG_NET_BROKER_H
#define BRIG_NET_BROKER_H

#include <stdbool.h>
#include <stddef.h>

#include "net/hostrules.h"

#define BROKER_MAX_PUBLISH 16

struct broker_config {
	int http_fd, socks_fd, trans4_fd, trans6_fd, dns_udp_fd, dns_tcp_fd; /* -1 when absent */
	int ctl_fd; /* SOCK_SEQPACKET to the cell's pid 1 (publish); -1 when absent */
	int pub_fd[BROKER_MAX_PUBLISH], pub_port[BROKER_MAX_PUBLISH];
	size_t npub;
	const struct hostrules *rules;
	int events_fd; /* events.jsonl, O_APPEND; -1 for none */
	bool confine;  /* seccomp + Landlock (off only in tests that need to inspect the broker) */
	const char *test_hosts;
};

/* Runs the event loop; returns only on a fatal error (after logging it). */
int broker_run(const struct broker_config *cfg);

/* The messages on the control socket between the broker and the cell's pid 1. */
struct broker_ctl_msg {
	unsigned id;
	unsigned port; /* request: connect to 127.0.0.1:port inside; reply: 0 = failed */
};

#endif
