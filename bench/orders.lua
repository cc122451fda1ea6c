-- orders.lua - wrk script for bench/run.sh: POST /v1/orders with one line of qty 1, a unique
-- order id per request (PREFIX-THREAD-COUNTER), on one hot SKU or a uniform random SKU out of
-- N, and counts what the server acknowledged.
--
--   wrk -t T -c C -d S -s bench/orders.lua http://127.0.0.1:PORT -- PREFIX SKUS HOT_SKU
--
-- SKUS = 1: every order is for HOT_SKU. SKUS = N > 1: the SKU is S000001 .. S<N>, uniform
-- random (each thread seeded differently).
-- done() prints one line "WRK key=value ...": requests, duration_s, rps, p50_ms, p99_ms,
-- created (201), retried (200), other (any other status), allocated / rejected / otherline
-- (the line's outcome in the 201 answers), socket errors and timeouts, and first_second /
-- last_second: the 201 answers in the first and in the last whole second (-1 under 4 s).

local threads = {}
local next_id = 0

function setup(thread)
   next_id = next_id + 1
   thread:set("tid", next_id)
   table.insert(threads, thread)
end

local prefix, skus, hot
local counter = 0
local headers = {["Content-Type"] = "application/json"}
created, retried, other, allocated, rejected, otherline = 0, 0, 0, 0, 0, 0
per_second = {} -- 201 answers by wall-clock second (os.time()), to see a rate that drifts

function init(args)
   prefix = args[1] or "b"
   skus = tonumber(args[2] or "1")
   hot = args[3] or "HOT"
   math.randomseed(tid * 7919 + os.time())
end

function request()
   counter = counter + 1
   local sku = hot
   if skus > 1 then
      sku = string.format("S%06d", math.random(skus))
   end
   local body = '{"id":"' .. prefix .. "-" .. tid .. "-" .. counter ..
      '","channel":"web","lines":[{"sku":"' .. sku .. '","qty":1}]}'
   return wrk.format("POST", "/v1/orders", headers, body)
end

function response(status, hdrs, body)
   if status == 201 then
      created = created + 1
      local now = os.time()
      per_second[now] = (per_second[now] or 0) + 1
      if string.find(body, '"status":"allocated"', 1, true) then
         allocated = allocated + 1
      elseif string.find(body, '"reason":"out_of_stock"', 1, true) then
         rejected = rejected + 1
      else
         otherline = otherline + 1
      end
   elseif status == 200 then
      retried = retried + 1
   else
      other = other + 1
      if other <= 3 then
         io.stderr:write("wrk: status " .. status .. ": " .. string.sub(body or "", 1, 300) .. "\n")
      end
   end
end

function done(summary, latency, requests)
   local t = {created = 0, retried = 0, other = 0, allocated = 0, rejected = 0, otherline = 0}
   for _, th in ipairs(threads) do
      for k, _ in pairs(t) do
         t[k] = t[k] + (tonumber(th:get(k)) or 0)
      end
   end
   -- The rate in the first and the last whole second of the run (the partial seconds at
   -- both ends left out).
   local merged, keys = {}, {}
   for _, th in ipairs(threads) do
      for sec, n in pairs(th:get("per_second") or {}) do
         if merged[sec] == nil then table.insert(keys, sec) end
         merged[sec] = (merged[sec] or 0) + n
      end
   end
   table.sort(keys)
   local first_s, last_s = -1, -1
   if #keys >= 4 then
      first_s, last_s = merged[keys[2]], merged[keys[#keys - 1]]
   end
   local secs = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      "WRK requests=%d duration_s=%.3f rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.1f " ..
      "created=%d retried=%d other=%d allocated=%d rejected=%d otherline=%d " ..
      "connect_err=%d read_err=%d write_err=%d timeouts=%d non2xx=%d " ..
      "first_second=%d last_second=%d\n",
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      t.created, t.retried, t.other, t.allocated, t.rejected, t.otherline,
      e.connect, e.read, e.write, e.timeout, e.status, first_s, last_s))
end
