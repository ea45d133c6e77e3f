
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <sodium.h>

#include "ngx_http_session_module.h"


/* expiry work done by each request that takes the lock */
#define NGX_HTTP_SESSION_EXPIRE_PER_REQUEST   2

/* expiry work done by the sweeping timer per lock hold and per tick */
#define NGX_HTTP_SESSION_SWEEP_BATCH          512
#define NGX_HTTP_SESSION_SWEEP_HOLDS          16
#define NGX_HTTP_SESSION_SWEEP_INTERVAL       1000

/* how many sessions an allocation may evict before it gives up */
#define NGX_HTTP_SESSION_EVICT_TRIES          64

/* a lock hold longer than this counts as slow */
#define NGX_HTTP_SESSION_SLOW_HOLD_NS         1000000

/*
 * The tree keys are machine words, 4 bytes on 32-bit platforms: a
 * session's key is the first bytes of its digest, the node holds the
 * rest; accounts of one type share the top byte of their key.
 */
#define NGX_HTTP_SESSION_KEY_SIZE             sizeof(ngx_rbtree_key_t)
#define NGX_HTTP_SESSION_REST_SIZE                                           \
    (NGX_HTTP_SESSION_DIGEST_LEN - NGX_HTTP_SESSION_KEY_SIZE)
#define NGX_HTTP_SESSION_TYPE_SHIFT                                          \
    (NGX_HTTP_SESSION_KEY_SIZE * 8 - 8)
#define NGX_HTTP_SESSION_TYPE_KEYS                                           \
    (((ngx_rbtree_key_t) 1 << NGX_HTTP_SESSION_TYPE_SHIFT) - 1)
#define ngx_http_session_type_key(type)                                      \
    ((ngx_rbtree_key_t) (type) << NGX_HTTP_SESSION_TYPE_SHIFT)


#define ngx_http_session_node(n)                                             \
    ((ngx_http_session_node_t *) &(n)->color)
#define ngx_http_session_rbnode(s)                                           \
    ((ngx_rbtree_node_t *) ((u_char *) (s)                                   \
                            - offsetof(ngx_rbtree_node_t, color)))
#define ngx_http_session_account(n)                                          \
    ((ngx_http_session_account_t *) &(n)->color)
#define ngx_http_session_acnode(a)                                           \
    ((ngx_rbtree_node_t *) ((u_char *) (a)                                   \
                            - offsetof(ngx_rbtree_node_t, color)))

/* the links kept as offsets from their holder, in 8-byte units */
#define ngx_http_session_at(base, off)                                       \
    ((off) ? (void *) ((u_char *) (base) + (ptrdiff_t) (off) * 8) : NULL)
#define ngx_http_session_offset(base, p)                                     \
    ((int32_t) (((u_char *) (p) - (u_char *) (base)) / 8))
#define ngx_http_session_acct(s)                                             \
    ((ngx_http_session_account_t *) ngx_http_session_at(s, (s)->account))
/* the variables block; only where s->vars is set */
#define ngx_http_session_vars(s)                                             \
    ((u_char *) (s) + (ptrdiff_t) (s)->vars * 8)


static void ngx_http_session_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static void ngx_http_session_account_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_int_t ngx_http_session_register_types(
    ngx_http_session_zone_t *zone);
static ngx_int_t ngx_http_session_copy_old(ngx_http_session_zone_t *zone);
static void ngx_http_session_sweep_handler(ngx_event_t *ev);
static ngx_http_session_node_t *ngx_http_session_find_node(
    ngx_http_session_shctx_t *sh, u_char *digest);
static void ngx_http_session_index_insert(ngx_http_session_shctx_t *sh,
    ngx_http_session_node_t *s);
static void ngx_http_session_index_delete(ngx_http_session_shctx_t *sh,
    ngx_http_session_node_t *s);
static ngx_rbtree_node_t *ngx_http_session_node_after(
    ngx_http_session_shctx_t *sh, u_char *digest, ngx_uint_t started);
static ngx_http_session_account_t *ngx_http_session_find_account(
    ngx_http_session_zone_t *zone, u_char *id, size_t len,
    ngx_rbtree_key_t key);
static ngx_rbtree_node_t *ngx_http_session_account_after(
    ngx_http_session_shctx_t *sh, ngx_rbtree_key_t key, u_char *id,
    size_t len, ngx_uint_t inclusive);
static ngx_rbtree_key_t ngx_http_session_account_key(
    ngx_http_session_zone_t *zone, ngx_uint_t type, u_char *id, size_t len);
static ngx_http_session_account_t *ngx_http_session_get_account(
    ngx_http_session_zone_t *zone, ngx_uint_t type, ngx_str_t *id,
    ngx_str_t *name);
static void ngx_http_session_attach(ngx_http_session_zone_t *zone,
    ngx_http_session_account_t *acct, ngx_http_session_node_t *s);
static void ngx_http_session_sort(ngx_queue_t *queue, ngx_uint_t closed);
static void ngx_http_session_detach(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s);
static void ngx_http_session_free_account(ngx_http_session_zone_t *zone,
    ngx_http_session_account_t *acct);
static ngx_int_t ngx_http_session_rename_account(
    ngx_http_session_zone_t *zone, ngx_http_session_node_t *s,
    ngx_str_t *name);
static void *ngx_http_session_alloc(ngx_http_session_zone_t *zone,
    size_t size);
static ngx_int_t ngx_http_session_evict_one(ngx_http_session_zone_t *zone);
static void ngx_http_session_delete(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, ngx_uint_t why);
static void ngx_http_session_end(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, int64_t now);
static void ngx_http_session_close(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, int64_t now);
static ngx_http_session_node_t *ngx_http_session_insert(
    ngx_http_session_zone_t *zone, u_char *digest, ngx_uint_t type,
    ngx_str_t *id, ngx_str_t *name, int64_t created);
static ngx_int_t ngx_http_session_set_vars(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, u_char *vars, size_t len);
static size_t ngx_http_session_merge_vars(ngx_http_session_node_t *s,
    ngx_http_session_update_t *up, u_char *buf);
static void ngx_http_session_snapshot(ngx_http_session_node_t *s,
    ngx_http_session_ctx_t *ctx);
static ngx_int_t ngx_http_session_copy_record(ngx_http_session_node_t *s,
    ngx_http_session_batch_t *batch, u_char **arena);
static ngx_http_session_list_t *ngx_http_session_walk_list(
    ngx_http_session_zone_t *zone, ngx_http_session_cursor_t *cur);
static void ngx_http_session_walk_next(ngx_http_session_zone_t *zone,
    ngx_http_session_cursor_t *cur, ngx_http_session_list_t *list);
static ngx_http_session_node_t *ngx_http_session_walk_resume(
    ngx_http_session_shctx_t *sh, ngx_http_session_list_t *list,
    ngx_http_session_cursor_t *cur, ngx_uint_t *budget);


/* the master is filling a new zone: see ngx_http_session_init_zone() */
static ngx_uint_t  ngx_http_session_filling;


ngx_str_t  ngx_http_session_zimbra_types[] = {
    ngx_string("soap"),
    ngx_string("imap"),
    ngx_string("admin"),
    ngx_string("wiki"),
    ngx_string("synclistener"),
    ngx_string("waitset"),
    ngx_null_string
};


