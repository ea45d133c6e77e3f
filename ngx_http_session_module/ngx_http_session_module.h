
/*
 * Copyright (C) ngx_http_session_module authors
 */


#ifndef _NGX_HTTP_SESSION_MODULE_H_INCLUDED_
#define _NGX_HTTP_SESSION_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* bump whenever the layout of anything kept in the zone changes */
#define NGX_HTTP_SESSION_FORMAT          4

#define NGX_HTTP_SESSION_DIGEST_LEN      16
#define NGX_HTTP_SESSION_SID_LEN         32
#define NGX_HTTP_SESSION_KEY_LEN         16

#define NGX_HTTP_SESSION_MAX_TYPES       16
#define NGX_HTTP_SESSION_ZIMBRA_TYPES    6
#define NGX_HTTP_SESSION_TYPE_LEN        31

#define NGX_HTTP_SESSION_ZONE_MAX        (16ULL * 1024 * 1024 * 1024)

#define NGX_HTTP_SESSION_TOKEN_MAX       4096
#define NGX_HTTP_SESSION_ID_MAX          64
#define NGX_HTTP_SESSION_NAME_MAX        128
#define NGX_HTTP_SESSION_VAR_NAME_MAX    32
#define NGX_HTTP_SESSION_VAR_VALUE_MAX   255
#define NGX_HTTP_SESSION_VARS_MAX        8
#define NGX_HTTP_SESSION_VARS_SIZE       512

/* session node flags */
#define NGX_HTTP_SESSION_ENDED           0x01

/* why a session left the zone */
#define NGX_HTTP_SESSION_GONE_EXPIRED    1
#define NGX_HTTP_SESSION_GONE_EVICTED    2
#define NGX_HTTP_SESSION_GONE_ENDED      3
#define NGX_HTTP_SESSION_GONE_REPLACED   4

/* walk orders of ngx_http_session_read() */
#define NGX_HTTP_SESSION_WALK_TREE       1
#define NGX_HTTP_SESSION_WALK_TYPE       2
#define NGX_HTTP_SESSION_WALK_ACCOUNT    3
#define NGX_HTTP_SESSION_WALK_ANONYMOUS  4

/* lock holds counted by length: under 10us, 100us, 1ms, 10ms, 100ms, more */
#define NGX_HTTP_SESSION_LOCK_BUCKETS    6

#define NGX_HTTP_SESSION_BATCH           128
#define NGX_HTTP_SESSION_ARENA           (256 * 1024)


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


typedef struct {
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

    /* kept so an eviction inside an update cannot free what it updates */
    ngx_http_session_node_t     *pinned_node;

    /* state file bookkeeping */
    uint64_t                     changes;
    uint64_t                     saved_changes;
    int64_t                      saved_at;
    ngx_pid_t                    saving;
} ngx_http_session_shctx_t;


typedef struct {
    ngx_http_session_shctx_t    *sh;
    ngx_slab_pool_t             *shpool;
    ngx_shm_zone_t              *shm_zone;
    ngx_str_t                    name;
    ngx_msec_t                   timeout;
    ngx_msec_t                   keep_closed;
    ngx_str_t                    state;
    ngx_cycle_t                 *cycle;        /* the one configured */
    ngx_array_t                 *types;        /* custom names, config */
    u_char                       type_map[NGX_HTTP_SESSION_MAX_TYPES];
    ngx_event_t                  sweep;
    ngx_event_t                  save;
    ngx_msec_t                   token_logged;
    ngx_msec_t                   value_logged;
    ngx_msec_t                   full_logged;
    uint64_t                     evicted_logged;  /* the total then */
    ngx_uint_t                   loaded;
    /* sessions created since are taken from another writer's state file */
    int64_t                      state_since;
    ngx_log_t                   *log;
} ngx_http_session_zone_t;


typedef struct {
    ngx_str_t                    name;
    ngx_http_complex_value_t     value;
} ngx_http_session_var_conf_t;


/* a session_key or session_admin value */

