/*
 * test_csv.c - the streaming CSV reader and the strict number parsers (base/csv.h): RFC-4180
 * quoting, line endings, BOM, blank lines, every malformed-record error and the recovery after
 * it, the limits at and one past their bound, and a full read of the real UCI week that the
 * importers load (data/online_retail_uci_week.csv).
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/csv.h"
#include "base/utf8.h"

/* A reader over an anonymous temporary file holding exactly `size` bytes (NULs allowed). */
struct csv_fixture {
    FILE *file;
    struct oms_csv csv;
};

static void fixture_open(struct csv_fixture *fixture, const char *bytes, size_t size)
{
    fixture->file = tmpfile();
    assert_non_null(fixture->file);
    if (size > 0) assert_int_equal(fwrite(bytes, 1, size, fixture->file), size);
    rewind(fixture->file);
    oms_csv_init(&fixture->csv, fixture->file);
}

static void fixture_open_text(struct csv_fixture *fixture, const char *text)
{
    fixture_open(fixture, text, strlen(text));
}

static void fixture_close(struct csv_fixture *fixture)
{
    oms_csv_release(&fixture->csv);
    fclose(fixture->file);
}

/* Reads one record and checks it has exactly the given fields. */
static void expect_record(struct oms_csv *csv, uint32_t count, const char *const *fields)
{
    assert_int_equal(oms_csv_next(csv), 1);
    assert_string_equal(csv->error, "");
    assert_int_equal(csv->fields_count, count);
    for (uint32_t index = 0; index < count; index++) {
        assert_string_equal(csv->fields[index], fields[index]);
        assert_int_equal(csv->lengths[index], strlen(fields[index]));
    }
}

static void expect_malformed(struct oms_csv *csv, const char *message_part)
{
    assert_int_equal(oms_csv_next(csv), -1);
    assert_int_equal(csv->fields_count, 0);
    assert_non_null(strstr(csv->error, message_part));
}

static void test_csv__reads_lf_records_and_counts_them(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "a,b,c\n1,2,3\n");

    expect_record(&f.csv, 3, (const char *const[]){"a", "b", "c"});
    assert_int_equal(f.csv.record_number, 1);
    assert_int_equal(f.csv.line_number, 1);
    expect_record(&f.csv, 3, (const char *const[]){"1", "2", "3"});
    assert_int_equal(f.csv.record_number, 2);
    assert_int_equal(f.csv.line_number, 2);
    assert_int_equal(oms_csv_next(&f.csv), 0);
    assert_int_equal(oms_csv_next(&f.csv), 0);
    fixture_close(&f);
}

static void test_csv__reads_crlf_records(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "a,b\r\n\"x\",y\r\n");

    expect_record(&f.csv, 2, (const char *const[]){"a", "b"});
    expect_record(&f.csv, 2, (const char *const[]){"x", "y"});
    assert_int_equal(f.csv.line_number, 2);
    assert_int_equal(oms_csv_next(&f.csv), 0);
    fixture_close(&f);
}

static void test_csv__keeps_commas_inside_quotes(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "536381,82567,\"AIRLINE LOUNGE,METAL SIGN\",2\n");

    expect_record(&f.csv, 4,
                  (const char *const[]){"536381", "82567", "AIRLINE LOUNGE,METAL SIGN", "2"});
    fixture_close(&f);
}

static void test_csv__folds_doubled_quotes_into_one(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "\"say \"\"hi\"\"\",\"\"\"\",\"\"\"\"\"\"\n");

    expect_record(&f.csv, 3, (const char *const[]){"say \"hi\"", "\"", "\"\""});
    fixture_close(&f);
}

static void test_csv__keeps_line_breaks_inside_quotes_and_counts_lines(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "id,note\n1,\"two\nlines\"\n2,\"crlf\r\nkept\"\r\n3,end\n");

    expect_record(&f.csv, 2, (const char *const[]){"id", "note"});
    expect_record(&f.csv, 2, (const char *const[]){"1", "two\nlines"});
    assert_int_equal(f.csv.line_number, 2);
    expect_record(&f.csv, 2, (const char *const[]){"2", "crlf\r\nkept"});
    assert_int_equal(f.csv.line_number, 4);
    expect_record(&f.csv, 2, (const char *const[]){"3", "end"});
    assert_int_equal(f.csv.line_number, 6);
    assert_int_equal(f.csv.record_number, 4);
    fixture_close(&f);
}

