/*
 * decode.h - turning request bodies into command fields, with an error that names the field
 * (API.md: 400 for malformed JSON, 422 for valid JSON with invalid values). A decoder stops
 * at the first error; every getter is then a no-op returning false, so handlers read as a
 * list of fields and check once at the end.
 */
#ifndef OMS_HTTP_DECODE_H
#define OMS_HTTP_DECODE_H

#include <jansson.h>

#include "base/platform.h"
#include "core/types.h"

struct oms_decoder {
    bool failed;
    int status;
    const char *code;
    char field[96];
    char message[384]; /* Room for an unknown field's name and the list of known ones. */
};

/* One key a JSON object of a request body may hold. A body is described by a list of these
 * ended by {NULL, NULL}; `fields` describes the object the key holds, or each object of the
 * array it holds ("lines", "rows"). It is NULL when the value holds no object, or holds a map
 * whose keys are data (a region's distances, keyed by region code): its decoder checks those. */
struct oms_body_field {
    const char *key;
    const struct oms_body_field *fields;
};

void oms_decoder_init(struct oms_decoder *d);
void oms_decoder_fail(struct oms_decoder *d, int status, const char *code, const char *field,
                      const char *fmt, ...) OMS_PRINTF(5, 6);

/* Parses a body that must be one JSON object; NULL (and d failed: 400 invalid_json)
 * otherwise. Valid JSON that jansson cannot hold (an integer past 64 bits, a real past a
 * double, "\u0000" in a key) is read so that the field holding it is refused by name (422),
 * not the body (decisions.md 53). */
json_t *oms_decode_object(struct oms_decoder *d, const char *body, size_t len);

/* Refuses a key `fields` does not list, at any depth `fields` describes: fails d with 422
 * unknown_field naming its path ("lines[0].qtyy", "customer.emial"), the first in the body's
 * order, and the keys that are known there. Returns !d->failed. oms_call_new() runs it on
 * every body before a handler reads a field, so no route can ignore a misspelt or misplaced
 * field (decisions.md 42). Values are not checked here: their getters do that. */
bool oms_decode_fields(struct oms_decoder *d, json_t *obj, const char *path,
                       const struct oms_body_field *fields);

/* Field getters. `path` is the JSON path for errors ("lines[2]"), "" at the top. Each returns
 * true when the field was present and valid, false when absent (and not required) or invalid
 * (then d failed). A field sent as null is absent: null is no value, on every route and at
 * every depth (decisions.md 53); a route whose field takes null as a value of its own ("no
 * limit", "forget it") asks oms_is_null() before the getter. A required field that is absent
 * or null is 422 missing_field. A text is never empty: no value is said by leaving it out. */
bool oms_get_text(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                  bool required, size_t max_bytes, const char **out);
/* An identifier: non-empty, no control characters, at most max_bytes. */
bool oms_get_id(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                bool required, size_t max_bytes, const char **out);
/* An integer from min to max; min > INT64_MIN and max < INT64_MAX (asserted), because a number
 * past 64 bits is read as one of those and must be refused as out of range. */
bool oms_get_int(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                 bool required, int64_t min, int64_t max, int64_t *out);
bool oms_get_bool(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                  bool required, bool *out);
/* A date YYYY-MM-DD in the engine's range (oms_date_parse(), engine/clock.h). */
bool oms_get_date(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                  bool required, oms_day *out);
bool oms_get_instant(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                     bool required, int64_t *out_ms);
/* Array of at most max entries; *out borrowed from obj. */
bool oms_get_array(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                   bool required, size_t max, json_t **out);
/* True when the field is present and JSON null. */
bool oms_is_null(json_t *obj, const char *key);
/* The field's value, or NULL when it is absent or null: for a route that reads a value the
 * getters do not (an object, a map), with the getters' rule for null. Borrowed from obj. */
json_t *oms_field_value(json_t *obj, const char *key);
/* Checks an identifier from a path, a query or a header: 1 to max_bytes bytes of UTF-8
 * without a control byte (the router has decoded paths and queries as UTF-8 already; a header
 * comes as sent). False, d failed with 422 naming `field`, otherwise. */
bool oms_check_id(struct oms_decoder *d, const char *field, const char *value, size_t max_bytes);
/* Checks a key of a map whose keys are data (a region's distances, keyed by region code) as an
 * identifier, naming it "path.key" with the key shown as an unknown field's is (control
 * characters as '?', at most 64 bytes). */
bool oms_check_key(struct oms_decoder *d, const char *path, const char *key, size_t max_bytes);

/* SHA-256 hex of method, path and the canonical form of the body (keys sorted, compact), so
 * equal JSON with other key order or spacing has one fingerprint (rule 8). */
void oms_fingerprint(const char *method, const char *path, json_t *body, char out[65]);

#endif
