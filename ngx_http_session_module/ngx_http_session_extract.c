
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <jansson.h>

#include "ngx_http_session_login.h"


/*
 * Fields of a login body: a form field by name, a JSON value by JSON
 * Pointer (RFC 6901), an XML node by XPath with the namespaces the
 * operator binds.  Plain data in, plain data out: no request, no zone,
 * so a fuzzer drives it directly.  Bodies are parsed by body.c's
 * parsers, under their rules for hostile input (no DTD, hence no
 * entity; jansson's depth limit); an XPath evaluation is bounded in
 * operations.  Only the fields asked for are decoded or copied: a
 * password beside them is never.
 */


/* XPath steps an evaluation may take: ample for a login document */
#define NGX_HTTP_SESSION_XPATH_OPS  100000


/*
 * A worker's XPath context, made once: a new context registers every
 * XPath function in a hash, which cost more than the evaluation.
 */
static xmlXPathContextPtr  ngx_http_session_xpath_ctx;


static ngx_int_t ngx_http_session_pointer_init(ngx_pool_t *pool,
    ngx_str_t *text, ngx_http_session_source_t *src, ngx_str_t *error);
static ngx_int_t ngx_http_session_xpath_init(ngx_pool_t *pool,
    ngx_str_t *text, ngx_array_t *ns, ngx_http_session_source_t *src,
    ngx_str_t *error);
static void ngx_http_session_xpath_cleanup(void *data);
#if (LIBXML_VERSION >= 21200)
static void ngx_http_session_xpath_error(void *data, const xmlError *err);
#else
static void ngx_http_session_xpath_error(void *data, xmlErrorPtr err);
#endif
static const char *ngx_http_session_xpath_reason(int code);
static xmlXPathContextPtr ngx_http_session_xpath_reuse(xmlDocPtr doc,
    ngx_array_t *ns);
static void ngx_http_session_xpath_free(void *data);
static xmlXPathContextPtr ngx_http_session_xpath_context(xmlDocPtr doc,
    ngx_array_t *ns);
static ngx_int_t ngx_http_session_json_value(ngx_pool_t *pool, json_t *json,
    ngx_http_session_source_t *src, ngx_str_t *value);
static ngx_int_t ngx_http_session_xml_value(ngx_pool_t *pool, xmlDocPtr doc,
    ngx_http_session_source_t *src, ngx_array_t *ns, ngx_str_t *value);
static size_t ngx_http_session_form_decode(u_char *dst, u_char *src,
    size_t len);
static ngx_int_t ngx_http_session_copy_value(ngx_pool_t *pool, u_char *data,
    size_t len, ngx_str_t *value);


/*
 * Compiles a source at configuration time: a JSON Pointer split into its
 * reference tokens, an XPath expression compiled and tried once on an
 * empty document, so an unbound prefix is an error now, not a field that
 * is never found.
 */

ngx_int_t
ngx_http_session_source_init(ngx_pool_t *pool, ngx_uint_t type,
    ngx_str_t *text, ngx_array_t *ns, ngx_http_session_source_t *src,
    ngx_str_t *error)
{
    ngx_memzero(src, sizeof(ngx_http_session_source_t));

    src->type = type;
    src->text = *text;

    if (text->len > NGX_HTTP_SESSION_SOURCE_MAX) {
        ngx_str_set(error, "is too long");
        return NGX_ERROR;
    }

    switch (type) {

    case NGX_HTTP_SESSION_SOURCE_FORM:
        if (text->len == 0) {
            ngx_str_set(error, "names no form field");
            return NGX_ERROR;
        }

        return NGX_OK;

    case NGX_HTTP_SESSION_SOURCE_JSON:
        return ngx_http_session_pointer_init(pool, text, src, error);

    default: /* NGX_HTTP_SESSION_SOURCE_XML */
        return ngx_http_session_xpath_init(pool, text, ns, src, error);
    }
}


/* RFC 6901: "/a/b~1c/0" is "a", "b/c", "0"; "" is the whole document */

