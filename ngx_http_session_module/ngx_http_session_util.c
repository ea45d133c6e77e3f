
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <sodium.h>

#include "ngx_http_session_module.h"


static ngx_str_t  ngx_http_session_schemes[] = {
    ngx_string("QSDK "),
    ngx_string("SAML "),
    ngx_string("Bearer "),
    ngx_string("ESP-APIKEY "),
    ngx_null_string
};


/*
 * The zone's key never leaves the zone and its state file; SipHash-2-4
 * is a keyed PRF, so neither the token nor a way to forge a digest can
 * be had from a digest.
 */

void
ngx_http_session_digest(ngx_http_session_zone_t *zone, u_char *token,
    size_t len, u_char *digest)
{
    (void) crypto_shorthash_siphashx24(digest, token, len, zone->sh->key);
}


uint64_t
ngx_http_session_hash(ngx_http_session_zone_t *zone, u_char *data,
    size_t len)
{
    uint64_t  h;
    u_char    out[crypto_shorthash_siphash24_BYTES];

    (void) crypto_shorthash_siphash24(out, data, len, zone->sh->key);
    ngx_memcpy(&h, out, sizeof(uint64_t));

    return h;
}


u_char *
ngx_http_session_sid(u_char *p, u_char *digest)
{
    return ngx_hex_dump(p, digest, NGX_HTTP_SESSION_DIGEST_LEN);
}


ngx_int_t
ngx_http_session_parse_sid(u_char *sid, size_t len, u_char *digest)
{
    u_char      c, hi, lo;
    ngx_uint_t  i;

    if (len != NGX_HTTP_SESSION_SID_LEN) {
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_HTTP_SESSION_DIGEST_LEN; i++) {

        c = sid[2 * i];

        if (c >= '0' && c <= '9') {
            hi = c - '0';

        } else if (c >= 'a' && c <= 'f') {
            hi = c - 'a' + 10;

        } else {
            return NGX_ERROR;
        }

        c = sid[2 * i + 1];

        if (c >= '0' && c <= '9') {
            lo = c - '0';

        } else if (c >= 'a' && c <= 'f') {
            lo = c - 'a' + 10;

        } else {
            return NGX_ERROR;
        }

        digest[i] = (u_char) (hi << 4 | lo);
    }

    return NGX_OK;
}


/*
 * A header value written with the schemes the vendors' clients put
 * before a token (Commvault's "QSDK x", "SAML x", "Bearer x", Hornbill's
 * "ESP-APIKEY x") carries the token x.  Only headers do: a cookie
 * "Bearer x" is that whole text.
 */

void
ngx_http_session_strip_scheme(ngx_str_t *token)
{
    ngx_str_t  *scheme;

    for (scheme = ngx_http_session_schemes; scheme->len; scheme++) {
        if (token->len > scheme->len
            && ngx_strncasecmp(token->data, scheme->data, scheme->len) == 0)
        {
            token->data += scheme->len;
            token->len -= scheme->len;
            return;
        }
    }
}


/* tokens with control bytes, or longer than the limit, are not tokens */

