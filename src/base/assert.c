/*
 * assert.c - what happens when one of our own invariants breaks: say where, then abort so a
 * core dump (and the sanitizers) can show the state. Never returns.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/assert.h"

void oms_panic(const char *file, int line, const char *what)
{
    fprintf(stderr, "level=fatal msg=\"assertion failed: %s\" at=%s:%d\n", what, file, line);
    fflush(stderr);
    abort();
}
