
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_http_session_login.h"


/*
 * session_jwt: the JWT a request carries (a cookie, or "Authorization:
 * Bearer"), its signature verified with OpenSSL (HS*, RS*, ES*; the
 * algorithm must suit the key, so an RSA public key is never taken for
 * an HMAC secret; "none" is never accepted), its "exp" and "nbf"
 * checked, its claims exposed as $session_jwt_claim_NAME.  A token that
 * fails is no token: $session_jwt stays empty, so "session_create
 * $session_jwt" makes no session of it.  Verification is done once per
 * request, when a variable first asks.  Calls jwks.c for the keys,
 * body.c's JSON parser, field.c for the request's login state and
 * variables.c to define its variables.
 */


#define NGX_HTTP_SESSION_JWT_MAX       8192

#define NGX_HTTP_SESSION_JWT_VAR_TOKEN     0
#define NGX_HTTP_SESSION_JWT_VAR_VALID     1
#define NGX_HTTP_SESSION_JWT_VAR_EXPIRED   2


typedef struct {
    ngx_str_t                    name;
    ngx_uint_t                   family;
    const char                  *md;
    ngx_uint_t                   bits;         /* EC: the curve's */
} ngx_http_session_jwt_alg_t;


static ngx_http_session_jwt_alg_t  ngx_http_session_jwt_algs[] = {
    { ngx_string("HS256"), NGX_HTTP_SESSION_JWT_HMAC, "SHA256", 0 },
    { ngx_string("HS384"), NGX_HTTP_SESSION_JWT_HMAC, "SHA384", 0 },
    { ngx_string("HS512"), NGX_HTTP_SESSION_JWT_HMAC, "SHA512", 0 },
    { ngx_string("RS256"), NGX_HTTP_SESSION_JWT_RSA, "SHA256", 0 },
    { ngx_string("RS384"), NGX_HTTP_SESSION_JWT_RSA, "SHA384", 0 },
    { ngx_string("RS512"), NGX_HTTP_SESSION_JWT_RSA, "SHA512", 0 },
    { ngx_string("ES256"), NGX_HTTP_SESSION_JWT_EC, "SHA256", 256 },
    { ngx_string("ES384"), NGX_HTTP_SESSION_JWT_EC, "SHA384", 384 },
    { ngx_string("ES512"), NGX_HTTP_SESSION_JWT_EC, "SHA512", 528 },
    { ngx_null_string, 0, NULL, 0 }
};


static ngx_int_t ngx_http_session_jwt_keys(ngx_conf_t *cf,
    ngx_http_session_jwt_conf_t *jcf, ngx_str_t *param);
static ngx_int_t ngx_http_session_jwt_read_file(ngx_conf_t *cf,
    ngx_str_t *name, ngx_str_t *text);
static ngx_int_t ngx_http_session_jwt_split(ngx_str_t *token, u_char **dot1,
    u_char **dot2);
static ngx_http_session_jwt_alg_t *ngx_http_session_jwt_alg(json_t *header);
static json_t *ngx_http_session_jwt_part(ngx_pool_t *pool, u_char *start,
    u_char *end);
static ngx_int_t ngx_http_session_jwt_signed(ngx_pool_t *pool,
    ngx_str_t *input, u_char *sig_start, u_char *sig_end, json_t *header,
    ngx_http_session_jwt_alg_t *alg, ngx_array_t *keys, const char **error);
static ngx_int_t ngx_http_session_jwt_check(ngx_http_session_jwt_key_t *key,
    ngx_http_session_jwt_alg_t *alg, ngx_str_t *input, ngx_str_t *sig);
static ngx_int_t ngx_http_session_jwt_times(json_t *claims, time_t now,
    time_t leeway, const char **error);
