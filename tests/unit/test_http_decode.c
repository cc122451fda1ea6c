/*
 * test_http_decode.c - the field getters name the field of an error as a client reads it
 * ("id", "lines[2].sku"), cut to the decoder's room like snprintf would, and the names do not
 * depend on which getter failed. A body's keys are checked against the fields it may hold, at
 * every depth its list describes: an unknown one is refused by its path, never ignored.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/utf8.h"
#include "core/calendar.h"
#include "http/call.h"
#include "http/decode.h"
#include "http/router.h"

static json_t *parse(const char *text)
{
    json_error_t error;
    json_t *obj = json_loads(text, JSON_ALLOW_NUL, &error); /* As oms_decode_object() does. */
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

/* The shape of an order body, as route_orders.c declares it. */
static const struct oms_body_field customer_fields[] = {
    {"ref", NULL}, {"contact", NULL}, {NULL, NULL}};
static const struct oms_body_field line_fields[] = {{"sku", NULL}, {"qty", NULL}, {NULL, NULL}};
static const struct oms_body_field order_fields[] = {
    {"id", NULL}, {"customer", customer_fields}, {"lines", line_fields}, {NULL, NULL}};

/* Runs the check on `text`; returns whether it passed, leaving d as the check left it. */
static bool fields_pass(struct oms_decoder *d, const char *text)
{
    json_t *obj = parse(text);
    oms_decoder_init(d);
    bool ok = oms_decode_fields(d, obj, "", order_fields);
    assert_int_equal(ok, !d->failed);
    json_decref(obj);
    return ok;
}

static void assert_unknown(const char *text, const char *field)
{
    struct oms_decoder d;
    assert_false(fields_pass(&d, text));
    assert_int_equal(d.status, 422);
    assert_string_equal(d.code, "unknown_field");
    assert_string_equal(d.field, field);
    assert_non_null(strstr(d.message, "is not a known field"));
}

static void test_decode__accepts_a_body_of_known_fields(void **state)
{
    (void)state;
    struct oms_decoder d;
    assert_true(fields_pass(&d, "{}"));
    assert_true(fields_pass(&d, "{\"id\":\"O1\",\"customer\":{\"ref\":\"c\",\"contact\":\"x\"},"
                                "\"lines\":[{\"sku\":\"A\",\"qty\":1},{\"qty\":2}]}"));
    /* Wrong types are their getters' to name, not this check's. */
    assert_true(fields_pass(&d, "{\"id\":5,\"customer\":null,\"lines\":[1,\"x\",null]}"));
    assert_true(fields_pass(&d, "{\"customer\":[{\"ref\":\"c\"}],\"lines\":{\"sku\":\"A\"}}"));
}

static void test_decode__refuses_an_unknown_field_by_its_path(void **state)
{
    (void)state;
    assert_unknown("{\"id\":\"O1\",\"nmae\":\"typo\"}", "nmae");
    assert_unknown("{\"customer\":{\"ref\":\"c\",\"emial\":\"x\"}}", "customer.emial");
    assert_unknown("{\"lines\":[{\"sku\":\"A\",\"qty\":1},{\"sku\":\"B\",\"qtyy\":5}]}",
                   "lines[1].qtyy");
    /* A key of one object is unknown in another: "qty" belongs to a line, not the order. */
    assert_unknown("{\"qty\":1}", "qty");
    /* Null, empty or odd keys are keys too. */
    assert_unknown("{\"id\":\"O1\",\"\":1}", "");
    assert_unknown("{\"ID\":\"O1\"}", "ID");
}

static void test_decode__names_the_first_unknown_field_in_body_order(void **state)
{
    (void)state;
    assert_unknown("{\"zz\":1,\"aa\":2}", "zz");
    assert_unknown("{\"lines\":[{\"x\":1}],\"aa\":2}", "lines[0].x");
    assert_unknown("{\"aa\":2,\"lines\":[{\"x\":1}]}", "aa");
}

