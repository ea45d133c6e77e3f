
/*
 * Copyright (C) ngx_http_session_module authors
 */


#ifndef _NGX_HTTP_SESSION_LOGIN_H_INCLUDED_
#define _NGX_HTTP_SESSION_LOGIN_H_INCLUDED_


#include "ngx_http_session_endpoint.h"


/*
 * The login layer: what a login exchange tells about its session.  Fields
 * of the login request's and response's bodies (session_field) and the
 * claims of a JWT (session_jwt) become variables that session_create,
 * session_account and session_var consume.  It reads requests and
 * responses and hands its values to tracking through variables; tracking
 * calls nothing of it.
 */


/* where a field is found in a body */

#define NGX_HTTP_SESSION_SOURCE_FORM   1
#define NGX_HTTP_SESSION_SOURCE_JSON   2
#define NGX_HTTP_SESSION_SOURCE_XML    3

/* longest configured name, pointer or expression */
#define NGX_HTTP_SESSION_SOURCE_MAX    1024

/* longest value a field hands on: more is no token or name */
#define NGX_HTTP_SESSION_FIELD_MAX     NGX_HTTP_SESSION_TOKEN_MAX


typedef struct {
    ngx_str_t                    prefix;        /* NUL-terminated */
    ngx_str_t                    uri;           /* NUL-terminated */
} ngx_http_session_ns_t;


typedef struct {
    ngx_uint_t                   type;
    ngx_str_t                    text;          /* as configured */
    ngx_array_t                 *tokens;        /* JSON: ngx_str_t */
    void                        *xpath;         /* XML: compiled */
} ngx_http_session_source_t;


/* one session_field */

typedef struct {
    ngx_str_t                    name;          /* the variable's */
    ngx_int_t                    index;
    ngx_uint_t                   response;      /* else the request */
    ngx_array_t                 *sources;       /* source_t, in order */
    ngx_array_t                 *ns;            /* ns_t, or NULL */
    ngx_http_complex_value_t    *cond;          /* if=, or NULL */
} ngx_http_session_field_t;


/* a body as fields are read from it */

typedef struct {
    ngx_uint_t                   format;        /* SOURCE_*, 0: empty */
    ngx_str_t                    text;
    void                        *doc;           /* json_t, xmlDoc */
    ngx_str_t                    error;         /* why not parsed */
} ngx_http_session_doc_t;


/* session_jwt */

struct ngx_http_session_jwt_conf_s {
    ngx_array_t                 *values;        /* complex values */
    ngx_array_t                 *keys;          /* jwt key_t */
    ngx_uint_t                   verify;
    time_t                       leeway;
};


/* a verification key: an HMAC secret, or a public key from a JWKS */

typedef struct {
    ngx_str_t                    kid;           /* empty: none */
    ngx_str_t                    alg;           /* the JWK's, or empty */
    ngx_uint_t                   family;        /* JWT_HMAC, RSA, EC */
    ngx_str_t                    secret;        /* HMAC */
    void                        *pkey;          /* EVP_PKEY: RSA, EC */
    ngx_uint_t                   bits;          /* EC: field size */
} ngx_http_session_jwt_key_t;

#define NGX_HTTP_SESSION_JWT_HMAC      1
#define NGX_HTTP_SESSION_JWT_RSA       2
#define NGX_HTTP_SESSION_JWT_EC        3

/* what a token turned out to be */
#define NGX_HTTP_SESSION_JWT_NONE      0     /* no token */
#define NGX_HTTP_SESSION_JWT_VALID     1
#define NGX_HTTP_SESSION_JWT_EXPIRED   2     /* signed, but exp passed */
#define NGX_HTTP_SESSION_JWT_INVALID   3

typedef struct {
    ngx_uint_t                   status;
    ngx_str_t                    token;         /* as sent, unverified */
    void                        *claims;        /* json_t: VALID only */
    const char                  *error;         /* why INVALID */
} ngx_http_session_jwt_t;


/* a field's value, once its body has been read */

typedef struct {
    ngx_http_session_field_t    *field;
    ngx_str_t                    value;         /* empty: not there */
} ngx_http_session_field_value_t;


/* what a request learned from its login exchange */

struct ngx_http_session_login_s {
    ngx_http_session_doc_t       request;
    ngx_http_session_doc_t       response;

    u_char                      *copy;          /* the response's start */
    size_t                       copied;
    size_t                       copy_size;
    off_t                        length;        /* Content-Length, or -1 */
    off_t                        seen;

    ngx_array_t                 *values;        /* field_value_t */

    ngx_http_session_jwt_t       jwt;

    unsigned                     reading:1;     /* request body */
    unsigned                     read:1;
    unsigned                     parsed:1;
    unsigned                     response_done:1;
    unsigned                     response_read:1;  /* fields available */
    unsigned                     jwt_done:1;
};


/* the module's part: ngx_http_session_login.c, _field.c, _jwt.c */
char *ngx_http_session_field(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_session_jwt(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_session_login_init(ngx_conf_t *cf);
ngx_int_t ngx_http_session_login_add_variables(ngx_conf_t *cf);
char *ngx_http_session_login_merge(ngx_conf_t *cf,
    ngx_http_session_loc_conf_t *prev, ngx_http_session_loc_conf_t *conf);

/* ngx_http_session_extract.c */
ngx_int_t ngx_http_session_source_init(ngx_pool_t *pool, ngx_uint_t type,
    ngx_str_t *text, ngx_array_t *ns, ngx_http_session_source_t *src,
    ngx_str_t *error);
ngx_int_t ngx_http_session_doc_parse(ngx_pool_t *pool, ngx_str_t *body,
    ngx_uint_t form, ngx_http_session_doc_t *doc);
ngx_int_t ngx_http_session_doc_value(ngx_pool_t *pool,
    ngx_http_session_doc_t *doc, ngx_http_session_source_t *src,
    ngx_array_t *ns, ngx_str_t *value);
ngx_int_t ngx_http_session_form_value(ngx_pool_t *pool, ngx_str_t *body,
    ngx_str_t *name, ngx_str_t *value);

/* ngx_http_session_field.c */
ngx_int_t ngx_http_session_field_init(ngx_conf_t *cf);
ngx_http_session_login_t *ngx_http_session_login(ngx_http_request_t *r);
ngx_int_t ngx_http_session_field_wanted(ngx_http_request_t *r,
    ngx_uint_t response);

/* ngx_http_session_response.c */
ngx_int_t ngx_http_session_response_init(ngx_conf_t *cf);

/* ngx_http_session_jwt.c */
ngx_int_t ngx_http_session_jwt_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_session_jwt_decode(ngx_pool_t *pool, ngx_str_t *token,
    ngx_array_t *keys, ngx_uint_t verify, time_t now, time_t leeway,
    ngx_http_session_jwt_t *jwt);

/* ngx_http_session_jwks.c */
ngx_int_t ngx_http_session_jwks_parse(ngx_pool_t *pool, ngx_str_t *text,
    ngx_array_t *keys, ngx_str_t *error);
ngx_int_t ngx_http_session_jwt_secret(ngx_pool_t *pool, ngx_str_t *secret,
    ngx_array_t *keys, ngx_str_t *error);


#endif /* _NGX_HTTP_SESSION_LOGIN_H_INCLUDED_ */
