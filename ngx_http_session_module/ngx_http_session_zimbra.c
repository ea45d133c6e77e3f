
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_endpoint.h"


/*
 * Zimbra's admin DumpSessionsRequest: the sessions of the zone per
 * Zimbra session type, counted, listed, or listed by account, in SOAP
 * 1.2 (or 1.1) XML or in Zimbra's SOAP JSON, as SoapEngine and
 * DumpSessions answer it.  Types go out in Zimbra's order, each type's
 * named accounts first (WALK_TYPE), then its sessions without an
 * account (WALK_ANONYMOUS), one batch per step, formatted outside the
 * lock.  Requests are read by ngx_http_session_zimbra_parse.c.  Calls
 * the request parser, the caller check and streams (ngx_http_session_
 * endpoint.c, _stream.c, _body.c) and the store's read() and counts().
 */


#define NGX_HTTP_SESSION_ZM_HEADER                                           \
    "<soap:Header><context xmlns=\"urn:zimbra\"/></soap:Header>"
#define NGX_HTTP_SESSION_ZM_JSON_HEADER                                      \
    "\"Header\":{\"context\":{\"_jsns\":\"urn:zimbra\"}},"

/* the steps of an answer */
#define NGX_HTTP_SESSION_ZM_START        0
#define NGX_HTTP_SESSION_ZM_TYPE         1
#define NGX_HTTP_SESSION_ZM_NAMED        2
#define NGX_HTTP_SESSION_ZM_ANONYMOUS    3


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













