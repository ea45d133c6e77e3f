
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <jansson.h>

#include "fuzz_common.h"


/*
 * The output escapers, on any bytes (names, accounts and variables come
 * from traffic):
 *   - each writes exactly the length its _len function computed, into
 *     memory of that size;
 *   - the output is valid UTF-8;
 *   - XML: no raw < > " ' or control byte, every & starts an entity,
 *     and libxml2 reads it, as an attribute value and as text, back to
 *     the input (with U+FFFD for what XML cannot carry);
 *   - JSON: jansson reads it, in quotes, back to the input as a string
 *     (with U+FFFD for bytes that are not UTF-8).
 */


static void ngx_fuzz_xml(ngx_pool_t *pool, ngx_str_t *src);
static void ngx_fuzz_json(ngx_pool_t *pool, ngx_str_t *src);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ngx_str_t    src;
    ngx_pool_t  *pool;

    pool = ngx_fuzz_pool();

    ngx_fuzz_str(pool, &src, data, size);

    ngx_fuzz_xml(pool, &src);
    ngx_fuzz_json(pool, &src);

    ngx_destroy_pool(pool);

    return 0;
}


static void
ngx_fuzz_xml(ngx_pool_t *pool, ngx_str_t *src)
{
    size_t      len, want_len, i;
    u_char     *out, *last, *want, *doc_text, *p;
    xmlChar    *attr, *text;
    xmlDocPtr   doc;
    xmlNodePtr  root;

    len = ngx_http_session_escape_xml_len(src->data, src->len);

    /* what the stream reserves for an escaped string without measuring */
    ngx_fuzz_assert(len <= src->len * NGX_HTTP_SESSION_ESCAPE_MAX);

    out = ngx_pnalloc(pool, len ? len : 1);
    if (out == NULL) {
        abort();
    }

    last = ngx_http_session_escape_xml(out, src->data, src->len);
    ngx_fuzz_assert((size_t) (last - out) == len);

    ngx_fuzz_assert(ngx_fuzz_valid_utf8(out, len));

    for (i = 0; i < len; i++) {
        ngx_fuzz_assert(out[i] >= 0x20);
        ngx_fuzz_assert(out[i] != '<' && out[i] != '>' && out[i] != '"'
                        && out[i] != '\'');

        if (out[i] == '&') {
            p = out + i;
            ngx_fuzz_assert(ngx_strncmp(p, "&amp;", 5) == 0
                            || ngx_strncmp(p, "&lt;", 4) == 0
                            || ngx_strncmp(p, "&gt;", 4) == 0
                            || ngx_strncmp(p, "&quot;", 6) == 0
                            || ngx_strncmp(p, "&apos;", 6) == 0
                            || ngx_strncmp(p, "&#9;", 4) == 0
                            || ngx_strncmp(p, "&#10;", 5) == 0
                            || ngx_strncmp(p, "&#13;", 5) == 0);
        }
    }

    /* <a v="OUT">OUT</a>, read back by libxml2 */

    doc_text = ngx_pnalloc(pool, 2 * len + sizeof("<a v=\"\"></a>"));
    if (doc_text == NULL) {
        abort();
    }

    p = ngx_cpymem(doc_text, "<a v=\"", 6);
    p = ngx_cpymem(p, out, len);
    p = ngx_cpymem(p, "\">", 2);
    p = ngx_cpymem(p, out, len);
    p = ngx_cpymem(p, "</a>", 4);

    doc = xmlReadMemory((char *) doc_text, p - doc_text, NULL, "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR
                        | XML_PARSE_NOWARNING | XML_PARSE_HUGE);
    ngx_fuzz_assert(doc != NULL);

    want = ngx_pnalloc(pool, 3 * src->len + 1);
    if (want == NULL) {
        abort();
    }

    want_len = ngx_fuzz_expected_text(want, src->data, src->len, 1) - want;

    root = xmlDocGetRootElement(doc);
    attr = xmlGetProp(root, (xmlChar *) "v");
    text = xmlNodeGetContent(root);

    ngx_fuzz_assert(attr != NULL && text != NULL);
    ngx_fuzz_assert(strlen((char *) attr) == want_len
                    && ngx_memcmp(attr, want, want_len) == 0);
    ngx_fuzz_assert(strlen((char *) text) == want_len
                    && ngx_memcmp(text, want, want_len) == 0);

    xmlFree(attr);
    xmlFree(text);
    xmlFreeDoc(doc);
}


static void
ngx_fuzz_json(ngx_pool_t *pool, ngx_str_t *src)
{
    size_t         len, want_len;
    u_char        *out, *last, *want, *quoted;
    json_t        *json;
    json_error_t   err;

    len = ngx_http_session_escape_json_len(src->data, src->len);

    ngx_fuzz_assert(len <= src->len * NGX_HTTP_SESSION_ESCAPE_MAX);

    out = ngx_pnalloc(pool, len ? len : 1);
    if (out == NULL) {
        abort();
    }

    last = ngx_http_session_escape_json(out, src->data, src->len);
    ngx_fuzz_assert((size_t) (last - out) == len);

    ngx_fuzz_assert(ngx_fuzz_valid_utf8(out, len));

    quoted = ngx_pnalloc(pool, len + 2);
    if (quoted == NULL) {
        abort();
    }

    quoted[0] = '"';
    ngx_memcpy(quoted + 1, out, len);
    quoted[len + 1] = '"';

    json = json_loadb((char *) quoted, len + 2,
                      JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    ngx_fuzz_assert(json != NULL && json_is_string(json));

    want = ngx_pnalloc(pool, 3 * src->len + 1);
    if (want == NULL) {
        abort();
    }

    want_len = ngx_fuzz_expected_text(want, src->data, src->len, 0) - want;

    ngx_fuzz_assert(json_string_length(json) == want_len);
    ngx_fuzz_assert(ngx_memcmp(json_string_value(json), want, want_len)
                    == 0);

    json_decref(json);
}
