
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_module.h"


/*
 * Every endpoint answers through a stream: a "produce" callback writes
 * the next part of the answer (for a listing, one batch of sessions
 * copied out of the zone), the stream hands it to the output filters,
 * and produces more only once the client has taken what was sent.  So a
 * worker's memory stays bounded whatever the zone's size, and a long
 * dump gives the event loop back between batches.
 */


#define NGX_HTTP_SESSION_STREAM_BUF    (32 * 1024)

/* batches produced before giving the event loop a turn */
#define NGX_HTTP_SESSION_STREAM_TICK   4

/*
 * A listing is background work: while other requests take the zone lock
 * (tracked traffic), it pauses after each batch this many times as long
 * as the batch took, so it uses at most a 25th of its worker: the batches
 * also take the caches from the traffic, and make it pay about three times
 * their own time (make bench).  With nobody else about, it runs at full
 * speed.
 */
#define NGX_HTTP_SESSION_STREAM_YIELD  24


static void ngx_http_session_stream_handler(ngx_http_request_t *r);
static void ngx_http_session_stream_run(ngx_http_request_t *r,
    ngx_http_session_stream_t *st);
static ngx_int_t ngx_http_session_stream_flush(ngx_http_session_stream_t *st,
    ngx_uint_t last);
static void ngx_http_session_stream_pause(ngx_http_request_t *r,
    ngx_msec_t ms);


ngx_http_session_stream_t *
ngx_http_session_stream_create(ngx_http_request_t *r,
    ngx_http_session_zone_t *zone, ngx_http_session_produce_pt produce)
{
    ngx_http_session_ctx_t     *ctx;
    ngx_http_session_stream_t  *st;

    ctx = ngx_http_session_get_ctx(r);
    if (ctx == NULL) {
        return NULL;
    }

    st = ngx_pcalloc(r->pool, sizeof(ngx_http_session_stream_t));
    if (st == NULL) {
        return NULL;
    }

    st->request = r;
    st->zone = zone;
    st->produce = produce;
    st->last_out = &st->out;

    ctx->stream = st;

    return st;
}


ngx_int_t
ngx_http_session_stream_batch(ngx_http_session_stream_t *st)
{
    if (st->batch.records) {
        return NGX_OK;
    }

    return ngx_http_session_batch_init(st->request->pool, &st->batch,
                                       NGX_HTTP_SESSION_BATCH);
}


/* room for "size" more bytes of output; NULL when out of memory */

u_char *
ngx_http_session_stream_reserve(ngx_http_session_stream_t *st, size_t size)
{
    size_t        bsize;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (st->error) {
        return NULL;
    }

    b = st->buf;

    if (b && (size_t) (b->end - b->last) >= size) {
        return b->last;
    }

    if (ngx_http_session_stream_flush(st, 0) != NGX_OK) {
        st->error = 1;
        return NULL;
    }

    bsize = ngx_max(size, NGX_HTTP_SESSION_STREAM_BUF);

    cl = ngx_chain_get_free_buf(st->request->pool, &st->free);
    if (cl == NULL) {
        st->error = 1;
        return NULL;
    }

    b = cl->buf;

    if (b->start == NULL || (size_t) (b->end - b->start) < bsize) {
        b->start = ngx_palloc(st->request->pool, bsize);
        if (b->start == NULL) {
            st->error = 1;
            return NULL;
        }

        b->end = b->start + bsize;
    }

    b->pos = b->start;
    b->last = b->start;
    b->memory = 1;
    b->tag = (ngx_buf_tag_t) &ngx_http_session_module;
    b->flush = 0;
    b->last_buf = 0;

    st->buf = b;
    st->buf_cl = cl;

    return b->last;
}


void
ngx_http_session_stream_add(ngx_http_session_stream_t *st, u_char *data,
    size_t len)
{
    u_char  *p;

    p = ngx_http_session_stream_reserve(st, len);
    if (p == NULL) {
        return;
    }

    st->buf->last = ngx_cpymem(p, data, len);
}


