
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "fuzz_common.h"
#include "ngx_http_session_login.h"


/*
 * The fields of a login body (extract.c): any body, as a request (forms,
 * Python bytes literals) and as a response, parses or is refused with a
 * reason that holds no byte of a JSON body (jansson's messages quote the
 * text near the error, which may be a password); every source then
 * gives no value or a value that is non-empty, trimmed, within the
 * limit, and for a form, the first field of its name decoded as an
 * independent decoder decodes it.
 */


static ngx_cycle_t                 ngx_fuzz_cycle;
static ngx_pool_t                 *ngx_fuzz_conf_pool;
static ngx_array_t                *ngx_fuzz_ns;
static ngx_http_session_source_t   ngx_fuzz_sources[16];
static ngx_uint_t                  ngx_fuzz_nsources;


static void
ngx_fuzz_source(ngx_uint_t type, char *text)
{
    ngx_str_t  s, error;

    s.data = (u_char *) text;
    s.len = ngx_strlen(text);

    ngx_fuzz_assert(ngx_http_session_source_init(ngx_fuzz_conf_pool, type,
                                  &s, ngx_fuzz_ns,
                                  &ngx_fuzz_sources[ngx_fuzz_nsources++],
                                  &error)
                    == NGX_OK);
}


static void
ngx_fuzz_sources_init(void)
{
    ngx_http_session_ns_t  *ns;

    ngx_fuzz_conf_pool = ngx_fuzz_pool();

    /* a worker's cycle: its pool keeps the worker's XPath context */
    ngx_fuzz_cycle.log = ngx_fuzz_log;
    ngx_fuzz_cycle.pool = ngx_fuzz_conf_pool;
    ngx_cycle = &ngx_fuzz_cycle;

    ngx_fuzz_ns = ngx_array_create(ngx_fuzz_conf_pool, 2,
                                   sizeof(ngx_http_session_ns_t));
    ngx_fuzz_assert(ngx_fuzz_ns != NULL);

    ns = ngx_array_push(ngx_fuzz_ns);
    ngx_fuzz_assert(ns != NULL);
    ngx_str_set(&ns->prefix, "a");
    ngx_str_set(&ns->uri, "urn:zimbraAccount");

    ns = ngx_array_push(ngx_fuzz_ns);
    ngx_fuzz_assert(ns != NULL);
    ngx_str_set(&ns->prefix, "z");
    ngx_str_set(&ns->uri, "urn:zimbra");

    /* the recipes' sources, and the corners of each syntax */

    ngx_fuzz_source(NGX_HTTP_SESSION_SOURCE_FORM, "username");
    ngx_fuzz_source(NGX_HTTP_SESSION_SOURCE_FORM, "user[email]");
    ngx_fuzz_source(NGX_HTTP_SESSION_SOURCE_FORM, "a");
    ngx_fuzz_source(NGX_HTTP_SESSION_SOURCE_JSON, "/token");
    ngx_fuzz_source(NGX_HTTP_SESSION_SOURCE_JSON,
                    "/Body/AuthResponse/authToken/0/_content");
    ngx_fuzz_source(NGX_HTTP_SESSION_SOURCE_JSON, "/a~1b/~0/0/10");
    ngx_fuzz_source(NGX_HTTP_SESSION_SOURCE_JSON, "");
    ngx_fuzz_source(NGX_HTTP_SESSION_SOURCE_JSON, "/");
    ngx_fuzz_source(NGX_HTTP_SESSION_SOURCE_XML, "//a:AuthRequest/a:account");
    ngx_fuzz_source(NGX_HTTP_SESSION_SOURCE_XML,
                    "//z:context/*[local-name()='authToken']");
    ngx_fuzz_source(NGX_HTTP_SESSION_SOURCE_XML,
                    "/methodCall[@method='userLogon']/params/userId");
    ngx_fuzz_source(NGX_HTTP_SESSION_SOURCE_XML, "string(/*/@token)");
    ngx_fuzz_source(NGX_HTTP_SESSION_SOURCE_XML, "//*");
    ngx_fuzz_source(NGX_HTTP_SESSION_SOURCE_XML,
                    "count(//*) > 3 and string-length(//a) = 1");
}


/* the first NAME=VALUE of a form, decoded here by other code */

