/*
 * decode.c - field getters and fingerprints for decode.h.
 */
#include "base/platform.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/utf8.h"
#include "core/calendar.h"
#include "engine/clock.h"
#include "http/decode.h"
#include "http/dump.h"

void oms_decoder_init(struct oms_decoder *d) { memset(d, 0, sizeof *d); }

void oms_decoder_fail(struct oms_decoder *d, int status, const char *code, const char *field,
                      const char *fmt, ...)
{
    if (d->failed) return;
    d->failed = true;
    d->status = status;
    d->code = code;
    snprintf(d->field, sizeof d->field, "%s", field ? field : "");
    va_list args;
    va_start(args, fmt);
    vsnprintf(d->message, sizeof d->message, fmt, args);
    va_end(args);
    oms_utf8_trim(d->field);
    oms_utf8_trim(d->message);
}

/* Where the JSON string that opens at text[at] (a '"') ends: the index after its closing
 * quote, or len when it does not close. */
static size_t string_end(const char *text, size_t len, size_t at)
{
    size_t i = at + 1;
    while (i < len && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
    return i < len ? i + 1 : len;
}

/* A key's "\u0000" escapes, in the string text[from, to), become "\u0001": the key stays one
 * that no body may hold (every key taken is a plain name, and a region code refuses control
 * characters), and errors show it with a '?' as they show any control character. */
static bool key_nul_rewrite(char *text, size_t from, size_t to)
{
    bool changed = false;
    for (size_t i = from + 1; i + 1 < to; i += text[i] == '\\' ? 2 : 1) {
        if (text[i] == '\\' && i + 6 <= to && memcmp(text + i + 1, "u0000", 5) == 0) {
            text[i + 5] = '1';
            changed = true;
        }
    }
    return changed;
}

static size_t digits_end(const char *text, size_t len, size_t i)
{
    while (i < len && text[i] >= '0' && text[i] <= '9') i++;
    return i;
}

/* The JSON number token at text[at] (a '-' or a digit): its end, or 0 when the text there is
 * no number by JSON's grammar (jansson refuses it: it is left as it is). *real says whether it
 * has a fraction or an exponent. */
static size_t number_end(const char *text, size_t len, size_t at, bool *real)
{
    size_t i = at + (text[at] == '-');
    if (i >= len || text[i] < '0' || text[i] > '9') return 0;
    i = text[i] == '0' ? i + 1 : digits_end(text, len, i);
    *real = false;
    if (i < len && text[i] == '.') {
        size_t end = digits_end(text, len, i + 1);
        if (end == i + 1) return 0;
        i = end;
        *real = true;
    }
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        i++;
        if (i < len && (text[i] == '+' || text[i] == '-')) i++;
        size_t end = digits_end(text, len, i);
        if (end == i) return 0;
        i = end;
        *real = true;
    }
    return i;
}

/* Whether the number text[at, end) is past what jansson holds: an integer outside int64_t, a
 * real whose magnitude overflows a double (an underflow is read as 0 or a tiny double). */
static bool number_overflows(const char *text, size_t at, size_t end, bool real)
{
    if (real) {
        errno = 0;
        double value = strtod(text + at, NULL); /* text is NUL-terminated; the token ends it. */
        return errno == ERANGE && (value == HUGE_VAL || value == -HUGE_VAL);
    }
    bool negative = text[at] == '-';
    size_t digits = end - at - negative;
    if (digits != 19) return digits > 19;
    return memcmp(text + at + negative, negative ? "9223372036854775808" : "9223372036854775807",
                  19) > 0;
}

/* Writes `with` over text[at, end), padding with spaces (JSON whitespace); false, leaving the
 * text as it was, when it does not fit (it always does: see the caller). */
static bool token_rewrite(char *text, size_t at, size_t end, const char *with)
{
    size_t n = strlen(with);
    if (n > end - at) return false;
    memcpy(text + at, with, n);
    memset(text + at + n, ' ', end - at - n);
    return true;
}

/* Valid JSON that jansson cannot hold, made into JSON it holds with the same meaning for our
 * fields, in place (the length kept, so error positions stay): an integer past 64 bits
 * becomes INT64_MAX or INT64_MIN and a real past a double 1e308 or -1e308, which every
 * integer field refuses as out of its range and every other field as the wrong type (so the
 * error names the field); "\u0000" in an object key becomes "\u0001" (key_nul_rewrite). An
 * overflowing integer has at least 19 digits and an overflowing real at least 5 characters, so
 * the replacement always fits. Text that is not JSON stays not JSON: only whole number tokens
 * and escapes inside keys are rewritten. Returns whether anything was. `text` holds len bytes
 * and a NUL after them. */
