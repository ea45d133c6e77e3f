
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>
#include <ngx_sha1.h>

#include "ngx_http_session_engine.h"


/*
 * The commands that write to the engine: two scripts the engine runs
 * (a record's merge, a batch of last accesses), loaded on each new
 * connection and called by their SHA1; and the fleet's last error, for
 * the status and the log.  Calls the engine client and the codec; used
 * by fleet.c (a worker's changes) and fleet_sync.c (put-backs).
 */


/*
 * Entries the streams keep, about: records are a few hundred bytes, a
 * batch of last accesses up to 10 KB.  A node behind by more records
 * than that reads the engine whole; by more touches, it misses them.
 */
#define NGX_HTTP_SESSION_FLEET_MAXLEN        "50000"
#define NGX_HTTP_SESSION_FLEET_TOUCH_MAXLEN  "1000"

/* engine errors other than connection failures, logged this often */
#define NGX_HTTP_SESSION_FLEET_LOG_EVERY     10000


static void ngx_http_session_fleet_loaded(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data);
static void ngx_http_session_fleet_sha(const char *script, u_char *hex);


/*
 * Merges one record into the engine.  KEYS: the session's hash, the
 * stream, the stream's counter (each entry carries the next number in
 * "seq", so a follower sees when entries were cut before it read them;
 * not "n", which is the record's account name).  ARGV: node,
 * mode ("r" the record's account and variables win, "f" the engine's are
 * kept: putting back), timeout, how long a logout is kept, the stream's
 * length, sid, then the record's fields.
 * Returns 1 merged, 0 nothing to do, -1 a key that is not ours, -2 a
 * record without its times.
 */

static const char  ngx_http_session_fleet_put_script[] =
"local key, log = KEYS[1], KEYS[2]\n"
"local ty = redis.call('TYPE', key)['ok']\n"
"if ty ~= 'none' and ty ~= 'hash' then return -1 end\n"
"local new = {}\n"
"for i = 7, #ARGV - 1, 2 do new[ARGV[i]] = ARGV[i + 1] end\n"
"local c, l, o = tonumber(new.c), tonumber(new.l), tonumber(new.o) or 0\n"
"if not c or not l then return -2 end\n"
"local r = tonumber(new.r) or 0\n"
"local fill = ARGV[2] == 'f'\n"
"local publish = not fill\n"
"if ty == 'hash' then\n"
"  local old = redis.call('HMGET', key, 'c', 'l', 'o', 'r', 'ip')\n"
"  local oc, ol = tonumber(old[1]), tonumber(old[2])\n"
"  local oo, orq = tonumber(old[3]) or 0, tonumber(old[4]) or 0\n"
"  if not oc or not ol then return -1 end\n"
"  if oo > 0 and c > oo then\n"
"    redis.call('DEL', key)\n"
"    publish = true\n"
"  elseif o > 0 and oc > o then\n"
"    return 0\n"
"  elseif oo > 0 and o == 0 then\n"
"    return 0\n"
"  else\n"
"    if oo > 0 and (o == 0 or oo < o) then o = oo end\n"
"    if fill and o > 0 and oo == 0 then publish = true end\n"
"    if oc < c then c = oc end\n"
"    if ol > l then l = ol; new.ip = old[5] or '' end\n"
"    if orq > r then r = orq end\n"
"    if fill then\n"
"      for k in pairs(new) do\n"
"        if k == 't' or k == 'a' or k == 'n'\n"
"           or string.sub(k, 1, 2) == 'v:' then new[k] = nil end\n"
"      end\n"
"    else\n"
"      redis.call('DEL', key)\n"
"    end\n"
"  end\n"
"else\n"
"  publish = true\n"
"end\n"
"new.c, new.l, new.o, new.r = c, l, o, r\n"
"local args = {}\n"
"for k, v in pairs(new) do args[#args + 1] = k; args[#args + 1] = v end\n"
"redis.call('HSET', key, unpack(args))\n"
"if o > 0 then\n"
"  redis.call('PEXPIREAT', key, o + tonumber(ARGV[4]))\n"
"else\n"
"  redis.call('PEXPIREAT', key, l + tonumber(ARGV[3]))\n"
"end\n"
"if publish then\n"
"  local n = redis.call('INCR', KEYS[3])\n"
"  redis.call('XADD', log, 'MAXLEN', '~', ARGV[5], '*', 'node', ARGV[1],\n"
"             'kind', 'r', 'seq', n, 'sid', ARGV[6],\n"
"             unpack(redis.call('HGETALL', key)))\n"
"end\n"
"return 1\n";


/*
 * Last accesses, "SID LAST DELTA ADDR\n" each.  KEYS: the touch stream.
 * ARGV: node, prefix, timeout, the stream's length, step, the touches.
 * A touch of a logged-out session or of someone else's key does nothing;
 * the sids the engine does not hold are returned, to be put back.  A
 * hash is written only when its last access moves by "step" or more,
 * and expires "step" later than its last access says, so it never goes
 * before its session does: most touches cost the engine one read.  The
 * touches themselves go to the stream, which the nodes follow.
 */

