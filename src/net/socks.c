#include "net/socks.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "net/hostrules.h"

long socks_parse_greeting(const uint8_t *buf, size_t len)
{
	if (len < 2)
		return 0;
	if (buf[0] != 5 || buf[1] == 0)
		return -1;
	if (len < 2u + buf[1])
		return 0;
	/* Only "no authentication": the cell's own loopback is the only place this listens. */
	if (!memchr(buf + 2, 0, buf[1]))
		return -1;
	return 2 + buf[1];
}

long socks_parse_request(const uint8_t *buf, size_t len, struct socks_request *r, int *rep)
{
	memset(r, 0, sizeof *r);
	*rep = SOCKS_REP_FAIL;
	if (len < 5)
		return 0;
	if (buf[0] != 5 || buf[2] != 0)
		return -1;
	size_t need;
	switch (buf[3]) {
	case 1: need = 4 + 4 + 2; break;
	case 4: need = 4 + 16 + 2; break;
	case 3: need = 4 + 1 + (size_t)buf[4] + 2; break;
	default: *rep = SOCKS_REP_ATYP; return -1;
	}
	if (len < need)
		return 0;
	if (buf[1] != 1) { /* BIND and UDP ASSOCIATE would open other ways out */
		*rep = SOCKS_REP_CMD;
		return -1;
	}
	r->port = buf[need - 2] << 8 | buf[need - 1];
	if (r->port == 0)
		return -1;
	if (buf[3] == 1 || buf[3] == 4) {
		r->family = buf[3] == 1 ? AF_INET : AF_INET6;
		memcpy(r->addr, buf + 4, buf[3] == 1 ? 4 : 16);
		inet_ntop(r->family, r->addr, r->host, sizeof r->host);
		return (long)need;
	}
	/* The name is length-prefixed, so it may hold any byte: a NUL in it once made
	 * "allowed.com\0.evil.com" pass an allowlist check done on a C string. Validate every
	 * byte of the declared length, never a string view of it. */
	size_t n = buf[4];
	const char *name = (const char *)buf + 5;
	unsigned char ip[16];
	int fam = ip_literal_parse(name, n, ip);
	if (fam && !memchr(name, 0, n)) {
		r->family = fam;
		memcpy(r->addr, ip, 16);
		inet_ntop(fam, ip, r->host, sizeof r->host);
		return (long)need;
	}
	if (n == 0 || host_name_normalize(name, n, r->host) < 0) {
		*rep = SOCKS_REP_NOT_ALLOWED;
		return -1;
	}
	return (long)need;
}

void socks_reply(uint8_t out[10], int rep)
{
	memset(out, 0, 10);
	out[0] = 5;
	out[1] = (uint8_t)rep;
	out[3] = 1;
}