static void test_csv__skips_a_utf8_bom_at_the_start(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "\xEF\xBB\xBFID,Name\n\xEF\xBB\xBFx,y\n");

    expect_record(&f.csv, 2, (const char *const[]){"ID", "Name"});
    assert_int_equal(oms_csv_column(&f.csv, "ID"), 0);
    /* Only the first bytes of the file are a BOM; later it is data. */
    expect_record(&f.csv, 2, (const char *const[]){"\xEF\xBB\xBFx", "y"});
    fixture_close(&f);
}

/* Bytes that start like a BOM and are not one are data, read again from the first: here they
 * are a character cut short, which the UTF-8 check finds at offset 0 (so nothing was skipped). */
static void test_csv__keeps_bytes_that_only_start_like_a_bom(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "\xEF\xBBz,1\n\xEF\xBB\xBEz,2\n");

    expect_malformed(&f.csv, "line 1: field 1: byte 0xEF at offset 0 is not UTF-8");
    expect_record(&f.csv, 2, (const char *const[]){"\xEF\xBB\xBEz", "2"}); /* U+FEFE */
    fixture_close(&f);

    fixture_open_text(&f, "\xEF\xBB");
    expect_malformed(&f.csv, "byte 0xEF at offset 0");
    assert_int_equal(oms_csv_next(&f.csv), 0);
    fixture_close(&f);

    fixture_open_text(&f, "\xEF\xBB\xBF");
    assert_int_equal(oms_csv_next(&f.csv), 0);
    fixture_close(&f);
}

static void test_csv__reads_empty_fields(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, ",,\n\"\",x,\n\"\"\n");

    expect_record(&f.csv, 3, (const char *const[]){"", "", ""});
    expect_record(&f.csv, 3, (const char *const[]){"", "x", ""});
    /* A quoted empty field is a record of one field, not a blank line. */
    expect_record(&f.csv, 1, (const char *const[]){""});
    assert_int_equal(oms_csv_next(&f.csv), 0);
    fixture_close(&f);
}

static void test_csv__reads_a_last_record_without_a_line_ending(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "a,b\n1,\"2\"");

    expect_record(&f.csv, 2, (const char *const[]){"a", "b"});
    expect_record(&f.csv, 2, (const char *const[]){"1", "2"});
    assert_int_equal(oms_csv_next(&f.csv), 0);
    fixture_close(&f);

    fixture_open_text(&f, "a,");
    expect_record(&f.csv, 2, (const char *const[]){"a", ""});
    assert_int_equal(oms_csv_next(&f.csv), 0);
    fixture_close(&f);
}

static void test_csv__skips_blank_lines_but_counts_them_as_lines(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "\n\r\na\n\n\n b \r\n\n");

    expect_record(&f.csv, 1, (const char *const[]){"a"});
    assert_int_equal(f.csv.line_number, 3);
    assert_int_equal(f.csv.record_number, 1);
    /* Spaces are data: a line of spaces is a record. */
    expect_record(&f.csv, 1, (const char *const[]){" b "});
    assert_int_equal(f.csv.line_number, 6);
    assert_int_equal(f.csv.record_number, 2);
    assert_int_equal(oms_csv_next(&f.csv), 0);
    fixture_close(&f);
}

static void test_csv__returns_end_of_file_for_an_empty_file(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open(&f, "", 0);

    assert_int_equal(oms_csv_next(&f.csv), 0);
    assert_int_equal(f.csv.fields_count, 0);
    assert_int_equal(f.csv.record_number, 0);
    fixture_close(&f);
}

static void test_csv__keeps_a_quote_inside_an_unquoted_field(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "12\" RULER,a\"b\"\n");

    expect_record(&f.csv, 2, (const char *const[]){"12\" RULER", "a\"b\""});
    fixture_close(&f);
}

