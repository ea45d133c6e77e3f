
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_track.h"


/*
 * The $session_* variables: the request's session as tracking found
 * it.  Calls the request layer (ngx_http_session_track.c) and the
 * store's type names.
 */


static ngx_http_session_ctx_t *ngx_http_session_live(ngx_http_request_t *r,
    ngx_uint_t snapshot);
static ngx_int_t ngx_http_session_variable_id(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_session_variable_new(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_session_variable_type(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_session_variable_account(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_session_variable_created(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_session_variable_var(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_session_variable_set(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, u_char *data, size_t len);


#define NGX_HTTP_SESSION_ACCOUNT_ID    0
#define NGX_HTTP_SESSION_ACCOUNT_NAME  1


/* values change when the header filter creates or ends a session */

static ngx_http_variable_t  ngx_http_session_vars[] = {

    { ngx_string("session_id"), NULL,
      ngx_http_session_variable_id, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("session_new"), NULL,
      ngx_http_session_variable_new, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("session_type"), NULL,
      ngx_http_session_variable_type, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("session_account"), NULL,
      ngx_http_session_variable_account, NGX_HTTP_SESSION_ACCOUNT_ID,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("session_account_name"), NULL,
      ngx_http_session_variable_account, NGX_HTTP_SESSION_ACCOUNT_NAME,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("session_created"), NULL,
      ngx_http_session_variable_created, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("session_var_"), NULL,
      ngx_http_session_variable_var, 0,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_session_add_variables(ngx_conf_t *cf)
{
    return ngx_http_session_add_variable_table(cf, ngx_http_session_vars);
}


/* a table of variables, ended by ngx_http_null_variable (also jwt.c's) */

ngx_int_t
ngx_http_session_add_variable_table(ngx_conf_t *cf, ngx_http_variable_t *vars)
{
    ngx_http_variable_t  *var, *v;

    for (v = vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_http_session_ctx_t *
ngx_http_session_live(ngx_http_request_t *r, ngx_uint_t snapshot)
{
    ngx_http_session_ctx_t  *ctx;

    ctx = snapshot ? ngx_http_session_find_snapshot(r)
                   : ngx_http_session_find(r);

    if (ctx == NULL || !ctx->live) {
        return NULL;
    }

    return ctx;
}


static ngx_int_t
ngx_http_session_variable_id(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                  *p;
    ngx_http_session_ctx_t  *ctx;

    ctx = ngx_http_session_live(r, 0);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_HTTP_SESSION_SID_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_session_sid(p, ctx->digest);

    return ngx_http_session_variable_set(r, v, p, NGX_HTTP_SESSION_SID_LEN);
}


static ngx_int_t
ngx_http_session_variable_new(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_session_ctx_t  *ctx;

    ctx = ngx_http_session_live(r, 0);

    if (ctx && ctx->created) {
        return ngx_http_session_variable_set(r, v, (u_char *) "1", 1);
    }

    return ngx_http_session_variable_set(r, v, (u_char *) "0", 1);
}


static ngx_int_t
ngx_http_session_variable_type(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                  *name;
    size_t                   len;
    ngx_http_session_ctx_t  *ctx;

    ctx = ngx_http_session_live(r, 1);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    /* a copy: a reload may give the type's slot another name */

    name = ngx_pnalloc(r->pool, NGX_HTTP_SESSION_TYPE_LEN);
    if (name == NULL) {
        return NGX_ERROR;
    }

    len = ngx_http_session_type_name(ctx->zone, ctx->type, name);

    return ngx_http_session_variable_set(r, v, name, len);
}


static ngx_int_t
ngx_http_session_variable_account(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_session_ctx_t  *ctx;

    ctx = ngx_http_session_live(r, 1);

    if (ctx == NULL || ctx->id_len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (data == NGX_HTTP_SESSION_ACCOUNT_ID) {
        return ngx_http_session_variable_set(r, v, ctx->id, ctx->id_len);
    }

    /* as Zimbra does, an account without a name goes by its id */

    if (ctx->name_len == 0) {
        return ngx_http_session_variable_set(r, v, ctx->id, ctx->id_len);
    }

    return ngx_http_session_variable_set(r, v, ctx->name, ctx->name_len);
}


static ngx_int_t
ngx_http_session_variable_created(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                  *p;
    ngx_http_session_ctx_t  *ctx;

    ctx = ngx_http_session_live(r, 1);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_session_variable_set(r, v, p,
                                         ngx_sprintf(p, "%L",
                                                     ctx->created_at)
                                         - p);
}


static ngx_int_t
ngx_http_session_variable_var(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t               *var = (ngx_str_t *) data;

    ngx_str_t                name, value;
    ngx_http_session_ctx_t  *ctx;

    ctx = ngx_http_session_live(r, 1);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    name.data = var->data + sizeof("session_var_") - 1;
    name.len = var->len - (sizeof("session_var_") - 1);

    if (ngx_http_session_var_get(ctx->vars, ctx->vars_len, &name, &value)
        != NGX_OK)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    /* the context may change before the value is used: copy it */

    name.data = ngx_pnalloc(r->pool, value.len);
    if (name.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(name.data, value.data, value.len);

    return ngx_http_session_variable_set(r, v, name.data, value.len);
}


static ngx_int_t
ngx_http_session_variable_set(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, u_char *data, size_t len)
{
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = data;

    return NGX_OK;
}
