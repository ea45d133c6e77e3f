
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
#define NGX_HTTP_SESSION_FORMAT          6

/* session node flags */
#define NGX_HTTP_SESSION_ENDED           0x01

/* the "type" of a free record slot: walks skip it */
#define NGX_HTTP_SESSION_FREE            0xff

/* why a session left the zone */
#define NGX_HTTP_SESSION_GONE_EXPIRED    1
#define NGX_HTTP_SESSION_GONE_EVICTED    2
#define NGX_HTTP_SESSION_GONE_ENDED      3
#define NGX_HTTP_SESSION_GONE_REPLACED   4


typedef struct ngx_http_session_account_s  ngx_http_session_account_t;


/*
 * A link of a doubly linked circular list (the LRU queue, the closed
 * queue, the free record slots), as ngx_queue_t but with offsets from
 * the link itself in 8-byte units: 8 bytes where ngx_queue_t takes 16.
 * The list's head is a link in the zone's record; an empty list's head
 * points at itself (offset 0).
 */

typedef struct {
    int32_t                      prev;
    int32_t                      next;
} ngx_http_session_link_t;


/*
 * A session: 96 bytes of a record chunk (one slab page, see below), no
 * power-of-two rounding and no tree node.  The token is never kept,
 * only its keyed digest, by which the index finds the record.  The
 * links to the account record, the variables and the account's other
 * sessions are offsets from the record itself in 8-byte units (0:
 * none), half the size of pointers: the zone is mapped at one address
 * in every process, and holds at most 16 GB.  A free slot has the type
 * NGX_HTTP_SESSION_FREE and is linked into the free slots by "queue".
 */

typedef struct {
    u_char                       type;
    u_char                       flags;
    u_char                       addr_len;
    u_char                       reserved;
    uint32_t                     requests;
    ngx_http_session_link_t      queue;      /* LRU, closed queue, free */
    int32_t                      account;
    int32_t                      vars;
    int32_t                      prev;       /* the account's sessions, */
    int32_t                      next;       /* in seq order */
    int64_t                      created;
    int64_t                      last;
    int64_t                      logout;
    u_char                       addr[16];
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    uint64_t                     seq;
} ngx_http_session_node_t;


/*
 * A record chunk: one slab page holding this header and as many
 * session records as fit after it (42 of 96 bytes in a 4 KiB page).
 * A page is page-aligned, so a record finds its chunk by masking its
 * address.  The chunk directory (sh->chunks) lists the chunks by an
 * index that stays the chunk's while it lives, so a walk in directory
 * order, slot by slot, sees every record that does not move, once.  A
 * chunk goes back to the slab when its last session goes.
 */

typedef struct {
    uint32_t                     dir;        /* its directory entry */
    uint32_t                     used;       /* its sessions */
} ngx_http_session_chunk_t;


/* a walk's position: directory entry << 16 | slot */
#define NGX_HTTP_SESSION_SLOT_BITS       16


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

    /*
     * The sessions by digest, in an open-addressing table (linear
     * probing), the only way to a session by its digest: a lookup reads
     * a slot or two and the session.  Entries are the sessions' offsets
     * from this record in 8-byte units, 0 for none; the table has half
     * again as many slots as the zone could hold sessions if it held
     * nothing else (ngx_http_session_zone_init()), so it is never full
     * and at most two thirds full.
     */
    int32_t                     *index;
    ngx_uint_t                   index_size;

    /*
     * The chunk directory: an entry for each page of the zone, the
     * chunk's offset from this record in 8-byte units, 0 for none.
     * Entries past chunks_hw were never used; those before chunk_hint
     * are all in use.
     */
    int32_t                     *chunks;
    ngx_uint_t                   nchunks;
    ngx_uint_t                   chunks_hw;
    ngx_uint_t                   chunk_hint;
    ngx_uint_t                   per_chunk;   /* records in a chunk */
    ngx_uint_t                   nchunks_used;

    ngx_http_session_link_t      free;        /* the free record slots */

    ngx_rbtree_t                 account_tree;
    ngx_rbtree_node_t            account_sentinel;

    ngx_http_session_link_t      lru;       /* open, most recent first */
    ngx_http_session_link_t      closed;    /* logged out, kept a while */

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
 * The account tree's keys are machine words, 4 bytes on 32-bit
 * platforms: accounts of one type share the top byte of their key.  A
 * session's home slot in the index comes from the first bytes of its
 * digest.
 */
#define NGX_HTTP_SESSION_KEY_SIZE             sizeof(ngx_rbtree_key_t)
#define NGX_HTTP_SESSION_TYPE_SHIFT                                          \
    (NGX_HTTP_SESSION_KEY_SIZE * 8 - 8)
