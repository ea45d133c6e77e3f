
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "fuzz_common.h"
#include "ngx_http_session_login.h"


/*
 * The JWK Set reader (jwks.c), as nginx reads key files at start: any
 * text is refused with a reason, or gives keys that OpenSSL accepted:
 * RSA and EC keys with their EVP_PKEY (EC ones with the curve's size),
 * HMAC secrets of 32 bytes or more.  The keys live as long as the pool.
 */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ngx_int_t                    rc;
    ngx_str_t                    text, error;
    ngx_uint_t                   i;
    ngx_pool_t                  *pool;
    ngx_array_t                 *keys;
    ngx_http_session_jwt_key_t  *key;

    pool = ngx_fuzz_pool();

    ngx_fuzz_str(pool, &text, data, size);
    ngx_str_null(&error);

    keys = ngx_array_create(pool, 2, sizeof(ngx_http_session_jwt_key_t));
    ngx_fuzz_assert(keys != NULL);

    rc = ngx_http_session_jwks_parse(pool, &text, keys, &error);

    ngx_fuzz_assert(rc == NGX_OK || rc == NGX_DECLINED);

    if (rc == NGX_DECLINED) {
        ngx_fuzz_assert(error.len > 0);

    } else {
        ngx_fuzz_assert(keys->nelts > 0);
    }

    key = keys->elts;

    for (i = 0; i < keys->nelts; i++) {
        switch (key[i].family) {

        case NGX_HTTP_SESSION_JWT_HMAC:
            ngx_fuzz_assert(key[i].secret.len >= 32);
            break;

        case NGX_HTTP_SESSION_JWT_RSA:
            ngx_fuzz_assert(key[i].pkey != NULL);
            break;

        case NGX_HTTP_SESSION_JWT_EC:
            ngx_fuzz_assert(key[i].pkey != NULL
                            && (key[i].bits == 256 || key[i].bits == 384
                                || key[i].bits == 528));
            break;

        default:
            ngx_fuzz_assert(0);
        }
    }

    ngx_destroy_pool(pool);

    return 0;
}
