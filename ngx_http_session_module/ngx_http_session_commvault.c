
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_endpoint.h"


/*
 * Commvault's GET <webservice>/Session?userId=: the sessions of one
 * user, as Api_GetLoggedInSessionsResp XML or, by Accept, JSON.  The
 * listing walks that user's account records only, so its cost follows
 * the user's sessions, not the zone's.  Calls the caller check and
 * streams (ngx_http_session_endpoint.c, _stream.c) and the store's
 * read().
 */


#define NGX_HTTP_SESSION_CV_XML_DECL                                         \
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\" ?>\n"

#define NGX_HTTP_SESSION_CV_BAD_REQUEST    2
#define NGX_HTTP_SESSION_CV_ACCESS_DENIED  5
#define NGX_HTTP_SESSION_CV_BAD_METHOD     6


typedef struct {
    ngx_uint_t                   json;
    ngx_uint_t                   started;
    ngx_uint_t                   count;
} ngx_http_session_commvault_t;


static ngx_int_t ngx_http_session_commvault_produce(ngx_http_request_t *r,
    ngx_http_session_stream_t *st);
static void ngx_http_session_commvault_xml(ngx_http_session_stream_t *st,
    ngx_http_session_record_t *rec);
static void ngx_http_session_commvault_json(ngx_http_session_stream_t *st,
    ngx_http_session_record_t *rec);
static void ngx_http_session_commvault_host(ngx_http_session_record_t *rec,
    ngx_str_t *host, u_char *addr);
static void ngx_http_session_commvault_value(ngx_http_session_stream_t *st,
    ngx_str_t *value);
static ngx_uint_t ngx_http_session_commvault_printable(ngx_str_t *s);
static ngx_int_t ngx_http_session_commvault_error(ngx_http_request_t *r,
    ngx_uint_t json, ngx_uint_t status, ngx_uint_t code, char *message);


static ngx_str_t  ngx_http_session_commvault_xml_type =
    ngx_string("application/xml; charset=utf-8");
static ngx_str_t  ngx_http_session_commvault_json_type =
    ngx_string("application/json; charset=utf-8");
static ngx_str_t  ngx_http_session_commvault_allow = ngx_string("Allow");
static ngx_str_t  ngx_http_session_commvault_methods =
    ngx_string("GET, HEAD");


