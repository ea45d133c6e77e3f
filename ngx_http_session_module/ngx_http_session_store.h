
/*
 * Copyright (C) ngx_http_session_module authors
 */


#ifndef _NGX_HTTP_SESSION_STORE_H_INCLUDED_
#define _NGX_HTTP_SESSION_STORE_H_INCLUDED_


#include "ngx_http_session_common.h"
#include "ngx_http_session_hold.h"


/*
 * The store's interface: what the rest of the module may ask of the
 * zone, and the plain records it copies sessions into.  The zone's
 * layout is not here: ngx_http_session_shm.h is the store's own, so a
 * change of the layout stays inside the store's files.
 *
 * The seams the next pieces of work build on (docs/architecture.md):
 * a session from elsewhere comes in as an ngx_http_session_import_t
 * (ngx_http_session_import()); what a request changes goes through
 * ngx_http_session_update() and ngx_http_session_lookup(); sessions go
 * out as ngx_http_session_record_t, by digest (read_one) or in batches
 * along a cursor (read).
 */


/*
 * walk orders of ngx_http_session_read(); WALK_TREE is every session in
 * the zone's own order (no longer a tree's: the name stays for its
 * users)
 */
#define NGX_HTTP_SESSION_WALK_TREE       1
#define NGX_HTTP_SESSION_WALK_TYPE       2
#define NGX_HTTP_SESSION_WALK_ACCOUNT    3
#define NGX_HTTP_SESSION_WALK_ANONYMOUS  4

/* lock holds counted by length: under 10us, 100us, 1ms, 10ms, 100ms, more */
#define NGX_HTTP_SESSION_LOCK_BUCKETS    6

/* busiest accounts kept for the status (ngx_http_session_top.c) */
#define NGX_HTTP_SESSION_TOP             10

#define NGX_HTTP_SESSION_BATCH           128
#define NGX_HTTP_SESSION_ARENA           (256 * 1024)


/* ngx_http_session_ctx_t's "fleet" */
#define NGX_HTTP_SESSION_FLEET_ASKED     1
#define NGX_HTTP_SESSION_FLEET_WAITING   2


/* what a request learned about its session, copied out of the zone */

typedef struct {
    ngx_http_session_zone_t     *zone;
    ngx_array_t                 *keys;       /* the lookup's session_key */
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];

    unsigned                     looked_up:1;
    unsigned                     live:1;
    unsigned                     touched:1;   /* this request counted */
    unsigned                     created:1;
    unsigned                     applied:1;
    unsigned                     ended:1;
    unsigned                     deferred:1;  /* until the response body */
    unsigned                     snapshot:1;  /* the fields below are set */
    unsigned                     token:1;     /* the request had one */
    unsigned                     fleet:2;     /* the engine was asked */

    ngx_http_session_login_t    *login;       /* the login layer's */

    u_char                       type;
    int64_t                      created_at;
    int64_t                      last;
    size_t                       id_len;
    size_t                       name_len;
    size_t                       vars_len;
    u_char                       id[NGX_HTTP_SESSION_ID_MAX];
    u_char                       name[NGX_HTTP_SESSION_NAME_MAX];
    u_char                       vars[NGX_HTTP_SESSION_VARS_SIZE];
} ngx_http_session_ctx_t;


/* one session as copied by a batch read, formatted outside the lock */

typedef struct {
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    u_char                       type;
    u_char                       ended;
    u_char                       addr_len;
    u_char                       addr[16];
    uint32_t                     requests;
    int64_t                      created;
    int64_t                      last;
    int64_t                      logout;
    uint64_t                     seq;
    uint64_t                     at;        /* WALK_TREE: resume after it */
    ngx_str_t                    id;
    ngx_str_t                    name;
    ngx_str_t                    vars;
} ngx_http_session_record_t;


typedef struct {
    ngx_uint_t                   walk;
    /* WALK_TYPE, WALK_ANONYMOUS: the type; WALK_TREE: 0, or the type + 1 */
    ngx_uint_t                   type;
    ngx_str_t                    id;            /* WALK_ACCOUNT */
    unsigned                     closed:1;      /* list logged-out too */

    /*
     * WALK_TREE: the place the walk goes on from, opaque (the zone's
     * record chunks in directory order, ngx_http_session_read.c); 0 at
     * the start.  A record's "at" is the place after it.
     */
    uint64_t                     at;

    /* WALK_TREE: the time of its first batch (and "newest", its seq) */
    int64_t                      since;

    /* list walks' resume point: the last record handed out */
    unsigned                     started:1;
    unsigned                     done:1;
    unsigned                     newest_set:1;
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    ngx_uint_t                   acct_type;
    ngx_rbtree_key_t             acct_key;
    u_char                       acct_id[NGX_HTTP_SESSION_ID_MAX];
    size_t                       acct_id_len;
    uint64_t                     seq;

    /*
     * The zone's seq when the walk began.  A session joins a
     * list with a new seq, so one that moves to another account during
     * the walk is not handed out a second time under its new account.
     */
    uint64_t                     newest;
} ngx_http_session_cursor_t;


