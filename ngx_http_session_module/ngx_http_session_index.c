
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <sodium.h>

#include "ngx_http_session_shm.h"


/*
 * Finding sessions and accounts: the zone's digest key and the keyed
 * digests made with it, the index of the sessions by digest, and the
 * account tree.  Called with the zone locked
 * (but for the digests); calls nothing of the module.
 */


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


/*
 * The zone's digest key: the digests in the zone and in its state file
 * mean something only under it.  Set while the master fills the zone,
 * read unlocked afterwards.
 */

void
ngx_http_session_zone_key(ngx_http_session_zone_t *zone, u_char *key)
{
    ngx_memcpy(key, zone->sh->key, NGX_HTTP_SESSION_KEY_LEN);
}


void
ngx_http_session_zone_set_key(ngx_http_session_zone_t *zone, u_char *key)
{
    ngx_memcpy(zone->sh->key, key, NGX_HTTP_SESSION_KEY_LEN);
}


/*
 * The key never leaves the zone and its state file; SipHash-2-4 is a
 * keyed PRF, so neither the token nor a way to forge a digest can be
 * had from a digest.
 */

void
ngx_http_session_digest(ngx_http_session_zone_t *zone, u_char *token,
    size_t len, u_char *digest)
{
    (void) crypto_shorthash_siphashx24(digest, token, len, zone->sh->key);
}


uint64_t
ngx_http_session_hash(ngx_http_session_zone_t *zone, u_char *data,
    size_t len)
{
    uint64_t  h;
    u_char    out[crypto_shorthash_siphash24_BYTES];

    (void) crypto_shorthash_siphash24(out, data, len, zone->sh->key);
    ngx_memcpy(&h, out, sizeof(uint64_t));

    return h;
}


void
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
            a = ngx_http_session_node_account(node);
            t = ngx_http_session_node_account(temp);

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


ngx_http_session_node_t *
ngx_http_session_find_node(ngx_http_session_shctx_t *sh, u_char *digest)
{
    ngx_uint_t                i;
    ngx_http_session_node_t  *s;

    for (i = ngx_http_session_home(sh, ngx_http_session_digest_key(digest));
         sh->index[i];
         i = (i + 1 == sh->index_size) ? 0 : i + 1)
    {
        s = ngx_http_session_at(sh, sh->index[i]);

        if (ngx_memcmp(digest, s->digest, NGX_HTTP_SESSION_DIGEST_LEN) == 0)
        {
            return s;
        }
    }

    return NULL;
}


void
ngx_http_session_index_insert(ngx_http_session_shctx_t *sh,
    ngx_http_session_node_t *s)
{
    ngx_uint_t  i;

    for (i = ngx_http_session_home(sh, ngx_http_session_digest_key(s->digest));
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

void
ngx_http_session_index_delete(ngx_http_session_shctx_t *sh,
    ngx_http_session_node_t *s)
{
    int32_t                   off;
    ngx_uint_t                i, j, home;
    ngx_http_session_node_t  *t;

    off = ngx_http_session_offset(sh, s);

    for (i = ngx_http_session_home(sh, ngx_http_session_digest_key(s->digest));
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

        t = ngx_http_session_at(sh, sh->index[j]);
        home = ngx_http_session_home(sh,
                                     ngx_http_session_digest_key(t->digest));

        if ((i <= j) ? (i < home && home <= j) : (i < home || home <= j)) {
            continue;
        }

        sh->index[i] = sh->index[j];
        i = j;
    }

    sh->index[i] = 0;
}


ngx_rbtree_key_t
ngx_http_session_account_key(ngx_http_session_zone_t *zone, ngx_uint_t type,
    u_char *id, size_t len)
{
    uint64_t  h;

    h = ngx_http_session_hash(zone, id, len);

    return ngx_http_session_type_key(type)
           | (ngx_rbtree_key_t) (h >> (64 - NGX_HTTP_SESSION_TYPE_SHIFT));
}


ngx_http_session_account_t *
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

        a = ngx_http_session_node_account(node);

        rc = ngx_memn2cmp(id, a->data, len, a->id_len);

        if (rc == 0) {
            return a;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/* the first account at or after (key, id) in tree order */

ngx_rbtree_node_t *
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
            a = ngx_http_session_node_account(node);
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