ngx_int_t
ngx_http_session_commvault_handler(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_str_t                      user;
    ngx_uint_t                     json, admin;
    ngx_http_session_ctx_t        *caller;
    ngx_http_session_stream_t     *st;
    ngx_http_session_loc_conf_t   *slcf;
    ngx_http_session_commvault_t  *cv;

    json = ngx_http_session_accepts_json(r);

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_session_no_store(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {

        if (ngx_http_session_add_header(r, &ngx_http_session_commvault_allow,
                                        &ngx_http_session_commvault_methods)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_session_commvault_error(r, json,
                                        NGX_HTTP_NOT_ALLOWED,
                                        NGX_HTTP_SESSION_CV_BAD_METHOD,
                                        "only GET is supported");
    }

    if (ngx_http_session_endpoint_caller(r, NULL, &caller, &admin)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (caller == NULL && !admin) {
        return ngx_http_session_commvault_error(r, json,
                                        NGX_HTTP_UNAUTHORIZED,
                                        NGX_HTTP_SESSION_CV_ACCESS_DENIED,
                                        "Access denied: the Authtoken is "
                                        "missing, invalid or expired");
    }

    rc = ngx_http_session_arg(r, "userId", &user);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED || user.len == 0) {
        return ngx_http_session_commvault_error(r, json,
                                        NGX_HTTP_BAD_REQUEST,
                                        NGX_HTTP_SESSION_CV_BAD_REQUEST,
                                        "the userId parameter is required");
    }

    if (user.len > NGX_HTTP_SESSION_ID_MAX
        || !ngx_http_session_commvault_printable(&user))
    {
        return ngx_http_session_commvault_error(r, json,
                                        NGX_HTTP_BAD_REQUEST,
                                        NGX_HTTP_SESSION_CV_BAD_REQUEST,
                                        "the userId parameter is malformed");
    }

    /* deny by default: another user's sessions, existing or not */

    if (!admin
        && (caller->id_len != user.len
            || ngx_memcmp(caller->id, user.data, user.len) != 0))
    {
        return ngx_http_session_commvault_error(r, json,
                                        NGX_HTTP_FORBIDDEN,
                                        NGX_HTTP_SESSION_CV_ACCESS_DENIED,
                                        "Access denied: the sessions of "
                                        "another user need the Add, "
                                        "Delete and Modify a User "
                                        "permission");
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    st = ngx_http_session_stream_create(r, slcf->endpoint->data,
                                        ngx_http_session_commvault_produce);
    if (st == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cv = ngx_pcalloc(r->pool, sizeof(ngx_http_session_commvault_t));
    if (cv == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cv->json = json;
    st->data = cv;

    st->cursor.walk = NGX_HTTP_SESSION_WALK_ACCOUNT;
    st->cursor.id = user;
    st->cursor.closed = 1;

    if (ngx_http_session_stream_batch(st) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_session_stream_start(r, st, NGX_HTTP_OK,
                                   json ? &ngx_http_session_commvault_json_type
                                        : &ngx_http_session_commvault_xml_type);
}


static ngx_int_t
ngx_http_session_commvault_produce(ngx_http_request_t *r,
    ngx_http_session_stream_t *st)
{
    ngx_uint_t                     i;
    ngx_http_session_commvault_t  *cv;

    cv = st->data;

    if (!cv->started) {
        cv->started = 1;

        if (cv->json) {
            ngx_http_session_stream_str(st, "{\"sessions\":[");

        } else {
            ngx_http_session_stream_str(st, NGX_HTTP_SESSION_CV_XML_DECL
                                        "<Api_GetLoggedInSessionsResp>\n");
        }
    }

    if (ngx_http_session_read(st->zone, &st->cursor, &st->batch) != NGX_OK) {
        return NGX_ERROR;
    }

    for (i = 0; i < st->batch.nrecords; i++) {
        if (cv->json) {
            ngx_http_session_commvault_json(st, &st->batch.records[i]);

        } else {
            ngx_http_session_commvault_xml(st, &st->batch.records[i]);
        }

        cv->count++;
    }

    if (!st->cursor.done) {
        return NGX_OK;
    }

    if (cv->json) {
        ngx_http_session_stream_str(st, "]}");

    } else {
        ngx_http_session_stream_str(st, "</Api_GetLoggedInSessionsResp>\n");
    }

    return NGX_DONE;
}


static void
ngx_http_session_commvault_xml(ngx_http_session_stream_t *st,
    ngx_http_session_record_t *rec)
{
    u_char     addr[NGX_SOCKADDR_STRLEN];
    ngx_str_t  value;

    ngx_http_session_stream_printf(st, 128,
                                   "  <sessions logoutTime=\"%L\" "
                                   "loginTime=\"%L\" host=\"",
                                   rec->logout / 1000, rec->created / 1000);

    ngx_http_session_commvault_host(rec, &value, addr);
    ngx_http_session_stream_xml(st, &value);

    ngx_http_session_stream_str(st, "\" description=\"");
    ngx_http_session_record_var(rec, "description", &value, "");
    ngx_http_session_stream_xml(st, &value);

    ngx_http_session_stream_str(st, "\" sessionId=\"");
    ngx_http_session_stream_sid(st, rec->digest);

    ngx_http_session_stream_str(st, "\" browserSessionId=\"");

    ngx_http_session_record_var(rec, "browserSessionId", &value, "0");
    ngx_http_session_stream_xml(st, &value);

    ngx_http_session_stream_str(st, "\" consoleType=\"");
    ngx_http_session_record_var(rec, "consoleType", &value, "19");
    ngx_http_session_stream_xml(st, &value);

    ngx_http_session_stream_str(st, "\">\n    <user userName=\"");
    ngx_http_session_stream_xml(st, rec->name.len ? &rec->name : &rec->id);

    ngx_http_session_stream_str(st, "\" userId=\"");
    ngx_http_session_stream_xml(st, &rec->id);

    ngx_http_session_stream_str(st, "\" />\n  </sessions>\n");
}


static void
ngx_http_session_commvault_json(ngx_http_session_stream_t *st,
    ngx_http_session_record_t *rec)
{
    u_char     addr[NGX_SOCKADDR_STRLEN];
    ngx_str_t  value;

    ngx_http_session_stream_printf(st, 128,
                                   "%s{\"lastAccessedTime\":%L,"
                                   "\"logoutTime\":%L,\"loginTime\":%L,"
                                   "\"host\":\"",
                                   ((ngx_http_session_commvault_t *)
                                    st->data)->count ? "," : "",
                                   rec->last / 1000, rec->logout / 1000,
                                   rec->created / 1000);

    ngx_http_session_commvault_host(rec, &value, addr);
    ngx_http_session_stream_json(st, &value);

    ngx_http_session_stream_str(st, "\",\"location\":\"");
    ngx_http_session_record_var(rec, "location", &value, "");
    ngx_http_session_stream_json(st, &value);

    ngx_http_session_stream_str(st, "\",\"sessionId\":\"");
    ngx_http_session_stream_sid(st, rec->digest);

    ngx_http_session_stream_str(st, "\",\"browserSessionId\":");
    ngx_http_session_record_var(rec, "browserSessionId", &value, "0");
    ngx_http_session_commvault_value(st, &value);

    ngx_http_session_stream_str(st, ",\"consoleType\":");
    ngx_http_session_record_var(rec, "consoleType", &value, "19");
    ngx_http_session_commvault_value(st, &value);

    ngx_http_session_stream_str(st, ",\"user\":{\"userName\":\"");
    ngx_http_session_stream_json(st, rec->name.len ? &rec->name : &rec->id);

    ngx_http_session_stream_str(st, "\",\"userId\":");
    ngx_http_session_commvault_value(st, &rec->id);

    ngx_http_session_stream_str(st, "}}");
}


/*
 * The host: the session variable, else the client address of the last
 * request, the machine the user works on as far as a proxy can tell.
 */

static void
ngx_http_session_commvault_host(ngx_http_session_record_t *rec,
    ngx_str_t *host, u_char *addr)
{
    ngx_http_session_record_var(rec, "host", host, NULL);

    if (host->data == NULL) {
        host->data = addr;
        host->len = ngx_http_session_addr_text(addr, rec->addr, rec->addr_len)
                    - addr;
    }
}


/* Commvault's ids are integers: a number where the value is one */

static void
ngx_http_session_commvault_value(ngx_http_session_stream_t *st,
    ngx_str_t *value)
{
    if (ngx_http_session_is_number(value)) {
        ngx_http_session_stream_add(st, value->data, value->len);
        return;
    }

    ngx_http_session_stream_str(st, "\"");
    ngx_http_session_stream_json(st, value);
    ngx_http_session_stream_str(st, "\"");
}


/*
 * A userId as sent: unlike a token it has no scheme to strip, so
 * "QSDK 10" is not the user 10.
 */

static ngx_uint_t
ngx_http_session_commvault_printable(ngx_str_t *s)
{
    u_char  *p, *last;

    last = s->data + s->len;

    for (p = s->data; p < last; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return 0;
        }
    }

    return 1;
}


/* Commvault's error body: {"errorCode":N,"errorMessage":"..."} */

static ngx_int_t
ngx_http_session_commvault_error(ngx_http_request_t *r, ngx_uint_t json,
    ngx_uint_t status, ngx_uint_t code, char *message)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   body, msg;

    msg.data = (u_char *) message;
    msg.len = ngx_strlen(message);

    len = sizeof(NGX_HTTP_SESSION_CV_XML_DECL
                 "<CVGui_GenericResp errorCode=\"\" errorMessage=\"\" />\n")
          + NGX_INT_T_LEN + ngx_http_session_escape_xml_len(msg.data, msg.len)
          + ngx_http_session_escape_json_len(msg.data, msg.len);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = p;

    if (json) {
        p = ngx_sprintf(p, "{\"errorCode\":%ui,\"errorMessage\":\"", code);
        p = ngx_http_session_escape_json(p, msg.data, msg.len);
        p = ngx_cpymem(p, "\"}", 2);

    } else {
        p = ngx_sprintf(p, NGX_HTTP_SESSION_CV_XML_DECL
                        "<CVGui_GenericResp errorCode=\"%ui\" "
                        "errorMessage=\"", code);
        p = ngx_http_session_escape_xml(p, msg.data, msg.len);
        p = ngx_cpymem(p, "\" />\n", sizeof("\" />\n") - 1);
    }

    body.len = p - body.data;

    return ngx_http_session_send(r, status,
                                 json ? &ngx_http_session_commvault_json_type
                                      : &ngx_http_session_commvault_xml_type,
                                 &body);
}
