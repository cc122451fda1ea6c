/*
 * sqlite_library.c - process-wide SQLite settings, made before SQLite initialises.
 *
 * Memory statistics off: this SQLite is built with SQLITE_OMIT_LOOKASIDE and the system
 * malloc, so every statement step allocates and frees its cursors and records through
 * sqlite3_malloc, and with statistics on each call takes SQLite's global memory mutex to
 * count the bytes. Nothing here reads those counts (sqlite3_memory_used, a soft heap limit);
 * without them the writer spends about 6,000 fewer instructions per order (bench/README.md,
 * "The write path").
 */
#include "base/platform.h"

#include <sqlite3.h>

#include "store/store.h"

void oms_store_library_init(void)
{
    /* SQLITE_MISUSE once SQLite has initialised: the process then keeps the default, which
     * only costs speed. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
