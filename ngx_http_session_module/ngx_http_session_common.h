
/*
 * Copyright (C) ngx_http_session_module authors
 */


#ifndef _NGX_HTTP_SESSION_COMMON_H_INCLUDED_
#define _NGX_HTTP_SESSION_COMMON_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/*
 * What every layer of the module shares: the limits, the configuration,
 * the zone as the configuration and the processes see it (its shared
 * header is the store's own), and the leaf helpers of
 * ngx_http_session_util.c and ngx_http_session_escape.c.
 *
 *   common   ngx_http_session_common.h     (this file)
 *   store    ngx_http_session_store.h      (its layout: _shm.h, private)
 *   state    ngx_http_session_state.h
 *   track    ngx_http_session_track.h
 *   endpoints ngx_http_session_endpoint.h
 *   login    ngx_http_session_login.h
 *
 * docs/architecture.md maps the files and what each may call.
 */


#define NGX_HTTP_SESSION_DIGEST_LEN      16
#define NGX_HTTP_SESSION_SID_LEN         32
#define NGX_HTTP_SESSION_KEY_LEN         16

#define NGX_HTTP_SESSION_MAX_TYPES       16
#define NGX_HTTP_SESSION_ZIMBRA_TYPES    6
#define NGX_HTTP_SESSION_TYPE_LEN        31

#define NGX_HTTP_SESSION_ZONE_MAX        (16ULL * 1024 * 1024 * 1024)

#define NGX_HTTP_SESSION_TOKEN_MAX       4096
#define NGX_HTTP_SESSION_ID_MAX          64
#define NGX_HTTP_SESSION_NAME_MAX        128
#define NGX_HTTP_SESSION_VAR_NAME_MAX    32
#define NGX_HTTP_SESSION_VAR_VALUE_MAX   255
#define NGX_HTTP_SESSION_VARS_MAX        8
#define NGX_HTTP_SESSION_VARS_SIZE       512

/* a listing's pace=: "auto", or N (a percentage) up to PACE_MAX */
#define NGX_HTTP_SESSION_PACE_AUTO       -1
#define NGX_HTTP_SESSION_PACE_MAX        100000


/* the zone's shared header: its layout is the store's own */

typedef struct ngx_http_session_shctx_s  ngx_http_session_shctx_t;

/* session_fleet, as configured: ngx_http_session_fleet.h */

typedef struct ngx_http_session_fleet_conf_s  ngx_http_session_fleet_conf_t;


typedef struct {
    ngx_http_session_shctx_t    *sh;
    ngx_slab_pool_t             *shpool;
    ngx_shm_zone_t              *shm_zone;
    ngx_str_t                    name;
    ngx_msec_t                   timeout;
    ngx_msec_t                   keep_closed;
    ngx_str_t                    state;
    ngx_cycle_t                 *cycle;        /* the one configured */
    ngx_array_t                 *types;        /* custom names, config */
    u_char                       type_map[NGX_HTTP_SESSION_MAX_TYPES];
    ngx_event_t                  sweep;
    ngx_event_t                  save;
#if (NGX_THREADS)
    ngx_thread_pool_t           *thread_pool;  /* the state file's I/O */
#endif
    ngx_msec_t                   token_logged;
    ngx_msec_t                   value_logged;
    ngx_msec_t                   full_logged;
    ngx_msec_t                   name_logged;
    uint64_t                     evicted_logged;  /* the total then */
    ngx_uint_t                   loaded;
    /* sessions created since are taken from another writer's state file */
    int64_t                      state_since;
    ngx_log_t                   *log;

    /* secret=: the digest key, the same on every node given the file */
    ngx_uint_t                   secret;
    u_char                       secret_key[NGX_HTTP_SESSION_KEY_LEN];

    /* session_fleet: the engine this zone's sessions are shared through */
    ngx_http_session_fleet_conf_t  *fleet;
} ngx_http_session_zone_t;


typedef struct {
    ngx_str_t                    name;
    ngx_http_complex_value_t     value;
} ngx_http_session_var_conf_t;


/* a session_key or session_admin value */

typedef struct {
    ngx_http_complex_value_t     value;
    ngx_uint_t                   scheme;      /* a header: "QSDK x" is x */
} ngx_http_session_value_t;


/* the login layer's (ngx_http_session_login.h) */
typedef struct ngx_http_session_login_s  ngx_http_session_login_t;
typedef struct ngx_http_session_jwt_conf_s  ngx_http_session_jwt_conf_t;


typedef struct {
    ngx_shm_zone_t              *track;
    ngx_array_t                 *keys;         /* ngx_http_session_value_t */
    ngx_array_t                 *key_cookies;  /* ngx_str_t: the names
                                                  of $cookie_NAME keys */
    ngx_http_complex_value_t    *create;
    ngx_str_t                    create_cookie; /* $upstream_cookie_NAME,
                                                   $cookie_NAME */
    ngx_uint_t                   create_scheme; /* a header's value */
    ngx_str_t                    create_text;   /* as configured */
    ngx_http_complex_value_t    *end;
    ngx_int_t                    type;
    ngx_http_complex_value_t    *account_id;
    ngx_http_complex_value_t    *account_name;
    ngx_array_t                 *vars;
    ngx_array_t                 *admin;        /* ngx_http_session_value_t */

    ngx_shm_zone_t              *endpoint;
    ngx_str_t                    instance;
    ngx_int_t                    pace;         /* a listing's pace=: a
                                                  percentage, or AUTO */
    size_t                       max_body_size;

    ngx_array_t                 *fields;       /* session_field */
    ngx_uint_t                   request_fields;   /* of "fields" */
    ngx_uint_t                   response_fields;
    ngx_http_session_jwt_conf_t *jwt;
} ngx_http_session_loc_conf_t;


typedef struct {
    ngx_array_t                  zones;       /* ngx_http_session_zone_t * */
    ngx_array_t                  types;       /* ngx_str_t, custom names */
    ngx_array_t                  refs;        /* ngx_http_session_ref_t */
    ngx_array_t                  fleets;      /* fleet_conf_t * */
} ngx_http_session_main_conf_t;


typedef struct {
    ngx_shm_zone_t              *shm_zone;
    ngx_str_t                   *file;
    ngx_uint_t                   line;
    const char                  *directive;
} ngx_http_session_ref_t;


extern ngx_module_t  ngx_http_session_module;

extern ngx_str_t  ngx_http_session_zimbra_types[];


/* ngx_http_session_conf.c */
char *ngx_http_session_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_session_track(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_session_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_session_create(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_session_admin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_uint_t ngx_http_session_header_value(ngx_str_t *value);
char *ngx_http_session_type(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_session_account(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_session_var(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_session_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_session_check_refs(ngx_conf_t *cf);


/* ngx_http_session_util.c */
u_char *ngx_http_session_sid(u_char *p, u_char *digest);
ngx_int_t ngx_http_session_parse_sid(u_char *sid, size_t len, u_char *digest);
ngx_int_t ngx_http_session_valid_token(ngx_str_t *token);
void ngx_http_session_strip_scheme(ngx_str_t *token);
ngx_int_t ngx_http_session_flag(ngx_str_t *value);
ngx_int_t ngx_http_session_is_number(ngx_str_t *value);
u_char *ngx_http_session_addr_text(u_char *p, u_char *addr, size_t len);
ngx_int_t ngx_http_session_addr_parse(ngx_str_t *text, u_char *addr,
    size_t *len);
ngx_int_t ngx_http_session_var_get(u_char *vars, size_t len,
    ngx_str_t *name, ngx_str_t *value);
u_char *ngx_http_session_var_next(u_char *p, u_char *last,
    ngx_str_t *name, ngx_str_t *value);
u_char *ngx_http_session_time_iso(u_char *p, int64_t ms);

/* ngx_http_session_escape.c */

/*
 * Escaping makes at most 6 bytes of a byte ("&quot;", "\u001f", and 3 for
 * U+FFFD): room for that much spares a caller the _len() pass.
 */
#define NGX_HTTP_SESSION_ESCAPE_MAX  6

size_t ngx_http_session_escape_xml_len(u_char *src, size_t size);
u_char *ngx_http_session_escape_xml(u_char *dst, u_char *src, size_t size);
size_t ngx_http_session_escape_json_len(u_char *src, size_t size);
u_char *ngx_http_session_escape_json(u_char *dst, u_char *src, size_t size);


#endif /* _NGX_HTTP_SESSION_COMMON_H_INCLUDED_ */
