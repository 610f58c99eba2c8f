/* The server name of a TLS ClientHello, to check it against the host a tunnel was opened for. */
#ifndef BRIG_NET_SNI_H
#define BRIG_NET_SNI_H

#include <stddef.h>
#include <stdint.h>

enum { SNI_NOT_TLS = -1, SNI_MALFORMED = -2, SNI_INCOMPLETE = -3, SNI_ABSENT = 0, SNI_FOUND = 1 };

/* Looks at the first bytes a client sent. out gets the lower-cased name (256 bytes). */
int tls_sni(const uint8_t *buf, size_t len, char out[256]);

#endif
