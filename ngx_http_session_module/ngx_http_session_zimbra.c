
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <libxml/tree.h>
#include <jansson.h>

#include "ngx_http_session_endpoint.h"


/*
 * Zimbra's admin DumpSessionsRequest: the sessions of the zone per
 * Zimbra session type, counted, listed, or listed by account, in SOAP
 * 1.2 (or 1.1) XML or in Zimbra's SOAP JSON, as SoapEngine and
 * DumpSessions answer it.  Types go out in Zimbra's order, each type's
 * named accounts first (WALK_TYPE), then its sessions without an
 * account (WALK_ANONYMOUS), one batch per step, formatted outside the
 * lock.
 */


#define NGX_HTTP_SESSION_ZM_SOAP12_NS                                        \
    "http://www.w3.org/2003/05/soap-envelope"
#define NGX_HTTP_SESSION_ZM_SOAP11_NS                                        \
    "http://schemas.xmlsoap.org/soap/envelope/"
#define NGX_HTTP_SESSION_ZM_ADMIN_NS     "urn:zimbraAdmin"
#define NGX_HTTP_SESSION_ZM_REQUEST      "DumpSessionsRequest"

#define NGX_HTTP_SESSION_ZM_HEADER                                           \
    "<soap:Header><context xmlns=\"urn:zimbra\"/></soap:Header>"
#define NGX_HTTP_SESSION_ZM_JSON_HEADER                                      \
    "\"Header\":{\"context\":{\"_jsns\":\"urn:zimbra\"}},"

/* the steps of an answer */
#define NGX_HTTP_SESSION_ZM_START        0
#define NGX_HTTP_SESSION_ZM_TYPE         1
#define NGX_HTTP_SESSION_ZM_NAMED        2
#define NGX_HTTP_SESSION_ZM_ANONYMOUS    3

/* at most this much of a JSON value is shown in a fault */
#define NGX_HTTP_SESSION_ZM_SHOW_MAX     64


typedef struct {
    ngx_uint_t                   format;
    ngx_uint_t                   phase;
    ngx_uint_t                   type;        /* the type being sent */
    ngx_uint_t                   ntypes;      /* type elements sent */
    ngx_uint_t                   nzid;        /* zid elements of the type */
    ngx_uint_t                   nzs;         /* s elements of the zid */
    uint64_t                     total;

    unsigned                     list:1;
    unsigned                     group:1;
    unsigned                     in_zid:1;    /* a zid element is open */
    unsigned                     in_s:1;      /* JSON: an "s" array is open */

    /* the open zid element: it may span batches */
    size_t                       zid_len;
    u_char                       zid[NGX_HTTP_SESSION_ID_MAX];

    ngx_http_session_count_t     counts[NGX_HTTP_SESSION_MAX_TYPES];
} ngx_http_session_zimbra_t;


static void ngx_http_session_zimbra_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_session_zimbra_too_large(ngx_http_request_t *r);
static ngx_int_t ngx_http_session_zimbra_answer(ngx_http_request_t *r,
    ngx_http_session_zimbra_request_t *zr);
static ngx_int_t ngx_http_session_zimbra_produce(ngx_http_request_t *r,
    ngx_http_session_stream_t *st);
static void ngx_http_session_zimbra_head(ngx_http_session_stream_t *st,
    ngx_http_session_zimbra_t *z);
static void ngx_http_session_zimbra_tail(ngx_http_session_stream_t *st,
    ngx_http_session_zimbra_t *z);
static void ngx_http_session_zimbra_type_start(ngx_http_session_stream_t *st,
    ngx_http_session_zimbra_t *z);
static void ngx_http_session_zimbra_type_end(ngx_http_session_stream_t *st,
    ngx_http_session_zimbra_t *z);
static void ngx_http_session_zimbra_record(ngx_http_session_stream_t *st,
    ngx_http_session_zimbra_t *z, ngx_http_session_record_t *rec);
static void ngx_http_session_zimbra_zid_end(ngx_http_session_stream_t *st,
    ngx_http_session_zimbra_t *z);
static void ngx_http_session_zimbra_s(ngx_http_session_stream_t *st,
    ngx_http_session_zimbra_t *z, ngx_http_session_record_t *rec,
    ngx_uint_t account);
static ngx_int_t ngx_http_session_zimbra_fault(ngx_http_request_t *r,
    ngx_uint_t format, ngx_uint_t status, ngx_uint_t header, ngx_uint_t code,
    ngx_str_t *reason);

static ngx_int_t ngx_http_session_zimbra_parse_xml(ngx_pool_t *pool,
    ngx_str_t *body, ngx_http_session_zimbra_request_t *zr);
static ngx_int_t ngx_http_session_zimbra_parse_json(ngx_pool_t *pool,
    ngx_str_t *body, ngx_http_session_zimbra_request_t *zr);
static ngx_uint_t ngx_http_session_zimbra_is(xmlNodePtr node,
    const char *name);
static xmlNodePtr ngx_http_session_zimbra_child(xmlNodePtr parent,
    const char *name);
static ngx_int_t ngx_http_session_zimbra_xml_value(ngx_pool_t *pool,
    xmlNodePtr node, const char *name, ngx_str_t *value);
static json_t *ngx_http_session_zimbra_json_element(json_t *v);
static ngx_int_t ngx_http_session_zimbra_json_value(ngx_pool_t *pool,
    json_t *v, ngx_str_t *value);
static int ngx_http_session_zimbra_json_show(const char *buffer, size_t size,
    void *data);
static void ngx_http_session_zimbra_context(
    ngx_http_session_zimbra_request_t *zr, ngx_int_t rc, ngx_str_t *token,
    ngx_int_t frc, ngx_str_t *format);
static ngx_int_t ngx_http_session_zimbra_flags(ngx_pool_t *pool,
    ngx_http_session_zimbra_request_t *zr, ngx_int_t list_rc,
    ngx_str_t *list, ngx_int_t group_rc, ngx_str_t *group);
