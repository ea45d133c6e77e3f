
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_login.h"


/*
 * The login layer's part of the module's life: its variables, its
 * handlers and filters, and the inheritance of session_field and
 * session_jwt.  Calls field.c, response.c and jwt.c.
 */


ngx_int_t
ngx_http_session_login_add_variables(ngx_conf_t *cf)
{
    return ngx_http_session_jwt_add_variables(cf);
}


/* after tracking's header filter, so the response's runs first */

ngx_int_t
ngx_http_session_login_init(ngx_conf_t *cf)
{
    if (ngx_http_session_field_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_session_response_init(cf);
}


/* a level with no session_field inherits its parent's, as session_var */

char *
ngx_http_session_login_merge(ngx_conf_t *cf,
    ngx_http_session_loc_conf_t *prev, ngx_http_session_loc_conf_t *conf)
{
    ngx_uint_t                 i;
    ngx_http_session_field_t  *f;

    ngx_conf_merge_ptr_value(conf->fields, prev->fields, NULL);
    ngx_conf_merge_ptr_value(conf->jwt, prev->jwt, NULL);

    conf->request_fields = 0;
    conf->response_fields = 0;

    if (conf->fields == NULL) {
        return NGX_CONF_OK;
    }

    f = conf->fields->elts;

    for (i = 0; i < conf->fields->nelts; i++) {
        if (f[i].response) {
            conf->response_fields++;

        } else {
            conf->request_fields++;
        }

        /*
         * A token from a body goes back in a header ("Authtoken: QSDK
         * x"), whose scheme the key strips: so does session_create.
         */

        if (conf->create_text.len == f[i].name.len + 1
            && ngx_strncasecmp(conf->create_text.data + 1, f[i].name.data,
                               f[i].name.len)
               == 0)
        {
            conf->create_scheme = 1;
        }
    }

    return NGX_CONF_OK;
}
