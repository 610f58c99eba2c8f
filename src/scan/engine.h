/*
 * Internals shared by the scanner's files: the compiled database (db.c), streams and the two
 * matching stages (engine.c), and base64 decoding (decode.c). Not for other areas: use scan.h.
 */
#ifndef BRIG_SCAN_ENGINE_H
#define BRIG_SCAN_ENGINE_H

#include <hs/hs.h>
#include <pthread.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "scan/rules.h"
#include "scan/scan.h"

/* How far around a finding to look for the end of its line and a `brig:allow` marker. */
#define LINE_CTX 256
#define RECENT_MAX 8
#define NMATCH 16
#define DECODE_MAX 600 /* longest base64 run decoded after its token prefix */

struct rule_rt {
	const struct scan_rule *rule;
	regex_t re;
	int has_re;      /* known values are exact literals: no capture stage */
	int re_state;    /* capture compiled on first use: 0 not yet, 1 ready, -1 failed */
	unsigned window; /* bytes of history one capture needs */
	unsigned group;  /* index of the secret in the capture's match array */
};

struct scan_db {
	pthread_mutex_t lock; /* guards lazy capture compilation */
	hs_database_t *hs;
	struct rule_rt *rt;
	size_t n;
	size_t holdback; /* longest window of any rule */
	size_t hist;     /* history ring size: a power of two */
	size_t hs_stream;
	uint64_t serial;
};

struct pending {
	struct scan_finding f;
	uint64_t end;
	uint32_t rule;
	uint8_t tier;
};

struct recent {
	uint64_t start, end;
	uint32_t rule;
	uint8_t tier;
};

struct scan_stream {
	const struct scan_db *db;
	hs_stream_t *hs;
	scan_finding_fn cb;
	void *ctx;
	scan_release_fn rel;
	void *rel_ctx;
	uint64_t total;    /* bytes before the current chunk */
	const unsigned char *chunk;
	size_t chunk_len;
	uint64_t lines;    /* newlines before `total` */
	uint64_t line_start; /* offset just after the last newline before `total` */
	uint64_t lc_pos, lc_lines, lc_start; /* line count cache inside the current chunk */
	uint64_t released;
	int stopped;
	int failed;
	int depth; /* 1 inside a decoded run: runs are not decoded twice */
	size_t njobs, capjobs, npend, cappend;
	unsigned nrecent, recent_next;
	unsigned char *win; /* holdback + 1 bytes: one capture window */
	/* Base64 runs waiting to be decoded: usually none, as many as one chunk holds. */
	struct decode_job {
		uint64_t seen;  /* where Vectorscan saw an encoded token prefix inside a run */
		uint64_t start; /* the run's first byte we have */
		size_t len;
		int exact;      /* the run starts there (else its alignment is unknown) */
		unsigned char *bytes;
	} *jobs;
	/* Findings waiting for their line to end: usually a few, as many as one chunk holds. */
	struct pending *pend;
	/* Arrays below are not cleared at open: their counts above say what is valid. */
	struct recent recent[RECENT_MAX];
	unsigned char hist[]; /* ring of db->hist bytes, then the capture window */
};

/* Not a rule of its own: base64 runs that may hold a token (db.c builds, decode.c decodes). */
extern const struct scan_rule scan_decoder_rule;

/* db.c */
int scan_capture_ready(struct scan_db *db, struct rule_rt *rt);
size_t scan_b64_stable(const unsigned char *v, size_t n, unsigned align, int url, char *out);

/* engine.c: stream bytes [a, b) lie in the history ring or the current chunk */
void scan_copy_range(const struct scan_stream *st, uint64_t a, uint64_t b, unsigned char *out);
int scan_byte_at(const struct scan_stream *st, uint64_t pos);
uint64_t scan_oldest(const struct scan_stream *st);
struct pending *scan_add_pending(struct scan_stream *st, uint32_t rule, const unsigned char *secret,
                                 uint64_t start, size_t len, int validated);

/* decode.c */
int scan_is_b64(unsigned char c);
void scan_decode_note(struct scan_stream *st, uint64_t to);
void scan_decode_run(struct scan_stream *st, int closing);

#endif
