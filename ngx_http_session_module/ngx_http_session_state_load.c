
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_state.h"


/*
 * Loading the state file: in the master, into a zone that starts empty
 * (a first start, a restart, a size changed on reload), driven by the
 * module file after the zone is set up.  Nothing found in the file stops
 * nginx: whatever is wrong is logged and the zone keeps what could be
 * read.  Also what the loader and the saver share: reading lines, the
 * wall clock, when this nginx began keeping state files.  Calls the
 * codec (ngx_http_session_state_codec.c) and the store's import and
 * bookkeeping (ngx_http_session_store.h).
 */


/* bad lines reported one by one before a summary */
#define NGX_HTTP_SESSION_STATE_REPORT    10


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


static ngx_int_t ngx_http_session_state_open_file(
    ngx_http_session_state_load_t *ld, ngx_http_session_state_reader_t *rd,
    ngx_file_info_t *fi);
static void ngx_http_session_state_read(ngx_http_session_state_load_t *ld,
    ngx_http_session_state_reader_t *rd, ngx_pool_t *pool);
static void ngx_http_session_state_line(ngx_http_session_state_load_t *ld,
    ngx_pool_t *pool, ngx_str_t *line);
static void ngx_http_session_state_bad(ngx_http_session_state_load_t *ld,
    const char *reason);
static void ngx_http_session_state_report(ngx_http_session_state_load_t *ld,
    off_t size);


/*
 * When this nginx started keeping state files: of two nginx sharing a
 * file during a binary upgrade, the older one leaves it to the newer.
 * Set in the master, inherited by the workers.
 */
static int64_t  ngx_http_session_state_started;


/*
 * Loading: in the master, from ngx_http_session_init_zone(), into a zone
 * that starts empty.  Nothing found in the file stops nginx: whatever is
 * wrong is logged and the zone keeps what could be read.
 */

