-- redis_check.lua - the checks of the Redis baseline's cell (bench/run.sh), run once after the
-- load with EVAL (it reads every line and every SKU: never while measuring).
--   EVAL <this> 1 <lines key> <sku count>
-- SKUs are stock:000000000000 .. stock:<count - 1, 12 digits> (redis-benchmark's __rand_int__).
-- Returns {lines, accepted lines, accepted units, backorder lines, malformed lines,
--          sum of reserved, SKUs whose reserved != their accepted units, SKUs oversold
--          (reserved > on_hand - safety), reserved of the first SKU (the hot one)}.
local n = tonumber(ARGV[1])
local len = redis.call('LLEN', KEYS[1])
local acc_by_key = {}
local acc_lines, acc_units, back_lines, bad = 0, 0, 0, 0
local step = 10000
for first = 0, len - 1, step do
    for _, s in ipairs(redis.call('LRANGE', KEYS[1], first, first + step - 1)) do
        local kind, key, q = string.match(s, '^(%u) (%S+) (%d+)$')
        q = tonumber(q)
        if kind == 'A' and q then
            acc_lines = acc_lines + 1
            acc_units = acc_units + q
            acc_by_key[key] = (acc_by_key[key] or 0) + q
        elseif kind == 'B' and q then
            back_lines = back_lines + 1
        else
            bad = bad + 1
        end
    end
end
local reserved_sum, mismatched, oversold, first_reserved = 0, 0, 0, -1
for i = 0, n - 1 do
    local key = string.format('stock:%012d', i)
    local v = redis.call('HMGET', key, 'on_hand', 'reserved', 'safety')
    local on_hand, reserved, safety = tonumber(v[1]), tonumber(v[2]), tonumber(v[3])
    if not on_hand then
        mismatched = mismatched + 1
    else
        reserved_sum = reserved_sum + reserved
        if reserved ~= (acc_by_key[key] or 0) then mismatched = mismatched + 1 end
        if reserved > on_hand - safety then oversold = oversold + 1 end
        if i == 0 then first_reserved = reserved end
    end
end
return {len, acc_lines, acc_units, back_lines, bad, reserved_sum, mismatched, oversold,
        first_reserved}
