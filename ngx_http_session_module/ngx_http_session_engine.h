
/*
 * Copyright (C) ngx_http_session_module authors
 */


#ifndef _NGX_HTTP_SESSION_ENGINE_H_INCLUDED_
#define _NGX_HTTP_SESSION_ENGINE_H_INCLUDED_


#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_session_fleet.h"


/*
 * The fleet's own header, for its files only: hiredis's types, the
 * engine connection, the codec's records, a worker's state.
 */


/*
 * An engine that answers nothing for this long (or "timeout", if longer)
 * is taken for hung and the connection is made again.  Requests do not
 * wait for it: a lookup's request has a timer of its own, "timeout".
 */
#define NGX_HTTP_SESSION_FLEET_HUNG          5000

/* commands a worker's connection keeps for lookups: changes leave it */
#define NGX_HTTP_SESSION_FLEET_RESERVE       256

/*
 * What one reply may hold: any more is a broken or hostile server, and
 * the connection is dropped before the memory is taken.
 */
#define NGX_HTTP_SESSION_FLEET_STRING_MAX    (256 * 1024)
#define NGX_HTTP_SESSION_FLEET_ELEMENTS_MAX  65536
#define NGX_HTTP_SESSION_FLEET_REPLY_MAX     (16 * 1024 * 1024)

/* a record holds at most this many fields, variables included */
#define NGX_HTTP_SESSION_FLEET_FIELDS_MAX    32

/* last-access touches in one engine command and one stream entry */
#define NGX_HTTP_SESSION_FLEET_TOUCHES       128

/* a touch as text: "SID LAST DELTA ADDR\n" */
#define NGX_HTTP_SESSION_FLEET_TOUCH_LEN                                     \
    (NGX_HTTP_SESSION_SID_LEN + 1 + NGX_INT64_LEN + 1 + NGX_INT32_LEN + 1    \
     + NGX_SOCKADDR_STRLEN + 1)

/* engine states, as the status shows them */
#define NGX_HTTP_SESSION_ENGINE_DOWN         0
#define NGX_HTTP_SESSION_ENGINE_CONNECTING   1
#define NGX_HTTP_SESSION_ENGINE_AUTH         2
#define NGX_HTTP_SESSION_ENGINE_READY        3


typedef struct ngx_http_session_engine_s  ngx_http_session_engine_t;
typedef struct ngx_http_session_redis_s   ngx_http_session_redis_t;


/* hiredis's async context on nginx's event loop (redis.c) */

struct ngx_http_session_redis_s {
    redisAsyncContext           *ac;          /* NULL once hiredis freed it */
    ngx_connection_t            *connection;
    ngx_log_t                   *log;

    /* after each read, while the context lives: NGX_ERROR drops it */
    ngx_int_t                  (*read_done)(ngx_http_session_redis_t *rd);

    /* hiredis is freeing the context: no hiredis call from here on */
    void                       (*gone)(ngx_http_session_redis_t *rd);

    void                        *data;
};


/*
 * A reply to a command: "reply" is NULL when the connection went away
 * first.  Handlers run from hiredis's callback: they may send commands,
 * never close the connection.
 */

typedef void (*ngx_http_session_engine_reply_pt)(
    ngx_http_session_engine_t *engine, redisReply *reply, void *data);

typedef void (*ngx_http_session_engine_event_pt)(
    ngx_http_session_engine_t *engine);


typedef struct {
    ngx_http_session_engine_reply_pt   handler;
    void                              *data;
    ngx_msec_t                         deadline;
} ngx_http_session_engine_cmd_t;


struct ngx_http_session_engine_s {
    ngx_http_session_engine_conf_t    *conf;
    ngx_http_session_redis_t           redis;
    ngx_uint_t                         state;
    ngx_uint_t                         reason;     /* of the last failure */
    u_char                             error[128];

    ngx_event_t                        deadline;   /* connect, replies */
    ngx_event_t                        retry;      /* reconnection */
    ngx_msec_t                         backoff;