static ngx_http_session_jwt_t *ngx_http_session_jwt_request(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_session_jwt_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_session_jwt_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_session_jwt_vars[] = {

    { ngx_string("session_jwt"), NULL,
      ngx_http_session_jwt_variable, NGX_HTTP_SESSION_JWT_VAR_VALID,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("session_jwt_token"), NULL,
      ngx_http_session_jwt_variable, NGX_HTTP_SESSION_JWT_VAR_TOKEN,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("session_jwt_expired"), NULL,
      ngx_http_session_jwt_variable, NGX_HTTP_SESSION_JWT_VAR_EXPIRED,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("session_jwt_claim_"), NULL,
      ngx_http_session_jwt_claim_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

      ngx_http_null_variable
};


/*
 * session_jwt VALUE ... [key=FILE] [jwks=FILE] [verify=off]
 *     [leeway=TIME];
 * session_jwt off;
 */

char *
ngx_http_session_jwt(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_session_loc_conf_t *slcf = conf;

    ngx_int_t                          leeway;
    ngx_str_t                         *value, text;
    ngx_uint_t                         i;
    ngx_http_complex_value_t          *cv;
    ngx_http_session_jwt_conf_t       *jcf;
    ngx_http_compile_complex_value_t   ccv;

    if (slcf->jwt != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        slcf->jwt = NULL;
        return NGX_CONF_OK;
    }

    jcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_session_jwt_conf_t));
    if (jcf == NULL) {
        return NGX_CONF_ERROR;
    }

    jcf->verify = 1;

    jcf->values = ngx_array_create(cf->pool, 2,
                                   sizeof(ngx_http_complex_value_t));
    if (jcf->values == NULL) {
        return NGX_CONF_ERROR;
    }

    jcf->keys = ngx_array_create(cf->pool, 2,
                                 sizeof(ngx_http_session_jwt_key_t));
    if (jcf->keys == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "key=", 4) == 0
            || ngx_strncmp(value[i].data, "jwks=", 5) == 0)
        {
            if (ngx_http_session_jwt_keys(cf, jcf, &value[i]) != NGX_OK) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strcmp(value[i].data, "verify=off") == 0) {
            jcf->verify = 0;
            continue;
        }

        if (ngx_strncmp(value[i].data, "leeway=", 7) == 0) {
            text.data = value[i].data + 7;
            text.len = value[i].len - 7;

            leeway = ngx_parse_time(&text, 1);

            if (leeway == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid leeway \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            jcf->leeway = (time_t) leeway;
            continue;
        }

        if (value[i].len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "empty value in \"%V\"", &cmd->name);
            return NGX_CONF_ERROR;
        }

        cv = ngx_array_push(jcf->values);
        if (cv == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &value[i];
        ccv.complex_value = cv;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (jcf->values->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" names no value that carries the token",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (jcf->verify == (jcf->keys->nelts == 0)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           jcf->verify
                           ? "\"%V\" needs key=FILE or jwks=FILE to verify "
                             "tokens with, or verify=off"
                           : "\"%V\": verify=off takes no key=, jwks=",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    slcf->jwt = jcf;

    return NGX_CONF_OK;
}


/* key=FILE, jwks=FILE: the keys, or an [emerg] naming the file */

static ngx_int_t
ngx_http_session_jwt_keys(ngx_conf_t *cf, ngx_http_session_jwt_conf_t *jcf,
    ngx_str_t *param)
{
    ngx_int_t  rc;
    ngx_str_t  file, text, error;

    file.data = (u_char *) ngx_strchr(param->data, '=') + 1;
    file.len = param->data + param->len - file.data;

    if (ngx_http_session_jwt_read_file(cf, &file, &text) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_str_null(&error);

    if (param->data[0] == 'k') {
        rc = ngx_http_session_jwt_secret(cf->pool, &text, jcf->keys, &error);

    } else {
        rc = ngx_http_session_jwks_parse(cf->pool, &text, jcf->keys, &error);
    }

    if (rc == NGX_DECLINED) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" %V", &file, &error);
    }

    return rc;
}


static ngx_int_t
ngx_http_session_jwt_read_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *text)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_file_t       file;
    ngx_file_info_t  fi;

    if (name->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "a key file name is needed");
        return NGX_ERROR;
    }

    if (ngx_conf_full_name(cf->cycle, name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", name);
        return NGX_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));

    file.fd = fd;
    file.name = *name;
    file.log = cf->log;

    n = NGX_ERROR;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", name);
        goto done;
    }

    if (ngx_file_size(&fi) > 1024 * 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "key file \"%V\" is larger than 1m", name);
        goto done;
    }

    text->len = (size_t) ngx_file_size(&fi);

    text->data = ngx_pnalloc(cf->pool, text->len + 1);
    if (text->data == NULL) {
        goto done;
    }

    n = ngx_read_file(&file, text->data, text->len, 0);

    if (n != (ssize_t) text->len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "key file \"%V\" could not be read", name);
        n = NGX_ERROR;
    }

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", name);
    }

    return (n == NGX_ERROR) ? NGX_ERROR : NGX_OK;
}


