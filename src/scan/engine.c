/*
 * Streams: Vectorscan finds where candidates end, a POSIX capture over the stream's history
 * window extracts and checks the secret, findings wait for their line to end, and in blocking
 * mode bytes are released once no rule can still match them. See scan.h for the model.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan/engine.h"
#include "util/xalloc.h"

/* Vectorscan needs scratch space per thread; growing it for a database is costly (about
 * 100 us), so each thread remembers which databases its scratch already fits. Serials, not
 * pointers: a new database may reuse a freed one's address. */
static __thread hs_scratch_t *tls_scratch;
static __thread uint64_t tls_fits[4];
/* Frees a thread's scratch when the thread ends (the broker may run streams in threads). */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p)
{
	hs_free_scratch(p);
}

static void scratch_key_init(void)
{
	pthread_key_create(&scratch_key, scratch_free);
}

static int scratch_for(const struct scan_db *db)
{
	for (int i = 0; i < 4; i++)
		if (tls_fits[i] == db->serial)
			return 0;
	if (hs_alloc_scratch(db->hs, &tls_scratch) != HS_SUCCESS)
		return -1;
	pthread_once(&scratch_once, scratch_key_init);
	pthread_setspecific(scratch_key, tls_scratch);
	memmove(tls_fits + 1, tls_fits, 3 * sizeof *tls_fits);
	tls_fits[0] = db->serial;
	return 0;
}

static uint8_t tier_of(const struct scan_rule *r)
{
	return (r->flags & RULE_GENERIC) ? 2 : (r->flags & RULE_KEYWORD) ? 1 : 0;
}

/* Copies stream bytes [a, b) to out; they must lie in the history ring or the current chunk. */
void scan_copy_range(const struct scan_stream *st, uint64_t a, uint64_t b, unsigned char *out)
{
	size_t mask = st->db->hist - 1;
	while (a < b && a < st->total) {
		size_t at = (size_t)(a & mask);
		size_t n = st->db->hist - at;
		if (n > st->total - a)
			n = (size_t)(st->total - a);
		if (n > b - a)
			n = (size_t)(b - a);
		memcpy(out, st->hist + at, n);
		out += n;
		a += n;
	}
	if (a < b)
		memcpy(out, st->chunk + (a - st->total), (size_t)(b - a));
}

int scan_byte_at(const struct scan_stream *st, uint64_t pos)
{
	if (pos >= st->total)
		return st->chunk[pos - st->total];
	return st->hist[pos & (st->db->hist - 1)];
}

uint64_t scan_oldest(const struct scan_stream *st)
{
	return st->total > st->db->hist ? st->total - st->db->hist : 0;
}

/* Eight bytes at a time; per-byte counts add up in lanes that cannot overflow in 255 steps. */
static size_t count_nl(const unsigned char *p, size_t n)
{
	const uint64_t nl = 0x0a0a0a0a0a0a0a0aULL, lo7 = 0x7f7f7f7f7f7f7f7fULL;
	size_t c = 0;
	while (n >= 8) {
		uint64_t lanes = 0;
		for (int k = 0; k < 255 && n >= 8; k++) {
			uint64_t x;
			memcpy(&x, p, 8);
			x ^= nl;
			uint64_t t = ((x & lo7) + lo7) | x; /* high bit set in each nonzero byte */
			lanes += (~t & ~lo7) >> 7;
			p += 8;
			n -= 8;
		}
		c += (size_t)((lanes * 0x0101010101010101ULL) >> 56);
	}
	while (n--)
		c += *p++ == '\n';
	return c;
}