typedef struct {
    ngx_http_session_record_t   *records;
    ngx_uint_t                   nrecords;
    ngx_uint_t                   max;
    u_char                      *arena;
    size_t                       arena_size;
} ngx_http_session_batch_t;


/* a session type's name and counters, as copied out of the zone */

typedef struct {
    u_char                       len;
    u_char                       name[NGX_HTTP_SESSION_TYPE_LEN];
    uint64_t                     sessions;
    uint64_t                     closed;
    uint64_t                     accounts;
    uint64_t                     anonymous;  /* open and closed */
} ngx_http_session_type_info_t;


/* one type's counters; "closed" and "anonymous" as in the type record */

typedef struct {
    uint64_t                     sessions;
    uint64_t                     accounts;
    uint64_t                     closed;
    uint64_t                     anonymous;
} ngx_http_session_count_t;


/* one of the busiest accounts, copied out of the zone */

typedef struct {
    u_char                       type;
    u_char                       id_len;
    u_char                       name_len;
    uint32_t                     open;
    u_char                       id[NGX_HTTP_SESSION_ID_MAX];
    u_char                       name[NGX_HTTP_SESSION_NAME_MAX];
} ngx_http_session_top_entry_t;


typedef struct {
    size_t                       size;
    size_t                       used;
    size_t                       free;
    uint64_t                     sessions;
    uint64_t                     closed;
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
    uint64_t                     lock_slow_cause[NGX_HTTP_SESSION_HOLD_CAUSES];
    uint64_t                     lock_desched[NGX_HTTP_SESSION_LOCK_BUCKETS];
    ngx_msec_t                   timeout;
    ngx_msec_t                   keep_closed;
    ngx_uint_t                   ntypes;
    ngx_http_session_type_info_t types[NGX_HTTP_SESSION_MAX_TYPES];
    ngx_uint_t                   ntop;      /* most open sessions first */
    ngx_http_session_top_entry_t top[NGX_HTTP_SESSION_TOP];
} ngx_http_session_stats_t;


/* the zone lock's holds at a moment: see ngx_http_session_holds_mark() */

typedef struct {
    uint64_t                     all;
    uint64_t                     own;
} ngx_http_session_holds_t;


/* a session to bring into the zone, as ngx_http_session_import() takes */

typedef struct {
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    ngx_str_t                    type;
    ngx_str_t                    id;
    ngx_str_t                    name;
    ngx_str_t                    vars;
    u_char                       addr_len;
    u_char                       addr[16];
    uint32_t                     requests;
    int64_t                      created;
    int64_t                      last;
    int64_t                      logout;
} ngx_http_session_import_t;


/*
 * A new name that needs a new account record repoints every session of
 * the account under one lock hold; past this many sessions the old name
 * stays (a session is one cache miss: 4096 are well under a millisecond).
 */
#define NGX_HTTP_SESSION_RENAME_SESSIONS  4096


/* changes a request asks for once its response header is known */

typedef struct {
    ngx_str_t                    token;
    ngx_str_t                    create;
    ngx_uint_t                   end;
    ngx_uint_t                   type;
    ngx_str_t                    id;
    ngx_str_t                    name;
    ngx_uint_t                   nvars;
    ngx_str_t                    var_names[NGX_HTTP_SESSION_VARS_MAX];
    ngx_str_t                    var_values[NGX_HTTP_SESSION_VARS_MAX];
    u_char                       addr_len;
    u_char                       addr[16];
    u_char                       create_digest[NGX_HTTP_SESSION_DIGEST_LEN];
    ngx_uint_t                   ended;       /* out: the request's own
                                                 session was logged out */
    uint64_t                     evicted;     /* out: sessions evicted */
    uint64_t                     evicted_total;  /* out: by the zone */
    ngx_str_t                    dropped;     /* out: a variable that did
                                                 not fit the session */
    uint32_t                     name_kept;   /* out: the sessions of an
                                                 account not renamed */
} ngx_http_session_update_t;


/* another node's use of a session, as ngx_http_session_apply_touches() takes */

typedef struct {
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    int64_t                      last;
    uint32_t                     delta;       /* requests since the last */
    u_char                       addr_len;
    u_char                       addr[16];
} ngx_http_session_touch_t;


/* ngx_http_session_zone.c: the zone as a whole */
ngx_int_t ngx_http_session_zone_init(ngx_shm_zone_t *shm_zone, void *data);
void ngx_http_session_sweep_start(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone);
ngx_int_t ngx_http_session_type_index(ngx_http_session_zone_t *zone,
    ngx_str_t *name);
