
/*
 * Copyright (C) ngx_http_session_module authors
 */


#ifndef _NGX_HTTP_SESSION_ENDPOINT_H_INCLUDED_
#define _NGX_HTTP_SESSION_ENDPOINT_H_INCLUDED_


#include "ngx_http_session_track.h"


/*
 * The endpoints: Zimbra's DumpSessions, Hornbill's getSessionInfo,
 * Commvault's session list and session_status, the streams they answer
 * through, the request bodies they read, and what they share.
 */


typedef struct ngx_http_session_stream_s  ngx_http_session_stream_t;


/*
 * An endpoint's answer: "produce" writes the next part of it (for a
 * listing, one batch copied out of the zone) and returns NGX_DONE after
 * the last part; the stream sends each part and asks for the next once
 * the client has taken it.
 */

typedef ngx_int_t (*ngx_http_session_produce_pt)(ngx_http_request_t *r,
    ngx_http_session_stream_t *st);

struct ngx_http_session_stream_s {
    ngx_http_request_t          *request;
    ngx_http_session_zone_t     *zone;
    ngx_http_session_produce_pt  produce;
    void                        *data;         /* the dialect's state */

    ngx_http_session_cursor_t    cursor;
    ngx_http_session_batch_t     batch;

    ngx_chain_t                 *out;
    ngx_chain_t                **last_out;
    ngx_chain_t                 *free;
    ngx_chain_t                 *busy;
    ngx_buf_t                   *buf;
    ngx_chain_t                 *buf_cl;

    /* the pace, see ngx_http_session_stream.c */
    ngx_http_session_holds_t     mark;         /* the zone's lock holds */
    uint64_t                     ours;         /* holds of our batches */
    uint64_t                     others_at;    /* ns: others seen last */
    uint64_t                     foreign_at;   /* ns: a foreign hold */
    uint64_t                     foreign;      /* holds since then */
    ngx_int_t                    pace;         /* percent, or PACE_AUTO */
    ngx_uint_t                   share;        /* auto: per 1024 */
    int64_t                      debt;         /* ns owed to the others */
    uint64_t                     waited_at;    /* ns; 0: not waiting */
    uint64_t                     wait_ns;      /* the timer asked for */
    uint64_t                     began;        /* ns */
    uint64_t                     waited;       /* ns, for the log */
    uint64_t                     owed;         /* ns, for the log */
    ngx_uint_t                   contended;    /* batches, for the log */
    ngx_uint_t                   batches;
    ngx_uint_t                   behind;       /* windows given way */
    uint64_t                     win_wall;     /* ns, this window's */
    uint64_t                     win_cpu;
    ngx_uint_t                   win_batches;
    ngx_uint_t                   win_late;

    unsigned                     done:1;
    unsigned                     error:1;
    unsigned                     timer:1;      /* waits for a timer */
};


/*
 * session_status query arguments, parsed from the raw query string with
 * no zone or request access (so a fuzzer can drive the parser); names
 * and types are resolved against the zone by the handler.
 */

#define NGX_HTTP_SESSION_STATUS_AUTO         0
#define NGX_HTTP_SESSION_STATUS_JSON         1
#define NGX_HTTP_SESSION_STATUS_PROMETHEUS   2
#define NGX_HTTP_SESSION_STATUS_HTML         3

/* the longest text of a session list's cursor */
#define NGX_HTTP_SESSION_CURSOR_TEXT          48

typedef struct {
    ngx_uint_t                   format;
    ngx_uint_t                   list;
    ngx_uint_t                   limit;
    ngx_uint_t                   closed;
    ngx_str_t                    type;
    ngx_str_t                    account;
    ngx_str_t                    match;
    size_t                       addr_len;      /* 0: no address filter */
    u_char                       addr[16];

    /* the cursor: where the previous page ended */
    ngx_uint_t                   resume;
    ngx_uint_t                   walk;
    ngx_uint_t                   acct_type;     /* WALK_ACCOUNT */
    uint64_t                     seq;           /* WALK_ACCOUNT */
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];

    ngx_str_t                    error;         /* why the query is bad */
} ngx_http_session_status_query_t;