static ngx_int_t
ngx_http_session_pointer_init(ngx_pool_t *pool, ngx_str_t *text,
    ngx_http_session_source_t *src, ngx_str_t *error)
{
    u_char     *p, *last, *dst;
    ngx_str_t  *token;

    src->tokens = ngx_array_create(pool, 4, sizeof(ngx_str_t));
    if (src->tokens == NULL) {
        return NGX_ERROR;
    }

    if (text->len == 0) {
        return NGX_OK;
    }

    if (text->data[0] != '/') {
        ngx_str_set(error, "is no JSON Pointer: it must start with \"/\"");
        return NGX_ERROR;
    }

    p = text->data;
    last = text->data + text->len;

    while (p < last) {
        p++;    /* the "/" */

        token = ngx_array_push(src->tokens);
        if (token == NULL) {
            return NGX_ERROR;
        }

        token->data = ngx_pnalloc(pool, last - p + 1);
        if (token->data == NULL) {
            return NGX_ERROR;
        }

        dst = token->data;

        while (p < last && *p != '/') {
            if (*p != '~') {
                *dst++ = *p++;
                continue;
            }

            if (last - p < 2 || (p[1] != '0' && p[1] != '1')) {
                ngx_str_set(error, "is no JSON Pointer: \"~\" is followed "
                                   "by \"0\" or \"1\"");
                return NGX_ERROR;
            }

            *dst++ = (p[1] == '0') ? '~' : '/';
            p += 2;
        }

        token->len = dst - token->data;
        *dst = '\0';
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_xpath_init(ngx_pool_t *pool, ngx_str_t *text,
    ngx_array_t *ns, ngx_http_session_source_t *src, ngx_str_t *error)
{
    u_char               *expr;
    xmlDocPtr             doc;
    const xmlError       *err;
    xmlXPathObjectPtr     obj;
    ngx_pool_cleanup_t   *cln;
    xmlXPathContextPtr    ctx;
    xmlXPathCompExprPtr   comp;

    if (text->len == 0) {
        ngx_str_set(error, "is an empty XPath expression");
        return NGX_ERROR;
    }

    expr = ngx_pnalloc(pool, text->len + 1);
    if (expr == NULL) {
        return NGX_ERROR;
    }

    (void) ngx_cpystrn(expr, text->data, text->len + 1);

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    doc = xmlReadMemory("<x/>", 4, NULL, NULL, XML_PARSE_NONET);
    if (doc == NULL) {
        return NGX_ERROR;
    }

    ctx = ngx_http_session_xpath_context(doc, ns);
    if (ctx == NULL) {
        xmlFreeDoc(doc);
        return NGX_ERROR;
    }

    comp = xmlXPathCtxtCompile(ctx, expr);
    obj = NULL;

    if (comp) {
        cln->handler = ngx_http_session_xpath_cleanup;
        cln->data = comp;
        src->xpath = comp;

        obj = xmlXPathCompiledEval(comp, ctx);
    }

    if (obj == NULL) {
        err = &ctx->lastError;

        error->data = ngx_pnalloc(pool, NGX_MAX_ERROR_STR);
        if (error->data == NULL) {
            xmlXPathFreeContext(ctx);
            xmlFreeDoc(doc);
            return NGX_ERROR;
        }

        error->len = ngx_snprintf(error->data, NGX_MAX_ERROR_STR,
                                  "is no XPath expression: %s "
                                  "(at character %d)",
                                  ngx_http_session_xpath_reason(err->code),
                                  err->int1 + 1)
                     - error->data;

        xmlXPathFreeContext(ctx);
        xmlFreeDoc(doc);

        return NGX_ERROR;
    }

    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);

    return NGX_OK;
}


/*
 * With a structured error handler libxml2 leaves the message out of the
 * error: the common codes are named here.
 */

static const char *
ngx_http_session_xpath_reason(int code)
{
    switch (code - XML_XPATH_EXPRESSION_OK + XPATH_EXPRESSION_OK) {

    case XPATH_UNDEF_PREFIX_ERROR:
        return "undefined namespace prefix: bind it with xmlns:PREFIX=URI";

    case XPATH_UNKNOWN_FUNC_ERROR:
        return "unregistered function";

    case XPATH_UNFINISHED_LITERAL_ERROR:
        return "unfinished literal";

    case XPATH_INVALID_PREDICATE_ERROR:
        return "invalid predicate";

    case XPATH_INVALID_ARITY:
        return "invalid number of arguments";

    case XPATH_UNDEF_VARIABLE_ERROR:
        return "undefined variable";

    default:
        return "invalid expression";
    }
}


static void
ngx_http_session_xpath_cleanup(void *data)
{
    xmlXPathFreeCompExpr(data);
}


/* the error is in the context's lastError; nothing goes to stderr */

static void
#if (LIBXML_VERSION >= 21200)
ngx_http_session_xpath_error(void *data, const xmlError *err)
#else
ngx_http_session_xpath_error(void *data, xmlErrorPtr err)
#endif
{
}


static xmlXPathContextPtr
ngx_http_session_xpath_context(xmlDocPtr doc, ngx_array_t *ns)
{
    ngx_uint_t              i;
    xmlXPathContextPtr      ctx;
    ngx_http_session_ns_t  *n;

    ctx = xmlXPathNewContext(doc);
    if (ctx == NULL) {
        return NULL;
    }

    ctx->error = ngx_http_session_xpath_error;
    ctx->opLimit = NGX_HTTP_SESSION_XPATH_OPS;

    if (ns == NULL) {
        return ctx;
    }

    n = ns->elts;

    for (i = 0; i < ns->nelts; i++) {
        if (xmlXPathRegisterNs(ctx, n[i].prefix.data, n[i].uri.data) != 0) {
            xmlXPathFreeContext(ctx);
            return NULL;
        }
    }

    return ctx;
}


static void
ngx_http_session_xpath_free(void *data)
{
    xmlXPathFreeContext(ngx_http_session_xpath_ctx);
    ngx_http_session_xpath_ctx = NULL;
}


/* the worker's context, set up for one evaluation on "doc" */

static xmlXPathContextPtr
ngx_http_session_xpath_reuse(xmlDocPtr doc, ngx_array_t *ns)
{
    ngx_uint_t              i;
    ngx_pool_cleanup_t     *cln;
    xmlXPathContextPtr      ctx;
    ngx_http_session_ns_t  *n;

    ctx = ngx_http_session_xpath_ctx;

    if (ctx == NULL) {
        /* freed when the worker exits, before the module is unloaded */

        cln = ngx_pool_cleanup_add(ngx_cycle->pool, 0);
        if (cln == NULL) {
            return NULL;
        }

        ctx = ngx_http_session_xpath_context(NULL, NULL);
        if (ctx == NULL) {
            return NULL;
        }

        cln->handler = ngx_http_session_xpath_free;
        cln->data = NULL;

        ngx_http_session_xpath_ctx = ctx;
    }

    xmlXPathRegisteredNsCleanup(ctx);

    if (ns) {
        n = ns->elts;

        for (i = 0; i < ns->nelts; i++) {
            if (xmlXPathRegisterNs(ctx, n[i].prefix.data, n[i].uri.data)
                != 0)
            {
                return NULL;
            }
        }
    }

    ctx->doc = doc;
    ctx->node = (xmlNodePtr) doc;
    ctx->opCount = 0;
    ctx->contextSize = -1;
    ctx->proximityPosition = -1;

    return ctx;
}


/*
 * The body's format from its first byte, as Zimbra chooses it (clients
 * send XML and JSON with any Content-Type): "<" is XML, "{" or "[" JSON,
 * anything else a form when forms are expected (a request; a request
 * may also be XML in a Python bytes literal).  NGX_DECLINED: the body
 * does not parse; "error" says why, without a byte of the body.
 */

ngx_int_t
ngx_http_session_doc_parse(ngx_pool_t *pool, ngx_str_t *body,
    ngx_uint_t form, ngx_http_session_doc_t *doc)
{
    u_char     *p, *last;
    ngx_int_t   rc;
    ngx_str_t   reason;

    ngx_memzero(doc, sizeof(ngx_http_session_doc_t));

    p = body->data;
    last = body->data + body->len;

    /* a UTF-8 byte order mark, then white space */

    if (last - p >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
        p += 3;
    }

    while (p < last && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    {
        p++;
    }

    while (last > p
           && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\r'
               || last[-1] == '\n'))
    {
        last--;
    }

    doc->text.data = p;
    doc->text.len = last - p;

    if (p == last) {
        return NGX_OK;
    }

    /* Hornbill's Python client under Python 3 sends str(b'<xml...>') */

    if (form && last - p >= 3 && p[0] == 'b' && (p[1] == '\'' || p[1] == '"')
        && last[-1] == p[1])
    {
        rc = ngx_http_session_python_bytes(pool, &doc->text);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_DECLINED) {
            ngx_str_set(&doc->error, "a Python bytes literal with an "
                                     "invalid escape");
            return NGX_DECLINED;
        }

        p = doc->text.data;
        last = p + doc->text.len;

        while (p < last && (*p == ' ' || *p == '\t' || *p == '\r'
                            || *p == '\n'))
        {
            p++;
        }

        doc->text.data = p;
        doc->text.len = last - p;

        if (p == last) {
            return NGX_OK;
        }
    }

    if (*p == '<') {
        doc->format = NGX_HTTP_SESSION_SOURCE_XML;
        doc->doc = ngx_http_session_parse_xml(pool, &doc->text, &reason);

    } else if (*p == '{' || *p == '[') {
        doc->format = NGX_HTTP_SESSION_SOURCE_JSON;
        doc->doc = ngx_http_session_parse_json(pool, &doc->text, &reason);

    } else if (form) {
        doc->format = NGX_HTTP_SESSION_SOURCE_FORM;
        return NGX_OK;

    } else {
        ngx_str_set(&doc->error, "neither JSON nor XML");
        return NGX_DECLINED;
    }

    if (doc->doc) {
        return NGX_OK;
    }

    /*
     * jansson's messages quote the text near the error, which may be a
     * password: only the parser's verdict on XML is kept, never a
     * JSON message
     */

    if (doc->format == NGX_HTTP_SESSION_SOURCE_XML) {
        doc->error = reason;

    } else {
        ngx_str_set(&doc->error, "malformed JSON");
    }

    doc->format = 0;

    return NGX_DECLINED;
}