static void test_csv__rejects_an_unterminated_quote(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "a\n1,\"open\n2,3\n");

    expect_record(&f.csv, 1, (const char *const[]){"a"});
    expect_malformed(&f.csv, "quoted field is never closed");
    assert_non_null(strstr(f.csv.error, "line 2:"));
    assert_int_equal(f.csv.line_number, 2);
    assert_int_equal(f.csv.record_number, 2);
    assert_int_equal(oms_csv_next(&f.csv), 0);
    fixture_close(&f);
}

static void test_csv__rejects_text_after_a_closing_quote_then_reads_on(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "\"a\"b,c\nnext,ok\n");

    expect_malformed(&f.csv, "after a closing quote");
    assert_int_equal(f.csv.record_number, 1);
    expect_record(&f.csv, 2, (const char *const[]){"next", "ok"});
    assert_int_equal(f.csv.record_number, 2);
    assert_int_equal(f.csv.line_number, 2);
    fixture_close(&f);
}

static void test_csv__rejects_a_lone_carriage_return(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "a,b\rc,d\ne,f\n");

    expect_malformed(&f.csv, "carriage return");
    expect_record(&f.csv, 2, (const char *const[]){"e", "f"});
    fixture_close(&f);

    fixture_open_text(&f, "a\r");
    expect_malformed(&f.csv, "carriage return");
    assert_int_equal(oms_csv_next(&f.csv), 0);
    fixture_close(&f);
}

static void test_csv__rejects_a_nul_byte_quoted_or_not(void **state)
{
    (void)state;
    struct csv_fixture f;
    static const char bytes[] = "a\0b,c\n\"x\0\",y\nok\n";
    fixture_open(&f, bytes, sizeof(bytes) - 1);

    expect_malformed(&f.csv, "NUL byte");
    expect_malformed(&f.csv, "NUL byte");
    assert_non_null(strstr(f.csv.error, "line 2:"));
    expect_record(&f.csv, 1, (const char *const[]){"ok"});
    fixture_close(&f);
}

/* Decision 51: a field that is not UTF-8 makes its record malformed, whatever the field (quoted
 * or not, the header's too), named by its column and its first bad byte; the reader goes on. */
static void test_csv__rejects_a_field_that_is_not_utf8_naming_its_column(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "sku,name\nLAT,Cr\xE8me\nOK,Cr\xC3\xA8me\n\"Q\xC0\xAF\",x\n"
                          "S,\xED\xA0\x80\nT,\xF4\x90\x80\x80\nU,\"a,\xE2\x82\"\n"
                          "V,\xF0\x9F\x98\x80\n");

    assert_int_equal(oms_csv_header(&f.csv), 1);
    expect_malformed(&f.csv, "line 2: column name: byte 0xE8 at offset 2 is not UTF-8");
    assert_non_null(strstr(f.csv.error, "save the file as UTF-8"));
    assert_int_equal(f.csv.record_number, 2);
    expect_record(&f.csv, 2, (const char *const[]){"OK", "Cr\xC3\xA8me"});
    expect_malformed(&f.csv, "line 4: column sku: byte 0xC0 at offset 1"); /* Overlong '/'. */
    expect_malformed(&f.csv, "line 5: column name: byte 0xED at offset 0"); /* U+D800 */
    expect_malformed(&f.csv, "line 6: column name: byte 0xF4 at offset 0"); /* U+110000 */
    expect_malformed(&f.csv, "line 7: column name: byte 0xE2 at offset 2"); /* Cut short. */
    expect_record(&f.csv, 2, (const char *const[]){"V", "\xF0\x9F\x98\x80"});
    assert_int_equal(oms_csv_next(&f.csv), 0);
    fixture_close(&f);

    /* The header itself, and a file read without one: the field by its number. */
    fixture_open_text(&f, "sku,n\xE4me\nA,b\n");
    assert_int_equal(oms_csv_header(&f.csv), -1);
    assert_non_null(strstr(f.csv.error, "line 1: field 2: byte 0xE4 at offset 1 is not UTF-8"));
    expect_record(&f.csv, 2, (const char *const[]){"A", "b"});
    fixture_close(&f);
}

