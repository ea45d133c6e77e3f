
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
 * The fleet, a worker's side: what tracking changed goes to the engine
 * (creations, account and variable changes and logouts at once; last
 * accesses gathered for a second, one command for many), a token this
 * node does not know is looked up there before it is called unknown,
 * and one worker per node, holding a lease in the node's fleet zone,
 * follows the others' changes (fleet_sync.c); unknown tokens are looked
 * up by fleet_lookup.c.  Calls the store, the engine client and the
 * codec; called by tracking and the module file.
 *
 * Every change is merged in the engine by a script, so the engine
 * orders them and applies the rules of docs/fleet.md (a logout wins, the
 * later last access wins), and appends the merged record to the change
 * stream the nodes follow.  Nothing waits for the engine but a request
 * whose token is unknown here, and that for at most "timeout".  While
 * the engine is away, changes wait in a bounded queue; what does not
 * fit is put back from the zone once the engine returns.
 */


#define NGX_HTTP_SESSION_FLEET_TICK        1000

/* the lease of the worker that follows the stream, ms */
#define NGX_HTTP_SESSION_FLEET_LEASE       3000

/* commands in flight per connection; changes waiting per worker */
#define NGX_HTTP_SESSION_FLEET_INFLIGHT    4096
#define NGX_HTTP_SESSION_FLEET_CHANGES     65536


/* last accesses gathered per worker between two sends (a power of 2) */
#define NGX_HTTP_SESSION_FLEET_TOUCH_SLOTS 16384



typedef struct {
    ngx_http_session_fleet_t    *fleet;
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    ngx_uint_t                   kind;
    ngx_http_session_fleet_copy_t  *copy;
} ngx_http_session_fleet_sent_t;


typedef struct {
    ngx_http_session_fleet_t    *fleet;
    ngx_uint_t                   n;
    ngx_http_session_touch_t     touches[1];
} ngx_http_session_fleet_batch_t;


