
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_shm.h"


/*
 * What a request does to its session: looks it up (and counts the
 * request as its activity), and once the response header is known
 * creates it, sets its account and variables, or logs it out, each in
 * one lock hold.  Calls the lock, the index and the records
 * (ngx_http_session_lock.c, _index.c, _store.c).
 */


/* expiry work done by each request that takes the lock */
#define NGX_HTTP_SESSION_EXPIRE_PER_REQUEST   2


static ngx_http_session_node_t *ngx_http_session_update_touch(
    ngx_http_session_zone_t *zone, ngx_http_session_update_t *up,
    ngx_http_session_ctx_t *ctx, int64_t now);
static ngx_http_session_node_t *ngx_http_session_update_create(
    ngx_http_session_zone_t *zone, ngx_http_session_update_t *up,
    ngx_http_session_ctx_t *ctx, int64_t now);
static ngx_int_t ngx_http_session_update_account(
    ngx_http_session_zone_t *zone, ngx_http_session_update_t *up,
    ngx_http_session_node_t *s);
static size_t ngx_http_session_merge_vars(ngx_http_session_node_t *s,
    ngx_http_session_update_t *up, u_char *buf);
static void ngx_http_session_snapshot(ngx_http_session_node_t *s,
    ngx_http_session_ctx_t *ctx);


ngx_int_t
ngx_http_session_lookup(ngx_http_session_zone_t *zone, u_char *digest,
    ngx_uint_t touch, u_char *addr, size_t addr_len,
    ngx_http_session_ctx_t *ctx)
{
    int64_t                    now;
    ngx_http_session_node_t   *s;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;
    now = ngx_http_session_now();

    ngx_http_session_lock(zone);

    if (touch) {
        (void) ngx_http_session_expire(zone,
                                       NGX_HTTP_SESSION_EXPIRE_PER_REQUEST,
                                       now);
    }

    s = ngx_http_session_find_node(sh, digest);

    if (s == NULL || (s->flags & NGX_HTTP_SESSION_ENDED)) {
        ngx_http_session_unlock(zone);
        return NGX_DECLINED;
    }

    if (s->last + (int64_t) zone->timeout <= now) {
        if (touch) {
            ngx_http_session_delete(zone, s, NGX_HTTP_SESSION_GONE_EXPIRED);
        }

        ngx_http_session_unlock(zone);
        return NGX_DECLINED;
    }

    if (touch) {
        s->last = now;
        s->requests++;

        if (addr_len) {
            s->addr_len = (u_char) addr_len;
            ngx_memcpy(s->addr, addr, addr_len);
        }

        ngx_http_session_queue_remove(&s->queue);
        ngx_http_session_queue_insert_head(&sh->lru, &s->queue);

        sh->changes++;
    }

    if (ctx) {
        ngx_http_session_snapshot(s, ctx);
    }

    ngx_http_session_unlock(zone);

    return NGX_OK;
}


/*
 * Everything a request changes once its response header is known, in
 * one lock hold: the lookup (if no variable forced it earlier), the
 * creation, the account, the variables and the logout.
 */

ngx_int_t
ngx_http_session_update(ngx_http_session_zone_t *zone,
    ngx_http_session_update_t *up, ngx_http_session_ctx_t *ctx)
{
    size_t                     len;
    int64_t                    now;
    ngx_int_t                  rc;
    ngx_http_session_node_t   *s;
    ngx_http_session_shctx_t  *sh;
    u_char                     vars[NGX_HTTP_SESSION_VARS_SIZE];

    sh = zone->sh;
    now = ngx_http_session_now();
    rc = NGX_OK;
    s = NULL;

    ngx_http_session_lock(zone);

    up->evicted = sh->evicted;

    (void) ngx_http_session_expire(zone, NGX_HTTP_SESSION_EXPIRE_PER_REQUEST,
                                   now);

    if (ctx->live || (up->token.len && !ctx->looked_up)) {
        s = ngx_http_session_update_touch(zone, up, ctx, now);
    }

    /* a logout ends the session the request came with */

    if (s && up->end) {
        ngx_http_session_end(zone, s, now);
        ctx->live = 0;
        ctx->ended = 1;
        up->ended = 1;
        s = NULL;
    }

    if (up->create.len) {
        s = ngx_http_session_update_create(zone, up, ctx, now);
        if (s == NULL) {
            rc = NGX_ERROR;
            goto done;
        }
    }

    if (s == NULL) {
        goto done;
    }

    if (ngx_http_session_update_account(zone, up, s) != NGX_OK) {
        rc = NGX_ERROR;
    }

    /* the variables */

    if (up->nvars) {
        len = ngx_http_session_merge_vars(s, up, vars);

        if (len != (size_t) -1) {
            sh->pinned_node = s;

            if (ngx_http_session_set_vars(zone, s, vars, len) != NGX_OK) {
                rc = NGX_ERROR;
            }

            sh->pinned_node = NULL;
        }
    }

    /*
     * No snapshot here: most requests use none, and copying the account
     * and variables would cost every tracked request two cache misses.
     * The variables that need one take it then.
     */

    ctx->snapshot = 0;

done:

    up->evicted = sh->evicted - up->evicted;
    up->evicted_total = sh->evicted;

    ngx_http_session_unlock(zone);

    return rc;
}


