
/*
 * Copyright (C) ngx_http_session_module authors
 */


#ifndef _NGX_HTTP_SESSION_TRACK_H_INCLUDED_
#define _NGX_HTTP_SESSION_TRACK_H_INCLUDED_


#include "ngx_http_session_store.h"


/*
 * The request layer: tracking (the header filter and the request's
 * session) and the $session_* variables.
 */


/* one Set-Cookie header as ngx_http_session_cookie_parse() reads it */

typedef struct {
    ngx_str_t                    name;
    ngx_str_t                    value;
    ngx_uint_t                   deletes;  /* Max-Age <= 0, a past Expires */
} ngx_http_session_set_cookie_t;


/* ngx_http_session_cookie.c */
ngx_int_t ngx_http_session_cookie_name(ngx_str_t *value, ngx_str_t *name);
void ngx_http_session_cookie_parse(ngx_str_t *header,
    ngx_http_session_set_cookie_t *sc);
ngx_int_t ngx_http_session_cookie_date(u_char *p, u_char *last,
    int64_t *when);
void ngx_http_session_cookie_apply(ngx_http_request_t *r,
    ngx_http_session_loc_conf_t *slcf, ngx_http_session_update_t *up);

/* ngx_http_session_track.c */
ngx_int_t ngx_http_session_track_init(ngx_conf_t *cf);
ngx_http_session_ctx_t *ngx_http_session_get_ctx(ngx_http_request_t *r);
ngx_http_session_ctx_t *ngx_http_session_find(ngx_http_request_t *r);
ngx_http_session_ctx_t *ngx_http_session_find_snapshot(ngx_http_request_t *r);
ngx_http_session_ctx_t *ngx_http_session_authenticate(ngx_http_request_t *r,
    ngx_str_t *token);
ngx_int_t ngx_http_session_caller(ngx_http_request_t *r, ngx_str_t *token);
ngx_http_session_zone_t *ngx_http_session_loc_zone(ngx_http_request_t *r);
ngx_int_t ngx_http_session_track_apply(ngx_http_request_t *r);


/* ngx_http_session_variables.c */
ngx_int_t ngx_http_session_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_session_add_variable_table(ngx_conf_t *cf,
    ngx_http_variable_t *vars);


#endif /* _NGX_HTTP_SESSION_TRACK_H_INCLUDED_ */