typedef struct {
    ngx_http_complex_value_t     value;
    ngx_uint_t                   scheme;      /* a header: "QSDK x" is x */
} ngx_http_session_value_t;


typedef ngx_int_t (*ngx_http_session_endpoint_pt)(ngx_http_request_t *r);


/* the login layer's (ngx_http_session_login.h) */
typedef struct ngx_http_session_login_s  ngx_http_session_login_t;
typedef struct ngx_http_session_jwt_conf_s  ngx_http_session_jwt_conf_t;


typedef struct {
    ngx_shm_zone_t              *track;
    ngx_array_t                 *keys;         /* ngx_http_session_value_t */
    ngx_array_t                 *key_cookies;  /* ngx_str_t: the names
                                                  of $cookie_NAME keys */
    ngx_http_complex_value_t    *create;
    ngx_str_t                    create_cookie; /* $upstream_cookie_NAME,
                                                   $cookie_NAME */
    ngx_uint_t                   create_scheme; /* a header's value */
    ngx_str_t                    create_text;   /* as configured */
    ngx_http_complex_value_t    *end;
    ngx_int_t                    type;
    ngx_http_complex_value_t    *account_id;
    ngx_http_complex_value_t    *account_name;
    ngx_array_t                 *vars;
    ngx_array_t                 *admin;        /* ngx_http_session_value_t */

    ngx_shm_zone_t              *endpoint;
    ngx_str_t                    instance;
    size_t                       max_body_size;

    ngx_array_t                 *fields;       /* session_field */
    ngx_uint_t                   request_fields;   /* of "fields" */
    ngx_uint_t                   response_fields;
    ngx_http_session_jwt_conf_t *jwt;
} ngx_http_session_loc_conf_t;


typedef struct {
    ngx_array_t                  zones;       /* ngx_http_session_zone_t * */
    ngx_array_t                  types;       /* ngx_str_t, custom names */
    ngx_array_t                  refs;        /* ngx_http_session_ref_t */
} ngx_http_session_main_conf_t;


typedef struct {
    ngx_shm_zone_t              *shm_zone;
    ngx_str_t                   *file;
    ngx_uint_t                   line;
    const char                  *directive;
} ngx_http_session_ref_t;


typedef struct ngx_http_session_stream_s  ngx_http_session_stream_t;


/* what a request learned about its session, copied out of the zone */

typedef struct {
    ngx_http_session_stream_t   *stream;
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

    ngx_http_session_login_t    *login;

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

    /* the resume point: the last record handed out */
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
     * List walks: the zone's seq when the walk began.  A session joins a
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


/* one type's counters; "closed" and "anonymous" as in the type record */

typedef struct {
    uint64_t                     sessions;
    uint64_t                     accounts;
    uint64_t                     closed;
    uint64_t                     anonymous;
} ngx_http_session_count_t;


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
    ngx_msec_t                   timeout;
    ngx_msec_t                   keep_closed;
    ngx_uint_t                   ntypes;
    ngx_http_session_type_t      types[NGX_HTTP_SESSION_MAX_TYPES];
} ngx_http_session_stats_t;


/*
 * An endpoint's answer: "produce" writes the next part of it (for a
 * listing, one batch copied out of the zone) and returns NGX_DONE after
 * the last part; the stream sends each part and asks for the next once
 * the client has taken it.
 */

typedef ngx_int_t (*ngx_http_session_produce_pt)(ngx_http_request_t *r,
    ngx_http_session_stream_t *st);

struct ngx_http_session_stream_s {
    ngx_http_request_t          *request;
    ngx_http_session_zone_t     *zone;
    ngx_http_session_produce_pt  produce;
    void                        *data;         /* the dialect's state */

    ngx_http_session_cursor_t    cursor;
    ngx_http_session_batch_t     batch;

    ngx_chain_t                 *out;
    ngx_chain_t                **last_out;
    ngx_chain_t                 *free;
    ngx_chain_t                 *busy;
    ngx_buf_t                   *buf;
    ngx_chain_t                 *buf_cl;

