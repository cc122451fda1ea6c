/*
 * uci.c - the UCI Online Retail reader of uci.h: header by column name, strict checks of every
 * field with row-numbered errors, time order, and the classification of each row.
 */
#include "base/platform.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "base/utf8.h"
#include "cli/uci.h"

static const char *const column_names[UCI_COLUMNS] = {
    [UCI_INVOICE] = "InvoiceNo", [UCI_CODE] = "StockCode",     [UCI_DESCRIPTION] = "Description",
    [UCI_QTY] = "Quantity",      [UCI_DATE] = "InvoiceDate",   [UCI_PRICE] = "UnitPrice",
    [UCI_CUSTOMER] = "CustomerID", [UCI_COUNTRY] = "Country",
};

/* Codes that are not products although some could pass the shape test. */
static const char *const non_products[] = {"POST", "M",         "DOT", "D",    "C2",
                                           "BANK CHARGES", "S", "AMAZONFEE", "PADS", "CRUK"};

bool uci_is_product(const char *upper_code)
{
    for (size_t i = 0; i < OMS_ARRAY_LEN(non_products); i++) {
        if (strcmp(upper_code, non_products[i]) == 0) return false;
    }
    return upper_code[0] >= '0' && upper_code[0] <= '9';
}

const char *uci_region(const char *country)
{
    return strcmp(country, "United Kingdom") == 0 ? "UK" : "EU";
}

static bool read_header(struct uci_reader *reader)
{
    int rc = oms_csv_header(&reader->csv);
    if (rc != 1) {
        fprintf(stderr, "oms: %s: %s\n", reader->path,
                rc == 0 ? "empty file, expected a header" : reader->csv.error);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < UCI_COLUMNS; i++) {
        reader->columns[i] = oms_csv_column(&reader->csv, column_names[i]);
        if (reader->columns[i] < 0) {
            fprintf(stderr, "oms: %s: header has no column %s\n", reader->path, column_names[i]);
            ok = false;
        }
    }
    return ok;
}

bool uci_open(struct uci_reader *reader, const char *path)
{
    memset(reader, 0, sizeof *reader);
    reader->path = path;
    reader->file = fopen(path, "rb");
    if (!reader->file) {
        fprintf(stderr, "oms: cannot open '%s': %s\n", path, strerror(errno));
        return false;
    }
    oms_csv_init(&reader->csv, reader->file);
    if (!read_header(reader)) {
        uci_close(reader);
        return false;
    }
    return true;
}

bool uci_rewind(struct uci_reader *reader)
{
    oms_csv_release(&reader->csv);
    if (fseek(reader->file, 0, SEEK_SET) != 0) {
        fprintf(stderr, "oms: cannot read '%s' twice (not a regular file?)\n", reader->path);
        return false;
    }
    oms_csv_init(&reader->csv, reader->file);
    reader->last_at_ms = 0;
    reader->last_row = 0;
    return read_header(reader);
}

void uci_close(struct uci_reader *reader)
{
    oms_csv_release(&reader->csv);
    if (reader->file) fclose(reader->file);
    reader->file = NULL;
}

static const char *field(const struct uci_reader *reader, int column)
{
    int index = reader->columns[column];
    return (uint32_t)index < reader->csv.fields_count ? reader->csv.fields[index] : "";
}

static enum uci_class classify(const struct uci_row *row)
{
    if (!uci_is_product(row->code)) return UCI_SKIPPED;
    if (row->cancel_invoice) return row->qty < 0 ? UCI_CANCEL : UCI_OTHER;
    if (row->qty > 0) return UCI_SALE;
    return row->qty < 0 ? UCI_WRITEOFF : UCI_OTHER;
}

/* No text of a row the engine keeps (an order id, a SKU, a customer, an item's name, a
 * region) holds a control character: the API would refuse each (oms_text_control), and an order
 * whose id holds one could not be read or cancelled by id over HTTP. */
static bool check_text(const struct uci_row *row, const char *column, const char *text,
                       struct cli_errors *errors)
{
    size_t len = strlen(text), at = oms_text_control(text, len);
    if (at == len) return true;
    cli_error(errors, "row %llu, column %s: a control character (byte 0x%02X at offset %zu)",
              (unsigned long long)row->row, column, (unsigned)(unsigned char)text[at], at);
    return false;
}

