
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sys/statvfs.h>
#if (NGX_LINUX)
#include <grp.h>
#endif

#include "ngx_http_session_module.h"


/*
 * The state file's place, checked in the master before the zone loads,
 * at every start, reload and "nginx -t".  The workers save the file, so
 * the workers' user must be able to create and rename files in its
 * directory: a missing directory is created for that user, as nginx
 * creates its temporary paths; one that user cannot write, one on a
 * read-only file system, or a state path that is not a regular file
 * stops nginx with a message that names the file and the user, where
 * it would otherwise lose every session at the next restart.  Calls the
 * kernel only, nothing of the store.
 */


static ngx_int_t ngx_http_session_state_dir_create(
    ngx_http_session_zone_t *zone, ngx_core_conf_t *ccf, u_char *dir);
static ngx_int_t ngx_http_session_state_dir_writable(ngx_core_conf_t *ccf,
    u_char *dir, ngx_file_info_t *fi);


ngx_int_t
ngx_http_session_state_dir_check(ngx_http_session_zone_t *zone)
{
    u_char           *dir, *file, *p;
    size_t            len;
    ngx_err_t         err;
    ngx_file_info_t   fi;
    ngx_core_conf_t  *ccf;
    struct statvfs    vfs;

    if (zone->state.len == 0) {
        return NGX_OK;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(zone->cycle->conf_ctx,
                                           ngx_core_module);

    /* the directory with its trailing slash, as ngx_create_full_path() */

    for (p = zone->state.data + zone->state.len;
         p > zone->state.data && p[-1] != '/';
         p--)
    {
        /* void */
    }

    len = p - zone->state.data;

    if (len == 0) {
        /* ngx_conf_full_name() made the path absolute */
        return NGX_OK;
    }

    file = ngx_pnalloc(zone->cycle->pool, zone->state.len + 1 + len + 1);
    if (file == NULL) {
        return NGX_ERROR;
    }

    (void) ngx_cpystrn(file, zone->state.data, zone->state.len + 1);

    dir = file + zone->state.len + 1;
    (void) ngx_cpystrn(dir, zone->state.data, len + 1);

    if (ngx_file_info(dir, &fi) == NGX_FILE_ERROR) {
        err = ngx_errno;

        if (err != NGX_ENOENT) {
            ngx_log_error(NGX_LOG_EMERG, zone->log, err,
                          "session zone \"%V\": the directory of the state "
                          "file \"%s\" cannot be read: " ngx_file_info_n
                          " \"%s\" failed", &zone->name, file, dir);
            return NGX_ERROR;
        }

        if (ngx_http_session_state_dir_create(zone, ccf, dir) != NGX_OK) {
            return NGX_ERROR;
        }

        if (ngx_file_info(dir, &fi) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_EMERG, zone->log, ngx_errno,
                          ngx_file_info_n " \"%s\" failed", dir);
            return NGX_ERROR;
        }
    }

    if (!ngx_is_dir(&fi)) {
        ngx_log_error(NGX_LOG_EMERG, zone->log, 0,
                      "session zone \"%V\": \"%s\", the directory of the "
                      "state file \"%s\", is not a directory",
                      &zone->name, dir, file);
        return NGX_ERROR;
    }

    if (statvfs((char *) dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
        ngx_log_error(NGX_LOG_EMERG, zone->log, 0,
                      "session zone \"%V\": the state file \"%s\" is on a "
                      "read-only file system: its sessions could never be "
                      "saved; choose a directory on a writable one",
                      &zone->name, file);
        return NGX_ERROR;
    }

    if (ngx_http_session_state_dir_writable(ccf, dir, &fi) != NGX_OK) {
        ngx_log_error(NGX_LOG_EMERG, zone->log, 0,
                      "session zone \"%V\": the worker processes' user "
                      "\"%s\" cannot create files in \"%s\", so the "
                      "sessions could never be saved to the state file "
                      "\"%s\"; give that user a directory of its own "
                      "(e.g. \"install -d -o %s -m 700 %ssessions\") and "
                      "put the state file in it",
                      &zone->name, ccf->username ? ccf->username : "?",
                      dir, file, ccf->username ? ccf->username : "?", dir);
        return NGX_ERROR;
    }

    /* the file itself: a regular file or none, never followed */

    if (ngx_link_info(file, &fi) == NGX_FILE_ERROR) {
        err = ngx_errno;

        if (err == NGX_ENOENT) {
            return NGX_OK;
        }

        ngx_log_error(NGX_LOG_EMERG, zone->log, err,
                      "session zone \"%V\": " ngx_link_info_n " \"%s\" "
                      "failed", &zone->name, file);
        return NGX_ERROR;
    }

    if (!ngx_is_file(&fi)) {
        ngx_log_error(NGX_LOG_EMERG, zone->log, 0,
                      "session zone \"%V\": the state file \"%s\" is not "
                      "a regular file (a symbolic link, FIFO, device or "
                      "directory): it is neither read nor replaced; "
                      "remove it", &zone->name, file);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the last part for the workers' user, parts above it for all to pass */

static ngx_int_t
ngx_http_session_state_dir_create(ngx_http_session_zone_t *zone,
    ngx_core_conf_t *ccf, u_char *dir)
{
    size_t     len;
    ngx_err_t  err;

    err = ngx_create_full_path(dir, 0755);

    if (err) {
        ngx_log_error(NGX_LOG_EMERG, zone->log, err,
                      "session zone \"%V\": the directory \"%s\" of the "
                      "state file cannot be created", &zone->name, dir);
        return NGX_ERROR;
    }

    len = ngx_strlen(dir);

    if (len > 1) {
        dir[len - 1] = '\0';
    }

    if (chmod((char *) dir, 0700) == -1) {
        err = ngx_errno;
        goto failed;
    }

    if (geteuid() == 0 && ccf->user != (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        if (chown((char *) dir, ccf->user, ccf->group) == -1) {
            err = ngx_errno;
            goto failed;
        }
    }

    if (len > 1) {
        dir[len - 1] = '/';
    }

    ngx_log_error(NGX_LOG_NOTICE, zone->log, 0,
                  "session zone \"%V\": created the directory \"%s\" for "
                  "the state file, owned by \"%s\"", &zone->name, dir,
                  geteuid() == 0 && ccf->username ? ccf->username : "nginx");

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_EMERG, zone->log, err,
                  "session zone \"%V\": the new directory \"%s\" of the "
                  "state file cannot be given to the workers' user",
                  &zone->name, dir);

    return NGX_ERROR;
}


/*
 * Whether the workers' user may create and rename files in the
 * directory: its permission bits for that user, its group and the
 * user's other groups (ACLs are not read).  A master that is not root
 * runs its workers as itself: access() answers for both.
 */

static ngx_int_t
ngx_http_session_state_dir_writable(ngx_core_conf_t *ccf, u_char *dir,
    ngx_file_info_t *fi)
{
    mode_t      mode, want;
#if (NGX_LINUX)
    int         i, n;
    gid_t       groups[64];
#endif

    if (geteuid() != 0 || ccf->user == (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        return access((char *) dir, W_OK|X_OK) == 0 ? NGX_OK : NGX_ERROR;
    }

    if (ccf->user == 0) {
        return NGX_OK;
    }

    mode = fi->st_mode;

    if (fi->st_uid == ccf->user) {
        want = S_IWUSR|S_IXUSR;

    } else if (fi->st_gid == ccf->group) {
        want = S_IWGRP|S_IXGRP;

    } else {
        want = S_IWOTH|S_IXOTH;

#if (NGX_LINUX)
        n = 64;

        if (ccf->username
            && getgrouplist(ccf->username, ccf->group, groups, &n) != -1)
        {
            for (i = 0; i < n; i++) {
                if (groups[i] == fi->st_gid) {
                    want = S_IWGRP|S_IXGRP;
                    break;
                }
            }
        }
#endif
    }

    return (mode & want) == want ? NGX_OK : NGX_ERROR;
}
