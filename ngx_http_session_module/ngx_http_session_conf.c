
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_endpoint.h"


/*
 * The directives: session_zone and what a location says about tracking
 * and endpoints, checked as nginx reads them (an [emerg] for anything
 * wrong), and the zones named before they are defined, checked once the
 * configuration is read.  Calls the leaf helpers, the cookie names of
 * the request layer (ngx_http_session_cookie.c), and installs the
 * endpoints' handlers; never the store.
 */


static ngx_int_t ngx_http_session_name_ok(ngx_str_t *name, size_t max,
    ngx_uint_t dots);
static ngx_array_t *ngx_http_session_values(ngx_conf_t *cf,
    ngx_command_t *cmd);
static ngx_int_t ngx_http_session_conf_zone_size(ngx_conf_t *cf,
    ngx_str_t *value, ngx_str_t *name, ssize_t *size);
static ngx_int_t ngx_http_session_conf_time(ngx_conf_t *cf,
    ngx_str_t *value, size_t skip, ngx_uint_t zero, ngx_msec_t *time);
static ngx_shm_zone_t *ngx_http_session_ref(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *name);


typedef struct {
    ngx_str_t                      name;
    ngx_http_handler_pt            handler;
} ngx_http_session_endpoint_t;


static ngx_http_session_endpoint_t  ngx_http_session_endpoints[] = {
    { ngx_string("session_dump"), ngx_http_session_zimbra_handler },
    { ngx_string("session_info"), ngx_http_session_hornbill_handler },
    { ngx_string("session_list"), ngx_http_session_commvault_handler },
    { ngx_string("session_status"), ngx_http_session_status_handler },
    { ngx_null_string, NULL }
};


/* session_zone zone=NAME:SIZE [timeout=TIME] [keep_closed=TIME]
 *     [state=FILE] [secret=FILE] */

char *
ngx_http_session_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_session_main_conf_t *smcf = conf;

    ssize_t                    size;
    ngx_str_t                 *value, name, s;
    ngx_uint_t                 i;
    ngx_shm_zone_t            *shm_zone;
    ngx_http_session_zone_t   *zone, **zp;

    value = cf->args->elts;

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_session_zone_t));
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    zone->timeout = 30 * 60 * 1000;
    zone->keep_closed = 0;
    zone->cycle = cf->cycle;
    zone->types = &smcf->types;

    size = 0;
    ngx_str_null(&name);

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {

            if (ngx_http_session_conf_zone_size(cf, &value[i], &name, &size)
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {

            if (ngx_http_session_conf_time(cf, &value[i], 8, 0,
                                           &zone->timeout)
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "keep_closed=", 12) == 0) {

            if (ngx_http_session_conf_time(cf, &value[i], 12, 1,
                                           &zone->keep_closed)
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "state=", 6) == 0) {

            zone->state.data = value[i].data + 6;
            zone->state.len = value[i].len - 6;

            if (zone->state.len == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid state \"%V\": a file name "
                                   "is needed", &value[i]);
                return NGX_CONF_ERROR;
            }

            if (ngx_conf_full_name(cf->cycle, &zone->state, 0) != NGX_OK) {
                return NGX_CONF_ERROR;
            }

#if (NGX_THREADS)
            /* worker 0 writes the file there, off its event loop */

            zone->thread_pool = ngx_thread_pool_add(cf, NULL);
            if (zone->thread_pool == NULL) {
                return NGX_CONF_ERROR;
            }
#endif

            continue;
        }

        if (ngx_strncmp(value[i].data, "secret=", 7) == 0) {

            s.data = value[i].data + 7;
            s.len = value[i].len - 7;

            if (ngx_http_session_secret(cf, &s, zone->secret_key)
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            zone->secret = 1;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have the \"zone\" parameter",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                                     &ngx_http_session_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "session zone \"%V\" is already defined", &name);
        return NGX_CONF_ERROR;
    }

    zone->name = shm_zone->shm.name;
    zone->shm_zone = shm_zone;

    /* shm_zone->init: set in the module file's postconfiguration */
    shm_zone->data = zone;

    zp = ngx_array_push(&smcf->zones);
    if (zp == NULL) {
        return NGX_CONF_ERROR;
    }

    *zp = zone;

    return NGX_CONF_OK;
}


/* zone=NAME:SIZE */

