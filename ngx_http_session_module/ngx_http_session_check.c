
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_shm.h"


/*
 * The store's invariants, checked the slow way: built only for the
 * store fuzzer (fuzz/fuzz_store.c), which calls ngx_http_session_check()
 * after each operation.  Calls the index and the records
 * (ngx_http_session_index.c, _store.c).
 */


#if (NGX_HTTP_SESSION_CHECK)

#define ngx_http_session_check_that(expr)                                    \
    if (!(expr)) {                                                           \
        return #expr;                                                        \
    }


static const char *ngx_http_session_check_tree(
    ngx_http_session_shctx_t *sh, uint64_t *total);
static const char *ngx_http_session_check_queues(
    ngx_http_session_shctx_t *sh);
static const char *ngx_http_session_check_lists(
    ngx_http_session_zone_t *zone, uint64_t total);
static const char *ngx_http_session_check_list(ngx_http_session_shctx_t *sh,
    ngx_http_session_list_t *list, ngx_http_session_account_t *acct,
    ngx_uint_t type, uint64_t *n, uint64_t *active);


const char *
ngx_http_session_check(ngx_http_session_zone_t *zone)
{
    uint64_t     total;
    const char  *err;

    err = ngx_http_session_check_tree(zone->sh, &total);
    if (err) {
        return err;
    }

    err = ngx_http_session_check_queues(zone->sh);
    if (err) {
        return err;
    }

    return ngx_http_session_check_lists(zone, total);
}


/*
 * The record chunks and the index: each record in a listed chunk, free
 * or found by its digest; the chunks' counts, the free slots.
 */

