#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "net/hostrules.h"
#include "net/judge.h"

static struct hostrules rules(const char *const *allow, const char *const *deny)
{
	struct hostrules hr = {0};
	char *err = NULL;
	for (; allow && *allow; allow++)
		assert_int_equal(hostrules_add(&hr, false, *allow, "test", &err), 0);
	for (; deny && *deny; deny++)
		assert_int_equal(hostrules_add(&hr, true, *deny, "test", &err), 0);
	hr.profile = strdup("p.toml");
	return hr;
}

static enum verdict name(const struct hostrules *hr, const char *n, int port)
{
	const struct hostrule *r;
	return hostrules_match_name(hr, n, port, &r);
}

static void exact_and_subdomains(void **state)
{
	(void)state;
	const char *allow[] = {"example.com", "*.pkg.dev", "api.x.org:443", NULL};
	struct hostrules hr = rules(allow, NULL);
	assert_int_equal(name(&hr, "example.com", 443), VERDICT_ALLOW);
	assert_int_equal(name(&hr, "www.example.com", 443), VERDICT_NONE);
	assert_int_equal(name(&hr, "a.pkg.dev", 443), VERDICT_ALLOW);
	assert_int_equal(name(&hr, "a.b.pkg.dev", 80), VERDICT_ALLOW);
	assert_int_equal(name(&hr, "pkg.dev", 443), VERDICT_NONE);
	assert_int_equal(name(&hr, "evilpkg.dev", 443), VERDICT_NONE);
	assert_int_equal(name(&hr, "api.x.org", 443), VERDICT_ALLOW);
	assert_int_equal(name(&hr, "api.x.org", 80), VERDICT_NONE);
	hostrules_free(&hr);
}

static void deny_wins(void **state)
{
	(void)state;
	const char *allow[] = {"*.example.com", NULL}, *deny[] = {"bad.example.com", NULL};
	struct hostrules hr = rules(allow, deny);
	assert_int_equal(name(&hr, "ok.example.com", 443), VERDICT_ALLOW);
	assert_int_equal(name(&hr, "bad.example.com", 443), VERDICT_DENY);
	assert_false(hostrules_name_resolvable(&hr, "bad.example.com"));
	assert_true(hostrules_name_resolvable(&hr, "ok.example.com"));
	hostrules_free(&hr);
}

static void bad_rules(void **state)
{
	(void)state;
	const char *bad[] = {"1.2.3.4", "1.2.3.4:80", "::1", "[::1]:80", "exa mple.com",
			     "example.com:0", "example.com:99999", "ex%41mple.com", "*.", "a..b",
			     "-a.com", "a-.com", "10.0.0.0/33", "x/8", "2130706433", "a.123", NULL};
	for (const char **b = bad; *b; b++) {
		struct hostrule r;
		char *err = NULL;
		assert_int_equal(hostrule_parse(*b, &r, &err), -1);
		assert_non_null(err);
		free(err);
	}
}

static void cidr(void **state)
{
	(void)state;
	const char *allow[] = {"127.0.0.1/32", "10.0.0.0/8:5432", "fd00::/8", NULL};
	struct hostrules hr = rules(allow, NULL);
	const struct hostrule *r;
	uint8_t a[16];
	inet_pton(AF_INET, "127.0.0.1", a);
	assert_int_equal(hostrules_match_addr(&hr, AF_INET, a, 80, &r), VERDICT_ALLOW);
	inet_pton(AF_INET, "127.0.0.2", a);
	assert_int_equal(hostrules_match_addr(&hr, AF_INET, a, 80, &r), VERDICT_NONE);
	inet_pton(AF_INET, "10.9.8.7", a);
	assert_int_equal(hostrules_match_addr(&hr, AF_INET, a, 5432, &r), VERDICT_ALLOW);
	assert_int_equal(hostrules_match_addr(&hr, AF_INET, a, 22, &r), VERDICT_NONE);
	inet_pton(AF_INET6, "fd12::1", a);
	assert_int_equal(hostrules_match_addr(&hr, AF_INET6, a, 1, &r), VERDICT_ALLOW);
	/* names never match address rules */
	assert_int_equal(name(&hr, "localhost", 80), VERDICT_NONE);
	hostrules_free(&hr);
}

static void classes(void **state)
{
	(void)state;
	struct {
		const char *ip;
		enum addr_class c;
	} t[] = {{"127.0.0.1", ADDR_LOOPBACK}, {"169.254.169.254", ADDR_METADATA},
		 {"169.254.1.1", ADDR_LINK_LOCAL}, {"10.1.1.1", ADDR_PRIVATE},
		 {"172.16.0.1", ADDR_PRIVATE}, {"192.168.1.1", ADDR_PRIVATE},
		 {"100.64.0.1", ADDR_PRIVATE}, {"0.0.0.0", ADDR_UNSPECIFIED},
		 {"93.184.216.34", ADDR_PUBLIC}, {"::1", ADDR_LOOPBACK},
		 {"fd00:ec2::254", ADDR_METADATA}, {"fe80::1", ADDR_LINK_LOCAL},
		 {"fc00::1", ADDR_PRIVATE}, {"::ffff:127.0.0.1", ADDR_LOOPBACK},
		 {"::ffff:169.254.169.254", ADDR_METADATA}, {"64:ff9b::a9fe:a9fe", ADDR_METADATA},
		 {"2606:4700::1", ADDR_PUBLIC}, {"::", ADDR_UNSPECIFIED}};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		uint8_t a[16];
		int fam = strchr(t[i].ip, ':') ? AF_INET6 : AF_INET;
		assert_int_equal(inet_pton(fam, t[i].ip, a), 1);
		assert_int_equal(addr_classify(fam, a), t[i].c);
	}
}

static void names(void **state)
{
	(void)state;
	char out[256];
	assert_int_equal(host_name_normalize("Example.COM.", 12, out), 0);
	assert_string_equal(out, "example.com");
	assert_int_equal(host_name_normalize("a\0b.com", 7, out), -1);
	assert_int_equal(host_name_normalize("a.com..", 7, out), -1);
	assert_int_equal(host_name_normalize("a_b.com", 7, out), -1);
}

static void rebinding(void **state)
{
	(void)state;
	const char *allow[] = {"good.test", NULL};
	struct hostrules hr = rules(allow, NULL);
	struct judge_ctx jc = {.rules = &hr, .events_fd = -1};
	struct judgment j;
	judge_target(&jc, "good.test", 0, NULL, 443, &j);
	assert_true(j.allow && j.by_name);
	struct sockaddr_storage sa[2] = {0};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&sa[0];
	s4->sin_family = AF_INET;
	inet_pton(AF_INET, "169.254.169.254", &s4->sin_addr);
	assert_int_equal(judge_addresses(&jc, &j, sa, 1), 0);
	assert_false(j.allow);
	assert_non_null(strstr(j.why, "169.254.169.254/32"));
	judge_target(&jc, "other.test", 0, NULL, 443, &j);
	assert_false(j.allow);
	assert_non_null(strstr(j.why, "allow = [\"other.test:443\"]"));
	hostrules_free(&hr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_and_subdomains), cmocka_unit_test(deny_wins),
		cmocka_unit_test(bad_rules), cmocka_unit_test(cidr), cmocka_unit_test(classes),
		cmocka_unit_test(names), cmocka_unit_test(rebinding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