static ngx_int_t ngx_http_session_zimbra_flag(ngx_pool_t *pool,
    ngx_http_session_zimbra_request_t *zr, const char *name, ngx_int_t rc,
    ngx_str_t *value, ngx_uint_t *flag);
static ngx_int_t ngx_http_session_zimbra_refuse(ngx_pool_t *pool,
    ngx_http_session_zimbra_request_t *zr, ngx_uint_t code, char *text,
    u_char *detail, size_t len);


static ngx_str_t  ngx_http_session_zimbra_xml_type =
    ngx_string("text/xml; charset=utf-8");
static ngx_str_t  ngx_http_session_zimbra_json_type =
    ngx_string("text/javascript; charset=utf-8");

static ngx_str_t  ngx_http_session_zimbra_cache_name =
    ngx_string("Cache-Control");
static ngx_str_t  ngx_http_session_zimbra_cache_value =
    ngx_string("no-store, no-cache");
static ngx_str_t  ngx_http_session_zimbra_allow_name = ngx_string("Allow");
static ngx_str_t  ngx_http_session_zimbra_allow_value =
    ngx_string("GET, POST");

static char  *ngx_http_session_zimbra_codes[] = {
    "",
    "service.PARSE_ERROR",
    "service.INVALID_REQUEST",
    "service.UNKNOWN_DOCUMENT",
    "service.AUTH_REQUIRED",
    "service.PERM_DENIED"
};


ngx_int_t
ngx_http_session_zimbra_handler(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_str_t                           list, group, reason;
    ngx_str_t                          *lp, *gp;
    ngx_uint_t                          format;
    ngx_http_session_zimbra_request_t   zr;

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {

        rc = ngx_http_discard_request_body(r);

        if (rc != NGX_OK) {
            return rc;
        }

        lp = &list;
        gp = &group;

        rc = ngx_http_session_arg(r, "listSessions", &list);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            lp = NULL;
        }

        rc = ngx_http_session_arg(r, "groupByAccount", &group);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            gp = NULL;
        }

        if (ngx_http_session_zimbra_parse(r->pool, NULL, lp, gp, &zr)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_http_session_accepts_json(r)) {
            zr.request = NGX_HTTP_SESSION_ZIMBRA_JSON;
            zr.response = NGX_HTTP_SESSION_ZIMBRA_JSON;
        }

        return ngx_http_session_zimbra_answer(r, &zr);
    }

    if (!(r->method & NGX_HTTP_POST)) {

        rc = ngx_http_discard_request_body(r);

        if (rc != NGX_OK) {
            return rc;
        }

        format = ngx_http_session_accepts_json(r)
                 ? NGX_HTTP_SESSION_ZIMBRA_JSON
                 : NGX_HTTP_SESSION_ZIMBRA_SOAP12;

        ngx_str_set(&reason, "invalid request: method not allowed: "
                             "POST a DumpSessionsRequest, or GET");

        if (ngx_http_session_add_header(r, &ngx_http_session_zimbra_allow_name,
                                        &ngx_http_session_zimbra_allow_value)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_session_zimbra_fault(r, format, NGX_HTTP_NOT_ALLOWED,
                                     0, NGX_HTTP_SESSION_ZIMBRA_INVALID_REQUEST,
                                     &reason);
    }

    rc = ngx_http_session_read_body(r, ngx_http_session_zimbra_body);

    if (rc == NGX_DECLINED) {
        return ngx_http_session_zimbra_too_large(r);
    }

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_session_zimbra_body(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_str_t                           body;
    ngx_http_session_zimbra_request_t   zr;

    rc = ngx_http_session_body(r, &body);

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_finalize_request(r, ngx_http_session_zimbra_too_large(r));
        return;
    }

    if (ngx_http_session_zimbra_parse(r->pool, &body, NULL, NULL, &zr)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_session_zimbra_answer(r, &zr));
}


/* the body was not read, so its format is unknown: SOAP 1.2 */

static ngx_int_t
ngx_http_session_zimbra_too_large(ngx_http_request_t *r)
{
    u_char                       *p;
    ngx_str_t                     reason;
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    p = ngx_pnalloc(r->pool, 128);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    reason.data = p;
    reason.len = ngx_snprintf(p, 128, "parse error: request payload too "
                              "large: the limit is %uz bytes "
                              "(session_max_body_size)",
                              slcf->max_body_size)
                 - p;

    return ngx_http_session_zimbra_fault(r, NGX_HTTP_SESSION_ZIMBRA_SOAP12,
                                         NGX_HTTP_INTERNAL_SERVER_ERROR, 0,
                                         NGX_HTTP_SESSION_ZIMBRA_PARSE_ERROR,
                                         &reason);
}


/*
 * Zimbra's order: a request that does not parse or names another
 * document is refused whoever sends it; then the caller must be an
 * admin; only then are the attributes read.
 */