/* Line and column of stream offset pos (in the chunk or the history ring). */
static void locate(struct scan_stream *st, uint64_t pos, uint64_t *line, uint64_t *col)
{
	if (pos >= st->total) {
		if (pos < st->lc_pos) {
			st->lc_pos = st->total;
			st->lc_lines = st->lines;
			st->lc_start = st->line_start;
		}
		const unsigned char *p = st->chunk + (st->lc_pos - st->total);
		size_t n = (size_t)(pos - st->lc_pos);
		st->lc_lines += count_nl(p, n);
		const unsigned char *nl = memrchr(p, '\n', n);
		if (nl)
			st->lc_start = st->total + (uint64_t)(nl - st->chunk) + 1;
		st->lc_pos = pos;
		*line = st->lc_lines + 1;
		*col = pos - st->lc_start + 1;
		return;
	}
	uint64_t lines = st->lines;
	for (uint64_t p = st->total; p > pos; p--)
		if (scan_byte_at(st, p - 1) == '\n')
			lines--;
	/* No newline between pos and the chunk: the line began where the last one ended. */
	uint64_t start = st->line_start;
	if (start > pos) {
		uint64_t lo = scan_oldest(st);
		start = lo;
		for (uint64_t p = pos; p > lo; p--)
			if (scan_byte_at(st, p - 1) == '\n') {
				start = p;
				break;
			}
	}
	*line = lines + 1;
	*col = pos - start + 1;
}

static void make_preview(const unsigned char *s, size_t len, char *out)
{
	size_t k = len / 4;
	if (k > 8)
		k = 8;
	size_t m = 0;
	for (size_t i = 0; i < k; i++)
		out[m++] = (s[i] >= 0x21 && s[i] <= 0x7e && s[i] != '"' && s[i] != '\\') ? (char)s[i] : '?';
	snprintf(out + m, SCAN_PREVIEW_MAX - m, "...(%zu)", len);
}

static int overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

/* Whether finding (tier, rule) beats another one over the same bytes. */
static int beats(uint8_t tier, uint32_t rule, uint8_t otier, uint32_t orule)
{
	return tier < otier || (tier == otier && rule < orule);
}

static void emit(struct scan_stream *st, struct pending *p)
{
	struct recent *r = &st->recent[st->recent_next];
	st->recent_next = (st->recent_next + 1) % RECENT_MAX;
	if (st->nrecent < RECENT_MAX)
		st->nrecent++;
	*r = (struct recent){p->f.offset, p->end, p->rule, p->tier};
	if (!st->stopped && st->cb && st->cb(&p->f, st->ctx))
		st->stopped = 1;
}

/* Returns the new pending finding, or NULL when another finding over these bytes wins. */
struct pending *scan_add_pending(struct scan_stream *st, uint32_t rule, const unsigned char *secret,
                                 uint64_t start, size_t len, int validated)
{
	const struct scan_rule *r = st->db->rt[rule].rule;
	uint8_t tier = tier_of(r);
	uint64_t end = start + len;
	for (unsigned i = 0; i < st->nrecent; i++) {
		struct recent *o = &st->recent[i];
		if ((o->rule == rule && o->start == start) ||
		    (overlaps(start, end, o->start, o->end) && !beats(tier, rule, o->tier, o->rule)))
			return NULL;
	}
	for (size_t i = 0; i < st->npend; i++) {
		struct pending *o = &st->pend[i];
		if (o->rule == rule && o->f.offset == start)
			return NULL;
		if (!overlaps(start, end, o->f.offset, o->end))
			continue;
		if (!beats(tier, rule, o->tier, o->rule))
			return NULL;
		memmove(o, o + 1, (st->npend - i - 1) * sizeof *o);
		st->npend--;
		i--;
	}
	if (st->npend == st->cappend) {
		st->cappend = st->cappend ? 2 * st->cappend : 8;
		st->pend = xreallocarray(st->pend, st->cappend, sizeof *st->pend);
	}
	struct pending *p = &st->pend[st->npend++];
	memset(p, 0, sizeof *p);
	p->rule = rule;
	p->tier = tier;
	p->end = end;
	p->f.rule_id = r->id;
	p->f.family = r->family;
	p->f.description = r->description;
	p->f.severity = (enum scan_severity)r->severity;
	p->f.offset = start;
	p->f.length = len;
	p->f.validated = validated;
	make_preview(secret, len, p->f.preview);
	locate(st, start, &p->f.line, &p->f.col);
	return p;
}

