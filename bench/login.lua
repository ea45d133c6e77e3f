-- wrk script: logins.  Each request posts the body of BENCH_BODY (a
-- file: cvpysdk's JSON login or python-zimbra's SOAP AuthRequest) with
-- an X-Seq of 0 .. 49999, which the application turns into the token.
-- done() prints one line "BENCH {json}" with the figures.

function init(args)
    local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
    body = f:read("*a")
    f:close()
    ctype = os.getenv("BENCH_CTYPE") or "application/json"
    math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 1000)
end

function request()
    return wrk.format("POST", nil,
                      { ["Content-Type"] = ctype,
                        ["X-Seq"] = tostring(math.random(0, 49999)) },
                      body)
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH {\"requests\":%d,\"duration_us\":%d,\"rps\":%.1f,"
        .. "\"p50_us\":%d,\"p99_us\":%d,\"errors\":%d,\"non2xx\":%d}\n",
        summary.requests, summary.duration,
        summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(99),
        e.connect + e.read + e.write + e.timeout, e.status))
end
