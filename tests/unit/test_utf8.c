/*
 * test_utf8.c - the UTF-8 check and repair of base/utf8.h: the edges of every row of Unicode's
 * Table 3-7 (multi-byte characters, overlong forms, surrogates, code points past U+10FFFF,
 * sequences cut short), where the first bad byte is reported, the repair of Unicode's own
 * example (Table 3-8), and the trim of a message cut by snprintf. Then every string of one to
 * three bytes, and a million random ones of four to eight, against a slow reference written
 * here from the definition instead of the table: a string is well-formed when it splits into
 * the shortest encodings of Unicode scalar values.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/utf8.h"

static bool valid(const char *s) { return oms_utf8_valid(s, strlen(s), NULL); }

/* The offset oms_utf8_valid() reports for s, which must be ill-formed. */
static size_t bad_offset(const char *s)
{
    size_t offset = 999;
    assert_false(oms_utf8_valid(s, strlen(s), &offset));
    return offset;
}

/* s repaired, NUL-terminated, in out (room for 3 * strlen(s) + 1 bytes). */
static const char *repaired(const char *s, char *out)
{
    size_t len = strlen(s);
    size_t n = oms_utf8_repair(s, len, out);
    assert_int_equal(n, oms_utf8_repaired_len(s, len));
    out[n] = '\0';
    return out;
}

static void test_utf8__accepts_ascii_and_every_length_of_character(void **state)
{
    (void)state;
    assert_true(oms_utf8_valid("", 0, NULL));
    assert_true(oms_utf8_valid("\0", 1, NULL)); /* U+0000 is a character; callers refuse it. */
    assert_true(valid("plain ASCII \x01\x7f"));
    assert_true(valid("\xc2\x80"));         /* U+0080, the first two-byte character. */
    assert_true(valid("\xdf\xbf"));         /* U+07FF */
    assert_true(valid("\xe0\xa0\x80"));     /* U+0800, the first three-byte character. */
    assert_true(valid("Cr\xc3\xa8me"));     /* Crème */
    assert_true(valid("\xe4\xb8\xad"));     /* U+4E2D */
    assert_true(valid("\xed\x9f\xbf"));     /* U+D7FF, just below the surrogates. */
    assert_true(valid("\xee\x80\x80"));     /* U+E000, just above them. */
    assert_true(valid("\xef\xbf\xbd"));     /* U+FFFD */
    assert_true(valid("\xef\xbf\xbf"));     /* U+FFFF */
    assert_true(valid("\xf0\x90\x80\x80")); /* U+10000, the first four-byte character. */
    assert_true(valid("\xf0\x9d\x84\x9e")); /* U+1D11E */
    assert_true(valid("\xf4\x8f\xbf\xbf")); /* U+10FFFF, the last code point. */
}

static void test_utf8__refuses_overlong_forms(void **state)
{
    (void)state;
    assert_false(valid("\xc0\x80"));         /* U+0000 in two bytes ("modified UTF-8"). */
    assert_false(valid("\xc1\xbf"));         /* U+007F in two. */
    assert_false(valid("\xe0\x80\x80"));     /* U+0000 in three. */
    assert_false(valid("\xe0\x9f\xbf"));     /* U+07FF in three. */
    assert_false(valid("\xf0\x80\x80\x80")); /* U+0000 in four. */
    assert_false(valid("\xf0\x8f\xbf\xbf")); /* U+FFFF in four. */
    assert_false(valid("\xc0\xaf"));         /* '/' in two: the classic path trick. */
}

static void test_utf8__refuses_surrogates(void **state)
{
    (void)state;
    assert_false(valid("\xed\xa0\x80"));                 /* U+D800 */
    assert_false(valid("\xed\xaf\xbf"));                 /* U+DBFF */
    assert_false(valid("\xed\xb0\x80"));                 /* U+DC00 */
    assert_false(valid("\xed\xbf\xbf"));                 /* U+DFFF */
    assert_false(valid("\xed\xa0\xbd\xed\xb2\xa9"));     /* A pair as CESU-8 writes it. */
}

static void test_utf8__refuses_code_points_past_u10ffff(void **state)
{
    (void)state;
    assert_false(valid("\xf4\x90\x80\x80"));         /* U+110000 */
    assert_false(valid("\xf7\xbf\xbf\xbf"));         /* U+1FFFFF */
    assert_false(valid("\xf8\x88\x80\x80\x80"));     /* Five bytes (old RFC 2279). */
    assert_false(valid("\xfc\x84\x80\x80\x80\x80")); /* Six. */
    assert_false(valid("\xfe"));
    assert_false(valid("\xff"));
}

