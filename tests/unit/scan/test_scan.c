/* Unit tests of the scanning engine: rules, checks, streaming with secrets split across chunks,
 * blocking mode (hold-back and release), allowlists and known values. Every token here is built
 * at run time, so that no scanner flags this source file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "scan/rules.h"
#include "scan/scan.h"

#define MAXF 64

struct found {
	size_t n;
	struct scan_finding f[MAXF];
	int stop_on_first;
};

static int collect(const struct scan_finding *f, void *ctx)
{
	struct found *fs = ctx;
	if (fs->n < MAXF)
		fs->f[fs->n++] = *f;
	return fs->stop_on_first;
}

static const struct scan_db *db(void)
{
	const char *err = NULL;
	const struct scan_db *d = scan_db_get(&err);
	if (!d)
		fail_msg("rules do not compile: %s", err);
	return d;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void rand_chars(char *out, size_t n, const char *alphabet)
{
	size_t k = strlen(alphabet);
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[rnd((unsigned)k)];
	out[n] = 0;
}

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define B64 ALNUM "+/"

/* PREFIX + 30 random + base62(crc32(random)), as GitHub and npm issue them. */
static void make_crc_token(char *out, const char *prefix, int corrupt)
{
	size_t p = strlen(prefix);
	memcpy(out, prefix, p);
	rand_chars(out + p, 30, ALNUM);
	scan_base62(scan_crc32(out + p, 30), out + p + 30, 6);
	if (corrupt)
		out[p + 35] = out[p + 35] == 'A' ? 'B' : 'A';
	out[p + 36] = 0;
}

static char up(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
}

/* A well-formed age secret key: bech32 with the "age-secret-key-" prefix, upper case. */
static void make_age_key(char *out, int corrupt)
{
	static const char cs[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
	const char *hrp = "age-secret-key-";
	unsigned char v[128], data[52];
	size_t n = 0, h = strlen(hrp);
	for (size_t i = 0; i < h; i++)
		v[n++] = (unsigned char)(hrp[i] >> 5);
	v[n++] = 0;
	for (size_t i = 0; i < h; i++)
		v[n++] = hrp[i] & 31;
	for (int i = 0; i < 52; i++)
		v[n++] = data[i] = (unsigned char)rnd(32);
	for (int i = 0; i < 6; i++)
		v[n++] = 0;
	uint32_t chk = 1;
	for (size_t i = 0; i < n; i++) {
		uint32_t top = chk >> 25;
		chk = ((chk & 0x1ffffff) << 5) ^ v[i];
		for (int j = 0; j < 5; j++)
			if ((top >> j) & 1)
				chk ^= gen[j];
	}
	chk ^= 1;
	if (corrupt)
		chk ^= 1u << 7;
	char *o = out + sprintf(out, "AGE-SECRET-KEY-1");
	for (int i = 0; i < 52; i++)
		*o++ = up(cs[data[i]]);
	for (int i = 0; i < 6; i++)
		*o++ = up(cs[(chk >> (5 * (5 - i))) & 31]);
	*o = 0;
}

static size_t scan_str(const char *s, struct found *fs)
{
	memset(fs, 0, sizeof *fs);
	assert_int_equal(scan_buffer(db(), s, strlen(s), collect, fs), 0);
	return fs->n;
}

static const struct scan_finding *find_rule(const struct found *fs, const char *id)
{
	for (size_t i = 0; i < fs->n; i++)
		if (!strcmp(fs->f[i].rule_id, id))
			return &fs->f[i];
	return NULL;
}

static void test_rules_table(void **state)
{
	(void)state;
	assert_true(scan_rule_count() >= 150);
	for (size_t i = 0; i < scan_rules_n; i++) {
		assert_non_null(scan_rules[i].id);
		assert_non_null(scan_rules[i].family);
		assert_non_null(scan_rules[i].description);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(scan_rules[i].id, scan_rules[j].id))
				fail_msg("duplicate rule id %s", scan_rules[i].id);
	}
	char *err = NULL;
	if (scan_rules_selftest(&err))
		fail_msg("%s", err);
	/* Compiling proves every rule bounded (the engine refuses unbounded ones). */
	const struct scan_db *d = db();
	assert_true(scan_db_holdback(d) <= 4096);
	assert_true(scan_db_stream_size(d) < 64 * 1024);
}

