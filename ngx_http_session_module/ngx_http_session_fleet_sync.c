
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>
#include <sodium.h>

#include "ngx_http_session_engine.h"


/*
 * The fleet, the leader's side: the one worker of a node that holds the
 * lease (fleet.c) keeps the node's zone a replica of the engine's.
 * Calls the store, the engine client, the codec and fleet.c's senders.
 *
 * Each time its connection comes up it reads the engine's epoch, a
 * random value the first node writes: one this node has not seen means
 * the engine started empty or lost its data, and the node puts back all
 * its sessions (so does a node that could not send some changes).  A
 * node that has not read the engine whole since it started (it started
 * late, or was away long enough for the stream to be cut), notes the
 * stream's last entry, reads every session (SCAN, and HGETALL for each
 * page, pipelined), and then follows the stream from the entry it
 * noted, on a connection of its own where XREAD may block.
 */


/* stream entries per read, and how long a read waits for one, ms */
#define NGX_HTTP_SESSION_SYNC_ENTRIES   256
#define NGX_HTTP_SESSION_SYNC_BLOCK     1000

/* keys per SCAN page; HGETALLs in flight at most */
#define NGX_HTTP_SESSION_SYNC_PAGE      512
#define NGX_HTTP_SESSION_SYNC_READS     2048

/* sessions being put back, in flight at most */
#define NGX_HTTP_SESSION_SYNC_PUTS      512


static void ngx_http_session_fleet_sync_ready(
    ngx_http_session_engine_t *engine);
static void ngx_http_session_fleet_sync_down(
    ngx_http_session_engine_t *engine);
static void ngx_http_session_fleet_epoch(ngx_http_session_fleet_t *fleet);
static void ngx_http_session_fleet_epoch_done(
    ngx_http_session_engine_t *engine, redisReply *reply, void *data);
static void ngx_http_session_fleet_ignore(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data);
static void ngx_http_session_fleet_check_gap(ngx_http_session_fleet_t *fleet);
static void ngx_http_session_fleet_gap_done(
    ngx_http_session_engine_t *engine, redisReply *reply, void *data);
static void ngx_http_session_fleet_resync(ngx_http_session_fleet_t *fleet);
static void ngx_http_session_fleet_start_done(
    ngx_http_session_engine_t *engine, redisReply *reply, void *data);
static void ngx_http_session_fleet_scan(ngx_http_session_fleet_t *fleet);
static void ngx_http_session_fleet_scan_done(
    ngx_http_session_engine_t *engine, redisReply *reply, void *data);
static void ngx_http_session_fleet_read_done(
    ngx_http_session_engine_t *engine, redisReply *reply, void *data);
static void ngx_http_session_fleet_resynced(ngx_http_session_fleet_t *fleet);
static void ngx_http_session_fleet_putback(ngx_http_session_fleet_t *fleet);
static void ngx_http_session_fleet_putback_done(
    ngx_http_session_engine_t *engine, redisReply *reply, void *data);
static void ngx_http_session_fleet_follow(ngx_http_session_fleet_t *fleet);
static void ngx_http_session_fleet_follow_done(
    ngx_http_session_engine_t *engine, redisReply *reply, void *data);
static void ngx_http_session_fleet_apply(ngx_http_session_fleet_t *fleet,
    ngx_http_session_fleet_entry_t *entry);
static ngx_int_t ngx_http_session_fleet_advance(
    ngx_http_session_fleet_t *fleet, ngx_http_session_fleet_id_t *position,
    ngx_http_session_fleet_entry_t *entry, ngx_uint_t *gap);


/*
 * This worker holds the lease: on its first call the leader's own
 * connection and buffers are made; the work starts once both
 * connections are up, and again whenever they come back.
 */

void
ngx_http_session_fleet_sync_start(ngx_http_session_fleet_t *fleet)
{
    if (!fleet->leader || fleet->exiting) {
        return;
    }

    if (fleet->follower == NULL) {
        fleet->follower = ngx_http_session_engine_create(
                                  &fleet->conf->engine, 4, fleet->log);
        if (fleet->follower == NULL) {
            return;
        }

        fleet->follower->commands = &fleet->sh->commands;
        fleet->follower->ready = ngx_http_session_fleet_sync_ready;
        fleet->follower->down = ngx_http_session_fleet_sync_down;
        fleet->follower->data = fleet;

        fleet->digests = ngx_pnalloc(fleet->pool,
                                     NGX_HTTP_SESSION_SYNC_READS
                                     * NGX_HTTP_SESSION_DIGEST_LEN);
        if (fleet->digests == NULL) {
            return;
        }

        if (ngx_http_session_batch_init(fleet->pool, &fleet->batch,
                                        NGX_HTTP_SESSION_BATCH)
            != NGX_OK)
        {
            return;
        }
    }

    if (fleet->follower->closing) {
        ngx_http_session_engine_open(fleet->follower);

    } else if (fleet->follower->state == NGX_HTTP_SESSION_ENGINE_DOWN
               && !fleet->follower->retry.timer_set)
    {
        ngx_http_session_engine_connect(fleet->follower);
    }

    if (fleet->sync == NGX_HTTP_SESSION_SYNC_IDLE
        && fleet->engine->state == NGX_HTTP_SESSION_ENGINE_READY)
    {
        ngx_http_session_fleet_epoch(fleet);

    } else if (fleet->sync == NGX_HTTP_SESSION_SYNC_FOLLOW) {
        ngx_http_session_fleet_follow(fleet);
    }
}