ngx_int_t
ngx_http_session_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_session_zone_t  *ozone = data;

    ngx_int_t                  rc;
    ngx_uint_t                 i;
    ngx_slab_pool_t           *shpool;
    ngx_http_session_zone_t   *zone;
    ngx_http_session_shctx_t  *sh;

    /* the links are offsets in 8-byte units: their bases must align */

    if (offsetof(ngx_http_session_account_t, sessions) % 8
        || offsetof(ngx_http_session_shctx_t, types) % 8
        || sizeof(ngx_http_session_type_t) % 8
        || offsetof(ngx_http_session_type_t, anonymous_list) % 8
        || offsetof(ngx_rbtree_node_t, color) % 8)
    {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "session zone: misaligned structures in this build");
        return NGX_ERROR;
    }

    zone = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    zone->shpool = shpool;
    zone->log = shm_zone->shm.log;

    if (ngx_http_session_state_dir_check(zone) != NGX_OK) {
        return NGX_ERROR;
    }

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

        return ngx_http_session_register_types(zone);
    }

    sh = ngx_slab_calloc(shpool, sizeof(ngx_http_session_shctx_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    zone->sh = sh;
    shpool->data = sh;

    sh->format = NGX_HTTP_SESSION_FORMAT;

    ngx_rbtree_init(&sh->session_tree, &sh->session_sentinel,
                    ngx_http_session_rbtree_insert);

    sh->index_size = shm_zone->shm.size / 128 + shm_zone->shm.size / 256 + 1;

#if (NGX_HTTP_SESSION_CHECK)
    /* for the store fuzzer: a crowded index */
    sh->index_size = shm_zone->shm.size / 128 + 1;
#endif

    sh->index = ngx_slab_calloc(shpool, sh->index_size * sizeof(int32_t));
    if (sh->index == NULL) {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "session zone \"%V\": no room for its index of "
                      "%ui slots", &zone->name, sh->index_size);
        return NGX_ERROR;
    }
    ngx_rbtree_init(&sh->account_tree, &sh->account_sentinel,
                    ngx_http_session_account_insert);
    ngx_queue_init(&sh->lru);
    ngx_queue_init(&sh->closed);

    randombytes_buf(sh->key, NGX_HTTP_SESSION_KEY_LEN);

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

    if (ngx_http_session_register_types(zone) != NGX_OK) {
        return NGX_ERROR;
    }

    /* a resized zone takes the sessions of the zone it replaces */

    /*
     * Nobody else sees a new zone while the master fills it: those lock
     * holds stall nobody, and the statistics leave them out.
     */

    ngx_http_session_filling = 1;

    rc = ngx_http_session_copy_old(zone);

    if (rc == NGX_OK) {
        rc = ngx_http_session_state_load(zone);
    }

    ngx_http_session_filling = 0;

    return rc;
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

        ngx_shmtx_lock(&zone->shpool->mutex);
        n = ngx_http_session_type_index(zone, &names[i]);
        ngx_shmtx_unlock(&zone->shpool->mutex);

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


/*
 * A zone whose size changed on reload is a new zone; the old one is
 * still mapped while the new cycle is being set up, and its workers are
 * still running, so its sessions are copied over in short lock holds.
 */

static ngx_int_t
ngx_http_session_copy_old(ngx_http_session_zone_t *zone)
{
    ngx_uint_t                   i, n;
    ngx_pool_t                  *pool;
    ngx_list_part_t             *part;
    ngx_shm_zone_t              *shm_zone;
    ngx_http_session_zone_t     *ozone;
    ngx_http_session_batch_t     batch;
    ngx_http_session_cursor_t    cur;
    ngx_http_session_record_t   *rec;
    ngx_http_session_import_t    im;

    if (ngx_cycle == NULL || ngx_cycle->shared_memory.part.elts == NULL) {
        return NGX_OK;
    }

    ozone = NULL;
    part = (ngx_list_part_t *) &ngx_cycle->shared_memory.part;
    shm_zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            shm_zone = part->elts;
            i = 0;
        }

        if (shm_zone[i].tag != &ngx_http_session_module
            || shm_zone[i].shm.name.len != zone->name.len
            || ngx_strncmp(shm_zone[i].shm.name.data, zone->name.data,
                           zone->name.len)
               != 0
            || shm_zone[i].data == NULL
            || shm_zone[i].shm.addr == NULL)
        {
            continue;
        }

        ozone = shm_zone[i].data;
        break;
    }

    if (ozone == NULL || ozone->sh == NULL
        || ozone->sh->format != NGX_HTTP_SESSION_FORMAT)
    {
        return NGX_OK;
    }

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, zone->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_session_batch_init(pool, &batch, NGX_HTTP_SESSION_BATCH)
        != NGX_OK)
    {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    /* the digests only mean something under the old zone's key */
    ngx_memcpy(zone->sh->key, ozone->sh->key, NGX_HTTP_SESSION_KEY_LEN);

    ngx_memzero(&cur, sizeof(ngx_http_session_cursor_t));
    cur.walk = NGX_HTTP_SESSION_WALK_TREE;
    cur.closed = 1;

    n = 0;

    while (!cur.done) {
        if (ngx_http_session_read(ozone, &cur, &batch) != NGX_OK) {
            break;
        }

        for (i = 0; i < batch.nrecords; i++) {
            rec = &batch.records[i];

            ngx_http_session_record_import(rec, &ozone->sh->types[rec->type],
                                           &im);

            if (ngx_http_session_import(zone, &im) == NGX_OK) {
                n++;
            }
        }
    }

    ngx_destroy_pool(pool);

    ngx_http_session_import_done(zone);

    ngx_log_error(NGX_LOG_NOTICE, zone->log, 0,
                  "session zone \"%V\" resized, %ui sessions carried over",
                  &zone->name, n);

    zone->loaded = 1;

    return NGX_OK;
}


ngx_int_t
ngx_http_session_init_worker_zone(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone)
{
    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    /* one worker sweeps and saves for all of them */

    if (ngx_worker != 0) {
        return NGX_OK;
    }

    zone->sweep.handler = ngx_http_session_sweep_handler;
    zone->sweep.data = zone;
    zone->sweep.log = cycle->log;
    zone->sweep.cancelable = 1;

    ngx_add_timer(&zone->sweep, NGX_HTTP_SESSION_SWEEP_INTERVAL);

    return ngx_http_session_state_init_worker(cycle, zone);
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


int64_t
ngx_http_session_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (int64_t) tp->sec * 1000 + tp->msec;
}