static void test_decode__lists_the_known_fields_in_the_message(void **state)
{
    (void)state;
    struct oms_decoder d;
    assert_false(fields_pass(&d, "{\"lines\":[{\"sku\":\"A\",\"quantity\":1}]}"));
    assert_string_equal(d.message,
                        "lines[0].quantity is not a known field; lines[0] takes sku, qty");
    assert_false(fields_pass(&d, "{\"nmae\":1}"));
    assert_string_equal(d.message,
                        "nmae is not a known field; the body takes id, customer, lines");
    static const struct oms_body_field none[] = {{NULL, NULL}};
    json_t *obj = parse("{\"dry_run\":true}");
    oms_decoder_init(&d);
    assert_false(oms_decode_fields(&d, obj, "", none));
    assert_string_equal(d.message, "dry_run is not a known field; the body takes no fields");
    json_decref(obj);
}

/* A client's key may be long, hold control bytes or multi-byte characters: its name in the
 * error stays one string of valid UTF-8 (an invalid one would turn the 422 into a 500). */
static void test_decode__shows_a_strange_key_as_valid_utf8(void **state)
{
    (void)state;
    /* jansson refuses a key holding \u0000 itself; other control bytes reach the check. */
    assert_unknown("{\"id\\n\":1}", "id?");
    assert_unknown("{\"a\\u007fb\":1}", "a?b");
    /* "é" is two bytes: 40 of them (80 bytes) are cut to whole characters within 64 bytes. */
    char text[256] = "{\"lines\":[{\"";
    for (int i = 0; i < 40; i++) strcat(text, "\xc3\xa9");
    strcat(text, "\":1}]}");
    struct oms_decoder d;
    assert_false(fields_pass(&d, text));
    assert_int_equal(strlen(d.field), strlen("lines[0].") + 64);
    assert_int_equal(strncmp(d.field, "lines[0].\xc3\xa9", 11), 0);
    /* Cut on the byte where a character starts, the name drops the half character. */
    char odd[256] = "{\"lines\":[{\"x";
    for (int i = 0; i < 40; i++) strcat(odd, "\xc3\xa9");
    strcat(odd, "\":1}]}");
    assert_false(fields_pass(&d, odd));
    assert_int_equal(strlen(d.field), strlen("lines[0].") + 63);
    assert_true(oms_utf8_valid(d.field, strlen(d.field), NULL));
    assert_true(oms_utf8_valid(d.message, strlen(d.message), NULL));
}

/* An instant that parses but lies outside what the engine takes is told the range, not told
 * to be RFC 3339 (which it is); text that does not parse is told the form. */
static void test_decode__an_instant_out_of_range_is_told_the_range(void **state)
{
    (void)state;
    static const char *const out_of_range[] = {"1970-01-01T00:00:00Z", "1999-12-31T23:59:59Z",
                                               "9000-01-01T00:00:01Z", "9999-12-31T23:59:59Z"};
    int64_t ms = 0;
    struct oms_decoder d;
    for (size_t i = 0; i < sizeof out_of_range / sizeof *out_of_range; i++) {
        json_t *obj = json_pack("{s:s}", "at", out_of_range[i]);
        oms_decoder_init(&d);
        assert_false(oms_get_instant(&d, obj, "", "at", true, &ms));
        assert_string_equal(d.field, "at");
        assert_int_equal(d.status, 422);
        assert_null(strstr(d.message, "must be an RFC 3339"));
        assert_non_null(strstr(d.message, "2000-01-01T00:00:00Z"));
        assert_non_null(strstr(d.message, "9000-01-01T00:00:00Z"));
        json_decref(obj);
    }
    /* The edges themselves are accepted. */
    static const char *const edges[] = {"2000-01-01T00:00:00Z", "9000-01-01T00:00:00Z"};
    for (size_t i = 0; i < 2; i++) {
        json_t *obj = json_pack("{s:s}", "at", edges[i]);
        oms_decoder_init(&d);
        assert_true(oms_get_instant(&d, obj, "", "at", true, &ms));
        json_decref(obj);
    }
    json_t *obj = json_pack("{s:s}", "as_of", "yesterday");
    oms_decoder_init(&d);
    assert_false(oms_get_instant(&d, obj, "rows[0]", "as_of", true, &ms));
    assert_string_equal(d.field, "rows[0].as_of");
    assert_non_null(strstr(d.message, "RFC 3339"));
    json_decref(obj);
}

