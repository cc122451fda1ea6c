/*
 * router.c - route matching, percent-decoding and query splitting for the HTTP edge. Pure:
 * it reads the route table and the request target and writes only into the caller's scratch.
 * Tables are small (tens of routes), so matching is a linear scan that splits the pattern on
 * the fly; nothing is compiled or allocated, and a request costs a few hundred byte compares.
 */
#include "base/platform.h"

#include <string.h>

#include "base/assert.h"
#include "base/utf8.h"
#include "http/router.h"

/* A segment of a path or pattern: the bytes between two '/'. */
struct span {
    const char *at;
    size_t len;
};

/* Splits "/a/b" into its segments after the leading '/'; "/" is one empty segment. Returns the
 * count, or SIZE_MAX when there are more than OMS_HTTP_SEGMENTS_MAX (no pattern is that long). */
static size_t split_segments(const char *s, size_t len, struct span *segs)
{
    OMS_ASSERT(len > 0 && s[0] == '/');
    size_t count = 0;
    size_t start = 1;
    for (size_t i = 1; i <= len; i++) {
        if (i < len && s[i] != '/') continue;
        if (count == OMS_HTTP_SEGMENTS_MAX) return SIZE_MAX;
        segs[count].at = s + start;
        segs[count].len = i - start;
        count++;
        start = i + 1;
    }
    return count;
}

static bool segment_is_param(struct span seg)
{
    return seg.len >= 3 && seg.at[0] == '{' && seg.at[seg.len - 1] == '}';
}

static bool span_equals(struct span a, struct span b)
{
    return a.len == b.len && memcmp(a.at, b.at, a.len) == 0;
}

/* True when the pattern's segments match the path's, parameters matching any non-empty one. */
static bool segments_match(const struct span *pattern, size_t pattern_count,
                           const struct span *path, size_t path_count)
{
    if (pattern_count != path_count) return false;
    for (size_t i = 0; i < pattern_count; i++) {
        if (segment_is_param(pattern[i])) {
            if (path[i].len == 0) return false;
        } else if (!span_equals(pattern[i], path[i])) {
            return false;
        }
    }
    return true;
}

/* Negative when pattern a is more specific than b: a literal where b has a parameter, at the
 * first segment where they differ in kind. Both have `count` segments (they matched one path). */
static int specificity_compare(const struct span *a, const struct span *b, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        bool a_param = segment_is_param(a[i]);
        bool b_param = segment_is_param(b[i]);
        if (a_param != b_param) return a_param ? 1 : -1;
    }
    return 0;
}

static bool method_equals(const char *route_method, const char *method, size_t method_len)
{
    return strlen(route_method) == method_len && memcmp(route_method, method, method_len) == 0;
}

/* True when a route of `route_method` answers `method`: its own, and HEAD for every GET
 * (RFC 9110 9.3.2: HEAD is GET without the body, which send_answer leaves out). Load
 * balancers and uptime checks probe with HEAD; a 405 there marks a healthy server down. */
static bool method_serves(const char *route_method, const char *method, size_t method_len)
{
    return method_equals(route_method, method, method_len) ||
           (strcmp(route_method, "GET") == 0 && method_len == 4 && memcmp(method, "HEAD", 4) == 0);
}

/* Appends `method` to the Allow list unless it is there already. */
static void allow_add(char *allow, const char *method)
{
    size_t method_len = strlen(method);
    size_t used = strlen(allow);
    for (const char *at = allow; (at = strstr(at, method)) != NULL; at += method_len) {
        bool starts = at == allow || at[-1] == ' ';
        bool ends = at[method_len] == '\0' || at[method_len] == ',';
        if (starts && ends) return;
    }
    size_t need = used + (used > 0 ? 2 : 0) + method_len + 1;
    OMS_ASSERT(need <= OMS_HTTP_ALLOW_BYTES_MAX); /* routes_check bounds methods per table. */
    if (used > 0) {
        memcpy(allow + used, ", ", 2);
        used += 2;
    }
    memcpy(allow + used, method, method_len + 1);
}

