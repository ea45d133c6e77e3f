
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_shm.h"


/*
 * The batch reader: copies sessions out of the zone a bounded batch per
 * lock hold, in the order of a cursor (the record chunks in directory
 * order, the accounts of a type, one account id, the sessions of a
 * type without an account), for the listings, the state file and a
 * resize; and one session by its digest.  Calls the lock and the index
 * (ngx_http_session_lock.c, _index.c).
 */


/* the most a record can take from the arena */
#define NGX_HTTP_SESSION_RECORD_ARENA                                        \
    (NGX_HTTP_SESSION_ID_MAX + NGX_HTTP_SESSION_NAME_MAX                     \
     + NGX_HTTP_SESSION_VARS_SIZE)


static ngx_int_t ngx_http_session_copy_record(ngx_http_session_node_t *s,
    ngx_http_session_batch_t *batch, u_char **arena);
static ngx_http_session_list_t *ngx_http_session_walk_list(
    ngx_http_session_zone_t *zone, ngx_http_session_cursor_t *cur);
static void ngx_http_session_walk_next(ngx_http_session_zone_t *zone,
    ngx_http_session_cursor_t *cur, ngx_http_session_list_t *list);
static void ngx_http_session_walk_chunks(ngx_http_session_zone_t *zone,
    ngx_http_session_cursor_t *cur, ngx_http_session_batch_t *batch,
    int64_t now);
static ngx_http_session_node_t *ngx_http_session_walk_resume(
    ngx_http_session_shctx_t *sh, ngx_http_session_list_t *list,
    ngx_http_session_cursor_t *cur, ngx_uint_t *budget);


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
    ngx_http_session_record_t   *rec;
    ngx_http_session_account_t  *acct;

    if (batch->nrecords == batch->max
        || *arena + NGX_HTTP_SESSION_RECORD_ARENA
           > batch->arena + batch->arena_size)
    {
        return NGX_DECLINED;
    }

    rec = &batch->records[batch->nrecords++];

    ngx_memcpy(rec->digest, s->digest, NGX_HTTP_SESSION_DIGEST_LEN);
    rec->at = 0;

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
        ngx_memcpy(&len, ngx_http_session_vars_block(s), sizeof(uint16_t));
        rec->vars.len = len;
        p = ngx_cpymem(p, ngx_http_session_vars_block(s) + sizeof(uint16_t),
                       len);
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

    acct = ngx_http_session_node_account(node);

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

    acct = ngx_http_session_node_account(node);

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
            ngx_memcpy(cur->digest, s->digest, NGX_HTTP_SESSION_DIGEST_LEN);
            return NULL;
        }

        (*budget)--;
    }

    return s;
}


/*
 * The walk of every session: the chunks in directory order, slot by
 * slot.  A record never moves and a chunk keeps its directory entry
 * while it holds a session, so a session alive for the whole walk is
 * handed out exactly once.  One created meanwhile is left out (its seq
 * is newer than the walk and so is its creation time), so that a
 * session ended and created again under the same token, another record
 * perhaps at a later place, does not come twice; the seq alone would
 * also leave out a session moved to another account meanwhile, the
 * time alone one created just before the wall clock stepped back.
 * The position after each record goes out with it (rec->at), so that
 * a listing can resume after any record of the batch.
 */

static void
ngx_http_session_walk_chunks(ngx_http_session_zone_t *zone,
    ngx_http_session_cursor_t *cur, ngx_http_session_batch_t *batch,
    int64_t now)
{
    u_char                    *arena;
    ngx_uint_t                 chunk, slot, visited, limit;
    ngx_http_session_node_t   *s;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;
    arena = batch->arena;
    limit = batch->max * 4;

    if (!cur->newest_set) {
        cur->newest = sh->seq;
        cur->since = now;
        cur->newest_set = 1;
    }

    chunk = (ngx_uint_t) (cur->at >> NGX_HTTP_SESSION_SLOT_BITS);
    slot = (ngx_uint_t) (cur->at
                         & ((1 << NGX_HTTP_SESSION_SLOT_BITS) - 1));

    for (visited = 0; chunk < sh->chunks_hw && visited < limit; visited++) {

        s = ngx_http_session_record(sh, chunk, slot);

        if (s == NULL) {
            chunk++;
            slot = 0;
            continue;
        }

        if (s->type != NGX_HTTP_SESSION_FREE
            && (s->seq <= cur->newest || s->created <= cur->since)
            && ngx_http_session_wanted(zone, cur, s, now))
        {
            if (ngx_http_session_copy_record(s, batch, &arena) != NGX_OK) {
                break;
            }

            batch->records[batch->nrecords - 1].at =
                ((uint64_t) chunk << NGX_HTTP_SESSION_SLOT_BITS) + slot + 1;
        }

        slot++;
    }

    cur->at = ((uint64_t) chunk << NGX_HTTP_SESSION_SLOT_BITS) + slot;
    cur->started = 1;

    if (chunk >= sh->chunks_hw) {
        cur->done = 1;
    }
}


/*
 * Copies the next batch of sessions in the cursor's order: the lock is
 * held for one bounded batch (a bounded number of sessions visited, not
 * only copied, so a filter that skips most of them cannot stretch it),
 * and the cursor names where the walk goes on (a record's place, which
 * it keeps while it lives; a list walk: the last session handed out),
 * so the walk resumes correctly whatever expired or was created
 * meanwhile, and never hands out a session twice.
 */

ngx_int_t
ngx_http_session_read(ngx_http_session_zone_t *zone,
    ngx_http_session_cursor_t *cur, ngx_http_session_batch_t *batch)
{
    u_char                      *arena;
    int64_t                      now;
    ngx_uint_t                   visited, limit, budget;
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

    /* the master copies a resized zone that its workers still use */

    if (ngx_http_session_lock_live(zone) != NGX_OK) {
        return NGX_ERROR;
    }

    if (cur->walk == NGX_HTTP_SESSION_WALK_TREE) {
        ngx_http_session_walk_chunks(zone, cur, batch, now);
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
            ngx_memcpy(cur->digest, s->digest, NGX_HTTP_SESSION_DIGEST_LEN);
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
