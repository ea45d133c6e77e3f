
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_endpoint.h"


/*
 * Hornbill XMLMC session::getSessionInfo: one session's details, the
 * caller's own or, for an admin, any other.  Requests are XML or JSON
 * methodCalls (or none, with ?method=), read by
 * ngx_http_session_hornbill_parse.c; answers are XML or, by Accept,
 * compact JSON, made here from one record the batch reader copied.
 * Every failure is HTTP 200 with status "fail", because the public
 * clients take any other status for a transport error.  Calls the
 * request parser, the caller check and streams (ngx_http_session_
 * endpoint.c, _stream.c, _body.c) and the store's read_one().
 */


#define NGX_HTTP_SESSION_HB_XML_DECL                                         \
    "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n"

/* how a response field is written */
#define NGX_HTTP_SESSION_HB_STRING         0   /* text; a JSON string */
#define NGX_HTTP_SESSION_HB_LITERAL        1   /* a JSON number or bool */
#define NGX_HTTP_SESSION_HB_CHILD          2   /* one child element */
#define NGX_HTTP_SESSION_HB_EMPTY          3   /* no children */
#define NGX_HTTP_SESSION_HB_LIST           4   /* repeated, comma list */
#define NGX_HTTP_SESSION_HB_VARS           5   /* session variables */

#define NGX_HTTP_SESSION_HB_FIELDS         48
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


/* what the fields of one answer are made of */

typedef struct {
    ngx_pool_t                  *pool;
    ngx_http_session_hornbill_t *hb;
    ngx_http_session_record_t   *rec;
    u_char                      *p;            /* room for dates and the
                                                  like */
    ngx_str_t                    user;
    ngx_str_t                    roles;
} ngx_http_session_hornbill_make_t;


typedef struct ngx_http_session_hornbill_desc_s
    ngx_http_session_hornbill_desc_t;

typedef ngx_int_t (*ngx_http_session_hornbill_value_pt)(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);

/*
 * A response field: its name, how it is written, and where its value
 * comes from ("value", which may read the session variable "var" and
 * fall back to "dflt"; a NULL value leaves an optional field out).
 */

struct ngx_http_session_hornbill_desc_s {
    char                                *name;
    char                                *child;
    ngx_uint_t                           kind;
    char                                *var;
    char                                *dflt;
    ngx_http_session_hornbill_value_pt   value;
};


static void ngx_http_session_hornbill_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_session_hornbill_answer(ngx_http_request_t *r,
    ngx_uint_t post);
static ngx_int_t ngx_http_session_hornbill_request(ngx_http_request_t *r,
    ngx_str_t *body, ngx_http_session_hornbill_request_t *req);
static ngx_int_t ngx_http_session_hornbill_whose(ngx_http_request_t *r,
    ngx_http_session_hornbill_request_t *req, u_char **digest,
    ngx_uint_t *code);
static ngx_int_t ngx_http_session_hornbill_produce(ngx_http_request_t *r,
    ngx_http_session_stream_t *st);
static ngx_uint_t ngx_http_session_hornbill_fields(ngx_pool_t *pool,
    ngx_http_session_hornbill_t *hb,
    ngx_http_session_hornbill_field_t *fields);
