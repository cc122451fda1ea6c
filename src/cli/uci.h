/*
 * uci.h - a reader of order histories in the UCI Online Retail format (columns InvoiceNo,
 * StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country; see
 * data/README.md), for `oms replay` and `oms demo`. It checks every row (row-numbered errors
 * naming the column, 1-based data rows, the header not counted) and that time never goes
 * backwards, and classifies each row:
 *   - skipped: the upper-cased StockCode is not a product (POST, M, DOT, D, C2, BANK CHARGES, S,
 *     AMAZONFEE, PADS, CRUK, or any code that does not start with a digit), whatever else;
 *   - sale: a product on an ordinary invoice with Quantity > 0 (whatever the price);
 *   - cancel: a product on a 'C' invoice with Quantity < 0;
 *   - writeoff: a product on an ordinary invoice with Quantity < 0 (a stock write-off);
 *   - other: Quantity 0, or Quantity > 0 on a 'C' invoice: no sensible meaning; counted only.
 * Dates are UK wall-clock time and are converted to UTC with cli_london_to_utc_ms().
 */
#ifndef OMS_CLI_UCI_H
#define OMS_CLI_UCI_H

#include "base/platform.h"

#include <stdio.h>

#include "base/csv.h"
#include "cli/common.h"
#include "store/model.h"

enum uci_class { UCI_SALE, UCI_CANCEL, UCI_WRITEOFF, UCI_SKIPPED, UCI_OTHER };

enum { UCI_INVOICE, UCI_CODE, UCI_DESCRIPTION, UCI_QTY, UCI_DATE, UCI_PRICE, UCI_CUSTOMER,
       UCI_COUNTRY, UCI_COLUMNS };

struct uci_row {
    uint64_t row;        /* 1-based data row. */
    const char *invoice; /* Points into the reader: valid until the next uci_next(). */
    char code[OMS_SKU_BYTES_MAX]; /* Upper-cased StockCode. */
    const char *description, *customer, *country; /* customer is "" when absent. */
    int64_t qty;
    int64_t at_ms;       /* UTC. */
    int64_t price_minor; /* UnitPrice in pence. */
    bool cancel_invoice; /* InvoiceNo starts with 'C'. */
    enum uci_class klass;
};

struct uci_reader {
    const char *path;
    FILE *file;
    struct oms_csv csv;
    int columns[UCI_COLUMNS];
    int64_t last_at_ms;
    uint64_t last_row;
};

/* Opens path and reads its header; prints the problem and returns false when it cannot. */
OMS_MUST_CHECK bool uci_open(struct uci_reader *reader, const char *path);
/* Starts again from the first data row. */
OMS_MUST_CHECK bool uci_rewind(struct uci_reader *reader);
/* 1: a good row in *row; 0: end of file; -1: a bad row, reported through errors (reading
 * may go on; row->invoice is its InvoiceNo, or "" when the record could not be read). A
 * malformed CSV record or a read error is reported the same way. */
int uci_next(struct uci_reader *reader, struct uci_row *row, struct cli_errors *errors);
void uci_close(struct uci_reader *reader);

bool uci_is_product(const char *upper_code);
const char *uci_region(const char *country); /* "UK" for United Kingdom, else "EU". */

#endif
