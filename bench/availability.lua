-- availability.lua - wrk script of bench/run.sh's read cell: GET /v1/availability for K SKUs
-- drawn uniformly from S000001 .. S<N> on every request (keep-alive), against `oms serve` and
-- against nginx serving a static copy of one such answer: the same requests on both sides.
--
--   wrk -t 2 -c 64 -d S -s bench/availability.lua http://127.0.0.1:PORT -- N K CHANNEL
--
-- Counts 200 answers and their body bytes; every 32nd answer of each thread is also checked
-- to hold K items with status in_stock (every SKU has stock in the bench's databases).
-- done() prints "WRK key=value ...": requests, duration_s, rps, p50_ms, p99_ms, ok (200),
-- other, body_bytes_avg, checked, bad (checked answers without K in_stock items), errors.

local threads = {}
local next_id = 0

function setup(thread)
   next_id = next_id + 1
   thread:set("tid", next_id)
   table.insert(threads, thread)
end

local skus, k, channel
ok, other, bytes, checked, bad, n = 0, 0, 0, 0, 0, 0

function init(args)
   skus = tonumber(args[1] or "100000")
   k = tonumber(args[2] or "20")
   channel = args[3] or "web"
   math.randomseed(tid * 7919 + os.time())
end

function request()
   local parts = {"/v1/availability?channel=", channel}
   for i = 1, k do
      parts[#parts + 1] = string.format("&sku=S%06d", math.random(skus))
   end
   return wrk.format("GET", table.concat(parts))
end

function response(status, hdrs, body)
   n = n + 1
   if status ~= 200 then
      other = other + 1
      if other <= 3 then
         io.stderr:write("wrk: status " .. status .. ": " .. string.sub(body or "", 1, 300) .. "\n")
      end
      return
   end
   ok = ok + 1
   bytes = bytes + #body
   if n % 32 == 1 then
      checked = checked + 1
      local _, found = string.gsub(body, '"status":"in_stock"', "")
      if found ~= k then bad = bad + 1 end
   end
end

function done(summary, latency, requests)
   local t = {ok = 0, other = 0, bytes = 0, checked = 0, bad = 0}
   for _, th in ipairs(threads) do
      for key, _ in pairs(t) do
         t[key] = t[key] + (tonumber(th:get(key)) or 0)
      end
   end
   local secs = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      "WRK requests=%d duration_s=%.3f rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.1f " ..
      "ok=%d other=%d body_bytes_avg=%.0f checked=%d bad=%d " ..
      "connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
      summary.requests, secs, t.ok / secs,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      t.ok, t.other, (t.ok > 0 and t.bytes / t.ok or 0), t.checked, t.bad,
      e.connect, e.read, e.write, e.timeout))
end
