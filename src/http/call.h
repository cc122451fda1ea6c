/*
 * call.h - one API request on its way through the engine: the command, the parsed body that
 * its strings point into, and the deferred HTTP answer. A handler decodes into a call and
 * submits it; the writer runs the command and, after commit, the call answers and frees
 * itself (on the writer thread; the answer travels back to the loop through h2o's queue).
 */
#ifndef OMS_HTTP_CALL_H
#define OMS_HTTP_CALL_H

#include <jansson.h>

#include "engine/engine.h"
#include "http/decode.h"
#include "http/server.h"

#define OMS_CALL_OWNED_MAX 8
#define OMS_AT_SKEW_MS (5 * 60 * 1000) /* How far ahead of now a request's "at" may be. */

struct oms_call {
    struct oms_command cmd;
    json_t *body;                    /* The request body; command strings point into it. */
    void *owned[OMS_CALL_OWNED_MAX]; /* malloc'd pieces freed with the call. */
    uint32_t owned_count;
    struct oms_http_pending *pending;
    struct oms_engine *engine; /* For encoders that read the availability index. */
    const void *spec;          /* What a READ's encoder reads (the route's choice). */
};

/* A new call for the request: the body parsed as a JSON object holding only the keys
 * `fields` lists (decode.h; NULL: the route has no fields of its own), the Idempotency-Key
 * copied. A write with no fields of its own takes no body, {} or {"at": ...}, decoded into
 * cmd.at_ms (call->body NULL for {}), and refuses any other field (a re-peg sent
 * {"dry_run": true} must not run for real). NULL after answering the request with an error. */
struct oms_call *oms_call_new(struct oms_http_request *req, enum oms_cmd_kind kind,
                              const struct oms_body_field *fields);
/* Keeps a malloc'd (or strdup'd) pointer until the call ends; returns it. */
void *oms_call_own(struct oms_call *call, void *ptr);
char *oms_call_strdup(struct oms_call *call, const char *text);
/* Submits the call; answers now if the engine refuses it (busy, stopping). `resource` names
 * what the request acts on ("items/A1"), for the idempotency fingerprint. */
void oms_call_submit(struct oms_http_request *req, struct oms_call *call, oms_encode_fn encode,
                     const char *resource);
/* Answers a decoder error and frees the call. */
void oms_call_fail(struct oms_http_request *req, struct oms_call *call,
                   const struct oms_decoder *d);
void oms_call_free(struct oms_call *call);

/* A path parameter that must be an identifier of at most max bytes; NULL after answering
 * the request with a 422 naming it. */
const char *oms_path_id(struct oms_http_request *req, const char *name, size_t max);

/* Whether a Content-Type says JSON in UTF-8: application/json (any case), then only
 * parameters (`; name=value`, the value a token or a quoted string), of which a charset must
 * be utf-8. RFC 8259 has JSON between systems in UTF-8 and gives application/json no
 * parameter, but charset=utf-8 is commonly sent; any other charset says the bytes are not what
 * we would read them as (decisions.md 53). NULL when it does (type NULL: it does not), else the
 * sentence of the 415. */
const char *oms_media_type_error(const char *type);

/* The engine's error as an HTTP status and API code. */
int oms_http_status_of(enum oms_err err, const char **code);
void oms_reply_decoder(struct oms_http_request *req, const struct oms_decoder *d);

#endif
