/*
 * test_http_router.c - the pure half of the HTTP edge: route matching (specificity, 404/405,
 * Allow lists, parameter decoding), route-table checks, percent-decoding, UTF-8 validation
 * and query splitting, including that the documented scratch sizes are never exceeded.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/router.h"

static void handle_nothing(struct oms_http_request *req)
{
    (void)req;
}

/* Two routes share each shape question below, in both table orders. */
static const struct oms_http_route routes[] = {
    {"GET", "/", handle_nothing, NULL},
    {"GET", "/v1/stock/{sku}", handle_nothing, NULL},
    {"POST", "/v1/stock/adjustments", handle_nothing, NULL},
    {"GET", "/v1/items/{sku}", handle_nothing, NULL},
    {"PUT", "/v1/items/{sku}", handle_nothing, NULL},
    {"GET", "/v1/items/{sku}/queue", handle_nothing, NULL},
    {"POST", "/v1/orders/{id}/cancel", handle_nothing, NULL},
    {"GET", "/v1/x/{a}/y", handle_nothing, NULL},
    {"GET", "/v1/x/lit/{b}", handle_nothing, NULL},
    {"GET", "/v1/z/lit/{b}", handle_nothing, NULL},
    {"GET", "/v1/z/{a}/y", handle_nothing, NULL},
};

struct found {
    enum oms_http_route_result result;
    struct oms_http_match match;
    char scratch[256];
};

static void find(const char *method, const char *path, struct found *f)
{
    assert_true(strlen(path) < sizeof f->scratch);
    f->result = oms_http_route_find(routes, OMS_ARRAY_LEN(routes), method, strlen(method), path,
                                    strlen(path), f->scratch, &f->match);
}

static void assert_found(const struct found *f, const char *method, const char *pattern)
{
    assert_int_equal(f->result, OMS_HTTP_ROUTE_FOUND);
    assert_string_equal(f->match.route->method, method);
    assert_string_equal(f->match.route->pattern, pattern);
}

static void test_router__table_passes_its_own_check(void **state)
{
    (void)state;
    const char *why = NULL;
    size_t bad = 0;
    assert_true(oms_http_routes_check(routes, OMS_ARRAY_LEN(routes), &why, &bad));
}

static void test_router__literal_beats_parameter_for_the_same_method(void **state)
{
    (void)state;
    struct found f;
    find("GET", "/v1/stock/adjustments", &f); /* Only the parameter route has GET. */
    assert_found(&f, "GET", "/v1/stock/{sku}");
    assert_string_equal(f.match.params[0].value, "adjustments");
    find("POST", "/v1/stock/adjustments", &f);
    assert_found(&f, "POST", "/v1/stock/adjustments");
    assert_int_equal(f.match.params_count, 0);

    find("GET", "/v1/x/lit/y", &f); /* Param-first route listed first. */
    assert_found(&f, "GET", "/v1/x/lit/{b}");
    assert_string_equal(f.match.params[0].value, "y");
    find("GET", "/v1/z/lit/y", &f); /* Literal-first route listed first. */
    assert_found(&f, "GET", "/v1/z/lit/{b}");
    find("GET", "/v1/x/other/y", &f);
    assert_found(&f, "GET", "/v1/x/{a}/y");
}

static void test_router__decodes_parameters_and_names_them(void **state)
{
    (void)state;
    struct found f;
    find("GET", "/v1/items/A%2FB%20%c3%a9+/queue", &f);
    assert_found(&f, "GET", "/v1/items/{sku}/queue");
    assert_int_equal(f.match.params_count, 1);
    assert_int_equal(f.match.params[0].name_len, 3);
    assert_memory_equal(f.match.params[0].name, "sku", 3);
    assert_string_equal(f.match.params[0].value, "A/B \xc3\xa9+");

    find("GET", "/", &f);
    assert_found(&f, "GET", "/");
}

