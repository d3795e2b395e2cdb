-- wrk script for benchmarks/deadline_load.py (capacity): PUT 30-value sections to
-- /api/v1/rounds/{round}/units/{unit}/response as fast as the server answers, no pause.
--
-- Run with one connection per thread (-t N -c N) and `-- N` as the script argument: each thread owns every Nth
-- unit, and with one connection its requests are strictly one after another, so it always knows which unit a
-- response belongs to. The first request for a unit is a GET that reads its version; a PUT's 200 carries the new
-- version; a 409 carries the stored one, which the next request for that unit sends (re-reading the version, as a
-- client must). Only PUTs answered 200 count as saves. The data file (round, units with their tokens,
-- sections) is written by deadline_load.py and named by the environment variable KARTLEGG_BENCH_DATA.

local data = dofile(os.getenv("KARTLEGG_BENCH_DATA"))
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local mine = {}
local versions = {}
local position = 0
local last = nil
local last_was_read = false
ok, conflicts, other, reads = 0, 0, 0, 0

function init(args)
  local count = tonumber(args[1]) or 1
  for i, unit in ipairs(data.units) do
    if (i - 1) % count == id then
      table.insert(mine, unit)
    end
  end
  math.randomseed(1000 + id)
end

function request()
  position = position % #mine + 1
  local unit = mine[position]
  last = unit.code
  local path = string.format("/api/v1/rounds/%d/units/%s/response", data.round, unit.code)
  local headers = {
    ["Authorization"] = "Bearer " .. unit.token,
    ["Content-Type"] = "application/json",
  }
  last_was_read = versions[unit.code] == nil
  if last_was_read then
    return wrk.format("GET", path, headers)
  end
  local section = data.sections[math.random(#data.sections)]
  local parts = {}
  for i, code in ipairs(section) do
    parts[i] = string.format('"%s": %.2f', code, math.random() * 400)
  end
  local body = '{"values": {' .. table.concat(parts, ", ") .. '}, "version": ' .. versions[unit.code] .. "}"
  return wrk.format("PUT", path, headers, body)
end

function response(status, headers, body)
  local version = tonumber(string.match(body or "", '"version"%s*:%s*(%d+)'))
  if last_was_read then
    reads = reads + 1
    if status == 200 and version then
      versions[last] = version
    end
    return
  end
  if status == 200 then
    ok = ok + 1
  elseif status == 409 then
    conflicts = conflicts + 1
  else
    other = other + 1
  end
  if version and last and (status == 200 or status == 409) then
    versions[last] = version
  end
end

function done(summary, latency, requests)
  local total_ok, total_conflicts, total_other, total_reads = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    total_ok = total_ok + (thread:get("ok") or 0)
    total_reads = total_reads + (thread:get("reads") or 0)
    total_conflicts = total_conflicts + (thread:get("conflicts") or 0)
    total_other = total_other + (thread:get("other") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    '{"ok": %d, "conflicts": %d, "other": %d, "reads": %d, "requests": %d, "duration_us": %d, '
      .. '"socket_errors": %d, "p50_ms": %.2f, "p99_ms": %.2f}\n',
    total_ok, total_conflicts, total_other, total_reads, summary.requests, summary.duration,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000
  ))
end
