
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_track.h"


/*
 * Tracking: the header filter that applies what a response does to the
 * request's session (created, account, variables, logged out), and the
 * request's session looked up at most once, for the filter, the
 * variables and the endpoints' caller check.  Calls the cookie
 * deletions (ngx_http_session_cookie.c) and the store's lookup() and
 * update(); never an endpoint.
 */


static ngx_int_t ngx_http_session_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_session_prepare(ngx_http_request_t *r,
    ngx_http_session_loc_conf_t *slcf, ngx_http_session_zone_t *zone,
    ngx_http_session_ctx_t *ctx, ngx_http_session_update_t *up);
static void ngx_http_session_prepare_create(ngx_http_request_t *r,
    ngx_http_session_zone_t *zone, ngx_http_session_update_t *up);
static ngx_int_t ngx_http_session_prepare_values(ngx_http_request_t *r,
    ngx_http_session_loc_conf_t *slcf, ngx_http_session_zone_t *zone,
    ngx_http_session_update_t *up);
static ngx_int_t ngx_http_session_value(ngx_http_request_t *r,
    ngx_http_session_zone_t *zone, ngx_http_complex_value_t *cv,
    size_t max, const char *what, ngx_str_t *value);
static ngx_uint_t ngx_http_session_changes(ngx_http_session_ctx_t *ctx,
    ngx_http_session_update_t *up);
static void ngx_http_session_addr(ngx_http_request_t *r, u_char *addr,
    u_char *len);
static ngx_http_session_ctx_t *ngx_http_session_lookup_request(
    ngx_http_request_t *r);
static void ngx_http_session_lookup_token(ngx_http_request_t *r,
    ngx_http_session_ctx_t *ctx, ngx_str_t *token);
static void ngx_http_session_cleanup(void *data);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


ngx_int_t
ngx_http_session_track_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_session_header_filter;

    return NGX_OK;
}


/*
 * Creation, account, variables and logout are applied here, once the
 * response header is known: $upstream_http_* and $upstream_cookie_*
 * have their values, and add_header, which runs after this filter,
 * already sees a session created by this very request.  A location that
 * reads fields of the response body defers them (ctx->deferred) until
 * the body is read.
 */

