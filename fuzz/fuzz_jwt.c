
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <jansson.h>

#include "fuzz_common.h"
#include "ngx_http_session_login.h"


/*
 * JWT verification (jwt.c) with the test keys of t/data/jwt/ (an HMAC
 * secret, a JWKS of RSA and EC keys): any token is refused, expired or
 * valid, and a token that verifies was signed by those keys, so its
 * "header.payload" is one of the signed tokens' of tokens.txt (the
 * fuzzer holds no private key: anything else verifying would be a
 * forgery).  Claims exist for valid tokens only.  Without verification
 * "none" is still refused.
 */


static ngx_pool_t   *ngx_fuzz_conf_pool;
static ngx_array_t  *ngx_fuzz_keys;
static ngx_array_t  *ngx_fuzz_signed;     /* ngx_str_t: header.payload */


static ngx_str_t
ngx_fuzz_read(const char *dir, const char *name)
{
    FILE       *f;
    long        n;
    char        path[PATH_MAX];
    ngx_str_t   s;

    snprintf(path, sizeof(path), "%s/%s", dir, name);

    f = fopen(path, "r");
    ngx_fuzz_assert(f != NULL);

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    s.data = ngx_pnalloc(ngx_fuzz_conf_pool, n + 1);
    ngx_fuzz_assert(s.data != NULL);
    s.len = fread(s.data, 1, n, f);
    s.data[s.len] = '\0';

    fclose(f);

    return s;
}


/* the test keys, found from the binary: fuzz/bin/ -> t/data/jwt/ */

static void
ngx_fuzz_keys_init(void)
{
    u_char     *p, *line, *last, *dot;
    char        dir[PATH_MAX], *slash;
    ssize_t     n;
    ngx_str_t   text, error, *s;

    n = readlink("/proc/self/exe", dir, sizeof(dir) - 32);
    ngx_fuzz_assert(n > 0);
    dir[n] = '\0';

    slash = strrchr(dir, '/');
    ngx_fuzz_assert(slash != NULL);
    strcpy(slash, "/../../t/data/jwt");

    ngx_fuzz_conf_pool = ngx_fuzz_pool();

    ngx_fuzz_keys = ngx_array_create(ngx_fuzz_conf_pool, 4,
                                     sizeof(ngx_http_session_jwt_key_t));
    ngx_fuzz_signed = ngx_array_create(ngx_fuzz_conf_pool, 32,
                                       sizeof(ngx_str_t));
    ngx_fuzz_assert(ngx_fuzz_keys != NULL && ngx_fuzz_signed != NULL);

    text = ngx_fuzz_read(dir, "hs256.key");
    ngx_fuzz_assert(ngx_http_session_jwt_secret(ngx_fuzz_conf_pool, &text,
                                                ngx_fuzz_keys, &error)
                    == NGX_OK);

    text = ngx_fuzz_read(dir, "jwks.json");
    ngx_fuzz_assert(ngx_http_session_jwks_parse(ngx_fuzz_conf_pool, &text,
                                                ngx_fuzz_keys, &error)
                    == NGX_OK);

    /* "NAME TOKEN" lines: the signing input of every token */

    text = ngx_fuzz_read(dir, "tokens.txt");
    last = text.data + text.len;

    for (line = text.data; line < last; line = p + 1) {
        p = ngx_strlchr(line, last, '\n');
        if (p == NULL) {
            p = last;
        }

        line = ngx_strlchr(line, p, ' ');
        if (line == NULL) {
            continue;
        }

        line++;
        dot = ngx_strlchr(line, p, '.');
        dot = dot ? ngx_strlchr(dot + 1, p, '.') : NULL;

        if (dot == NULL) {
            continue;
        }

        s = ngx_array_push(ngx_fuzz_signed);
        ngx_fuzz_assert(s != NULL);
        s->data = line;
        s->len = dot - line;
    }
}


static ngx_uint_t
ngx_fuzz_was_signed(ngx_str_t *token)
{
    u_char      *dot;
    ngx_str_t   *s;
    ngx_uint_t   i;

    dot = ngx_strlchr(token->data, token->data + token->len, '.');
    dot = dot ? ngx_strlchr(dot + 1, token->data + token->len, '.') : NULL;

    if (dot == NULL) {
        return 0;
    }

    s = ngx_fuzz_signed->elts;

    for (i = 0; i < ngx_fuzz_signed->nelts; i++) {
        if (s[i].len == (size_t) (dot - token->data)
            && ngx_memcmp(s[i].data, token->data, s[i].len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ngx_str_t                token;
    ngx_uint_t               verify;
    ngx_pool_t              *pool;
    ngx_http_session_jwt_t   jwt;

    if (ngx_fuzz_conf_pool == NULL) {
        ngx_fuzz_keys_init();
    }

    pool = ngx_fuzz_pool();

    ngx_fuzz_str(pool, &token, data, size);

    for (verify = 0; verify < 2; verify++) {

        /* 2026-12-04: tokens.txt's valid ones have not expired */

        ngx_fuzz_assert(ngx_http_session_jwt_decode(pool, &token,
                                                    ngx_fuzz_keys, verify,
                                                    1796400000, 0, &jwt)
                        == NGX_OK);

        ngx_fuzz_assert(jwt.status == NGX_HTTP_SESSION_JWT_VALID
                        || jwt.status == NGX_HTTP_SESSION_JWT_EXPIRED
                        || jwt.status == NGX_HTTP_SESSION_JWT_INVALID);

        if (jwt.status == NGX_HTTP_SESSION_JWT_INVALID) {
            ngx_fuzz_assert(jwt.claims == NULL && jwt.error != NULL);
            continue;
        }

        if (jwt.status == NGX_HTTP_SESSION_JWT_VALID) {
            ngx_fuzz_assert(json_is_object((json_t *) jwt.claims));

        } else {
            ngx_fuzz_assert(jwt.claims == NULL);
        }

        if (verify) {
            ngx_fuzz_assert(ngx_fuzz_was_signed(&token));
        }

    }

    ngx_destroy_pool(pool);

    return 0;
}
