/*
 * call.c - submitting commands from the event loops and answering them after commit.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/assert.h"
#include "engine/clock.h"
#include "http/call.h"
#include "http/dump.h"
#include "store/model.h"

int oms_http_status_of(enum oms_err err, const char **code)
{
    static const struct {
        enum oms_err err;
        int status;
        const char *code;
    } map[] = {
        {OMS_EINVAL, 422, "invalid_field"},
        {OMS_EMISSING, 422, "missing_field"},
        {OMS_ENOTFOUND, 404, "not_found"},
        {OMS_ECONFLICT, 409, "conflict"},
        {OMS_EIDEMPOTENCY, 409, "idempotency_conflict"},
        {OMS_EINSUFFICIENT_ALLOCATION, 409, "insufficient_allocation"},
        {OMS_EINSUFFICIENT_SHIPPED, 409, "insufficient_shipped"},
        {OMS_EUNKNOWN_SUPPLY, 404, "unknown_supply"},
        {OMS_ESUPPLY_CLOSED, 409, "supply_closed"},
        {OMS_ELIMIT, 422, "limit_exceeded"},
        {OMS_ETOOBIG, 413, "too_large"},
        {OMS_EBUSY, 503, "server_busy"},
        {OMS_ESHUTDOWN, 503, "server_busy"},
    };
    for (size_t i = 0; i < OMS_ARRAY_LEN(map); i++) {
        if (map[i].err == err) {
            *code = map[i].code;
            return map[i].status;
        }
    }
    *code = "internal";
    return 500;
}

const char *oms_path_id(struct oms_http_request *req, const char *name, size_t max)
{
    struct oms_decoder d;
    oms_decoder_init(&d);
    const char *value = oms_http_param(req, name);
    if (value && oms_check_id(&d, name, value, max)) return value;
    if (!value) oms_decoder_fail(&d, 400, "invalid_field", name, "%s is missing", name);
    oms_reply_decoder(req, &d);
    return NULL;
}

void oms_reply_decoder(struct oms_http_request *req, const struct oms_decoder *d)
{
    oms_http_reply_error(req, d->status, d->code, d->message, d->field[0] ? d->field : NULL);
}

void *oms_call_own(struct oms_call *call, void *ptr)
{
    OMS_ASSERT(ptr != NULL);
    OMS_ASSERT(call->owned_count < OMS_CALL_OWNED_MAX);
    call->owned[call->owned_count++] = ptr;
    return ptr;
}

char *oms_call_strdup(struct oms_call *call, const char *text)
{
    return oms_call_own(call, oms_strdup(text));
}

void oms_call_free(struct oms_call *call)
{
    if (!call) return;
    oms_command_release(&call->cmd);
    json_decref(call->body);
    for (uint32_t i = 0; i < call->owned_count; i++) free(call->owned[i]);
    free(call);
}

/* What a mutating route without fields of its own accepts: no body, {}, or {"at": ...}
 * (API.md: a mutating request may carry "at"; a replay dates a hold's release with it). */
static const struct oms_body_field at_fields[] = {{"at", NULL}, {NULL, NULL}};

/* A header that carries one value: NULL when absent, and the value when it came once. Sent
 * twice (even with one value twice) it fails d with 400 invalid_header naming it, as a second
 * value of a single-valued query parameter is refused: which one the client meant cannot be
 * known (decisions.md 42 and 53). */
static const char *single_header(struct oms_http_request *req, struct oms_decoder *d,
                                 const char *name)
{
    size_t count;
    const char *value = oms_http_header_all(req, name, &count);
    if (count > 1) {
        oms_decoder_fail(d, 400, "invalid_header", name,
                         "%s came %zu times; send it once", name, count);
        return NULL;
    }
    return value;
}

/* RFC 9110's tchar: what a media type parameter's name, or an unquoted value, is made of. */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* One `name=value` media type parameter at p (value a token or a quoted string): its name and
 * value spans, and the end; NULL when malformed. */
