-- pg_order.sql - the pgbench script of bench/run.sh's PostgreSQL baseline: one order line per
-- transaction, the common workload of shared/baselines.md in ONE statement (one round trip,
-- one commit, the best case a merchant could write). The UPDATE takes the stock row's lock
-- and, under READ COMMITTED, re-checks its WHERE on the newest version of the row after a
-- concurrent update, so two clients can never both take the last unit.
--   pgbench -n -M prepared -f bench/pg_order.sql -D skus=N -D qty=1 ...
-- skus = 1: every order for SKU 1 (hot); skus = N: SKU uniform random over 1 .. N.
-- status 1 = accepted (reserved += qty), 0 = backorder (nothing reserved).
\set sku random(1, :skus)
WITH r AS (
    UPDATE stock SET reserved = reserved + :qty
     WHERE sku = :sku AND on_hand - reserved - safety >= :qty
    RETURNING sku)
INSERT INTO order_lines(sku, qty, status)
SELECT :sku, :qty, CASE WHEN EXISTS (SELECT FROM r) THEN 1 ELSE 0 END;
