/* DNS stub, SOCKS5 and TLS ClientHello parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "net/dns.h"
#include "net/sni.h"
#include "net/socks.h"

static size_t make_query(uint8_t *p, const char *name, uint16_t type)
{
	memset(p, 0, 12);
	p[0] = 0x12, p[1] = 0x34, p[2] = 0x01, p[5] = 1;
	size_t off = 12;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		p[off++] = (uint8_t)l;
		memcpy(p + off, name, l);
		off += l;
		name += l + (dot ? 1 : 0);
	}
	p[off++] = 0;
	p[off++] = (uint8_t)(type >> 8), p[off++] = (uint8_t)type;
	p[off++] = 0, p[off++] = 1;
	return off;
}

static void dns_query(void **state)
{
	(void)state;
	uint8_t q[512], out[600];
	size_t n = make_query(q, "Registry.npmjs.org", DNS_TYPE_A);
	struct dns_query dq;
	assert_int_equal(dns_parse_query(q, n, &dq), 0);
	assert_string_equal(dq.name, "registry.npmjs.org");
	uint8_t a[4] = {198, 18, 0, 1};
	size_t m = dns_build_answer(q, &dq, DNS_RCODE_OK, a, out, sizeof out);
	assert_int_equal(m, n + 16);
	assert_int_equal(out[7], 1);
	assert_memory_equal(out + m - 4, a, 4);
	m = dns_build_answer(q, &dq, DNS_RCODE_NXDOMAIN, NULL, out, sizeof out);
	assert_int_equal(out[3] & 0xf, DNS_RCODE_NXDOMAIN);
	assert_int_equal(out[7], 0);
	/* a response, a compression pointer, a truncated packet, two questions */
	q[2] |= 0x80;
	assert_int_equal(dns_parse_query(q, n, &dq), -1);
	q[2] &= 0x7f;
	uint8_t ptr[32];
	memcpy(ptr, q, 12);
	ptr[12] = 0xc0, ptr[13] = 12, ptr[14] = 0, ptr[15] = 1, ptr[16] = 0, ptr[17] = 1;
	assert_int_equal(dns_parse_query(ptr, 18, &dq), -1);
	assert_int_equal(dns_parse_query(q, n - 3, &dq), -1);
	q[5] = 2;
	assert_int_equal(dns_parse_query(q, n, &dq), -1);
	/* a label with a NUL or a dot inside parses, but its name is invalid: NXDOMAIN */
	n = make_query(q, "xx.example.com", DNS_TYPE_A);
	q[13] = 0;
	assert_int_equal(dns_parse_query(q, n, &dq), 0);
	assert_string_equal(dq.name, "");
}

static void dns_pool(void **state)
{
	(void)state;
	struct dns_pool p = {0};
	uint8_t a[4], b[4];
	assert_int_equal(dns_pool_addr(&p, "a.test", a), 0);
	assert_int_equal(dns_pool_addr(&p, "b.test", b), 0);
	assert_memory_not_equal(a, b, 4);
	assert_int_equal(a[0], 198);
	assert_string_equal(dns_pool_name(&p, a), "a.test");
	assert_string_equal(dns_pool_name(&p, b), "b.test");
	uint8_t c[4] = {198, 18, 9, 9}, d[4] = {8, 8, 8, 8};
	assert_null(dns_pool_name(&p, c));
	assert_null(dns_pool_name(&p, d));
	dns_pool_free(&p);
}

static void socks(void **state)
{
	(void)state;
	uint8_t g[] = {5, 2, 2, 0};
	assert_int_equal(socks_parse_greeting(g, 4), 4);
	assert_int_equal(socks_parse_greeting(g, 3), 0);
	uint8_t noauth[] = {5, 1, 2};
	assert_int_equal(socks_parse_greeting(noauth, 3), -1);
	struct socks_request r;
	int rep;
	uint8_t req[64] = {5, 1, 0, 3, 11};
	memcpy(req + 5, "example.com", 11);
	req[16] = 1, req[17] = 187;
	assert_int_equal(socks_parse_request(req, 18, &r, &rep), 18);
	assert_string_equal(r.host, "example.com");
	assert_int_equal(r.port, 443);
	/* sandbox-runtime's bypass: a NUL inside the length-prefixed name */
	uint8_t nul[64] = {5, 1, 0, 3, 18};
	memcpy(nul + 5, "example.com\0.evil", 18);
	nul[23] = 1, nul[24] = 187;
	assert_int_equal(socks_parse_request(nul, 25, &r, &rep), -1);
	assert_int_equal(rep, SOCKS_REP_NOT_ALLOWED);
	uint8_t udp[10] = {5, 3, 0, 1, 1, 2, 3, 4, 0, 53};
	assert_int_equal(socks_parse_request(udp, 10, &r, &rep), -1);
	assert_int_equal(rep, SOCKS_REP_CMD);
	uint8_t v4[10] = {5, 1, 0, 1, 10, 0, 0, 1, 0, 80};
	assert_int_equal(socks_parse_request(v4, 10, &r, &rep), 10);
	assert_int_equal(r.family, AF_INET);
	assert_string_equal(r.host, "10.0.0.1");
}

static size_t client_hello(uint8_t *b, const char *sni)
{
	size_t nl = sni ? strlen(sni) : 0, ext = sni ? 9 + nl : 0;
	size_t body = 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + ext;
	size_t off = 0;
	b[off++] = 0x16, b[off++] = 3, b[off++] = 1;
	b[off++] = (uint8_t)((body + 4) >> 8), b[off++] = (uint8_t)(body + 4);
	b[off++] = 1, b[off++] = 0, b[off++] = (uint8_t)(body >> 8), b[off++] = (uint8_t)body;
	b[off++] = 3, b[off++] = 3;
	memset(b + off, 7, 32), off += 32;
	b[off++] = 0;
	b[off++] = 0, b[off++] = 2, b[off++] = 0x13, b[off++] = 1;
	b[off++] = 1, b[off++] = 0;
	b[off++] = (uint8_t)(ext >> 8), b[off++] = (uint8_t)ext;
	if (sni) {
		b[off++] = 0, b[off++] = 0;
		b[off++] = (uint8_t)((nl + 5) >> 8), b[off++] = (uint8_t)(nl + 5);
		b[off++] = (uint8_t)((nl + 3) >> 8), b[off++] = (uint8_t)(nl + 3);
		b[off++] = 0;
		b[off++] = (uint8_t)(nl >> 8), b[off++] = (uint8_t)nl;
		memcpy(b + off, sni, nl), off += nl;
	}
	return off;
}

static void sni(void **state)
{
	(void)state;
	uint8_t b[512];
	char out[256];
	size_t n = client_hello(b, "Example.com");
	assert_int_equal(tls_sni(b, n, out), SNI_FOUND);
	assert_string_equal(out, "example.com");
	assert_int_equal(tls_sni(b, n - 1, out), SNI_INCOMPLETE);
	n = client_hello(b, NULL);
	assert_int_equal(tls_sni(b, n, out), SNI_ABSENT);
	assert_int_equal(tls_sni((const uint8_t *)"SSH-2.0-x", 9, out), SNI_NOT_TLS);
	n = client_hello(b, "a\x01.com");
	assert_int_equal(tls_sni(b, n, out), SNI_MALFORMED);
	n = client_hello(b, "example.com");
	b[n - 13] ^= 1; /* break the list length */
	assert_int_equal(tls_sni(b, n, out), SNI_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dns_query), cmocka_unit_test(dns_pool), cmocka_unit_test(socks),
		cmocka_unit_test(sni),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