static void test_router__reports_405_with_allow_in_table_order(void **state)
{
    (void)state;
    struct found f;
    find("PUT", "/v1/stock/adjustments", &f);
    assert_int_equal(f.result, OMS_HTTP_ROUTE_NO_METHOD);
    assert_null(f.match.route);
    assert_string_equal(f.match.allow, "GET, HEAD, POST");
    find("DELETE", "/v1/items/x", &f);
    assert_int_equal(f.result, OMS_HTTP_ROUTE_NO_METHOD);
    assert_string_equal(f.match.allow, "GET, HEAD, PUT");
    find("get", "/v1/items/x", &f); /* Methods are case-sensitive. */
    assert_int_equal(f.result, OMS_HTTP_ROUTE_NO_METHOD);
}

static void test_router__reports_404_for_paths_no_pattern_matches(void **state)
{
    (void)state;
    const char *paths[] = {"", "*", "v1/items/x", "/v1/items/", "/v1/items", "/v1//items/x",
                           "/v1/items/x/", "/V1/items/x", "/v1/%69tems/x",
                           "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r"};
    for (size_t i = 0; i < OMS_ARRAY_LEN(paths); i++) {
        struct found f;
        find("GET", paths[i], &f);
        assert_int_equal(f.result, OMS_HTTP_ROUTE_NO_PATH);
        assert_null(f.match.route);
    }
}

static void test_router__refuses_parameters_that_do_not_decode(void **state)
{
    (void)state;
    const char *paths[] = {"/v1/orders/%00/cancel", "/v1/orders/%FF/cancel",
                           "/v1/orders/%C0%80/cancel", "/v1/orders/%zz/cancel",
                           "/v1/orders/%4/cancel", "/v1/orders/ok%/cancel"};
    for (size_t i = 0; i < OMS_ARRAY_LEN(paths); i++) {
        struct found f;
        find("POST", paths[i], &f);
        assert_int_equal(f.result, OMS_HTTP_ROUTE_BAD_PARAM);
        assert_string_equal(f.match.route->pattern, "/v1/orders/{id}/cancel");
        const struct oms_http_param *bad = &f.match.params[f.match.bad_param_index];
        assert_int_equal(bad->name_len, 2);
        assert_memory_equal(bad->name, "id", 2);
    }
}

static void assert_table_refused(const struct oms_http_route *table, size_t count,
                                 size_t bad_index)
{
    const char *why = NULL;
    size_t bad = SIZE_MAX;
    assert_false(oms_http_routes_check(table, count, &why, &bad));
    assert_non_null(why);
    assert_int_equal(bad, bad_index);
}

static void test_router__check_refuses_malformed_tables(void **state)
{
    (void)state;
    const char *bad_patterns[] = {"", "a", "/a//b", "/a/", "/a/{}", "/a/{Bad}", "/a/{x}{y}",
                                  "/a/b{x}", "/a/b?c", "/a/%41", "/{a}/{b}/{c}/{d}/{e}"};
    for (size_t i = 0; i < OMS_ARRAY_LEN(bad_patterns); i++) {
        const struct oms_http_route table[] = {{"GET", "/ok", handle_nothing, NULL},
                                               {"GET", bad_patterns[i], handle_nothing, NULL}};
        assert_table_refused(table, 2, 1);
    }
    const struct oms_http_route lower[] = {{"get", "/a", handle_nothing, NULL}};
    assert_table_refused(lower, 1, 0);
    const struct oms_http_route no_handler[] = {{"GET", "/a", NULL, NULL}};
    assert_table_refused(no_handler, 1, 0);
    const struct oms_http_route same_shape[] = {{"GET", "/a/{x}", handle_nothing, NULL},
                                                {"PUT", "/a/{y}", handle_nothing, NULL},
                                                {"GET", "/a/{z}", handle_nothing, NULL}};
    assert_table_refused(same_shape, 3, 2);
    const char *why = NULL;
    size_t bad = 0;
    assert_true(oms_http_routes_check(same_shape, 2, &why, &bad)); /* Different methods. */
}

/* HEAD is GET without a body (RFC 9110 9.3.2; load balancers probe with it): every GET route
 * answers it, the Allow list names it after GET, and a table may not declare it itself. */
