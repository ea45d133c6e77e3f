
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_login.h"


/*
 * Fields of the login response's body.  At a location with response
 * fields, the body filter copies the first session_max_body_size bytes
 * of the response as they pass, and passes every buffer on unchanged at
 * once.  Tracking waits for the fields: it is applied when the body is
 * complete, before the buffer that completes it goes to the client, so
 * a client never holds the whole answer (and its token) before the
 * session exists.  A response too large or not JSON or XML gives no
 * fields, and the log says why at the info level; tracking is applied
 * all the same.  A response cut short is applied at the log phase.
 * Calls extract.c, field.c and track.c's ngx_http_session_track_apply().
 */


static ngx_int_t ngx_http_session_response_header_filter(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_session_response_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_session_response_copy(ngx_http_request_t *r,
    ngx_http_session_login_t *login, ngx_buf_t *b);
static ngx_int_t ngx_http_session_response_done(ngx_http_request_t *r,
    ngx_http_session_ctx_t *ctx, ngx_http_session_login_t *login);
static ngx_int_t ngx_http_session_response_log(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/* runs before tracking's header filter: registered after it */

ngx_int_t
ngx_http_session_response_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_session_response_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_session_response_body_filter;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_session_response_log;

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_response_header_filter(ngx_http_request_t *r)
{
    ngx_http_session_ctx_t       *ctx;
    ngx_http_session_login_t     *login;
    ngx_http_session_loc_conf_t  *slcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (!slcf->response_fields) {
        return ngx_http_next_header_filter(r);
    }

    login = ngx_http_session_login(r);
    if (login == NULL) {
        return NGX_ERROR;
    }

    ctx = ngx_http_session_get_ctx(r);

    if (login->response_done || ctx->applied || ctx->deferred) {
        return ngx_http_next_header_filter(r);
    }

    if (r->header_only || r->method == NGX_HTTP_HEAD
        || r->headers_out.status == NGX_HTTP_NO_CONTENT
        || r->headers_out.status == NGX_HTTP_NOT_MODIFIED
        || r->headers_out.content_length_n == 0
        || !ngx_http_session_field_wanted(r, 1))
    {
        login->response_done = 1;
        return ngx_http_next_header_filter(r);
    }

    if (r->headers_out.content_encoding
        && r->headers_out.content_encoding->hash
        && r->headers_out.content_encoding->value.len
        && (r->headers_out.content_encoding->value.len != 8
            || ngx_strncasecmp(r->headers_out.content_encoding->value.data,
                               (u_char *) "identity", 8)
               != 0))
    {
        login->response_done = 1;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "session fields not read: the response body is "
                      "\"%V\"-encoded; clear Accept-Encoding toward the "
                      "upstream (proxy_set_header Accept-Encoding \"\")",
                      &r->headers_out.content_encoding->value);

        return ngx_http_next_header_filter(r);
    }

    if (r->headers_out.content_length_n > (off_t) slcf->max_body_size) {
        login->response_done = 1;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "session fields not read: the response body of %O "
                      "bytes is larger than session_max_body_size %uz",
                      r->headers_out.content_length_n, slcf->max_body_size);

        return ngx_http_next_header_filter(r);
    }

    login->length = r->headers_out.content_length_n;

    /* tracking waits for the fields */
    ctx->deferred = (slcf->track != NULL);

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_session_response_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_int_t                     rc;
    ngx_uint_t                    last;
    ngx_chain_t                  *cl;
    ngx_http_session_ctx_t       *ctx;
    ngx_http_session_login_t     *login;
    ngx_http_session_loc_conf_t  *slcf;

    if (r != r->main || in == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_session_module);

    if (ctx == NULL || ctx->login == NULL || ctx->login->response_done) {
        return ngx_http_next_body_filter(r, in);
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (!slcf->response_fields) {
        return ngx_http_next_body_filter(r, in);
    }

    login = ctx->login;
    last = 0;

    for (cl = in; cl; cl = cl->next) {

        rc = ngx_http_session_response_copy(r, login, cl->buf);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_DECLINED) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "session fields not read: the response body is "
                          "larger than session_max_body_size %uz",
                          slcf->max_body_size);
            login->copied = 0;
            last = 1;
            break;
        }

        if (cl->buf->last_buf
            || (login->length >= 0 && login->seen >= login->length))
        {
            last = 1;
            break;
        }
    }

    if (last) {
        if (ngx_http_session_response_done(r, ctx, login) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return ngx_http_next_body_filter(r, in);
}


/* NGX_DECLINED: the body is larger than the fields may come from */

static ngx_int_t
ngx_http_session_response_copy(ngx_http_request_t *r,
    ngx_http_session_login_t *login, ngx_buf_t *b)
{
    off_t                         size;
    ssize_t                       n;
    ngx_http_session_loc_conf_t  *slcf;

    if (ngx_buf_special(b)) {
        return NGX_OK;
    }

    size = ngx_buf_size(b);
    login->seen += size;

    if (size == 0) {
        return NGX_OK;
    }

    if (login->copy == NULL) {
        /* the header filter let through no more than the limit */

        slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

        login->copy_size = (login->length > 0) ? (size_t) login->length
                                               : slcf->max_body_size;

        login->copy = ngx_pnalloc(r->pool, login->copy_size);
        if (login->copy == NULL) {
            return NGX_ERROR;
        }
    }

    /* larger than the limit, or than its own Content-Length */

    if (size > (off_t) (login->copy_size - login->copied)) {
        return NGX_DECLINED;
    }

    if (ngx_buf_in_memory(b)) {
        ngx_memcpy(login->copy + login->copied, b->pos, (size_t) size);

    } else {
        /* the upstream buffered it to a temporary file */

        n = ngx_read_file(b->file, login->copy + login->copied,
                          (size_t) size, b->file_pos);

        if (n != (ssize_t) size) {
            return NGX_ERROR;
        }
    }

    login->copied += (size_t) size;

    return NGX_OK;
}


/* the fields, then tracking, before the last bytes go out */

static ngx_int_t
ngx_http_session_response_done(ngx_http_request_t *r,
    ngx_http_session_ctx_t *ctx, ngx_http_session_login_t *login)
{
    ngx_int_t  rc;
    ngx_str_t  body;

    login->response_done = 1;

    if (login->copied) {
        body.data = login->copy;
        body.len = login->copied;

        rc = ngx_http_session_doc_parse(r->pool, &body, 0, &login->response);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK) {
            login->response_read = 1;

        } else {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "session fields not read from the response body: "
                          "%V", &login->response.error);
        }
    }

    if (ctx->deferred && !ctx->applied) {
        return ngx_http_session_track_apply(r);
    }

    return NGX_OK;
}


/* a response cut short: tracking is applied without its fields */

static ngx_int_t
ngx_http_session_response_log(ngx_http_request_t *r)
{
    ngx_http_session_ctx_t       *ctx;
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (!slcf->response_fields) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_session_module);

    if (ctx == NULL || !ctx->deferred || ctx->applied) {
        return NGX_OK;
    }

    if (ctx->login && !ctx->login->response_done) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "session fields not read: the response ended before "
                      "its body was complete");
    }

    (void) ngx_http_session_track_apply(r);

    return NGX_OK;
}
