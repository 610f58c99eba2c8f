/* Host rules of the filtered network: which names, subdomains and address ranges a cell may
 * reach, and which address classes a resolved name may never land on (DNS rebinding). */
#ifndef BRIG_NET_HOSTRULES_H
#define BRIG_NET_HOSTRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

enum hostrule_kind {
	RULE_HOST,       /* example.com: that host only */
	RULE_SUBDOMAINS, /* *.example.com: strict subdomains only */
	RULE_CIDR,       /* 10.0.0.0/8, fd00::/8: addresses only */
};

struct hostrule {
	enum hostrule_kind kind;
	char *host; /* lower case, without "*." */
	int family; /* AF_INET or AF_INET6 for RULE_CIDR */
	unsigned char addr[16];
	int prefix;
	int port;    /* 0: any port */
	char *text;  /* as written */
	char *where; /* FILE:LINE:COL or "preset npm" */
	bool deny;   /* a rule of the deny list */
};

struct hostrules {
	struct hostrule *allow, *deny;
	size_t nallow, ndeny;
	char *profile; /* the profile file, for "add this line to ..." hints */
};

/* Parses one rule ("example.com", "*.example.com:443", "10.0.0.0/8", "::1/128:8080").
 * Returns 0, or -1 with *err saying what is wrong and how to write it. */
int hostrule_parse(const char *text, struct hostrule *r, char **err);
int hostrules_add(struct hostrules *hr, bool deny, const char *text, const char *where,
		  char **err);
void hostrules_free(struct hostrules *hr);

/* Strict host name check (letters, digits, hyphens; labels of 1..63; total <= 253; no numeric
 * last label, which resolvers would read as an IPv4 address). Lower-cases into out (256 bytes),
 * dropping one trailing dot. Returns 0 or -1. */
int host_name_normalize(const char *name, size_t len, char out[256]);
/* Parses an IP literal (IPv6 may be bracketed). Returns the family or 0. */
int ip_literal_parse(const char *s, size_t len, unsigned char addr[16]);

enum addr_class {
	ADDR_PUBLIC,
	ADDR_LOOPBACK,
	ADDR_PRIVATE,
	ADDR_LINK_LOCAL,
	ADDR_METADATA,
	ADDR_UNSPECIFIED, /* 0.0.0.0/8, ::, multicast, broadcast, reserved */
	ADDR_SELF,        /* one of the host's own addresses */
};
enum addr_class addr_classify(int family, const unsigned char *addr);
const char *addr_class_name(enum addr_class c);

enum verdict { VERDICT_NONE, VERDICT_ALLOW, VERDICT_DENY };
/* Name rules only (CIDR rules never match names). *rule gets the deciding rule. */
enum verdict hostrules_match_name(const struct hostrules *hr, const char *name, int port,
				  const struct hostrule **rule);
/* CIDR rules only. */
enum verdict hostrules_match_addr(const struct hostrules *hr, int family, const unsigned char *addr,
				  int port, const struct hostrule **rule);
/* Whether the DNS stub may answer for name: some allow rule matches it on some port and no
 * port-less deny rule does. */
bool hostrules_name_resolvable(const struct hostrules *hr, const char *name);

#endif
