
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <libxml/parser.h>
#include <jansson.h>

#include "ngx_http_session_endpoint.h"


/*
 * Request bodies of the endpoints, and the request details the dialects
 * share.  Bodies are read whole, up to session_max_body_size, and parsed
 * with libxml2 or jansson.  A SOAP or XMLMC message has no business with
 * a DTD, so the XML parser stops at the first one: no entity is ever
 * declared, hence none is expanded or fetched, whatever the body holds.
 * Calls nothing of the module but the leaf helpers.
 */


static void ngx_http_session_xml_dtd(void *data, const xmlChar *name,
    const xmlChar *external_id, const xmlChar *system_id);
static void ngx_http_session_xml_cleanup(void *data);
static void ngx_http_session_json_cleanup(void *data);
static void ngx_http_session_error_text(ngx_pool_t *pool, ngx_str_t *error,
    const char *text);


/*
 * NGX_DECLINED: the body is larger than the location allows; it is
 * discarded and the caller answers in its dialect.  Otherwise as
 * ngx_http_read_client_request_body().
 */

ngx_int_t
ngx_http_session_read_body(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt handler)
{
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (r->headers_in.content_length_n > (off_t) slcf->max_body_size) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_DECLINED;
    }

    r->request_body_in_single_buf = 1;

    return ngx_http_read_client_request_body(r, handler);
}


/*
 * The body read by ngx_http_session_read_body(), in one piece of memory
 * followed by a NUL.  NGX_DECLINED: larger than the location allows (a
 * chunked body can only be measured once read).
 */

ngx_int_t
ngx_http_session_body(ngx_http_request_t *r, ngx_str_t *body)
{
    off_t                         size;
    u_char                       *p;
    ssize_t                       n;
    ngx_buf_t                    *b;
    ngx_chain_t                  *cl;
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    body->len = 0;
    body->data = (u_char *) "";

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    size = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    if (size > (off_t) slcf->max_body_size) {
        return NGX_DECLINED;
    }

    if (size == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, (size_t) size + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = (size_t) size;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            n = ngx_read_file(b->file, p, (size_t) (b->file_last - b->file_pos),
                              b->file_pos);

            if (n != (ssize_t) (b->file_last - b->file_pos)) {
                return NGX_ERROR;
            }

            p += n;
            continue;
        }

        /* the empty last buffer of a chunked body has no memory at all */

        if (b->last != b->pos) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
        }
    }

    *p = '\0';

    return NGX_OK;
}


/* an xmlDocPtr freed with the pool, or NULL and why in "error" */

void *
ngx_http_session_parse_xml(ngx_pool_t *pool, ngx_str_t *body,
    ngx_str_t *error)
{
    int                  options;
    xmlDocPtr            doc;
    const xmlError      *err;
    ngx_uint_t           dtd;
    xmlParserCtxtPtr     ctxt;
    ngx_pool_cleanup_t  *cln;

    if (body->len == 0) {
        ngx_str_set(error, "empty request payload");
        return NULL;
    }

    if (body->len > NGX_MAX_INT32_VALUE) {
        ngx_str_set(error, "request payload too large");
        return NULL;
    }

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        ngx_str_set(error, "out of memory");
        return NULL;
    }

    ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) {
        ngx_str_set(error, "out of memory");
        return NULL;
    }

    dtd = 0;
    ctxt->_private = &dtd;
    ctxt->sax->internalSubset = ngx_http_session_xml_dtd;

    options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
              | XML_PARSE_NOCDATA;

    doc = xmlCtxtReadMemory(ctxt, (char *) body->data, (int) body->len,
                            NULL, NULL, options);

    if (doc && dtd) {
        /* libxml2 2.9 hands back the stopped parse's partial document */
        xmlFreeDoc(doc);
        doc = NULL;
    }

    if (doc == NULL) {
        if (dtd) {
            ngx_str_set(error, "a document type declaration (DTD) is not "
                               "allowed in a request");

        } else {
            err = xmlCtxtGetLastError(ctxt);
            ngx_http_session_error_text(pool, error,
                                        err && err->message
                                        ? err->message
                                        : "malformed XML");
        }

        xmlFreeParserCtxt(ctxt);
        return NULL;
    }

    xmlFreeParserCtxt(ctxt);

    cln->handler = ngx_http_session_xml_cleanup;
    cln->data = doc;

    return doc;
}


static void
ngx_http_session_xml_dtd(void *data, const xmlChar *name,
    const xmlChar *external_id, const xmlChar *system_id)
{
    xmlParserCtxtPtr  ctxt = data;

    *(ngx_uint_t *) ctxt->_private = 1;

    xmlStopParser(ctxt);
}


static void
ngx_http_session_xml_cleanup(void *data)
{
    xmlFreeDoc(data);
}


/* a json_t freed with the pool, or NULL and why in "error" */

void *
ngx_http_session_parse_json(ngx_pool_t *pool, ngx_str_t *body,
    ngx_str_t *error)
{
    json_t              *json;
    json_error_t         err;
    ngx_pool_cleanup_t  *cln;

    if (body->len == 0) {
        ngx_str_set(error, "empty request payload");
        return NULL;
    }

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        ngx_str_set(error, "out of memory");
        return NULL;
    }

    json = json_loadb((char *) body->data, body->len, JSON_REJECT_DUPLICATES,
                      &err);

    if (json == NULL) {
        ngx_http_session_error_text(pool, error, err.text);
        return NULL;
    }

    cln->handler = ngx_http_session_json_cleanup;
    cln->data = json;

    return json;
}