void
ngx_http_session_stream_xml(ngx_http_session_stream_t *st, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_http_session_stream_reserve(st,
                                        s->len * NGX_HTTP_SESSION_ESCAPE_MAX);
    if (p == NULL) {
        return;
    }

    st->buf->last = ngx_http_session_escape_xml(p, s->data, s->len);
}


void
ngx_http_session_stream_json(ngx_http_session_stream_t *st, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_http_session_stream_reserve(st,
                                        s->len * NGX_HTTP_SESSION_ESCAPE_MAX);
    if (p == NULL) {
        return;
    }

    st->buf->last = ngx_http_session_escape_json(p, s->data, s->len);
}


void
ngx_http_session_stream_sid(ngx_http_session_stream_t *st, u_char *digest)
{
    u_char  *p;

    p = ngx_http_session_stream_reserve(st, NGX_HTTP_SESSION_SID_LEN);
    if (p == NULL) {
        return;
    }

    st->buf->last = ngx_http_session_sid(p, digest);
}


void
ngx_http_session_stream_printf(ngx_http_session_stream_t *st, size_t max,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    p = ngx_http_session_stream_reserve(st, max);
    if (p == NULL) {
        return;
    }

    va_start(args, fmt);
    st->buf->last = ngx_vslprintf(p, p + max, fmt, args);
    va_end(args);
}


/* moves the buffer being filled onto the chain to send */

static ngx_int_t
ngx_http_session_stream_flush(ngx_http_session_stream_t *st, ngx_uint_t last)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (st->buf == NULL && !last) {
        return NGX_OK;
    }

    if (st->buf == NULL || (st->buf->last == st->buf->pos && !last)) {

        if (st->buf == NULL) {
            cl = ngx_chain_get_free_buf(st->request->pool, &st->free);
            if (cl == NULL) {
                return NGX_ERROR;
            }

            b = cl->buf;
            ngx_memzero(b, sizeof(ngx_buf_t));
            b->tag = (ngx_buf_tag_t) &ngx_http_session_module;

            st->buf = b;
            st->buf_cl = cl;

        } else {
            /* an empty buffer goes back to the free list */
            st->buf_cl->next = st->free;
            st->free = st->buf_cl;
            st->buf = NULL;
            st->buf_cl = NULL;
            return NGX_OK;
        }
    }

    b = st->buf;
    cl = st->buf_cl;

    if (last) {
        b->last_buf = (st->request == st->request->main) ? 1 : 0;
        b->last_in_chain = 1;
        b->sync = (b->last == b->pos) ? 1 : 0;
    }

    cl->next = NULL;
    *st->last_out = cl;
    st->last_out = &cl->next;

    st->buf = NULL;
    st->buf_cl = NULL;

    return NGX_OK;
}


/*
 * Sends the header and starts producing.  The stream holds a reference
 * to the request and finalizes it once the answer is out; the caller
 * returns NGX_DONE from a content handler, or finalizes with NGX_DONE
 * from a request body handler.
 */

ngx_int_t
ngx_http_session_stream_start(ngx_http_request_t *r,
    ngx_http_session_stream_t *st, ngx_uint_t status, ngx_str_t *type)
{
    ngx_int_t  rc;

    r->main->count++;

    r->headers_out.status = status;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->headers_out.content_length_n = -1;

    ngx_http_clear_content_length(r);
    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }

    ngx_http_session_stream_run(r, st);

    return NGX_DONE;
}


static void
ngx_http_session_stream_handler(ngx_http_request_t *r)
{
    ngx_event_t                *wev;
    ngx_connection_t           *c;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_session_stream_t  *st;

    c = r->connection;
    wev = c->write;

    st = ((ngx_http_session_ctx_t *)
          ngx_http_get_module_ctx(r, ngx_http_session_module))->stream;

    if (wev->timedout) {
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "client timed out while reading a session listing");
        c->timedout = 1;
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    /*
     * Woken during a pause or a limit_rate delay (the client took some
     * output, or sent a byte): the write filter sends nothing while the
     * connection is delayed, so only the delay's timer may go on, as in
     * ngx_http_writer(); ngx_http_request_handler() clears "delayed"
     * when it fires.
     */

    if (wev->delayed) {
        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        if (ngx_handle_write_event(wev, clcf->send_lowat) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_ERROR);
        }

        return;
    }

    if (wev->timer_set) {
        ngx_del_timer(wev);
    }

    ngx_http_session_stream_run(r, st);
}


