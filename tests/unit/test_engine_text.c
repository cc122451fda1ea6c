/*
 * test_engine_text.c - the hand-written number formatting on the write path (issue 4: snprintf
 * was a sixth of an order's instructions) writes exactly what the printf formats it replaced
 * wrote: RFC 3339 instants and event payload integers; event payload strings are escaped
 * exactly as the character-at-a-time escaper did (quotes, backslashes, control characters,
 * UTF-8 bytes, at the start, the end and in runs).
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/jsonw.h"
#include "base/utf8.h"
#include "core/calendar.h"
#include "engine/clock.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return rng >> 11;
}

/* The printf version oms_rfc3339_format had. */
static void reference_rfc3339(int64_t ms, char out[OMS_RFC3339_LEN])
{
    int64_t day = ms >= 0 ? ms / 86400000 : -((-ms + 86400000 - 1) / 86400000);
    int64_t rest = ms - day * 86400000;
    int32_t year, month, mday;
    oms_day_to_ymd((oms_day)day, &year, &month, &mday);
    int hour = (int)(rest / 3600000), minute = (int)(rest / 60000 % 60);
    int second = (int)(rest / 1000 % 60), millis = (int)(rest % 1000);
    if (millis) {
        snprintf(out, OMS_RFC3339_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, month, mday,
                 hour, minute, second, millis);
    } else {
        snprintf(out, OMS_RFC3339_LEN, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month, mday, hour,
                 minute, second);
    }
}

static void test_engine__rfc3339_as_printf(void **state)
{
    (void)state;
    int64_t fixed[] = {0, 1, 999, 1000, 86399999, 86400000, -1, -86400000,
                       253402300799999LL /* 9999-12-31T23:59:59.999Z */, 253402300800000LL,
                       -62167219200000LL /* 0000-01-01 */, -62167219200001LL, 1798761600000LL};
    char got[OMS_RFC3339_LEN], want[OMS_RFC3339_LEN];
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        oms_rfc3339_format(fixed[i], got);
        reference_rfc3339(fixed[i], want);
        assert_string_equal(got, want);
    }
    for (int i = 0; i < 100000; i++) {
        /* Years 1970-2100 mostly, whole seconds half the time. */
        int64_t ms = (int64_t)(next() % 4102444800000ull);
        if (i % 2) ms -= ms % 1000;
        oms_rfc3339_format(ms, got);
        reference_rfc3339(ms, want);
        assert_string_equal(got, want);
    }
}

static void test_engine__jsonw_int_as_printf(void **state)
{
    (void)state;
    int64_t values[] = {0, 1, -1, 9, 10, -10, 123456789, INT64_MAX, INT64_MIN, INT64_MIN + 1};
    for (int i = 0; i < 20000; i++) {
        int64_t v = i < 10 ? values[i] : (int64_t)(next() >> (next() % 53)) * (i % 2 ? 1 : -1);
        struct oms_jsonw json;
        oms_jsonw_begin(&json);
        oms_jsonw_int(&json, "n", v);
        char want[64];
        snprintf(want, sizeof want, "{\"n\":%lld}", (long long)v);
        assert_string_equal(oms_jsonw_end(&json), want);
    }
}

/* The escaper jsonw.c had, one character at a time, after base/utf8.h's repair: since decision
 * 51 an ill-formed part (the alphabet below makes many) is written as U+FFFD. */
static void reference_string(const char *s, char *out)
{
    char repaired[128];
    size_t repaired_len = oms_utf8_repair(s, strlen(s), repaired);
    repaired[repaired_len] = '\0';
    size_t n = 0;
    out[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)repaired; *p; p++) {
        if (*p == '"' || *p == '\\') {
            out[n++] = '\\';
            out[n++] = (char)*p;
        } else if (*p < 0x20) {
            n += (size_t)snprintf(out + n, 8, "\\u%04x", *p);
        } else {
            out[n++] = (char)*p;
        }
    }
    out[n++] = '"';
    out[n] = '\0';
}

static void test_engine__jsonw_str_as_before(void **state)
{
    (void)state;
    static const unsigned char alphabet[] = {'a', 'Z', '0', '-', ' ', '"', '\\', '/', 0x01, 0x1f,
                                             '\n', 0x7f, 0xc3, 0xa9, 0xe2, 0x82, 0xac};
    const char *fixed[] = {"", "\"", "\\", "a", "\"a\"", "SKU-1", "\n\t", "\xc3\xa9t\xc3\xa9"};
    for (int i = 0; i < 20000; i++) {
        char value[40];
        if (i < (int)(sizeof fixed / sizeof *fixed)) {
            snprintf(value, sizeof value, "%s", fixed[i]);
        } else {
            size_t len = next() % 32;
            for (size_t k = 0; k < len; k++) {
                value[k] = (char)alphabet[next() % sizeof alphabet];
            }
            value[len] = '\0';
        }
        struct oms_jsonw json;
        oms_jsonw_begin(&json);
        oms_jsonw_str(&json, "s", value);
        oms_jsonw_str(&json, "t", value);
        char quoted[256], want[600];
        reference_string(value, quoted);
        snprintf(want, sizeof want, "{\"s\":%s,\"t\":%s}", quoted, quoted);
        assert_string_equal(oms_jsonw_end(&json), want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine__rfc3339_as_printf),
        cmocka_unit_test(test_engine__jsonw_int_as_printf),
        cmocka_unit_test(test_engine__jsonw_str_as_before),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