static ngx_int_t
ngx_http_session_zimbra_answer(ngx_http_request_t *r,
    ngx_http_session_zimbra_request_t *zr)
{
    ngx_str_t                     reason;
    ngx_uint_t                    i, admin;
    ngx_http_session_ctx_t       *caller;
    ngx_http_session_zone_t      *zone;
    ngx_http_session_stream_t    *st;
    ngx_http_session_zimbra_t    *z;
    ngx_http_session_loc_conf_t  *slcf;

    if (zr->fault) {
        return ngx_http_session_zimbra_fault(r, zr->response,
                                             NGX_HTTP_INTERNAL_SERVER_ERROR,
                                             zr->header, zr->fault,
                                             &zr->reason);
    }

    if (ngx_http_session_endpoint_caller(r, &zr->token, &caller, &admin)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!admin) {
        if (caller == NULL) {
            ngx_str_set(&reason, "no valid authtoken present");

            return ngx_http_session_zimbra_fault(r, zr->response,
                                        NGX_HTTP_INTERNAL_SERVER_ERROR, 1,
                                        NGX_HTTP_SESSION_ZIMBRA_AUTH_REQUIRED,
                                        &reason);
        }

        ngx_str_set(&reason, "permission denied: need adequate admin token");

        return ngx_http_session_zimbra_fault(r, zr->response,
                                        NGX_HTTP_INTERNAL_SERVER_ERROR, 1,
                                        NGX_HTTP_SESSION_ZIMBRA_PERM_DENIED,
                                        &reason);
    }

    if (zr->invalid.len) {
        return ngx_http_session_zimbra_fault(r, zr->response,
                                     NGX_HTTP_INTERNAL_SERVER_ERROR, 1,
                                     NGX_HTTP_SESSION_ZIMBRA_INVALID_REQUEST,
                                     &zr->invalid);
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);
    zone = slcf->endpoint->data;

    st = ngx_http_session_stream_create(r, zone,
                                        ngx_http_session_zimbra_produce);
    if (st == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    z = ngx_pcalloc(r->pool, sizeof(ngx_http_session_zimbra_t));
    if (z == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    z->format = zr->response;
    z->list = zr->list;
    z->group = zr->list && zr->group;

    /* one snapshot: the attributes go out before the listing */

    ngx_http_session_counts(zone, z->counts);

    for (i = 0; i < NGX_HTTP_SESSION_ZIMBRA_TYPES; i++) {
        z->total += z->counts[i].sessions;
    }

    st->data = z;

    if (z->list && ngx_http_session_stream_batch(st) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_session_add_header(r, &ngx_http_session_zimbra_cache_name,
                                    &ngx_http_session_zimbra_cache_value)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_session_stream_start(r, st, NGX_HTTP_OK,
                          (z->format == NGX_HTTP_SESSION_ZIMBRA_JSON)
                          ? &ngx_http_session_zimbra_json_type
                          : &ngx_http_session_zimbra_xml_type);
}


/* each call reads at most one batch out of the zone */

static ngx_int_t
ngx_http_session_zimbra_produce(ngx_http_request_t *r,
    ngx_http_session_stream_t *st)
{
    ngx_uint_t                  i;
    ngx_http_session_zimbra_t  *z;

    z = st->data;

    for ( ;; ) {

        switch (z->phase) {

        case NGX_HTTP_SESSION_ZM_START:
            ngx_http_session_zimbra_head(st, z);
            z->phase = NGX_HTTP_SESSION_ZM_TYPE;
            break;

        case NGX_HTTP_SESSION_ZM_TYPE:

            while (z->type < NGX_HTTP_SESSION_ZIMBRA_TYPES
                   && z->counts[z->type].sessions == 0)
            {
                z->type++;
            }

            if (z->type == NGX_HTTP_SESSION_ZIMBRA_TYPES) {
                ngx_http_session_zimbra_tail(st, z);
                return NGX_DONE;
            }

            ngx_http_session_zimbra_type_start(st, z);

            if (!z->list) {
                z->type++;
                break;
            }

            ngx_memzero(&st->cursor, sizeof(ngx_http_session_cursor_t));
            st->cursor.walk = NGX_HTTP_SESSION_WALK_TYPE;
            st->cursor.type = z->type;

            z->phase = NGX_HTTP_SESSION_ZM_NAMED;
            break;

        default: /* NGX_HTTP_SESSION_ZM_NAMED, NGX_HTTP_SESSION_ZM_ANONYMOUS */

            if (ngx_http_session_read(st->zone, &st->cursor, &st->batch)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            for (i = 0; i < st->batch.nrecords; i++) {
                ngx_http_session_zimbra_record(st, z, &st->batch.records[i]);
            }

            if (!st->cursor.done) {
                return NGX_OK;
            }

            if (z->phase == NGX_HTTP_SESSION_ZM_NAMED) {
                ngx_http_session_zimbra_zid_end(st, z);

                if (z->nzid && z->format == NGX_HTTP_SESSION_ZIMBRA_JSON) {
                    ngx_http_session_stream_str(st, "]");
                }

                if (z->counts[z->type].anonymous) {
                    ngx_memzero(&st->cursor,
                                sizeof(ngx_http_session_cursor_t));
                    st->cursor.walk = NGX_HTTP_SESSION_WALK_ANONYMOUS;
                    st->cursor.type = z->type;

                    z->phase = NGX_HTTP_SESSION_ZM_ANONYMOUS;
                    return NGX_OK;
                }
            }

            ngx_http_session_zimbra_type_end(st, z);

            z->type++;
            z->phase = NGX_HTTP_SESSION_ZM_TYPE;

            return NGX_OK;
        }
    }
}


static void
ngx_http_session_zimbra_head(ngx_http_session_stream_t *st,
    ngx_http_session_zimbra_t *z)
{
    if (z->format == NGX_HTTP_SESSION_ZIMBRA_JSON) {
        ngx_http_session_stream_str(st, "{" NGX_HTTP_SESSION_ZM_JSON_HEADER
                                    "\"Body\":{\"DumpSessionsResponse\":{");
        return;
    }

    if (z->format == NGX_HTTP_SESSION_ZIMBRA_SOAP11) {
        ngx_http_session_stream_str(st, "<soap:Envelope xmlns:soap=\""
                                    NGX_HTTP_SESSION_ZM_SOAP11_NS "\">");

    } else {
        ngx_http_session_stream_str(st, "<soap:Envelope xmlns:soap=\""
                                    NGX_HTTP_SESSION_ZM_SOAP12_NS "\">");
    }

    /* python-zimbra takes Body.firstChild: no white space anywhere */

    ngx_http_session_stream_printf(st, 256,
                                   NGX_HTTP_SESSION_ZM_HEADER "<soap:Body>"
                                   "<DumpSessionsResponse xmlns=\""
                                   NGX_HTTP_SESSION_ZM_ADMIN_NS "\" "
                                   "activeSessions=\"%uL\"%s",
                                   z->total, z->total ? ">" : "/>");
}


static void
ngx_http_session_zimbra_tail(ngx_http_session_stream_t *st,
    ngx_http_session_zimbra_t *z)
{
    if (z->format == NGX_HTTP_SESSION_ZIMBRA_JSON) {
        ngx_http_session_stream_printf(st, 128,
                                       "%s\"activeSessions\":%uL,"
                                       "\"_jsns\":\""
                                       NGX_HTTP_SESSION_ZM_ADMIN_NS "\"}},"
                                       "\"_jsns\":\"urn:zimbraSoap\"}",
                                       z->ntypes ? "," : "", z->total);
        return;
    }

    if (z->total) {
        ngx_http_session_stream_str(st, "</DumpSessionsResponse>");
    }

    ngx_http_session_stream_str(st, "</soap:Body></soap:Envelope>");
}


/*
 * The order of the counters follows DumpSessions: a count is
 * activeAccounts, activeSessions; a listing activeSessions first.
 */

static void
ngx_http_session_zimbra_type_start(ngx_http_session_stream_t *st,
    ngx_http_session_zimbra_t *z)
{
    ngx_str_t                 *name;
    ngx_http_session_count_t  *c;

    name = &ngx_http_session_zimbra_types[z->type];
    c = &z->counts[z->type];

    z->nzid = 0;
    z->in_zid = 0;
    z->in_s = 0;

    if (z->format == NGX_HTTP_SESSION_ZIMBRA_JSON) {

        if (z->list) {
            ngx_http_session_stream_printf(st, 128,
                                           "%s\"%V\":[{\"activeSessions\":%uL,"
                                           "\"activeAccounts\":%uL",
                                           z->ntypes ? "," : "", name,
                                           c->sessions, c->accounts);
        } else {
            ngx_http_session_stream_printf(st, 128,
                                           "%s\"%V\":[{\"activeAccounts\":%uL,"
                                           "\"activeSessions\":%uL}]",
                                           z->ntypes ? "," : "", name,
                                           c->accounts, c->sessions);
        }

    } else if (z->list) {
        ngx_http_session_stream_printf(st, 128,
                                       "<%V activeSessions=\"%uL\" "
                                       "activeAccounts=\"%uL\">",
                                       name, c->sessions, c->accounts);

    } else {
        ngx_http_session_stream_printf(st, 128,
                                       "<%V activeAccounts=\"%uL\" "
                                       "activeSessions=\"%uL\"/>",
                                       name, c->accounts, c->sessions);
    }

    z->ntypes++;
}


static void
ngx_http_session_zimbra_type_end(ngx_http_session_stream_t *st,
    ngx_http_session_zimbra_t *z)
{
    if (z->format == NGX_HTTP_SESSION_ZIMBRA_JSON) {

        if (z->in_s) {
            ngx_http_session_stream_str(st, "]");
            z->in_s = 0;
        }

        ngx_http_session_stream_str(st, "}]");
        return;
    }

    ngx_http_session_stream_printf(st, 64, "</%V>",
                                   &ngx_http_session_zimbra_types[z->type]);
}


/*
 * Grouped, the records of one account come one after the other
 * (WALK_TYPE), so a zid element stays open until the account changes,
 * across batches if need be.
 */

static void
ngx_http_session_zimbra_record(ngx_http_session_stream_t *st,
    ngx_http_session_zimbra_t *z, ngx_http_session_record_t *rec)
{
    ngx_str_t   *name;
    ngx_uint_t   json;

    json = (z->format == NGX_HTTP_SESSION_ZIMBRA_JSON);

    if (!z->group || rec->id.len == 0) {

        if (json) {
            if (z->in_s) {
                ngx_http_session_stream_str(st, ",");

            } else {
                ngx_http_session_stream_str(st, ",\"s\":[");
                z->in_s = 1;
            }
        }

        ngx_http_session_zimbra_s(st, z, rec, rec->id.len != 0);
        return;
    }

    if (!z->in_zid
        || rec->id.len != z->zid_len
        || ngx_memcmp(rec->id.data, z->zid, z->zid_len) != 0)
    {
        ngx_http_session_zimbra_zid_end(st, z);

        /* Zimbra names an account it cannot find by its id */
        name = rec->name.len ? &rec->name : &rec->id;

        if (json) {
            if (z->nzid) {
                ngx_http_session_stream_str(st, ",{\"name\":\"");

            } else {
                ngx_http_session_stream_str(st, ",\"zid\":[{\"name\":\"");
            }

            ngx_http_session_stream_json(st, name);
            ngx_http_session_stream_str(st, "\",\"id\":\"");
            ngx_http_session_stream_json(st, &rec->id);
            ngx_http_session_stream_str(st, "\",\"s\":[");

        } else {
            ngx_http_session_stream_str(st, "<zid name=\"");
            ngx_http_session_stream_xml(st, name);
            ngx_http_session_stream_str(st, "\" id=\"");
            ngx_http_session_stream_xml(st, &rec->id);
            ngx_http_session_stream_str(st, "\">");
        }

        z->nzid++;
        z->nzs = 0;
        z->in_zid = 1;
        z->zid_len = ngx_min(rec->id.len, NGX_HTTP_SESSION_ID_MAX);
        ngx_memcpy(z->zid, rec->id.data, z->zid_len);
    }

    if (json && z->nzs) {
        ngx_http_session_stream_str(st, ",");
    }

    z->nzs++;

    ngx_http_session_zimbra_s(st, z, rec, 0);
}


/* closes the open zid element, if any */

static void
ngx_http_session_zimbra_zid_end(ngx_http_session_stream_t *st,
    ngx_http_session_zimbra_t *z)
{
    if (!z->in_zid) {
        return;
    }

    z->in_zid = 0;

    if (z->format == NGX_HTTP_SESSION_ZIMBRA_JSON) {
        ngx_http_session_stream_str(st, "]}");
        return;
    }

    ngx_http_session_stream_str(st, "</zid>");
}


static void
ngx_http_session_zimbra_s(ngx_http_session_stream_t *st,
    ngx_http_session_zimbra_t *z, ngx_http_session_record_t *rec,
    ngx_uint_t account)
{
    ngx_str_t  *name;

    name = rec->name.len ? &rec->name : &rec->id;

    if (z->format == NGX_HTTP_SESSION_ZIMBRA_JSON) {

        if (account) {
            ngx_http_session_stream_str(st, "{\"zid\":\"");
            ngx_http_session_stream_json(st, &rec->id);
            ngx_http_session_stream_str(st, "\",\"name\":\"");
            ngx_http_session_stream_json(st, name);
            ngx_http_session_stream_str(st, "\",\"sid\":\"");

        } else {
            ngx_http_session_stream_str(st, "{\"sid\":\"");
        }

        ngx_http_session_stream_sid(st, rec->digest);
        ngx_http_session_stream_printf(st, 64, "\",\"cd\":%L,\"ld\":%L}",
                                       rec->created, rec->last);
        return;
    }

    if (account) {
        ngx_http_session_stream_str(st, "<s zid=\"");
        ngx_http_session_stream_xml(st, &rec->id);
        ngx_http_session_stream_str(st, "\" name=\"");
        ngx_http_session_stream_xml(st, name);
        ngx_http_session_stream_str(st, "\" sid=\"");

    } else {
        ngx_http_session_stream_str(st, "<s sid=\"");
    }

    ngx_http_session_stream_sid(st, rec->digest);
    ngx_http_session_stream_printf(st, 64, "\" cd=\"%L\" ld=\"%L\"/>",
                                   rec->created, rec->last);
}


/*
 * A fault as SoapEngine sends it: HTTP 500 (405 for a method), with the
 * response header when the request got as far as a SOAP context; the
 * Trace is what Zimbra's is, thread:time:id, here pid:ms:connection.
 */

static ngx_int_t
ngx_http_session_zimbra_fault(ngx_http_request_t *r, ngx_uint_t format,
    ngx_uint_t status, ngx_uint_t header, ngx_uint_t code, ngx_str_t *reason)
{
    u_char     *p, *trace, *last;
    size_t      len;
    ngx_str_t   body, *type;

    trace = ngx_pnalloc(r->pool, 64);
    if (trace == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = ngx_snprintf(trace, 64, "nginx-%P:%L:%uA", ngx_pid,
                        ngx_http_session_now(), r->connection->number);

    len = 1024 + (last - trace)
          + ngx_max(ngx_http_session_escape_xml_len(reason->data,
                                                    reason->len),
                    ngx_http_session_escape_json_len(reason->data,
                                                     reason->len));

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = p;

    if (format == NGX_HTTP_SESSION_ZIMBRA_JSON) {
        type = &ngx_http_session_zimbra_json_type;

        p = ngx_sprintf(p, "{%s\"Body\":{\"Fault\":{\"Code\":{\"Value\":"
                        "\"soap:Sender\"},\"Reason\":{\"Text\":\"",
                        header ? NGX_HTTP_SESSION_ZM_JSON_HEADER : "");
        p = ngx_http_session_escape_json(p, reason->data, reason->len);
        p = ngx_sprintf(p, "\"},\"Detail\":{\"Error\":{\"Code\":\"%s\","
                        "\"Trace\":\"%*s\",\"_jsns\":\"urn:zimbra\"}}}},"
                        "\"_jsns\":\"urn:zimbraSoap\"}",
                        ngx_http_session_zimbra_codes[code],
                        (size_t) (last - trace), trace);

    } else {
        type = &ngx_http_session_zimbra_xml_type;

        p = ngx_sprintf(p, "<soap:Envelope xmlns:soap=\"%s\">%s"
                        "<soap:Body><soap:Fault>",
                        (format == NGX_HTTP_SESSION_ZIMBRA_SOAP11)
                        ? NGX_HTTP_SESSION_ZM_SOAP11_NS
                        : NGX_HTTP_SESSION_ZM_SOAP12_NS,
                        header ? NGX_HTTP_SESSION_ZM_HEADER : "");

        if (format == NGX_HTTP_SESSION_ZIMBRA_SOAP11) {
            p = ngx_cpymem(p, "<faultcode>soap:Client</faultcode>"
                           "<faultstring>",
                           sizeof("<faultcode>soap:Client</faultcode>"
                                  "<faultstring>") - 1);
            p = ngx_http_session_escape_xml(p, reason->data, reason->len);
            p = ngx_cpymem(p, "</faultstring><detail>",
                           sizeof("</faultstring><detail>") - 1);

        } else {
            p = ngx_cpymem(p, "<soap:Code><soap:Value>soap:Sender"
                           "</soap:Value></soap:Code><soap:Reason>"
                           "<soap:Text>",
                           sizeof("<soap:Code><soap:Value>soap:Sender"
                                  "</soap:Value></soap:Code><soap:Reason>"
                                  "<soap:Text>") - 1);
            p = ngx_http_session_escape_xml(p, reason->data, reason->len);
            p = ngx_cpymem(p, "</soap:Text></soap:Reason><soap:Detail>",
                           sizeof("</soap:Text></soap:Reason><soap:Detail>")
                           - 1);
        }

        p = ngx_sprintf(p, "<Error xmlns=\"urn:zimbra\"><Code>%s</Code>"
                        "<Trace>%*s</Trace></Error>%s</soap:Fault>"
                        "</soap:Body></soap:Envelope>",
                        ngx_http_session_zimbra_codes[code],
                        (size_t) (last - trace), trace,
                        (format == NGX_HTTP_SESSION_ZIMBRA_SOAP11)
                        ? "</detail>" : "</soap:Detail>");
    }

    body.len = p - body.data;

    if (ngx_http_session_add_header(r, &ngx_http_session_zimbra_cache_name,
                                    &ngx_http_session_zimbra_cache_value)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_session_send(r, status, type, &body);
}


/*
 * The request: "body" is a POST body, the format chosen by its first
 * byte as SoapEngine does ('<' is XML); with "body" NULL, "list" and
 * "group" are the GET arguments (NULL when absent).  NGX_ERROR only
 * when memory runs out; a refusal is a fault in "zr".
 */

ngx_int_t
ngx_http_session_zimbra_parse(ngx_pool_t *pool, ngx_str_t *body,
    ngx_str_t *list, ngx_str_t *group, ngx_http_session_zimbra_request_t *zr)
{
    ngx_memzero(zr, sizeof(ngx_http_session_zimbra_request_t));

    if (body == NULL) {
        return ngx_http_session_zimbra_flags(pool, zr,
                                             list ? NGX_OK : NGX_DECLINED,
                                             list,
                                             group ? NGX_OK : NGX_DECLINED,
                                             group);
    }

    if (body->len == 0) {
        return ngx_http_session_zimbra_refuse(pool, zr,
                                          NGX_HTTP_SESSION_ZIMBRA_PARSE_ERROR,
                                          "parse error: empty request payload",
                                          NULL, 0);
    }

    if (body->data[0] == '<') {
        return ngx_http_session_zimbra_parse_xml(pool, body, zr);
    }

    zr->request = NGX_HTTP_SESSION_ZIMBRA_JSON;
    zr->response = NGX_HTTP_SESSION_ZIMBRA_JSON;

    return ngx_http_session_zimbra_parse_json(pool, body, zr);
}


static ngx_int_t
ngx_http_session_zimbra_parse_xml(ngx_pool_t *pool, ngx_str_t *body,
    ngx_http_session_zimbra_request_t *zr)
{
    u_char       *p;
    size_t        len;
    xmlDocPtr     doc;
    ngx_int_t     rc, frc, grc;
    ngx_str_t     error, token, format, value, group;
    xmlNodePtr    root, node, header, sbody, req, ctx, fmt;
    const char   *ns;

    doc = ngx_http_session_parse_xml(pool, body, &error);

    if (doc == NULL) {
        return ngx_http_session_zimbra_refuse(pool, zr,
                                          NGX_HTTP_SESSION_ZIMBRA_PARSE_ERROR,
                                          "parse error: ",
                                          error.data, error.len);
    }

    root = xmlDocGetRootElement(doc);

    ns = (root && root->ns && root->ns->href) ? (char *) root->ns->href : "";

    if (root == NULL || !ngx_http_session_zimbra_is(root, "Envelope")
        || (ngx_strcmp(ns, NGX_HTTP_SESSION_ZM_SOAP12_NS) != 0
            && ngx_strcmp(ns, NGX_HTTP_SESSION_ZM_SOAP11_NS) != 0))
    {
        return ngx_http_session_zimbra_refuse(pool, zr,
                                      NGX_HTTP_SESSION_ZIMBRA_INVALID_REQUEST,
                                      "invalid request: unable to determine "
                                      "SOAP version", NULL, 0);
    }

    if (ngx_strcmp(ns, NGX_HTTP_SESSION_ZM_SOAP11_NS) == 0) {
        zr->request = NGX_HTTP_SESSION_ZIMBRA_SOAP11;
        zr->response = NGX_HTTP_SESSION_ZIMBRA_SOAP11;
    }

    /* Header and Body in the envelope's namespace */

    header = NULL;
    sbody = NULL;

    for (node = root->children; node; node = node->next) {

        if (node->type != XML_ELEMENT_NODE
            || node->ns == NULL || node->ns->href == NULL
            || ngx_strcmp(node->ns->href, ns) != 0)
        {
            continue;
        }

        if (header == NULL && ngx_http_session_zimbra_is(node, "Header")) {
            header = node;

        } else if (sbody == NULL && ngx_http_session_zimbra_is(node, "Body")) {
            sbody = node;
        }
    }

    req = NULL;

    if (sbody) {
        for (req = sbody->children; req; req = req->next) {
            if (req->type == XML_ELEMENT_NODE) {
                break;
            }
        }
    }

    if (req == NULL) {
        return ngx_http_session_zimbra_refuse(pool, zr,
                                      NGX_HTTP_SESSION_ZIMBRA_INVALID_REQUEST,
                                      "invalid request: No SOAP body",
                                      NULL, 0);
    }

    /*
     * The context, and its children, by local name: PHP's SoapClient
     * sends an unqualified authToken inside a prefixed context.
     */

    ctx = header ? ngx_http_session_zimbra_child(header, "context") : NULL;

    rc = NGX_DECLINED;
    frc = NGX_DECLINED;

    if (ctx) {
        rc = ngx_http_session_zimbra_xml_value(pool, ctx, "authToken",
                                               &token);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        fmt = ngx_http_session_zimbra_child(ctx, "format");

        if (fmt) {
            frc = ngx_http_session_zimbra_xml_value(pool, fmt, "type",
                                                    &format);
            if (frc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (frc == NGX_DECLINED) {
                ngx_str_set(&format, "xml");
                frc = NGX_OK;
            }
        }
    }

    ngx_http_session_zimbra_context(zr, rc, &token, frc, &format);

    /* the document: urn:zimbraAdmin, or no namespace at all */

    if (!ngx_http_session_zimbra_is(req, NGX_HTTP_SESSION_ZM_REQUEST)
        || (req->ns && req->ns->href
            && ngx_strcmp(req->ns->href, NGX_HTTP_SESSION_ZM_ADMIN_NS) != 0))
    {
        len = ngx_strlen(req->name);

        if (req->ns && req->ns->prefix) {
            len += ngx_strlen(req->ns->prefix) + 1;
        }

        p = ngx_pnalloc(pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        value.data = p;

        if (req->ns && req->ns->prefix) {
            p = ngx_sprintf(p, "%s:", req->ns->prefix);
        }

        p = ngx_cpymem(p, req->name, ngx_strlen(req->name));
        value.len = p - value.data;

        zr->header = 1;

        return ngx_http_session_zimbra_refuse(pool, zr,
                                      NGX_HTTP_SESSION_ZIMBRA_UNKNOWN_DOCUMENT,
                                      "unknown document: ",
                                      value.data, value.len);
    }

    rc = ngx_http_session_zimbra_xml_value(pool, req, "listSessions", &value);
    grc = ngx_http_session_zimbra_xml_value(pool, req, "groupByAccount",
                                            &group);

    return ngx_http_session_zimbra_flags(pool, zr, rc, &value, grc, &group);
}


static ngx_int_t
ngx_http_session_zimbra_parse_json(ngx_pool_t *pool, ngx_str_t *body,
    ngx_http_session_zimbra_request_t *zr)
{
    json_t      *root, *jbody, *header, *ctx, *fmt, *req, *v, *ns;
    ngx_int_t    rc, frc, grc;
    ngx_str_t    error, token, format, value, group;
    const char  *key, *name;

    root = ngx_http_session_parse_json(pool, body, &error);

    if (root == NULL) {
        return ngx_http_session_zimbra_refuse(pool, zr,
                                          NGX_HTTP_SESSION_ZIMBRA_PARSE_ERROR,
                                          "parse error: ",
                                          error.data, error.len);
    }

    if (!json_is_object(root)) {
        return ngx_http_session_zimbra_refuse(pool, zr,
                                          NGX_HTTP_SESSION_ZIMBRA_PARSE_ERROR,
                                          "parse error: a SOAP JSON request "
                                          "is an object", NULL, 0);
    }

    /* the document: the first element of Body, in document order */

    req = NULL;
    name = NULL;
    jbody = json_object_get(root, "Body");

    if (json_is_object(jbody)) {
        json_object_foreach(jbody, key, v) {

            if (key[0] == '_') {
                continue;
            }

            req = ngx_http_session_zimbra_json_element(v);

            if (req) {
                name = key;
                break;
            }
        }
    }

    if (req == NULL) {
        return ngx_http_session_zimbra_refuse(pool, zr,
                                      NGX_HTTP_SESSION_ZIMBRA_INVALID_REQUEST,
                                      "invalid request: No SOAP body",
                                      NULL, 0);
    }

    header = json_object_get(root, "Header");
    ctx = json_is_object(header)
          ? ngx_http_session_zimbra_json_element(json_object_get(header,
                                                                 "context"))
          : NULL;

    rc = NGX_DECLINED;
    frc = NGX_DECLINED;

    if (ctx) {
        rc = ngx_http_session_zimbra_json_value(pool,
                                                json_object_get(ctx,
                                                                "authToken"),
                                                &token);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        fmt = ngx_http_session_zimbra_json_element(json_object_get(ctx,
                                                                   "format"));
        if (fmt) {
            frc = ngx_http_session_zimbra_json_value(pool,
                                                     json_object_get(fmt,
                                                                     "type"),
                                                     &format);
            if (frc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (frc == NGX_DECLINED) {
                ngx_str_set(&format, "xml");
                frc = NGX_OK;
            }
        }
    }

    ngx_http_session_zimbra_context(zr, rc, &token, frc, &format);

    ns = json_object_get(req, "_jsns");

    if (ngx_strcmp(name, NGX_HTTP_SESSION_ZM_REQUEST) != 0
        || (ns && (!json_is_string(ns)
                   || ngx_strcmp(json_string_value(ns),
                                 NGX_HTTP_SESSION_ZM_ADMIN_NS)
                      != 0)))
    {
        zr->header = 1;

        return ngx_http_session_zimbra_refuse(pool, zr,
                                      NGX_HTTP_SESSION_ZIMBRA_UNKNOWN_DOCUMENT,
                                      "unknown document: ",
                                      (u_char *) name, ngx_strlen(name));
    }

    rc = ngx_http_session_zimbra_json_value(pool,
                                            json_object_get(req,
                                                            "listSessions"),
                                            &value);
    grc = ngx_http_session_zimbra_json_value(pool,
                                             json_object_get(req,
                                                             "groupByAccount"),
                                             &group);

    return ngx_http_session_zimbra_flags(pool, zr, rc, &value, grc, &group);
}


static ngx_uint_t
ngx_http_session_zimbra_is(xmlNodePtr node, const char *name)
{
    return node->name && ngx_strcmp(node->name, name) == 0;
}


/* the first child element of that local name, whatever its namespace */

static xmlNodePtr
ngx_http_session_zimbra_child(xmlNodePtr parent, const char *name)
{
    xmlNodePtr  node;

    for (node = parent->children; node; node = node->next) {
        if (node->type == XML_ELEMENT_NODE
            && ngx_http_session_zimbra_is(node, name))
        {
            return node;
        }
    }

    return NULL;
}


/*
 * Zimbra's Element.getAttribute() on XML: an attribute, else the text of
 * a child element of that name.  NGX_DECLINED: neither.
 */

static ngx_int_t
ngx_http_session_zimbra_xml_value(ngx_pool_t *pool, xmlNodePtr node,
    const char *name, ngx_str_t *value)
{
    size_t       len;
    xmlChar     *s;
    xmlNodePtr   child;

    s = xmlGetNoNsProp(node, (const xmlChar *) name);

    if (s == NULL) {
        child = ngx_http_session_zimbra_child(node, name);

        if (child == NULL) {
            return NGX_DECLINED;
        }

        s = xmlNodeGetContent(child);

        if (s == NULL) {
            return NGX_ERROR;
        }
    }

    len = ngx_strlen(s);

    value->data = ngx_pnalloc(pool, len + 1);
    if (value->data == NULL) {
        xmlFree(s);
        return NGX_ERROR;
    }

    ngx_memcpy(value->data, s, len + 1);
    value->len = len;

    xmlFree(s);

    return NGX_OK;
}


/* an element: an object, or the first of an array of them */

static json_t *
ngx_http_session_zimbra_json_element(json_t *v)
{
    if (json_is_array(v) && json_array_size(v)) {
        v = json_array_get(v, 0);
    }

    return json_is_object(v) ? v : NULL;
}


/*
 * Zimbra's Element.getAttribute() on JSON: a scalar, {"_content": ...},
 * or an array of these (the first).  NGX_DECLINED: absent or null;
 * NGX_ABORT: not a scalar, and "value" shows what it was.
 */

static ngx_int_t
ngx_http_session_zimbra_json_value(ngx_pool_t *pool, json_t *v,
    ngx_str_t *value)
{
    u_char  *p;
    json_t  *orig;

    if (v == NULL || json_is_null(v)) {
        return NGX_DECLINED;
    }

    orig = v;

    if (json_is_array(v)) {
        if (json_array_size(v) == 0) {
            return NGX_DECLINED;
        }

        v = json_array_get(v, 0);
    }

    if (json_is_object(v)) {
        v = json_object_get(v, "_content");

        if (v == NULL) {
            goto unusable;
        }
    }

    switch (json_typeof(v)) {

    case JSON_STRING:
        value->data = (u_char *) json_string_value(v);
        value->len = json_string_length(v);
        return NGX_OK;

    case JSON_TRUE:
        ngx_str_set(value, "true");
        return NGX_OK;

    case JSON_FALSE:
        ngx_str_set(value, "false");
        return NGX_OK;

    case JSON_INTEGER:
        p = ngx_pnalloc(pool, NGX_INT64_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        value->data = p;
        value->len = ngx_sprintf(p, "%L", (int64_t) json_integer_value(v))
                     - p;
        return NGX_OK;

    case JSON_NULL:
        return NGX_DECLINED;

    default:
        break;
    }

unusable:

    p = ngx_pnalloc(pool, NGX_HTTP_SESSION_ZM_SHOW_MAX + sizeof("...") - 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    value->data = p;
    value->len = 0;

    if (json_dump_callback(orig, ngx_http_session_zimbra_json_show, value,
                           JSON_COMPACT|JSON_ENCODE_ANY)
        != 0
        && value->len == NGX_HTTP_SESSION_ZM_SHOW_MAX)
    {
        p = ngx_cpymem(p + value->len, "...", sizeof("...") - 1);
        value->len = p - value->data;
    }

    if (value->len == 0) {
        *p = '?';
        value->len = 1;
    }

    return NGX_ABORT;
}


/*
 * Collects the first bytes of a value's JSON text, and stops the dump
 * once they are all there: the text may be as long as the body.
 */

static int
ngx_http_session_zimbra_json_show(const char *buffer, size_t size,
    void *data)
{
    ngx_str_t  *value = data;

    size_t  n;

    n = ngx_min(size, NGX_HTTP_SESSION_ZM_SHOW_MAX - value->len);

    ngx_memcpy(value->data + value->len, buffer, n);
    value->len += n;

    return (n < size) ? -1 : 0;
}


/*
 * What the SOAP context asks for: the caller's token (an unusable one
 * is ignored, and so is white space around it) and the answer's
 * format, as ZimbraSoapContext reads them.  From here on faults go out
 * in the answer's format.
 */

static void
ngx_http_session_zimbra_context(ngx_http_session_zimbra_request_t *zr,
    ngx_int_t rc, ngx_str_t *token, ngx_int_t frc, ngx_str_t *format)
{
    u_char  *p, *last;

    if (rc == NGX_OK) {
        p = token->data;
        last = p + token->len;

        while (p < last && (*p == ' ' || *p == '\t' || *p == '\r'
                            || *p == '\n'))
        {
            p++;
        }

        while (last > p && (last[-1] == ' ' || last[-1] == '\t'
                            || last[-1] == '\r' || last[-1] == '\n'))
        {
            last--;
        }

        zr->token.data = p;
        zr->token.len = last - p;
    }

    if (frc != NGX_OK) {
        return;
    }

    if (format->len == 2 && ngx_strncmp(format->data, "js", 2) == 0) {
        zr->response = NGX_HTTP_SESSION_ZIMBRA_JSON;

    } else if (format->len == 3 && ngx_strncmp(format->data, "xml", 3) == 0
               && zr->request == NGX_HTTP_SESSION_ZIMBRA_JSON)
    {
        zr->response = NGX_HTTP_SESSION_ZIMBRA_SOAP12;
    }
}


/*
 * listSessions and groupByAccount, each as the value getter found it
 * ("rc": NGX_OK, NGX_DECLINED when absent, NGX_ABORT when unusable,
 * NGX_ERROR when out of memory), in the order Zimbra reads them.
 */

static ngx_int_t
ngx_http_session_zimbra_flags(ngx_pool_t *pool,
    ngx_http_session_zimbra_request_t *zr, ngx_int_t list_rc,
    ngx_str_t *list, ngx_int_t group_rc, ngx_str_t *group)
{
    ngx_uint_t  flag;

    if (ngx_http_session_zimbra_flag(pool, zr, "listSessions", list_rc, list,
                                     &flag)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    zr->list = flag;

    if (ngx_http_session_zimbra_flag(pool, zr, "groupByAccount", group_rc,
                                     group, &flag)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    zr->group = flag;

    return NGX_OK;
}


/*
 * An attribute read with Zimbra's parseBool; the first bad one is
 * reported, after the caller has been checked.
 */

static ngx_int_t
ngx_http_session_zimbra_flag(ngx_pool_t *pool,
    ngx_http_session_zimbra_request_t *zr, const char *name, ngx_int_t rc,
    ngx_str_t *value, ngx_uint_t *flag)
{
    size_t     len;
    u_char    *p;
    ngx_int_t  b;

    *flag = 0;

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return NGX_OK;
    }

    if (rc == NGX_OK) {
        b = ngx_http_session_bool(value);

        if (b != NGX_ERROR) {
            *flag = (ngx_uint_t) b;
            return NGX_OK;
        }
    }

    if (zr->invalid.len) {
        return NGX_OK;
    }

    len = sizeof("invalid request: invalid boolean value '' for attribute: ")
          - 1 + value->len + ngx_strlen(name);

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    zr->invalid.data = p;
    zr->invalid.len = ngx_sprintf(p, "invalid request: invalid boolean value "
                                  "'%V' for attribute: %s", value, name)
                      - p;

    return NGX_OK;
}


/* a fault for everyone: "text" and "len" bytes of "detail" after it */

static ngx_int_t
ngx_http_session_zimbra_refuse(ngx_pool_t *pool,
    ngx_http_session_zimbra_request_t *zr, ngx_uint_t code, char *text,
    u_char *detail, size_t len)
{
    u_char  *p;
    size_t   n;

    n = ngx_strlen(text);

    p = ngx_pnalloc(pool, n + len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    zr->fault = code;
    zr->reason.data = p;

    p = ngx_cpymem(p, text, n);

    if (len) {
        p = ngx_cpymem(p, detail, len);
    }

    zr->reason.len = p - zr->reason.data;

    return NGX_OK;
}
