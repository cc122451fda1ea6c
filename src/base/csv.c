/*
 * csv.c - the streaming CSV reader and the strict number parsers of csv.h. The reader is a
 * byte-at-a-time state machine over one fixed row buffer: a record is decoded in place (quotes
 * removed, '""' folded, separators turned into NULs), so no record costs an allocation. After
 * the first problem in a record the machine keeps running without storing anything, to find
 * where the record ends; that is what lets a caller skip a bad record and go on.
 */
#include "base/platform.h"

#include "base/assert.h"
#include "base/csv.h"
#include "base/utf8.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum csv_state {
    CSV_FIELD_START, /* Nothing of the current field read yet. */
    CSV_UNQUOTED,    /* Inside a field that did not start with a quote. */
    CSV_QUOTED,      /* Inside quotes. */
    CSV_QUOTE_SEEN,  /* Just read a quote inside quotes: it closes the field or starts '""'. */
};

/* Keeps the first problem of a record only: later ones are usually its consequences. */
static void OMS_PRINTF(2, 3) set_error(struct oms_csv *csv, const char *fmt, ...)
{
    if (csv->error[0] != '\0') return;
    int prefix = snprintf(csv->error, sizeof(csv->error), "line %" PRIu64 ": ", csv->line_number);
    OMS_ASSERT(prefix > 0 && (size_t)prefix < sizeof(csv->error));

    va_list args;
    va_start(args, fmt);
    vsnprintf(csv->error + prefix, sizeof(csv->error) - (size_t)prefix, fmt, args);
    va_end(args);
}

static int read_byte(struct oms_csv *csv)
{
    if (csv->pending_index < csv->pending_count) return csv->pending[csv->pending_index++];
    return getc(csv->file);
}

/* Puts back the byte read last, so the next read_byte() returns it again. */
static void unread_byte(struct oms_csv *csv, int c)
{
    if (c == EOF) return;
    OMS_ASSERT(c >= 0 && c <= UCHAR_MAX);
    OMS_ASSERT(csv->pending_index > 0 || csv->pending_count == 0);

    if (csv->pending_index == 0) {
        csv->pending_count = 1;
    } else {
        csv->pending_index--;
    }
    csv->pending[csv->pending_index] = (unsigned char)c;
}

/* Reads up to three bytes; they are replayed unless they are exactly a UTF-8 BOM. */
static void skip_bom(struct oms_csv *csv)
{
    static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
    uint8_t count = 0;

    csv->started = true;
    while (count < sizeof(bom)) {
        int c = getc(csv->file);
        if (c == EOF) break;
        csv->pending[count++] = (unsigned char)c;
        if (c != bom[count - 1]) break;
    }
    if (count == sizeof(bom) && memcmp(csv->pending, bom, sizeof(bom)) == 0) count = 0;
    csv->pending_count = count;
    csv->pending_index = 0;
}

static void store_byte(struct oms_csv *csv, unsigned char c)
{
    if (csv->error[0] != '\0') return; /* Discarding the rest of a bad record. */
    if (csv->row_used == OMS_CSV_ROW_BYTES_MAX) {
        set_error(csv, "record longer than %d bytes", OMS_CSV_ROW_BYTES_MAX);
        return;
    }
    csv->row[csv->row_used++] = (char)c;
}

/* The bytes of a header name an error shows: at most 40, cut between characters (the header
 * is well-formed UTF-8, or it would not be the header). */
static int name_shown_len(const char *name)
{
    size_t len = strlen(name);
    if (len <= 40) return (int)len;
    len = 40;
    while (len > 0 && ((unsigned char)name[len] & 0xC0) == 0x80) len--;
    return (int)len;
}

/* Field `index` of the record being read, which ends at row_used, is not well-formed UTF-8:
 * the error names its column and the first bad byte (decision 51). A Latin-1 or Windows-1252
 * export is the usual cause, so the message says what to do. */
static void check_utf8(struct oms_csv *csv, uint32_t index)
{
    const char *field = csv->row + csv->field_start;
    size_t offset = 0;
    if (oms_utf8_valid(field, csv->row_used - csv->field_start, &offset)) return;
    unsigned int byte = (unsigned char)field[offset];
    if (csv->header && index < csv->width) {
        const char *name = csv->names[index];
        set_error(csv, "column %.*s: byte 0x%02X at offset %zu is not UTF-8 (save the file as "
                  "UTF-8)", name_shown_len(name), name, byte, offset);
    } else {
        set_error(csv, "field %" PRIu32 ": byte 0x%02X at offset %zu is not UTF-8 (save the "
                  "file as UTF-8)", index + 1, byte, offset);
    }
}

