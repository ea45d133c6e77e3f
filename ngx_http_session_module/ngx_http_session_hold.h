
/*
 * Copyright (C) ngx_http_session_module authors
 */


#ifndef _NGX_HTTP_SESSION_HOLD_H_INCLUDED_
#define _NGX_HTTP_SESSION_HOLD_H_INCLUDED_


/*
 * Whether a hold of the zone lock was descheduled, without a system call
 * under the lock (ngx_http_session_lock.c watches every hold with it).
 *
 * glibc (2.35 and later) registers an rseq area for each thread.
 * Whenever the kernel preempts or migrates the thread, or delivers it a
 * signal, it looks at the area's rseq_cs on the way back to user space
 * and, the thread not being inside the critical section rseq_cs
 * describes, sets it to 0.  So a watch stores a descriptor of an empty
 * section, which no instruction is ever inside, in rseq_cs, and finds 0
 * there at the end if the kernel took the thread off meanwhile; cpu_id
 * changing tells a migration as well.  The kernel checks a descriptor
 * each time it reads one (addresses in user space, the RSEQ_SIG word
 * just before abort_ip) and kills a thread whose descriptor is bad: this
 * one is valid and constant.  glibc itself never uses rseq_cs; a watch
 * leaves it alone if it is in use, and sets it back to 0 when it ends.
 *
 * Plain C, no nginx header: t/403-lock-hold.t compiles it alone.
 */


#include <stdint.h>
#include <stddef.h>

#if (NGX_HTTP_SESSION_HAVE_RSEQ)
#include <sys/rseq.h>
#endif


/* what a watched hold went through */
#define NGX_HTTP_SESSION_HOLD_DESCHEDULED  0
#define NGX_HTTP_SESSION_HOLD_ON_CPU       1
#define NGX_HTTP_SESSION_HOLD_UNKNOWN      2     /* no rseq area */
#define NGX_HTTP_SESSION_HOLD_CAUSES       3


typedef struct {
#if (NGX_HTTP_SESSION_HAVE_RSEQ)
    volatile uint64_t           *cs;    /* the thread's rseq_cs, or NULL */
    uint32_t                     cpu;
#else
    int                          unused;
#endif
} ngx_http_session_hold_watch_t;


#if (NGX_HTTP_SESSION_HAVE_RSEQ)

/* RSEQ_SIG, then the (empty) section and abort_ip, both at its end */
static const uint32_t  ngx_http_session_hold_sig[2] = { RSEQ_SIG, 0 };

static const struct rseq_cs  ngx_http_session_hold_cs = {
    0, 0,
    (uintptr_t) &ngx_http_session_hold_sig[1],
    0,
    (uintptr_t) &ngx_http_session_hold_sig[1]
};

#endif


static inline void
ngx_http_session_hold_watch(ngx_http_session_hold_watch_t *w)
{
#if (NGX_HTTP_SESSION_HAVE_RSEQ)
    struct rseq        *rs;
    volatile uint64_t  *cs;

    w->cs = NULL;

    if (__rseq_size == 0) {
        return;
    }

    rs = (struct rseq *) ((char *) __builtin_thread_pointer()
                          + __rseq_offset);
    cs = (volatile uint64_t *) &rs->rseq_cs;

    /* in use by another critical section; ours is a watch left armed */

    if (*cs != 0 && *cs != (uintptr_t) &ngx_http_session_hold_cs) {
        return;
    }

    *cs = (uintptr_t) &ngx_http_session_hold_cs;
    w->cpu = rs->cpu_id;
    w->cs = cs;

    __asm__ volatile ("" ::: "memory");
#endif
}


static inline unsigned
ngx_http_session_hold_cause(ngx_http_session_hold_watch_t *w)
{
#if (NGX_HTTP_SESSION_HAVE_RSEQ)
    uint32_t     cpu;
    uint64_t     v;
    struct rseq  *rs;

    if (w->cs == NULL) {
        return NGX_HTTP_SESSION_HOLD_UNKNOWN;
    }

    __asm__ volatile ("" ::: "memory");

    v = *w->cs;
    rs = (struct rseq *) ((char *) w->cs - offsetof(struct rseq, rseq_cs));
    cpu = rs->cpu_id;

    *w->cs = 0;
    w->cs = NULL;

    if (v == 0 || cpu != w->cpu) {
        return NGX_HTTP_SESSION_HOLD_DESCHEDULED;
    }

    return NGX_HTTP_SESSION_HOLD_ON_CPU;

#else

    return NGX_HTTP_SESSION_HOLD_UNKNOWN;

#endif
}


#endif /* _NGX_HTTP_SESSION_HOLD_H_INCLUDED_ */