/* the namespaces of Zimbra's SOAP envelopes and admin documents */
#define NGX_HTTP_SESSION_ZM_SOAP12_NS                                        \
    "http://www.w3.org/2003/05/soap-envelope"
#define NGX_HTTP_SESSION_ZM_SOAP11_NS                                        \
    "http://schemas.xmlsoap.org/soap/envelope/"
#define NGX_HTTP_SESSION_ZM_ADMIN_NS     "urn:zimbraAdmin"


/*
 * A Zimbra DumpSessionsRequest as ngx_http_session_zimbra_parse() reads
 * it from a body (or from GET arguments): plain data, no request or zone,
 * so a fuzzer can drive the parser directly.
 */

#define NGX_HTTP_SESSION_ZIMBRA_SOAP12            0
#define NGX_HTTP_SESSION_ZIMBRA_SOAP11            1
#define NGX_HTTP_SESSION_ZIMBRA_JSON              2

/* faults, in the order Zimbra checks: the first three before the caller */
#define NGX_HTTP_SESSION_ZIMBRA_PARSE_ERROR       1
#define NGX_HTTP_SESSION_ZIMBRA_INVALID_REQUEST   2
#define NGX_HTTP_SESSION_ZIMBRA_UNKNOWN_DOCUMENT  3
#define NGX_HTTP_SESSION_ZIMBRA_AUTH_REQUIRED     4
#define NGX_HTTP_SESSION_ZIMBRA_PERM_DENIED       5

typedef struct {
    ngx_uint_t                   request;     /* the body's format */
    ngx_uint_t                   response;    /* the answer's format */

    /* refused whoever asks: a fault code and its reason */
    ngx_uint_t                   fault;
    ngx_str_t                    reason;
    unsigned                     header:1;    /* fault: with soap:Header */

    /* a bad attribute: refused once the caller may see the answer */
    ngx_str_t                    invalid;

    ngx_str_t                    token;       /* context/authToken */
    unsigned                     list:1;      /* listSessions */
    unsigned                     group:1;     /* groupByAccount */
} ngx_http_session_zimbra_request_t;


/* the state codes of failures, see docs/hornbill.md */
#define NGX_HTTP_SESSION_HB_NO_SESSION     5
#define NGX_HTTP_SESSION_HB_BAD_METHOD     101
#define NGX_HTTP_SESSION_HB_TOO_LARGE      102
#define NGX_HTTP_SESSION_HB_MALFORMED      200
#define NGX_HTTP_SESSION_HB_BAD_SERVICE    201
#define NGX_HTTP_SESSION_HB_BAD_OPERATION  202
#define NGX_HTTP_SESSION_HB_BAD_PARAM      203
#define NGX_HTTP_SESSION_HB_NOT_FOUND      204

#define NGX_HTTP_SESSION_HB_ERROR_MAX      256

/*
 * A Hornbill XMLMC request as ngx_http_session_hornbill_parse() reads it
 * from the query arguments and the body; "code" and "error" say why it
 * was refused.
 */

typedef struct {
    ngx_str_t                    service;
    ngx_str_t                    method;
    ngx_str_t                    session_id;   /* as sent, trimmed */
    u_char                       digest[NGX_HTTP_SESSION_DIGEST_LEN];
    unsigned                     has_session_id:1;
    unsigned                     json:1;       /* the body was JSON */
    unsigned                     python:1;     /* b'...' body unwrapped */
    ngx_uint_t                   code;
    ngx_str_t                    error;
} ngx_http_session_hornbill_request_t;


/* ngx_http_session_stream.c */
ngx_http_session_stream_t *ngx_http_session_stream_create(
    ngx_http_request_t *r, ngx_http_session_zone_t *zone,
    ngx_http_session_produce_pt produce);
ngx_int_t ngx_http_session_stream_batch(ngx_http_session_stream_t *st);
u_char *ngx_http_session_stream_reserve(ngx_http_session_stream_t *st,
    size_t size);
void ngx_http_session_stream_add(ngx_http_session_stream_t *st,
    u_char *data, size_t len);
