#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/http.h"

static long parse(const char *s, struct http_request *r, int *status)
{
	const char *err = NULL;
	long n = http_parse_request(s, strlen(s), r, &err, status);
	if (n < 0)
		assert_non_null(err);
	return n;
}

static void connect_ok(void **state)
{
	(void)state;
	struct http_request r;
	int st;
	const char *s = "CONNECT Example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nxyz";
	assert_int_equal(parse(s, &r, &st), (long)strlen(s) - 3);
	assert_true(r.is_connect);
	assert_string_equal(r.host, "example.com");
	assert_int_equal(r.port, 443);
	http_request_free(&r);
	assert_int_equal(parse("CONNECT [::1]:22 HTTP/1.1\r\nHost: x\r\n\r\n", &r, &st) > 0, 1);
	assert_string_equal(r.host, "::1");
	http_request_free(&r);
}

static void absolute_ok(void **state)
{
	(void)state;
	struct http_request r;
	int st;
	const char *s = "POST http://a.example/x?y=1 HTTP/1.1\r\nHost: a.example\r\n"
			"Content-Length: 5\r\nProxy-Connection: keep-alive\r\n\r\nhello";
	assert_true(parse(s, &r, &st) > 0);
	assert_string_equal(r.host, "a.example");
	assert_int_equal(r.port, 80);
	assert_string_equal(r.path, "/x?y=1");
	assert_int_equal(r.length, 5);
	size_t n;
	char *h = http_upstream_head(&r, &n);
	assert_non_null(strstr(h, "POST /x?y=1 HTTP/1.1\r\n"));
	assert_null(strstr(h, "Proxy-Connection"));
	assert_non_null(strstr(h, "Connection: close\r\n\r\n"));
	free(h);
	http_request_free(&r);
	assert_int_equal(parse("GET http://a.example HTTP/1.1\r\nHost: a.example", &r, &st), 0);
}

static void smuggling(void **state)
{
	(void)state;
	static const char *const bad[] = {
		/* CL + TE */
		"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		/* two CLs */
		"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
		/* TE variants */
		"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: xchunked\r\n\r\n",
		"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding : chunked\r\n\r\n",
		"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: +3\r\n\r\n",
		"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3 4\r\n\r\n",
		/* obs-fold */
		"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nX: a\r\n b\r\n\r\n",
		/* bare LF, bare CR */
		"GET http://a.test/ HTTP/1.1\nHost: a.test\r\n\r\n",
		"GET http://a.test/ HTTP/1.1\r\nHost: a.test\rX: y\r\n\r\n",
		/* NUL */
		"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nX: a\x01\r\n\r\n",
		/* Host mismatch, missing, doubled */
		"GET http://a.test/ HTTP/1.1\r\nHost: b.test\r\n\r\n",
		"GET http://a.test/ HTTP/1.1\r\n\r\n",
		"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nHost: a.test\r\n\r\n",
		/* bad targets */
		"GET /relative HTTP/1.1\r\nHost: a.test\r\n\r\n",
		"GET http://user@a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n",
		"GET http://a%2etest/ HTTP/1.1\r\nHost: a.test\r\n\r\n",
		"CONNECT a.test HTTP/1.1\r\nHost: a.test\r\n\r\n",
		"CONNECT 2130706433:80 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET  http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n",
		"GET http://a.test/ HTTP/2.0\r\nHost: a.test\r\n\r\n",
		NULL};
	for (const char *const *b = bad; *b; b++) {
		struct http_request r;
		int st;
		assert_int_equal(parse(*b, &r, &st), -1);
	}
	/* embedded NUL (strlen would stop early) */
	struct http_request r;
	int st;
	const char *err;
	const char nul[] = "CONNECT a.test\0.evil:443 HTTP/1.1\r\nHost: a\r\n\r\n";
	assert_int_equal(http_parse_request(nul, sizeof nul - 1, &r, &err, &st), -1);
}

static void oversize(void **state)
{
	(void)state;
	size_t n = HTTP_HEAD_MAX + 100;
	char *big = malloc(n + 1);
	strcpy(big, "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nX: ");
	memset(big + strlen(big), 'a', n - strlen(big));
	big[n] = '\0';
	struct http_request r;
	int st;
	const char *err;
	assert_int_equal(http_parse_request(big, n, &r, &err, &st), -1);
	assert_int_equal(st, 431);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(connect_ok),
		cmocka_unit_test(absolute_ok),
		cmocka_unit_test(smuggling),
		cmocka_unit_test(oversize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
