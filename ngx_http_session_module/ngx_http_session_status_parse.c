
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_endpoint.h"


/*
 * session_status's query string, and the cursor of its session list:
 * plain data in, an ngx_http_session_status_query_t out, no request or
 * zone (fuzz/status drives the parser directly); names and types are
 * resolved against the zone by the handler.  The cursor's text is made
 * here too, so its format lives in one file.  Calls the leaf helpers.
 */


#define NGX_HTTP_SESSION_STATUS_LIMIT         100
#define NGX_HTTP_SESSION_STATUS_LIMIT_MAX     1000
#define NGX_HTTP_SESSION_STATUS_PATTERN_MAX   1024

/*
 * A cursor is base64url of: version, walk, a fingerprint of the filters
 * (4 bytes), then where the walk goes on: for an account walk the last
 * session handed out, its type, sequence number and digest; for the
 * walk of the whole zone, the store's place after that session (8
 * bytes, opaque: a place in the zone's record chunks, meaningless in
 * another zone or after a restart, where the walk starts over at some
 * place rather than failing).
 */
#define NGX_HTTP_SESSION_CURSOR_VERSION       2
#define NGX_HTTP_SESSION_CURSOR_TREE          (6 + 8)
#define NGX_HTTP_SESSION_CURSOR_ACCOUNT                                      \
    (6 + 1 + 8 + NGX_HTTP_SESSION_DIGEST_LEN)


static ngx_str_t  ngx_http_session_status_args[] = {
#define NGX_HTTP_SESSION_ARG_FORMAT    0
    ngx_string("format"),
#define NGX_HTTP_SESSION_ARG_LIST      1
    ngx_string("list"),
#define NGX_HTTP_SESSION_ARG_LIMIT     2
    ngx_string("limit"),
#define NGX_HTTP_SESSION_ARG_CURSOR    3
    ngx_string("cursor"),
#define NGX_HTTP_SESSION_ARG_TYPE      4
    ngx_string("type"),
#define NGX_HTTP_SESSION_ARG_ACCOUNT   5
    ngx_string("account"),
#define NGX_HTTP_SESSION_ARG_ADDR      6
    ngx_string("addr"),
#define NGX_HTTP_SESSION_ARG_CLOSED    7
    ngx_string("closed"),
#define NGX_HTTP_SESSION_ARG_MATCH     8
    ngx_string("match"),
#define NGX_HTTP_SESSION_ARGS          9
    ngx_null_string
};


static uint32_t ngx_http_session_status_fingerprint(
    ngx_http_session_status_query_t *q);
static ngx_int_t ngx_http_session_status_split(ngx_pool_t *pool,
    ngx_str_t *args, ngx_str_t *v);
static ngx_int_t ngx_http_session_status_cursor_parse(
    ngx_http_session_status_query_t *q, ngx_str_t *text);
static ngx_int_t ngx_http_session_status_flag(ngx_str_t *value,
    ngx_uint_t *flag);


/*
 * The filters a cursor was made for: a cursor handed to a request with
 * other filters would resume a walk the request does not make.  A CRC
 * is enough: the cursor is a bookmark, not a credential.
 */

static uint32_t
ngx_http_session_status_fingerprint(ngx_http_session_status_query_t *q)
{
    u_char      len[2];
    uint32_t    crc;
    ngx_str_t  *s, addr;
    ngx_uint_t  i;

    addr.data = q->addr;
    addr.len = q->addr_len;

    ngx_crc32_init(crc);

    len[0] = (u_char) q->closed;
    ngx_crc32_update(&crc, len, 1);

    for (i = 0; i < 4; i++) {
        s = (i == 0) ? &q->type : (i == 1) ? &q->account
            : (i == 2) ? &addr : &q->match;

        len[0] = (u_char) (s->len >> 8);
        len[1] = (u_char) s->len;

        ngx_crc32_update(&crc, len, 2);
        ngx_crc32_update(&crc, s->data, s->len);
    }

    ngx_crc32_final(crc);

    return crc;
}


size_t
ngx_http_session_status_cursor_text(ngx_http_session_status_query_t *q,
    ngx_http_session_cursor_t *pos, u_char *text)
{
    u_char      raw[NGX_HTTP_SESSION_CURSOR_ACCOUNT];
    uint32_t    fp;
    ngx_str_t   src, dst;
    ngx_uint_t  i;

    fp = ngx_http_session_status_fingerprint(q);

    raw[0] = NGX_HTTP_SESSION_CURSOR_VERSION;
    raw[1] = (u_char) pos->walk;
    raw[2] = (u_char) (fp >> 24);
    raw[3] = (u_char) (fp >> 16);
    raw[4] = (u_char) (fp >> 8);
    raw[5] = (u_char) fp;

    if (pos->walk == NGX_HTTP_SESSION_WALK_TREE) {
        /* the zone walk's place (the store's, opaque), big-endian */

        for (i = 0; i < 8; i++) {
            raw[6 + i] = (u_char) (pos->at >> (56 - 8 * i));
        }

        src.len = NGX_HTTP_SESSION_CURSOR_TREE;

    } else {
        raw[6] = (u_char) pos->acct_type;

        for (i = 0; i < 8; i++) {
            raw[7 + i] = (u_char) (pos->seq >> (56 - 8 * i));
        }

        ngx_memcpy(&raw[15], pos->digest, NGX_HTTP_SESSION_DIGEST_LEN);
        src.len = NGX_HTTP_SESSION_CURSOR_ACCOUNT;
    }

    src.data = raw;
    dst.data = text;

    ngx_encode_base64url(&dst, &src);

    return dst.len;
}