static ngx_int_t
ngx_fuzz_form(u_char *p, u_char *last, ngx_str_t *name, u_char *out,
    size_t *out_len)
{
    u_char  *dst, *fields[2], *ends[2], c;
    size_t   n[2];
    ngx_uint_t  k;

    while (p <= last) {
        fields[0] = p;

        while (p < last && *p != '&') {
            p++;
        }

        ends[1] = p;
        p = fields[0];

        while (p < ends[1] && *p != '=') {
            p++;
        }

        ends[0] = p;
        fields[1] = (p < ends[1]) ? p + 1 : ends[1];

        for (k = 0; k < 2; k++) {
            dst = out + (k ? 0 : NGX_HTTP_SESSION_FIELD_MAX * 4);
            n[k] = 0;

            for (p = fields[k]; p < ends[k]; p++) {
                c = *p;

                if (c == '+') {
                    c = ' ';

                } else if (c == '%' && ends[k] - p > 2
                           && isxdigit(p[1]) && isxdigit(p[2]))
                {
                    c = (u_char) ((isdigit(p[1]) ? p[1] - '0'
                                   : (p[1] | 0x20) - 'a' + 10) * 16
                                  + (isdigit(p[2]) ? p[2] - '0'
                                     : (p[2] | 0x20) - 'a' + 10));
                    p += 2;
                }

                dst[n[k]++] = c;
            }

            if (k == 0 && (n[0] != name->len
                           || ngx_memcmp(dst, name->data, n[0]) != 0))
            {
                break;
            }
        }

        if (k == 2) {
            *out_len = n[1];
            return NGX_OK;
        }

        p = ends[1] + 1;
    }

    return NGX_DECLINED;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                  *expect;
    size_t                   expect_len;
    ngx_int_t                rc;
    ngx_str_t                body, value;
    ngx_uint_t               i, form;
    ngx_pool_t              *pool;
    ngx_http_session_doc_t   doc;

    if (ngx_fuzz_conf_pool == NULL) {
        ngx_fuzz_sources_init();
    }

    pool = ngx_fuzz_pool();

    ngx_fuzz_str(pool, &body, data, size);

    for (form = 0; form < 2; form++) {

        rc = ngx_http_session_doc_parse(pool, &body, form, &doc);

        ngx_fuzz_assert(rc == NGX_OK || rc == NGX_DECLINED);

        if (rc == NGX_DECLINED) {
            ngx_fuzz_assert(doc.error.len > 0 && doc.format == 0);

            if (ngx_strncmp(doc.error.data, "malformed JSON", 14) != 0) {
                /* XML's reasons are libxml2's; the others are fixed */
                continue;
            }

            ngx_fuzz_assert(doc.error.len == 14);
            continue;
        }

        ngx_fuzz_assert(form || doc.format != NGX_HTTP_SESSION_SOURCE_FORM);

        for (i = 0; i < ngx_fuzz_nsources; i++) {

            rc = ngx_http_session_doc_value(pool, &doc, &ngx_fuzz_sources[i],
                                            ngx_fuzz_ns, &value);

            ngx_fuzz_assert(rc == NGX_OK || rc == NGX_DECLINED);

            if (rc == NGX_DECLINED) {
                continue;
            }

            ngx_fuzz_assert(ngx_fuzz_sources[i].type == doc.format);
            ngx_fuzz_assert(value.len > 0
                            && value.len <= NGX_HTTP_SESSION_FIELD_MAX);

            if (doc.format != NGX_HTTP_SESSION_SOURCE_FORM) {
                ngx_fuzz_assert(value.data[0] != ' '
                                && value.data[value.len - 1] != ' '
                                && value.data[0] != '\n'
                                && value.data[value.len - 1] != '\n');
                continue;
            }

            expect = ngx_palloc(pool, NGX_HTTP_SESSION_FIELD_MAX * 4
                                      + doc.text.len + 1);
            ngx_fuzz_assert(expect != NULL);

            ngx_fuzz_assert(ngx_fuzz_form(doc.text.data,
                                          doc.text.data + doc.text.len,
                                          &ngx_fuzz_sources[i].text, expect,
                                          &expect_len)
                            == NGX_OK);

            ngx_fuzz_assert(expect_len == value.len
                            && ngx_memcmp(expect, value.data, value.len)
                               == 0);
        }
    }

    ngx_destroy_pool(pool);

    return 0;
}
