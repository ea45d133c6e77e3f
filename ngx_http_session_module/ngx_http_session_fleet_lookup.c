
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>

#include "ngx_http_session_engine.h"


/* lookups in flight per worker, at most; also the room changes leave */
#define NGX_HTTP_SESSION_FLEET_LOOKUPS     NGX_HTTP_SESSION_FLEET_RESERVE


/*
 * The fleet's lookups: a token this node does not know is asked of the
 * engine, by its public id (never the token), before the request calls
 * it unknown, so a client that logged in on another node a moment ago
 * is recognized here.  The request waits on an event, at most the
 * fleet's "timeout", never blocking the worker; an answer that comes
 * after the request's client left touches nothing of the request.
 * Calls the store, the engine client and the codec; the request's side
 * (the phase handler that waits) is tracking's, in track_fleet.c.
 */


typedef struct {
    ngx_http_request_t          *request;     /* NULL once it is gone */
    ngx_http_session_fleet_done_pt  done;
    ngx_http_session_fleet_t    *fleet;
    ngx_pool_cleanup_t          *cleanup;
    ngx_event_t                  wait;        /* the timeout, the resume */
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    unsigned                     replied:1;
    unsigned                     resumed:1;
    unsigned                     imported:1;
} ngx_http_session_fleet_lookup_t;


static void ngx_http_session_fleet_lookup_done(
    ngx_http_session_engine_t *engine, redisReply *reply, void *data);
static void ngx_http_session_fleet_lookup_wait(ngx_event_t *ev);
static void ngx_http_session_fleet_lookup_cleanup(void *data);


/*
 * Asks the engine for the session of "digest" for request "r".
 * NGX_AGAIN: the request is to wait; "done" is called once, from the
 * event loop, with whether the zone holds an open session now, unless
 * the request is freed first.  NGX_DECLINED: not asked (no connection,
 * too many lookups in flight): the request goes on at once.
 */

ngx_int_t
ngx_http_session_fleet_lookup(ngx_http_request_t *r,
    ngx_http_session_zone_t *zone, u_char *digest,
    ngx_http_session_fleet_done_pt done)
{
    u_char                           *p;
    const char                       *argv[2];
    size_t                            argvlen[2];
    ngx_http_session_fleet_t         *fleet;
    ngx_http_session_fleet_lookup_t  *lk;
    u_char                            key[NGX_HTTP_SESSION_FLEET_PREFIX_MAX
                                          + 2 + NGX_HTTP_SESSION_SID_LEN];

    fleet = zone->fleet ? zone->fleet->fleet : NULL;

    if (fleet == NULL
        || fleet->lookups >= NGX_HTTP_SESSION_FLEET_LOOKUPS
        || ngx_http_session_engine_room(fleet->engine) == 0)
    {
        return NGX_DECLINED;
    }

    lk = ngx_calloc(sizeof(ngx_http_session_fleet_lookup_t), fleet->log);
    if (lk == NULL) {
        return NGX_DECLINED;
    }

    lk->cleanup = ngx_pool_cleanup_add(r->pool, 0);
    if (lk->cleanup == NULL) {
        ngx_free(lk);
        return NGX_DECLINED;
    }

    p = ngx_sprintf(key, "%Vs:", &fleet->conf->prefix);
    p = ngx_http_session_sid(p, digest);

    argv[0] = "HGETALL";
    argvlen[0] = 7;
    argv[1] = (const char *) key;
    argvlen[1] = p - key;

    if (ngx_http_session_engine_send(fleet->engine,
                                     ngx_http_session_fleet_lookup_done, lk,
                                     fleet->wait,
                                     2, argv, argvlen)
        != NGX_OK)
    {
        lk->cleanup->handler = NULL;
        ngx_free(lk);
        return NGX_DECLINED;
    }

    lk->request = r;
    lk->done = done;
    lk->fleet = fleet;
    ngx_memcpy(lk->digest, digest, NGX_HTTP_SESSION_DIGEST_LEN);
    lk->cleanup->handler = ngx_http_session_fleet_lookup_cleanup;
    lk->cleanup->data = lk;

    /* the request's own wait: it keeps a worker that shuts down alive */

    lk->wait.handler = ngx_http_session_fleet_lookup_wait;
    lk->wait.data = lk;
    lk->wait.log = r->connection->log;

    ngx_add_timer(&lk->wait, fleet->conf->engine.timeout);

    fleet->lookups++;
    (void) ngx_atomic_fetch_add(&fleet->sh->lookups, 1);

    return NGX_AGAIN;
}


/*
 * The engine's answer, or NULL when the connection went away first.  A
 * session it holds is brought into the zone, whether or not the request
 * still waits for it.
 */

static void
ngx_http_session_fleet_lookup_done(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data)
{
    ngx_http_session_fleet_lookup_t *lk = data;

    ngx_int_t                         rc;
    const char                       *error;
    ngx_http_session_fleet_t         *fleet;
    ngx_http_session_fleet_record_t   rec;

    fleet = lk->fleet;
    fleet->lookups--;
    lk->replied = 1;

    if (reply == NULL && lk->request && !lk->resumed) {
        /* the connection failed: the request goes on without an answer */
        (void) ngx_atomic_fetch_add(&fleet->sh->timeouts, 1);
    }

    if (reply) {
        error = NULL;

        rc = ngx_http_session_fleet_decode_record(reply, lk->digest, &rec,
                                                  &error);

        if (rc == NGX_OK) {
            if (ngx_http_session_apply(fleet->zone, &rec.im) == NGX_OK
                && rec.im.logout == 0)
            {
                lk->imported = 1;
                (void) ngx_atomic_fetch_add(&fleet->sh->found, 1);
            }

        } else if (rc == NGX_ERROR) {
            (void) ngx_atomic_fetch_add(&fleet->sh->rejected, 1);
            ngx_http_session_fleet_error(fleet, "a session of the engine "
                                         "was refused", error);
        }
    }

    if (lk->request == NULL || lk->resumed) {
        ngx_free(lk);
        return;
    }

    /* resumed from the event loop, not from inside hiredis */

    if (lk->wait.timer_set) {
        ngx_del_timer(&lk->wait);
    }

    ngx_post_event(&lk->wait, &ngx_posted_events);
}


/* the answer came (posted), or the timeout: the request goes on */

static void
ngx_http_session_fleet_lookup_wait(ngx_event_t *ev)
{
    ngx_http_session_fleet_lookup_t *lk = ev->data;

    ngx_uint_t                       found;
    ngx_http_request_t              *r;
    ngx_http_session_fleet_done_pt   done;

    r = lk->request;

    if (r == NULL) {
        return;
    }

    if (!lk->replied) {
        (void) ngx_atomic_fetch_add(&lk->fleet->sh->timeouts, 1);
    }

    /* the request no longer knows the lookup; the reply frees it */

    lk->resumed = 1;
    lk->request = NULL;
    lk->cleanup->handler = NULL;

    found = lk->imported;
    done = lk->done;

    if (lk->replied) {
        ngx_free(lk);
    }

    done(r, found);
}


/* the request is freed (its client left): the lookup lets go of it */

static void
ngx_http_session_fleet_lookup_cleanup(void *data)
{
    ngx_http_session_fleet_lookup_t *lk = data;

    lk->request = NULL;

    if (lk->wait.timer_set) {
        ngx_del_timer(&lk->wait);
    }

    if (lk->wait.posted) {
        ngx_delete_posted_event(&lk->wait);
    }

    if (lk->replied) {
        ngx_free(lk);
    }
}
