
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_state.h"


/*
 * The state file: the sessions of one zone as text, one line each.
 *
 *   ngx_http_session_state 1 zone=NAME key=HEX epoch=MS pid=PID saved=MS
 *   # comment lines
 *   s SID TYPE ID NAME CREATED LAST LOGOUT ADDR REQUESTS [VAR=VALUE]...
 *   end COUNT
 *
 * Fields are separated by one space; "-" is an empty field; bytes
 * outside printable ASCII, and "%", "=" and a lone "-", are written as
 * %XX.  The file holds the zone's digest key, never a token.
 *
 * Loading happens in the master when a zone starts empty.  Saving is
 * done by worker 0: a timer checks once a second whether the zone
 * changed, and writes a snapshot to FILE.tmp a few batches per event
 * loop turn, then renames it over FILE.  Worker 0 saves once more when
 * it exits.
 *
 * While a binary upgrade runs two nginx side by side, or the old
 * workers of a resizing reload finish, two zones share the file.  The
 * older one saves when it exits; the newer one then takes from the file
 * the sessions created after its own start and saves again.
 */


#define NGX_HTTP_SESSION_STATE_MAGIC     "ngx_http_session_state"

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
#define NGX_HTTP_SESSION_STATE_READ      (64 * 1024)

/* bad lines reported one by one before a summary */
#define NGX_HTTP_SESSION_STATE_REPORT    10

/* a failing save is reported at most this often */
#define NGX_HTTP_SESSION_STATE_LOG_EVERY 60000

/* the last millisecond of the year 9999: adding a timeout cannot overflow */
#define NGX_HTTP_SESSION_STATE_TIME_MAX  253402300799999LL


typedef struct {
    ngx_fd_t                     fd;
    u_char                      *buf;
    u_char                      *pos;
    u_char                      *last;
    u_char                      *end;
    unsigned                     skip:1;
} ngx_http_session_state_reader_t;


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


/* what the master learns while it loads a file */

typedef struct {
    ngx_http_session_zone_t     *zone;
    ngx_str_t                   *path;
    ngx_uint_t                   lineno;
    int64_t                      now;
    int64_t                      saved;

    unsigned                     header:1;
    unsigned                     ended:1;
    unsigned                     refused:1;
    unsigned                     trailing:1;

    uint64_t                     lines;
    uint64_t                     count;
    uint64_t                     loaded;
    uint64_t                     expired;
    uint64_t                     skipped;
    uint64_t                     bad;
} ngx_http_session_state_load_t;


static ngx_int_t ngx_http_session_state_getline(
    ngx_http_session_state_reader_t *rd, ngx_str_t *line);
static void ngx_http_session_state_line(ngx_http_session_state_load_t *ld,
    ngx_pool_t *pool, ngx_str_t *line);
static void ngx_http_session_state_bad(ngx_http_session_state_load_t *ld,
    const char *reason);
static void ngx_http_session_state_report(ngx_http_session_state_load_t *ld,
    off_t size);
static ngx_int_t ngx_http_session_state_expired(
    ngx_http_session_zone_t *zone, ngx_http_session_import_t *im,
    int64_t now);
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
static u_char *ngx_http_session_state_escape(u_char *p, u_char *last,
    u_char *src, size_t len);
static ngx_int_t ngx_http_session_state_unescape(ngx_pool_t *pool,
    ngx_str_t *field, ngx_str_t *value);
static ngx_int_t ngx_http_session_state_next(u_char **pos, u_char *last,
    ngx_str_t *field);
static ngx_int_t ngx_http_session_state_header(ngx_pool_t *pool, u_char *p,
    u_char *last, ngx_http_session_state_line_t *sl);
static ngx_int_t ngx_http_session_state_session(ngx_pool_t *pool, u_char *p,
    u_char *last, ngx_http_session_state_line_t *sl);
static ngx_int_t ngx_http_session_state_number(ngx_str_t *field,
    int64_t *value);
static ngx_int_t ngx_http_session_state_hex(ngx_str_t *field, u_char *out,
    size_t size);
static int64_t ngx_http_session_state_clock(void);
static int64_t ngx_http_session_state_mtime(ngx_file_info_t *fi);
static ngx_int_t ngx_http_session_state_alive(ngx_pid_t pid);


/*
 * When this nginx started keeping state files: of two nginx sharing a
 * file during a binary upgrade, the older one leaves it to the newer.
 * Set in the master, inherited by the workers.
 */