/* A raw NUL byte is not JSON text: the error says so and where, not "end of file". */
static void test_decode__a_nul_byte_in_the_body_is_named_with_its_offset(void **state)
{
    (void)state;
    static const char body[] = "{\"sku\":\"A\0B\"}";
    struct oms_decoder d;
    oms_decoder_init(&d);
    assert_null(oms_decode_object(&d, body, sizeof body - 1));
    assert_int_equal(d.status, 400);
    assert_string_equal(d.code, "invalid_json");
    assert_non_null(strstr(d.message, "NUL byte"));
    assert_non_null(strstr(d.message, "offset 9"));
    assert_null(strstr(d.message, "end of file"));
    /* Outside a string too. */
    static const char body2[] = "{\"a\":1}\0";
    oms_decoder_init(&d);
    assert_null(oms_decode_object(&d, body2, sizeof body2 - 1));
    assert_non_null(strstr(d.message, "offset 7"));
    /* An escaped NUL inside a string is JSON: the body parses (fields refuse it later). */
    static const char escaped[] = "{\"sku\":\"A\\u0000B\"}";
    oms_decoder_init(&d);
    json_t *obj = oms_decode_object(&d, escaped, sizeof escaped - 1);
    assert_non_null(obj);
    json_decref(obj);
}

/* Parses text as oms_call_new() does; the object, or NULL with d failed. */
static json_t *decode(struct oms_decoder *d, const char *text)
{
    oms_decoder_init(d);
    return oms_decode_object(d, text, strlen(text));
}

/* Numbers JSON allows past what jansson holds are read as the edges of int64_t (or 1e308), so
 * that the field's getter refuses them by name as out of its range, never the body as a 400. */
static void test_decode__a_number_past_64_bits_is_refused_by_its_field(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t read_as; /* 0: a real. */
    } cases[] = {
        {"{\"qty\":9223372036854775808}", INT64_MAX},
        {"{\"qty\":123456789012345678901234567890}", INT64_MAX},
        {"{\"qty\":-9223372036854775809}", INT64_MIN},
        {"{\"qty\": -99999999999999999999999 }", INT64_MIN},
        {"{\"qty\":1e400}", 0},
        {"{\"qty\":-1.5E+400}", 0},
        {"{\"qty\":123456789012345678901234567890.5}", 0},
    };
    struct oms_decoder d;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *obj = decode(&d, cases[i].text);
        assert_non_null(obj);
        json_t *qty = json_object_get(obj, "qty");
        if (cases[i].read_as) {
            assert_true(json_is_integer(qty));
            assert_true(json_integer_value(qty) == cases[i].read_as);
        } else {
            assert_true(json_is_real(qty));
        }
        int64_t n = 0;
        oms_decoder_init(&d);
        assert_false(oms_get_int(&d, obj, "lines[0]", "qty", true, 1, 1000, &n));
        assert_int_equal(d.status, 422);
        assert_string_equal(d.code, "invalid_field");
        assert_string_equal(d.field, "lines[0].qty");
        assert_non_null(strstr(d.message, "between 1 and 1000"));
        const char *text = NULL;
        oms_decoder_init(&d);
        assert_false(oms_get_text(&d, obj, "", "qty", true, 64, &text));
        assert_string_equal(d.field, "qty");
        json_decref(obj);
    }
    /* The largest integers jansson holds are read as they are, and what underflows a double is
     * a small real, not an error. */
    json_t *obj = decode(&d, "{\"a\":9223372036854775807,\"b\":-9223372036854775808,\"c\":1e-400}");
    assert_non_null(obj);
    assert_true(json_integer_value(json_object_get(obj, "a")) == INT64_MAX);
    assert_true(json_integer_value(json_object_get(obj, "b")) == INT64_MIN);
    assert_true(json_is_real(json_object_get(obj, "c")));
    json_decref(obj);
    /* A string of digits is a string. */
    obj = decode(&d, "{\"sku\":\"123456789012345678901234567890\",\"n\":1e400}");
    assert_non_null(obj);
    assert_string_equal(json_string_value(json_object_get(obj, "sku")),
                        "123456789012345678901234567890");
    json_decref(obj);
}