ngx_int_t
ngx_http_session_jwt_add_variables(ngx_conf_t *cf)
{
    return ngx_http_session_add_variable_table(cf, ngx_http_session_jwt_vars);
}


/*
 * A token, "header.payload.signature": NGX_OK with jwt->status VALID,
 * EXPIRED or INVALID (jwt->error says why), NGX_ERROR when memory ran
 * out.  The claims of a VALID token stay in the pool.
 */

ngx_int_t
ngx_http_session_jwt_decode(ngx_pool_t *pool, ngx_str_t *token,
    ngx_array_t *keys, ngx_uint_t verify, time_t now, time_t leeway,
    ngx_http_session_jwt_t *jwt)
{
    u_char                      *last, *dot1, *dot2;
    json_t                      *header, *claims;
    ngx_int_t                    rc;
    ngx_str_t                    input;
    ngx_http_session_jwt_alg_t  *a;

    jwt->status = NGX_HTTP_SESSION_JWT_INVALID;
    jwt->token = *token;
    jwt->claims = NULL;
    jwt->error = "malformed token";

    last = token->data + token->len;

    if (token->len > NGX_HTTP_SESSION_JWT_MAX) {
        jwt->error = "token too long";
        return NGX_OK;
    }

    if (ngx_http_session_jwt_split(token, &dot1, &dot2) != NGX_OK) {
        return NGX_OK;
    }

    header = ngx_http_session_jwt_part(pool, token->data, dot1);

    if (header == NULL || !json_is_object(header)) {
        return NGX_OK;
    }

    if (json_object_get(header, "crit")) {
        /* extensions this verifier does not know must be refused */
        jwt->error = "\"crit\" header";
        return NGX_OK;
    }

    a = ngx_http_session_jwt_alg(header);

    if (a == NULL) {
        /* "none" among them: an unsigned token is never trusted */
        jwt->error = "unsupported \"alg\"";
        return NGX_OK;
    }

    if (verify) {
        input.data = token->data;
        input.len = dot2 - token->data;

        rc = ngx_http_session_jwt_signed(pool, &input, dot2 + 1, last, header,
                                         a, keys, &jwt->error);
        if (rc != NGX_OK) {
            return (rc == NGX_ERROR) ? NGX_ERROR : NGX_OK;
        }
    }

    claims = ngx_http_session_jwt_part(pool, dot1 + 1, dot2);

    if (claims == NULL || !json_is_object(claims)) {
        jwt->error = "malformed claims";
        return NGX_OK;
    }

    rc = ngx_http_session_jwt_times(claims, now, leeway, &jwt->error);

    if (rc == NGX_DECLINED) {
        return NGX_OK;
    }

    if (rc == NGX_DONE) {
        jwt->status = NGX_HTTP_SESSION_JWT_EXPIRED;
        return NGX_OK;
    }

    jwt->status = NGX_HTTP_SESSION_JWT_VALID;
    jwt->claims = claims;
    jwt->error = NULL;

    return NGX_OK;
}


/* three parts of base64url text: the dots; NGX_DECLINED: not a JWS */

static ngx_int_t
ngx_http_session_jwt_split(ngx_str_t *token, u_char **dot1, u_char **dot2)
{
    u_char  *p, *last;

    *dot1 = NULL;
    *dot2 = NULL;

    last = token->data + token->len;

    for (p = token->data; p < last; p++) {
        if (*p == '.') {
            if (*dot2) {
                return NGX_DECLINED;
            }

            if (*dot1) {
                *dot2 = p;

            } else {
                *dot1 = p;
            }

            continue;
        }

        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
        {
            return NGX_DECLINED;
        }
    }

    return (*dot2 == NULL) ? NGX_DECLINED : NGX_OK;
}


/* the header's "alg", if one this verifier knows */