static int64_t  ngx_http_session_state_epoch;


/*
 * Loading: in the master, from ngx_http_session_init_zone(), into a zone
 * that starts empty.  Nothing found in the file stops nginx: whatever is
 * wrong is logged and the zone keeps what could be read.
 */

ngx_int_t
ngx_http_session_state_load(ngx_http_session_zone_t *zone)
{
    ngx_int_t                        rc;
    ngx_err_t                        err;
    ngx_str_t                        line, path;
    ngx_pool_t                      *pool, *lpool;
    ngx_file_info_t                  fi;
    ngx_http_session_state_load_t    ld;
    ngx_http_session_state_reader_t  rd;

    if (zone->state.len == 0) {
        return NGX_OK;
    }

    if (ngx_http_session_state_epoch == 0) {
        ngx_http_session_state_epoch = ngx_http_session_state_clock();
    }

    zone->state_since = ngx_http_session_state_clock();
    ngx_http_session_save_stamp(zone, zone->state_since);

    if (zone->loaded) {
        /* resized on reload: the sessions were copied in memory */
        return NGX_OK;
    }

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, zone->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    /* what one line allocates, freed before the next */
    lpool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, zone->log);
    if (lpool == NULL) {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    ngx_memzero(&ld, sizeof(ngx_http_session_state_load_t));
    ngx_memzero(&rd, sizeof(ngx_http_session_state_reader_t));

    path.len = zone->state.len;
    path.data = ngx_pnalloc(pool, zone->state.len + 1);
    if (path.data == NULL) {
        goto failed;
    }

    rd.buf = ngx_palloc(pool, NGX_HTTP_SESSION_STATE_READ);
    if (rd.buf == NULL) {
        goto failed;
    }

    ngx_cpystrn(path.data, zone->state.data, zone->state.len + 1);

    ld.zone = zone;
    ld.path = &path;
    ld.now = ngx_http_session_now();

    rd.fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (rd.fd == NGX_INVALID_FILE) {
        err = ngx_errno;

        if (err == NGX_ENOENT) {
            ngx_log_error(NGX_LOG_NOTICE, zone->log, 0,
                          "session zone \"%V\": no state file \"%V\" yet, "
                          "the zone starts empty", &zone->name, &path);

        } else {
            ngx_log_error(NGX_LOG_ERR, zone->log, err,
                          "session zone \"%V\": state file \"%V\" cannot "
                          "be opened, the zone starts empty",
                          &zone->name, &path);
        }

        goto done;
    }

    if (ngx_fd_info(rd.fd, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ERR, zone->log, ngx_errno,
                      "session zone \"%V\": " ngx_fd_info_n " \"%V\" failed",
                      &zone->name, &path);
        goto done;
    }

    if (fi.st_mode & 077) {
        ngx_log_error(NGX_LOG_WARN, zone->log, 0,
                      "session zone \"%V\": state file \"%V\" is readable "
                      "by others than its owner; it holds the zone's "
                      "digest key", &zone->name, &path);
    }

    rd.pos = rd.buf;
    rd.last = rd.buf;
    rd.end = rd.buf + NGX_HTTP_SESSION_STATE_READ;

    while (!ld.refused) {

        rc = ngx_http_session_state_getline(&rd, &line);

        if (rc == NGX_OK) {
            ngx_reset_pool(lpool);
            ngx_http_session_state_line(&ld, lpool, &line);
            continue;
        }

        if (rc == NGX_DECLINED) {
            ld.lineno++;

            if (ld.header && !ld.ended) {
                ld.lines++;
            }

            ngx_http_session_state_bad(&ld, "line too long");
            continue;
        }

        if (rc == NGX_ERROR) {
            ngx_log_error(NGX_LOG_ERR, zone->log, ngx_errno,
                          "session zone \"%V\": reading state file \"%V\" "
                          "failed", &zone->name, &path);
            ld.trailing = 1;
            break;
        }

        /* NGX_DONE */

        if (line.len) {
            /* cut in the middle of a line: it cannot be trusted */
            ld.lineno++;
            ld.trailing = 1;

            if (ld.header && !ld.ended) {
                ld.lines++;
            }
        }

        break;
    }

    if (ld.loaded) {
        ngx_http_session_import_done(zone);
    }

    ngx_http_session_state_report(&ld, ngx_file_size(&fi));

    /*
     * Another writer's later sessions may be taken: those created since
     * this snapshot began.  What was loaded need not be written again;
     * a damaged file is replaced by a clean one at the first save.
     */

    if (ld.header && ld.saved && ld.saved < zone->state_since) {
        zone->state_since = ld.saved;
    }

    if (!ld.bad && !ld.trailing && (ld.ended || !ld.header)
        && ld.count == ld.lines)
    {
        ngx_http_session_save_clean(zone);
    }

done:

    if (rd.fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(rd.fd);
    }

    ngx_destroy_pool(lpool);
    ngx_destroy_pool(pool);

    return NGX_OK;

failed:

    ngx_destroy_pool(lpool);
    ngx_destroy_pool(pool);

    return NGX_ERROR;
}


