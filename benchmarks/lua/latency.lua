-- GET the URL wrk was given (optionally with If-None-Match from KARTLEGG_BENCH_ETAG) and print one JSON line:
-- requests, status counts, socket errors, p50/p99 latency. Used by benchmarks/report.py.
local etag = os.getenv("KARTLEGG_BENCH_ETAG")
local counts = {}

function setup(thread)
  table.insert(counts, thread)
  thread:set("ok", 0)
  thread:set("not_modified", 0)
  thread:set("other", 0)
end

function init(args)
  ok, not_modified, other = 0, 0, 0
  if etag and etag ~= "" then
    wrk.headers["If-None-Match"] = etag
  end
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 304 then
    not_modified = not_modified + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_304, total_other = 0, 0, 0
  for _, thread in ipairs(counts) do
    total_ok = total_ok + (thread:get("ok") or 0)
    total_304 = total_304 + (thread:get("not_modified") or 0)
    total_other = total_other + (thread:get("other") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    '{"ok": %d, "not_modified": %d, "other": %d, "requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"socket_errors": %d, "p50_ms": %.2f, "p99_ms": %.2f}\n',
    total_ok, total_304, total_other, summary.requests, summary.duration, summary.bytes,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000
  ))
end
