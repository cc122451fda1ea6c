/*
 * jsonw.h - a minimal writer of small flat JSON objects into a fixed buffer, for outbox event
 * payloads written by the engine (which does not link a JSON library). Strings are escaped,
 * and an ill-formed UTF-8 part of one (text stored before decision 51) is written as U+FFFD;
 * every input is bounded by a named limit, so overflow is our bug (asserted).
 */
#ifndef OMS_JSONW_H
#define OMS_JSONW_H

#include "base/platform.h"

#define OMS_JSONW_BYTES_MAX 2048

struct oms_jsonw {
    char text[OMS_JSONW_BYTES_MAX];
    size_t len;
    bool first;
};

void oms_jsonw_begin(struct oms_jsonw *w);
void oms_jsonw_str(struct oms_jsonw *w, const char *key, const char *value); /* NULL: null. */
void oms_jsonw_int(struct oms_jsonw *w, const char *key, int64_t value);
void oms_jsonw_bool(struct oms_jsonw *w, const char *key, bool value);
/* Returns the finished object's text, valid while w lives. */
const char *oms_jsonw_end(struct oms_jsonw *w);

#endif
