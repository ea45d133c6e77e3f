
/*
 * Copyright (C) ngx_http_session_module authors
 */


#ifndef _NGX_HTTP_SESSION_SHM_H_INCLUDED_
#define _NGX_HTTP_SESSION_SHM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_store.h"


/*
 * The store's own: the layout of what the zone keeps and the links
 * between its parts.  Included by the store's files only
 * (ngx_http_session_lock.c, _index.c, _store.c, _zone.c, _update.c,
 * _import.c, _read.c, _check.c, _top.c) and the store fuzzer: everything else
 * goes through the store's functions and the records they copy out.
 */


/* bump whenever the layout of anything kept in the zone changes */
#define NGX_HTTP_SESSION_FORMAT          5

/* session node flags */
#define NGX_HTTP_SESSION_ENDED           0x01

/* why a session left the zone */
#define NGX_HTTP_SESSION_GONE_EXPIRED    1
#define NGX_HTTP_SESSION_GONE_EVICTED    2
#define NGX_HTTP_SESSION_GONE_ENDED      3
#define NGX_HTTP_SESSION_GONE_REPLACED   4


typedef struct ngx_http_session_account_s  ngx_http_session_account_t;


/*
 * A session: laid over ngx_rbtree_node_t from its "color" field on, so
 * the whole allocation is 32 + 96 = 128 bytes, one slab slot (on 32-bit
 * platforms 16 + 92).  The token is never kept: the tree key is the
 * first machine word of its keyed digest, "digest" holds the rest.  The
 * links to the account record, the variables and the account's other
 * sessions are offsets from the node itself in 8-byte units (0: none),
 * half the size of pointers: the zone is mapped at one address in every
 * process, and holds at most 16 GB.
 */

typedef struct {
    u_char                       color;
    u_char                       type;
    u_char                       flags;
    u_char                       addr_len;
    uint32_t                     requests;
    ngx_queue_t                  queue;      /* LRU, or the closed queue */
    int32_t                      account;
    int32_t                      vars;
    int32_t                      prev;       /* the account's sessions, */
    int32_t                      next;       /* in seq order */
    int64_t                      created;
    int64_t                      last;
    int64_t                      logout;
    u_char                       addr[16];
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN
                                        - sizeof(ngx_rbtree_key_t)];
    uint64_t                     seq;
} ngx_http_session_node_t;


/*
 * An account of one session type, laid over ngx_rbtree_node_t as well.
 * The tree key puts the type in the top byte, so the accounts of one
 * type are adjacent.  Its sessions form a list in seq order; a walk
 * resumes after the last session it handed out.  Sessions without an
 * account form such a list per type, in the type's record.
 */

/* offsets from the list, which is at an address divisible by 8 */

typedef struct {
    int32_t                      head;
    int32_t                      tail;
} ngx_http_session_list_t;


struct ngx_http_session_account_s {
    u_char                       color;
    u_char                       type;
    u_char                       id_len;
    u_char                       name_len;
    uint32_t                     nsessions;
    ngx_http_session_list_t      sessions;   /* at 8 from the record */
    uint32_t                     nactive;
    u_char                       data[1];
};


typedef struct {
    u_char                       len;
    u_char                       name[NGX_HTTP_SESSION_TYPE_LEN];
    uint64_t                     sessions;
    uint64_t                     closed;
    uint64_t                     accounts;
    uint64_t                     anonymous;  /* open and closed */
    ngx_http_session_list_t      anonymous_list;   /* at 64 */
} ngx_http_session_type_t;


struct ngx_http_session_shctx_s {
    ngx_uint_t                   format;     /* first: read before all */

    ngx_rbtree_t                 session_tree;
    ngx_rbtree_node_t            session_sentinel;

    /*
     * The sessions again, by digest, in an open-addressing table (linear
     * probing): a lookup reads a slot or two and the session, where the
     * tree's descent misses the cache at every level.  Entries are the
     * sessions' offsets from this record in 8-byte units, 0 for none; the
     * table has half again as many slots as the zone has 128-byte slots,
     * so it is never full.
     */
    int32_t                     *index;
    ngx_uint_t                   index_size;

    ngx_rbtree_t                 account_tree;
    ngx_rbtree_node_t            account_sentinel;

    ngx_queue_t                  lru;       /* open, most recent first */
    ngx_queue_t                  closed;    /* logged out, kept a while */

    u_char                       key[NGX_HTTP_SESSION_KEY_LEN];
    uint64_t                     seq;

    ngx_uint_t                   ntypes;
    ngx_http_session_type_t      types[NGX_HTTP_SESSION_MAX_TYPES];

    uint64_t                     sessions;
    uint64_t                     closed_sessions;
    uint64_t                     accounts;
    uint64_t                     created;
    uint64_t                     expired;
    uint64_t                     evicted;
    uint64_t                     ended;
    uint64_t                     failed;

