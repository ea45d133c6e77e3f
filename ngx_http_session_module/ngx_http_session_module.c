
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <sodium.h>
#include <libxml/parser.h>

#include "ngx_http_session_state.h"
#include "ngx_http_session_login.h"


/*
 * The module: its directives, contexts and configuration, and the
 * order of things at start-up.  For each zone the master sets the zone
 * up (the store), copies the sessions of the zone it replaces, and
 * loads the state file; worker 0 starts the sweeper and the saver, and
 * saves once more as it exits.  Calls the configuration (_conf.c), the
 * store's set-up (_zone.c, _import.c, _lock.c), the state file
 * (_state_*.c), the request layer (_track.c, _variables.c) and the
 * login layer (_login.c, _field.c, _jwt.c).
 */


static ngx_int_t ngx_http_session_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_session_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_session_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_session_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_session_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_session_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_session_init_process(ngx_cycle_t *cycle);
static void ngx_http_session_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_session_commands[] = {

    { ngx_string("session_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_session_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("session_fleet"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_session_fleet,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("session_track"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_session_track,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("session_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_session_key,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("session_create"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_session_create,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("session_end"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_session_loc_conf_t, end),
      NULL },

    { ngx_string("session_type"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_session_type,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("session_account"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_session_account,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("session_var"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_session_var,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("session_admin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_session_admin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("session_max_body_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_session_loc_conf_t, max_body_size),
      NULL },

    { ngx_string("session_field"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_session_field,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("session_jwt"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_session_jwt,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("session_dump"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_session_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("session_info"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_session_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("session_list"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_session_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("session_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_session_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_session_module_ctx = {
    ngx_http_session_preconfiguration,     /* preconfiguration */
    ngx_http_session_postconfiguration,    /* postconfiguration */

    ngx_http_session_create_main_conf,     /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_session_create_loc_conf,      /* create location configuration */
    ngx_http_session_merge_loc_conf        /* merge location configuration */
};


ngx_module_t  ngx_http_session_module = {
    NGX_MODULE_V1,
    &ngx_http_session_module_ctx,          /* module context */
    ngx_http_session_commands,             /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_session_init_process,         /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_session_exit_process,         /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_session_preconfiguration(ngx_conf_t *cf)
{
    if (sodium_init() < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "session: libsodium failed to initialize");
        return NGX_ERROR;
    }

    xmlInitParser();

    if (ngx_http_session_login_add_variables(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_session_add_variables(cf);
}


static ngx_int_t
ngx_http_session_postconfiguration(ngx_conf_t *cf)
{
    ngx_uint_t                     i;
    ngx_http_session_zone_t      **zones;
    ngx_http_session_main_conf_t  *smcf;

    if (ngx_http_session_check_refs(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_fleet_check(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_track_fleet_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_session_module);
    zones = smcf->zones.elts;

    for (i = 0; i < smcf->zones.nelts; i++) {
        zones[i]->shm_zone->init = ngx_http_session_init_zone;
    }

    if (ngx_http_session_track_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_session_login_init(cf);
}


/*
 * A zone is set up by the store; a new one (a first start, a restart,
 * a size changed on reload) is then filled in the master: first with
 * the sessions of the zone it replaces, then from the state file.
 */

static ngx_int_t
ngx_http_session_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_int_t                 rc;
    ngx_http_session_zone_t  *zone;

    zone = shm_zone->data;
    zone->log = shm_zone->shm.log;

    /* the state file's place first: at every start, reload and "-t" */

    if (ngx_http_session_state_dir_check(zone) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_session_zone_init(shm_zone, data);

    if (rc != NGX_OK) {
        /* NGX_DONE: the zone a reload kept, with its sessions */
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    /*
     * "nginx -t" checks the configuration only: it runs before every
     * reload of systemd's and the init scripts', and a large state file
     * takes seconds to read.
     */

    if (ngx_test_config) {
        return NGX_OK;
    }

    ngx_http_session_zone_filling(1);

    rc = ngx_http_session_zone_copy(zone);

    if (rc == NGX_OK) {
        rc = ngx_http_session_state_load(zone);
    }

    ngx_http_session_zone_filling(0);

    return rc;
}


static void *
ngx_http_session_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_session_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_session_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&smcf->zones, cf->pool, 2,
                       sizeof(ngx_http_session_zone_t *))
        != NGX_OK)
    {
        return NULL;
    }

    if (ngx_array_init(&smcf->types, cf->pool, 2, sizeof(ngx_str_t))
        != NGX_OK)
    {
        return NULL;
    }

    if (ngx_array_init(&smcf->refs, cf->pool, 4,
                       sizeof(ngx_http_session_ref_t))
        != NGX_OK)
    {
        return NULL;
    }

    if (ngx_array_init(&smcf->fleets, cf->pool, 1,
                       sizeof(ngx_http_session_fleet_conf_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return smcf;
}


static void *
ngx_http_session_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_session_loc_conf_t));
    if (slcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     slcf->endpoint = NULL;
     *     slcf->instance = { 0, NULL };
     *     slcf->key_cookies = NULL;
     *     slcf->create_cookie = { 0, NULL };
     */

    slcf->track = NGX_CONF_UNSET_PTR;
    slcf->keys = NGX_CONF_UNSET_PTR;
    slcf->create = NGX_CONF_UNSET_PTR;
    slcf->end = NGX_CONF_UNSET_PTR;
    slcf->type = NGX_CONF_UNSET;
    slcf->account_id = NGX_CONF_UNSET_PTR;
    slcf->account_name = NGX_CONF_UNSET_PTR;
    slcf->vars = NGX_CONF_UNSET_PTR;
    slcf->admin = NGX_CONF_UNSET_PTR;
    slcf->max_body_size = NGX_CONF_UNSET_SIZE;
    slcf->fields = NGX_CONF_UNSET_PTR;
    slcf->jwt = NGX_CONF_UNSET_PTR;
    slcf->pace = NGX_HTTP_SESSION_PACE_AUTO;

    return slcf;
}


static char *
ngx_http_session_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_session_loc_conf_t *prev = parent;
    ngx_http_session_loc_conf_t *conf = child;

    /*
     * An endpoint of another zone in a tracked server does not track: an
     * endpoint's caller is looked up in the zone the location tracks, and
     * tracking another zone would make every caller a stranger to it.
     */

    if (conf->track == NGX_CONF_UNSET_PTR && conf->endpoint
        && prev->track && prev->track != conf->endpoint)
    {
        conf->track = NULL;
    }

    ngx_conf_merge_ptr_value(conf->track, prev->track, NULL);
    /* the cookie names go with the values they were read from */

    if (conf->keys == NGX_CONF_UNSET_PTR) {
        conf->key_cookies = prev->key_cookies;
    }

    if (conf->create == NGX_CONF_UNSET_PTR) {
        conf->create_cookie = prev->create_cookie;
        conf->create_scheme = prev->create_scheme;
        conf->create_text = prev->create_text;
    }

    ngx_conf_merge_ptr_value(conf->keys, prev->keys, NULL);
    ngx_conf_merge_ptr_value(conf->create, prev->create, NULL);
    ngx_conf_merge_ptr_value(conf->end, prev->end, NULL);
    ngx_conf_merge_value(conf->type, prev->type, 0);
    ngx_conf_merge_ptr_value(conf->vars, prev->vars, NULL);
    ngx_conf_merge_ptr_value(conf->admin, prev->admin, NULL);
    ngx_conf_merge_size_value(conf->max_body_size, prev->max_body_size,
                              64 * 1024);

    if (ngx_http_session_login_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    /* the account's id and name are one setting */
    if (conf->account_id == NGX_CONF_UNSET_PTR) {
        conf->account_id = prev->account_id;
        conf->account_name = prev->account_name;
    }

    ngx_conf_merge_ptr_value(conf->account_id, NULL, NULL);
    ngx_conf_merge_ptr_value(conf->account_name, NULL, NULL);

    if (conf->endpoint && conf->track && conf->track != conf->endpoint) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "a session endpoint serves session zone \"%V\" "
                           "in a location that tracks session zone \"%V\": "
                           "remove \"session_track %V;\" from this "
                           "location, or write \"session_track %V;\"",
                           &conf->endpoint->shm.name,
                           &conf->track->shm.name,
                           &conf->track->shm.name,
                           &conf->endpoint->shm.name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_session_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                     i;
    ngx_http_session_zone_t      **zones;
    ngx_http_session_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_session_module);
    if (smcf == NULL) {
        return NGX_OK;
    }

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    zones = smcf->zones.elts;

    /* every worker talks to a fleet's engine */

    for (i = 0; i < smcf->zones.nelts; i++) {
        if (ngx_http_session_fleet_init_worker(cycle, zones[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    /* one worker sweeps and saves for all of them */

    if (ngx_worker != 0) {
        return NGX_OK;
    }

    for (i = 0; i < smcf->zones.nelts; i++) {
        ngx_http_session_sweep_start(cycle, zones[i]);

        if (ngx_http_session_state_init_worker(cycle, zones[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_session_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                     i;
    ngx_http_session_zone_t      **zones;
    ngx_http_session_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_session_module);
    if (smcf == NULL) {
        return;
    }

    zones = smcf->zones.elts;

    for (i = 0; i < smcf->zones.nelts; i++) {
        ngx_http_session_fleet_exit(zones[i]);
        ngx_http_session_state_exit(cycle, zones[i]);
    }
}