/* NGX_OK: found, non-empty; NGX_DECLINED: not there */

ngx_int_t
ngx_http_session_doc_value(ngx_pool_t *pool, ngx_http_session_doc_t *doc,
    ngx_http_session_source_t *src, ngx_array_t *ns, ngx_str_t *value)
{
    ngx_int_t  rc;

    if (doc->format != src->type) {
        return NGX_DECLINED;
    }

    switch (src->type) {

    case NGX_HTTP_SESSION_SOURCE_FORM:
        rc = ngx_http_session_form_value(pool, &doc->text, &src->text, value);
        break;

    case NGX_HTTP_SESSION_SOURCE_JSON:
        rc = ngx_http_session_json_value(pool, doc->doc, src, value);
        break;

    default: /* NGX_HTTP_SESSION_SOURCE_XML */
        rc = ngx_http_session_xml_value(pool, doc->doc, src, ns, value);
        break;
    }

    if (rc == NGX_OK && value->len == 0) {
        return NGX_DECLINED;
    }

    return rc;
}


/* a string, number or boolean; objects, arrays and null are no value */

static ngx_int_t
ngx_http_session_json_value(ngx_pool_t *pool, json_t *json,
    ngx_http_session_source_t *src, ngx_str_t *value)
{
    u_char      *p, buf[NGX_INT64_LEN + 2];
    ngx_int_t    n;
    ngx_str_t   *token;
    ngx_uint_t   i;
    json_int_t   k;

    token = src->tokens->elts;

    for (i = 0; i < src->tokens->nelts && json; i++) {

        if (json_is_object(json)) {
            /* a token is NUL-terminated, and holds no NUL */
            json = json_object_get(json, (char *) token[i].data);
            continue;
        }

        if (!json_is_array(json)) {
            return NGX_DECLINED;
        }

        /* an array index: digits, no leading zero */

        if (token[i].len == 0 || token[i].len > NGX_INT_T_LEN
            || (token[i].data[0] == '0' && token[i].len > 1))
        {
            return NGX_DECLINED;
        }

        n = ngx_atoi(token[i].data, token[i].len);
        if (n == NGX_ERROR) {
            return NGX_DECLINED;
        }

        json = json_array_get(json, (size_t) n);
    }

    if (json == NULL) {
        return NGX_DECLINED;
    }

    switch (json_typeof(json)) {

    case JSON_STRING:
        return ngx_http_session_copy_value(pool,
                                           (u_char *) json_string_value(json),
                                           json_string_length(json), value);

    case JSON_INTEGER:
        k = json_integer_value(json);
        p = ngx_sprintf(buf, "%L", (int64_t) k);
        return ngx_http_session_copy_value(pool, buf, p - buf, value);

    case JSON_TRUE:
        return ngx_http_session_copy_value(pool, (u_char *) "true", 4, value);

    case JSON_FALSE:
        return ngx_http_session_copy_value(pool, (u_char *) "false", 5,
                                           value);

    default:
        /* reals, null, objects, arrays: no token or name */
        return NGX_DECLINED;
    }
}


