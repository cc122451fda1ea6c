/*
 * utf8.c - the UTF-8 check, repair and trim of utf8.h, written from Unicode's Table 3-7 (the
 * well-formed byte sequences) so that each range below can be read against the standard.
 */
#include "base/platform.h"

#include <string.h>

#include "base/assert.h"
#include "base/utf8.h"

/* Table 3-7: after the lead byte, the second byte's range depends on the lead (it is what
 * refuses overlong forms, surrogates and code points past U+10FFFF); later bytes are 80..BF. */
struct lead {
    unsigned char first, last;   /* Lead bytes of this row. */
    unsigned char length;        /* Bytes of the whole sequence. */
    unsigned char second_low, second_high;
};

static const struct lead leads[] = {
    {0xC2, 0xDF, 2, 0x80, 0xBF},
    {0xE0, 0xE0, 3, 0xA0, 0xBF}, /* Below A0: overlong. */
    {0xE1, 0xEC, 3, 0x80, 0xBF},
    {0xED, 0xED, 3, 0x80, 0x9F}, /* Above 9F: surrogates U+D800..U+DFFF. */
    {0xEE, 0xEF, 3, 0x80, 0xBF},
    {0xF0, 0xF0, 4, 0x90, 0xBF}, /* Below 90: overlong. */
    {0xF1, 0xF3, 4, 0x80, 0xBF},
    {0xF4, 0xF4, 4, 0x80, 0x8F}, /* Above 8F: past U+10FFFF. */
};

static const struct lead *lead_of(unsigned char byte)
{
    for (size_t i = 0; i < OMS_ARRAY_LEN(leads); i++) {
        if (byte >= leads[i].first && byte <= leads[i].last) return &leads[i];
    }
    return NULL; /* 80..C1 and F5..FF start nothing. */
}

size_t oms_utf8_char(const char *s, size_t len, size_t *bad_len)
{
    OMS_ASSERT(s != NULL);
    OMS_ASSERT(len > 0);

    const unsigned char *p = (const unsigned char *)s;
    if (p[0] < 0x80) return 1;
    const struct lead *lead = lead_of(p[0]);
    if (!lead) {
        *bad_len = 1;
        return 0;
    }
    /* k bytes so far are a prefix of a well-formed sequence. */
    size_t k = 1;
    while (k < lead->length && k < len) {
        unsigned char low = k == 1 ? lead->second_low : 0x80;
        unsigned char high = k == 1 ? lead->second_high : 0xBF;
        if (p[k] < low || p[k] > high) break;
        k++;
    }
    if (k == lead->length) return k;
    *bad_len = k;
    return 0;
}

bool oms_utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
    OMS_ASSERT(s != NULL || len == 0);

    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) { /* The usual text is ASCII: one compare a byte. */
            i++;
            continue;
        }
        size_t bad_len = 0;
        size_t n = oms_utf8_char(s + i, len - i, &bad_len);
        if (n == 0) {
            if (bad_offset) *bad_offset = i;
            return false;
        }
        i += n;
    }
    return true;
}

size_t oms_utf8_repaired_len(const char *s, size_t len)
{
    size_t out = 0;
    size_t i = 0;
    while (i < len) {
        size_t bad_len = 0;
        size_t n = oms_utf8_char(s + i, len - i, &bad_len);
        out += n ? n : OMS_UTF8_REPLACEMENT_LEN;
        i += n ? n : bad_len;
    }
    OMS_ASSERT(out <= 3 * len);
    return out;
}

size_t oms_utf8_repair(const char *s, size_t len, char *out)
{
    OMS_ASSERT(out != NULL);

    size_t written = 0;
    size_t i = 0;
    while (i < len) {
        size_t bad_len = 0;
        size_t n = oms_utf8_char(s + i, len - i, &bad_len);
        if (n > 0) {
            memcpy(out + written, s + i, n);
            written += n;
            i += n;
        } else {
            memcpy(out + written, OMS_UTF8_REPLACEMENT, OMS_UTF8_REPLACEMENT_LEN);
            written += OMS_UTF8_REPLACEMENT_LEN;
            i += bad_len;
        }
    }
    return written;
}

void oms_utf8_trim(char *s)
{
    OMS_ASSERT(s != NULL);

    size_t len = strlen(s);
    size_t start = len;
    while (start > 0 && ((unsigned char)s[start - 1] & 0xC0) == 0x80) start--;
    if (start == 0) return;
    unsigned char lead = (unsigned char)s[start - 1];
    if (lead < 0xC0) return; /* The last character is ASCII or complete. */
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (len - (start - 1) < need) s[start - 1] = '\0';
}

size_t oms_text_control(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        if (oms_control_len(p + i, len - i) > 0) return i;
    }
    return len;
}

size_t oms_text_invisible(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i + 1 < len; i++) {
        if (p[i] == 0xD8 && p[i + 1] == 0x9C) return i; /* U+061C, the Arabic letter mark. */
        if (i + 2 >= len) continue;
        if (p[i] == 0xE2 && p[i + 1] == 0x80 &&
            ((p[i + 2] >= 0x8B && p[i + 2] <= 0x8F) || (p[i + 2] >= 0xA8 && p[i + 2] <= 0xAE))) {
            return i;
        }
        if (p[i] == 0xE2 && p[i + 1] == 0x81 && p[i + 2] >= 0xA0 && p[i + 2] <= 0xA9) return i;
        if (p[i] == 0xEF && p[i + 1] == 0xBB && p[i + 2] == 0xBF) return i;
    }
    return len;
}