static ngx_int_t ngx_http_session_hornbill_var(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_bool(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_now(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_created(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_sid(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_instance(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_address(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_vars(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_user(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_user_name(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_urn(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_long(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_offset(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_none(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_roles(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
static ngx_int_t ngx_http_session_hornbill_crc(
    ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v);
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


/*
 * getSessionInfo's response parameters, in the order of the method's
 * schema: what a proxy cannot know comes from the session variable of
 * the field's name when it has one, else from a documented default, or
 * is left out when the schema makes it optional (docs/hornbill.md).
 */

static ngx_http_session_hornbill_desc_t  ngx_http_session_hornbill_descs[] = {

    { "now", NULL, NGX_HTTP_SESSION_HB_STRING,
      NULL, NULL,
      ngx_http_session_hornbill_now },

    { "sessionId", NULL, NGX_HTTP_SESSION_HB_STRING,
      NULL, NULL,
      ngx_http_session_hornbill_sid },

    { "authenticationType", NULL, NGX_HTTP_SESSION_HB_STRING,
      "authenticationType", NULL,
      ngx_http_session_hornbill_var },

    { "instanceId", NULL, NGX_HTTP_SESSION_HB_STRING,
      NULL, NULL,
      ngx_http_session_hornbill_instance },

    { "createdOn", NULL, NGX_HTTP_SESSION_HB_STRING,
      NULL, NULL,
      ngx_http_session_hornbill_created },

    { "isGuestSession", NULL, NGX_HTTP_SESSION_HB_LITERAL,
      "isGuestSession", NULL,
      ngx_http_session_hornbill_bool },

    { "remoteIpAddress", NULL, NGX_HTTP_SESSION_HB_STRING,
      "remoteIpAddress", "",
      ngx_http_session_hornbill_address },

    { "sessionVariable", NULL, NGX_HTTP_SESSION_HB_VARS,
      NULL, NULL,
      ngx_http_session_hornbill_vars },

    { "userId", NULL, NGX_HTTP_SESSION_HB_STRING,
      NULL, NULL,
      ngx_http_session_hornbill_user },

    { "firstName", NULL, NGX_HTTP_SESSION_HB_STRING,
      "firstName", NULL,
      ngx_http_session_hornbill_var },

    { "lastName", NULL, NGX_HTTP_SESSION_HB_STRING,
      "lastName", NULL,
      ngx_http_session_hornbill_var },

    { "userName", NULL, NGX_HTTP_SESSION_HB_STRING,
      "userName", NULL,
      ngx_http_session_hornbill_user_name },

    { "jobTitle", NULL, NGX_HTTP_SESSION_HB_STRING,
      "jobTitle", NULL,
      ngx_http_session_hornbill_var },

    { "accountRefUrn", NULL, NGX_HTTP_SESSION_HB_STRING,
      "accountRefUrn", NULL,
      ngx_http_session_hornbill_urn },

    { "activityStreamURN", NULL, NGX_HTTP_SESSION_HB_STRING,
      "activityStreamURN", NULL,
      ngx_http_session_hornbill_var },

    { "accountClass", NULL, NGX_HTTP_SESSION_HB_STRING,
      "accountClass", NGX_HTTP_SESSION_HB_ACCOUNT_CLASS,
      ngx_http_session_hornbill_var },

    { "userType", NULL, NGX_HTTP_SESSION_HB_STRING,
      "userType", NGX_HTTP_SESSION_HB_USER_TYPE,
      ngx_http_session_hornbill_var },

    { "guestRole", NULL, NGX_HTTP_SESSION_HB_STRING,
      "guestRole", NULL,
      ngx_http_session_hornbill_var },

    { "guestPortalId", NULL, NGX_HTTP_SESSION_HB_STRING,
      "guestPortalId", NULL,
      ngx_http_session_hornbill_var },

    { "guestPortalLoginId", NULL, NGX_HTTP_SESSION_HB_STRING,
      "guestPortalLoginId", NULL,
      ngx_http_session_hornbill_var },

    { "guestContactRecordId", NULL, NGX_HTTP_SESSION_HB_LITERAL,
      "guestContactRecordId", NULL,
      ngx_http_session_hornbill_long },

    { "currentLanguage", "language", NGX_HTTP_SESSION_HB_CHILD,
      "currentLanguage", NGX_HTTP_SESSION_HB_LANGUAGE,
      ngx_http_session_hornbill_var },

    { "regionalSettings", "timeZone", NGX_HTTP_SESSION_HB_CHILD,
      "timeZone", NGX_HTTP_SESSION_HB_TIME_ZONE,
      ngx_http_session_hornbill_var },

    { "currentTimeZoneOffset", NULL, NGX_HTTP_SESSION_HB_LITERAL,
      "currentTimeZoneOffset", NULL,
      ngx_http_session_hornbill_offset },

    { "diagnosticLogSeverityLevel", NULL, NGX_HTTP_SESSION_HB_STRING,
      "diagnosticLogSeverityLevel", NGX_HTTP_SESSION_HB_SEVERITY,
      ngx_http_session_hornbill_var },

    { "diagnosticLogMessageGroups", NULL, NGX_HTTP_SESSION_HB_STRING,
      "diagnosticLogMessageGroups", "",
      ngx_http_session_hornbill_var },

    { "resultXmlSchemaValidationEnabled", NULL, NGX_HTTP_SESSION_HB_LITERAL,
      "resultXmlSchemaValidationEnabled", NULL,
      ngx_http_session_hornbill_bool },

    { "databaseSecurityHintingEnabled", NULL, NGX_HTTP_SESSION_HB_LITERAL,
      "databaseSecurityHintingEnabled", NULL,
      ngx_http_session_hornbill_bool },

    { "flowCodeTracingEnabled", NULL, NGX_HTTP_SESSION_HB_LITERAL,
      "flowCodeTracingEnabled", NULL,
      ngx_http_session_hornbill_bool },

    { "systemRights", NULL, NGX_HTTP_SESSION_HB_EMPTY,
      NULL, NULL,
      ngx_http_session_hornbill_none },

    { "assignedRole", NULL, NGX_HTTP_SESSION_HB_LIST,
      NULL, NULL,
      ngx_http_session_hornbill_roles },

    { "homeOrganization", NULL, NGX_HTTP_SESSION_HB_STRING,
      "homeOrganization", NULL,
      ngx_http_session_hornbill_var },

    { "appStateCRC", NULL, NGX_HTTP_SESSION_HB_LITERAL,
      "appStateCRC", NULL,
      ngx_http_session_hornbill_crc },

    { "profileImageRef", NULL, NGX_HTTP_SESSION_HB_STRING,
      "profileImageRef", NULL,
      ngx_http_session_hornbill_var },

    { "onlineStatus", NULL, NGX_HTTP_SESSION_HB_STRING,
      "onlineStatus", NGX_HTTP_SESSION_HB_ONLINE,
      ngx_http_session_hornbill_var },

    { NULL, NULL, 0, NULL, NULL, NULL }
};


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
    ngx_str_t                             body, error;
    ngx_uint_t                            json, code;
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

    rc = ngx_http_session_hornbill_request(r, &body, &req);

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

    rc = ngx_http_session_hornbill_whose(r, &req, &digest, &code);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        return ngx_http_session_hornbill_fail(r, json, code,
                                    (code == NGX_HTTP_SESSION_HB_NOT_FOUND)
                                    ? &ngx_http_session_hornbill_not_found
                                    : &ngx_http_session_hornbill_no_session);
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


/* the request from the query arguments and the body, as parse() says */

static ngx_int_t
ngx_http_session_hornbill_request(ngx_http_request_t *r, ngx_str_t *body,
    ngx_http_session_hornbill_request_t *req)
{
    ngx_int_t   rc;
    ngx_str_t   method, sid, *mp, *sp;

    rc = ngx_http_session_arg(r, "method", &method);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    mp = (rc == NGX_OK) ? &method : NULL;

    rc = ngx_http_session_arg(r, "sessionId", &sid);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    sp = (rc == NGX_OK) ? &sid : NULL;

    return ngx_http_session_hornbill_parse(r->pool, mp, sp, body, req);
}


/*
 * Whose session the caller may see: its own, or as an admin any other.
 * NGX_OK: "digest" names it; NGX_DECLINED: refused with the failure
 * "code"; NGX_ERROR: out of memory.
 */

static ngx_int_t
ngx_http_session_hornbill_whose(ngx_http_request_t *r,
    ngx_http_session_hornbill_request_t *req, u_char **digest,
    ngx_uint_t *code)
{
    ngx_uint_t               admin;
    ngx_http_session_ctx_t  *caller;

    if (ngx_http_session_endpoint_caller(r, NULL, &caller, &admin)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    *code = NGX_HTTP_SESSION_HB_NO_SESSION;

    if (caller == NULL && !admin) {
        return NGX_DECLINED;
    }

    if (!req->has_session_id) {
        if (caller == NULL) {
            return NGX_DECLINED;
        }

        *digest = caller->digest;

    } else if (caller
               && ngx_memcmp(req->digest, caller->digest,
                             NGX_HTTP_SESSION_DIGEST_LEN)
                  == 0)
    {
        *digest = caller->digest;

    } else if (admin) {
        *digest = req->digest;

    } else {
        /* deny by default: not even whether the session exists */
        *code = NGX_HTTP_SESSION_HB_NOT_FOUND;
        return NGX_DECLINED;
    }

    return NGX_OK;
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
    ngx_str_t                           v;
    ngx_http_session_hornbill_make_t    mk;
    ngx_http_session_hornbill_desc_t   *d;
    ngx_http_session_hornbill_field_t  *f;

    mk.pool = pool;
    mk.hb = hb;
    mk.rec = hb->rec;

    /* two dates (with room for any year), sid, address, CRC */
    mk.p = ngx_pnalloc(pool, 2 * (sizeof("-yyyy-MM-dd HH:mm:ssZ")
                                  + NGX_INT64_LEN)
                             + NGX_HTTP_SESSION_SID_LEN
                             + NGX_SOCKADDR_STRLEN + NGX_INT64_LEN);
    if (mk.p == NULL) {
        return 0;
    }

    /* the user and the roles: several fields are made of them */

    mk.user = mk.rec->id;

    if (mk.user.len == 0) {
        ngx_http_session_record_var(mk.rec, "userId", &mk.user, "");
    }

    ngx_http_session_record_var(mk.rec, "assignedRole", &mk.roles, NULL);

    if (mk.roles.data == NULL
        || ngx_http_session_hornbill_next(mk.roles.data,
                                          mk.roles.data + mk.roles.len, &v)
           == NULL)
    {
        ngx_http_session_record_var(mk.rec, "role", &mk.roles, NULL);
    }

    if (mk.roles.data == NULL
        || ngx_http_session_hornbill_next(mk.roles.data,
                                          mk.roles.data + mk.roles.len, &v)
           == NULL)
    {
        ngx_str_set(&mk.roles, NGX_HTTP_SESSION_HB_ROLE);
    }

    f = fields;

    for (d = ngx_http_session_hornbill_descs; d->name; d++) {

        if (d->value(&mk, d, &v) != NGX_OK) {
            return 0;
        }

        /* an optional field without a value (data NULL) is left out */

        if (v.data == NULL) {
            continue;
        }

        f->name = d->name;
        f->child = d->child;
        f->kind = d->kind;
        f->value = v;
        f++;
    }

    return f - fields;
}


/* the session variable named by the field, or the field's default */

static ngx_int_t
ngx_http_session_hornbill_var(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    ngx_http_session_record_var(mk->rec, d->var, v, d->dflt);

    return NGX_OK;
}


/* a boolean variable (1, 0, true, false in any case); false otherwise */

static ngx_int_t
ngx_http_session_hornbill_bool(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    ngx_str_t  value;

    ngx_http_session_record_var(mk->rec, d->var, &value, "false");

    if (ngx_http_session_bool(&value) == 1) {
        ngx_str_set(v, "true");

    } else {
        ngx_str_set(v, "false");
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_hornbill_now(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    v->data = mk->p;
    mk->p = ngx_http_session_time_iso(mk->p, mk->rec->last);
    v->len = mk->p - v->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_hornbill_created(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    v->data = mk->p;
    mk->p = ngx_http_session_time_iso(mk->p, mk->rec->created);
    v->len = mk->p - v->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_hornbill_sid(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    v->data = mk->p;
    mk->p = ngx_http_session_sid(mk->p, mk->rec->digest);
    v->len = mk->p - v->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_hornbill_instance(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    *v = mk->hb->instance;

    return NGX_OK;
}


/* the client's address as the zone knows it, else the variable */

static ngx_int_t
ngx_http_session_hornbill_address(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    v->data = mk->p;
    mk->p = ngx_http_session_addr_text(mk->p, mk->rec->addr,
                                       mk->rec->addr_len);
    v->len = mk->p - v->data;

    if (v->len == 0) {
        ngx_http_session_record_var(mk->rec, d->var, v, d->dflt);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_hornbill_vars(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    *v = mk->rec->vars;

    if (v->len == 0) {
        v->data = NULL;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_hornbill_user(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    *v = mk->user;

    return NGX_OK;
}


/* the account's name, else the variable, else the user id */

static ngx_int_t
ngx_http_session_hornbill_user_name(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    *v = mk->rec->name;

    if (v->len == 0) {
        ngx_http_session_record_var(mk->rec, d->var, v, NULL);

        if (v->data == NULL) {
            *v = mk->user;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_hornbill_urn(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    ngx_http_session_record_var(mk->rec, d->var, v, NULL);

    if (v->data) {
        return NGX_OK;
    }

    v->len = sizeof(NGX_HTTP_SESSION_HB_URN) - 1 + mk->user.len;
    v->data = ngx_pnalloc(mk->pool, v->len);
    if (v->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ngx_cpymem(v->data, NGX_HTTP_SESSION_HB_URN,
                          sizeof(NGX_HTTP_SESSION_HB_URN) - 1),
               mk->user.data, mk->user.len);

    return NGX_OK;
}


/* xs:long: left out unless it is one */

static ngx_int_t
ngx_http_session_hornbill_long(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    ngx_http_session_record_var(mk->rec, d->var, v, NULL);

    if (v->data
        && ngx_http_session_hornbill_integer(v, 1,
                                             NGX_HTTP_SESSION_HB_LONG_MAX)
           != NGX_OK)
    {
        v->data = NULL;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_hornbill_offset(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    ngx_http_session_record_var(mk->rec, d->var, v, NULL);

    if (v->data == NULL
        || ngx_http_session_hornbill_integer(v, 1, 86400) != NGX_OK)
    {
        ngx_str_set(v, "0");
    }

    return NGX_OK;
}


/* a proxy grants no system rights */

static ngx_int_t
ngx_http_session_hornbill_none(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    ngx_str_set(v, "");

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_hornbill_roles(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    *v = mk->roles;

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_hornbill_crc(ngx_http_session_hornbill_make_t *mk,
    ngx_http_session_hornbill_desc_t *d, ngx_str_t *v)
{
    uint32_t  crc;

    ngx_http_session_record_var(mk->rec, d->var, v, NULL);

    if (v->data
        && ngx_http_session_hornbill_integer(v, 0, 0xffffffff) == NGX_OK)
    {
        return NGX_OK;
    }

    /* what the proxy knows of the state: instance, user, roles */

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, mk->hb->instance.data, mk->hb->instance.len);
    ngx_crc32_update(&crc, (u_char *) "\n", 1);
    ngx_crc32_update(&crc, mk->user.data, mk->user.len);
    ngx_crc32_update(&crc, (u_char *) "\n", 1);
    ngx_crc32_update(&crc, mk->roles.data, mk->roles.len);
    ngx_crc32_final(crc);

    v->data = mk->p;
    mk->p = ngx_sprintf(mk->p, "%uD", crc);
    v->len = mk->p - v->data;

    return NGX_OK;
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