/*
 * The session the request came with, counted as its activity unless a
 * variable looked it up and counted it already; NULL when it is gone.
 */

static ngx_http_session_node_t *
ngx_http_session_update_touch(ngx_http_session_zone_t *zone,
    ngx_http_session_update_t *up, ngx_http_session_ctx_t *ctx, int64_t now)
{
    ngx_http_session_node_t   *s;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    s = ngx_http_session_find_node(sh, ctx->digest);

    if (s && ((s->flags & NGX_HTTP_SESSION_ENDED)
              || s->last + (int64_t) zone->timeout <= now))
    {
        if (!(s->flags & NGX_HTTP_SESSION_ENDED)) {
            ngx_http_session_delete(zone, s, NGX_HTTP_SESSION_GONE_EXPIRED);
        }

        s = NULL;
    }

    if (s && !ctx->touched) {
        s->last = now;
        s->requests++;

        if (up->addr_len) {
            s->addr_len = up->addr_len;
            ngx_memcpy(s->addr, up->addr, up->addr_len);
        }

        ngx_http_session_queue_remove(&s->queue);
        ngx_http_session_queue_insert_head(&sh->lru, &s->queue);
        sh->changes++;
    }

    ctx->looked_up = 1;
    ctx->live = (s != NULL);
    ctx->touched = ctx->live;

    return s;
}


/*
 * The session the response creates: a new one, or the live one its
 * token names already (a login repeated).  NULL: the zone is full.
 */

static ngx_http_session_node_t *
ngx_http_session_update_create(ngx_http_session_zone_t *zone,
    ngx_http_session_update_t *up, ngx_http_session_ctx_t *ctx, int64_t now)
{
    ngx_str_t                  none, *name;
    ngx_http_session_node_t   *s, *old;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    ngx_str_null(&none);

    old = ngx_http_session_find_node(sh, up->create_digest);

    if (old && ((old->flags & NGX_HTTP_SESSION_ENDED)
                || old->last + (int64_t) zone->timeout <= now))
    {
        ngx_http_session_delete(zone, old,
                                (old->flags & NGX_HTTP_SESSION_ENDED)
                                ? NGX_HTTP_SESSION_GONE_REPLACED
                                : NGX_HTTP_SESSION_GONE_EXPIRED);
        old = NULL;
    }

    if (old) {
        s = old;

        /* the request's own session was counted already */

        if (!ctx->touched
            || ngx_memcmp(ctx->digest, up->create_digest,
                          NGX_HTTP_SESSION_DIGEST_LEN)
               != 0)
        {
            s->last = now;
            s->requests++;
            ngx_http_session_queue_remove(&s->queue);
            ngx_http_session_queue_insert_head(&sh->lru, &s->queue);
            sh->changes++;
        }

    } else {
        name = up->id.len ? &up->name : &none;

        s = ngx_http_session_insert(zone, up->create_digest, up->type,
                                    up->id.len ? &up->id : &none, name,
                                    now);
        if (s == NULL) {
            return NULL;
        }

        s->requests = 1;

        if (up->addr_len) {
            s->addr_len = up->addr_len;
            ngx_memcpy(s->addr, up->addr, up->addr_len);
        }

        sh->created++;
        ctx->created = 1;
    }

    ngx_memcpy(ctx->digest, up->create_digest, NGX_HTTP_SESSION_DIGEST_LEN);
    ctx->live = 1;
    ctx->looked_up = 1;
    ctx->touched = 1;
    ctx->ended = 0;

    return s;
}


/* the account the request names, and the name it gives the account */

