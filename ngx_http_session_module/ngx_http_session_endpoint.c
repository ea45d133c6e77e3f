
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_endpoint.h"


/*
 * What the endpoints share beside streams and escaping: who the caller
 * is, and the session variables their answers are made of.  Calls the
 * request layer (ngx_http_session_track.c: the caller's session) and
 * streams (ngx_http_session_stream.c: the Cache-Control header).
 */


static ngx_uint_t ngx_http_session_is_admin(ngx_http_request_t *r);


/*
 * The caller of an endpoint, by the rule every endpoint follows: its
 * live session in the endpoint's zone ("caller" NULL when it has none)
 * and the admin rights session_admin gives it.  A caller looked up in
 * another zone would be nobody here, and no admin; the configuration
 * check in ngx_http_session_merge_loc_conf() keeps that from happening.
 * NGX_ERROR: out of memory.
 */

ngx_int_t
ngx_http_session_endpoint_caller(ngx_http_request_t *r, ngx_str_t *token,
    ngx_http_session_ctx_t **caller, ngx_uint_t *admin)
{
    ngx_http_session_ctx_t       *ctx;
    ngx_http_session_zone_t      *zone;
    ngx_http_session_loc_conf_t  *slcf;

    *caller = NULL;
    *admin = 0;

    ctx = ngx_http_session_authenticate(r, token);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);
    zone = slcf->endpoint->data;

    if (ctx->zone != zone) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "session endpoint of zone \"%V\" found its caller "
                      "in zone \"%V\"", &zone->name, &ctx->zone->name);
        return NGX_OK;
    }

    if (ctx->live) {
        *caller = ctx;
    }

    *admin = ngx_http_session_is_admin(r);

    return NGX_OK;
}


/*
 * Every answer is the caller's, and its URL does not name the caller:
 * a cache in front (nginx's proxy_cache among them) must keep none.
 */

ngx_int_t
ngx_http_session_no_store(ngx_http_request_t *r)
{
    static ngx_str_t  name = ngx_string("Cache-Control");
    static ngx_str_t  value = ngx_string("no-store");

    return ngx_http_session_add_header(r, &name, &value);
}


/* a non-empty session variable of a record, else "dflt" (NULL: none) */

void
ngx_http_session_record_var(ngx_http_session_record_t *rec, char *name,
    ngx_str_t *value, char *dflt)
{
    ngx_str_t  n;

    n.data = (u_char *) name;
    n.len = ngx_strlen(name);

    if (ngx_http_session_var_get(rec->vars.data, rec->vars.len, &n, value)
        == NGX_OK
        && value->len)
    {
        return;
    }

    value->data = (u_char *) dflt;
    value->len = dflt ? ngx_strlen(dflt) : 0;
}


/* whether session_admin makes the caller an admin */

static ngx_uint_t
ngx_http_session_is_admin(ngx_http_request_t *r)
{
    ngx_str_t                     value;
    ngx_uint_t                    i;
    ngx_http_session_value_t     *v;
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (slcf->admin == NULL) {
        return 0;
    }

    /* any of the values: "the admin account, or the admin key" */

    v = slcf->admin->elts;

    for (i = 0; i < slcf->admin->nelts; i++) {
        if (ngx_http_complex_value(r, &v[i].value, &value) != NGX_OK) {
            return 0;
        }

        if (ngx_http_session_flag(&value)) {
            return 1;
        }
    }

    return 0;
}