static ngx_http_session_jwt_alg_t *
ngx_http_session_jwt_alg(json_t *header)
{
    json_t      *alg;
    ngx_uint_t   i;

    alg = json_object_get(header, "alg");

    if (!json_is_string(alg)) {
        return NULL;
    }

    for (i = 0; ngx_http_session_jwt_algs[i].name.len; i++) {
        if (ngx_http_session_jwt_algs[i].name.len == json_string_length(alg)
            && ngx_strncmp(ngx_http_session_jwt_algs[i].name.data,
                           json_string_value(alg),
                           ngx_http_session_jwt_algs[i].name.len)
               == 0)
        {
            return &ngx_http_session_jwt_algs[i];
        }
    }

    return NULL;
}


/* a base64url JSON part; NULL: not base64url or not JSON */

static json_t *
ngx_http_session_jwt_part(ngx_pool_t *pool, u_char *start, u_char *end)
{
    ngx_str_t  src, dst, error;

    src.data = start;
    src.len = end - start;

    if (src.len == 0) {
        return NULL;
    }

    dst.data = ngx_pnalloc(pool, ngx_base64_decoded_length(src.len));
    if (dst.data == NULL) {
        return NULL;
    }

    if (ngx_decode_base64url(&dst, &src) != NGX_OK) {
        return NULL;
    }

    return ngx_http_session_parse_json(pool, &dst, &error);
}


/*
 * The keys that may have signed it: of the algorithm's family, with the
 * JWK's own "alg" if it has one, and with the token's "kid" if both name
 * one (a kid that no key of the JWKS has is refused, not tried against
 * every key).
 */

static ngx_int_t
ngx_http_session_jwt_signed(ngx_pool_t *pool, ngx_str_t *input,
    u_char *sig_start, u_char *sig_end, json_t *header,
    ngx_http_session_jwt_alg_t *alg, ngx_array_t *keys, const char **error)
{
    json_t                      *kid;
    ngx_int_t                    rc;
    ngx_str_t                    sig, text;
    ngx_uint_t                   i, tried;
    ngx_http_session_jwt_key_t  *key;

    kid = json_object_get(header, "kid");

    if (kid && !json_is_string(kid)) {
        *error = "\"kid\" is no string";
        return NGX_DECLINED;
    }

    text.data = sig_start;
    text.len = sig_end - sig_start;

    if (text.len == 0) {
        *error = "no signature";
        return NGX_DECLINED;
    }

    sig.data = ngx_pnalloc(pool, ngx_base64_decoded_length(text.len));
    if (sig.data == NULL) {
        return NGX_ERROR;
    }

    if (ngx_decode_base64url(&sig, &text) != NGX_OK) {
        *error = "malformed signature";
        return NGX_DECLINED;
    }

    key = keys->elts;
    tried = 0;

    for (i = 0; i < keys->nelts; i++) {

        if (key[i].family != alg->family
            || (alg->bits && key[i].bits != alg->bits)
            || (key[i].alg.len
                && (key[i].alg.len != alg->name.len
                    || ngx_strncmp(key[i].alg.data, alg->name.data,
                                   alg->name.len)
                       != 0)))
        {
            continue;
        }

        /* a key without a kid may have signed a token with one */

        if (kid && key[i].kid.len
            && (key[i].kid.len != json_string_length(kid)
                || ngx_strncmp(key[i].kid.data, json_string_value(kid),
                               key[i].kid.len)
                   != 0))
        {
            continue;
        }

        tried++;

        rc = ngx_http_session_jwt_check(&key[i], alg, input, &sig);

        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    if (tried == 0) {
        *error = kid ? "no key of that \"kid\" for its \"alg\""
                     : "no key for its \"alg\"";

    } else {
        *error = "bad signature";
    }

    return NGX_DECLINED;
}


/* NGX_OK: the signature is the key's; NGX_DECLINED: it is not */

static ngx_int_t
ngx_http_session_jwt_check(ngx_http_session_jwt_key_t *key,
    ngx_http_session_jwt_alg_t *alg, ngx_str_t *input, ngx_str_t *sig)
{
    int             ok, len;
    size_t          n;
    u_char         *der, *p, mac[EVP_MAX_MD_SIZE];
    BIGNUM         *r, *s;
    ngx_int_t       rc;
    unsigned int    mac_len;
    ECDSA_SIG      *es;
    EVP_MD_CTX     *ctx;
    const EVP_MD   *md;

    md = EVP_get_digestbyname(alg->md);
    if (md == NULL) {
        return NGX_ERROR;
    }

    if (key->family == NGX_HTTP_SESSION_JWT_HMAC) {
        if (HMAC(md, key->secret.data, (int) key->secret.len, input->data,
                 input->len, mac, &mac_len)
            == NULL)
        {
            ERR_clear_error();
            return NGX_ERROR;
        }

        return (sig->len == mac_len
                && CRYPTO_memcmp(mac, sig->data, mac_len) == 0)
               ? NGX_OK : NGX_DECLINED;
    }

    der = NULL;
    len = 0;

    if (key->family == NGX_HTTP_SESSION_JWT_EC) {
        /* JWS has r || s, each as long as the field; OpenSSL wants DER */

        n = (key->bits + 7) / 8;

        if (sig->len != 2 * n) {
            return NGX_DECLINED;
        }

        es = ECDSA_SIG_new();
        r = BN_bin2bn(sig->data, (int) n, NULL);
        s = BN_bin2bn(sig->data + n, (int) n, NULL);

        if (es == NULL || r == NULL || s == NULL
            || ECDSA_SIG_set0(es, r, s) != 1)
        {
            ECDSA_SIG_free(es);
            BN_free(r);
            BN_free(s);
            return NGX_ERROR;
        }

        len = i2d_ECDSA_SIG(es, &der);

        ECDSA_SIG_free(es);

        if (len <= 0) {
            return NGX_ERROR;
        }
    }

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        OPENSSL_free(der);
        return NGX_ERROR;
    }

    p = der ? der : sig->data;
    n = der ? (size_t) len : sig->len;

    ok = EVP_DigestVerifyInit(ctx, NULL, md, NULL, key->pkey) == 1
         && EVP_DigestVerify(ctx, p, n, input->data, input->len) == 1;

    rc = ok ? NGX_OK : NGX_DECLINED;

    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    ERR_clear_error();

    return rc;
}


