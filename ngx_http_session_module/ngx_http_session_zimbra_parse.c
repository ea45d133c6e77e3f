
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
 * Zimbra DumpSessionsRequest as the clients send it: a SOAP 1.2 or 1.1
 * envelope, Zimbra's SOAP JSON, or GET arguments.  Plain data in, an
 * ngx_http_session_zimbra_request_t out (the answer's format, the token,
 * the flags, or the fault to answer with), no request or zone:
 * fuzz/zimbra drives it directly.  Calls the body parsers
 * (ngx_http_session_body.c) and the leaf helpers.
 */


#define NGX_HTTP_SESSION_ZM_REQUEST      "DumpSessionsRequest"

/* at most this much of a JSON value is shown in a fault */
#define NGX_HTTP_SESSION_ZM_SHOW_MAX     64


static ngx_int_t ngx_http_session_zimbra_parse_xml(ngx_pool_t *pool,
    ngx_str_t *body, ngx_http_session_zimbra_request_t *zr);
static ngx_int_t ngx_http_session_zimbra_xml_envelope(xmlNodePtr root,
    const char *ns, xmlNodePtr *header, xmlNodePtr *req);
static ngx_int_t ngx_http_session_zimbra_xml_context(ngx_pool_t *pool,
    xmlNodePtr header, ngx_http_session_zimbra_request_t *zr);
static ngx_int_t ngx_http_session_zimbra_xml_unknown(ngx_pool_t *pool,
    xmlNodePtr req, ngx_http_session_zimbra_request_t *zr);
static ngx_int_t ngx_http_session_zimbra_parse_json(ngx_pool_t *pool,
    ngx_str_t *body, ngx_http_session_zimbra_request_t *zr);
static ngx_int_t ngx_http_session_zimbra_json_context(ngx_pool_t *pool,
    json_t *root, ngx_http_session_zimbra_request_t *zr);
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
    xmlDocPtr     doc;
    ngx_int_t     rc, grc;
    ngx_str_t     error, value, group;
    xmlNodePtr    root, header, req;
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

    if (ngx_http_session_zimbra_xml_envelope(root, ns, &header, &req)
        != NGX_OK)
    {
        return ngx_http_session_zimbra_refuse(pool, zr,
                                      NGX_HTTP_SESSION_ZIMBRA_INVALID_REQUEST,
                                      "invalid request: No SOAP body",
                                      NULL, 0);
    }

    if (ngx_http_session_zimbra_xml_context(pool, header, zr) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the document: urn:zimbraAdmin, or no namespace at all */

    if (!ngx_http_session_zimbra_is(req, NGX_HTTP_SESSION_ZM_REQUEST)
        || (req->ns && req->ns->href
            && ngx_strcmp(req->ns->href, NGX_HTTP_SESSION_ZM_ADMIN_NS) != 0))
    {
        return ngx_http_session_zimbra_xml_unknown(pool, req, zr);
    }

    rc = ngx_http_session_zimbra_xml_value(pool, req, "listSessions", &value);
    grc = ngx_http_session_zimbra_xml_value(pool, req, "groupByAccount",
                                            &group);

    return ngx_http_session_zimbra_flags(pool, zr, rc, &value, grc, &group);
}


/*
 * Header and Body in the envelope's namespace, and the document: the
 * first element of Body.  NGX_DECLINED: no document.
 */

static ngx_int_t
ngx_http_session_zimbra_xml_envelope(xmlNodePtr root, const char *ns,
    xmlNodePtr *header, xmlNodePtr *req)
{
    xmlNodePtr  node, sbody;

    *header = NULL;
    sbody = NULL;

    for (node = root->children; node; node = node->next) {

        if (node->type != XML_ELEMENT_NODE
            || node->ns == NULL || node->ns->href == NULL
            || ngx_strcmp(node->ns->href, ns) != 0)
        {
            continue;
        }

        if (*header == NULL && ngx_http_session_zimbra_is(node, "Header")) {
            *header = node;

        } else if (sbody == NULL && ngx_http_session_zimbra_is(node, "Body")) {
            sbody = node;
        }
    }

    *req = NULL;

    if (sbody) {
        for (*req = sbody->children; *req; *req = (*req)->next) {
            if ((*req)->type == XML_ELEMENT_NODE) {
                break;
            }
        }
    }

    return *req ? NGX_OK : NGX_DECLINED;
}


/*
 * The context, and its children, by local name: PHP's SoapClient
 * sends an unqualified authToken inside a prefixed context.  NGX_ERROR:
 * out of memory.
 */

static ngx_int_t
ngx_http_session_zimbra_xml_context(ngx_pool_t *pool, xmlNodePtr header,
    ngx_http_session_zimbra_request_t *zr)
{
    ngx_int_t    rc, frc;
    ngx_str_t    token, format;
    xmlNodePtr   ctx, fmt;

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

    return NGX_OK;
}


/* a document other than DumpSessionsRequest: a fault naming it */

static ngx_int_t
ngx_http_session_zimbra_xml_unknown(ngx_pool_t *pool, xmlNodePtr req,
    ngx_http_session_zimbra_request_t *zr)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   value;

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


static ngx_int_t
ngx_http_session_zimbra_parse_json(ngx_pool_t *pool, ngx_str_t *body,
    ngx_http_session_zimbra_request_t *zr)
{
    json_t      *root, *jbody, *req, *v, *ns;
    ngx_int_t    rc, grc;
    ngx_str_t    error, value, group;
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

    if (ngx_http_session_zimbra_json_context(pool, root, zr) != NGX_OK) {
        return NGX_ERROR;
    }

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


/* Header.context: the token and the format; NGX_ERROR: out of memory */

static ngx_int_t
ngx_http_session_zimbra_json_context(ngx_pool_t *pool, json_t *root,
    ngx_http_session_zimbra_request_t *zr)
{
    json_t     *header, *ctx, *fmt;
    ngx_int_t   rc, frc;
    ngx_str_t   token, format;

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

    return NGX_OK;
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
