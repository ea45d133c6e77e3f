/*
 * Copyright (C) ngx_http_session_module authors
 *
 * How well ngx_http_session_hold.h tells a descheduled lock hold: a busy
 * loop stands for a hold, watched as the module watches one, and each
 * is checked against its wall time less the thread's CPU time, both read
 * outside the watched part (CLOCK_THREAD_CPUTIME_ID, a system call the
 * module cannot make under the lock).  docs/status.md gives the figures.
 *
 *   cc -O2 -DNGX_HTTP_SESSION_HAVE_RSEQ=1 -Ingx_http_session_module \
 *       -o /tmp/hold-exp util/lock-hold-experiment.c
 *   /tmp/hold-exp HOLDS LOOP [SIGNAL_US]
 *
 * LOOP: iterations of the busy loop (3000000 is about 1.5 ms here);
 * SIGNAL_US: a SIGALRM every that many us as well.  Run it alone, then
 * with busy processes beside it (more than the CPUs).
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <time.h>
#include <sys/time.h>
#include "ngx_http_session_hold.h"


static volatile uint64_t  sink;

static void handler(int s) { (void) s; }


static uint64_t
clock_ns(clockid_t c)
{
    struct timespec  ts;

    clock_gettime(c, &ts);
    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


int
main(int argc, char **argv)
{
    long                           holds, loop, i, j;
    long                           n[3][4], slow[3];
    int64_t                        gap, gap_on_cpu;
    uint64_t                       c0, c1, w0, w1, x;
    unsigned                       c, k;
    struct itimerval               it;
    ngx_http_session_hold_watch_t  w;

    if (argc < 3) {
        fprintf(stderr, "usage: %s HOLDS LOOP [SIGNAL_US]\n", argv[0]);
        return 2;
    }

    holds = atol(argv[1]);
    loop = atol(argv[2]);

    if (argc > 3) {
        signal(SIGALRM, handler);
        it.it_interval.tv_sec = 0;
        it.it_interval.tv_usec = atol(argv[3]);
        it.it_value = it.it_interval;
        setitimer(ITIMER_REAL, &it, NULL);
    }

    for (c = 0; c < 3; c++) {
        slow[c] = 0;
        for (k = 0; k < 4; k++) {
            n[c][k] = 0;
        }
    }

    gap_on_cpu = INT64_MIN;

    for (i = 0; i < holds; i++) {
        c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        ngx_http_session_hold_watch(&w);
        w0 = clock_ns(CLOCK_MONOTONIC);

        for (x = 0, j = 0; j < loop; j++) {
            x += j * j;
            __asm__ volatile ("" : "+r" (x));
        }

        w1 = clock_ns(CLOCK_MONOTONIC);
        c = ngx_http_session_hold_cause(&w);
        c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        sink = x;

        /* the time the hold was off the CPU (the CPU time brackets it) */
        gap = (int64_t) (w1 - w0) - (int64_t) (c1 - c0);

        k = gap < 5000 ? 0 : gap < 100000 ? 1 : gap < 1000000 ? 2 : 3;
        n[c][k]++;

        if (w1 - w0 > 1000000) {
            slow[c]++;
        }

        if (c == NGX_HTTP_SESSION_HOLD_ON_CPU && gap > gap_on_cpu) {
            gap_on_cpu = gap;
        }
    }

    printf("holds %ld, loop %ld, rseq_size %u\n", holds, loop, __rseq_size);
    printf("time off CPU:  <5us  5-100us  0.1-1ms  >=1ms  over 1 ms wall\n");

    for (c = 0; c < 3; c++) {
        printf("%-12s %6ld %8ld %8ld %6ld %15ld\n",
               c == 0 ? "descheduled" : c == 1 ? "on_cpu" : "unknown",
               n[c][0], n[c][1], n[c][2], n[c][3], slow[c]);
    }

    printf("most time off CPU of an on_cpu hold: %lld ns\n",
           (long long) gap_on_cpu);

    return 0;
}
