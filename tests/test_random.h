/*
 * test_random.h - the tests' random numbers: xorshift64 from a fixed seed, so every run
 * checks the same cases and a failure replays exactly. Not for anything but tests.
 */
#ifndef OMS_TEST_RANDOM_H
#define OMS_TEST_RANDOM_H

#include <stdbool.h>
#include <stdint.h>

/* The next number of the sequence in *state (never 0: seed it with a non-zero value). */
static inline uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

/* A number in [low, high]. */
static inline int64_t random_in(uint64_t *state, int64_t low, int64_t high)
{
    return low + (int64_t)(next_random(state) % (uint64_t)(high - low + 1));
}

/* True once in n draws, on average. */
static inline bool one_in(uint64_t *state, int64_t n) { return random_in(state, 1, n) == 1; }

/* An index below count (count > 0). */
static inline uint32_t pick(uint64_t *state, uint32_t count)
{
    return (uint32_t)(next_random(state) % count);
}

#endif
