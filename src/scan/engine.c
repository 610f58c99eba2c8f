/*
 * The scanning engine: Vectorscan finds where candidates end, a POSIX capture over the
 * stream's history window extracts and checks the secret. See scan.h for the model.
 */
#include <errno.h>
#include <fcntl.h>
#include <hs/hs.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan/rules.h"
#include "scan/scan.h"
#include "util/xalloc.h"

/* How far around a finding to look for the end of its line and a `brig:allow` marker. */
#define LINE_CTX 256
#define PEND_MAX 32
#define RECENT_MAX 8
#define NMATCH 16

struct rule_rt {
	const struct scan_rule *rule;
	regex_t re;
	int has_re;      /* known values are exact literals: no capture stage */
	int re_state;    /* capture compiled on first use: 0 not yet, 1 ready, -1 failed */
	unsigned window; /* bytes of history one capture needs */
	unsigned group;  /* index of the secret in the capture's match array */
};

static uint64_t db_serial_next;

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

static const struct scan_rule known_rules[] = {
	{.id = "known-value", .family = "known", .description = "known secret value",
	 .severity = SCAN_SEV_CRITICAL},
	{.id = "known-value-base64", .family = "known", .description = "known secret value, base64-encoded",
	 .severity = SCAN_SEV_CRITICAL},
	{.id = "known-value-hex", .family = "known", .description = "known secret value, hex-encoded",
	 .severity = SCAN_SEV_CRITICAL},
	{.id = "known-value-url", .family = "known", .description = "known secret value, URL-encoded",
	 .severity = SCAN_SEV_CRITICAL},
};
enum { KNOWN_RAW, KNOWN_B64, KNOWN_HEX, KNOWN_URL };

/* Not a rule of its own: finds base64 runs that may hold a token (see decoder_expr()). */
static const struct scan_rule decoder_rule = {.id = "base64-run", .family = "encoded",
                                              .description = "base64 text that may hold a token"};
#define B64_CLASS "A-Za-z0-9+/"
#define DECODE_MAX 600 /* longest base64 run decoded after its token prefix */
#define JOBS_MAX 8

size_t scan_rule_count(void)
{
	return scan_rules_n;
}

const char *scan_severity_name(enum scan_severity s)
{
	static const char *const names[] = {"low", "medium", "high", "critical"};
	return (unsigned)s < 4 ? names[s] : "unknown";
}

/* ---- building a database ------------------------------------------------------------- */

struct expr_list {
	char **expr;
	unsigned *flags, *ids;
	size_t n, cap;
};

static void expr_push(struct expr_list *l, char *expr, unsigned flags)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->expr = xreallocarray(l->expr, l->cap, sizeof *l->expr);
		l->flags = xreallocarray(l->flags, l->cap, sizeof *l->flags);
		l->ids = xreallocarray(l->ids, l->cap, sizeof *l->ids);
	}
	l->expr[l->n] = expr;
	l->flags[l->n] = flags;
	l->ids[l->n] = (unsigned)l->n;
	l->n++;
}

static void expr_free(struct expr_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->expr[i]);
	free(l->expr);
	free(l->flags);
	free(l->ids);
}

static char *hs_expr_of(const struct scan_rule *r)
{
	return r->bound ? xasprintf("%s([^%s]|$)", r->re, r->bound) : xstrdup(r->re);
}

/* The window a rule needs: Vectorscan's bound on its match length, plus the byte before. */
static int rule_window(struct rule_rt *rt, const struct scan_rule *r, const char *hsexpr,
                       unsigned hsflags, char **err)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *cerr = NULL;
	if (hs_expression_info(hsexpr, hsflags, &info, &cerr) != HS_SUCCESS) {
		*err = xasprintf("scan rule '%s': %s", r->id, cerr ? cerr->message : "bad pattern");
		hs_free_compile_error(cerr);
		return -1;
	}
	unsigned maxw = info->max_width;
	free(info);
	if (maxw == UINT_MAX || maxw > 4000) {
		*err = xasprintf("scan rule '%s': unbounded or too long (max %u bytes); bound every repeat",
		                 r->id, maxw);
		return -1;
	}
	rt->window = r->re ? maxw + 1 : maxw;
	return 0;
}

