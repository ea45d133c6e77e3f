
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>

#include "ngx_http_session_engine.h"


/*
 * One connection of a worker to the engine: connecting (to an address
 * resolved at configuration time: hiredis would resolve a name with a
 * blocking call), AUTH, then pipelined commands whose replies come back
 * in order.  Calls redis.c and hiredis; its owner (fleet.c) learns of
 * every change of state through "ready" and "down".
 *
 * hiredis 0.14 has no timeouts of its own: every command carries a
 * deadline, and one nginx timer watches the oldest, so an engine that
 * stops answering is dropped after "timeout" like one that closed the
 * connection.  The commands in flight are bounded; a full queue refuses
 * new ones instead of growing.  After a failure the connection is made
 * again from a timer, never from hiredis's callbacks (the context is
 * being freed there), waiting longer after each failure.
 */


#define NGX_HTTP_SESSION_ENGINE_BACKOFF_MIN   100
#define NGX_HTTP_SESSION_ENGINE_BACKOFF_MAX   3000

/* connecting over a network may take longer than a command's answer */
#define NGX_HTTP_SESSION_ENGINE_CONNECT_MIN   1000


static void ngx_http_session_engine_hello(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data);
static ngx_int_t ngx_http_session_engine_push(
    ngx_http_session_engine_t *engine,
    ngx_http_session_engine_reply_pt handler, void *data, ngx_msec_t wait,
    int argc, const char **argv, const size_t *argvlen);
static void ngx_http_session_engine_reply(redisAsyncContext *ac, void *reply,
    void *privdata);
static void ngx_http_session_engine_arm(ngx_http_session_engine_t *engine);
static void ngx_http_session_engine_deadline(ngx_event_t *ev);
static void ngx_http_session_engine_retry(ngx_event_t *ev);
static ngx_int_t ngx_http_session_engine_read_done(
    ngx_http_session_redis_t *rd);
static void ngx_http_session_engine_gone(ngx_http_session_redis_t *rd);
static void ngx_http_session_engine_failed(ngx_http_session_engine_t *engine,
    ngx_uint_t reason, const char *why, size_t len);


static const char  *ngx_http_session_engine_states[] = {
    "down", "connecting", "authenticating", "up"
};


ngx_http_session_engine_t *
ngx_http_session_engine_create(ngx_http_session_engine_conf_t *conf,
    ngx_uint_t max, ngx_log_t *log)
{
    ngx_http_session_engine_t  *engine;

    engine = ngx_pcalloc(ngx_cycle->pool, sizeof(ngx_http_session_engine_t));
    if (engine == NULL) {
        return NULL;
    }

    engine->cmds = ngx_pcalloc(ngx_cycle->pool,
                               max * sizeof(ngx_http_session_engine_cmd_t));
    if (engine->cmds == NULL) {
        return NULL;
    }

    engine->conf = conf;
    engine->max = max;
    engine->log = log;
    engine->state = NGX_HTTP_SESSION_ENGINE_DOWN;
    engine->backoff = NGX_HTTP_SESSION_ENGINE_BACKOFF_MIN;

    engine->redis.log = log;
    engine->redis.read_done = ngx_http_session_engine_read_done;
    engine->redis.gone = ngx_http_session_engine_gone;
    engine->redis.data = engine;

    /* neither timer keeps a worker that is shutting down alive */

    engine->deadline.handler = ngx_http_session_engine_deadline;
    engine->deadline.data = engine;
    engine->deadline.log = log;
    engine->deadline.cancelable = 1;

    engine->retry.handler = ngx_http_session_engine_retry;
    engine->retry.data = engine;
    engine->retry.log = log;
    engine->retry.cancelable = 1;

    return engine;
}


const char *
ngx_http_session_engine_state_name(ngx_uint_t state)
{
    if (state > NGX_HTTP_SESSION_ENGINE_READY) {
        return "unknown";
    }

    return ngx_http_session_engine_states[state];
}