static void test_utf8__refuses_sequences_cut_short_or_broken(void **state)
{
    (void)state;
    assert_false(valid("\xc3"));             /* A lead byte at the end. */
    assert_false(valid("\xe2\x82"));         /* Two of three. */
    assert_false(valid("\xf0\x9f\x98"));     /* Three of four. */
    assert_false(valid("\xe2\x82x"));        /* Cut short by ASCII. */
    assert_false(valid("\xe2\x28\xa1"));     /* A bad second byte. */
    assert_false(valid("\x80"));             /* A continuation byte alone. */
    assert_false(valid("\xbf\xbf"));
    assert_false(valid("Cr\xe8me"));         /* Latin-1: è is E8, a lead without its tail. */
    assert_false(valid("\xc3\xa8\xa8"));     /* One continuation too many. */
}

static void test_utf8__reports_the_offset_of_the_first_bad_byte(void **state)
{
    (void)state;
    assert_int_equal(bad_offset("Cr\xe8me"), 2);
    assert_int_equal(bad_offset("\xff\xfe"), 0);
    assert_int_equal(bad_offset("\xc3\xa8\xe8"), 2);       /* After a good è. */
    assert_int_equal(bad_offset("ab\xf0\x9f\x98"), 2);     /* The start of the cut sequence. */
    assert_int_equal(bad_offset("ab\xed\xa0\x80"), 2);     /* The start of the surrogate. */
    assert_int_equal(bad_offset("ERP-\xe9"), 4);
    size_t offset = 999;
    assert_false(oms_utf8_valid("ok\xc3", 3, &offset));    /* Length, not the NUL, decides. */
    assert_int_equal(offset, 2);
    assert_true(oms_utf8_valid("ok\xc3\xa8", 2, &offset)); /* Only the first two bytes. */
}

static void test_utf8__char_gives_the_length_or_the_maximal_subpart(void **state)
{
    (void)state;
    size_t bad = 0;
    assert_int_equal(oms_utf8_char("a", 1, &bad), 1);
    assert_int_equal(oms_utf8_char("\xc3\xa8x", 3, &bad), 2);
    assert_int_equal(oms_utf8_char("\xf0\x9d\x84\x9e", 4, &bad), 4);
    assert_int_equal(oms_utf8_char("\xf1\x80\x80\xe1", 4, &bad), 0);
    assert_int_equal(bad, 3); /* F1 80 80 could have begun a character: one U+FFFD. */
    assert_int_equal(oms_utf8_char("\xe0\x80\x80", 3, &bad), 0);
    assert_int_equal(bad, 1); /* E0 80 begins nothing (overlong): E0 alone. */
    assert_int_equal(oms_utf8_char("\xed\xa0\x80", 3, &bad), 0);
    assert_int_equal(bad, 1); /* ED A0 begins a surrogate: ED alone. */
    assert_int_equal(oms_utf8_char("\xe2\x82", 2, &bad), 0);
    assert_int_equal(bad, 2);
    assert_int_equal(oms_utf8_char("\xc0\x80", 2, &bad), 0);
    assert_int_equal(bad, 1);
}