/* A long column name is cut between characters in an error, so the message stays UTF-8. */
static void test_csv__cuts_a_long_column_name_between_characters(void **state)
{
    (void)state;
    struct csv_fixture f;
    char text[256];
    /* 39 ASCII bytes, then U+00E8 over bytes 39 and 40: the cut at 40 backs off to 39. */
    snprintf(text, sizeof text, "%s\xC3\xA8tail,b\nx\xFF,y\n",
             "abcdefghijklmnopqrstuvwxyzabcdefghijklm");
    fixture_open_text(&f, text);
    assert_int_equal(oms_csv_header(&f.csv), 1);
    expect_malformed(&f.csv, "column abcdefghijklmnopqrstuvwxyzabcdefghijklm: byte 0xFF");
    assert_true(oms_utf8_valid(f.csv.error, strlen(f.csv.error), NULL));
    fixture_close(&f);
}

static void test_csv__reads_fields_max_and_rejects_one_more(void **state)
{
    (void)state;
    char text[4 * OMS_CSV_FIELDS_MAX + 16];
    size_t used = 0;
    for (int copy = 0; copy < 2; copy++) {
        int count = OMS_CSV_FIELDS_MAX + copy;
        for (int index = 0; index < count; index++) {
            text[used++] = (char)('a' + index % 26);
            text[used++] = index + 1 < count ? ',' : '\n';
        }
    }
    memcpy(text + used, "after\n", 6);
    used += 6;

    struct csv_fixture f;
    fixture_open(&f, text, used);
    assert_int_equal(oms_csv_next(&f.csv), 1);
    assert_int_equal(f.csv.fields_count, OMS_CSV_FIELDS_MAX);
    assert_string_equal(f.csv.fields[OMS_CSV_FIELDS_MAX - 1], "l"); /* 63 % 26 == 11 */
    expect_malformed(&f.csv, "more than 64 fields");
    expect_record(&f.csv, 1, (const char *const[]){"after"});
    assert_int_equal(f.csv.record_number, 3);
    fixture_close(&f);
}

/* A single field uses its bytes plus one NUL: OMS_CSV_ROW_BYTES_MAX - 1 bytes fit exactly. */
static void test_csv__reads_a_record_at_the_byte_limit_and_rejects_one_more(void **state)
{
    (void)state;
    const size_t fits = OMS_CSV_ROW_BYTES_MAX - 1;
    size_t size = fits + 1 + fits + 1 + 1 + 3;
    char *text = malloc(size);
    assert_non_null(text);
    memset(text, 'x', size);
    text[fits] = '\n';
    text[fits + 1 + fits + 1] = '\n';
    memcpy(text + size - 3, "ok\n", 3);

    struct csv_fixture f;
    fixture_open(&f, text, size);
    assert_int_equal(oms_csv_next(&f.csv), 1);
    assert_int_equal(f.csv.lengths[0], fits);
    expect_malformed(&f.csv, "record longer than 65536 bytes");
    expect_record(&f.csv, 1, (const char *const[]){"ok"});
    assert_int_equal(f.csv.line_number, 3);
    fixture_close(&f);
    free(text);
}

static void test_csv__finds_columns_by_exact_header_name(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "ID,PO / SO #,Unit Price, ID,ID\n");

    assert_int_equal(oms_csv_next(&f.csv), 1);
    assert_int_equal(oms_csv_column(&f.csv, "ID"), 0); /* The first of two. */
    assert_int_equal(oms_csv_column(&f.csv, "PO / SO #"), 1);
    assert_int_equal(oms_csv_column(&f.csv, "Unit Price"), 2);
    assert_int_equal(oms_csv_column(&f.csv, " ID"), 3);
    assert_int_equal(oms_csv_column(&f.csv, "id"), -1);
    assert_int_equal(oms_csv_column(&f.csv, "Unit"), -1);
    assert_int_equal(oms_csv_column(&f.csv, ""), -1);
    fixture_close(&f);
}

/* After oms_csv_header(), a record with more or fewer fields than the header is malformed,
 * named with both counts, and the reader goes on with the next record: "A,W1,1,100" under
 * "sku,location,on_hand" (a thousands separator) must not be read as on_hand 1. */