static bool unholdable_rewrite(char *text, size_t len)
{
    bool changed = false;
    size_t i = 0;
    while (i < len) {
        char c = text[i];
        if (c == '"') {
            size_t end = string_end(text, len, i), next = end;
            while (next < len && (text[next] == ' ' || text[next] == '\t' ||
                                  text[next] == '\r' || text[next] == '\n')) {
                next++;
            }
            if (next < len && text[next] == ':') changed |= key_nul_rewrite(text, i, end);
            i = end;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            bool real = false;
            size_t end = number_end(text, len, i, &real);
            if (end == 0) {
                i++;
                continue;
            }
            if (number_overflows(text, i, end, real)) {
                static const char *const with[2][2] = {
                    {"9223372036854775807", "-9223372036854775808"}, {"1e308", "-1e308"}};
                changed |= token_rewrite(text, i, end, with[real][c == '-']);
            }
            i = end;
        } else {
            i++;
        }
    }
    return changed;
}

static json_t *load(const char *body, size_t len, json_error_t *error)
{
    return json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, error);
}

/* The body parsed again after unholdable_rewrite(), when the first parse failed only on what
 * it rewrites (decisions.md 53); NULL otherwise, *error then the second parse's error when
 * there was one (the first failure hid a later one: that text is malformed). */
static json_t *load_rewritten(const char *body, size_t len, json_error_t *error)
{
    enum json_error_code code = json_error_code(error);
    if (code != json_error_numeric_overflow && code != json_error_null_byte_in_key) return NULL;
    char *copy = malloc(len + 1);
    OMS_ASSERT(copy != NULL);
    memcpy(copy, body, len);
    copy[len] = '\0';
    json_t *root = unholdable_rewrite(copy, len) ? load(copy, len, error) : NULL;
    free(copy);
    return root;
}

json_t *oms_decode_object(struct oms_decoder *d, const char *body, size_t len)
{
    if (!body || len == 0) {
        oms_decoder_fail(d, 400, "invalid_json", NULL,
                         "the request needs a body: a JSON object ({} when every field is "
                         "left out), sent as Content-Type: application/json");
        return NULL;
    }
    json_error_t error;
    json_t *root = load(body, len, &error);
    const char *nul = root ? NULL : memchr(body, '\0', len);
    if (nul) {
        /* A raw NUL is never JSON text, but jansson reports it as whatever it expected there
         * ("near end of file", "control character 0x0"). Looked for only once the parse
         * failed, so a good body pays nothing. */
        oms_decoder_fail(d, 400, "invalid_json", NULL,
                         "the body holds a NUL byte at offset %zu, which JSON text cannot hold "
                         "(inside a string, write \\u0000)",
                         (size_t)(nul - body));
        return NULL;
    }
    if (!root) root = load_rewritten(body, len, &error);
    if (!root) {
        oms_decoder_fail(d, 400, "invalid_json", NULL, "malformed JSON at line %d column %d: %s",
                         error.line, error.column, error.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        oms_decoder_fail(d, 400, "invalid_json", NULL, "the body must be a JSON object");
        return NULL;
    }
    return root;
}

/* "path.key" (or "key" at the top), cut to cap - 1 bytes as snprintf would. Every field a
 * request reads is named this way, error or not, so no snprintf: it cost a POST /v1/orders
 * 20,000 instructions, a third of the event loop's work for the request. */
static void field_name(char *out, size_t cap, const char *path, const char *key)
{
    const char *parts[] = {path, path[0] ? "." : "", key};
    size_t n = 0;
    for (size_t i = 0; i < OMS_ARRAY_LEN(parts); i++) {
        for (const char *c = parts[i]; *c && n + 1 < cap; c++) out[n++] = *c;
    }
    out[n] = '\0';
}

json_t *oms_field_value(json_t *obj, const char *key)
{
    json_t *value = json_object_get(obj, key);
    return value && !json_is_null(value) ? value : NULL;
}

/* The field's value, or NULL when absent or null (failing d when required): null is no value,
 * so it is what leaving the field out is (decisions.md 53). */
static json_t *field(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                     bool required, char *name, size_t name_cap)
{
    field_name(name, name_cap, path, key);
    if (d->failed) return NULL;
    json_t *value = oms_field_value(obj, key);
    if (!value && required) {
        oms_decoder_fail(d, 422, "missing_field", name, "%s is required", name);
    }
    return value;
}

static const struct oms_body_field *field_find(const struct oms_body_field *fields,
                                               const char *key, size_t key_len)
{
    for (; fields->key; fields++) {
        /* The first byte settles most misses (jansson's keys are NUL-terminated; ours are not
         * empty), before a strlen and a memcmp: 140 instructions of a one-line order. */
        if (fields->key[0] != key[0]) continue;
        if (strlen(fields->key) == key_len && memcmp(fields->key, key, key_len) == 0) {
            return fields;
        }
    }
    return NULL;
}

/* The client's key as an error shows it: at most 64 bytes, whole characters, control bytes as
 * '?' (jansson refuses "\u0000" in a key, but a NUL would end the name early, so it is '?'
 * too). */
static void key_shown(char out[65], const char *key, size_t key_len)
{
    size_t n = key_len < 64 ? key_len : 64;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        out[i] = c < 0x20 || c == 0x7f ? '?' : key[i];
    }
    out[n] = '\0';
    oms_utf8_trim(out);
}