/* the lease is gone, or the worker is leaving */

void
ngx_http_session_fleet_sync_stop(ngx_http_session_fleet_t *fleet)
{
    fleet->sync = NGX_HTTP_SESSION_SYNC_IDLE;
    fleet->putback = 0;
    fleet->checking = 0;

    if (fleet->follower) {
        ngx_http_session_engine_close(fleet->follower);
    }
}


void
ngx_http_session_fleet_sync_tick(ngx_http_session_fleet_t *fleet)
{
    if (fleet->engine->state != NGX_HTTP_SESSION_ENGINE_READY) {
        fleet->sync = NGX_HTTP_SESSION_SYNC_IDLE;
        fleet->putback = 0;
        return;
    }

    switch (fleet->sync) {

    case NGX_HTTP_SESSION_SYNC_IDLE:
        ngx_http_session_fleet_sync_start(fleet);
        break;

    case NGX_HTTP_SESSION_SYNC_SCAN:
        ngx_http_session_fleet_scan(fleet);
        break;

    case NGX_HTTP_SESSION_SYNC_FOLLOW:
        ngx_http_session_fleet_follow(fleet);
        break;
    }

    if (fleet->putback) {
        ngx_http_session_fleet_putback(fleet);

    } else if (fleet->sh->putback
               && fleet->sync == NGX_HTTP_SESSION_SYNC_FOLLOW)
    {
        /* changes of this node were lost since: all of it goes back */
        fleet->sh->putback = 0;
        fleet->putback = 1;
        ngx_memzero(&fleet->cursor, sizeof(ngx_http_session_cursor_t));
        fleet->cursor.walk = NGX_HTTP_SESSION_WALK_TREE;
        fleet->cursor.closed = 1;
        fleet->pending = 0;
        fleet->scan_count = 0;
        ngx_http_session_fleet_putback(fleet);
    }
}


static void
ngx_http_session_fleet_sync_ready(ngx_http_session_engine_t *engine)
{
    ngx_http_session_fleet_t *fleet = engine->data;

    ngx_http_session_fleet_sync_start(fleet);
}


static void
ngx_http_session_fleet_sync_down(ngx_http_session_engine_t *engine)
{
    ngx_http_session_fleet_t *fleet = engine->data;

    /* the logging and the node's state are fleet.c's */
    fleet->engine->down(engine);
}


/*
 * SET NX a new epoch (the first node to see an empty engine wins), and
 * read the one that holds.
 */

static void
ngx_http_session_fleet_epoch(ngx_http_session_fleet_t *fleet)
{
    const char  *argv[4];
    size_t       argvlen[4];
    u_char       id[NGX_HTTP_SESSION_FLEET_NODE_LEN / 2];

    randombytes_buf(id, sizeof(id));
    ngx_hex_dump(fleet->candidate, id, sizeof(id));

    argv[0] = "SET";
    argvlen[0] = 3;
    argv[1] = (const char *) fleet->epoch_key.data;
    argvlen[1] = fleet->epoch_key.len;
    argv[2] = (const char *) fleet->candidate;
    argvlen[2] = NGX_HTTP_SESSION_FLEET_NODE_LEN;
    argv[3] = "NX";
    argvlen[3] = 2;

    if (ngx_http_session_engine_send(fleet->engine,
                                     ngx_http_session_fleet_ignore, NULL,
                                     fleet->wait,
                                     4, argv, argvlen)
        != NGX_OK)
    {
        return;
    }

    argv[0] = "GET";

    if (ngx_http_session_engine_send(fleet->engine,
                                     ngx_http_session_fleet_epoch_done,
                                     fleet, fleet->wait,
                                     2, argv, argvlen)
        != NGX_OK)
    {
        return;
    }

    fleet->sync = NGX_HTTP_SESSION_SYNC_EPOCH;
}


