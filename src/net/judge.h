/* One decision of the broker: may the cell reach this host and port? With the explanation a person
 * or an agent can act on, and the audit event. */
#ifndef BRIG_NET_JUDGE_H
#define BRIG_NET_JUDGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/dns.h"
#include "net/hostrules.h"

#define JUDGE_MAX_ADDRS 8

struct judge_ctx {
	const struct hostrules *rules;
	struct dns_pool *pool;
	/* The host's own addresses (refused unless a CIDR rule allows them). */
	struct {
		int family;
		uint8_t addr[16];
	} self[64];
	size_t nself;
	int events_fd;
};

struct judgment {
	bool allow;
	bool by_name;       /* allowed by a name rule: resolve host, then check the addresses */
	char host[256];     /* the name (synthetic addresses mapped back), or the IP in text */
	int family;         /* for an address target */
	uint8_t addr[16];
	int port;
	const struct hostrule *rule;
	char why[600];      /* one line: "refused X: ..." with the profile line that would allow it */
};

/* host: a validated name or IP text; family/addr set when host is an IP literal. */
void judge_target(const struct judge_ctx *jc, const char *host, int family, const uint8_t *addr,
		  int port, struct judgment *j);
/* After resolving an allowed name: keeps the addresses that may be used (DNS rebinding guard).
 * Returns how many remain; when none, j->allow is cleared and j->why explains. */
int judge_addresses(const struct judge_ctx *jc, struct judgment *j, struct sockaddr_storage *sa,
		    int n);
void judge_collect_self(struct judge_ctx *jc);
/* Appends one decision to events.jsonl. bytes/duration are -1 when not known yet. */
void judge_event(const struct judge_ctx *jc, const char *via, const char *method,
		 const struct judgment *j, long long bytes_out, long long bytes_in,
		 long long duration_ms, const char *error);

#endif
