
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "fuzz_common.h"


/*
 * Query arguments and the small parsers their values go through:
 * ngx_http_session_arg() on a request's args, then each value as a
 * boolean, a public session id, an address, a token, a number, a flag.
 *
 * Input: "NAME\nARGS" looks NAME up in ARGS; ARGS alone looks up the
 * names the dialects use.
 */


static void ngx_fuzz_value(ngx_pool_t *pool, ngx_str_t *value);
static void ngx_fuzz_bool(ngx_str_t *value);
static void ngx_fuzz_sid(ngx_str_t *value);
static void ngx_fuzz_addr(ngx_str_t *value);
static void ngx_fuzz_token(ngx_str_t *value);
static void ngx_fuzz_number(ngx_str_t *value);


static char  *ngx_fuzz_names[] = {
    "userId", "sessionId", "sid", "token", "type", "listSessions",
    "groupByAccount", "method", "match", "limit", "closed", "addr", NULL
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                 **name, *one[2];
    u_char                *nl;
    ngx_int_t              rc;
    ngx_str_t              args, value, n;
    ngx_pool_t            *pool;
    ngx_http_request_t    *r;

    pool = ngx_fuzz_pool();

    nl = memchr(data, '\n', size);

    /*
     * The module looks up names it spells itself; ngx_http_arg() cannot
     * take a name with "&" (the value's length underflows), so such a
     * name is no test of the module.
     */

    if (nl && nl > data
        && memchr(data, '\0', nl - (u_char *) data) == NULL
        && memchr(data, '&', nl - (u_char *) data) == NULL)
    {
        ngx_fuzz_str(pool, &n, data, nl - (u_char *) data);
        ngx_fuzz_str(pool, &args, nl + 1, size - (nl + 1 - (u_char *) data));
        one[0] = (char *) n.data;
        one[1] = NULL;
        name = one;

    } else {
        ngx_fuzz_str(pool, &args, data, size);
        name = ngx_fuzz_names;
    }

    /* the request sees the arguments without the NUL the copy adds */
    r = ngx_fuzz_request(pool, &args);

    for ( /* void */ ; *name; name++) {
        rc = ngx_http_session_arg(r, *name, &value);

        ngx_fuzz_assert(rc == NGX_OK || rc == NGX_DECLINED);

        if (rc == NGX_OK) {
            /* percent-decoding never makes a value longer */
            ngx_fuzz_assert(value.len <= args.len);
            ngx_fuzz_value(pool, &value);
        }
    }

    /* every argument's value too, as the sanitizers see it */
    ngx_fuzz_value(pool, &args);

    ngx_destroy_pool(pool);

    return 0;
}


static void
ngx_fuzz_value(ngx_pool_t *pool, ngx_str_t *value)
{
    ngx_str_t  v;

    /* in memory of its own size, so a read past it is caught */
    ngx_fuzz_str(pool, &v, value->data, value->len);

    ngx_fuzz_bool(&v);
    ngx_fuzz_sid(&v);
    ngx_fuzz_addr(&v);
    ngx_fuzz_token(&v);
    ngx_fuzz_number(&v);
}


static void
ngx_fuzz_bool(ngx_str_t *value)
{
    ngx_int_t  rc, want;

    rc = ngx_http_session_bool(value);

    want = NGX_ERROR;

    if ((value->len == 1 && value->data[0] == '1')
        || (value->len == 4 && strncasecmp((char *) value->data, "true", 4)
                               == 0))
    {
        want = 1;

    } else if ((value->len == 1 && value->data[0] == '0')
               || (value->len == 5
                   && strncasecmp((char *) value->data, "false", 5) == 0))
    {
        want = 0;
    }

    ngx_fuzz_assert(rc == want);
}


