
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_shm.h"


/*
 * The session records in the zone: creating and deleting them, their
 * accounts and the lists of an account's sessions, their variables,
 * logging out, expiry, and eviction when the zone is full.  Called with
 * the zone locked; calls the index (ngx_http_session_index.c).
 */


/* how many sessions an allocation may evict before it gives up */
#define NGX_HTTP_SESSION_EVICT_TRIES          64


static void ngx_http_session_free_account(ngx_http_session_zone_t *zone,
    ngx_http_session_account_t *acct);
static ngx_int_t ngx_http_session_evict_one(ngx_http_session_zone_t *zone);
static ngx_http_session_node_t *ngx_http_session_alloc_record(
    ngx_http_session_zone_t *zone);
static ngx_http_session_node_t *ngx_http_session_new_chunk(
    ngx_http_session_zone_t *zone);
static void ngx_http_session_free_record(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s);


ngx_http_session_node_t *
ngx_http_session_insert(ngx_http_session_zone_t *zone, u_char *digest,
    ngx_uint_t type, ngx_str_t *id, ngx_str_t *name, int64_t created)
{
    ngx_http_session_node_t     *s;
    ngx_http_session_shctx_t    *sh;
    ngx_http_session_account_t  *acct;

    sh = zone->sh;

    s = ngx_http_session_alloc_record(zone);
    if (s == NULL) {
        return NULL;
    }

    ngx_memcpy(s->digest, digest, NGX_HTTP_SESSION_DIGEST_LEN);

    s->type = (u_char) type;
    s->created = created;
    s->last = created;

    /*
     * Sessions without an account are in no account's array: one array
     * for all of them would cost a large memmove under the lock on every
     * expiry.  Walks find them in the type's anonymous list.
     */

    acct = NULL;

    if (id->len) {
        /* unlinked yet, so no eviction can reach it; the account can be */

        acct = ngx_http_session_get_account(zone, type, id, name);

        if (acct == NULL) {
            ngx_http_session_free_record(zone, s);
            return NULL;
        }
    }

    ngx_http_session_attach(zone, acct, s);

    ngx_http_session_index_insert(sh, s);
    ngx_http_session_queue_insert_head(&sh->lru, &s->queue);

    sh->types[type].sessions++;
    sh->sessions++;
    sh->changes++;

    return s;
}


ngx_http_session_account_t *
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

    a = ngx_http_session_node_account(node);

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


/*
 * Appends the session to its account's list (NULL: no account, the
 * type's anonymous list); seq only grows, so a list stays in seq order.
 * This cannot fail: the caller gets the account record first.
 */

void
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

        ngx_http_session_top_gain(sh, acct);
    }
}


/* unlinks the session from its list; an empty account goes */

void
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
    ngx_http_session_top_drop(zone->sh, acct);
    ngx_rbtree_delete(&zone->sh->account_tree, ngx_http_session_acnode(acct));
    ngx_slab_free_locked(zone->shpool, ngx_http_session_acnode(acct));
}


/*
 * A new name that does not fit the record's slab slot needs a new
 * record; the account's sessions are pointed at it, a bounded number:
 * NGX_DECLINED keeps the old name of an account with more.
 */

ngx_int_t
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

    if (old->nsessions > NGX_HTTP_SESSION_RENAME_SESSIONS) {
        return NGX_DECLINED;
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

    a = ngx_http_session_node_account(node);
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

    ngx_http_session_top_move(zone->sh, old, a);
    ngx_rbtree_delete(&zone->sh->account_tree, ngx_http_session_acnode(old));
    ngx_slab_free_locked(zone->shpool, ngx_http_session_acnode(old));

    ngx_rbtree_insert(&zone->sh->account_tree, node);

    return NGX_OK;
}


ngx_int_t
ngx_http_session_set_vars(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, u_char *vars, size_t len)
{
    u_char    *p;
    uint16_t   olen;

    if (s->vars) {
        ngx_memcpy(&olen, ngx_http_session_vars_block(s), sizeof(uint16_t));

        if (ngx_http_session_slot(olen + sizeof(uint16_t))
            == ngx_http_session_slot(len))
        {
            ngx_memcpy(ngx_http_session_vars_block(s), vars, len);
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
        ngx_slab_free_locked(zone->shpool, ngx_http_session_vars_block(s));
    }

    s->vars = ngx_http_session_offset(s, p);
    zone->sh->changes++;

    return NGX_OK;
}


void *
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
    ngx_http_session_node_t   *s;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    if (!ngx_http_session_queue_empty(&sh->closed)) {
        s = ngx_http_session_queue_node(
                ngx_http_session_queue_last(&sh->closed));

        if (s != sh->pinned_node) {
            ngx_http_session_delete(zone, s, NGX_HTTP_SESSION_GONE_ENDED);
            return NGX_OK;
        }
    }

    if (ngx_http_session_queue_empty(&sh->lru)) {
        return NGX_DECLINED;
    }

    s = ngx_http_session_queue_node(ngx_http_session_queue_last(&sh->lru));

    if (s == sh->pinned_node) {
        return NGX_DECLINED;
    }

    ngx_http_session_delete(zone, s, NGX_HTTP_SESSION_GONE_EVICTED);

    sh->evicted++;

    return NGX_OK;
}


