-- wrk script: POST pre-built OTLP bodies read from files.
--
--   wrk -t2 -c8 -d15s --latency -s post_body.lua http://127.0.0.1:4318/v1/traces \
--       -- BODY_FILE[,BODY_FILE...] [gzip] [json]
--
-- Several comma-separated files are sent round-robin (each thread starts at a
-- different one).  "gzip" adds Content-Encoding: gzip (the files must already
-- be gzip-compressed); "json" sends Content-Type application/json instead of
-- application/x-protobuf.  At the end one machine-readable line is printed:
--   WRK_RESULT requests=.. duration_us=.. non2xx=.. connect_err=.. read_err=..
--              write_err=.. timeout_err=.. bytes=.. p50_us=.. p90_us=.. p99_us=.. max_us=..

local requests = {}
local idx = 1

local function slurp(path)
  local f = assert(io.open(path, "rb"), "cannot open body file " .. path)
  local data = f:read("*a")
  f:close()
  return data
end

-- setup() runs in the main Lua state; thread:set() gives each thread's own
-- state a global `thread_id` (a `local` would shadow it there).
local next_thread_id = 0
function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
end

function init(args)
  local files = args[1]
  if files == nil or files == "" then
    error("usage: wrk ... -s post_body.lua URL -- BODY_FILE[,BODY_FILE...] [gzip] [json]")
  end
  local headers = { ["Content-Type"] = "application/x-protobuf" }
  for i = 2, #args do
    if args[i] == "gzip" then
      headers["Content-Encoding"] = "gzip"
    elseif args[i] == "json" then
      headers["Content-Type"] = "application/json"
    end
  end
  for path in string.gmatch(files, "[^,]+") do
    -- wrk.format builds the whole HTTP/1.1 request (adds Content-Length).
    requests[#requests + 1] = wrk.format("POST", nil, headers, slurp(path))
  end
  idx = ((thread_id or 0) % #requests) + 1
end

function request()
  local r = requests[idx]
  idx = idx + 1
  if idx > #requests then idx = 1 end
  return r
end

function done(summary, latency, requests_)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d non2xx=%d connect_err=%d read_err=%d write_err=%d timeout_err=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    summary.bytes, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