/*
 * "nbf" and "exp", numbers of seconds (RFC 7519 4.1.4, 4.1.5), each
 * with the leeway.  NGX_DONE: expired; NGX_DECLINED: not valid yet, or
 * a time that is no number.
 */

static ngx_int_t
ngx_http_session_jwt_times(json_t *claims, time_t now, time_t leeway,
    const char **error)
{
    json_t  *nbf, *exp;
    double   t;

    nbf = json_object_get(claims, "nbf");

    if (nbf) {
        if (!json_is_number(nbf)) {
            *error = "\"nbf\" is no number";
            return NGX_DECLINED;
        }

        t = json_number_value(nbf);

        if ((double) now + (double) leeway < t) {
            *error = "not valid before \"nbf\"";
            return NGX_DECLINED;
        }
    }

    exp = json_object_get(claims, "exp");

    if (exp) {
        if (!json_is_number(exp)) {
            *error = "\"exp\" is no number";
            return NGX_DECLINED;
        }

        t = json_number_value(exp);

        if ((double) now >= t + (double) leeway) {
            *error = "expired";
            return NGX_DONE;
        }
    }

    return NGX_OK;
}


/* the request's token, verified once; NULL: memory ran out */

static ngx_http_session_jwt_t *
ngx_http_session_jwt_request(ngx_http_request_t *r)
{
    u_char                       *p;
    ngx_str_t                     token;
    ngx_uint_t                    i;
    ngx_http_complex_value_t     *cv;
    ngx_http_session_login_t     *login;
    ngx_http_session_jwt_conf_t  *jcf;
    ngx_http_session_loc_conf_t  *slcf;

    login = ngx_http_session_login(r);
    if (login == NULL) {
        return NULL;
    }

    if (login->jwt_done) {
        return &login->jwt;
    }

    login->jwt_done = 1;
    login->jwt.status = NGX_HTTP_SESSION_JWT_NONE;

    slcf = ngx_http_get_module_loc_conf(r->main, ngx_http_session_module);
    jcf = slcf->jwt;

    if (jcf == NULL) {
        return &login->jwt;
    }

    cv = jcf->values->elts;
    ngx_str_null(&token);

    for (i = 0; i < jcf->values->nelts; i++) {
        if (ngx_http_complex_value(r->main, &cv[i], &token) != NGX_OK) {
            return NULL;
        }

        /* "Authorization: Bearer TOKEN" (RFC 6750), the scheme in any case */

        if (token.len > 7
            && ngx_strncasecmp(token.data, (u_char *) "Bearer ", 7) == 0)
        {
            p = token.data + 7;

            while (p < token.data + token.len && *p == ' ') {
                p++;
            }

            token.len -= p - token.data;
            token.data = p;
        }

        if (token.len) {
            break;
        }
    }

    /* nothing, or another scheme ("Basic ..."): no token */

    if (token.len == 0
        || ngx_strlchr(token.data, token.data + token.len, ' ') != NULL)
    {
        return &login->jwt;
    }

    if (ngx_http_session_jwt_decode(r->main->pool, &token, jcf->keys,
                                    jcf->verify, ngx_time(), jcf->leeway,
                                    &login->jwt)
        != NGX_OK)
    {
        return NULL;
    }

    if (login->jwt.status == NGX_HTTP_SESSION_JWT_INVALID) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "session JWT refused: %s", login->jwt.error);
    }

    return &login->jwt;
}