static void
ngx_http_session_json_cleanup(void *data)
{
    json_decref(data);
}


/* a parser's message, trimmed, in the pool's memory */

static void
ngx_http_session_error_text(ngx_pool_t *pool, ngx_str_t *error,
    const char *text)
{
    size_t   len;
    u_char  *p;

    len = ngx_strlen(text);

    while (len && (text[len - 1] == '\n' || text[len - 1] == ' ')) {
        len--;
    }

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        ngx_str_set(error, "malformed request");
        return;
    }

    ngx_memcpy(p, text, len);

    error->data = p;
    error->len = len;
}


/*
 * Python 3's str(b'...'): the bytes literal's escapes decoded, so the
 * text inside is the bytes the client meant (Hornbill's Python client
 * sends its XML so under Python 3).  "text" is the whole literal, b'...'
 * or b"...".  NGX_DECLINED: an invalid escape.  repr() writes \\, \',
 * \t, \n, \r and \xNN; the other escapes of a bytes literal are decoded
 * too, and an unknown one stays as it is, as Python does.
 */

ngx_int_t
ngx_http_session_python_bytes(ngx_pool_t *pool, ngx_str_t *text)
{
    u_char      c, *src, *last, *dst, *start;
    ngx_int_t   hi, lo;
    ngx_uint_t  i, n;

    src = text->data + 2;
    last = text->data + text->len - 1;

    start = ngx_pnalloc(pool, last - src + 1);
    if (start == NULL) {
        return NGX_ERROR;
    }

    dst = start;

    while (src < last) {
        c = *src++;

        if (c != '\\') {
            *dst++ = c;
            continue;
        }

        if (src == last) {
            /* the closing quote was escaped: the literal is not closed */
            goto invalid;
        }

        c = *src++;

        switch (c) {

        case '\\':
        case '\'':
        case '"':
            *dst++ = c;
            break;

        case 'n':
            *dst++ = '\n';
            break;

        case 't':
            *dst++ = '\t';
            break;

        case 'r':
            *dst++ = '\r';
            break;

        case 'a':
            *dst++ = '\a';
            break;

        case 'b':
            *dst++ = '\b';
            break;

        case 'f':
            *dst++ = '\f';
            break;

        case 'v':
            *dst++ = '\v';
            break;

        case '\n':
            /* a line continuation */
            break;

        case 'x':
            if (last - src < 2) {
                goto invalid;
            }

            hi = ngx_hextoi(src, 1);
            lo = ngx_hextoi(src + 1, 1);

            if (hi == NGX_ERROR || lo == NGX_ERROR) {
                goto invalid;
            }

            *dst++ = (u_char) (hi << 4 | lo);
            src += 2;
            break;

        case '0': case '1': case '2': case '3':
        case '4': case '5': case '6': case '7':
            n = c - '0';

            for (i = 1; i < 3 && src < last && *src >= '0' && *src <= '7';
                 i++)
            {
                n = n * 8 + (*src++ - '0');
            }

            if (n > 0xff) {
                goto invalid;
            }

            *dst++ = (u_char) n;
            break;

        default:
            *dst++ = '\\';
            *dst++ = c;
        }
    }

    text->data = start;
    text->len = dst - start;

    return NGX_OK;

invalid:

    return NGX_DECLINED;
}


/* Zimbra's parseBool: 1, 0, true, false, in any case; else NGX_ERROR */

ngx_int_t
ngx_http_session_bool(ngx_str_t *value)
{
    if (value->len == 1 && value->data[0] == '1') {
        return 1;
    }

    if (value->len == 1 && value->data[0] == '0') {
        return 0;
    }

    if (value->len == 4 && ngx_strncasecmp(value->data, (u_char *) "true", 4)
                           == 0)
    {
        return 1;
    }

    if (value->len == 5
        && ngx_strncasecmp(value->data, (u_char *) "false", 5) == 0)
    {
        return 0;
    }

    return NGX_ERROR;
}


/* a query argument, percent-decoded; NGX_DECLINED when absent */

ngx_int_t
ngx_http_session_arg(ngx_http_request_t *r, char *name, ngx_str_t *value)
{
    u_char     *dst, *src;
    ngx_str_t   raw;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &raw) != NGX_OK) {
        return NGX_DECLINED;
    }

    dst = ngx_pnalloc(r->pool, raw.len);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    value->data = dst;
    src = raw.data;

    ngx_unescape_uri(&dst, &src, raw.len, 0);

    value->len = dst - value->data;

    return NGX_OK;
}


/* "Accept: application/json" or "text/json": the dialects' JSON switch */

ngx_int_t
ngx_http_session_accepts_json(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("Accept") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Accept",
                               sizeof("Accept") - 1)
               == 0
            && ngx_strlcasestrn(h[i].value.data,
                                h[i].value.data + h[i].value.len,
                                (u_char *) "json", sizeof("json") - 2)
               != NULL)
        {
            return 1;
        }
    }

    return 0;
}
