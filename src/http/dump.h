/*
 * dump.h - compact JSON text of a jansson value, byte for byte what json_dumps() writes with
 * JSON_COMPACT (and JSON_SORT_KEYS when asked) | JSON_ENCODE_ANY, at a fraction of its cost:
 * jansson checks every array and object for a cycle through a hash table keyed by the
 * pointer's printf text, and calls back once per fragment. Answers are dumped on the writer
 * thread (stored for idempotent retries) and fingerprints on the event loops: issue 4
 * measured json_dumps at 67,000 instructions for a 460-byte order answer. And the one way stored
 * text becomes a JSON string (oms_json_text), which cannot fail on text that is not UTF-8.
 */
#ifndef OMS_HTTP_DUMP_H
#define OMS_HTTP_DUMP_H

#include "base/platform.h"

#include <jansson.h>

/* malloc'd, NUL-terminated; *len (when not NULL) is its length. NULL when json is NULL or
 * out of memory. Reals (which the API does not send) go through json_dumps itself. */
char *oms_json_dump(const json_t *json, bool sort_keys, size_t *len);

/* Stored or engine-made text as a JSON string, null for NULL. Every string an encoder takes from
 * the model, the store or a message goes through it, never through json_pack's "s" or
 * json_string(): text that is not UTF-8 (written before decision 51, or a message cut inside a
 * character) has each ill-formed part replaced by U+FFFD, so an answer is never lost to it (the
 * first such text is logged once). NULL only when memory runs out. */
json_t *oms_json_text(const char *text);
/* json_object_set_new() for a key that is stored text (a region code keying distances),
 * repaired as oms_json_text() repairs. Steals value; -1 when memory runs out. */
int oms_json_set_text_key(json_t *object, const char *key, json_t *value);

#endif
