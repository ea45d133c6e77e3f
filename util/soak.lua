-- wrk script for util/soak.sh: a mix of what real clients do.  Each
-- thread logs in new sessions (tokens "k<thread>_<n>", 20 accounts per
-- thread), uses random ones of its own, and logs some out.
--
-- Environment: SOAK_ACCOUNTS (accounts per thread, default 20).

local threads = {}

function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end

function init(args)
    accounts = tonumber(os.getenv("SOAK_ACCOUNTS") or "20")
    created = 0
    math.randomseed(os.time() + tid * 7919)
end

local function token(n)
    return "k" .. tid .. "_" .. n
end

function request()
    local r = math.random()

    if created < 10 or r < 0.2 then
        local a = "a" .. tid .. "_" .. (created % accounts)
        created = created + 1
        return wrk.format("GET", "/login?t=" .. token(created - 1)
                                 .. "&u=" .. a)
    end

    local t = token(math.random(0, created - 1))

    if r < 0.25 then
        return wrk.format("GET", "/logout", { ["Cookie"] = "SID=" .. t })
    end

    return wrk.format("GET", "/", { ["Cookie"] = "SID=" .. t })
end
