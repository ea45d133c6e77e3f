
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_endpoint.h"


/*
 * Every endpoint answers through a stream: a "produce" callback writes
 * the next part of the answer (for a listing, one batch of sessions
 * copied out of the zone), the stream hands it to the output filters,
 * and produces more only once the client has taken what was sent.  So a
 * worker's memory stays bounded whatever the zone's size, and a long
 * dump gives the event loop back between batches.  Calls the escapers
 * and the store's clock, lock statistics and batch allocation; never
 * the request layer or a dialect.
 */


#define NGX_HTTP_SESSION_STREAM_BUF    (32 * 1024)

/* batches produced before giving the event loop a turn */
#define NGX_HTTP_SESSION_STREAM_TICK   4

/*
 * A listing is background work.  While others take the zone lock
 * (tracked traffic: other workers' requests, or this worker's own served
 * between two batches), each batch adds to a debt of time the listing
 * owes its worker's other connections, paid by waiting: for a timer, or
 * for the client.  A wait pays what it really lasted, so debts shorter
 * than a timer's millisecond add up instead of each being rounded up to
 * one, and a wait the event loop made longer pays for more batches.
 * With nobody else about for STREAM_RECENT, a listing runs at full
 * speed.
 *
 * pace=N: a batch owes N% of the wall time it took, from reading it to
 * handing its output to the connection (2400: a 25th of the worker, the
 * fixed factor of earlier versions; 0: never pause).
 *
 * pace=auto: the listing aims at a share of its worker, counted in the
 * CPU time its batches use (a loaded machine that deschedules the worker
 * does not slow the listing twice): a batch owes (1 - share) / share of
 * its CPU time.  Every STREAM_WINDOW batches that owed time, the share
 * shrinks by a quarter if requests waited, or grows by STREAM_SHARE_STEP
 * if not.  Requests wait when the machine has no CPU to spare (the
 * batches took more wall time than CPU time by a STREAM_BUSY fraction:
 * the worker was descheduled, so whatever the listing takes, the traffic
 * and its clients lose; the event loop's lag alone does not show it, as
 * wrk, curl and the other workers compete for the same cores) or when
 * the event loop falls behind (a timer fired STREAM_LAG late).  The
 * share never goes below STREAM_SHARE_MIN: a listing under a load that
 * saturates the machine still reads at about that share of its idle
 * pace, and finishes.
 */
#define NGX_HTTP_SESSION_STREAM_SHARE_ONE    1024
#define NGX_HTTP_SESSION_STREAM_SHARE_MIN    341           /* a third */
#define NGX_HTTP_SESSION_STREAM_SHARE_START  512
#define NGX_HTTP_SESSION_STREAM_SHARE_STEP   64
#define NGX_HTTP_SESSION_STREAM_WINDOW       16
#define NGX_HTTP_SESSION_STREAM_BUSY         8     /* wall > cpu + cpu/8 */
#define NGX_HTTP_SESSION_STREAM_LAG          2000000       /* ns */

/* others took the lock this recently (ns): the listing owes them */
#define NGX_HTTP_SESSION_STREAM_RECENT       100000000

/* the most a listing may run ahead of its debt, in ns */
#define NGX_HTTP_SESSION_STREAM_CREDIT       1000000


static void ngx_http_session_stream_handler(ngx_http_request_t *r);
static void ngx_http_session_stream_cleanup(void *data);
static void ngx_http_session_stream_run(ngx_http_request_t *r,
    ngx_http_session_stream_t *st);
static ngx_int_t ngx_http_session_stream_flush(ngx_http_session_stream_t *st,
    ngx_uint_t last);
static void ngx_http_session_stream_pause(ngx_http_session_stream_t *st,
    ngx_msec_t ms);
static void ngx_http_session_stream_waited(ngx_http_session_stream_t *st);
static void ngx_http_session_stream_adapt(ngx_http_session_stream_t *st);
static void ngx_http_session_stream_log(ngx_http_session_stream_t *st);
static void ngx_http_session_stream_others(ngx_http_session_stream_t *st,
    ngx_http_session_holds_t *now, uint64_t start);
static ngx_int_t ngx_http_session_stream_produce(ngx_http_request_t *r,
    ngx_http_session_stream_t *st, uint64_t *start, uint64_t *cpu);
static ngx_msec_t ngx_http_session_stream_owe(ngx_http_session_stream_t *st,
    uint64_t start, uint64_t cpu);
static uint64_t ngx_http_session_stream_cpu_ns(void);


