/*
 * router.h - the route table, and the pure parts of reading a request target: matching a raw
 * path against patterns like "/v1/orders/{id}/cancel", percent-decoding path parameters, and
 * splitting a query string into decoded key/value pairs. No h2o, no allocation, no I/O: the
 * caller passes scratch space, so these functions are unit-tested and fuzzed on their own.
 *
 * Invariants and ownership:
 * - A route table is an array the caller owns and keeps alive, unchanged, for as long as a
 *   server uses it (normally a `static const` array). Nothing here copies it.
 * - A pattern starts with '/', and its segments are separated by single '/'. A segment is
 *   either a literal (bytes other than '/', '{', '}', '%', '?', '#') or a whole-segment
 *   parameter "{name}" (name: [a-z0-9_]+). No empty segment, except the pattern "/" itself.
 *   At most OMS_HTTP_PARAMS_MAX parameters and OMS_HTTP_SEGMENTS_MAX segments. Two routes with
 *   the same method must not have the same shape (literals and parameters in the same places).
 *   No route declares HEAD: every GET route answers HEAD too (the server sends GET's headers
 *   without the body), and the Allow list of a 405 names HEAD after GET.
 *   oms_http_routes_check() verifies all of this once, at startup.
 * - Matching works on the raw path as sent (still percent-encoded), so "/v1/items/A%2FB" is one
 *   segment and its parameter decodes to "A/B". Literal segments compare byte for byte. A
 *   parameter never matches an empty segment. Where several patterns match, a literal beats a
 *   parameter at the first segment where they differ ("/v1/stock/adjustments" beats
 *   "/v1/stock/{sku}" for the same method).
 * - Every decoded string handed out (parameters, query keys and values) is NUL-terminated, is
 *   valid UTF-8 and holds no NUL byte: "%00", malformed escapes and invalid UTF-8 are refused.
 * - A route lists the query parameters it takes (`query`, below); the server refuses a request
 *   with any other, or with one of them given twice unless the list says it may repeat, before
 *   its handler runs: a misspelt `quantity=5` or a second `channel=` is never silently ignored.
 */
#ifndef OMS_HTTP_ROUTER_H
#define OMS_HTTP_ROUTER_H

#include "base/platform.h"

#define OMS_HTTP_PARAMS_MAX 4       /* Path parameters in one pattern. */
#define OMS_HTTP_SEGMENTS_MAX 16    /* Segments in a pattern; longer paths match nothing. */
#define OMS_HTTP_ALLOW_BYTES_MAX 96 /* "GET, PUT, ..." for a 405; room for 12 methods. */
#define OMS_HTTP_METHOD_BYTES_MAX 7 /* "OPTIONS", the longest method a route may name. */
#define OMS_HTTP_QUERY_SPEC_BYTES_MAX 128 /* A route's list of query parameters. */

_Static_assert(OMS_HTTP_ALLOW_BYTES_MAX >= 12 * (OMS_HTTP_METHOD_BYTES_MAX + 1),
               "the Allow list holds twelve methods, each with its separator");

struct oms_http_request; /* server.h: what a handler is given. */

/* A handler runs on the event loop that owns the connection. It must, before returning, either
 * answer (oms_http_reply_*) or take the answer away with oms_http_defer() (server.h); if it does
 * neither, the machinery answers 500 and logs the route. */
typedef void oms_http_handler(struct oms_http_request *req);

struct oms_http_route {
    const char *method;        /* "GET", "POST", ...: exact, upper case. */
    const char *pattern;       /* "/v1/items/{sku}"; see the rules above. */
    oms_http_handler *handler; /* Never NULL. */
    const char *query;         /* The query parameters it takes, separated by single spaces
                                * ("channel sku* qty"); a name ending in '*' may come more than
                                * once, the others at most once. NULL: it takes none. Names are
                                * [a-z0-9_]+, each listed once. */
};

/* A decoded path parameter. `name` points into the route's pattern (not NUL-terminated: use
 * name_len); `value` points into the caller's scratch and is NUL-terminated. */
struct oms_http_param {
    const char *name;
    size_t name_len;
    const char *value;
};

enum oms_http_route_result {
    OMS_HTTP_ROUTE_FOUND,     /* match->route and match->params are set. */
    OMS_HTTP_ROUTE_NO_PATH,   /* No pattern matches the path: answer 404. */
    OMS_HTTP_ROUTE_NO_METHOD, /* Patterns match, none for this method: 405, match->allow. */
    OMS_HTTP_ROUTE_BAD_PARAM, /* Route found, a parameter does not decode: 400. match->route is
                               * set and match->params[match->bad_param_index] names it. */
};