static void
ngx_http_session_stream_run(ngx_http_request_t *r,
    ngx_http_session_stream_t *st)
{
    uint64_t                   start, holds, own;
    ngx_int_t                  rc;
    ngx_uint_t                 n;
    ngx_msec_t                 pause;
    ngx_event_t               *wev;
    ngx_connection_t          *c;
    ngx_http_core_loc_conf_t  *clcf;

    c = r->connection;
    wev = c->write;

    for (n = 0; /* void */ ; n++) {

        start = 0;
        holds = 0;
        own = 0;

        if (!st->done) {
            if (n == NGX_HTTP_SESSION_STREAM_TICK) {
                /* the rest after the other events of this turn */
                ngx_http_session_stream_pause(r, 0);
                return;
            }

            start = ngx_http_session_clock_ns();
            holds = ngx_http_session_holds(st->zone);
            own = ngx_http_session_own_holds;

            rc = st->produce(r, st);

            if (rc == NGX_ERROR || st->error) {
                ngx_http_finalize_request(r, NGX_ERROR);
                return;
            }

            if (rc == NGX_DONE) {
                st->done = 1;
            }

            if (ngx_http_session_stream_flush(st, st->done) != NGX_OK) {
                ngx_http_finalize_request(r, NGX_ERROR);
                return;
            }
        }

        rc = ngx_http_output_filter(r, st->out);

        ngx_chain_update_chains(r->pool, &st->free, &st->busy, &st->out,
                                (ngx_buf_tag_t) &ngx_http_session_module);
        st->last_out = &st->out;

        if (rc == NGX_ERROR) {
            ngx_http_finalize_request(r, NGX_ERROR);
            return;
        }

        if (st->done) {
            /* what is still buffered is sent by nginx's own writer */
            ngx_http_finalize_request(r, rc);
            return;
        }

        if (rc == NGX_AGAIN || c->buffered) {
            break;
        }

        /* others took the lock meanwhile: yield to them */

        if (ngx_http_session_holds(st->zone) - holds
            > ngx_http_session_own_holds - own)
        {
            pause = (ngx_msec_t) ((ngx_http_session_clock_ns() - start)
                                  * NGX_HTTP_SESSION_STREAM_YIELD / 1000000);

            ngx_http_session_stream_pause(r, ngx_max(pause, 1));
            return;
        }
    }

    /* produce more once the client has taken what was sent */

    r->write_event_handler = ngx_http_session_stream_handler;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (!wev->delayed) {
        ngx_add_timer(wev, clcf->send_timeout);
    }

    if (ngx_handle_write_event(wev, clcf->send_lowat) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_ERROR);
    }
}


/*
 * Goes on after a timer: a timer, not a posted event, keeps a worker that
 * is shutting down gracefully alive until the answer is out.
 */

static void
ngx_http_session_stream_pause(ngx_http_request_t *r, ngx_msec_t ms)
{
    ngx_event_t  *wev;

    wev = r->connection->write;

    r->write_event_handler = ngx_http_session_stream_handler;
    wev->delayed = 1;
    ngx_add_timer(wev, ms);
}


/* a header the dialect needs beside the body */

ngx_int_t
ngx_http_session_add_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = *name;
    h->value = *value;

#if (nginx_version >= 1023000)
    /* nginx 1.23 links the values of a multi-valued header */
    h->next = NULL;
#endif

    return NGX_OK;
}


/*
 * A whole answer already in memory (errors and other short answers):
 * returns what a content handler returns, or what a body handler
 * finalizes the request with.
 */

ngx_int_t
ngx_http_session_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_str_t *body)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->headers_out.content_length_n = body->len;

    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->memory = body->len ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
