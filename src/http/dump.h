/*
 * dump.h - compact JSON text of a jansson value, byte for byte what json_dumps() writes with
 * JSON_COMPACT (and JSON_SORT_KEYS when asked) | JSON_ENCODE_ANY, at a fraction of its cost:
 * jansson checks every array and object for a cycle through a hash table keyed by the
 * pointer's printf text, and calls back once per fragment. Answers are dumped on the writer
 * thread (stored for idempotent retries) and fingerprints on the event loops: issue 4
 * measured json_dumps at 67,000 instructions for a 460-byte order answer.
 */
#ifndef OMS_HTTP_DUMP_H
#define OMS_HTTP_DUMP_H

#include "base/platform.h"

#include <jansson.h>

/* malloc'd, NUL-terminated; *len (when not NULL) is its length. NULL when json is NULL or
 * out of memory. Reals (which the API does not send) go through json_dumps itself. */
char *oms_json_dump(const json_t *json, bool sort_keys, size_t *len);

#endif
