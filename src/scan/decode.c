/*
 * Tokens hidden in base64: when Vectorscan sees a token prefix's base64 (db.c builds those
 * expressions), the run around it is decoded once it ends and scanned again by the same rules.
 * Findings are placed on the base64 characters that encode the secret.
 */
#include <stdlib.h>
#include <string.h>

#include "scan/engine.h"
#include "util/xalloc.h"

int scan_is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '/' || c == '=';
}

/* Remembers an encoded token prefix; its run is decoded once it ends (scan_decode_run()). */
void scan_decode_note(struct scan_stream *st, uint64_t to)
{
	if (st->depth)
		return;
	if (st->njobs && to - st->jobs[st->njobs - 1].seen < 16)
		return; /* the same run, seen again a few bytes on */
	if (st->njobs == st->capjobs) {
		st->capjobs = st->capjobs ? 2 * st->capjobs : 4;
		st->jobs = xreallocarray(st->jobs, st->capjobs, sizeof *st->jobs);
	}
	st->jobs[st->njobs++] = (struct decode_job){.seen = to};
}

static long b64_decode_run(const unsigned char *s, size_t n, unsigned char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0;
	long m = 0;
	for (size_t i = 0; i < n && s[i] != '='; i++) {
		const char *p = memchr(abc, s[i], 64);
		if (!p)
			return -1;
		acc = (acc << 6) | (uint32_t)(p - abc);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[m++] = (unsigned char)(acc >> bits);
		}
	}
	return m;
}

struct inner {
	struct scan_stream *outer;
	const struct decode_job *job;
	size_t skip; /* base64 characters skipped to reach a 4-character boundary */
};

/* A finding inside decoded bytes, placed on the base64 characters that encode it. */
static int on_inner(const struct scan_finding *f, void *ctx)
{
	struct inner *in = ctx;
	struct scan_stream *st = in->outer;
	if (!strncmp(f->rule_id, "known-value", 11))
		return 0;
	uint64_t at = in->job->start + in->skip + f->offset / 3 * 4;
	size_t len = (f->length + 2) / 3 * 4;
	if (at + len > in->job->start + in->job->len)
		len = (size_t)(in->job->start + in->job->len - at);
	for (uint32_t r = 0; r < scan_rules_n; r++)
		if (st->db->rt[r].rule->id == f->rule_id) {
			struct pending *p =
				scan_add_pending(st, r, in->job->bytes + (at - in->job->start), at, len, f->validated);
			if (p) {
				memcpy(p->f.preview, f->preview, sizeof p->f.preview);
				p->f.encoding = "base64";
			}
			break;
		}
	return 0;
}

/* Finds the whole run around a job's prefix, once the run has ended or is long enough. */
static int job_ready(struct scan_stream *st, struct decode_job *j, int closing)
{
	uint64_t avail = st->total + st->chunk_len, limit = j->seen + DECODE_MAX, end = j->seen;
	if (limit > avail)
		limit = avail;
	while (end < limit && scan_is_b64((unsigned char)scan_byte_at(st, end)))
		end++;
	if (end == limit && limit < j->seen + DECODE_MAX && !closing)
		return 0;
	uint64_t lo = j->seen > st->db->holdback ? j->seen - st->db->holdback : 0;
	if (lo < scan_oldest(st))
		lo = scan_oldest(st);
	uint64_t start = j->seen;
	while (start > lo && scan_is_b64((unsigned char)scan_byte_at(st, start - 1)))
		start--;
	j->start = start;
	j->exact = start > lo || start == 0;
	j->len = (size_t)(end - start);
	j->bytes = xmalloc(j->len);
	scan_copy_range(st, start, end, j->bytes);
	return 1;
}

static void decode_job(struct scan_stream *st, struct decode_job *j)
{
	unsigned char *out = xmalloc(j->len);
	/* Where the run's start was not seen, every alignment is tried. */
	for (size_t skip = 0; skip < (j->exact ? 1u : 4u) && skip < j->len; skip++) {
		long n = b64_decode_run(j->bytes + skip, j->len - skip, out);
		if (n < 8)
			continue;
		struct inner in = {st, j, skip};
		struct scan_stream *sub = scan_stream_open(st->db, on_inner, &in);
		if (!sub)
			break;
		sub->depth = 1;
		scan_stream_feed(sub, out, (size_t)n);
		scan_stream_close(sub);
	}
	free(out);
}

void scan_decode_run(struct scan_stream *st, int closing)
{
	size_t keep = 0;
	for (size_t k = 0; k < st->njobs; k++) {
		struct decode_job *j = &st->jobs[k];
		if (!job_ready(st, j, closing)) {
			st->jobs[keep++] = *j;
			continue;
		}
		decode_job(st, j);
		free(j->bytes);
	}
	st->njobs = keep;
}