#define NGX_HTTP_SESSION_TYPE_KEYS                                           \
    (((ngx_rbtree_key_t) 1 << NGX_HTTP_SESSION_TYPE_SHIFT) - 1)
#define ngx_http_session_type_key(type)                                      \
    ((ngx_rbtree_key_t) (type) << NGX_HTTP_SESSION_TYPE_SHIFT)


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


/* the lists with offsets: as ngx_queue_t's macros */

#define ngx_http_session_link_at(l, off)                                     \
    ((ngx_http_session_link_t *) ((u_char *) (l) + (ptrdiff_t) (off) * 8))
#define ngx_http_session_link_off(from, to)                                  \
    ((int32_t) (((u_char *) (to) - (u_char *) (from)) / 8))
#define ngx_http_session_queue_init(h)                                       \
    (h)->prev = 0; (h)->next = 0
#define ngx_http_session_queue_empty(h)  ((h)->next == 0)
#define ngx_http_session_queue_head(h)   ngx_http_session_link_at(h, (h)->next)
#define ngx_http_session_queue_last(h)   ngx_http_session_link_at(h, (h)->prev)
#define ngx_http_session_queue_next(l)   ngx_http_session_link_at(l, (l)->next)
#define ngx_http_session_queue_node(l)                                       \
    ((ngx_http_session_node_t *)                                             \
         ((u_char *) (l) - offsetof(ngx_http_session_node_t, queue)))


static ngx_inline void
ngx_http_session_queue_insert_head(ngx_http_session_link_t *h,
    ngx_http_session_link_t *x)
{
    ngx_http_session_link_t  *n;

    n = ngx_http_session_link_at(h, h->next);

    x->next = ngx_http_session_link_off(x, n);
    x->prev = ngx_http_session_link_off(x, h);
    n->prev = ngx_http_session_link_off(n, x);
    h->next = ngx_http_session_link_off(h, x);
}


static ngx_inline void
ngx_http_session_queue_insert_tail(ngx_http_session_link_t *h,
    ngx_http_session_link_t *x)
{
    ngx_http_session_link_t  *p;

    p = ngx_http_session_link_at(h, h->prev);

    x->prev = ngx_http_session_link_off(x, p);
    x->next = ngx_http_session_link_off(x, h);
    p->next = ngx_http_session_link_off(p, x);
    h->prev = ngx_http_session_link_off(h, x);
}


static ngx_inline void
ngx_http_session_queue_remove(ngx_http_session_link_t *x)
{
    ngx_http_session_link_t  *p, *n;

    p = ngx_http_session_link_at(x, x->prev);
    n = ngx_http_session_link_at(x, x->next);

    p->next = ngx_http_session_link_off(p, n);
    n->prev = ngx_http_session_link_off(n, p);
    x->prev = 0;
    x->next = 0;
}


/* the chunk of a record, and the record of a directory entry and slot */

#define ngx_http_session_chunk_of(s)                                         \
    ((ngx_http_session_chunk_t *)                                            \
         ((uintptr_t) (s) & ~((uintptr_t) ngx_pagesize - 1)))

static ngx_inline ngx_http_session_node_t *
ngx_http_session_chunk_record(ngx_http_session_chunk_t *c, ngx_uint_t slot)
{
    return (ngx_http_session_node_t *) ((u_char *) c
                                        + sizeof(ngx_http_session_chunk_t)
                                        + slot
                                          * sizeof(ngx_http_session_node_t));
}


/* the record at a walk's position; NULL past the slots of a chunk */

static ngx_inline ngx_http_session_node_t *
ngx_http_session_record(ngx_http_session_shctx_t *sh, ngx_uint_t chunk,
    ngx_uint_t slot)
{
    if (slot >= sh->per_chunk || sh->chunks[chunk] == 0) {
        return NULL;
    }

    return ngx_http_session_chunk_record(
               ngx_http_session_at(sh, sh->chunks[chunk]), slot);
}


/* the slab slot an allocation of this size takes */

static ngx_inline size_t
ngx_http_session_slot(size_t size)
{
    size_t  slot;

    for (slot = 8; slot < size; slot <<= 1) { /* void */ }

    return slot;
}


static ngx_inline uint32_t
ngx_http_session_digest_key(u_char *digest)
{
    uint32_t  key;

    ngx_memcpy(&key, digest, sizeof(uint32_t));

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
void ngx_http_session_account_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
ngx_http_session_node_t *ngx_http_session_find_node(
    ngx_http_session_shctx_t *sh, u_char *digest);
void ngx_http_session_index_insert(ngx_http_session_shctx_t *sh,
    ngx_http_session_node_t *s);
void ngx_http_session_index_delete(ngx_http_session_shctx_t *sh,
    ngx_http_session_node_t *s);
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