void ngx_http_session_counts(ngx_http_session_zone_t *zone,
    ngx_http_session_count_t *counts);
void ngx_http_session_stats(ngx_http_session_zone_t *zone,
    ngx_http_session_stats_t *st);
ngx_uint_t ngx_http_session_types(ngx_http_session_zone_t *zone,
    ngx_http_session_type_info_t *types);
size_t ngx_http_session_type_name(ngx_http_session_zone_t *zone,
    ngx_uint_t type, u_char *name);
ngx_int_t ngx_http_session_save_begin(ngx_http_session_zone_t *zone,
    ngx_uint_t force, uint64_t *target, uint64_t *ended);
void ngx_http_session_save_done(ngx_http_session_zone_t *zone,
    uint64_t target, int64_t at);
uint64_t ngx_http_session_save_ended(ngx_http_session_zone_t *zone);
int64_t ngx_http_session_save_time(ngx_http_session_zone_t *zone);
void ngx_http_session_save_stamp(ngx_http_session_zone_t *zone, int64_t at);
void ngx_http_session_save_clean(ngx_http_session_zone_t *zone);

/* ngx_http_session_lock.c: the zone lock and the clocks */
void ngx_http_session_lock(ngx_http_session_zone_t *zone);
ngx_int_t ngx_http_session_lock_live(ngx_http_session_zone_t *zone);
void ngx_http_session_unlock(ngx_http_session_zone_t *zone);
void ngx_http_session_zone_filling(ngx_uint_t filling);
int64_t ngx_http_session_now(void);
uint64_t ngx_http_session_clock_ns(void);
void ngx_http_session_holds_mark(ngx_http_session_zone_t *zone,
    ngx_http_session_holds_t *mark);
ngx_uint_t ngx_http_session_holds_others(ngx_http_session_zone_t *zone,
    ngx_http_session_holds_t *mark);

/* ngx_http_session_index.c: the digest key */
void ngx_http_session_digest(ngx_http_session_zone_t *zone, u_char *token,
    size_t len, u_char *digest);
uint64_t ngx_http_session_hash(ngx_http_session_zone_t *zone, u_char *data,
    size_t len);
void ngx_http_session_zone_key(ngx_http_session_zone_t *zone, u_char *key);
void ngx_http_session_zone_set_key(ngx_http_session_zone_t *zone,
    u_char *key);

/* ngx_http_session_update.c: what a request does to its session */
ngx_int_t ngx_http_session_lookup(ngx_http_session_zone_t *zone,
    u_char *digest, ngx_uint_t touch, u_char *addr, size_t addr_len,
    ngx_http_session_ctx_t *ctx);
ngx_int_t ngx_http_session_update(ngx_http_session_zone_t *zone,
    ngx_http_session_update_t *up, ngx_http_session_ctx_t *ctx);

/* ngx_http_session_import.c: sessions brought into the zone */
ngx_int_t ngx_http_session_zone_copy(ngx_http_session_zone_t *zone);
ngx_int_t ngx_http_session_import(ngx_http_session_zone_t *zone,
    ngx_http_session_import_t *im);
void ngx_http_session_import_done(ngx_http_session_zone_t *zone);
void ngx_http_session_record_import(ngx_http_session_record_t *rec,
    ngx_str_t *type, ngx_http_session_import_t *im);

/* ngx_http_session_apply.c: sessions from the other nodes of a fleet */
ngx_int_t ngx_http_session_apply(ngx_http_session_zone_t *zone,
    ngx_http_session_import_t *im);
void ngx_http_session_apply_touches(ngx_http_session_zone_t *zone,
    ngx_http_session_touch_t *touches, ngx_uint_t n);

/* ngx_http_session_read.c: the batch reader */
ngx_int_t ngx_http_session_batch_init(ngx_pool_t *pool,
    ngx_http_session_batch_t *batch, ngx_uint_t max);
ngx_int_t ngx_http_session_read(ngx_http_session_zone_t *zone,
    ngx_http_session_cursor_t *cur, ngx_http_session_batch_t *batch);
ngx_int_t ngx_http_session_read_one(ngx_http_session_zone_t *zone,
    u_char *digest, ngx_http_session_batch_t *batch);

/*
 * The least zone memory a session takes (its record): the most sessions
 * a zone of a size can hold is its size over this.
 */
#define NGX_HTTP_SESSION_MIN_BYTES       96

/* ngx_http_session_store.c: called with the zone locked */
ngx_uint_t ngx_http_session_expire(ngx_http_session_zone_t *zone,
    ngx_uint_t max, int64_t now);

#if (NGX_HTTP_SESSION_CHECK)
/* ngx_http_session_check.c: the fuzzer's invariant checker */
const char *ngx_http_session_check(ngx_http_session_zone_t *zone);
#endif


#endif /* _NGX_HTTP_SESSION_STORE_H_INCLUDED_ */