/*
 * The next line, without its newline.  NGX_DECLINED: a line longer than
 * any the module writes, skipped; NGX_DONE: the end of the file, "line"
 * holds what follows the last newline; NGX_ERROR: read() failed.
 */

static ngx_int_t
ngx_http_session_state_getline(ngx_http_session_state_reader_t *rd,
    ngx_str_t *line)
{
    u_char   *nl;
    ssize_t   n;

    for ( ;; ) {

        nl = ngx_strlchr(rd->pos, rd->last, '\n');

        if (nl) {
            line->data = rd->pos;
            line->len = nl - rd->pos;
            rd->pos = nl + 1;

            if (rd->skip) {
                rd->skip = 0;
                return NGX_DECLINED;
            }

            return NGX_OK;
        }

        if (rd->last - rd->pos >= NGX_HTTP_SESSION_STATE_LINE_MAX) {
            rd->skip = 1;
            rd->pos = rd->last;
        }

        if (rd->pos != rd->buf) {
            rd->last = ngx_movemem(rd->buf, rd->pos, rd->last - rd->pos);
            rd->pos = rd->buf;
        }

        n = read(rd->fd, rd->last, rd->end - rd->last);

        if (n == -1) {
            if (ngx_errno == NGX_EINTR) {
                continue;
            }

            return NGX_ERROR;
        }

        if (n == 0) {
            line->data = rd->pos;
            line->len = rd->last - rd->pos;
            rd->pos = rd->last;

            if (rd->skip) {
                rd->skip = 0;
                return NGX_DECLINED;
            }

            return NGX_DONE;
        }

        rd->last += n;
    }
}


static void
ngx_http_session_state_line(ngx_http_session_state_load_t *ld,
    ngx_pool_t *pool, ngx_str_t *line)
{
    ngx_int_t                       rc;
    ngx_http_session_zone_t        *zone;
    ngx_http_session_state_line_t   sl;

    zone = ld->zone;
    ld->lineno++;

    rc = ngx_http_session_state_parse(pool, line, &sl);

    if (!ld->header) {

        if (rc == NGX_OK && sl.kind == NGX_HTTP_SESSION_STATE_NONE) {
            return;
        }

        if (rc != NGX_OK || sl.kind != NGX_HTTP_SESSION_STATE_HEADER) {
            ngx_log_error(NGX_LOG_ERR, zone->log, 0,
                          "session zone \"%V\": \"%V\" is not a usable "
                          "session state file (line %ui: %s), it is "
                          "ignored and will be replaced at the next save",
                          &zone->name, ld->path, ld->lineno,
                          rc == NGX_OK ? "no header" : sl.error);
            ld->refused = 1;
            return;
        }

        if (sl.version != NGX_HTTP_SESSION_STATE_VERSION) {
            ngx_log_error(NGX_LOG_WARN, zone->log, 0,
                          "session zone \"%V\": state file \"%V\" has "
                          "format version %ui, this module reads version "
                          "%d: it is ignored and will be replaced at the "
                          "next save", &zone->name, ld->path, sl.version,
                          NGX_HTTP_SESSION_STATE_VERSION);
            ld->refused = 1;
            return;
        }

        if (sl.zone.len != zone->name.len
            || ngx_strncmp(sl.zone.data, zone->name.data, sl.zone.len) != 0)
        {
            ngx_log_error(NGX_LOG_WARN, zone->log, 0,
                          "session zone \"%V\": state file \"%V\" belongs "
                          "to zone \"%V\": it is ignored and will be "
                          "replaced at the next save",
                          &zone->name, ld->path, &sl.zone);
            ld->refused = 1;
            return;
        }

        /* the digests in the file were made with this key */
        ngx_http_session_zone_set_key(zone, sl.key);

        ld->header = 1;
        ld->saved = sl.saved;
        return;
    }

    if (rc != NGX_OK) {
        if (!ld->ended) {
            ld->lines++;
        }

        ngx_http_session_state_bad(ld, sl.error);
        return;
    }

    switch (sl.kind) {

    case NGX_HTTP_SESSION_STATE_NONE:
        return;

    case NGX_HTTP_SESSION_STATE_HEADER:
        ngx_http_session_state_bad(ld, "a second header");
        return;

    case NGX_HTTP_SESSION_STATE_END:

        if (ld->ended) {
            ngx_http_session_state_bad(ld, "a second end line");
            return;
        }

        ld->ended = 1;
        ld->count = sl.count;
        return;

    default: /* NGX_HTTP_SESSION_STATE_SESSION */
        break;
    }

    if (ld->ended) {
        ngx_http_session_state_bad(ld, "a session after the end line");
        return;
    }

    ld->lines++;

    if (ngx_http_session_state_expired(zone, &sl.session, ld->now)) {
        ld->expired++;
        return;
    }

    if (ngx_http_session_import(zone, &sl.session) == NGX_OK) {
        ld->loaded++;

    } else {
        /* a duplicate, a type too many, or no room in the zone */
        ld->skipped++;
    }
}