static void fail_unknown(struct oms_decoder *d, const char *path, const char *key,
                         size_t key_len, const struct oms_body_field *fields)
{
    char shown[65], name[96], known[256];
    key_shown(shown, key, key_len);
    field_name(name, sizeof name, path, shown);
    size_t used = 0;
    for (const struct oms_body_field *f = fields; f->key && used + 1 < sizeof known; f++) {
        int n = snprintf(known + used, sizeof known - used, "%s%s", f == fields ? "" : ", ",
                         f->key);
        used += n > 0 ? (size_t)n : 0;
    }
    if (used == 0) snprintf(known, sizeof known, "no fields");
    oms_decoder_fail(d, 422, "unknown_field", name, "%s is not a known field; %s takes %s", name,
                     path[0] ? path : "the body", known);
}

/* "name[index]" into out, cut to cap - 1 bytes, without snprintf: every line of every order
 * is named this way, and snprintf cost 950 instructions a line (half of the whole check). */
static void index_name(char *out, size_t cap, const char *name, size_t index)
{
    char digits[24];
    size_t count = 0;
    do {
        digits[count++] = (char)('0' + index % 10);
        index /= 10;
    } while (index > 0);
    size_t n = 0;
    for (const char *c = name; *c && n + 1 < cap; c++) out[n++] = *c;
    if (n + 1 < cap) out[n++] = '[';
    while (count > 0 && n + 1 < cap) out[n++] = digits[--count];
    if (n + 1 < cap) out[n++] = ']';
    out[n] = '\0';
}

/* The objects a known field holds: itself, or each object of its array. Other values are left
 * to the field's getter, which names a wrong type. */
static bool nested_fields(struct oms_decoder *d, json_t *value, const char *name,
                          const struct oms_body_field *fields)
{
    if (json_is_object(value)) return oms_decode_fields(d, value, name, fields);
    size_t i;
    json_t *entry;
    json_array_foreach(value, i, entry) {
        if (!json_is_object(entry)) continue;
        char at[96];
        index_name(at, sizeof at, name, i);
        if (!oms_decode_fields(d, entry, at, fields)) return false;
    }
    return true;
}

bool oms_decode_fields(struct oms_decoder *d, json_t *obj, const char *path,
                       const struct oms_body_field *fields)
{
    OMS_ASSERT(fields != NULL);
    if (d->failed) return false;
    /* Keys are visited in the body's order (jansson keeps it), so the first unknown one named
     * is the first the client wrote. The depth is that of the static lists: no recursion
     * bound is needed. */
    for (void *iter = json_object_iter(obj); iter; iter = json_object_iter_next(obj, iter)) {
        const char *key = json_object_iter_key(iter);
        size_t key_len = json_object_iter_key_len(iter);
        const struct oms_body_field *field = field_find(fields, key, key_len);
        if (!field) {
            fail_unknown(d, path, key, key_len, fields);
            return false;
        }
        if (!field->fields) continue;
        char name[96];
        field_name(name, sizeof name, path, field->key);
        if (!nested_fields(d, json_object_iter_value(iter), name, field->fields)) return false;
    }
    return true;
}