static void test_router__head_is_served_by_the_get_route(void **state)
{
    (void)state;
    struct found f;
    find("HEAD", "/", &f);
    assert_found(&f, "GET", "/");
    find("HEAD", "/v1/items/x%41", &f);
    assert_found(&f, "GET", "/v1/items/{sku}");
    assert_int_equal(f.match.params_count, 1);
    find("HEAD", "/v1/orders/x/cancel", &f); /* POST only: no GET, no HEAD. */
    assert_int_equal(f.result, OMS_HTTP_ROUTE_NO_METHOD);
    assert_string_equal(f.match.allow, "POST");
    find("DELETE", "/v1/items/x", &f);
    assert_string_equal(f.match.allow, "GET, HEAD, PUT");
    const struct oms_http_route head[] = {{"HEAD", "/a", handle_nothing, NULL}};
    assert_table_refused(head, 1, 0);
}

static bool decodes_to(const char *src, bool plus, const char *want)
{
    char dst[64];
    size_t len = 0;
    if (!oms_http_percent_decode(src, strlen(src), plus, dst, &len)) return false;
    return len == strlen(want) && memcmp(dst, want, len) == 0;
}

static bool refused(const char *src)
{
    char dst[64];
    size_t len = 0;
    return !oms_http_percent_decode(src, strlen(src), true, dst, &len);
}

static void test_router__percent_decode_accepts_only_utf8_without_nul(void **state)
{
    (void)state;
    assert_true(decodes_to("", false, ""));
    assert_true(decodes_to("a%2Fb%2fc", false, "a/b/c"));
    assert_true(decodes_to("a+b", false, "a+b"));
    assert_true(decodes_to("a+b%2B", true, "a b+"));
    assert_true(decodes_to("%F0%9F%98%80", false, "\xf0\x9f\x98\x80"));
    assert_true(decodes_to("\xc3\xa9", false, "\xc3\xa9")); /* Raw UTF-8 passes too. */
    const char *bad[] = {"%", "%4", "%zz", "%00", "a%00b", "%C0%80", "%ED%A0%80", "%F4%90%80%80",
                         "%E2%82", "%80", "%FF", "\xff", "%F8%88%80%80%80"};
    for (size_t i = 0; i < OMS_ARRAY_LEN(bad); i++) assert_true(refused(bad[i]));
    char dst[4];
    size_t len = 0;
    assert_false(oms_http_percent_decode("a\0b", 3, false, dst, &len)); /* A raw NUL. */
}

/* The router's check is base/utf8.h's (test_utf8.c tests it whole): the edges of each row of
 * Unicode's Table 3-7, percent-encoded, as a client would send them. */
static void test_router__utf8_validation_follows_the_standard(void **state)
{
    (void)state;
    assert_true(decodes_to("%7F", false, "\x7f"));
    assert_true(decodes_to("%DF%BF", false, "\xdf\xbf"));                 /* U+07FF */
    assert_true(decodes_to("%EF%BF%BF", false, "\xef\xbf\xbf"));         /* U+FFFF */
    assert_true(decodes_to("%ED%9F%BF", false, "\xed\x9f\xbf"));         /* U+D7FF */
    assert_true(decodes_to("%F4%8F%BF%BF", false, "\xf4\x8f\xbf\xbf")); /* U+10FFFF */
    assert_true(refused("%C1%BF"));       /* Overlong. */
    assert_true(refused("%E0%9F%BF"));    /* Overlong. */
    assert_true(refused("%F0%8F%BF%BF")); /* Overlong. */
    assert_true(refused("%ED%BF%BF"));    /* Surrogate. */
    assert_true(refused("%F4%90%80%80")); /* Past U+10FFFF. */
    assert_true(refused("%E2%82"));       /* Truncated. */
    assert_true(refused("%E2%28%A1"));    /* Bad continuation. */
    assert_true(refused("%E8"));          /* A Latin-1 byte: GET /v1/items/%E8. */
}