struct oms_http_match {
    const struct oms_http_route *route; /* FOUND, BAD_PARAM: the route; otherwise NULL. */
    struct oms_http_param params[OMS_HTTP_PARAMS_MAX];
    uint32_t params_count;
    uint32_t bad_param_index;
    char allow[OMS_HTTP_ALLOW_BYTES_MAX]; /* NO_METHOD: "GET, HEAD, POST", in table order
                                           * (HEAD after GET), no repeats, NUL-terminated;
                                           * otherwise "". */
};

/* Checks a route table (rules above). Returns true; or false with *why set to a static sentence
 * and *bad_index to the first offending route. */
OMS_MUST_CHECK bool oms_http_routes_check(const struct oms_http_route *routes, size_t routes_count,
                                          const char **why, size_t *bad_index);

/* Finds the route for `method` and the raw `path` (the bytes before '?', not decoded).
 * `scratch` must hold path_len + 1 bytes and outlive *match: decoded parameters live there.
 * The table must have passed oms_http_routes_check(). */
enum oms_http_route_result oms_http_route_find(const struct oms_http_route *routes,
                                               size_t routes_count, const char *method,
                                               size_t method_len, const char *path,
                                               size_t path_len, char *scratch,
                                               struct oms_http_match *match);

/* Decodes %XX escapes (and '+' as a space when plus_is_space) from src into dst, which must
 * hold src_len bytes; no NUL is appended. Returns true with *dst_len set; false, with dst
 * partly written, when an escape is malformed, the result holds a NUL byte, or the result is
 * not valid UTF-8. */
OMS_MUST_CHECK bool oms_http_percent_decode(const char *src, size_t src_len, bool plus_is_space,
                                            char *dst, size_t *dst_len);

/* One decoded query pair; both strings NUL-terminated, in the caller's scratch. A piece with no
 * '=' ("flag") has the value "". */
struct oms_http_query_pair {
    const char *key;
    const char *value;
};

/* An upper bound on the pairs in a query (its '&' count plus one; 0 for an empty query): size
 * the pairs array with it. */
size_t oms_http_query_pairs_bound(const char *query, size_t query_len);

/* Bytes of scratch oms_http_query_parse() needs for a query of query_len bytes. */
#define OMS_HTTP_QUERY_SCRATCH_BYTES(query_len) (2 * (query_len) + 2)

/* The piece oms_http_query_parse() could not decode: its key as sent (raw_key, raw_key_len
 * bytes, not NUL-terminated, pointing into the query) and, when the key decoded and the value
 * did not, the decoded key (NUL-terminated, in scratch); `key` is NULL when the key itself
 * failed. */
struct oms_http_query_error {
    const char *raw_key;
    size_t raw_key_len;
    const char *key;
};

/* Splits a query string (the bytes after '?') on '&', each piece on its first '=', and decodes
 * both sides (%XX and '+'). Empty pieces are skipped. `pairs` holds
 * oms_http_query_pairs_bound() entries; scratch holds OMS_HTTP_QUERY_SCRATCH_BYTES(query_len).
 * Returns true with *pairs_count set; false if any piece fails to decode, with *error (unless
 * NULL) naming the first such piece. */
OMS_MUST_CHECK bool oms_http_query_parse(const char *query, size_t query_len, char *scratch,
                                         struct oms_http_query_pair *pairs, size_t *pairs_count,
                                         struct oms_http_query_error *error);

enum oms_http_query_result {
    OMS_HTTP_QUERY_OK,
    OMS_HTTP_QUERY_UNKNOWN,  /* A key the route does not list. */
    OMS_HTTP_QUERY_REPEATED, /* A key listed without '*' that comes a second time. */
};

/* Checks decoded pairs against a route's `query` list (NULL: none taken). Returns OK; or the
 * first fault in the query's order, with *bad_index the pair that shows it (for REPEATED, the
 * second occurrence). */
enum oms_http_query_result oms_http_query_check(const char *spec,
                                                const struct oms_http_query_pair *pairs,
                                                size_t pairs_count, size_t *bad_index);

/* Every value of `key`, in the order sent. Fills values[0 .. min(n, values_max)) and returns n,
 * the total count, which may exceed values_max (so the caller can refuse "too many"). */
size_t oms_http_query_values(const struct oms_http_query_pair *pairs, size_t pairs_count,
                             const char *key, const char **values, size_t values_max);

#endif