    /* commands in flight, in the order their replies come */
    ngx_http_session_engine_cmd_t     *cmds;
    ngx_uint_t                         head;
    ngx_uint_t                         count;
    ngx_uint_t                         max;

    /* what the reply being read holds so far (bounded reply objects) */
    size_t                             reply_bytes;

    /* commands sent, counted where the owner wants them (or NULL) */
    ngx_atomic_t                      *commands;

    ngx_http_session_engine_event_pt   ready;
    ngx_http_session_engine_event_pt   down;
    void                              *data;
    ngx_log_t                         *log;

    unsigned                           closing:1;
};


/* a session's record kept past its logout, until the engine has it */

typedef struct {
    ngx_http_session_import_t    im;
    u_char                       type[NGX_HTTP_SESSION_TYPE_LEN];
    u_char                       id[NGX_HTTP_SESSION_ID_MAX];
    u_char                       name[NGX_HTTP_SESSION_NAME_MAX];
    u_char                       vars[NGX_HTTP_SESSION_VARS_SIZE];
} ngx_http_session_fleet_copy_t;


/* a change waiting to be sent */

#define NGX_HTTP_SESSION_FLEET_PUT      1     /* the zone's record */
#define NGX_HTTP_SESSION_FLEET_FILL     2     /* the same, the engine's
                                                 account kept */
#define NGX_HTTP_SESSION_FLEET_END      3     /* "copy", logged out */

typedef struct {
    u_char                           digest[NGX_HTTP_SESSION_DIGEST_LEN];
    ngx_uint_t                       kind;
    ngx_http_session_fleet_copy_t   *copy;        /* END */
} ngx_http_session_fleet_change_t;


/* the leader's work, in this order: fleet_sync.c */

#define NGX_HTTP_SESSION_SYNC_IDLE      0
#define NGX_HTTP_SESSION_SYNC_EPOCH     1
#define NGX_HTTP_SESSION_SYNC_PUTBACK   2
#define NGX_HTTP_SESSION_SYNC_START     3
#define NGX_HTTP_SESSION_SYNC_SCAN      4
#define NGX_HTTP_SESSION_SYNC_FOLLOW    5


/* a worker's part of the fleet, one per zone */

struct ngx_http_session_fleet_s {
    ngx_http_session_fleet_conf_t   *conf;
    ngx_http_session_zone_t         *zone;
    ngx_http_session_fleet_sh_t     *sh;
    ngx_slab_pool_t                 *shpool;
    ngx_log_t                       *log;
    ngx_pool_t                      *pool;

    ngx_http_session_engine_t       *engine;
    ngx_http_session_engine_t       *follower;    /* the leader's XREAD */

    ngx_event_t                      tick;

    /* how long an answer may take before the engine is taken for hung */
    ngx_msec_t                       wait;

    ngx_str_t                        stream;      /* PREFIX "log" */
    ngx_str_t                        touch_stream;  /* PREFIX "touch" */
    ngx_str_t                        seq_key;     /* PREFIX "seq" */
    ngx_str_t                        epoch_key;   /* PREFIX "epoch" */
    ngx_str_t                        pattern;     /* PREFIX "s:*" */
    u_char                           node[NGX_HTTP_SESSION_FLEET_NODE_LEN];
    u_char                           ttl[NGX_INT64_LEN];
    size_t                           ttl_len;
    u_char                           tomb[NGX_INT64_LEN];
    size_t                           tomb_len;
    u_char                           step[NGX_INT64_LEN];
    size_t                           step_len;
    u_char                           put_sha[40];
    u_char                           touch_sha[40];

    /* changes to send: a ring */
    ngx_http_session_fleet_change_t *changes;
    ngx_uint_t                       chead;
    ngx_uint_t                       nchanges;

    /* last accesses to send, by digest: open addressing */
    ngx_http_session_touch_t        *touches;
    ngx_uint_t                       ntouches;