    uint64_t                     lock_max_ns;
    uint64_t                     lock_slow;
    uint64_t                     lock_holds[NGX_HTTP_SESSION_LOCK_BUCKETS];
    uint64_t                     lock_total_ns;
    /* holds over 1 ms by cause; the descheduled ones by length */
    uint64_t                     lock_slow_cause[NGX_HTTP_SESSION_HOLD_CAUSES];
    uint64_t                     lock_desched[NGX_HTTP_SESSION_LOCK_BUCKETS];

    /* the accounts with the most open sessions, in no order */
    ngx_http_session_account_t  *top[NGX_HTTP_SESSION_TOP];

    /* kept so an eviction inside an update cannot free what it updates */
    ngx_http_session_node_t     *pinned_node;

    /* state file bookkeeping */
    uint64_t                     changes;
    uint64_t                     saved_changes;
    int64_t                      saved_at;
};


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
#define ngx_http_session_node_account(n)                                     \
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
#define ngx_http_session_vars_block(s)                                       \
    ((u_char *) (s) + (ptrdiff_t) (s)->vars * 8)


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


/* the list a session is in: its account's, or its type's anonymous one */

static ngx_inline ngx_http_session_list_t *
ngx_http_session_list_of(ngx_http_session_shctx_t *sh,
    ngx_http_session_node_t *s)
{
    ngx_http_session_account_t  *acct;

    acct = ngx_http_session_acct(s);

    return acct ? &acct->sessions : &sh->types[s->type].anonymous_list;
}


/* ngx_http_session_index.c */
void ngx_http_session_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
void ngx_http_session_account_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
ngx_http_session_node_t *ngx_http_session_find_node(
    ngx_http_session_shctx_t *sh, u_char *digest);
void ngx_http_session_index_insert(ngx_http_session_shctx_t *sh,
    ngx_http_session_node_t *s);
void ngx_http_session_index_delete(ngx_http_session_shctx_t *sh,
    ngx_http_session_node_t *s);
ngx_rbtree_node_t *ngx_http_session_node_after(ngx_http_session_shctx_t *sh,
    u_char *digest, ngx_uint_t started);
ngx_rbtree_key_t ngx_http_session_account_key(ngx_http_session_zone_t *zone,
    ngx_uint_t type, u_char *id, size_t len);
ngx_http_session_account_t *ngx_http_session_find_account(
    ngx_http_session_zone_t *zone, u_char *id, size_t len,
    ngx_rbtree_key_t key);
ngx_rbtree_node_t *ngx_http_session_account_after(
    ngx_http_session_shctx_t *sh, ngx_rbtree_key_t key, u_char *id,
    size_t len, ngx_uint_t inclusive);

/* ngx_http_session_import.c */
ngx_int_t ngx_http_session_add(ngx_http_session_zone_t *zone,
    ngx_http_session_import_t *im, int64_t now);

/* ngx_http_session_store.c */
ngx_http_session_node_t *ngx_http_session_insert(
    ngx_http_session_zone_t *zone, u_char *digest, ngx_uint_t type,
    ngx_str_t *id, ngx_str_t *name, int64_t created);
ngx_http_session_account_t *ngx_http_session_get_account(
    ngx_http_session_zone_t *zone, ngx_uint_t type, ngx_str_t *id,
    ngx_str_t *name);
void ngx_http_session_attach(ngx_http_session_zone_t *zone,
    ngx_http_session_account_t *acct, ngx_http_session_node_t *s);
void ngx_http_session_detach(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s);
ngx_int_t ngx_http_session_rename_account(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, ngx_str_t *name);
ngx_int_t ngx_http_session_set_vars(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, u_char *vars, size_t len);
void *ngx_http_session_alloc(ngx_http_session_zone_t *zone, size_t size);
void ngx_http_session_delete(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, ngx_uint_t why);
void ngx_http_session_end(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, int64_t now);
void ngx_http_session_close(ngx_http_session_zone_t *zone,
    ngx_http_session_node_t *s, int64_t now);

/* ngx_http_session_top.c */
void ngx_http_session_top_gain(ngx_http_session_shctx_t *sh,
    ngx_http_session_account_t *acct);
void ngx_http_session_top_drop(ngx_http_session_shctx_t *sh,
    ngx_http_session_account_t *acct);
void ngx_http_session_top_move(ngx_http_session_shctx_t *sh,
    ngx_http_session_account_t *from, ngx_http_session_account_t *to);
void ngx_http_session_top_copy(ngx_http_session_shctx_t *sh,
    ngx_http_session_stats_t *st);
#if (NGX_HTTP_SESSION_CHECK)
const char *ngx_http_session_top_check(ngx_http_session_shctx_t *sh,
    ngx_uint_t live);
#endif


#endif /* _NGX_HTTP_SESSION_SHM_H_INCLUDED_ */