static void test_router__query_splits_decodes_and_keeps_repeats(void **state)
{
    (void)state;
    const char *query = "sku=A&sku=B%20C&&flag&sku=D+E&=v&empty=";
    size_t len = strlen(query);
    struct oms_http_query_pair pairs[16];
    char scratch[OMS_HTTP_QUERY_SCRATCH_BYTES(64)];
    size_t count = 0;
    assert_int_equal(oms_http_query_pairs_bound(query, len), 7);
    assert_true(oms_http_query_parse(query, len, scratch, pairs, &count, NULL));
    assert_int_equal(count, 6);
    const char *values[2];
    assert_int_equal(oms_http_query_values(pairs, count, "sku", values, 2), 3);
    assert_string_equal(values[0], "A");
    assert_string_equal(values[1], "B C");
    assert_int_equal(oms_http_query_values(pairs, count, "flag", values, 2), 1);
    assert_string_equal(values[0], "");
    assert_int_equal(oms_http_query_values(pairs, count, "", values, 2), 1);
    assert_string_equal(values[0], "v");
    assert_int_equal(oms_http_query_values(pairs, count, "empty", values, 2), 1);
    assert_string_equal(values[0], "");
    assert_int_equal(oms_http_query_values(pairs, count, "nope", values, 2), 0);

    assert_int_equal(oms_http_query_pairs_bound("", 0), 0);
    assert_true(oms_http_query_parse("", 0, scratch, pairs, &count, NULL));
    assert_int_equal(count, 0);
    assert_false(oms_http_query_parse("a=%zz", 5, scratch, pairs, &count, NULL));
    assert_false(oms_http_query_parse("%00=a", 5, scratch, pairs, &count, NULL));
}

/* Random queries of the bytes that matter never write past the documented scratch size. */
static void test_router__query_scratch_bound_holds_for_random_queries(void **state)
{
    (void)state;
    static const char *const pieces[] = {"&", "=", "a", "%41", "+", "%C3%A9", "&&", "=="};
    srand(7);
    for (int round = 0; round < 20000; round++) {
        char query[128];
        size_t len = 0;
        size_t pieces_count = (size_t)(rand() % 24);
        for (size_t p = 0; p < pieces_count; p++) {
            const char *piece = pieces[rand() % (int)OMS_ARRAY_LEN(pieces)];
            if (len + strlen(piece) >= sizeof query) break;
            memcpy(query + len, piece, strlen(piece));
            len += strlen(piece);
        }
        size_t bound = oms_http_query_pairs_bound(query, len);
        size_t scratch_len = OMS_HTTP_QUERY_SCRATCH_BYTES(len);
        char *scratch = malloc(scratch_len + 8); /* ASan also watches the exact edge. */
        struct oms_http_query_pair *pairs = malloc((bound + 1) * sizeof *pairs);
        memset(scratch + scratch_len, 0x5a, 8);
        size_t count = 0;
        assert_true(oms_http_query_parse(query, len, scratch, pairs, &count, NULL));
        assert_true(count <= bound);
        for (size_t k = 0; k < 8; k++) assert_int_equal(scratch[scratch_len + k], 0x5a);
        free(scratch);
        free(pairs);
    }
}

/* The pieces a query check sees: keys only, decoded. */
static enum oms_http_query_result check_keys(const char *spec, const char *const *keys,
                                             size_t count, size_t *bad)
{
    struct oms_http_query_pair pairs[8];
    assert_true(count <= OMS_ARRAY_LEN(pairs));
    for (size_t i = 0; i < count; i++) pairs[i] = (struct oms_http_query_pair){keys[i], "1"};
    *bad = SIZE_MAX;
    return oms_http_query_check(spec, pairs, count, bad);
}

static void test_router__query_check_takes_listed_keys_and_repeats_only_starred(void **state)
{
    (void)state;
    const char *spec = "channel sku* qty region";
    size_t bad;
    const char *ok[] = {"sku", "channel", "sku", "qty", "sku", "region"};
    assert_int_equal(check_keys(spec, ok, OMS_ARRAY_LEN(ok), &bad), OMS_HTTP_QUERY_OK);
    assert_int_equal(check_keys(spec, ok, 0, &bad), OMS_HTTP_QUERY_OK);
    assert_int_equal(check_keys(NULL, ok, 0, &bad), OMS_HTTP_QUERY_OK);

    const char *repeated[] = {"channel", "sku", "qty", "sku", "qty"};
    assert_int_equal(check_keys(spec, repeated, 5, &bad), OMS_HTTP_QUERY_REPEATED);
    assert_int_equal(bad, 4); /* The second qty. */
    /* A run of a starred key between single ones: the second channel is still caught. */
    const char *runs[] = {"sku", "sku", "channel", "sku", "sku", "channel"};
    assert_int_equal(check_keys(spec, runs, 6, &bad), OMS_HTTP_QUERY_REPEATED);
    assert_int_equal(bad, 5);
    const char *twice[] = {"channel", "channel"};
    assert_int_equal(check_keys(spec, twice, 2, &bad), OMS_HTTP_QUERY_REPEATED);
    assert_int_equal(bad, 1);

    const char *unknown[] = {"channel", "quantity", "foo"};
    assert_int_equal(check_keys(spec, unknown, 3, &bad), OMS_HTTP_QUERY_UNKNOWN);
    assert_int_equal(bad, 1);
    /* A key that is a prefix, a suffix or the star form of a listed one is not listed. */
    const char *near[][1] = {{"sk"}, {"skus"}, {"sku*"}, {"hannel"}, {""}, {"Channel"}};
    for (size_t i = 0; i < OMS_ARRAY_LEN(near); i++) {
        assert_int_equal(check_keys(spec, near[i], 1, &bad), OMS_HTTP_QUERY_UNKNOWN);
        assert_int_equal(bad, 0);
    }
    /* A route that lists none takes none. */
    const char *any[] = {"dry_run"};
    assert_int_equal(check_keys(NULL, any, 1, &bad), OMS_HTTP_QUERY_UNKNOWN);
}

