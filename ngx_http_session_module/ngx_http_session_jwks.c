
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "ngx_http_session_login.h"


/*
 * The keys JWTs are verified with: an HMAC secret (session_jwt key=), or
 * the public keys of a JWK Set (RFC 7517, session_jwt jwks=): RSA keys
 * of 2048 bits or more, EC keys on P-256, P-384 and P-521 (checked on
 * their curve by OpenSSL), "oct" secrets.  Read at configuration time;
 * the EVP_PKEYs live as long as the configuration.  Plain data in, so a
 * fuzzer drives the JWKS reader.  Calls body.c's JSON parser, jansson and
 * OpenSSL.
 */


/* RFC 7518 3.2: an HMAC key as long as the hash, at least */
#define NGX_HTTP_SESSION_JWT_SECRET_MIN  32

#define NGX_HTTP_SESSION_JWKS_KEYS_MAX   64


static ngx_int_t ngx_http_session_jwks_key(ngx_pool_t *pool, json_t *jwk,
    ngx_array_t *keys, ngx_str_t *error);
static ngx_int_t ngx_http_session_jwks_rsa(ngx_pool_t *pool, json_t *jwk,
    ngx_http_session_jwt_key_t *key, ngx_str_t *error);
static ngx_int_t ngx_http_session_jwks_ec(ngx_pool_t *pool, json_t *jwk,
    ngx_http_session_jwt_key_t *key, ngx_str_t *error);
static ngx_int_t ngx_http_session_jwks_fromdata(ngx_pool_t *pool,
    const char *type, OSSL_PARAM_BLD *bld, ngx_http_session_jwt_key_t *key);
static ngx_int_t ngx_http_session_jwks_b64(ngx_pool_t *pool, json_t *jwk,
    const char *name, ngx_str_t *out);
static ngx_int_t ngx_http_session_jwks_str(ngx_pool_t *pool, json_t *jwk,
    const char *name, ngx_str_t *out);
static void ngx_http_session_jwks_cleanup(void *data);


/* a secret: the whole content, a trailing newline ignored */