static void test_utf8__repairs_with_one_replacement_per_maximal_subpart(void **state)
{
    (void)state;
    char out[128];
    /* Unicode's Table 3-8: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64. */
    assert_string_equal(repaired("a\xf1\x80\x80\xe1\x80\xc2" "b\x80" "c\x80\xbf" "d", out),
                        "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b\xef\xbf\xbd"
                        "c\xef\xbf\xbd\xef\xbf\xbd" "d");
    assert_string_equal(repaired("Cr\xe8me", out), "Cr\xef\xbf\xbdme");
    assert_string_equal(repaired("\xff\xfe", out), "\xef\xbf\xbd\xef\xbf\xbd");
    assert_string_equal(repaired("\xed\xa0\x80", out), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    assert_string_equal(repaired("Cr\xc3\xa8me \xf0\x9d\x84\x9e", out),
                        "Cr\xc3\xa8me \xf0\x9d\x84\x9e"); /* Well-formed: unchanged. */
    assert_int_equal(oms_utf8_repaired_len("", 0), 0);
    assert_int_equal(oms_utf8_repaired_len("\x80\x80\x80", 3), 9); /* The bound: 3 per byte. */
    assert_true(valid(repaired("\xc0\xaf\xe0\x80\xaf\xf8\x80\x80\x80\xaf", out)));
}

static void test_utf8__trim_drops_only_a_character_cut_short(void **state)
{
    (void)state;
    char text[16];
    snprintf(text, sizeof text, "%s", "ab\xe4\xb8");
    oms_utf8_trim(text);
    assert_string_equal(text, "ab");
    snprintf(text, sizeof text, "%s", "ab\xe4\xb8\xad");
    oms_utf8_trim(text);
    assert_string_equal(text, "ab\xe4\xb8\xad");
    snprintf(text, sizeof text, "%s", "ab\xf0\x9d\x84");
    oms_utf8_trim(text);
    assert_string_equal(text, "ab");
    snprintf(text, sizeof text, "%s", "plain");
    oms_utf8_trim(text);
    assert_string_equal(text, "plain");
    text[0] = '\0';
    oms_utf8_trim(text);
    assert_string_equal(text, "");
}

/* --- The reference: shortest encodings of scalar values, no table --- */

static size_t encode(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static bool scalar(uint32_t cp) { return cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF); }

/* The length of the character at p[0..len) when some k bytes there are exactly the encoding
 * of a scalar value, read with the payload bits any k-byte form carries; 0 when none are. */
static size_t reference_char(const unsigned char *p, size_t len)
{
    static const unsigned char lead_bits[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    for (size_t k = 1; k <= 4 && k <= len; k++) {
        uint32_t cp = p[0] & lead_bits[k];
        for (size_t i = 1; i < k; i++) cp = cp << 6 | (p[i] & 0x3Fu);
        unsigned char bytes[4];
        if (scalar(cp) && encode(cp, bytes) == k && memcmp(bytes, p, k) == 0) return k;
    }
    return 0;
}

static bool reference_valid(const unsigned char *p, size_t len, size_t *bad_offset)
{
    for (size_t i = 0; i < len;) {
        size_t n = reference_char(p + i, len - i);
        if (n == 0) {
            *bad_offset = i;
            return false;
        }
        i += n;
    }
    return true;
}

static void check_against_reference(const unsigned char *p, size_t len)
{
    size_t want_offset = 0, got_offset = 0;
    bool want = reference_valid(p, len, &want_offset);
    bool got = oms_utf8_valid((const char *)p, len, &got_offset);
    if (want != got || (!want && want_offset != got_offset)) {
        char hex[64] = "";
        for (size_t i = 0; i < len; i++) snprintf(hex + 3 * i, 4, "%02X ", p[i]);
        fail_msg("%s: reference says %s at %zu, oms_utf8_valid %s at %zu", hex,
                 want ? "valid" : "invalid", want_offset, got ? "valid" : "invalid", got_offset);
    }
    char out[3 * 8];
    size_t n = oms_utf8_repair((const char *)p, len, out);
    if (!oms_utf8_valid(out, n, NULL)) fail_msg("a repair is not well-formed");
    if (want && (n != len || memcmp(out, p, len) != 0)) fail_msg("a repair changed good text");
}

static void test_utf8__agrees_with_the_reference_on_every_short_string(void **state)
{
    (void)state;
    unsigned char p[3];
    for (uint32_t v = 0; v < (1u << 24); v++) {
        p[0] = (unsigned char)(v >> 16);
        p[1] = (unsigned char)(v >> 8);
        p[2] = (unsigned char)v;
        if (v < 256) check_against_reference(p + 2, 1);
        if (v < 65536) check_against_reference(p + 1, 2);
        check_against_reference(p, 3);
    }
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) { /* Every scalar value, four bytes included. */
        unsigned char bytes[4];
        size_t n = encode(cp, bytes);
        if (oms_utf8_valid((const char *)bytes, n, NULL) != scalar(cp)) fail_msg("U+%X", cp);
    }
}

static void test_utf8__agrees_with_the_reference_on_random_longer_strings(void **state)
{
    (void)state;
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    unsigned char p[8];
    for (int round = 0; round < 1000000; round++) {
        size_t len = 4 + (size_t)(round % 5);
        for (size_t i = 0; i < len; i++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            /* Mostly bytes from 80 to FF, where the rules are. */
            p[i] = (unsigned char)((rng & 7) == 0 ? rng >> 8 & 0x7F : 0x80 | (rng >> 8 & 0x7F));
        }
        check_against_reference(p, len);
    }
}

/* C0, DEL and C1 are control characters; U+00A0 (C2 A0) and everything past it are not. */
static void test_utf8__text_control_finds_c0_del_and_c1(void **state)
{
    (void)state;
    assert_int_equal(oms_text_control("plain", 5), 5);
    assert_int_equal(oms_text_control("", 0), 0);
    assert_int_equal(oms_text_control("a\tb", 3), 1);
    assert_int_equal(oms_text_control("ab\x7f", 3), 2);
    assert_int_equal(oms_text_control("x\xc2\x80", 3), 1);
    assert_int_equal(oms_text_control("x\xc2\x9f", 3), 1);
    assert_int_equal(oms_text_control("\xc2\xa0\xc3\xa9\xe2\x82\xac", 7), 7);
    assert_int_equal(oms_text_control("\xf0\x9d\x84\x9e", 4), 4);
    /* A lead byte at the very end (the caller's text was cut): not read past len. */
    assert_int_equal(oms_text_control("ab\xc2", 3), 3);
    /* C2 before a byte that cannot continue it is ill-formed, not a control character: the
     * UTF-8 check, not this one, tells it (oms_check_id scans with both). */
    assert_int_equal(oms_control_len((const unsigned char *)"\xc2\x41", 2), 0);
    assert_int_equal(oms_control_len((const unsigned char *)"\xc2\x85", 2), 2);
    assert_int_equal(oms_control_len((const unsigned char *)"\x1b", 1), 1);
}

/* Zero widths, direction marks and overrides, separators, joiners and the BOM are found; the
 * characters around them in the same blocks, and ordinary text, are not. */
static void test_utf8__text_invisible_finds_format_characters(void **state)
{
    (void)state;
    assert_int_equal(oms_text_invisible("A14", 3), 3);
    assert_int_equal(oms_text_invisible("A\xe2\x80\x8b" "14", 6), 1);     /* U+200B */
    assert_int_equal(oms_text_invisible("A\xe2\x80\x8f", 4), 1);          /* U+200F */
    assert_int_equal(oms_text_invisible("AB\xe2\x80\xae", 5), 2);         /* U+202E */
    assert_int_equal(oms_text_invisible("\xe2\x80\xa8", 3), 0);            /* U+2028 */
    assert_int_equal(oms_text_invisible("x\xe2\x81\xa0", 4), 1);          /* U+2060 */
    assert_int_equal(oms_text_invisible("x\xe2\x81\xa6" "y", 5), 1);      /* U+2066, LRI */
    assert_int_equal(oms_text_invisible("x\xe2\x81\xa9", 4), 1);          /* U+2069, PDI */
    assert_int_equal(oms_text_invisible("\xe2\x81\xaa", 3), 3);            /* U+206A */
    assert_int_equal(oms_text_invisible("ab\xd8\x9c", 4), 2);              /* U+061C */
    assert_int_equal(oms_text_invisible("\xd8\xa7", 2), 2);                /* U+0627, a letter */
    assert_int_equal(oms_text_invisible("\xef\xbb\xbf" "A", 4), 0);        /* U+FEFF */
    assert_int_equal(oms_text_invisible("\xe2\x80\x8a", 3), 3);            /* U+200A, a space */
    assert_int_equal(oms_text_invisible("\xe2\x80\x90", 3), 3);            /* U+2010, a hyphen */
    assert_int_equal(oms_text_invisible("\xe2\x80\xaf", 3), 3);            /* U+202F */
    assert_int_equal(oms_text_invisible("\xe2\x82\xac" "5", 4), 4);        /* "€5" */
    assert_int_equal(oms_text_invisible("ab\xe2\x80", 4), 4);              /* Cut short. */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8__accepts_ascii_and_every_length_of_character),
        cmocka_unit_test(test_utf8__refuses_overlong_forms),
        cmocka_unit_test(test_utf8__refuses_surrogates),
        cmocka_unit_test(test_utf8__refuses_code_points_past_u10ffff),
        cmocka_unit_test(test_utf8__refuses_sequences_cut_short_or_broken),
        cmocka_unit_test(test_utf8__reports_the_offset_of_the_first_bad_byte),
        cmocka_unit_test(test_utf8__char_gives_the_length_or_the_maximal_subpart),
        cmocka_unit_test(test_utf8__repairs_with_one_replacement_per_maximal_subpart),
        cmocka_unit_test(test_utf8__trim_drops_only_a_character_cut_short),
        cmocka_unit_test(test_utf8__text_control_finds_c0_del_and_c1),
        cmocka_unit_test(test_utf8__text_invisible_finds_format_characters),
        cmocka_unit_test(test_utf8__agrees_with_the_reference_on_every_short_string),
        cmocka_unit_test(test_utf8__agrees_with_the_reference_on_random_longer_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
