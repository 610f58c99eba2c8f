#include "net/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/hostrules.h"
#include "util/xalloc.h"

static bool is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Finds the end of the head: the first CRLFCRLF. A bare LF or CR anywhere before it is an
 * error (some servers accept LF alone as a line end, others do not: a smuggling vector). */
static long head_end(const char *buf, size_t len, const char **err)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			*err = "bare LF in the request head (lines must end with CRLF)";
			return -1;
		}
		if (buf[i] != '\r')
			continue;
		if (i + 1 >= len)
			return 0;
		if (buf[i + 1] != '\n') {
			*err = "bare CR in the request head";
			return -1;
		}
		if (i + 3 < len && buf[i + 2] == '\r' && buf[i + 3] == '\n')
			return (long)(i + 4);
		if (i + 2 < len && buf[i + 2] == '\r' && i + 3 >= len)
			return 0;
		i++;
	}
	return 0;
}

static int parse_authority(struct http_request *r, const char *s, size_t len, bool need_port,
			   const char **err)
{
	const char *colon = NULL;
	size_t hlen = len;
	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (!close) {
			*err = "unterminated IPv6 literal in the target";
			return -1;
		}
		hlen = (size_t)(close - s) + 1;
		if (hlen < len) {
			if (s[hlen] != ':') {
				*err = "garbage after the IPv6 literal in the target";
				return -1;
			}
			colon = s + hlen;
		}
	} else {
		colon = memchr(s, ':', len);
		if (colon)
			hlen = (size_t)(colon - s);
	}
	r->port = 0;
	if (colon) {
		const char *p = colon + 1, *end = s + len;
		if (p == end || end - p > 5) {
			*err = "bad port in the target";
			return -1;
		}
		for (; p < end; p++) {
			if (*p < '0' || *p > '9') {
				*err = "bad port in the target";
				return -1;
			}
			r->port = r->port * 10 + (*p - '0');
		}
		if (r->port < 1 || r->port > 65535) {
			*err = "port out of range in the target";
			return -1;
		}
	} else if (need_port) {
		*err = "CONNECT needs host:port";
		return -1;
	}
	unsigned char ip[16];
	int fam = ip_literal_parse(s, hlen, ip);
	if (fam) {
		size_t off = s[0] == '[', n = hlen - 2 * off;
		memcpy(r->host, s + off, n);
		r->host[n] = '\0';
		return 0;
	}
	if (host_name_normalize(s, hlen, r->host) < 0) {
		*err = "invalid host name in the target (only letters, digits, hyphens and dots)";
		return -1;
	}
	return 0;
}

static int parse_target(struct http_request *r, char *t, const char **err)
{
	size_t len = strlen(t);
	if (r->is_connect)
		return parse_authority(r, t, len, true, err);
	if (strncasecmp(t, "http://", 7)) {
		*err = strncasecmp(t, "https://", 8) ? "proxy requests need an absolute http:// URL or "
						       "CONNECT"
						     : "https:// URLs go through CONNECT";
		return -1;
	}
	char *auth = t + 7;
	size_t alen = strcspn(auth, "/?#");
	if (memchr(auth, '@', alen)) {
		*err = "user information in the URL is refused";
		return -1;
	}
	if (parse_authority(r, auth, alen, false, err) < 0)
		return -1;
	if (!r->port)
		r->port = 80;
	if (auth[alen] == '#') {
		*err = "fragment in the request target";
		return -1;
	}
	r->path = auth[alen] == '/' ? xstrdup(auth + alen) : xasprintf("/%s", auth + alen);
	return 0;
}

static int parse_request_line(struct http_request *r, char *line, const char **err, int *status)
{
	char *sp1 = strchr(line, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strchr(sp2 + 1, ' ') || sp1 == line || sp2 == sp1 + 1) {
		*err = "malformed request line (METHOD SP TARGET SP HTTP/1.x)";
		return -1;
	}
	*sp1 = *sp2 = '\0';
	if ((size_t)(sp1 - line) >= sizeof r->method) {
		*err = "method too long";
		return -1;
	}
	for (char *p = line; *p; p++)
		if (!is_tchar((unsigned char)*p)) {
			*err = "invalid character in the method";
			return -1;
		}
	strcpy(r->method, line);
	for (unsigned char *p = (unsigned char *)sp1 + 1; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f) {
			*err = "control or non-ASCII byte in the request target";
			return -1;
		}
	if (strcmp(sp2 + 1, "HTTP/1.1") && strcmp(sp2 + 1, "HTTP/1.0")) {
		*err = "only HTTP/1.0 and HTTP/1.1 are spoken here";
		*status = 505;
		return -1;
	}
	r->minor = sp2[8] - '0';
	r->is_connect = !strcmp(r->method, "CONNECT");
	return parse_target(r, sp1 + 1, err);
}

static int parse_length(const char *v, uint64_t *out)
{
	if (!*v || strlen(v) > 15)
		return -1;
	uint64_t n = 0;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return -1;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	*out = n;
	return 0;
}