static void rule_init(struct rule_rt *rt, const struct scan_rule *r)
{
	rt->rule = r;
	rt->has_re = r->re != NULL;
	rt->group = (r->bound ? 2u : 1u) + r->group;
}

/* The capturing regex, built from the same pattern string as the Vectorscan expression. */
static int capture_compile(struct rule_rt *rt, char **err)
{
	const struct scan_rule *r = rt->rule;
	char *posix;
	if (r->bound) {
		/* '=' ends base64 tokens but also starts values (key=TOKEN): not a left boundary. */
		char left[64];
		size_t k = 0;
		for (const char *p = r->bound; *p && k < sizeof left - 1; p++)
			if (*p != '=')
				left[k++] = *p;
		left[k] = 0;
		posix = xasprintf("(^|[^%s])(%s)([^%s]|$)$", left, r->re, r->bound);
	} else {
		posix = xasprintf("(%s)$", r->re);
	}
	int rc = regcomp(&rt->re, posix, REG_EXTENDED | ((r->flags & RULE_CASELESS) ? REG_ICASE : 0));
	free(posix);
	if (rc) {
		char msg[128];
		regerror(rc, &rt->re, msg, sizeof msg);
		if (err)
			*err = xasprintf("scan rule '%s': capture does not compile: %s", r->id, msg);
		return -1;
	}
	if (rt->group >= NMATCH || rt->group > rt->re.re_nsub) {
		regfree(&rt->re);
		if (err)
			*err = xasprintf("scan rule '%s': secret group %u out of range", r->id, rt->group);
		return -1;
	}
	return 0;
}

static int capture_ready(struct scan_db *db, struct rule_rt *rt)
{
	int state = __atomic_load_n(&rt->re_state, __ATOMIC_ACQUIRE);
	if (state)
		return state > 0;
	pthread_mutex_lock(&db->lock);
	if (!rt->re_state)
		__atomic_store_n(&rt->re_state, capture_compile(rt, NULL) ? -1 : 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&db->lock);
	return rt->re_state > 0;
}

int scan_rules_selftest(char **err)
{
	for (size_t i = 0; i < scan_rules_n; i++) {
		struct rule_rt rt = {0};
		rule_init(&rt, &scan_rules[i]);
		if (capture_compile(&rt, err) < 0)
			return -1;
		regfree(&rt.re);
	}
	return 0;
}

static char *literal_expr(const unsigned char *s, size_t n)
{
	char *e = xmalloc(4 * n + 1);
	for (size_t i = 0; i < n; i++)
		snprintf(e + 4 * i, 5, "\\x%02x", s[i]);
	e[4 * n] = 0;
	return e;
}

/* The characters of base64(PREFIX + v) that depend on v alone, for a v starting `align`
 * bytes into a 3-byte group: those are what appear inside any longer encoded text. */
static size_t b64_stable(const unsigned char *v, size_t n, unsigned align, int url, char *out)
{
	const char *abc = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	                      : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t bits_lo = 8 * align, bits_hi = 8 * (align + n), m = 0;
	for (size_t c = 0; 6 * c + 6 <= bits_hi; c++) {
		if (6 * c < bits_lo)
			continue;
		unsigned val = 0;
		for (size_t b = 6 * c; b < 6 * c + 6; b++) {
			size_t byte = b / 8 - align;
			val = (val << 1) | ((v[byte] >> (7 - b % 8)) & 1);
		}
		out[m++] = abc[val];
	}
	return m;
}