/* the string value of the first node, or of a string result */

static ngx_int_t
ngx_http_session_xml_value(ngx_pool_t *pool, xmlDocPtr doc,
    ngx_http_session_source_t *src, ngx_array_t *ns, ngx_str_t *value)
{
    ngx_int_t            rc;
    xmlChar             *s;
    xmlXPathObjectPtr    obj;
    xmlXPathContextPtr   ctx;

    ctx = ngx_http_session_xpath_reuse(doc, ns);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    obj = xmlXPathCompiledEval(src->xpath, ctx);

    ctx->doc = NULL;
    ctx->node = NULL;

    if (obj == NULL) {
        /* the operation limit, or memory */
        return NGX_DECLINED;
    }

    if (obj->type == XPATH_NODESET
        && (obj->nodesetval == NULL || obj->nodesetval->nodeNr == 0))
    {
        xmlXPathFreeObject(obj);
        return NGX_DECLINED;
    }

    s = xmlXPathCastToString(obj);

    xmlXPathFreeObject(obj);

    if (s == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_session_copy_value(pool, s, ngx_strlen(s), value);

    xmlFree(s);

    return rc;
}


/*
 * application/x-www-form-urlencoded: the first field of that name,
 * both decoded ("+" is a space, %XX a byte).  Other fields are skipped
 * undecoded.
 */

ngx_int_t
ngx_http_session_form_value(ngx_pool_t *pool, ngx_str_t *body,
    ngx_str_t *name, ngx_str_t *value)
{
    u_char  *p, *last, *start, *eq, *end, buf[NGX_HTTP_SESSION_SOURCE_MAX];
    size_t   len;

    p = body->data;
    last = body->data + body->len;

    while (p < last) {
        start = p;

        end = ngx_strlchr(p, last, '&');
        if (end == NULL) {
            end = last;
        }

        p = end + 1;

        eq = ngx_strlchr(start, end, '=');
        if (eq == NULL) {
            eq = end;
        }

        /* a decoded name is never longer than its text */

        if ((size_t) (eq - start) > sizeof(buf)
            || (size_t) (eq - start) < name->len)
        {
            continue;
        }

        len = ngx_http_session_form_decode(buf, start, eq - start);

        if (len != name->len || ngx_memcmp(buf, name->data, len) != 0) {
            continue;
        }

        if (eq == end) {
            ngx_str_null(value);
            return NGX_OK;
        }

        eq++;

        if ((size_t) (end - eq) > NGX_HTTP_SESSION_FIELD_MAX * 3) {
            /* more than any token: longer than the limit once decoded */
            return NGX_DECLINED;
        }

        value->data = ngx_pnalloc(pool, end - eq);
        if (value->data == NULL) {
            return NGX_ERROR;
        }

        value->len = ngx_http_session_form_decode(value->data, eq, end - eq);

        if (value->len > NGX_HTTP_SESSION_FIELD_MAX) {
            return NGX_DECLINED;
        }

        return NGX_OK;
    }

    return NGX_DECLINED;
}


/* "%" not followed by two hex digits stays as it is, as browsers do */

static size_t
ngx_http_session_form_decode(u_char *dst, u_char *src, size_t len)
{
    u_char     *start, *last, c;
    ngx_int_t   hi, lo;

    start = dst;
    last = src + len;

    while (src < last) {
        c = *src++;

        if (c == '+') {
            *dst++ = ' ';
            continue;
        }

        if (c == '%' && last - src >= 2) {
            hi = ngx_hextoi(src, 1);
            lo = ngx_hextoi(src + 1, 1);

            if (hi != NGX_ERROR && lo != NGX_ERROR) {
                *dst++ = (u_char) (hi << 4 | lo);
                src += 2;
                continue;
            }
        }

        *dst++ = c;
    }

    return dst - start;
}


/* trimmed of white space, copied to the pool; too long is no value */

static ngx_int_t
ngx_http_session_copy_value(ngx_pool_t *pool, u_char *data, size_t len,
    ngx_str_t *value)
{
    u_char  *last;

    last = data + len;

    while (data < last
           && (*data == ' ' || *data == '\t' || *data == '\r'
               || *data == '\n'))
    {
        data++;
    }

    while (last > data
           && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\r'
               || last[-1] == '\n'))
    {
        last--;
    }

    len = last - data;

    if (len > NGX_HTTP_SESSION_FIELD_MAX) {
        return NGX_DECLINED;
    }

    value->len = len;

    if (len == 0) {
        value->data = NULL;
        return NGX_OK;
    }

    value->data = ngx_pnalloc(pool, len);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(value->data, data, len);

    return NGX_OK;
}