static ngx_int_t ngx_http_session_fleet_init_shm(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_session_fleet_tick(ngx_event_t *ev);
static void ngx_http_session_fleet_lease(ngx_http_session_fleet_t *fleet);
static void ngx_http_session_fleet_ready(ngx_http_session_engine_t *engine);
static void ngx_http_session_fleet_down(ngx_http_session_engine_t *engine);
static void ngx_http_session_fleet_drain(ngx_http_session_fleet_t *fleet);
static ngx_int_t ngx_http_session_fleet_send(ngx_http_session_fleet_t *fleet,
    ngx_http_session_fleet_change_t *ch);
static void ngx_http_session_fleet_put_done(
    ngx_http_session_engine_t *engine, redisReply *reply, void *data);
static void ngx_http_session_fleet_flush(ngx_http_session_fleet_t *fleet);
static void ngx_http_session_fleet_touch_done(
    ngx_http_session_engine_t *engine, redisReply *reply, void *data);
static void ngx_http_session_fleet_retouch(ngx_http_session_fleet_t *fleet,
    ngx_http_session_touch_t *t);
static ngx_uint_t ngx_http_session_fleet_slot(u_char *digest);


/* the tag of the fleet's own shared memory zones */
static ngx_uint_t  ngx_http_session_fleet_tag;


/* at configuration: the node's fleet zone, "NAME fleet" */

ngx_int_t
ngx_http_session_fleet_add_zone(ngx_conf_t *cf,
    ngx_http_session_fleet_conf_t *fcf, ngx_str_t *name)
{
    ngx_str_t  fname;

    fname.len = name->len + sizeof(" fleet") - 1;
    fname.data = ngx_pnalloc(cf->pool, fname.len);
    if (fname.data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(fname.data, "%V fleet", name);

    fcf->fleet_zone = ngx_shared_memory_add(cf, &fname, 8 * ngx_pagesize,
                                            &ngx_http_session_fleet_tag);
    if (fcf->fleet_zone == NULL) {
        return NGX_ERROR;
    }

    fcf->fleet_zone->init = ngx_http_session_fleet_init_shm;
    fcf->fleet_zone->data = fcf;

    return NGX_OK;
}


/* kept across reloads: the node's id, its place in the stream */

static ngx_int_t
ngx_http_session_fleet_init_shm(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t              *shpool;
    ngx_http_session_fleet_sh_t  *sh;
    u_char                        id[NGX_HTTP_SESSION_FLEET_NODE_LEN / 2];

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (data || shm_zone->shm.exists) {
        return NGX_OK;
    }

    sh = ngx_slab_calloc(shpool, sizeof(ngx_http_session_fleet_sh_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    randombytes_buf(id, sizeof(id));
    ngx_hex_dump(sh->node, id, sizeof(id));

    sh->state = NGX_HTTP_SESSION_ENGINE_STARTING;

    shpool->data = sh;

    return NGX_OK;
}


ngx_int_t
ngx_http_session_fleet_init_worker(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone)
{
    u_char                         *p;
    ngx_slab_pool_t                *shpool;
    ngx_http_session_fleet_t       *fleet;
    ngx_http_session_fleet_conf_t  *fcf;

    fcf = zone->fleet;

    if (fcf == NULL
        || (ngx_process != NGX_PROCESS_WORKER
            && ngx_process != NGX_PROCESS_SINGLE))
    {
        return NGX_OK;
    }

    fleet = ngx_pcalloc(cycle->pool, sizeof(ngx_http_session_fleet_t));
    if (fleet == NULL) {
        return NGX_ERROR;
    }

    shpool = (ngx_slab_pool_t *) fcf->fleet_zone->shm.addr;

    fleet->conf = fcf;
    fleet->zone = zone;
    fleet->shpool = shpool;
    fleet->sh = shpool->data;
    fleet->log = cycle->log;
    fleet->pool = cycle->pool;

    ngx_memcpy(fleet->node, fleet->sh->node, NGX_HTTP_SESSION_FLEET_NODE_LEN);

    /* the keys and numbers every command repeats */

    p = ngx_pnalloc(cycle->pool, 5 * fcf->prefix.len + 24);
    if (p == NULL) {
        return NGX_ERROR;
    }

    fleet->stream.data = p;
    p = ngx_sprintf(p, "%Vlog", &fcf->prefix);
    fleet->stream.len = p - fleet->stream.data;

    fleet->touch_stream.data = p;
    p = ngx_sprintf(p, "%Vtouch", &fcf->prefix);
    fleet->touch_stream.len = p - fleet->touch_stream.data;

    fleet->seq_key.data = p;
    p = ngx_sprintf(p, "%Vseq", &fcf->prefix);
    fleet->seq_key.len = p - fleet->seq_key.data;

    fleet->epoch_key.data = p;
    p = ngx_sprintf(p, "%Vepoch", &fcf->prefix);
    fleet->epoch_key.len = p - fleet->epoch_key.data;

    fleet->pattern.data = p;
    p = ngx_sprintf(p, "%Vs:*", &fcf->prefix);
    fleet->pattern.len = p - fleet->pattern.data;

    fleet->wait = ngx_max(fcf->engine.timeout, NGX_HTTP_SESSION_FLEET_HUNG);

    fleet->ttl_len = ngx_sprintf(fleet->ttl, "%M", zone->timeout)
                     - fleet->ttl;

    /* a hash's last access is written when it moved by this much */
    fleet->step_len = ngx_sprintf(fleet->step, "%M",
                                  ngx_max(1000, zone->timeout / 60))
                      - fleet->step;

    /* a logout is kept at least as long as an open session lives */
    fleet->tomb_len = ngx_sprintf(fleet->tomb, "%M",
                                  ngx_max(zone->timeout, zone->keep_closed))
                      - fleet->tomb;

    ngx_http_session_fleet_scripts(fleet);

    fleet->changes = ngx_pcalloc(cycle->pool,
                                 NGX_HTTP_SESSION_FLEET_CHANGES
                                 * sizeof(ngx_http_session_fleet_change_t));
    if (fleet->changes == NULL) {
        return NGX_ERROR;
    }

    fleet->touches = ngx_pcalloc(cycle->pool,
                                 NGX_HTTP_SESSION_FLEET_TOUCH_SLOTS
                                 * sizeof(ngx_http_session_touch_t));
    if (fleet->touches == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_session_batch_init(cycle->pool, &fleet->one, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fleet->engine = ngx_http_session_engine_create(&fcf->engine,
                                               NGX_HTTP_SESSION_FLEET_INFLIGHT,
                                               cycle->log);
    if (fleet->engine == NULL) {
        return NGX_ERROR;
    }

    fleet->engine->commands = &fleet->sh->commands;
    fleet->engine->ready = ngx_http_session_fleet_ready;
    fleet->engine->down = ngx_http_session_fleet_down;
    fleet->engine->data = fleet;

    fcf->fleet = fleet;

    fleet->tick.handler = ngx_http_session_fleet_tick;
    fleet->tick.data = fleet;
    fleet->tick.log = cycle->log;
    fleet->tick.cancelable = 1;

    ngx_http_session_engine_connect(fleet->engine);
    ngx_http_session_fleet_lease(fleet);

    ngx_add_timer(&fleet->tick, NGX_HTTP_SESSION_FLEET_TICK);

    return NGX_OK;
}


void
ngx_http_session_fleet_exit(ngx_http_session_zone_t *zone)
{
    ngx_http_session_fleet_t  *fleet;

    if (zone->fleet == NULL || zone->fleet->fleet == NULL) {
        return;
    }

    fleet = zone->fleet->fleet;
    fleet->exiting = 1;

    if (fleet->leader) {
        ngx_http_session_fleet_sync_stop(fleet);
        (void) ngx_atomic_cmp_set(&fleet->sh->leader, ngx_pid, 0);
        fleet->leader = 0;
    }

    ngx_http_session_engine_close(fleet->engine);

    /* the logouts still waiting: their copies are the queue's own */

    while (fleet->nchanges) {
        if (fleet->changes[fleet->chead].copy) {
            ngx_free(fleet->changes[fleet->chead].copy);
        }

        fleet->chead = (fleet->chead + 1) % NGX_HTTP_SESSION_FLEET_CHANGES;
        fleet->nchanges--;
        (void) ngx_atomic_fetch_add(&fleet->sh->queued, -1);
    }
}


/*
 * Once a second: the lease, the last accesses gathered, what waits in
 * the queue, and the leader's work.  A worker that is shutting down
 * hands the lease over at once.
 */

static void
ngx_http_session_fleet_tick(ngx_event_t *ev)
{
    ngx_http_session_fleet_t *fleet = ev->data;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        if (fleet->leader) {
            ngx_http_session_fleet_sync_stop(fleet);
            (void) ngx_atomic_cmp_set(&fleet->sh->leader, ngx_pid, 0);
            fleet->leader = 0;
        }

        ngx_http_session_fleet_flush(fleet);
        ngx_http_session_fleet_drain(fleet);

        ngx_add_timer(ev, NGX_HTTP_SESSION_FLEET_TICK);
        return;
    }

    ngx_http_session_fleet_lease(fleet);
    ngx_http_session_fleet_flush(fleet);
    ngx_http_session_fleet_drain(fleet);

    if (fleet->leader) {
        ngx_http_session_fleet_sync_tick(fleet);
    }

    ngx_add_timer(ev, NGX_HTTP_SESSION_FLEET_TICK);
}


/*
 * One worker of a node follows the stream: the one holding the lease,
 * renewed every tick; a worker that died, or stalled beyond the lease,
 * loses it to another.
 */

static void
ngx_http_session_fleet_lease(ngx_http_session_fleet_t *fleet)
{
    int64_t                       now;
    ngx_atomic_uint_t             holder;
    ngx_http_session_fleet_sh_t  *sh;

    sh = fleet->sh;
    now = ngx_http_session_now();
    holder = sh->leader;

    if (holder == (ngx_atomic_uint_t) ngx_pid) {
        sh->lease = now + NGX_HTTP_SESSION_FLEET_LEASE;

    } else if ((holder == 0 || (int64_t) sh->lease < now)
               && ngx_atomic_cmp_set(&sh->leader, holder, ngx_pid))
    {
        sh->lease = now + NGX_HTTP_SESSION_FLEET_LEASE;

    } else {
        if (fleet->leader) {
            ngx_log_error(NGX_LOG_NOTICE, fleet->log, 0,
                          "session fleet: zone \"%V\": process %P follows "
                          "the stream now", &fleet->zone->name,
                          (ngx_pid_t) holder);
            ngx_http_session_fleet_sync_stop(fleet);
            fleet->leader = 0;
        }

        return;
    }

    if (!fleet->leader) {
        fleet->leader = 1;
        ngx_http_session_fleet_sync_start(fleet);
    }
}


/*
 * The connection is up: the scripts are loaded first (pipelined, so the
 * commands after them find them), then whatever waited is sent.
 */

static void
ngx_http_session_fleet_ready(ngx_http_session_engine_t *engine)
{
    ngx_http_session_fleet_t *fleet = engine->data;

    ngx_atomic_uint_t             state;
    ngx_http_session_fleet_sh_t  *sh;

    sh = fleet->sh;

    if (ngx_http_session_fleet_load(fleet, engine) != NGX_OK) {
        return;
    }

    state = sh->state;

    if (state != NGX_HTTP_SESSION_ENGINE_OK
        && ngx_atomic_cmp_set(&sh->state, state,
                              NGX_HTTP_SESSION_ENGINE_OK))
    {
        sh->since = ngx_http_session_now();

        if (state == NGX_HTTP_SESSION_ENGINE_STARTING) {
            ngx_log_error(NGX_LOG_NOTICE, fleet->log, 0,
                          "session fleet: zone \"%V\" shares its sessions "
                          "through the engine at %V as node %*s",
                          &fleet->zone->name, &engine->conf->address,
                          (size_t) NGX_HTTP_SESSION_FLEET_NODE_LEN,
                          fleet->node);

        } else {
            ngx_log_error(NGX_LOG_NOTICE, fleet->log, 0,
                          "session fleet: the engine at %V is up again "
                          "for zone \"%V\"", &engine->conf->address,
                          &fleet->zone->name);
        }
    }

    if (engine == fleet->engine) {
        ngx_http_session_fleet_drain(fleet);
        ngx_http_session_fleet_flush(fleet);
    }

    if (fleet->leader) {
        ngx_http_session_fleet_sync_start(fleet);
    }
}


/*
 * A connection failed: one line per change of the node's state, by
 * whichever worker saw the change first, naming the engine.  The state
 * is the kind of failure: an engine that closed, refused or did not
 * answer is one state, "unreachable", however it fails while away; a
 * wrong password or a server that is not an engine are others.  The
 * last error itself is kept for the status at every failure.
 */

static void
ngx_http_session_fleet_down(ngx_http_session_engine_t *engine)
{
    ngx_http_session_fleet_t *fleet = engine->data;

    ngx_uint_t                    kind;
    ngx_atomic_uint_t             state;
    ngx_http_session_fleet_sh_t  *sh;

    sh = fleet->sh;

    (void) ngx_atomic_fetch_add(&sh->errors, 1);

    if (fleet->leader) {
        /* the engine may come back another, empty: the epoch tells */
        fleet->sync = NGX_HTTP_SESSION_SYNC_IDLE;
        fleet->checking = 0;
    }

    switch (engine->reason) {

    case NGX_HTTP_SESSION_ENGINE_AUTH_FAILED:
    case NGX_HTTP_SESSION_ENGINE_PROTOCOL:
    case NGX_HTTP_SESSION_ENGINE_TOO_LARGE:
        kind = engine->reason;
        break;

    default:
        kind = NGX_HTTP_SESSION_ENGINE_UNREACHABLE;
    }

    ngx_shmtx_lock(&fleet->shpool->mutex);
    sh->error_at = ngx_http_session_now();
    ngx_cpystrn(sh->error, engine->error, sizeof(sh->error));
    ngx_shmtx_unlock(&fleet->shpool->mutex);

    state = sh->state;

    if (state == kind || !ngx_atomic_cmp_set(&sh->state, state, kind)) {
        return;
    }

    sh->since = ngx_http_session_now();

    ngx_log_error(NGX_LOG_ERR, fleet->log, 0,
                  "session fleet: the engine at %V is unavailable for zone "
                  "\"%V\": %s; sessions are tracked and answered locally "
                  "until it returns", &engine->conf->address,
                  &fleet->zone->name, engine->error);
}


/* tracking's calls: a change of a session, to send at once */

void
ngx_http_session_fleet_changed(ngx_http_session_zone_t *zone,
    u_char *digest)
{
    ngx_http_session_fleet_t  *fleet;

    fleet = zone->fleet->fleet;

    if (fleet == NULL) {
        return;
    }

    (void) ngx_http_session_fleet_queue(fleet, digest,
                                        NGX_HTTP_SESSION_FLEET_PUT, NULL);
    ngx_http_session_fleet_drain(fleet);
}


/*
 * A logout: the session's record is taken before it ends (with
 * keep_closed=0 the zone forgets it at once), and sent with its logout
 * time once it has.
 */

void *
ngx_http_session_fleet_before_end(ngx_http_session_zone_t *zone,
    u_char *digest)
{
    u_char                          name[NGX_HTTP_SESSION_TYPE_LEN];
    ngx_str_t                       type;
    ngx_http_session_fleet_t       *fleet;
    ngx_http_session_record_t      *rec;
    ngx_http_session_fleet_copy_t  *copy;

    fleet = zone->fleet->fleet;

    if (fleet == NULL
        || ngx_http_session_read_one(zone, digest, &fleet->one) != NGX_OK)
    {
        return NULL;
    }

    copy = ngx_alloc(sizeof(ngx_http_session_fleet_copy_t), fleet->log);
    if (copy == NULL) {
        return NULL;
    }

    rec = &fleet->one.records[0];

    type.data = name;
    type.len = ngx_http_session_type_name(zone, rec->type, name);
    ngx_http_session_record_import(rec, &type, &copy->im);

    copy->im.type.len = ngx_min(copy->im.type.len, sizeof(copy->type));
    copy->im.type.data = ngx_cpymem(copy->type, copy->im.type.data,
                                    copy->im.type.len)
                         - copy->im.type.len;
    copy->im.id.data = ngx_cpymem(copy->id, rec->id.data, rec->id.len)
                       - rec->id.len;
    copy->im.name.data = ngx_cpymem(copy->name, rec->name.data,
                                    rec->name.len)
                         - rec->name.len;
    copy->im.vars.data = ngx_cpymem(copy->vars, rec->vars.data,
                                    rec->vars.len)
                         - rec->vars.len;

    return copy;
}


void
ngx_http_session_fleet_ended(ngx_http_session_zone_t *zone, void *data,
    int64_t logout)
{
    ngx_http_session_fleet_copy_t *copy = data;

    ngx_http_session_fleet_t  *fleet;

    fleet = zone->fleet->fleet;

    if (fleet == NULL) {
        ngx_free(copy);
        return;
    }

    copy->im.logout = logout;

    if (copy->im.last > logout) {
        copy->im.last = logout;
    }

    if (ngx_http_session_fleet_queue(fleet, copy->im.digest,
                                     NGX_HTTP_SESSION_FLEET_END, copy)
        != NGX_OK)
    {
        ngx_free(copy);
    }

    ngx_http_session_fleet_drain(fleet);
}


/*
 * A change waits here until the connection has room.  A full queue
 * drops it: the zone is put back whole once the engine is there again.
 */

ngx_int_t
ngx_http_session_fleet_queue(ngx_http_session_fleet_t *fleet,
    u_char *digest, ngx_uint_t kind, ngx_http_session_fleet_copy_t *copy)
{
    ngx_http_session_fleet_change_t  *ch;

    if (fleet->nchanges == NGX_HTTP_SESSION_FLEET_CHANGES) {
        (void) ngx_atomic_fetch_add(&fleet->sh->dropped, 1);
        fleet->sh->putback = 1;
        return NGX_ERROR;
    }

    ch = &fleet->changes[(fleet->chead + fleet->nchanges)
                         % NGX_HTTP_SESSION_FLEET_CHANGES];

    ngx_memcpy(ch->digest, digest, NGX_HTTP_SESSION_DIGEST_LEN);
    ch->kind = kind;
    ch->copy = copy;

    fleet->nchanges++;
    (void) ngx_atomic_fetch_add(&fleet->sh->queued, 1);

    return NGX_OK;
}


static void
ngx_http_session_fleet_drain(ngx_http_session_fleet_t *fleet)
{
    ngx_int_t                         rc;
    ngx_http_session_fleet_change_t  *ch;

    while (fleet->nchanges
           && ngx_http_session_engine_room(fleet->engine)
              > NGX_HTTP_SESSION_FLEET_RESERVE)
    {
        ch = &fleet->changes[fleet->chead];

        rc = ngx_http_session_fleet_send(fleet, ch);

        if (rc == NGX_AGAIN) {
            return;
        }

        fleet->chead = (fleet->chead + 1) % NGX_HTTP_SESSION_FLEET_CHANGES;
        fleet->nchanges--;
        (void) ngx_atomic_fetch_add(&fleet->sh->queued, -1);
    }
}


/*
 * NGX_AGAIN: not sent, try later; otherwise the change left the queue
 * (sent, or there is nothing to send any more).
 */

static ngx_int_t
ngx_http_session_fleet_send(ngx_http_session_fleet_t *fleet,
    ngx_http_session_fleet_change_t *ch)
{
    u_char                           name[NGX_HTTP_SESSION_TYPE_LEN];
    ngx_int_t                        rc;
    ngx_str_t                        type;
    ngx_http_session_import_t        im, *pim;
    ngx_http_session_record_t       *rec;
    ngx_http_session_fleet_sent_t   *sent;

    if (ch->kind == NGX_HTTP_SESSION_FLEET_END) {
        pim = &ch->copy->im;

    } else {
        if (ngx_http_session_read_one(fleet->zone, ch->digest, &fleet->one)
            != NGX_OK)
        {
            /* gone meanwhile: expired, evicted, or ended and sent so */
            return NGX_OK;
        }

        rec = &fleet->one.records[0];
        type.data = name;
        type.len = ngx_http_session_type_name(fleet->zone, rec->type, name);
        ngx_http_session_record_import(rec, &type, &im);
        pim = &im;
    }

    sent = ngx_alloc(sizeof(ngx_http_session_fleet_sent_t), fleet->log);
    if (sent == NULL) {
        return NGX_AGAIN;
    }

    sent->fleet = fleet;
    sent->kind = ch->kind;
    sent->copy = ch->copy;
    ngx_memcpy(sent->digest, ch->digest, NGX_HTTP_SESSION_DIGEST_LEN);

    rc = ngx_http_session_fleet_put(fleet, pim, ch->kind,
                                    ngx_http_session_fleet_put_done, sent);

    if (rc != NGX_OK) {
        ngx_free(sent);
        return NGX_AGAIN;
    }

    return NGX_OK;
}


static void
ngx_http_session_fleet_put_done(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data)
{
    ngx_http_session_fleet_sent_t *sent = data;

    int64_t                    rc;
    ngx_http_session_fleet_t  *fleet;

    fleet = sent->fleet;

    if (reply == NULL) {
        /* lost with the connection: sent again when it is back */

        if (ngx_http_session_fleet_queue(fleet, sent->digest, sent->kind,
                                         sent->copy)
            != NGX_OK && sent->copy)
        {
            ngx_free(sent->copy);
        }

        ngx_free(sent);
        return;
    }

    if (ngx_http_session_fleet_integer(reply, &rc) != NGX_OK) {
        ngx_http_session_fleet_error(fleet, "a change was refused",
                                     (reply->type == REDIS_REPLY_ERROR)
                                     ? reply->str : "not an integer");

    } else if (rc < 0) {
        (void) ngx_atomic_fetch_add(&fleet->sh->rejected, 1);
        ngx_http_session_fleet_error(fleet, "a change was not merged",
                                     "the session's key holds someone "
                                     "else's data");

    } else {
        (void) ngx_atomic_fetch_add(&fleet->sh->sent, 1);
    }

    if (sent->copy) {
        ngx_free(sent->copy);
    }

    ngx_free(sent);

    ngx_http_session_fleet_drain(fleet);
}


/*
 * A tracked request used a session: gathered here per digest, the
 * latest time and the number of requests, and sent once a second.  A
 * full table is sent at once, or, with the engine away, the use is
 * left out: the zone is put back when it returns.
 */

void
ngx_http_session_fleet_touch(ngx_http_session_zone_t *zone, u_char *digest,
    u_char *addr, size_t addr_len)
{
    ngx_uint_t                 i, mask;
    ngx_http_session_touch_t  *t;
    ngx_http_session_fleet_t  *fleet;

    fleet = zone->fleet->fleet;

    if (fleet == NULL) {
        return;
    }

    mask = NGX_HTTP_SESSION_FLEET_TOUCH_SLOTS - 1;

    for (i = ngx_http_session_fleet_slot(digest); /* void */ ;
         i = (i + 1) & mask)
    {
        t = &fleet->touches[i];

        if (t->delta == 0) {
            break;
        }

        if (ngx_memcmp(t->digest, digest, NGX_HTTP_SESSION_DIGEST_LEN)
            == 0)
        {
            goto found;
        }
    }

    if (fleet->ntouches >= NGX_HTTP_SESSION_FLEET_TOUCH_SLOTS / 2) {
        ngx_http_session_fleet_flush(fleet);

        if (fleet->ntouches) {
            (void) ngx_atomic_fetch_add(&fleet->sh->dropped, 1);
            return;
        }

        /* the table is empty now: the slot found above is free still */
    }

    ngx_memcpy(t->digest, digest, NGX_HTTP_SESSION_DIGEST_LEN);
    t->delta = 0;
    fleet->ntouches++;

found:

    t->delta++;
    t->last = ngx_http_session_now();
    t->addr_len = (u_char) addr_len;
    ngx_memcpy(t->addr, addr, addr_len);
}


static ngx_uint_t
ngx_http_session_fleet_slot(u_char *digest)
{
    uint32_t  h;

    /* the digest is a keyed PRF's output: any of its bytes will do */
    ngx_memcpy(&h, digest, sizeof(uint32_t));

    return h & (NGX_HTTP_SESSION_FLEET_TOUCH_SLOTS - 1);
}


/* the gathered last accesses, NGX_HTTP_SESSION_FLEET_TOUCHES a command */

static void
ngx_http_session_fleet_flush(ngx_http_session_fleet_t *fleet)
{
    u_char                          *p, *text;
    ngx_uint_t                       i, n;
    ngx_http_session_touch_t        *t;
    ngx_http_session_fleet_batch_t  *b;

    if (fleet->ntouches == 0
        || ngx_http_session_engine_room(fleet->engine)
           <= NGX_HTTP_SESSION_FLEET_RESERVE)
    {
        return;
    }

    text = ngx_alloc(NGX_HTTP_SESSION_FLEET_TOUCHES
                     * NGX_HTTP_SESSION_FLEET_TOUCH_LEN, fleet->log);
    if (text == NULL) {
        return;
    }

    b = NULL;
    i = 0;

    while (fleet->ntouches) {

        if (b == NULL) {
            b = ngx_alloc(sizeof(ngx_http_session_fleet_batch_t)
                          + (NGX_HTTP_SESSION_FLEET_TOUCHES - 1)
                            * sizeof(ngx_http_session_touch_t),
                          fleet->log);
            if (b == NULL) {
                break;
            }

            b->fleet = fleet;
            b->n = 0;
        }

        /*
         * The table is emptied in slot order.  A flush that stops half
         * way may cut a probe run: a later use of a session left in the
         * table may then take a second slot, and both are sent, which
         * the engine's merge takes as two uses.
         */

        for ( /* void */ ;
             i < NGX_HTTP_SESSION_FLEET_TOUCH_SLOTS
             && b->n < NGX_HTTP_SESSION_FLEET_TOUCHES;
             i++)
        {
            t = &fleet->touches[i];

            if (t->delta) {
                b->touches[b->n++] = *t;
                t->delta = 0;
                fleet->ntouches--;
            }
        }

        p = text;

        for (n = 0; n < b->n; n++) {
            p = ngx_http_session_fleet_encode_touch(p, &b->touches[n]);
        }

        if (ngx_http_session_fleet_touches(fleet, text, p - text,
                                           ngx_http_session_fleet_touch_done,
                                           b)
            != NGX_OK)
        {
            /* back into the table, for the next tick */

            for (n = 0; n < b->n; n++) {
                ngx_http_session_fleet_retouch(fleet, &b->touches[n]);
            }

            ngx_free(b);
            b = NULL;
            break;
        }

        (void) ngx_atomic_fetch_add(&fleet->sh->touches, b->n);
        b = NULL;

        if (ngx_http_session_engine_room(fleet->engine)
            <= NGX_HTTP_SESSION_FLEET_RESERVE)
        {
            break;
        }
    }

    if (b) {
        ngx_free(b);
    }

    ngx_free(text);
}


static void
ngx_http_session_fleet_retouch(ngx_http_session_fleet_t *fleet,
    ngx_http_session_touch_t *t)
{
    ngx_uint_t                 i, mask;
    ngx_http_session_touch_t  *s;

    mask = NGX_HTTP_SESSION_FLEET_TOUCH_SLOTS - 1;

    for (i = ngx_http_session_fleet_slot(t->digest); /* void */ ;
         i = (i + 1) & mask)
    {
        s = &fleet->touches[i];

        if (s->delta == 0) {
            if (fleet->ntouches >= NGX_HTTP_SESSION_FLEET_TOUCH_SLOTS / 2) {
                (void) ngx_atomic_fetch_add(&fleet->sh->dropped, 1);
                return;
            }

            *s = *t;
            fleet->ntouches++;
            return;
        }

        if (ngx_memcmp(s->digest, t->digest, NGX_HTTP_SESSION_DIGEST_LEN)
            == 0)
        {
            s->delta += t->delta;

            if (t->last > s->last) {
                s->last = t->last;
            }

            return;
        }
    }
}


/*
 * The engine's answer to a batch of touches: the sessions it does not
 * hold (it lost them, or never had them) are put back from the zone.
 */

static void
ngx_http_session_fleet_touch_done(ngx_http_session_engine_t *engine,
    redisReply *reply, void *data)
{
    ngx_http_session_fleet_batch_t *b = data;

    size_t                     i;
    redisReply                *e;
    ngx_http_session_fleet_t  *fleet;
    u_char                     digest[NGX_HTTP_SESSION_DIGEST_LEN];

    fleet = b->fleet;

    if (reply == NULL) {
        for (i = 0; i < b->n; i++) {
            ngx_http_session_fleet_retouch(fleet, &b->touches[i]);
        }

        ngx_free(b);
        return;
    }

    ngx_free(b);

    if (reply->type != REDIS_REPLY_ARRAY) {
        ngx_http_session_fleet_error(fleet, "last accesses were refused",
                                     (reply->type == REDIS_REPLY_ERROR)
                                     ? reply->str : "not a list");
        return;
    }

    for (i = 0; i < reply->elements; i++) {
        e = reply->element[i];

        if (e == NULL || e->type != REDIS_REPLY_STRING
            || ngx_http_session_parse_sid((u_char *) e->str, e->len, digest)
               != NGX_OK)
        {
            (void) ngx_atomic_fetch_add(&fleet->sh->rejected, 1);
            continue;
        }

        (void) ngx_http_session_fleet_queue(fleet, digest,
                                            NGX_HTTP_SESSION_FLEET_FILL,
                                            NULL);
    }

    ngx_http_session_fleet_drain(fleet);
}


/* the fleet's part of the status: copies, no lock of the session zone */

ngx_int_t
ngx_http_session_fleet_stats(ngx_http_session_zone_t *zone,
    ngx_http_session_fleet_stats_t *st)
{
    ngx_slab_pool_t                *shpool;
    ngx_http_session_fleet_t       *fleet;
    ngx_http_session_fleet_conf_t  *fcf;

    fcf = zone->fleet;

    if (fcf == NULL || fcf->fleet == NULL) {
        return NGX_DECLINED;
    }

    fleet = fcf->fleet;
    shpool = fleet->shpool;

    st->address = fcf->engine.address;

    ngx_shmtx_lock(&shpool->mutex);
    ngx_memcpy(&st->sh, fleet->sh, sizeof(ngx_http_session_fleet_sh_t));
    ngx_shmtx_unlock(&shpool->mutex);

    st->leader = st->sh.leader;
    st->position_len = ngx_http_session_fleet_id_text(st->position,
                                                      &st->sh.position)
                       - st->position;

    return NGX_OK;
}
