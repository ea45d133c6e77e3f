
/*
 * Copyright (C) ngx_http_session_module authors
 */


#ifndef _NGX_HTTP_SESSION_FLEET_H_INCLUDED_
#define _NGX_HTTP_SESSION_FLEET_H_INCLUDED_


#include "ngx_http_session_store.h"


/*
 * The fleet: the sessions of a zone shared by several nginx nodes
 * through a Redis-protocol engine (docs/fleet.md).  A layer between the
 * store, which it calls, and tracking and the endpoints, which call it;
 * its files, each calling only the ones below it:
 *
 *   fleet.c          a worker's side: publish changes and last accesses
 *   fleet_sync.c     the leader's side: epoch, put back, resync, follow
 *   fleet_lookup.c   unknown tokens asked of the engine
 *   fleet_put.c      the engine's scripts: merging a record, last accesses
 *   engine.c         one connection: AUTH, pipelined commands, deadlines,
 *                    reconnection with backoff, state changes
 *   redis.c          hiredis's async context on nginx's event loop
 *   fleet_codec.c    engine data <-> session records; bounded replies
 *   fleet_conf.c     secret= and session_fleet, read at configuration
 *
 * Above it: track_fleet.c, the request's wait for a lookup (tracking),
 * and status_fleet.c, the status endpoint's fleet section.
 */


/*
 * This header is what the layers above call (tracking, the status
 * endpoint, the configuration and the module file); the fleet's own
 * files share ngx_http_session_engine.h, which brings hiredis.
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

/* why a connection failed: one log line per change of these */
#define NGX_HTTP_SESSION_ENGINE_OK           0
#define NGX_HTTP_SESSION_ENGINE_REFUSED      1
#define NGX_HTTP_SESSION_ENGINE_TIMEDOUT     2
#define NGX_HTTP_SESSION_ENGINE_AUTH_FAILED  3
#define NGX_HTTP_SESSION_ENGINE_PROTOCOL     4
#define NGX_HTTP_SESSION_ENGINE_CLOSED       5
#define NGX_HTTP_SESSION_ENGINE_TOO_LARGE    6
#define NGX_HTTP_SESSION_ENGINE_FAILED       7

/* the node's state, as logged: up, or a kind of failure */
#define NGX_HTTP_SESSION_ENGINE_UNREACHABLE  NGX_HTTP_SESSION_ENGINE_REFUSED
#define NGX_HTTP_SESSION_ENGINE_STARTING     100     /* never connected */


typedef struct ngx_http_session_fleet_s  ngx_http_session_fleet_t;


/* where the engine is, read at configuration time */

typedef struct {
    ngx_str_t                    address;     /* as configured, for logs */
    char                        *host;        /* numeric, or NULL: unix */
    int                          port;
    char                        *path;        /* unix socket */
    ngx_str_t                    user;        /* ACL user, or empty */
    ngx_str_t                    password;    /* empty: no AUTH */
    ngx_msec_t                   timeout;
} ngx_http_session_engine_conf_t;


/* a stream entry id, "MS-SEQ" */

typedef struct {
    uint64_t                     ms;
    uint64_t                     seq;
} ngx_http_session_fleet_id_t;


/* session_fleet, as configured */

struct ngx_http_session_fleet_conf_s {
    ngx_http_session_engine_conf_t   engine;
    ngx_str_t                        prefix;
    ngx_shm_zone_t                  *shm_zone;    /* the session zone */
    ngx_http_session_zone_t         *zone;
    ngx_shm_zone_t                  *fleet_zone;  /* the node's fleet state */
    ngx_str_t                        file;        /* of the directive */
    ngx_uint_t                       line;
    ngx_http_session_fleet_t        *fleet;       /* this worker's */
};


/*
 * What the workers of a node share about the fleet, in a small shared
 * memory zone of its own ("NAME fleet"): nothing per session, so the
 * session zone's layout and its bytes per session are the store's.
 */

