
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_endpoint.h"


/*
 * The fleet's part of session_status, in JSON and in Prometheus's text
 * format: the engine's state as the node last saw it, the last error,
 * changes queued and sent, how far behind the stream the node is,
 * lookups and how many found the session, resyncs and put-backs.  An
 * endpoint's file: calls the stream writers; the figures are a copy the
 * fleet made (ngx_http_session_fleet_stats()).
 */


typedef struct {
    char                        *name;
    char                        *type;
    char                        *help;
    size_t                       offset;
} ngx_http_session_fleet_metric_t;


static void ngx_http_session_fleet_sample(ngx_http_session_stream_t *st,
    char *name, u_char *value, u_char *last);
static const char *ngx_http_session_fleet_state(
    ngx_http_session_fleet_stats_t *fs);


#define ngx_http_session_status_fleet_at(f)                                 \
    offsetof(ngx_http_session_fleet_stats_t, sh)                             \
    + offsetof(ngx_http_session_fleet_sh_t, f)

static ngx_http_session_fleet_metric_t  ngx_http_session_fleet_metrics[] = {
    { "nginx_session_fleet_changes_queued", "gauge",
      "Changes of this node waiting for the engine.",
      ngx_http_session_status_fleet_at(queued) },
    { "nginx_session_fleet_changes_sent_total", "counter",
      "Changes of this node the engine merged.",
      ngx_http_session_status_fleet_at(sent) },
    { "nginx_session_fleet_changes_dropped_total", "counter",
      "Changes and last accesses not queued (the zone is put back).",
      ngx_http_session_status_fleet_at(dropped) },
    { "nginx_session_fleet_touches_sent_total", "counter",
      "Last accesses of this node sent to the engine.",
      ngx_http_session_status_fleet_at(touches) },
    { "nginx_session_fleet_entries_applied_total", "counter",
      "Changes of other nodes applied to this node's zone.",
      ngx_http_session_status_fleet_at(applied) },
    { "nginx_session_fleet_lookups_total", "counter",
      "Tokens unknown here looked up in the engine.",
      ngx_http_session_status_fleet_at(lookups) },
    { "nginx_session_fleet_lookups_found_total", "counter",
      "Lookups that found an open session.",
      ngx_http_session_status_fleet_at(found) },
    { "nginx_session_fleet_lookup_timeouts_total", "counter",
      "Lookups whose request went on without the answer.",
      ngx_http_session_status_fleet_at(timeouts) },
    { "nginx_session_fleet_resyncs_total", "counter",
      "Times this node read the engine whole.",
      ngx_http_session_status_fleet_at(resyncs) },
    { "nginx_session_fleet_resync_sessions_total", "counter",
      "Sessions read by those resyncs.",
      ngx_http_session_status_fleet_at(loaded) },
    { "nginx_session_fleet_putbacks_total", "counter",
      "Times this node put its sessions back into the engine.",
      ngx_http_session_status_fleet_at(putbacks) },
    { "nginx_session_fleet_putback_sessions_total", "counter",
      "Sessions put back.",
      ngx_http_session_status_fleet_at(put) },
    { "nginx_session_fleet_rejected_total", "counter",
      "Engine data refused: malformed, or someone else's keys.",
      ngx_http_session_status_fleet_at(rejected) },
    { "nginx_session_fleet_engine_commands_total", "counter",
      "Commands this node sent to the engine.",
      ngx_http_session_status_fleet_at(commands) },
    { "nginx_session_fleet_engine_errors_total", "counter",
      "Connections to the engine that failed.",
      ngx_http_session_status_fleet_at(errors) },
    { NULL, NULL, NULL, 0 }
};


void
ngx_http_session_status_fleet_json(ngx_http_session_stream_t *st,
    ngx_http_session_fleet_stats_t *fs)
{
    u_char                       *p, rate[16];
    ngx_str_t                     s;
    ngx_http_session_fleet_sh_t  *sh;

    sh = &fs->sh;


    ngx_http_session_stream_str(st, "  \"fleet\": {\"engine\": \"");
    ngx_http_session_stream_json(st, &fs->address);

    ngx_http_session_stream_printf(st, 256,
        "\", \"state\": \"%s\", \"since\": %L,\n"
        "            \"node\": \"%*s\", \"leader_pid\": %uA,\n"
        "            \"last_error\": \"",
        ngx_http_session_fleet_state(fs), (int64_t) sh->since,
        (size_t) NGX_HTTP_SESSION_FLEET_NODE_LEN, sh->node, sh->leader);

    s.data = sh->error;
    s.len = ngx_strlen(sh->error);
    ngx_http_session_stream_json(st, &s);

    /* the share of lookups that found the session, 0 without lookups */

    if (sh->lookups) {
        p = ngx_sprintf(rate, "%uA.%03uA", sh->found / sh->lookups,
                        sh->found * 1000 / sh->lookups % 1000);

    } else {
        p = ngx_cpymem(rate, "0", 1);
    }

    ngx_http_session_stream_printf(st, 1024,
        "\", \"last_error_at\": %L,\n"
        "            \"changes\": {\"queued\": %uA, \"sent\": %uA, "
        "\"dropped\": %uA, \"touches_sent\": %uA},\n"
        "            \"stream\": {\"applied\": %uA, \"lag_ms\": %uA, "
        "\"position\": \"%*s\"},\n"
        "            \"lookups\": {\"total\": %uA, \"found\": %uA, "
        "\"timeouts\": %uA, \"hit_rate\": %*s},\n"
        "            \"resyncs\": {\"total\": %uA, \"sessions\": %uA},\n"
        "            \"putbacks\": {\"total\": %uA, \"sessions\": %uA},\n"
        "            \"rejected\": %uA, \"engine_errors\": %uA, "
        "\"engine_commands\": %uA},\n",
        sh->error_at, sh->queued, sh->sent, sh->dropped, sh->touches,
        sh->applied, sh->lag, fs->position_len, fs->position,
        sh->lookups, sh->found, sh->timeouts, (size_t) (p - rate), rate,
        sh->resyncs, sh->loaded, sh->putbacks, sh->put, sh->rejected,
        sh->errors, sh->commands);
}


