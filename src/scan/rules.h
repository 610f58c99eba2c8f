/*
 * The rule table (rules.c) and the offline checks (checks.c). Internal to src/scan.
 *
 * A rule's pattern `re` is written in the subset of syntax that both Vectorscan (PCRE flavour)
 * and glibc's POSIX extended regexes read the same way: literals, `\.`, bracket classes without
 * backslashes (a newline or tab inside a class is the byte itself), groups, `|`, `?`, `*`, `+`
 * and bounded `{m,n}`. The engine derives both of its matchers from this one string, so the two
 * stages can never disagree about what a rule means. Every repeat is bounded: the match must fit
 * the history window a stream keeps (the unit tests hold every rule to that).
 */
#ifndef BRIG_SCAN_RULES_H
#define BRIG_SCAN_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "scan/scan.h"

enum scan_check {
	CHECK_NONE,
	CHECK_CRC32_BASE62,   /* GitHub classic, npm: last 6 chars = base62(crc32(random part)) */
	CHECK_GITLAB_ROUTABLE,/* routable tokens: last 7 chars = base36(crc32(all before)) */
	CHECK_AGE_BECH32,     /* age secret keys: bech32 checksum */
	CHECK_SUFFIX_AA,      /* Anthropic keys end in "AA" */
	CHECK_OPENAI_MARKER,  /* OpenAI keys carry "T3BlbkFJ" (base64 of "OpenAI") */
	CHECK_DB_PASSWORD,    /* a URL's password must not be a placeholder */
	CHECK_GENERIC,        /* a free-form value must look like a credential, not code */
	CHECK_BASIC,          /* base64 that decodes to user:password */
	CHECK_JWT,            /* header segment decodes to a JSON object with "alg" */
};

enum {
	RULE_CASELESS = 1, /* keywords in any case */
	RULE_KEYWORD = 2,  /* keyword-anchored: yields to a specific rule over the same bytes */
	RULE_GENERIC = 4,  /* entropy-gated catch-all: yields to everything else */
};

/* Token character sets, used to require a boundary on either side of a match. */
#define B_ALNUM "A-Za-z0-9_"
#define B_URLSAFE "A-Za-z0-9_-"
#define B_B64 "A-Za-z0-9+/=_-"

struct scan_rule {
	const char *id;
	const char *family;
	const char *description;
	const char *re;     /* see above; secret in group `group` (0: the whole match) */
	const char *bound;  /* class of token bytes that may not touch the match; NULL: none */
	uint8_t group;
	uint8_t severity;   /* enum scan_severity */
	uint8_t check;      /* enum scan_check */
	uint8_t flags;
	float min_entropy;  /* Shannon bits per byte of the secret; 0: no gate */
};

extern const struct scan_rule scan_rules[];
extern const size_t scan_rules_n;

/* engine.c: compiles every rule's capture (they are otherwise compiled on first use). */
int scan_rules_selftest(char **err);

/* checks.c */
uint32_t scan_crc32(const void *buf, size_t len);
double scan_entropy(const unsigned char *s, size_t len);
/* 1 validated, 0 no checksum in this format (pass), -1 invalid (drop). */
int scan_check_run(enum scan_check check, const unsigned char *s, size_t len);
/* 1 if the value is a placeholder or documentation example. */
int scan_is_placeholder(const unsigned char *s, size_t len);
/* For tests and the corpus generator's mirror: encodes crc into `width` chars. */
void scan_base62(uint32_t v, char *out, size_t width);
void scan_base36(uint32_t v, char *out, size_t width);
int scan_bech32_verify(const char *s, size_t len);

#endif