    ngx_uint_t                       lookups;     /* in flight */

    ngx_http_session_batch_t         one;

    /* the leader's */
    ngx_uint_t                       sync;
    ngx_uint_t                       pending;     /* replies awaited */
    ngx_uint_t                       scan_ready:1;
    ngx_uint_t                       putback:1;
    ngx_uint_t                       checking:1;  /* XINFO in flight */
    ngx_uint_t                       scan_done:1;
    uint64_t                         scan_cursor;
    ngx_uint_t                       scan_count;
    ngx_msec_t                       sync_started;
    ngx_http_session_fleet_id_t      start;       /* the stream at the scan */
    ngx_http_session_fleet_id_t      touch_start;
    uint64_t                         start_seq;   /* the number of "start" */
    u_char                          *digests;     /* HGETALLs in flight */
    ngx_uint_t                       dhead;
    ngx_uint_t                       ndigests;
    ngx_http_session_cursor_t        cursor;      /* put back */
    ngx_http_session_batch_t         batch;
    ngx_msec_t                       checked;     /* the stream, for gaps */
    u_char                           candidate[NGX_HTTP_SESSION_FLEET_NODE_LEN];

    unsigned                         leader:1;
    unsigned                         exiting:1;
};


/* a session record as the engine holds it, decoded and checked */

typedef struct {
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    ngx_http_session_import_t    im;
    u_char                       vars[NGX_HTTP_SESSION_VARS_SIZE];
} ngx_http_session_fleet_record_t;




/* what XINFO STREAM tells of a stream */

typedef struct {
    uint64_t                     length;
    uint64_t                     added;       /* entries ever added */
    ngx_http_session_fleet_id_t  first;
    ngx_http_session_fleet_id_t  last;
    ngx_http_session_fleet_id_t  deleted;     /* XDEL's largest (Redis 7) */
    unsigned                     counted:1;   /* "added" is known */
} ngx_http_session_fleet_info_t;


/* one entry of the change stream */

#define NGX_HTTP_SESSION_FLEET_RECORD   1
#define NGX_HTTP_SESSION_FLEET_TOUCH    2

typedef struct {
    ngx_http_session_fleet_id_t  id;
    ngx_uint_t                   kind;        /* 0: skip it */
    uint64_t                     n;           /* its number, 0: none */
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    ngx_str_t                    node;
    redisReply                  *fields;      /* the entry's field list */
    ngx_str_t                    touches;     /* TOUCH: the packed text */
} ngx_http_session_fleet_entry_t;


/* ngx_http_session_fleet_conf.c */
ngx_int_t ngx_http_session_read_secret_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *content, const char *what);
ngx_int_t ngx_http_session_fleet_prefix_ok(ngx_str_t *prefix);

/* ngx_http_session_fleet.c */
ngx_int_t ngx_http_session_fleet_add_zone(ngx_conf_t *cf,
    ngx_http_session_fleet_conf_t *fcf, ngx_str_t *name);
ngx_int_t ngx_http_session_fleet_queue(ngx_http_session_fleet_t *fleet,
    u_char *digest, ngx_uint_t kind, ngx_http_session_fleet_copy_t *copy);

/* ngx_http_session_fleet_put.c */
void ngx_http_session_fleet_scripts(ngx_http_session_fleet_t *fleet);
ngx_int_t ngx_http_session_fleet_load(ngx_http_session_fleet_t *fleet,
    ngx_http_session_engine_t *engine);
ngx_int_t ngx_http_session_fleet_put(ngx_http_session_fleet_t *fleet,
    ngx_http_session_import_t *im, ngx_uint_t kind,
    ngx_http_session_engine_reply_pt handler, void *data);
ngx_int_t ngx_http_session_fleet_touches(ngx_http_session_fleet_t *fleet,
    u_char *text, size_t len, ngx_http_session_engine_reply_pt handler,
    void *data);