static void end_field(struct oms_csv *csv)
{
    if (csv->fields_count == OMS_CSV_FIELDS_MAX) {
        set_error(csv, "more than %d fields", OMS_CSV_FIELDS_MAX);
        return;
    }
    OMS_ASSERT(csv->field_start <= csv->row_used);

    if (csv->error[0] == '\0') check_utf8(csv, csv->fields_count);
    size_t length = csv->row_used - csv->field_start;
    store_byte(csv, '\0');
    csv->fields[csv->fields_count] = csv->row + csv->field_start;
    csv->lengths[csv->fields_count] = length;
    csv->fields_count++;
    csv->field_start = csv->row_used;
}

static int finish_record(struct oms_csv *csv)
{
    csv->record_number++;
    if (csv->error[0] == '\0' && csv->width != 0 && csv->fields_count != csv->width) {
        set_error(csv, "%" PRIu32 " fields where the header has %" PRIu32, csv->fields_count,
                  csv->width);
    }
    if (csv->error[0] == '\0') return 1;
    csv->fields_count = 0;
    return -1;
}

/* Called after a CR outside quotes: CRLF is one line ending; a lone CR is an error and stays in
 * the field as data, so the record still ends at the next LF. */
static int after_carriage_return(struct oms_csv *csv)
{
    int next = read_byte(csv);
    if (next == '\n') {
        csv->next_line++;
        return '\n';
    }
    unread_byte(csv, next);
    set_error(csv, "carriage return not followed by a line feed");
    return '\r';
}

static int at_end_of_file(struct oms_csv *csv, enum csv_state state)
{
    if (ferror(csv->file)) {
        csv->broken = true;
        csv->error[0] = '\0';
        set_error(csv, "cannot read the file");
        csv->fields_count = 0;
        return -1;
    }
    if (state == CSV_FIELD_START && csv->fields_count == 0) return 0; /* Nothing but blanks. */
    if (state == CSV_QUOTED) set_error(csv, "quoted field is never closed");
    end_field(csv);
    return finish_record(csv);
}

/* One byte inside quotes: everything but the quote is data, line breaks included. */
static void quoted_byte(struct oms_csv *csv, enum csv_state *state, int c)
{
    if (c == '"') {
        *state = CSV_QUOTE_SEEN;
        return;
    }
    if (c == '\0') set_error(csv, "NUL byte in a field");
    store_byte(csv, (unsigned char)c);
}

/* One byte outside quotes that is not a separator or a line ending. */
static void unquoted_byte(struct oms_csv *csv, enum csv_state *state, int c)
{
    if (*state == CSV_QUOTE_SEEN) {
        if (c == '"') { /* '""' inside quotes: one literal quote. */
            store_byte(csv, '"');
            *state = CSV_QUOTED;
            return;
        }
        set_error(csv, "unexpected character after a closing quote");
    } else if (*state == CSV_FIELD_START && c == '"') {
        *state = CSV_QUOTED;
        return;
    }
    if (c == '\0') set_error(csv, "NUL byte in a field");
    store_byte(csv, (unsigned char)c);
    *state = CSV_UNQUOTED;
}

static int read_record(struct oms_csv *csv)
{
    enum csv_state state = CSV_FIELD_START;

    for (;;) {
        int c = read_byte(csv);
        if (c == EOF) return at_end_of_file(csv, state);
        if (c == '\n') csv->next_line++;
        if (state == CSV_QUOTED) {
            quoted_byte(csv, &state, c);
            continue;
        }
        if (c == '\r') c = after_carriage_return(csv);
        if (c == '\n') {
            if (state == CSV_FIELD_START && csv->fields_count == 0) { /* Empty line: skip. */
                csv->line_number = csv->next_line;
                continue;
            }
            end_field(csv);
            return finish_record(csv);
        }
        if (c == ',') {
            end_field(csv);
            state = CSV_FIELD_START;
            continue;
        }
        unquoted_byte(csv, &state, c);
    }
}

void oms_csv_init(struct oms_csv *csv, FILE *file)
{
    OMS_ASSERT(csv != NULL);
    OMS_ASSERT(file != NULL);

    memset(csv, 0, sizeof(*csv));
    csv->file = file;
    csv->next_line = 1;
    csv->row = malloc(OMS_CSV_ROW_BYTES_MAX);
}

void oms_csv_release(struct oms_csv *csv)
{
    OMS_ASSERT(csv != NULL);

    free(csv->row);
    free(csv->header);
    csv->row = NULL;
    csv->header = NULL;
    csv->fields_count = 0;
    csv->broken = true;
}

int oms_csv_next(struct oms_csv *csv)
{
    OMS_ASSERT(csv != NULL);
    OMS_ASSERT(csv->file != NULL);

    csv->fields_count = 0;
    if (csv->broken) return -1; /* The message of the first failure is still in error. */
    if (csv->row == NULL) {
        csv->broken = true;
        snprintf(csv->error, sizeof(csv->error), "out of memory for a %d-byte row buffer",
                 OMS_CSV_ROW_BYTES_MAX);
        return -1;
    }
    if (!csv->started) skip_bom(csv);
    csv->error[0] = '\0';
    csv->row_used = 0;
    csv->field_start = 0;
    csv->line_number = csv->next_line;
    return read_record(csv);
}

