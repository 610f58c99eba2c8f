/* The cell's DNS stub: strict query parsing, answers only for names the rules allow (synthetic
 * addresses from a private pool, mapped back to the name when the cell connects), NXDOMAIN for
 * everything else. Nothing is ever forwarded, so a query cannot carry data out. */
#ifndef BRIG_NET_DNS_H
#define BRIG_NET_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { DNS_TYPE_A = 1, DNS_TYPE_AAAA = 28, DNS_RCODE_OK = 0, DNS_RCODE_FORMERR = 1,
       DNS_RCODE_NXDOMAIN = 3, DNS_RCODE_NOTIMP = 4, DNS_RCODE_REFUSED = 5 };

struct dns_query {
	uint16_t id, qtype, qclass;
	bool rd;
	char name[256]; /* lower case, no trailing dot; "" when the name is not a valid host name */
	size_t question_end;
};

/* Returns 0, or -1 when the packet is not a well-formed single-question query (no answer is owed:
 * a reply to garbage is a reflection vector). */
int dns_parse_query(const uint8_t *pkt, size_t len, struct dns_query *q);
/* Writes the response to q into out. addr4 is used for an A answer when rcode is OK and qtype A.
 * Returns the length, or 0 when out is too small. */
size_t dns_build_answer(const uint8_t *pkt, const struct dns_query *q, int rcode,
			const uint8_t addr4[4], uint8_t *out, size_t cap);

/* The synthetic pool: 198.18.0.0/15 (RFC 2544 benchmarking, never routed on the Internet). */
struct dns_pool {
	char **names; /* index i holds the name of 198.18.0.0 + i + 1 */
	size_t n, cap;
};
/* Returns the address for name, adding it when new. -1 when the pool is full. */
int dns_pool_addr(struct dns_pool *p, const char *name, uint8_t out[4]);
/* The name an address stands for, or NULL when it is not one of ours. */
const char *dns_pool_name(const struct dns_pool *p, const uint8_t addr[4]);
void dns_pool_free(struct dns_pool *p);

#endif