static void
ngx_http_session_state_bad(ngx_http_session_state_load_t *ld,
    const char *reason)
{
    if (ld->bad++ < NGX_HTTP_SESSION_STATE_REPORT) {
        ngx_log_error(NGX_LOG_ERR, ld->zone->log, 0,
                      "session zone \"%V\": state file \"%V\", line %ui "
                      "skipped: %s",
                      &ld->zone->name, ld->path, ld->lineno, reason);
    }
}


static void
ngx_http_session_state_report(ngx_http_session_state_load_t *ld, off_t size)
{
    ngx_http_session_zone_t  *zone;

    zone = ld->zone;

    if (ld->refused) {
        return;
    }

    if (!ld->header) {
        ngx_log_error(NGX_LOG_WARN, zone->log, 0,
                      "session zone \"%V\": state file \"%V\" is %s, "
                      "the zone starts empty", &zone->name, ld->path,
                      size ? "incomplete" : "empty");
        return;
    }

    if (ld->bad > NGX_HTTP_SESSION_STATE_REPORT) {
        ngx_log_error(NGX_LOG_ERR, zone->log, 0,
                      "session zone \"%V\": state file \"%V\": %uL more "
                      "bad lines skipped", &zone->name, ld->path,
                      ld->bad - NGX_HTTP_SESSION_STATE_REPORT);
    }

    if (ld->trailing) {
        ngx_log_error(NGX_LOG_WARN, zone->log, 0,
                      "session zone \"%V\": state file \"%V\" is "
                      "truncated: its last line is incomplete and skipped",
                      &zone->name, ld->path);

    } else if (!ld->ended) {
        ngx_log_error(NGX_LOG_WARN, zone->log, 0,
                      "session zone \"%V\": state file \"%V\" is "
                      "truncated: it has no end line, the sessions before "
                      "the cut are kept", &zone->name, ld->path);

    } else if (ld->count != ld->lines) {
        ngx_log_error(NGX_LOG_WARN, zone->log, 0,
                      "session zone \"%V\": state file \"%V\" announces "
                      "%uL sessions but holds %uL session lines",
                      &zone->name, ld->path, ld->count, ld->lines);
    }

    ngx_log_error(NGX_LOG_NOTICE, zone->log, 0,
                  "session zone \"%V\": %uL sessions loaded from \"%V\" "
                  "(%uL expired, %uL not taken, %uL bad lines)",
                  &zone->name, ld->loaded, ld->path, ld->expired,
                  ld->skipped, ld->bad);
}