static void test_checks(void **state)
{
	(void)state;
	assert_int_equal(scan_crc32("123456789", 9), 0xCBF43926u);
	char b[8] = {0};
	scan_base62(61, b, 3);
	assert_string_equal(b, "00z");
	assert_true(scan_entropy((const unsigned char *)"aaaaaaaa", 8) < 0.01);
	assert_true(scan_entropy((const unsigned char *)"abcdefgh", 8) > 2.99);
	char age[80];
	make_age_key(age, 0);
	assert_true(scan_bech32_verify(age, strlen(age)));
	make_age_key(age, 1);
	assert_false(scan_bech32_verify(age, strlen(age)));
	assert_true(scan_is_placeholder((const unsigned char *)"AKIAIOSFODNN7EXAMPLE", 20));
	assert_false(scan_is_placeholder((const unsigned char *)"Zq81LmPw0RtY", 12));
}

static void test_github_checksum(void **state)
{
	(void)state;
	char tok[64], text[256];
	struct found fs;
	make_crc_token(tok, "gh" "p_", 0);
	snprintf(text, sizeof text, "token: \"%s\"\n", tok);
	assert_int_equal(scan_str(text, &fs), 1);
	assert_string_equal(fs.f[0].rule_id, "github-pat");
	assert_true(fs.f[0].validated);
	assert_int_equal(fs.f[0].line, 1);
	assert_int_equal(fs.f[0].col, 9);
	assert_int_equal(fs.f[0].length, 40);
	/* The preview never holds the secret. */
	assert_null(strstr(fs.f[0].preview, tok + 8));

	make_crc_token(tok, "gh" "p_", 1);
	snprintf(text, sizeof text, "token: \"%s\"\n", tok);
	assert_int_equal(scan_str(text, &fs), 0);

	make_crc_token(tok, "np" "m_", 0);
	snprintf(text, sizeof text, "//registry.npmjs.org/:_authToken=%s\n", tok);
	scan_str(text, &fs);
	const struct scan_finding *f = find_rule(&fs, "npm-token");
	assert_non_null(f);
	assert_true(f->validated);
	/* The keyword rule over the same bytes yields to the specific one. */
	assert_null(find_rule(&fs, "npmrc-auth-token"));
}

static void test_age_and_markers(void **state)
{
	(void)state;
	char key[80], text[256], body[128];
	struct found fs;
	make_age_key(key, 0);
	snprintf(text, sizeof text, "# created: 2024\n%s\n", key);
	scan_str(text, &fs);
	assert_non_null(find_rule(&fs, "age-secret-key"));
	make_age_key(key, 1);
	snprintf(text, sizeof text, "# created: 2024\n%s\n", key);
	assert_int_equal(scan_str(text, &fs), 0);

	rand_chars(body, 91, ALNUM "_-");
	snprintf(text, sizeof text, "ANTHROPIC_API_KEY=sk-ant-" "api03-%sAA\n", body);
	scan_str(text, &fs);
	assert_non_null(find_rule(&fs, "anthropic-api-key"));
	snprintf(text, sizeof text, "ANTHROPIC_API_KEY=sk-ant-" "api03-%sQx\n", body);
	scan_str(text, &fs);
	assert_null(find_rule(&fs, "anthropic-api-key"));
}

static void test_placeholders_and_allow(void **state)
{
	(void)state;
	char tok[64], text[256];
	struct found fs;
	assert_int_equal(scan_str("aws_access_key_id = AKIA" "IOSFODNN7EXAMPLE\n", &fs), 0);
	assert_int_equal(scan_str("token = \"gh" "p_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n", &fs), 0);
	make_crc_token(tok, "gh" "p_", 0);
	snprintf(text, sizeof text, "t = \"%s\" # brig:allow\nu = \"%s\"\n", tok, tok);
	assert_int_equal(scan_str(text, &fs), 1);
	assert_int_equal(fs.f[0].line, 2);
}