void
ngx_http_session_delete(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, ngx_uint_t why)
{
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    ngx_http_session_detach(zone, s);

    ngx_http_session_queue_remove(&s->queue);
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
        ngx_slab_free_locked(zone->shpool, ngx_http_session_vars_block(s));
    }

    ngx_http_session_free_record(zone, s);

    sh->changes++;
}


void
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

void
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

    ngx_http_session_queue_remove(&s->queue);
    ngx_http_session_queue_insert_head(&sh->closed, &s->queue);

    sh->changes++;
}


/* called with the zone locked; returns how many sessions it removed */

ngx_uint_t
ngx_http_session_expire(ngx_http_session_zone_t *zone, ngx_uint_t max,
    int64_t now)
{
    ngx_uint_t                 n;
    ngx_http_session_node_t   *s;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    for (n = 0; n < max; /* void */ ) {

        if (!ngx_http_session_queue_empty(&sh->closed)) {
            s = ngx_http_session_queue_node(
                    ngx_http_session_queue_last(&sh->closed));

            if (s->logout + (int64_t) zone->keep_closed <= now) {
                ngx_http_session_delete(zone, s, NGX_HTTP_SESSION_GONE_ENDED);
                n++;
                continue;
            }
        }

        if (ngx_http_session_queue_empty(&sh->lru)) {
            break;
        }

        s = ngx_http_session_queue_node(
                ngx_http_session_queue_last(&sh->lru));

        if (s->last + (int64_t) zone->timeout > now) {
            break;
        }

        ngx_http_session_delete(zone, s, NGX_HTTP_SESSION_GONE_EXPIRED);
        n++;
    }

    return n;
}


/*
 * Session records: a free slot if there is one, else a new chunk (a
 * slab page), else the oldest session makes room.
 */

static ngx_http_session_node_t *
ngx_http_session_alloc_record(ngx_http_session_zone_t *zone)
{
    ngx_uint_t                 i;
    ngx_http_session_node_t   *s;
    ngx_http_session_shctx_t  *sh;
    ngx_http_session_chunk_t  *c;

    sh = zone->sh;

    for (i = 0; i < NGX_HTTP_SESSION_EVICT_TRIES; i++) {

        if (!ngx_http_session_queue_empty(&sh->free)) {
            s = ngx_http_session_queue_node(
                    ngx_http_session_queue_head(&sh->free));
            ngx_http_session_queue_remove(&s->queue);

            c = ngx_http_session_chunk_of(s);
            c->used++;

            ngx_memzero(s, sizeof(ngx_http_session_node_t));
            return s;
        }

        s = ngx_http_session_new_chunk(zone);
        if (s) {
            return s;
        }

        if (ngx_http_session_evict_one(zone) != NGX_OK) {
            break;
        }
    }

    sh->failed++;

    return NULL;
}


/* a new chunk's first record; the others go to the free slots */

static ngx_http_session_node_t *
ngx_http_session_new_chunk(ngx_http_session_zone_t *zone)
{
    ngx_uint_t                 i;
    ngx_http_session_node_t   *s;
    ngx_http_session_shctx_t  *sh;
    ngx_http_session_chunk_t  *c;

    sh = zone->sh;

    if (sh->nchunks_used == sh->nchunks) {
        return NULL;
    }

    c = ngx_slab_alloc_locked(zone->shpool, ngx_pagesize);
    if (c == NULL) {
        return NULL;
    }

    /* entries before the hint are all in use */

    for (i = sh->chunk_hint; sh->chunks[i]; i++) { /* void */ }

    sh->chunks[i] = ngx_http_session_offset(sh, c);
    sh->chunk_hint = i + 1;
    sh->nchunks_used++;

    if (sh->chunks_hw < i + 1) {
        sh->chunks_hw = i + 1;
    }

    c->dir = (uint32_t) i;
    c->used = 1;

    for (i = sh->per_chunk - 1; i > 0; i--) {
        s = ngx_http_session_chunk_record(c, i);
        s->type = NGX_HTTP_SESSION_FREE;
        ngx_http_session_queue_insert_head(&sh->free, &s->queue);
    }

    s = ngx_http_session_chunk_record(c, 0);
    ngx_memzero(s, sizeof(ngx_http_session_node_t));

    return s;
}


/* an empty chunk goes back to the slab, its free slots with it */

static void
ngx_http_session_free_record(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s)
{
    ngx_uint_t                 i;
    ngx_http_session_node_t   *t;
    ngx_http_session_shctx_t  *sh;
    ngx_http_session_chunk_t  *c;

    sh = zone->sh;
    c = ngx_http_session_chunk_of(s);

    s->type = NGX_HTTP_SESSION_FREE;

    if (--c->used) {
        ngx_http_session_queue_insert_head(&sh->free, &s->queue);
        return;
    }

    for (i = 0; i < sh->per_chunk; i++) {
        t = ngx_http_session_chunk_record(c, i);

        if (t != s) {
            ngx_http_session_queue_remove(&t->queue);
        }
    }

    sh->chunks[c->dir] = 0;
    sh->nchunks_used--;

    if (sh->chunk_hint > c->dir) {
        sh->chunk_hint = c->dir;
    }

    ngx_slab_free_locked(zone->shpool, c);
}

