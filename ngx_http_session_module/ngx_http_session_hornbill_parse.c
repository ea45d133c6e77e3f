
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <jansson.h>

#include "ngx_http_session_endpoint.h"


/*
 * Hornbill getSessionInfo requests as the clients send them: XML or JSON
 * methodCalls, Python's bytes repr of either, or none at all (the query
 * names the method).  Plain data in, an ngx_http_session_hornbill_request_t
 * out, no request or zone: fuzz/hornbill drives it directly.  Calls the
 * body parsers (ngx_http_session_body.c) and the leaf helpers.
 */


static ngx_int_t ngx_http_session_hornbill_payload(ngx_pool_t *pool,
    ngx_str_t *body, ngx_http_session_hornbill_request_t *req);
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
static ngx_int_t ngx_http_session_hornbill_refuse(ngx_pool_t *pool,
    ngx_http_session_hornbill_request_t *req, ngx_uint_t code,
    const char *fmt, ...);


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
    ngx_str_t  sid;

    ngx_memzero(req, sizeof(ngx_http_session_hornbill_request_t));

    rc = ngx_http_session_hornbill_payload(pool, body, req);
    if (rc != NGX_OK) {
        return rc;
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


/* the body: XML, JSON, either in Python's b'...', or nothing */

static ngx_int_t
ngx_http_session_hornbill_payload(ngx_pool_t *pool, ngx_str_t *body,
    ngx_http_session_hornbill_request_t *req)
{
    ngx_int_t  rc;
    ngx_str_t  text;

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


void
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
