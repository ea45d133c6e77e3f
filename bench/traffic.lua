-- wrk script: tracked traffic.  Each request carries the cookie of a
-- random live session (the tokens fill.lua created), so lookups land
-- anywhere in the zone, as real clients' would.  The same requests go to
-- the untracked server, which ignores the cookie.
--
-- Environment: BENCH_LIVE (tokens t0 .. t<BENCH_LIVE-1> are live).
-- done() prints one line "BENCH {json}" with the figures.

function init(args)
    live = tonumber(os.getenv("BENCH_LIVE") or "1")
    path = os.getenv("BENCH_PATH") or "/"
    math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 1000)
end

function request()
    return wrk.format("GET", path,
                      { ["Cookie"] = "SID=t" .. math.random(0, live - 1) })
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH {\"requests\":%d,\"duration_us\":%d,\"rps\":%.1f,"
        .. "\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,\"max_us\":%d,"
        .. "\"errors\":%d,\"non2xx\":%d}\n",
        summary.requests, summary.duration,
        summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(90),
        latency:percentile(99), latency.max,
        e.connect + e.read + e.write + e.timeout, e.status))
end
