/*
 * notices.h - private to the engine: what the writer has published about each item on each
 * channel, and the back-in-stock waves of rule 7.
 *
 * After every command (not every batch: two commands of one batch that flip a status there and
 * back are two changes, and each gets its event, in commit order), the writer evaluates rule 1
 * for one unit of each item the command touched, per channel, with the index's own code
 * (oms_index_statuses), against what it published last:
 *  - a different status is exactly one item.status_changed {sku, channel, old_status,
 *    new_status, available}, written in the command's transaction;
 *  - an item that becomes sellable on a channel (released, and available >= min_order_qty;
 *    a backorder status is not sellable) notifies the channel's waiting subscriptions of the
 *    item, first-subscribed first, at most available / min_order_qty of them: one
 *    item.back_in_stock each, and each subscription once ever. The others wait for the next
 *    rise from below min_order_qty. Only rises count, so stock flapping around zero notifies
 *    nobody twice.
 * When master data or a location's local day moves, every item is evaluated.
 * The first evaluation of a new item or channel publishes its status without an event (there
 * was no status to change from). Published values live in `item_status` (a row per change;
 * a pair without a row is still at the value computed from the model at open).
 *
 * Ownership: the writer owns the one struct oms_notices (w->notices); writer thread only.
 */
#ifndef OMS_ENGINE_NOTICES_H
#define OMS_ENGINE_NOTICES_H

#include "base/err.h"
#include "base/platform.h"

#define OMS_SUBSCRIPTIONS_WAITING_MAX 65536 /* Waiting subscriptions per item. */

struct oms_notices;
struct oms_writer;

/* Loads the published rows (a bad row is logged and ignored: its pair is recomputed). */
OMS_MUST_CHECK enum oms_err oms__notices_open(struct oms_writer *w);
/* Publishes, silently, what the model says for every pair without a row; call once the
 * locations' local days are known, before the first command. */
void oms__notices_baseline(struct oms_writer *w);
void oms__notices_free(struct oms_notices *notices); /* NULL is a no-op. */

/* The item changed in the current command (called by oms__mark_dirty). NULL is a no-op. */
void oms__notices_touch(struct oms_notices *notices, uint32_t item);
/* Status events and waves for what the current command changed. */
void oms__notices_after_command(struct oms_writer *w);

/* The waiting subscription of (item, channel, contact), or OMS_NONE. */
uint32_t oms__notices_find_waiting(const struct oms_writer *w, uint32_t item, uint32_t channel,
                                   const char *contact);
/* Waiting subscriptions of the item now. */
uint32_t oms__notices_waiting_count(const struct oms_writer *w, uint32_t item);
/* A new subscription (already in w->state.subscriptions) joins its item's wait. */
void oms__notices_add_waiting(struct oms_writer *w, uint32_t subscription);

#endif