static ngx_int_t
ngx_http_session_jwt_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_session_jwt_t  *jwt;

    jwt = ngx_http_session_jwt_request(r);
    if (jwt == NULL) {
        return NGX_ERROR;
    }

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->len = 0;
    v->data = (u_char *) "";

    switch (data) {

    case NGX_HTTP_SESSION_JWT_VAR_TOKEN:
        if (jwt->status != NGX_HTTP_SESSION_JWT_NONE) {
            v->len = jwt->token.len;
            v->data = jwt->token.data;
        }
        break;

    case NGX_HTTP_SESSION_JWT_VAR_VALID:
        if (jwt->status == NGX_HTTP_SESSION_JWT_VALID) {
            v->len = jwt->token.len;
            v->data = jwt->token.data;
        }
        break;

    default: /* NGX_HTTP_SESSION_JWT_VAR_EXPIRED */
        if (jwt->status == NGX_HTTP_SESSION_JWT_EXPIRED) {
            v->len = 1;
            v->data = (u_char *) "1";
        }
        break;
    }

    return NGX_OK;
}


/*
 * $session_jwt_claim_NAME: a string as it is, a number or boolean as
 * JSON writes it, an object or array as compact JSON.  nginx folds
 * variable names to lower case: a claim of another case is found too,
 * after one of exactly that name.
 */

static ngx_int_t
ngx_http_session_jwt_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t *var = (ngx_str_t *) data;

    char                    *text;
    size_t                   len;
    json_t                  *claim, *value;
    ngx_str_t                name;
    const char              *key;
    ngx_http_session_jwt_t  *jwt;

    jwt = ngx_http_session_jwt_request(r);
    if (jwt == NULL) {
        return NGX_ERROR;
    }

    v->not_found = 1;

    if (jwt->status != NGX_HTTP_SESSION_JWT_VALID) {
        return NGX_OK;
    }

    name.data = var->data + sizeof("session_jwt_claim_") - 1;
    name.len = var->len - (sizeof("session_jwt_claim_") - 1);

    claim = NULL;

    json_object_foreach(jwt->claims, key, value) {
        if (ngx_strlen(key) == name.len
            && ngx_strncmp((u_char *) key, name.data, name.len) == 0)
        {
            claim = value;
            break;
        }
    }

    if (claim == NULL) {
        json_object_foreach(jwt->claims, key, value) {
            if (ngx_strlen(key) == name.len
                && ngx_strncasecmp((u_char *) key, name.data, name.len) == 0)
            {
                claim = value;
                break;
            }
        }
    }

    if (claim == NULL || json_is_null(claim)) {
        return NGX_OK;
    }

    if (json_is_string(claim)) {
        v->data = (u_char *) json_string_value(claim);
        v->len = json_string_length(claim);

    } else {
        text = json_dumps(claim, JSON_COMPACT|JSON_ENCODE_ANY);
        if (text == NULL) {
            return NGX_ERROR;
        }

        len = ngx_strlen(text);

        v->data = ngx_pnalloc(r->pool, len);
        if (v->data == NULL) {
            free(text);
            return NGX_ERROR;
        }

        ngx_memcpy(v->data, text, len);
        v->len = len;

        free(text);
    }

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