static ngx_int_t
ngx_http_session_header_filter(ngx_http_request_t *r)
{
    ngx_http_session_ctx_t       *ctx;
    ngx_http_session_loc_conf_t  *slcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (slcf->track == NULL) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_session_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (ctx->applied || ctx->deferred) {
        return ngx_http_next_header_filter(r);
    }

    if (ngx_http_session_track_apply(r) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}


/* once per request: NGX_ERROR only when memory ran out */

ngx_int_t
ngx_http_session_track_apply(ngx_http_request_t *r)
{
    void                         *copy;
    ngx_int_t                     rc;
    ngx_http_session_ctx_t       *ctx;
    ngx_http_session_zone_t      *zone;
    ngx_http_session_update_t     up;
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (slcf->track == NULL) {
        return NGX_OK;
    }

    zone = slcf->track->data;

    ctx = ngx_http_session_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (ctx->applied) {
        return NGX_OK;
    }

    ctx->applied = 1;

    rc = ngx_http_session_prepare(r, slcf, zone, ctx, &up);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK) {

        /* a logout: the fleet takes the record before the zone drops it */

        copy = NULL;

        if (zone->fleet && up.end && (ctx->live || up.token.len)) {
            copy = ngx_http_session_fleet_before_end(zone, ctx->digest);
        }

        rc = ngx_http_session_update(zone, &up, ctx);

        if (zone->fleet) {

            /*
             * up.ended, not ctx->ended: a response that logs the old
             * session out and makes a new one leaves ctx on the new one
             */

            if (copy) {
                if (up.ended) {
                    ngx_http_session_fleet_ended(zone, copy,
                                                 ngx_http_session_now());
                } else {
                    ngx_free(copy);
                }
            }

            if (ctx->live) {
                ngx_http_session_fleet_changed(zone, ctx->digest);
            }
        }

        /* logged after the lock is released, at most every 10 s */

        if ((rc != NGX_OK || up.evicted)
            && ngx_current_msec - zone->full_logged > 10000)
        {
            if (rc != NGX_OK) {
                ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                              "session zone \"%V\" is full: a session was "
                              "not created or updated; enlarge the zone",
                              &zone->name);

            } else {
                /* the zone's evictions since this worker last said so */

                ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                              "session zone \"%V\" is full: %uL least "
                              "recently used sessions evicted (%uL since "
                              "start); enlarge the zone", &zone->name,
                              up.evicted_total - zone->evicted_logged,
                              up.evicted_total);

                zone->evicted_logged = up.evicted_total;
            }

            zone->full_logged = ngx_current_msec;
        }

        if (up.name_kept
            && ngx_current_msec - zone->name_logged > 10000)
        {
            zone->name_logged = ngx_current_msec;
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "session account \"%V\" keeps its name: a longer "
                          "name moves its %uD sessions under the lock, at "
                          "most %d are moved", &up.id, up.name_kept,
                          NGX_HTTP_SESSION_RENAME_SESSIONS);
        }

        if (up.dropped.len
            && ngx_current_msec - zone->value_logged > 10000)
        {
            zone->value_logged = ngx_current_msec;
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "session variable \"%V\" not stored: the "
                          "variables of a session hold at most %uz bytes "
                          "and %d names", &up.dropped,
                          NGX_HTTP_SESSION_VARS_SIZE - sizeof(uint16_t),
                          NGX_HTTP_SESSION_VARS_MAX);
        }
    }

    return NGX_OK;
}


/*
 * Evaluates the directives; NGX_DECLINED when nothing in the zone needs
 * to change, so the request does not take the lock at all.
 */