struct thread_job {
	struct scan_stream *st;
	const char *text;
	int rc;
};

static void *feed_in_thread(void *arg)
{
	struct thread_job *j = arg;
	j->rc = scan_stream_feed(j->st, j->text, strlen(j->text));
	if (j->rc == 0)
		j->rc = scan_stream_close(j->st);
	return NULL;
}

/* A stream opened on one thread and fed on another: that thread gets its own scratch space. */
static void test_other_thread(void **state)
{
	(void)state;
	char tok[64], text[128];
	make_crc_token(tok, "gh" "p_", 0);
	snprintf(text, sizeof text, "token: %s\n", tok);
	struct found fs = {0};
	struct thread_job j = {scan_stream_open(db(), collect, &fs), text, -1};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, feed_in_thread, &j), 0);
	pthread_join(th, NULL);
	assert_int_equal(j.rc, 0);
	assert_int_equal(fs.n, 1);
}

/* Many findings in one chunk: each still waits for its line, so brig:allow works for all. */
static void test_many_findings_one_chunk(void **state)
{
	(void)state;
	char *doc = malloc(60 * 80), tok[64];
	size_t n = 0, allowed = 0;
	for (int i = 0; i < 60; i++) {
		make_crc_token(tok, "gh" "p_", 0);
		n += (size_t)sprintf(doc + n, "t%d = \"%s\"%s\n", i, tok, i % 3 ? "" : " # brig:allow");
		allowed += i % 3 == 0;
	}
	struct found fs = {0};
	assert_int_equal(scan_buffer(db(), doc, n, collect, &fs), 0);
	assert_int_equal(fs.n, 60 - allowed);
	for (size_t i = 0; i < fs.n; i++)
		assert_true(fs.f[i].line % 3 != 1);
	free(doc);
}

/* A document holding one secret of many kinds. */
static char *build_doc(void)
{
	char gh[64], npm[64], age[80], aws[48], pem[80], slack[32], pw[24], jwt3[40], fg1[32], fg2[64];
	make_crc_token(gh, "gh" "p_", 0);
	make_crc_token(npm, "np" "m_", 0);
	make_age_key(age, 0);
	rand_chars(aws, 40, B64);
	rand_chars(pem, 64, B64);
	rand_chars(slack, 24, ALNUM);
	rand_chars(pw, 18, ALNUM);
	rand_chars(jwt3, 32, ALNUM "_-");
	rand_chars(fg1, 22, ALNUM);
	rand_chars(fg2, 59, ALNUM);
	char *doc = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&doc, &len);
	fprintf(f, "{\n  \"github\": \"%s\",\n", gh);
	fprintf(f, "  \"fine\": \"github_" "pat_%s_%s\"\n}\n", fg1, fg2);
	fprintf(f, "[default]\naws_access_key_id = AKIA" "Q3EGRIUDQ7WFNM2Z\naws_secret_access_key = %s\n", aws);
	fprintf(f, "-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----\n", pem);
	fprintf(f, "SLACK=xo" "xb-2948571036-3850174926315-%s\n", slack);
	fprintf(f, "DATABASE_URL=postgres://app:%s@db.internal:5432/app\n", pw);
	fprintf(f, "auth: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.%s\n",
	        jwt3);
	fprintf(f, "npm: %s\n%s", npm, age); /* the last token ends the stream: no byte after it */
	fclose(f);
	return doc;
}

static void feed_chunked(const char *doc, size_t chunk, struct found *fs)
{
	memset(fs, 0, sizeof *fs);
	struct scan_stream *st = scan_stream_open(db(), collect, fs);
	assert_non_null(st);
	size_t len = strlen(doc);
	for (size_t off = 0; off < len; off += chunk)
		assert_int_equal(scan_stream_feed(st, doc + off, len - off < chunk ? len - off : chunk), 0);
	assert_int_equal(scan_stream_close(st), 0);
}

