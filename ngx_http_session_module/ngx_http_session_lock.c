
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
 * whether other processes wait for the lock; a hold over 1 ms is told
 * descheduled or on CPU (ngx_http_session_hold.h), so the status can say
 * whose the long holds are: the module's or the scheduler's.  Calls
 * nothing of the module but the shared-memory layout
 * (ngx_http_session_shm.h).
 */


/* a lock hold longer than this counts as slow */
#define NGX_HTTP_SESSION_SLOW_HOLD_NS         1000000

/* how long the master waits for the lock of a zone workers use, in ms */
#define NGX_HTTP_SESSION_MASTER_WAIT          3000


static void ngx_http_session_locked(void);
static void ngx_http_session_hold_slow(ngx_http_session_shctx_t *sh,
    ngx_uint_t bucket, ngx_uint_t cause);
static uint64_t ngx_http_session_holds(ngx_http_session_zone_t *zone);
#if (NGX_HAVE_ATOMIC_OPS)
static ngx_uint_t ngx_http_session_holder_dead(ngx_pid_t pid);
#endif


/* the master is filling a new zone: see ngx_http_session_zone_filling() */
static ngx_uint_t  ngx_http_session_filling;

static uint64_t  ngx_http_session_locked_at;

/* the holds of this process, to tell them from the other processes' */
static uint64_t  ngx_http_session_own_holds;


/* the hold under way: see ngx_http_session_hold.h */
static ngx_http_session_hold_watch_t  ngx_http_session_watch;


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
    ngx_http_session_locked();
}


static void
ngx_http_session_locked(void)
{
    ngx_http_session_hold_watch(&ngx_http_session_watch);

    ngx_http_session_locked_at = ngx_http_session_clock_ns();
    ngx_http_session_own_holds++;
}


/*
 * The lock of a zone other processes may use, taken by whichever process
 * runs this: the master (a reload that keeps a zone, or copies the
 * sessions of one it resizes) never waits on it for long.  A worker that
 * dies holding the lock is recovered only when the master handles
 * SIGCHLD, which it blocks while it reads a new configuration, and one
 * stopped holding it (SIGSTOP, a debugger) never lets go: either would
 * hang the master, and with it every later reload and stop.  So a holder
 * that died is unlocked as nginx unlocks the mutexes of dead workers,
 * and one still alive after NGX_HTTP_SESSION_MASTER_WAIT ms fails the
 * reload, which leaves the running configuration serving.
 */

ngx_int_t
ngx_http_session_lock_live(ngx_http_session_zone_t *zone)
{
#if (NGX_HAVE_ATOMIC_OPS)

    ngx_pid_t     pid;
    ngx_uint_t    i;
    ngx_msec_t    waited;
    ngx_shmtx_t  *mtx;

    if (ngx_process != NGX_PROCESS_MASTER) {
        ngx_http_session_lock(zone);
        return NGX_OK;
    }

    mtx = &zone->shpool->mutex;

    for (waited = 0; /* void */ ; waited++) {

        /* a live holder lets go within microseconds */

        for (i = 0; i < 1024; i++) {
            if (ngx_shmtx_trylock(mtx)) {
                ngx_http_session_locked();
                return NGX_OK;
            }

            ngx_cpu_pause();
        }

        pid = (ngx_pid_t) *mtx->lock;

        if (pid > 0 && ngx_http_session_holder_dead(pid)) {

            if (ngx_shmtx_force_unlock(mtx, pid)) {
                ngx_log_error(NGX_LOG_ALERT, zone->log, 0,
                              "session zone \"%V\" was locked by process "
                              "%P, which died holding it: unlocked; the "
                              "sessions that process was changing may be "
                              "inconsistent", &zone->name, pid);
            }

            continue;
        }

        if (waited >= NGX_HTTP_SESSION_MASTER_WAIT) {
            ngx_log_error(NGX_LOG_EMERG, zone->log, 0,
                          "session zone \"%V\" has been locked by process "
                          "%P for more than %M ms, so the new configuration "
                          "is not applied; the running one keeps serving.  "
                          "A process stopped while it holds the lock (by "
                          "SIGSTOP or a debugger) must run again first",
                          &zone->name, pid,
                          (ngx_msec_t) NGX_HTTP_SESSION_MASTER_WAIT);
            return NGX_ERROR;
        }

        ngx_msleep(1);
    }

#else

    ngx_http_session_lock(zone);
    return NGX_OK;

#endif
}


#if (NGX_HAVE_ATOMIC_OPS)

/*
 * A worker that exited is a zombie until the master reaps it, and kill()
 * still finds a zombie: waitid() with WNOWAIT tells without reaping it,
 * so nginx's own SIGCHLD handling later sees the exit as usual.  Another
 * process is asked with kill().
 */

static ngx_uint_t
ngx_http_session_holder_dead(ngx_pid_t pid)
{
#if (NGX_HAVE_WAITID_WNOWAIT)
    siginfo_t  info;

    ngx_memzero(&info, sizeof(siginfo_t));

    if (waitid(P_PID, pid, &info, WEXITED|WNOHANG|WNOWAIT) == 0) {
        return info.si_pid == pid;
    }
#endif

    return kill(pid, 0) == -1 && ngx_errno == NGX_ESRCH;
}

#endif


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
    ngx_uint_t                 i, cause;
    ngx_http_session_shctx_t  *sh;

    sh = zone->sh;

    held = ngx_http_session_clock_ns() - ngx_http_session_locked_at;
    cause = ngx_http_session_hold_cause(&ngx_http_session_watch);

    if (ngx_http_session_filling) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return;
    }

    if (held > sh->lock_max_ns) {
        sh->lock_max_ns = held;
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

    if (held > NGX_HTTP_SESSION_SLOW_HOLD_NS) {
        ngx_http_session_hold_slow(sh, i, cause);
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/*
 * A hold over 1 ms, by cause: the descheduled ones by length as well,
 * so the status tells which long holds are the scheduler's.
 */

static void
ngx_http_session_hold_slow(ngx_http_session_shctx_t *sh, ngx_uint_t bucket,
    ngx_uint_t cause)
{
    sh->lock_slow++;
    sh->lock_slow_cause[cause]++;

    if (cause == NGX_HTTP_SESSION_HOLD_DESCHEDULED) {
        sh->lock_desched[bucket]++;
    }
}
