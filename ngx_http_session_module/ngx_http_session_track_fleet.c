
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_track.h"


/*
 * Tracking's side of the fleet's lookups: in the locations of a zone
 * shared with session_fleet, a rewrite-phase handler (a module loaded
 * later runs earlier in a phase: before the rewrite module's "return"
 * and "if") looks the request's session up, and a token this node does
 * not know is asked of the engine before the request goes on.  The
 * request waits on an event: NGX_DONE stops the phases without
 * finalizing, and they run again when the answer or the timeout comes.
 * Calls tracking and the fleet's lookup (fleet_lookup.c).
 */


static ngx_int_t ngx_http_session_track_fleet_handler(ngx_http_request_t *r);
static void ngx_http_session_track_fleet_done(ngx_http_request_t *r,
    ngx_uint_t found);


/* postconfiguration: the handler, only where a fleet is */

ngx_int_t
ngx_http_session_track_fleet_init(ngx_conf_t *cf)
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

    *h = ngx_http_session_track_fleet_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_track_fleet_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_http_session_ctx_t    *ctx;
    ngx_http_session_zone_t   *zone;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    zone = ngx_http_session_loc_zone(r);

    if (zone == NULL || zone->fleet == NULL) {
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

    rc = ngx_http_session_fleet_lookup(r, zone, ctx->digest,
                                       ngx_http_session_track_fleet_done);

    if (rc != NGX_AGAIN) {
        return NGX_DECLINED;
    }

    ctx->fleet = NGX_HTTP_SESSION_FLEET_WAITING;

    /* a client that leaves meanwhile ends the request as usual */

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    return NGX_DONE;
}


/* the fleet's answer: the phases go on, the handler above first */

static void
ngx_http_session_track_fleet_done(ngx_http_request_t *r, ngx_uint_t found)
{
    ngx_connection_t        *c;
    ngx_http_session_ctx_t  *ctx;

    c = r->connection;

    ctx = ngx_http_get_module_ctx(r, ngx_http_session_module);

    if (ctx) {
        ctx->fleet = NGX_HTTP_SESSION_FLEET_ASKED;

        if (found) {
            /* looked up again, and counted, now that the zone has it */
            ctx->looked_up = 0;
        }
    }

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);

    ngx_http_run_posted_requests(c);
}
