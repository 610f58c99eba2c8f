#include "net/hostrules.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static bool is_ldh(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
}

int host_name_normalize(const char *name, size_t len, char out[256])
{
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return -1;
	size_t label = 0, label_start = 0;
	bool label_numeric = true;
	for (size_t i = 0; i < len; i++) {
		char ch = (char)tolower((unsigned char)name[i]);
		/* Anything outside letters, digits, hyphen and dot (NUL, '%', '@', spaces, bytes
		 * >= 0x80) is refused here, before any rule sees the name: a rule matched against
		 * a different string than the resolver later receives is an allowlist bypass. */
		if (ch == '.') {
			if (label == 0 || out[i - 1] == '-')
				return -1;
			label = 0;
			label_numeric = true;
			label_start = i + 1;
			out[i] = '.';
			continue;
		}
		if (!is_ldh(ch) || (label == 0 && ch == '-') || ++label > 63)
			return -1;
		if (!(ch >= '0' && ch <= '9'))
			label_numeric = false;
		out[i] = ch;
	}
	(void)label_start;
	/* An all-digit last label makes resolvers parse the name as an IPv4 number
	 * ("2130706433" is 127.0.0.1): that is an IP literal in disguise. */
	if (label == 0 || out[len - 1] == '-' || label_numeric)
		return -1;
	out[len] = '\0';
	return 0;
}

int ip_literal_parse(const char *s, size_t len, unsigned char addr[16])
{
	char buf[64];
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
		if (len == 0 || len >= sizeof buf)
			return 0;
		memcpy(buf, s, len);
		buf[len] = '\0';
		return inet_pton(AF_INET6, buf, addr) == 1 ? AF_INET6 : 0;
	}
	if (len == 0 || len >= sizeof buf)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, buf, addr) == 1)
		return AF_INET6;
	return 0;
}

static int parse_port(const char *s, int *port)
{
	if (!*s || strlen(s) > 5)
		return -1;
	long v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

static int parse_cidr(const char *text, struct hostrule *r, char **err)
{
	const char *slash = strchr(text, '/');
	char addr[64];
	size_t alen = (size_t)(slash - text);
	const char *astart = text;
	if (alen >= 2 && text[0] == '[' && text[alen - 1] == ']') {
		astart++;
		alen -= 2;
	}
	if (alen == 0 || alen >= sizeof addr)
		goto bad;
	memcpy(addr, astart, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, r->addr) == 1)
		r->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, r->addr) == 1)
		r->family = AF_INET6;
	else
		goto bad;
	const char *p = slash + 1;
	int prefix = 0, digits = 0;
	while (*p >= '0' && *p <= '9' && digits < 3)
		prefix = prefix * 10 + (*p++ - '0'), digits++;
	if (!digits || prefix > (r->family == AF_INET ? 32 : 128))
		goto bad;
	r->prefix = prefix;
	if (*p == ':') {
		if (parse_port(p + 1, &r->port) < 0)
			goto bad;
	} else if (*p) {
		goto bad;
	}
	r->kind = RULE_CIDR;
	return 0;
bad:
	*err = xasprintf("\"%s\" is not a valid address rule (write it as 10.0.0.0/8, 192.0.2.7/32:443 "
			 "or fd00::/8)",
			 text);
	return -1;
}

int hostrule_parse(const char *text, struct hostrule *r, char **err)
{
	memset(r, 0, sizeof *r);
	if (strchr(text, '/'))
		return parse_cidr(text, r, err);
	char name[256];
	const char *host = text;
	size_t hlen = strlen(text);
	const char *colon = strrchr(text, ':');
	if (colon && !strchr(text, '[') && colon == strchr(text, ':')) {
		if (parse_port(colon + 1, &r->port) < 0) {
			*err = xasprintf("\"%s\": the port after ':' must be a number from 1 to 65535",
					 text);
			return -1;
		}
		hlen = (size_t)(colon - text);
	}
	unsigned char ip[16];
	if (ip_literal_parse(text, strlen(text), ip) || ip_literal_parse(host, hlen, ip) ||
	    (hlen > 0 && host[0] == '[')) {
		*err = xasprintf("\"%s\" is an IP address: addresses are allowed only by an explicit "
				 "CIDR rule, e.g. \"%.*s/%s\"",
				 text, (int)hlen, host, strchr(text, ':') && !r->port ? "128" : "32");
		return -1;
	}
	r->kind = RULE_HOST;
	if (hlen >= 2 && host[0] == '*' && host[1] == '.') {
		r->kind = RULE_SUBDOMAINS;
		host += 2;
		hlen -= 2;
	}
	if (host_name_normalize(host, hlen, name) < 0) {
		*err = xasprintf("\"%s\" is not a valid host rule (write example.com, *.example.com, "
				 "example.com:443, or a CIDR such as 10.0.0.0/8)",
				 text);
		return -1;
	}
	r->host = xstrdup(name);
	return 0;
}

int hostrules_add(struct hostrules *hr, bool deny, const char *text, const char *where, char **err)
{
	struct hostrule r;
	if (hostrule_parse(text, &r, err) < 0)
		return -1;
	r.text = xstrdup(text);
	r.where = xstrdup(where ? where : "");
	r.deny = deny;
	struct hostrule **v = deny ? &hr->deny : &hr->allow;
	size_t *n = deny ? &hr->ndeny : &hr->nallow;
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = r;
	return 0;
}

static void rules_free(struct hostrule *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].host);
		free(v[i].text);
		free(v[i].where);
	}
	free(v);
}