ngx_http_session_stream_t *
ngx_http_session_stream_create(ngx_http_request_t *r,
    ngx_http_session_zone_t *zone, ngx_http_session_produce_pt produce)
{
    ngx_pool_cleanup_t           *cln;
    ngx_http_session_stream_t    *st;
    ngx_http_session_loc_conf_t  *slcf;

    /*
     * The write event handler finds its stream by this cleanup: the
     * module's request context is the tracking's.
     */

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
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

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);
    st->pace = slcf->pace;
    st->share = NGX_HTTP_SESSION_STREAM_SHARE_START;

    cln->handler = ngx_http_session_stream_cleanup;
    cln->data = st;

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
    ngx_pool_cleanup_t         *cln;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_session_stream_t  *st;

    c = r->connection;
    wev = c->write;

    /* subrequests share the pool: the stream of this very request */

    st = NULL;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_session_stream_cleanup
            && ((ngx_http_session_stream_t *) cln->data)->request == r)
        {
            st = cln->data;
            break;
        }
    }

    if (st == NULL) {
        ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                      "session listing lost its stream");
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

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
    uint64_t                   start, cpu;
    ngx_int_t                  rc;
    ngx_uint_t                 n;
    ngx_msec_t                 pause;
    ngx_event_t               *wev;
    ngx_connection_t          *c;
    ngx_http_core_loc_conf_t  *clcf;

    c = r->connection;
    wev = c->write;

    ngx_http_session_stream_waited(st);

    if (st->mark.all == 0) {
        ngx_http_session_holds_mark(st->zone, &st->mark);
    }

    for (n = 0; /* void */ ; n++) {

        start = 0;
        cpu = 0;

        if (!st->done) {
            if (n == NGX_HTTP_SESSION_STREAM_TICK) {
                /* the rest after the other events of this turn */
                ngx_http_session_stream_pause(st, 0);
                return;
            }

            rc = ngx_http_session_stream_produce(r, st, &start, &cpu);

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
            if (st->batches > 1) {
                ngx_http_session_stream_log(st);
            }

            /* what is still buffered is sent by nginx's own writer */
            ngx_http_finalize_request(r, rc);
            return;
        }

        pause = start ? ngx_http_session_stream_owe(st, start, cpu) : 0;

        if (rc == NGX_AGAIN || c->buffered) {
            break;
        }

        if (pause) {
            ngx_http_session_stream_pause(st, pause);
            return;
        }
    }

    /* produce more once the client has taken what was sent */

    r->write_event_handler = ngx_http_session_stream_handler;

    /* waiting for the client pays the debt too, but tells no lag */
    st->waited_at = ngx_http_session_clock_ns();
    st->timer = 0;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (!wev->delayed) {
        ngx_add_timer(wev, clcf->send_timeout);
    }

    if (ngx_handle_write_event(wev, clcf->send_lowat) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_ERROR);
    }
}


/*
 * Whether others use the zone: two holds not of this listing within
 * STREAM_RECENT of each other (one alone is the sweeper's, once a
 * second); they are others for STREAM_RECENT after.
 */

static void
ngx_http_session_stream_others(ngx_http_session_stream_t *st,
    ngx_http_session_holds_t *now, uint64_t start)
{
    uint64_t  n;

    n = now->all - st->mark.all;
    n = (n > st->ours) ? n - st->ours : 0;

    st->mark = *now;
    st->ours = 0;

    if (n == 0) {
        return;
    }

    if (start - st->foreign_at > NGX_HTTP_SESSION_STREAM_RECENT) {
        st->foreign = 0;
    }

    st->foreign += n;
    st->foreign_at = start;

    if (st->foreign > 1) {
        st->others_at = start;
    }
}


/* the next part of the answer, with the clocks and holds it took */

static ngx_int_t
ngx_http_session_stream_produce(ngx_http_request_t *r,
    ngx_http_session_stream_t *st, uint64_t *start, uint64_t *cpu)
{
    ngx_int_t                 rc;
    ngx_http_session_holds_t  before, after;

    *start = ngx_http_session_clock_ns();
    st->batches++;

    if (st->began == 0) {
        st->began = *start;
    }

    if (st->pace == NGX_HTTP_SESSION_PACE_AUTO) {
        *cpu = ngx_http_session_stream_cpu_ns();
    }

    ngx_http_session_holds_mark(st->zone, &before);

    rc = st->produce(r, st);

    ngx_http_session_holds_mark(st->zone, &after);
    st->ours += after.own - before.own;

    return rc;
}


/*
 * What the batch that began at "start" owes; the ms to pause now.  It
 * owes if others took the lock lately (other workers, or requests this
 * worker served between batches): "lately", not "during this batch", as
 * a listing and its client can keep both cores busy for a while, so that
 * the others do not run at all, let alone take the lock.
 */