/* A token that fails its own checksum is a look-alike: keyword and generic rules must not
 * report the same bytes either. A specific rule still may. */
static void veto(struct scan_stream *st, uint64_t start, size_t len)
{
	uint64_t end = start + len;
	for (size_t i = 0; i < st->npend; i++) {
		struct pending *o = &st->pend[i];
		if (o->tier > 0 && overlaps(start, end, o->f.offset, o->end)) {
			memmove(o, o + 1, (st->npend - i - 1) * sizeof *o);
			st->npend--;
			i--;
		}
	}
	struct recent *r = &st->recent[st->recent_next];
	st->recent_next = (st->recent_next + 1) % RECENT_MAX;
	if (st->nrecent < RECENT_MAX)
		st->nrecent++;
	*r = (struct recent){start, end, UINT32_MAX, 0};
}

/* `private_key: PrivateKeyType`, `token = TOKEN_URL`: a value that repeats the secret-sounding
 * name it is assigned to is a type or a constant's name, not a secret. The keyword is the
 * pattern's first group. */
static int names_itself(const unsigned char *text, const regmatch_t *pm, const struct rule_rt *rt,
                        const unsigned char *s, size_t len)
{
	unsigned kw = (rt->rule->bound ? 2u : 1u) + 1;
	if (kw >= NMATCH || pm[kw].rm_so < 0)
		return 0;
	char word[32];
	size_t n = 0;
	for (regoff_t i = pm[kw].rm_so; i < pm[kw].rm_eo && n < sizeof word - 1; i++)
		if (text[i] != '_' && text[i] != '-')
			word[n++] = (char)text[i];
	word[n] = 0;
	if (n < 3)
		return 0;
	char flat[128];
	size_t m = 0;
	for (size_t i = 0; i < len && m < sizeof flat - 1; i++)
		if (s[i] != '_' && s[i] != '-')
			flat[m++] = (char)s[i];
	flat[m] = 0;
	return strcasestr(flat, word) != NULL;
}

/* Stage two: capture the secret from the window that ends where Vectorscan saw a candidate. */
static void candidate(struct scan_stream *st, unsigned id, uint64_t to)
{
	const struct rule_rt *rt = &st->db->rt[id];
	if (rt->rule == &scan_decoder_rule) {
		scan_decode_note(st, to);
		return;
	}
	uint64_t from = to > rt->window ? to - rt->window : 0;
	size_t n = (size_t)(to - from);
	scan_copy_range(st, from, to, st->win);
	st->win[n] = 0;
	if (!rt->has_re) {
		scan_add_pending(st, id, st->win, from, n, 1);
		return;
	}
	if (!scan_capture_ready((struct scan_db *)st->db, (struct rule_rt *)rt))
		return;
	/* A secret never holds a NUL; POSIX matching stops at one. */
	size_t base = 0;
	const unsigned char *z = memrchr(st->win, 0, n);
	if (z)
		base = (size_t)(z - st->win) + 1;
	int bol = from == 0 || z;
	regmatch_t pm[NMATCH];
	if (regexec(&rt->re, (const char *)st->win + base, NMATCH, pm, bol ? 0 : REG_NOTBOL))
		return;
	if (pm[rt->group].rm_so < 0)
		return;
	const unsigned char *s = st->win + base + pm[rt->group].rm_so;
	size_t len = (size_t)(pm[rt->group].rm_eo - pm[rt->group].rm_so);
	const struct scan_rule *r = rt->rule;
	if (len == 0 || scan_is_placeholder(s, len))
		return;
	if ((r->flags & RULE_GENERIC) && r->group >= 2 && names_itself(st->win + base, pm, rt, s, len))
		return;
	if (r->min_entropy > 0 && scan_entropy(s, len) < r->min_entropy)
		return;
	int chk = scan_check_run((enum scan_check)r->check, s, len);
	if (chk < 0) {
		if (tier_of(r) == 0)
			veto(st, from + base + (uint64_t)pm[rt->group].rm_so, len);
		return;
	}
	scan_add_pending(st, id, s, from + base + (uint64_t)pm[rt->group].rm_so, len, chk > 0);
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx)
{
	(void)from;
	(void)flags;
	candidate(ctx, id, to);
	return 0;
}

