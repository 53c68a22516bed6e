-- wrk script: RUM beacons with a fresh metric id in every event, so the
-- collector's dedupe-by-id keeps every row.
--
--   RUM_MODE=one|batch wrk ... -s rum_beacon.lua http://127.0.0.1:4318/v1/rum -- IGNORED
--
-- one:   the hand-written one-metric beacon pages send with sendBeacon
--        ({name, value, delta, id, page, connection}), as text/plain;
-- batch: a rum-beacon SDK batch of 20 vitals, as text/plain.
-- Prints the same WRK_RESULT line as post_body.lua.

local mode = os.getenv("RUM_MODE") or "one"
local counter = 0

-- setup() runs in the main Lua state once per thread; thread:set() gives
-- each thread's own state a global `thread_id`, so ids never repeat
-- across threads (a `local` here would shadow it and stay 0 everywhere).
local next_thread_id = 0
local names = { "LCP", "INP", "CLS", "FCP", "TTFB" }

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
end

local function vital(i)
  local name = names[(i % #names) + 1]
  local value = (name == "CLS") and 0.05 or (100 + i % 3000)
  return name, value, string.format("v5-%d-%d-%d", thread_id or 0, counter, i)
end

local function one()
  counter = counter + 1
  local name, value, id = vital(counter)
  return string.format(
    '{"name":"%s","value":%s,"delta":%s,"id":"%s","page":"/products/%d","connection":"4g"}',
    name, value, value, id, counter % 50)
end

local function batch()
  counter = counter + 1
  local events = {}
  for i = 1, 20 do
    local name, value, id = vital(i)
    events[i] = string.format(
      '{"type":"vital","ts":1795454800000,"name":"%s","value":%s,"rating":"good","delta":%s,"id":"%s","navigationType":"navigate"}',
      name, value, value, id)
  end
  return string.format(
    '{"app":"shop","release":"1.4.2","environment":"production","sessionId":"s-%d","pageViewId":"p-%d-%d",'
    .. '"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","page":{"url":"https://shop.example/products/7","path":"/products/7",'
    .. '"route":"/products/:id","referrer":""},"connection":"4g","device":"desktop","events":[%s]}',
    thread_id or 0, thread_id or 0, counter, table.concat(events, ","))
end

function request()
  local body = (mode == "batch") and batch() or one()
  return wrk.format("POST", nil, { ["Content-Type"] = "text/plain;charset=UTF-8" }, body)
end

function done(summary, latency, requests_)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d non2xx=%d connect_err=%d read_err=%d write_err=%d timeout_err=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    summary.bytes, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