static void add_known(struct expr_list *l, const struct scan_rule **kinds, size_t *nk,
                      const unsigned char *v, size_t n)
{
	char *buf = xmalloc(3 * n + 8);
	expr_push(l, literal_expr(v, n), 0);
	kinds[(*nk)++] = &known_rules[KNOWN_RAW];
	for (int url = 0; url < 2; url++)
		for (unsigned a = 0; a < 3; a++) {
			size_t m = b64_stable(v, n, a, url, buf);
			expr_push(l, literal_expr((unsigned char *)buf, m), 0);
			kinds[(*nk)++] = &known_rules[KNOWN_B64];
		}
	for (size_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", v[i]);
	expr_push(l, literal_expr((unsigned char *)buf, 2 * n), HS_FLAG_CASELESS);
	kinds[(*nk)++] = &known_rules[KNOWN_HEX];
	size_t m = 0;
	int escaped = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = v[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr("-_.~", c)) {
			buf[m++] = (char)c;
		} else {
			snprintf(buf + m, 4, "%%%02X", c);
			m += 3;
			escaped = 1;
		}
	}
	if (escaped) {
		/* percent-escapes in either case */
		expr_push(l, literal_expr((unsigned char *)buf, m), HS_FLAG_CASELESS);
		kinds[(*nk)++] = &known_rules[KNOWN_URL];
	}
	free(buf);
}

/* The literal a rule's pattern starts with ("ghp_", "xoxb-", "sk-ant-"), if any. */
static size_t literal_prefix(const struct scan_rule *r, char *out, size_t cap)
{
	size_t n = 0;
	if (r->flags & (RULE_CASELESS | RULE_KEYWORD | RULE_GENERIC))
		return 0;
	for (const char *p = r->re; *p && n < cap - 1; p++) {
		if (*p == '\\' && p[1] == '.') {
			out[n++] = '.';
			p++;
		} else if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		           *p == '_' || *p == '-' || *p == ':' || *p == '/') {
			out[n++] = *p;
		} else {
			break;
		}
	}
	/* A prefix followed by '?', '*' or '{' is not fixed in its last character. */
	const char *next = r->re + n;
	if (n && (*next == '?' || *next == '*' || *next == '{'))
		n--;
	out[n] = 0;
	return n >= 3 ? n : 0;
}

/*
 * Tokens hidden in base64 (a Kubernetes Secret's data, a Docker config, an encoded .env): for
 * every rule that starts with a fixed prefix, the prefix's base64 in each of the three
 * alignments, followed by the rest of a base64 run. A candidate's run is decoded and scanned
 * again by the same rules. Literals keep this cheap: plain base64 runs match nothing.
 */
static void decoder_exprs(struct expr_list *l, const struct scan_rule **kinds, size_t *nk)
{
	struct strv alts = {0};
	char prefix[64], enc[96];
	for (size_t i = 0; i < scan_rules_n; i++) {
		size_t n = literal_prefix(&scan_rules[i], prefix, sizeof prefix);
		for (unsigned a = 0; n && a < 3; a++) {
			size_t m = b64_stable((const unsigned char *)prefix, n, a, 0, enc);
			enc[m] = 0;
			if (m >= 4 && !strv_contains(&alts, enc))
				strv_push(&alts, enc);
		}
	}
	for (size_t i = 0; i < alts.n; i++) {
		char e[256], *p = e;
		for (const char *c = alts.v[i]; *c; c++) {
			if (*c == '+' || *c == '/')
				*p++ = '\\';
			*p++ = *c;
		}
		sprintf(p, "[" B64_CLASS "]{16}");
		expr_push(l, xstrdup(e), 0);
		kinds[(*nk)++] = &decoder_rule;
	}
	strv_free(&alts);
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

/*
 * Compiling the rules takes most of a second; `brig scan` keeps the compiled database in the
 * user's cache directory. Only a file the user owns and nobody else can write is trusted, its
 * name and header carry a hash of every expression and of the Vectorscan version, and
 * Vectorscan checks the database's own checksum and platform when loading it. The broker does
 * not use the cache: it compiles once per process.
 */
static char *cache_dir;

void scan_db_set_cache_dir(const char *dir)
{
	free(cache_dir);
	cache_dir = dir ? xstrdup(dir) : NULL;
}

#define CACHE_MAGIC "BRIGSCN1"

static uint32_t cache_key(const struct expr_list *l)
{
	uint32_t k = scan_crc32(hs_version(), strlen(hs_version()));
	for (size_t i = 0; i < l->n; i++) {
		char flags[16];
		snprintf(flags, sizeof flags, "/%u;", l->flags[i]);
		k ^= scan_crc32(l->expr[i], strlen(l->expr[i])) * (uint32_t)(2 * i + 1);
		k = k * 31 + scan_crc32(flags, strlen(flags));
	}
	return k ^ (uint32_t)l->n;
}

static char *cache_path(uint32_t key)
{
	return xasprintf("%s/scan-rules-%08x.hsdb", cache_dir, key);
}

static int cache_load(struct scan_db *db, uint32_t key)
{
	if (!cache_dir)
		return -1;
	char *path = cache_path(key);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd < 0)
		return -1;
	struct stat sb;
	char *buf = NULL;
	int rc = -1;
	size_t head = 8 + 8 + 4 * db->n;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 022) || sb.st_size < (off_t)head || sb.st_size > (64 << 20))
		goto out;
	buf = xmalloc((size_t)sb.st_size);
	if (read(fd, buf, (size_t)sb.st_size) != sb.st_size)
		goto out;
	uint32_t hk, hn;
	memcpy(&hk, buf + 8, 4);
	memcpy(&hn, buf + 12, 4);
	if (memcmp(buf, CACHE_MAGIC, 8) || hk != key || hn != db->n)
		goto out;
	for (size_t i = 0; i < db->n; i++) {
		uint32_t w;
		memcpy(&w, buf + 16 + 4 * i, 4);
		if (w == 0 || w > 4001)
			goto out;
		db->rt[i].window = w;
	}
	if (hs_deserialize_database(buf + head, (size_t)sb.st_size - head, &db->hs) != HS_SUCCESS)
		goto out;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

