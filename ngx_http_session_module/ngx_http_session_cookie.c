
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_track.h"


/*
 * The session cookies a response deletes.  Frameworks log out by
 * deleting their session cookie: PHP sends "SID=deleted" with a past
 * Expires and Max-Age=0, Django SID="" with Max-Age=0, Java and ASP.NET
 * the current value again with Max-Age=0 or a past Expires.  A value
 * taken from such a header ($upstream_cookie_SID) is no new session,
 * and the session the deleted cookie carried ends.  Reads the request's
 * and the upstream's headers only; calls nothing of the store.
 */


typedef struct {
    ngx_str_t   create;          /* the new token, as evaluated */
    ngx_str_t   last;            /* the create cookie's last value */
    unsigned    create_deleted:1;
    unsigned    ended:1;
} ngx_http_session_cookie_state_t;


/* RFC 6265, 5.1.1: the delimiters of a cookie date's tokens */
#define ngx_http_session_cookie_delimiter(c)                                 \
    ((c) == 0x09 || ((c) >= 0x20 && (c) <= 0x2f)                             \
     || ((c) >= 0x3b && (c) <= 0x40) || ((c) >= 0x5b && (c) <= 0x60)         \
     || ((c) >= 0x7b && (c) <= 0x7e))


static void ngx_http_session_cookie_scan(ngx_list_t *headers,
    ngx_http_session_loc_conf_t *slcf, ngx_http_session_cookie_state_t *cs);
static ngx_str_t ngx_http_session_cookie_trim(u_char *p, u_char *last);
static ngx_uint_t ngx_http_session_cookie_named(ngx_array_t *names,
    ngx_str_t *name);
static ngx_uint_t ngx_http_session_cookie_eq(ngx_str_t *a, ngx_str_t *b);
static ngx_uint_t ngx_http_session_cookie_time(u_char *t, u_char *last,
    ngx_int_t *v);
static int64_t ngx_http_session_cookie_days(ngx_int_t year, ngx_int_t month,
    ngx_int_t day);


/*
 * The name of the cookie a directive's value reads, when the value is
 * exactly "$cookie_NAME" or "$upstream_cookie_NAME"; NGX_DECLINED for
 * any other value.
 */

ngx_int_t
ngx_http_session_cookie_name(ngx_str_t *value, ngx_str_t *name)
{
    size_t   n;
    u_char  *p, *last;

    static ngx_str_t  prefixes[] = {
        ngx_string("$cookie_"),
        ngx_string("$upstream_cookie_"),
        ngx_null_string
    };

    for (n = 0; prefixes[n].len; n++) {
        if (value->len > prefixes[n].len
            && ngx_strncmp(value->data, prefixes[n].data, prefixes[n].len)
               == 0)
        {
            break;
        }
    }

    if (prefixes[n].len == 0) {
        return NGX_DECLINED;
    }

    last = value->data + value->len;

    /* a variable name, and nothing after it */

    for (p = value->data + prefixes[n].len; p < last; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '_'))
        {
            return NGX_DECLINED;
        }
    }

    name->data = value->data + prefixes[n].len;
    name->len = last - name->data;

    return NGX_OK;
}


/*
 * Applies the response's Set-Cookie headers to what the request asks
 * of its session: deleting a cookie that session_key or session_create
 * reads, or one whose value is the new token, ends the request's
 * session; the new token is what the last header of the session_create
 * cookie leaves in the browser, nothing when that header deletes it.
 */

void
ngx_http_session_cookie_apply(ngx_http_request_t *r,
    ngx_http_session_loc_conf_t *slcf, ngx_http_session_update_t *up)
{
    ngx_http_session_cookie_state_t  cs;

    ngx_memzero(&cs, sizeof(ngx_http_session_cookie_state_t));

    /* a quoted empty string (Django's SID="") is an empty cookie */

    if (up->create.len == 2
        && up->create.data[0] == '"' && up->create.data[1] == '"')
    {
        up->create.len = 0;
    }

    cs.create = up->create;

    if (r->upstream) {
        ngx_http_session_cookie_scan(&r->upstream->headers_in.headers, slcf,
                                     &cs);
    }

    ngx_http_session_cookie_scan(&r->headers_out.headers, slcf, &cs);

    if (cs.ended) {
        up->end = 1;
    }

    if (up->create.len == 0) {
        return;
    }

    if (cs.create_deleted) {
        up->create.len = 0;

    } else if (cs.last.len) {
        up->create = cs.last;
    }
}