static void
ngx_http_session_fleet_ignore(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data)
{
    /* the answer that matters comes with the next command */
}


static void
ngx_http_session_fleet_epoch_done(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data)
{
    ngx_http_session_fleet_t *fleet = data;

    ngx_uint_t                    putback, resync;
    ngx_http_session_fleet_sh_t  *sh;

    if (reply == NULL || fleet->sync != NGX_HTTP_SESSION_SYNC_EPOCH) {
        fleet->sync = NGX_HTTP_SESSION_SYNC_IDLE;
        return;
    }

    sh = fleet->sh;

    if (reply->type != REDIS_REPLY_STRING
        || reply->len != NGX_HTTP_SESSION_FLEET_NODE_LEN)
    {
        ngx_http_session_fleet_error(fleet, "the engine's epoch",
                                     (reply->type == REDIS_REPLY_ERROR)
                                     ? reply->str
                                     : "not what this module writes there");
        fleet->sync = NGX_HTTP_SESSION_SYNC_IDLE;
        return;
    }

    putback = sh->putback;
    resync = !sh->synced;

    if (sh->epoch[0] == '\0') {
        /* the node's first time: an engine that had no epoch is empty */

        if (ngx_memcmp(reply->str, fleet->candidate,
                       NGX_HTTP_SESSION_FLEET_NODE_LEN) == 0)
        {
            putback = 1;
        }

    } else if (ngx_memcmp(sh->epoch, reply->str,
                          NGX_HTTP_SESSION_FLEET_NODE_LEN) != 0)
    {
        ngx_log_error(NGX_LOG_WARN, fleet->log, 0,
                      "session fleet: the engine at %V lost the sessions "
                      "of zone \"%V\" (it restarted empty, or they were "
                      "deleted): this node puts back what it holds",
                      &fleet->conf->engine.address, &fleet->zone->name);
        putback = 1;
        resync = 1;
    }

    ngx_shmtx_lock(&fleet->shpool->mutex);
    ngx_memcpy(sh->epoch, reply->str, NGX_HTTP_SESSION_FLEET_NODE_LEN);
    ngx_shmtx_unlock(&fleet->shpool->mutex);

    if (putback) {
        sh->putback = 0;
        fleet->putback = 1;
        ngx_memzero(&fleet->cursor, sizeof(ngx_http_session_cursor_t));
        fleet->cursor.walk = NGX_HTTP_SESSION_WALK_TREE;
        fleet->cursor.closed = 1;
        fleet->pending = 0;
        fleet->scan_count = 0;
        ngx_http_session_fleet_putback(fleet);
    }

    if (resync) {
        ngx_http_session_fleet_resync(fleet);

    } else {
        ngx_http_session_fleet_check_gap(fleet);
    }
}


/*
 * Back after a while: entries this node never read may have been cut
 * from the stream meanwhile.  Then it reads the engine whole again.
 */

static void
ngx_http_session_fleet_check_gap(ngx_http_session_fleet_t *fleet)
{
    const char  *argv[3];
    size_t       argvlen[3];

    if (fleet->checking) {
        return;
    }

    argv[0] = "XINFO";
    argvlen[0] = 5;
    argv[1] = "STREAM";
    argvlen[1] = 6;
    argv[2] = (const char *) fleet->stream.data;
    argvlen[2] = fleet->stream.len;

    if (ngx_http_session_engine_send(fleet->engine,
                                     ngx_http_session_fleet_gap_done, fleet,
                                     fleet->wait,
                                     3, argv, argvlen)
        != NGX_OK)
    {
        fleet->sync = NGX_HTTP_SESSION_SYNC_IDLE;
        return;
    }

    fleet->checking = 1;

    if (fleet->sync != NGX_HTTP_SESSION_SYNC_FOLLOW) {
        fleet->sync = NGX_HTTP_SESSION_SYNC_START;
    }
}