static void cache_save(const struct scan_db *db, uint32_t key)
{
	if (!cache_dir)
		return;
	char *bytes = NULL;
	size_t len = 0;
	if (hs_serialize_database(db->hs, &bytes, &len) != HS_SUCCESS)
		return;
	for (char *p = cache_dir + 1; *p; p++) /* mkdir -p, private */
		if (*p == '/') {
			*p = 0;
			mkdir(cache_dir, 0700);
			*p = '/';
		}
	mkdir(cache_dir, 0700);
	char *path = cache_path(key);
	char *tmp = xasprintf("%s.%d.tmp", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		uint32_t k = key, n = (uint32_t)db->n;
		int ok = write(fd, CACHE_MAGIC, 8) == 8 && write(fd, &k, 4) == 4 && write(fd, &n, 4) == 4;
		for (size_t i = 0; ok && i < db->n; i++) {
			uint32_t w = db->rt[i].window;
			ok = write(fd, &w, 4) == 4;
		}
		ok = ok && write(fd, bytes, len) == (ssize_t)len;
		if (close(fd) == 0 && ok)
			ok = rename(tmp, path) == 0;
		if (!ok)
			unlink(tmp);
	}
	free(tmp);
	free(path);
	free(bytes);
}

static struct scan_db *db_build(const char *const *values, const size_t *lens, size_t nvalues,
                                char **err)
{
	struct expr_list l = {0};
	size_t nkinds = 0;
	const struct scan_rule **kinds = xcalloc(nvalues * 10 + 3 * scan_rules_n + 1, sizeof *kinds);
	for (size_t i = 0; i < scan_rules_n; i++)
		expr_push(&l, hs_expr_of(&scan_rules[i]),
		          (scan_rules[i].flags & RULE_CASELESS) ? HS_FLAG_CASELESS : 0);
	decoder_exprs(&l, kinds, &nkinds);
	for (size_t i = 0; i < nvalues; i++) {
		if (lens[i] < 8) {
			*err = xasprintf("known secret value %zu is %zu bytes: at least 8 are needed to "
			                 "match it without false alarms", i + 1, lens[i]);
			expr_free(&l);
			free(kinds);
			return NULL;
		}
		add_known(&l, kinds, &nkinds, (const unsigned char *)values[i], lens[i]);
	}

	struct scan_db *db = xcalloc(1, sizeof *db);
	db->n = l.n;
	db->rt = xcalloc(l.n, sizeof *db->rt);
	for (size_t i = 0; i < l.n; i++) {
		const struct scan_rule *r = i < scan_rules_n ? &scan_rules[i]
		                                             : kinds[i - scan_rules_n];
		rule_init(&db->rt[i], r);
		db->rt[i].has_re = r->re != NULL && r != &decoder_rule;
	}
	pthread_mutex_init(&db->lock, NULL);
	uint32_t key = cache_key(&l);
	if (!nvalues && cache_load(db, key) == 0)
		goto loaded;
	for (size_t i = 0; i < l.n; i++)
		if (rule_window(&db->rt[i], db->rt[i].rule, l.expr[i], l.flags[i], err) < 0)
			goto fail;
	hs_compile_error_t *cerr = NULL;
	if (hs_compile_ext_multi((const char *const *)l.expr, l.flags, l.ids, NULL, (unsigned)l.n,
	                         HS_MODE_STREAM, NULL, &db->hs, &cerr) != HS_SUCCESS) {
		int at = cerr ? cerr->expression : -1;
		*err = xasprintf("scan rules do not compile (%s): %s",
		                 at >= 0 && (size_t)at < l.n ? db->rt[at].rule->id : "database",
		                 cerr ? cerr->message : "unknown error");
		hs_free_compile_error(cerr);
		goto fail;
	}
	if (!nvalues)
		cache_save(db, key);
loaded:
	for (size_t i = 0; i < l.n; i++)
		if (db->rt[i].window > db->holdback)
			db->holdback = db->rt[i].window;
	hs_stream_size(db->hs, &db->hs_stream);
	db->serial = __atomic_add_fetch(&db_serial_next, 1, __ATOMIC_RELAXED);
	db->hist = pow2_at_least(db->holdback + 2 * LINE_CTX + 64);
	expr_free(&l);
	free(kinds);
	return db;
fail:
	expr_free(&l);
	free(kinds);
	scan_db_free(db);
	return NULL;
}

