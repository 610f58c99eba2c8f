/* Mutation testing of the broker's parsers: seed inputs, randomly flipped, cut and spliced, fed to
 * every parser under the sanitizers. The parsers face hostile bytes from the cell; an
 * out-of-bounds read here would be one in the broker. Deterministic (fixed seed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/dns.h"
#include "net/hostrules.h"
#include "net/http.h"
#include "net/sni.h"
#include "net/socks.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* Returns a fresh heap copy of a mutated seed (exact length: ASan sees any overread). */
static uint8_t *mutate(const uint8_t *seed, size_t len, size_t *out)
{
	size_t n = len + (next() % 8);
	uint8_t *b = malloc(n ? n : 1);
	memcpy(b, seed, len);
	for (size_t i = len; i < n; i++)
		b[i] = (uint8_t)next();
	int edits = 1 + (int)(next() % 6);
	for (int e = 0; e < edits && n; e++) {
		size_t at = next() % n;
		switch (next() % 4) {
		case 0: b[at] ^= (uint8_t)(1u << (next() % 8)); break;
		case 1: b[at] = (uint8_t)next(); break;
		case 2: b[at] = (uint8_t)"\r\n\0:. \t%\xff"[next() % 10]; break;
		case 3: n = at; break; /* cut */
		}
	}
	*out = n;
	uint8_t *exact = malloc(n ? n : 1);
	memcpy(exact, b, n);
	free(b);
	return exact;
}

static const char *const http_seeds[] = {
	"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
	"POST http://a.test:8080/p?q=1 HTTP/1.1\r\nHost: a.test:8080\r\nContent-Length: 3\r\n\r\nabc",
	"GET http://[::1]:80/ HTTP/1.0\r\nHost: [::1]\r\nTransfer-Encoding: chunked\r\n\r\n",
};

static void http(void **state)
{
	(void)state;
	for (int i = 0; i < 300000; i++) {
		const char *seed = http_seeds[i % 3];
		size_t n;
		uint8_t *b = mutate((const uint8_t *)seed, strlen(seed), &n);
		struct http_request r;
		const char *err;
		int st;
		long rc = http_parse_request((const char *)b, n, &r, &err, &st);
		if (rc > 0) {
			assert_true((size_t)rc <= n);
			if (!r.is_connect) {
				size_t hl;
				free(http_upstream_head(&r, &hl));
			}
			http_request_free(&r);
		}
		free(b);
	}
}

static void dns(void **state)
{
	(void)state;
	static const uint8_t seed[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 3, 'w', 'w', 'w',
				       7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0,
				       1, 0, 1, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0};
	for (int i = 0; i < 300000; i++) {
		size_t n;
		uint8_t *b = mutate(seed, sizeof seed, &n);
		struct dns_query q;
		if (dns_parse_query(b, n, &q) == 0) {
			uint8_t out[600], a[4] = {198, 18, 0, 1};
			size_t m = dns_build_answer(b, &q, DNS_RCODE_OK, a, out, sizeof out);
			assert_true(m == 0 || m <= sizeof out);
		}
		free(b);
	}
}

static void socks(void **state)
{
	(void)state;
	static const uint8_t seed[] = {5, 1, 0, 3, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o',
				       'm', 1, 187};
	for (int i = 0; i < 300000; i++) {
		size_t n;
		uint8_t *b = mutate(seed, sizeof seed, &n);
		struct socks_request r;
		int rep;
		long rc = socks_parse_request(b, n, &r, &rep);
		assert_true(rc <= (long)n);
		socks_parse_greeting(b, n);
		free(b);
	}
}

static void sni(void **state)
{
	(void)state;
	static const uint8_t seed[] = {
		0x16, 3, 1, 0, 0x3d, 1, 0, 0, 0x39, 3, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
		14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 0, 0, 2,
		0x13, 1, 1, 0, 0, 0x0e, 0, 0, 0, 0x0a, 0, 0x08, 0, 0, 5, 'a', '.', 'c', 'o', 'm'};
	for (int i = 0; i < 300000; i++) {
		size_t n;
		uint8_t *b = mutate(seed, sizeof seed, &n);
		char out[256];
		int r = tls_sni(b, n, out);
		if (r == SNI_FOUND)
			assert_true(strlen(out) < 256);
		free(b);
	}
}

static void names_and_rules(void **state)
{
	(void)state;
	static const char *const seeds[] = {"*.example.com:443", "10.0.0.0/8:5432", "fd00::/8",
					    "api.example.com"};
	for (int i = 0; i < 300000; i++) {
		const char *seed = seeds[i % 4];
		size_t n;
		uint8_t *b = mutate((const uint8_t *)seed, strlen(seed), &n);
		char out[256];
		host_name_normalize((const char *)b, n, out);
		char *s = malloc(n + 1);
		memcpy(s, b, n);
		s[n] = '\0';
		struct hostrule r;
		char *err = NULL;
		if (hostrule_parse(s, &r, &err) == 0)
			free(r.host);
		free(err);
		free(s);
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(http), cmocka_unit_test(dns), cmocka_unit_test(socks),
		cmocka_unit_test(sni), cmocka_unit_test(names_and_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