static void
ngx_http_session_fleet_gap_done(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data)
{
    ngx_http_session_fleet_t *fleet = data;

    const char                     *error;
    ngx_http_session_fleet_id_t     position;
    ngx_http_session_fleet_info_t   info;

    fleet->checking = 0;

    if (reply == NULL) {
        fleet->sync = NGX_HTTP_SESSION_SYNC_IDLE;
        return;
    }

    if (fleet->sync != NGX_HTTP_SESSION_SYNC_START
        && fleet->sync != NGX_HTTP_SESSION_SYNC_FOLLOW)
    {
        return;
    }

    ngx_shmtx_lock(&fleet->shpool->mutex);
    position = fleet->sh->position;
    ngx_shmtx_unlock(&fleet->shpool->mutex);

    if (reply->type == REDIS_REPLY_ERROR) {
        /* no stream: nothing was written since the engine started */

        if (position.ms == 0 && position.seq == 0) {
            if (fleet->sync != NGX_HTTP_SESSION_SYNC_FOLLOW) {
                fleet->sync = NGX_HTTP_SESSION_SYNC_FOLLOW;
                ngx_http_session_fleet_follow(fleet);
            }

            return;
        }

        ngx_http_session_fleet_resync(fleet);
        return;
    }

    error = NULL;

    if (ngx_http_session_fleet_decode_info(reply, &info, &error) != NGX_OK) {
        (void) ngx_atomic_fetch_add(&fleet->sh->rejected, 1);
        ngx_http_session_fleet_error(fleet, "the stream's information",
                                     error);
        ngx_http_session_fleet_resync(fleet);
        return;
    }

    /*
     * Entries past this node's place are gone when the stream is empty
     * but was written past it, or its first entry is past it and some
     * were cut (a node whose very place was cut while the next entry
     * stays reads the engine once for nothing), or one was deleted.
     */

    if ((info.length == 0
         && ngx_http_session_fleet_id_cmp(&info.last, &position) > 0)
        || (info.length
            && ngx_http_session_fleet_id_cmp(&info.first, &position) > 0
            && (!info.counted || info.added > info.length))
        || ngx_http_session_fleet_id_cmp(&info.deleted, &position) > 0)
    {
        ngx_log_error(NGX_LOG_NOTICE, fleet->log, 0,
                      "session fleet: zone \"%V\" missed changes the "
                      "stream no longer holds: it reads the engine whole",
                      &fleet->zone->name);
        ngx_http_session_fleet_resync(fleet);
        return;
    }

    if (fleet->sync != NGX_HTTP_SESSION_SYNC_FOLLOW) {
        fleet->sync = NGX_HTTP_SESSION_SYNC_FOLLOW;
        ngx_http_session_fleet_follow(fleet);
    }
}


/* a resync: the stream's last entry first, where following resumes */

static void
ngx_http_session_fleet_resync(ngx_http_session_fleet_t *fleet)
{
    const char  *argv[6];
    size_t       argvlen[6];

    argv[0] = "XREVRANGE";
    argvlen[0] = 9;
    argv[1] = (const char *) fleet->stream.data;
    argvlen[1] = fleet->stream.len;
    argv[2] = "+";
    argvlen[2] = 1;
    argv[3] = "-";
    argvlen[3] = 1;
    argv[4] = "COUNT";
    argvlen[4] = 5;
    argv[5] = "1";
    argvlen[5] = 1;

    if (ngx_http_session_engine_send(fleet->engine,
                                     ngx_http_session_fleet_start_done,
                                     &fleet->start, fleet->wait,
                                     6, argv, argvlen)
        != NGX_OK)
    {
        fleet->sync = NGX_HTTP_SESSION_SYNC_IDLE;
        return;
    }

    argv[1] = (const char *) fleet->touch_stream.data;
    argvlen[1] = fleet->touch_stream.len;

    if (ngx_http_session_engine_send(fleet->engine,
                                     ngx_http_session_fleet_start_done,
                                     &fleet->touch_start, fleet->wait,
                                     6, argv, argvlen)
        != NGX_OK)
    {
        fleet->sync = NGX_HTTP_SESSION_SYNC_IDLE;
        return;
    }

    fleet->sync = NGX_HTTP_SESSION_SYNC_START;
}


/*
 * The last entry of each stream, where following starts once the scan
 * is done: "data" is where it goes; the touch stream's answer comes
 * second and starts the scan.
 */

static void
ngx_http_session_fleet_start_done(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data)
{
    ngx_http_session_fleet_id_t *start = data;

    ngx_int_t                        rc;
    const char                      *error;
    ngx_http_session_fleet_t        *fleet;
    ngx_http_session_fleet_entry_t   last;

    fleet = engine->data;

    if (reply == NULL || fleet->sync != NGX_HTTP_SESSION_SYNC_START) {
        fleet->sync = NGX_HTTP_SESSION_SYNC_IDLE;
        return;
    }

    error = NULL;

    if (reply->type == REDIS_REPLY_ERROR) {
        /* someone else's key: read from its start */
        ngx_http_session_fleet_error(fleet, "a stream", reply->str);
        ngx_memzero(&last, sizeof(ngx_http_session_fleet_entry_t));

    } else {
        rc = ngx_http_session_fleet_decode_last(reply, &last, &error);

        if (rc != NGX_OK) {
            (void) ngx_atomic_fetch_add(&fleet->sh->rejected, 1);
            ngx_http_session_fleet_error(fleet, "a stream's last entry",
                                         error);
        }

        if (rc == NGX_ERROR) {
            fleet->sync = NGX_HTTP_SESSION_SYNC_IDLE;
            return;
        }
    }

    *start = last.id;

    if (start == &fleet->start) {
        fleet->start_seq = last.n;
    }

    if (start != &fleet->touch_start) {
        return;
    }

    fleet->sync = NGX_HTTP_SESSION_SYNC_SCAN;
    fleet->scan_cursor = 0;
    fleet->scan_done = 0;
    fleet->scan_count = 0;
    fleet->dhead = 0;
    fleet->ndigests = 0;
    fleet->scan_ready = 1;
    fleet->sync_started = ngx_current_msec;

    ngx_http_session_fleet_scan(fleet);
}


