
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_state.h"


/*
 * Saving the state file: by worker 0 only (set up from the module
 * file's init_process).  A timer checks once a second whether the zone
 * changed, and writes a snapshot to FILE.tmp a few batches per event
 * loop turn, then renames it over FILE.  Worker 0 saves once more when
 * it exits.
 *
 * While a binary upgrade runs two nginx side by side, or the old
 * workers of a resizing reload finish, two zones share the file.  The
 * older one saves when it exits; the newer one then takes from the file
 * the sessions created after its own start and saves again.
 *
 * Calls the codec and the loader's line reader
 * (ngx_http_session_state_codec.c, _state_load.c), and the store's
 * batch reader and bookkeeping (ngx_http_session_store.h).
 */


/* how often worker 0 looks for changes, and the least pause between saves */
#define NGX_HTTP_SESSION_STATE_INTERVAL  1000

/* a save takes at most about a fifth of worker 0's time */
#define NGX_HTTP_SESSION_STATE_PAUSE     4

/* batches of ngx_http_session_read() per event loop turn */
#define NGX_HTTP_SESSION_STATE_BATCHES   8

/* lines of another writer's file taken per event loop turn */
#define NGX_HTTP_SESSION_STATE_LINES     2048

/* the replaced file is released this much per event loop turn */
#define NGX_HTTP_SESSION_STATE_SHRINK    (4 * 1024 * 1024)

#define NGX_HTTP_SESSION_STATE_BUF       (256 * 1024)

/* a failing save is reported at most this often */
#define NGX_HTTP_SESSION_STATE_LOG_EVERY 60000


/* what worker 0 keeps between event loop turns */

typedef struct {
    ngx_http_session_zone_t          *zone;
    ngx_pool_t                       *pool;
    ngx_log_t                        *log;
    ngx_str_t                         path;
    ngx_str_t                         temp;
    ngx_fd_t                          fd;
    off_t                             written;
    ngx_fd_t                          prev;     /* the replaced file */
    off_t                             prev_size;

    ngx_http_session_cursor_t         cursor;
    ngx_http_session_batch_t          batch;

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

    /* taking the sessions another writer left in the file */
    ngx_http_session_state_reader_t   reader;
    int64_t                           seen;     /* its mtime */
    ngx_pid_t                         writer;
    uint64_t                          merged;

    unsigned                          active:1;
    unsigned                          merging:1;
    unsigned                          force:1;
    unsigned                          yielded:1;
    unsigned                          failing:1;
} ngx_http_session_state_t;