static ngx_int_t
ngx_http_session_state_expired(ngx_http_session_zone_t *zone,
    ngx_http_session_import_t *im, int64_t now)
{
    int64_t  until;

    until = im->logout ? im->logout + (int64_t) zone->keep_closed
                       : im->last + (int64_t) zone->timeout;

    return until <= now;
}


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
    if (ngx_http_session_state_epoch == 0) {
        ngx_http_session_state_epoch = ngx_http_session_state_clock();
    }

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

    if (sl.epoch > ngx_http_session_state_epoch
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
    u_char                   *p, key[NGX_HTTP_SESSION_KEY_LEN];
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

    p = ngx_sprintf(st->pos, NGX_HTTP_SESSION_STATE_MAGIC " %d zone=",
                    NGX_HTTP_SESSION_STATE_VERSION);

    p = ngx_http_session_state_escape(p, p + 3 * zone->name.len + 1,
                                      zone->name.data, zone->name.len);

    ngx_http_session_zone_key(zone, key);

    p = ngx_cpymem(p, " key=", sizeof(" key=") - 1);
    p = ngx_hex_dump(p, key, NGX_HTTP_SESSION_KEY_LEN);

    p = ngx_sprintf(p, " epoch=%L pid=%P saved=%L\n"
                    "# sessions of zone ", ngx_http_session_state_epoch,
                    ngx_pid, ngx_http_session_state_clock());

    p = ngx_http_session_state_escape(p, p + 3 * zone->name.len + 1,
                                      zone->name.data, zone->name.len);

    p = ngx_cpymem(p, "; this file holds the zone's digest key: keep it "
                   "as secret as the key\n",
                   sizeof("; this file holds the zone's digest key: keep "
                          "it as secret as the key\n") - 1);

    p = ngx_cpymem(p, "# s sid type account_id account_name created last "
                   "logout address requests var=value...\n",
                   sizeof("# s sid type account_id account_name created "
                          "last logout address requests var=value...\n")
                   - 1);

    st->pos = p;
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


/*
 * One session line, at most NGX_HTTP_SESSION_STATE_LINE_MAX bytes for
 * anything the zone can hold; NULL when it does not fit before "last".
 */

u_char *
ngx_http_session_state_format(u_char *p, u_char *last,
    ngx_http_session_import_t *im)
{
    u_char     *v, *vlast;
    ngx_str_t   name, value;

    if (last - p < 2 + NGX_HTTP_SESSION_SID_LEN + 1) {
        return NULL;
    }

    *p++ = 's';
    *p++ = ' ';
    p = ngx_http_session_sid(p, im->digest);
    *p++ = ' ';

    p = ngx_http_session_state_escape(p, last, im->type.data, im->type.len);
    if (p == NULL || p == last) {
        return NULL;
    }

    *p++ = ' ';

    p = ngx_http_session_state_escape(p, last, im->id.data, im->id.len);
    if (p == NULL || p == last) {
        return NULL;
    }

    *p++ = ' ';

    p = ngx_http_session_state_escape(p, last, im->name.data,
                                      im->id.len ? im->name.len : 0);
    if (p == NULL) {
        return NULL;
    }

    if ((size_t) (last - p) < 3 * (NGX_INT64_LEN + 1) + NGX_SOCKADDR_STRLEN
                              + 1 + NGX_INT32_LEN + 1)
    {
        return NULL;
    }

    p = ngx_sprintf(p, " %L %L %L ", im->created, im->last, im->logout);

    if (im->addr_len) {
        p = ngx_http_session_addr_text(p, im->addr, im->addr_len);

    } else {
        *p++ = '-';
    }

    p = ngx_sprintf(p, " %uD", im->requests);

    v = im->vars.data;
    vlast = v + im->vars.len;

    while ((v = ngx_http_session_var_next(v, vlast, &name, &value))) {

        if (last - p < 2) {
            return NULL;
        }

        *p++ = ' ';

        if (name.len == 0) {
            return NULL;
        }

        p = ngx_http_session_state_escape(p, last, name.data, name.len);
        if (p == NULL || p == last) {
            return NULL;
        }

        *p++ = '=';

        if (value.len) {
            p = ngx_http_session_state_escape(p, last, value.data,
                                              value.len);
            if (p == NULL) {
                return NULL;
            }
        }
    }

    if (p == last) {
        return NULL;
    }

    *p++ = '\n';

    return p;
}


/* "-" alone is the empty field, so a lone "-" is escaped */

static u_char *
ngx_http_session_state_escape(u_char *p, u_char *last, u_char *src,
    size_t len)
{
    u_char         c;
    size_t         i;
    static u_char  hex[] = "0123456789ABCDEF";

    if (len == 0) {
        if (p == last) {
            return NULL;
        }

        *p++ = '-';
        return p;
    }

    for (i = 0; i < len; i++) {
        c = src[i];

        if (c <= ' ' || c >= 0x7f || c == '%' || c == '='
            || (c == '-' && len == 1))
        {
            if (last - p < 3) {
                return NULL;
            }

            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0x0f];
            continue;
        }

        if (p == last) {
            return NULL;
        }

        *p++ = c;
    }

    return p;
}