static void test_csv__header_fixes_the_width_of_every_later_record(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "sku,location,on_hand\nA,W1,1,100\nB,W1\n\"C,1\",W1,7\nD,W1,,\n"
                          "E,W1,\n");

    assert_int_equal(oms_csv_header(&f.csv), 1);
    assert_int_equal(f.csv.fields_count, 3);
    expect_malformed(&f.csv, "line 2: 4 fields where the header has 3");
    assert_int_equal(f.csv.record_number, 2);
    expect_malformed(&f.csv, "line 3: 2 fields where the header has 3");
    expect_record(&f.csv, 3, (const char *const[]){"C,1", "W1", "7"}); /* Quoted: one field. */
    expect_malformed(&f.csv, "line 5: 4 fields where the header has 3"); /* Empty ones count. */
    expect_record(&f.csv, 3, (const char *const[]){"E", "W1", ""});
    assert_int_equal(oms_csv_next(&f.csv), 0);
    fixture_close(&f);
}

/* Without a header the reader takes records of any width (the other tests rely on it), and a
 * header that is itself malformed fixes no width. */
static void test_csv__header_of_a_bad_or_empty_file_fixes_nothing(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "a,\"b\"x\nc\nd,e,f\n");
    expect_malformed(&f.csv, "after a closing quote");
    expect_record(&f.csv, 1, (const char *const[]){"c"});
    expect_record(&f.csv, 3, (const char *const[]){"d", "e", "f"});
    fixture_close(&f);

    fixture_open_text(&f, "\n\n");
    assert_int_equal(oms_csv_header(&f.csv), 0);
    fixture_close(&f);

    fixture_open_text(&f, "a,\"b\"x\nc\nd,e\n");
    assert_int_equal(oms_csv_header(&f.csv), -1);
    expect_record(&f.csv, 1, (const char *const[]){"c"});
    expect_record(&f.csv, 2, (const char *const[]){"d", "e"});
    fixture_close(&f);
}

static void test_csv__release_twice_is_harmless(void **state)
{
    (void)state;
    struct csv_fixture f;
    fixture_open_text(&f, "a\n");
    oms_csv_release(&f.csv);
    fixture_close(&f);
}

/* The real week of UCI orders: 14,553 rows of 8 fields after the header, every Quantity an
 * integer and every UnitPrice exact money. The sums were computed independently with sqlite3. */
static bool uci_week_path(char *path, size_t size)
{
    const char *dir = getenv("OMS_DATA_DIR");
    int written = 0;
    if (dir != NULL && dir[0] != '\0') {
        written = snprintf(path, size, "%s/online_retail_uci_week.csv", dir);
    } else {
#ifdef OMS_SOURCE_DIR
        written = snprintf(path, size, "%s/data/online_retail_uci_week.csv", OMS_SOURCE_DIR);
#else
        return false;
#endif
    }
    return written > 0 && (size_t)written < size;
}

struct uci_columns {
    int quantity;
    int unit_price;
    int description;
};

static void read_uci_header(struct oms_csv *csv, struct uci_columns *columns)
{
    static const char *const names[] = {"InvoiceNo", "StockCode", "Description", "Quantity",
                                        "InvoiceDate", "UnitPrice", "CustomerID", "Country"};
    assert_int_equal(oms_csv_next(csv), 1);
    assert_int_equal(csv->fields_count, OMS_ARRAY_LEN(names));
    for (size_t index = 0; index < OMS_ARRAY_LEN(names); index++) {
        assert_int_equal(oms_csv_column(csv, names[index]), (int)index);
    }
    columns->quantity = oms_csv_column(csv, "Quantity");
    columns->unit_price = oms_csv_column(csv, "UnitPrice");
    columns->description = oms_csv_column(csv, "Description");
}