static int check_framing(struct http_request *r, const char **err, int *status)
{
	int ncl = 0, nte = 0, nhost = 0;
	const char *host = NULL;
	for (size_t i = 0; i < r->nhdr; i++) {
		const char *n = r->hdr[i].name, *v = r->hdr[i].value;
		if (!strcasecmp(n, "content-length")) {
			ncl++;
			if (parse_length(v, &r->length) < 0) {
				*err = "Content-Length is not a plain decimal number";
				return -1;
			}
			r->has_length = true;
		} else if (!strcasecmp(n, "transfer-encoding")) {
			nte++;
			if (strcasecmp(v, "chunked")) {
				*err = "Transfer-Encoding other than a single \"chunked\" is refused";
				*status = 501;
				return -1;
			}
			r->chunked = true;
		} else if (!strcasecmp(n, "host")) {
			nhost++;
			host = v;
		}
	}
	/* Two framings, or one framing stated twice, is how a front end and a back end are made to
	 * disagree about where a request ends. */
	if (ncl > 1 || nte > 1 || (ncl && nte)) {
		*err = "conflicting or repeated Content-Length / Transfer-Encoding";
		return -1;
	}
	if (r->chunked && !r->is_connect) {
		*err = "chunked request bodies are not relayed by this proxy; send a Content-Length";
		*status = 411;
		return -1;
	}
	if (nhost > 1 || (r->minor == 1 && nhost == 0)) {
		*err = "exactly one Host header is required";
		return -1;
	}
	if (host && !r->is_connect) {
		struct http_request h = {.is_connect = false};
		const char *e2;
		if (parse_authority(&h, host, strlen(host), false, &e2) < 0 ||
		    strcmp(h.host, r->host) || (h.port && h.port != r->port)) {
			*err = "the Host header does not match the request target";
			return -1;
		}
	}
	if (r->is_connect && (ncl || nte)) {
		*err = "CONNECT with a body";
		return -1;
	}
	return 0;
}

static int parse_header(struct http_request *r, char *line, const char **err)
{
	if (line[0] == ' ' || line[0] == '\t') {
		*err = "obsolete line folding in a header";
		return -1;
	}
	char *colon = strchr(line, ':');
	if (!colon || colon == line) {
		*err = "header line without a name and a colon";
		return -1;
	}
	for (char *p = line; p < colon; p++)
		if (!is_tchar((unsigned char)*p)) {
			*err = "invalid character in a header name (no space before the colon)";
			return -1;
		}
	*colon = '\0';
	char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	for (unsigned char *p = (unsigned char *)v; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
			*err = "control character in a header value";
			return -1;
		}
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		v[--n] = '\0';
	if (r->nhdr >= HTTP_HEADERS_MAX) {
		*err = "too many header lines";
		return -1;
	}
	r->hdr[r->nhdr].name = line;
	r->hdr[r->nhdr].value = v;
	r->nhdr++;
	return 0;
}

long http_parse_request(const char *buf, size_t len, struct http_request *r, const char **err,
			int *status)
{
	memset(r, 0, sizeof *r);
	*status = 400;
	size_t scan = len > HTTP_HEAD_MAX ? HTTP_HEAD_MAX : len;
	if (memchr(buf, '\0', scan)) {
		*err = "NUL byte in the request head";
		return -1;
	}
	long end = head_end(buf, scan, err);
	if (end < 0)
		return -1;
	if (end == 0) {
		if (len >= HTTP_HEAD_MAX) {
			*err = "request head larger than 16 KiB";
			*status = 431;
			return -1;
		}
		return 0;
	}
	r->copy = xstrndup(buf, (size_t)end - 4);
	char *line = r->copy, *next;
	bool first = true;
	for (; line; line = next) {
		char *crlf = strstr(line, "\r\n");
		next = crlf ? crlf + 2 : NULL;
		if (crlf)
			*crlf = '\0';
		int rc = first ? parse_request_line(r, line, err, status) : parse_header(r, line, err);
		if (rc < 0) {
			http_request_free(r);
			return -1;
		}
		first = false;
	}
	if (check_framing(r, err, status) < 0) {
		http_request_free(r);
		return -1;
	}
	return end;
}

void http_request_free(struct http_request *r)
{
	free(r->copy);
	free(r->path);
	r->copy = r->path = NULL;
}

const char *http_header(const struct http_request *r, const char *name)
{
	for (size_t i = 0; i < r->nhdr; i++)
		if (!strcasecmp(r->hdr[i].name, name))
			return r->hdr[i].value;
	return NULL;
}

static bool hop_by_hop(const char *name)
{
	static const char *const hop[] = {"connection", "proxy-connection", "keep-alive",
					  "proxy-authorization", "proxy-authenticate", "te",
					  "trailer", "upgrade", NULL};
	for (size_t i = 0; hop[i]; i++)
		if (!strcasecmp(name, hop[i]))
			return true;
	return false;
}

char *http_upstream_head(const struct http_request *r, size_t *len)
{
	size_t cap = 64 + strlen(r->method) + strlen(r->path), n;
	for (size_t i = 0; i < r->nhdr; i++)
		cap += strlen(r->hdr[i].name) + strlen(r->hdr[i].value) + 4;
	char *out = xmalloc(cap + 32);
	n = (size_t)sprintf(out, "%s %s HTTP/1.%d\r\n", r->method, r->path, r->minor);
	for (size_t i = 0; i < r->nhdr; i++) {
		if (hop_by_hop(r->hdr[i].name))
			continue;
		n += (size_t)sprintf(out + n, "%s: %s\r\n", r->hdr[i].name, r->hdr[i].value);
	}
	n += (size_t)sprintf(out + n, "Connection: close\r\n\r\n");
	*len = n;
	return out;
}
