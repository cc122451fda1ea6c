/*
 * sqlite_schema.h - the versioned schema migrations of the SQLite store. Migration N takes a
 * database at version N-1 to version N; they run in order inside one transaction at open.
 * A migration, once released, never changes: add a new one.
 */
#ifndef OMS_STORE_SQLITE_SCHEMA_H
#define OMS_STORE_SQLITE_SCHEMA_H

static const char *const oms_sqlite_migrations[] = {
    /* 1: the foundation. Every row carries its shard (one shard, 0, for now). */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE locations(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  code TEXT NOT NULL UNIQUE, name TEXT NOT NULL, kind INTEGER NOT NULL,"
    "  region TEXT NOT NULL, priority INTEGER NOT NULL, timezone TEXT NOT NULL,"
    "  handling_days INTEGER NOT NULL CHECK(handling_days >= 0),"
    "  working_mask INTEGER NOT NULL CHECK(working_mask BETWEEN 1 AND 127));"
    "CREATE TABLE items(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  sku TEXT NOT NULL UNIQUE, name TEXT NOT NULL, price_minor INTEGER NOT NULL,"
    "  currency TEXT NOT NULL, policy INTEGER NOT NULL CHECK(policy BETWEEN 0 AND 2),"
    "  backorder_limit INTEGER NOT NULL, lead_time_days INTEGER NOT NULL,"
    "  low_stock_threshold INTEGER NOT NULL, min_order_qty INTEGER NOT NULL CHECK(min_order_qty >= 1),"
    "  release_day INTEGER, allow_split INTEGER NOT NULL);"
    "CREATE TABLE channels(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  code TEXT NOT NULL UNIQUE, name TEXT NOT NULL, buffer INTEGER NOT NULL CHECK(buffer >= 0),"
    "  allow_backorder INTEGER NOT NULL, priority INTEGER NOT NULL, locations TEXT NOT NULL);"
    "CREATE TABLE stock_levels(item INTEGER NOT NULL, location INTEGER NOT NULL,"
    "  shard INTEGER NOT NULL DEFAULT 0,"
    "  on_hand INTEGER NOT NULL CHECK(on_hand >= 0), allocated INTEGER NOT NULL CHECK(allocated >= 0),"
    "  reserved INTEGER NOT NULL CHECK(reserved >= 0), safety INTEGER NOT NULL CHECK(safety >= 0),"
    "  unavailable INTEGER NOT NULL CHECK(unavailable >= 0 AND unavailable <= on_hand),"
    "  PRIMARY KEY(item, location)) WITHOUT ROWID;"
    "CREATE TABLE supply(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  id TEXT NOT NULL UNIQUE, item INTEGER NOT NULL, location INTEGER NOT NULL,"
    "  qty INTEGER NOT NULL CHECK(qty >= 0), received INTEGER NOT NULL CHECK(received >= 0),"
    "  expected_day INTEGER NOT NULL, status INTEGER NOT NULL);"
    "CREATE TABLE orders(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  id TEXT NOT NULL UNIQUE, channel INTEGER NOT NULL, region TEXT NOT NULL,"
    "  customer_ref TEXT, contact TEXT, at_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
    "  first_line INTEGER NOT NULL, lines_count INTEGER NOT NULL, fingerprint TEXT NOT NULL,"
    "  answer BLOB);"
    "CREATE TABLE lines(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  order_idx INTEGER NOT NULL, line_no INTEGER NOT NULL, item INTEGER, sku TEXT NOT NULL,"
    "  qty INTEGER NOT NULL CHECK(qty > 0), shipped INTEGER NOT NULL CHECK(shipped >= 0),"
    "  cancelled INTEGER NOT NULL CHECK(cancelled >= 0), rejected INTEGER NOT NULL CHECK(rejected >= 0),"
    "  reason INTEGER NOT NULL, ship_complete INTEGER NOT NULL, price_minor INTEGER NOT NULL,"
    "  promise_day INTEGER, allocs TEXT NOT NULL, pegs TEXT NOT NULL, UNIQUE(order_idx, line_no));"
    "CREATE TABLE ledger(seq INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  at_ms INTEGER NOT NULL, recorded_ms INTEGER NOT NULL, sku TEXT NOT NULL,"
    "  location TEXT NOT NULL, counter TEXT NOT NULL, before INTEGER NOT NULL,"
    "  after INTEGER NOT NULL, delta INTEGER GENERATED ALWAYS AS (after - before) VIRTUAL,"
    "  reason TEXT NOT NULL, ref TEXT);"
    "CREATE INDEX ledger_by_level ON ledger(sku, location, at_ms);"
    "CREATE TRIGGER ledger_append_only_update BEFORE UPDATE ON ledger"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER ledger_append_only_delete BEFORE DELETE ON ledger"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TABLE events(seq INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  type TEXT NOT NULL, at_ms INTEGER NOT NULL, subject TEXT NOT NULL, data TEXT NOT NULL);"
    "CREATE TABLE idempotency(key TEXT PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body BLOB,"
    "  created_ms INTEGER NOT NULL) WITHOUT ROWID;",
    /* 2: the supply and backorder lifecycle: transfers, a customer's consent to wait, returns,
     * the first promise (for promise accuracy), a channel's answer to a delay beyond consent,
     * timelines by subject, webhooks and their deliveries, back-in-stock subscriptions, and
     * the last published status of an item per channel. */
    "ALTER TABLE supply ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE supply ADD COLUMN from_location INTEGER;"
    "ALTER TABLE lines ADD COLUMN latest_day INTEGER;"
    "ALTER TABLE lines ADD COLUMN held INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE lines ADD COLUMN returned INTEGER NOT NULL DEFAULT 0 CHECK(returned >= 0);"
    "ALTER TABLE lines ADD COLUMN first_promise_day INTEGER;"
    "ALTER TABLE channels ADD COLUMN delay_policy INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX events_by_subject ON events(subject, seq);"
    "CREATE TABLE webhooks(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  id TEXT NOT NULL UNIQUE, url TEXT NOT NULL, secret TEXT NOT NULL, types TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL, active INTEGER NOT NULL DEFAULT 1);"
    "CREATE TABLE deliveries(webhook INTEGER NOT NULL, seq INTEGER NOT NULL,"
    "  shard INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL, next_ms INTEGER NOT NULL,"
    "  status INTEGER NOT NULL, last_error TEXT, PRIMARY KEY(webhook, seq)) WITHOUT ROWID;"
    "CREATE TABLE subscriptions(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  item INTEGER NOT NULL, channel INTEGER NOT NULL, contact TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL, notified_ms INTEGER);"
    "CREATE TABLE item_status(item INTEGER NOT NULL, channel INTEGER NOT NULL,"
    "  shard INTEGER NOT NULL DEFAULT 0, status INTEGER NOT NULL, available INTEGER NOT NULL,"
    "  PRIMARY KEY(item, channel)) WITHOUT ROWID;",
    /* 3: back-in-stock waves (rule 7) fire when an item becomes sellable on a channel
     * (available >= min_order_qty, released): whether it was is kept with the published status,
     * so a restart neither repeats nor misses a wave. */
    "ALTER TABLE item_status ADD COLUMN sellable INTEGER NOT NULL DEFAULT 0;",
    /* 4: webhook delivery: how far each webhook's dispatcher has recorded the outbox, and
     * deliveries found by status (pending ones at start, dead ones for the API). */
    "ALTER TABLE webhooks ADD COLUMN cursor INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX deliveries_by_status ON deliveries(webhook, status, seq);",
    /* 5: write-path speed (issue 4). Both indexes were keyed by SKU for every row, so each
     * order on a different SKU dirtied a random leaf page of each (a 4 KiB WAL frame and a
     * checkpoint write apiece, per order): now they hold only the rows their readers ask for.
     * The ledger index serves counts (rule 6: the last count of a level, on_hand moves after
     * a count's instant), never allocations; the subject index serves order timelines, whose
     * subjects are order ids, never the per-SKU stock and status events (which also kept an
     * order whose id equals a SKU from showing that SKU's stock events). */
    "DROP INDEX ledger_by_level;"
    "CREATE INDEX ledger_by_level ON ledger(sku, location, at_ms)"
    "  WHERE counter = 'on_hand' OR reason = 'count';"
    "DROP INDEX events_by_subject;"
    "CREATE INDEX events_by_subject ON events(subject, seq)"
    "  WHERE type NOT IN ('stock.changed', 'stock.short', 'item.status_changed');",
    /* 6: holds for carts and checkouts (reserved units until an expiry), their lines with the
     * units held per location ("location:qty,..."), and the hold an order named. */
    "CREATE TABLE holds(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  id TEXT NOT NULL UNIQUE, channel INTEGER NOT NULL, region TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
    "  ended_ms INTEGER NOT NULL, status INTEGER NOT NULL CHECK(status BETWEEN 0 AND 3),"
    "  order_id TEXT, first_line INTEGER NOT NULL, lines_count INTEGER NOT NULL,"
    "  fingerprint TEXT NOT NULL, answer BLOB);"
    "CREATE TABLE hold_lines(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  hold INTEGER NOT NULL, line_no INTEGER NOT NULL, item INTEGER, sku TEXT NOT NULL,"
    "  qty INTEGER NOT NULL CHECK(qty > 0), consumed INTEGER NOT NULL CHECK(consumed >= 0),"
    "  reason INTEGER NOT NULL, allocs TEXT NOT NULL, UNIQUE(hold, line_no));"
    "ALTER TABLE orders ADD COLUMN hold TEXT;"
    "ALTER TABLE orders ADD COLUMN hold_use INTEGER NOT NULL DEFAULT 0;",
    /* 7: channel rules (issue 4): a channel's default buffer in percent, store exclusion, and
     * per item rules (buffer, cap per period, floor), sparse: a row only where a rule is set.
     * A NULL column is a field not set. Cap counters are derived from orders, not stored. */
    "ALTER TABLE channels ADD COLUMN buffer_percent INTEGER NOT NULL DEFAULT 0"
    "  CHECK(buffer_percent BETWEEN 0 AND 100);"
    "ALTER TABLE channels ADD COLUMN exclude_stores INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE channel_item_rules(channel INTEGER NOT NULL, item INTEGER NOT NULL,"
    "  shard INTEGER NOT NULL DEFAULT 0, buffer INTEGER CHECK(buffer >= 0),"
    "  buffer_percent INTEGER CHECK(buffer_percent BETWEEN 0 AND 100),"
    "  cap_qty INTEGER CHECK(cap_qty >= 0), cap_period INTEGER CHECK(cap_period BETWEEN 0 AND 2),"
    "  floor INTEGER CHECK(floor >= 0), CHECK((cap_qty IS NULL) = (cap_period IS NULL)),"
    "  PRIMARY KEY(channel, item)) WITHOUT ROWID;",
    /* 8: sourcing. The region distance table (rows in the order regions were configured; one
     * row per unordered pair, a < b), an order's click-and-collect location, and the reason
     * of every allocation, appended to each "location:qty:ship_day" group (0: made before
     * reasons were kept). */
    "CREATE TABLE regions(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  code TEXT NOT NULL UNIQUE, name TEXT NOT NULL);"
    "CREATE TABLE region_distances(a INTEGER NOT NULL, b INTEGER NOT NULL,"
    "  shard INTEGER NOT NULL DEFAULT 0,"
    "  distance INTEGER NOT NULL CHECK(distance BETWEEN 0 AND 1000000),"
    "  PRIMARY KEY(a, b), CHECK(a < b)) WITHOUT ROWID;"
    "ALTER TABLE orders ADD COLUMN collect INTEGER;"
    "UPDATE lines SET allocs = replace(allocs, ',', ':0,') || ':0' WHERE allocs <> '';",
    /* 9: ERP/POS stock snapshots with their reconciliation reports (the first answer), found
     * by id for GET /v1/stock/snapshots/{id} and for replays of the same id. */
    "CREATE TABLE snapshots(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  id TEXT NOT NULL UNIQUE, fingerprint TEXT NOT NULL, source TEXT,"
    "  as_of_ms INTEGER NOT NULL, recorded_ms INTEGER NOT NULL,"
    "  rows INTEGER NOT NULL CHECK(rows >= 0), changed INTEGER NOT NULL CHECK(changed >= 0),"
    "  report BLOB);",
    /* 10: stock level rows become a checkpoint the writer saves now and then (issue 4: each
     * order on another SKU rewrote a random page of stock_levels); the ledger rows after
     * levels_ledger_seq are replayed onto them at load. Until now every row was current. */
    "INSERT OR REPLACE INTO meta(key, value)"
    "  SELECT 'levels_ledger_seq', coalesce(max(seq), 0) FROM ledger;",
    /* 11: migration 5's subject index said NOT IN (...): SQLite builds an ephemeral table for
     * an IN list of three on every insert it checks (about 100,000 instructions per event, as
     * much as the rest of the insert ten times over). The same rows, said with <>. */
    "DROP INDEX events_by_subject;"
    "CREATE INDEX events_by_subject ON events(subject, seq) WHERE type <> 'stock.changed'"
    "  AND type <> 'stock.short' AND type <> 'item.status_changed';",
    /* 12: a hold that holds nothing when placed ends at once as unfilled (status 4). SQLite
     * cannot widen a CHECK in place: the table is rebuilt with the same rows and columns. */
    "CREATE TABLE holds_new(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  id TEXT NOT NULL UNIQUE, channel INTEGER NOT NULL, region TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
    "  ended_ms INTEGER NOT NULL, status INTEGER NOT NULL CHECK(status BETWEEN 0 AND 4),"
    "  order_id TEXT, first_line INTEGER NOT NULL, lines_count INTEGER NOT NULL,"
    "  fingerprint TEXT NOT NULL, answer BLOB);"
    "INSERT INTO holds_new SELECT idx, shard, id, channel, region, at_ms, created_ms, expires_ms,"
    "  ended_ms, status, order_id, first_line, lines_count, fingerprint, answer FROM holds;"
    "DROP TABLE holds;"
    "ALTER TABLE holds_new RENAME TO holds;",
    /* 13: no UNIQUE index on orders.id nor on lines(order_idx, line_no). The writer is the only
     * path that adds an order, and it decides "is this id taken" on its in-memory map before
     * anything is written; the load refuses a file with two orders of one id or a line out of
     * its order's range (decision 49). Each index cost every order a B-tree insert at a random
     * leaf (about 6,000 instructions) and a WAL frame per batch. SQLite cannot drop a UNIQUE
     * constraint in place: both tables are rebuilt with the same rows and columns. */
    "CREATE TABLE orders_new(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  id TEXT NOT NULL, channel INTEGER NOT NULL, region TEXT NOT NULL,"
    "  customer_ref TEXT, contact TEXT, at_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
    "  first_line INTEGER NOT NULL, lines_count INTEGER NOT NULL, fingerprint TEXT NOT NULL,"
    "  answer BLOB, hold TEXT, hold_use INTEGER NOT NULL DEFAULT 0, collect INTEGER);"
    "INSERT INTO orders_new SELECT idx, shard, id, channel, region, customer_ref, contact, at_ms,"
    "  created_ms, first_line, lines_count, fingerprint, answer, hold, hold_use, collect"
    "  FROM orders;"
    "DROP TABLE orders;"
    "ALTER TABLE orders_new RENAME TO orders;"
    "CREATE TABLE lines_new(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
    "  order_idx INTEGER NOT NULL, line_no INTEGER NOT NULL, item INTEGER, sku TEXT NOT NULL,"
    "  qty INTEGER NOT NULL CHECK(qty > 0), shipped INTEGER NOT NULL CHECK(shipped >= 0),"
    "  cancelled INTEGER NOT NULL CHECK(cancelled >= 0),"
    "  rejected INTEGER NOT NULL CHECK(rejected >= 0), reason INTEGER NOT NULL,"
    "  ship_complete INTEGER NOT NULL, price_minor INTEGER NOT NULL, promise_day INTEGER,"
    "  allocs TEXT NOT NULL, pegs TEXT NOT NULL, latest_day INTEGER,"
    "  held INTEGER NOT NULL DEFAULT 0, returned INTEGER NOT NULL DEFAULT 0 CHECK(returned >= 0),"
    "  first_promise_day INTEGER);"
    "INSERT INTO lines_new SELECT idx, shard, order_idx, line_no, item, sku, qty, shipped,"
    "  cancelled, rejected, reason, ship_complete, price_minor, promise_day, allocs, pegs,"
    "  latest_day, held, returned, first_promise_day FROM lines;"
    "DROP TABLE lines;"
    "ALTER TABLE lines_new RENAME TO lines;",
};

#endif
