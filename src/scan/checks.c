/*
 * Offline checks that cut false positives without asking anyone: token checksums, Shannon
 * entropy, and the placeholder allowlist. A look-alike with a wrong checksum is not a secret.
 */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "scan/rules.h"

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

uint32_t scan_crc32(const void *buf, size_t len)
{
	static int ready;
	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
		crc_init(); /* idempotent: racing threads write the same table */
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	}
	const unsigned char *p = buf;
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < len; i++)
		c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

double scan_entropy(const unsigned char *s, size_t len)
{
	if (len == 0)
		return 0;
	unsigned count[256] = {0};
	for (size_t i = 0; i < len; i++)
		count[s[i]]++;
	double h = 0;
	for (int c = 0; c < 256; c++) {
		if (!count[c])
			continue;
		double p = (double)count[c] / (double)len;
		h -= p * log2(p);
	}
	return h;
}

static void encode_base(uint32_t v, char *out, size_t width, const char *digits, unsigned base)
{
	for (size_t i = width; i-- > 0;) {
		out[i] = digits[v % base];
		v /= base;
	}
}

void scan_base62(uint32_t v, char *out, size_t width)
{
	encode_base(v, out, width,
	            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 62);
}

void scan_base36(uint32_t v, char *out, size_t width)
{
	encode_base(v, out, width, "0123456789abcdefghijklmnopqrstuvwxyz", 36);
}

/* GitHub classic and npm tokens: PREFIX_ + 30 random + 6 base62 of the random part's CRC32. */
static int check_crc32_base62(const unsigned char *s, size_t len)
{
	const unsigned char *us = memchr(s, '_', len);
	if (!us)
		return -1;
	const unsigned char *body = us + 1;
	size_t n = len - (size_t)(body - s);
	if (n != 36)
		return -1;
	char want[6];
	scan_base62(scan_crc32(body, 30), want, 6);
	return memcmp(want, body + 30, 6) ? -1 : 1;
}

/* GitLab routable tokens end in ".VV.LLCCCCCCC": CCCCCCC is base36 of the CRC32 of every byte
 * before it. Legacy 20-character tokens carry no checksum and pass unvalidated. */
static int check_gitlab_routable(const unsigned char *s, size_t len)
{
	const unsigned char *dot = memchr(s, '.', len);
	if (!dot)
		return 0;
	if (len < 7 + 1)
		return -1;
	char want[7];
	scan_base36(scan_crc32(s, len - 7), want, 7);
	return strncasecmp(want, (const char *)s + len - 7, 7) ? -1 : 1;
}

static uint32_t bech32_polymod(const unsigned char *v, size_t n)
{
	static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
	uint32_t chk = 1;
	for (size_t i = 0; i < n; i++) {
		uint32_t top = chk >> 25;
		chk = ((chk & 0x1ffffff) << 5) ^ v[i];
		for (int j = 0; j < 5; j++)
			if ((top >> j) & 1)
				chk ^= gen[j];
	}
	return chk;
}

int scan_bech32_verify(const char *s, size_t len)
{
	static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	if (len < 8 || len > 128)
		return 0;
	size_t sep = len;
	while (sep > 0 && s[sep - 1] != '1')
		sep--;
	if (sep < 2 || len - sep < 6)
		return 0;
	size_t hrp = sep - 1;
	unsigned char v[2 * 128 + 1];
	size_t n = 0;
	for (size_t i = 0; i < hrp; i++)
		v[n++] = (unsigned char)((s[i] | 0x20) >> 5);
	v[n++] = 0;
	for (size_t i = 0; i < hrp; i++)
		v[n++] = (unsigned char)((s[i] | 0x20) & 31);
	for (size_t i = sep; i < len; i++) {
		const char *p = strchr(charset, s[i] | 0x20);
		if (!p || !*p)
			return 0;
		v[n++] = (unsigned char)(p - charset);
	}
	return bech32_polymod(v, n) == 1;
}

static int strncasecmp_in(const unsigned char *s, size_t len, const char *word)
{
	size_t m = strlen(word);
	for (size_t j = 0; j + m <= len; j++)
		if (!strncasecmp((const char *)s + j, word, m))
			return 1;
	return 0;
}

/* Decodes standard or URL-safe base64, ignoring padding; returns the decoded length or -1. */
static long b64_decode(const unsigned char *s, size_t len, unsigned char *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		int c = s[i], v;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else if (c == '=')
			break;
		else
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return (long)n;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)n;
}

/* "client-value-12", "user.name.v2": lowercase words and short numbers joined by separators
 * are identifiers and labels, not credentials. */
static int wordy(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t j = i, alpha = 0, digit = 0, upper = 0;
		while (j < len && s[j] != '-' && s[j] != '_' && s[j] != '.') {
			alpha += s[j] >= 'a' && s[j] <= 'z';
			upper += s[j] >= 'A' && s[j] <= 'Z';
			digit += s[j] >= '0' && s[j] <= '9';
			j++;
		}
		size_t n = j - i;
		int word = n == alpha && n <= 12;
		int num = n == digit && n <= 4;
		if (n && !word && !num && !(upper == 1 && alpha + 1 == n && s[i] >= 'A' && s[i] <= 'Z'))
			return 0;
		i = j + 1;
	}
	return 1;
}

/* "/usr/local/etc/app.conf": slashes between plain name characters. */
static int looks_like_path(const unsigned char *s, size_t len)
{
	size_t slashes = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (c == '/')
			slashes++;
		else if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9') &&
		         c != '_' && c != '.' && c != '-')
			return 0;
	}
	return slashes >= 2;
}

