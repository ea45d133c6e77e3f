
/*
 * Copyright (C) ngx_http_session_module authors
 */


#ifndef _NGX_HTTP_SESSION_STATE_H_INCLUDED_
#define _NGX_HTTP_SESSION_STATE_H_INCLUDED_


#include "ngx_http_session_store.h"


/*
 * The state file: the zone's sessions as text, loaded by the master into
 * a new zone and saved by worker 0 (docs/operations.md).
 */


#ifndef O_NOFOLLOW
#define O_NOFOLLOW  0
#endif


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


/* a file read a line at a time, by the loader and the saver */

#define NGX_HTTP_SESSION_STATE_READ      (64 * 1024)

typedef struct {
    ngx_fd_t                     fd;
    u_char                      *buf;
    u_char                      *pos;
    u_char                      *last;
    u_char                      *end;
    off_t                        read;       /* bytes read so far */
    off_t                        limit;      /* and no more than this */
    unsigned                     skip:1;     /* inside a line too long */
    unsigned                     eof:1;
    unsigned                     cut:1;      /* stopped at the limit */
} ngx_http_session_state_reader_t;


/*
 * One system call or a few on the state file, made off the event loop
 * (ngx_http_session_state_io.c): the operation and its files in, what
 * happened out, for worker 0 to act on and log.
 */

#define NGX_HTTP_SESSION_IO_OPEN         1   /* create FILE.tmp, locked */
#define NGX_HTTP_SESSION_IO_WRITE        2   /* append the buffer to it */
#define NGX_HTTP_SESSION_IO_FINISH       3   /* the last of it, rename */
#define NGX_HTTP_SESSION_IO_ABORT        4   /* remove it; set FILE aside */
#define NGX_HTTP_SESSION_IO_CHECK        5   /* who wrote FILE */
#define NGX_HTTP_SESSION_IO_READ         6   /* more of another's FILE */
#define NGX_HTTP_SESSION_IO_CLOSE        7   /* done reading it */

/* the outcome of an operation */
#define NGX_HTTP_SESSION_IO_DONE         0
#define NGX_HTTP_SESSION_IO_FAILED       1   /* err, what, name say why */
#define NGX_HTTP_SESSION_IO_BUSY         2   /* OPEN: another writer */
#define NGX_HTTP_SESSION_IO_REFUSED      3   /* not a regular file */
#define NGX_HTTP_SESSION_IO_NONE         4   /* CHECK: no FILE */
#define NGX_HTTP_SESSION_IO_OURS         5   /* CHECK: as saved here */
#define NGX_HTTP_SESSION_IO_FOREIGN      6   /* CHECK: another's, open */

typedef struct {
    ngx_uint_t                   op;

    /* the files: FILE, FILE.tmp, and FILE.old for a file set aside */
    u_char                      *path;
    u_char                      *temp;
    u_char                      *aside;

    u_char                      *data;       /* WRITE, FINISH */
    size_t                       len;
    int64_t                      saved_at;   /* CHECK: the zone's last */
    unsigned                     set_aside:1;   /* ABORT */

    ngx_fd_t                     fd;         /* FILE.tmp, locked */
    off_t                        written;
    ngx_fd_t                     held;       /* FILE as saved here,
                                                kept locked */
    ngx_file_uniq_t              held_uniq;
    dev_t                        held_dev;
    ngx_http_session_state_reader_t  *reader;   /* CHECK, READ, CLOSE */

    ngx_uint_t                   result;
    ngx_err_t                    err;
    const char                  *what;       /* the call that failed */
    u_char                      *name;       /* on which file */
    ngx_pid_t                    locker;     /* CHECK: holds FILE's lock */
    ngx_err_t                    aside_err;  /* ABORT: FILE stays */
    unsigned                     aside_done:1;
} ngx_http_session_state_io_t;


/* ngx_http_session_state_dir.c */
ngx_int_t ngx_http_session_state_dir_check(ngx_http_session_zone_t *zone);

/* ngx_http_session_state_codec.c: the text */
ngx_int_t ngx_http_session_state_parse(ngx_pool_t *pool, ngx_str_t *line,
    ngx_http_session_state_line_t *sl);
u_char *ngx_http_session_state_format(u_char *p, u_char *last,
    ngx_http_session_import_t *im);
u_char *ngx_http_session_state_format_header(u_char *p, ngx_str_t *zone,
    u_char *key, int64_t epoch, ngx_pid_t pid, int64_t saved);

/* ngx_http_session_state_load.c: loading, in the master */
ngx_int_t ngx_http_session_state_load(ngx_http_session_zone_t *zone);
ngx_int_t ngx_http_session_state_getline(ngx_http_session_state_reader_t *rd,
    ngx_str_t *line);
ngx_int_t ngx_http_session_state_fill(ngx_http_session_state_reader_t *rd);
off_t ngx_http_session_state_limit(ngx_http_session_zone_t *zone);
ngx_int_t ngx_http_session_state_expired(ngx_http_session_zone_t *zone,
    ngx_http_session_import_t *im, int64_t now);
int64_t ngx_http_session_state_epoch(void);
int64_t ngx_http_session_state_clock(void);

/* ngx_http_session_state_io.c: the system calls, off the event loop */
void ngx_http_session_state_io(ngx_http_session_state_io_t *io);

/* ngx_http_session_state_save.c: saving, in worker 0 */
ngx_int_t ngx_http_session_state_init_worker(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone);
void ngx_http_session_state_exit(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone);


#endif /* _NGX_HTTP_SESSION_STATE_H_INCLUDED_ */