void
ngx_http_session_engine_connect(ngx_http_session_engine_t *engine)
{
    size_t                           len;
    ngx_msec_t                       wait;
    ngx_uint_t                       n;
    const char                      *argv[3];
    size_t                           argvlen[3];
    redisAsyncContext               *ac;
    ngx_http_session_engine_conf_t  *conf;

    if (engine->closing
        || engine->state != NGX_HTTP_SESSION_ENGINE_DOWN
        || engine->redis.ac)
    {
        return;
    }

    conf = engine->conf;

    /* numeric addresses only: hiredis resolves without blocking then */

    if (conf->path) {
        ac = redisAsyncConnectUnix(conf->path);

    } else {
        ac = redisAsyncConnect(conf->host, conf->port);
    }

    if (ac == NULL) {
        ngx_http_session_engine_failed(engine, NGX_HTTP_SESSION_ENGINE_FAILED,
                                       "out of memory", 13);
        return;
    }

    if (ac->err) {
        len = ngx_strlen(ac->errstr);
        ngx_http_session_engine_failed(engine,
                                       NGX_HTTP_SESSION_ENGINE_REFUSED,
                                       ac->errstr, len);
        redisAsyncFree(ac);
        return;
    }

    /* every reply object is counted and bounded (fleet_codec.c) */

    engine->reply_bytes = 0;
    ac->c.reader->fn = &ngx_http_session_fleet_reply_functions;
    ac->c.reader->privdata = &engine->reply_bytes;

    if (ngx_http_session_redis_attach(&engine->redis, ac) != NGX_OK) {
        redisAsyncFree(ac);
        ngx_http_session_engine_failed(engine, NGX_HTTP_SESSION_ENGINE_FAILED,
                                       "no free connection", 18);
        return;
    }

    engine->state = NGX_HTTP_SESSION_ENGINE_CONNECTING;

    wait = ngx_max(conf->timeout, NGX_HTTP_SESSION_ENGINE_CONNECT_MIN);

    /*
     * The first reply tells a Redis-protocol server from anything else
     * on the port: AUTH when a password is set, else PING.  hiredis
     * sends it as soon as the connection is made.
     */

    if (conf->password.len) {
        argv[0] = "AUTH";
        argvlen[0] = 4;
        n = 1;

        if (conf->user.len) {
            /* Redis 6 ACL: AUTH USER PASSWORD */
            argv[n] = (const char *) conf->user.data;
            argvlen[n++] = conf->user.len;
        }

        argv[n] = (const char *) conf->password.data;
        argvlen[n++] = conf->password.len;

        engine->state = NGX_HTTP_SESSION_ENGINE_AUTH;

        if (ngx_http_session_engine_push(engine,
                                         ngx_http_session_engine_hello,
                                         NULL, wait, (int) n, argv, argvlen)
            == NGX_OK)
        {
            return;
        }

    } else {
        argv[0] = "PING";
        argvlen[0] = 4;

        if (ngx_http_session_engine_push(engine,
                                         ngx_http_session_engine_hello,
                                         NULL, wait, 1, argv, argvlen)
            == NGX_OK)
        {
            return;
        }
    }

    ngx_http_session_engine_fail(engine, NGX_HTTP_SESSION_ENGINE_FAILED,
                                 "cannot send the first command");
}