bool oms_get_text(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                  bool required, size_t max_bytes, const char **out)
{
    char name[96];
    json_t *value = field(d, obj, path, key, required, name, sizeof name);
    if (!value) return false;
    if (!json_is_string(value)) {
        oms_decoder_fail(d, 422, "invalid_field", name, "%s must be a string", name);
        return false;
    }
    if (json_string_length(value) == 0) {
        /* No value is said by leaving the field out (or null); "" would be a second way, and
         * a name, code or id that is empty names nothing (decisions.md 53). */
        oms_decoder_fail(d, 422, "invalid_field", name,
                         required ? "%s must not be empty"
                                  : "%s must not be empty; leave it out to give no value",
                         name);
        return false;
    }
    if (json_string_length(value) > max_bytes) {
        oms_decoder_fail(d, 422, "invalid_field", name, "%s is longer than %zu bytes", name,
                         max_bytes);
        return false;
    }
    if (oms_text_control(json_string_value(value), json_string_length(value)) <
        json_string_length(value)) {
        oms_decoder_fail(d, 422, "invalid_field", name,
                         "%s must not contain control characters", name);
        return false;
    }
    if (strlen(json_string_value(value)) != json_string_length(value)) {
        oms_decoder_fail(d, 422, "invalid_field", name, "%s must not contain NUL bytes", name);
        return false;
    }
    *out = json_string_value(value);
    return true;
}

bool oms_check_id(struct oms_decoder *d, const char *name, const char *value, size_t max_bytes)
{
    size_t len = strlen(value);
    if (len == 0 || len > max_bytes) {
        oms_decoder_fail(d, 422, "invalid_field", name, "%s must be 1 to %zu bytes", name,
                         max_bytes);
        return false;
    }
    /* One pass: printable ASCII at a compare, a control character refused, anything else read
     * as a character. A header's value (Idempotency-Key) is bytes as sent: it is kept and must
     * be UTF-8 (decision 51). */
    bool ascii = true; /* Only text past ASCII can hold an invisible character. */
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)value[i];
        if (c >= 0x20 && c < 0x7f) { /* Printable ASCII, the usual byte: nothing to read. */
            i++;
            continue;
        }
        ascii = false;
        if (oms_control_len((const unsigned char *)value + i, len - i) > 0) {
            oms_decoder_fail(d, 422, "invalid_field", name,
                             "%s must not contain control characters", name);
            return false;
        }
        size_t bad_len = 0, n = oms_utf8_char(value + i, len - i, &bad_len); /* c >= 0x80. */
        if (n == 0) {
            oms_decoder_fail(d, 422, "invalid_field", name,
                             "%s is not UTF-8: byte 0x%02X at offset %zu", name, (unsigned)c, i);
            return false;
        }
        i += n;
    }
    if (oms_text_padded(value, len)) {
        oms_decoder_fail(d, 422, "invalid_field", name, "%s must not begin or end with a space",
                         name);
        return false;
    }
    size_t invisible = ascii ? len : oms_text_invisible(value, len);
    if (invisible < len) {
        oms_decoder_fail(d, 422, "invalid_field", name,
                         "%s holds an invisible character at offset %zu (a zero width, a "
                         "direction mark or a byte order mark)", name, invisible);
        return false;
    }
    return true;
}

bool oms_check_key(struct oms_decoder *d, const char *path, const char *key, size_t max_bytes)
{
    char shown[65], name[96];
    key_shown(shown, key, strlen(key));
    field_name(name, sizeof name, path, shown);
    return oms_check_id(d, name, key, max_bytes);
}

bool oms_get_id(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                bool required, size_t max_bytes, const char **out)
{
    char name[96];
    field_name(name, sizeof name, path, key);
    const char *value;
    if (!oms_get_text(d, obj, path, key, required, max_bytes, &value)) return false;
    if (!oms_check_id(d, name, value, max_bytes)) return false;
    *out = value;
    return true;
}