static ngx_int_t
ngx_http_session_conf_zone_size(ngx_conf_t *cf, ngx_str_t *value,
    ngx_str_t *name, ssize_t *size)
{
    u_char     *p;
    ngx_str_t   s;

    name->data = value->data + 5;

    p = (u_char *) ngx_strlchr(name->data, value->data + value->len, ':');

    if (p == NULL || p == name->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone \"%V\": "
                           "expected zone=NAME:SIZE", value);
        return NGX_ERROR;
    }

    name->len = p - name->data;

    s.data = p + 1;
    s.len = value->data + value->len - s.data;

    *size = ngx_parse_size(&s);

    if (*size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", value);
        return NGX_ERROR;
    }

    if (*size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "session zone \"%V\" is too small: "
                           "it needs at least %uz bytes",
                           name, 8 * ngx_pagesize);
        return NGX_ERROR;
    }

    /* the zone's links are 32-bit offsets in 8-byte units */

    if ((uint64_t) *size > NGX_HTTP_SESSION_ZONE_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "session zone \"%V\" is too large: "
                           "it may hold at most 16384m", name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* NAME=TIME, "skip" bytes of NAME= before the time; 0 only if "zero" */

static ngx_int_t
ngx_http_session_conf_time(ngx_conf_t *cf, ngx_str_t *value, size_t skip,
    ngx_uint_t zero, ngx_msec_t *time)
{
    ngx_int_t  ms;
    ngx_str_t  s;

    s.data = value->data + skip;
    s.len = value->len - skip;

    ms = ngx_parse_time(&s, 0);

    if (ms == NGX_ERROR || (ms == 0 && !zero)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid %*s \"%V\"", skip - 1, value->data,
                           value);
        return NGX_ERROR;
    }

    *time = (ngx_msec_t) ms;

    return NGX_OK;
}


/* a zone named before or after its session_zone: checked once parsed */

static ngx_shm_zone_t *
ngx_http_session_ref(ngx_conf_t *cf, ngx_command_t *cmd, ngx_str_t *name)
{
    ngx_shm_zone_t                *shm_zone;
    ngx_http_session_ref_t        *ref;
    ngx_http_session_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_session_module);

    shm_zone = ngx_shared_memory_add(cf, name, 0, &ngx_http_session_module);
    if (shm_zone == NULL) {
        return NULL;
    }

    ref = ngx_array_push(&smcf->refs);
    if (ref == NULL) {
        return NULL;
    }

    ref->shm_zone = shm_zone;
    ref->file = &cf->conf_file->file.name;
    ref->line = cf->conf_file->line;
    ref->directive = (const char *) cmd->name.data;

    return shm_zone;
}


ngx_int_t
ngx_http_session_check_refs(ngx_conf_t *cf)
{
    ngx_uint_t                     i;
    ngx_http_session_ref_t        *ref;
    ngx_http_session_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_session_module);

    ref = smcf->refs.elts;

    for (i = 0; i < smcf->refs.nelts; i++) {
        if (ref[i].shm_zone->data == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"%s\" names session zone \"%V\" that no "
                          "\"session_zone\" defines in %V:%ui",
                          ref[i].directive, &ref[i].shm_zone->shm.name,
                          ref[i].file, ref[i].line);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


char *
ngx_http_session_track(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_session_loc_conf_t *slcf = conf;

    ngx_str_t  *value;

    if (slcf->track != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        slcf->track = NULL;
        return NGX_CONF_OK;
    }

    slcf->track = ngx_http_session_ref(cf, cmd, &value[1]);
    if (slcf->track == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * session_key and session_admin: several values, each compiled; a value
 * that is exactly a request header ("$http_NAME") may carry a scheme
 * before the token ("Authorization: Bearer x"), any other may not.
 */

static ngx_array_t *
ngx_http_session_values(ngx_conf_t *cf, ngx_command_t *cmd)
{
    ngx_str_t                         *value;
    ngx_uint_t                         i;
    ngx_array_t                       *values;
    ngx_http_session_value_t          *v;
    ngx_http_compile_complex_value_t   ccv;

    values = ngx_array_create(cf->pool, cf->args->nelts - 1,
                              sizeof(ngx_http_session_value_t));
    if (values == NULL) {
        return NULL;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "empty value in \"%V\"", &cmd->name);
            return NULL;
        }

        v = ngx_array_push(values);
        if (v == NULL) {
            return NULL;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &value[i];
        ccv.complex_value = &v->value;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NULL;
        }

        v->scheme = ngx_http_session_header_value(&value[i]);
    }

    return values;
}


/* a value that is exactly "$http_NAME" or "$upstream_http_NAME" */

ngx_uint_t
ngx_http_session_header_value(ngx_str_t *value)
{
    u_char  *p, *last;

    if (value->len > sizeof("$http_") - 1
        && ngx_strncmp(value->data, "$http_", sizeof("$http_") - 1) == 0)
    {
        p = value->data + sizeof("$http_") - 1;

    } else if (value->len > sizeof("$upstream_http_") - 1
               && ngx_strncmp(value->data, "$upstream_http_",
                              sizeof("$upstream_http_") - 1)
                  == 0)
    {
        p = value->data + sizeof("$upstream_http_") - 1;

    } else {
        return 0;
    }

    for (last = value->data + value->len; p < last; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '_'))
        {
            return 0;
        }
    }

    return 1;
}