/* "exports.TOKEN", "self.config.api_key2": a path of identifiers is code, not a value. */
static int identifier_path(const unsigned char *s, size_t len)
{
	if (!memchr(s, '.', len))
		return 0;
	size_t seg = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (c == '.') {
			if (seg == 0)
				return 0;
			seg = 0;
			continue;
		}
		int alpha = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
		if (seg == 0 && !alpha && c != '_' && c != '$')
			return 0;
		if (!alpha && !(c >= '0' && c <= '9') && c != '_' && c != '$')
			return 0;
		seg++;
	}
	return seg > 0;
}

/* Free-form values next to a secret-sounding name are mostly code: variable references,
 * paths, URLs, environment variable names, words. A credential mixes letters and digits. */
static int check_generic(const unsigned char *s, size_t len)
{
	int digit = 0, alpha = 0, lower = 0;
	for (size_t i = 0; i < len; i++) {
		digit |= s[i] >= '0' && s[i] <= '9';
		alpha |= (s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z';
		lower |= s[i] >= 'a' && s[i] <= 'z';
	}
	if (!digit || !alpha)
		return -1;
	if (s[0] == '$' || s[0] == '%' || s[0] == '.' || s[0] == '~' || s[0] == '@')
		return -1;
	if (s[0] == '/' && looks_like_path(s, len))
		return -1;
	if (memmem(s, len, "://", 3))
		return -1;
	if (!lower && memchr(s, '_', len))
		return -1; /* an environment variable's name, not its value */
	if (wordy(s, len) || identifier_path(s, len))
		return -1;
	return 0;
}

static int check_basic(const unsigned char *s, size_t len)
{
	unsigned char out[160];
	long n = b64_decode(s, len, out, sizeof out);
	if (n < 3)
		return -1;
	const unsigned char *colon = memchr(out, ':', (size_t)n);
	if (!colon || colon == out || colon == out + n - 1)
		return -1;
	for (long i = 0; i < n; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			return -1;
	return 0;
}

static int check_jwt(const unsigned char *s, size_t len)
{
	const unsigned char *dot = memchr(s, '.', len);
	if (!dot)
		return -1;
	unsigned char out[512];
	long n = b64_decode(s, (size_t)(dot - s), out, sizeof out);
	if (n < 2 || out[0] != '{')
		return -1;
	return memmem(out, (size_t)n, "\"alg\"", 5) ? 0 : -1;
}

int scan_check_run(enum scan_check check, const unsigned char *s, size_t len)
{
	switch (check) {
	case CHECK_NONE:
		return 0;
	case CHECK_CRC32_BASE62:
		return check_crc32_base62(s, len);
	case CHECK_GITLAB_ROUTABLE:
		return check_gitlab_routable(s, len);
	case CHECK_AGE_BECH32:
		return scan_bech32_verify((const char *)s, len) ? 1 : -1;
	case CHECK_SUFFIX_AA:
		return len > 2 && s[len - 2] == 'A' && s[len - 1] == 'A' ? 0 : -1;
	case CHECK_OPENAI_MARKER:
		return memmem(s, len, "T3BlbkFJ", 8) ? 0 : -1;
	case CHECK_DB_PASSWORD: {
		/* templates: {password}, "PASSWORD", $PASSWORD */
		if (memchr(s, '{', len) || memchr(s, '"', len) || strncasecmp_in(s, len, "password"))
			return -1;
		static const char *const weak[] = {"password", "pass", "passwd", "secret", "pwd",
		                                   "user", "root", "admin", "postgres", "mysql",
		                                   "qwerty", "test", "guest"};
		for (size_t i = 0; i < sizeof weak / sizeof *weak; i++)
			if (strlen(weak[i]) == len && !strncasecmp(weak[i], (const char *)s, len))
				return -1;
		return 0;
	}
	case CHECK_GENERIC:
		return check_generic(s, len);
	case CHECK_BASIC:
		return check_basic(s, len);
	case CHECK_JWT:
		return check_jwt(s, len);
	}
	return 0;
}

/* Values people write in documentation and templates, never real credentials. */
int scan_is_placeholder(const unsigned char *s, size_t len)
{
	/* Published examples everyone copies: RFC 6749's tokens and client credentials, the
	 * jwt.io and PyJWT sample tokens. */
	static const char *const famous[] = {
		"2YotnFZFEjr1zCsicMWpAA", "tGzv3JOkF0XG5Qx2TlKWIA", "SplxlOBeZQQYbYS6WxSbIA",
		"czZCaGRSa3F0MzpnWDFmQmF0M2JW", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
		"4twFt5NiznN84AWoo1d7KO1T_yoc0Z6XOpOVswacPZg", "bm90IG15IHJlYWwgcGFzc3dvcmQ",
	};
	for (size_t i = 0; i < sizeof famous / sizeof *famous; i++)
		if (memmem(s, len, famous[i], strlen(famous[i])))
			return 1;
	static const char *const marks[] = {
		"example", "****", "placeholder", "changeme", "change_me", "change-me",
		"dummy", "redacted", "your_", "your-", "yourkey", "yourtoken", "yoursecret",
		"insert_", "replace_me", "replaceme", "_here", "-here", "notreal", "not_real",
		"12345678", "abcdefgh", "${", "{{", "<", ">", "...", "$(",
	};
	/* Case matters here: "XxXx" occurs in random tokens, "xxxx" is someone's placeholder. */
	if (memmem(s, len, "xxxx", 4) || memmem(s, len, "XXXX", 4) || memmem(s, len, "%s", 2))
		return 1;
	for (size_t i = 0; i < sizeof marks / sizeof *marks; i++) {
		size_t m = strlen(marks[i]);
		if (m > len)
			continue;
		for (size_t j = 0; j + m <= len; j++)
			if (!strncasecmp((const char *)s + j, marks[i], m))
				return 1;
	}
	return 0;
}