/* Text that is not JSON stays a 400, whether or not it also holds a number past 64 bits. */
static void test_decode__malformed_json_with_a_huge_number_is_still_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"qty\":0123456789012345678901}",
        "{\"qty\":1e400, \"x\" 1}",
        "{\"qty\":12345678901234567890123.}",
        "{\"qty\":12345678901234567890123e}",
        "{\"qty\":12345678901234567890123 4}",
        "{\"qty\":--12345678901234567890123}",
        "{\"qty\":1e400,\"qty\":1}",
        "[99999999999999999999999]",
        "{\"a\\u0000\":1,\"a\\u0001\":2}",
    };
    struct oms_decoder d;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_null(decode(&d, bad[i]));
        assert_int_equal(d.status, 400);
        assert_string_equal(d.code, "invalid_json");
        assert_string_equal(d.field, "");
    }
}

/* "\u0000" in a key is JSON that jansson refuses: the key is read with U+0001 instead, which
 * no field list holds, so it is named as an unknown field (with a '?'), and a map's key is
 * refused as a code naming it. A NUL inside a value is untouched. */
static void test_decode__a_nul_in_a_key_is_named_as_the_key(void **state)
{
    (void)state;
    static const struct oms_body_field qty_fields[] = {{"qty", NULL}, {NULL, NULL}};
    static const struct oms_body_field fields[] = {
        {"name", NULL}, {"lines", qty_fields}, {"distances", NULL}, {NULL, NULL}};
    struct oms_decoder d;
    json_t *obj = decode(&d, "{\"name\":\"a\\u0000b\",\"lines\":[{\"q\\u0000ty\" : 1}]}");
    assert_non_null(obj);
    assert_int_equal(json_string_length(json_object_get(obj, "name")), 3);
    assert_false(oms_decode_fields(&d, obj, "", fields));
    assert_string_equal(d.code, "unknown_field");
    assert_string_equal(d.field, "lines[0].q?ty");
    json_decref(obj);

    obj = decode(&d, "{\"distances\":{\"E\\u0000U\":5}}");
    assert_non_null(obj);
    assert_true(oms_decode_fields(&d, obj, "", fields));
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(obj, "distances"), key, value) {
        assert_false(oms_check_key(&d, "distances", key, 16));
    }
    assert_int_equal(d.status, 422);
    assert_string_equal(d.field, "distances.E?U");
    json_decref(obj);
}

/* Null is no value: an optional field sent as null is absent, a required one is missing. */
static void test_decode__null_is_the_same_as_left_out(void **state)
{
    (void)state;
    json_t *obj = parse("{\"region\":null,\"qty\":null,\"ok\":null,\"at\":null,\"day\":null}");
    struct oms_decoder d;
    const char *text = "kept";
    int64_t n = 7, ms = 7;
    bool flag = true;
    oms_day day = 7;
    json_t *array = NULL;
    oms_decoder_init(&d);
    assert_false(oms_get_id(&d, obj, "", "region", false, 64, &text));
    assert_false(oms_get_int(&d, obj, "", "qty", false, 1, 10, &n));
    assert_false(oms_get_bool(&d, obj, "", "ok", false, &flag));
    assert_false(oms_get_instant(&d, obj, "", "at", false, &ms));
    assert_false(oms_get_date(&d, obj, "", "day", false, &day));
    assert_false(oms_get_array(&d, obj, "", "qty", false, 10, &array));
    assert_false(d.failed);
    assert_string_equal(text, "kept");
    assert_true(n == 7 && ms == 7 && flag && day == 7 && array == NULL);
    assert_null(oms_field_value(obj, "region"));
    assert_true(oms_is_null(obj, "region"));

    oms_decoder_init(&d);
    assert_false(oms_get_int(&d, obj, "lines[3]", "qty", true, 1, 10, &n));
    assert_string_equal(d.code, "missing_field");
    assert_string_equal(d.field, "lines[3].qty");
    json_decref(obj);
}

/* An empty string is refused by name: no value is said by leaving a field out. */
static void test_decode__an_empty_text_is_refused_by_name(void **state)
{
    (void)state;
    json_t *obj = parse("{\"name\":\"\",\"reason\":\"\"}");
    struct oms_decoder d;
    const char *text = NULL;
    oms_decoder_init(&d);
    assert_false(oms_get_text(&d, obj, "", "name", false, 64, &text));
    assert_int_equal(d.status, 422);
    assert_string_equal(d.code, "invalid_field");
    assert_string_equal(d.field, "name");
    assert_non_null(strstr(d.message, "empty"));
    oms_decoder_init(&d);
    assert_false(oms_get_id(&d, obj, "customer", "reason", true, 64, &text));
    assert_string_equal(d.field, "customer.reason");
    json_decref(obj);
}