ngx_int_t
ngx_http_session_state_load(ngx_http_session_zone_t *zone)
{
    ngx_str_t                        path;
    ngx_pool_t                      *pool, *lpool;
    ngx_file_info_t                  fi;
    ngx_http_session_state_load_t    ld;
    ngx_http_session_state_reader_t  rd;

    if (zone->state.len == 0) {
        return NGX_OK;
    }

    (void) ngx_http_session_state_epoch();

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

    if (ngx_http_session_state_open_file(&ld, &rd, &fi) != NGX_OK) {
        goto done;
    }

    ngx_http_session_state_read(&ld, &rd, lpool);

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


/* NGX_DECLINED: no file to load, said in the log */

static ngx_int_t
ngx_http_session_state_open_file(ngx_http_session_state_load_t *ld,
    ngx_http_session_state_reader_t *rd, ngx_file_info_t *fi)
{
    ngx_err_t                 err;
    ngx_http_session_zone_t  *zone;

    zone = ld->zone;

    /* never through a symbolic link; a FIFO must not block the start */

    rd->fd = open((char *) ld->path->data, O_RDONLY|O_NOFOLLOW|O_NONBLOCK);

    if (rd->fd == NGX_INVALID_FILE) {
        err = ngx_errno;

        if (err == NGX_ELOOP) {
            ngx_log_error(NGX_LOG_ERR, zone->log, 0,
                          "session zone \"%V\": state file \"%V\" is a "
                          "symbolic link, it is not read; the zone starts "
                          "empty", &zone->name, ld->path);

        } else if (err == NGX_ENOENT) {
            ngx_log_error(NGX_LOG_NOTICE, zone->log, 0,
                          "session zone \"%V\": no state file \"%V\" yet, "
                          "the zone starts empty", &zone->name, ld->path);

        } else {
            ngx_log_error(NGX_LOG_ERR, zone->log, err,
                          "session zone \"%V\": state file \"%V\" cannot "
                          "be opened, the zone starts empty",
                          &zone->name, ld->path);
        }

        return NGX_DECLINED;
    }

    if (ngx_fd_info(rd->fd, fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ERR, zone->log, ngx_errno,
                      "session zone \"%V\": " ngx_fd_info_n " \"%V\" failed",
                      &zone->name, ld->path);
        return NGX_DECLINED;
    }

    if (!S_ISREG(fi->st_mode)) {
        ngx_log_error(NGX_LOG_ERR, zone->log, 0,
                      "session zone \"%V\": state file \"%V\" is not a "
                      "regular file, it is not read; the zone starts "
                      "empty", &zone->name, ld->path);
        return NGX_DECLINED;
    }

    if (fi->st_mode & 077) {
        ngx_log_error(NGX_LOG_WARN, zone->log, 0,
                      "session zone \"%V\": state file \"%V\" is readable "
                      "by others than its owner; it holds the zone's "
                      "digest key", &zone->name, ld->path);
    }

    rd->pos = rd->buf;
    rd->last = rd->buf;
    rd->end = rd->buf + NGX_HTTP_SESSION_STATE_READ;
    rd->limit = ngx_http_session_state_limit(zone);

    if (ngx_file_size(fi) > rd->limit) {
        ngx_log_error(NGX_LOG_WARN, zone->log, 0,
                      "session zone \"%V\": state file \"%V\" has %O "
                      "bytes, more than the zone could take sessions "
                      "from: only its first %O bytes are read",
                      &zone->name, ld->path, ngx_file_size(fi), rd->limit);
    }

    return NGX_OK;
}


/* every line of the file, until its end or a header that refuses it */

static void
ngx_http_session_state_read(ngx_http_session_state_load_t *ld,
    ngx_http_session_state_reader_t *rd, ngx_pool_t *pool)
{
    ngx_int_t  rc;
    ngx_str_t  line;

    while (!ld->refused) {

        rc = ngx_http_session_state_getline(rd, &line);

        if (rc == NGX_AGAIN) {
            if (ngx_http_session_state_fill(rd) == NGX_OK) {
                continue;
            }

            rc = NGX_ERROR;
        }

        if (rc == NGX_OK) {
            ngx_reset_pool(pool);
            ngx_http_session_state_line(ld, pool, &line);
            continue;
        }

        if (rc == NGX_DECLINED) {
            ld->lineno++;

            if (!ld->header) {
                /* binary data, or a sparse file's zeros */
                ngx_log_error(NGX_LOG_ERR, ld->zone->log, 0,
                              "session zone \"%V\": \"%V\" is not a usable "
                              "session state file (line %ui: line too "
                              "long), it is ignored and will be replaced "
                              "at the next save",
                              &ld->zone->name, ld->path, ld->lineno);
                ld->refused = 1;
                break;
            }

            if (!ld->ended) {
                ld->lines++;
            }

            ngx_http_session_state_bad(ld, "line too long");
            continue;
        }

        if (rc == NGX_ERROR) {
            ngx_log_error(NGX_LOG_ERR, ld->zone->log, ngx_errno,
                          "session zone \"%V\": reading state file \"%V\" "
                          "failed", &ld->zone->name, ld->path);
            ld->trailing = 1;
            break;
        }

        /* NGX_DONE */

        if (line.len) {
            /* cut in the middle of a line: it cannot be trusted */
            ld->lineno++;
            ld->trailing = 1;

            if (ld->header && !ld->ended) {
                ld->lines++;
            }
        }

        break;
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

        if (zone->secret
            && ngx_memcmp(zone->secret_key, sl.key, NGX_HTTP_SESSION_KEY_LEN)
               != 0)
        {
            ngx_log_error(NGX_LOG_WARN, zone->log, 0,
                          "session zone \"%V\": state file \"%V\" was "
                          "saved under another key than secret= gives: its "
                          "sessions cannot be found by their tokens and are "
                          "left out", &zone->name, ld->path);
            ld->refused = 1;
            return;
        }

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


/*
 * The next line, without its newline, from what the reader holds.
 * NGX_AGAIN: read more first (ngx_http_session_state_fill()); NGX_DECLINED:
 * a line longer than any the module writes, skipped; NGX_DONE: the end
 * of what may be read, "line" holds what follows the last newline.
 */

ngx_int_t
ngx_http_session_state_getline(ngx_http_session_state_reader_t *rd,
    ngx_str_t *line)
{
    u_char  *nl;

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

    if (!rd->eof) {
        return NGX_AGAIN;
    }

    line->data = rd->pos;
    line->len = rd->last - rd->pos;
    rd->pos = rd->last;

    if (rd->skip) {
        rd->skip = 0;
        return NGX_DECLINED;
    }

    return NGX_DONE;
}


/*
 * Reads more into the reader, after what it has not handed out yet, up
 * to its limit; NGX_ERROR: read() failed.  Called by the master, and by
 * worker 0 through the thread pool: it only reads.
 */

ngx_int_t
ngx_http_session_state_fill(ngx_http_session_state_reader_t *rd)
{
    size_t   size;
    ssize_t  n;

    if (rd->pos != rd->buf) {
        rd->last = ngx_movemem(rd->buf, rd->pos, rd->last - rd->pos);
        rd->pos = rd->buf;
    }

    if (rd->read >= rd->limit) {
        rd->eof = 1;
        rd->cut = 1;
        return NGX_OK;
    }

    size = ngx_min((off_t) (rd->end - rd->last), rd->limit - rd->read);

    for ( ;; ) {
        n = read(rd->fd, rd->last, size);

        if (n != -1) {
            break;
        }

        if (ngx_errno != NGX_EINTR) {
            return NGX_ERROR;
        }
    }

    if (n == 0) {
        rd->eof = 1;
        return NGX_OK;
    }

    rd->last += n;
    rd->read += n;

    return NGX_OK;
}


/*
 * The most of a state file worth reading for a zone: a session takes
 * at least NGX_HTTP_SESSION_MIN_BYTES of the zone, and a line at most
 * NGX_HTTP_SESSION_STATE_LINE_MAX bytes, so a larger file holds more
 * sessions than the zone could ever take (a sparse file of gigabytes,
 * say): reading stops there.
 */

off_t
ngx_http_session_state_limit(ngx_http_session_zone_t *zone)
{
    return (off_t) (zone->shm_zone->shm.size / NGX_HTTP_SESSION_MIN_BYTES + 1)
           * NGX_HTTP_SESSION_STATE_LINE_MAX;
}


ngx_int_t
ngx_http_session_state_expired(ngx_http_session_zone_t *zone,
    ngx_http_session_import_t *im, int64_t now)
{
    int64_t  until;

    until = im->logout ? im->logout + (int64_t) zone->keep_closed
                       : im->last + (int64_t) zone->timeout;

    return until <= now;
}


/*
 * When this nginx began keeping state files, set the first time it is
 * asked: by the master as it loads a file, or by worker 0 for a zone
 * that got "state=" in a reload that kept it.
 */

int64_t
ngx_http_session_state_epoch(void)
{
    if (ngx_http_session_state_started == 0) {
        ngx_http_session_state_started = ngx_http_session_state_clock();
    }

    return ngx_http_session_state_started;
}


/* the wall clock now, not the event loop's cached time */

int64_t
ngx_http_session_state_clock(void)
{
    struct timeval  tv;

    ngx_gettimeofday(&tv);

    return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}
