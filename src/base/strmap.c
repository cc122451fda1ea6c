/*
 * strmap.c - open-addressing string map; grows at 50% load so probes stay short.
 */
#include "base/platform.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/strmap.h"

uint64_t oms_hash_string(const char *key)
{
    uint64_t hash = 1469598103934665603ull; /* FNV-1a, then a final mix for the low bits. */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        hash = (hash ^ *p) * 1099511628211ull;
    }
    hash ^= hash >> 33;
    hash *= 0xff51afd7ed558ccdull;
    hash ^= hash >> 33;
    return hash;
}

void oms_strmap_init(struct oms_strmap *map) { memset(map, 0, sizeof *map); }

void oms_strmap_release(struct oms_strmap *map)
{
    free(map->slots);
    memset(map, 0, sizeof *map);
}

static struct oms_strmap_slot *find(struct oms_strmap_slot *slots, size_t capacity,
                                    const char *key, uint64_t hash)
{
    size_t mask = capacity - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        if (!slots[i].key || (slots[i].hash == hash && strcmp(slots[i].key, key) == 0)) {
            return &slots[i];
        }
    }
}

bool oms_strmap_get(const struct oms_strmap *map, const char *key, uint32_t *value)
{
    if (map->capacity == 0) return false;
    struct oms_strmap_slot *slot = find(map->slots, map->capacity, key, oms_hash_string(key));
    if (!slot->key) return false;
    *value = slot->value;
    return true;
}

static void grow(struct oms_strmap *map)
{
    size_t capacity = map->capacity ? map->capacity * 2 : 64;
    struct oms_strmap_slot *slots = calloc(capacity, sizeof *slots);
    OMS_ASSERT(slots != NULL);
    for (size_t i = 0; i < map->capacity; i++) {
        if (!map->slots[i].key) continue;
        *find(slots, capacity, map->slots[i].key, map->slots[i].hash) = map->slots[i];
    }
    free(map->slots);
    map->slots = slots;
    map->capacity = capacity;
}

void oms_strmap_put(struct oms_strmap *map, const char *key, uint32_t value)
{
    if ((map->count + 1) * 2 > map->capacity) grow(map);
    uint64_t hash = oms_hash_string(key);
    struct oms_strmap_slot *slot = find(map->slots, map->capacity, key, hash);
    if (!slot->key) map->count++;
    *slot = (struct oms_strmap_slot){key, hash, value};
}

void oms_strmap_remove(struct oms_strmap *map, const char *key)
{
    if (map->capacity == 0) return;
    size_t mask = map->capacity - 1;
    struct oms_strmap_slot *slot = find(map->slots, map->capacity, key, oms_hash_string(key));
    if (!slot->key) return;
    size_t hole = (size_t)(slot - map->slots);
    map->slots[hole].key = NULL;
    map->count--;
    /* Move back every later entry of the run whose home slot is not between the hole and it. */
    for (size_t i = (hole + 1) & mask; map->slots[i].key; i = (i + 1) & mask) {
        size_t home = map->slots[i].hash & mask;
        bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
        if (stays) continue;
        map->slots[hole] = map->slots[i];
        map->slots[i].key = NULL;
        hole = i;
    }
}