void
ngx_http_session_status_fleet_prometheus(ngx_http_session_stream_t *st,
    ngx_http_session_fleet_stats_t *fs)
{
    u_char                           *p, value[NGX_INT64_LEN + 8];
    ngx_http_session_fleet_sh_t      *sh;
    ngx_http_session_fleet_metric_t  *m;

    sh = &fs->sh;

    ngx_http_session_stream_printf(st, 256,
        "# HELP nginx_session_fleet_up Whether the engine was reachable "
        "at the last try (1) or not (0).\n"
        "# TYPE nginx_session_fleet_up gauge\n");
    p = ngx_sprintf(value, "%d",
                    sh->state == NGX_HTTP_SESSION_ENGINE_OK ? 1 : 0);
    ngx_http_session_fleet_sample(st, "nginx_session_fleet_up", value, p);

    ngx_http_session_stream_printf(st, 256,
        "# HELP nginx_session_fleet_state_since_seconds When the engine's "
        "state last changed, seconds since the epoch.\n"
        "# TYPE nginx_session_fleet_state_since_seconds gauge\n");
    p = ngx_sprintf(value, "%uA.%03uA", sh->since / 1000, sh->since % 1000);
    ngx_http_session_fleet_sample(st,
                                  "nginx_session_fleet_state_since_seconds",
                                  value, p);

    ngx_http_session_stream_printf(st, 256,
        "# HELP nginx_session_fleet_lag_seconds How far behind the change "
        "stream this node was at its last read.\n"
        "# TYPE nginx_session_fleet_lag_seconds gauge\n");
    p = ngx_sprintf(value, "%uA.%03uA", sh->lag / 1000, sh->lag % 1000);
    ngx_http_session_fleet_sample(st, "nginx_session_fleet_lag_seconds",
                                  value, p);

    for (m = ngx_http_session_fleet_metrics; m->name; m++) {
        ngx_http_session_stream_printf(st, 256, "# HELP %s %s\n"
                                       "# TYPE %s %s\n", m->name, m->help,
                                       m->name, m->type);

        p = ngx_sprintf(value, "%uA",
                        *(ngx_atomic_uint_t *) ((u_char *) fs + m->offset));
        ngx_http_session_fleet_sample(st, m->name, value, p);
    }
}


/* NAME{zone="ZONE"} VALUE: JSON escapes \" and \\ as the format does */

static void
ngx_http_session_fleet_sample(ngx_http_session_stream_t *st, char *name,
    u_char *value, u_char *last)
{
    ngx_http_session_stream_add(st, (u_char *) name, ngx_strlen(name));
    ngx_http_session_stream_str(st, "{zone=\"");
    ngx_http_session_stream_json(st, &st->zone->name);
    ngx_http_session_stream_str(st, "\"} ");
    ngx_http_session_stream_add(st, value, last - value);
    ngx_http_session_stream_str(st, "\n");
}


static const char *
ngx_http_session_fleet_state(ngx_http_session_fleet_stats_t *fs)
{
    switch (fs->sh.state) {

    case NGX_HTTP_SESSION_ENGINE_OK:
        return "up";

    case NGX_HTTP_SESSION_ENGINE_UNREACHABLE:
        return "unreachable";

    case NGX_HTTP_SESSION_ENGINE_AUTH_FAILED:
        return "authentication failed";

    case NGX_HTTP_SESSION_ENGINE_PROTOCOL:
        return "not a Redis-protocol server";

    case NGX_HTTP_SESSION_ENGINE_TOO_LARGE:
        return "reply too large";

    case NGX_HTTP_SESSION_ENGINE_STARTING:
        return "connecting";

    default:
        return "down";
    }
}