ngx_int_t
ngx_http_session_jwt_secret(ngx_pool_t *pool, ngx_str_t *secret,
    ngx_array_t *keys, ngx_str_t *error)
{
    size_t                       len;
    ngx_http_session_jwt_key_t  *key;

    len = secret->len;

    if (len && secret->data[len - 1] == '\n') {
        len--;

        if (len && secret->data[len - 1] == '\r') {
            len--;
        }
    }

    if (len < NGX_HTTP_SESSION_JWT_SECRET_MIN) {
        ngx_str_set(error, "holds less than 32 bytes: an HS256 key is at "
                           "least as long as the hash");
        return NGX_DECLINED;
    }

    key = ngx_array_push(keys);
    if (key == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(key, sizeof(ngx_http_session_jwt_key_t));

    key->family = NGX_HTTP_SESSION_JWT_HMAC;
    key->secret.data = secret->data;
    key->secret.len = len;

    return NGX_OK;
}


/*
 * {"keys": [JWK, ...]}: every usable signing key; a key of another type
 * or use is skipped.  NGX_DECLINED: not a JWK Set, a key that is
 * malformed, or none usable; "error" says which.
 */

ngx_int_t
ngx_http_session_jwks_parse(ngx_pool_t *pool, ngx_str_t *text,
    ngx_array_t *keys, ngx_str_t *error)
{
    size_t       i, n;
    json_t      *jwks, *list;
    ngx_int_t    rc;
    ngx_uint_t   before;

    jwks = ngx_http_session_parse_json(pool, text, error);
    if (jwks == NULL) {
        ngx_str_set(error, "is not JSON");
        return NGX_DECLINED;
    }

    list = json_object_get(jwks, "keys");

    if (!json_is_array(list)) {
        ngx_str_set(error, "is no JWK Set: it has no \"keys\" array");
        return NGX_DECLINED;
    }

    n = json_array_size(list);

    if (n > NGX_HTTP_SESSION_JWKS_KEYS_MAX) {
        ngx_str_set(error, "holds more than 64 keys");
        return NGX_DECLINED;
    }

    before = keys->nelts;

    for (i = 0; i < n; i++) {
        rc = ngx_http_session_jwks_key(pool, json_array_get(list, i), keys,
                                       error);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (keys->nelts == before) {
        ngx_str_set(error, "holds no RSA, EC or oct signing key");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_jwks_key(ngx_pool_t *pool, json_t *jwk, ngx_array_t *keys,
    ngx_str_t *error)
{
    ngx_int_t                    rc;
    ngx_str_t                    kty, use;
    ngx_http_session_jwt_key_t   key;
    ngx_http_session_jwt_key_t  *k;

    if (!json_is_object(jwk)) {
        ngx_str_set(error, "has a key that is not a JSON object");
        return NGX_DECLINED;
    }

    ngx_memzero(&key, sizeof(ngx_http_session_jwt_key_t));

    if (ngx_http_session_jwks_str(pool, jwk, "kty", &kty) != NGX_OK
        || ngx_http_session_jwks_str(pool, jwk, "use", &use) != NGX_OK
        || ngx_http_session_jwks_str(pool, jwk, "kid", &key.kid) != NGX_OK
        || ngx_http_session_jwks_str(pool, jwk, "alg", &key.alg) != NGX_OK)
    {
        ngx_str_set(error, "has a key whose \"kty\", \"use\", \"kid\" or "
                           "\"alg\" is not a string");
        return NGX_DECLINED;
    }

    if (use.len && (use.len != 3 || ngx_strncmp(use.data, "sig", 3) != 0)) {
        /* an encryption key */
        return NGX_OK;
    }

    if (kty.len == 3 && ngx_strncmp(kty.data, "RSA", 3) == 0) {
        rc = ngx_http_session_jwks_rsa(pool, jwk, &key, error);

    } else if (kty.len == 2 && ngx_strncmp(kty.data, "EC", 2) == 0) {
        rc = ngx_http_session_jwks_ec(pool, jwk, &key, error);

    } else if (kty.len == 3 && ngx_strncmp(kty.data, "oct", 3) == 0) {
        rc = ngx_http_session_jwks_b64(pool, jwk, "k", &key.secret);

        if (rc == NGX_OK) {
            key.family = NGX_HTTP_SESSION_JWT_HMAC;

            if (key.secret.len < NGX_HTTP_SESSION_JWT_SECRET_MIN) {
                ngx_str_set(error, "has an \"oct\" key of less than "
                                   "32 bytes");
                rc = NGX_DECLINED;
            }

        } else if (rc == NGX_DECLINED) {
            ngx_str_set(error, "has an \"oct\" key without \"k\"");
        }

    } else {
        /* OKP and the like: not ours to verify with */
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        return rc;
    }

    k = ngx_array_push(keys);
    if (k == NULL) {
        return NGX_ERROR;
    }

    *k = key;

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_jwks_rsa(ngx_pool_t *pool, json_t *jwk,
    ngx_http_session_jwt_key_t *key, ngx_str_t *error)
{
    BIGNUM          *n, *e;
    ngx_int_t        rc;
    ngx_str_t        nb, eb;
    OSSL_PARAM_BLD  *bld;

    if (ngx_http_session_jwks_b64(pool, jwk, "n", &nb) != NGX_OK
        || ngx_http_session_jwks_b64(pool, jwk, "e", &eb) != NGX_OK)
    {
        ngx_str_set(error, "has an RSA key without a base64url \"n\" and "
                           "\"e\"");
        return NGX_DECLINED;
    }

    if (nb.len < 256) {
        ngx_str_set(error, "has an RSA key of less than 2048 bits");
        return NGX_DECLINED;
    }

    if (nb.len > 2048 || eb.len > 8) {
        ngx_str_set(error, "has an RSA key larger than 16384 bits");
        return NGX_DECLINED;
    }

    n = BN_bin2bn(nb.data, (int) nb.len, NULL);
    e = BN_bin2bn(eb.data, (int) eb.len, NULL);
    bld = OSSL_PARAM_BLD_new();

    rc = NGX_ERROR;

    if (n && e && bld
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
    {
        key->family = NGX_HTTP_SESSION_JWT_RSA;

        rc = ngx_http_session_jwks_fromdata(pool, "RSA", bld, key);

        if (rc == NGX_DECLINED) {
            ngx_str_set(error, "has an RSA key OpenSSL refuses");
        }
    }

    BN_free(n);
    BN_free(e);
    OSSL_PARAM_BLD_free(bld);

    return rc;
}


static ngx_int_t
ngx_http_session_jwks_ec(ngx_pool_t *pool, json_t *jwk,
    ngx_http_session_jwt_key_t *key, ngx_str_t *error)
{
    u_char          *p;
    size_t           size;
    ngx_int_t        rc;
    ngx_str_t        crv, x, y;
    const char      *group;
    OSSL_PARAM_BLD  *bld;

    if (ngx_http_session_jwks_str(pool, jwk, "crv", &crv) != NGX_OK) {
        ngx_str_set(error, "has an EC key whose \"crv\" is no string");
        return NGX_DECLINED;
    }

    if (crv.len == 5 && ngx_strncmp(crv.data, "P-256", 5) == 0) {
        group = "P-256";
        size = 32;

    } else if (crv.len == 5 && ngx_strncmp(crv.data, "P-384", 5) == 0) {
        group = "P-384";
        size = 48;

    } else if (crv.len == 5 && ngx_strncmp(crv.data, "P-521", 5) == 0) {
        group = "P-521";
        size = 66;

    } else {
        ngx_str_set(error, "has an EC key on a curve other than P-256, "
                           "P-384 and P-521");
        return NGX_DECLINED;
    }

    /* RFC 7518 6.2.1.2: the coordinates are as long as the field */

    if (ngx_http_session_jwks_b64(pool, jwk, "x", &x) != NGX_OK
        || ngx_http_session_jwks_b64(pool, jwk, "y", &y) != NGX_OK
        || x.len != size || y.len != size)
    {
        ngx_str_set(error, "has an EC key without base64url \"x\" and "
                           "\"y\" of the curve's size");
        return NGX_DECLINED;
    }

    /* the uncompressed point: 04 || x || y */

    p = ngx_pnalloc(pool, 1 + 2 * size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p[0] = 0x04;
    ngx_memcpy(p + 1, x.data, size);
    ngx_memcpy(p + 1 + size, y.data, size);

    key->family = NGX_HTTP_SESSION_JWT_EC;
    key->bits = size * 8;

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                        group, 0)
        && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                            p, 1 + 2 * size))
    {
        rc = ngx_http_session_jwks_fromdata(pool, "EC", bld, key);

        if (rc == NGX_DECLINED) {
            ngx_str_set(error, "has an EC key whose point is not on its "
                               "curve");
        }
    }

    OSSL_PARAM_BLD_free(bld);

    return rc;
}


/* the public key, checked by OpenSSL; NGX_DECLINED: refused */

static ngx_int_t
ngx_http_session_jwks_fromdata(ngx_pool_t *pool, const char *type,
    OSSL_PARAM_BLD *bld, ngx_http_session_jwt_key_t *key)
{
    int                  ok;
    EVP_PKEY            *pkey;
    OSSL_PARAM          *params;
    EVP_PKEY_CTX        *ctx, *check;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    params = OSSL_PARAM_BLD_to_param(bld);
    if (params == NULL) {
        return NGX_ERROR;
    }

    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (ctx == NULL) {
        OSSL_PARAM_free(params);
        return NGX_ERROR;
    }

    pkey = NULL;

    ok = EVP_PKEY_fromdata_init(ctx) == 1
         && EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;

    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);

    if (!ok) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return NGX_DECLINED;
    }

    check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

    ok = check && EVP_PKEY_public_check(check) == 1;

    EVP_PKEY_CTX_free(check);

    if (!ok) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return NGX_DECLINED;
    }

    cln->handler = ngx_http_session_jwks_cleanup;
    cln->data = pkey;

    key->pkey = pkey;

    return NGX_OK;
}


static void
ngx_http_session_jwks_cleanup(void *data)
{
    EVP_PKEY_free(data);
}


/* a base64url member, decoded; NGX_DECLINED: absent, empty or invalid */

static ngx_int_t
ngx_http_session_jwks_b64(ngx_pool_t *pool, json_t *jwk, const char *name,
    ngx_str_t *out)
{
    ngx_str_t  text;

    if (ngx_http_session_jwks_str(pool, jwk, name, &text) != NGX_OK
        || text.len == 0 || text.len > 4096)
    {
        return NGX_DECLINED;
    }

    out->data = ngx_pnalloc(pool, ngx_base64_decoded_length(text.len));
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    if (ngx_decode_base64url(out, &text) != NGX_OK || out->len == 0) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* a string member, or empty when absent; NGX_DECLINED: not a string */

static ngx_int_t
ngx_http_session_jwks_str(ngx_pool_t *pool, json_t *jwk, const char *name,
    ngx_str_t *out)
{
    json_t  *v;

    v = json_object_get(jwk, name);

    if (v == NULL) {
        ngx_str_null(out);
        return NGX_OK;
    }

    if (!json_is_string(v)) {
        return NGX_DECLINED;
    }

    out->len = json_string_length(v);
    out->data = (u_char *) json_string_value(v);

    return NGX_OK;
}
