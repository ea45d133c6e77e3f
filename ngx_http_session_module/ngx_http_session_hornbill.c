
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <jansson.h>

#include "ngx_http_session_module.h"


/*
 * Hornbill XMLMC session::getSessionInfo: one session's details, the
 * caller's own or, for an admin, any other.  Requests are XML or JSON
 * methodCalls (or none, with ?method=); answers are XML or, by Accept,
 * compact JSON.  Every failure is HTTP 200 with status "fail", because
 * the public clients take any other status for a transport error.
 */


#define NGX_HTTP_SESSION_HB_XML_DECL                                         \
    "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n"

/* the state codes of failures, see docs/hornbill.md */
#define NGX_HTTP_SESSION_HB_NO_SESSION     5
#define NGX_HTTP_SESSION_HB_BAD_METHOD     101
#define NGX_HTTP_SESSION_HB_TOO_LARGE      102
#define NGX_HTTP_SESSION_HB_MALFORMED      200
#define NGX_HTTP_SESSION_HB_BAD_SERVICE    201
#define NGX_HTTP_SESSION_HB_BAD_OPERATION  202
#define NGX_HTTP_SESSION_HB_BAD_PARAM      203
#define NGX_HTTP_SESSION_HB_NOT_FOUND      204

/* how a response field is written */
#define NGX_HTTP_SESSION_HB_STRING         0   /* text; a JSON string */
#define NGX_HTTP_SESSION_HB_LITERAL        1   /* a JSON number or bool */
#define NGX_HTTP_SESSION_HB_CHILD          2   /* one child element */
#define NGX_HTTP_SESSION_HB_EMPTY          3   /* no children */
#define NGX_HTTP_SESSION_HB_LIST           4   /* repeated, comma list */
#define NGX_HTTP_SESSION_HB_VARS           5   /* session variables */

#define NGX_HTTP_SESSION_HB_FIELDS         48
#define NGX_HTTP_SESSION_HB_ERROR_MAX      256
#define NGX_HTTP_SESSION_HB_LONG_MAX       0x7fffffffffffffffULL

/* defaults of the required fields a proxy cannot know */
#define NGX_HTTP_SESSION_HB_LANGUAGE       "en-GB"
#define NGX_HTTP_SESSION_HB_TIME_ZONE      "Etc/UTC"
#define NGX_HTTP_SESSION_HB_ACCOUNT_CLASS  "user"
#define NGX_HTTP_SESSION_HB_USER_TYPE      "user"
#define NGX_HTTP_SESSION_HB_SEVERITY       "error"
#define NGX_HTTP_SESSION_HB_ROLE           "Basic User Role"
#define NGX_HTTP_SESSION_HB_ONLINE         "available"
#define NGX_HTTP_SESSION_HB_URN            "urn:sys:user:"


typedef struct {
    ngx_uint_t                   json;
    ngx_str_t                    instance;
    ngx_http_session_record_t   *rec;
} ngx_http_session_hornbill_t;


typedef struct {
    char                        *name;
    char                        *child;
    ngx_uint_t                   kind;
    ngx_str_t                    value;
} ngx_http_session_hornbill_field_t;


static void ngx_http_session_hornbill_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_session_hornbill_answer(ngx_http_request_t *r,
    ngx_uint_t post);
static ngx_int_t ngx_http_session_hornbill_produce(ngx_http_request_t *r,
    ngx_http_session_stream_t *st);
static ngx_uint_t ngx_http_session_hornbill_fields(ngx_pool_t *pool,
    ngx_http_session_hornbill_t *hb,
    ngx_http_session_hornbill_field_t *fields);
static ngx_http_session_hornbill_field_t *ngx_http_session_hornbill_add(
    ngx_http_session_hornbill_field_t *f, char *name, ngx_uint_t kind,
    ngx_str_t *value);
static void ngx_http_session_hornbill_bool(ngx_http_session_record_t *rec,
    char *name, ngx_str_t *value);
static ngx_int_t ngx_http_session_hornbill_integer(ngx_str_t *value,
    ngx_uint_t sign, uint64_t max);
static void ngx_http_session_hornbill_xml_field(
    ngx_http_session_stream_t *st, ngx_http_session_hornbill_field_t *f);
static void ngx_http_session_hornbill_json_field(
    ngx_http_session_stream_t *st, ngx_http_session_hornbill_field_t *f);
static void ngx_http_session_hornbill_xml_vars(ngx_http_session_stream_t *st,
    ngx_str_t *vars);
static void ngx_http_session_hornbill_json_vars(
    ngx_http_session_stream_t *st, ngx_str_t *vars);
static u_char *ngx_http_session_hornbill_next(u_char *p, u_char *last,
    ngx_str_t *item);
static ngx_int_t ngx_http_session_hornbill_fail(ngx_http_request_t *r,
    ngx_uint_t json, ngx_uint_t code, ngx_str_t *error);

static ngx_int_t ngx_http_session_hornbill_unwrap(ngx_pool_t *pool,
    ngx_str_t *text, ngx_http_session_hornbill_request_t *req);
static ngx_int_t ngx_http_session_hornbill_xml(ngx_pool_t *pool,
    ngx_str_t *text, ngx_http_session_hornbill_request_t *req);
static ngx_int_t ngx_http_session_hornbill_xml_child(ngx_pool_t *pool,
    xmlNodePtr parent, const char *name, const char *unexpected,
    ngx_http_session_hornbill_request_t *req, xmlNodePtr *child);
static ngx_int_t ngx_http_session_hornbill_xml_text(ngx_pool_t *pool,
    xmlNodePtr node, ngx_str_t *text);
static ngx_int_t ngx_http_session_hornbill_json(ngx_pool_t *pool,
    ngx_str_t *text, ngx_http_session_hornbill_request_t *req);
static ngx_int_t ngx_http_session_hornbill_json_string(ngx_pool_t *pool,
    json_t *value, ngx_str_t *s);
