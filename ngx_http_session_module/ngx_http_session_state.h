
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
    unsigned                     skip:1;
} ngx_http_session_state_reader_t;


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
ngx_int_t ngx_http_session_state_expired(ngx_http_session_zone_t *zone,
    ngx_http_session_import_t *im, int64_t now);
int64_t ngx_http_session_state_epoch(void);
int64_t ngx_http_session_state_clock(void);

/* ngx_http_session_state_save.c: saving, in worker 0 */
ngx_int_t ngx_http_session_state_init_worker(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone);
void ngx_http_session_state_exit(ngx_cycle_t *cycle,
    ngx_http_session_zone_t *zone);


#endif /* _NGX_HTTP_SESSION_STATE_H_INCLUDED_ */
