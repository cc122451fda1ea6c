/*
 * test_http_dump.c - oms_json_dump writes exactly what json_dumps writes (JSON_COMPACT,
 * with and without JSON_SORT_KEYS, JSON_ENCODE_ANY), on hand-picked values and on random
 * trees: stored answers are returned byte for byte to retries, and fingerprints must not
 * change with the dumper. And oms_json_text: stored text that is not UTF-8 is repaired.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/dump.h"

static void assert_same(const json_t *json)
{
    for (int sort = 0; sort < 2; sort++) {
        size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | (sort ? JSON_SORT_KEYS : 0);
        char *want = json_dumps(json, flags);
        size_t len = 0;
        char *got = oms_json_dump(json, sort, &len);
        assert_non_null(want);
        assert_non_null(got);
        assert_string_equal(got, want);
        assert_int_equal(len, strlen(want));
        free(want);
        free(got);
    }
}

static void test_http_dump__hand_picked_values(void **state)
{
    (void)state;
    json_t *values[] = {
        json_null(), json_true(), json_false(), json_integer(0), json_integer(-1),
        json_integer(INT64_MAX), json_integer(INT64_MIN), json_string(""),
        json_string("quote \" backslash \\ slash / tab \t newline \n cr \r bs \b ff \f"),
        json_string("\x01\x02\x1f\x7f caf\xc3\xa9 \xf0\x9f\x98\x80"),
        json_stringn("nul\0inside", 10), json_array(), json_object(),
        json_pack("{s:s, s:i, s:[i, {}, []], s:{s:n, s:b}}", "b", "x", "a", 1, "c", 2, "z", "y",
                  "\n", "k"),
        json_pack("{s:f, s:[f]}", "real", 1.5, "reals", 0.1), /* Through jansson. */
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        assert_non_null(values[i]);
        assert_same(values[i]);
        json_decref(values[i]);
    }
}

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint32_t next(uint32_t n)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)((rng >> 33) % n);
}

static json_t *random_string(void)
{
    static const char *const pieces[] = {"a", "Zz", "\"", "\\", "\n", "\x01", "\x1e", " ",
                                         "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "/",
                                         "key", "\t", "0"};
    char text[64] = "";
    uint32_t n = next(6);
    for (uint32_t i = 0; i < n; i++) strcat(text, pieces[next(15)]);
    return json_string(text);
}

static json_t *random_value(int depth)
{
    switch (next(depth > 3 ? 5 : 7)) {
    case 0:
        return json_null();
    case 1:
        return json_boolean(next(2));
    case 2:
        return json_integer((json_int_t)next(2000000) - 1000000);
    case 3:
        return random_string();
    case 4:
        return json_integer((json_int_t)(rng >> 1) * (next(2) ? 1 : -1));
    case 5: {
        json_t *array = json_array();
        for (uint32_t i = next(5); i > 0; i--) json_array_append_new(array, random_value(depth + 1));
        return array;
    }
    default: {
        json_t *object = json_object();
        for (uint32_t i = next(40); i > 0; i--) {
            json_t *key = random_string();
            json_object_set_new(object, json_string_value(key), random_value(depth + 1));
            json_decref(key);
        }
        return object;
    }
    }
}

static void test_http_dump__random_trees(void **state)
{
    (void)state;
    for (int i = 0; i < 2000; i++) {
        json_t *value = random_value(0);
        assert_same(value);
        json_decref(value);
    }
}

/* Decision 51: stored text that is not UTF-8 becomes a string with U+FFFD for each ill-formed
 * part, where json_string() returns NULL (and a json_pack of it fails whole); text that is
 * UTF-8 is kept as it is, NULL is null, and an object key is repaired the same way. */
static void test_http_dump__text_is_never_lost_to_bad_utf8(void **state)
{
    (void)state;
    assert_null(json_string("Cr\xe8me")); /* What aborted GET /v1/items/LAT. */
    json_t *text = oms_json_text("Cr\xe8me");
    assert_non_null(text);
    assert_string_equal(json_string_value(text), "Cr\xef\xbf\xbdme");
    json_decref(text);
    text = oms_json_text("Caf\xc3\xa9 \xf0\x9f\x98\x80");
    assert_string_equal(json_string_value(text), "Caf\xc3\xa9 \xf0\x9f\x98\x80");
    json_decref(text);
    text = oms_json_text(NULL);
    assert_true(json_is_null(text));
    json_decref(text);

    json_t *object = json_pack("{s:o, s:o}", "sku", oms_json_text("LAT\xe8"), "name",
                               oms_json_text("\xed\xa0\x80"));
    assert_non_null(object);
    assert_int_equal(oms_json_set_text_key(object, "R\xe9gion", json_integer(7)), 0);
    char *dumped = oms_json_dump(object, true, NULL);
    assert_string_equal(dumped, "{\"R\xef\xbf\xbdgion\":7,"
                                "\"name\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
                                "\"sku\":\"LAT\xef\xbf\xbd\"}");
    free(dumped);
    json_decref(object);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_dump__hand_picked_values),
        cmocka_unit_test(test_http_dump__random_trees),
        cmocka_unit_test(test_http_dump__text_is_never_lost_to_bad_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