/*
 * Parses one line of a state file, without its newline, into "sl":
 * the header, a session (its strings allocated from "pool"), the end
 * line, or nothing (a comment or a blank line).  NGX_ERROR: sl->error
 * says why.  Reads nothing but the line: a fuzzer drives it directly.
 */

ngx_int_t
ngx_http_session_state_parse(ngx_pool_t *pool, ngx_str_t *line,
    ngx_http_session_state_line_t *sl)
{
    u_char     *p, *last;
    int64_t     n;
    ngx_str_t   word;

    ngx_memzero(sl, sizeof(ngx_http_session_state_line_t));

    p = line->data;
    last = p + line->len;

    /* a file edited on another system */
    if (last > p && last[-1] == '\r') {
        last--;
    }

    if (p == last || *p == '#') {
        sl->kind = NGX_HTTP_SESSION_STATE_NONE;
        return NGX_OK;
    }

    if (ngx_http_session_state_next(&p, last, &word) != NGX_OK) {
        sl->error = "empty field";
        return NGX_ERROR;
    }

    if (word.len == 1 && word.data[0] == 's') {
        return ngx_http_session_state_session(pool, p, last, sl);
    }

    if (word.len == sizeof(NGX_HTTP_SESSION_STATE_MAGIC) - 1
        && ngx_strncmp(word.data, NGX_HTTP_SESSION_STATE_MAGIC, word.len)
           == 0)
    {
        return ngx_http_session_state_header(pool, p, last, sl);
    }

    if (word.len == 3 && ngx_strncmp(word.data, "end", 3) == 0) {
        if (ngx_http_session_state_next(&p, last, &word) != NGX_OK
            || ngx_http_session_state_number(&word, &n) != NGX_OK
            || p != last)
        {
            sl->error = "bad end line";
            return NGX_ERROR;
        }

        sl->kind = NGX_HTTP_SESSION_STATE_END;
        sl->count = (uint64_t) n;
        return NGX_OK;
    }

    sl->error = "unknown line";

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_session_state_header(ngx_pool_t *pool, u_char *p, u_char *last,
    ngx_http_session_state_line_t *sl)
{
    u_char      *eq;
    int64_t      n;
    ngx_str_t    word, name, value;
    ngx_uint_t   key;

    sl->kind = NGX_HTTP_SESSION_STATE_HEADER;

    if (ngx_http_session_state_next(&p, last, &word) != NGX_OK
        || ngx_http_session_state_number(&word, &n) != NGX_OK
        || n == 0 || n > 1000000)
    {
        sl->error = "bad format version";
        return NGX_ERROR;
    }

    sl->version = (ngx_uint_t) n;

    /* another version may say anything after its number */

    if (sl->version != NGX_HTTP_SESSION_STATE_VERSION) {
        return NGX_OK;
    }

    key = 0;

    while (p < last) {

        if (ngx_http_session_state_next(&p, last, &word) != NGX_OK) {
            sl->error = "empty field in the header";
            return NGX_ERROR;
        }

        eq = ngx_strlchr(word.data, word.data + word.len, '=');

        if (eq == NULL) {
            sl->error = "bad header field";
            return NGX_ERROR;
        }

        name.data = word.data;
        name.len = eq - word.data;
        value.data = eq + 1;
        value.len = word.data + word.len - value.data;

        if (name.len == 4 && ngx_strncmp(name.data, "zone", 4) == 0) {
            if (ngx_http_session_state_unescape(pool, &value, &sl->zone)
                != NGX_OK
                || sl->zone.len == 0)
            {
                sl->error = "bad zone name";
                return NGX_ERROR;
            }

        } else if (name.len == 3 && ngx_strncmp(name.data, "key", 3) == 0) {
            if (ngx_http_session_state_hex(&value, sl->key,
                                           NGX_HTTP_SESSION_KEY_LEN)
                != NGX_OK)
            {
                sl->error = "bad key";
                return NGX_ERROR;
            }

            key = 1;

        } else if (name.len == 5 && ngx_strncmp(name.data, "epoch", 5) == 0) {
            if (ngx_http_session_state_number(&value, &sl->epoch) != NGX_OK) {
                sl->error = "bad epoch";
                return NGX_ERROR;
            }

        } else if (name.len == 5 && ngx_strncmp(name.data, "saved", 5) == 0) {
            if (ngx_http_session_state_number(&value, &sl->saved) != NGX_OK) {
                sl->error = "bad save time";
                return NGX_ERROR;
            }

        } else if (name.len == 3 && ngx_strncmp(name.data, "pid", 3) == 0) {
            if (ngx_http_session_state_number(&value, &n) != NGX_OK
                || n > NGX_MAX_INT32_VALUE)
            {
                sl->error = "bad pid";
                return NGX_ERROR;
            }

            sl->pid = (ngx_pid_t) n;
        }

        /* other fields: added by a later writer of this version */
    }

    if (sl->zone.len == 0 || !key) {
        sl->error = "the header lacks the zone or the key";
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_state_session(ngx_pool_t *pool, u_char *p, u_char *last,
    ngx_http_session_state_line_t *sl)
{
    u_char                     *vars, *eq;
    size_t                      size;
    int64_t                     n;
    ngx_str_t                   field, name, value;
    ngx_uint_t                  nvars;
    ngx_http_session_import_t  *im;

    sl->kind = NGX_HTTP_SESSION_STATE_SESSION;
    im = &sl->session;

    sl->error = "missing fields";

    /* sid */

    if (ngx_http_session_state_next(&p, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_parse_sid(field.data, field.len, im->digest)
        != NGX_OK)
    {
        sl->error = "bad session id";
        return NGX_ERROR;
    }

    /* type, account id and name */

    if (ngx_http_session_state_next(&p, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_state_unescape(pool, &field, &im->type) != NGX_OK
        || im->type.len == 0 || im->type.len > NGX_HTTP_SESSION_TYPE_LEN)
    {
        sl->error = "bad type";
        return NGX_ERROR;
    }

    if (ngx_http_session_state_next(&p, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_state_unescape(pool, &field, &im->id) != NGX_OK
        || im->id.len > NGX_HTTP_SESSION_ID_MAX)
    {
        sl->error = "bad account id";
        return NGX_ERROR;
    }

    if (ngx_http_session_state_next(&p, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_state_unescape(pool, &field, &im->name) != NGX_OK
        || im->name.len > NGX_HTTP_SESSION_NAME_MAX
        || (im->id.len == 0 && im->name.len))
    {
        sl->error = "bad account name";
        return NGX_ERROR;
    }

    /* created, last, logout */

    if (ngx_http_session_state_next(&p, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_state_number(&field, &im->created) != NGX_OK
        || im->created > NGX_HTTP_SESSION_STATE_TIME_MAX)
    {
        sl->error = "bad creation time";
        return NGX_ERROR;
    }

    if (ngx_http_session_state_next(&p, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_state_number(&field, &im->last) != NGX_OK
        || im->last > NGX_HTTP_SESSION_STATE_TIME_MAX)
    {
        sl->error = "bad last access time";
        return NGX_ERROR;
    }

    if (ngx_http_session_state_next(&p, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_state_number(&field, &im->logout) != NGX_OK
        || im->logout > NGX_HTTP_SESSION_STATE_TIME_MAX)
    {
        sl->error = "bad logout time";
        return NGX_ERROR;
    }

    /* client address */

    if (ngx_http_session_state_next(&p, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (field.len == 1 && field.data[0] == '-') {
        im->addr_len = 0;

    } else {
        if (field.len > NGX_SOCKADDR_STRLEN
            || ngx_http_session_addr_parse(&field, im->addr, &size)
               != NGX_OK)
        {
            sl->error = "bad client address";
            return NGX_ERROR;
        }

        im->addr_len = (u_char) size;
    }

    /* requests */

    if (ngx_http_session_state_next(&p, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_state_number(&field, &n) != NGX_OK
        || n > NGX_MAX_UINT32_VALUE)
    {
        sl->error = "bad request count";
        return NGX_ERROR;
    }

    im->requests = (uint32_t) n;

    /* variables, packed as the zone keeps them */

    size = NGX_HTTP_SESSION_VARS_SIZE - sizeof(uint16_t);

    vars = ngx_pnalloc(pool, size);
    if (vars == NULL) {
        sl->error = "out of memory";
        return NGX_ERROR;
    }

    im->vars.data = vars;
    im->vars.len = 0;
    nvars = 0;

    while (p < last) {

        if (ngx_http_session_state_next(&p, last, &field) != NGX_OK) {
            sl->error = "empty field";
            return NGX_ERROR;
        }

        eq = ngx_strlchr(field.data, field.data + field.len, '=');

        if (eq == NULL || eq == field.data
            || nvars == NGX_HTTP_SESSION_VARS_MAX)
        {
            sl->error = "bad variable";
            return NGX_ERROR;
        }

        name.data = field.data;
        name.len = eq - field.data;
        value.data = eq + 1;
        value.len = field.data + field.len - value.data;

        if (ngx_http_session_state_unescape(pool, &name, &name) != NGX_OK
            || name.len == 0 || name.len > NGX_HTTP_SESSION_VAR_NAME_MAX)
        {
            sl->error = "bad variable name";
            return NGX_ERROR;
        }

        if (value.len
            && ngx_http_session_state_unescape(pool, &value, &value)
               != NGX_OK)
        {
            sl->error = "bad variable value";
            return NGX_ERROR;
        }

        if (value.len > NGX_HTTP_SESSION_VAR_VALUE_MAX
            || im->vars.len + 2 + name.len + value.len > size)
        {
            sl->error = "variables too long";
            return NGX_ERROR;
        }

        vars = im->vars.data + im->vars.len;

        *vars++ = (u_char) name.len;
        *vars++ = (u_char) value.len;
        vars = ngx_cpymem(vars, name.data, name.len);
        vars = ngx_cpymem(vars, value.data, value.len);

        im->vars.len = vars - im->vars.data;
        nvars++;
    }

    sl->error = NULL;

    return NGX_OK;
}


/* the next space-separated field; NGX_ERROR: none, or an empty one */

static ngx_int_t
ngx_http_session_state_next(u_char **pos, u_char *last, ngx_str_t *field)
{
    u_char  *p, *sp;

    p = *pos;

    if (p >= last) {
        return NGX_ERROR;
    }

    sp = ngx_strlchr(p, last, ' ');

    if (sp == NULL) {
        sp = last;
    }

    if (sp == p) {
        return NGX_ERROR;
    }

    field->data = p;
    field->len = sp - p;

    /* a trailing space leaves an empty last field: refused as well */
    *pos = (sp == last) ? last : sp + 1;

    if (sp + 1 == last) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* printable ASCII and %XX only: anything else is damage */

static ngx_int_t
ngx_http_session_state_unescape(ngx_pool_t *pool, ngx_str_t *field,
    ngx_str_t *value)
{
    u_char     *s, *d, *start, *last, c;
    ngx_int_t   n;

    /* "field" and "value" may be one string */

    s = field->data;
    last = field->data + field->len;

    if (field->len == 1 && s[0] == '-') {
        value->len = 0;
        value->data = (u_char *) "";
        return NGX_OK;
    }

    start = ngx_pnalloc(pool, field->len);
    if (start == NULL) {
        return NGX_ERROR;
    }

    d = start;

    for ( /* void */ ; s < last; s++) {
        c = *s;

        if (c <= ' ' || c >= 0x7f) {
            return NGX_ERROR;
        }

        if (c != '%') {
            *d++ = c;
            continue;
        }

        if (last - s < 3) {
            return NGX_ERROR;
        }

        n = ngx_hextoi(s + 1, 2);

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        *d++ = (u_char) n;
        s += 2;
    }

    value->data = start;
    value->len = d - start;

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_state_number(ngx_str_t *field, int64_t *value)
{
    off_t  n;

    if (field->len == 0 || field->len > NGX_INT64_LEN) {
        return NGX_ERROR;
    }

    n = ngx_atoof(field->data, field->len);

    if (n == NGX_ERROR) {
        return NGX_ERROR;
    }

    *value = (int64_t) n;

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_state_hex(ngx_str_t *field, u_char *out, size_t size)
{
    size_t     i;
    ngx_int_t  n;

    if (field->len != 2 * size) {
        return NGX_ERROR;
    }

    for (i = 0; i < size; i++) {
        n = ngx_hextoi(field->data + 2 * i, 2);

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        out[i] = (u_char) n;
    }

    return NGX_OK;
}


/* the wall clock now, not the event loop's cached time */

static int64_t
ngx_http_session_state_clock(void)
{
    struct timeval  tv;

    ngx_gettimeofday(&tv);

    return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
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