char *
ngx_http_session_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_session_loc_conf_t *slcf = conf;

    ngx_str_t   *value, name, *cookie;
    ngx_uint_t   i;

    if (slcf->keys != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    slcf->keys = ngx_http_session_values(cf, cmd);
    if (slcf->keys == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    /* a response that deletes one of these cookies ends the session */

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_http_session_cookie_name(&value[i], &name) != NGX_OK) {
            continue;
        }

        if (slcf->key_cookies == NULL) {
            slcf->key_cookies = ngx_array_create(cf->pool, 1,
                                                 sizeof(ngx_str_t));
            if (slcf->key_cookies == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        cookie = ngx_array_push(slcf->key_cookies);
        if (cookie == NULL) {
            return NGX_CONF_ERROR;
        }

        *cookie = name;
    }

    return NGX_CONF_OK;
}


char *
ngx_http_session_admin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_session_loc_conf_t *slcf = conf;

    if (slcf->admin != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    slcf->admin = ngx_http_session_values(cf, cmd);
    if (slcf->admin == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


char *
ngx_http_session_create(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_session_loc_conf_t *slcf = conf;

    ngx_str_t                         *value;
    ngx_http_compile_complex_value_t   ccv;

    if (slcf->create != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    slcf->create = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (slcf->create == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = slcf->create;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* a deleting Set-Cookie of this cookie creates nothing */

    (void) ngx_http_session_cookie_name(&value[1], &slcf->create_cookie);

    slcf->create_scheme = ngx_http_session_header_value(&value[1]);

    /* a session_field's value gets its scheme stripped too (login.c) */
    slcf->create_text = value[1];

    return NGX_CONF_OK;
}


/* the six Zimbra types, then the custom ones, in configuration order */

char *
ngx_http_session_type(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_session_loc_conf_t *slcf = conf;

    ngx_str_t                     *value, *names, *name;
    ngx_uint_t                     i;
    ngx_http_session_main_conf_t  *smcf;

    if (slcf->type != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (!ngx_http_session_name_ok(&value[1], NGX_HTTP_SESSION_TYPE_LEN, 1)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid session type \"%V\": use 1 to %d "
                           "letters, digits, \"_\", \"-\" or \".\"",
                           &value[1], NGX_HTTP_SESSION_TYPE_LEN);
        return NGX_CONF_ERROR;
    }

    for (i = 0; ngx_http_session_zimbra_types[i].len; i++) {
        if (ngx_http_session_zimbra_types[i].len == value[1].len
            && ngx_strncmp(ngx_http_session_zimbra_types[i].data,
                           value[1].data, value[1].len)
               == 0)
        {
            slcf->type = i;
            return NGX_CONF_OK;
        }
    }

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_session_module);

    names = smcf->types.elts;

    for (i = 0; i < smcf->types.nelts; i++) {
        if (names[i].len == value[1].len
            && ngx_strncmp(names[i].data, value[1].data, value[1].len) == 0)
        {
            slcf->type = NGX_HTTP_SESSION_ZIMBRA_TYPES + i;
            return NGX_CONF_OK;
        }
    }

    if (smcf->types.nelts
        == NGX_HTTP_SESSION_MAX_TYPES - NGX_HTTP_SESSION_ZIMBRA_TYPES)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "too many session types: at most %d besides "
                           "the six Zimbra types",
                           NGX_HTTP_SESSION_MAX_TYPES
                           - NGX_HTTP_SESSION_ZIMBRA_TYPES);
        return NGX_CONF_ERROR;
    }

    name = ngx_array_push(&smcf->types);
    if (name == NULL) {
        return NGX_CONF_ERROR;
    }

    *name = value[1];
    slcf->type = NGX_HTTP_SESSION_ZIMBRA_TYPES + i;

    return NGX_CONF_OK;
}


/* session_account ID [name=NAME] */

char *
ngx_http_session_account(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_session_loc_conf_t *slcf = conf;

    ngx_str_t                         *value, name;
    ngx_http_compile_complex_value_t   ccv;

    if (slcf->account_id != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    slcf->account_id = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (slcf->account_id == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = slcf->account_id;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    slcf->account_name = NULL;

    if (cf->args->nelts == 2) {
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(value[2].data, "name=", 5) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    name.data = value[2].data + 5;
    name.len = value[2].len - 5;

    slcf->account_name = ngx_palloc(cf->pool,
                                    sizeof(ngx_http_complex_value_t));
    if (slcf->account_name == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &name;
    ccv.complex_value = slcf->account_name;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* session_var NAME VALUE; a level with none inherits its parent's */

char *
ngx_http_session_var(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_session_loc_conf_t *slcf = conf;

    ngx_str_t                         *value;
    ngx_uint_t                         i;
    ngx_http_session_var_conf_t       *var;
    ngx_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    if (!ngx_http_session_name_ok(&value[1], NGX_HTTP_SESSION_VAR_NAME_MAX,
                                  0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid session variable name \"%V\": use 1 to "
                           "%d letters, digits, \"_\" or \"-\"",
                           &value[1], NGX_HTTP_SESSION_VAR_NAME_MAX);
        return NGX_CONF_ERROR;
    }

    if (slcf->vars == NGX_CONF_UNSET_PTR) {
        slcf->vars = ngx_array_create(cf->pool, 4,
                                      sizeof(ngx_http_session_var_conf_t));
        if (slcf->vars == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    var = slcf->vars->elts;

    for (i = 0; i < slcf->vars->nelts; i++) {
        if (var[i].name.len == value[1].len
            && ngx_strncasecmp(var[i].name.data, value[1].data,
                               value[1].len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate session variable \"%V\"",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (slcf->vars->nelts == NGX_HTTP_SESSION_VARS_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "too many session variables: at most %d",
                           NGX_HTTP_SESSION_VARS_MAX);
        return NGX_CONF_ERROR;
    }

    var = ngx_array_push(slcf->vars);
    if (var == NULL) {
        return NGX_CONF_ERROR;
    }

    var->name = value[1];

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[2];
    ccv.complex_value = &var->value;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * session_dump, session_list, session_status: ZONE [pace=auto|N];
 * session_info ZONE [instance=ID]
 */

char *
ngx_http_session_endpoint(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_session_loc_conf_t *slcf = conf;

    ngx_int_t                     n;
    ngx_str_t                    *value;
    ngx_http_core_loc_conf_t     *clcf;
    ngx_http_session_endpoint_t  *ep;

    if (slcf->endpoint) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": this location already serves a session "
                           "endpoint", &cmd->name);
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (ep = ngx_http_session_endpoints; ep->name.len; ep++) {
        if (ep->name.len == cmd->name.len
            && ngx_strncmp(ep->name.data, cmd->name.data, cmd->name.len)
               == 0)
        {
            break;
        }
    }

    if (cf->args->nelts == 3
        && value[2].len >= 5 && ngx_strncmp(value[2].data, "pace=", 5) == 0)
    {
        /* a listing's pace: see ngx_http_session_stream.c */

        if (ep->handler == ngx_http_session_hornbill_handler) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" answers one session, not a listing: "
                               "\"pace=\" is for session_dump, session_list "
                               "and session_status", &cmd->name);
            return NGX_CONF_ERROR;
        }

        if (value[2].len == 9
            && ngx_strncmp(value[2].data + 5, "auto", 4) == 0)
        {
            slcf->pace = NGX_HTTP_SESSION_PACE_AUTO;

        } else {
            n = ngx_atoi(value[2].data + 5, value[2].len - 5);

            if (n == NGX_ERROR || n > NGX_HTTP_SESSION_PACE_MAX) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid value \"%V\": \"pace=\" takes "
                                   "\"auto\" or a percentage from 0 to %d",
                                   &value[2], NGX_HTTP_SESSION_PACE_MAX);
                return NGX_CONF_ERROR;
            }

            slcf->pace = n;
        }

    } else if (cf->args->nelts == 3) {
        /* session_info ZONE instance=ID */

        if (ep->handler != ngx_http_session_hornbill_handler
            || ngx_strncmp(value[2].data, "instance=", 9) != 0
            || value[2].len == 9)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        slcf->instance.data = value[2].data + 9;
        slcf->instance.len = value[2].len - 9;
    }

    slcf->endpoint = ngx_http_session_ref(cf, cmd, &value[1]);
    if (slcf->endpoint == NULL) {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ep->handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_session_name_ok(ngx_str_t *name, size_t max, ngx_uint_t dots)
{
    u_char      c;
    ngx_uint_t  i;

    if (name->len == 0 || name->len > max) {
        return 0;
    }

    for (i = 0; i < name->len; i++) {
        c = name->data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '_' || c == '-'
            || (dots && c == '.'))
        {
            continue;
        }

        return 0;
    }

    return 1;
}