static int same_finding(const struct scan_finding *a, const struct scan_finding *b)
{
	return !strcmp(a->rule_id, b->rule_id) && a->encoding == b->encoding && a->offset == b->offset && a->length == b->length &&
	       a->line == b->line && a->col == b->col && a->validated == b->validated &&
	       !strcmp(a->preview, b->preview);
}

static void test_split_across_chunks(void **state)
{
	(void)state;
	char *doc = build_doc();
	struct found whole, part;
	feed_chunked(doc, strlen(doc), &whole);
	static const char *const want[] = {"github-pat", "github-fine-grained-pat", "aws-access-key-id",
	                                   "aws-secret-access-key", "private-key-rsa", "slack-bot-token",
	                                   "postgres-url", "jwt", "npm-token", "age-secret-key"};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		if (!find_rule(&whole, want[i]))
			fail_msg("%s not found in the whole document", want[i]);
	assert_int_equal(whole.n, sizeof want / sizeof *want);
	static const size_t sizes[] = {1, 2, 3, 5, 7, 13, 64, 100, 1000};
	for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
		feed_chunked(doc, sizes[s], &part);
		if (part.n != whole.n)
			fail_msg("chunk size %zu: %zu findings, whole: %zu", sizes[s], part.n, whole.n);
		for (size_t i = 0; i < whole.n; i++) {
			int ok = 0;
			for (size_t j = 0; j < part.n && !ok; j++)
				ok = same_finding(&whole.f[i], &part.f[j]);
			if (!ok)
				fail_msg("chunk size %zu: %s differs", sizes[s], whole.f[i].rule_id);
		}
	}
	/* Every split point of one token, two chunks each. */
	char tok[64], text[128];
	make_crc_token(tok, "gh" "p_", 0);
	int n = snprintf(text, sizeof text, "x=%s;", tok);
	for (int cut = 0; cut <= n; cut++) {
		struct found fs = {0};
		struct scan_stream *st = scan_stream_open(db(), collect, &fs);
		scan_stream_feed(st, text, (size_t)cut);
		scan_stream_feed(st, text + cut, (size_t)(n - cut));
		scan_stream_close(st);
		if (fs.n != 1 || fs.f[0].offset != 2)
			fail_msg("split at %d: %zu findings", cut, fs.n);
	}
	free(doc);
}

struct sink {
	char *buf;
	size_t len, cap;
};

static void on_release(const unsigned char *p, size_t n, void *ctx)
{
	struct sink *s = ctx;
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->buf = realloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void blocking_run(const char *doc, size_t chunk, int trip, struct sink *out, struct found *fs)
{
	memset(fs, 0, sizeof *fs);
	fs->stop_on_first = trip;
	memset(out, 0, sizeof *out);
	struct scan_stream *st = scan_stream_open(db(), collect, fs);
	scan_stream_hold(st, on_release, out);
	size_t len = strlen(doc);
	for (size_t off = 0; off < len; off += chunk) {
		int rc = scan_stream_feed(st, doc + off, len - off < chunk ? len - off : chunk);
		assert_true(rc == 0 || (trip && rc == 1));
		/* Nothing past the hold-back window is ever kept. */
		size_t fed = off + (len - off < chunk ? len - off : chunk);
		if (!fs->n)
			assert_true(out->len + scan_db_holdback(db()) + 256 + 64 >= fed);
	}
	scan_stream_close(st);
}

static void test_blocking_mode(void **state)
{
	(void)state;
	char *doc = build_doc();
	struct sink out;
	struct found fs;
	static const size_t sizes[] = {1, 3, 17, 4096, 1 << 20};
	for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
		/* Not tripped: everything comes out, in order, exactly once. */
		blocking_run(doc, sizes[s], 0, &out, &fs);
		assert_int_equal(out.len, strlen(doc));
		assert_memory_equal(out.buf, doc, out.len);
		free(out.buf);
		/* Tripped at the first finding: no byte of that secret was released. */
		blocking_run(doc, sizes[s], 1, &out, &fs);
		assert_true(fs.n >= 1);
		if (out.len > fs.f[0].offset)
			fail_msg("chunk %zu: released %zu bytes, secret at %llu", sizes[s], out.len,
			         (unsigned long long)fs.f[0].offset);
		free(out.buf);
	}
	free(doc);
}

