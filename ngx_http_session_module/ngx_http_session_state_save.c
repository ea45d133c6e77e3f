
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_state.h"


/*
 * Saving the state file: by worker 0 only (set up from the module
 * file's init_process).  A timer looks once a second at the file and
 * at whether the zone changed; a save copies the zone a few batches per
 * event loop turn (the zone lock held only while a batch is copied),
 * formats the lines, and hands the file's system calls (creating
 * FILE.tmp, writing it, fdatasync, the rename over FILE, the look at
 * another writer's file) to nginx's thread pool, so a slow disk stalls
 * a thread, never the event loop.  Without threads they run on the
 * loop.  Worker 0 saves once more, in one go, when it exits.
 *
 * While a binary upgrade runs two nginx side by side, or the old
 * workers of a resizing reload finish, two zones share the file.  The
 * older one saves when it exits; the newer one then takes from the file
 * the sessions created after its own start and saves again.
 *
 * A save that fails is logged; if sessions ended (logged out) since
 * the file was last saved, the file is set aside as FILE.old, so that a
 * restart cannot bring them back.
 *
 * Calls the codec, the loader's line reader and the system calls
 * (ngx_http_session_state_codec.c, _state_load.c, _state_io.c), and the
 * store's batch reader and bookkeeping (ngx_http_session_store.h).
 */


/* how often worker 0 looks for changes, and the least pause between saves */
#define NGX_HTTP_SESSION_STATE_INTERVAL  1000

/* a save takes at most about a fifth of worker 0's time */
#define NGX_HTTP_SESSION_STATE_PAUSE     4

/* batches of ngx_http_session_read() per event loop turn */
#define NGX_HTTP_SESSION_STATE_BATCHES   8

/* lines of another writer's file taken per event loop turn */
#define NGX_HTTP_SESSION_STATE_LINES     2048

#define NGX_HTTP_SESSION_STATE_BUF       (256 * 1024)

/* a failing save is reported at most this often */
#define NGX_HTTP_SESSION_STATE_LOG_EVERY 60000


/* where worker 0 is, between event loop turns */
#define NGX_HTTP_SESSION_SAVE_IDLE       0   /* the timer starts a check */
#define NGX_HTTP_SESSION_SAVE_CHECKED    1
#define NGX_HTTP_SESSION_SAVE_MERGE      2
#define NGX_HTTP_SESSION_SAVE_CLOSED     3   /* another's file, read */
#define NGX_HTTP_SESSION_SAVE_BEGIN      4
#define NGX_HTTP_SESSION_SAVE_OPENED     5
#define NGX_HTTP_SESSION_SAVE_WRITE      6
#define NGX_HTTP_SESSION_SAVE_WRITTEN    7
#define NGX_HTTP_SESSION_SAVE_FINISHED   8
#define NGX_HTTP_SESSION_SAVE_ABORTED    9


typedef struct {
    ngx_http_session_zone_t          *zone;
    ngx_pool_t                       *pool;     /* one line's parsing */
    ngx_log_t                        *log;
    ngx_str_t                         path;

    ngx_uint_t                        phase;
    ngx_http_session_state_io_t       io;
#if (NGX_THREADS)
    ngx_thread_pool_t                *thread_pool;
    ngx_thread_task_t                *task;
#endif

    ngx_http_session_cursor_t         cursor;
    ngx_http_session_batch_t          batch;
    ngx_uint_t                        next;     /* in the batch */

    u_char                           *buf;
    u_char                           *pos;
    u_char                           *end;

    ngx_uint_t                        ntypes;
    ngx_http_session_type_info_t      types[NGX_HTTP_SESSION_MAX_TYPES];

    uint64_t                          target;
    uint64_t                          count;
    int64_t                           now;
    ngx_msec_t                        started;
    ngx_msec_t                        error_logged;

    /* sessions logged out in the zone, when the last good save began */
    uint64_t                          ended_saved;
    uint64_t                          ended_target;

    /* taking the sessions another writer left in the file */
    ngx_http_session_state_reader_t   reader;
    ngx_pid_t                         writer;
    uint64_t                          merged;

    unsigned                          force:1;
    unsigned                          yielded:1;
    unsigned                          failing:1;
    unsigned                          ended_known:1;
    unsigned                          io_busy:1;  /* in the thread pool */
    unsigned                          sync:1;     /* no turns, no threads */
} ngx_http_session_state_t;