/* A `brig:allow` comment on the finding's line silences it. */
static int allowed(struct scan_stream *st, const struct pending *p, uint64_t line_end)
{
	static const char mark[] = "brig:allow";
	uint64_t lo = p->f.offset > LINE_CTX ? p->f.offset - LINE_CTX : 0;
	if (lo < scan_oldest(st))
		lo = scan_oldest(st);
	uint64_t ls = p->f.offset;
	while (ls > lo && scan_byte_at(st, ls - 1) != '\n')
		ls--;
	if (line_end - ls < sizeof mark - 1)
		return 0;
	unsigned char buf[3 * LINE_CTX + 8192];
	size_t n = (size_t)(line_end - ls);
	if (n > sizeof buf)
		return 0;
	scan_copy_range(st, ls, line_end, buf);
	return memmem(buf, n, mark, sizeof mark - 1) != NULL;
}

/* Emits pending findings whose line has ended (or that waited long enough). */
static void resolve(struct scan_stream *st, int closing)
{
	uint64_t avail = st->total + st->chunk_len;
	size_t keep = 0;
	for (size_t i = 0; i < st->npend; i++) {
		struct pending *p = &st->pend[i];
		uint64_t limit = p->end + LINE_CTX < avail ? p->end + LINE_CTX : avail;
		uint64_t nl = limit;
		for (uint64_t q = p->end; q < limit; q++)
			if (scan_byte_at(st, q) == '\n') {
				nl = q;
				break;
			}
		if (nl == limit && !closing && limit < p->end + LINE_CTX) {
			st->pend[keep++] = *p;
			continue;
		}
		if (!allowed(st, p, nl))
			emit(st, p);
	}
	st->npend = keep;
}

static void ring_append(struct scan_stream *st, const unsigned char *buf, size_t len)
{
	size_t H = st->db->hist, mask = H - 1;
	uint64_t pos = st->total;
	if (len > H) {
		buf += len - H;
		pos += len - H;
		len = H;
	}
	while (len) {
		size_t at = (size_t)(pos & mask), n = H - at;
		if (n > len)
			n = len;
		memcpy(st->hist + at, buf, n);
		buf += n;
		pos += n;
		len -= n;
	}
}

static void release_upto(struct scan_stream *st, uint64_t limit)
{
	if (!st->rel || st->stopped || limit <= st->released)
		return;
	for (size_t i = 0; i < st->npend; i++)
		if (st->pend[i].f.offset < limit)
			limit = st->pend[i].f.offset;
	for (size_t k = 0; k < st->njobs; k++) {
		uint64_t lo = st->jobs[k].seen > st->db->holdback ? st->jobs[k].seen - st->db->holdback : 0;
		if (lo < limit)
			limit = lo;
	}
	size_t mask = st->db->hist - 1;
	while (st->released < limit && st->released < st->total) {
		size_t at = (size_t)(st->released & mask), n = st->db->hist - at;
		uint64_t stop = limit < st->total ? limit : st->total;
		if (n > stop - st->released)
			n = (size_t)(stop - st->released);
		st->rel(st->hist + at, n, st->rel_ctx);
		st->released += n;
	}
	if (st->released < limit) {
		size_t n = (size_t)(limit - st->released);
		st->rel(st->chunk + (st->released - st->total), n, st->rel_ctx);
		st->released += n;
	}
}

static void advance(struct scan_stream *st)
{
	const unsigned char *p = st->chunk;
	size_t n = st->chunk_len;
	uint64_t lines = st->lines + count_nl(p, n);
	const unsigned char *nl = memrchr(p, '\n', n);
	if (nl)
		st->line_start = st->total + (uint64_t)(nl - p) + 1;
	st->lines = lines;
	ring_append(st, p, n);
	st->total += n;
	st->chunk = NULL;
	st->chunk_len = 0;
	st->lc_pos = st->total;
	st->lc_lines = st->lines;
	st->lc_start = st->line_start;
}

