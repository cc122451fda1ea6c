/*
 * index.h - the in-memory availability index: what the hot read path (rule 1) needs, copied
 * out of the writer's model after each commit, so readers on any thread never touch the
 * database or the writer's state. One read-write lock guards it; the writer holds it only
 * to swap in the snapshots of the items a batch changed.
 */
#ifndef OMS_ENGINE_INDEX_H
#define OMS_ENGINE_INDEX_H

#include "engine/engine.h"
#include "store/model.h"

struct oms_index;

struct oms_index *oms_index_new(void);
void oms_index_free(struct oms_index *index); /* NULL is a no-op. */

/* Writer side, after a commit: locations and channels (when they changed), then items. */
void oms_index_update(struct oms_index *index, const struct oms_state *state, bool master,
                      const uint32_t *items, uint32_t items_count);

/* Reader side, any thread. */
enum oms_err oms_index_query(struct oms_index *index, const char *channel, const char *sku,
                             oms_qty want, const char *region, struct oms_availability *out);

#endif