/* Invoice and code: present, printable, short enough. */
static bool check_ids(struct uci_reader *reader, struct uci_row *row, struct cli_errors *errors)
{
    const char *code = field(reader, UCI_CODE);
    size_t len = strlen(code);
    size_t invoice_len = strlen(row->invoice);
    if (oms_text_padded(row->invoice, invoice_len) || oms_text_padded(code, len) ||
        oms_text_invisible(row->invoice, invoice_len) < invoice_len ||
        oms_text_invisible(code, len) < len) {
        bool in_code = oms_text_padded(code, len) || oms_text_invisible(code, len) < len;
        cli_error(errors, "row %llu, column %s: begins or ends with a space, or holds an "
                  "invisible character", (unsigned long long)row->row,
                  in_code ? "StockCode" : "InvoiceNo");
        return false;
    }
    if (!check_text(row, "InvoiceNo", row->invoice, errors) ||
        !check_text(row, "StockCode", code, errors) ||
        !check_text(row, "Description", row->description, errors) ||
        !check_text(row, "CustomerID", row->customer, errors) ||
        !check_text(row, "Country", row->country, errors)) {
        return false;
    }
    if (row->invoice[0] == '\0' || strlen(row->invoice) + 8 >= OMS_ID_BYTES_MAX) {
        cli_error(errors, "row %llu, column InvoiceNo: empty or longer than %d bytes",
                  (unsigned long long)row->row, OMS_ID_BYTES_MAX - 8);
        return false;
    }
    if (len == 0 || len >= OMS_SKU_BYTES_MAX) {
        cli_error(errors, "row %llu, column StockCode: empty or longer than %d bytes",
                  (unsigned long long)row->row, OMS_SKU_BYTES_MAX - 1);
        return false;
    }
    for (size_t i = 0; i <= len; i++) row->code[i] = (char)toupper((unsigned char)code[i]);
    return true;
}

static bool check_numbers(struct uci_reader *reader, struct uci_row *row,
                          struct cli_errors *errors)
{
    const char *qty = field(reader, UCI_QTY), *date = field(reader, UCI_DATE);
    const char *price = field(reader, UCI_PRICE);
    unsigned long long n = (unsigned long long)row->row;
    if (!oms_parse_int64(qty, -OMS_QTY_MAX, OMS_QTY_MAX, &row->qty)) {
        cli_error(errors, "row %llu, column Quantity: '%s' is not a whole number", n, qty);
        return false;
    }
    if (!oms_parse_money_minor(price, &row->price_minor) || row->price_minor < 0) {
        cli_error(errors, "row %llu, column UnitPrice: '%s' is not a price", n, price);
        return false;
    }
    if (!cli_parse_uk_datetime(date, &row->at_ms)) {
        cli_error(errors, "row %llu, column InvoiceDate: '%s' is not M/D/YY H:MM", n, date);
        return false;
    }
    if (row->at_ms < reader->last_at_ms) {
        cli_error(errors,
                  "row %llu, column InvoiceDate: %s is earlier than row %llu: the history must "
                  "be in time order",
                  n, date, (unsigned long long)reader->last_row);
        return false;
    }
    reader->last_at_ms = row->at_ms;
    reader->last_row = row->row;
    return true;
}

int uci_next(struct uci_reader *reader, struct uci_row *row, struct cli_errors *errors)
{
    uint64_t before = reader->csv.record_number;
    row->invoice = "";
    int rc = oms_csv_next(&reader->csv);
    if (rc == 0) return 0;
    /* A read error or no memory is sticky and reads no record: stop there. */
    bool sticky = rc < 0 && reader->csv.record_number == before;
    row->row = sticky ? before : reader->csv.record_number - 1;
    if (rc < 0) {
        cli_error(errors, "row %llu: %s", (unsigned long long)row->row, reader->csv.error);
        return sticky ? 0 : -1;
    }
    row->invoice = field(reader, UCI_INVOICE);
    row->description = field(reader, UCI_DESCRIPTION);
    row->customer = field(reader, UCI_CUSTOMER);
    row->country = field(reader, UCI_COUNTRY);
    row->cancel_invoice = row->invoice[0] == 'C' || row->invoice[0] == 'c';
    if (!check_ids(reader, row, errors) || !check_numbers(reader, row, errors)) return -1;
    row->klass = classify(row);
    return 1;
}