static void test_known_values(void **state)
{
	(void)state;
	const char *vals[] = {"hunter2-correct horse/battery"};
	size_t lens[] = {strlen(vals[0])};
	char *err = NULL;
	struct scan_db *kdb = scan_db_new_known(vals, lens, 1, &err);
	assert_non_null(kdb);
	const char *texts[] = {
		"pw=hunter2-correct horse/battery\n",
		/* base64 of "x" + value, "xy" + value, value: every alignment */
		"aHVudGVyMi1jb3JyZWN0IGhvcnNlL2JhdHRlcnk=\n",
		"eGh1bnRlcjItY29ycmVjdCBob3JzZS9iYXR0ZXJ5\n",
		"eHlodW50ZXIyLWNvcnJlY3QgaG9yc2UvYmF0dGVyeQ==\n",
		"68756e746572322d636f727265637420686f7273652f62617474657279\n",
		"q=hunter2-correct%20horse%2Fbattery&x=1\n",
	};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		struct found fs = {0};
		assert_int_equal(scan_buffer(kdb, texts[i], strlen(texts[i]), collect, &fs), 0);
		if (fs.n < 1 || strncmp(fs.f[0].rule_id, "known-value", 11))
			fail_msg("known value not found in form %zu", i);
		assert_true(fs.f[0].validated);
	}
	scan_db_free(kdb);
	const char *shortv[] = {"abc"};
	size_t shortl[] = {3};
	assert_null(scan_db_new_known(shortv, shortl, 1, &err));
	assert_non_null(err);
	free(err);
}

static void test_hard_negatives(void **state)
{
	(void)state;
	struct found fs;
	const char *neg =
		"\"integrity\": \"sha512-3J9Qz3YjK8m0dGv2N4w8Qk9cX1rT5bB6yH7uL0pA2sD4fG6hJ8kL0zX2cV4bN6mQ8wE==\",\n"
		"commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
		"id: 123e4567-e89b-12d3-a456-426614174000\n"
		"sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
		"img: data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\n"
		"password = getenv(\"PASSWORD\")\n"
		"token = self.token_provider.current()\n"
		"secret_key = settings.SECRET_KEY\n"
		"exports2.TOKEN = exports2.STRICT_TOKEN = exports2.HEX;\n"
		"  _i2d_RSAPrivateKey: Ti2d_RSAPrivateKey = nil;\n"
		"  Config.TokenURL:=DefTOKENURLV2;\n"
		"\tmachine HOSTNAME login USERID password \"PASSWORD\"\n"
		"machine {host} login {user} password {self.password}\n"
		"Location: http://example.com/cb#access_token=2YotnFZFEjr1zCsicMWpAA\n";
	assert_int_equal(scan_str(neg, &fs), 0);
}

static void test_binaryish_input(void **state)
{
	(void)state;
	/* NUL bytes and long runs of the base64 alphabet must neither crash nor match. */
	size_t n = 200000;
	char *buf = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		buf[i] = i % 997 == 0 ? 0 : B64[rnd(64)];
	buf[n] = 0;
	struct found fs = {0};
	assert_int_equal(scan_buffer(db(), buf, n, collect, &fs), 0);
	free(buf);
}

static void b64(const char *in, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = abc[v >> 18];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = i + 1 < n ? abc[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? abc[v & 63] : '=';
	}
	out[o] = 0;
}

/* Random documents with planted tokens, plain and base64: random chunking must find exactly
 * what one buffer finds, and blocking mode must release every byte once, in order. */