ngx_int_t
ngx_http_session_valid_token(ngx_str_t *token)
{
    u_char  *p, *last;

    if (token->len == 0) {
        return NGX_DECLINED;
    }

    if (token->len > NGX_HTTP_SESSION_TOKEN_MAX) {
        return NGX_ERROR;
    }

    last = token->data + token->len;

    for (p = token->data; p < last; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* a value that is non-empty and not "0" */

ngx_int_t
ngx_http_session_flag(ngx_str_t *value)
{
    return value->len && !(value->len == 1 && value->data[0] == '0');
}


/* a decimal integer as JSON writes it: digits, no leading zero */

ngx_int_t
ngx_http_session_is_number(ngx_str_t *value)
{
    ngx_uint_t  i;

    if (value->len == 0 || value->len > NGX_INT64_LEN - 2
        || (value->data[0] == '0' && value->len > 1))
    {
        return 0;
    }

    for (i = 0; i < value->len; i++) {
        if (value->data[i] < '0' || value->data[i] > '9') {
            return 0;
        }
    }

    return 1;
}


u_char *
ngx_http_session_addr_text(u_char *p, u_char *addr, size_t len)
{
    struct sockaddr_in   sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  sin6;
#endif

    switch (len) {

    case 4:
        ngx_memzero(&sin, sizeof(struct sockaddr_in));
        sin.sin_family = AF_INET;
        ngx_memcpy(&sin.sin_addr, addr, 4);
        return p + ngx_sock_ntop((struct sockaddr *) &sin,
                                 sizeof(struct sockaddr_in), p,
                                 NGX_SOCKADDR_STRLEN, 0);

#if (NGX_HAVE_INET6)
    case 16:
        ngx_memzero(&sin6, sizeof(struct sockaddr_in6));
        sin6.sin6_family = AF_INET6;
        ngx_memcpy(&sin6.sin6_addr, addr, 16);
        return p + ngx_sock_ntop((struct sockaddr *) &sin6,
                                 sizeof(struct sockaddr_in6), p,
                                 NGX_SOCKADDR_STRLEN, 0);
#endif

    default:
        return p;
    }
}


ngx_int_t
ngx_http_session_addr_parse(ngx_str_t *text, u_char *addr, size_t *len)
{
    u_char     buf[NGX_SOCKADDR_STRLEN + 1];
    in_addr_t  inaddr;

    if (text->len == 0) {
        *len = 0;
        return NGX_OK;
    }

    inaddr = ngx_inet_addr(text->data, text->len);

    if (inaddr != INADDR_NONE) {
        ngx_memcpy(addr, &inaddr, 4);
        *len = 4;
        return NGX_OK;
    }

#if (NGX_HAVE_INET6)
    if (ngx_inet6_addr(text->data, text->len, addr) == NGX_OK) {
        *len = 16;
        return NGX_OK;
    }
#endif

    /*
     * 255.255.255.255 is INADDR_NONE to ngx_inet_addr(), so neither it
     * nor an IPv6 address that ends with it ("::255.255.255.255", as
     * ngx_sock_ntop() writes ::ffff:ffff) parses above: inet_pton() tells
     * them apart
     */

    if (text->len >= sizeof(buf)
        || ngx_strlchr(text->data, text->data + text->len, '\0') != NULL)
    {
        return NGX_ERROR;
    }

    *ngx_cpymem(buf, text->data, text->len) = '\0';

    if (inet_pton(AF_INET, (char *) buf, addr) == 1) {
        *len = 4;
        return NGX_OK;
    }

#if (NGX_HAVE_INET6)
    if (inet_pton(AF_INET6, (char *) buf, addr) == 1) {
        *len = 16;
        return NGX_OK;
    }
#endif

    return NGX_ERROR;
}


/* walks a variable block: { u_char nlen, vlen; name; value }... */

u_char *
ngx_http_session_var_next(u_char *p, u_char *last, ngx_str_t *name,
    ngx_str_t *value)
{
    if (p == NULL || last - p < 2) {
        return NULL;
    }

    name->len = p[0];
    value->len = p[1];

    if ((size_t) (last - p - 2) < name->len + value->len) {
        return NULL;
    }

    name->data = p + 2;
    value->data = p + 2 + name->len;

    return value->data + value->len;
}


ngx_int_t
ngx_http_session_var_get(u_char *vars, size_t len, ngx_str_t *name,
    ngx_str_t *value)
{
    u_char     *p;
    ngx_str_t   n, v;

    p = vars;

    while ((p = ngx_http_session_var_next(p, vars + len, &n, &v))) {
        if (n.len == name->len
            && ngx_strncasecmp(n.data, name->data, n.len) == 0)
        {
            *value = v;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/* "2024-01-31 12:34:56Z", the form Hornbill's clients parse */

u_char *
ngx_http_session_time_iso(u_char *p, int64_t ms)
{
    ngx_tm_t  tm;

    ngx_gmtime((time_t) (ms / 1000), &tm);

    return ngx_sprintf(p, "%4d-%02d-%02d %02d:%02d:%02dZ",
                       tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                       tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);
}


/*
 * The caller's token: the first non-empty session_key value.
 * NGX_DECLINED: none; NGX_ERROR: an allocation failed.
 */

ngx_int_t
ngx_http_session_caller(ngx_http_request_t *r, ngx_str_t *token)
{
    ngx_int_t                     rc;
    ngx_uint_t                    i;
    ngx_http_session_value_t     *key;
    ngx_http_session_zone_t      *zone;
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (slcf->keys == NULL) {
        return NGX_DECLINED;
    }

    key = slcf->keys->elts;

    for (i = 0; i < slcf->keys->nelts; i++) {

        if (ngx_http_complex_value(r, &key[i].value, token) != NGX_OK) {
            return NGX_ERROR;
        }

        if (key[i].scheme) {
            ngx_http_session_strip_scheme(token);
        }

        if (token->len == 0) {
            continue;
        }

        rc = ngx_http_session_valid_token(token);

        if (rc == NGX_OK) {
            return NGX_OK;
        }

        if (rc == NGX_ERROR) {
            zone = ngx_http_session_loc_zone(r);

            if (zone && ngx_current_msec - zone->token_logged > 10000) {
                zone->token_logged = ngx_current_msec;
                ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                              "session token of %uz bytes ignored: tokens "
                              "hold at most %d bytes and no control bytes",
                              token->len, NGX_HTTP_SESSION_TOKEN_MAX);
            }
        }
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_session_is_admin(ngx_http_request_t *r)
{
    ngx_str_t                     value;
    ngx_uint_t                    i;
    ngx_http_session_value_t     *v;
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (slcf->admin == NULL) {
        return 0;
    }

    /* any of the values: "the admin account, or the admin key" */

    v = slcf->admin->elts;

    for (i = 0; i < slcf->admin->nelts; i++) {
        if (ngx_http_complex_value(r, &v[i].value, &value) != NGX_OK) {
            return 0;
        }

        if (ngx_http_session_flag(&value)) {
            return 1;
        }
    }

    return 0;
}


/* the zone a location's session_key names sessions of */

ngx_http_session_zone_t *
ngx_http_session_loc_zone(ngx_http_request_t *r)
{
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (slcf->track) {
        return slcf->track->data;
    }

    if (slcf->endpoint) {
        return slcf->endpoint->data;
    }

    return NULL;
}
