-- redis_order.lua - the Redis baseline's order line (bench/run.sh), run with EVALSHA: the
-- common workload of shared/baselines.md as one script, atomic because Redis runs one script
-- at a time. With appendonly yes + appendfsync always, Redis fsyncs the AOF before it answers.
--   EVALSHA <sha> 2 <stock key> <lines key> <qty>
-- KEYS[1]: the SKU's hash {on_hand, reserved, safety}; KEYS[2]: the list of order lines.
-- Pushes "A <stock key> <qty>" (accepted: reserved += qty) or "B <stock key> <qty>"
-- (backorder: nothing reserved); returns 1 or 0.
local qty = tonumber(ARGV[1])
local v = redis.call('HMGET', KEYS[1], 'on_hand', 'reserved', 'safety')
if not v[1] then
    return redis.error_reply('no such sku ' .. KEYS[1])
end
if tonumber(v[1]) - tonumber(v[2]) - tonumber(v[3]) >= qty then
    redis.call('HINCRBY', KEYS[1], 'reserved', qty)
    redis.call('RPUSH', KEYS[2], 'A ' .. KEYS[1] .. ' ' .. qty)
    return 1
end
redis.call('RPUSH', KEYS[2], 'B ' .. KEYS[1] .. ' ' .. qty)
return 0