bool oms_get_int(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                 bool required, int64_t min, int64_t max, int64_t *out)
{
    /* An integer past 64 bits reaches here as INT64_MAX or INT64_MIN (decisions.md 53): a
     * field's range must leave them out, so that they are refused as out of it. */
    OMS_ASSERT(min > INT64_MIN);
    OMS_ASSERT(max < INT64_MAX);
    char name[96];
    json_t *value = field(d, obj, path, key, required, name, sizeof name);
    if (!value) return false;
    if (json_is_real(value) &&
        (json_real_value(value) < (double)min || json_real_value(value) > (double)max)) {
        /* 1e400 (read as 1e308) or 5e20: the range says more than "whole number". */
        oms_decoder_fail(d, 422, "invalid_field", name, "%s must be between %lld and %lld",
                         name, (long long)min, (long long)max);
        return false;
    }
    if (!json_is_integer(value)) {
        oms_decoder_fail(d, 422, "invalid_field", name,
                         json_is_real(value) ? "%s must be a whole number (quantities are whole "
                                               "units, money is integer minor units)"
                                             : "%s must be an integer",
                         name);
        return false;
    }
    json_int_t v = json_integer_value(value);
    if (v < min || v > max) {
        oms_decoder_fail(d, 422, "invalid_field", name, "%s must be between %lld and %lld",
                         name, (long long)min, (long long)max);
        return false;
    }
    *out = (int64_t)v;
    return true;
}

bool oms_get_bool(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                  bool required, bool *out)
{
    char name[96];
    json_t *value = field(d, obj, path, key, required, name, sizeof name);
    if (!value) return false;
    if (!json_is_boolean(value)) {
        oms_decoder_fail(d, 422, "invalid_field", name, "%s must be true or false", name);
        return false;
    }
    *out = json_is_true(value);
    return true;
}

bool oms_get_date(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                  bool required, oms_day *out)
{
    char name[96];
    field_name(name, sizeof name, path, key);
    const char *text;
    if (!oms_get_text(d, obj, path, key, required, 10, &text)) return false;
    int32_t day;
    char why[sizeof d->message];
    if (!oms_date_parse(name, text, &day, why, sizeof why)) {
        oms_decoder_fail(d, 422, "invalid_field", name, "%s", why);
        return false;
    }
    *out = day;
    return true;
}

bool oms_get_instant(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                     bool required, int64_t *out_ms)
{
    char name[96];
    field_name(name, sizeof name, path, key);
    const char *text;
    if (!oms_get_text(d, obj, path, key, required, 40, &text)) return false;
    int64_t ms;
    char why[sizeof d->message];
    if (!oms_instant_parse(name, text, &ms, why, sizeof why)) {
        oms_decoder_fail(d, 422, "invalid_field", name, "%s", why);
        return false;
    }
    *out_ms = ms;
    return true;
}

bool oms_get_array(struct oms_decoder *d, json_t *obj, const char *path, const char *key,
                   bool required, size_t max, json_t **out)
{
    char name[96];
    json_t *value = field(d, obj, path, key, required, name, sizeof name);
    if (!value) return false;
    if (!json_is_array(value)) {
        oms_decoder_fail(d, 422, "invalid_field", name, "%s must be an array", name);
        return false;
    }
    if (json_array_size(value) > max) {
        oms_decoder_fail(d, 422, "limit_exceeded", name, "%s has more than %zu entries", name,
                         max);
        return false;
    }
    *out = value;
    return true;
}

bool oms_is_null(json_t *obj, const char *key)
{
    json_t *value = json_object_get(obj, key);
    return value && json_is_null(value);
}

/* SHA-256 fetched once: EVP_sha256() makes OpenSSL 3 fetch the implementation from its
 * provider again on every digest (a lock and a lookup, 2,300 instructions a request). */
static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    OMS_ASSERT(sha256 != NULL);
}

void oms_fingerprint(const char *method, const char *path, json_t *body, char out[65])
{
    pthread_once(&sha256_once, sha256_fetch);
    char *canonical = oms_json_dump(body, true, NULL); /* json_dumps' text, byte for byte. */
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    OMS_ASSERT(ctx != NULL);
    EVP_DigestInit_ex(ctx, sha256, NULL);
    EVP_DigestUpdate(ctx, method, strlen(method) + 1);
    EVP_DigestUpdate(ctx, path, strlen(path) + 1);
    if (canonical) EVP_DigestUpdate(ctx, canonical, strlen(canonical));
    EVP_DigestFinal_ex(ctx, digest, &digest_len);
    EVP_MD_CTX_free(ctx);
    free(canonical);
    static const char hex[] = "0123456789abcdef"; /* As "%02x", without 32 snprintf calls. */
    for (unsigned int i = 0; i < 32; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0xF];
    }
    out[64] = '\0';
}