void scan_db_free(struct scan_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n; i++)
		if (db->rt[i].re_state > 0)
			regfree(&db->rt[i].re);
	free(db->rt);
	hs_free_database(db->hs);
	pthread_mutex_destroy(&db->lock);
	free(db);
}

static struct scan_db *builtin_db;
static char *builtin_err;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void builtin_build(void)
{
	builtin_db = db_build(NULL, NULL, 0, &builtin_err);
}

const struct scan_db *scan_db_get(const char **err)
{
	pthread_once(&builtin_once, builtin_build);
	if (!builtin_db && err)
		*err = builtin_err;
	return builtin_db;
}

struct scan_db *scan_db_new_known(const char *const *values, const size_t *lens, size_t n,
                                  char **err)
{
	*err = NULL;
	return db_build(values, lens, n, err);
}

size_t scan_db_holdback(const struct scan_db *db)
{
	return db->holdback;
}

/* ---- streams ------------------------------------------------------------------------- */

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
	size_t njobs, npend;
	unsigned nrecent, recent_next;
	unsigned char *win; /* holdback + 1 bytes: one capture window */
	/* Arrays below are not cleared at open: their counts above say what is valid. */
	struct decode_job {
		uint64_t seen;  /* where Vectorscan saw an encoded token prefix inside a run */
		uint64_t start; /* the run's first byte we have */
		size_t len;
		int exact;      /* the run starts there (else its alignment is unknown) */
		unsigned char *bytes;
	} jobs[JOBS_MAX];
	struct pending pend[PEND_MAX];
	struct recent recent[RECENT_MAX];
	unsigned char hist[]; /* ring of db->hist bytes, then the capture window */
};

size_t scan_db_stream_size(const struct scan_db *db)
{
	return db->hs_stream + sizeof(struct scan_stream) + db->hist + db->holdback + 1;
}

/* Vectorscan needs scratch space per thread; growing it for a database is costly (about
 * 100 us), so each thread remembers which databases its scratch already fits. Serials, not
 * pointers: a new database may reuse a freed one's address. */