/* the next SCAN page, while there is room for its HGETALLs */

static void
ngx_http_session_fleet_scan(ngx_http_session_fleet_t *fleet)
{
    u_char      *p;
    const char  *argv[6];
    size_t       argvlen[6];
    u_char       cursor[NGX_INT64_LEN];

    if (fleet->sync != NGX_HTTP_SESSION_SYNC_SCAN
        || fleet->scan_done
        || !fleet->scan_ready
        || fleet->ndigests + 2 * NGX_HTTP_SESSION_SYNC_PAGE
           > NGX_HTTP_SESSION_SYNC_READS
        || ngx_http_session_engine_room(fleet->engine)
           < 2 * NGX_HTTP_SESSION_SYNC_PAGE + 1)
    {
        return;
    }

    p = ngx_sprintf(cursor, "%uL", fleet->scan_cursor);

    argv[0] = "SCAN";
    argvlen[0] = 4;
    argv[1] = (const char *) cursor;
    argvlen[1] = p - cursor;
    argv[2] = "MATCH";
    argvlen[2] = 5;
    argv[3] = (const char *) fleet->pattern.data;
    argvlen[3] = fleet->pattern.len;
    argv[4] = "COUNT";
    argvlen[4] = 5;
    argv[5] = "512";
    argvlen[5] = 3;

    if (ngx_http_session_engine_send(fleet->engine,
                                     ngx_http_session_fleet_scan_done, fleet,
                                     fleet->wait,
                                     6, argv, argvlen)
        != NGX_OK)
    {
        return;
    }

    /* one page at a time: the next starts where this one's answer says */
    fleet->scan_ready = 0;
}


static void
ngx_http_session_fleet_scan_done(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data)
{
    ngx_http_session_fleet_t *fleet = data;

    u_char      *digest;
    size_t       i;
    ngx_str_t    key;
    redisReply  *keys;
    const char  *error, *argv[2];
    size_t       argvlen[2];

    if (reply == NULL || fleet->sync != NGX_HTTP_SESSION_SYNC_SCAN) {
        return;
    }

    fleet->scan_ready = 1;

    error = NULL;

    if (ngx_http_session_fleet_decode_scan(reply, &fleet->scan_cursor, &keys,
                                           &error)
        != NGX_OK)
    {
        (void) ngx_atomic_fetch_add(&fleet->sh->rejected, 1);
        ngx_http_session_fleet_error(fleet, "a SCAN of the engine", error);
        ngx_http_session_engine_fail(engine, NGX_HTTP_SESSION_ENGINE_PROTOCOL,
                                     "a bad answer to SCAN");
        return;
    }

    if (keys->elements + fleet->ndigests > NGX_HTTP_SESSION_SYNC_READS
        || keys->elements + NGX_HTTP_SESSION_SYNC_PAGE
           > ngx_http_session_engine_room(engine))
    {
        /* SCAN may answer more than asked: read again from the start */
        ngx_http_session_fleet_error(fleet, "a SCAN of the engine",
                                     "a page larger than there is room for");
        fleet->sync = NGX_HTTP_SESSION_SYNC_IDLE;
        return;
    }

    for (i = 0; i < keys->elements; i++) {
        key.data = (u_char *) keys->element[i]->str;
        key.len = keys->element[i]->len;

        digest = fleet->digests
                 + ((fleet->dhead + fleet->ndigests)
                    % NGX_HTTP_SESSION_SYNC_READS)
                   * NGX_HTTP_SESSION_DIGEST_LEN;

        if (ngx_http_session_fleet_key_sid(&key, &fleet->conf->prefix,
                                           digest)
            != NGX_OK)
        {
            /* a key under the prefix that is not a session's */
            (void) ngx_atomic_fetch_add(&fleet->sh->rejected, 1);
            continue;
        }

        argv[0] = "HGETALL";
        argvlen[0] = 7;
        argv[1] = (const char *) key.data;
        argvlen[1] = key.len;

        if (ngx_http_session_engine_send(engine,
                                         ngx_http_session_fleet_read_done,
                                         fleet, fleet->wait,
                                         2, argv, argvlen)
            != NGX_OK)
        {
            fleet->sync = NGX_HTTP_SESSION_SYNC_IDLE;
            return;
        }

        fleet->ndigests++;
    }

    if (fleet->scan_cursor == 0) {
        fleet->scan_done = 1;

        if (fleet->ndigests == 0) {
            ngx_http_session_fleet_resynced(fleet);
        }

        return;
    }

    ngx_http_session_fleet_scan(fleet);
}