static const char  ngx_http_session_fleet_touch_script[] =
"local ttl, step = tonumber(ARGV[3]), tonumber(ARGV[5])\n"
"local out, missing = {}, {}\n"
"for line, sid, last, delta, addr in\n"
"    string.gmatch(ARGV[6], '((%x+) (%d+) (%d+) (%S+)\\n)') do\n"
"  local key = ARGV[2] .. 's:' .. sid\n"
"  local old = redis.pcall('HMGET', key, 'l', 'o', 'r')\n"
"  if old['err'] == nil then\n"
"    if not old[1] then\n"
"      missing[#missing + 1] = sid\n"
"    elseif not old[2] or old[2] == '0' then\n"
"      out[#out + 1] = line\n"
"      local l = tonumber(last)\n"
"      if l - (tonumber(old[1]) or 0) >= step then\n"
"        if addr == '-' then addr = '' end\n"
"        redis.call('HSET', key, 'l', last, 'ip', addr,\n"
"                   'r', (tonumber(old[3]) or 0) + tonumber(delta))\n"
"        redis.call('PEXPIREAT', key, l + ttl + step)\n"
"      end\n"
"    end\n"
"  end\n"
"end\n"
"if #out > 0 then\n"
"  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*',\n"
"             'node', ARGV[1], 'kind', 't', 'd', table.concat(out))\n"
"end\n"
"return missing\n";


/* the scripts' SHA1s, once per worker */

void
ngx_http_session_fleet_scripts(ngx_http_session_fleet_t *fleet)
{
    ngx_http_session_fleet_sha(ngx_http_session_fleet_put_script,
                               fleet->put_sha);
    ngx_http_session_fleet_sha(ngx_http_session_fleet_touch_script,
                               fleet->touch_sha);
}


/*
 * A new connection loads the scripts first: pipelined, the commands
 * after them find them.
 */