static __thread hs_scratch_t *tls_scratch;
static __thread uint64_t tls_fits[4];

static int scratch_for(const struct scan_db *db)
{
	for (int i = 0; i < 4; i++)
		if (tls_fits[i] == db->serial)
			return 0;
	if (hs_alloc_scratch(db->hs, &tls_scratch) != HS_SUCCESS)
		return -1;
	memmove(tls_fits + 1, tls_fits, 3 * sizeof *tls_fits);
	tls_fits[0] = db->serial;
	return 0;
}

static uint8_t tier_of(const struct scan_rule *r)
{
	return (r->flags & RULE_GENERIC) ? 2 : (r->flags & RULE_KEYWORD) ? 1 : 0;
}

/* Copies stream bytes [a, b) to out; they must lie in the history ring or the current chunk. */
static void copy_range(const struct scan_stream *st, uint64_t a, uint64_t b, unsigned char *out)
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

static int byte_at(const struct scan_stream *st, uint64_t pos)
{
	if (pos >= st->total)
		return st->chunk[pos - st->total];
	return st->hist[pos & (st->db->hist - 1)];
}

static uint64_t oldest_available(const struct scan_stream *st)
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
		if (byte_at(st, p - 1) == '\n')
			lines--;
	/* No newline between pos and the chunk: the line began where the last one ended. */
	uint64_t start = st->line_start;
	if (start > pos) {
		uint64_t lo = oldest_available(st);
		start = lo;
		for (uint64_t p = pos; p > lo; p--)
			if (byte_at(st, p - 1) == '\n') {
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

static void add_pending(struct scan_stream *st, uint32_t rule, const unsigned char *secret,
                        uint64_t start, size_t len, int validated)
{
	const struct scan_rule *r = st->db->rt[rule].rule;
	uint8_t tier = tier_of(r);
	uint64_t end = start + len;
	for (unsigned i = 0; i < st->nrecent; i++) {
		struct recent *o = &st->recent[i];
		if ((o->rule == rule && o->start == start) ||
		    (overlaps(start, end, o->start, o->end) && !beats(tier, rule, o->tier, o->rule)))
			return;
	}
	for (size_t i = 0; i < st->npend; i++) {
		struct pending *o = &st->pend[i];
		if (o->rule == rule && o->f.offset == start)
			return;
		if (!overlaps(start, end, o->f.offset, o->end))
			continue;
		if (!beats(tier, rule, o->tier, o->rule))
			return;
		memmove(o, o + 1, (st->npend - i - 1) * sizeof *o);
		st->npend--;
		i--;
	}
	if (st->npend == PEND_MAX) {
		emit(st, &st->pend[0]);
		memmove(st->pend, st->pend + 1, (PEND_MAX - 1) * sizeof *st->pend);
		st->npend--;
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
static int is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '/' || c == '=';
}

/* Remembers an encoded token prefix; its run is decoded once it ends (run_jobs()). */
static void decode_candidate(struct scan_stream *st, uint64_t to)
{
	if (st->depth)
		return;
	for (size_t k = 0; k < st->njobs; k++)
		if (to - st->jobs[k].seen < 16)
			return; /* the same run, seen again a few bytes on */
	if (st->njobs == JOBS_MAX)
		return;
	st->jobs[st->njobs++] = (struct decode_job){.seen = to};
}

static void candidate(struct scan_stream *st, unsigned id, uint64_t to)
{
	const struct rule_rt *rt = &st->db->rt[id];
	if (rt->rule == &decoder_rule) {
		decode_candidate(st, to);
		return;
	}
	uint64_t from = to > rt->window ? to - rt->window : 0;
	size_t n = (size_t)(to - from);
	copy_range(st, from, to, st->win);
	st->win[n] = 0;
	if (!rt->has_re) {
		add_pending(st, id, st->win, from, n, 1);
		return;
	}
	if (!capture_ready((struct scan_db *)st->db, (struct rule_rt *)rt))
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
	add_pending(st, id, s, from + base + (uint64_t)pm[rt->group].rm_so, len, chk > 0);
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
	if (lo < oldest_available(st))
		lo = oldest_available(st);
	uint64_t ls = p->f.offset;
	while (ls > lo && byte_at(st, ls - 1) != '\n')
		ls--;
	if (line_end - ls < sizeof mark - 1)
		return 0;
	unsigned char buf[3 * LINE_CTX + 8192];
	size_t n = (size_t)(line_end - ls);
	if (n > sizeof buf)
		return 0;
	copy_range(st, ls, line_end, buf);
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
			if (byte_at(st, q) == '\n') {
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

static long b64_decode_run(const unsigned char *s, size_t n, unsigned char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0;
	long m = 0;
	for (size_t i = 0; i < n && s[i] != '=' && s[i]; i++) {
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
			add_pending(st, r, in->job->bytes + (at - in->job->start), at, len, f->validated);
			struct pending *p = st->npend ? &st->pend[st->npend - 1] : NULL;
			if (p && p->rule == r && p->f.offset == at) {
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
	while (end < limit && is_b64((unsigned char)byte_at(st, end)))
		end++;
	if (end == limit && limit < j->seen + DECODE_MAX && !closing)
		return 0;
	uint64_t lo = j->seen > st->db->holdback ? j->seen - st->db->holdback : 0;
	if (lo < oldest_available(st))
		lo = oldest_available(st);
	uint64_t start = j->seen;
	while (start > lo && is_b64((unsigned char)byte_at(st, start - 1)))
		start--;
	j->start = start;
	j->exact = start > lo || start == 0;
	j->len = (size_t)(end - start);
	j->bytes = xmalloc(j->len + 1);
	copy_range(st, start, end, j->bytes);
	return 1;
}

static void decode_job(struct scan_stream *st, struct decode_job *j)
{
	unsigned char *out = xmalloc(j->len + 1);
	/* Where the run's start was not seen, every alignment is tried. */
	for (size_t skip = 0; skip < (j->exact ? 1u : 4u) && skip < j->len; skip++) {
		long n = b64_decode_run(j->bytes + skip, (j->len - skip) / 4 * 4 + ((j->len - skip) % 4 ? 4 : 0),
		                        out);
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

static void run_jobs(struct scan_stream *st, int closing)
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

struct scan_stream *scan_stream_open(const struct scan_db *db, scan_finding_fn cb, void *ctx)
{
	if (scratch_for(db) < 0)
		return NULL;
	/* One allocation; only the header is cleared (a file scan opens one stream per file). */
	struct scan_stream *st = xmalloc(sizeof *st + db->hist + db->holdback + 1);
	memset(st, 0, offsetof(struct scan_stream, jobs));
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
	if (st->failed)
		return -1;
	if (len == 0)
		return st->stopped;
	st->chunk = buf;
	st->chunk_len = len;
	st->lc_pos = st->total;
	st->lc_lines = st->lines;
	st->lc_start = st->line_start;
	if (hs_scan_stream(st->hs, buf, (unsigned)len, 0, tls_scratch, on_match, st) != HS_SUCCESS) {
		st->failed = 1;
		return -1;
	}
	run_jobs(st, 0);
	resolve(st, 0);
	uint64_t end = st->total + len;
	release_upto(st, end > st->db->holdback ? end - st->db->holdback : 0);
	advance(st);
	return st->stopped;
}

static void stream_free(struct scan_stream *st)
{
	free(st);
}

int scan_stream_close(struct scan_stream *st)
{
	int rc = 0;
	if (hs_close_stream(st->hs, tls_scratch, st->failed ? NULL : on_match, st) != HS_SUCCESS)
		st->failed = 1;
	run_jobs(st, 1);
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
	const unsigned char *p = buf;
	/* Vectorscan takes at most 4 GiB per call. */
	while (len) {
		size_t n = len > (1u << 30) ? (1u << 30) : len;
		int rc = scan_stream_feed(st, p, n);
		if (rc) {
			if (rc < 0) {
				scan_stream_abort(st);
				return -1;
			}
			break;
		}
		p += n;
		len -= n;
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