static void
ngx_http_session_cookie_scan(ngx_list_t *headers,
    ngx_http_session_loc_conf_t *slcf, ngx_http_session_cookie_state_t *cs)
{
    ngx_uint_t                     i, create;
    ngx_list_part_t               *part;
    ngx_table_elt_t               *h;
    ngx_http_session_set_cookie_t  sc;

    part = &headers->part;
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

        if (h[i].hash == 0
            || h[i].key.len != sizeof("Set-Cookie") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Set-Cookie",
                               sizeof("Set-Cookie") - 1)
               != 0)
        {
            continue;
        }

        ngx_http_session_cookie_parse(&h[i].value, &sc);

        if (sc.name.len == 0) {
            continue;
        }

        create = ngx_http_session_cookie_eq(&slcf->create_cookie, &sc.name);

        if (!sc.deletes) {
            if (create) {
                cs->last = sc.value;
                cs->create_deleted = 0;
            }

            continue;
        }

        if (create
            || (cs->create.len && sc.value.len == cs->create.len
                && ngx_strncmp(sc.value.data, cs->create.data, sc.value.len)
                   == 0))
        {
            ngx_str_null(&cs->last);
            cs->create_deleted = 1;
            cs->ended = 1;

        } else if (ngx_http_session_cookie_named(slcf->key_cookies,
                                                 &sc.name))
        {
            cs->ended = 1;
        }

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                       "session: Set-Cookie deletes \"%V\", ended %ui",
                       &sc.name, cs->ended);
    }
}


/* RFC 6265, 5.2: "name=value" then attributes, each after a ";" */

void
ngx_http_session_cookie_parse(ngx_str_t *header,
    ngx_http_session_set_cookie_t *sc)
{
    u_char     *p, *last, *semi, *eq;
    int64_t     expires;
    ngx_int_t   max_age, n, neg;
    ngx_str_t   attr, value;

    ngx_memzero(sc, sizeof(ngx_http_session_set_cookie_t));

    p = header->data;
    last = header->data + header->len;

    semi = ngx_strlchr(p, last, ';');
    if (semi == NULL) {
        semi = last;
    }

    eq = ngx_strlchr(p, semi, '=');
    if (eq == NULL) {
        return;
    }

    sc->name = ngx_http_session_cookie_trim(p, eq);
    sc->value = ngx_http_session_cookie_trim(eq + 1, semi);

    max_age = NGX_CONF_UNSET;
    expires = NGX_CONF_UNSET;

    for (p = semi; p < last; p = semi) {
        p++;

        semi = ngx_strlchr(p, last, ';');
        if (semi == NULL) {
            semi = last;
        }

        eq = ngx_strlchr(p, semi, '=');
        if (eq == NULL) {
            continue;
        }

        attr = ngx_http_session_cookie_trim(p, eq);
        value = ngx_http_session_cookie_trim(eq + 1, semi);

        if (attr.len == sizeof("Max-Age") - 1
            && ngx_strncasecmp(attr.data, (u_char *) "Max-Age", attr.len)
               == 0)
        {
            /* "-" or a digit first, then digits; otherwise ignored */

            if (value.len == 0) {
                continue;
            }

            neg = (value.data[0] == '-');

            if ((size_t) neg == value.len) {
                continue;
            }

            n = ngx_atoi(value.data + neg, value.len - neg);

            if (n == NGX_ERROR) {
                /* all digits but too large: a long life, not a deletion */
                if (neg == 0 && value.len > 18) {
                    max_age = 1;
                }

                continue;
            }

            max_age = neg ? -n : n;
            continue;
        }

        if (attr.len == sizeof("Expires") - 1
            && ngx_strncasecmp(attr.data, (u_char *) "Expires", attr.len)
               == 0)
        {
            if (ngx_http_session_cookie_date(value.data,
                                             value.data + value.len,
                                             &expires)
                != NGX_OK)
            {
                expires = NGX_CONF_UNSET;
            }
        }
    }

    /* Max-Age wins over Expires (5.3, step 3) */

    if (max_age != NGX_CONF_UNSET) {
        sc->deletes = (max_age <= 0);
        return;
    }

    if (expires != NGX_CONF_UNSET) {
        sc->deletes = (expires < (int64_t) ngx_time());
    }
}


static ngx_str_t
ngx_http_session_cookie_trim(u_char *p, u_char *last)
{
    ngx_str_t  s;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (last > p && (last[-1] == ' ' || last[-1] == '\t')) {
        last--;
    }

    s.data = p;
    s.len = last - p;

    return s;
}


