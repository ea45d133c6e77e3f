
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH  8
#endif
#include <pcre2.h>

#include "ngx_http_session_endpoint.h"


/*
 * session_status: the zone's own status, as JSON or as Prometheus text,
 * read from the counters the zone keeps as it goes (never a walk, so
 * the cost does not follow the zone's size); and with ?list=1 a JSON
 * list of sessions in pages, each page resumed from an opaque cursor.
 * Admin only.  The schema is described in docs/status.md; the query is
 * read by ngx_http_session_status_parse.c.  Calls the query parser, the
 * caller check and streams (ngx_http_session_endpoint.c, _stream.c) and
 * the store's stats() and read().
 */


#define NGX_HTTP_SESSION_STATUS_VERSION       1

/* batches one page may read before it ends early, with a cursor */
#define NGX_HTTP_SESSION_STATUS_PAGE_BATCHES  64

/* pattern matching per produce call before the event loop gets a turn */
#define NGX_HTTP_SESSION_STATUS_MATCH_NS      1000000

/* PCRE2 limits per account name: a hostile pattern fails, and fast */
#define NGX_HTTP_SESSION_STATUS_MATCH_LIMIT   10000
#define NGX_HTTP_SESSION_STATUS_DEPTH_LIMIT   1000
#define NGX_HTTP_SESSION_STATUS_HEAP_LIMIT    1024     /* KiB */


typedef struct {
    ngx_http_session_stats_t          *stats;
    int64_t                            now;
    ngx_uint_t                         prometheus;
    ngx_http_session_fleet_stats_t    *fleet;     /* NULL: no fleet */
} ngx_http_session_status_t;


typedef struct {
    ngx_http_session_status_query_t   *query;
    ngx_http_session_stats_t          *stats;
    int64_t                            now;
    ngx_uint_t                         type;        /* index + 1, or 0 */

    pcre2_code                        *re;
    pcre2_match_data                  *md;
    pcre2_match_context               *mc;

    ngx_uint_t                         next;        /* in the batch */
    ngx_uint_t                         batches;
    ngx_uint_t                         count;
    ngx_uint_t                         limit_hits;
    unsigned                           started:1;
} ngx_http_session_status_list_t;


typedef struct {
    char                              *name;
    char                              *help;
    size_t                             offset;
} ngx_http_session_status_metric_t;


typedef struct {
    char                              *name;       /* in the JSON */
    char                              *le;         /* in Prometheus */
} ngx_http_session_status_bucket_t;


static ngx_int_t ngx_http_session_status_stats(ngx_http_request_t *r,
    ngx_http_session_zone_t *zone, ngx_http_session_status_query_t *q);
static ngx_int_t ngx_http_session_status_stats_produce(ngx_http_request_t *r,
    ngx_http_session_stream_t *st);
static void ngx_http_session_status_json(ngx_http_session_stream_t *st,
    ngx_http_session_status_t *ss);
static void ngx_http_session_status_top(ngx_http_session_stream_t *st,
    ngx_http_session_stats_t *s, ngx_http_session_top_entry_t *e,
    ngx_uint_t i);
static void ngx_http_session_status_prometheus(ngx_http_session_stream_t *st,
    ngx_http_session_status_t *ss);
static void ngx_http_session_status_help(ngx_http_session_stream_t *st,
    char *name, char *type, char *help);
static void ngx_http_session_status_sample(ngx_http_session_stream_t *st,
    char *name, u_char *type, size_t type_len, u_char *value, u_char *last);
static void ngx_http_session_status_label(ngx_http_session_stream_t *st,
    u_char *data, size_t len);
static void ngx_http_session_status_lock_json(ngx_http_session_stream_t *st,
    ngx_http_session_stats_t *s);
static void ngx_http_session_status_buckets_json(
    ngx_http_session_stream_t *st, uint64_t *counts, ngx_uint_t first);
static void ngx_http_session_status_lock_prometheus(
    ngx_http_session_stream_t *st, ngx_http_session_stats_t *s);
static void ngx_http_session_status_bucket(ngx_http_session_stream_t *st,
    char *le, uint64_t count);
static uint64_t ngx_http_session_status_holds(ngx_http_session_stats_t *s);
static u_char *ngx_http_session_status_per_session(u_char *p,
    ngx_http_session_stats_t *stats);
static ngx_int_t ngx_http_session_status_accepts_text(ngx_http_request_t *r);

static ngx_int_t ngx_http_session_status_list(ngx_http_request_t *r,
    ngx_http_session_zone_t *zone, ngx_http_session_status_query_t *q);
static ngx_int_t ngx_http_session_status_compile(ngx_http_request_t *r,
    ngx_http_session_status_list_t *l, ngx_str_t *error);
static void ngx_http_session_status_cleanup(void *data);
static ngx_int_t ngx_http_session_status_list_produce(ngx_http_request_t *r,
    ngx_http_session_stream_t *st);
static ngx_uint_t ngx_http_session_status_wanted(ngx_http_request_t *r,
    ngx_http_session_status_list_t *l, ngx_http_session_record_t *rec);
static void ngx_http_session_status_record(ngx_http_session_stream_t *st,
    ngx_http_session_status_list_t *l, ngx_http_session_record_t *rec);
static void ngx_http_session_status_string(ngx_http_session_stream_t *st,
    ngx_str_t *s);
