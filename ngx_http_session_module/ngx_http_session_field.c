
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_login.h"


/*
 * session_field: a variable whose value is a field of the login
 * request's or response's body.  A location with request fields reads
 * the request body before its content handler runs, with nginx's own
 * body reading (so proxy_pass sends it on unchanged); other locations
 * are not delayed at all.  The body is parsed the first time a field is
 * asked for, once.  Calls extract.c, body.c (the body in one piece) and
 * track.c (the request's context); the response's body is read by
 * response.c.
 */


static ngx_int_t ngx_http_session_field_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_http_session_field_t *ngx_http_session_field_find(
    ngx_http_request_t *r, uintptr_t index);
static ngx_int_t ngx_http_session_field_parse_request(ngx_http_request_t *r,
    ngx_http_session_login_t *login);
static ngx_int_t ngx_http_session_field_handler(ngx_http_request_t *r);
static void ngx_http_session_field_body_handler(ngx_http_request_t *r);
static char *ngx_http_session_field_xmlns(ngx_conf_t *cf,
    ngx_http_session_field_t *field);
static char *ngx_http_session_field_define(ngx_conf_t *cf,
    ngx_http_session_field_t *field, ngx_str_t *var);
static char *ngx_http_session_field_source(ngx_conf_t *cf,
    ngx_http_session_field_t *field, ngx_str_t *value);
static char *ngx_http_session_field_cond(ngx_conf_t *cf,
    ngx_http_session_field_t *field, ngx_str_t *value);
static ngx_uint_t ngx_http_session_field_if(ngx_http_request_t *r,
    ngx_http_session_field_t *field);


/*
 * session_field $VARIABLE request|response [form=NAME] [json=POINTER]
 *     [xml=XPATH] [xmlns:PREFIX=URI] ... [if=CONDITION];
 */

