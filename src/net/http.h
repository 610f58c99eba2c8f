/* A strict HTTP/1.1 request-head parser for the broker's proxy listener. Strictness is the point:
 * every ambiguity two parsers could read differently (request smuggling) is an error here. */
#ifndef BRIG_NET_HTTP_H
#define BRIG_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX 16384
#define HTTP_HEADERS_MAX 100

struct http_header {
	const char *name, *value; /* point into the parser's copy; NUL-terminated */
};

struct http_request {
	char method[24];
	bool is_connect;
	char host[256]; /* CONNECT authority or absolute-form host (IPv6 without brackets) */
	int port;
	char *path;     /* absolute-form: path and query ("/" when empty) */
	int minor;      /* HTTP/1.minor */
	bool has_length, chunked;
	uint64_t length;
	struct http_header hdr[HTTP_HEADERS_MAX];
	size_t nhdr;
	char *copy; /* owned */
};

/* Parses the head at the start of buf. Returns the head's length (through the blank line), 0 when
 * more bytes are needed, or -1 with *err (a static string) and *status (400, 413, 501...). */
long http_parse_request(const char *buf, size_t len, struct http_request *r, const char **err,
			int *status);
void http_request_free(struct http_request *r);
/* The head to send upstream for an absolute-form request: origin-form target, hop-by-hop headers
 * dropped, "Connection: close" added. Caller frees. */
char *http_upstream_head(const struct http_request *r, size_t *len);
const char *http_header(const struct http_request *r, const char *name);

#endif