static ngx_int_t ngx_http_session_hornbill_set_sid(ngx_pool_t *pool,
    ngx_str_t *sid, ngx_http_session_hornbill_request_t *req);
static void ngx_http_session_hornbill_trim(ngx_str_t *s);
static ngx_int_t ngx_http_session_hornbill_refuse(ngx_pool_t *pool,
    ngx_http_session_hornbill_request_t *req, ngx_uint_t code,
    const char *fmt, ...);


static ngx_str_t  ngx_http_session_hornbill_xml_type =
    ngx_string("text/xml; charset=utf-8");
static ngx_str_t  ngx_http_session_hornbill_json_type =
    ngx_string("application/json; charset=utf-8");

static ngx_str_t  ngx_http_session_hornbill_no_session =
    ngx_string("There is no valid session: no session token was sent, or "
               "its session has expired or was logged out");

/* the same words for a session that does not exist and one not yours */
static ngx_str_t  ngx_http_session_hornbill_not_found =
    ngx_string("The specified session was not found, or you do not have "
               "the rights to view it");


ngx_int_t
ngx_http_session_hornbill_handler(ngx_http_request_t *r)
{
    ngx_int_t   rc;
    ngx_str_t   error;
    ngx_uint_t  json;

    json = ngx_http_session_accepts_json(r);

    if (ngx_http_session_no_store(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method == NGX_HTTP_POST) {
        rc = ngx_http_session_read_body(r,
                                       ngx_http_session_hornbill_body_handler);

        if (rc == NGX_DECLINED) {
            ngx_str_set(&error, "The request payload is larger than this "
                                "server accepts");
            return ngx_http_session_hornbill_fail(r, json,
                                             NGX_HTTP_SESSION_HB_TOO_LARGE,
                                             &error);
        }

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (r->method != NGX_HTTP_GET) {
        ngx_str_set(&error, "Only the POST and GET HTTP methods are "
                            "supported");
        return ngx_http_session_hornbill_fail(r, json,
                                              NGX_HTTP_SESSION_HB_BAD_METHOD,
                                              &error);
    }

    return ngx_http_session_hornbill_answer(r, 0);
}


static void
ngx_http_session_hornbill_body_handler(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, ngx_http_session_hornbill_answer(r, 1));
}


static ngx_int_t
ngx_http_session_hornbill_answer(ngx_http_request_t *r, ngx_uint_t post)
{
    u_char                               *digest;
    ngx_int_t                             rc;
    ngx_str_t                             body, method, sid, error, *mp, *sp;
    ngx_uint_t                            json, admin;
    ngx_http_session_ctx_t               *caller;
    ngx_http_session_zone_t              *zone;
    ngx_http_session_batch_t              batch;
    ngx_http_session_stream_t            *st;
    ngx_http_session_hornbill_t          *hb;
    ngx_http_session_loc_conf_t          *slcf;
    ngx_http_session_hornbill_request_t   req;

    json = ngx_http_session_accepts_json(r);

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);
    zone = slcf->endpoint->data;

    ngx_str_null(&body);

    if (post) {
        rc = ngx_http_session_body(r, &body);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            ngx_str_set(&error, "The request payload is larger than this "
                                "server accepts");
            return ngx_http_session_hornbill_fail(r, json,
                                             NGX_HTTP_SESSION_HB_TOO_LARGE,
                                             &error);
        }
    }

    rc = ngx_http_session_arg(r, "method", &method);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    mp = (rc == NGX_OK) ? &method : NULL;

    rc = ngx_http_session_arg(r, "sessionId", &sid);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    sp = (rc == NGX_OK) ? &sid : NULL;

    rc = ngx_http_session_hornbill_parse(r->pool, mp, sp, &body, &req);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        /* the message may echo the request: kept out of the log */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "session_info: request refused with code %04ui",
                      req.code);

        return ngx_http_session_hornbill_fail(r, json, req.code, &req.error);
    }

    if (ngx_http_session_endpoint_caller(r, NULL, &caller, &admin)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (caller == NULL && !admin) {
        return ngx_http_session_hornbill_fail(r, json,
                                        NGX_HTTP_SESSION_HB_NO_SESSION,
                                        &ngx_http_session_hornbill_no_session);
    }

    if (!req.has_session_id) {
        if (caller == NULL) {
            return ngx_http_session_hornbill_fail(r, json,
                                        NGX_HTTP_SESSION_HB_NO_SESSION,
                                        &ngx_http_session_hornbill_no_session);
        }

        digest = caller->digest;

    } else if (caller
               && ngx_memcmp(req.digest, caller->digest,
                             NGX_HTTP_SESSION_DIGEST_LEN)
                  == 0)
    {
        digest = caller->digest;

    } else if (admin) {
        digest = req.digest;

    } else {
        /* deny by default: not even whether the session exists */
        return ngx_http_session_hornbill_fail(r, json,
                                        NGX_HTTP_SESSION_HB_NOT_FOUND,
                                        &ngx_http_session_hornbill_not_found);
    }

    if (ngx_http_session_batch_init(r->pool, &batch, 1) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_session_read_one(zone, digest, &batch);

    if (rc != NGX_OK || batch.nrecords == 0 || batch.records[0].ended) {
        if (req.has_session_id) {
            return ngx_http_session_hornbill_fail(r, json,
                                        NGX_HTTP_SESSION_HB_NOT_FOUND,
                                        &ngx_http_session_hornbill_not_found);
        }

        return ngx_http_session_hornbill_fail(r, json,
                                        NGX_HTTP_SESSION_HB_NO_SESSION,
                                        &ngx_http_session_hornbill_no_session);
    }

    st = ngx_http_session_stream_create(r, zone,
                                        ngx_http_session_hornbill_produce);
    if (st == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    hb = ngx_pcalloc(r->pool, sizeof(ngx_http_session_hornbill_t));
    if (hb == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    hb->json = json;
    hb->instance = slcf->instance;
    hb->rec = &batch.records[0];

    if (hb->instance.len == 0) {
        hb->instance = zone->name;
    }

    st->data = hb;

    return ngx_http_session_stream_start(r, st, NGX_HTTP_OK,
                                   json ? &ngx_http_session_hornbill_json_type
                                        : &ngx_http_session_hornbill_xml_type);
}


/* the record was copied out of the zone already: formatting only */

static ngx_int_t
ngx_http_session_hornbill_produce(ngx_http_request_t *r,
    ngx_http_session_stream_t *st)
{
    ngx_uint_t                          i, n;
    ngx_http_session_hornbill_t        *hb;
    ngx_http_session_hornbill_field_t   fields[NGX_HTTP_SESSION_HB_FIELDS];

    hb = st->data;

    n = ngx_http_session_hornbill_fields(r->pool, hb, fields);
    if (n == 0) {
        return NGX_ERROR;
    }

    if (hb->json) {
        ngx_http_session_stream_str(st, "{\"@status\":true,\"params\":{");

        for (i = 0; i < n; i++) {
            if (i) {
                ngx_http_session_stream_str(st, ",");
            }

            ngx_http_session_hornbill_json_field(st, &fields[i]);
        }

        ngx_http_session_stream_str(st, "}}");

        return NGX_DONE;
    }

    /* "status" last and alone on its line: PHP reads it with a regex */

    ngx_http_session_stream_str(st, NGX_HTTP_SESSION_HB_XML_DECL
                                "<methodCallResult status=\"ok\">\n"
                                "\t<params>\n");

    for (i = 0; i < n; i++) {
        ngx_http_session_hornbill_xml_field(st, &fields[i]);
    }

    ngx_http_session_stream_str(st, "\t</params>\n</methodCallResult>\n");

    return NGX_DONE;
}


/*
 * The response parameters in the order of the method's schema.  What a
 * proxy cannot know is left out when optional; when required it comes
 * from the session variable of the same name, else a documented default.
 * Returns the number of fields, 0 when out of memory.
 */

static ngx_uint_t
ngx_http_session_hornbill_fields(ngx_pool_t *pool,
    ngx_http_session_hornbill_t *hb, ngx_http_session_hornbill_field_t *fields)
{
    u_char                             *p;
    size_t                              len;
    uint32_t                            crc;
    ngx_str_t                           v, user, roles;
    ngx_http_session_record_t          *rec;
    ngx_http_session_hornbill_field_t  *f;

    rec = hb->rec;
    f = fields;

    /* two dates (with room for any year), sid, address, CRC */
    len = 2 * (sizeof("-yyyy-MM-dd HH:mm:ssZ") + NGX_INT64_LEN)
          + NGX_HTTP_SESSION_SID_LEN + NGX_SOCKADDR_STRLEN + NGX_INT64_LEN;

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return 0;
    }

    v.data = p;
    p = ngx_http_session_time_iso(p, rec->last);
    v.len = p - v.data;
    f = ngx_http_session_hornbill_add(f, "now", NGX_HTTP_SESSION_HB_STRING,
                                      &v);

    v.data = p;
    p = ngx_http_session_sid(p, rec->digest);
    v.len = p - v.data;
    f = ngx_http_session_hornbill_add(f, "sessionId",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_record_var(rec, "authenticationType", &v, NULL);
    f = ngx_http_session_hornbill_add(f, "authenticationType",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    f = ngx_http_session_hornbill_add(f, "instanceId",
                                      NGX_HTTP_SESSION_HB_STRING,
                                      &hb->instance);

    v.data = p;
    p = ngx_http_session_time_iso(p, rec->created);
    v.len = p - v.data;
    f = ngx_http_session_hornbill_add(f, "createdOn",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_hornbill_bool(rec, "isGuestSession", &v);
    f = ngx_http_session_hornbill_add(f, "isGuestSession",
                                      NGX_HTTP_SESSION_HB_LITERAL, &v);

    v.data = p;
    p = ngx_http_session_addr_text(p, rec->addr, rec->addr_len);
    v.len = p - v.data;

    if (v.len == 0) {
        ngx_http_session_record_var(rec, "remoteIpAddress", &v, "");
    }

    f = ngx_http_session_hornbill_add(f, "remoteIpAddress",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    if (rec->vars.len) {
        f = ngx_http_session_hornbill_add(f, "sessionVariable",
                                          NGX_HTTP_SESSION_HB_VARS,
                                          &rec->vars);
    }

    user = rec->id;

    if (user.len == 0) {
        ngx_http_session_record_var(rec, "userId", &user, "");
    }

    f = ngx_http_session_hornbill_add(f, "userId", NGX_HTTP_SESSION_HB_STRING,
                                      &user);

    ngx_http_session_record_var(rec, "firstName", &v, NULL);
    f = ngx_http_session_hornbill_add(f, "firstName",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_record_var(rec, "lastName", &v, NULL);
    f = ngx_http_session_hornbill_add(f, "lastName",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    v = rec->name;

    if (v.len == 0) {
        ngx_http_session_record_var(rec, "userName", &v, NULL);

        if (v.data == NULL) {
            v = user;
        }
    }

    f = ngx_http_session_hornbill_add(f, "userName",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_record_var(rec, "jobTitle", &v, NULL);
    f = ngx_http_session_hornbill_add(f, "jobTitle",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_record_var(rec, "accountRefUrn", &v, NULL);

    if (v.data == NULL) {
        v.len = sizeof(NGX_HTTP_SESSION_HB_URN) - 1 + user.len;
        v.data = ngx_pnalloc(pool, v.len);
        if (v.data == NULL) {
            return 0;
        }

        ngx_memcpy(ngx_cpymem(v.data, NGX_HTTP_SESSION_HB_URN,
                              sizeof(NGX_HTTP_SESSION_HB_URN) - 1),
                   user.data, user.len);
    }

    f = ngx_http_session_hornbill_add(f, "accountRefUrn",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_record_var(rec, "activityStreamURN", &v, NULL);
    f = ngx_http_session_hornbill_add(f, "activityStreamURN",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_record_var(rec, "accountClass", &v,
                                NGX_HTTP_SESSION_HB_ACCOUNT_CLASS);
    f = ngx_http_session_hornbill_add(f, "accountClass",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_record_var(rec, "userType", &v,
                                NGX_HTTP_SESSION_HB_USER_TYPE);
    f = ngx_http_session_hornbill_add(f, "userType",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_record_var(rec, "guestRole", &v, NULL);
    f = ngx_http_session_hornbill_add(f, "guestRole",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_record_var(rec, "guestPortalId", &v, NULL);
    f = ngx_http_session_hornbill_add(f, "guestPortalId",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_record_var(rec, "guestPortalLoginId", &v, NULL);
    f = ngx_http_session_hornbill_add(f, "guestPortalLoginId",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    /* xs:long: left out unless it is one */
    ngx_http_session_record_var(rec, "guestContactRecordId", &v, NULL);

    if (v.data
        && ngx_http_session_hornbill_integer(&v, 1,
                                             NGX_HTTP_SESSION_HB_LONG_MAX)
           != NGX_OK)
    {
        v.data = NULL;
    }

    f = ngx_http_session_hornbill_add(f, "guestContactRecordId",
                                      NGX_HTTP_SESSION_HB_LITERAL, &v);

    ngx_http_session_record_var(rec, "currentLanguage", &v,
                                NGX_HTTP_SESSION_HB_LANGUAGE);
    f = ngx_http_session_hornbill_add(f, "currentLanguage",
                                      NGX_HTTP_SESSION_HB_CHILD, &v);
    f[-1].child = "language";

    ngx_http_session_record_var(rec, "timeZone", &v,
                                NGX_HTTP_SESSION_HB_TIME_ZONE);
    f = ngx_http_session_hornbill_add(f, "regionalSettings",
                                      NGX_HTTP_SESSION_HB_CHILD, &v);
    f[-1].child = "timeZone";

    ngx_http_session_record_var(rec, "currentTimeZoneOffset", &v, NULL);

    if (v.data == NULL
        || ngx_http_session_hornbill_integer(&v, 1, 86400) != NGX_OK)
    {
        ngx_str_set(&v, "0");
    }

    f = ngx_http_session_hornbill_add(f, "currentTimeZoneOffset",
                                      NGX_HTTP_SESSION_HB_LITERAL, &v);

    ngx_http_session_record_var(rec, "diagnosticLogSeverityLevel", &v,
                                NGX_HTTP_SESSION_HB_SEVERITY);
    f = ngx_http_session_hornbill_add(f, "diagnosticLogSeverityLevel",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_record_var(rec, "diagnosticLogMessageGroups", &v, "");
    f = ngx_http_session_hornbill_add(f, "diagnosticLogMessageGroups",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_hornbill_bool(rec, "resultXmlSchemaValidationEnabled",
                                   &v);
    f = ngx_http_session_hornbill_add(f, "resultXmlSchemaValidationEnabled",
                                      NGX_HTTP_SESSION_HB_LITERAL, &v);

    ngx_http_session_hornbill_bool(rec, "databaseSecurityHintingEnabled",
                                   &v);
    f = ngx_http_session_hornbill_add(f, "databaseSecurityHintingEnabled",
                                      NGX_HTTP_SESSION_HB_LITERAL, &v);

    ngx_http_session_hornbill_bool(rec, "flowCodeTracingEnabled", &v);
    f = ngx_http_session_hornbill_add(f, "flowCodeTracingEnabled",
                                      NGX_HTTP_SESSION_HB_LITERAL, &v);

    /* a proxy grants no system rights */
    ngx_str_set(&v, "");
    f = ngx_http_session_hornbill_add(f, "systemRights",
                                      NGX_HTTP_SESSION_HB_EMPTY, &v);

    ngx_http_session_record_var(rec, "assignedRole", &roles, NULL);

    if (roles.data == NULL
        || ngx_http_session_hornbill_next(roles.data, roles.data + roles.len,
                                          &v)
           == NULL)
    {
        ngx_http_session_record_var(rec, "role", &roles, NULL);
    }

    if (roles.data == NULL
        || ngx_http_session_hornbill_next(roles.data, roles.data + roles.len,
                                          &v)
           == NULL)
    {
        ngx_str_set(&roles, NGX_HTTP_SESSION_HB_ROLE);
    }

    f = ngx_http_session_hornbill_add(f, "assignedRole",
                                      NGX_HTTP_SESSION_HB_LIST, &roles);

    ngx_http_session_record_var(rec, "homeOrganization", &v, NULL);
    f = ngx_http_session_hornbill_add(f, "homeOrganization",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_record_var(rec, "appStateCRC", &v, NULL);

    if (v.data == NULL
        || ngx_http_session_hornbill_integer(&v, 0, 0xffffffff) != NGX_OK)
    {
        /* what the proxy knows of the state: instance, user, roles */
        ngx_crc32_init(crc);
        ngx_crc32_update(&crc, hb->instance.data, hb->instance.len);
        ngx_crc32_update(&crc, (u_char *) "\n", 1);
        ngx_crc32_update(&crc, user.data, user.len);
        ngx_crc32_update(&crc, (u_char *) "\n", 1);
        ngx_crc32_update(&crc, roles.data, roles.len);
        ngx_crc32_final(crc);

        v.data = p;
        p = ngx_sprintf(p, "%uD", crc);
        v.len = p - v.data;
    }

    f = ngx_http_session_hornbill_add(f, "appStateCRC",
                                      NGX_HTTP_SESSION_HB_LITERAL, &v);

    ngx_http_session_record_var(rec, "profileImageRef", &v, NULL);
    f = ngx_http_session_hornbill_add(f, "profileImageRef",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    ngx_http_session_record_var(rec, "onlineStatus", &v,
                                NGX_HTTP_SESSION_HB_ONLINE);
    f = ngx_http_session_hornbill_add(f, "onlineStatus",
                                      NGX_HTTP_SESSION_HB_STRING, &v);

    return f - fields;
}


/* a field, unless it is an optional one without a value (data NULL) */

static ngx_http_session_hornbill_field_t *
ngx_http_session_hornbill_add(ngx_http_session_hornbill_field_t *f,
    char *name, ngx_uint_t kind, ngx_str_t *value)
{
    if (value->data == NULL) {
        return f;
    }

    f->name = name;
    f->child = NULL;
    f->kind = kind;
    f->value = *value;

    return f + 1;
}


/* a boolean variable (1, 0, true, false in any case); false otherwise */

static void
ngx_http_session_hornbill_bool(ngx_http_session_record_t *rec, char *name,
    ngx_str_t *value)
{
    ngx_str_t  v;

    ngx_http_session_record_var(rec, name, &v, "false");

    if (ngx_http_session_bool(&v) == 1) {
        ngx_str_set(value, "true");

    } else {
        ngx_str_set(value, "false");
    }
}


/* an integer as JSON writes it, -max..max (0..max without "sign") */

static ngx_int_t
ngx_http_session_hornbill_integer(ngx_str_t *value, ngx_uint_t sign,
    uint64_t max)
{
    u_char    *p, *last;
    uint64_t   n, d;

    p = value->data;
    last = p + value->len;

    if (sign && p < last && *p == '-') {
        p++;
    }

    if (p == last || (*p == '0' && last - p > 1)) {
        return NGX_DECLINED;
    }

    n = 0;

    for ( /* void */ ; p < last; p++) {
        if (*p < '0' || *p > '9') {
            return NGX_DECLINED;
        }

        d = *p - '0';

        if (n > (max - d) / 10) {
            return NGX_DECLINED;
        }

        n = n * 10 + d;
    }

    return NGX_OK;
}


static void
ngx_http_session_hornbill_xml_field(ngx_http_session_stream_t *st,
    ngx_http_session_hornbill_field_t *f)
{
    u_char     *p, *last;
    ngx_str_t   item;

    switch (f->kind) {

    case NGX_HTTP_SESSION_HB_VARS:
        ngx_http_session_hornbill_xml_vars(st, &f->value);
        return;

    case NGX_HTTP_SESSION_HB_LIST:
        p = f->value.data;
        last = p + f->value.len;

        while ((p = ngx_http_session_hornbill_next(p, last, &item))) {
            ngx_http_session_stream_printf(st, 64, "\t\t<%s>", f->name);
            ngx_http_session_stream_xml(st, &item);
            ngx_http_session_stream_printf(st, 64, "</%s>\n", f->name);
        }

        return;

    case NGX_HTTP_SESSION_HB_CHILD:
        ngx_http_session_stream_printf(st, 128, "\t\t<%s>\n\t\t\t<%s>",
                                       f->name, f->child);
        ngx_http_session_stream_xml(st, &f->value);
        ngx_http_session_stream_printf(st, 128, "</%s>\n\t\t</%s>\n",
                                       f->child, f->name);
        return;

    case NGX_HTTP_SESSION_HB_EMPTY:
        ngx_http_session_stream_printf(st, 128, "\t\t<%s></%s>\n",
                                       f->name, f->name);
        return;

    default: /* STRING, LITERAL */
        ngx_http_session_stream_printf(st, 64, "\t\t<%s>", f->name);
        ngx_http_session_stream_xml(st, &f->value);
        ngx_http_session_stream_printf(st, 64, "</%s>\n", f->name);
    }
}


static void
ngx_http_session_hornbill_json_field(ngx_http_session_stream_t *st,
    ngx_http_session_hornbill_field_t *f)
{
    u_char     *p, *last;
    ngx_str_t   item;
    ngx_uint_t  n;

    ngx_http_session_stream_printf(st, 64, "\"%s\":", f->name);

    switch (f->kind) {

    case NGX_HTTP_SESSION_HB_VARS:
        ngx_http_session_hornbill_json_vars(st, &f->value);
        return;

    case NGX_HTTP_SESSION_HB_LIST:
        /* a repeated element is an array, even of one */
        ngx_http_session_stream_str(st, "[");

        p = f->value.data;
        last = p + f->value.len;

        for (n = 0; (p = ngx_http_session_hornbill_next(p, last, &item)); n++)
        {
            ngx_http_session_stream_add(st, (u_char *) ",\"" + (n ? 0 : 1),
                                        n ? 2 : 1);
            ngx_http_session_stream_json(st, &item);
            ngx_http_session_stream_str(st, "\"");
        }

        ngx_http_session_stream_str(st, "]");
        return;

    case NGX_HTTP_SESSION_HB_CHILD:
        ngx_http_session_stream_printf(st, 64, "{\"%s\":\"", f->child);
        ngx_http_session_stream_json(st, &f->value);
        ngx_http_session_stream_str(st, "\"}");
        return;

    case NGX_HTTP_SESSION_HB_EMPTY:
        ngx_http_session_stream_str(st, "{}");
        return;

    case NGX_HTTP_SESSION_HB_LITERAL:
        ngx_http_session_stream_add(st, f->value.data, f->value.len);
        return;

    default: /* STRING */
        ngx_http_session_stream_str(st, "\"");
        ngx_http_session_stream_json(st, &f->value);
        ngx_http_session_stream_str(st, "\"");
    }
}


/* sessionVariableType: <name> and <value> children */

static void
ngx_http_session_hornbill_xml_vars(ngx_http_session_stream_t *st,
    ngx_str_t *vars)
{
    u_char     *p;
    ngx_str_t   name, value;

    p = vars->data;

    while ((p = ngx_http_session_var_next(p, vars->data + vars->len,
                                          &name, &value)))
    {
        ngx_http_session_stream_str(st, "\t\t<sessionVariable>\n"
                                        "\t\t\t<name>");
        ngx_http_session_stream_xml(st, &name);
        ngx_http_session_stream_str(st, "</name>\n\t\t\t<value>");
        ngx_http_session_stream_xml(st, &value);
        ngx_http_session_stream_str(st, "</value>\n"
                                        "\t\t</sessionVariable>\n");
    }
}


static void
ngx_http_session_hornbill_json_vars(ngx_http_session_stream_t *st,
    ngx_str_t *vars)
{
    u_char     *p;
    ngx_str_t   name, value;
    ngx_uint_t  n;

    ngx_http_session_stream_str(st, "[");

    p = vars->data;

    for (n = 0;
         (p = ngx_http_session_var_next(p, vars->data + vars->len,
                                        &name, &value));
         n++)
    {
        ngx_http_session_stream_add(st,
                                    (u_char *) ",{\"name\":\"" + (n ? 0 : 1),
                                    n ? 10 : 9);
        ngx_http_session_stream_json(st, &name);
        ngx_http_session_stream_str(st, "\",\"value\":\"");
        ngx_http_session_stream_json(st, &value);
        ngx_http_session_stream_str(st, "\"}");
    }

    ngx_http_session_stream_str(st, "]");
}


/* the next non-empty item of a comma list, trimmed; NULL after the last */

static u_char *
ngx_http_session_hornbill_next(u_char *p, u_char *last, ngx_str_t *item)
{
    u_char  *end;

    while (p && p < last) {
        end = ngx_strlchr(p, last, ',');
        if (end == NULL) {
            end = last;
        }

        item->data = p;
        item->len = end - p;

        ngx_http_session_hornbill_trim(item);

        p = (end < last) ? end + 1 : last;

        if (item->len) {
            return p;
        }
    }

    return NULL;
}


/* methodCallResult status="fail" with <state>, or its JSON form */

static ngx_int_t
ngx_http_session_hornbill_fail(ngx_http_request_t *r, ngx_uint_t json,
    ngx_uint_t code, ngx_str_t *error)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   body;

    len = sizeof(NGX_HTTP_SESSION_HB_XML_DECL
                 "<methodCallResult status=\"fail\">\n\t<state>\n"
                 "\t\t<code></code>\n\t\t<service>session</service>\n"
                 "\t\t<operation>getSessionInfo</operation>\n"
                 "\t\t<error></error>\n\t</state>\n</methodCallResult>\n")
          + NGX_INT_T_LEN
          + ngx_max(ngx_http_session_escape_xml_len(error->data, error->len),
                    ngx_http_session_escape_json_len(error->data,
                                                     error->len));

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = p;

    if (json) {
        p = ngx_sprintf(p, "{\"@status\":false,\"state\":{\"code\":\"%04ui\","
                        "\"service\":\"session\","
                        "\"operation\":\"getSessionInfo\",\"error\":\"",
                        code);
        p = ngx_http_session_escape_json(p, error->data, error->len);
        p = ngx_cpymem(p, "\"}}", 3);

    } else {
        p = ngx_sprintf(p, NGX_HTTP_SESSION_HB_XML_DECL
                        "<methodCallResult status=\"fail\">\n\t<state>\n"
                        "\t\t<code>%04ui</code>\n"
                        "\t\t<service>session</service>\n"
                        "\t\t<operation>getSessionInfo</operation>\n"
                        "\t\t<error>", code);
        p = ngx_http_session_escape_xml(p, error->data, error->len);
        p = ngx_cpymem(p, "</error>\n\t</state>\n</methodCallResult>\n",
                       sizeof("</error>\n\t</state>\n</methodCallResult>\n")
                       - 1);
    }

    body.len = p - body.data;

    /* failures are HTTP 200: clients take any other status for transport */

    return ngx_http_session_send(r, NGX_HTTP_OK,
                                 json ? &ngx_http_session_hornbill_json_type
                                      : &ngx_http_session_hornbill_xml_type,
                                 &body);
}


/*
 * The request: "method" and "session_id" are the query arguments,
 * decoded (NULL: absent), "body" the payload.  The body may be XML, a
 * JSON methodCall, or either wrapped in Python's bytes repr b'...', as
 * the official Python client sends it under Python 3.  NGX_DECLINED:
 * refused, with the state code and message in "req".
 */

ngx_int_t
ngx_http_session_hornbill_parse(ngx_pool_t *pool, ngx_str_t *method,
    ngx_str_t *session_id, ngx_str_t *body,
    ngx_http_session_hornbill_request_t *req)
{
    ngx_int_t  rc;
    ngx_str_t  text, sid;

    ngx_memzero(req, sizeof(ngx_http_session_hornbill_request_t));

    text = *body;

    if (text.data == NULL) {
        text.len = 0;
    }

    /* a UTF-8 byte order mark */
    if (text.len >= 3 && ngx_strncmp(text.data, "\xef\xbb\xbf", 3) == 0) {
        text.data += 3;
        text.len -= 3;
    }

    ngx_http_session_hornbill_trim(&text);

    if (text.len >= 3 && text.data[0] == 'b'
        && (text.data[1] == '\'' || text.data[1] == '"')
        && text.data[text.len - 1] == text.data[1])
    {
        rc = ngx_http_session_hornbill_unwrap(pool, &text, req);
        if (rc != NGX_OK) {
            return rc;
        }

        req->python = 1;

        ngx_http_session_hornbill_trim(&text);
    }

    if (text.len == 0) {
        /* no payload: the query names the method, or nothing does */

    } else if (text.data[0] == '<') {
        rc = ngx_http_session_hornbill_xml(pool, &text, req);
        if (rc != NGX_OK) {
            return rc;
        }

    } else if (text.data[0] == '{') {
        req->json = 1;

        rc = ngx_http_session_hornbill_json(pool, &text, req);
        if (rc != NGX_OK) {
            return rc;
        }

    } else {
        return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_MALFORMED,
                           "The request payload is neither an XML nor a "
                           "JSON methodCall");
    }

    /* the query names the method when it names one */
    if (method && method->len) {
        req->method = *method;
    }

    if (session_id) {
        sid = *session_id;
        ngx_http_session_hornbill_trim(&sid);

        if (sid.len) {
            if (req->session_id.len
                && (req->session_id.len != sid.len
                    || ngx_strncasecmp(req->session_id.data, sid.data,
                                       sid.len)
                       != 0))
            {
                return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_BAD_PARAM,
                           "The query and the payload name different "
                           "sessionId values");
            }

            req->session_id = sid;
        }
    }

    if (req->service.len
        && (req->service.len != sizeof("session") - 1
            || ngx_strncmp(req->service.data, "session",
                           sizeof("session") - 1)
               != 0))
    {
        return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_BAD_SERVICE,
                           "The service \"%*s\" is not served here",
                           ngx_min(req->service.len, 64),
                           req->service.data);
    }

    if (req->method.len == 0) {
        return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_BAD_OPERATION,
                           "No method was named: use <methodCall "
                           "method=\"getSessionInfo\"> or ?method=");
    }

    if (req->method.len != sizeof("getSessionInfo") - 1
        || ngx_strncmp(req->method.data, "getSessionInfo",
                       sizeof("getSessionInfo") - 1)
           != 0)
    {
        return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_BAD_OPERATION,
                           "The method \"%*s\" is not served here",
                           ngx_min(req->method.len, 64), req->method.data);
    }

    if (req->session_id.len) {
        return ngx_http_session_hornbill_set_sid(pool, &req->session_id,
                                                 req);
    }

    return NGX_OK;
}


/* Python 3's str(b'...'): body.c decodes the bytes literal */

static ngx_int_t
ngx_http_session_hornbill_unwrap(ngx_pool_t *pool, ngx_str_t *text,
    ngx_http_session_hornbill_request_t *req)
{
    ngx_int_t  rc;

    rc = ngx_http_session_python_bytes(pool, text);

    if (rc != NGX_DECLINED) {
        return rc;
    }

    return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_MALFORMED,
                           "Malformed payload: an invalid escape in a "
                           "Python bytes literal");
}


/*
 * <methodCall service= method= [trace=]>[<params><sessionId>..
 * </sessionId></params>]</methodCall>.  The parser refuses DTDs, so no
 * entity is ever declared, expanded or fetched.
 */

static ngx_int_t
ngx_http_session_hornbill_xml(ngx_pool_t *pool, ngx_str_t *text,
    ngx_http_session_hornbill_request_t *req)
{
    ngx_int_t    rc;
    xmlDocPtr    doc;
    ngx_str_t    error, *value;
    xmlAttrPtr   attr;
    xmlNodePtr   root, params, node;

    doc = ngx_http_session_parse_xml(pool, text, &error);

    if (doc == NULL) {
        return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_MALFORMED,
                           "Malformed XML payload: %V", &error);
    }

    root = xmlDocGetRootElement(doc);

    if (root == NULL
        || xmlStrcmp(root->name, (const xmlChar *) "methodCall") != 0)
    {
        return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_MALFORMED,
                           "The payload is not a methodCall");
    }

    for (attr = root->properties; attr; attr = attr->next) {

        if (xmlStrcmp(attr->name, (const xmlChar *) "service") == 0) {
            value = &req->service;

        } else if (xmlStrcmp(attr->name, (const xmlChar *) "method") == 0) {
            value = &req->method;

        } else {
            /* trace= and the like */
            continue;
        }

        if (ngx_http_session_hornbill_xml_text(pool, attr->children, value)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    rc = ngx_http_session_hornbill_xml_child(pool, root, "params",
                                   "Unexpected element <%*s> in methodCall",
                                   req, &params);
    if (rc != NGX_OK) {
        return rc;
    }

    if (params == NULL) {
        return NGX_OK;
    }

    rc = ngx_http_session_hornbill_xml_child(pool, params, "sessionId",
                                   "Unexpected parameter <%*s>: "
                                   "getSessionInfo takes one optional "
                                   "sessionId",
                                   req, &node);
    if (rc != NGX_OK || node == NULL) {
        return rc;
    }

    rc = ngx_http_session_hornbill_xml_text(pool, node->children,
                                            &req->session_id);

    if (rc == NGX_DECLINED) {
        return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_BAD_PARAM,
                           "The sessionId parameter must be a string");
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_session_hornbill_trim(&req->session_id);

    return NGX_OK;
}


/*
 * The one child element of "parent" named "name", or NULL; another
 * element, a second one or text beside it is refused ("unexpected" says
 * how, with the element's name).  Comments and processing instructions
 * are ignored.
 */

static ngx_int_t
ngx_http_session_hornbill_xml_child(ngx_pool_t *pool, xmlNodePtr parent,
    const char *name, const char *unexpected,
    ngx_http_session_hornbill_request_t *req, xmlNodePtr *child)
{
    ngx_str_t   s;
    xmlNodePtr  node;

    *child = NULL;

    for (node = parent->children; node; node = node->next) {

        switch (node->type) {

        case XML_ELEMENT_NODE:
            if (*child != NULL
                || xmlStrcmp(node->name, (const xmlChar *) name) != 0)
            {
                return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_BAD_PARAM, unexpected,
                           (size_t) ngx_min(xmlStrlen(node->name), 64),
                           node->name);
            }

            *child = node;
            break;

        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            s.data = node->content;
            s.len = node->content ? xmlStrlen(node->content) : 0;

            ngx_http_session_hornbill_trim(&s);

            if (s.len) {
                return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_MALFORMED,
                           "Unexpected text in %s", parent->name);
            }

            break;

        default:
            break;
        }
    }

    return NGX_OK;
}


/*
 * The text of a node list, copied into the pool; NGX_DECLINED when the
 * list holds an element (a complex value where a string belongs).
 */

static ngx_int_t
ngx_http_session_hornbill_xml_text(ngx_pool_t *pool, xmlNodePtr node,
    ngx_str_t *text)
{
    u_char      *p;
    size_t       len;
    xmlNodePtr   n;

    len = 0;

    for (n = node; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            return NGX_DECLINED;
        }

        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
            && n->content)
        {
            len += xmlStrlen(n->content);
        }
    }

    p = ngx_pnalloc(pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    text->data = p;

    for (n = node; n; n = n->next) {
        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
            && n->content)
        {
            p = ngx_cpymem(p, n->content, xmlStrlen(n->content));
        }
    }

    *p = '\0';
    text->len = p - text->data;

    return NGX_OK;
}


/*
 * {"@service":"session","@method":"getSessionInfo","params":{"sessionId":
 * "..."}}, bare or inside {"methodCall":{...}}: the XML request with its
 * attributes as "@" members, as Hornbill's JSON answers write them.
 */

static ngx_int_t
ngx_http_session_hornbill_json(ngx_pool_t *pool, ngx_str_t *text,
    ngx_http_session_hornbill_request_t *req)
{
    json_t       *root, *call, *value, *param;
    ngx_str_t     error;
    const char   *key, *name;

    root = ngx_http_session_parse_json(pool, text, &error);

    if (root == NULL) {
        return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_MALFORMED,
                           "Malformed JSON payload: %V", &error);
    }

    if (!json_is_object(root)) {
        return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_MALFORMED,
                           "The JSON payload is not an object");
    }

    call = json_object_get(root, "methodCall");

    if (call) {
        if (!json_is_object(call) || json_object_size(root) != 1) {
            return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_MALFORMED,
                           "\"methodCall\" must be the only member, and an "
                           "object");
        }

        root = call;
    }

    json_object_foreach(root, key, value) {

        if (ngx_strcmp(key, "@service") == 0
            || ngx_strcmp(key, "@method") == 0)
        {
            if (!json_is_string(value)) {
                return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_MALFORMED,
                           "\"%s\" must be a string", key);
            }

            if (ngx_http_session_hornbill_json_string(pool, value,
                                                      key[1] == 's'
                                                      ? &req->service
                                                      : &req->method)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            continue;
        }

        if (key[0] == '@') {
            /* "@trace" and the like */
            continue;
        }

        if (ngx_strcmp(key, "params") != 0) {
            return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_BAD_PARAM,
                           "Unexpected member \"%*s\" in methodCall",
                           ngx_min(ngx_strlen(key), 64), key);
        }

        if (json_is_null(value)) {
            continue;
        }

        if (!json_is_object(value)) {
            return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_BAD_PARAM,
                           "\"params\" must be an object");
        }

        json_object_foreach(value, name, param) {

            if (ngx_strcmp(name, "sessionId") != 0) {
                return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_BAD_PARAM,
                           "Unexpected parameter \"%*s\": getSessionInfo "
                           "takes one optional sessionId",
                           ngx_min(ngx_strlen(name), 64), name);
            }

            if (json_is_null(param)) {
                continue;
            }

            if (!json_is_string(param)) {
                return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_BAD_PARAM,
                           "The sessionId parameter must be a string");
            }

            if (ngx_http_session_hornbill_json_string(pool, param,
                                                      &req->session_id)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            ngx_http_session_hornbill_trim(&req->session_id);
        }
    }

    return NGX_OK;
}


/* a copy: the JSON value is freed with the pool, but copies are plain */

static ngx_int_t
ngx_http_session_hornbill_json_string(ngx_pool_t *pool, json_t *value,
    ngx_str_t *s)
{
    size_t  len;

    len = json_string_length(value);

    s->data = ngx_pnalloc(pool, len + 1);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, json_string_value(value), len);
    s->data[len] = '\0';
    s->len = len;

    return NGX_OK;
}


/* a public session id: 32 hexadecimal digits, in either case */

static ngx_int_t
ngx_http_session_hornbill_set_sid(ngx_pool_t *pool, ngx_str_t *sid,
    ngx_http_session_hornbill_request_t *req)
{
    u_char      lower[NGX_HTTP_SESSION_SID_LEN];
    ngx_uint_t  i;

    if (sid->len == NGX_HTTP_SESSION_SID_LEN) {
        for (i = 0; i < NGX_HTTP_SESSION_SID_LEN; i++) {
            lower[i] = ngx_tolower(sid->data[i]);
        }

        if (ngx_http_session_parse_sid(lower, NGX_HTTP_SESSION_SID_LEN,
                                       req->digest)
            == NGX_OK)
        {
            req->has_session_id = 1;
            return NGX_OK;
        }
    }

    return ngx_http_session_hornbill_refuse(pool, req,
                           NGX_HTTP_SESSION_HB_BAD_PARAM,
                           "The sessionId parameter must be 32 hexadecimal "
                           "digits");
}


static void
ngx_http_session_hornbill_trim(ngx_str_t *s)
{
    while (s->len
           && (s->data[0] == ' ' || s->data[0] == '\t'
               || s->data[0] == '\r' || s->data[0] == '\n'))
    {
        s->data++;
        s->len--;
    }

    while (s->len
           && (s->data[s->len - 1] == ' ' || s->data[s->len - 1] == '\t'
               || s->data[s->len - 1] == '\r'
               || s->data[s->len - 1] == '\n'))
    {
        s->len--;
    }
}


/* sets the state code and message; NGX_DECLINED, or NGX_ERROR */

static ngx_int_t
ngx_http_session_hornbill_refuse(ngx_pool_t *pool,
    ngx_http_session_hornbill_request_t *req, ngx_uint_t code,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    req->code = code;

    p = ngx_pnalloc(pool, NGX_HTTP_SESSION_HB_ERROR_MAX);
    if (p == NULL) {
        return NGX_ERROR;
    }

    va_start(args, fmt);
    req->error.len = ngx_vslprintf(p, p + NGX_HTTP_SESSION_HB_ERROR_MAX, fmt,
                                   args)
                     - p;
    va_end(args);

    req->error.data = p;

    return NGX_DECLINED;
}