ngx_int_t
ngx_http_session_fleet_load(ngx_http_session_fleet_t *fleet,
    ngx_http_session_engine_t *engine)
{
    const char  *argv[3];
    size_t       argvlen[3];

    argv[0] = "SCRIPT";
    argvlen[0] = 6;
    argv[1] = "LOAD";
    argvlen[1] = 4;
    argv[2] = ngx_http_session_fleet_put_script;
    argvlen[2] = sizeof(ngx_http_session_fleet_put_script) - 1;

    if (ngx_http_session_engine_send(engine, ngx_http_session_fleet_loaded,
                                     fleet->put_sha, fleet->wait,
                                     3, argv, argvlen)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    argv[2] = ngx_http_session_fleet_touch_script;
    argvlen[2] = sizeof(ngx_http_session_fleet_touch_script) - 1;

    if (ngx_http_session_engine_send(engine, ngx_http_session_fleet_loaded,
                                     fleet->touch_sha, fleet->wait,
                                     3, argv, argvlen)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_session_fleet_loaded(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data)
{
    u_char *sha = data;

    if (reply == NULL) {
        return;
    }

    if (reply->type != REDIS_REPLY_STRING || reply->len != 40
        || ngx_strncasecmp((u_char *) reply->str, sha, 40) != 0)
    {
        /* an engine without scripting is no engine for the fleet */
        ngx_http_session_engine_fail(engine, NGX_HTTP_SESSION_ENGINE_PROTOCOL,
                                     (reply->type == REDIS_REPLY_ERROR)
                                     ? reply->str
                                     : "SCRIPT LOAD failed");
    }
}


/* EVALSHA of the merge script for one record */

ngx_int_t
ngx_http_session_fleet_put(ngx_http_session_fleet_t *fleet,
    ngx_http_session_import_t *im, ngx_uint_t kind,
    ngx_http_session_engine_reply_pt handler, void *data)
{
    u_char         *p;
    ngx_uint_t      n;
    const char     *argv[12 + 2 * NGX_HTTP_SESSION_FLEET_FIELDS_MAX];
    size_t          argvlen[12 + 2 * NGX_HTTP_SESSION_FLEET_FIELDS_MAX];
    u_char          key[NGX_HTTP_SESSION_FLEET_PREFIX_MAX + 2
                        + NGX_HTTP_SESSION_SID_LEN];
    u_char          buf[512];

    p = ngx_sprintf(key, "%Vs:", &fleet->conf->prefix);
    p = ngx_http_session_sid(p, im->digest);

    argv[0] = "EVALSHA";
    argvlen[0] = 7;
    argv[1] = (const char *) fleet->put_sha;
    argvlen[1] = 40;
    argv[2] = "3";
    argvlen[2] = 1;
    argv[3] = (const char *) key;
    argvlen[3] = p - key;
    argv[4] = (const char *) fleet->stream.data;
    argvlen[4] = fleet->stream.len;
    argv[5] = (const char *) fleet->seq_key.data;
    argvlen[5] = fleet->seq_key.len;
    argv[6] = (const char *) fleet->node;
    argvlen[6] = NGX_HTTP_SESSION_FLEET_NODE_LEN;
    argv[7] = (kind == NGX_HTTP_SESSION_FLEET_FILL) ? "f" : "r";
    argvlen[7] = 1;
    argv[8] = (const char *) fleet->ttl;
    argvlen[8] = fleet->ttl_len;
    argv[9] = (const char *) fleet->tomb;
    argvlen[9] = fleet->tomb_len;
    argv[10] = NGX_HTTP_SESSION_FLEET_MAXLEN;
    argvlen[10] = sizeof(NGX_HTTP_SESSION_FLEET_MAXLEN) - 1;
    argv[11] = (const char *) key + fleet->conf->prefix.len + 2;
    argvlen[11] = NGX_HTTP_SESSION_SID_LEN;

    n = ngx_http_session_fleet_encode_record(im, buf, sizeof(buf),
                                             &argv[12], &argvlen[12],
                                             sizeof(argv) / sizeof(argv[0])
                                             - 12);
    if (n == 0) {
        return NGX_ERROR;
    }

    return ngx_http_session_engine_send(fleet->engine, handler, data,
                                        fleet->wait,
                                        (int) (12 + n), argv, argvlen);
}


/* EVALSHA of the touch script for a batch of last accesses as text */

ngx_int_t
ngx_http_session_fleet_touches(ngx_http_session_fleet_t *fleet, u_char *text,
    size_t len, ngx_http_session_engine_reply_pt handler, void *data)
{
    const char  *argv[10];
    size_t       argvlen[10];

    argv[0] = "EVALSHA";
    argvlen[0] = 7;
    argv[1] = (const char *) fleet->touch_sha;
    argvlen[1] = 40;
    argv[2] = "1";
    argvlen[2] = 1;
    argv[3] = (const char *) fleet->touch_stream.data;
    argvlen[3] = fleet->touch_stream.len;
    argv[4] = (const char *) fleet->node;
    argvlen[4] = NGX_HTTP_SESSION_FLEET_NODE_LEN;
    argv[5] = (const char *) fleet->conf->prefix.data;
    argvlen[5] = fleet->conf->prefix.len;
    argv[6] = (const char *) fleet->ttl;
    argvlen[6] = fleet->ttl_len;
    argv[7] = NGX_HTTP_SESSION_FLEET_TOUCH_MAXLEN;
    argvlen[7] = sizeof(NGX_HTTP_SESSION_FLEET_TOUCH_MAXLEN) - 1;
    argv[8] = (const char *) fleet->step;
    argvlen[8] = fleet->step_len;
    argv[9] = (const char *) text;
    argvlen[9] = len;

    return ngx_http_session_engine_send(fleet->engine, handler, data,
                                        fleet->wait, 10, argv, argvlen);
}


/* the last error the engine gave, for the status, logged now and then */

void
ngx_http_session_fleet_error(ngx_http_session_fleet_t *fleet,
    const char *what, const char *detail)
{
    u_char                       *p, *last;
    int64_t                       now;
    ngx_http_session_fleet_sh_t  *sh;

    sh = fleet->sh;
    now = ngx_http_session_now();

    ngx_shmtx_lock(&fleet->shpool->mutex);

    if (now - sh->error_at < NGX_HTTP_SESSION_FLEET_LOG_EVERY) {
        ngx_shmtx_unlock(&fleet->shpool->mutex);
        return;
    }

    sh->error_at = now;

    last = sh->error + sizeof(sh->error) - 1;
    p = ngx_snprintf(sh->error, last - sh->error, "%s: %s", what,
                     detail ? detail : "");

    /* the engine's words may hold anything */

    for (last = p, p = sh->error; p < last; p++) {
        if (*p < 0x20 || *p >= 0x7f) {
            *p = '?';
        }
    }

    *last = '\0';

    ngx_shmtx_unlock(&fleet->shpool->mutex);

    ngx_log_error(NGX_LOG_ERR, fleet->log, 0,
                  "session fleet: zone \"%V\", engine at %V: %s: %s",
                  &fleet->zone->name, &fleet->conf->engine.address, what,
                  detail ? detail : "");
}


/* the SHA1 of a script, as EVALSHA names it */

static void
ngx_http_session_fleet_sha(const char *script, u_char *hex)
{
    ngx_sha1_t  sha1;
    u_char      digest[20];

    ngx_sha1_init(&sha1);
    ngx_sha1_update(&sha1, script, ngx_strlen(script));
    ngx_sha1_final(digest, &sha1);

    ngx_hex_dump(hex, digest, sizeof(digest));
}


int64_t
ngx_http_session_fleet_id_cmp(ngx_http_session_fleet_id_t *a,
    ngx_http_session_fleet_id_t *b)
{
    if (a->ms != b->ms) {
        return (a->ms < b->ms) ? -1 : 1;
    }

    if (a->seq != b->seq) {
        return (a->seq < b->seq) ? -1 : 1;
    }

    return 0;
}
