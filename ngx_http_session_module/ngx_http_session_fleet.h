
/*
 * Copyright (C) ngx_http_session_module authors
 */


#ifndef _NGX_HTTP_SESSION_FLEET_H_INCLUDED_
#define _NGX_HTTP_SESSION_FLEET_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_session_module.h"


/*
 * The fleet: the sessions of a zone shared by several nginx nodes
 * through a Redis-protocol engine (docs/fleet.md).  Layers, each calling
 * only the ones below it:
 *
 *   fleet.c          replication: publish, follow, look up, resync
 *   engine.c         one connection: AUTH, pipelined commands, deadlines,
 *                    reconnection with backoff, state changes
 *   redis.c          hiredis's async context on nginx's event loop
 *   fleet_codec.c    engine data <-> session records; bounded replies
 *   fleet_conf.c     secret= and session_fleet, read at configuration
 */


#define NGX_HTTP_SESSION_FLEET_PORT          6379
#define NGX_HTTP_SESSION_FLEET_PREFIX        "session:"
#define NGX_HTTP_SESSION_FLEET_TIMEOUT       200
#define NGX_HTTP_SESSION_FLEET_PREFIX_MAX    64

/* the secret and the password are read whole; larger files are refused */
#define NGX_HTTP_SESSION_FLEET_FILE_MAX      4096
#define NGX_HTTP_SESSION_FLEET_SECRET_MIN    32

/* a node's id in the engine: random, 16 hex digits */
#define NGX_HTTP_SESSION_FLEET_NODE_LEN      16

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

/* why a connection failed: one log line per change of these */
#define NGX_HTTP_SESSION_ENGINE_OK           0
#define NGX_HTTP_SESSION_ENGINE_REFUSED      1
#define NGX_HTTP_SESSION_ENGINE_TIMEDOUT     2
#define NGX_HTTP_SESSION_ENGINE_AUTH_FAILED  3
#define NGX_HTTP_SESSION_ENGINE_PROTOCOL     4
#define NGX_HTTP_SESSION_ENGINE_CLOSED       5
#define NGX_HTTP_SESSION_ENGINE_TOO_LARGE    6
#define NGX_HTTP_SESSION_ENGINE_FAILED       7


typedef struct ngx_http_session_engine_s  ngx_http_session_engine_t;
typedef struct ngx_http_session_redis_s   ngx_http_session_redis_t;


/* where the engine is, read at configuration time */

typedef struct {
    ngx_str_t                    address;     /* as configured, for logs */
    char                        *host;        /* numeric, or NULL: unix */
    int                          port;
    char                        *path;        /* unix socket */
    ngx_str_t                    password;    /* empty: no AUTH */
    ngx_msec_t                   timeout;
} ngx_http_session_engine_conf_t;


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

    ngx_http_session_engine_event_pt   ready;
    ngx_http_session_engine_event_pt   down;
    void                              *data;
    ngx_log_t                         *log;

    unsigned                           closing:1;
};


/* session_fleet, as configured */

struct ngx_http_session_fleet_conf_s {
    ngx_http_session_engine_conf_t   engine;
    ngx_str_t                        prefix;
    ngx_shm_zone_t                  *shm_zone;    /* the session zone */
    ngx_http_session_zone_t         *zone;
    ngx_str_t                        file;        /* of the directive */
    ngx_uint_t                       line;
};


/* a session record as the engine holds it, decoded and checked */

typedef struct {
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    ngx_http_session_import_t    im;
    u_char                       vars[NGX_HTTP_SESSION_VARS_SIZE];
} ngx_http_session_fleet_record_t;


/* one last-access touch */

typedef struct {
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    int64_t                      last;
    uint32_t                     delta;       /* requests since the last */
    u_char                       addr_len;
    u_char                       addr[16];
} ngx_http_session_fleet_touch_t;


/* a stream entry id, "MS-SEQ" */

typedef struct {
    uint64_t                     ms;
    uint64_t                     seq;
} ngx_http_session_fleet_id_t;


/* one entry of the change stream */

#define NGX_HTTP_SESSION_FLEET_RECORD   1
#define NGX_HTTP_SESSION_FLEET_TOUCH    2

typedef struct {
    ngx_http_session_fleet_id_t  id;
    ngx_uint_t                   kind;        /* 0: skip it */
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    ngx_str_t                    node;
    redisReply                  *fields;      /* the entry's field list */
    ngx_str_t                    touches;     /* TOUCH: the packed text */
} ngx_http_session_fleet_entry_t;


/* ngx_http_session_fleet_conf.c */
char *ngx_http_session_secret(ngx_conf_t *cf, ngx_str_t *file,
    u_char *key);
char *ngx_http_session_fleet(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_session_read_secret_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *content, const char *what);
ngx_int_t ngx_http_session_fleet_prefix_ok(ngx_str_t *prefix);
ngx_int_t ngx_http_session_fleet_check(ngx_conf_t *cf);

/* ngx_http_session_redis.c */
ngx_int_t ngx_http_session_redis_attach(ngx_http_session_redis_t *rd,
    redisAsyncContext *ac);
void ngx_http_session_redis_close(ngx_http_session_redis_t *rd);

/* ngx_http_session_engine.c */
ngx_http_session_engine_t *ngx_http_session_engine_create(
    ngx_http_session_engine_conf_t *conf, ngx_uint_t max, ngx_log_t *log);
void ngx_http_session_engine_connect(ngx_http_session_engine_t *engine);
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
    ngx_http_session_fleet_touch_t *touches, ngx_uint_t max,
    ngx_uint_t *n);
u_char *ngx_http_session_fleet_encode_touch(u_char *p,
    ngx_http_session_fleet_touch_t *t);
ngx_int_t ngx_http_session_fleet_decode_entries(redisReply *reply,
    ngx_http_session_fleet_entry_t *entries, ngx_uint_t max,
    ngx_uint_t *n, const char **error);
ngx_int_t ngx_http_session_fleet_decode_scan(redisReply *reply,
    uint64_t *cursor, redisReply **keys, const char **error);
ngx_int_t ngx_http_session_fleet_parse_id(u_char *p, size_t len,
    ngx_http_session_fleet_id_t *id);
u_char *ngx_http_session_fleet_id_text(u_char *p,
    ngx_http_session_fleet_id_t *id);
ngx_int_t ngx_http_session_fleet_key_sid(ngx_str_t *key, ngx_str_t *prefix,
    u_char *digest);
ngx_int_t ngx_http_session_fleet_integer(redisReply *reply, int64_t *n);


#endif /* _NGX_HTTP_SESSION_FLEET_H_INCLUDED_ */
