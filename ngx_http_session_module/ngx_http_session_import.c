
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_shm.h"


/*
 * Bringing sessions into the zone: from the zone a resizing reload
 * replaces, and from the state file (ngx_http_session_import()), with
 * the queues put back in order afterwards.  Calls the lock, the index,
 * the records, the type registry and the batch reader
 * (ngx_http_session_lock.c, _index.c, _store.c, _zone.c, _read.c).
 */


static ngx_int_t ngx_http_session_sort(ngx_http_session_link_t *queue,
    ngx_uint_t closed, ngx_log_t *log);
static int ngx_libc_cdecl ngx_http_session_sort_cmp(const void *one,
    const void *two);


typedef struct {
    int64_t                      key;
    ngx_http_session_link_t     *q;
} ngx_http_session_sort_t;


/*
 * A zone whose size changed on reload is a new zone; the old one is
 * still mapped while the new cycle is being set up, and its workers are
 * still running, so its sessions are copied over in short lock holds.
 */

ngx_int_t
ngx_http_session_zone_copy(ngx_http_session_zone_t *zone)
{
    ngx_uint_t                   i, n;
    ngx_pool_t                  *pool;
    ngx_list_part_t             *part;
    ngx_shm_zone_t              *shm_zone;
    ngx_str_t                    type;
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

    if (zone->secret
        && ngx_memcmp(zone->sh->key, ozone->sh->key,
                      NGX_HTTP_SESSION_KEY_LEN)
           != 0)
    {
        ngx_destroy_pool(pool);
        ngx_log_error(NGX_LOG_WARN, zone->log, 0,
                      "session zone \"%V\" resized with a new secret=: "
                      "the sessions made under the old key are left out",
                      &zone->name);
        return NGX_OK;
    }

    ngx_memcpy(zone->sh->key, ozone->sh->key, NGX_HTTP_SESSION_KEY_LEN);

    ngx_memzero(&cur, sizeof(ngx_http_session_cursor_t));
    cur.walk = NGX_HTTP_SESSION_WALK_TREE;
    cur.closed = 1;

    n = 0;

    while (!cur.done) {
        if (ngx_http_session_read(ozone, &cur, &batch) != NGX_OK) {
            /* the old zone's lock was not released: said in the log */
            ngx_destroy_pool(pool);
            return NGX_ERROR;
        }

        for (i = 0; i < batch.nrecords; i++) {
            rec = &batch.records[i];

            type.len = ozone->sh->types[rec->type].len;
            type.data = ozone->sh->types[rec->type].name;

            ngx_http_session_record_import(rec, &type, &im);

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


/*
 * Brings one session into the zone: from the state file, or from the
 * zone this one replaces.  A session already present is left alone.
 */

ngx_int_t
ngx_http_session_import(ngx_http_session_zone_t *zone,
    ngx_http_session_import_t *im)
{
    int64_t    now;
    ngx_int_t  rc;

    if (im->vars.len > NGX_HTTP_SESSION_VARS_SIZE - sizeof(uint16_t)) {
        return NGX_DECLINED;
    }

    now = ngx_http_session_now();

    ngx_http_session_lock(zone);

    if (ngx_http_session_find_node(zone->sh, im->digest)) {
        rc = NGX_DECLINED;

    } else {
        rc = ngx_http_session_add(zone, im, now);
    }

    ngx_http_session_unlock(zone);

    return rc;
}


/*
 * Called with the zone locked, for a session the zone does not hold:
 * by ngx_http_session_import() and ngx_http_session_apply().
 */

ngx_int_t
ngx_http_session_add(ngx_http_session_zone_t *zone,
    ngx_http_session_import_t *im, int64_t now)
{
    int64_t                    created, last, logout;
    uint16_t                   len;
    ngx_int_t                  type;
    ngx_str_t                  none;
    ngx_http_session_node_t   *s;
    ngx_http_session_shctx_t  *sh;
    u_char                     vars[NGX_HTTP_SESSION_VARS_SIZE];

    sh = zone->sh;

    ngx_str_null(&none);

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

    type = ngx_http_session_type_index(zone, &im->type);
    if (type == NGX_ERROR) {
        return NGX_DECLINED;
    }

    s = ngx_http_session_insert(zone, im->digest, type,
                                im->id.len ? &im->id : &none,
                                im->id.len ? &im->name : &none,
                                created);
    if (s == NULL) {
        return NGX_ERROR;
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

    /*
     * The queues stay newest first only roughly: the state file's loader
     * sorts them once it is done (ngx_http_session_import_done()); a
     * session another node sent (ngx_http_session_merge()) was mostly
     * used a moment ago.  Lookups check the times themselves, so an
     * older session out of place only leaves the zone a little late.
     */

    return NGX_OK;
}


/* a session copied out of a zone, as ngx_http_session_import() takes it */

void
ngx_http_session_record_import(ngx_http_session_record_t *rec,
    ngx_str_t *type, ngx_http_session_import_t *im)
{
    ngx_memcpy(im->digest, rec->digest, NGX_HTTP_SESSION_DIGEST_LEN);

    im->type = *type;
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
    ngx_int_t  rc;

    ngx_http_session_lock(zone);

    rc = ngx_http_session_sort(&zone->sh->lru, 0, zone->log);

    if (rc == NGX_OK) {
        rc = ngx_http_session_sort(&zone->sh->closed, 1, zone->log);
    }

    ngx_http_session_unlock(zone);

    if (rc != NGX_OK) {
        /* lookups check the times: the out of order only expire late */
        ngx_log_error(NGX_LOG_WARN, zone->log, 0,
                      "session zone \"%V\": no memory to sort its queues, "
                      "some sessions will expire late", &zone->name);
    }
}


/*
 * Imports arrive in any order; expiry and eviction need the queues
 * newest first.  The queue's sessions and their times are copied into
 * an array, sorted there and linked back: two walks of the scattered
 * records.  The master's own memory, freed at once; NGX_ERROR when
 * there is none to spare.
 */

static ngx_int_t
ngx_http_session_sort(ngx_http_session_link_t *queue, ngx_uint_t closed,
    ngx_log_t *log)
{
    ngx_uint_t                 n, i;
    ngx_http_session_link_t   *q;
    ngx_http_session_node_t   *s;
    ngx_http_session_sort_t   *a;

    n = 0;

    for (q = ngx_http_session_queue_head(queue);
         q != queue;
         q = ngx_http_session_queue_next(q))
    {
        n++;
    }

    if (n < 2) {
        return NGX_OK;
    }

    a = ngx_alloc(n * sizeof(ngx_http_session_sort_t), log);
    if (a == NULL) {
        return NGX_ERROR;
    }

    i = 0;

    for (q = ngx_http_session_queue_head(queue);
         q != queue;
         q = ngx_http_session_queue_next(q))
    {
        s = ngx_http_session_queue_node(q);
        a[i].key = closed ? s->logout : s->last;
        a[i].q = q;
        i++;
    }

    ngx_qsort(a, n, sizeof(ngx_http_session_sort_t),
              ngx_http_session_sort_cmp);

    ngx_http_session_queue_init(queue);

    for (i = 0; i < n; i++) {
        ngx_http_session_queue_insert_tail(queue, a[i].q);
    }

    ngx_free(a);

    return NGX_OK;
}


/* newest first; equal times by address, so that the order is one */

static int ngx_libc_cdecl
ngx_http_session_sort_cmp(const void *one, const void *two)
{
    const ngx_http_session_sort_t  *a, *b;

    a = one;
    b = two;

    if (a->key != b->key) {
        return (a->key < b->key) ? 1 : -1;
    }

    return (a->q < b->q) ? -1 : (a->q > b->q);
}
