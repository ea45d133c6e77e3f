
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_endpoint.h"


/*
 * The status endpoint's live dashboard: which requests want the page
 * (?format=html, or a browser whose Accept starts with text/html), and
 * the page itself, a static self-contained document that polls the JSON
 * status.  Called by the status handler after its access check; calls
 * the stream's header and send helpers only.  The page is generated
 * from dashboard.html (util/gen-dashboard.pl).
 */


#include "ngx_http_session_dashboard_page.h"


static ngx_int_t ngx_http_session_dashboard_accepts_html(
    ngx_http_request_t *r);


ngx_int_t
ngx_http_session_dashboard_wanted(ngx_http_request_t *r,
    ngx_http_session_status_query_t *q)
{
    if (q->format == NGX_HTTP_SESSION_STATUS_HTML) {
        return 1;
    }

    if (q->format != NGX_HTTP_SESSION_STATUS_AUTO) {
        return 0;
    }

    return ngx_http_session_dashboard_accepts_html(r);
}


/*
 * Browsers name text/html first in Accept when they load a page, and
 * only then: scripts, curl and Prometheus keep their JSON or text.
 */

static ngx_int_t
ngx_http_session_dashboard_accepts_html(ngx_http_request_t *r)
{
    u_char           *p, *last;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != sizeof("Accept") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Accept",
                               sizeof("Accept") - 1)
               != 0)
        {
            continue;
        }

        /* the first Accept header's first media range decides */

        p = h[i].value.data;
        last = p + h[i].value.len;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if ((size_t) (last - p) < sizeof("text/html") - 1
            || ngx_strncasecmp(p, (u_char *) "text/html",
                               sizeof("text/html") - 1)
               != 0)
        {
            return 0;
        }

        p += sizeof("text/html") - 1;

        return p == last || *p == ',' || *p == ';' || *p == ' '
               || *p == '\t';
    }
}


ngx_int_t
ngx_http_session_dashboard_send(ngx_http_request_t *r,
    ngx_http_session_status_query_t *q)
{
    ngx_str_t  body;

    static ngx_str_t  type = ngx_string("text/html; charset=utf-8");

    static ngx_str_t  csp_name = ngx_string("Content-Security-Policy");
    static ngx_str_t  csp = { sizeof(ngx_http_session_dashboard_csp) - 1,
                              (u_char *) ngx_http_session_dashboard_csp };
    static ngx_str_t  nosniff_name = ngx_string("X-Content-Type-Options");
    static ngx_str_t  nosniff = ngx_string("nosniff");
    static ngx_str_t  referrer_name = ngx_string("Referrer-Policy");
    static ngx_str_t  referrer = ngx_string("no-referrer");
    static ngx_str_t  vary_name = ngx_string("Vary");
    static ngx_str_t  vary = ngx_string("Accept");

    if (ngx_http_session_add_header(r, &csp_name, &csp) != NGX_OK
        || ngx_http_session_add_header(r, &nosniff_name, &nosniff) != NGX_OK
        || ngx_http_session_add_header(r, &referrer_name, &referrer)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (q->format == NGX_HTTP_SESSION_STATUS_AUTO
        && ngx_http_session_add_header(r, &vary_name, &vary) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = ngx_http_session_dashboard_page;
    body.len = sizeof(ngx_http_session_dashboard_page) - 1;

    return ngx_http_session_send(r, NGX_HTTP_OK, &type, &body);
}
