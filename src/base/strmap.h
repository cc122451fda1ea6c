/*
 * strmap.h - a hash map from NUL-terminated strings to uint32_t values (open addressing,
 * linear probing, power-of-two capacity). Keys are borrowed: the caller keeps each key alive
 * and unchanged while it is in the map. Not thread-safe: one owner at a time.
 */
#ifndef OMS_STRMAP_H
#define OMS_STRMAP_H

#include "base/platform.h"

struct oms_strmap_slot {
    const char *key; /* NULL: empty. */
    uint64_t hash;
    uint32_t value;
};

struct oms_strmap {
    struct oms_strmap_slot *slots;
    size_t capacity; /* 0 or a power of two. */
    size_t count;
};

void oms_strmap_init(struct oms_strmap *map);
void oms_strmap_release(struct oms_strmap *map);
/* True and *value set when key is present. */
bool oms_strmap_get(const struct oms_strmap *map, const char *key, uint32_t *value);
/* Inserts or replaces. Aborts on out of memory (maps grow with master data, not requests). */
void oms_strmap_put(struct oms_strmap *map, const char *key, uint32_t value);
/* Removes key when present (backward-shift deletion: no tombstones, probes stay short). */
void oms_strmap_remove(struct oms_strmap *map, const char *key);
uint64_t oms_hash_string(const char *key);

#endif