static ngx_uint_t
ngx_http_session_cookie_named(ngx_array_t *names, ngx_str_t *name)
{
    ngx_str_t   *n;
    ngx_uint_t   i;

    if (names == NULL) {
        return 0;
    }

    n = names->elts;

    for (i = 0; i < names->nelts; i++) {
        if (ngx_http_session_cookie_eq(&n[i], name)) {
            return 1;
        }
    }

    return 0;
}


/* cookie names compare as nginx's $cookie_NAME does: ignoring case */

static ngx_uint_t
ngx_http_session_cookie_eq(ngx_str_t *a, ngx_str_t *b)
{
    return a->len && a->len == b->len
           && ngx_strncasecmp(a->data, b->data, a->len) == 0;
}


/*
 * RFC 6265, 5.1.1, the cookie-date algorithm: browsers read any of the
 * dates servers send ("Thu, 01-Jan-1970 00:00:01 GMT" from PHP, which
 * ngx_parse_http_time() refuses), so this reads them as browsers do.
 */

ngx_int_t
ngx_http_session_cookie_date(u_char *p, u_char *last, int64_t *when)
{
    u_char      *start, *t;
    ngx_int_t    hour, min, sec, day, month, year, v[3], n, digits;
    ngx_uint_t   i;

    static char  months[] = "janfebmaraprmayjunjulaugsepoctnovdec";

    hour = -1;
    min = -1;
    sec = -1;
    day = -1;
    month = -1;
    year = -1;

    while (p < last) {

        /* delimiters: %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E */

        while (p < last && ngx_http_session_cookie_delimiter(*p)) {
            p++;
        }

        start = p;

        while (p < last && !ngx_http_session_cookie_delimiter(*p)) {
            p++;
        }

        if (start == p) {
            continue;
        }

        /* a time: 1*2DIGIT ":" 1*2DIGIT ":" 1*2DIGIT, in one token */

        if (hour == -1 && ngx_http_session_cookie_time(start, p, v)) {
            hour = v[0];
            min = v[1];
            sec = v[2];
            continue;
        }

        /* the day of the month: 1*2DIGIT, then anything but a digit */

        for (t = start, n = 0, digits = 0;
             t < p && *t >= '0' && *t <= '9' && digits < 5;
             t++, digits++)
        {
            n = n * 10 + (*t - '0');
        }

        if (day == -1 && digits >= 1 && digits <= 2) {
            day = n;
            continue;
        }

        if (month == -1 && p - start >= 3) {
            for (i = 0; i < 12; i++) {
                if (ngx_strncasecmp(start, (u_char *) &months[i * 3], 3)
                    == 0)
                {
                    month = i;
                    break;
                }
            }

            if (month != -1) {
                continue;
            }
        }

        if (year == -1 && digits >= 2 && digits <= 4) {
            year = n;
            continue;
        }
    }

    if (year >= 70 && year <= 99) {
        year += 1900;

    } else if (year >= 0 && year <= 69) {
        year += 2000;
    }

    if (hour == -1 || day < 1 || day > 31 || month == -1 || year < 1601
        || hour > 23 || min > 59 || sec > 59)
    {
        return NGX_ERROR;
    }

    *when = ngx_http_session_cookie_days(year, month, day) * 86400
            + hour * 3600 + min * 60 + sec;

    return NGX_OK;
}


/* a time: 1*2DIGIT ":" 1*2DIGIT ":" 1*2DIGIT, in one token */

static ngx_uint_t
ngx_http_session_cookie_time(u_char *t, u_char *last, ngx_int_t *v)
{
    ngx_int_t   digits;
    ngx_uint_t  i;

    for (i = 0; i < 3; i++) {
        v[i] = 0;

        for (digits = 0;
             t < last && *t >= '0' && *t <= '9' && digits < 3;
             t++, digits++)
        {
            v[i] = v[i] * 10 + (*t - '0');
        }

        if (digits == 0 || digits > 2) {
            return 0;
        }

        if (i < 2) {
            if (t == last || *t != ':') {
                return 0;
            }

            t++;
        }
    }

    return 1;
}


/* days since 1970 of a civil date (proleptic Gregorian), March-based */

static int64_t
ngx_http_session_cookie_days(ngx_int_t year, ngx_int_t month, ngx_int_t day)
{
    ngx_int_t  n;

    month++;

    if (month <= 2) {
        year--;
        month += 9;

    } else {
        month -= 3;
    }

    n = year / 400;
    year -= n * 400;

    return (int64_t) n * 146097
           + year * 365 + year / 4 - year / 100
           + (153 * month + 2) / 5 + day - 1 - 719468;
}