/* Decodes the matched route's parameters into scratch. False (and bad_param_index set) when a
 * parameter is not valid percent-encoded UTF-8 or holds %00. */
static bool decode_params(const struct span *pattern, const struct span *path, size_t count,
                          char *scratch, struct oms_http_match *match)
{
    size_t used = 0;
    match->params_count = 0;
    for (size_t i = 0; i < count; i++) {
        if (!segment_is_param(pattern[i])) continue;
        OMS_ASSERT(match->params_count < OMS_HTTP_PARAMS_MAX);
        struct oms_http_param *param = &match->params[match->params_count];
        param->name = pattern[i].at + 1;
        param->name_len = pattern[i].len - 2;
        param->value = scratch + used;
        size_t value_len = 0;
        bool ok = oms_http_percent_decode(path[i].at, path[i].len, false, scratch + used,
                                          &value_len);
        if (!ok) {
            match->bad_param_index = match->params_count;
            match->params_count++;
            return false;
        }
        scratch[used + value_len] = '\0';
        used += value_len + 1;
        match->params_count++;
    }
    return true;
}

enum oms_http_route_result oms_http_route_find(const struct oms_http_route *routes,
                                               size_t routes_count, const char *method,
                                               size_t method_len, const char *path,
                                               size_t path_len, char *scratch,
                                               struct oms_http_match *match)
{
    OMS_ASSERT(routes != NULL || routes_count == 0);
    memset(match, 0, sizeof *match);
    /* A pattern without parameters equal to the whole path, for this method, is the most
     * specific match there can be (literal beats parameter in every segment, and the table has
     * no duplicates): found without splitting every pattern of the table, which the hot read
     * path (GET /v1/availability) would otherwise pay on every request. */
    for (size_t r = 0; r < routes_count; r++) {
        const char *pattern = routes[r].pattern;
        if (strlen(pattern) == path_len && memcmp(pattern, path, path_len) == 0 &&
            !memchr(pattern, '{', path_len) &&
            method_serves(routes[r].method, method, method_len)) {
            match->route = &routes[r];
            return OMS_HTTP_ROUTE_FOUND;
        }
    }
    struct span path_segs[OMS_HTTP_SEGMENTS_MAX];
    size_t path_count = path_len > 0 && path[0] == '/' ? split_segments(path, path_len, path_segs)
                                                       : SIZE_MAX;
    if (path_count == SIZE_MAX) return OMS_HTTP_ROUTE_NO_PATH;

    struct span best_segs[OMS_HTTP_SEGMENTS_MAX];
    bool any_path_match = false;
    for (size_t r = 0; r < routes_count; r++) {
        struct span segs[OMS_HTTP_SEGMENTS_MAX];
        const char *pattern = routes[r].pattern;
        size_t count = split_segments(pattern, strlen(pattern), segs);
        OMS_ASSERT(count != SIZE_MAX);
        if (!segments_match(segs, count, path_segs, path_count)) continue;
        any_path_match = true;
        if (!method_serves(routes[r].method, method, method_len)) continue;
        if (match->route != NULL && specificity_compare(segs, best_segs, count) >= 0) continue;
        match->route = &routes[r];
        memcpy(best_segs, segs, count * sizeof segs[0]);
    }
    if (match->route == NULL) {
        if (!any_path_match) return OMS_HTTP_ROUTE_NO_PATH;
        for (size_t r = 0; r < routes_count; r++) {
            struct span segs[OMS_HTTP_SEGMENTS_MAX];
            size_t count = split_segments(routes[r].pattern, strlen(routes[r].pattern), segs);
            if (segments_match(segs, count, path_segs, path_count)) {
                allow_add(match->allow, routes[r].method);
                if (strcmp(routes[r].method, "GET") == 0) allow_add(match->allow, "HEAD");
            }
        }
        return OMS_HTTP_ROUTE_NO_METHOD;
    }
    if (!decode_params(best_segs, path_segs, path_count, scratch, match)) {
        return OMS_HTTP_ROUTE_BAD_PARAM;
    }
    return OMS_HTTP_ROUTE_FOUND;
}

