
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_shm.h"


/*
 * The zone lock and the clocks: every hold of the lock is timed, so the
 * status endpoint can show a histogram of holds and a listing can tell
 * whether other processes wait for the lock.  Calls nothing of the
 * module but the shared-memory layout (ngx_http_session_shm.h).
 */


/* a lock hold longer than this counts as slow */
#define NGX_HTTP_SESSION_SLOW_HOLD_NS         1000000


static uint64_t ngx_http_session_holds(ngx_http_session_zone_t *zone);


/* the master is filling a new zone: see ngx_http_session_zone_filling() */
static ngx_uint_t  ngx_http_session_filling;

static uint64_t  ngx_http_session_locked_at;

/* the holds of this process, to tell them from the other processes' */
static uint64_t  ngx_http_session_own_holds;


int64_t
ngx_http_session_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (int64_t) tp->sec * 1000 + tp->msec;
}


uint64_t
ngx_http_session_clock_ns(void)
{
    struct timespec  ts;

    /* served by the vDSO: no system call under the lock */
    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


/*
 * Nobody else sees a new zone while the master fills it: those lock
 * holds stall nobody, and the statistics leave them out.
 */

void
ngx_http_session_zone_filling(ngx_uint_t filling)
{
    ngx_http_session_filling = filling;
}


void
ngx_http_session_lock(ngx_http_session_zone_t *zone)
{
    ngx_shmtx_lock(&zone->shpool->mutex);
    ngx_http_session_locked_at = ngx_http_session_clock_ns();
    ngx_http_session_own_holds++;
}


/* every hold of the zone lock so far, in all processes; read unlocked */

static uint64_t
ngx_http_session_holds(ngx_http_session_zone_t *zone)
{
    uint64_t    n;
    ngx_uint_t  i;

    n = 0;

    for (i = 0; i < NGX_HTTP_SESSION_LOCK_BUCKETS; i++) {
        n += ((volatile uint64_t *) zone->sh->lock_holds)[i];
    }

    return n;
}


void
ngx_http_session_holds_mark(ngx_http_session_zone_t *zone,
    ngx_http_session_holds_t *mark)
{
    mark->all = ngx_http_session_holds(zone);
    mark->own = ngx_http_session_own_holds;
}


/* whether other processes took the zone lock since the mark */

ngx_uint_t
ngx_http_session_holds_others(ngx_http_session_zone_t *zone,
    ngx_http_session_holds_t *mark)
{
    return ngx_http_session_holds(zone) - mark->all
           > ngx_http_session_own_holds - mark->own;
}


void
ngx_http_session_unlock(ngx_http_session_zone_t *zone)
{
    uint64_t                   held, bound;
    ngx_uint_t                 i;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    if (ngx_http_session_filling) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return;
    }

    held = ngx_http_session_clock_ns() - ngx_http_session_locked_at;

    if (held > sh->lock_max_ns) {
        sh->lock_max_ns = held;
    }

    if (held > NGX_HTTP_SESSION_SLOW_HOLD_NS) {
        sh->lock_slow++;
    }

    sh->lock_total_ns += held;

    /* a histogram, so a benchmark can see the holds of a time window */

    for (i = 0, bound = 10000;
         i < NGX_HTTP_SESSION_LOCK_BUCKETS - 1 && held >= bound;
         i++, bound *= 10)
    {
        /* void */
    }

    sh->lock_holds[i]++;

    ngx_shmtx_unlock(&zone->shpool->mutex);
}