static void ngx_http_session_status_list_end(ngx_http_session_stream_t *st,
    ngx_http_session_status_list_t *l, ngx_http_session_cursor_t *pos);

static ngx_int_t ngx_http_session_status_error(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *message);


static ngx_str_t  ngx_http_session_status_json_type =
    ngx_string("application/json");
static ngx_str_t  ngx_http_session_status_prometheus_type =
    ngx_string("text/plain; version=0.0.4; charset=utf-8");


static ngx_http_session_status_metric_t  ngx_http_session_status_types[] = {

    { "nginx_session_open_sessions",
      "Open sessions.",
      offsetof(ngx_http_session_type_info_t, sessions) },

    { "nginx_session_closed_sessions",
      "Logged-out sessions kept listed by keep_closed.",
      offsetof(ngx_http_session_type_info_t, closed) },

    { "nginx_session_accounts",
      "Accounts with at least one open session.",
      offsetof(ngx_http_session_type_info_t, accounts) },

    { "nginx_session_anonymous_sessions",
      "Sessions without an account, open and logged out.",
      offsetof(ngx_http_session_type_info_t, anonymous) },

    { NULL, NULL, 0 }
};


static ngx_http_session_status_metric_t  ngx_http_session_status_counters[] = {

    { "nginx_session_created_total",
      "Sessions created.",
      offsetof(ngx_http_session_stats_t, created) },

    { "nginx_session_expired_total",
      "Sessions removed after the idle timeout.",
      offsetof(ngx_http_session_stats_t, expired) },

    { "nginx_session_evicted_total",
      "Open sessions evicted to make room in a full zone.",
      offsetof(ngx_http_session_stats_t, evicted) },

    { "nginx_session_ended_total",
      "Sessions logged out by session_end.",
      offsetof(ngx_http_session_stats_t, ended) },

    { "nginx_session_alloc_failures_total",
      "Zone allocations that failed even after evicting.",
      offsetof(ngx_http_session_stats_t, failed) },

    { "nginx_session_lock_slow_holds_total",
      "Zone lock holds longer than 1 ms.",
      offsetof(ngx_http_session_stats_t, lock_slow) },

    { NULL, NULL, 0 }
};


/* the lock hold histogram's buckets: a hold shorter than each bound */

static ngx_http_session_status_bucket_t
    ngx_http_session_status_buckets[NGX_HTTP_SESSION_LOCK_BUCKETS] =
{
    { "under_10us", "1e-05" },
    { "under_100us", "0.0001" },
    { "under_1ms", "0.001" },
    { "under_10ms", "0.01" },
    { "under_100ms", "0.1" },
    { "100ms_or_more", "+Inf" }
};


/* the first bucket of holds over 1 ms (the slow ones, by cause) */
#define NGX_HTTP_SESSION_STATUS_SLOW_BUCKET  3


/* the causes of slow holds, NGX_HTTP_SESSION_HOLD_* order */

static char  *ngx_http_session_status_causes[NGX_HTTP_SESSION_HOLD_CAUSES] = {
    "descheduled", "on_cpu", "unknown"
};