static bool literal_byte_valid(char c)
{
    return c != '/' && c != '{' && c != '}' && c != '%' && c != '?' && c != '#' &&
           (unsigned char)c > 0x20 && (unsigned char)c < 0x7f;
}

static bool param_name_valid(struct span seg)
{
    for (size_t i = 1; i + 1 < seg.len; i++) {
        char c = seg.at[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

/* Checks one pattern's syntax; returns a static reason, or NULL when it is well formed. */
static const char *pattern_problem(const char *pattern)
{
    size_t len = strlen(pattern);
    if (len == 0 || pattern[0] != '/') return "pattern does not start with '/'";
    if (len == 1) return NULL;
    struct span segs[OMS_HTTP_SEGMENTS_MAX];
    size_t count = split_segments(pattern, len, segs);
    if (count == SIZE_MAX) return "pattern has more than OMS_HTTP_SEGMENTS_MAX segments";
    size_t params = 0;
    for (size_t i = 0; i < count; i++) {
        if (segs[i].len == 0) return "pattern has an empty segment";
        if (segment_is_param(segs[i])) {
            if (!param_name_valid(segs[i])) return "parameter name is not [a-z0-9_]+";
            if (++params > OMS_HTTP_PARAMS_MAX) return "pattern has too many parameters";
            continue;
        }
        for (size_t k = 0; k < segs[i].len; k++) {
            if (!literal_byte_valid(segs[i].at[k])) return "literal segment has a reserved byte";
        }
    }
    return NULL;
}

/* Checks a route's query list; returns a static reason, or NULL when it is well formed. */
static const char *query_spec_problem(const char *spec)
{
    if (spec == NULL) return NULL;
    size_t spec_len = strlen(spec);
    if (spec_len == 0 || spec_len > OMS_HTTP_QUERY_SPEC_BYTES_MAX) {
        return "query list is empty or longer than OMS_HTTP_QUERY_SPEC_BYTES_MAX";
    }
    for (const char *at = spec; *at;) {
        size_t len = strcspn(at, " ");
        size_t name_len = len > 0 && at[len - 1] == '*' ? len - 1 : len;
        if (name_len == 0) return "query list has an empty name or a double space";
        for (size_t i = 0; i < name_len; i++) {
            char c = at[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
                return "query name is not [a-z0-9_]+ (with an optional '*')";
            }
        }
        for (const char *before = spec; before < at;) {
            size_t before_len = strcspn(before, " ");
            size_t before_name = before[before_len - 1] == '*' ? before_len - 1 : before_len;
            if (before_name == name_len && memcmp(before, at, name_len) == 0) {
                return "query list names a parameter twice";
            }
            before += before_len + 1;
        }
        if (at[len] == ' ' && at[len + 1] == '\0') return "query list ends with a space";
        at += len + (at[len] == ' ' ? 1 : 0);
    }
    return NULL;
}

static bool method_valid(const char *method)
{
    size_t len = strlen(method);
    if (len == 0 || len > OMS_HTTP_METHOD_BYTES_MAX) return false;
    for (size_t i = 0; i < len; i++) {
        if (method[i] < 'A' || method[i] > 'Z') return false;
    }
    return true;
}

/* True when patterns a and b match exactly the same paths. */
static bool same_shape(const char *a, const char *b)
{
    struct span a_segs[OMS_HTTP_SEGMENTS_MAX];
    struct span b_segs[OMS_HTTP_SEGMENTS_MAX];
    size_t a_count = split_segments(a, strlen(a), a_segs);
    size_t b_count = split_segments(b, strlen(b), b_segs);
    if (a_count != b_count) return false;
    for (size_t i = 0; i < a_count; i++) {
        bool a_param = segment_is_param(a_segs[i]);
        if (a_param != segment_is_param(b_segs[i])) return false;
        if (!a_param && !span_equals(a_segs[i], b_segs[i])) return false;
    }
    return true;
}

bool oms_http_routes_check(const struct oms_http_route *routes, size_t routes_count,
                           const char **why, size_t *bad_index)
{
    size_t methods_distinct = 0;
    for (size_t r = 0; r < routes_count; r++) {
        *bad_index = r;
        if (routes[r].method == NULL || !method_valid(routes[r].method)) {
            *why = "method is not 1 to 7 upper-case letters";
            return false;
        }
        if (strcmp(routes[r].method, "HEAD") == 0) {
            *why = "HEAD comes with every GET route and is not declared";
            return false;
        }
        if (routes[r].handler == NULL) {
            *why = "route has no handler";
            return false;
        }
        if (routes[r].pattern == NULL || (*why = pattern_problem(routes[r].pattern)) != NULL) {
            if (routes[r].pattern == NULL) *why = "route has no pattern";
            return false;
        }
        if ((*why = query_spec_problem(routes[r].query)) != NULL) return false;
        bool method_seen = false;
        for (size_t q = 0; q < r; q++) {
            bool same_method = strcmp(routes[q].method, routes[r].method) == 0;
            method_seen = method_seen || same_method;
            if (same_method && same_shape(routes[q].pattern, routes[r].pattern)) {
                *why = "an earlier route has the same method and the same shape";
                return false;
            }
        }
        /* Eleven declared, so the HEAD every GET brings still fits twelve. */
        if (!method_seen && ++methods_distinct > 11) {
            *why = "more than eleven distinct methods (and HEAD) do not fit an Allow header";
            return false;
        }
    }
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool oms_http_percent_decode(const char *src, size_t src_len, bool plus_is_space, char *dst,
                             size_t *dst_len)
{
    /* The usual key or value is plain ASCII: copied as it is, valid UTF-8 by construction. */
    size_t plain = 0;
    while (plain < src_len) {
        unsigned char c = (unsigned char)src[plain];
        if (c == '%' || c == '+' || c == '\0' || c >= 0x80) break;
        plain++;
    }
    memcpy(dst, src, plain);
    if (plain == src_len) {
        *dst_len = plain;
        return true;
    }
    size_t out = plain;
    for (size_t i = plain; i < src_len; i++) {
        char c = src[i];
        if (c == '%') {
            if (src_len - i < 3) return false;
            int high = hex_value(src[i + 1]);
            int low = hex_value(src[i + 2]);
            if (high < 0 || low < 0) return false;
            c = (char)(unsigned char)(high * 16 + low);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0') return false;
        dst[out++] = c;
    }
    OMS_ASSERT(out <= src_len);
    *dst_len = out;
    return oms_utf8_valid(dst, out, NULL);
}

size_t oms_http_query_pairs_bound(const char *query, size_t query_len)
{
    if (query_len == 0) return 0;
    size_t bound = 1;
    const char *end = query + query_len;
    for (const char *p = memchr(query, '&', query_len); p; p = memchr(p + 1, '&', (size_t)(end - p - 1))) {
        bound++;
    }
    return bound;
}

/* Decodes src into scratch at *used and NUL-terminates it; returns the string or NULL. */
static const char *decode_into(const char *src, size_t len, char *scratch, size_t *used)
{
    char *dst = scratch + *used;
    size_t dst_len = 0;
    if (!oms_http_percent_decode(src, len, true, dst, &dst_len)) return NULL;
    dst[dst_len] = '\0';
    *used += dst_len + 1;
    return dst;
}

bool oms_http_query_parse(const char *query, size_t query_len, char *scratch,
                          struct oms_http_query_pair *pairs, size_t *pairs_count,
                          struct oms_http_query_error *error)
{
    size_t count = 0;
    size_t used = 0;
    size_t start = 0;
    while (start <= query_len) {
        /* The next '&' (or the end), found by memchr rather than a byte at a time. */
        const char *amp = start < query_len ? memchr(query + start, '&', query_len - start) : NULL;
        size_t i = amp ? (size_t)(amp - query) : query_len;
        const char *piece = query + start;
        size_t piece_len = i - start;
        start = i + 1;
        if (piece_len == 0) continue;
        const char *eq = memchr(piece, '=', piece_len);
        size_t key_len = eq != NULL ? (size_t)(eq - piece) : piece_len;
        const char *key = decode_into(piece, key_len, scratch, &used);
        const char *value = "";
        if (key != NULL && eq != NULL) {
            value = decode_into(eq + 1, piece_len - key_len - 1, scratch, &used);
        }
        if (key == NULL || value == NULL) {
            if (error != NULL) *error = (struct oms_http_query_error){piece, key_len, key};
            return false;
        }
        pairs[count].key = key;
        pairs[count].value = value;
        count++;
    }
    OMS_ASSERT(count <= oms_http_query_pairs_bound(query, query_len));
    OMS_ASSERT(used <= OMS_HTTP_QUERY_SCRATCH_BYTES(query_len));
    *pairs_count = count;
    return true;
}

size_t oms_http_query_values(const struct oms_http_query_pair *pairs, size_t pairs_count,
                             const char *key, const char **values, size_t values_max)
{
    size_t found = 0;
    for (size_t i = 0; i < pairs_count; i++) {
        /* First bytes first: an availability read asks 5 keys of 21 pairs, 20 of them "sku". */
        if (pairs[i].key[0] != key[0] || strcmp(pairs[i].key, key) != 0) continue;
        if (found < values_max) values[found] = pairs[i].value;
        found++;
    }
    return found;
}

/* Finds `key` in a route's query list; *repeats says whether it is marked '*'. One pass,
 * comparing as it goes, no strlen or strcspn per name: an availability read checks 21 pairs,
 * 20 of them "sku", on every request. */
static bool spec_find(const char *spec, const char *key, bool *repeats)
{
    for (const char *at = spec; at && *at;) {
        const char *k = key;
        while (*at != '\0' && *at != ' ' && *at != '*' && *at == *k) {
            at++;
            k++;
        }
        if (*k == '\0' && (*at == '\0' || *at == ' ' || *at == '*')) {
            *repeats = *at == '*';
            return true;
        }
        while (*at != '\0' && *at != ' ') at++; /* The rest of this name. */
        if (*at == ' ') at++;
    }
    return false;
}

enum oms_http_query_result oms_http_query_check(const char *spec,
                                                const struct oms_http_query_pair *pairs,
                                                size_t pairs_count, size_t *bad_index)
{
    bool last_repeats = false; /* The pair before this one is a name that may repeat. */
    for (size_t i = 0; i < pairs_count; i++) {
        *bad_index = i;
        /* sku=..&sku=..: the same repeatable name again needs no search of the list. */
        if (last_repeats && strcmp(pairs[i].key, pairs[i - 1].key) == 0) continue;
        bool repeats = false;
        if (!spec_find(spec, pairs[i].key, &repeats)) return OMS_HTTP_QUERY_UNKNOWN;
        last_repeats = repeats;
        if (repeats) continue;
        /* Each key without '*' can be seen once before this returns, so the scan stays within
         * (listed keys) x (pairs) compares, however long the query. */
        for (size_t k = 0; k < i; k++) {
            if (strcmp(pairs[k].key, pairs[i].key) == 0) return OMS_HTTP_QUERY_REPEATED;
        }
    }
    return OMS_HTTP_QUERY_OK;
}
