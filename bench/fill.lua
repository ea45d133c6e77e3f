-- wrk script: fills the zone through tracked requests.  Request i names
-- a new token "t<i>" (session_create $arg_t) and the account
-- "u<i mod accounts>", so the zone holds what real logins would leave.
-- Thread k of n sends i = k, k + n, k + 2n, ... below BENCH_FILL, then
-- requests that create nothing; bench/run.sh stops the run once the zone
-- holds the sessions.
--
-- Environment: BENCH_FILL, BENCH_ACCOUNTS, BENCH_THREADS (as wrk -t).

local threads = {}

function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end

function init(args)
    fill = tonumber(os.getenv("BENCH_FILL"))
    accounts = tonumber(os.getenv("BENCH_ACCOUNTS"))
    step = tonumber(os.getenv("BENCH_THREADS"))
    i = tid
end

function request()
    if i >= fill then
        return wrk.format("GET", "/")
    end

    local a = i % accounts
    local r = wrk.format("GET", "/fill?t=t" .. i .. "&u=u" .. a
                                .. "&n=user" .. a .. "%40example.com")
    i = i + step
    return r
end
