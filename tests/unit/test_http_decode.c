/*
 * test_http_decode.c - the field getters name the field of an error as a client reads it
 * ("id", "lines[2].sku"), cut to the decoder's room like snprintf would, and the names do not
 * depend on which getter failed.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/decode.h"

static json_t *parse(const char *text)
{
    json_error_t error;
    json_t *obj = json_loads(text, 0, &error);
    assert_non_null(obj);
    return obj;
}

static void test_decode__names_top_level_and_nested_fields(void **state)
{
    (void)state;
    json_t *obj = parse("{\"id\":5,\"qty\":\"x\"}");
    struct oms_decoder d;
    const char *text = NULL;
    int64_t n = 0;

    oms_decoder_init(&d);
    assert_false(oms_get_id(&d, obj, "", "id", true, 64, &text));
    assert_string_equal(d.field, "id");
    assert_int_equal(d.status, 422);

    oms_decoder_init(&d);
    assert_false(oms_get_int(&d, obj, "lines[2]", "qty", true, 1, 10, &n));
    assert_string_equal(d.field, "lines[2].qty");

    oms_decoder_init(&d);
    assert_false(oms_get_text(&d, obj, "lines[12]", "sku", true, 64, &text));
    assert_string_equal(d.field, "lines[12].sku");
    assert_string_equal(d.code, "missing_field");
    assert_non_null(strstr(d.message, "lines[12].sku is required"));

    /* A present, valid field fails nothing and names nothing. */
    json_t *ok = parse("{\"id\":\"O-1\"}");
    oms_decoder_init(&d);
    assert_true(oms_get_id(&d, ok, "", "id", true, 64, &text));
    assert_false(d.failed);
    assert_string_equal(text, "O-1");
    json_decref(ok);
    json_decref(obj);
}

static void test_decode__cuts_a_long_name_to_the_room(void **state)
{
    (void)state;
    char path[200];
    memset(path, 'p', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    json_t *obj = parse("{}");
    struct oms_decoder d;
    const char *text = NULL;
    oms_decoder_init(&d);
    assert_false(oms_get_text(&d, obj, path, "sku", true, 64, &text));
    assert_int_equal(strlen(d.field), sizeof d.field - 1);
    assert_int_equal(strspn(d.field, "p"), sizeof d.field - 1);

    /* Exactly at the room's edge: "path.key" of 95 bytes fits whole. */
    char edge[92];
    memset(edge, 'e', sizeof edge - 1);
    edge[sizeof edge - 1] = '\0';
    oms_decoder_init(&d);
    assert_false(oms_get_text(&d, obj, edge, "sku", true, 64, &text));
    assert_int_equal(strlen(d.field), 91 + 4);
    assert_string_equal(d.field + 91, ".sku");
    json_decref(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode__names_top_level_and_nested_fields),
        cmocka_unit_test(test_decode__cuts_a_long_name_to_the_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