static void test_router__query_parse_names_the_piece_that_does_not_decode(void **state)
{
    (void)state;
    struct oms_http_query_pair pairs[4];
    char scratch[OMS_HTTP_QUERY_SCRATCH_BYTES(32)];
    size_t count = 0;
    struct oms_http_query_error error;
    assert_false(oms_http_query_parse("channel=web&sku=%zz", 19, scratch, pairs, &count, &error));
    assert_string_equal(error.key, "sku");
    assert_int_equal(error.raw_key_len, 3);
    assert_memory_equal(error.raw_key, "sku", 3);
    assert_false(oms_http_query_parse("s%6bu=%00", 9, scratch, pairs, &count, &error));
    assert_string_equal(error.key, "sku");
    assert_false(oms_http_query_parse("a=1&%zz=1", 9, scratch, pairs, &count, &error));
    assert_null(error.key);
    assert_int_equal(error.raw_key_len, 3);
    assert_memory_equal(error.raw_key, "%zz", 3);
}

static void test_router__check_refuses_malformed_query_lists(void **state)
{
    (void)state;
    const char *bad_lists[] = {"", " a", "a ", "a  b", "a b a", "a* a", "A", "a-b", "*", "a**",
                               "a b*c"};
    for (size_t i = 0; i < OMS_ARRAY_LEN(bad_lists); i++) {
        const struct oms_http_route table[] = {{"GET", "/ok", handle_nothing, "x y*"},
                                               {"GET", "/a", handle_nothing, bad_lists[i]}};
        assert_table_refused(table, 2, 1);
    }
    const struct oms_http_route good[] = {{"GET", "/a", handle_nothing, "channel sku* qty"},
                                          {"GET", "/b", handle_nothing, "dry_run"}};
    const char *why = NULL;
    size_t bad = 0;
    assert_true(oms_http_routes_check(good, 2, &why, &bad));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router__table_passes_its_own_check),
        cmocka_unit_test(test_router__literal_beats_parameter_for_the_same_method),
        cmocka_unit_test(test_router__decodes_parameters_and_names_them),
        cmocka_unit_test(test_router__reports_405_with_allow_in_table_order),
        cmocka_unit_test(test_router__head_is_served_by_the_get_route),
        cmocka_unit_test(test_router__reports_404_for_paths_no_pattern_matches),
        cmocka_unit_test(test_router__refuses_parameters_that_do_not_decode),
        cmocka_unit_test(test_router__check_refuses_malformed_tables),
        cmocka_unit_test(test_router__percent_decode_accepts_only_utf8_without_nul),
        cmocka_unit_test(test_router__utf8_validation_follows_the_standard),
        cmocka_unit_test(test_router__query_splits_decodes_and_keeps_repeats),
        cmocka_unit_test(test_router__query_scratch_bound_holds_for_random_queries),
        cmocka_unit_test(test_router__query_check_takes_listed_keys_and_repeats_only_starred),
        cmocka_unit_test(test_router__query_parse_names_the_piece_that_does_not_decode),
        cmocka_unit_test(test_router__check_refuses_malformed_query_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
