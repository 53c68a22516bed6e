-- wrk script: RUM beacons with a fresh metric id in every event, so the
-- collector's dedupe-by-id keeps every row.
--
--   RUM_MODE=one|batch|spans wrk ... -s rum_beacon.lua http://127.0.0.1:4318/v1/rum -- IGNORED
--
-- one:   the hand-written one-metric beacon pages send with sendBeacon
--        ({name, value, delta, id, page, connection}), as text/plain;
-- batch: a rum-beacon SDK batch of 20 vitals, as text/plain;
-- spans: a page view as rum.js sends it with tracing: the page view and 10
--        fetch spans (each its own trace, with its Resource Timing phases),
--        times "now" so every span is in the storable window.
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

-- One fetch span of page view `counter`, as rum.js builds it.
local function fetch_span(i, now)
  local start = now - 5000 + i * 300
  return string.format(
    '{"type":"span","traceId":"%08x%08x%08x%08x","spanId":"%08x%08x","name":"GET /api/products/%d","kind":3,'
    .. '"start":%.1f,"end":%.1f,"status":0,"attributes":{"http.request.method":"GET",'
    .. '"url.full":"https://shop.example/api/products/%d","http.response.status_code":200},"events":['
    .. '{"name":"fetchStart","ts":%.1f},{"name":"domainLookupStart","ts":%.1f},{"name":"connectStart","ts":%.1f},'
    .. '{"name":"requestStart","ts":%.1f},{"name":"responseStart","ts":%.1f},{"name":"responseEnd","ts":%.1f}]}',
    (thread_id or 0) + 1, counter, i, 7, counter, i + 1, i, start, start + 84.6, i,
    start + 0.4, start + 0.5, start + 1.2, start + 3.1, start + 62.9, start + 84.6)
end

local function spans()
  counter = counter + 1
  local now = os.time() * 1000.0
  local events = { string.format('{"type":"page_view","ts":%.0f}', now - 6000) }
  for i = 1, 10 do
    events[i + 1] = fetch_span(i, now)
  end
  return string.format(
    '{"app":"shop","release":"1.4.2","environment":"production","sessionId":"s-%d","pageViewId":"p-%d-%d",'
    .. '"traceId":"%08x%08x00000000%08x","page":{"url":"https://shop.example/products/7","path":"/products/7",'
    .. '"route":"/products/:id","referrer":""},"connection":"4g","device":"desktop","sentAt":%.1f,"events":[%s]}',
    thread_id or 0, thread_id or 0, counter, (thread_id or 0) + 1, counter, 1, now,
    table.concat(events, ","))
end

local modes = { one = one, batch = batch, spans = spans }

function request()
  local body = (modes[mode] or one)()
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
