-- wrk script: fills the zone through tracked requests.  Request i names
-- a new token "t<i>" (session_create $arg_t) and the account
-- "u<i mod accounts>", so the zone holds what real logins would leave.
-- Each thread takes its own range of i and stops after it.
--
-- Environment: BENCH_FILL (sessions in all), BENCH_ACCOUNTS,
-- BENCH_THREADS (as wrk -t).

local threads = {}

function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end

function init(args)
    local fill = tonumber(os.getenv("BENCH_FILL"))
    local nthreads = tonumber(os.getenv("BENCH_THREADS"))

    accounts = tonumber(os.getenv("BENCH_ACCOUNTS"))
    per = math.ceil(fill / nthreads)
    first = tid * per
    last = math.min(first + per, fill)
    sent = 0
    answered = 0
end

function request()
    local i = first + sent

    if i >= last then
        -- pipelined connections ask for more than needed: create nothing
        return wrk.format("GET", "/")
    end

    sent = sent + 1

    local a = i % accounts
    return wrk.format("GET", "/fill?t=t" .. i .. "&u=u" .. a
                             .. "&n=user" .. a .. "%40example.com")
end

function response(status, headers, body)
    answered = answered + 1

    if answered >= last - first then
        wrk.thread:stop()
    end
end