static ngx_msec_t
ngx_http_session_stream_owe(ngx_http_session_stream_t *st, uint64_t start,
    uint64_t cpu)
{
    int64_t                   before;
    uint64_t                  took;
    ngx_http_session_holds_t  now;

    ngx_http_session_holds_mark(st->zone, &now);
    ngx_http_session_stream_others(st, &now, start);

    if (st->others_at == 0
        || start - st->others_at >= NGX_HTTP_SESSION_STREAM_RECENT)
    {
        return 0;
    }

    before = st->debt;
    st->contended++;

    if (st->pace == NGX_HTTP_SESSION_PACE_AUTO) {
        took = ngx_http_session_stream_cpu_ns() - cpu;
        st->debt += (int64_t) (took
                               * (NGX_HTTP_SESSION_STREAM_SHARE_ONE
                                  - st->share)
                               / st->share);

        st->win_cpu += took;
        st->win_wall += ngx_http_session_clock_ns() - start;

        if (++st->win_batches == NGX_HTTP_SESSION_STREAM_WINDOW) {
            ngx_http_session_stream_adapt(st);
        }

    } else {
        took = ngx_http_session_clock_ns() - start;
        st->debt += (int64_t) (took * st->pace / 100);
    }

    st->owed += st->debt - before;

    if (st->debt < 1000000) {
        return 0;
    }

    return (ngx_msec_t) (st->debt / 1000000);
}


/* a wait ended: it paid what it lasted; a timer's lateness is the lag */

static void
ngx_http_session_stream_waited(ngx_http_session_stream_t *st)
{
    uint64_t  now, waited;

    if (st->waited_at == 0) {
        return;
    }

    now = ngx_http_session_clock_ns();
    waited = now - st->waited_at;
    st->waited_at = 0;

    st->debt -= (int64_t) waited;
    st->waited += waited;

    if (st->debt < -NGX_HTTP_SESSION_STREAM_CREDIT) {
        st->debt = -NGX_HTTP_SESSION_STREAM_CREDIT;
    }

    if (st->pace != NGX_HTTP_SESSION_PACE_AUTO || !st->timer) {
        return;
    }

    if (waited > st->wait_ns + NGX_HTTP_SESSION_STREAM_LAG) {
        st->win_late++;
    }
}


/* a window of batches ended: requests waited, or not */

static void
ngx_http_session_stream_adapt(ngx_http_session_stream_t *st)
{
    if (st->win_late
        || st->win_wall > st->win_cpu
                          + st->win_cpu / NGX_HTTP_SESSION_STREAM_BUSY)
    {
        /* give way */
        st->behind++;
        st->share -= st->share / 4;

        if (st->share < NGX_HTTP_SESSION_STREAM_SHARE_MIN) {
            st->share = NGX_HTTP_SESSION_STREAM_SHARE_MIN;
        }

    } else {
        st->share += NGX_HTTP_SESSION_STREAM_SHARE_STEP;

        if (st->share > NGX_HTTP_SESSION_STREAM_SHARE_ONE) {
            st->share = NGX_HTTP_SESSION_STREAM_SHARE_ONE;
        }
    }

    st->win_wall = 0;
    st->win_cpu = 0;
    st->win_batches = 0;
    st->win_late = 0;
}


/* what the pace did, for operators tuning pace= */

static void
ngx_http_session_stream_log(ngx_http_session_stream_t *st)
{
    u_char  *p, text[64];

    if (st->pace == NGX_HTTP_SESSION_PACE_AUTO) {
        p = ngx_sprintf(text, "auto (share %ui/1024, gave way %ui times)",
                        st->share, st->behind);

    } else {
        p = ngx_sprintf(text, "%i", st->pace);
    }

    ngx_log_error(NGX_LOG_INFO, st->request->connection->log, 0,
                  "session listing: %ui batches in %uL ms, %ui of them "
                  "while others used the zone, owed %uL ms, waited %uL ms, "
                  "pace=%*s",
                  st->batches,
                  (ngx_http_session_clock_ns() - st->began) / 1000000,
                  st->contended, st->owed / 1000000, st->waited / 1000000,
                  p - text, text);
}


/* the CPU time of this worker: a system call, never under the lock */

static uint64_t
ngx_http_session_stream_cpu_ns(void)
{
    struct timespec  ts;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == -1) {
        return ngx_http_session_clock_ns();
    }

    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


static void
ngx_http_session_stream_cleanup(void *data)
{
    /* nothing to free: the cleanup only marks the stream */
}


/*
 * Goes on after a timer: a timer, not a posted event, keeps a worker that
 * is shutting down gracefully alive until the answer is out.
 */

static void
ngx_http_session_stream_pause(ngx_http_session_stream_t *st, ngx_msec_t ms)
{
    ngx_event_t  *wev;

    wev = st->request->connection->write;

    st->waited_at = ngx_http_session_clock_ns();
    st->wait_ns = (uint64_t) ms * 1000000;
    st->timer = 1;

    st->request->write_event_handler = ngx_http_session_stream_handler;
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
