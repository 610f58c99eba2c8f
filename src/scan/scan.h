/*
 * brig's secret scanner: one engine for `brig scan`, the network broker (block secrets leaving
 * the cell) and the review gate (flag secrets in an agent's changes).
 *
 * How it works. All rules are compiled once per process into one Vectorscan database in
 * streaming mode. Vectorscan only reports where a candidate ends (asking it for the start would
 * make several patterns fail to compile and halve the speed). Each rule's pattern is bounded, so
 * the candidate lies inside a short history window that every stream keeps; a second, capturing
 * POSIX match over that window extracts the secret, then the rule's checks run (checksum,
 * entropy, allowlists). Data may arrive in chunks of any size, down to one byte: a secret split
 * across chunks is found all the same.
 *
 * Users:
 *  - review gate, `brig scan`: scan_file() or scan_buffer() with a callback per finding.
 *  - broker (blocking): scan_stream_open(), scan_stream_hold() to get bytes back only once they
 *    are cleared, scan_stream_feed() per read, scan_stream_close() at the end of the message.
 *    A finding is reported before any byte of that secret is released; returning nonzero from
 *    the finding callback trips the stream: nothing more is released.
 *
 * Tokens stored base64-encoded are decoded and found too (finding.encoding = "base64").
 *
 * Threads: a database is shared by all threads; a stream is used by one thread at a time
 * (each thread keeps the Vectorscan scratch space it needs). Callbacks run outside Vectorscan
 * and may open other streams.
 *
 * Findings never carry the secret: only a redacted preview. Nothing here logs.
 */
#ifndef BRIG_SCAN_SCAN_H
#define BRIG_SCAN_SCAN_H

#include <stddef.h>
#include <stdint.h>

enum scan_severity { SCAN_SEV_LOW, SCAN_SEV_MEDIUM, SCAN_SEV_HIGH, SCAN_SEV_CRITICAL };

#define SCAN_PREVIEW_MAX 48

struct scan_finding {
	const char *rule_id;     /* e.g. "github-pat"; static storage */
	const char *family;      /* e.g. "source-host"; static storage */
	const char *description; /* one line; static storage */
	enum scan_severity severity;
	char preview[SCAN_PREVIEW_MAX]; /* redacted: a few leading bytes, "...", the length */
	uint64_t offset;         /* of the secret's first byte in the stream, from 0 */
	uint64_t line;           /* 1-based */
	uint64_t col;            /* 1-based, in bytes */
	size_t length;           /* of the secret in bytes */
	int validated;           /* 1: a checksum or exact known value confirmed it */
	const char *encoding;    /* NULL, or "base64": the secret was found by decoding this span */
};

/* Return 0 to go on; nonzero to stop (scan_buffer/scan_file) or trip the stream (blocking). */
typedef int (*scan_finding_fn)(const struct scan_finding *f, void *ctx);
/* Blocking mode: bytes cleared by the scanner, in order, exactly once. */
typedef void (*scan_release_fn)(const unsigned char *buf, size_t len, void *ctx);

struct scan_db;
struct scan_stream;

/* The built-in rules, compiled on first use and kept for the life of the process (thread-safe).
 * Returns NULL only if compilation failed, with the reason in *err (static string). */
const struct scan_db *scan_db_get(const char **err);

/* Lets scan_db_get() keep its compiled database in dir (created 0700) and reuse it: saves most
 * of a second per process. For short-lived tools (`brig scan`); call before scan_db_get(). */
void scan_db_set_cache_dir(const char *dir);

/* A database of the built-in rules plus exact secret values (e.g. from the vault), found raw,
 * base64 (standard and URL alphabets, any alignment), hex and URL-encoded. Values shorter than
 * 8 bytes are refused (too many accidental hits). Returns NULL with *err (allocated) on error. */
struct scan_db *scan_db_new_known(const char *const *values, const size_t *lens, size_t n,
                                  char **err);
void scan_db_free(struct scan_db *db);

/* Number of built-in rules. */
size_t scan_rule_count(void);

/* Bytes a blocking user must hold back: the longest span any rule can match. */
size_t scan_db_holdback(const struct scan_db *db);
/* Memory one open stream uses (Vectorscan state + history + bookkeeping), for reports. */
size_t scan_db_stream_size(const struct scan_db *db);

struct scan_stream *scan_stream_open(const struct scan_db *db, scan_finding_fn cb, void *ctx);
/* Blocking mode: hold back the last scan_db_holdback() bytes and pass bytes to rel only once
 * no rule can still match them. Call before the first feed. */
void scan_stream_hold(struct scan_stream *st, scan_release_fn rel, void *ctx);
/* 0 ok, 1 stopped or tripped by the callback, -1 engine error. */
int scan_stream_feed(struct scan_stream *st, const void *buf, size_t len);
/* End of data: reports matches that need the end (a token at the very end), releases what is
 * held unless tripped, frees the stream. Same return values as feed. */
int scan_stream_close(struct scan_stream *st);
/* Free without reporting or releasing (error paths). */
void scan_stream_abort(struct scan_stream *st);

/* Whole-buffer and whole-file conveniences. 0 clean or all reported, 1 stopped by callback,
 * -1 error (scan_file: errno set). scan_file() reads any file, binary or not ("-": stdin);
 * `brig scan` skips files with a NUL byte in their first 8 KiB. */
int scan_buffer(const struct scan_db *db, const void *buf, size_t len, scan_finding_fn cb,
                void *ctx);
int scan_file(const struct scan_db *db, const char *path, scan_finding_fn cb, void *ctx);

const char *scan_severity_name(enum scan_severity s);

#endif
