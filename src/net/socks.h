/* SOCKS5 (RFC 1928), CONNECT only, no authentication, names resolved by the broker (socks5h). */
#ifndef BRIG_NET_SOCKS_H
#define BRIG_NET_SOCKS_H

#include <stddef.h>
#include <stdint.h>

enum { SOCKS_REP_OK = 0, SOCKS_REP_FAIL = 1, SOCKS_REP_NOT_ALLOWED = 2, SOCKS_REP_NET_UNREACH = 3,
       SOCKS_REP_HOST_UNREACH = 4, SOCKS_REP_REFUSED = 5, SOCKS_REP_CMD = 7, SOCKS_REP_ATYP = 8 };

struct socks_request {
	char host[256]; /* a validated name, or an IP literal in text form */
	int family;     /* 0 for a name, else AF_INET / AF_INET6 */
	uint8_t addr[16];
	int port;
};

/* Each returns the bytes consumed, 0 when more are needed, or -1 for a protocol error; *rep is the
 * SOCKS reply code to send when the request is refused. */
long socks_parse_greeting(const uint8_t *buf, size_t len);
long socks_parse_request(const uint8_t *buf, size_t len, struct socks_request *r, int *rep);
/* The 10-byte reply (bound address 0.0.0.0:0). */
void socks_reply(uint8_t out[10], int rep);

#endif
