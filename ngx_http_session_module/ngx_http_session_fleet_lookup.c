
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>

#include "ngx_http_session_fleet.h"


/* lookups in flight per worker, at most; also the room changes leave */
#define NGX_HTTP_SESSION_FLEET_LOOKUPS     NGX_HTTP_SESSION_FLEET_RESERVE


/*
 * The fleet's lookups: a token this node does not know is asked of the
 * engine, by its public id (never the token), before the request calls
 * it unknown, so a client that logged in on another node a moment ago
 * is recognized here.  The request waits on an event, at most the
 * fleet's "timeout", never blocking the worker; an answer that comes
 * after the request's client left touches nothing of the request.
 * Calls the store, the engine client and the codec.
 */


typedef struct {
    ngx_http_request_t          *request;     /* NULL once it is gone */
    ngx_http_session_fleet_t    *fleet;
    ngx_pool_cleanup_t          *cleanup;
    ngx_event_t                  wait;        /* the timeout, the resume */
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    unsigned                     replied:1;
    unsigned                     resumed:1;
    unsigned                     imported:1;
} ngx_http_session_fleet_lookup_t;


static ngx_int_t ngx_http_session_fleet_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_session_fleet_lookup(ngx_http_request_t *r,
    ngx_http_session_fleet_t *fleet, u_char *digest);
static void ngx_http_session_fleet_lookup_done(
    ngx_http_session_engine_t *engine, redisReply *reply, void *data);
static void ngx_http_session_fleet_lookup_wait(ngx_event_t *ev);
static void ngx_http_session_fleet_lookup_cleanup(void *data);


/*
 * postconfiguration: the phase handler, only where a fleet is.  In the
 * location's rewrite phase, before the rewrite module's own handler (a
 * module loaded later runs earlier in a phase), so "return" and "if"
 * see a session another node made as well.
 */

ngx_int_t
ngx_http_session_fleet_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt           *h;
    ngx_http_core_main_conf_t     *cmcf;
    ngx_http_session_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_session_module);

    if (smcf->fleets.nelts == 0) {
        return NGX_OK;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_session_fleet_handler;

    return NGX_OK;
}


/*
 * In locations of a zone with a fleet: a token this node does not know
 * is looked up in the engine, by its public id, before the request goes
 * on.  The request waits on an event (NGX_DONE stops the phases without
 * finalizing; they are run again when the answer or the timeout comes)
 * and one whose client left meanwhile is never touched again.
 */

static ngx_int_t
ngx_http_session_fleet_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_http_session_ctx_t    *ctx;
    ngx_http_session_zone_t   *zone;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    zone = ngx_http_session_loc_zone(r);

    if (zone == NULL || zone->fleet == NULL || zone->fleet->fleet == NULL) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_session_find(r);

    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->fleet == NGX_HTTP_SESSION_FLEET_WAITING) {
        return NGX_DONE;
    }

    if (ctx->fleet || ctx->live || !ctx->token) {
        return NGX_DECLINED;
    }

    ctx->fleet = NGX_HTTP_SESSION_FLEET_ASKED;

    rc = ngx_http_session_fleet_lookup(r, zone->fleet->fleet, ctx->digest);

    if (rc == NGX_AGAIN) {
        ctx->fleet = NGX_HTTP_SESSION_FLEET_WAITING;
        return NGX_DONE;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_session_fleet_lookup(ngx_http_request_t *r,
    ngx_http_session_fleet_t *fleet, u_char *digest)
{
    u_char                           *p;
    const char                       *argv[2];
    size_t                            argvlen[2];
    ngx_http_session_fleet_lookup_t  *lk;
    u_char                            key[NGX_HTTP_SESSION_FLEET_PREFIX_MAX
                                          + 2 + NGX_HTTP_SESSION_SID_LEN];

    if (fleet->lookups >= NGX_HTTP_SESSION_FLEET_LOOKUPS
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

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

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
            if (ngx_http_session_merge(fleet->zone, &rec.im) == NGX_OK
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

    ngx_connection_t         *c;
    ngx_http_request_t       *r;
    ngx_http_session_ctx_t   *ctx;

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

    ctx = ngx_http_get_module_ctx(r, ngx_http_session_module);

    if (ctx) {
        ctx->fleet = NGX_HTTP_SESSION_FLEET_ASKED;

        if (lk->imported) {
            /* looked up again, and counted, now that the zone has it */
            ctx->looked_up = 0;
        }
    }

    if (lk->replied) {
        ngx_free(lk);
    }

    c = r->connection;

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);

    ngx_http_run_posted_requests(c);
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