/* one session of the engine, in the order the HGETALLs went */

static void
ngx_http_session_fleet_read_done(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data)
{
    ngx_http_session_fleet_t *fleet = data;

    u_char                           *digest;
    ngx_int_t                         rc;
    const char                       *error;
    ngx_http_session_fleet_record_t   rec;

    if (fleet->ndigests == 0) {
        return;
    }

    digest = fleet->digests + fleet->dhead * NGX_HTTP_SESSION_DIGEST_LEN;

    fleet->dhead = (fleet->dhead + 1) % NGX_HTTP_SESSION_SYNC_READS;
    fleet->ndigests--;

    if (reply == NULL || fleet->sync != NGX_HTTP_SESSION_SYNC_SCAN) {
        return;
    }

    error = NULL;
    rc = ngx_http_session_fleet_decode_record(reply, digest, &rec, &error);

    if (rc == NGX_OK) {
        if (ngx_http_session_apply(fleet->zone, &rec.im) != NGX_ERROR) {
            fleet->scan_count++;
        }

    } else if (rc == NGX_ERROR) {
        (void) ngx_atomic_fetch_add(&fleet->sh->rejected, 1);
        ngx_http_session_fleet_error(fleet, "a session of the engine was "
                                     "refused", error);
    }

    if (fleet->scan_done && fleet->ndigests == 0) {
        ngx_http_session_fleet_resynced(fleet);
        return;
    }

    if (fleet->ndigests < NGX_HTTP_SESSION_SYNC_PAGE) {
        ngx_http_session_fleet_scan(fleet);
    }
}


static void
ngx_http_session_fleet_resynced(ngx_http_session_fleet_t *fleet)
{
    ngx_http_session_fleet_sh_t  *sh;

    sh = fleet->sh;

    ngx_shmtx_lock(&fleet->shpool->mutex);
    sh->position = fleet->start;
    sh->touched = fleet->touch_start;
    sh->seq = fleet->start_seq;
    ngx_shmtx_unlock(&fleet->shpool->mutex);

    sh->synced = 1;
    (void) ngx_atomic_fetch_add(&sh->resyncs, 1);
    (void) ngx_atomic_fetch_add(&sh->loaded, fleet->scan_count);

    ngx_log_error(NGX_LOG_NOTICE, fleet->log, 0,
                  "session fleet: zone \"%V\" read %ui sessions from the "
                  "engine in %M ms, and follows its changes",
                  &fleet->zone->name, fleet->scan_count,
                  ngx_current_msec - fleet->sync_started);

    fleet->sync = NGX_HTTP_SESSION_SYNC_FOLLOW;
    ngx_http_session_fleet_follow(fleet);
}


/*
 * Every session of the zone, open or logged out, merged into the
 * engine with the engine's account and variables kept: a batch of the
 * zone at a time, while there is room.
 */

static void
ngx_http_session_fleet_putback(ngx_http_session_fleet_t *fleet)
{
    ngx_uint_t                    i;
    ngx_str_t                     type;
    ngx_http_session_import_t     im;
    ngx_http_session_record_t    *rec;
    ngx_http_session_type_info_t  types[NGX_HTTP_SESSION_MAX_TYPES];

    while (fleet->putback
           && fleet->pending + NGX_HTTP_SESSION_BATCH
              <= NGX_HTTP_SESSION_SYNC_PUTS
           && ngx_http_session_engine_room(fleet->engine)
              > NGX_HTTP_SESSION_BATCH + NGX_HTTP_SESSION_SYNC_PAGE)
    {
        if (fleet->cursor.done) {
            if (fleet->pending) {
                return;
            }

            fleet->putback = 0;
            (void) ngx_atomic_fetch_add(&fleet->sh->putbacks, 1);

            ngx_log_error(NGX_LOG_NOTICE, fleet->log, 0,
                          "session fleet: zone \"%V\" put %uL sessions "
                          "back into the engine", &fleet->zone->name,
                          (uint64_t) fleet->sh->put);
            return;
        }

        if (ngx_http_session_read(fleet->zone, &fleet->cursor, &fleet->batch)
            != NGX_OK)
        {
            return;
        }

        /* the type names once a batch, not a lock hold a record */
        (void) ngx_http_session_types(fleet->zone, types);

        for (i = 0; i < fleet->batch.nrecords; i++) {
            rec = &fleet->batch.records[i];

            type.data = types[rec->type].name;
            type.len = types[rec->type].len;
            ngx_http_session_record_import(rec, &type, &im);

            if (ngx_http_session_fleet_put(fleet, &im,
                                           NGX_HTTP_SESSION_FLEET_FILL,
                                           ngx_http_session_fleet_putback_done,
                                           fleet)
                != NGX_OK)
            {
                /* the connection went: the next one starts over */
                fleet->putback = 0;
                fleet->sh->putback = 1;
                return;
            }

            fleet->pending++;
        }
    }
}