void hostrules_free(struct hostrules *hr)
{
	rules_free(hr->allow, hr->nallow);
	rules_free(hr->deny, hr->ndeny);
	free(hr->profile);
	memset(hr, 0, sizeof *hr);
}

static bool name_matches(const struct hostrule *r, const char *name)
{
	if (r->kind == RULE_HOST)
		return !strcmp(r->host, name);
	if (r->kind != RULE_SUBDOMAINS)
		return false;
	size_t n = strlen(name), h = strlen(r->host);
	return n > h + 1 && name[n - h - 1] == '.' && !strcmp(name + n - h, r->host);
}

static bool addr_in(const struct hostrule *r, int family, const unsigned char *addr)
{
	if (r->kind != RULE_CIDR || r->family != family)
		return false;
	int bits = r->prefix;
	for (int i = 0; bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
		if ((addr[i] & mask) != (r->addr[i] & mask))
			return false;
	}
	return true;
}

static bool port_matches(const struct hostrule *r, int port)
{
	return r->port == 0 || r->port == port;
}

enum verdict hostrules_match_name(const struct hostrules *hr, const char *name, int port,
				  const struct hostrule **rule)
{
	for (size_t i = 0; i < hr->ndeny; i++)
		if (name_matches(&hr->deny[i], name) && port_matches(&hr->deny[i], port)) {
			*rule = &hr->deny[i];
			return VERDICT_DENY;
		}
	for (size_t i = 0; i < hr->nallow; i++)
		if (name_matches(&hr->allow[i], name) && port_matches(&hr->allow[i], port)) {
			*rule = &hr->allow[i];
			return VERDICT_ALLOW;
		}
	*rule = NULL;
	return VERDICT_NONE;
}

enum verdict hostrules_match_addr(const struct hostrules *hr, int family, const unsigned char *addr,
				  int port, const struct hostrule **rule)
{
	for (size_t i = 0; i < hr->ndeny; i++)
		if (addr_in(&hr->deny[i], family, addr) && port_matches(&hr->deny[i], port)) {
			*rule = &hr->deny[i];
			return VERDICT_DENY;
		}
	for (size_t i = 0; i < hr->nallow; i++)
		if (addr_in(&hr->allow[i], family, addr) && port_matches(&hr->allow[i], port)) {
			*rule = &hr->allow[i];
			return VERDICT_ALLOW;
		}
	*rule = NULL;
	return VERDICT_NONE;
}

bool hostrules_name_resolvable(const struct hostrules *hr, const char *name)
{
	for (size_t i = 0; i < hr->ndeny; i++)
		if (hr->deny[i].port == 0 && name_matches(&hr->deny[i], name))
			return false;
	for (size_t i = 0; i < hr->nallow; i++)
		if (name_matches(&hr->allow[i], name))
			return true;
	return false;
}

static bool v4_in(const unsigned char *a, unsigned net, int prefix)
{
	unsigned v = (unsigned)a[0] << 24 | (unsigned)a[1] << 16 | (unsigned)a[2] << 8 | a[3];
	unsigned mask = prefix ? 0xffffffffu << (32 - prefix) : 0;
	return (v & mask) == (net & mask);
}

static enum addr_class classify_v4(const unsigned char *a)
{
	if (v4_in(a, 0xa9fea9fe, 32) || v4_in(a, 0xa9fea97b, 32)) /* 169.254.169.254, .169.123 */
		return ADDR_METADATA;
	if (v4_in(a, 0x7f000000, 8))
		return ADDR_LOOPBACK;
	if (v4_in(a, 0xa9fe0000, 16))
		return ADDR_LINK_LOCAL;
	if (v4_in(a, 0x0a000000, 8) || v4_in(a, 0xac100000, 12) || v4_in(a, 0xc0a80000, 16) ||
	    v4_in(a, 0x64400000, 10) /* CGNAT */ || v4_in(a, 0xc6120000, 15) /* benchmarking */)
		return ADDR_PRIVATE;
	if (v4_in(a, 0x00000000, 8) || v4_in(a, 0xe0000000, 3) /* multicast, reserved */)
		return ADDR_UNSPECIFIED;
	return ADDR_PUBLIC;
}

enum addr_class addr_classify(int family, const unsigned char *a)
{
	if (family == AF_INET)
		return classify_v4(a);
	static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char zero[16];
	/* IPv4-mapped and NAT64 well-known-prefix addresses carry an IPv4 address: judge that. */
	if (!memcmp(a, v4mapped, 12))
		return classify_v4(a + 12);
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
	if (!memcmp(a, nat64, 12))
		return classify_v4(a + 12);
	static const unsigned char ec2[16] = {0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x54};
	if (!memcmp(a, ec2, 16))
		return ADDR_METADATA;
	if (!memcmp(a, zero, 15) && a[15] == 1)
		return ADDR_LOOPBACK;
	if (!memcmp(a, zero, 16) || a[0] == 0xff)
		return ADDR_UNSPECIFIED;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return ADDR_LINK_LOCAL;
	if ((a[0] & 0xfe) == 0xfc)
		return ADDR_PRIVATE;
	if (!memcmp(a, zero, 12)) /* deprecated IPv4-compatible */
		return ADDR_UNSPECIFIED;
	return ADDR_PUBLIC;
}

const char *addr_class_name(enum addr_class c)
{
	static const char *const names[] = {"public", "loopback", "private", "link-local",
					    "cloud metadata", "unspecified/reserved", "this host's own"};
	return names[c];
}