typedef struct {
    ngx_atomic_t                 state;       /* as last logged: reason */
    ngx_atomic_t                 leader;      /* pid holding the lease */
    ngx_atomic_t                 lease;       /* until, ms since the epoch */
    ngx_atomic_t                 putback;     /* changes were lost */
    ngx_atomic_t                 synced;      /* a resync completed */
    ngx_atomic_t                 since;       /* ms, of the last change */

    ngx_atomic_t                 queued;      /* waiting, all workers */
    ngx_atomic_t                 sent;        /* changes the engine took */
    ngx_atomic_t                 dropped;     /* changes not queued */
    ngx_atomic_t                 touches;     /* last accesses sent */
    ngx_atomic_t                 applied;     /* others' entries applied */
    ngx_atomic_t                 lookups;
    ngx_atomic_t                 found;
    ngx_atomic_t                 timeouts;    /* lookups given up */
    ngx_atomic_t                 resyncs;
    ngx_atomic_t                 loaded;      /* sessions the resyncs read */
    ngx_atomic_t                 putbacks;
    ngx_atomic_t                 put;         /* sessions put back */
    ngx_atomic_t                 rejected;    /* engine data refused */
    ngx_atomic_t                 lag;         /* ms, at the last read */
    ngx_atomic_t                 errors;      /* failures of the engine */
    ngx_atomic_t                 commands;    /* sent to the engine */

    /* under the zone's mutex */
    ngx_http_session_fleet_id_t  position;    /* the last entry applied */
    ngx_http_session_fleet_id_t  touched;     /* the same, touch stream */
    uint64_t                     seq;         /* the number of "position" */
    int64_t                      error_at;
    u_char                       error[128];
    u_char                       node[NGX_HTTP_SESSION_FLEET_NODE_LEN];
    u_char                       epoch[NGX_HTTP_SESSION_FLEET_NODE_LEN];
} ngx_http_session_fleet_sh_t;


/* the fleet's part of the status */

typedef struct {
    ngx_str_t                    address;
    ngx_uint_t                   leader;      /* pid */
    u_char                       position[2 * NGX_INT64_LEN + 2];
    size_t                       position_len;
    ngx_http_session_fleet_sh_t  sh;          /* a copy */
} ngx_http_session_fleet_stats_t;


/* a lookup's end: "found" when the zone holds an open session now */

typedef void (*ngx_http_session_fleet_done_pt)(ngx_http_request_t *r,
    ngx_uint_t found);


/* ngx_http_session_fleet_conf.c: the configuration */
char *ngx_http_session_secret(ngx_conf_t *cf, ngx_str_t *file,
    u_char *key);
char *ngx_http_session_fleet(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_session_fleet_check(ngx_conf_t *cf);

/* ngx_http_session_fleet.c: a worker's side, as tracking calls it */
ngx_int_t ngx_http_session_fleet_init_worker(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone);
void ngx_http_session_fleet_exit(ngx_http_session_zone_t *zone);
void ngx_http_session_fleet_touch(ngx_http_session_zone_t *zone,
    u_char *digest, u_char *addr, size_t addr_len);
void ngx_http_session_fleet_changed(ngx_http_session_zone_t *zone,
    u_char *digest);
void *ngx_http_session_fleet_before_end(ngx_http_session_zone_t *zone,
    u_char *digest);
void ngx_http_session_fleet_ended(ngx_http_session_zone_t *zone, void *copy,
    int64_t logout);
ngx_int_t ngx_http_session_fleet_stats(ngx_http_session_zone_t *zone,
    ngx_http_session_fleet_stats_t *st);

/* ngx_http_session_fleet_lookup.c */
ngx_int_t ngx_http_session_fleet_lookup(ngx_http_request_t *r,
    ngx_http_session_zone_t *zone, u_char *digest,
    ngx_http_session_fleet_done_pt done);


#endif /* _NGX_HTTP_SESSION_FLEET_H_INCLUDED_ */
