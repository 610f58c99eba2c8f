#include "net/sni.h"

#include <string.h>

#include "net/hostrules.h"

static size_t get16(const uint8_t *p)
{
	return (size_t)(p[0] << 8 | p[1]);
}

/* Walks the extensions of a ClientHello body. Every length is checked against its container; any
 * inconsistency is "malformed", which the broker treats as a refusal. */
static int find_sni(const uint8_t *p, size_t len, char out[256])
{
	size_t off = 2 + 32; /* client_version, random */
	if (off + 1 > len)
		return SNI_MALFORMED;
	off += 1 + p[off]; /* session id */
	if (off + 2 > len)
		return SNI_MALFORMED;
	off += 2 + get16(p + off); /* cipher suites */
	if (off + 1 > len)
		return SNI_MALFORMED;
	off += 1 + p[off]; /* compression methods */
	if (off == len)
		return SNI_ABSENT;
	if (off + 2 > len || off + 2 + get16(p + off) != len)
		return SNI_MALFORMED;
	off += 2;
	int found = SNI_ABSENT;
	while (off < len) {
		if (off + 4 > len)
			return SNI_MALFORMED;
		size_t type = get16(p + off), elen = get16(p + off + 2);
		off += 4;
		if (off + elen > len)
			return SNI_MALFORMED;
		if (type == 0) {
			if (found) /* two server_name extensions: which one would the server use? */
				return SNI_MALFORMED;
			const uint8_t *e = p + off;
			if (elen < 5 || get16(e) != elen - 2 || e[2] != 0 || 5 + get16(e + 3) != elen)
				return SNI_MALFORMED;
			if (host_name_normalize((const char *)e + 5, get16(e + 3), out) < 0 ||
			    memchr(e + 5, 0, get16(e + 3)))
				return SNI_MALFORMED;
			found = SNI_FOUND;
		}
		off += elen;
	}
	return found;
}

int tls_sni(const uint8_t *buf, size_t len, char out[256])
{
	if (len < 1)
		return SNI_INCOMPLETE;
	if (buf[0] != 0x16)
		return SNI_NOT_TLS;
	if (len < 5)
		return SNI_INCOMPLETE;
	if (buf[1] != 3)
		return SNI_NOT_TLS;
	size_t rlen = get16(buf + 3);
	if (rlen < 4 || rlen > 16384)
		return SNI_MALFORMED;
	if (len < 5 + rlen)
		return SNI_INCOMPLETE;
	const uint8_t *h = buf + 5;
	if (h[0] != 1) /* ClientHello */
		return SNI_MALFORMED;
	size_t hlen = (size_t)h[1] << 16 | get16(h + 2);
	/* A ClientHello split over several records is legal but rare; refusing it keeps the check
	 * simple and cannot be used to smuggle a different name past it. */
	if (hlen + 4 > rlen)
		return SNI_MALFORMED;
	return find_sni(h + 4, hlen, out);
}