static void
ngx_http_session_fleet_putback_done(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data)
{
    ngx_http_session_fleet_t *fleet = data;

    if (fleet->pending) {
        fleet->pending--;
    }

    if (reply == NULL) {
        fleet->putback = 0;
        fleet->sh->putback = 1;
        return;
    }

    if (reply->type == REDIS_REPLY_INTEGER) {
        (void) ngx_atomic_fetch_add(&fleet->sh->put, 1);

    } else {
        (void) ngx_atomic_fetch_add(&fleet->sh->rejected, 1);
    }

    if (fleet->putback && fleet->pending < NGX_HTTP_SESSION_SYNC_PUTS / 2) {
        ngx_http_session_fleet_putback(fleet);
    }
}


/* XREAD of both streams on the leader's own connection, blocking there */

static void
ngx_http_session_fleet_follow(ngx_http_session_fleet_t *fleet)
{
    u_char                       *p, *q;
    const char                   *argv[10];
    size_t                        argvlen[10];
    ngx_http_session_fleet_id_t   position, touched;
    u_char                        id[2 * NGX_INT64_LEN + 2];
    u_char                        tid[2 * NGX_INT64_LEN + 2];

    if (fleet->sync != NGX_HTTP_SESSION_SYNC_FOLLOW
        || fleet->follower == NULL
        || fleet->follower->state != NGX_HTTP_SESSION_ENGINE_READY
        || fleet->follower->count)
    {
        return;
    }

    ngx_shmtx_lock(&fleet->shpool->mutex);
    position = fleet->sh->position;
    touched = fleet->sh->touched;
    ngx_shmtx_unlock(&fleet->shpool->mutex);

    p = ngx_http_session_fleet_id_text(id, &position);
    q = ngx_http_session_fleet_id_text(tid, &touched);

    argv[0] = "XREAD";
    argvlen[0] = 5;
    argv[1] = "COUNT";
    argvlen[1] = 5;
    argv[2] = "256";
    argvlen[2] = 3;
    argv[3] = "BLOCK";
    argvlen[3] = 5;
    argv[4] = "1000";
    argvlen[4] = 4;
    argv[5] = "STREAMS";
    argvlen[5] = 7;
    argv[6] = (const char *) fleet->stream.data;
    argvlen[6] = fleet->stream.len;
    argv[7] = (const char *) fleet->touch_stream.data;
    argvlen[7] = fleet->touch_stream.len;
    argv[8] = (const char *) id;
    argvlen[8] = p - id;
    argv[9] = (const char *) tid;
    argvlen[9] = q - tid;

    (void) ngx_http_session_engine_send(fleet->follower,
                                        ngx_http_session_fleet_follow_done,
                                        fleet,
                                        NGX_HTTP_SESSION_SYNC_BLOCK
                                        + fleet->wait,
                                        10, argv, argvlen);
}