char *
ngx_http_session_field(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_session_loc_conf_t *slcf = conf;

    ngx_str_t                 *value, name;
    ngx_uint_t                 i;
    ngx_http_session_field_t  *field, *f;

    value = cf->args->elts;

    if (value[1].len < 2 || value[1].data[0] != '$') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid variable name \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data + 1;
    name.len = value[1].len - 1;

    if (slcf->fields == NGX_CONF_UNSET_PTR) {
        slcf->fields = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_session_field_t));
        if (slcf->fields == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    f = slcf->fields->elts;

    for (i = 0; i < slcf->fields->nelts; i++) {
        if (f[i].name.len == name.len
            && ngx_strncasecmp(f[i].name.data, name.data, name.len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate session field \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    field = ngx_array_push(slcf->fields);
    if (field == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(field, sizeof(ngx_http_session_field_t));
    field->name = name;

    if (ngx_strcmp(value[2].data, "response") == 0) {
        field->response = 1;

    } else if (ngx_strcmp(value[2].data, "request") != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\": \"request\" or "
                           "\"response\" expected", &value[2]);
        return NGX_CONF_ERROR;
    }

    /* the namespaces first: an expression may use a prefix bound later */

    if (ngx_http_session_field_xmlns(cf, field) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    field->sources = ngx_array_create(cf->pool, 2,
                                      sizeof(ngx_http_session_source_t));
    if (field->sources == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 3; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "xmlns:", 6) == 0) {
            continue;
        }

        if (ngx_strncmp(value[i].data, "if=", 3) == 0) {
            if (ngx_http_session_field_cond(cf, field, &value[i])
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_http_session_field_source(cf, field, &value[i])
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    if (field->sources->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "session field \"%V\" names no form=, json= "
                           "or xml= source", &value[1]);
        return NGX_CONF_ERROR;
    }

    return ngx_http_session_field_define(cf, field, &value[1]);
}


/* xmlns:PREFIX=URI parameters, split in place: libxml2 wants C strings */

static char *
ngx_http_session_field_xmlns(ngx_conf_t *cf, ngx_http_session_field_t *field)
{
    ngx_str_t              *value, s;
    ngx_uint_t              i;
    ngx_http_session_ns_t  *ns;

    value = cf->args->elts;

    for (i = 3; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "xmlns:", 6) != 0) {
            continue;
        }

        s.data = value[i].data + 6;
        s.len = value[i].len - 6;

        s.data = (u_char *) ngx_strlchr(s.data, s.data + s.len, '=');

        if (s.data == NULL || s.data == value[i].data + 6
            || s.data == value[i].data + value[i].len - 1)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": "
                               "xmlns:PREFIX=URI expected", &value[i]);
            return NGX_CONF_ERROR;
        }

        if (field->ns == NULL) {
            field->ns = ngx_array_create(cf->pool, 2,
                                         sizeof(ngx_http_session_ns_t));
            if (field->ns == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        ns = ngx_array_push(field->ns);
        if (ns == NULL) {
            return NGX_CONF_ERROR;
        }

        *s.data = '\0';

        ns->prefix.data = value[i].data + 6;
        ns->prefix.len = s.data - ns->prefix.data;
        ns->uri.data = s.data + 1;
        ns->uri.len = value[i].data + value[i].len - ns->uri.data;
    }

    return NGX_CONF_OK;
}


/* $NAME: the variable, shared by every level that defines the field */

static char *
ngx_http_session_field_define(ngx_conf_t *cf,
    ngx_http_session_field_t *field, ngx_str_t *var)
{
    ngx_http_variable_t  *v;

    field->index = ngx_http_get_variable_index(cf, &field->name);
    if (field->index == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    v = ngx_http_add_variable(cf, &field->name,
                              NGX_HTTP_VAR_CHANGEABLE|NGX_HTTP_VAR_NOCACHEABLE);
    if (v == NULL) {
        return NGX_CONF_ERROR;
    }

    if (v->get_handler && v->get_handler != ngx_http_session_field_variable)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "variable \"%V\" is already defined by another "
                           "directive", var);
        return NGX_CONF_ERROR;
    }

    v->get_handler = ngx_http_session_field_variable;
    v->data = (uintptr_t) field->index;

    return NGX_CONF_OK;
}


static char *
ngx_http_session_field_source(ngx_conf_t *cf, ngx_http_session_field_t *field,
    ngx_str_t *value)
{
    ngx_str_t                   text, error;
    ngx_uint_t                  type;
    ngx_http_session_source_t  *src;

    if (ngx_strncmp(value->data, "form=", 5) == 0) {
        type = NGX_HTTP_SESSION_SOURCE_FORM;
        text.data = value->data + 5;

    } else if (ngx_strncmp(value->data, "json=", 5) == 0) {
        type = NGX_HTTP_SESSION_SOURCE_JSON;
        text.data = value->data + 5;

    } else if (ngx_strncmp(value->data, "xml=", 4) == 0) {
        type = NGX_HTTP_SESSION_SOURCE_XML;
        text.data = value->data + 4;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", value);
        return NGX_CONF_ERROR;
    }

    text.len = value->data + value->len - text.data;

    if (type == NGX_HTTP_SESSION_SOURCE_FORM && field->response) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": a response is read as JSON or XML, "
                           "not as a form", value);
        return NGX_CONF_ERROR;
    }

    src = ngx_array_push(field->sources);
    if (src == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_str_null(&error);

    if (ngx_http_session_source_init(cf->pool, type, &text, field->ns, src,
                                     &error)
        != NGX_OK)
    {
        if (error.len == 0) {
            return NGX_CONF_ERROR;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\": %V", value, &error);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* if=VALUE: the field is read only when VALUE is non-empty and not "0" */

static char *
ngx_http_session_field_cond(ngx_conf_t *cf, ngx_http_session_field_t *field,
    ngx_str_t *value)
{
    ngx_str_t                          text;
    ngx_http_compile_complex_value_t   ccv;

    if (field->cond) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate parameter \"%V\"", value);
        return NGX_CONF_ERROR;
    }

    text.data = value->data + 3;
    text.len = value->len - 3;

    if (text.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", value);
        return NGX_CONF_ERROR;
    }

    field->cond = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (field->cond == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &text;
    ccv.complex_value = field->cond;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_uint_t
ngx_http_session_field_if(ngx_http_request_t *r,
    ngx_http_session_field_t *field)
{
    ngx_str_t  value;

    if (field->cond == NULL) {
        return 1;
    }

    if (ngx_http_complex_value(r, field->cond, &value) != NGX_OK) {
        return 0;
    }

    return ngx_http_session_flag(&value);
}


/*
 * Whether a body is worth reading: some field of it has no if=, or one
 * that holds.  Evaluated once per request and body by its reader.
 */

ngx_int_t
ngx_http_session_field_wanted(ngx_http_request_t *r, ngx_uint_t response)
{
    ngx_uint_t                    i;
    ngx_http_session_field_t     *f;
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (slcf->fields == NULL) {
        return 0;
    }

    f = slcf->fields->elts;

    for (i = 0; i < slcf->fields->nelts; i++) {
        if (f[i].response == response && ngx_http_session_field_if(r, &f[i]))
        {
            return 1;
        }
    }

    return 0;
}


/* the request body is read in the precontent phase, as mirror does */

ngx_int_t
ngx_http_session_field_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_session_field_handler;

    return NGX_OK;
}


/* the main request's login state: one per request, in the session ctx */

ngx_http_session_login_t *
ngx_http_session_login(ngx_http_request_t *r)
{
    ngx_http_session_ctx_t  *ctx;

    ctx = ngx_http_session_get_ctx(r->main);
    if (ctx == NULL) {
        return NULL;
    }

    if (ctx->login == NULL) {
        ctx->login = ngx_pcalloc(r->main->pool,
                                 sizeof(ngx_http_session_login_t));
        if (ctx->login == NULL) {
            return NULL;
        }

        ctx->login->length = -1;
    }

    return ctx->login;
}


static ngx_int_t
ngx_http_session_field_handler(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_http_session_login_t     *login;
    ngx_http_session_loc_conf_t  *slcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (!slcf->request_fields) {
        return NGX_DECLINED;
    }

    login = ngx_http_session_login(r);
    if (login == NULL) {
        return NGX_ERROR;
    }

    if (login->read || r->request_body) {
        return NGX_DECLINED;
    }

    if (login->reading) {
        return NGX_DONE;
    }

    if ((r->headers_in.content_length_n <= 0 && !r->headers_in.chunked)
        || !ngx_http_session_field_wanted(r, 0))
    {
        /* no body, or no field wanted: nothing to wait for */
        login->read = 1;
        return NGX_DECLINED;
    }

    if (r->headers_in.content_length_n > (off_t) slcf->max_body_size) {
        /* read by the content handler as usual, and not parsed */
        login->read = 1;
        return NGX_DECLINED;
    }

    login->reading = 1;

    rc = ngx_http_read_client_request_body(r,
                                     ngx_http_session_field_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_DONE;
}


static void
ngx_http_session_field_body_handler(ngx_http_request_t *r)
{
    ngx_http_session_ctx_t  *ctx;

    ctx = ngx_http_session_get_ctx(r);

    if (ctx && ctx->login) {
        ctx->login->reading = 0;
        ctx->login->read = 1;
    }

    /* the upstream keeps a body in a temporary file open for the fields */
    r->preserve_body = 1;

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


static ngx_int_t
ngx_http_session_field_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_int_t                        rc;
    ngx_str_t                        value;
    ngx_uint_t                       i;
    ngx_http_session_doc_t          *doc;
    ngx_http_session_field_t        *field;
    ngx_http_session_login_t        *login;
    ngx_http_session_source_t       *src;
    ngx_http_session_field_value_t  *fv;

    v->not_found = 1;

    field = ngx_http_session_field_find(r->main, data);

    if (field == NULL) {
        return NGX_OK;
    }

    login = ngx_http_session_login(r);
    if (login == NULL) {
        return NGX_ERROR;
    }

    /* found once, asked for by several directives */

    if (login->values) {
        fv = login->values->elts;

        for (i = 0; i < login->values->nelts; i++) {
            if (fv[i].field == field) {
                goto found;
            }
        }
    }

    if (!ngx_http_session_field_if(r->main, field)) {
        return NGX_OK;
    }

    if (field->response) {
        if (!login->response_read) {
            return NGX_OK;
        }

        doc = &login->response;

    } else {
        if (!login->parsed) {
            if (ngx_http_session_field_parse_request(r->main, login)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        doc = &login->request;
    }

    ngx_str_null(&value);

    if (doc->format) {
        src = field->sources->elts;

        for (i = 0; i < field->sources->nelts; i++) {

            rc = ngx_http_session_doc_value(r->main->pool, doc, &src[i],
                                            field->ns, &value);

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (rc == NGX_OK) {
                break;
            }

            value.len = 0;
        }
    }

    if (login->values == NULL) {
        login->values = ngx_array_create(r->main->pool, 4,
                                     sizeof(ngx_http_session_field_value_t));
        if (login->values == NULL) {
            return NGX_ERROR;
        }
    }

    fv = ngx_array_push(login->values);
    if (fv == NULL) {
        return NGX_ERROR;
    }

    fv->field = field;
    fv->value = value;
    i = 0;

found:

    if (fv[i].value.len) {
        v->len = fv[i].value.len;
        v->data = fv[i].value.data;
        v->valid = 1;
        v->no_cacheable = 1;
        v->not_found = 0;
    }

    return NGX_OK;
}


/* the field the location defines for this variable, or NULL */

static ngx_http_session_field_t *
ngx_http_session_field_find(ngx_http_request_t *r, uintptr_t index)
{
    ngx_uint_t                    i;
    ngx_http_session_field_t     *f;
    ngx_http_session_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (slcf->fields == NULL) {
        return NULL;
    }

    f = slcf->fields->elts;

    for (i = 0; i < slcf->fields->nelts; i++) {
        if ((uintptr_t) f[i].index == index) {
            return &f[i];
        }
    }

    return NULL;
}


/*
 * Parsed once, the first time a field is asked for.  A body that is
 * too large or does not parse has no fields, and the error log says why
 * at the info level.
 */

static ngx_int_t
ngx_http_session_field_parse_request(ngx_http_request_t *r,
    ngx_http_session_login_t *login)
{
    ngx_int_t                     rc;
    ngx_str_t                     body;
    ngx_http_session_loc_conf_t  *slcf;

    login->parsed = 1;

    if (!login->read && r->request_body == NULL) {
        return NGX_OK;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);

    if (r->headers_in.content_length_n > (off_t) slcf->max_body_size) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "session fields not read: the request body of %O "
                      "bytes is larger than session_max_body_size %uz",
                      r->headers_in.content_length_n, slcf->max_body_size);
        return NGX_OK;
    }

    if (r->request_body == NULL || r->request_body->rest > 0) {
        return NGX_OK;
    }

    rc = ngx_http_session_body(r, &body);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "session fields not read: the request body is larger "
                      "than session_max_body_size %uz", slcf->max_body_size);
        return NGX_OK;
    }

    rc = ngx_http_session_doc_parse(r->pool, &body, 1, &login->request);

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "session fields not read from the request body: %V",
                      &login->request.error);
    }

    return NGX_OK;
}