static const char *media_parameter(const char *p, const char **name, size_t *name_len,
                                   const char **value, size_t *value_len)
{
    *name = p;
    while (is_tchar(*p)) p++;
    *name_len = (size_t)(p - *name);
    if (*name_len == 0 || *p != '=') return NULL;
    p++;
    if (*p != '"') {
        *value = p;
        while (is_tchar(*p)) p++;
        *value_len = (size_t)(p - *value);
        return *value_len > 0 ? p : NULL;
    }
    *value = ++p;
    while (*p && *p != '"') p += p[0] == '\\' && p[1] ? 2 : 1;
    if (*p != '"') return NULL;
    *value_len = (size_t)(p - *value);
    return p + 1;
}

const char *oms_media_type_error(const char *type)
{
    static const char not_json[] = "send the body as Content-Type: application/json";
    if (!type || strncasecmp(type, "application/json", 16) != 0) return not_json;
    for (const char *p = skip_ows(type + 16); *p; p = skip_ows(p)) {
        const char *name, *value;
        size_t name_len, value_len;
        if (*p != ';') return not_json;
        p = skip_ows(p + 1);
        if (!*p) break; /* "application/json;": nothing after, nothing to misread. */
        p = media_parameter(p, &name, &name_len, &value, &value_len);
        if (!p) return not_json;
        if (name_len == 7 && strncasecmp(name, "charset", 7) == 0 &&
            !(value_len == 5 && strncasecmp(value, "utf-8", 5) == 0)) {
            return "the body must be UTF-8: send Content-Type: application/json with no charset "
                   "or charset=utf-8";
        }
    }
    return NULL;
}

/* Reads the request's body into call->body, checked against `fields`; false after failing d.
 * No body is told before a Content-Type is asked for: what is missing is the body. */
static bool call_body(struct oms_http_request *req, struct oms_call *call,
                      const struct oms_body_field *fields, struct oms_decoder *d)
{
    size_t len;
    const char *body = oms_http_body(req, &len);
    if (!body || len == 0) {
        call->body = oms_decode_object(d, body, len); /* 400: the request needs a body. */
        return false;
    }
    /* Only JSON: a form or text/plain POST is what a foreign web page can send without
     * asking (a CORS "simple request"); refusing it keeps such pages out. */
    const char *type = single_header(req, d, "Content-Type");
    const char *why = d->failed ? NULL : oms_media_type_error(type);
    if (why) oms_decoder_fail(d, 415, "unsupported_media_type", NULL, "%s", why);
    /* The body is read as sent: one that says it is compressed is not what we would read (and
     * a plain body labelled gzip is a client bug best told, not guessed around). */
    const char *coding = d->failed ? NULL : single_header(req, d, "Content-Encoding");
    if (coding && strcasecmp(coding, "identity") != 0) {
        oms_decoder_fail(d, 415, "unsupported_media_type", "Content-Encoding",
                         "Content-Encoding %s is not taken: send the body uncompressed", coding);
    }
    if (d->failed) return false;
    call->body = oms_decode_object(d, body, len);
    return call->body && oms_decode_fields(d, call->body, "", fields);
}

struct oms_call *oms_call_new(struct oms_http_request *req, enum oms_cmd_kind kind,
                              const struct oms_body_field *fields)
{
    struct oms_call *call = calloc(1, sizeof *call);
    OMS_ASSERT(call != NULL);
    call->cmd.kind = kind;
    size_t sent = 0;
    if (!fields && kind != OMS_CMD_READ && oms_http_body(req, &sent) && sent > 0) {
        fields = at_fields;
    }
    struct oms_decoder d;
    oms_decoder_init(&d);
    if (fields && !call_body(req, call, fields, &d)) {
        oms_call_fail(req, call, &d);
        return NULL;
    }
    if (fields == at_fields && !d.failed) {
        if (!oms_get_instant(&d, call->body, "", "at", false, &call->cmd.at_ms) && d.failed) {
            oms_call_fail(req, call, &d);
            return NULL;
        }
        if (json_object_size(call->body) == 0) {
            /* {} says nothing: the call goes on as if no body came, fingerprint included. */
            json_decref(call->body);
            call->body = NULL;
        }
    }
    const char *key = kind != OMS_CMD_READ ? single_header(req, &d, "Idempotency-Key") : NULL;
    if (key && !oms_check_id(&d, "Idempotency-Key", key, OMS_ID_BYTES_MAX)) {
        d.status = 400;
        d.code = "invalid_header";
    }
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return NULL;
    }
    if (key) call->cmd.idem_key = oms_call_strdup(call, key);
    return call;
}