static void test_csv__reads_the_uci_week(void **state)
{
    (void)state;
    char path[4096];
    if (!uci_week_path(path, sizeof(path))) skip();
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    struct oms_csv csv;
    oms_csv_init(&csv, file);
    struct uci_columns columns;
    read_uci_header(&csv, &columns);

    uint64_t rows = 0;
    int64_t quantity_sum = 0, price_minor_sum = 0;
    int result;
    while ((result = oms_csv_next(&csv)) == 1) {
        int64_t quantity = 0, price_minor = 0;
        rows++;
        assert_int_equal(csv.fields_count, 8);
        assert_int_equal(csv.line_number, csv.record_number); /* No line breaks in fields. */
        assert_true(oms_parse_int64(csv.fields[columns.quantity], -100000, 100000, &quantity));
        assert_true(oms_parse_money_minor(csv.fields[columns.unit_price], &price_minor));
        quantity_sum += quantity;
        price_minor_sum += price_minor;
        if (csv.line_number == 111) {
            assert_string_equal(csv.fields[columns.description], "AIRLINE LOUNGE,METAL SIGN");
        }
    }
    assert_int_equal(result, 0);
    assert_int_equal(rows, 14553);
    assert_int_equal(csv.record_number, 14554);
    assert_int_equal(quantity_sum, 107570);
    assert_int_equal(price_minor_sum, 5927067);
    oms_csv_release(&csv);
    fclose(file);
}

static void test_csv__parse_int64_accepts_digits_with_an_optional_sign(void **state)
{
    (void)state;
    int64_t value = 0;
    assert_true(oms_parse_int64("0", INT64_MIN, INT64_MAX, &value));
    assert_int_equal(value, 0);
    assert_true(oms_parse_int64("+42", INT64_MIN, INT64_MAX, &value));
    assert_int_equal(value, 42);
    assert_true(oms_parse_int64("-9360", INT64_MIN, INT64_MAX, &value));
    assert_int_equal(value, -9360);
    assert_true(oms_parse_int64("007", 0, 10, &value));
    assert_int_equal(value, 7);
    assert_true(oms_parse_int64("-0", 0, 0, &value));
    assert_int_equal(value, 0);
}

static void test_csv__parse_int64_reaches_both_int64_limits_and_no_further(void **state)
{
    (void)state;
    int64_t value = 0;
    assert_true(oms_parse_int64("9223372036854775807", INT64_MIN, INT64_MAX, &value));
    assert_true(value == INT64_MAX);
    assert_true(oms_parse_int64("-9223372036854775808", INT64_MIN, INT64_MAX, &value));
    assert_true(value == INT64_MIN);
    value = 5;
    assert_false(oms_parse_int64("9223372036854775808", INT64_MIN, INT64_MAX, &value));
    assert_false(oms_parse_int64("-9223372036854775809", INT64_MIN, INT64_MAX, &value));
    assert_false(oms_parse_int64("99999999999999999999999", INT64_MIN, INT64_MAX, &value));
    assert_int_equal(value, 5);
}

static void test_csv__parse_int64_rejects_anything_but_a_plain_integer_in_range(void **state)
{
    (void)state;
    static const char *const bad[] = {"",   "-",  "+",   "1.5", "1e3",  " 1", "1 ",
                                      "1,000", "--1", "+-1", "0x10", "1.", "\xEF\xBB\xBF" "1"};
    int64_t value = 99;
    for (size_t index = 0; index < OMS_ARRAY_LEN(bad); index++) {
        assert_false(oms_parse_int64(bad[index], INT64_MIN, INT64_MAX, &value));
    }
    assert_false(oms_parse_int64("11", 0, 10, &value));
    assert_false(oms_parse_int64("-1", 0, 10, &value));
    assert_true(oms_parse_int64("10", 0, 10, &value));
    assert_int_equal(value, 10);
}

static void test_csv__parse_money_gives_exact_minor_units(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t minor;
    } cases[] = {{"2.55", 255}, {"0.85", 85},  {"12", 1200},  {"-1.5", -150}, {"0", 0},
                 {"+0.1", 10},  {"950.99", 95099}, {"-0.00", 0}, {"0.01", 1},  {"007.50", 750}};
    for (size_t index = 0; index < OMS_ARRAY_LEN(cases); index++) {
        int64_t minor = -1;
        assert_true(oms_parse_money_minor(cases[index].text, &minor));
        assert_int_equal(minor, cases[index].minor);
    }
}