/* Dates are taken from 2000-01-01 to 9000-12-31, as instants are; outside, the range is told. */
static void test_decode__a_date_out_of_range_is_told_the_range(void **state)
{
    (void)state;
    static const char *const out[] = {"1900-01-01", "1970-01-01", "1999-12-31", "9001-01-01"};
    static const char *const in[] = {"2000-01-01", "2010-12-01", "9000-12-31"};
    struct oms_decoder d;
    oms_day day = 0;
    for (size_t i = 0; i < sizeof out / sizeof *out; i++) {
        json_t *obj = json_pack("{s:s}", "expected_date", out[i]);
        oms_decoder_init(&d);
        assert_false(oms_get_date(&d, obj, "", "expected_date", true, &day));
        assert_string_equal(d.field, "expected_date");
        assert_non_null(strstr(d.message, "from 2000-01-01 to 9000-12-31"));
        json_decref(obj);
    }
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        json_t *obj = json_pack("{s:s}", "expected_date", in[i]);
        oms_decoder_init(&d);
        assert_true(oms_get_date(&d, obj, "", "expected_date", true, &day));
        char text[11];
        oms_day_format(day, text);
        assert_string_equal(text, in[i]);
        json_decref(obj);
    }
    json_t *obj = json_pack("{s:s}", "latest_date", "2010-02-30");
    oms_decoder_init(&d);
    assert_false(oms_get_date(&d, obj, "lines[1]", "latest_date", true, &day));
    assert_string_equal(d.field, "lines[1].latest_date");
    assert_non_null(strstr(d.message, "YYYY-MM-DD"));
    json_decref(obj);
}

/* A body is JSON in UTF-8: application/json with no charset or charset=utf-8. */
static void test_decode__a_body_must_be_json_in_utf8(void **state)
{
    (void)state;
    static const char *const good[] = {
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "application/json; charset=\"utf-8\"",
        "application/json ; CHARSET=Utf-8 ; v=1",
        "application/json;",
    };
    static const char *const bad[] = {
        "text/plain",
        "application/jsonx",
        "application/json-patch+json",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin1",
        "application/json; charset=utf-16",
        "application/json; charset=\"iso-8859-1\"",
        "application/json; charset",
        "application/json; charset=",
        "application/json; charset=\"utf-8",
        "application/json, text/plain",
        "application/json;;",
        "application/json; =x",
        "",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        assert_null(oms_media_type_error(good[i]));
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_non_null(oms_media_type_error(bad[i]));
    }
    assert_non_null(oms_media_type_error(NULL));
    assert_non_null(strstr(oms_media_type_error("application/json; charset=latin1"), "UTF-8"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode__names_top_level_and_nested_fields),
        cmocka_unit_test(test_decode__cuts_a_long_name_to_the_room),
        cmocka_unit_test(test_decode__accepts_a_body_of_known_fields),
        cmocka_unit_test(test_decode__refuses_an_unknown_field_by_its_path),
        cmocka_unit_test(test_decode__names_the_first_unknown_field_in_body_order),
        cmocka_unit_test(test_decode__lists_the_known_fields_in_the_message),
        cmocka_unit_test(test_decode__shows_a_strange_key_as_valid_utf8),
        cmocka_unit_test(test_decode__an_instant_out_of_range_is_told_the_range),
        cmocka_unit_test(test_decode__a_nul_byte_in_the_body_is_named_with_its_offset),
        cmocka_unit_test(test_decode__a_number_past_64_bits_is_refused_by_its_field),
        cmocka_unit_test(test_decode__malformed_json_with_a_huge_number_is_still_malformed),
        cmocka_unit_test(test_decode__a_nul_in_a_key_is_named_as_the_key),
        cmocka_unit_test(test_decode__null_is_the_same_as_left_out),
        cmocka_unit_test(test_decode__an_empty_text_is_refused_by_name),
        cmocka_unit_test(test_decode__a_date_out_of_range_is_told_the_range),
        cmocka_unit_test(test_decode__a_body_must_be_json_in_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