static ngx_inline uint64_t
ngx_http_session_status_clock(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


ngx_int_t
ngx_http_session_status_handler(ngx_http_request_t *r)
{
    ngx_int_t                         rc;
    ngx_str_t                         msg;
    ngx_uint_t                        admin;
    ngx_http_session_ctx_t           *caller;
    ngx_http_session_zone_t          *zone;
    ngx_http_session_loc_conf_t      *slcf;
    ngx_http_session_status_query_t  *q;

    static ngx_str_t  allow = ngx_string("Allow");
    static ngx_str_t  methods = ngx_string("GET, HEAD");

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_session_no_store(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {

        if (ngx_http_session_add_header(r, &allow, &methods) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&msg, "only GET and HEAD are supported");
        return ngx_http_session_status_error(r, NGX_HTTP_NOT_ALLOWED, &msg);
    }

    if (ngx_http_session_endpoint_caller(r, NULL, &caller, &admin)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* admin rights alone pass; a non-admin learns nothing here */

    if (!admin) {

        if (caller == NULL) {
            ngx_str_set(&msg, "authentication required: no live session");
            return ngx_http_session_status_error(r, NGX_HTTP_UNAUTHORIZED,
                                                 &msg);
        }

        ngx_str_set(&msg, "permission denied: the session status needs "
                          "admin rights");
        return ngx_http_session_status_error(r, NGX_HTTP_FORBIDDEN, &msg);
    }

    q = ngx_palloc(r->pool, sizeof(ngx_http_session_status_query_t));
    if (q == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_session_status_parse(r->pool, &r->args, q);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_session_status_error(r, NGX_HTTP_BAD_REQUEST,
                                             &q->error);
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_session_module);
    zone = slcf->endpoint->data;

    if (q->list) {
        return ngx_http_session_status_list(r, zone, q);
    }

    if (ngx_http_session_dashboard_wanted(r, q)) {
        return ngx_http_session_dashboard_send(r, q);
    }

    return ngx_http_session_status_stats(r, zone, q);
}


static ngx_int_t
ngx_http_session_status_stats(ngx_http_request_t *r,
    ngx_http_session_zone_t *zone, ngx_http_session_status_query_t *q)
{
    ngx_http_session_status_t  *ss;
    ngx_http_session_stream_t  *st;

    static ngx_str_t  vary = ngx_string("Vary");
    static ngx_str_t  accept = ngx_string("Accept");

    ss = ngx_pcalloc(r->pool, sizeof(ngx_http_session_status_t));
    if (ss == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ss->stats = ngx_palloc(r->pool, sizeof(ngx_http_session_stats_t));
    if (ss->stats == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* counters only: one short lock hold, whatever the zone's size */
    ngx_http_session_stats(zone, ss->stats);
    ss->now = ngx_http_session_now();

    if (zone->fleet) {
        ss->fleet = ngx_palloc(r->pool,
                               sizeof(ngx_http_session_fleet_stats_t));
        if (ss->fleet == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_http_session_fleet_stats(zone, ss->fleet) != NGX_OK) {
            ss->fleet = NULL;
        }
    }

    switch (q->format) {

    case NGX_HTTP_SESSION_STATUS_JSON:
        ss->prometheus = 0;
        break;

    case NGX_HTTP_SESSION_STATUS_PROMETHEUS:
        ss->prometheus = 1;
        break;

    default:
        ss->prometheus = ngx_http_session_status_accepts_text(r);

        if (ngx_http_session_add_header(r, &vary, &accept) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    st = ngx_http_session_stream_create(r, zone,
                                     ngx_http_session_status_stats_produce);
    if (st == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    st->data = ss;

    return ngx_http_session_stream_start(r, st, NGX_HTTP_OK,
                             ss->prometheus
                             ? &ngx_http_session_status_prometheus_type
                             : &ngx_http_session_status_json_type);
}


static ngx_int_t
ngx_http_session_status_stats_produce(ngx_http_request_t *r,
    ngx_http_session_stream_t *st)
{
    ngx_http_session_status_t  *ss;

    ss = st->data;

    if (ss->prometheus) {
        ngx_http_session_status_prometheus(st, ss);

    } else {
        ngx_http_session_status_json(st, ss);
    }

    return NGX_DONE;
}


static void
ngx_http_session_status_json(ngx_http_session_stream_t *st,
    ngx_http_session_status_t *ss)
{
    u_char                        *p, per[NGX_INT64_LEN + 4];
    ngx_str_t                      name;
    ngx_uint_t                     i, n;
    ngx_http_session_type_info_t  *t;
    ngx_http_session_stats_t      *s;

    s = ss->stats;

    p = ngx_http_session_status_per_session(per, s);

    ngx_http_session_stream_printf(st, 64, "{\n  \"version\": %d,\n"
                                   "  \"zone\": \"",
                                   NGX_HTTP_SESSION_STATUS_VERSION);

    ngx_http_session_stream_json(st, &st->zone->name);

    ngx_http_session_stream_printf(st, 512,
        "\",\n"
        "  \"now\": %L,\n"
        "  \"memory\": {\"size\": %uz, \"used\": %uz, \"free\": %uz, "
        "\"bytes_per_session\": %*s},\n"
        "  \"sessions\": {\"open\": %uL, \"closed\": %uL, "
        "\"accounts\": %uL},\n"
        "  \"types\": {",
        ss->now, s->size, s->used, s->free, (size_t) (p - per), per,
        s->sessions, s->closed, s->accounts);

    n = 0;

    for (i = 0; i < s->ntypes; i++) {
        t = &s->types[i];

        if (t->len == 0) {
            continue;
        }

        name.data = t->name;
        name.len = t->len;

        ngx_http_session_stream_printf(st, 8, "%s\n    \"",
                                       n++ ? "," : "");
        ngx_http_session_stream_json(st, &name);

        ngx_http_session_stream_printf(st, 160,
                                       "\": {\"open\": %uL, \"closed\": %uL, "
                                       "\"accounts\": %uL, "
                                       "\"anonymous\": %uL}",
                                       t->sessions, t->closed, t->accounts,
                                       t->anonymous);
    }

    ngx_http_session_stream_printf(st, 512,
        "\n  },\n"
        "  \"totals\": {\"created\": %uL, \"expired\": %uL, "
        "\"evicted\": %uL, \"ended\": %uL, \"failed\": %uL},\n"
        "  \"lock\": ",
        s->created, s->expired, s->evicted, s->ended, s->failed);

    ngx_http_session_status_lock_json(st, s);

    ngx_http_session_stream_printf(st, 64, ",\n  \"busiest_accounts\": [");

    for (i = 0; i < s->ntop; i++) {
        ngx_http_session_status_top(st, s, &s->top[i], i);
    }

    ngx_http_session_stream_printf(st, 16, "%s],\n", s->ntop ? "\n  " : "");

    if (ss->fleet) {
        ngx_http_session_status_fleet_json(st, ss->fleet);
    }

    ngx_http_session_stream_printf(st, 128,
        "  \"config\": {\"timeout_ms\": %M, \"keep_closed_ms\": %M}\n"
        "}\n",
        s->timeout, s->keep_closed);
}


static void
ngx_http_session_status_top(ngx_http_session_stream_t *st,
    ngx_http_session_stats_t *s, ngx_http_session_top_entry_t *e,
    ngx_uint_t i)
{
    ngx_str_t                      text;
    ngx_http_session_type_info_t  *t;

    t = &s->types[e->type];

    text.data = t->name;
    text.len = t->len;

    ngx_http_session_stream_printf(st, 32, "%s\n    {\"type\": \"",
                                   i ? "," : "");
    ngx_http_session_stream_json(st, &text);

    text.data = e->id;
    text.len = e->id_len;

    ngx_http_session_stream_str(st, "\", \"account\": \"");
    ngx_http_session_stream_json(st, &text);

    if (e->name_len) {
        text.data = e->name;
        text.len = e->name_len;

        ngx_http_session_stream_str(st, "\", \"name\": \"");
        ngx_http_session_stream_json(st, &text);
        ngx_http_session_stream_str(st, "\"");

    } else {
        ngx_http_session_stream_str(st, "\", \"name\": null");
    }

    ngx_http_session_stream_printf(st, 32, ", \"open\": %uD}", e->open);
}


static void
ngx_http_session_status_prometheus(ngx_http_session_stream_t *st,
    ngx_http_session_status_t *ss)
{
    u_char                            *p, value[NGX_INT64_LEN + 12];
    ngx_uint_t                         i;
    ngx_http_session_type_info_t      *t;
    ngx_http_session_stats_t          *s;
    ngx_http_session_status_metric_t  *m;

    s = ss->stats;

    ngx_http_session_status_help(st, "nginx_session_zone_size_bytes", "gauge",
                                 "Size of the shared memory zone.");
    p = ngx_sprintf(value, "%uz", s->size);
    ngx_http_session_status_sample(st, "nginx_session_zone_size_bytes",
                                   NULL, 0, value, p);

    ngx_http_session_status_help(st, "nginx_session_zone_used_bytes", "gauge",
                                 "Zone memory in use: slab pages handed "
                                 "out.");
    p = ngx_sprintf(value, "%uz", s->used);
    ngx_http_session_status_sample(st, "nginx_session_zone_used_bytes",
                                   NULL, 0, value, p);

    ngx_http_session_status_help(st, "nginx_session_zone_free_bytes", "gauge",
                                 "Zone memory free: slab pages not handed "
                                 "out.");
    p = ngx_sprintf(value, "%uz", s->free);
    ngx_http_session_status_sample(st, "nginx_session_zone_free_bytes",
                                   NULL, 0, value, p);

    ngx_http_session_status_help(st, "nginx_session_bytes_per_session",
                                 "gauge",
                                 "Zone memory in use per session, open and "
                                 "logged out (0 without sessions).");
    p = ngx_http_session_status_per_session(value, s);
    ngx_http_session_status_sample(st, "nginx_session_bytes_per_session",
                                   NULL, 0, value, p);

    for (m = ngx_http_session_status_types; m->name; m++) {

        ngx_http_session_status_help(st, m->name, "gauge", m->help);

        for (i = 0; i < s->ntypes; i++) {
            t = &s->types[i];

            if (t->len == 0) {
                continue;
            }

            p = ngx_sprintf(value, "%uL",
                            *(uint64_t *) ((u_char *) t + m->offset));
            ngx_http_session_status_sample(st, m->name, t->name, t->len,
                                           value, p);
        }
    }

    for (m = ngx_http_session_status_counters; m->name; m++) {

        ngx_http_session_status_help(st, m->name, "counter", m->help);

        p = ngx_sprintf(value, "%uL",
                        *(uint64_t *) ((u_char *) s + m->offset));
        ngx_http_session_status_sample(st, m->name, NULL, 0, value, p);
    }

    ngx_http_session_status_lock_prometheus(st, s);

    ngx_http_session_status_help(st, "nginx_session_timeout_seconds", "gauge",
                                 "Idle time after which a session "
                                 "expires.");
    p = ngx_sprintf(value, "%M.%03M", s->timeout / 1000, s->timeout % 1000);
    ngx_http_session_status_sample(st, "nginx_session_timeout_seconds",
                                   NULL, 0, value, p);

    ngx_http_session_status_help(st, "nginx_session_keep_closed_seconds",
                                 "gauge",
                                 "How long a logged-out session stays "
                                 "listed.");
    p = ngx_sprintf(value, "%M.%03M", s->keep_closed / 1000,
                    s->keep_closed % 1000);
    ngx_http_session_status_sample(st, "nginx_session_keep_closed_seconds",
                                   NULL, 0, value, p);

    if (ss->fleet) {
        ngx_http_session_status_fleet_prometheus(st, ss->fleet);
    }
}


/*
 * The lock: holds by length, and the holds over 1 ms by whether the
 * worker was descheduled during them (ngx_http_session_lock.c), the
 * descheduled ones by length too; the buckets under 1 ms have none.
 */

static void
ngx_http_session_status_lock_json(ngx_http_session_stream_t *st,
    ngx_http_session_stats_t *s)
{
    ngx_http_session_stream_printf(st, 512,
        "{\"max_hold_ns\": %uL, \"slow_holds\": %uL, "
        "\"holds\": %uL, \"hold_ns_total\": %uL,\n"
        "           \"slow_descheduled\": %uL, \"slow_on_cpu\": %uL, "
        "\"slow_unknown\": %uL,\n"
        "           \"holds_by_length\": {",
        s->lock_max_ns, s->lock_slow, ngx_http_session_status_holds(s),
        s->lock_total_ns,
        s->lock_slow_cause[NGX_HTTP_SESSION_HOLD_DESCHEDULED],
        s->lock_slow_cause[NGX_HTTP_SESSION_HOLD_ON_CPU],
        s->lock_slow_cause[NGX_HTTP_SESSION_HOLD_UNKNOWN]);

    ngx_http_session_status_buckets_json(st, s->lock_holds, 0);

    ngx_http_session_stream_str(st, "},\n           "
                                    "\"descheduled_by_length\": {");

    ngx_http_session_status_buckets_json(st, s->lock_desched,
                                         NGX_HTTP_SESSION_STATUS_SLOW_BUCKET);

    ngx_http_session_stream_str(st, "}}");
}


/* "name": count, ... for the lock's buckets from the first given on */

static void
ngx_http_session_status_buckets_json(ngx_http_session_stream_t *st,
    uint64_t *counts, ngx_uint_t first)
{
    ngx_uint_t  i;

    for (i = first; i < NGX_HTTP_SESSION_LOCK_BUCKETS; i++) {
        ngx_http_session_stream_printf(st, 64, "%s\"%s\": %uL",
                                       i > first ? ", " : "",
                                       ngx_http_session_status_buckets[i]
                                           .name,
                                       counts[i]);
    }
}


static void
ngx_http_session_status_lock_prometheus(ngx_http_session_stream_t *st,
    ngx_http_session_stats_t *s)
{
    u_char      *p, value[NGX_INT64_LEN + 12];
    uint64_t     n;
    ngx_uint_t   i;

    ngx_http_session_status_help(st, "nginx_session_lock_hold_max_seconds",
                                 "gauge",
                                 "Longest zone lock hold since the zone "
                                 "was created.");
    p = ngx_sprintf(value, "%uL.%09uL", s->lock_max_ns / 1000000000,
                    s->lock_max_ns % 1000000000);
    ngx_http_session_status_sample(st, "nginx_session_lock_hold_max_seconds",
                                   NULL, 0, value, p);

    ngx_http_session_status_help(st, "nginx_session_lock_hold_seconds",
                                 "histogram",
                                 "Zone lock holds by length.");

    n = 0;

    for (i = 0; i < NGX_HTTP_SESSION_LOCK_BUCKETS; i++) {
        n += s->lock_holds[i];
        ngx_http_session_status_bucket(st,
                                       ngx_http_session_status_buckets[i].le,
                                       n);
    }

    p = ngx_sprintf(value, "%uL.%09uL", s->lock_total_ns / 1000000000,
                    s->lock_total_ns % 1000000000);
    ngx_http_session_status_sample(st, "nginx_session_lock_hold_seconds_sum",
                                   NULL, 0, value, p);

    p = ngx_sprintf(value, "%uL", n);
    ngx_http_session_status_sample(st,
                                   "nginx_session_lock_hold_seconds_count",
                                   NULL, 0, value, p);

    ngx_http_session_status_help(st,
                                 "nginx_session_lock_slow_holds_by_cause_total",
                                 "counter",
                                 "Zone lock holds longer than 1 ms, by "
                                 "whether the worker was descheduled during "
                                 "the hold (descheduled, on_cpu, unknown).");

    for (i = 0; i < NGX_HTTP_SESSION_HOLD_CAUSES; i++) {
        ngx_http_session_stream_str(st,
                                    "nginx_session_lock_slow_holds_by_cause"
                                    "_total{zone=\"");
        ngx_http_session_status_label(st, st->zone->name.data,
                                      st->zone->name.len);
        ngx_http_session_stream_printf(st, 64, "\",cause=\"%s\"} %uL\n",
                                       ngx_http_session_status_causes[i],
                                       s->lock_slow_cause[i]);
    }
}


static void
ngx_http_session_status_help(ngx_http_session_stream_t *st, char *name,
    char *type, char *help)
{
    ngx_http_session_stream_printf(st, 256, "# HELP %s %s\n# TYPE %s %s\n",
                                   name, help, name, type);
}


static void
ngx_http_session_status_sample(ngx_http_session_stream_t *st, char *name,
    u_char *type, size_t type_len, u_char *value, u_char *last)
{
    ngx_http_session_stream_add(st, (u_char *) name, ngx_strlen(name));
    ngx_http_session_stream_str(st, "{zone=\"");
    ngx_http_session_status_label(st, st->zone->name.data,
                                  st->zone->name.len);

    if (type) {
        ngx_http_session_stream_str(st, "\",type=\"");
        ngx_http_session_status_label(st, type, type_len);
    }

    ngx_http_session_stream_str(st, "\"} ");
    ngx_http_session_stream_add(st, value, last - value);
    ngx_http_session_stream_str(st, "\n");
}


/* a label value as the exposition format escapes it: \\ \" \n */

static void
ngx_http_session_status_label(ngx_http_session_stream_t *st, u_char *data,
    size_t len)
{
    u_char  *p, *last;

    p = ngx_http_session_stream_reserve(st, 2 * len);
    if (p == NULL) {
        return;
    }

    for (last = data + len; data < last; data++) {

        switch (*data) {

        case '\\':
        case '"':
            *p++ = '\\';
            *p++ = *data;
            break;

        case '\n':
            *p++ = '\\';
            *p++ = 'n';
            break;

        default:
            *p++ = *data;
        }
    }

    st->buf->last = p;
}


/* a cumulative histogram bucket */

static void
ngx_http_session_status_bucket(ngx_http_session_stream_t *st, char *le,
    uint64_t count)
{
    ngx_http_session_stream_str(st,
                                "nginx_session_lock_hold_seconds_bucket"
                                "{zone=\"");
    ngx_http_session_status_label(st, st->zone->name.data,
                                  st->zone->name.len);
    ngx_http_session_stream_printf(st, 64, "\",le=\"%s\"} %uL\n",
                                   le, count);
}


static uint64_t
ngx_http_session_status_holds(ngx_http_session_stats_t *s)
{
    uint64_t    n;
    ngx_uint_t  i;

    n = 0;

    for (i = 0; i < NGX_HTTP_SESSION_LOCK_BUCKETS; i++) {
        n += s->lock_holds[i];
    }

    return n;
}


/* used / (open + closed) with two decimals; 0 without sessions */

static u_char *
ngx_http_session_status_per_session(u_char *p, ngx_http_session_stats_t *s)
{
    uint64_t  n, v;

    n = s->sessions + s->closed;

    if (n == 0) {
        return ngx_cpymem(p, "0", 1);
    }

    v = ((uint64_t) s->used * 100 + n / 2) / n;

    return ngx_sprintf(p, "%uL.%02uL", v / 100, v % 100);
}


/*
 * Prometheus asks for text/plain (or OpenMetrics, of which the 0.0.4
 * text is the fallback every scraper takes); anything naming JSON, and
 * browsers and curl, get JSON.
 */

static ngx_int_t
ngx_http_session_status_accepts_text(ngx_http_request_t *r)
{
    u_char           *last;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    if (ngx_http_session_accepts_json(r)) {
        return 0;
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != sizeof("Accept") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Accept",
                               sizeof("Accept") - 1)
               != 0)
        {
            continue;
        }

        last = h[i].value.data + h[i].value.len;

        if (ngx_strlcasestrn(h[i].value.data, last, (u_char *) "text/plain",
                             sizeof("text/plain") - 2)
            != NULL
            || ngx_strlcasestrn(h[i].value.data, last,
                                (u_char *) "openmetrics-text",
                                sizeof("openmetrics-text") - 2)
               != NULL)
        {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_session_status_list(ngx_http_request_t *r,
    ngx_http_session_zone_t *zone, ngx_http_session_status_query_t *q)
{
    u_char                          *p;
    ngx_int_t                        rc;
    ngx_str_t                        msg;
    ngx_uint_t                       i;
    ngx_http_session_type_info_t    *t;
    ngx_http_session_stream_t       *st;
    ngx_http_session_status_list_t  *l;

    l = ngx_pcalloc(r->pool, sizeof(ngx_http_session_status_list_t));
    if (l == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    l->stats = ngx_palloc(r->pool, sizeof(ngx_http_session_stats_t));
    if (l->stats == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the type names, the timeouts: counters only, one short hold */
    ngx_http_session_stats(zone, l->stats);

    l->query = q;
    l->now = ngx_http_session_now();

    if (q->type.len) {

        for (i = 0; i < l->stats->ntypes; i++) {
            t = &l->stats->types[i];

            if (t->len && t->len == q->type.len
                && ngx_strncmp(t->name, q->type.data, t->len) == 0)
            {
                l->type = i + 1;
                break;
            }
        }

        if (l->type == 0) {
            msg.len = sizeof("unknown session type \"\"") - 1 + q->type.len;
            msg.data = ngx_pnalloc(r->pool, msg.len);
            if (msg.data == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            p = ngx_sprintf(msg.data, "unknown session type \"%V\"",
                            &q->type);
            msg.len = p - msg.data;

            return ngx_http_session_status_error(r, NGX_HTTP_BAD_REQUEST,
                                                 &msg);
        }
    }

    if (q->match.len) {
        rc = ngx_http_session_status_compile(r, l, &msg);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            return ngx_http_session_status_error(r, NGX_HTTP_BAD_REQUEST,
                                                 &msg);
        }
    }

    st = ngx_http_session_stream_create(r, zone,
                                     ngx_http_session_status_list_produce);
    if (st == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    st->data = l;

    if (ngx_http_session_stream_batch(st) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    st->cursor.closed = q->closed;

    if (q->account.len) {
        /* the cost follows the account's sessions, not the zone's */
        st->cursor.walk = NGX_HTTP_SESSION_WALK_ACCOUNT;
        st->cursor.id = q->account;
        st->cursor.acct_type = l->type ? l->type - 1 : 0;

        if (q->resume) {
            /* the digest finds the resume point, the seq if it is gone */
            st->cursor.acct_type = q->acct_type;
            st->cursor.seq = q->seq;
            ngx_memcpy(st->cursor.digest, q->digest,
                       NGX_HTTP_SESSION_DIGEST_LEN);
        }

    } else {
        st->cursor.walk = NGX_HTTP_SESSION_WALK_TREE;
        st->cursor.type = l->type;

        if (q->resume) {
            /* the zone's walk: the cursor's place comes in q->seq */
            st->cursor.started = 1;
            st->cursor.at = q->seq;
        }
    }

    return ngx_http_session_stream_start(r, st, NGX_HTTP_OK,
                                         &ngx_http_session_status_json_type);
}


/*
 * The pattern runs in this worker against names the zone's users chose:
 * no JIT, and match, depth and heap limits, so a pattern that would
 * backtrack for ever fails within a fraction of a millisecond instead.
 */

static ngx_int_t
ngx_http_session_status_compile(ngx_http_request_t *r,
    ngx_http_session_status_list_t *l, ngx_str_t *error)
{
    int                  code, n;
    u_char              *p;
    PCRE2_SIZE           offset;
    PCRE2_UCHAR          text[256];
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_session_status_cleanup;
    cln->data = l;

    l->re = pcre2_compile(l->query->match.data, l->query->match.len,
                          PCRE2_UTF|PCRE2_MATCH_INVALID_UTF
                          |PCRE2_NEVER_BACKSLASH_C,
                          &code, &offset, NULL);

    if (l->re == NULL) {
        n = pcre2_get_error_message(code, text, sizeof(text));

        if (n < 0) {
            ngx_cpystrn(text, (u_char *) "unknown error", sizeof(text));
        }

        error->data = ngx_pnalloc(r->pool, sizeof(text) + 64);
        if (error->data == NULL) {
            return NGX_ERROR;
        }

        p = ngx_sprintf(error->data, "bad match pattern at offset %uz: %s",
                        (size_t) offset, text);
        error->len = p - error->data;

        return NGX_DECLINED;
    }

    l->mc = pcre2_match_context_create(NULL);
    if (l->mc == NULL) {
        return NGX_ERROR;
    }

    (void) pcre2_set_match_limit(l->mc, NGX_HTTP_SESSION_STATUS_MATCH_LIMIT);
    (void) pcre2_set_depth_limit(l->mc, NGX_HTTP_SESSION_STATUS_DEPTH_LIMIT);
    (void) pcre2_set_heap_limit(l->mc, NGX_HTTP_SESSION_STATUS_HEAP_LIMIT);

    l->md = pcre2_match_data_create_from_pattern(l->re, NULL);
    if (l->md == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_session_status_cleanup(void *data)
{
    ngx_http_session_status_list_t  *l = data;

    if (l->md) {
        pcre2_match_data_free(l->md);
    }

    if (l->mc) {
        pcre2_match_context_free(l->mc);
    }

    if (l->re) {
        pcre2_code_free(l->re);
    }
}


/*
 * One page: each call reads at most one batch (one bounded lock hold)
 * and filters the copies outside the lock.  The page ends after "limit"
 * sessions, at the end of the walk, or after a bounded number of
 * batches; its cursor names the last session handed out when the page
 * ends inside a batch, so what the batch held beyond it is read again
 * by the next page, neither skipped nor repeated.
 */

static ngx_int_t
ngx_http_session_status_list_produce(ngx_http_request_t *r,
    ngx_http_session_stream_t *st)
{
    uint64_t                         start;
    ngx_http_session_batch_t        *batch;
    ngx_http_session_cursor_t        pos;
    ngx_http_session_record_t       *rec;
    ngx_http_session_status_list_t  *l;

    l = st->data;
    batch = &st->batch;

    if (!l->started) {
        l->started = 1;
        ngx_http_session_stream_str(st, "{\"sessions\":[");
    }

    if (l->next == batch->nrecords) {

        if (st->cursor.done) {
            ngx_http_session_status_list_end(st, l, NULL);
            return NGX_DONE;
        }

        if (l->batches == NGX_HTTP_SESSION_STATUS_PAGE_BATCHES) {
            ngx_http_session_status_list_end(st, l, &st->cursor);
            return NGX_DONE;
        }

        if (ngx_http_session_read(st->zone, &st->cursor, batch) != NGX_OK) {
            return NGX_ERROR;
        }

        l->batches++;
        l->next = 0;

        /* one type of one account: the types after it are not wanted */

        if (st->cursor.walk == NGX_HTTP_SESSION_WALK_ACCOUNT
            && l->type
            && st->cursor.acct_type >= l->type)
        {
            st->cursor.done = 1;
        }
    }

    start = l->re ? ngx_http_session_status_clock() : 0;

    while (l->next < batch->nrecords) {

        rec = &batch->records[l->next++];

        if (ngx_http_session_status_wanted(r, l, rec)) {

            ngx_http_session_status_record(st, l, rec);

            if (++l->count == l->query->limit) {

                if (l->next < batch->nrecords) {
                    ngx_memzero(&pos, sizeof(ngx_http_session_cursor_t));
                    pos.walk = st->cursor.walk;
                    pos.acct_type = rec->type;
                    pos.seq = rec->seq;
                    pos.at = rec->at;
                    ngx_memcpy(pos.digest, rec->digest,
                               NGX_HTTP_SESSION_DIGEST_LEN);

                    ngx_http_session_status_list_end(st, l, &pos);

                } else {
                    ngx_http_session_status_list_end(st, l,
                                                     st->cursor.done
                                                     ? NULL : &st->cursor);
                }

                return NGX_DONE;
            }
        }

        if (l->re
            && ngx_http_session_status_clock() - start
               > NGX_HTTP_SESSION_STATUS_MATCH_NS)
        {
            /* the rest of this batch on the next call */
            return NGX_OK;
        }
    }

    if (st->cursor.done) {
        ngx_http_session_status_list_end(st, l, NULL);
        return NGX_DONE;
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_http_session_status_wanted(ngx_http_request_t *r,
    ngx_http_session_status_list_t *l, ngx_http_session_record_t *rec)
{
    int                               rc;
    ngx_str_t                        *subject;
    ngx_http_session_status_query_t  *q;

    q = l->query;

    /* gone for every other reader already, only not swept yet */

    if (rec->ended) {
        if (rec->logout + (int64_t) l->stats->keep_closed <= l->now) {
            return 0;
        }

    } else if (rec->last + (int64_t) l->stats->timeout <= l->now) {
        return 0;
    }

    if (l->type && rec->type != l->type - 1) {
        return 0;
    }

    if (q->addr_len
        && (rec->addr_len != q->addr_len
            || ngx_memcmp(rec->addr, q->addr, q->addr_len) != 0))
    {
        return 0;
    }

    if (l->re == NULL) {
        return 1;
    }

    /* the account's name, or its id when it has none */

    if (rec->id.len == 0) {
        return 0;
    }

    subject = rec->name.len ? &rec->name : &rec->id;

    rc = pcre2_match(l->re, subject->data, subject->len, 0, 0, l->md, l->mc);

    if (rc >= 0) {
        return 1;
    }

    if (rc == PCRE2_ERROR_NOMATCH) {
        return 0;
    }

    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT
        || rc == PCRE2_ERROR_HEAPLIMIT)
    {
        if (l->limit_hits++ == 0) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "session_status: the match pattern reached a "
                          "PCRE2 limit (%d) on an account name, taken as "
                          "no match; later hits of this request are only "
                          "counted", rc);
        }

        return 0;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "session_status: pcre2_match() failed: %d", rc);

    return 0;
}


static void
ngx_http_session_status_record(ngx_http_session_stream_t *st,
    ngx_http_session_status_list_t *l, ngx_http_session_record_t *rec)
{
    u_char                        *vars, *last, addr[NGX_SOCKADDR_STRLEN];
    ngx_str_t                      name, value, type;
    ngx_uint_t                     n;
    ngx_http_session_type_info_t  *t;

    if (l->count) {
        ngx_http_session_stream_str(st, ",\n{\"sid\":\"");

    } else {
        ngx_http_session_stream_str(st, "\n{\"sid\":\"");
    }

    ngx_http_session_stream_sid(st, rec->digest);

    ngx_str_null(&type);

    if (rec->type < l->stats->ntypes) {
        t = &l->stats->types[rec->type];
        type.data = t->name;
        type.len = t->len;
    }

    ngx_http_session_stream_str(st, "\",\"type\":\"");
    ngx_http_session_stream_json(st, &type);

    ngx_http_session_stream_str(st, "\",\"account\":");
    ngx_http_session_status_string(st, &rec->id);

    ngx_http_session_stream_str(st, ",\"name\":");
    ngx_http_session_status_string(st, &rec->name);

    ngx_http_session_stream_printf(st, 128,
                                   ",\"created\":%L,\"last\":%L,"
                                   "\"logout\":%L,\"addr\":",
                                   rec->created, rec->last, rec->logout);

    value.data = addr;
    value.len = ngx_http_session_addr_text(addr, rec->addr, rec->addr_len)
                - addr;
    ngx_http_session_status_string(st, &value);

    ngx_http_session_stream_printf(st, 64, ",\"requests\":%uD,\"vars\":{",
                                   rec->requests);

    vars = rec->vars.data;
    last = vars + rec->vars.len;
    n = 0;

    while ((vars = ngx_http_session_var_next(vars, last, &name, &value))) {

        if (n++) {
            ngx_http_session_stream_str(st, ",\"");

        } else {
            ngx_http_session_stream_str(st, "\"");
        }

        ngx_http_session_stream_json(st, &name);
        ngx_http_session_stream_str(st, "\":\"");
        ngx_http_session_stream_json(st, &value);
        ngx_http_session_stream_str(st, "\"");
    }

    ngx_http_session_stream_str(st, "}}");
}


/* a JSON string, or null when empty */

static void
ngx_http_session_status_string(ngx_http_session_stream_t *st, ngx_str_t *s)
{
    if (s->len == 0) {
        ngx_http_session_stream_str(st, "null");
        return;
    }

    ngx_http_session_stream_str(st, "\"");
    ngx_http_session_stream_json(st, s);
    ngx_http_session_stream_str(st, "\"");
}


static void
ngx_http_session_status_list_end(ngx_http_session_stream_t *st,
    ngx_http_session_status_list_t *l, ngx_http_session_cursor_t *pos)
{
    u_char  *p;

    ngx_http_session_stream_printf(st, 64, "%s],\"count\":%ui,\"next\":",
                                   l->count ? "\n" : "", l->count);

    if (pos == NULL) {
        ngx_http_session_stream_str(st, "null");

    } else {
        p = ngx_http_session_stream_reserve(st,
                                            NGX_HTTP_SESSION_CURSOR_TEXT + 2);
        if (p == NULL) {
            return;
        }

        *p++ = '"';
        p += ngx_http_session_status_cursor_text(l->query, pos, p);
        *p++ = '"';

        st->buf->last = p;
    }

    ngx_http_session_stream_printf(st, 64, ",\"match_limit_hits\":%ui}\n",
                                   l->limit_hits);
}







/* {"error":{"status":N,"message":"..."}} */

static ngx_int_t
ngx_http_session_status_error(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *message)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   body;

    len = sizeof("{\"error\":{\"status\":,\"message\":\"\"}}\n")
          + NGX_INT_T_LEN
          + ngx_http_session_escape_json_len(message->data, message->len);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = p;

    p = ngx_sprintf(p, "{\"error\":{\"status\":%ui,\"message\":\"", status);
    p = ngx_http_session_escape_json(p, message->data, message->len);
    p = ngx_cpymem(p, "\"}}\n", sizeof("\"}}\n") - 1);

    body.len = p - body.data;

    return ngx_http_session_send(r, status,
                                 &ngx_http_session_status_json_type, &body);
}