void ngx_http_session_fleet_error(ngx_http_session_fleet_t *fleet,
    const char *what, const char *detail);
int64_t ngx_http_session_fleet_id_cmp(ngx_http_session_fleet_id_t *a,
    ngx_http_session_fleet_id_t *b);

/* ngx_http_session_fleet_sync.c */
void ngx_http_session_fleet_sync_start(ngx_http_session_fleet_t *fleet);
void ngx_http_session_fleet_sync_stop(ngx_http_session_fleet_t *fleet);
void ngx_http_session_fleet_sync_tick(ngx_http_session_fleet_t *fleet);

/* ngx_http_session_redis.c */
ngx_int_t ngx_http_session_redis_attach(ngx_http_session_redis_t *rd,
    redisAsyncContext *ac);
void ngx_http_session_redis_close(ngx_http_session_redis_t *rd);

/* ngx_http_session_engine.c */
ngx_http_session_engine_t *ngx_http_session_engine_create(
    ngx_http_session_engine_conf_t *conf, ngx_uint_t max, ngx_log_t *log);
void ngx_http_session_engine_connect(ngx_http_session_engine_t *engine);
void ngx_http_session_engine_open(ngx_http_session_engine_t *engine);
ngx_int_t ngx_http_session_engine_send(ngx_http_session_engine_t *engine,
    ngx_http_session_engine_reply_pt handler, void *data, ngx_msec_t wait,
    int argc, const char **argv, const size_t *argvlen);
ngx_uint_t ngx_http_session_engine_room(ngx_http_session_engine_t *engine);
void ngx_http_session_engine_fail(ngx_http_session_engine_t *engine,
    ngx_uint_t reason, const char *why);
void ngx_http_session_engine_close(ngx_http_session_engine_t *engine);
const char *ngx_http_session_engine_state_name(ngx_uint_t state);

/* ngx_http_session_fleet_codec.c */
extern redisReplyObjectFunctions  ngx_http_session_fleet_reply_functions;

ngx_int_t ngx_http_session_fleet_decode_record(redisReply *reply,
    u_char *digest, ngx_http_session_fleet_record_t *rec,
    const char **error);
ngx_uint_t ngx_http_session_fleet_encode_record(
    ngx_http_session_import_t *im, u_char *buf, size_t size,
    const char **argv, size_t *argvlen, ngx_uint_t max);
ngx_int_t ngx_http_session_fleet_decode_touches(ngx_str_t *text,
    ngx_http_session_touch_t *touches, ngx_uint_t max,
    ngx_uint_t *n);
u_char *ngx_http_session_fleet_encode_touch(u_char *p,
    ngx_http_session_touch_t *t);
ngx_int_t ngx_http_session_fleet_decode_entries(redisReply *reply,
    ngx_str_t *stream, ngx_http_session_fleet_entry_t *entries,
    ngx_uint_t max, ngx_uint_t *n, const char **error);
ngx_int_t ngx_http_session_fleet_decode_last(redisReply *reply,
    ngx_http_session_fleet_entry_t *entry, const char **error);
ngx_int_t ngx_http_session_fleet_decode_scan(redisReply *reply,
    uint64_t *cursor, redisReply **keys, const char **error);
ngx_int_t ngx_http_session_fleet_decode_info(redisReply *reply,
    ngx_http_session_fleet_info_t *info, const char **error);
ngx_int_t ngx_http_session_fleet_parse_id(u_char *p, size_t len,
    ngx_http_session_fleet_id_t *id);
u_char *ngx_http_session_fleet_id_text(u_char *p,
    ngx_http_session_fleet_id_t *id);
ngx_int_t ngx_http_session_fleet_key_sid(ngx_str_t *key, ngx_str_t *prefix,
    u_char *digest);
ngx_int_t ngx_http_session_fleet_integer(redisReply *reply, int64_t *n);



#endif /* _NGX_HTTP_SESSION_ENGINE_H_INCLUDED_ */
