/*
 * test_http_jbuf.c - base/jbuf.h, the writer of the hot read path's answers: its strings and
 * integers are byte-identical to what jansson's json_dumps writes for the rest of the API
 * (every ASCII byte, UTF-8, the integer extremes), text that is not UTF-8 is written with
 * U+FFFD, and it grows from any starting storage.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/jbuf.h"

static char *jansson_text(json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(value);
    assert_non_null(text);
    return text;
}

static void assert_str_like_jansson(const char *s)
{
    char storage[8];
    struct oms_jbuf b;
    oms_jbuf_init(&b, storage, sizeof storage);
    oms_jbuf_str(&b, s);
    char *want = jansson_text(json_string(s));
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.text, want, b.len);
    free(want);
    oms_jbuf_release(&b);
}

static void strings_escape_like_jansson(void **state)
{
    (void)state;
    for (int c = 1; c < 128; c++) {
        char s[4] = {'a', (char)c, 'z', '\0'};
        assert_str_like_jansson(s);
    }
    assert_str_like_jansson("");
    assert_str_like_jansson("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 / \\ \"");
    assert_str_like_jansson("\x01\x1f\x7f\n\r\t\b\f");
}

/* Text that is not UTF-8 (stored before decision 51) is written with U+FFFD for each ill-formed
 * part, as jansson writes the repaired text, instead of bytes no client can decode. */
static void ill_formed_parts_become_u_fffd(void **state)
{
    (void)state;
    static const struct {
        const char *stored, *shown;
    } cases[] = {
        {"Cr\xe8me", "Cr\xef\xbf\xbdme"},
        {"LAT\xe8", "LAT\xef\xbf\xbd"},
        {"\xc0\xaf\"", "\xef\xbf\xbd\xef\xbf\xbd\""},
        {"\xed\xa0\x80x", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx"},
        {"\xf0\x9f\x98", "\xef\xbf\xbd"},
        {"ok \xc3\xa9\n\xff", "ok \xc3\xa9\n\xef\xbf\xbd"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct oms_jbuf b;
        oms_jbuf_init(&b, NULL, 0);
        oms_jbuf_str(&b, cases[i].stored);
        char *want = jansson_text(json_string(cases[i].shown));
        assert_int_equal(b.len, strlen(want));
        assert_memory_equal(b.text, want, b.len);
        free(want);
        oms_jbuf_release(&b);
    }
}

static void assert_int_like_jansson(int64_t value)
{
    struct oms_jbuf b;
    oms_jbuf_init(&b, NULL, 0);
    oms_jbuf_int(&b, value);
    char *want = jansson_text(json_integer((json_int_t)value));
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.text, want, b.len);
    free(want);
    oms_jbuf_release(&b);
}

/* Every number of up to four digits, each power of ten and its neighbours, the extremes. */
static void integers_like_jansson(void **state)
{
    (void)state;
    for (int64_t v = -10000; v <= 10000; v++) assert_int_like_jansson(v);
    int64_t power = 1;
    for (int i = 0; i <= 18; i++) {
        assert_int_like_jansson(power - 1);
        assert_int_like_jansson(power);
        assert_int_like_jansson(power + 1);
        assert_int_like_jansson(-power);
        assert_int_like_jansson(-power - 1);
        if (i < 18) power *= 10; /* 10^18 is the last power below INT64_MAX. */
    }
    assert_int_like_jansson(INT64_MAX);
    assert_int_like_jansson(INT64_MIN);
    assert_int_like_jansson(INT64_MIN + 1);
    assert_int_like_jansson(999999990);
}

/* A document written piece by piece across many growths, from no storage and from a little. */
static void grows_and_keeps_every_byte(void **state)
{
    (void)state;
    char small[3];
    char *starts[] = {NULL, small};
    size_t caps[] = {0, sizeof small};
    for (int s = 0; s < 2; s++) {
        struct oms_jbuf b;
        oms_jbuf_init(&b, starts[s], caps[s]);
        json_t *array = json_array();
        oms_jbuf_lit(&b, "[");
        for (int i = 0; i < 2000; i++) {
            char sku[32];
            snprintf(sku, sizeof sku, "S%06d\"%d", i, i % 7);
            if (i > 0) oms_jbuf_lit(&b, ",");
            oms_jbuf_lit(&b, "{\"sku\":");
            oms_jbuf_str(&b, sku);
            oms_jbuf_lit(&b, ",\"n\":");
            oms_jbuf_int(&b, (int64_t)i * -37);
            oms_jbuf_lit(&b, "}");
            json_array_append_new(array, json_pack("{s:s, s:I}", "sku", sku, "n",
                                                   (json_int_t)i * -37));
        }
        oms_jbuf_lit(&b, "]");
        char *want = jansson_text(array);
        assert_int_equal(b.len, strlen(want));
        assert_memory_equal(b.text, want, b.len);
        free(want);
        oms_jbuf_release(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strings_escape_like_jansson),
        cmocka_unit_test(ill_formed_parts_become_u_fffd),
        cmocka_unit_test(integers_like_jansson),
        cmocka_unit_test(grows_and_keeps_every_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
