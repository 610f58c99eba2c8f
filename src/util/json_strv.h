/* A string vector as a JSON array of strings (brig check, audit events, session metadata). */
#ifndef BRIG_UTIL_JSON_STRV_H
#define BRIG_UTIL_JSON_STRV_H

#include <jansson.h>

#include "util/xalloc.h"

json_t *json_from_strv(const struct strv *sv);

#endif