static void test_csv__parse_money_rounds_a_third_decimal_half_away_from_zero(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t minor;
    } cases[] = {{"1.065", 107}, {"1.064", 106}, {"-1.065", -107}, {"-1.064", -106},
                 {"0.005", 1},   {"0.004", 0},   {"9.995", 1000},  {"1.000", 100}};
    for (size_t index = 0; index < OMS_ARRAY_LEN(cases); index++) {
        int64_t minor = -1;
        assert_true(oms_parse_money_minor(cases[index].text, &minor));
        assert_int_equal(minor, cases[index].minor);
    }
}

static void test_csv__parse_money_rejects_malformed_text_and_overflow(void **state)
{
    (void)state;
    static const char *const bad[] = {"",      "-",     ".5",   "5.",    "1.0001", "1.2.3",
                                      "1,50",  " 1.5",  "1.5 ", "1e3",   "$1",     "--1",
                                      "0.-5",  "0.+5",  "NaN",  "92233720368547758.08",
                                      "-92233720368547758.09"};
    int64_t minor = 7;
    for (size_t index = 0; index < OMS_ARRAY_LEN(bad); index++) {
        assert_false(oms_parse_money_minor(bad[index], &minor));
    }
    assert_int_equal(minor, 7);
    assert_true(oms_parse_money_minor("92233720368547758.07", &minor));
    assert_true(minor == INT64_MAX);
    assert_true(oms_parse_money_minor("-92233720368547758.08", &minor));
    assert_true(minor == INT64_MIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv__reads_lf_records_and_counts_them),
        cmocka_unit_test(test_csv__reads_crlf_records),
        cmocka_unit_test(test_csv__keeps_commas_inside_quotes),
        cmocka_unit_test(test_csv__folds_doubled_quotes_into_one),
        cmocka_unit_test(test_csv__keeps_line_breaks_inside_quotes_and_counts_lines),
        cmocka_unit_test(test_csv__skips_a_utf8_bom_at_the_start),
        cmocka_unit_test(test_csv__keeps_bytes_that_only_start_like_a_bom),
        cmocka_unit_test(test_csv__reads_empty_fields),
        cmocka_unit_test(test_csv__reads_a_last_record_without_a_line_ending),
        cmocka_unit_test(test_csv__skips_blank_lines_but_counts_them_as_lines),
        cmocka_unit_test(test_csv__returns_end_of_file_for_an_empty_file),
        cmocka_unit_test(test_csv__keeps_a_quote_inside_an_unquoted_field),
        cmocka_unit_test(test_csv__rejects_an_unterminated_quote),
        cmocka_unit_test(test_csv__rejects_text_after_a_closing_quote_then_reads_on),
        cmocka_unit_test(test_csv__rejects_a_lone_carriage_return),
        cmocka_unit_test(test_csv__rejects_a_nul_byte_quoted_or_not),
        cmocka_unit_test(test_csv__rejects_a_field_that_is_not_utf8_naming_its_column),
        cmocka_unit_test(test_csv__cuts_a_long_column_name_between_characters),
        cmocka_unit_test(test_csv__reads_fields_max_and_rejects_one_more),
        cmocka_unit_test(test_csv__reads_a_record_at_the_byte_limit_and_rejects_one_more),
        cmocka_unit_test(test_csv__finds_columns_by_exact_header_name),
        cmocka_unit_test(test_csv__header_fixes_the_width_of_every_later_record),
        cmocka_unit_test(test_csv__header_of_a_bad_or_empty_file_fixes_nothing),
        cmocka_unit_test(test_csv__release_twice_is_harmless),
        cmocka_unit_test(test_csv__reads_the_uci_week),
        cmocka_unit_test(test_csv__parse_int64_accepts_digits_with_an_optional_sign),
        cmocka_unit_test(test_csv__parse_int64_reaches_both_int64_limits_and_no_further),
        cmocka_unit_test(test_csv__parse_int64_rejects_anything_but_a_plain_integer_in_range),
        cmocka_unit_test(test_csv__parse_money_gives_exact_minor_units),
        cmocka_unit_test(test_csv__parse_money_rounds_a_third_decimal_half_away_from_zero),
        cmocka_unit_test(test_csv__parse_money_rejects_malformed_text_and_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
