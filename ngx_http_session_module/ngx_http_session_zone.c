
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <sodium.h>

#include "ngx_http_session_shm.h"


/*
 * The zone as a whole: setting it up or adopting it on reload (with the
 * format check), the registry of session types, the sweeping timer of
 * worker 0, the figures the status endpoint shows, and the state file's
 * bookkeeping.  Calls the lock, the index and the records
 * (ngx_http_session_lock.c, _index.c, _store.c).
 */


/* expiry work done by the sweeping timer per lock hold and per tick */
#define NGX_HTTP_SESSION_SWEEP_BATCH          512
#define NGX_HTTP_SESSION_SWEEP_HOLDS          16
#define NGX_HTTP_SESSION_SWEEP_INTERVAL       1000


static ngx_int_t ngx_http_session_register_types(
    ngx_http_session_zone_t *zone);
static void ngx_http_session_sweep_handler(ngx_event_t *ev);
static void ngx_http_session_type_info(ngx_http_session_type_t *t,
    ngx_http_session_type_info_t *info);


/*
 * Sets up a new zone, or adopts the one a reload kept (NGX_DONE): the
 * caller then fills a new one, from the zone it replaces and from the
 * state file (ngx_http_session_init_zone() in the module file).
 */

ngx_int_t
ngx_http_session_zone_init(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_session_zone_t  *ozone = data;

    ngx_uint_t                 i, n;
    ngx_slab_pool_t           *shpool;
    ngx_http_session_zone_t   *zone;
    ngx_http_session_shctx_t  *sh;

    /* the links are offsets in 8-byte units: their bases must align */

    if (offsetof(ngx_http_session_account_t, sessions) % 8
        || offsetof(ngx_http_session_shctx_t, types) % 8
        || sizeof(ngx_http_session_type_t) % 8
        || offsetof(ngx_http_session_type_t, anonymous_list) % 8
        || offsetof(ngx_rbtree_node_t, color) % 8
        || offsetof(ngx_http_session_shctx_t, lru) % 8
        || offsetof(ngx_http_session_shctx_t, closed) % 8
        || offsetof(ngx_http_session_shctx_t, free) % 8
        || offsetof(ngx_http_session_node_t, queue) % 8
        || sizeof(ngx_http_session_node_t) % 8
        || sizeof(ngx_http_session_chunk_t) % 8)
    {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "session zone: misaligned structures in this build");
        return NGX_ERROR;
    }

    zone = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    zone->shpool = shpool;
    zone->log = shm_zone->shm.log;

    if (ozone || shm_zone->shm.exists) {
        sh = shpool->data;

        if (sh->format != NGX_HTTP_SESSION_FORMAT) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "session zone \"%V\" holds sessions in format %ui "
                          "but this module keeps format %ui; restart nginx "
                          "instead of reloading it",
                          &zone->name, sh->format,
                          (ngx_uint_t) NGX_HTTP_SESSION_FORMAT);
            return NGX_ERROR;
        }

        zone->sh = sh;

        if (zone->secret
            && ngx_memcmp(sh->key, zone->secret_key, NGX_HTTP_SESSION_KEY_LEN)
               != 0)
        {
            /* the other workers see the new key as soon as it is there */

            ngx_shmtx_lock(&shpool->mutex);
            ngx_memcpy(sh->key, zone->secret_key, NGX_HTTP_SESSION_KEY_LEN);
            ngx_shmtx_unlock(&shpool->mutex);

            ngx_log_error(NGX_LOG_WARN, zone->log, 0,
                          "session zone \"%V\": secret= gives a new digest "
                          "key; the %uL sessions made under the old one "
                          "cannot be found by their tokens any more",
                          &zone->name, sh->sessions);
        }

        if (ngx_http_session_register_types(zone) != NGX_OK) {
            return NGX_ERROR;
        }

        return NGX_DONE;
    }

    sh = ngx_slab_calloc(shpool, sizeof(ngx_http_session_shctx_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    zone->sh = sh;
    shpool->data = sh;

    sh->format = NGX_HTTP_SESSION_FORMAT;

    /*
     * A session takes a 96-byte record in a chunk and its share of the
     * index, so the zone holds at most size / (96 + 6) sessions even if
     * it held nothing else; the index has half again as many slots, 6
     * bytes a session (docs/architecture.md, "Zone layout").
     */

    n = shm_zone->shm.size / (sizeof(ngx_http_session_node_t)
                              + 3 * sizeof(int32_t) / 2);
    sh->index_size = n + n / 2 + 1;

#if (NGX_HTTP_SESSION_CHECK)
    /* for the store fuzzer: a crowded index */
    sh->index_size = n + 1;
#endif

    sh->index = ngx_slab_calloc(shpool, sh->index_size * sizeof(int32_t));
    if (sh->index == NULL) {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "session zone \"%V\": no room for its index of "
                      "%ui slots", &zone->name, sh->index_size);
        return NGX_ERROR;
    }

    /* the chunk directory: an entry for each page the zone has */

    sh->per_chunk = (ngx_pagesize - sizeof(ngx_http_session_chunk_t))
                    / sizeof(ngx_http_session_node_t);
    sh->nchunks = (shm_zone->shm.size >> ngx_pagesize_shift) + 1;

    sh->chunks = ngx_slab_calloc(shpool, sh->nchunks * sizeof(int32_t));
    if (sh->chunks == NULL) {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "session zone \"%V\": no room for its directory of "
                      "%ui chunks", &zone->name, sh->nchunks);
        return NGX_ERROR;
    }

    ngx_rbtree_init(&sh->account_tree, &sh->account_sentinel,
                    ngx_http_session_account_insert);
    ngx_http_session_queue_init(&sh->lru);
    ngx_http_session_queue_init(&sh->closed);
    ngx_http_session_queue_init(&sh->free);

    /* secret=: the key every node given the same file derives */

    if (zone->secret) {
        ngx_memcpy(sh->key, zone->secret_key, NGX_HTTP_SESSION_KEY_LEN);

    } else {
        randombytes_buf(sh->key, NGX_HTTP_SESSION_KEY_LEN);
    }

    for (i = 0; ngx_http_session_zimbra_types[i].len; i++) {
        sh->types[i].len = (u_char) ngx_http_session_zimbra_types[i].len;
        ngx_memcpy(sh->types[i].name, ngx_http_session_zimbra_types[i].data,
                   ngx_http_session_zimbra_types[i].len);
    }

    sh->ntypes = i;

    shpool->log_ctx = ngx_slab_alloc(shpool,
                                     sizeof(" in session zone \"\"")
                                     + shm_zone->shm.name.len);
    if (shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(shpool->log_ctx, " in session zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* the module evicts and logs by itself when the zone is full */
    shpool->log_nomem = 0;

    return ngx_http_session_register_types(zone);
}


static ngx_int_t
ngx_http_session_register_types(ngx_http_session_zone_t *zone)
{
    ngx_int_t    n;
    ngx_uint_t   i;
    ngx_str_t   *names;

    for (i = 0; i < NGX_HTTP_SESSION_ZIMBRA_TYPES; i++) {
        zone->type_map[i] = (u_char) i;
    }

    names = zone->types->elts;

    for (i = 0; i < zone->types->nelts; i++) {

        /* in the master, on a reload: the workers use the zone */

        if (ngx_http_session_lock_live(zone) != NGX_OK) {
            return NGX_ERROR;
        }

        n = ngx_http_session_type_index(zone, &names[i]);
        ngx_http_session_unlock(zone);

        if (n == NGX_ERROR) {
            ngx_log_error(NGX_LOG_EMERG, zone->log, 0,
                          "session zone \"%V\" has no room for session "
                          "type \"%V\": it already holds %d types",
                          &zone->name, &names[i],
                          NGX_HTTP_SESSION_MAX_TYPES);
            return NGX_ERROR;
        }

        zone->type_map[NGX_HTTP_SESSION_ZIMBRA_TYPES + i] = (u_char) n;
    }

    return NGX_OK;
}


/* called with the zone locked */

ngx_int_t
ngx_http_session_type_index(ngx_http_session_zone_t *zone, ngx_str_t *name)
{
    ngx_uint_t                 i, j, last;
    ngx_http_session_type_t   *t;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    for (i = 0; i < sh->ntypes; i++) {
        t = &sh->types[i];

        if (t->len == name->len
            && ngx_strncmp(t->name, name->data, name->len) == 0)
        {
            return i;
        }
    }

    if (name->len == 0 || name->len > NGX_HTTP_SESSION_TYPE_LEN) {
        return NGX_ERROR;
    }

    /*
     * The slot of a custom type that no session holds any more and this
     * configuration does not name is free again, or the zone would run
     * out of slots as the names in the configuration change over
     * reloads.  The workers of the cycle being replaced may still create
     * a session of the old name meanwhile: it is listed under the new.
     */

    last = NGX_HTTP_SESSION_ZIMBRA_TYPES + zone->types->nelts;

    for (i = NGX_HTTP_SESSION_ZIMBRA_TYPES; i < sh->ntypes; i++) {
        t = &sh->types[i];

        if (t->sessions || t->closed) {
            continue;
        }

        /* names not registered yet map to 0, a Zimbra type */

        for (j = NGX_HTTP_SESSION_ZIMBRA_TYPES; j < last; j++) {
            if (zone->type_map[j] == i) {
                break;
            }
        }

        if (j == last) {
            break;
        }
    }

    if (i == sh->ntypes) {
        if (sh->ntypes == NGX_HTTP_SESSION_MAX_TYPES) {
            return NGX_ERROR;
        }

        sh->ntypes++;
    }

    t = &sh->types[i];

    ngx_memzero(t, sizeof(ngx_http_session_type_t));
    t->len = (u_char) name->len;
    ngx_memcpy(t->name, name->data, name->len);

    return i;
}


/* in the one worker that sweeps for all of them */

void
ngx_http_session_sweep_start(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone)
{
    zone->sweep.handler = ngx_http_session_sweep_handler;
    zone->sweep.data = zone;
    zone->sweep.log = cycle->log;
    zone->sweep.cancelable = 1;

    ngx_add_timer(&zone->sweep, NGX_HTTP_SESSION_SWEEP_INTERVAL);
}


static void
ngx_http_session_sweep_handler(ngx_event_t *ev)
{
    int64_t                   now;
    ngx_uint_t                i, n;
    ngx_http_session_zone_t  *zone;

    zone = ev->data;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    now = ngx_http_session_now();

    for (i = 0; i < NGX_HTTP_SESSION_SWEEP_HOLDS; i++) {
        ngx_http_session_lock(zone);
        n = ngx_http_session_expire(zone, NGX_HTTP_SESSION_SWEEP_BATCH, now);
        ngx_http_session_unlock(zone);

        if (n < NGX_HTTP_SESSION_SWEEP_BATCH) {
            ngx_add_timer(ev, NGX_HTTP_SESSION_SWEEP_INTERVAL);
            return;
        }
    }

    /* more is due: let other events run, then go on */
    ngx_add_timer(ev, 1);
}


void
ngx_http_session_counts(ngx_http_session_zone_t *zone,
    ngx_http_session_count_t *counts)
{
    ngx_uint_t                 i;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    ngx_http_session_lock(zone);

    for (i = 0; i < NGX_HTTP_SESSION_MAX_TYPES; i++) {
        counts[i].sessions = sh->types[i].sessions;
        counts[i].accounts = sh->types[i].accounts;
        counts[i].closed = sh->types[i].closed;
        counts[i].anonymous = sh->types[i].anonymous;
    }

    ngx_http_session_unlock(zone);
}


void
ngx_http_session_stats(ngx_http_session_zone_t *zone,
    ngx_http_session_stats_t *st)
{
    ngx_uint_t                 i;
    ngx_slab_pool_t           *shpool;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;
    shpool = zone->shpool;

    ngx_http_session_lock(zone);

    st->size = zone->shm_zone->shm.size;
    st->free = shpool->pfree << ngx_pagesize_shift;
    st->sessions = sh->sessions;
    st->closed = sh->closed_sessions;
    st->accounts = sh->accounts;
    st->created = sh->created;
    st->expired = sh->expired;
    st->evicted = sh->evicted;
    st->ended = sh->ended;
    st->failed = sh->failed;
    st->lock_max_ns = sh->lock_max_ns;
    st->lock_slow = sh->lock_slow;
    ngx_memcpy(st->lock_holds, sh->lock_holds, sizeof(sh->lock_holds));
    st->lock_total_ns = sh->lock_total_ns;
    ngx_memcpy(st->lock_slow_cause, sh->lock_slow_cause,
               sizeof(sh->lock_slow_cause));
    ngx_memcpy(st->lock_desched, sh->lock_desched,
               sizeof(sh->lock_desched));
    st->ntypes = sh->ntypes;

    for (i = 0; i < NGX_HTTP_SESSION_MAX_TYPES; i++) {
        ngx_http_session_type_info(&sh->types[i], &st->types[i]);
    }

    ngx_http_session_top_copy(sh, st);

    ngx_http_session_unlock(zone);

    /* the pages the slab allocator handed out, headers and all */
    st->used = (shpool->end - shpool->start) - st->free;
    st->timeout = zone->timeout;
    st->keep_closed = zone->keep_closed;
}


/* the types' names and counters; returns how many types there are */

ngx_uint_t
ngx_http_session_types(ngx_http_session_zone_t *zone,
    ngx_http_session_type_info_t *types)
{
    ngx_uint_t                 i, n;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    ngx_http_session_lock(zone);

    n = sh->ntypes;

    for (i = 0; i < NGX_HTTP_SESSION_MAX_TYPES; i++) {
        ngx_http_session_type_info(&sh->types[i], &types[i]);
    }

    ngx_http_session_unlock(zone);

    return n;
}


/*
 * A type's name, copied into "name" (NGX_HTTP_SESSION_TYPE_LEN bytes)
 * under the lock: the master gives a slot no session holds another name
 * in a reload, while the workers read it.
 */

size_t
ngx_http_session_type_name(ngx_http_session_zone_t *zone, ngx_uint_t type,
    u_char *name)
{
    size_t  len;

    ngx_http_session_lock(zone);

    len = zone->sh->types[type].len;
    ngx_memcpy(name, zone->sh->types[type].name, len);

    ngx_http_session_unlock(zone);

    return len;
}


static void
ngx_http_session_type_info(ngx_http_session_type_t *t,
    ngx_http_session_type_info_t *info)
{
    info->len = t->len;
    ngx_memcpy(info->name, t->name, NGX_HTTP_SESSION_TYPE_LEN);
    info->sessions = t->sessions;
    info->closed = t->closed;
    info->accounts = t->accounts;
    info->anonymous = t->anonymous;
}


/*
 * The state file's bookkeeping, kept in the zone so that the processes
 * of all cycles agree: how many changes the zone has seen and how many
 * the file holds, and when it was saved.  Which process saves it is
 * the state file's own business (a lock on the file, not a pid).
 *
 * A save begins if the zone changed since the last one (or "force"):
 * NGX_OK, "target" is the changes it will hold, "ended" the sessions
 * logged out so far; NGX_DECLINED, nothing changed.
 */

ngx_int_t
ngx_http_session_save_begin(ngx_http_session_zone_t *zone, ngx_uint_t force,
    uint64_t *target, uint64_t *ended)
{
    ngx_int_t                  rc;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;
    rc = NGX_DECLINED;

    ngx_http_session_lock(zone);

    if (sh->changes != sh->saved_changes || force) {
        *target = sh->changes;
        *ended = sh->ended;
        rc = NGX_OK;
    }

    ngx_http_session_unlock(zone);

    return rc;
}


/* the file holds the "target" changes as of "at" (wall clock, ms) */

void
ngx_http_session_save_done(ngx_http_session_zone_t *zone, uint64_t target,
    int64_t at)
{
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    ngx_http_session_lock(zone);

    sh->saved_changes = target;
    sh->saved_at = at;

    ngx_http_session_unlock(zone);
}


/* how many sessions were logged out in the zone so far */

uint64_t
ngx_http_session_save_ended(ngx_http_session_zone_t *zone)
{
    uint64_t  ended;

    ngx_http_session_lock(zone);
    ended = zone->sh->ended;
    ngx_http_session_unlock(zone);

    return ended;
}


/* when the file was last saved by this zone */

int64_t
ngx_http_session_save_time(ngx_http_session_zone_t *zone)
{
    int64_t  at;

    ngx_http_session_lock(zone);
    at = zone->sh->saved_at;
    ngx_http_session_unlock(zone);

    return at;
}


/* while the master fills a new zone: the time the zone stands for */

void
ngx_http_session_save_stamp(ngx_http_session_zone_t *zone, int64_t at)
{
    zone->sh->saved_at = at;
}


/* everything the zone holds is in the file already */

void
ngx_http_session_save_clean(ngx_http_session_zone_t *zone)
{
    ngx_http_session_lock(zone);
    zone->sh->saved_changes = zone->sh->changes;
    ngx_http_session_unlock(zone);
}