static void test_random_chunking(void **state)
{
	(void)state;
	static const char noise[] = ALNUM "+/=_-.:\"' \t\n\n\n{}[]()<>,;";
	for (int round = 0; round < 12; round++) {
		size_t cap = 30000, n = 0;
		char *doc = malloc(cap + 200);
		while (n < cap) {
			if (rnd(600) == 0) {
				char tok[64], enc[96];
				make_crc_token(tok, rnd(2) ? "gh" "p_" : "np" "m_", rnd(4) == 0);
				if (rnd(3) == 0) { /* some hidden in base64 */
					b64(tok, enc);
					n += (size_t)sprintf(doc + n, " %s\n", enc);
				} else {
					n += (size_t)sprintf(doc + n, " %s\n", tok);
				}
			} else {
				doc[n++] = rnd(500) == 0 ? 0 : noise[rnd(sizeof noise - 1)];
			}
		}
		struct found whole = {0}, part = {0};
		assert_int_equal(scan_buffer(db(), doc, n, collect, &whole), 0);
		struct scan_stream *st = scan_stream_open(db(), collect, &part);
		struct sink out = {0};
		scan_stream_hold(st, on_release, &out);
		for (size_t off = 0; off < n;) {
			size_t k = 1 + rnd(round % 3 == 0 ? 3 : 700);
			if (k > n - off)
				k = n - off;
			assert_int_equal(scan_stream_feed(st, doc + off, k), 0);
			off += k;
		}
		assert_int_equal(scan_stream_close(st), 0);
		assert_true(whole.n > 10 && whole.n < MAXF);
		assert_int_equal(part.n, whole.n);
		for (size_t i = 0; i < whole.n; i++) {
			int ok = 0;
			for (size_t j = 0; j < part.n && !ok; j++)
				ok = same_finding(&whole.f[i], &part.f[j]);
			assert_true(ok);
		}
		assert_int_equal(out.len, n);
		assert_memory_equal(out.buf, doc, n);
		free(out.buf);
		free(doc);
	}
}

/* Tokens inside base64 (a Kubernetes Secret, an encoded JSON config) are decoded and found,
 * whatever the chunking; encoded look-alikes and plain base64 are not. */
static void test_base64_decoding(void **state)
{
	(void)state;
	char gh[64], npm[64], bad[64], json[256], e1[128], e2[512], e3[128], doc[1024];
	make_crc_token(gh, "gh" "p_", 0);
	make_crc_token(npm, "np" "m_", 0);
	make_crc_token(bad, "gh" "p_", 1);
	snprintf(json, sizeof json, "{\"registry\":\"https://r.example\",\"token\":\"%s\",\"x\":1}", npm);
	b64(gh, e1);
	b64(json, e2);
	b64(bad, e3);
	snprintf(doc, sizeof doc, "kind: Secret\ndata:\n  gh: %s\n  cfg: %s\n  old: %s\n", e1, e2, e3);
	struct found whole = {0};
	feed_chunked(doc, strlen(doc), &whole);
	assert_int_equal(whole.n, 2);
	const struct scan_finding *f = find_rule(&whole, "github-pat");
	assert_non_null(f);
	assert_int_equal(f->line, 3);
	assert_int_equal(f->col, 7);
	assert_true(f->validated);
	assert_string_equal(f->encoding, "base64");
	f = find_rule(&whole, "npm-token");
	assert_non_null(f);
	assert_int_equal(f->line, 4);
	static const size_t sizes[] = {1, 2, 5, 64};
	for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
		struct found part;
		feed_chunked(doc, sizes[s], &part);
		assert_int_equal(part.n, whole.n);
		for (size_t i = 0; i < whole.n; i++) {
			int ok = 0;
			for (size_t j = 0; j < part.n && !ok; j++)
				ok = same_finding(&whole.f[i], &part.f[j]);
			assert_true(ok);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_table),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_github_checksum),
		cmocka_unit_test(test_age_and_markers),
		cmocka_unit_test(test_placeholders_and_allow),
		cmocka_unit_test(test_many_findings_one_chunk),
		cmocka_unit_test(test_other_thread),
		cmocka_unit_test(test_split_across_chunks),
		cmocka_unit_test(test_blocking_mode),
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_hard_negatives),
		cmocka_unit_test(test_binaryish_input),
		cmocka_unit_test(test_random_chunking),
		cmocka_unit_test(test_base64_decoding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
