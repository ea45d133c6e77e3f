
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_shm.h"


/*
 * Sessions from the other nodes of a fleet (docs/fleet.md): a record
 * another node changed, and the last accesses other nodes saw, merged
 * into the zone by the fleet's rules, the same as the engine's.  Calls
 * the lock, the index and the records (ngx_http_session_lock.c,
 * _index.c, _store.c) and ngx_http_session_add() of _import.c.
 */


static void ngx_http_session_apply_open(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, ngx_http_session_import_t *im, int64_t now);


/*
 * Another node's record of a session (fleet_sync.c), merged so that every
 * node ends with the same session: a logout wins over an open session,
 * but not over one made after it under the same token; the later last
 * access wins; the account and variables are those of the latest
 * change, which is the record's: the engine orders the changes.
 * NGX_DECLINED: nothing changed; NGX_ERROR: the zone is full.
 */

ngx_int_t
ngx_http_session_apply(ngx_http_session_zone_t *zone,
    ngx_http_session_import_t *im)
{
    int64_t                    now, logout;
    ngx_int_t                  rc;
    ngx_http_session_node_t   *s;

    if (im->vars.len > NGX_HTTP_SESSION_VARS_SIZE - sizeof(uint16_t)) {
        return NGX_DECLINED;
    }

    now = ngx_http_session_now();
    logout = ngx_min(im->logout, now);
    rc = NGX_OK;

    ngx_http_session_lock(zone);

    s = ngx_http_session_find_node(zone->sh, im->digest);

    if (s && (s->flags & NGX_HTTP_SESSION_ENDED)) {

        if (im->created <= s->logout) {
            rc = NGX_DECLINED;
            goto done;
        }

        /* a new session under the token of one that ended */
        ngx_http_session_delete(zone, s, NGX_HTTP_SESSION_GONE_REPLACED);
        s = NULL;
    }

    if (s == NULL) {
        rc = ngx_http_session_add(zone, im, now);
        goto done;
    }

    if (logout) {
        if (logout < s->created) {
            /* the logout of an earlier session under this token */
            rc = NGX_DECLINED;
            goto done;
        }

        ngx_http_session_end(zone, s, logout);
        goto done;
    }

    ngx_http_session_apply_open(zone, s, im, now);

done:

    ngx_http_session_unlock(zone);

    return rc;
}


static void
ngx_http_session_apply_open(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, ngx_http_session_import_t *im, int64_t now)
{
    int64_t                      last;
    uint16_t                     len, olen;
    ngx_http_session_shctx_t    *sh;
    ngx_http_session_account_t  *acct;
    u_char                       vars[NGX_HTTP_SESSION_VARS_SIZE];

    sh = zone->sh;
    last = ngx_min(im->last, now);

    if (last > s->last) {
        s->last = last;
        s->addr_len = im->addr_len;
        ngx_memcpy(s->addr, im->addr, 16);

        ngx_http_session_queue_remove(&s->queue);
        ngx_http_session_queue_insert_head(&sh->lru, &s->queue);
    }

    if (im->requests > s->requests) {
        s->requests = im->requests;
    }

    if (im->created < s->created) {
        s->created = im->created;
    }

    sh->changes++;

    /* the account, as ngx_http_session_update() changes it */

    acct = ngx_http_session_acct(s);

    if (im->id.len
        && (acct == NULL
            || acct->id_len != im->id.len
            || ngx_memcmp(acct->data, im->id.data, im->id.len) != 0))
    {
        sh->pinned_node = s;

        acct = ngx_http_session_get_account(zone, s->type, &im->id,
                                            &im->name);
        if (acct) {
            ngx_http_session_detach(zone, s);
            ngx_http_session_attach(zone, acct, s);
        }

        sh->pinned_node = NULL;
    }

    acct = ngx_http_session_acct(s);

    if (im->name.len && acct) {
        (void) ngx_http_session_rename_account(zone, s, &im->name);
    }

    /* the variables: the record holds them all */

    if (im->vars.len) {
        olen = 0;

        if (s->vars) {
            ngx_memcpy(&olen, ngx_http_session_vars_block(s), sizeof(uint16_t));
        }

        if (olen != im->vars.len
            || ngx_memcmp(ngx_http_session_vars_block(s) + sizeof(uint16_t),
                          im->vars.data, olen)
               != 0)
        {
            len = (uint16_t) im->vars.len;
            ngx_memcpy(vars, &len, sizeof(uint16_t));
            ngx_memcpy(vars + sizeof(uint16_t), im->vars.data, len);

            sh->pinned_node = s;
            (void) ngx_http_session_set_vars(zone, s, vars,
                                             len + sizeof(uint16_t));
            sh->pinned_node = NULL;
        }
    }
}


/* other nodes' use of sessions: the later last access wins */

void
ngx_http_session_apply_touches(ngx_http_session_zone_t *zone,
    ngx_http_session_touch_t *touches, ngx_uint_t n)
{
    int64_t                    now, last;
    ngx_uint_t                 i;
    ngx_http_session_node_t   *s;
    ngx_http_session_touch_t  *t;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;
    now = ngx_http_session_now();

    ngx_http_session_lock(zone);

    for (i = 0; i < n; i++) {
        t = &touches[i];

        s = ngx_http_session_find_node(sh, t->digest);

        if (s == NULL || (s->flags & NGX_HTTP_SESSION_ENDED)) {
            continue;
        }

        s->requests = (s->requests > NGX_MAX_UINT32_VALUE - t->delta)
                      ? NGX_MAX_UINT32_VALUE : s->requests + t->delta;

        last = ngx_min(t->last, now);

        if (last > s->last) {
            s->last = last;
            s->addr_len = t->addr_len;
            ngx_memcpy(s->addr, t->addr, 16);

            ngx_http_session_queue_remove(&s->queue);
            ngx_http_session_queue_insert_head(&sh->lru, &s->queue);
        }

        sh->changes++;
    }

    ngx_http_session_unlock(zone);
}
