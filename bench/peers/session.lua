-- Session tracking in a lua_shared_dict: the peer that users of
-- OpenResty (or of Debian's libnginx-mod-http-lua) would write instead of
-- loading ngx_http_session_module.  It does what the module does in the
-- benchmark, and no more:
--
--   create   a session from a token the response hands out (the
--            upstream's cookie at login; the benchmark's /fill names it in
--            the query, as the module's bench does with session_create
--            $arg_t), with its account id and name;
--   touch    on each response to a request that carries the session
--            cookie: last access time and request count, and the idle
--            timeout starts again;
--   expire   by the dict's own expiry: every write sets exptime = ttl, so
--            a session idle for ttl seconds is gone for get() and
--            get_keys();
--   dump     every live session as JSON, streamed in chunks.
--
-- nginx configuration (see bench/peers/nginx.conf.in):
--
--   lua_shared_dict sessions 64m;        # the sessions, nothing else
--   lua_shared_dict session_stats 1m;    # counters
--   init_by_lua_block { require("session").init{ ttl = 7200 } }
--   header_filter_by_lua_block { require("session").track() }
--   location /login {                    # create from the upstream cookie
--       proxy_pass http://app;
--       header_filter_by_lua_block {
--           require("session").track(ngx.var.upstream_cookie_SID,
--                                    ngx.var.upstream_http_x_user_id,
--                                    ngx.var.upstream_http_x_user_name)
--       }
--   }
--   location = /sessions { content_by_lua_block { require("session").dump() } }
--
-- The work runs in the header filter, as the module's does: `return 200`
-- ends a request in the rewrite phase, before any access_by_lua.
--
-- Its limits, which are the price of a dozen lines of Lua:
--   - get_keys(0) holds the dict's lock while it copies every key into a
--     Lua table: no other worker can touch, create or read a session for
--     that long (a 1M-session dict: the whole copy, in one hold), and the
--     table of keys costs memory in the worker;
--   - touch is get() then set(), two lock holds and not atomic: two
--     workers touching one session at once may lose one count;
--   - the dict's memory is allocated per entry (key, value, node) in
--     power-of-two slab chunks, and the account's name is copied into
--     every session of that account;
--   - a full dict evicts its least recently used entries silently (set()
--     reports it as "forcible"; counted here);
--   - no logout by cookie deletion, no types, no variables, no per-account
--     listing; the key is md5(token) so that the token itself is neither
--     stored nor dumped, but md5 is not keyed: anyone who sees the dump
--     could test guessed tokens against it (the module uses a keyed
--     SipHash);
--   - account ids must not contain "|" (the value is "cd|ld|count|id|name").

local M = {}

local dict = ngx.shared.sessions
local stats = ngx.shared.session_stats
local md5 = ngx.md5
local now = ngx.now
local floor = math.floor
local match = string.match
local concat = table.concat

local ttl = 1800
local chunk = 1000     -- sessions per ngx.print() in a dump

function M.init(opts)
    ttl = opts.ttl or ttl
    chunk = opts.chunk or chunk
end

local function count(ok, forcible)
    if not ok then
        stats:incr("failed", 1, 0)
    elseif forcible then
        stats:incr("evicted", 1, 0)
    end
    return ok
end

local function touch(sid, ms)
    local v = dict:get(sid)
    if not v then
        return false
    end
    local cd, n, rest = match(v, "^(%d+)|%d+|(%d+)|(.*)$")
    local ok, _, forcible = dict:set(sid, cd .. "|" .. ms .. "|" .. (n + 1)
                                     .. "|" .. rest, ttl)
    count(ok, forcible)
    return true
end

local function create(sid, account, name, ms)
    local ok, err, forcible = dict:add(sid, ms .. "|" .. ms .. "|1|"
                                       .. (account or "") .. "|"
                                       .. (name or ""), ttl)
    if ok then
        count(ok, forcible)
        stats:incr("created", 1, 0)
    elseif err == "exists" then
        -- a live session for that token: the response is its activity
        touch(sid, ms)
    else
        count(false)
    end
end

-- the response's part: touch the request's session, then create the one
-- the response hands out, if any
function M.track(token, account, name)
    local ms = floor(now() * 1000)
    local cookie = ngx.var.cookie_SID

    if cookie and cookie ~= "" then
        touch(md5(cookie), ms)
    end
    if token and token ~= "" then
        create(md5(token), account, name, ms)
    end
end

-- {"sessions":[{"sid":..,"id":..,"name":..,"cd":..,"ld":..,"count":..},
-- ...],"count":N}, in chunks of `chunk` sessions
function M.dump()
    local cjson = require "cjson"
    local encode = cjson.encode
    local buf, nb, total = {}, 0, 0

    ngx.header.content_type = "application/json"

    -- one lock hold for the whole copy: the limit named above
    local keys = dict:get_keys(0)

    ngx.print('{"sessions":[')
    for i = 1, #keys do
        local sid = keys[i]
        local v = dict:get(sid)       -- nil if it expired since get_keys
        if v then
            local cd, ld, n, id, name =
                match(v, "^(%d+)|(%d+)|(%d+)|([^|]*)|(.*)$")
            nb = nb + 1
            buf[nb] = encode({ sid = sid, id = id, name = name,
                               cd = tonumber(cd), ld = tonumber(ld),
                               count = tonumber(n) })
            if nb == chunk then
                ngx.print(total > 0 and "," or "", concat(buf, ",", 1, nb))
                total = total + nb
                nb = 0
                -- wait until the chunk is sent, then let the worker serve
                -- other requests: ngx.sleep(0) would not, on an nginx
                -- without OpenResty's patches (its event is posted to the
                -- queue nginx drains before it polls again), so 1 ms
                ngx.flush(true)
                ngx.sleep(0.001)
            end
        end
    end
    if nb > 0 then
        ngx.print(total > 0 and "," or "", concat(buf, ",", 1, nb))
        total = total + nb
    end
    ngx.print('],"count":', total, '}\n')
end

-- the figures the benchmark reads; ?count=1 also counts the live
-- sessions with get_keys(0) (the same whole-dict lock hold as a dump)
function M.status()
    local cjson = require "cjson"
    local out = {
        capacity = dict:capacity(),
        free_space = dict:free_space(),
        created = stats:get("created") or 0,
        evicted = stats:get("evicted") or 0,
        failed = stats:get("failed") or 0,
    }
    if ngx.var.arg_count == "1" then
        out.sessions = #dict:get_keys(0)
    end
    ngx.header.content_type = "application/json"
    ngx.say(cjson.encode(out))
end

return M
