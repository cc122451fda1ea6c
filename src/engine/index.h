/*
 * index.h - the in-memory availability index: what the hot read path (rule 1) needs, copied
 * out of the writer's model after each commit, so readers on any thread never touch the
 * database or the writer's state. One read-write lock guards it; the publishing thread holds
 * it only to swap in the snapshots of the items a batch changed, and to log for the channel feed which
 * channels' answers each changed item moved.
 */
#ifndef OMS_ENGINE_INDEX_H
#define OMS_ENGINE_INDEX_H

#include "engine/engine.h"
#include "store/model.h"

struct oms_index;

struct oms_index *oms_index_new(void);
void oms_index_free(struct oms_index *index); /* NULL is a no-op. */

/* A batch's change to the index: locations and channels (when `master`), then the snapshots of
 * `items`. Prepared on the writer thread from its model right after the batch committed;
 * applied (and freed) on the publishing thread once the batch is durable, in batch order,
 * without the model: readers never see a write that a crash could still undo. Only one thread
 * at a time applies changes. */
struct oms_index_change;
struct oms_index_change *oms_index_prepare(const struct oms_state *state, bool master,
                                           const uint32_t *items, uint32_t items_count);
void oms_index_apply(struct oms_index *index, struct oms_index_change *change);
/* Both at once (at open, before any reader). */
void oms_index_update(struct oms_index *index, const struct oms_state *state, bool master,
                      const uint32_t *items, uint32_t items_count);

/* Writer side, before a commit: rule 1 for one unit of `item` on every channel, computed from
 * the model by the same code that answers reads, so what the writer publishes (status events,
 * back-in-stock waves) is what the index will answer after the commit. `out` has room for
 * state->channels_count entries. */
struct oms_channel_status {
    enum oms_avail_status status;
    oms_qty available;
};
void oms_index_statuses(const struct oms_state *state, uint32_t item,
                        struct oms_channel_status *out);

/* Reader side, any thread. `collect` (may be NULL) asks for click-and-collect at that
 * location: OMS_EINVAL when the channel does not list it. query_many answers skus[0..count)
 * under one read lock, calling visit(ctx, i, answer) for each in order; on an error (unknown
 * channel, collect not listed) it visits none. visit must not call into the index. */
enum oms_err oms_index_query_many(struct oms_index *index, const char *channel,
                                  const char *const *skus, size_t count, oms_qty want,
                                  const char *region, const char *collect,
                                  void (*visit)(void *ctx, size_t i,
                                                const struct oms_availability *a),
                                  void *ctx);
enum oms_err oms_index_query(struct oms_index *index, const char *channel, const char *sku,
                             oms_qty want, const char *region, const char *collect,
                             struct oms_availability *out);
/* One page of a channel's feed; see oms_engine_feed() (index_feed.c). */
enum oms_err oms_index_feed(struct oms_index *index, const char *channel, const char *after,
                            uint32_t limit, oms_feed_visit visit, void *ctx,
                            struct oms_feed_page *page);

#endif