int oms_csv_header(struct oms_csv *csv)
{
    OMS_ASSERT(csv != NULL);

    csv->width = 0;
    free(csv->header);
    csv->header = NULL;
    int rc = oms_csv_next(csv);
    if (rc != 1) return rc;
    /* The fields end at row_used, each with its NUL: a copy keeps them past the next record. */
    csv->header = malloc(csv->row_used);
    if (csv->header == NULL) {
        csv->broken = true;
        csv->fields_count = 0;
        snprintf(csv->error, sizeof(csv->error), "out of memory for the header");
        return -1;
    }
    memcpy(csv->header, csv->row, csv->row_used);
    for (uint32_t index = 0; index < csv->fields_count; index++) {
        csv->names[index] = csv->header + (csv->fields[index] - csv->row);
    }
    csv->width = csv->fields_count;
    return rc;
}

int oms_csv_column(const struct oms_csv *csv, const char *name)
{
    OMS_ASSERT(csv != NULL);
    OMS_ASSERT(name != NULL);
    OMS_ASSERT(csv->fields_count <= OMS_CSV_FIELDS_MAX);

    size_t length = strlen(name);
    for (uint32_t index = 0; index < csv->fields_count; index++) {
        if (csv->lengths[index] == length && memcmp(csv->fields[index], name, length) == 0) {
            return (int)index;
        }
    }
    return -1;
}

/* Reads one or more ASCII digits at *cursor into *value; false if there are none or the number
 * exceeds `limit`. Advances *cursor past the digits and sets *digits_count. */
static bool parse_digits(const char **cursor, uint64_t limit, uint64_t *value,
                         size_t *digits_count)
{
    const char *p = *cursor;
    uint64_t result = 0;

    while (*p >= '0' && *p <= '9') {
        uint64_t digit = (uint64_t)(*p - '0');
        if (digit > limit || result > (limit - digit) / 10) return false;
        result = result * 10 + digit;
        p++;
    }
    *digits_count = (size_t)(p - *cursor);
    if (*digits_count == 0) return false;
    *cursor = p;
    *value = result;
    return true;
}

/* Reads an optional sign; returns true if it was '-'. */
static bool parse_sign(const char **cursor)
{
    char sign = **cursor;
    if (sign != '+' && sign != '-') return false;
    (*cursor)++;
    return sign == '-';
}

#define MAGNITUDE_NEGATIVE_MAX ((uint64_t)INT64_MAX + 1) /* |INT64_MIN| */

static int64_t apply_sign(uint64_t magnitude, bool negative)
{
    OMS_ASSERT(magnitude <= (negative ? MAGNITUDE_NEGATIVE_MAX : (uint64_t)INT64_MAX));

    if (!negative) return (int64_t)magnitude;
    if (magnitude == MAGNITUDE_NEGATIVE_MAX) return INT64_MIN;
    return -(int64_t)magnitude;
}

bool oms_parse_int64(const char *text, int64_t min, int64_t max, int64_t *out)
{
    OMS_ASSERT(text != NULL);
    OMS_ASSERT(min <= max);

    const char *p = text;
    bool negative = parse_sign(&p);
    uint64_t limit = negative ? MAGNITUDE_NEGATIVE_MAX : (uint64_t)INT64_MAX;
    uint64_t magnitude = 0;
    size_t digits_count = 0;

    if (!parse_digits(&p, limit, &magnitude, &digits_count)) return false;
    if (*p != '\0') return false;
    int64_t value = apply_sign(magnitude, negative);
    if (value < min || value > max) return false;
    *out = value;
    return true;
}

bool oms_parse_money_minor(const char *text, int64_t *out)
{
    OMS_ASSERT(text != NULL);
    OMS_ASSERT(out != NULL);

    const char *p = text;
    bool negative = parse_sign(&p);
    uint64_t limit = negative ? MAGNITUDE_NEGATIVE_MAX : (uint64_t)INT64_MAX;
    uint64_t units = 0;
    uint64_t fraction = 0;
    size_t digits_count = 0;

    if (!parse_digits(&p, limit / 100, &units, &digits_count)) return false;
    if (*p == '.') {
        p++;
        if (!parse_digits(&p, 999, &fraction, &digits_count)) return false;
        if (digits_count > 3) return false; /* "0.0001" fits the limit but has 4 decimals. */
        for (size_t scale = digits_count; scale < 3; scale++) fraction *= 10;
    }
    if (*p != '\0') return false;

    /* fraction is in thousandths; +5 rounds the third decimal half away from zero (the sign
     * is applied after). It is exact for one or two decimals, whose third digit is 0. */
    uint64_t magnitude = units * 100 + (fraction + 5) / 10;
    if (magnitude > limit) return false;
    *out = apply_sign(magnitude, negative);
    return true;
}