void oms_call_fail(struct oms_http_request *req, struct oms_call *call, const struct oms_decoder *d)
{
    oms_reply_decoder(req, d);
    oms_call_free(call);
}

/* The answer to a refused command whose error could not be encoded (memory ran out). */
static const char unencodable_error[] =
    "{\"error\":{\"code\":\"internal_error\",\"message\":\"the error could not be encoded "
    "(out of memory)\",\"field\":null}}";

/* Runs on the engine's syncer thread once the command is durable. */
static void call_done(struct oms_command *cmd)
{
    struct oms_call *call = cmd->user;
    char *body;
    size_t len;
    int status;
    if (cmd->err) {
        const char *code;
        status = oms_http_status_of(cmd->err, &code);
        /* The message may quote stored text or be cut inside a character by its buffer:
         * oms_json_text keeps the answer JSON either way. */
        const char *message = cmd->err_message[0] ? cmd->err_message : oms_err_message(cmd->err);
        const char *field = cmd->err_field[0] ? cmd->err_field : NULL;
        json_t *error = json_pack("{s:{s:s, s:o, s:o}}", "error", "code", code, "message",
                                  oms_json_text(message), "field", oms_json_text(field));
        body = oms_json_dump(error, false, &len);
        json_decref(error);
        if (!body) { /* Memory ran out. */
            status = 500;
            body = strdup(unencodable_error);
            OMS_ASSERT(body != NULL); /* Twice: nothing left to answer with. */
            len = sizeof unencodable_error - 1;
        }
    } else {
        status = cmd->status;
        body = cmd->answer;
        len = cmd->answer_len;
        cmd->answer = NULL; /* Ownership passes to the HTTP layer. */
    }
    oms_http_pending_complete(call->pending, status, body, len);
    oms_call_free(call);
}

void oms_call_submit(struct oms_http_request *req, struct oms_call *call, oms_encode_fn encode,
                     const char *resource)
{
    struct oms_engine *engine = oms_http_app(req);
    /* "at" says when a thing happened: a request may not move the engine clock into the
     * future (only POST /v1/clock ticks it forward on purpose). Otherwise one client could
     * date every later promise years ahead. */
    if (call->cmd.kind != OMS_CMD_CLOCK && call->cmd.kind != OMS_CMD_READ && call->cmd.at_ms) {
        /* Up to the engine clock (already there), or now plus a little drift: never relative to
         * the clock, or requests could walk it forward in steps. */
        int64_t now = oms_now_ms(), clock = oms_engine_clock_ms(engine);
        int64_t latest = now + OMS_AT_SKEW_MS > clock ? now + OMS_AT_SKEW_MS : clock;
        if (call->cmd.at_ms > latest) {
            oms_http_reply_error(req, 422, "invalid_field",
                                 "at is later than now; move the clock with POST /v1/clock",
                                 "at");
            oms_call_free(call);
            return;
        }
    }
    call->engine = engine;
    call->cmd.encode = encode;
    call->cmd.done = call_done;
    call->cmd.user = call;
    if (call->cmd.kind != OMS_CMD_READ && !call->cmd.fingerprint[0]) {
        /* The resource is included: one key on two resources is two different requests. A
         * request without a body has one too (the method and resource alone): a retry of a
         * body-less write under its Idempotency-Key is then answered, not refused. */
        oms_fingerprint(oms_http_method(req), resource, call->body, call->cmd.fingerprint);
    }
    /* Defer before submitting: the writer may answer before submit returns. */
    call->pending = oms_http_defer(req);
    enum oms_err err = oms_engine_submit(engine, &call->cmd);
    if (err) {
        call->cmd.err = err;
        snprintf(call->cmd.err_message, sizeof call->cmd.err_message, "%s; retry later",
                 oms_err_message(err));
        call_done(&call->cmd);
    }
}
