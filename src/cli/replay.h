/*
 * replay.h - streams a UCI Online Retail history (uci.h) through the engine in time order and
 * reports what happened: `oms replay` and the second half of `oms demo`.
 *
 * What each row becomes (DESIGN.md section 6):
 *   - consecutive rows with one InvoiceNo are one invoice; its sale rows are one ORDER_PLACE
 *     with id "UCI-" + InvoiceNo, at the invoice's time (at_ms), channel --channel-uk for
 *     customers in the United Kingdom else --channel-other, region "UK" or "EU";
 *   - rows of a 'C' invoice cancel open units of the same customer and SKU placed earlier in
 *     this replay, newest order first (ORDER_CANCEL with explicit lines); units that were
 *     rejected when ordered are "already rejected"; what matches nothing (no customer, or sold
 *     before the history starts) is counted, never invented;
 *   - negative rows of ordinary invoices write stock off (ADJUST with a negative delta) at the
 *     locations of the row's region first, then the others by priority, never below 0; the
 *     units that could not be written off are counted;
 *   - non-product codes are skipped and counted per code.
 * Receipts of a schedule (the demo's purchase orders) are submitted, in order, before the first
 * command whose instant is at or after theirs.
 *
 * Commands go asynchronously through a window (common.h); the figures of each placed order are
 * read from the model by the command's encoder on the writer thread. At the end one READ checks
 * allocated + backordered + rejected + cancelled + shipped == ordered over the replayed orders.
 */
#ifndef OMS_CLI_REPLAY_H
#define OMS_CLI_REPLAY_H

#include "base/platform.h"

#include "engine/engine.h"

struct replay_receipt {
    int64_t at_ms; /* When the goods arrive (or, for a delay, when the supplier says so). */
    char supply_id[OMS_ID_BYTES_MAX];
    oms_qty qty;
    bool delay;               /* Not a receipt: the supplier moves the expected date. */
    oms_day new_expected_day; /* For a delay. */
};

struct replay_options {
    const char *path;
    const char *channel_uk, *channel_other;
    const char *json_path; /* NULL: no JSON summary. */
    const struct replay_receipt *receipts; /* Sorted by at_ms; may be NULL. */
    size_t receipts_count;
    size_t delays_count; /* Of the receipts, how many are delay notices. */
};

/* Returns the exit status: 0 when the history was valid, every command succeeded and the
 * final check holds; 1 otherwise (problems are printed on stderr). */
int replay_run(struct oms_engine *engine, const struct replay_options *options);

#endif