static ngx_int_t
ngx_http_session_prepare(ngx_http_request_t *r,
    ngx_http_session_loc_conf_t *slcf, ngx_http_session_zone_t *zone,
    ngx_http_session_ctx_t *ctx, ngx_http_session_update_t *up)
{
    ngx_int_t  rc;
    ngx_str_t  value;

    ngx_memzero(up, sizeof(ngx_http_session_update_t));

    if (!ctx->looked_up) {
        rc = ngx_http_session_caller(r, &up->token);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK) {
            ngx_http_session_digest(zone, up->token.data, up->token.len,
                                    ctx->digest);

        } else {
            ctx->looked_up = 1;
        }
    }

    if (slcf->create) {
        if (ngx_http_complex_value(r, slcf->create, &up->create) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (slcf->end) {
        if (ngx_http_complex_value(r, slcf->end, &value) != NGX_OK) {
            return NGX_ERROR;
        }

        up->end = ngx_http_session_flag(&value);
    }

    /* a logout by cookie deletion; never a session from a deleted one */

    if (slcf->key_cookies || slcf->create_cookie.len) {
        ngx_http_session_cookie_apply(r, slcf, up);
    }

    if (up->create.len && slcf->create_scheme) {
        ngx_http_session_strip_scheme(&up->create);
    }

    if (up->create.len) {
        ngx_http_session_prepare_create(r, zone, up);
    }

    up->type = zone->type_map[slcf->type];

    if (ngx_http_session_prepare_values(r, slcf, zone, up) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_session_addr(r, up->addr, &up->addr_len);

    if (up->token.len || up->create.len) {
        return NGX_OK;
    }

    if (!ctx->live) {
        return NGX_DECLINED;
    }

    /* looked up where the request did not count: before a redirect */

    if (!ctx->touched) {
        return NGX_OK;
    }

    /* a variable looked the session up already: anything to change? */

    return ngx_http_session_changes(ctx, up) ? NGX_OK : NGX_DECLINED;
}


/* the token of the session the response creates, if it is one */

static void
ngx_http_session_prepare_create(ngx_http_request_t *r,
    ngx_http_session_zone_t *zone, ngx_http_session_update_t *up)
{
    ngx_int_t  rc;

    rc = ngx_http_session_valid_token(&up->create);

    if (rc == NGX_OK) {
        ngx_http_session_digest(zone, up->create.data, up->create.len,
                                up->create_digest);
        return;
    }

    if (rc == NGX_ERROR && ngx_current_msec - zone->token_logged > 10000) {
        zone->token_logged = ngx_current_msec;
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "session not created: the new token has "
                      "%uz bytes, tokens hold at most %d bytes "
                      "and no control bytes",
                      up->create.len, NGX_HTTP_SESSION_TOKEN_MAX);
    }

    up->create.len = 0;
}


/* the account and the variables the directives give */

static ngx_int_t
ngx_http_session_prepare_values(ngx_http_request_t *r,
    ngx_http_session_loc_conf_t *slcf, ngx_http_session_zone_t *zone,
    ngx_http_session_update_t *up)
{
    ngx_str_t                     value;
    ngx_uint_t                    i;
    ngx_http_session_var_conf_t  *var;

    if (slcf->account_id) {
        if (ngx_http_session_value(r, zone, slcf->account_id,
                                   NGX_HTTP_SESSION_ID_MAX, "account id",
                                   &up->id)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (up->id.len && slcf->account_name) {
            if (ngx_http_session_value(r, zone, slcf->account_name,
                                       NGX_HTTP_SESSION_NAME_MAX,
                                       "account name", &up->name)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    if (slcf->vars) {
        var = slcf->vars->elts;

        for (i = 0; i < slcf->vars->nelts; i++) {
            if (ngx_http_session_value(r, zone, &var[i].value,
                                       NGX_HTTP_SESSION_VAR_VALUE_MAX,
                                       "variable", &value)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (value.len == 0) {
                continue;
            }

            up->var_names[up->nvars] = var[i].name;
            up->var_values[up->nvars] = value;
            up->nvars++;
        }
    }

    return NGX_OK;
}


/* a directive's value; an empty or too long one changes nothing */

static ngx_int_t
ngx_http_session_value(ngx_http_request_t *r, ngx_http_session_zone_t *zone,
    ngx_http_complex_value_t *cv, size_t max, const char *what,
    ngx_str_t *value)
{
    if (ngx_http_complex_value(r, cv, value) != NGX_OK) {
        return NGX_ERROR;
    }

    if (value->len <= max) {
        return NGX_OK;
    }

    if (ngx_current_msec - zone->value_logged > 10000) {
        zone->value_logged = ngx_current_msec;
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "session %s of %uz bytes not stored: "
                      "the limit is %uz bytes", what, value->len, max);
    }

    value->len = 0;

    return NGX_OK;
}


static ngx_uint_t
ngx_http_session_changes(ngx_http_session_ctx_t *ctx,
    ngx_http_session_update_t *up)
{
    ngx_str_t   value;
    ngx_uint_t  i;

    if (up->end) {
        return 1;
    }

    if (up->id.len
        && (up->id.len != ctx->id_len
            || ngx_memcmp(up->id.data, ctx->id, ctx->id_len) != 0
            || (up->name.len
                && (up->name.len != ctx->name_len
                    || ngx_memcmp(up->name.data, ctx->name, ctx->name_len)
                       != 0))))
    {
        return 1;
    }

    for (i = 0; i < up->nvars; i++) {
        if (ngx_http_session_var_get(ctx->vars, ctx->vars_len,
                                     &up->var_names[i], &value)
            != NGX_OK
            || value.len != up->var_values[i].len
            || ngx_memcmp(value.data, up->var_values[i].data, value.len)
               != 0)
        {
            return 1;
        }
    }

    return 0;
}


static void
ngx_http_session_addr(ngx_http_request_t *r, u_char *addr, u_char *len)
{
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    switch (r->connection->sockaddr->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) r->connection->sockaddr;
        ngx_memcpy(addr, &sin->sin_addr, 4);
        *len = 4;
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;
        ngx_memcpy(addr, &sin6->sin6_addr, 16);
        *len = 16;
        break;
#endif

    default:
        *len = 0;
    }
}


/*
 * The session the variables describe: the main request's, looked up
 * with the main request's session_key, also from a subrequest
 * (auth_request, SSI), whose location need not resemble the main one.
 */

ngx_http_session_ctx_t *
ngx_http_session_find(ngx_http_request_t *r)
{
    return ngx_http_session_lookup_request(r->main);
}


/*
 * The request's session with its account, name and variables copied: a
 * variable that shows them takes the copy the first time it is needed,
 * one more short lock hold for the requests that use such variables.
 */

ngx_http_session_ctx_t *
ngx_http_session_find_snapshot(ngx_http_request_t *r)
{
    ngx_http_session_ctx_t  *ctx;

    ctx = ngx_http_session_find(r);

    if (ctx == NULL || !ctx->live || ctx->snapshot) {
        return ctx;
    }

    if (ngx_http_session_lookup(ctx->zone, ctx->digest, 0, NULL, 0, ctx)
        != NGX_OK)
    {
        /* gone since: expired, or logged out by another request */
        ctx->live = 0;
    }

    return ctx;
}


/*
 * A request's session, looked up at most once: by the first variable
 * that needs it, by the header filter, or by an endpoint.
 */

static ngx_http_session_ctx_t *
ngx_http_session_lookup_request(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_str_t                token;
    ngx_http_session_ctx_t  *ctx;

    ctx = ngx_http_session_get_ctx(r);

    if (ctx == NULL || ctx->zone == NULL) {
        return NULL;
    }

    if (ctx->looked_up) {
        return ctx;
    }

    rc = ngx_http_session_caller(r, &token);

    if (rc == NGX_ERROR) {
        return NULL;
    }

    ctx->looked_up = 1;

    if (rc != NGX_OK) {
        return ctx;
    }

    ngx_http_session_lookup_token(r, ctx, &token);

    return ctx;
}


/*
 * An endpoint's caller, by the endpoint's own session_key, also in a
 * subrequest: the token a request body names (Zimbra's SOAP header)
 * takes precedence over it.
 */

ngx_http_session_ctx_t *
ngx_http_session_authenticate(ngx_http_request_t *r, ngx_str_t *token)
{
    ngx_str_t                t;
    ngx_http_session_ctx_t  *ctx;

    if (token == NULL || token->len == 0) {
        return ngx_http_session_lookup_request(r);
    }

    ctx = ngx_http_session_get_ctx(r);

    if (ctx == NULL || ctx->zone == NULL) {
        return NULL;
    }

    t = *token;

    ctx->looked_up = 1;
    ctx->live = 0;

    if (ngx_http_session_valid_token(&t) != NGX_OK) {
        return ctx;
    }

    ngx_http_session_lookup_token(r, ctx, &t);

    return ctx;
}


/* only tracked locations count a request as activity of its session */

static void
ngx_http_session_lookup_token(ngx_http_request_t *r,
    ngx_http_session_ctx_t *ctx, ngx_str_t *token)
{
    u_char                        addr[16], addr_len;
    ngx_uint_t                    touch;
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    ngx_http_session_digest(ctx->zone, token->data, token->len, ctx->digest);
    ngx_http_session_addr(r, addr, &addr_len);

    touch = (r == r->main && slcf->track != NULL);

    ctx->live = (ngx_http_session_lookup(ctx->zone, ctx->digest, touch,
                                         addr, addr_len, ctx)
                 == NGX_OK);
    ctx->looked_up = 1;
    ctx->token = 1;
    ctx->touched = (ctx->live && touch);

    if (ctx->touched && ctx->zone->fleet) {
        ngx_http_session_fleet_touch(ctx->zone, ctx->digest, addr,
                                     addr_len);
    }
}


/*
 * The module context does not survive an internal redirect, but a pool
 * cleanup does: finding the context again keeps a request from being
 * counted twice.  Subrequests share the main request's pool, so only
 * the main request looks there: a subrequest taking the main request's
 * context would reset it.
 */

ngx_http_session_ctx_t *
ngx_http_session_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t           *cln;
    ngx_http_session_ctx_t       *ctx;
    ngx_http_session_zone_t      *zone;
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);
    zone = ngx_http_session_loc_zone(r);

    ctx = ngx_http_get_module_ctx(r, ngx_http_session_module);

    if (ctx == NULL && r == r->main) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_session_cleanup) {
                ctx = cln->data;
                ngx_http_set_ctx(r, ctx, ngx_http_session_module);
                break;
            }
        }
    }

    if (ctx == NULL) {
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NULL;
        }

        /* the snapshot's buffers, at the end, need no zeroing */

        ctx = ngx_palloc(r->pool, sizeof(ngx_http_session_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_memzero(ctx, offsetof(ngx_http_session_ctx_t, id));

        cln->handler = ngx_http_session_cleanup;
        cln->data = ctx;

        ngx_http_set_ctx(r, ctx, ngx_http_session_module);
    }

    if (ctx->zone != zone) {
        /* redirected into a location that tracks another zone */
        ngx_memzero(ctx, offsetof(ngx_http_session_ctx_t, id));
        ctx->zone = zone;
    }

    if (ctx->keys != slcf->keys) {

        /*
         * Redirected into a location with a session_key of its own: its
         * caller is whoever that key names, not the one found before.
         */

        ctx->keys = slcf->keys;
        ctx->looked_up = 0;
        ctx->live = 0;
        ctx->snapshot = 0;
    }

    return ctx;
}