    unsigned                     done:1;
    unsigned                     error:1;
};


/*
 * session_status query arguments, parsed from the raw query string with
 * no zone or request access (so a fuzzer can drive the parser); names
 * and types are resolved against the zone by the handler.
 */

#define NGX_HTTP_SESSION_STATUS_AUTO         0
#define NGX_HTTP_SESSION_STATUS_JSON         1
#define NGX_HTTP_SESSION_STATUS_PROMETHEUS   2

typedef struct {
    ngx_uint_t                   format;
    ngx_uint_t                   list;
    ngx_uint_t                   limit;
    ngx_uint_t                   closed;
    ngx_str_t                    type;
    ngx_str_t                    account;
    ngx_str_t                    match;
    size_t                       addr_len;      /* 0: no address filter */
    u_char                       addr[16];

    /* the cursor: where the previous page ended */
    ngx_uint_t                   resume;
    ngx_uint_t                   walk;
    ngx_uint_t                   acct_type;     /* WALK_ACCOUNT */
    uint64_t                     seq;           /* WALK_ACCOUNT */
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];

    ngx_str_t                    error;         /* why the query is bad */
} ngx_http_session_status_query_t;


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


/* one line of a state file, as ngx_http_session_state_parse() reads it */

#define NGX_HTTP_SESSION_STATE_VERSION   1

/* longer than any line the module writes */
#define NGX_HTTP_SESSION_STATE_LINE_MAX  4096

#define NGX_HTTP_SESSION_STATE_NONE      0     /* comment, blank line */
#define NGX_HTTP_SESSION_STATE_HEADER    1
#define NGX_HTTP_SESSION_STATE_SESSION   2
#define NGX_HTTP_SESSION_STATE_END       3

typedef struct {
    ngx_uint_t                   kind;
    ngx_uint_t                   version;      /* HEADER */
    ngx_str_t                    zone;         /* HEADER */
    u_char                       key[NGX_HTTP_SESSION_KEY_LEN];
    int64_t                      epoch;        /* HEADER */
    int64_t                      saved;        /* HEADER */
    ngx_pid_t                    pid;          /* HEADER */
    uint64_t                     count;        /* END */
    ngx_http_session_import_t    session;      /* SESSION */
    const char                  *error;        /* why NGX_ERROR */
} ngx_http_session_state_line_t;


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
    uint64_t                     evicted;     /* out: sessions evicted */
    uint64_t                     evicted_total;  /* out: by the zone */
    ngx_str_t                    dropped;     /* out: a variable that did
                                                 not fit the session */
} ngx_http_session_update_t;


/*
 * A Zimbra DumpSessionsRequest as ngx_http_session_zimbra_parse() reads
 * it from a body (or from GET arguments): plain data, no request or zone,
 * so a fuzzer can drive the parser directly.
 */

#define NGX_HTTP_SESSION_ZIMBRA_SOAP12            0
#define NGX_HTTP_SESSION_ZIMBRA_SOAP11            1
#define NGX_HTTP_SESSION_ZIMBRA_JSON              2

/* faults, in the order Zimbra checks: the first three before the caller */
#define NGX_HTTP_SESSION_ZIMBRA_PARSE_ERROR       1
#define NGX_HTTP_SESSION_ZIMBRA_INVALID_REQUEST   2
#define NGX_HTTP_SESSION_ZIMBRA_UNKNOWN_DOCUMENT  3
#define NGX_HTTP_SESSION_ZIMBRA_AUTH_REQUIRED     4
#define NGX_HTTP_SESSION_ZIMBRA_PERM_DENIED       5

typedef struct {
    ngx_uint_t                   request;     /* the body's format */
    ngx_uint_t                   response;    /* the answer's format */

    /* refused whoever asks: a fault code and its reason */
    ngx_uint_t                   fault;
    ngx_str_t                    reason;
    unsigned                     header:1;    /* fault: with soap:Header */

    /* a bad attribute: refused once the caller may see the answer */
    ngx_str_t                    invalid;

    ngx_str_t                    token;       /* context/authToken */
    unsigned                     list:1;      /* listSessions */
    unsigned                     group:1;     /* groupByAccount */
} ngx_http_session_zimbra_request_t;