static const char *
ngx_http_session_check_tree(ngx_http_session_shctx_t *sh, uint64_t *total)
{
    uint64_t                     n, nfree, listed;
    uint64_t                     open[NGX_HTTP_SESSION_MAX_TYPES];
    uint64_t                     closed[NGX_HTTP_SESSION_MAX_TYPES];
    uint64_t                     anon[NGX_HTTP_SESSION_MAX_TYPES];
    ngx_uint_t                   t, i, j, used;
    ngx_http_session_node_t     *s;
    ngx_http_session_link_t     *q;
    ngx_http_session_chunk_t    *c;
    ngx_http_session_account_t  *acct;

    ngx_memzero(open, sizeof(open));
    ngx_memzero(closed, sizeof(closed));
    ngx_memzero(anon, sizeof(anon));

    /* counted by type */

    *total = 0;
    nfree = 0;
    listed = 0;

    ngx_http_session_check_that(sh->chunks_hw <= sh->nchunks);
    ngx_http_session_check_that(sh->chunk_hint <= sh->chunks_hw);

    for (i = 0; i < sh->nchunks; i++) {

        if (sh->chunks[i] == 0) {
            continue;
        }

        ngx_http_session_check_that(i < sh->chunks_hw);
        listed++;

        c = ngx_http_session_at(sh, sh->chunks[i]);
        ngx_http_session_check_that(c->dir == i);

        used = 0;

        for (j = 0; j < sh->per_chunk; j++) {
            s = ngx_http_session_record(sh, i, j);
            ngx_http_session_check_that(ngx_http_session_chunk_of(s) == c);

            if (s->type == NGX_HTTP_SESSION_FREE) {
                nfree++;
                continue;
            }

            used++;
            (*total)++;

            ngx_http_session_check_that(s->type < sh->ntypes);
            ngx_http_session_check_that(
                ngx_http_session_find_node(sh, s->digest) == s);

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

        ngx_http_session_check_that(used > 0);
        ngx_http_session_check_that(used == c->used);
    }

    for (i = 0; i < sh->chunk_hint; i++) {
        ngx_http_session_check_that(sh->chunks[i] != 0);
    }

    ngx_http_session_check_that(listed == sh->nchunks_used);

    /* the free slots: each free, in a listed chunk (counted above) */

    n = 0;

    for (q = ngx_http_session_queue_head(&sh->free);
         q != &sh->free;
         q = ngx_http_session_queue_next(q))
    {
        s = ngx_http_session_queue_node(q);
        ngx_http_session_check_that(s->type == NGX_HTTP_SESSION_FREE);
        n++;
    }

    ngx_http_session_check_that(n == nfree);

    ngx_http_session_check_that(
        *total == sh->sessions + sh->closed_sessions);

    /* the index: one entry a session, each at its home slot's run */

    n = 0;

    for (t = 0; t < sh->index_size; t++) {
        if (sh->index[t]) {
            n++;
        }
    }

    ngx_http_session_check_that(n == *total);

    n = 0;

    for (t = 0; t < sh->ntypes; t++) {
        ngx_http_session_check_that(open[t] == sh->types[t].sessions);
        ngx_http_session_check_that(closed[t] == sh->types[t].closed);
        ngx_http_session_check_that(anon[t] == sh->types[t].anonymous);
        n += open[t];
    }

    ngx_http_session_check_that(n == sh->sessions);

    return NULL;
}


/* the queues: open sessions newest first, logged-out ones likewise */

static const char *
ngx_http_session_check_queues(ngx_http_session_shctx_t *sh)
{
    int64_t                   last;
    uint64_t                  n;
    ngx_http_session_link_t  *q;
    ngx_http_session_node_t  *s;

    n = 0;
    last = INT64_MAX;

    for (q = ngx_http_session_queue_head(&sh->lru);
         q != &sh->lru;
         q = ngx_http_session_queue_next(q))
    {
        s = ngx_http_session_queue_node(q);
        ngx_http_session_check_that(s->type != NGX_HTTP_SESSION_FREE);
        ngx_http_session_check_that(!(s->flags & NGX_HTTP_SESSION_ENDED));
        ngx_http_session_check_that(s->last <= last);
        last = s->last;
        n++;
    }

    ngx_http_session_check_that(n == sh->sessions);

    n = 0;
    last = INT64_MAX;

    for (q = ngx_http_session_queue_head(&sh->closed);
         q != &sh->closed;
         q = ngx_http_session_queue_next(q))
    {
        s = ngx_http_session_queue_node(q);
        ngx_http_session_check_that(s->type != NGX_HTTP_SESSION_FREE);
        ngx_http_session_check_that(s->flags & NGX_HTTP_SESSION_ENDED);
        ngx_http_session_check_that(s->logout <= last);
        last = s->logout;
        n++;
    }

    ngx_http_session_check_that(n == sh->closed_sessions);

    return NULL;
}


/* every account's list, and the lists without an account */

static const char *
ngx_http_session_check_lists(ngx_http_session_zone_t *zone, uint64_t total)
{
    uint64_t                     n, active, listed, accounts;
    uint64_t                     accts[NGX_HTTP_SESSION_MAX_TYPES];
    ngx_uint_t                   t, top;
    const char                  *err;
    ngx_rbtree_node_t           *node, *root, *sentinel;
    ngx_http_session_shctx_t    *sh;
    ngx_http_session_account_t  *acct;

    sh = zone->sh;

    ngx_memzero(accts, sizeof(accts));

    listed = 0;
    top = 0;
    accounts = 0;
    root = sh->account_tree.root;
    sentinel = sh->account_tree.sentinel;

    for (node = (root == sentinel) ? NULL : ngx_rbtree_min(root, sentinel);
         node;
         node = ngx_rbtree_next(&sh->account_tree, node))
    {
        acct = ngx_http_session_node_account(node);

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

        for (t = 0; t < NGX_HTTP_SESSION_TOP; t++) {
            if (sh->top[t] == acct) {
                top++;
            }
        }

        listed += n;
    }

    err = ngx_http_session_top_check(sh, top);
    if (err) {
        return err;
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
