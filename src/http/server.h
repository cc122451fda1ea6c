/*
 * server.h - the HTTP machinery, independent of the engine: N h2o event loops (one thread
 * each, each with its own SO_REUSEPORT listener on the same port), a route table (router.h),
 * the request a handler is given, the replies it can send, and deferred answers that another
 * thread (the engine's writer) completes later.
 *
 * Threads and ownership:
 * - oms_http_server_new/_run/_free are called from one controlling thread; _run blocks until
 *   oms_http_server_stop(), which any thread or a signal handler may call.
 * - A handler runs on the loop thread that owns the connection. Everything reached through a
 *   `struct oms_http_request` (params, query, headers, body, oms_http_alloc memory) belongs to
 *   the request: it is valid until the handler returns, on that thread only. The handler must
 *   answer exactly once (oms_http_reply_*), or call oms_http_defer() once and not touch the
 *   request again. A handler that does neither gets a 500 answer.
 * - A `struct oms_http_pending` is owned by whoever holds it until it is completed; it must be
 *   completed exactly once, from any thread, with oms_http_pending_complete() or
 *   oms_http_pending_resume(); after that call the pointer is dead. Completing posts a message
 *   to the owning loop (h2o's multithread queue); the loop sends the answer. If the client has
 *   gone meanwhile (h2o disposed the request), the answer is dropped and freed on the loop
 *   thread; completing never touches freed memory, and needs no lock but h2o's queue's.
 * - oms_http_server_run() returns only after every pending answer of its loops was completed,
 *   so the engine must keep completing (with 503 if it is shutting down) until run() returns.
 * - Bodies over body_max_bytes get 413 too_large before any handler runs; h2o's own errors
 *   (malformed requests) get the same JSON error shape as ours.
 * - Errors are {"error":{"code":"...","message":"...","field":...}}; codes are snake_case
 *   (API.md). Only src/http/ maps engine errors to statuses.
 * - Only HTTP/1.x is served (h2c upgrade and prior-knowledge HTTP/2 are off).
 */
#ifndef OMS_HTTP_SERVER_H
#define OMS_HTTP_SERVER_H

#include "base/platform.h"

#include <jansson.h>

#include "http/router.h"

#define OMS_HTTP_THREADS_MAX 256                       /* Event loops per server. */
#define OMS_HTTP_QUERY_PAIRS_MAX 4096                  /* More query pairs: 413 too_large. */
#define OMS_HTTP_ARENA_BYTES_MAX ((size_t)8 << 20)     /* oms_http_alloc() per request. */
#define OMS_HTTP_STOP_GRACE_MS 5000 /* After stop, how long open connections may take to close
                                     * once no answer is pending; then they are abandoned. */

struct oms_http_config {
    const char *host;      /* Address or name to listen on ("127.0.0.1", "::1", "0.0.0.0"). */
    uint16_t port;         /* 0: the kernel picks a free port; see oms_http_server_port(). */
    uint32_t threads;      /* Event loops, one thread each: 1 .. OMS_HTTP_THREADS_MAX. */
    size_t body_max_bytes; /* Largest request body accepted; > 0. */
};

struct oms_http_server;
struct oms_http_pending;

/* Builds the server and binds its listeners now (so a taken port fails here, and port 0 is
 * resolved). The first listener binds exclusively, so a second server on the same port fails
 * even though the loops share it through SO_REUSEPORT. `routes` and `app` are borrowed and
 * must outlive the server; `cfg` is copied. Returns NULL, with the reason logged, when the
 * config or route table is invalid or binding fails. */
struct oms_http_server *oms_http_server_new(const struct oms_http_config *cfg,
                                            const struct oms_http_route *routes,
                                            size_t routes_count, void *app);

/* The port the listeners are bound to (the kernel's choice when the config said 0). */
uint16_t oms_http_server_port(const struct oms_http_server *s);

/* Starts cfg->threads event-loop threads and blocks until oms_http_server_stop(); then each
 * loop stops accepting, answers what is in flight, waits for every deferred answer, closes idle
 * connections, and its thread is joined. Loop threads block SIGPIPE, SIGINT, SIGTERM and
 * SIGHUP, so process signals go to other threads. Call at most once per server. Returns 0;
 * -1 (logged) if a thread cannot be started, after stopping and joining those that were. */
int oms_http_server_run(struct oms_http_server *s);

/* Asks run() to finish. Async-signal-safe (it only write()s a byte to each loop's pipe and
 * keeps errno); may be called from any thread, before or during run(), more than once. */
void oms_http_server_stop(struct oms_http_server *s);