static ngx_int_t
ngx_http_session_status_cursor_parse(ngx_http_session_status_query_t *q,
    ngx_str_t *text)
{
    u_char      c, raw[NGX_HTTP_SESSION_CURSOR_TEXT];
    u_char      again[NGX_HTTP_SESSION_CURSOR_TEXT];
    uint32_t    fp;
    ngx_str_t   dst, src;
    ngx_uint_t  i, walk;

    if (text->len > NGX_HTTP_SESSION_CURSOR_TEXT) {
        ngx_str_set(&q->error, "malformed cursor: too long");
        return NGX_DECLINED;
    }

    for (i = 0; i < text->len; i++) {
        c = text->data[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        {
            ngx_str_set(&q->error, "malformed cursor: not base64url");
            return NGX_DECLINED;
        }
    }

    dst.data = raw;

    if (ngx_decode_base64url(&dst, text) != NGX_OK) {
        ngx_str_set(&q->error, "malformed cursor: not base64url");
        return NGX_DECLINED;
    }

    /* only the cursors this module writes: one text for one cursor */

    src = dst;
    dst.data = again;
    ngx_encode_base64url(&dst, &src);

    if (dst.len != text->len || ngx_memcmp(again, text->data, dst.len) != 0) {
        ngx_str_set(&q->error, "malformed cursor: not canonical base64url");
        return NGX_DECLINED;
    }

    if (src.len < 6 || raw[0] != NGX_HTTP_SESSION_CURSOR_VERSION) {
        ngx_str_set(&q->error, "malformed cursor: unknown version");
        return NGX_DECLINED;
    }

    walk = raw[1];

    if (walk == NGX_HTTP_SESSION_WALK_TREE
        && src.len == NGX_HTTP_SESSION_CURSOR_TREE)
    {
        q->seq = 0;

        for (i = 0; i < 8; i++) {
            q->seq = (q->seq << 8) | raw[6 + i];
        }

    } else if (walk == NGX_HTTP_SESSION_WALK_ACCOUNT
               && src.len == NGX_HTTP_SESSION_CURSOR_ACCOUNT
               && raw[6] < NGX_HTTP_SESSION_MAX_TYPES)
    {
        q->acct_type = raw[6];
        q->seq = 0;

        for (i = 0; i < 8; i++) {
            q->seq = (q->seq << 8) | raw[7 + i];
        }

        ngx_memcpy(q->digest, &raw[15], NGX_HTTP_SESSION_DIGEST_LEN);

    } else {
        ngx_str_set(&q->error, "malformed cursor: bad length or walk");
        return NGX_DECLINED;
    }

    fp = ((uint32_t) raw[2] << 24) | ((uint32_t) raw[3] << 16)
         | ((uint32_t) raw[4] << 8) | raw[5];

    if (fp != ngx_http_session_status_fingerprint(q)
        || walk != (q->account.len ? NGX_HTTP_SESSION_WALK_ACCOUNT
                                   : NGX_HTTP_SESSION_WALK_TREE))
    {
        ngx_str_set(&q->error, "the cursor belongs to a listing with other "
                               "filters: repeat the filters of the first "
                               "page");
        return NGX_DECLINED;
    }

    q->walk = walk;
    q->resume = 1;

    return NGX_OK;
}


/*
 * The query string: "format", "list", "limit", "cursor", "type",
 * "account", "addr", "closed", "match"; others are ignored, the first
 * of a repeated name counts, values are percent-decoded ("+" stays a
 * plus), and an empty value is the same as none.  NGX_DECLINED: a bad
 * value, with the reason in q->error.
 */

ngx_int_t
ngx_http_session_status_parse(ngx_pool_t *pool, ngx_str_t *args,
    ngx_http_session_status_query_t *q)
{
    ngx_int_t   n;
    ngx_str_t   name, v[NGX_HTTP_SESSION_ARGS];

    ngx_memzero(q, sizeof(ngx_http_session_status_query_t));

    q->limit = NGX_HTTP_SESSION_STATUS_LIMIT;

    if (ngx_http_session_status_split(pool, args, v) != NGX_OK) {
        return NGX_ERROR;
    }

    if (v[NGX_HTTP_SESSION_ARG_FORMAT].len) {
        name = v[NGX_HTTP_SESSION_ARG_FORMAT];

        if (name.len == 4 && ngx_strncmp(name.data, "json", 4) == 0) {
            q->format = NGX_HTTP_SESSION_STATUS_JSON;

        } else if (name.len == 10
                   && ngx_strncmp(name.data, "prometheus", 10) == 0)
        {
            q->format = NGX_HTTP_SESSION_STATUS_PROMETHEUS;

        } else if (name.len == 4 && ngx_strncmp(name.data, "html", 4) == 0) {
            q->format = NGX_HTTP_SESSION_STATUS_HTML;

        } else {
            ngx_str_set(&q->error,
                        "format must be json, prometheus or html");
            return NGX_DECLINED;
        }
    }

    if (ngx_http_session_status_flag(&v[NGX_HTTP_SESSION_ARG_LIST], &q->list)
        != NGX_OK)
    {
        ngx_str_set(&q->error, "list must be 1 or 0");
        return NGX_DECLINED;
    }

    if (ngx_http_session_status_flag(&v[NGX_HTTP_SESSION_ARG_CLOSED],
                                     &q->closed)
        != NGX_OK)
    {
        ngx_str_set(&q->error, "closed must be 1 or 0");
        return NGX_DECLINED;
    }

    if (v[NGX_HTTP_SESSION_ARG_LIMIT].len) {
        n = ngx_atoi(v[NGX_HTTP_SESSION_ARG_LIMIT].data,
                     v[NGX_HTTP_SESSION_ARG_LIMIT].len);

        if (n < 1 || n > NGX_HTTP_SESSION_STATUS_LIMIT_MAX) {
            ngx_str_set(&q->error, "limit must be a whole number from 1 to "
                                   "1000");
            return NGX_DECLINED;
        }

        q->limit = n;
    }

    q->type = v[NGX_HTTP_SESSION_ARG_TYPE];

    q->account = v[NGX_HTTP_SESSION_ARG_ACCOUNT];

    if (q->account.len > NGX_HTTP_SESSION_ID_MAX) {
        ngx_str_set(&q->error, "account ids are at most 64 bytes");
        return NGX_DECLINED;
    }

    if (v[NGX_HTTP_SESSION_ARG_ADDR].len
        && ngx_http_session_addr_parse(&v[NGX_HTTP_SESSION_ARG_ADDR], q->addr,
                                       &q->addr_len)
           != NGX_OK)
    {
        ngx_str_set(&q->error, "addr must be an IPv4 or IPv6 address");
        return NGX_DECLINED;
    }

    q->match = v[NGX_HTTP_SESSION_ARG_MATCH];

    if (q->match.len > NGX_HTTP_SESSION_STATUS_PATTERN_MAX) {
        ngx_str_set(&q->error, "match patterns are at most 1024 bytes");
        return NGX_DECLINED;
    }

    if (q->list && q->format != NGX_HTTP_SESSION_STATUS_AUTO
        && q->format != NGX_HTTP_SESSION_STATUS_JSON)
    {
        ngx_str_set(&q->error, "the session list is JSON only");
        return NGX_DECLINED;
    }

    if (v[NGX_HTTP_SESSION_ARG_CURSOR].len) {
        return ngx_http_session_status_cursor_parse(q,
                                            &v[NGX_HTTP_SESSION_ARG_CURSOR]);
    }

    return NGX_OK;
}


/* the values of the known names, decoded; NGX_ERROR: out of memory */

static ngx_int_t
ngx_http_session_status_split(ngx_pool_t *pool, ngx_str_t *args,
    ngx_str_t *v)
{
    u_char      *p, *last, *end, *eq, *dst, *src;
    size_t       len;
    ngx_str_t    name;
    ngx_uint_t   i, seen[NGX_HTTP_SESSION_ARGS];

    ngx_memzero(v, NGX_HTTP_SESSION_ARGS * sizeof(ngx_str_t));
    ngx_memzero(seen, sizeof(seen));

    /* no query string at all: its data may be NULL */
    p = args->len ? args->data : (u_char *) "";
    last = p + args->len;

    while (p < last) {

        end = ngx_strlchr(p, last, '&');
        if (end == NULL) {
            end = last;
        }

        eq = ngx_strlchr(p, end, '=');

        name.data = p;
        name.len = (eq ? eq : end) - p;

        for (i = 0; i < NGX_HTTP_SESSION_ARGS; i++) {
            if (!seen[i]
                && name.len == ngx_http_session_status_args[i].len
                && ngx_strncasecmp(name.data,
                                   ngx_http_session_status_args[i].data,
                                   name.len)
                   == 0)
            {
                break;
            }
        }

        if (i < NGX_HTTP_SESSION_ARGS) {
            seen[i] = 1;

            len = eq ? (size_t) (end - eq - 1) : 0;

            if (len) {
                dst = ngx_pnalloc(pool, len);
                if (dst == NULL) {
                    return NGX_ERROR;
                }

                v[i].data = dst;
                src = eq + 1;

                ngx_unescape_uri(&dst, &src, len, 0);

                v[i].len = dst - v[i].data;
            }
        }

        p = end + 1;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_status_flag(ngx_str_t *value, ngx_uint_t *flag)
{
    ngx_int_t  rc;

    if (value->len == 0) {
        *flag = 0;
        return NGX_OK;
    }

    rc = ngx_http_session_bool(value);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    *flag = rc;

    return NGX_OK;
}