struct scan_stream *scan_stream_open(const struct scan_db *db, scan_finding_fn cb, void *ctx)
{
	if (scratch_for(db) < 0)
		return NULL;
	/* One allocation; only the header is cleared (a file scan opens one stream per file). */
	struct scan_stream *st = xmalloc(sizeof *st + db->hist + db->holdback + 1);
	memset(st, 0, offsetof(struct scan_stream, recent));
	if (hs_open_stream(db->hs, 0, &st->hs) != HS_SUCCESS) {
		free(st);
		return NULL;
	}
	st->db = db;
	st->cb = cb;
	st->ctx = ctx;
	st->win = st->hist + db->hist;
	return st;
}

void scan_stream_hold(struct scan_stream *st, scan_release_fn rel, void *ctx)
{
	st->rel = rel;
	st->rel_ctx = ctx;
}

int scan_stream_feed(struct scan_stream *st, const void *buf, size_t len)
{
	/* Vectorscan takes at most 4 GiB per call. */
	while (len > (1u << 30)) {
		int rc = scan_stream_feed(st, buf, 1u << 30);
		if (rc)
			return rc;
		buf = (const unsigned char *)buf + (1u << 30);
		len -= 1u << 30;
	}
	if (st->failed)
		return -1;
	if (len == 0)
		return st->stopped;
	if (scratch_for(st->db) < 0) { /* fed from another thread than the one that opened it */
		st->failed = 1;
		return -1;
	}
	st->chunk = buf;
	st->chunk_len = len;
	st->lc_pos = st->total;
	st->lc_lines = st->lines;
	st->lc_start = st->line_start;
	if (hs_scan_stream(st->hs, buf, (unsigned)len, 0, tls_scratch, on_match, st) != HS_SUCCESS) {
		st->failed = 1;
		return -1;
	}
	scan_decode_run(st, 0);
	resolve(st, 0);
	uint64_t end = st->total + len;
	release_upto(st, end > st->db->holdback ? end - st->db->holdback : 0);
	advance(st);
	return st->stopped;
}

static void stream_free(struct scan_stream *st)
{
	for (size_t k = 0; k < st->njobs; k++)
		free(st->jobs[k].bytes);
	free(st->jobs);
	free(st->pend);
	free(st);
}

int scan_stream_close(struct scan_stream *st)
{
	int rc = 0;
	if (scratch_for(st->db) < 0)
		st->failed = 1;
	if (hs_close_stream(st->hs, tls_scratch, st->failed ? NULL : on_match, st) != HS_SUCCESS)
		st->failed = 1;
	scan_decode_run(st, 1);
	if (!st->failed) {
		resolve(st, 1);
		release_upto(st, st->total);
	}
	rc = st->failed ? -1 : st->stopped;
	stream_free(st);
	return rc;
}

void scan_stream_abort(struct scan_stream *st)
{
	hs_close_stream(st->hs, tls_scratch, NULL, NULL);
	stream_free(st);
}

int scan_buffer(const struct scan_db *db, const void *buf, size_t len, scan_finding_fn cb,
                void *ctx)
{
	struct scan_stream *st = scan_stream_open(db, cb, ctx);
	if (!st)
		return -1;
	if (scan_stream_feed(st, buf, len) < 0) {
		scan_stream_abort(st);
		return -1;
	}
	return scan_stream_close(st);
}

int scan_file(const struct scan_db *db, const char *path, scan_finding_fn cb, void *ctx)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);
	if (fd < 0)
		return -1;
	struct scan_stream *st = scan_stream_open(db, cb, ctx);
	if (!st) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	size_t cap = 1 << 20;
	unsigned char *buf = xmalloc(cap);
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			scan_stream_abort(st);
			free(buf);
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		rc = scan_stream_feed(st, buf, (size_t)n);
		if (rc)
			break;
	}
	if (rc < 0) {
		scan_stream_abort(st);
		rc = -1;
	} else {
		rc = scan_stream_close(st);
	}
	free(buf);
	close(fd);
	return rc;
}