static void
ngx_http_session_engine_hello(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data)
{
    size_t       len;
    const char  *why;

    if (reply == NULL) {
        /* the connection failed: "gone" has or will set the reason */
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {

        /* never the password: the engine's own words, cut and cleaned */

        len = ngx_min(reply->len, 64);

        if (engine->conf->password.len) {
            ngx_http_session_engine_failed(engine,
                                          NGX_HTTP_SESSION_ENGINE_AUTH_FAILED,
                                          reply->str, len);

        } else if (len >= 7 && ngx_strncmp(reply->str, "NOAUTH ", 7) == 0) {
            why = "the engine wants a password (password_file=)";
            ngx_http_session_engine_failed(engine,
                                          NGX_HTTP_SESSION_ENGINE_AUTH_FAILED,
                                          why, ngx_strlen(why));

        } else {
            ngx_http_session_engine_failed(engine,
                                           NGX_HTTP_SESSION_ENGINE_PROTOCOL,
                                           reply->str, len);
        }

        ngx_http_session_redis_close(&engine->redis);
        return;
    }

    if (reply->type != REDIS_REPLY_STATUS
        || (reply->len != 2 && reply->len != 4)
        || (ngx_strncmp(reply->str, "OK", 2) != 0
            && ngx_strncmp(reply->str, "PONG", 4) != 0))
    {
        why = "an unexpected answer to AUTH or PING";
        ngx_http_session_engine_failed(engine,
                                       NGX_HTTP_SESSION_ENGINE_PROTOCOL,
                                       why, ngx_strlen(why));
        ngx_http_session_redis_close(&engine->redis);
        return;
    }

    engine->state = NGX_HTTP_SESSION_ENGINE_READY;
    engine->reason = NGX_HTTP_SESSION_ENGINE_OK;
    engine->backoff = NGX_HTTP_SESSION_ENGINE_BACKOFF_MIN;

    if (engine->ready) {
        engine->ready(engine);
    }
}


/*
 * A command for a ready connection.  NGX_DECLINED: not connected;
 * NGX_BUSY: too many in flight; NGX_ERROR: hiredis refused it.  The
 * handler is called exactly once for each command taken, with a NULL
 * reply if the connection goes away first.
 */

ngx_int_t
ngx_http_session_engine_send(ngx_http_session_engine_t *engine,
    ngx_http_session_engine_reply_pt handler, void *data, ngx_msec_t wait,
    int argc, const char **argv, const size_t *argvlen)
{
    if (engine->state != NGX_HTTP_SESSION_ENGINE_READY) {
        return NGX_DECLINED;
    }

    return ngx_http_session_engine_push(engine, handler, data, wait, argc,
                                        argv, argvlen);
}


/* how many more commands may be sent now */

ngx_uint_t
ngx_http_session_engine_room(ngx_http_session_engine_t *engine)
{
    if (engine->state != NGX_HTTP_SESSION_ENGINE_READY) {
        return 0;
    }

    return engine->max - engine->count;
}


static ngx_int_t
ngx_http_session_engine_push(ngx_http_session_engine_t *engine,
    ngx_http_session_engine_reply_pt handler, void *data, ngx_msec_t wait,
    int argc, const char **argv, const size_t *argvlen)
{
    ngx_uint_t                      i;
    ngx_http_session_engine_cmd_t  *cmd;

    if (engine->redis.ac == NULL) {
        return NGX_DECLINED;
    }

    if (engine->count == engine->max) {
        return NGX_BUSY;
    }

    if (redisAsyncCommandArgv(engine->redis.ac,
                              ngx_http_session_engine_reply, engine,
                              argc, argv, argvlen)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    i = (engine->head + engine->count) % engine->max;
    cmd = &engine->cmds[i];

    cmd->handler = handler;
    cmd->data = data;
    cmd->deadline = ngx_current_msec + wait;

    engine->count++;

    if (engine->commands) {
        (void) ngx_atomic_fetch_add(engine->commands, 1);
    }

    if (!engine->deadline.timer_set) {
        ngx_add_timer(&engine->deadline, wait);
    }

    return NGX_OK;
}


/* hiredis's callback: replies come in the order of the commands */

static void
ngx_http_session_engine_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    ngx_http_session_engine_t *engine = privdata;

    ngx_http_session_engine_cmd_t  cmd;

    engine->reply_bytes = 0;

    if (engine->count == 0) {
        ngx_log_error(NGX_LOG_ALERT, engine->log, 0,
                      "session fleet: a reply with no command");
        return;
    }

    cmd = engine->cmds[engine->head];

    engine->head = (engine->head + 1) % engine->max;
    engine->count--;

    ngx_http_session_engine_arm(engine);

    cmd.handler(engine, reply, cmd.data);
}


/* the deadline timer follows the oldest command in flight */

static void
ngx_http_session_engine_arm(ngx_http_session_engine_t *engine)
{
    ngx_msec_t  deadline;

    if (engine->count == 0) {
        if (engine->deadline.timer_set) {
            ngx_del_timer(&engine->deadline);
        }

        return;
    }

    deadline = engine->cmds[engine->head].deadline;

    ngx_add_timer(&engine->deadline,
                  (ngx_msec_int_t) (deadline - ngx_current_msec) > 0
                  ? deadline - ngx_current_msec : 1);
}


static void
ngx_http_session_engine_deadline(ngx_event_t *ev)
{
    ngx_http_session_engine_t *engine = ev->data;

    ngx_msec_t  deadline;
    const char  *why;

    if (engine->count == 0) {
        return;
    }

    deadline = engine->cmds[engine->head].deadline;

    if ((ngx_msec_int_t) (deadline - ngx_current_msec) > 0) {
        ngx_add_timer(&engine->deadline, deadline - ngx_current_msec);
        return;
    }

    why = (engine->state == NGX_HTTP_SESSION_ENGINE_READY)
          ? "no answer within the timeout"
          : "no connection and answer within the timeout";

    ngx_http_session_engine_fail(engine, NGX_HTTP_SESSION_ENGINE_TIMEDOUT,
                                 why);
}


/* drops the connection: every command in flight gets a NULL reply */

void
ngx_http_session_engine_fail(ngx_http_session_engine_t *engine,
    ngx_uint_t reason, const char *why)
{
    ngx_http_session_engine_failed(engine, reason, why, ngx_strlen(why));
    ngx_http_session_redis_close(&engine->redis);
}


/* a connection closed by ngx_http_session_engine_close(), made again */

void
ngx_http_session_engine_open(ngx_http_session_engine_t *engine)
{
    engine->closing = 0;
    engine->backoff = NGX_HTTP_SESSION_ENGINE_BACKOFF_MIN;

    ngx_http_session_engine_connect(engine);
}


void
ngx_http_session_engine_close(ngx_http_session_engine_t *engine)
{
    engine->closing = 1;
    engine->state = NGX_HTTP_SESSION_ENGINE_DOWN;

    if (engine->retry.timer_set) {
        ngx_del_timer(&engine->retry);
    }

    if (engine->deadline.timer_set) {
        ngx_del_timer(&engine->deadline);
    }

    ngx_http_session_redis_close(&engine->redis);
}


/*
 * A broken or hostile server may announce a bulk string of any length:
 * hiredis keeps reading into its buffer until all of it is there.  It
 * parses a reply item by item as the bytes come, so what it holds past
 * its position is the one item not complete yet: more than the longest
 * string allowed is a string too long, dropped at once.
 */

static ngx_int_t
ngx_http_session_engine_read_done(ngx_http_session_redis_t *rd)
{
    ngx_http_session_engine_t *engine = rd->data;

    redisReader  *reader;

    reader = rd->ac->c.reader;

    if (reader->len <= NGX_HTTP_SESSION_FLEET_REPLY_MAX
        && reader->len - reader->pos
           <= NGX_HTTP_SESSION_FLEET_STRING_MAX + 64)
    {
        return NGX_OK;
    }

    ngx_http_session_engine_fail(engine, NGX_HTTP_SESSION_ENGINE_TOO_LARGE,
                                 "a reply larger than the limit");

    return NGX_ERROR;
}


/* hiredis is freeing the context: on error, or after a close of ours */

static void
ngx_http_session_engine_gone(ngx_http_session_redis_t *rd)
{
    ngx_http_session_engine_t *engine = rd->data;

    int          err;
    ngx_uint_t   reason;
    const char  *why;

    if (engine->deadline.timer_set) {
        ngx_del_timer(&engine->deadline);
    }

    if (engine->state == NGX_HTTP_SESSION_ENGINE_DOWN) {
        return;
    }

    err = rd->ac->err;
    why = rd->ac->errstr;

    switch (err) {

    case REDIS_ERR_EOF:
        reason = NGX_HTTP_SESSION_ENGINE_CLOSED;
        why = "the engine closed the connection";
        break;

    case REDIS_ERR_PROTOCOL:
        reason = NGX_HTTP_SESSION_ENGINE_PROTOCOL;
        break;

    case REDIS_ERR_OOM:
        /* a reply object the bounds refused (fleet_codec.c) */
        reason = NGX_HTTP_SESSION_ENGINE_TOO_LARGE;
        why = "a reply larger than the limit";
        break;

    case REDIS_ERR_IO:
        reason = (engine->state == NGX_HTTP_SESSION_ENGINE_READY)
                 ? NGX_HTTP_SESSION_ENGINE_CLOSED
                 : NGX_HTTP_SESSION_ENGINE_REFUSED;
        break;

    default:
        reason = NGX_HTTP_SESSION_ENGINE_FAILED;
        if (why == NULL || why[0] == '\0') {
            why = "the connection failed";
        }
    }

    ngx_http_session_engine_failed(engine, reason, why, ngx_strlen(why));
}


/*
 * The connection is down: the reason kept for the owner's log and
 * status (the engine's words, cut, with anything unprintable replaced),
 * and a reconnection armed, a little later after each failure.
 */

static void
ngx_http_session_engine_failed(ngx_http_session_engine_t *engine,
    ngx_uint_t reason, const char *why, size_t len)
{
    u_char      *p;
    ngx_uint_t   i;
    ngx_msec_t   delay;

    engine->state = NGX_HTTP_SESSION_ENGINE_DOWN;
    engine->reason = reason;

    len = ngx_min(len, sizeof(engine->error) - 1);
    p = engine->error;

    for (i = 0; i < len; i++) {
        p[i] = (why[i] >= 0x20 && why[i] < 0x7f) ? why[i] : '?';
    }

    p[len] = '\0';

    if (engine->closing) {
        return;
    }

    if (engine->down) {
        engine->down(engine);
    }

    if (!engine->retry.timer_set) {
        /* up to a quarter more, so the workers do not come all at once */
        delay = engine->backoff + ngx_random() % (engine->backoff / 4 + 1);
        ngx_add_timer(&engine->retry, delay);

        engine->backoff = ngx_min(engine->backoff * 2,
                                  NGX_HTTP_SESSION_ENGINE_BACKOFF_MAX);
    }
}


static void
ngx_http_session_engine_retry(ngx_event_t *ev)
{
    ngx_http_session_engine_t *engine = ev->data;

    if (engine->closing) {
        return;
    }

    if (engine->redis.ac) {
        /* hiredis frees a context closed inside a callback just after */
        ngx_add_timer(&engine->retry, 10);
        return;
    }

    ngx_http_session_engine_connect(engine);
}
