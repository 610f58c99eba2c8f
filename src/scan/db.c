/*
 * The compiled rule database: Vectorscan expressions and capture regexes from the rule table,
 * known secret values in their encodings, the base64 decoder's prefixes, and the on-disk cache
 * `brig scan` uses.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan/engine.h"
#include "util/xalloc.h"

static uint64_t db_serial_next;

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

const struct scan_rule scan_decoder_rule = {.id = "base64-run", .family = "encoded",
                                            .description = "base64 text that may hold a token"};
#define B64_CLASS "A-Za-z0-9+/"

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

int scan_capture_ready(struct scan_db *db, struct rule_rt *rt)
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
size_t scan_b64_stable(const unsigned char *v, size_t n, unsigned align, int url, char *out)
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
			size_t m = scan_b64_stable(v, n, a, url, buf);
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
			size_t m = scan_b64_stable((const unsigned char *)prefix, n, a, 0, enc);
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
		kinds[(*nk)++] = &scan_decoder_rule;
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

/* File: magic, key, rule count, CRC32 of the rest, each rule's window, Vectorscan's bytes. */
#define CACHE_MAGIC "BRIGSCN2"
#define CACHE_HEAD 20

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
	size_t head = CACHE_HEAD + 4 * db->n;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 022) || sb.st_size < (off_t)head || sb.st_size > (64 << 20))
		goto out;
	buf = xmalloc((size_t)sb.st_size);
	if (read(fd, buf, (size_t)sb.st_size) != sb.st_size)
		goto out;
	uint32_t hk, hn, crc;
	memcpy(&hk, buf + 8, 4);
	memcpy(&hn, buf + 12, 4);
	memcpy(&crc, buf + 16, 4);
	if (memcmp(buf, CACHE_MAGIC, 8) || hk != key || hn != db->n ||
	    crc != scan_crc32(buf + CACHE_HEAD, (size_t)sb.st_size - CACHE_HEAD))
		goto out;
	for (size_t i = 0; i < db->n; i++) {
		uint32_t w;
		memcpy(&w, buf + CACHE_HEAD + 4 * i, 4);
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

/* Databases of earlier rule sets (brig upgraded, Vectorscan updated) are dead weight. */
static void cache_prune(const char *keep)
{
	DIR *d = opendir(cache_dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (strncmp(e->d_name, "scan-rules-", 11) || n < 5 || strcmp(e->d_name + n - 5, ".hsdb"))
			continue;
		char *path = xasprintf("%s/%s", cache_dir, e->d_name);
		if (strcmp(path, keep))
			unlink(path);
		free(path);
	}
	closedir(d);
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
		size_t head = CACHE_HEAD + 4 * db->n, total = head + len;
		char *file = xmalloc(total);
		uint32_t k = key, n = (uint32_t)db->n;
		memcpy(file, CACHE_MAGIC, 8);
		memcpy(file + 8, &k, 4);
		memcpy(file + 12, &n, 4);
		for (size_t i = 0; i < db->n; i++) {
			uint32_t w = db->rt[i].window;
			memcpy(file + CACHE_HEAD + 4 * i, &w, 4);
		}
		memcpy(file + head, bytes, len);
		uint32_t crc = scan_crc32(file + CACHE_HEAD, total - CACHE_HEAD);
		memcpy(file + 16, &crc, 4);
		int ok = write(fd, file, total) == (ssize_t)total;
		free(file);
		if (close(fd) == 0 && ok)
			ok = rename(tmp, path) == 0;
		if (!ok)
			unlink(tmp);
		else
			cache_prune(path);
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
		db->rt[i].has_re = r->re != NULL && r != &scan_decoder_rule;
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

size_t scan_db_stream_size(const struct scan_db *db)
{
	return db->hs_stream + sizeof(struct scan_stream) + db->hist + db->holdback + 1;
}

/* ---- streams ------------------------------------------------------------------------- */