static ngx_int_t
ngx_http_session_update_account(ngx_http_session_zone_t *zone,
    ngx_http_session_update_t *up, ngx_http_session_node_t *s)
{
    ngx_int_t                    rc;
    ngx_http_session_shctx_t    *sh;
    ngx_http_session_account_t  *acct;

    sh = zone->sh;
    rc = NGX_OK;

    acct = ngx_http_session_acct(s);

    if (up->id.len
        && (acct == NULL
            || acct->id_len != up->id.len
            || ngx_memcmp(acct->data, up->id.data, up->id.len) != 0))
    {
        /* an eviction for the new record must not take "s" */

        sh->pinned_node = s;

        acct = ngx_http_session_get_account(zone, s->type, &up->id,
                                            &up->name);
        if (acct) {
            ngx_http_session_detach(zone, s);
            ngx_http_session_attach(zone, acct, s);
            sh->changes++;

        } else {
            rc = NGX_ERROR;
        }

        sh->pinned_node = NULL;
    }

    /* a name given with the id names the account, joined or not */

    acct = ngx_http_session_acct(s);

    if (up->name.len
        && acct
        && acct->id_len == up->id.len
        && ngx_memcmp(acct->data, up->id.data, up->id.len) == 0)
    {
        switch (ngx_http_session_rename_account(zone, s, &up->name)) {

        case NGX_OK:
            break;

        case NGX_DECLINED:
            up->name_kept = acct->nsessions;
            break;

        default:
            rc = NGX_ERROR;
        }
    }

    return rc;
}


/*
 * The variables of a session: a slab block of
 * { uint16_t len; { u_char nlen, vlen; name; value }... }.
 * Returns the merged block's size, or -1 when nothing changes.
 */

static size_t
ngx_http_session_merge_vars(ngx_http_session_node_t *s,
    ngx_http_session_update_t *up, u_char *buf)
{
    u_char      *p, *q, *last, *end;
    uint16_t     len;
    ngx_str_t    name, value;
    ngx_uint_t   i, n, changed;

    p = buf + sizeof(uint16_t);
    end = buf + NGX_HTTP_SESSION_VARS_SIZE;
    changed = 0;
    n = 0;

    if (s->vars) {
        ngx_memcpy(&len, ngx_http_session_vars_block(s), sizeof(uint16_t));

        q = ngx_http_session_vars_block(s) + sizeof(uint16_t);
        last = q + len;

        while ((q = ngx_http_session_var_next(q, last, &name, &value))) {

            /* names are case-insensitive, as $session_var_NAME is */

            for (i = 0; i < up->nvars; i++) {
                if (up->var_names[i].len == name.len
                    && ngx_strncasecmp(up->var_names[i].data, name.data,
                                       name.len)
                       == 0)
                {
                    break;
                }
            }

            if (i < up->nvars) {
                /* replaced below */
                if (up->var_values[i].len != value.len
                    || ngx_memcmp(up->var_values[i].data, value.data,
                                  value.len)
                       != 0)
                {
                    changed = 1;
                }

                continue;
            }

            if (p + 2 + name.len + value.len > end) {
                break;
            }

            *p++ = (u_char) name.len;
            *p++ = (u_char) value.len;
            p = ngx_cpymem(p, name.data, name.len);
            p = ngx_cpymem(p, value.data, value.len);
            n++;
        }

    } else {
        changed = 1;
    }

    for (i = 0; i < up->nvars; i++) {
        if (n == NGX_HTTP_SESSION_VARS_MAX
            || p + 2 + up->var_names[i].len + up->var_values[i].len > end)
        {
            /* said after the lock is released */
            up->dropped = up->var_names[i];
            break;
        }

        *p++ = (u_char) up->var_names[i].len;
        *p++ = (u_char) up->var_values[i].len;
        p = ngx_cpymem(p, up->var_names[i].data, up->var_names[i].len);
        p = ngx_cpymem(p, up->var_values[i].data, up->var_values[i].len);
        n++;
    }

    if (!changed) {
        /* a new name counts as a change as well */
        if (s->vars) {
            ngx_memcpy(&len, ngx_http_session_vars_block(s), sizeof(uint16_t));

            if ((size_t) (p - buf - sizeof(uint16_t)) == len) {
                return (size_t) -1;
            }
        }
    }

    len = (uint16_t) (p - buf - sizeof(uint16_t));
    ngx_memcpy(buf, &len, sizeof(uint16_t));

    return p - buf;
}


static void
ngx_http_session_snapshot(ngx_http_session_node_t *s,
    ngx_http_session_ctx_t *ctx)
{
    uint16_t                     len;
    ngx_http_session_account_t  *acct;

    ctx->snapshot = 1;
    ctx->type = s->type;
    ctx->created_at = s->created;
    ctx->last = s->last;

    acct = ngx_http_session_acct(s);

    if (acct) {
        ctx->id_len = acct->id_len;
        ctx->name_len = acct->name_len;
        ngx_memcpy(ctx->id, acct->data, acct->id_len);
        ngx_memcpy(ctx->name, acct->data + acct->id_len, acct->name_len);

    } else {
        ctx->id_len = 0;
        ctx->name_len = 0;
    }

    if (s->vars) {
        ngx_memcpy(&len, ngx_http_session_vars_block(s), sizeof(uint16_t));
        ngx_memcpy(ctx->vars, ngx_http_session_vars_block(s) + sizeof(uint16_t),
                   len);
        ctx->vars_len = len;

    } else {
        ctx->vars_len = 0;
    }
}
