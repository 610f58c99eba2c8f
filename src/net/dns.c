#include "net/dns.h"

#include <stdlib.h>
#include <string.h>

#include "net/hostrules.h"
#include "util/xalloc.h"

#define POOL_MAX 131070

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Reads the question name. Compression pointers are refused: a query has nothing to point back
 * at, and pointer loops are a classic parser trap. */
static long read_qname(const uint8_t *pkt, size_t len, size_t off, char *name, bool *valid)
{
	char raw[256];
	size_t n = 0;
	*valid = true;
	for (;;) {
		if (off >= len)
			return -1;
		uint8_t l = pkt[off++];
		if (l == 0)
			break;
		if (l > 63 || off + l > len || n + l + 1 > 254)
			return -1;
		for (size_t i = 0; i < l; i++) {
			uint8_t ch = pkt[off + i];
			/* A dot or NUL inside a label would make "a.b" and "a\.b" one string. */
			if (ch == '.' || ch == 0 || ch > 0x7e || ch < 0x21)
				*valid = false;
			raw[n++] = (char)ch;
		}
		raw[n++] = '.';
		off += l;
	}
	if (n == 0) {
		*valid = false;
		name[0] = '\0';
		return (long)off;
	}
	if (!*valid || host_name_normalize(raw, n, name) < 0) {
		*valid = false;
		name[0] = '\0';
	}
	return (long)off;
}

int dns_parse_query(const uint8_t *pkt, size_t len, struct dns_query *q)
{
	memset(q, 0, sizeof *q);
	if (len < 12 || len > 4096)
		return -1;
	uint16_t flags = get16(pkt + 2);
	/* QR must be 0 (a query), opcode 0 (standard query). */
	if (flags & 0x8000 || (flags >> 11 & 0xf) != 0)
		return -1;
	if (get16(pkt + 4) != 1 || get16(pkt + 6) || get16(pkt + 8) || get16(pkt + 10) > 1)
		return -1;
	q->id = get16(pkt);
	q->rd = flags & 0x0100;
	bool valid;
	long off = read_qname(pkt, len, 12, q->name, &valid);
	if (off < 0 || (size_t)off + 4 > len)
		return -1;
	q->qtype = get16(pkt + off);
	q->qclass = get16(pkt + off + 2);
	q->question_end = (size_t)off + 4;
	return 0;
}

size_t dns_build_answer(const uint8_t *pkt, const struct dns_query *q, int rcode,
			const uint8_t addr4[4], uint8_t *out, size_t cap)
{
	size_t qlen = q->question_end - 12;
	bool answer = rcode == DNS_RCODE_OK && q->qtype == DNS_TYPE_A && addr4;
	size_t need = 12 + qlen + (answer ? 16 : 0);
	if (need > cap)
		return 0;
	put16(out, q->id);
	/* QR, RD copied, RA: this stub is the cell's whole resolver. */
	put16(out + 2, (uint16_t)(0x8000 | (q->rd ? 0x0100 : 0) | 0x0080 | (rcode & 0xf)));
	put16(out + 4, 1);
	put16(out + 6, answer ? 1 : 0);
	put16(out + 8, 0);
	put16(out + 10, 0);
	memcpy(out + 12, pkt + 12, qlen);
	if (answer) {
		uint8_t *a = out + 12 + qlen;
		put16(a, 0xc00c); /* the name at offset 12 */
		put16(a + 2, DNS_TYPE_A);
		put16(a + 4, 1);
		put16(a + 6, 0);
		put16(a + 8, 60); /* TTL */
		put16(a + 10, 4);
		memcpy(a + 12, addr4, 4);
	}
	return need;
}

static void index_addr(size_t i, uint8_t out[4])
{
	uint32_t v = 0xc6120000u + (uint32_t)i + 1; /* 198.18.0.0 + i + 1 */
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

int dns_pool_addr(struct dns_pool *p, const char *name, uint8_t out[4])
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->names[i], name)) {
			index_addr(i, out);
			return 0;
		}
	if (p->n >= POOL_MAX)
		return -1;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->names = xreallocarray(p->names, p->cap, sizeof *p->names);
	}
	p->names[p->n] = xstrdup(name);
	index_addr(p->n++, out);
	return 0;
}

const char *dns_pool_name(const struct dns_pool *p, const uint8_t a[4])
{
	uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	if (v <= 0xc6120000u || v > 0xc6120000u + p->n)
		return NULL;
	return p->names[v - 0xc6120000u - 1];
}

void dns_pool_free(struct dns_pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->names[i]);
	free(p->names);
	memset(p, 0, sizeof *p);
}
