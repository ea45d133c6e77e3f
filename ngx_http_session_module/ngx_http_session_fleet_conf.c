
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <sodium.h>

#include "ngx_http_session_engine.h"


/*
 * The fleet's configuration: session_zone's secret= and the
 * session_fleet directive.  Files are read here, by the master, so
 * workers running as another user need no access to them, and the
 * engine's address is resolved here, because hiredis would resolve a
 * name with a blocking call in a worker.  Calls nginx's configuration
 * API and libsodium only.
 */


static ngx_int_t ngx_http_session_fleet_address(ngx_conf_t *cf,
    ngx_http_session_fleet_conf_t *fcf, ngx_str_t *address);


/* the BLAKE2b key of the derivation, so the digest key is ours alone */
static u_char  ngx_http_session_secret_context[crypto_generichash_KEYBYTES]
    = "ngx_http_session_module secret=";


/*
 * secret=FILE: the key of the keyed digest, derived from the whole
 * content of FILE (a trailing newline aside), so every node given the
 * same file derives the same public id from a token.
 */

char *
ngx_http_session_secret(ngx_conf_t *cf, ngx_str_t *file, u_char *key)
{
    ngx_str_t  content;

    if (ngx_http_session_read_secret_file(cf, file, &content, "secret")
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (content.len < NGX_HTTP_SESSION_FLEET_SECRET_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the secret in \"%V\" has %uz bytes: at least "
                           "%d are needed (\"openssl rand -hex 32 > %V\" "
                           "makes one)", file, content.len,
                           NGX_HTTP_SESSION_FLEET_SECRET_MIN, file);
        sodium_memzero(content.data, content.len);
        return NGX_CONF_ERROR;
    }

    if (crypto_generichash(key, NGX_HTTP_SESSION_KEY_LEN, content.data,
                           content.len, ngx_http_session_secret_context,
                           sizeof(ngx_http_session_secret_context))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cannot derive a key from \"%V\"", file);
        sodium_memzero(content.data, content.len);
        return NGX_CONF_ERROR;
    }

    sodium_memzero(content.data, content.len);

    return NGX_CONF_OK;
}


/*
 * A small file read whole, one trailing newline (or CR LF) dropped;
 * relative names are relative to the configuration's directory.  The
 * content is never logged.  "name" becomes the full name.
 */

ngx_int_t
ngx_http_session_read_secret_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *content, const char *what)
{
    u_char           *buf;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_err_t         err;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    if (name->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the %s file needs a name", what);
        return NGX_ERROR;
    }

    if (ngx_conf_full_name(cf->cycle, name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        err = ngx_errno;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, err,
                           "cannot open the %s file \"%V\"", what, name);
        return NGX_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name = *name;
    file.log = cf->log;

    buf = NULL;
    n = NGX_ERROR;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot read the %s file \"%V\"", what, name);
        goto done;
    }

    if (!ngx_is_file(&fi)
        || ngx_file_size(&fi) > NGX_HTTP_SESSION_FLEET_FILE_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the %s file \"%V\" is not a file of at most "
                           "%d bytes", what, name,
                           NGX_HTTP_SESSION_FLEET_FILE_MAX);
        goto done;
    }

    buf = ngx_pnalloc(cf->pool, NGX_HTTP_SESSION_FLEET_FILE_MAX + 1);
    if (buf == NULL) {
        goto done;
    }

    n = ngx_read_file(&file, buf, NGX_HTTP_SESSION_FLEET_FILE_MAX + 1, 0);

    if (n == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot read the %s file \"%V\"", what, name);
        goto done;
    }

    if (n > NGX_HTTP_SESSION_FLEET_FILE_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the %s file \"%V\" is not a file of at most "
                           "%d bytes", what, name,
                           NGX_HTTP_SESSION_FLEET_FILE_MAX);
        sodium_memzero(buf, NGX_HTTP_SESSION_FLEET_FILE_MAX + 1);
        n = NGX_ERROR;
        goto done;
    }

    if (n && buf[n - 1] == '\n') {
        n--;

        if (n && buf[n - 1] == '\r') {
            n--;
        }
    }

    content->data = buf;
    content->len = n;

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%V\" failed", name);
    }

    return (n == NGX_ERROR) ? NGX_ERROR : NGX_OK;
}


/*
 * session_fleet ZONE ADDRESS [password_file=FILE] [user=NAME]
 *     [prefix=STRING] [timeout=TIME]
 */