/* Closes listeners and frees the server. NULL is a no-op. Not while run() is running. */
void oms_http_server_free(struct oms_http_server *s);

/* --- The request, for handlers (loop thread, until the handler returns) --- */

/* The route's method ("GET"), NUL-terminated. */
const char *oms_http_method(const struct oms_http_request *req);

/* The decoded value of path parameter `name` ("sku" for "/v1/items/{sku}"), or NULL when the
 * route has no such parameter. Valid UTF-8, no NUL byte, never empty. */
const char *oms_http_param(const struct oms_http_request *req, const char *name);

/* Every value of query key `key`, in order ("sku=A&sku=B" gives "A", "B"), %XX and '+'
 * decoded. Fills values[0 .. min(n, values_max)) and returns n, which may exceed values_max.
 * An empty key's value ("flag" alone) is "". */
size_t oms_http_query(const struct oms_http_request *req, const char *key, const char **values,
                      size_t values_max);

/* The first value of `key`, or NULL when absent. */
const char *oms_http_query_first(const struct oms_http_request *req, const char *key);

/* The first value of request header `name` (any case: "Idempotency-Key"), NUL-terminated, or
 * NULL when absent. Not decoded or checked: the bytes the client sent. h2o consumes Host,
 * Content-Length, Transfer-Encoding, Expect and Upgrade itself: those read as NULL. So two
 * Content-Length headers cannot be refused here: h2o 2.2.5 frames the body by the first and
 * drops the others before a handler runs (decisions.md 42). */
const char *oms_http_header(struct oms_http_request *req, const char *name);
/* The same, and in *count how many times the header came (0 when absent): a header that
 * carries one value (Content-Type, Idempotency-Key) is refused by its caller when it came more
 * than once, since which one the client meant cannot be known (decisions.md 53). */
const char *oms_http_header_all(struct oms_http_request *req, const char *name, size_t *count);

/* The request body, read in full, *len bytes; NOT NUL-terminated. NULL with *len 0 when the
 * request has none. At most body_max_bytes. */
const char *oms_http_body(const struct oms_http_request *req, size_t *len);

/* The `app` pointer given to oms_http_server_new(). */
void *oms_http_app(const struct oms_http_request *req);

/* Memory from the request's arena, freed with the request. NULL once the request has taken
 * OMS_HTTP_ARENA_BYTES_MAX: answer 413 too_large. Aligned for any type. */
void *oms_http_alloc(struct oms_http_request *req, size_t size);

/* Adds a response header (e.g. "Location", "Retry-After") to the answer this handler is about
 * to send; name and value are copied. Before oms_http_reply_* only, not for deferred answers. */
void oms_http_add_header(struct oms_http_request *req, const char *name, const char *value);

/* --- Answers: exactly one per request --- */

/* Sends `body` serialised compactly as application/json. Steals the reference (decref'd here).
 * A NULL body (e.g. json_pack() failed) or one that cannot be serialised answers 500. */
void oms_http_reply_json(struct oms_http_request *req, int status, json_t *body);

/* Sends {"error":{"code":code,"message":message,"field":field}}; field is null when NULL.
 * Strings are copied; bytes of message or field that are not UTF-8 are sent as U+FFFD. */
void oms_http_reply_error(struct oms_http_request *req, int status, const char *code,
                          const char *message, const char *field);

/* Sends len bytes of body (copied) with the given Content-Type. */
void oms_http_reply_text(struct oms_http_request *req, int status, const char *content_type,
                         const char *body, size_t len);

/* --- Deferred answers --- */

/* Takes the answer away from the handler: the handler returns without replying and passes the
 * pending to another thread. The request must not be touched after this call. Never NULL. */
struct oms_http_pending *oms_http_defer(struct oms_http_request *req);

/* From any thread: answers `status` with body[0..len) as application/json. `body` must come
 * from malloc() (jansson's json_dumps() with default allocators qualifies) or be NULL (len 0,
 * no body); ownership passes here in every case, and it is free()d on the loop. */
void oms_http_pending_complete(struct oms_http_pending *pending, int status, char *body,
                               size_t len);

/* From any thread: runs fn(req, arg) on the owning loop, which then answers as a handler does
 * (reply, or defer again) - so results are encoded on the loop, not the writer. If the client
 * has gone, fn(NULL, arg) runs instead, to free arg. */
typedef void oms_http_resume_fn(struct oms_http_request *req, void *arg);
void oms_http_pending_resume(struct oms_http_pending *pending, oms_http_resume_fn *fn,
                             void *arg);

#endif