static void ngx_http_session_state_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_session_state_shrink(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_check(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_merge(ngx_http_session_state_t *st);
static void ngx_http_session_state_merged(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_begin(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_open(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_step(ngx_http_session_state_t *st,
    ngx_uint_t batches);
static ngx_int_t ngx_http_session_state_finish(ngx_http_session_state_t *st);
static void ngx_http_session_state_abort(ngx_http_session_state_t *st);
static void ngx_http_session_state_release(ngx_http_session_state_t *st);
static ngx_int_t ngx_http_session_state_flush(ngx_http_session_state_t *st);
static void ngx_http_session_state_failed(ngx_http_session_state_t *st,
    ngx_err_t err, const char *what, u_char *name);
static ngx_int_t ngx_http_session_state_save_now(
    ngx_http_session_state_t *st);
static int64_t ngx_http_session_state_mtime(ngx_file_info_t *fi);
static ngx_int_t ngx_http_session_state_alive(ngx_pid_t pid);


/*
 * Saving: set up in worker 0 only (ngx_http_session_init_worker_zone()
 * calls this there).
 */

ngx_int_t
ngx_http_session_state_init_worker(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone)
{
    ngx_uint_t                      i;
    ngx_file_info_t                 fi;
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
    st->fd = NGX_INVALID_FILE;
    st->prev = NGX_INVALID_FILE;
    st->reader.fd = NGX_INVALID_FILE;

    st->path.len = zone->state.len;
    st->path.data = ngx_pnalloc(cycle->pool, zone->state.len + 1);
    if (st->path.data == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn(st->path.data, zone->state.data, zone->state.len + 1);

    st->temp.len = zone->state.len + sizeof(".tmp") - 1;
    st->temp.data = ngx_pnalloc(cycle->pool, st->temp.len + 1);
    if (st->temp.data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(st->temp.data, "%V.tmp%Z", &zone->state);

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

    /* no file yet: write one soon, so a wrong path shows at once */

    if (ngx_file_info(st->path.data, &fi) == NGX_FILE_ERROR
        && ngx_errno == NGX_ENOENT)
    {
        st->force = 1;
    }

    zone->save.handler = ngx_http_session_state_handler;
    zone->save.data = st;
    zone->save.log = cycle->log;
    zone->save.cancelable = 1;

    ngx_add_timer(&zone->save, NGX_HTTP_SESSION_STATE_INTERVAL);

    return NGX_OK;
}


/*
 * Called in every worker as it exits: worker 0 saves what changed since
 * its last save.  A graceful exit (QUIT) has all the time it needs; on
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

    if (st->merging) {
        while (ngx_http_session_state_merge(st) == NGX_AGAIN) {
            /* void */
        }
    }

    /* a save under way ends first, then whatever changed meanwhile */

    if (st->active) {
        (void) ngx_http_session_state_save_now(st);
    }

    if (ngx_http_session_state_begin(st) == NGX_OK
        && ngx_http_session_state_save_now(st) == NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, st->log, 0,
                      "session zone \"%V\": %uL sessions saved to \"%V\"",
                      &zone->name, st->count, &st->path);
    }

    if (st->prev != NGX_INVALID_FILE) {
        (void) ngx_close_file(st->prev);
        st->prev = NGX_INVALID_FILE;
    }

    ngx_destroy_pool(st->pool);
    zone->save.data = NULL;
}


/* completes the save that has begun, in one go */

static ngx_int_t
ngx_http_session_state_save_now(ngx_http_session_state_t *st)
{
    ngx_int_t  rc;

    rc = ngx_http_session_state_step(st, 0);

    if (rc == NGX_OK) {
        rc = ngx_http_session_state_finish(st);
    }

    if (rc != NGX_OK) {
        ngx_http_session_state_abort(st);
    }

    return rc;
}


static void
ngx_http_session_state_handler(ngx_event_t *ev)
{
    ngx_int_t                  rc;
    ngx_msec_t                 took;
    ngx_http_session_state_t  *st;

    st = ev->data;

    /* the exit handler finishes the work */

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    if (ngx_http_session_state_shrink(st) == NGX_AGAIN) {
        ngx_add_timer(ev, 1);
        return;
    }

    if (!st->active) {

        rc = st->merging ? ngx_http_session_state_merge(st)
                         : ngx_http_session_state_check(st);

        if (rc == NGX_AGAIN) {
            /* let other events run, then go on */
            ngx_add_timer(ev, 1);
            return;
        }

        if (rc == NGX_DECLINED
            || ngx_http_session_state_begin(st) != NGX_OK)
        {
            ngx_add_timer(ev, NGX_HTTP_SESSION_STATE_INTERVAL);
            return;
        }

        st->started = ngx_current_msec;
    }

    rc = ngx_http_session_state_step(st, NGX_HTTP_SESSION_STATE_BATCHES);

    if (rc == NGX_AGAIN) {
        ngx_add_timer(ev, 1);
        return;
    }

    if (rc == NGX_OK) {
        rc = ngx_http_session_state_finish(st);
    }

    if (rc != NGX_OK) {
        ngx_http_session_state_abort(st);
    }

    took = ngx_current_msec - st->started;

    ngx_add_timer(ev, ngx_max(NGX_HTTP_SESSION_STATE_INTERVAL,
                              NGX_HTTP_SESSION_STATE_PAUSE * took));
}


/*
 * The file a save replaced is kept open across the rename, so rename()
 * does not free it all at once (tens of milliseconds for a large file):
 * it is cut down a few megabytes per event loop turn instead.
 */

static ngx_int_t
ngx_http_session_state_shrink(ngx_http_session_state_t *st)
{
    if (st->prev == NGX_INVALID_FILE) {
        return NGX_OK;
    }

    st->prev_size -= ngx_min(st->prev_size, NGX_HTTP_SESSION_STATE_SHRINK);

    if (st->prev_size > 0 && ftruncate(st->prev, st->prev_size) == 0) {
        return NGX_AGAIN;
    }

    (void) ngx_close_file(st->prev);
    st->prev = NGX_INVALID_FILE;

    return NGX_OK;
}


/*
 * Whether another process wrote the file since this zone last saved it.
 * A newer nginx that still runs keeps it: NGX_DECLINED, nothing is
 * saved.  An older writer (the old nginx of a binary upgrade, the old
 * zone of a resizing reload, saving as it exits) may hold sessions this
 * zone lacks: NGX_AGAIN, they are taken in the next turns.  NGX_OK:
 * save as usual.
 */

static ngx_int_t
ngx_http_session_state_check(ngx_http_session_state_t *st)
{
    u_char                            key[NGX_HTTP_SESSION_KEY_LEN];
    int64_t                           mtime, saved_at;
    ngx_int_t                         rc;
    ngx_str_t                         line;
    ngx_file_info_t                   fi;
    ngx_http_session_zone_t          *zone;
    ngx_http_session_state_line_t     sl;
    ngx_http_session_state_reader_t  *rd;

    zone = st->zone;
    rd = &st->reader;

    if (ngx_file_info(st->path.data, &fi) == NGX_FILE_ERROR) {
        return NGX_OK;
    }

    mtime = ngx_http_session_state_mtime(&fi);

    saved_at = ngx_http_session_save_time(zone);

    /* the file's mtime is never later than the saved_at of its save */

    if (mtime <= saved_at || mtime == st->seen) {
        return NGX_OK;
    }

    rd->fd = ngx_open_file(st->path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (rd->fd == NGX_INVALID_FILE) {
        return NGX_OK;
    }

    rd->pos = rd->buf;
    rd->last = rd->buf;
    rd->skip = 0;

    ngx_reset_pool(st->pool);

    rc = ngx_http_session_state_getline(rd, &line);

    if (rc != NGX_OK
        || ngx_http_session_state_parse(st->pool, &line, &sl) != NGX_OK
        || sl.kind != NGX_HTTP_SESSION_STATE_HEADER
        || sl.version != NGX_HTTP_SESSION_STATE_VERSION
        || sl.pid == ngx_pid)
    {
        /* not a file to take anything from: it is replaced */
        goto replace;
    }

    if (sl.epoch > ngx_http_session_state_epoch()
        && sl.epoch <= ngx_http_session_state_clock()
        && ngx_http_session_state_alive(sl.pid))
    {
        (void) ngx_close_file(rd->fd);
        rd->fd = NGX_INVALID_FILE;

        if (!st->yielded) {
            st->yielded = 1;
            ngx_log_error(NGX_LOG_NOTICE, st->log, 0,
                          "session zone \"%V\": a newer nginx (process "
                          "%P) saves \"%V\" now, this one stops",
                          &zone->name, sl.pid, &st->path);
        }

        return NGX_DECLINED;
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

    st->seen = mtime;
    st->writer = sl.pid;
    st->merged = 0;
    st->merging = 1;

    return NGX_AGAIN;

replace:

    (void) ngx_close_file(rd->fd);
    rd->fd = NGX_INVALID_FILE;

    st->seen = mtime;
    st->force = 1;

    return NGX_OK;
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

    for (n = 0; n < NGX_HTTP_SESSION_STATE_LINES; n++) {

        rc = ngx_http_session_state_getline(rd, &line);

        if (rc == NGX_DECLINED) {
            continue;
        }

        if (rc != NGX_OK) {
            /* the end, or a read error: take what was read */
            ngx_http_session_state_merged(st);
            return NGX_OK;
        }

        ngx_reset_pool(st->pool);

        if (ngx_http_session_state_parse(st->pool, &line, &sl) != NGX_OK) {
            continue;
        }

        if (sl.kind == NGX_HTTP_SESSION_STATE_END) {
            ngx_http_session_state_merged(st);
            return NGX_OK;
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

    return NGX_AGAIN;
}


static void
ngx_http_session_state_merged(ngx_http_session_state_t *st)
{
    (void) ngx_close_file(st->reader.fd);
    st->reader.fd = NGX_INVALID_FILE;

    st->merging = 0;

    /* the file is written again, with this zone's sessions */
    st->force = 1;

    ngx_log_error(NGX_LOG_NOTICE, st->log, 0,
                  "session zone \"%V\": \"%V\" was saved by process %P, "
                  "%uL sessions created since this zone started were "
                  "taken from it", &st->zone->name, &st->path, st->writer,
                  st->merged);
}


/*
 * Starts a save if the zone changed since the last one and no other
 * worker of the zone saves it (the old worker 0 during a reload).
 */

static ngx_int_t
ngx_http_session_state_begin(ngx_http_session_state_t *st)
{
    u_char                    key[NGX_HTTP_SESSION_KEY_LEN];
    ngx_int_t                 rc;
    ngx_pid_t                 pid;
    ngx_http_session_zone_t  *zone;

    zone = st->zone;

    rc = ngx_http_session_save_begin(zone, st->force, &pid, &st->target);

    if (rc == NGX_DECLINED) {
        return NGX_DECLINED;
    }

    if (rc == NGX_BUSY) {
        if (ngx_http_session_state_alive(pid)) {
            return NGX_BUSY;
        }

        /* its writer died in the middle of a save */

        if (ngx_http_session_save_take(zone, pid, &st->target) != NGX_OK) {
            return NGX_BUSY;
        }
    }

    if (ngx_http_session_state_open(st) != NGX_OK) {
        ngx_http_session_state_release(st);
        return NGX_ERROR;
    }

    ngx_memzero(&st->cursor, sizeof(ngx_http_session_cursor_t));
    st->cursor.walk = NGX_HTTP_SESSION_WALK_TREE;
    st->cursor.closed = 1;

    st->count = 0;
    st->written = 0;
    st->now = ngx_http_session_now();
    st->pos = st->buf;

    /* type names are read outside the lock: keep a copy */

    st->ntypes = ngx_http_session_types(zone, st->types);

    ngx_http_session_zone_key(zone, key);

    st->pos = ngx_http_session_state_format_header(st->pos, &zone->name, key,
                                           ngx_http_session_state_epoch(),
                                           ngx_pid,
                                           ngx_http_session_state_clock());
    st->active = 1;

    return NGX_OK;
}


/*
 * FILE.tmp, locked: the lock keeps out a writer of another zone (the
 * other nginx of a binary upgrade) and dies with its holder.  A file
 * renamed away between open() and the lock is not ours to truncate.
 */

static ngx_int_t
ngx_http_session_state_open(ngx_http_session_state_t *st)
{
    ngx_fd_t         fd;
    ngx_err_t        err;
    ngx_file_info_t  fi, ti;

    fd = ngx_open_file(st->temp.data, NGX_FILE_WRONLY,
                       NGX_FILE_CREATE_OR_OPEN, 0600);

    if (fd == NGX_INVALID_FILE) {
        ngx_http_session_state_failed(st, ngx_errno, ngx_open_file_n,
                                      st->temp.data);
        return NGX_ERROR;
    }

    err = ngx_trylock_fd(fd);

    if (err) {
        (void) ngx_close_file(fd);

        if (err == NGX_EAGAIN || err == NGX_EACCES) {
            /* another process writes it: try again later */
            return NGX_ERROR;
        }

        ngx_http_session_state_failed(st, err, ngx_trylock_fd_n,
                                      st->temp.data);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_info(st->temp.data, &ti) == NGX_FILE_ERROR
        || fi.st_ino != ti.st_ino || fi.st_dev != ti.st_dev)
    {
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    if (ftruncate(fd, 0) == -1) {
        ngx_http_session_state_failed(st, ngx_errno, "ftruncate()",
                                      st->temp.data);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    /* a file left by an older save may have other permissions */

    if (fchmod(fd, 0600) == -1) {
        ngx_http_session_state_failed(st, ngx_errno, "fchmod()",
                                      st->temp.data);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    st->fd = fd;

    return NGX_OK;
}


/*
 * Copies and formats up to "batches" batches (0: all that is left);
 * the zone lock is held only inside ngx_http_session_read().
 */

static ngx_int_t
ngx_http_session_state_step(ngx_http_session_state_t *st, ngx_uint_t batches)
{
    u_char                     *p;
    ngx_str_t                   type;
    ngx_uint_t                  i, n;
    ngx_http_session_zone_t    *zone;
    ngx_http_session_record_t  *rec;
    ngx_http_session_import_t   im;

    zone = st->zone;

    for (n = 0; batches == 0 || n < batches; n++) {

        if (st->cursor.done) {
            return NGX_OK;
        }

        if (ngx_http_session_read(zone, &st->cursor, &st->batch) != NGX_OK) {
            return NGX_ERROR;
        }

        for (i = 0; i < st->batch.nrecords; i++) {
            rec = &st->batch.records[i];

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

            if (st->end - st->pos < NGX_HTTP_SESSION_STATE_LINE_MAX
                && ngx_http_session_state_flush(st) != NGX_OK)
            {
                return NGX_ERROR;
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
    }

    return st->cursor.done ? NGX_OK : NGX_AGAIN;
}


static ngx_int_t
ngx_http_session_state_finish(ngx_http_session_state_t *st)
{
    int64_t                   now;
    ngx_fd_t                  prev;
    ngx_file_info_t           fi;
    ngx_http_session_zone_t  *zone;

    zone = st->zone;

    if ((size_t) (st->end - st->pos) < NGX_INT64_LEN + 8
        && ngx_http_session_state_flush(st) != NGX_OK)
    {
        return NGX_ERROR;
    }

    st->pos = ngx_sprintf(st->pos, "end %uL\n", st->count);

    if (ngx_http_session_state_flush(st) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the file it replaces is freed later, bit by bit */

    prev = NGX_INVALID_FILE;

    if (st->prev == NGX_INVALID_FILE) {
        prev = ngx_open_file(st->path.data, NGX_FILE_WRONLY, NGX_FILE_OPEN,
                             0);

        if (prev != NGX_INVALID_FILE
            && ngx_fd_info(prev, &fi) == NGX_FILE_ERROR)
        {
            (void) ngx_close_file(prev);
            prev = NGX_INVALID_FILE;
        }
    }

    /* renamed while locked, so no other writer can truncate it first */

    if (ngx_rename_file(st->temp.data, st->path.data) == NGX_FILE_ERROR) {
        ngx_http_session_state_failed(st, ngx_errno, ngx_rename_file_n,
                                      st->path.data);

        if (prev != NGX_INVALID_FILE) {
            (void) ngx_close_file(prev);
        }

        return NGX_ERROR;
    }

    if (prev != NGX_INVALID_FILE) {
        st->prev = prev;
        st->prev_size = ngx_file_size(&fi);
    }

    if (ngx_close_file(st->fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, st->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", &st->path);
    }

    st->fd = NGX_INVALID_FILE;
    st->active = 0;
    st->force = 0;

    if (st->failing) {
        st->failing = 0;
        ngx_log_error(NGX_LOG_NOTICE, st->log, 0,
                      "session zone \"%V\": state file \"%V\" saved again",
                      &zone->name, &st->path);
    }

    /* after the rename: the file's mtime is never later than this */
    now = ngx_http_session_state_clock();

    ngx_http_session_save_done(zone, st->target, now);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, st->log, 0,
                   "session zone \"%V\": %uL sessions saved to \"%V\"",
                   &zone->name, st->count, &st->path);

    return NGX_OK;
}


/* the previous file stays in place */

static void
ngx_http_session_state_abort(ngx_http_session_state_t *st)
{
    if (st->fd != NGX_INVALID_FILE) {
        /* still locked: the temporary file is ours to remove */
        (void) ngx_delete_file(st->temp.data);
        (void) ngx_close_file(st->fd);
        st->fd = NGX_INVALID_FILE;
    }

    st->active = 0;

    ngx_http_session_state_release(st);
}


static void
ngx_http_session_state_release(ngx_http_session_state_t *st)
{
    ngx_http_session_save_release(st->zone);
}


static ngx_int_t
ngx_http_session_state_flush(ngx_http_session_state_t *st)
{
    u_char   *p;
    size_t    size;
    ssize_t   n;

    for (p = st->buf; p < st->pos; p += n) {

        n = ngx_write_fd(st->fd, p, st->pos - p);

        if (n == -1) {
            if (ngx_errno == NGX_EINTR) {
                n = 0;
                continue;
            }

            ngx_http_session_state_failed(st, ngx_errno, ngx_write_fd_n,
                                          st->temp.data);
            return NGX_ERROR;
        }
    }

    size = st->pos - st->buf;

#if (NGX_LINUX)
    /*
     * Written back as it goes: renaming over a file on ext4 would
     * otherwise start the writeback of all of it inside rename().
     */
    (void) sync_file_range(st->fd, st->written, size,
                           SYNC_FILE_RANGE_WRITE);
#endif

    st->written += size;
    st->pos = st->buf;

    return NGX_OK;
}


static void
ngx_http_session_state_failed(ngx_http_session_state_t *st, ngx_err_t err,
    const char *what, u_char *name)
{
    if (st->failing
        && ngx_current_msec - st->error_logged
           < NGX_HTTP_SESSION_STATE_LOG_EVERY)
    {
        return;
    }

    st->failing = 1;
    st->error_logged = ngx_current_msec;

    ngx_log_error(NGX_LOG_ERR, st->log, err,
                  "session zone \"%V\": saving the sessions failed: "
                  "%s \"%s\" failed", &st->zone->name, what, name);
}


static int64_t
ngx_http_session_state_mtime(ngx_file_info_t *fi)
{
    return (int64_t) fi->st_mtim.tv_sec * 1000
           + fi->st_mtim.tv_nsec / 1000000;
}


static ngx_int_t
ngx_http_session_state_alive(ngx_pid_t pid)
{
    if (pid <= 0) {
        return 0;
    }

    return kill(pid, 0) == 0 || ngx_errno != NGX_ESRCH;
}
