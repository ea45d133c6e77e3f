
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_module.h"


ngx_int_t
ngx_http_session_state_load(ngx_http_session_zone_t *zone)
{
    return NGX_OK;
}


ngx_int_t
ngx_http_session_state_init_worker(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone)
{
    return NGX_OK;
}


void
ngx_http_session_state_exit(ngx_cycle_t *cycle, ngx_http_session_zone_t *zone)
{
}
