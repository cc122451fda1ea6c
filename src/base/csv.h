/*
 * csv.h - a streaming RFC-4180 CSV reader for the importers (UCI orders, SCMS lead times), plus
 * the strict number parsers they need. One record is in memory at a time, so files of any length
 * are read with one fixed buffer.
 *
 * Ownership: the caller owns `struct oms_csv` and the FILE; oms_csv_init() borrows the FILE and
 * allocates the row buffer, oms_csv_release() frees the buffer and never closes the FILE.
 * fields[] point into the row buffer: they are valid until the next oms_csv_next() or
 * oms_csv_release() on the same reader. Not thread-safe; one reader per FILE.
 *
 * What is accepted: fields separated by ',', records ended by LF or CRLF, or by end of file.
 * A field that starts with '"' is quoted: it may hold ',', CR, LF and '""' (one quote); line
 * breaks inside it are kept as they are in the file. A '"' inside an unquoted field is kept as
 * data (as SQLite's .import and Python's csv do). A UTF-8 BOM at the first byte read is skipped.
 * Empty lines (nothing between two line endings) are skipped and are not records.
 *
 * What is rejected (oms_csv_next() returns -1 and names the problem in `error`): an unterminated
 * quoted field, a character other than ',' or a line ending after a closing quote, a CR not
 * followed by LF outside quotes (old Mac line endings), a NUL byte, a field that is not
 * well-formed UTF-8 (base/utf8.h; decision 51: "line 2: column name: byte 0xE8 at offset 2 is
 * not UTF-8", the column named by the header when there is one, else "field 2"), more than
 * OMS_CSV_FIELDS_MAX fields, a record needing more than OMS_CSV_ROW_BYTES_MAX bytes, a read
 * error, and no memory. Every field of every record is checked, the header's too, so no
 * importer can store text a JSON answer could not hold (a Latin-1 export, "Cr\xE8me").
 * After a malformed record the reader has consumed the whole record (up to its line ending), so
 * the caller may report it and call oms_csv_next() again; read errors and no memory are sticky.
 *
 * A file with a header: read it with oms_csv_header(), and every later record must have exactly
 * as many fields as the header, or it is malformed ("4 fields where the header has 3"). Without
 * that a row "A,W1,1,100" (a thousands separator) under "sku,location,on_hand" would be read as
 * on_hand 1 with a field silently left over, and a short row would leave columns out unseen.
 */
#ifndef OMS_CSV_H
#define OMS_CSV_H

#include "base/platform.h"

#include <stdio.h>

#define OMS_CSV_FIELDS_MAX 64       /* Fields per record. */
#define OMS_CSV_ROW_BYTES_MAX 65536 /* Decoded bytes of one record, plus one NUL per field. */
#define OMS_CSV_ERROR_BYTES_MAX 160 /* Room for one message, including its NUL. */

_Static_assert(OMS_CSV_FIELDS_MAX <= OMS_CSV_ROW_BYTES_MAX,
               "every field needs at least its NUL terminator in the row buffer");

struct oms_csv {
    /* Public, read-only, set by oms_csv_next(). After 1: fields_count >= 1 and each
     * fields[i] is NUL-terminated with lengths[i] == strlen(fields[i]) (no NUL occurs inside a
     * field, so that holds). After 0 or -1: fields_count == 0. */
    uint32_t fields_count;
    const char *fields[OMS_CSV_FIELDS_MAX];
    size_t lengths[OMS_CSV_FIELDS_MAX];
    uint64_t record_number; /* 1-based; the header is record 1; counts malformed records too. */
    uint64_t line_number;   /* 1-based line on which the last record (good or bad) started. */
    char error[OMS_CSV_ERROR_BYTES_MAX]; /* After -1: "line 12: ..."; otherwise "". */

    /* Private to csv.c. */
    FILE *file;             /* Borrowed. */
    char *row;              /* OMS_CSV_ROW_BYTES_MAX bytes, owned; NULL if malloc failed. */
    size_t row_used;        /* Bytes of row filled for the record being read. */
    size_t field_start;     /* Offset in row of the field being read. */
    uint64_t next_line;     /* Line of the next byte to read. */
    unsigned char pending[3]; /* Bytes read ahead (BOM check, CR check), replayed first. */
    uint8_t pending_count;
    uint8_t pending_index;
    uint32_t width;         /* Fields every record must have (the header's); 0: any. */
    char *header;           /* The header record's bytes, owned, to name columns in errors. */
    const char *names[OMS_CSV_FIELDS_MAX]; /* Its fields, in `header`; width of them. */
    bool started;           /* The BOM check has been done. */
    bool broken;            /* A read error or no memory: every later call returns -1. */
};

/* Prepares `csv` to read `file` from its current position. Allocates the row buffer; if that
 * fails, the first oms_csv_next() returns -1 with an "out of memory" error. */
void oms_csv_init(struct oms_csv *csv, FILE *file);

/* Frees the row buffer and the header's copy; leaves the FILE open. Safe to call twice and
 * after a failed init. */
void oms_csv_release(struct oms_csv *csv);

/* Reads the next record. Returns 1 with fields set, 0 at end of file (nothing left but empty
 * lines), -1 on a malformed record, with a message in csv->error naming the problem and the
 * line. record_number and line_number describe the record just read, good or bad. */
OMS_MUST_CHECK int oms_csv_next(struct oms_csv *csv);

/* Reads the next record as the file's header: as oms_csv_next(), and after 1 every later record
 * must have header's fields_count fields (others return -1, the record consumed, the message
 * giving both counts), and errors in a field name its column. After 0 or -1 no width is
 * fixed. */
OMS_MUST_CHECK int oms_csv_header(struct oms_csv *csv);

/* Index of the first field of the current record equal to `name` (exact bytes: no trimming, case
 * matters), or -1 if none is. Call it right after reading the header record and keep the
 * indexes: the header's fields are gone after the next oms_csv_next(). */
int oms_csv_column(const struct oms_csv *csv, const char *name);

/* Strict decimal integer: an optional '+' or '-', then one or more ASCII digits, nothing else
 * (no spaces, no "1.5", no "1e3", no ""). Leading zeros are allowed. Returns true and sets *out
 * if the value is in [min, max]; false, *out untouched, otherwise (overflow included). */
OMS_MUST_CHECK bool oms_parse_int64(const char *text, int64_t min, int64_t max, int64_t *out);

/* Decimal money into minor units (hundredths), exactly, without floating point: "2.55" -> 255,
 * "0.85" -> 85, "12" -> 1200, "-1.5" -> -150. Form: an optional sign, one or more digits, then
 * optionally '.' and one to three digits ("5." and ".5" are rejected). With three decimals the
 * value is rounded half away from zero to two ("1.065" -> 107, "-1.065" -> -107, "1.064" -> 106);
 * more than three is rejected. Returns false, *out untouched, on any other text or if the
 * result does not fit an int64. */
OMS_MUST_CHECK bool oms_parse_money_minor(const char *text, int64_t *out);

#endif
