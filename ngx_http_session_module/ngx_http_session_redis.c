
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>

#include "ngx_http_session_engine.h"


/*
 * hiredis's async context on nginx's event loop: an ngx_connection_t
 * around hiredis's socket whose read and write events call hiredis, as
 * hiredis's own libevent and libuv adapters do.  It calls hiredis and
 * nginx's event API only; what the connection is for is engine.c's.
 *
 * hiredis reads at most 16 KB per call, while nginx's epoll events are
 * edge-triggered: a reply larger than that would wait in the socket
 * for an event that never comes.  So a read event reads on while the
 * socket holds data, up to 1 MB, and this socket's events are level-
 * triggered, as hiredis expects: what is left is reported again on the
 * next turn of the loop, after the other connections were served.
 *
 * hiredis frees the context itself when the connection fails, calling
 * the "cleanup" hook on the way: the nginx connection goes with it and
 * "gone" tells the owner, who must not call hiredis from there (the
 * context is being freed) and so reconnects from a timer.
 */


/* hiredis's reads of 16 KB per read event, at most */
#define NGX_HTTP_SESSION_REDIS_READS  64


static void ngx_http_session_redis_read(ngx_event_t *rev);
static void ngx_http_session_redis_write(ngx_event_t *wev);
static void ngx_http_session_redis_add_read(void *data);
static void ngx_http_session_redis_del_read(void *data);
static void ngx_http_session_redis_add_write(void *data);
static void ngx_http_session_redis_del_write(void *data);
static void ngx_http_session_redis_cleanup(void *data);


ngx_int_t
ngx_http_session_redis_attach(ngx_http_session_redis_t *rd,
    redisAsyncContext *ac)
{
    ngx_connection_t  *c;

    c = ngx_get_connection(ac->c.fd, rd->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = rd;
    c->log = rd->log;
    c->read->log = rd->log;
    c->write->log = rd->log;
    c->read->handler = ngx_http_session_redis_read;
    c->write->handler = ngx_http_session_redis_write;

    /* the connect in progress completes with the first write event */

    if (ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT) != NGX_OK) {
        ngx_free_connection(c);
        c->fd = (ngx_socket_t) -1;
        return NGX_ERROR;
    }

    rd->ac = ac;
    rd->connection = c;

    ac->ev.data = rd;
    ac->ev.addRead = ngx_http_session_redis_add_read;
    ac->ev.delRead = ngx_http_session_redis_del_read;
    ac->ev.addWrite = ngx_http_session_redis_add_write;
    ac->ev.delWrite = ngx_http_session_redis_del_write;
    ac->ev.cleanup = ngx_http_session_redis_cleanup;

    return NGX_OK;
}


/*
 * Frees the context: hiredis calls the pending replies' callbacks with
 * no reply, then "cleanup".  From inside a reply callback hiredis defers
 * this until the callback returns.
 */

void
ngx_http_session_redis_close(ngx_http_session_redis_t *rd)
{
    if (rd->ac) {
        redisAsyncFree(rd->ac);
    }
}


static void
ngx_http_session_redis_read(ngx_event_t *rev)
{
    int                        n;
    ngx_uint_t                 i;
    ngx_socket_t               fd;
    ngx_connection_t          *c;
    ngx_http_session_redis_t  *rd;

    c = rev->data;
    rd = c->data;

    for (i = 0; i < NGX_HTTP_SESSION_REDIS_READS; i++) {

        if (rd->ac == NULL) {
            return;
        }

        fd = rd->ac->c.fd;

        redisAsyncHandleRead(rd->ac);

        /* "c" may be gone now; "rd" is the owner's and stays */

        if (rd->ac == NULL
            || (rd->read_done && rd->read_done(rd) != NGX_OK)
            || rd->ac == NULL)
        {
            return;
        }

#if (NGX_HAVE_FIONREAD)
        if (ngx_socket_nread(fd, &n) == -1 || n <= 0) {
            return;
        }
#else
        /* level-triggered events bring the rest */
        (void) fd;
        (void) n;
        return;
#endif
    }
}


static void
ngx_http_session_redis_write(ngx_event_t *wev)
{
    ngx_connection_t          *c;
    ngx_http_session_redis_t  *rd;

    c = wev->data;
    rd = c->data;

    if (rd->ac == NULL) {
        return;
    }

    redisAsyncHandleWrite(rd->ac);
}


/* hiredis calls these again and again: they must be idempotent */

static void
ngx_http_session_redis_add_read(void *data)
{
    ngx_http_session_redis_t *rd = data;

    ngx_connection_t  *c;

    c = rd->connection;

    if (c == NULL || c->read->active) {
        return;
    }

    if (ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                      "session fleet: cannot watch the engine's socket");
    }
}


static void
ngx_http_session_redis_del_read(void *data)
{
    ngx_http_session_redis_t *rd = data;

    ngx_connection_t  *c;

    c = rd->connection;

    if (c == NULL || !c->read->active) {
        return;
    }

    (void) ngx_del_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT);
}


static void
ngx_http_session_redis_add_write(void *data)
{
    ngx_http_session_redis_t *rd = data;

    ngx_connection_t  *c;

    c = rd->connection;

    if (c == NULL || c->write->active) {
        return;
    }

    if (ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                      "session fleet: cannot watch the engine's socket");
    }
}


static void
ngx_http_session_redis_del_write(void *data)
{
    ngx_http_session_redis_t *rd = data;

    ngx_connection_t  *c;

    c = rd->connection;

    if (c == NULL || !c->write->active) {
        return;
    }

    (void) ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
}


/*
 * hiredis closes the socket itself right after this: the events are
 * only marked inactive (closing the socket takes it out of epoll), and
 * the connection goes back to nginx without closing anything.
 */

static void
ngx_http_session_redis_cleanup(void *data)
{
    ngx_http_session_redis_t *rd = data;

    ngx_connection_t  *c;

    c = rd->connection;

    if (c) {
        if (c->read->active) {
            (void) ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
        }

        if (c->write->active) {
            (void) ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
        }

        if (c->read->posted) {
            ngx_delete_posted_event(c->read);
        }

        if (c->write->posted) {
            ngx_delete_posted_event(c->write);
        }

        ngx_free_connection(c);

        c->fd = (ngx_socket_t) -1;
        rd->connection = NULL;
    }

    /* the context can still be read from "gone": hiredis frees it after */

    if (rd->gone) {
        rd->gone(rd);
    }

    rd->ac = NULL;
}