static void
ngx_fuzz_sid(ngx_str_t *value)
{
    u_char      digest[NGX_HTTP_SESSION_DIGEST_LEN];
    u_char      text[NGX_HTTP_SESSION_SID_LEN];
    ngx_int_t   rc;
    ngx_uint_t  i, hex;

    rc = ngx_http_session_parse_sid(value->data, value->len, digest);

    hex = (value->len == NGX_HTTP_SESSION_SID_LEN);

    for (i = 0; hex && i < value->len; i++) {
        hex = (value->data[i] >= '0' && value->data[i] <= '9')
              || (value->data[i] >= 'a' && value->data[i] <= 'f');
    }

    ngx_fuzz_assert((rc == NGX_OK) == hex);

    if (rc == NGX_OK) {
        /* an id parses to the digest it is the id of */
        ngx_fuzz_assert(ngx_http_session_sid(text, digest)
                        == text + NGX_HTTP_SESSION_SID_LEN);
        ngx_fuzz_assert(ngx_memcmp(text, value->data,
                                   NGX_HTTP_SESSION_SID_LEN) == 0);
    }
}


static void
ngx_fuzz_addr(ngx_str_t *value)
{
    u_char     addr[16], again[16], text[NGX_SOCKADDR_STRLEN];
    size_t     len, len2;
    ngx_str_t  t;

    if (ngx_http_session_addr_parse(value, addr, &len) != NGX_OK) {
        return;
    }

    ngx_fuzz_assert(len == 0 || len == 4 || len == 16);
    ngx_fuzz_assert((len == 0) == (value->len == 0));

    if (len == 0) {
        return;
    }

    /* written back, the address reads as the same address */
    t.data = text;
    t.len = ngx_http_session_addr_text(text, addr, len) - text;
    ngx_fuzz_assert(t.len > 0 && t.len <= NGX_SOCKADDR_STRLEN);

    ngx_fuzz_assert(ngx_http_session_addr_parse(&t, again, &len2) == NGX_OK);
    ngx_fuzz_assert(len2 == len && ngx_memcmp(addr, again, len) == 0);
}


static void
ngx_fuzz_token(ngx_str_t *value)
{
    size_t      skip;
    u_char     *p;
    ngx_int_t   rc, want;
    ngx_str_t   token;

    /* the check alone takes the value as it is */

    token = *value;

    (void) ngx_http_session_valid_token(&token);

    ngx_fuzz_assert(token.data == value->data && token.len == value->len);

    /* a header's value: the schemes clients put before a token go first */

    ngx_http_session_strip_scheme(&token);

    rc = ngx_http_session_valid_token(&token);

    skip = 0;

    if (value->len > 5
        && (strncasecmp((char *) value->data, "QSDK ", 5) == 0
            || strncasecmp((char *) value->data, "SAML ", 5) == 0))
    {
        skip = 5;

    } else if (value->len > 7
               && strncasecmp((char *) value->data, "Bearer ", 7) == 0)
    {
        skip = 7;

    } else if (value->len > 11
               && strncasecmp((char *) value->data, "ESP-APIKEY ", 11) == 0)
    {
        skip = 11;
    }

    ngx_fuzz_assert(token.data == value->data + skip);
    ngx_fuzz_assert(token.len == value->len - skip);

    if (token.len == 0) {
        want = NGX_DECLINED;

    } else if (token.len > NGX_HTTP_SESSION_TOKEN_MAX) {
        want = NGX_ERROR;

    } else {
        want = NGX_OK;

        for (p = token.data; p < token.data + token.len; p++) {
            if (*p < 0x20 || *p == 0x7f) {
                want = NGX_ERROR;
                break;
            }
        }
    }

    ngx_fuzz_assert(rc == want);
}


static void
ngx_fuzz_number(ngx_str_t *value)
{
    ngx_uint_t  number;

    number = ngx_http_session_is_number(value);

    if (number) {
        /* what it calls a number, nginx reads as one */
        ngx_fuzz_assert(ngx_atoof(value->data, value->len) >= 0);
        ngx_fuzz_assert(value->data[0] != '0' || value->len == 1);
    }

    (void) ngx_http_session_flag(value);
}