/*
 * A Hornbill XMLMC request as ngx_http_session_hornbill_parse() reads it
 * from the query arguments and the body; "code" and "error" say why it
 * was refused.
 */

typedef struct {
    ngx_str_t                    service;
    ngx_str_t                    method;
    ngx_str_t                    session_id;   /* as sent, trimmed */
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    unsigned                     has_session_id:1;
    unsigned                     json:1;       /* the body was JSON */
    unsigned                     python:1;     /* b'...' body unwrapped */
    ngx_uint_t                   code;
    ngx_str_t                    error;
} ngx_http_session_hornbill_request_t;


extern ngx_module_t  ngx_http_session_module;

extern ngx_str_t  ngx_http_session_zimbra_types[];
extern uint64_t   ngx_http_session_own_holds;


/* ngx_http_session_conf.c */
char *ngx_http_session_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_session_track(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_session_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_session_create(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_session_admin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_uint_t ngx_http_session_header_value(ngx_str_t *value);
char *ngx_http_session_type(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_session_account(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_session_var(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_session_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_session_check_refs(ngx_conf_t *cf);

/* the login layer's directives: ngx_http_session_field.c, _jwt.c */
char *ngx_http_session_field(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_session_jwt(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_session_login_init(ngx_conf_t *cf);
ngx_int_t ngx_http_session_login_add_variables(ngx_conf_t *cf);
char *ngx_http_session_login_merge(ngx_conf_t *cf,
    ngx_http_session_loc_conf_t *prev, ngx_http_session_loc_conf_t *conf);

/* ngx_http_session_shm.c */
ngx_int_t ngx_http_session_init_zone(ngx_shm_zone_t *shm_zone, void *data);
ngx_int_t ngx_http_session_init_worker_zone(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone);
void ngx_http_session_lock(ngx_http_session_zone_t *zone);
void ngx_http_session_unlock(ngx_http_session_zone_t *zone);
int64_t ngx_http_session_now(void);
uint64_t ngx_http_session_clock_ns(void);
uint64_t ngx_http_session_holds(ngx_http_session_zone_t *zone);
ngx_int_t ngx_http_session_lookup(ngx_http_session_zone_t *zone,
    u_char *digest, ngx_uint_t touch, u_char *addr, size_t addr_len,
    ngx_http_session_ctx_t *ctx);
ngx_int_t ngx_http_session_update(ngx_http_session_zone_t *zone,
    ngx_http_session_update_t *up, ngx_http_session_ctx_t *ctx);
ngx_int_t ngx_http_session_import(ngx_http_session_zone_t *zone,
    ngx_http_session_import_t *im);
void ngx_http_session_import_done(ngx_http_session_zone_t *zone);
ngx_int_t ngx_http_session_read(ngx_http_session_zone_t *zone,
    ngx_http_session_cursor_t *cur, ngx_http_session_batch_t *batch);
ngx_int_t ngx_http_session_read_one(ngx_http_session_zone_t *zone,
    u_char *digest, ngx_http_session_batch_t *batch);
ngx_int_t ngx_http_session_batch_init(ngx_pool_t *pool,
    ngx_http_session_batch_t *batch, ngx_uint_t max);
void ngx_http_session_counts(ngx_http_session_zone_t *zone,
    ngx_http_session_count_t *counts);
void ngx_http_session_stats(ngx_http_session_zone_t *zone,
    ngx_http_session_stats_t *st);
ngx_uint_t ngx_http_session_expire(ngx_http_session_zone_t *zone,
    ngx_uint_t max, int64_t now);
ngx_int_t ngx_http_session_type_index(ngx_http_session_zone_t *zone,
    ngx_str_t *name);
void ngx_http_session_record_import(ngx_http_session_record_t *rec,
    ngx_http_session_type_t *type, ngx_http_session_import_t *im);

#if (NGX_HTTP_SESSION_CHECK)
const char *ngx_http_session_check(ngx_http_session_zone_t *zone);
#endif

/* ngx_http_session_util.c */
void ngx_http_session_digest(ngx_http_session_zone_t *zone, u_char *token,
    size_t len, u_char *digest);
uint64_t ngx_http_session_hash(ngx_http_session_zone_t *zone, u_char *data,
    size_t len);
u_char *ngx_http_session_sid(u_char *p, u_char *digest);
ngx_int_t ngx_http_session_parse_sid(u_char *sid, size_t len, u_char *digest);
ngx_int_t ngx_http_session_valid_token(ngx_str_t *token);
void ngx_http_session_strip_scheme(ngx_str_t *token);
ngx_int_t ngx_http_session_flag(ngx_str_t *value);
ngx_int_t ngx_http_session_is_number(ngx_str_t *value);
u_char *ngx_http_session_addr_text(u_char *p, u_char *addr, size_t len);
ngx_int_t ngx_http_session_addr_parse(ngx_str_t *text, u_char *addr,
    size_t *len);
ngx_int_t ngx_http_session_var_get(u_char *vars, size_t len,
    ngx_str_t *name, ngx_str_t *value);
u_char *ngx_http_session_var_next(u_char *p, u_char *last,
    ngx_str_t *name, ngx_str_t *value);
u_char *ngx_http_session_time_iso(u_char *p, int64_t ms);
ngx_int_t ngx_http_session_caller(ngx_http_request_t *r, ngx_str_t *token);
ngx_int_t ngx_http_session_is_admin(ngx_http_request_t *r);
ngx_http_session_zone_t *ngx_http_session_loc_zone(ngx_http_request_t *r);

/* ngx_http_session_escape.c */

/*
 * Escaping makes at most 6 bytes of a byte ("&quot;", "\u001f", and 3 for
 * U+FFFD): room for that much spares a caller the _len() pass.
 */
#define NGX_HTTP_SESSION_ESCAPE_MAX  6

size_t ngx_http_session_escape_xml_len(u_char *src, size_t size);
u_char *ngx_http_session_escape_xml(u_char *dst, u_char *src, size_t size);
size_t ngx_http_session_escape_json_len(u_char *src, size_t size);
u_char *ngx_http_session_escape_json(u_char *dst, u_char *src, size_t size);

/* ngx_http_session_cookie.c */
ngx_int_t ngx_http_session_cookie_name(ngx_str_t *value, ngx_str_t *name);
void ngx_http_session_cookie_apply(ngx_http_request_t *r,
    ngx_http_session_loc_conf_t *slcf, ngx_http_session_update_t *up);

/* ngx_http_session_track.c */
ngx_int_t ngx_http_session_track_init(ngx_conf_t *cf);
ngx_http_session_ctx_t *ngx_http_session_get_ctx(ngx_http_request_t *r);
ngx_http_session_ctx_t *ngx_http_session_find(ngx_http_request_t *r);
ngx_http_session_ctx_t *ngx_http_session_find_snapshot(ngx_http_request_t *r);
ngx_http_session_ctx_t *ngx_http_session_authenticate(ngx_http_request_t *r,
    ngx_str_t *token);
ngx_int_t ngx_http_session_apply(ngx_http_request_t *r);

/* ngx_http_session_stream.c */
ngx_http_session_stream_t *ngx_http_session_stream_create(
    ngx_http_request_t *r, ngx_http_session_zone_t *zone,
    ngx_http_session_produce_pt produce);
ngx_int_t ngx_http_session_stream_batch(ngx_http_session_stream_t *st);
u_char *ngx_http_session_stream_reserve(ngx_http_session_stream_t *st,
    size_t size);
void ngx_http_session_stream_add(ngx_http_session_stream_t *st,
    u_char *data, size_t len);
void ngx_http_session_stream_xml(ngx_http_session_stream_t *st,
    ngx_str_t *s);
void ngx_http_session_stream_json(ngx_http_session_stream_t *st,
    ngx_str_t *s);
void ngx_http_session_stream_sid(ngx_http_session_stream_t *st,
    u_char *digest);
void ngx_http_session_stream_printf(ngx_http_session_stream_t *st,
    size_t max, const char *fmt, ...);
ngx_int_t ngx_http_session_stream_start(ngx_http_request_t *r,
    ngx_http_session_stream_t *st, ngx_uint_t status, ngx_str_t *type);
ngx_int_t ngx_http_session_add_header(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
ngx_int_t ngx_http_session_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_str_t *body);

#define ngx_http_session_stream_str(st, s)                                  \
    ngx_http_session_stream_add(st, (u_char *) s, sizeof(s) - 1)

/* ngx_http_session_body.c */
ngx_int_t ngx_http_session_read_body(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt handler);
ngx_int_t ngx_http_session_body(ngx_http_request_t *r, ngx_str_t *body);
void *ngx_http_session_parse_xml(ngx_pool_t *pool, ngx_str_t *body,
    ngx_str_t *error);
void *ngx_http_session_parse_json(ngx_pool_t *pool, ngx_str_t *body,
    ngx_str_t *error);
ngx_int_t ngx_http_session_python_bytes(ngx_pool_t *pool, ngx_str_t *text);
ngx_int_t ngx_http_session_bool(ngx_str_t *value);
ngx_int_t ngx_http_session_arg(ngx_http_request_t *r, char *name,
    ngx_str_t *value);
ngx_int_t ngx_http_session_accepts_json(ngx_http_request_t *r);

/* ngx_http_session_state_dir.c */
ngx_int_t ngx_http_session_state_dir_check(ngx_http_session_zone_t *zone);

/* ngx_http_session_state.c */
ngx_int_t ngx_http_session_state_load(ngx_http_session_zone_t *zone);
ngx_int_t ngx_http_session_state_init_worker(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone);
void ngx_http_session_state_exit(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone);
ngx_int_t ngx_http_session_state_parse(ngx_pool_t *pool, ngx_str_t *line,
    ngx_http_session_state_line_t *sl);
u_char *ngx_http_session_state_format(u_char *p, u_char *last,
    ngx_http_session_import_t *im);

/* ngx_http_session_status.c */
ngx_int_t ngx_http_session_status_parse(ngx_pool_t *pool, ngx_str_t *args,
    ngx_http_session_status_query_t *q);

/* ngx_http_session_endpoint.c */
ngx_int_t ngx_http_session_endpoint_caller(ngx_http_request_t *r,
    ngx_str_t *token, ngx_http_session_ctx_t **caller, ngx_uint_t *admin);
ngx_int_t ngx_http_session_no_store(ngx_http_request_t *r);
void ngx_http_session_record_var(ngx_http_session_record_t *rec, char *name,
    ngx_str_t *value, char *dflt);

/* the endpoints */
ngx_int_t ngx_http_session_zimbra_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_session_hornbill_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_session_hornbill_parse(ngx_pool_t *pool,
    ngx_str_t *method, ngx_str_t *session_id, ngx_str_t *body,
    ngx_http_session_hornbill_request_t *req);
ngx_int_t ngx_http_session_commvault_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_session_status_handler(ngx_http_request_t *r);

/* ngx_http_session_zimbra.c */
ngx_int_t ngx_http_session_zimbra_parse(ngx_pool_t *pool, ngx_str_t *body,
    ngx_str_t *list, ngx_str_t *group, ngx_http_session_zimbra_request_t *zr);

/* ngx_http_session_variables.c */
ngx_int_t ngx_http_session_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_session_add_variable_table(ngx_conf_t *cf,
    ngx_http_variable_t *vars);


#endif /* _NGX_HTTP_SESSION_MODULE_H_INCLUDED_ */