void ngx_http_session_stream_xml(ngx_http_session_stream_t *st,
    ngx_str_t *s);
void ngx_http_session_stream_json(ngx_http_session_stream_t *st,
    ngx_str_t *s);
void ngx_http_session_stream_sid(ngx_http_session_stream_t *st,
    u_char *digest);
void ngx_http_session_stream_printf(ngx_http_session_stream_t *st,
    size_t max, const char *fmt, ...);
ngx_int_t ngx_http_session_stream_start(ngx_http_request_t *r,
    ngx_http_session_stream_t *st, ngx_uint_t status, ngx_str_t *type);
ngx_int_t ngx_http_session_add_header(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
ngx_int_t ngx_http_session_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_str_t *body);

#define ngx_http_session_stream_str(st, s)                                  \
    ngx_http_session_stream_add(st, (u_char *) s, sizeof(s) - 1)

/* ngx_http_session_body.c */
ngx_int_t ngx_http_session_read_body(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt handler);
ngx_int_t ngx_http_session_body(ngx_http_request_t *r, ngx_str_t *body);
void *ngx_http_session_parse_xml(ngx_pool_t *pool, ngx_str_t *body,
    ngx_str_t *error);
void *ngx_http_session_parse_json(ngx_pool_t *pool, ngx_str_t *body,
    ngx_str_t *error);
ngx_int_t ngx_http_session_python_bytes(ngx_pool_t *pool, ngx_str_t *text);
ngx_int_t ngx_http_session_bool(ngx_str_t *value);
ngx_int_t ngx_http_session_arg(ngx_http_request_t *r, char *name,
    ngx_str_t *value);
ngx_int_t ngx_http_session_accepts_json(ngx_http_request_t *r);


/* ngx_http_session_status_parse.c */
ngx_int_t ngx_http_session_status_parse(ngx_pool_t *pool, ngx_str_t *args,
    ngx_http_session_status_query_t *q);
size_t ngx_http_session_status_cursor_text(
    ngx_http_session_status_query_t *q, ngx_http_session_cursor_t *pos,
    u_char *text);

/* ngx_http_session_dashboard.c */
ngx_int_t ngx_http_session_dashboard_wanted(ngx_http_request_t *r,
    ngx_http_session_status_query_t *q);
ngx_int_t ngx_http_session_dashboard_send(ngx_http_request_t *r,
    ngx_http_session_status_query_t *q);

/* ngx_http_session_endpoint.c */
ngx_int_t ngx_http_session_endpoint_caller(ngx_http_request_t *r,
    ngx_str_t *token, ngx_http_session_ctx_t **caller, ngx_uint_t *admin);
ngx_int_t ngx_http_session_no_store(ngx_http_request_t *r);
void ngx_http_session_record_var(ngx_http_session_record_t *rec, char *name,
    ngx_str_t *value, char *dflt);

/* the endpoints */
ngx_int_t ngx_http_session_zimbra_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_session_hornbill_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_session_commvault_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_session_status_handler(ngx_http_request_t *r);

/* ngx_http_session_hornbill_parse.c */
ngx_int_t ngx_http_session_hornbill_parse(ngx_pool_t *pool,
    ngx_str_t *method, ngx_str_t *session_id, ngx_str_t *body,
    ngx_http_session_hornbill_request_t *req);
void ngx_http_session_hornbill_trim(ngx_str_t *s);

/* ngx_http_session_zimbra_parse.c */
ngx_int_t ngx_http_session_zimbra_parse(ngx_pool_t *pool, ngx_str_t *body,
    ngx_str_t *list, ngx_str_t *group, ngx_http_session_zimbra_request_t *zr);


/* ngx_http_session_status_fleet.c: the status's fleet section */
void ngx_http_session_status_fleet_json(ngx_http_session_stream_t *st,
    ngx_http_session_fleet_stats_t *fs);
void ngx_http_session_status_fleet_prometheus(ngx_http_session_stream_t *st,
    ngx_http_session_fleet_stats_t *fs);


#endif /* _NGX_HTTP_SESSION_ENDPOINT_H_INCLUDED_ */