uint64_t
ngx_http_session_clock_ns(void)
{
    struct timespec  ts;

    /* served by the vDSO: no system call under the lock */
    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


static uint64_t  ngx_http_session_locked_at;

/* the holds of this process, to tell them from the other processes' */
uint64_t  ngx_http_session_own_holds;


void
ngx_http_session_lock(ngx_http_session_zone_t *zone)
{
    ngx_shmtx_lock(&zone->shpool->mutex);
    ngx_http_session_locked_at = ngx_http_session_clock_ns();
    ngx_http_session_own_holds++;
}


/* every hold of the zone lock so far, in all processes; read unlocked */

uint64_t
ngx_http_session_holds(ngx_http_session_zone_t *zone)
{
    uint64_t    n;
    ngx_uint_t  i;

    n = 0;

    for (i = 0; i < NGX_HTTP_SESSION_LOCK_BUCKETS; i++) {
        n += ((volatile uint64_t *) zone->sh->lock_holds)[i];
    }

    return n;
}


void
ngx_http_session_unlock(ngx_http_session_zone_t *zone)
{
    uint64_t                   held, bound;
    ngx_uint_t                 i;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    if (ngx_http_session_filling) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return;
    }

    held = ngx_http_session_clock_ns() - ngx_http_session_locked_at;

    if (held > sh->lock_max_ns) {
        sh->lock_max_ns = held;
    }

    if (held > NGX_HTTP_SESSION_SLOW_HOLD_NS) {
        sh->lock_slow++;
    }

    sh->lock_total_ns += held;

    /* a histogram, so a benchmark can see the holds of a time window */

    for (i = 0, bound = 10000;
         i < NGX_HTTP_SESSION_LOCK_BUCKETS - 1 && held >= bound;
         i++, bound *= 10)
    {
        /* void */
    }

    sh->lock_holds[i]++;

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


static void
ngx_http_session_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t        **p;
    ngx_http_session_node_t   *s, *t;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            s = ngx_http_session_node(node);
            t = ngx_http_session_node(temp);

            p = (ngx_memcmp(s->digest, t->digest,
                            NGX_HTTP_SESSION_REST_SIZE)
                 < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static void
ngx_http_session_account_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t           **p;
    ngx_http_session_account_t   *a, *t;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            a = ngx_http_session_account(node);
            t = ngx_http_session_account(temp);

            p = (ngx_memn2cmp(a->data, t->data, a->id_len, t->id_len) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* the slab slot an allocation of this size takes */

static ngx_inline size_t
ngx_http_session_slot(size_t size)
{
    size_t  slot;

    for (slot = 8; slot < size; slot <<= 1) { /* void */ }

    return slot;
}


static ngx_inline ngx_rbtree_key_t
ngx_http_session_digest_key(u_char *digest)
{
    ngx_rbtree_key_t  key;

    ngx_memcpy(&key, digest, NGX_HTTP_SESSION_KEY_SIZE);

    return key;
}


/* the home slot of a digest: its key scaled to the table, no division */

#if !(NGX_HTTP_SESSION_CHECK)

#define ngx_http_session_home(sh, key)                                       \
    ((ngx_uint_t) (((uint64_t) (uint32_t) (key) * (sh)->index_size) >> 32))

#else

/* for the store fuzzer: 8 home slots across the table's end, long runs */

#define ngx_http_session_home(sh, key)                                       \
    (((ngx_uint_t) ((uint32_t) (key) % 8) + (sh)->index_size - 4)            \
     % (sh)->index_size)

#endif


static ngx_http_session_node_t *
ngx_http_session_find_node(ngx_http_session_shctx_t *sh, u_char *digest)
{
    ngx_uint_t                i;
    ngx_rbtree_key_t          key;
    ngx_rbtree_node_t        *node;
    ngx_http_session_node_t  *s;

    key = ngx_http_session_digest_key(digest);

    for (i = ngx_http_session_home(sh, key);
         sh->index[i];
         i = (i + 1 == sh->index_size) ? 0 : i + 1)
    {
        s = ngx_http_session_at(sh, sh->index[i]);
        node = ngx_http_session_rbnode(s);

        if (node->key == key
            && ngx_memcmp(digest + NGX_HTTP_SESSION_KEY_SIZE, s->digest,
                          NGX_HTTP_SESSION_REST_SIZE) == 0)
        {
            return s;
        }
    }

    return NULL;
}


static void
ngx_http_session_index_insert(ngx_http_session_shctx_t *sh,
    ngx_http_session_node_t *s)
{
    ngx_uint_t  i;

    for (i = ngx_http_session_home(sh, ngx_http_session_rbnode(s)->key);
         sh->index[i];
         i = (i + 1 == sh->index_size) ? 0 : i + 1)
    {
        /* void */
    }

    sh->index[i] = ngx_http_session_offset(sh, s);
}


/*
 * Deletion without tombstones: each later entry of the run moves back
 * into the hole unless its home slot lies after the hole (cyclically),
 * so every entry stays reachable from its home slot.
 */

static void
ngx_http_session_index_delete(ngx_http_session_shctx_t *sh,
    ngx_http_session_node_t *s)
{
    int32_t     off;
    ngx_uint_t  i, j, home;

    off = ngx_http_session_offset(sh, s);

    for (i = ngx_http_session_home(sh, ngx_http_session_rbnode(s)->key);
         sh->index[i] != off;
         i = (i + 1 == sh->index_size) ? 0 : i + 1)
    {
        /* void */
    }

    for (j = i; /* void */ ; /* void */ ) {

        j = (j + 1 == sh->index_size) ? 0 : j + 1;

        if (sh->index[j] == 0) {
            break;
        }

        home = ngx_http_session_home(sh,
                   ngx_http_session_rbnode((ngx_http_session_node_t *)
                       ngx_http_session_at(sh, sh->index[j]))->key);

        if ((i <= j) ? (i < home && home <= j) : (i < home || home <= j)) {
            continue;
        }

        sh->index[i] = sh->index[j];
        i = j;
    }

    sh->index[i] = 0;
}


/* the first session after the given digest in tree order */

static ngx_rbtree_node_t *
ngx_http_session_node_after(ngx_http_session_shctx_t *sh, u_char *digest,
    ngx_uint_t started)
{
    ngx_int_t                 rc;
    ngx_rbtree_key_t          key;
    ngx_rbtree_node_t        *node, *sentinel, *best;
    ngx_http_session_node_t  *s;

    node = sh->session_tree.root;
    sentinel = sh->session_tree.sentinel;

    if (node == sentinel) {
        return NULL;
    }

    if (!started) {
        return ngx_rbtree_min(node, sentinel);
    }

    key = ngx_http_session_digest_key(digest);
    best = NULL;

    while (node != sentinel) {

        if (key < node->key) {
            rc = -1;

        } else if (key > node->key) {
            rc = 1;

        } else {
            s = ngx_http_session_node(node);
            rc = ngx_memcmp(digest + NGX_HTTP_SESSION_KEY_SIZE, s->digest,
                            NGX_HTTP_SESSION_REST_SIZE);
        }

        if (rc < 0) {
            best = node;
            node = node->left;

        } else {
            node = node->right;
        }
    }

    return best;
}


static ngx_rbtree_key_t
ngx_http_session_account_key(ngx_http_session_zone_t *zone, ngx_uint_t type,
    u_char *id, size_t len)
{
    uint64_t  h;

    h = ngx_http_session_hash(zone, id, len);

    return ngx_http_session_type_key(type)
           | (ngx_rbtree_key_t) (h >> (64 - NGX_HTTP_SESSION_TYPE_SHIFT));
}


static ngx_http_session_account_t *
ngx_http_session_find_account(ngx_http_session_zone_t *zone, u_char *id,
    size_t len, ngx_rbtree_key_t key)
{
    ngx_int_t                    rc;
    ngx_rbtree_node_t           *node, *sentinel;
    ngx_http_session_account_t  *a;

    node = zone->sh->account_tree.root;
    sentinel = zone->sh->account_tree.sentinel;

    while (node != sentinel) {

        if (key < node->key) {
            node = node->left;
            continue;
        }

        if (key > node->key) {
            node = node->right;
            continue;
        }

        a = ngx_http_session_account(node);

        rc = ngx_memn2cmp(id, a->data, len, a->id_len);

        if (rc == 0) {
            return a;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/* the first account at or after (key, id) in tree order */

static ngx_rbtree_node_t *
ngx_http_session_account_after(ngx_http_session_shctx_t *sh,
    ngx_rbtree_key_t key, u_char *id, size_t len, ngx_uint_t inclusive)
{
    ngx_int_t                    rc;
    ngx_rbtree_node_t           *node, *sentinel, *best;
    ngx_http_session_account_t  *a;

    node = sh->account_tree.root;
    sentinel = sh->account_tree.sentinel;
    best = NULL;

    while (node != sentinel) {

        if (key < node->key) {
            rc = -1;

        } else if (key > node->key) {
            rc = 1;

        } else {
            a = ngx_http_session_account(node);
            rc = ngx_memn2cmp(id, a->data, len, a->id_len);
        }

        if (rc < 0 || (rc == 0 && inclusive)) {
            best = node;
            node = node->left;

        } else {
            node = node->right;
        }
    }

    return best;
}


static ngx_http_session_account_t *
ngx_http_session_get_account(ngx_http_session_zone_t *zone, ngx_uint_t type,
    ngx_str_t *id, ngx_str_t *name)
{
    size_t                       size;
    ngx_rbtree_key_t             key;
    ngx_rbtree_node_t           *node;
    ngx_http_session_account_t  *a;

    key = ngx_http_session_account_key(zone, type, id->data, id->len);

    a = ngx_http_session_find_account(zone, id->data, id->len, key);
    if (a) {
        return a;
    }

    size = offsetof(ngx_rbtree_node_t, color)
           + offsetof(ngx_http_session_account_t, data)
           + id->len + name->len;

    node = ngx_http_session_alloc(zone, size);
    if (node == NULL) {
        return NULL;
    }

    node->key = key;

    a = ngx_http_session_account(node);

    a->type = (u_char) type;
    a->id_len = (u_char) id->len;
    a->name_len = (u_char) name->len;
    a->nsessions = 0;
    a->nactive = 0;
    a->sessions.head = 0;
    a->sessions.tail = 0;

    ngx_memcpy(a->data, id->data, id->len);

    /* an account without a name has no name data at all (NULL) */

    if (name->len) {
        ngx_memcpy(a->data + id->len, name->data, name->len);
    }

    ngx_rbtree_insert(&zone->sh->account_tree, node);

    return a;
}


/* the list a session is in: its account's, or its type's anonymous one */

static ngx_inline ngx_http_session_list_t *
ngx_http_session_list_of(ngx_http_session_shctx_t *sh,
    ngx_http_session_node_t *s)
{
    ngx_http_session_account_t  *acct;

    acct = ngx_http_session_acct(s);

    return acct ? &acct->sessions : &sh->types[s->type].anonymous_list;
}


/*
 * Appends the session to its account's list (NULL: no account, the
 * type's anonymous list); seq only grows, so a list stays in seq order.
 * This cannot fail: the caller gets the account record first.
 */

static void
ngx_http_session_attach(ngx_http_session_zone_t *zone,
    ngx_http_session_account_t *acct, ngx_http_session_node_t *s)
{
    ngx_http_session_node_t   *tail;
    ngx_http_session_list_t   *list;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    s->seq = ++sh->seq;
    s->prev = 0;
    s->next = 0;
    s->account = acct ? ngx_http_session_offset(s, acct) : 0;

    list = ngx_http_session_list_of(sh, s);
    tail = ngx_http_session_at(list, list->tail);

    if (tail) {
        tail->next = ngx_http_session_offset(tail, s);
        s->prev = ngx_http_session_offset(s, tail);

    } else {
        list->head = ngx_http_session_offset(list, s);
    }

    list->tail = ngx_http_session_offset(list, s);

    if (acct == NULL) {
        sh->types[s->type].anonymous++;
        return;
    }

    acct->nsessions++;

    if (!(s->flags & NGX_HTTP_SESSION_ENDED)) {
        if (acct->nactive++ == 0) {
            sh->types[acct->type].accounts++;
            sh->accounts++;
        }
    }
}


/* unlinks the session from its list; an empty account goes */

static void
ngx_http_session_detach(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s)
{
    ngx_http_session_node_t     *prev, *next;
    ngx_http_session_list_t     *list;
    ngx_http_session_shctx_t    *sh;
    ngx_http_session_account_t  *acct;

    sh = zone->sh;
    acct = ngx_http_session_acct(s);
    list = ngx_http_session_list_of(sh, s);

    prev = ngx_http_session_at(s, s->prev);
    next = ngx_http_session_at(s, s->next);

    if (prev) {
        prev->next = next ? ngx_http_session_offset(prev, next) : 0;

    } else {
        list->head = next ? ngx_http_session_offset(list, next) : 0;
    }

    if (next) {
        next->prev = prev ? ngx_http_session_offset(next, prev) : 0;

    } else {
        list->tail = prev ? ngx_http_session_offset(list, prev) : 0;
    }

    s->account = 0;
    s->prev = 0;
    s->next = 0;

    if (acct == NULL) {
        sh->types[s->type].anonymous--;
        return;
    }

    acct->nsessions--;

    if (!(s->flags & NGX_HTTP_SESSION_ENDED)) {
        if (--acct->nactive == 0) {
            sh->types[acct->type].accounts--;
            sh->accounts--;
        }
    }

    if (acct->nsessions == 0) {
        ngx_http_session_free_account(zone, acct);
    }
}


static void
ngx_http_session_free_account(ngx_http_session_zone_t *zone,
    ngx_http_session_account_t *acct)
{
    ngx_rbtree_delete(&zone->sh->account_tree, ngx_http_session_acnode(acct));
    ngx_slab_free_locked(zone->shpool, ngx_http_session_acnode(acct));
}


/*
 * A new name that does not fit the record's slab slot needs a new
 * record; the account's sessions are pointed at it.
 */

static ngx_int_t
ngx_http_session_rename_account(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, ngx_str_t *name)
{
    size_t                       size, osize;
    ngx_rbtree_node_t           *node;
    ngx_http_session_node_t     *t;
    ngx_http_session_account_t  *a, *old;

    old = ngx_http_session_acct(s);

    if (old->name_len == name->len
        && ngx_memcmp(old->data + old->id_len, name->data, name->len) == 0)
    {
        return NGX_OK;
    }

    osize = offsetof(ngx_rbtree_node_t, color)
            + offsetof(ngx_http_session_account_t, data)
            + old->id_len + old->name_len;
    size = osize - old->name_len + name->len;

    if (ngx_http_session_slot(size) == ngx_http_session_slot(osize)) {
        ngx_memcpy(old->data + old->id_len, name->data, name->len);
        old->name_len = (u_char) name->len;
        return NGX_OK;
    }

    /* an eviction cannot empty the old record: "s" stays in it */

    zone->sh->pinned_node = s;

    node = ngx_http_session_alloc(zone, size);
    if (node == NULL) {
        zone->sh->pinned_node = NULL;
        return NGX_ERROR;
    }

    zone->sh->pinned_node = NULL;

    node->key = ngx_http_session_acnode(old)->key;

    a = ngx_http_session_account(node);
    ngx_memcpy(a, old, offsetof(ngx_http_session_account_t, data));
    ngx_memcpy(a->data, old->data, old->id_len);
    ngx_memcpy(a->data + old->id_len, name->data, name->len);
    a->name_len = (u_char) name->len;

    t = ngx_http_session_at(&old->sessions, old->sessions.head);
    a->sessions.head = ngx_http_session_offset(&a->sessions, t);
    a->sessions.tail = ngx_http_session_offset(&a->sessions,
                                     ngx_http_session_at(&old->sessions,
                                                         old->sessions.tail));

    for ( /* void */ ; t; t = ngx_http_session_at(t, t->next)) {
        t->account = ngx_http_session_offset(t, a);
    }

    ngx_rbtree_delete(&zone->sh->account_tree, ngx_http_session_acnode(old));
    ngx_slab_free_locked(zone->shpool, ngx_http_session_acnode(old));

    ngx_rbtree_insert(&zone->sh->account_tree, node);

    return NGX_OK;
}


static void *
ngx_http_session_alloc(ngx_http_session_zone_t *zone, size_t size)
{
    void        *p;
    ngx_uint_t   i;

    for (i = 0; i < NGX_HTTP_SESSION_EVICT_TRIES; i++) {

        p = ngx_slab_alloc_locked(zone->shpool, size);
        if (p) {
            return p;
        }

        if (ngx_http_session_evict_one(zone) != NGX_OK) {
            break;
        }
    }

    zone->sh->failed++;

    return NULL;
}


/* logged-out sessions go first, then the least recently used one */

static ngx_int_t
ngx_http_session_evict_one(ngx_http_session_zone_t *zone)
{
    ngx_queue_t               *q;
    ngx_http_session_node_t   *s;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    if (!ngx_queue_empty(&sh->closed)) {
        q = ngx_queue_last(&sh->closed);
        s = ngx_queue_data(q, ngx_http_session_node_t, queue);

        if (s != sh->pinned_node) {
            ngx_http_session_delete(zone, s, NGX_HTTP_SESSION_GONE_ENDED);
            return NGX_OK;
        }
    }

    if (ngx_queue_empty(&sh->lru)) {
        return NGX_DECLINED;
    }

    q = ngx_queue_last(&sh->lru);
    s = ngx_queue_data(q, ngx_http_session_node_t, queue);

    if (s == sh->pinned_node) {
        return NGX_DECLINED;
    }

    ngx_http_session_delete(zone, s, NGX_HTTP_SESSION_GONE_EVICTED);

    sh->evicted++;

    return NGX_OK;
}


static void
ngx_http_session_delete(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, ngx_uint_t why)
{
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    ngx_http_session_detach(zone, s);

    ngx_queue_remove(&s->queue);
    ngx_rbtree_delete(&sh->session_tree, ngx_http_session_rbnode(s));
    ngx_http_session_index_delete(sh, s);

    if (s->flags & NGX_HTTP_SESSION_ENDED) {
        sh->types[s->type].closed--;
        sh->closed_sessions--;

    } else {
        sh->types[s->type].sessions--;
        sh->sessions--;

        if (why == NGX_HTTP_SESSION_GONE_EXPIRED) {
            sh->expired++;
        }
    }

    if (s->vars) {
        ngx_slab_free_locked(zone->shpool, ngx_http_session_vars(s));
    }

    ngx_slab_free_locked(zone->shpool, ngx_http_session_rbnode(s));

    sh->changes++;
}


static void
ngx_http_session_end(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, int64_t now)
{
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    if (s->flags & NGX_HTTP_SESSION_ENDED) {
        return;
    }

    sh->ended++;

    if (zone->keep_closed == 0) {
        ngx_http_session_delete(zone, s, NGX_HTTP_SESSION_GONE_ENDED);
        return;
    }

    ngx_http_session_close(zone, s, now);
}


/* a logged-out session stays listed with its logout time for a while */

static void
ngx_http_session_close(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, int64_t now)
{
    ngx_http_session_shctx_t    *sh;
    ngx_http_session_account_t  *acct;

    sh = zone->sh;
    acct = ngx_http_session_acct(s);

    if (acct && --acct->nactive == 0) {
        sh->types[acct->type].accounts--;
        sh->accounts--;
    }

    s->flags |= NGX_HTTP_SESSION_ENDED;
    s->logout = now;

    sh->types[s->type].sessions--;
    sh->sessions--;
    sh->types[s->type].closed++;
    sh->closed_sessions++;

    ngx_queue_remove(&s->queue);
    ngx_queue_insert_head(&sh->closed, &s->queue);

    sh->changes++;
}


/* called with the zone locked; returns how many sessions it removed */

ngx_uint_t
ngx_http_session_expire(ngx_http_session_zone_t *zone, ngx_uint_t max,
    int64_t now)
{
    ngx_uint_t                 n;
    ngx_queue_t               *q;
    ngx_http_session_node_t   *s;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    for (n = 0; n < max; /* void */ ) {

        if (!ngx_queue_empty(&sh->closed)) {
            q = ngx_queue_last(&sh->closed);
            s = ngx_queue_data(q, ngx_http_session_node_t, queue);

            if (s->logout + (int64_t) zone->keep_closed <= now) {
                ngx_http_session_delete(zone, s, NGX_HTTP_SESSION_GONE_ENDED);
                n++;
                continue;
            }
        }

        if (ngx_queue_empty(&sh->lru)) {
            break;
        }

        q = ngx_queue_last(&sh->lru);
        s = ngx_queue_data(q, ngx_http_session_node_t, queue);

        if (s->last + (int64_t) zone->timeout > now) {
            break;
        }

        ngx_http_session_delete(zone, s, NGX_HTTP_SESSION_GONE_EXPIRED);
        n++;
    }

    return n;
}


static ngx_http_session_node_t *
ngx_http_session_insert(ngx_http_session_zone_t *zone, u_char *digest,
    ngx_uint_t type, ngx_str_t *id, ngx_str_t *name, int64_t created)
{
    ngx_rbtree_node_t           *node;
    ngx_http_session_node_t     *s;
    ngx_http_session_shctx_t    *sh;
    ngx_http_session_account_t  *acct;

    sh = zone->sh;

    node = ngx_http_session_alloc(zone, offsetof(ngx_rbtree_node_t, color)
                                        + sizeof(ngx_http_session_node_t));
    if (node == NULL) {
        return NULL;
    }

    s = ngx_http_session_node(node);
    ngx_memzero(s, sizeof(ngx_http_session_node_t));

    node->key = ngx_http_session_digest_key(digest);
    ngx_memcpy(s->digest, digest + NGX_HTTP_SESSION_KEY_SIZE,
               NGX_HTTP_SESSION_REST_SIZE);

    s->type = (u_char) type;
    s->created = created;
    s->last = created;

    /*
     * Sessions without an account are in no account's array: one array
     * for all of them would cost a large memmove under the lock on every
     * expiry.  Walks find them in the session tree instead.
     */

    acct = NULL;

    if (id->len) {
        /* unlinked yet, so no eviction can reach it; the account can be */

        acct = ngx_http_session_get_account(zone, type, id, name);

        if (acct == NULL) {
            ngx_slab_free_locked(zone->shpool, node);
            return NULL;
        }
    }

    ngx_http_session_attach(zone, acct, s);

    ngx_rbtree_insert(&sh->session_tree, node);
    ngx_http_session_index_insert(sh, s);
    ngx_queue_insert_head(&sh->lru, &s->queue);

    sh->types[type].sessions++;
    sh->sessions++;
    sh->changes++;

    return s;
}


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

        ngx_queue_remove(&s->queue);
        ngx_queue_insert_head(&sh->lru, &s->queue);

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
    ngx_str_t                  none, *name;
    ngx_http_session_node_t     *s, *old;
    ngx_http_session_shctx_t    *sh;
    ngx_http_session_account_t  *acct;
    u_char                       vars[NGX_HTTP_SESSION_VARS_SIZE];

    sh = zone->sh;
    now = ngx_http_session_now();
    rc = NGX_OK;
    s = NULL;

    ngx_str_null(&none);

    ngx_http_session_lock(zone);

    up->evicted = sh->evicted;

    (void) ngx_http_session_expire(zone, NGX_HTTP_SESSION_EXPIRE_PER_REQUEST,
                                   now);

    if (ctx->live || (up->token.len && !ctx->looked_up)) {
        s = ngx_http_session_find_node(sh, ctx->digest);

        if (s && ((s->flags & NGX_HTTP_SESSION_ENDED)
                  || s->last + (int64_t) zone->timeout <= now))
        {
            if (!(s->flags & NGX_HTTP_SESSION_ENDED)) {
                ngx_http_session_delete(zone, s,
                                        NGX_HTTP_SESSION_GONE_EXPIRED);
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

            ngx_queue_remove(&s->queue);
            ngx_queue_insert_head(&sh->lru, &s->queue);
            sh->changes++;
        }

        ctx->looked_up = 1;
        ctx->live = (s != NULL);
        ctx->touched = ctx->live;
    }

    /* a logout ends the session the request came with */

    if (s && up->end) {
        ngx_http_session_end(zone, s, now);
        ctx->live = 0;
        ctx->ended = 1;
        s = NULL;
    }

    if (up->create.len) {
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
                ngx_queue_remove(&s->queue);
                ngx_queue_insert_head(&sh->lru, &s->queue);
                sh->changes++;
            }

        } else {
            name = up->id.len ? &up->name : &none;

            s = ngx_http_session_insert(zone, up->create_digest, up->type,
                                        up->id.len ? &up->id : &none, name,
                                        now);
            if (s == NULL) {
                rc = NGX_ERROR;
                goto done;
            }

            s->requests = 1;

            if (up->addr_len) {
                s->addr_len = up->addr_len;
                ngx_memcpy(s->addr, up->addr, up->addr_len);
            }

            sh->created++;
            ctx->created = 1;
        }

        ngx_memcpy(ctx->digest, up->create_digest,
                   NGX_HTTP_SESSION_DIGEST_LEN);
        ctx->live = 1;
        ctx->looked_up = 1;
        ctx->touched = 1;
        ctx->ended = 0;
    }

    if (s == NULL) {
        goto done;
    }

    /* the account */

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
        if (ngx_http_session_rename_account(zone, s, &up->name) != NGX_OK) {
            rc = NGX_ERROR;
        }
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
        ngx_memcpy(&len, ngx_http_session_vars(s), sizeof(uint16_t));

        q = ngx_http_session_vars(s) + sizeof(uint16_t);
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
            ngx_memcpy(&len, ngx_http_session_vars(s), sizeof(uint16_t));

            if ((size_t) (p - buf - sizeof(uint16_t)) == len) {
                return (size_t) -1;
            }
        }
    }

    len = (uint16_t) (p - buf - sizeof(uint16_t));
    ngx_memcpy(buf, &len, sizeof(uint16_t));

    return p - buf;
}


static ngx_int_t
ngx_http_session_set_vars(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, u_char *vars, size_t len)
{
    u_char    *p;
    uint16_t   olen;

    if (s->vars) {
        ngx_memcpy(&olen, ngx_http_session_vars(s), sizeof(uint16_t));

        if (ngx_http_session_slot(olen + sizeof(uint16_t))
            == ngx_http_session_slot(len))
        {
            ngx_memcpy(ngx_http_session_vars(s), vars, len);
            zone->sh->changes++;
            return NGX_OK;
        }
    }

    p = ngx_http_session_alloc(zone, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, vars, len);

    if (s->vars) {
        ngx_slab_free_locked(zone->shpool, ngx_http_session_vars(s));
    }

    s->vars = ngx_http_session_offset(s, p);
    zone->sh->changes++;

    return NGX_OK;
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
        ngx_memcpy(&len, ngx_http_session_vars(s), sizeof(uint16_t));
        ngx_memcpy(ctx->vars, ngx_http_session_vars(s) + sizeof(uint16_t),
                   len);
        ctx->vars_len = len;

    } else {
        ctx->vars_len = 0;
    }
}


/*
 * Brings one session into the zone: from the state file, or from the
 * zone this one replaces.  A session already present is left alone.
 */

ngx_int_t
ngx_http_session_import(ngx_http_session_zone_t *zone,
    ngx_http_session_import_t *im)
{
    int64_t                    now, created, last, logout;
    uint16_t                   len;
    ngx_int_t                  type, rc;
    ngx_str_t                  none;
    ngx_http_session_node_t   *s;
    ngx_http_session_shctx_t  *sh;
    u_char                     vars[NGX_HTTP_SESSION_VARS_SIZE];

    sh = zone->sh;
    rc = NGX_OK;

    ngx_str_null(&none);

    if (im->vars.len > NGX_HTTP_SESSION_VARS_SIZE - sizeof(uint16_t)) {
        return NGX_DECLINED;
    }

    now = ngx_http_session_now();

    /*
     * Times after now (saved while the clock ran ahead) are now: a
     * session last used in the future would not expire, and would stop
     * the expiry of all the sessions behind it in the LRU queue.
     */

    last = ngx_min(im->last, now);
    created = ngx_min(im->created, last);
    logout = ngx_min(im->logout, now);

    if (logout
        ? logout + (int64_t) zone->keep_closed <= now
        : last + (int64_t) zone->timeout <= now)
    {
        return NGX_DECLINED;
    }

    ngx_http_session_lock(zone);

    if (ngx_http_session_find_node(sh, im->digest)) {
        rc = NGX_DECLINED;
        goto done;
    }

    type = ngx_http_session_type_index(zone, &im->type);
    if (type == NGX_ERROR) {
        rc = NGX_DECLINED;
        goto done;
    }

    s = ngx_http_session_insert(zone, im->digest, type,
                                im->id.len ? &im->id : &none,
                                im->id.len ? &im->name : &none,
                                created);
    if (s == NULL) {
        rc = NGX_ERROR;
        goto done;
    }

    s->last = last;
    s->requests = im->requests;
    s->addr_len = im->addr_len;
    ngx_memcpy(s->addr, im->addr, 16);

    if (im->vars.len) {
        len = (uint16_t) im->vars.len;
        ngx_memcpy(vars, &len, sizeof(uint16_t));
        ngx_memcpy(vars + sizeof(uint16_t), im->vars.data, im->vars.len);

        sh->pinned_node = s;
        (void) ngx_http_session_set_vars(zone, s, vars,
                                         im->vars.len + sizeof(uint16_t));
        sh->pinned_node = NULL;
    }

    if (logout) {
        ngx_http_session_close(zone, s, logout);
    }

    /* ngx_http_session_import_done() puts the queues back in order */

done:

    ngx_http_session_unlock(zone);

    return rc;
}


/* a session copied out of a zone, as ngx_http_session_import() takes it */

void
ngx_http_session_record_import(ngx_http_session_record_t *rec,
    ngx_http_session_type_t *type, ngx_http_session_import_t *im)
{
    ngx_memcpy(im->digest, rec->digest, NGX_HTTP_SESSION_DIGEST_LEN);

    im->type.len = type->len;
    im->type.data = type->name;
    im->id = rec->id;
    im->name = rec->name;
    im->vars = rec->vars;
    im->addr_len = rec->addr_len;
    ngx_memcpy(im->addr, rec->addr, 16);
    im->requests = rec->requests;
    im->created = rec->created;
    im->last = rec->last;
    im->logout = rec->ended ? rec->logout : 0;
}


void
ngx_http_session_import_done(ngx_http_session_zone_t *zone)
{
    ngx_http_session_lock(zone);
    ngx_http_session_sort(&zone->sh->lru, 0);
    ngx_http_session_sort(&zone->sh->closed, 1);
    ngx_http_session_unlock(zone);
}


/*
 * Imports arrive in any order; expiry and eviction need the queues
 * newest first.  A merge sort on the "next" links, O(n log n), where
 * ngx_queue_sort() would take O(n^2) for a million sessions.
 */

static ngx_inline int64_t
ngx_http_session_sort_key(ngx_queue_t *q, ngx_uint_t closed)
{
    ngx_http_session_node_t  *s;

    s = ngx_queue_data(q, ngx_http_session_node_t, queue);

    return closed ? s->logout : s->last;
}


static void
ngx_http_session_sort(ngx_queue_t *queue, ngx_uint_t closed)
{
    ngx_uint_t    k, i, n1, n2, merges;
    ngx_queue_t  *list, *p, *q, *e, *tail, *prev;

    if (ngx_queue_empty(queue)) {
        return;
    }

    /* a NULL-terminated singly linked list through "next" */
    list = ngx_queue_head(queue);
    ngx_queue_last(queue)->next = NULL;

    for (k = 1; /* void */ ; k *= 2) {
        p = list;
        list = NULL;
        tail = NULL;
        merges = 0;

        while (p) {
            merges++;
            q = p;
            n1 = 0;

            for (i = 0; i < k && q; i++) {
                n1++;
                q = q->next;
            }

            n2 = k;

            while (n1 || (n2 && q)) {

                if (n1 == 0) {
                    e = q;
                    q = q->next;
                    n2--;

                } else if (n2 == 0 || q == NULL) {
                    e = p;
                    p = p->next;
                    n1--;

                } else if (ngx_http_session_sort_key(p, closed)
                           >= ngx_http_session_sort_key(q, closed))
                {
                    e = p;
                    p = p->next;
                    n1--;

                } else {
                    e = q;
                    q = q->next;
                    n2--;
                }

                if (tail) {
                    tail->next = e;

                } else {
                    list = e;
                }

                tail = e;
            }

            p = q;
        }

        tail->next = NULL;

        if (merges <= 1) {
            break;
        }
    }

    /* relink both ways */

    prev = queue;

    for (e = list; e; e = e->next) {
        e->prev = prev;
        prev->next = e;
        prev = e;
    }

    prev->next = queue;
    queue->prev = prev;
}


/* the most a record can take from the arena */
#define NGX_HTTP_SESSION_RECORD_ARENA                                        \
    (NGX_HTTP_SESSION_ID_MAX + NGX_HTTP_SESSION_NAME_MAX                     \
     + NGX_HTTP_SESSION_VARS_SIZE)


ngx_int_t
ngx_http_session_batch_init(ngx_pool_t *pool, ngx_http_session_batch_t *batch,
    ngx_uint_t max)
{
    batch->records = ngx_palloc(pool, max * sizeof(ngx_http_session_record_t));
    if (batch->records == NULL) {
        return NGX_ERROR;
    }

    batch->arena_size = ngx_min(max * NGX_HTTP_SESSION_RECORD_ARENA,
                                NGX_HTTP_SESSION_ARENA);

    batch->arena = ngx_palloc(pool, batch->arena_size);
    if (batch->arena == NULL) {
        return NGX_ERROR;
    }

    batch->max = max;
    batch->nrecords = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_copy_record(ngx_http_session_node_t *s,
    ngx_http_session_batch_t *batch, u_char **arena)
{
    u_char                      *p;
    uint16_t                     len;
    ngx_rbtree_node_t           *node;
    ngx_http_session_record_t   *rec;
    ngx_http_session_account_t  *acct;

    if (batch->nrecords == batch->max
        || *arena + NGX_HTTP_SESSION_RECORD_ARENA
           > batch->arena + batch->arena_size)
    {
        return NGX_DECLINED;
    }

    rec = &batch->records[batch->nrecords++];
    node = ngx_http_session_rbnode(s);

    ngx_memcpy(rec->digest, &node->key, NGX_HTTP_SESSION_KEY_SIZE);
    ngx_memcpy(rec->digest + NGX_HTTP_SESSION_KEY_SIZE, s->digest,
               NGX_HTTP_SESSION_REST_SIZE);

    rec->type = s->type;
    rec->ended = (s->flags & NGX_HTTP_SESSION_ENDED) ? 1 : 0;
    rec->addr_len = s->addr_len;
    ngx_memcpy(rec->addr, s->addr, 16);
    rec->requests = s->requests;
    rec->created = s->created;
    rec->last = s->last;
    rec->logout = s->logout;
    rec->seq = s->seq;

    p = *arena;
    acct = ngx_http_session_acct(s);

    rec->id.data = p;
    rec->id.len = 0;
    rec->name.len = 0;

    if (acct) {
        rec->id.len = acct->id_len;
        p = ngx_cpymem(p, acct->data, acct->id_len);

        rec->name.len = acct->name_len;
        p = ngx_cpymem(p, acct->data + acct->id_len, acct->name_len);
    }

    rec->name.data = rec->id.data + rec->id.len;

    rec->vars.data = p;
    rec->vars.len = 0;

    if (s->vars) {
        ngx_memcpy(&len, ngx_http_session_vars(s), sizeof(uint16_t));
        rec->vars.len = len;
        p = ngx_cpymem(p, ngx_http_session_vars(s) + sizeof(uint16_t), len);
    }

    *arena = p;

    return NGX_OK;
}


/*
 * A session past its timeout (or a logged-out one past keep_closed) is
 * gone for lookups already; listings agree with them, whether or not
 * the sweeping timer has removed it yet.
 */

static ngx_inline ngx_uint_t
ngx_http_session_wanted(ngx_http_session_zone_t *zone,
    ngx_http_session_cursor_t *cur, ngx_http_session_node_t *s, int64_t now)
{
    if (s->flags & NGX_HTTP_SESSION_ENDED) {
        if (!cur->closed || s->logout + (int64_t) zone->keep_closed <= now) {
            return 0;
        }

    } else if (s->last + (int64_t) zone->timeout <= now) {
        return 0;
    }

    if (cur->walk != NGX_HTTP_SESSION_WALK_TREE) {
        return 1;
    }

    return cur->type == 0 || s->type == cur->type - 1;
}


/*
 * The list a list walk is in.  For the accounts of a type, the first
 * account at or after the cursor: if the cursor's own account is gone,
 * the walk goes on with the next one from its first session.
 */

static ngx_http_session_list_t *
ngx_http_session_walk_list(ngx_http_session_zone_t *zone,
    ngx_http_session_cursor_t *cur)
{
    ngx_rbtree_key_t             key, last;
    ngx_rbtree_node_t           *node;
    ngx_http_session_account_t  *acct;

    if (cur->walk == NGX_HTTP_SESSION_WALK_ANONYMOUS) {
        return &zone->sh->types[cur->type].anonymous_list;
    }

    if (cur->walk == NGX_HTTP_SESSION_WALK_ACCOUNT) {

        while (cur->acct_type < zone->sh->ntypes) {
            key = ngx_http_session_account_key(zone, cur->acct_type,
                                               cur->id.data, cur->id.len);
            acct = ngx_http_session_find_account(zone, cur->id.data,
                                                 cur->id.len, key);
            if (acct) {
                return &acct->sessions;
            }

            cur->acct_type++;
            cur->seq = 0;
        }

        return NULL;
    }

    /* WALK_TYPE */

    if (!cur->started) {
        cur->acct_key = ngx_http_session_type_key(cur->type);
        cur->acct_id_len = 0;
        cur->seq = 0;
        cur->started = 1;
    }

    last = ngx_http_session_type_key(cur->type) | NGX_HTTP_SESSION_TYPE_KEYS;

    node = ngx_http_session_account_after(zone->sh, cur->acct_key,
                                          cur->acct_id, cur->acct_id_len, 1);

    if (node == NULL || node->key > last) {
        return NULL;
    }

    acct = ngx_http_session_account(node);

    if (node->key != cur->acct_key
        || ngx_memn2cmp(acct->data, cur->acct_id, acct->id_len,
                        cur->acct_id_len)
           != 0)
    {
        cur->acct_key = node->key;
        cur->acct_id_len = acct->id_len;
        ngx_memcpy(cur->acct_id, acct->data, acct->id_len);
        cur->seq = 0;
    }

    return &acct->sessions;
}


/* the walk's next list; "list" is the one just walked, in this hold */

static void
ngx_http_session_walk_next(ngx_http_session_zone_t *zone,
    ngx_http_session_cursor_t *cur, ngx_http_session_list_t *list)
{
    ngx_rbtree_node_t           *node;
    ngx_http_session_account_t  *acct;

    cur->seq = 0;

    if (cur->walk == NGX_HTTP_SESSION_WALK_ANONYMOUS) {
        cur->done = 1;
        return;
    }

    if (cur->walk == NGX_HTTP_SESSION_WALK_ACCOUNT) {
        cur->acct_type++;
        return;
    }

    /* the account is still there: its successor without a descent */

    acct = (ngx_http_session_account_t *)
               ((u_char *) list - offsetof(ngx_http_session_account_t,
                                           sessions));

    node = ngx_rbtree_next(&zone->sh->account_tree,
                           ngx_http_session_acnode(acct));

    if (node == NULL
        || node->key > (ngx_http_session_type_key(cur->type)
                        | NGX_HTTP_SESSION_TYPE_KEYS))
    {
        cur->done = 1;
        return;
    }

    acct = ngx_http_session_account(node);

    cur->acct_key = node->key;
    cur->acct_id_len = acct->id_len;
    ngx_memcpy(cur->acct_id, acct->data, acct->id_len);
}


/*
 * Where a list walk goes on: after the session it handed out last,
 * found by its digest; if that one is gone meanwhile (or moved to
 * another list), after its seq, which takes a scan of the list.  The
 * scan counts against the batch's visits: when they run out, the digest
 * names the session it reached (its seq below the cursor's), the next
 * batch scans on from there, and NULL is returned with "budget" 0.
 */

static ngx_http_session_node_t *
ngx_http_session_walk_resume(ngx_http_session_shctx_t *sh,
    ngx_http_session_list_t *list, ngx_http_session_cursor_t *cur,
    ngx_uint_t *budget)
{
    ngx_rbtree_node_t        *node;
    ngx_http_session_node_t  *s;

    if (cur->seq == 0) {
        return ngx_http_session_at(list, list->head);
    }

    s = ngx_http_session_find_node(sh, cur->digest);

    if (s == NULL
        || ngx_http_session_list_of(sh, s) != list
        || s->seq > cur->seq)
    {
        s = ngx_http_session_at(list, list->head);

    } else if (s->seq == cur->seq) {
        return ngx_http_session_at(s, s->next);
    }

    for ( /* void */ ; s && s->seq <= cur->seq;
         s = ngx_http_session_at(s, s->next))
    {
        if (*budget == 0) {
            node = ngx_http_session_rbnode(s);
            ngx_memcpy(cur->digest, &node->key, NGX_HTTP_SESSION_KEY_SIZE);
            ngx_memcpy(cur->digest + NGX_HTTP_SESSION_KEY_SIZE, s->digest,
                       NGX_HTTP_SESSION_REST_SIZE);
            return NULL;
        }

        (*budget)--;
    }

    return s;
}


/*
 * Copies the next batch of sessions in the cursor's order: the lock is
 * held for one bounded batch (a bounded number of sessions visited, not
 * only copied, so a filter that skips most of them cannot stretch it),
 * and the cursor names the last session handed out by its key, so the
 * walk resumes correctly whatever expired or was created meanwhile, and
 * never hands out a session twice.
 */

ngx_int_t
ngx_http_session_read(ngx_http_session_zone_t *zone,
    ngx_http_session_cursor_t *cur, ngx_http_session_batch_t *batch)
{
    u_char                      *arena;
    int64_t                      now;
    ngx_uint_t                   visited, limit, budget;
    ngx_rbtree_node_t           *node;
    ngx_http_session_node_t     *s;
    ngx_http_session_list_t     *list;
    ngx_http_session_shctx_t    *sh;

    batch->nrecords = 0;

    if (cur->done) {
        return NGX_OK;
    }

    sh = zone->sh;
    arena = batch->arena;
    visited = 0;
    limit = batch->max * 4;
    now = ngx_http_session_now();

    ngx_http_session_lock(zone);

    if (cur->walk == NGX_HTTP_SESSION_WALK_TREE) {

        node = ngx_http_session_node_after(sh, cur->digest, cur->started);

        while (node && visited++ < limit) {
            s = ngx_http_session_node(node);

            if (ngx_http_session_wanted(zone, cur, s, now)
                && ngx_http_session_copy_record(s, batch, &arena) != NGX_OK)
            {
                break;
            }

            ngx_memcpy(cur->digest, &node->key, NGX_HTTP_SESSION_KEY_SIZE);
            ngx_memcpy(cur->digest + NGX_HTTP_SESSION_KEY_SIZE, s->digest,
                       NGX_HTTP_SESSION_REST_SIZE);
            cur->started = 1;

            node = ngx_rbtree_next(&sh->session_tree, node);
        }

        if (node == NULL) {
            cur->done = 1;
        }

        goto done;
    }

    /*
     * list walks: the accounts of a type, one account id in every type,
     * or the sessions of a type without an account
     */

    if (!cur->newest_set) {
        cur->newest = sh->seq;
        cur->newest_set = 1;
    }

    for ( ;; ) {

        list = ngx_http_session_walk_list(zone, cur);

        if (list == NULL) {
            cur->done = 1;
            goto done;
        }

        budget = limit - visited;

        s = ngx_http_session_walk_resume(sh, list, cur, &budget);

        if (s == NULL && budget == 0) {
            goto done;
        }

        visited = limit - budget;

        for ( /* void */ ; s; s = ngx_http_session_at(s, s->next)) {

            if (s->seq > cur->newest) {
                /* joined the list after the walk began, as all after it */
                break;
            }

            if (visited++ == limit) {
                goto done;
            }

            if (ngx_http_session_wanted(zone, cur, s, now)
                && ngx_http_session_copy_record(s, batch, &arena) != NGX_OK)
            {
                goto done;
            }

            cur->seq = s->seq;
            ngx_memcpy(cur->digest, &ngx_http_session_rbnode(s)->key,
                       NGX_HTTP_SESSION_KEY_SIZE);
            ngx_memcpy(cur->digest + NGX_HTTP_SESSION_KEY_SIZE, s->digest,
                       NGX_HTTP_SESSION_REST_SIZE);
        }

        ngx_http_session_walk_next(zone, cur, list);

        if (cur->done) {
            goto done;
        }
    }

done:

    ngx_http_session_unlock(zone);

    return NGX_OK;
}


/* one session by its digest, open or logged out, not touched */

ngx_int_t
ngx_http_session_read_one(ngx_http_session_zone_t *zone, u_char *digest,
    ngx_http_session_batch_t *batch)
{
    u_char                     *arena;
    int64_t                     now;
    ngx_int_t                   rc;
    ngx_http_session_node_t    *s;
    ngx_http_session_cursor_t   cur;

    batch->nrecords = 0;
    arena = batch->arena;
    rc = NGX_DECLINED;
    now = ngx_http_session_now();

    ngx_memzero(&cur, sizeof(ngx_http_session_cursor_t));
    cur.closed = 1;

    ngx_http_session_lock(zone);

    s = ngx_http_session_find_node(zone->sh, digest);

    if (s && ngx_http_session_wanted(zone, &cur, s, now)) {
        rc = ngx_http_session_copy_record(s, batch, &arena);
    }

    ngx_http_session_unlock(zone);

    return rc;
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
    st->ntypes = sh->ntypes;
    ngx_memcpy(st->types, sh->types, sizeof(sh->types));

    ngx_http_session_unlock(zone);

    /* the pages the slab allocator handed out, headers and all */
    st->used = (shpool->end - shpool->start) - st->free;
    st->timeout = zone->timeout;
    st->keep_closed = zone->keep_closed;
}


#if (NGX_HTTP_SESSION_CHECK)

/*
 * Every invariant the zone keeps, checked the slow way, walking all of
 * it: built only for the store fuzzer (fuzz/fuzz_store.c), which calls it
 * after each operation.  Returns NULL, or what is wrong.
 */

#define ngx_http_session_check_that(expr)                                    \
    if (!(expr)) {                                                           \
        return #expr;                                                        \
    }

static const char *ngx_http_session_check_list(ngx_http_session_shctx_t *sh,
    ngx_http_session_list_t *list, ngx_http_session_account_t *acct,
    ngx_uint_t type, uint64_t *n, uint64_t *active);


const char *
ngx_http_session_check(ngx_http_session_zone_t *zone)
{
    uint64_t                     total, n, active, listed, accounts;
    uint64_t                     open[NGX_HTTP_SESSION_MAX_TYPES];
    uint64_t                     closed[NGX_HTTP_SESSION_MAX_TYPES];
    uint64_t                     anon[NGX_HTTP_SESSION_MAX_TYPES];
    uint64_t                     accts[NGX_HTTP_SESSION_MAX_TYPES];
    int64_t                      last;
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    ngx_uint_t                   t;
    const char                  *err;
    ngx_queue_t                 *q;
    ngx_rbtree_node_t           *node, *root, *sentinel;
    ngx_http_session_node_t     *s;
    ngx_http_session_shctx_t    *sh;
    ngx_http_session_account_t  *acct;

    sh = zone->sh;

    ngx_memzero(open, sizeof(open));
    ngx_memzero(closed, sizeof(closed));
    ngx_memzero(anon, sizeof(anon));
    ngx_memzero(accts, sizeof(accts));

    /* the session tree: each node found by its digest, counted by type */

    total = 0;
    root = sh->session_tree.root;
    sentinel = sh->session_tree.sentinel;

    for (node = (root == sentinel) ? NULL : ngx_rbtree_min(root, sentinel);
         node;
         node = ngx_rbtree_next(&sh->session_tree, node))
    {
        s = ngx_http_session_node(node);
        total++;

        ngx_http_session_check_that(s->type < sh->ntypes);

        ngx_memcpy(digest, &node->key, NGX_HTTP_SESSION_KEY_SIZE);
        ngx_memcpy(digest + NGX_HTTP_SESSION_KEY_SIZE, s->digest,
                   NGX_HTTP_SESSION_REST_SIZE);
        ngx_http_session_check_that(
            ngx_http_session_find_node(sh, digest) == s);

        if (s->flags & NGX_HTTP_SESSION_ENDED) {
            closed[s->type]++;

        } else {
            open[s->type]++;
        }

        acct = ngx_http_session_acct(s);

        if (acct == NULL) {
            anon[s->type]++;

        } else {
            ngx_http_session_check_that(acct->type == s->type);
        }
    }

    ngx_http_session_check_that(
        total == sh->sessions + sh->closed_sessions);

    /* the index: one entry a session, each at its home slot's run */

    n = 0;

    for (t = 0; t < sh->index_size; t++) {
        if (sh->index[t]) {
            n++;
        }
    }

    ngx_http_session_check_that(n == total);

    n = 0;

    for (t = 0; t < sh->ntypes; t++) {
        ngx_http_session_check_that(open[t] == sh->types[t].sessions);
        ngx_http_session_check_that(closed[t] == sh->types[t].closed);
        ngx_http_session_check_that(anon[t] == sh->types[t].anonymous);
        n += open[t];
    }

    ngx_http_session_check_that(n == sh->sessions);

    /* the queues: open sessions newest first, logged-out ones likewise */

    n = 0;
    last = INT64_MAX;

    for (q = ngx_queue_head(&sh->lru);
         q != ngx_queue_sentinel(&sh->lru);
         q = ngx_queue_next(q))
    {
        s = ngx_queue_data(q, ngx_http_session_node_t, queue);
        ngx_http_session_check_that(!(s->flags & NGX_HTTP_SESSION_ENDED));
        ngx_http_session_check_that(s->last <= last);
        last = s->last;
        n++;
    }

    ngx_http_session_check_that(n == sh->sessions);

    n = 0;
    last = INT64_MAX;

    for (q = ngx_queue_head(&sh->closed);
         q != ngx_queue_sentinel(&sh->closed);
         q = ngx_queue_next(q))
    {
        s = ngx_queue_data(q, ngx_http_session_node_t, queue);
        ngx_http_session_check_that(s->flags & NGX_HTTP_SESSION_ENDED);
        ngx_http_session_check_that(s->logout <= last);
        last = s->logout;
        n++;
    }

    ngx_http_session_check_that(n == sh->closed_sessions);

    /* every account's list, and the lists without an account */

    listed = 0;
    accounts = 0;
    root = sh->account_tree.root;
    sentinel = sh->account_tree.sentinel;

    for (node = (root == sentinel) ? NULL : ngx_rbtree_min(root, sentinel);
         node;
         node = ngx_rbtree_next(&sh->account_tree, node))
    {
        acct = ngx_http_session_account(node);

        ngx_http_session_check_that(acct->type < sh->ntypes);
        ngx_http_session_check_that(node->key
            == ngx_http_session_account_key(zone, acct->type, acct->data,
                                            acct->id_len));

        err = ngx_http_session_check_list(sh, &acct->sessions, acct,
                                          acct->type, &n, &active);
        if (err) {
            return err;
        }

        ngx_http_session_check_that(n > 0);
        ngx_http_session_check_that(n == acct->nsessions);
        ngx_http_session_check_that(active == acct->nactive);

        if (active) {
            accts[acct->type]++;
            accounts++;
        }

        listed += n;
    }

    for (t = 0; t < sh->ntypes; t++) {
        err = ngx_http_session_check_list(sh, &sh->types[t].anonymous_list,
                                          NULL, t, &n, &active);
        if (err) {
            return err;
        }

        ngx_http_session_check_that(n == sh->types[t].anonymous);
        ngx_http_session_check_that(accts[t] == sh->types[t].accounts);

        listed += n;
    }

    ngx_http_session_check_that(listed == total);
    ngx_http_session_check_that(accounts == sh->accounts);

    return NULL;
}


static const char *
ngx_http_session_check_list(ngx_http_session_shctx_t *sh,
    ngx_http_session_list_t *list, ngx_http_session_account_t *acct,
    ngx_uint_t type, uint64_t *n, uint64_t *active)
{
    uint64_t                  seq;
    ngx_http_session_node_t  *s, *prev;

    *n = 0;
    *active = 0;
    seq = 0;
    prev = NULL;

    for (s = ngx_http_session_at(list, list->head);
         s;
         s = ngx_http_session_at(s, s->next))
    {
        ngx_http_session_check_that(ngx_http_session_acct(s) == acct);
        ngx_http_session_check_that(s->type == type);
        ngx_http_session_check_that(ngx_http_session_at(s, s->prev)
                                    == prev);
        ngx_http_session_check_that(s->seq > seq);
        ngx_http_session_check_that(s->seq <= sh->seq);

        seq = s->seq;
        prev = s;

        (*n)++;

        if (!(s->flags & NGX_HTTP_SESSION_ENDED)) {
            (*active)++;
        }
    }

    ngx_http_session_check_that(ngx_http_session_at(list, list->tail)
                                == prev);

    return NULL;
}

#endif
