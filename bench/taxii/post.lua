-- wrk script: POST envelopes of N new ~1 KB indicators (fresh random ids each time),
-- the same shape as bench/gen_indicators.py.
--   wrk ... -s post.lua URL -- PATH AUTHORIZATION_HEADER_VALUE [N]
-- Counts 202 responses and the success_count of their status resources, and prints
-- one JSON line (prefixed "RESULT ").
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  threads[#threads + 1] = thread
end

local path, headers, per_request
accepted, other, succeeded, failed_objects = 0, 0, 0, 0

local description = string.rep("Credential-phishing domain imitating a national election authority's "
  .. "voter-registration portal; observed in e-mails to county election staff. ", 3)

local function hex(n)
  local t = {}
  for i = 1, n do t[i] = string.format("%x", math.random(0, 15)) end
  return table.concat(t)
end

local function uuid4()
  return hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-" ..
    string.format("%x", 8 + math.random(0, 3)) .. hex(3) .. "-" .. hex(12)
end

local seq = 0

function init(args)
  path = args[1]
  per_request = tonumber(args[3] or "100")
  headers = {
    ["Accept"] = "application/taxii+json;version=2.1",
    ["Content-Type"] = "application/taxii+json;version=2.1",
    ["Authorization"] = args[2],
  }
  math.randomseed(os.time() * 1000 + id * 7919 + (tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000))
end

function request()
  local objs = {}
  for i = 1, per_request do
    seq = seq + 1
    local n = id * 100000000 + seq
    objs[i] = '{"type":"indicator","spec_version":"2.1","id":"indicator--' .. uuid4() ..
      '","created":"2026-10-01T09:15:00.000Z","modified":"2026-10-01T09:15:00.000Z",' ..
      '"name":"Look-alike voter-registration domain ' .. n .. '","description":"' .. description ..
      '","indicator_types":["malicious-activity"],"pattern":"[domain-name:value = \'voter-registration-' .. n ..
      '.example\'] OR [ipv4-addr:value = \'203.0.113.' .. (n % 256) .. '\']","pattern_type":"stix",' ..
      '"pattern_version":"2.1","valid_from":"2026-10-01T09:15:00Z","confidence":80,' ..
      '"labels":["election-infrastructure"],' ..
      '"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]}'
  end
  return wrk.format("POST", path, headers, '{"objects":[' .. table.concat(objs, ",") .. ']}')
end

function response(status, hdrs, body)
  if status == 202 then
    accepted = accepted + 1
    local s = body:match('"success_count"%s*:%s*(%d+)')
    if s then succeeded = succeeded + tonumber(s) end
    local f = body:match('"failure_count"%s*:%s*(%d+)')
    if f then failed_objects = failed_objects + tonumber(f) end
  else
    other = other + 1
    if other <= 3 then io.stderr:write("POST answered " .. status .. ": " .. body:sub(1, 300) .. "\n") end
  end
end

function done(summary, latency, requests)
  local a, o, s, f = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted"); o = o + t:get("other")
    s = s + t:get("succeeded"); f = f + t:get("failed_objects")
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'RESULT {"requests":%d,"seconds":%.3f,"rps":%.1f,"accepted":%d,"other_status":%d,"objects_succeeded":%d,"objects_failed":%d,"objects_per_s":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"non2xx":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d}\n',
    summary.requests, secs, summary.requests / secs, a, o, s, f, s / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