static void ngx_http_session_state_handler(ngx_event_t *ev);
static void ngx_http_session_state_run(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_post(ngx_http_session_state_t *st,
    ngx_uint_t op, ngx_uint_t next);
#if (NGX_THREADS)
static void ngx_http_session_state_thread(void *data, ngx_log_t *log);
static void ngx_http_session_state_done(ngx_event_t *ev);
#endif
static ngx_int_t ngx_http_session_state_idle(ngx_http_session_state_t *st,
    ngx_msec_t pause);
static ngx_int_t ngx_http_session_state_turn(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_checked(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_foreign(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_merge(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_begin(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_opened(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_step(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_lines(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_finished(
    ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_fail(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_aborted(ngx_http_session_state_t *st);
static void ngx_http_session_state_log_failure(ngx_http_session_state_t *st);


/*
 * Saving: set up in worker 0 only (ngx_http_session_init_process()
 * calls this there).
 */

ngx_int_t
ngx_http_session_state_init_worker(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone)
{
    size_t                          len;
    ngx_uint_t                      i;
    ngx_http_session_zone_t       **zones;
    ngx_http_session_state_t       *st;
    ngx_http_session_main_conf_t   *smcf;

    if (zone->state.len == 0) {
        return NGX_OK;
    }

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_session_module);
    zones = smcf->zones.elts;

    /* two writers of one file would undo each other's saves */

    for (i = 0; i < smcf->zones.nelts && zones[i] != zone; i++) {
        if (zones[i]->state.len == zone->state.len
            && ngx_strncmp(zones[i]->state.data, zone->state.data,
                           zone->state.len)
               == 0)
        {
            ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                          "session zones \"%V\" and \"%V\" have the same "
                          "state file \"%V\": only \"%V\" saves to it",
                          &zones[i]->name, &zone->name, &zone->state,
                          &zones[i]->name);
            return NGX_OK;
        }
    }

    /* a zone that got "state=" in a reload that kept it */
    (void) ngx_http_session_state_epoch();

    st = ngx_pcalloc(cycle->pool, sizeof(ngx_http_session_state_t));
    if (st == NULL) {
        return NGX_ERROR;
    }

    st->zone = zone;
    st->log = cycle->log;
    st->io.fd = NGX_INVALID_FILE;
    st->io.held = NGX_INVALID_FILE;
    st->io.reader = &st->reader;
    st->reader.fd = NGX_INVALID_FILE;
    st->reader.limit = ngx_http_session_state_limit(zone);

    /* FILE, FILE.tmp and FILE.old, each with its terminating zero */

    len = zone->state.len;

    st->path.len = len;
    st->path.data = ngx_pnalloc(cycle->pool, 3 * len + sizeof(".tmp")
                                             + sizeof(".old") + 1);
    if (st->path.data == NULL) {
        return NGX_ERROR;
    }

    st->io.path = st->path.data;
    st->io.temp = ngx_sprintf(st->io.path, "%V%Z", &zone->state);
    st->io.aside = ngx_sprintf(st->io.temp, "%V.tmp%Z", &zone->state);
    (void) ngx_sprintf(st->io.aside, "%V.old%Z", &zone->state);

    st->pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, cycle->log);
    if (st->pool == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_session_batch_init(cycle->pool, &st->batch,
                                    NGX_HTTP_SESSION_BATCH)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    st->buf = ngx_palloc(cycle->pool, NGX_HTTP_SESSION_STATE_BUF);
    if (st->buf == NULL) {
        return NGX_ERROR;
    }

    st->pos = st->buf;
    st->end = st->buf + NGX_HTTP_SESSION_STATE_BUF;

    st->reader.buf = ngx_palloc(cycle->pool, NGX_HTTP_SESSION_STATE_READ);
    if (st->reader.buf == NULL) {
        return NGX_ERROR;
    }

    st->reader.end = st->reader.buf + NGX_HTTP_SESSION_STATE_READ;

#if (NGX_THREADS)

    st->thread_pool = zone->thread_pool;

    if (st->thread_pool) {
        st->task = ngx_thread_task_alloc(cycle->pool, 0);
        if (st->task == NULL) {
            return NGX_ERROR;
        }

        st->task->ctx = st;
        st->task->handler = ngx_http_session_state_thread;
        st->task->event.handler = ngx_http_session_state_done;
        st->task->event.data = st;
        st->task->event.log = cycle->log;
    }

#endif

    zone->save.handler = ngx_http_session_state_handler;
    zone->save.data = st;
    zone->save.log = cycle->log;
    zone->save.cancelable = 1;

    ngx_add_timer(&zone->save, NGX_HTTP_SESSION_STATE_INTERVAL);

    return NGX_OK;
}


/*
 * Called in every worker as it exits: worker 0 saves what changed since
 * its last save, in one go, on this thread (nginx's thread pools have
 * stopped by now).  A graceful exit (QUIT) has all the time it needs; on
 * TERM the master kills workers that take more than about a second and
 * a half, so a very large zone may keep its previous file then.
 */

void
ngx_http_session_state_exit(ngx_cycle_t *cycle, ngx_http_session_zone_t *zone)
{
    ngx_http_session_state_t  *st;

    if (zone->state.len == 0
        || (ngx_process != NGX_PROCESS_WORKER
            && ngx_process != NGX_PROCESS_SINGLE)
        || ngx_worker != 0)
    {
        return;
    }

    st = zone->save.data;

    if (st == NULL) {
        return;
    }

    st->sync = 1;

    /* an operation handed to the thread pool was done as it stopped */
    st->io_busy = 0;

    /*
     * A save under way would have to be followed by another one with
     * what changed meanwhile: it starts over instead.  Anything else
     * under way ends first: a merge, the rename of a save, a check.
     */

    if (st->io.fd != NGX_INVALID_FILE
        && st->phase != NGX_HTTP_SESSION_SAVE_FINISHED)
    {
        st->io.set_aside = 0;
        st->io.op = NGX_HTTP_SESSION_IO_ABORT;
        ngx_http_session_state_io(&st->io);
        st->phase = NGX_HTTP_SESSION_SAVE_BEGIN;
        st->force = 1;
    }

    if (st->phase != NGX_HTTP_SESSION_SAVE_IDLE
        && st->phase != NGX_HTTP_SESSION_SAVE_BEGIN)
    {
        ngx_http_session_state_run(st);
    }

    st->phase = NGX_HTTP_SESSION_SAVE_BEGIN;
    st->count = 0;

    ngx_http_session_state_run(st);

    if (st->count && !st->failing) {
        ngx_log_error(NGX_LOG_INFO, st->log, 0,
                      "session zone \"%V\": %uL sessions saved to \"%V\"",
                      &zone->name, st->count, &st->path);
    }

    ngx_destroy_pool(st->pool);
    zone->save.data = NULL;
}


static void
ngx_http_session_state_handler(ngx_event_t *ev)
{
    ngx_http_session_state_t  *st;

    st = ev->data;

    /* the exit handler finishes the work */

    if (st->io_busy || ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    ngx_http_session_state_run(st);
}


/*
 * Goes from one phase to the next until one waits: for the thread pool,
 * for the timer, or (when worker 0 exits) for nothing more to do.
 */

static void
ngx_http_session_state_run(ngx_http_session_state_t *st)
{
    ngx_int_t  rc;

    do {
        switch (st->phase) {

        case NGX_HTTP_SESSION_SAVE_IDLE:
            st->io.saved_at = ngx_http_session_save_time(st->zone);
            rc = ngx_http_session_state_post(st, NGX_HTTP_SESSION_IO_CHECK,
                                             NGX_HTTP_SESSION_SAVE_CHECKED);
            break;

        case NGX_HTTP_SESSION_SAVE_CHECKED:
            rc = ngx_http_session_state_checked(st);
            break;

        case NGX_HTTP_SESSION_SAVE_MERGE:
            rc = ngx_http_session_state_merge(st);
            break;

        case NGX_HTTP_SESSION_SAVE_CLOSED:
            rc = st->yielded
                 ? ngx_http_session_state_idle(st,
                                          NGX_HTTP_SESSION_STATE_INTERVAL)
                 : ngx_http_session_state_begin(st);
            break;

        case NGX_HTTP_SESSION_SAVE_BEGIN:
            rc = ngx_http_session_state_begin(st);
            break;

        case NGX_HTTP_SESSION_SAVE_OPENED:
            rc = ngx_http_session_state_opened(st);
            break;

        case NGX_HTTP_SESSION_SAVE_WRITE:
            rc = ngx_http_session_state_step(st);
            break;

        case NGX_HTTP_SESSION_SAVE_WRITTEN:
            if (st->io.result != NGX_HTTP_SESSION_IO_DONE) {
                rc = ngx_http_session_state_fail(st);
                break;
            }

            st->pos = st->buf;
            st->phase = NGX_HTTP_SESSION_SAVE_WRITE;
            rc = ngx_http_session_state_step(st);
            break;

        case NGX_HTTP_SESSION_SAVE_FINISHED:
            rc = ngx_http_session_state_finished(st);
            break;

        default: /* NGX_HTTP_SESSION_SAVE_ABORTED */
            rc = ngx_http_session_state_aborted(st);
            break;
        }

    } while (rc == NGX_OK);
}


/*
 * Hands an operation to the thread pool (NGX_AGAIN: the next phase runs
 * when it is done), or does it here (NGX_OK: go on).
 */

static ngx_int_t
ngx_http_session_state_post(ngx_http_session_state_t *st, ngx_uint_t op,
    ngx_uint_t next)
{
    st->io.op = op;
    st->phase = next;

#if (NGX_THREADS)

    if (!st->sync && st->task) {

        if (ngx_thread_task_post(st->thread_pool, st->task) == NGX_OK) {
            st->io_busy = 1;
            return NGX_AGAIN;
        }

        /* the pool's queue is full: done here this once */
    }

#endif

    ngx_http_session_state_io(&st->io);

    return NGX_OK;
}


#if (NGX_THREADS)

static void
ngx_http_session_state_thread(void *data, ngx_log_t *log)
{
    ngx_http_session_state_t  *st = data;

    ngx_http_session_state_io(&st->io);
}


static void
ngx_http_session_state_done(ngx_event_t *ev)
{
    ngx_http_session_state_t  *st;

    st = ev->data;
    st->io_busy = 0;

    /* the exit handler finishes the work */

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    ngx_http_session_state_run(st);
}

#endif


/* nothing under way: the timer looks again after "pause" */

static ngx_int_t
ngx_http_session_state_idle(ngx_http_session_state_t *st, ngx_msec_t pause)
{
    st->phase = NGX_HTTP_SESSION_SAVE_IDLE;

    if (st->sync) {
        return NGX_DONE;
    }

    ngx_add_timer(&st->zone->save, pause);

    return NGX_DONE;
}


/* more of the same phase after other events had their turn */

static ngx_int_t
ngx_http_session_state_turn(ngx_http_session_state_t *st)
{
    if (st->sync) {
        return NGX_OK;
    }

    ngx_add_timer(&st->zone->save, 1);

    return NGX_AGAIN;
}


/*
 * What the look at FILE found.  Saved here or by another process of
 * this zone, or no file: save as usual (a missing file is written at
 * once, so a wrong path or permission shows in the error log).
 */

static ngx_int_t
ngx_http_session_state_checked(ngx_http_session_state_t *st)
{
    switch (st->io.result) {

    case NGX_HTTP_SESSION_IO_FOREIGN:
        return ngx_http_session_state_foreign(st);

    case NGX_HTTP_SESSION_IO_NONE:
        st->force = 1;
        /* fall through */

    case NGX_HTTP_SESSION_IO_DONE:
    case NGX_HTTP_SESSION_IO_OURS:
        st->yielded = 0;
        st->phase = NGX_HTTP_SESSION_SAVE_BEGIN;
        return NGX_OK;

    default: /* REFUSED, FAILED */
        ngx_http_session_state_log_failure(st);
        return ngx_http_session_state_idle(st,
                                           NGX_HTTP_SESSION_STATE_INTERVAL);
    }
}


/*
 * Another process wrote the file since this zone last saved it.  A
 * newer nginx that still runs keeps it: its writer holds the lock it
 * saved the file with for as long as it runs (a header alone, whatever
 * pid it names, proves nothing), so this one yields.  An older writer
 * (the old nginx of a binary upgrade, the old zone of a resizing
 * reload, saving as it exits) may hold sessions this zone lacks: they
 * are taken (MERGE).  Anything else is replaced.
 */

static ngx_int_t
ngx_http_session_state_foreign(ngx_http_session_state_t *st)
{
    u_char                          key[NGX_HTTP_SESSION_KEY_LEN];
    ngx_int_t                       rc;
    ngx_str_t                       line;
    ngx_http_session_zone_t        *zone;
    ngx_http_session_state_line_t   sl;

    zone = st->zone;

    ngx_reset_pool(st->pool);

    rc = ngx_http_session_state_getline(&st->reader, &line);

    if (rc != NGX_OK
        || ngx_http_session_state_parse(st->pool, &line, &sl) != NGX_OK
        || sl.kind != NGX_HTTP_SESSION_STATE_HEADER
        || sl.version != NGX_HTTP_SESSION_STATE_VERSION
        || sl.pid == ngx_pid)
    {
        goto replace;
    }

    if (sl.epoch > ngx_http_session_state_epoch()
        && sl.epoch <= ngx_http_session_state_clock()
        && st->io.locker)
    {
        if (!st->yielded) {
            st->yielded = 1;
            ngx_log_error(NGX_LOG_NOTICE, st->log, 0,
                          "session zone \"%V\": a newer nginx (process "
                          "%P) saves \"%V\" now, this one stops",
                          &zone->name, st->io.locker, &st->path);
        }

        return ngx_http_session_state_post(st, NGX_HTTP_SESSION_IO_CLOSE,
                                           NGX_HTTP_SESSION_SAVE_CLOSED);
    }

    st->yielded = 0;

    ngx_http_session_zone_key(zone, key);

    if (zone->state_since == 0
        || sl.zone.len != zone->name.len
        || ngx_strncmp(sl.zone.data, zone->name.data, sl.zone.len) != 0
        || ngx_memcmp(sl.key, key, NGX_HTTP_SESSION_KEY_LEN) != 0)
    {
        /* its digests would mean nothing here */
        goto replace;
    }

    st->writer = sl.pid;
    st->merged = 0;
    st->phase = NGX_HTTP_SESSION_SAVE_MERGE;

    return NGX_OK;

replace:

    st->yielded = 0;
    st->force = 1;

    return ngx_http_session_state_post(st, NGX_HTTP_SESSION_IO_CLOSE,
                                       NGX_HTTP_SESSION_SAVE_CLOSED);
}


/*
 * Takes a batch of lines of the file another writer left: the sessions
 * created since this zone's own snapshot, which it cannot have known
 * (so none of them was logged out here).  The queues are not sorted
 * afterwards: a few sessions out of order only expire a little late.
 */

static ngx_int_t
ngx_http_session_state_merge(ngx_http_session_state_t *st)
{
    int64_t                           now;
    ngx_int_t                         rc;
    ngx_str_t                         line;
    ngx_uint_t                        n;
    ngx_http_session_zone_t          *zone;
    ngx_http_session_import_t        *im;
    ngx_http_session_state_line_t     sl;
    ngx_http_session_state_reader_t  *rd;

    zone = st->zone;
    rd = &st->reader;
    now = ngx_http_session_now();

    /* a read that failed: take what was read */

    if (st->io.op == NGX_HTTP_SESSION_IO_READ
        && st->io.result != NGX_HTTP_SESSION_IO_DONE)
    {
        goto merged;
    }

    for (n = 0; st->sync || n < NGX_HTTP_SESSION_STATE_LINES; n++) {

        rc = ngx_http_session_state_getline(rd, &line);

        if (rc == NGX_AGAIN) {
            return ngx_http_session_state_post(st, NGX_HTTP_SESSION_IO_READ,
                                               NGX_HTTP_SESSION_SAVE_MERGE);
        }

        if (rc == NGX_DECLINED) {
            continue;
        }

        if (rc != NGX_OK) {
            goto merged;
        }

        ngx_reset_pool(st->pool);

        if (ngx_http_session_state_parse(st->pool, &line, &sl) != NGX_OK) {
            continue;
        }

        if (sl.kind == NGX_HTTP_SESSION_STATE_END) {
            goto merged;
        }

        if (sl.kind != NGX_HTTP_SESSION_STATE_SESSION) {
            continue;
        }

        im = &sl.session;

        if (im->created < zone->state_since
            || ngx_http_session_state_expired(zone, im, now))
        {
            continue;
        }

        if (ngx_http_session_import(zone, im) == NGX_OK) {
            st->merged++;
        }
    }

    return ngx_http_session_state_turn(st);

merged:

    ngx_log_error(NGX_LOG_NOTICE, st->log, 0,
                  "session zone \"%V\": \"%V\" was saved by process %P, "
                  "%uL sessions created since this zone started were "
                  "taken from it", &zone->name, &st->path, st->writer,
                  st->merged);

    /* the file is written again, with this zone's sessions */
    st->force = 1;

    return ngx_http_session_state_post(st, NGX_HTTP_SESSION_IO_CLOSE,
                                       NGX_HTTP_SESSION_SAVE_CLOSED);
}


/* a save begins if the zone changed since the last one */

static ngx_int_t
ngx_http_session_state_begin(ngx_http_session_state_t *st)
{
    if (ngx_http_session_save_begin(st->zone, st->force, &st->target,
                                    &st->ended_target)
        != NGX_OK)
    {
        return ngx_http_session_state_idle(st,
                                           NGX_HTTP_SESSION_STATE_INTERVAL);
    }

    st->started = ngx_current_msec;

    return ngx_http_session_state_post(st, NGX_HTTP_SESSION_IO_OPEN,
                                       NGX_HTTP_SESSION_SAVE_OPENED);
}


static ngx_int_t
ngx_http_session_state_opened(ngx_http_session_state_t *st)
{
    u_char                    key[NGX_HTTP_SESSION_KEY_LEN];
    ngx_http_session_zone_t  *zone;

    zone = st->zone;

    switch (st->io.result) {

    case NGX_HTTP_SESSION_IO_DONE:
        break;

    case NGX_HTTP_SESSION_IO_BUSY:
        /* another process writes the file: later */
        return ngx_http_session_state_idle(st,
                                           NGX_HTTP_SESSION_STATE_INTERVAL);

    default:
        return ngx_http_session_state_fail(st);
    }

    ngx_memzero(&st->cursor, sizeof(ngx_http_session_cursor_t));
    st->cursor.walk = NGX_HTTP_SESSION_WALK_TREE;
    st->cursor.closed = 1;

    st->batch.nrecords = 0;
    st->next = 0;
    st->count = 0;
    st->now = ngx_http_session_now();
    st->pos = st->buf;

    /* type names are read outside the lock: keep a copy */

    st->ntypes = ngx_http_session_types(zone, st->types);

    ngx_http_session_zone_key(zone, key);

    st->pos = ngx_http_session_state_format_header(st->pos, &zone->name, key,
                                           ngx_http_session_state_epoch(),
                                           ngx_pid,
                                           ngx_http_session_state_clock());

    st->phase = NGX_HTTP_SESSION_SAVE_WRITE;

    return NGX_OK;
}


/*
 * Copies and formats up to NGX_HTTP_SESSION_STATE_BATCHES batches (all
 * that is left when worker 0 exits); the zone lock is held only inside
 * ngx_http_session_read().  A full buffer is written, the last one
 * finishes the file.
 */

static ngx_int_t
ngx_http_session_state_step(ngx_http_session_state_t *st)
{
    ngx_uint_t  n;

    for (n = 0; /* void */ ; n++) {

        if (ngx_http_session_state_lines(st) == NGX_AGAIN) {
            st->io.data = st->buf;
            st->io.len = st->pos - st->buf;

            return ngx_http_session_state_post(st,
                                               NGX_HTTP_SESSION_IO_WRITE,
                                               NGX_HTTP_SESSION_SAVE_WRITTEN);
        }

        if (st->cursor.done) {
            break;
        }

        if (!st->sync && n == NGX_HTTP_SESSION_STATE_BATCHES) {
            return ngx_http_session_state_turn(st);
        }

        if (ngx_http_session_read(st->zone, &st->cursor, &st->batch)
            != NGX_OK)
        {
            st->io.result = NGX_HTTP_SESSION_IO_FAILED;
            st->io.err = 0;
            st->io.what = "reading the zone";
            st->io.name = st->io.temp;
            return ngx_http_session_state_fail(st);
        }

        st->next = 0;
    }

    st->pos = ngx_sprintf(st->pos, "end %uL\n", st->count);

    st->io.data = st->buf;
    st->io.len = st->pos - st->buf;

    return ngx_http_session_state_post(st, NGX_HTTP_SESSION_IO_FINISH,
                                       NGX_HTTP_SESSION_SAVE_FINISHED);
}


/*
 * Formats the rest of the batch copied last; NGX_AGAIN: the buffer is
 * full (room for the end line is always kept).
 */

static ngx_int_t
ngx_http_session_state_lines(ngx_http_session_state_t *st)
{
    u_char                     *p;
    ngx_str_t                   type;
    ngx_http_session_zone_t    *zone;
    ngx_http_session_record_t  *rec;
    ngx_http_session_import_t   im;

    zone = st->zone;

    for ( /* void */ ; st->next < st->batch.nrecords; st->next++) {

        rec = &st->batch.records[st->next];

        if (rec->type >= st->ntypes) {
            /* a type added since the save began */
            st->ntypes = ngx_http_session_types(zone, st->types);

            if (rec->type >= st->ntypes) {
                continue;
            }
        }

        type.len = st->types[rec->type].len;
        type.data = st->types[rec->type].name;

        ngx_http_session_record_import(rec, &type, &im);

        if (ngx_http_session_state_expired(zone, &im, st->now)) {
            continue;
        }

        if (st->end - st->pos < NGX_HTTP_SESSION_STATE_LINE_MAX) {
            return NGX_AGAIN;
        }

        p = ngx_http_session_state_format(st->pos, st->end, &im);

        if (p == NULL) {
            /* cannot happen with what the zone holds */
            ngx_log_error(NGX_LOG_ALERT, st->log, 0,
                          "session zone \"%V\": a session with %uz "
                          "bytes of variables left out of the state "
                          "file", &zone->name, rec->vars.len);
            continue;
        }

        st->pos = p;
        st->count++;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_state_finished(ngx_http_session_state_t *st)
{
    ngx_msec_t                took;
    ngx_http_session_zone_t  *zone;

    zone = st->zone;

    if (st->io.result != NGX_HTTP_SESSION_IO_DONE) {
        return ngx_http_session_state_fail(st);
    }

    /* after the rename: the file's mtime is never later than this */

    ngx_http_session_save_done(zone, st->target,
                               ngx_http_session_state_clock());

    st->ended_saved = st->ended_target;
    st->ended_known = 1;
    st->force = 0;

    if (st->failing) {
        st->failing = 0;
        ngx_log_error(NGX_LOG_NOTICE, st->log, 0,
                      "session zone \"%V\": state file \"%V\" saved again",
                      &zone->name, &st->path);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, st->log, 0,
                   "session zone \"%V\": %uL sessions saved to \"%V\"",
                   &zone->name, st->count, &st->path);

    took = ngx_current_msec - st->started;

    return ngx_http_session_state_idle(st,
                            ngx_max(NGX_HTTP_SESSION_STATE_INTERVAL,
                                    NGX_HTTP_SESSION_STATE_PAUSE * took));
}


/*
 * A save failed: said in the log, FILE.tmp removed, the previous FILE
 * left in place, unless sessions ended since it was written (unknown
 * since this process started: any that ended in the zone count): then
 * it is set aside, or a restart would bring them back.
 */

static ngx_int_t
ngx_http_session_state_fail(ngx_http_session_state_t *st)
{
    uint64_t  ended;

    ngx_http_session_state_log_failure(st);

    ended = ngx_http_session_save_ended(st->zone);

    st->io.set_aside = st->ended_known ? ended > st->ended_saved
                                       : ended > 0;

    return ngx_http_session_state_post(st, NGX_HTTP_SESSION_IO_ABORT,
                                       NGX_HTTP_SESSION_SAVE_ABORTED);
}


static ngx_int_t
ngx_http_session_state_aborted(ngx_http_session_state_t *st)
{
    ngx_http_session_zone_t  *zone;

    zone = st->zone;

    if (st->io.aside_done) {
        ngx_log_error(NGX_LOG_ALERT, st->log, 0,
                      "session zone \"%V\": sessions were logged out "
                      "since \"%V\" was saved, and saving fails: it was "
                      "renamed to \"%s\", so that a restart cannot bring "
                      "them back; the zone starts empty at the next start "
                      "unless a save succeeds before",
                      &zone->name, &st->path, st->io.aside);

    } else if (st->io.set_aside && st->io.aside_err) {
        ngx_log_error(NGX_LOG_ALERT, st->log, st->io.aside_err,
                      "session zone \"%V\": sessions were logged out "
                      "since \"%V\" was saved, and saving fails, but it "
                      "cannot be renamed to \"%s\": a restart would bring "
                      "them back", &zone->name, &st->path, st->io.aside);
    }

    st->io.set_aside = 0;

    return ngx_http_session_state_idle(st, NGX_HTTP_SESSION_STATE_INTERVAL);
}


/*
 * Logged once, then at most once a minute while saves keep failing; at
 * exit always, at [alert]: the next start gets an older file, or none.
 */

static void
ngx_http_session_state_log_failure(ngx_http_session_state_t *st)
{
    ngx_uint_t                level;
    ngx_http_session_zone_t  *zone;

    zone = st->zone;

    if (st->sync) {
        level = NGX_LOG_ALERT;

    } else {
        if (st->failing
            && ngx_current_msec - st->error_logged
               < NGX_HTTP_SESSION_STATE_LOG_EVERY)
        {
            st->failing = 1;
            return;
        }

        level = NGX_LOG_ERR;
        st->error_logged = ngx_current_msec;
    }

    st->failing = 1;

    if (st->io.result == NGX_HTTP_SESSION_IO_REFUSED) {
        ngx_log_error(level, st->log, 0,
                      "session zone \"%V\": saving the sessions failed: "
                      "\"%s\" is not a regular file (a symbolic link, "
                      "FIFO, device or directory), it is neither written "
                      "through nor replaced; remove it",
                      &zone->name, st->io.name);

    } else {
        ngx_log_error(level, st->log, st->io.err,
                      "session zone \"%V\": saving the sessions failed: "
                      "%s \"%s\" failed", &zone->name, st->io.what,
                      st->io.name);
    }

    if (st->sync) {
        ngx_log_error(NGX_LOG_ALERT, st->log, 0,
                      "session zone \"%V\": the sessions could not be "
                      "saved as nginx exits: the next start reads an "
                      "older \"%V\", or none", &zone->name, &st->path);
    }
}