static void
ngx_http_session_cleanup(void *data)
{
    /* nothing to free: the cleanup only marks the context */
}


/*
 * The caller's token: the first non-empty session_key value.
 * NGX_DECLINED: none; NGX_ERROR: an allocation failed.
 */

ngx_int_t
ngx_http_session_caller(ngx_http_request_t *r, ngx_str_t *token)
{
    ngx_int_t                     rc;
    ngx_uint_t                    i;
    ngx_http_session_value_t     *key;
    ngx_http_session_zone_t      *zone;
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (slcf->keys == NULL) {
        return NGX_DECLINED;
    }

    key = slcf->keys->elts;

    for (i = 0; i < slcf->keys->nelts; i++) {

        if (ngx_http_complex_value(r, &key[i].value, token) != NGX_OK) {
            return NGX_ERROR;
        }

        if (key[i].scheme) {
            ngx_http_session_strip_scheme(token);
        }

        if (token->len == 0) {
            continue;
        }

        rc = ngx_http_session_valid_token(token);

        if (rc == NGX_OK) {
            return NGX_OK;
        }

        if (rc == NGX_ERROR) {
            zone = ngx_http_session_loc_zone(r);

            if (zone && ngx_current_msec - zone->token_logged > 10000) {
                zone->token_logged = ngx_current_msec;
                ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                              "session token of %uz bytes ignored: tokens "
                              "hold at most %d bytes and no control bytes",
                              token->len, NGX_HTTP_SESSION_TOKEN_MAX);
            }
        }
    }

    return NGX_DECLINED;
}


/* the zone a location's session_key names sessions of */

ngx_http_session_zone_t *
ngx_http_session_loc_zone(ngx_http_request_t *r)
{
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (slcf->track) {
        return slcf->track->data;
    }

    if (slcf->endpoint) {
        return slcf->endpoint->data;
    }

    return NULL;
}