char *
ngx_http_session_fleet(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_session_main_conf_t *smcf = conf;

    ngx_int_t                       ms;
    ngx_str_t                      *value, s;
    ngx_uint_t                      i;
    ngx_http_session_fleet_conf_t  *fcf, **fp;

    value = cf->args->elts;

    fcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_session_fleet_conf_t));
    if (fcf == NULL) {
        return NGX_CONF_ERROR;
    }

    fcf->shm_zone = ngx_shared_memory_add(cf, &value[1], 0,
                                          &ngx_http_session_module);
    if (fcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    fcf->file = cf->conf_file->file.name;
    fcf->line = cf->conf_file->line;
    fcf->engine.address = value[2];
    fcf->engine.timeout = NGX_HTTP_SESSION_FLEET_TIMEOUT;
    ngx_str_set(&fcf->prefix, NGX_HTTP_SESSION_FLEET_PREFIX);

    if (ngx_http_session_fleet_address(cf, fcf, &value[2]) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    for (i = 3; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "password_file=", 14) == 0) {

            s.data = value[i].data + 14;
            s.len = value[i].len - 14;

            if (ngx_http_session_read_secret_file(cf, &s,
                                                  &fcf->engine.password,
                                                  "password")
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            if (fcf->engine.password.len == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "the password file \"%V\" is empty", &s);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "user=", 5) == 0) {

            fcf->engine.user.data = value[i].data + 5;
            fcf->engine.user.len = value[i].len - 5;

            if (fcf->engine.user.len == 0
                || ngx_http_session_fleet_prefix_ok(&fcf->engine.user)
                   != NGX_OK)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid user \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "prefix=", 7) == 0) {

            s.data = value[i].data + 7;
            s.len = value[i].len - 7;

            if (s.len == 0 || s.len > NGX_HTTP_SESSION_FLEET_PREFIX_MAX
                || ngx_http_session_fleet_prefix_ok(&s) != NGX_OK)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid prefix \"%V\": use 1 to %d "
                                   "printable characters, no spaces and "
                                   "none of * ? [ ] \\", &value[i],
                                   NGX_HTTP_SESSION_FLEET_PREFIX_MAX);
                return NGX_CONF_ERROR;
            }

            fcf->prefix = s;
            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {

            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            ms = ngx_parse_time(&s, 0);

            if (ms == NGX_ERROR || ms == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid timeout \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            fcf->engine.timeout = (ngx_msec_t) ms;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_session_fleet_add_zone(cf, fcf, &value[1]) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (fcf->engine.user.len && fcf->engine.password.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"user=\" needs \"password_file=\"");
        return NGX_CONF_ERROR;
    }

    fp = ngx_array_push(&smcf->fleets);
    if (fp == NULL) {
        return NGX_CONF_ERROR;
    }

    *fp = fcf;

    return NGX_CONF_OK;
}


/*
 * HOST[:PORT] or unix:PATH, resolved now: hiredis would resolve a name
 * with a blocking call in a worker, and takes a numeric address as is.
 */

static ngx_int_t
ngx_http_session_fleet_address(ngx_conf_t *cf,
    ngx_http_session_fleet_conf_t *fcf, ngx_str_t *address)
{
    u_char     *p;
    size_t      len;
    ngx_url_t   u;

    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url = *address;
    u.default_port = NGX_HTTP_SESSION_FLEET_PORT;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid engine address \"%V\"%s%s: expected "
                           "HOST:PORT or unix:PATH", address,
                           u.err ? ": " : "", u.err ? u.err : "");
        return NGX_ERROR;
    }

    if (u.naddrs == 0 || u.uri.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid engine address \"%V\": expected "
                           "HOST:PORT or unix:PATH", address);
        return NGX_ERROR;
    }

    if (u.family == AF_UNIX) {
        fcf->engine.path = ngx_pnalloc(cf->pool, u.host.len + 1);
        if (fcf->engine.path == NULL) {
            return NGX_ERROR;
        }

        *ngx_cpymem(fcf->engine.path, u.host.data, u.host.len) = '\0';

        return NGX_OK;
    }

    p = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, p,
                        NGX_SOCKADDR_STRLEN, 0);
    p[len] = '\0';

    fcf->engine.host = (char *) p;
    fcf->engine.port = (int) ngx_inet_get_port(u.addrs[0].sockaddr);

    if (u.naddrs > 1) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "engine address \"%V\" has %ui addresses: the "
                           "fleet uses the first, %s", address, u.naddrs, p);
    }

    return NGX_OK;
}


/* the prefix goes into SCAN's MATCH pattern: no glob characters */

ngx_int_t
ngx_http_session_fleet_prefix_ok(ngx_str_t *prefix)
{
    u_char      c;
    ngx_uint_t  i;

    for (i = 0; i < prefix->len; i++) {
        c = prefix->data[i];

        if (c <= 0x20 || c >= 0x7f || c == '*' || c == '?' || c == '['
            || c == ']' || c == '\\')
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* once the whole configuration is read: zones named and keyed */

ngx_int_t
ngx_http_session_fleet_check(ngx_conf_t *cf)
{
    ngx_uint_t                      i;
    ngx_http_session_zone_t        *zone;
    ngx_http_session_main_conf_t   *smcf;
    ngx_http_session_fleet_conf_t **fcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_session_module);

    fcf = smcf->fleets.elts;

    for (i = 0; i < smcf->fleets.nelts; i++) {
        zone = fcf[i]->shm_zone->data;

        if (zone == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"session_fleet\" names session zone \"%V\" "
                          "that no \"session_zone\" defines in %V:%ui",
                          &fcf[i]->shm_zone->shm.name, &fcf[i]->file,
                          fcf[i]->line);
            return NGX_ERROR;
        }

        if (!zone->secret) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"session_fleet\" needs session zone \"%V\" "
                          "to have a \"secret=\" file, the same on every "
                          "node, in %V:%ui", &zone->name, &fcf[i]->file,
                          fcf[i]->line);
            return NGX_ERROR;
        }

        if (zone->fleet) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "session zone \"%V\" has a \"session_fleet\" "
                          "already, in %V:%ui", &zone->name,
                          &fcf[i]->file, fcf[i]->line);
            return NGX_ERROR;
        }

        zone->fleet = fcf[i];
        fcf[i]->zone = zone;
    }

    return NGX_OK;
}