static void
ngx_http_session_fleet_follow_done(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data)
{
    ngx_http_session_fleet_t *fleet = data;

    int64_t                          lag;
    ngx_uint_t                       i, n, s, gap;
    ngx_str_t                       *stream;
    const char                      *error;
    ngx_http_session_fleet_id_t     *position;
    ngx_http_session_fleet_entry_t  *entries;
    u_char                           why[96];

    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_http_session_fleet_error(fleet, "reading the streams",
                                     reply->str);
        fleet->sync = NGX_HTTP_SESSION_SYNC_IDLE;
        return;
    }

    entries = ngx_alloc(NGX_HTTP_SESSION_SYNC_ENTRIES
                        * sizeof(ngx_http_session_fleet_entry_t),
                        fleet->log);
    if (entries == NULL) {
        return;
    }

    lag = 0;
    gap = 0;

    for (s = 0; s < 2; s++) {
        stream = s ? &fleet->touch_stream : &fleet->stream;
        position = s ? &fleet->sh->touched : &fleet->sh->position;

        error = NULL;

        if (ngx_http_session_fleet_decode_entries(reply, stream, entries,
                                                NGX_HTTP_SESSION_SYNC_ENTRIES,
                                                &n, &error)
            != NGX_OK)
        {
            ngx_free(entries);
            (void) ngx_atomic_fetch_add(&fleet->sh->rejected, 1);

            *ngx_snprintf(why, sizeof(why) - 1, "a bad answer to XREAD: %s",
                          error) = '\0';
            ngx_http_session_engine_fail(engine,
                                         NGX_HTTP_SESSION_ENGINE_PROTOCOL,
                                         (char *) why);
            return;
        }

        for (i = 0; i < n; i++) {
            if (ngx_http_session_fleet_advance(fleet, position, &entries[i],
                                               &gap)
                == NGX_OK)
            {
                ngx_http_session_fleet_apply(fleet, &entries[i]);
            }
        }

        if (n) {
            lag = ngx_max(lag, ngx_http_session_now()
                               - (int64_t) entries[n - 1].id.ms);
        }
    }

    fleet->sh->lag = (ngx_atomic_uint_t) ngx_max(lag, 0);

    ngx_free(entries);

    if (gap && fleet->sync == NGX_HTTP_SESSION_SYNC_FOLLOW) {
        ngx_log_error(NGX_LOG_NOTICE, fleet->log, 0,
                      "session fleet: zone \"%V\" missed changes the "
                      "stream no longer holds: it reads the engine whole",
                      &fleet->zone->name);
        ngx_http_session_fleet_resync(fleet);
        return;
    }

    ngx_http_session_fleet_follow(fleet);
}


/* an entry is applied once, whichever worker read it: the node's place */

/*
 * The records' entries are numbered by the engine: a number that does
 * not follow the last one applied means entries were cut from the
 * stream before this node read them (it fell behind by more than the
 * stream keeps), and the node reads the engine whole.
 */

static ngx_int_t
ngx_http_session_fleet_advance(ngx_http_session_fleet_t *fleet,
    ngx_http_session_fleet_id_t *position,
    ngx_http_session_fleet_entry_t *entry, ngx_uint_t *gap)
{
    ngx_int_t                     rc;
    ngx_http_session_fleet_sh_t  *sh;

    sh = fleet->sh;

    ngx_shmtx_lock(&fleet->shpool->mutex);

    if (ngx_http_session_fleet_id_cmp(&entry->id, position) > 0) {
        *position = entry->id;

        if (position == &sh->position && entry->n) {
            if (sh->seq && entry->n != sh->seq + 1) {
                *gap = 1;
            }

            sh->seq = entry->n;
        }

        rc = NGX_OK;

    } else {
        rc = NGX_DECLINED;
    }

    ngx_shmtx_unlock(&fleet->shpool->mutex);

    return rc;
}


static void
ngx_http_session_fleet_apply(ngx_http_session_fleet_t *fleet,
    ngx_http_session_fleet_entry_t *entry)
{
    ngx_int_t                         rc;
    ngx_uint_t                        n;
    const char                       *error;
    ngx_http_session_touch_t          touches[NGX_HTTP_SESSION_FLEET_TOUCHES];
    ngx_http_session_fleet_record_t   rec;

    if (entry->kind == 0) {
        return;
    }

    /* this node's own changes are in its zone already */

    if (entry->node.len == NGX_HTTP_SESSION_FLEET_NODE_LEN
        && ngx_memcmp(entry->node.data, fleet->node,
                      NGX_HTTP_SESSION_FLEET_NODE_LEN) == 0)
    {
        return;
    }

    error = NULL;

    if (entry->kind == NGX_HTTP_SESSION_FLEET_RECORD) {
        rc = ngx_http_session_fleet_decode_record(entry->fields,
                                                  entry->digest, &rec,
                                                  &error);
        if (rc == NGX_OK) {
            (void) ngx_http_session_apply(fleet->zone, &rec.im);
            (void) ngx_atomic_fetch_add(&fleet->sh->applied, 1);
            return;
        }

    } else {
        if (ngx_http_session_fleet_decode_touches(&entry->touches, touches,
                                   sizeof(touches) / sizeof(touches[0]), &n)
            == NGX_OK)
        {
            ngx_http_session_apply_touches(fleet->zone, touches, n);
            (void) ngx_atomic_fetch_add(&fleet->sh->applied, 1);
            return;
        }

        error = "bad last accesses";
    }

    (void) ngx_atomic_fetch_add(&fleet->sh->rejected, 1);
    ngx_http_session_fleet_error(fleet, "an entry of the stream was "
                                 "refused", error);
}
