
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_module.h"


/*
 * Names, accounts and variables come from traffic and may hold any
 * byte.  Both escapers emit valid UTF-8 whatever they get: a byte that
 * does not start a well-formed sequence becomes U+FFFD, as do the
 * characters XML 1.0 cannot carry at all.
 */


/* the length of the well-formed UTF-8 sequence at p, or 0 */

static ngx_inline size_t
ngx_http_session_utf8_len(u_char *p, u_char *last)
{
    u_char  c, lo, hi;
    size_t  n, i;

    c = p[0];

    if (c < 0x80) {
        return 1;
    }

    lo = 0x80;
    hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;

        if (c == 0xe0) {
            lo = 0xa0;

        } else if (c == 0xed) {
            /* no surrogates */
            hi = 0x9f;
        }

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;

        if (c == 0xf0) {
            lo = 0x90;

        } else if (c == 0xf4) {
            hi = 0x8f;
        }

    } else {
        return 0;
    }

    if ((size_t) (last - p) < n) {
        return 0;
    }

    if (p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return n;
}


/* U+FFFE and U+FFFF are not XML characters */

static ngx_inline ngx_uint_t
ngx_http_session_xml_nonchar(u_char *p, size_t n)
{
    return n == 3 && p[0] == 0xef && p[1] == 0xbf
           && (p[2] == 0xbe || p[2] == 0xbf);
}


size_t
ngx_http_session_escape_xml_len(u_char *src, size_t size)
{
    u_char  *p, *last;
    size_t   len, n;

    len = 0;
    last = src + size;

    for (p = src; p < last; p += n) {

        n = ngx_http_session_utf8_len(p, last);

        if (n == 0) {
            len += 3;
            n = 1;
            continue;
        }

        if (n > 1) {
            len += ngx_http_session_xml_nonchar(p, n) ? 3 : n;
            continue;
        }

        switch (*p) {
        case '&':
            len += sizeof("&amp;") - 1;
            break;
        case '<':
        case '>':
            len += sizeof("&lt;") - 1;
            break;
        case '"':
        case '\'':
            len += sizeof("&quot;") - 1;
            break;
        case '\t':
            len += sizeof("&#9;") - 1;
            break;
        case '\n':
        case '\r':
            len += sizeof("&#10;") - 1;
            break;
        default:
            len += (*p < 0x20) ? 3 : 1;
        }
    }

    return len;
}


u_char *
ngx_http_session_escape_xml(u_char *dst, u_char *src, size_t size)
{
    u_char  *p, *last;
    size_t   n;

    last = src + size;

    for (p = src; p < last; p += n) {

        n = ngx_http_session_utf8_len(p, last);

        if (n == 0 || (n == 3 && ngx_http_session_xml_nonchar(p, n))) {
            *dst++ = 0xef; *dst++ = 0xbf; *dst++ = 0xbd;
            n = n ? n : 1;
            continue;
        }

        if (n > 1) {
            dst = ngx_cpymem(dst, p, n);
            continue;
        }

        switch (*p) {
        case '&':
            dst = ngx_cpymem(dst, "&amp;", sizeof("&amp;") - 1);
            break;
        case '<':
            dst = ngx_cpymem(dst, "&lt;", sizeof("&lt;") - 1);
            break;
        case '>':
            dst = ngx_cpymem(dst, "&gt;", sizeof("&gt;") - 1);
            break;
        case '"':
            dst = ngx_cpymem(dst, "&quot;", sizeof("&quot;") - 1);
            break;
        case '\'':
            dst = ngx_cpymem(dst, "&apos;", sizeof("&apos;") - 1);
            break;
        case '\t':
            dst = ngx_cpymem(dst, "&#9;", sizeof("&#9;") - 1);
            break;
        case '\n':
            dst = ngx_cpymem(dst, "&#10;", sizeof("&#10;") - 1);
            break;
        case '\r':
            dst = ngx_cpymem(dst, "&#13;", sizeof("&#13;") - 1);
            break;
        default:
            if (*p < 0x20) {
                /* no XML 1.0 document may hold these, even escaped */
                *dst++ = 0xef; *dst++ = 0xbf; *dst++ = 0xbd;

            } else {
                *dst++ = *p;
            }
        }
    }

    return dst;
}


/*
 * U+2028 and U+2029 are valid in JSON but end a line in JavaScript
 * before ES2019: Zimbra's web client evaluates its answers, so they are
 * escaped as JSON meant for JavaScript should be.
 */

static ngx_inline ngx_uint_t
ngx_http_session_js_separator(u_char *p, size_t n)
{
    return n == 3 && p[0] == 0xe2 && p[1] == 0x80
           && (p[2] == 0xa8 || p[2] == 0xa9);
}


size_t
ngx_http_session_escape_json_len(u_char *src, size_t size)
{
    u_char  *p, *last;
    size_t   len, n;

    len = 0;
    last = src + size;

    for (p = src; p < last; p += n) {

        n = ngx_http_session_utf8_len(p, last);

        if (n == 0) {
            len += sizeof("\\ufffd") - 1;
            n = 1;
            continue;
        }

        if (n > 1) {
            len += ngx_http_session_js_separator(p, n) ? 6 : n;
            continue;
        }

        switch (*p) {
        case '"':
        case '\\':
        case '\n':
        case '\r':
        case '\t':
        case '\b':
        case '\f':
            len += 2;
            break;
        default:
            len += (*p < 0x20) ? sizeof("\\u0000") - 1 : 1;
        }
    }

    return len;
}


u_char *
ngx_http_session_escape_json(u_char *dst, u_char *src, size_t size)
{
    u_char  *p, *last;
    size_t   n;

    static u_char  hex[] = "0123456789abcdef";

    last = src + size;

    for (p = src; p < last; p += n) {

        n = ngx_http_session_utf8_len(p, last);

        if (n == 0) {
            dst = ngx_cpymem(dst, "\\ufffd", sizeof("\\ufffd") - 1);
            n = 1;
            continue;
        }

        if (n > 1) {
            if (ngx_http_session_js_separator(p, n)) {
                dst = ngx_cpymem(dst, p[2] == 0xa8 ? "\\u2028" : "\\u2029",
                                 sizeof("\\u2028") - 1);
                continue;
            }

            dst = ngx_cpymem(dst, p, n);
            continue;
        }

        switch (*p) {
        case '"':
            *dst++ = '\\'; *dst++ = '"';
            break;
        case '\\':
            *dst++ = '\\'; *dst++ = '\\';
            break;
        case '\n':
            *dst++ = '\\'; *dst++ = 'n';
            break;
        case '\r':
            *dst++ = '\\'; *dst++ = 'r';
            break;
        case '\t':
            *dst++ = '\\'; *dst++ = 't';
            break;
        case '\b':
            *dst++ = '\\'; *dst++ = 'b';
            break;
        case '\f':
            *dst++ = '\\'; *dst++ = 'f';
            break;
        default:
            if (*p < 0x20) {
                dst = ngx_cpymem(dst, "\\u00", sizeof("\\u00") - 1);
                *dst++ = hex[*p >> 4];
                *dst++ = hex[*p & 0xf];

            } else {
                *dst++ = *p;
            }
        }
    }

    return dst;
}
