# The detection of descheduled lock holds (ngx_http_session_hold.h), on
# its own: a small C program compiled here watches "holds" the kernel
# is made to interrupt for certain (a signal delivered inside, a
# migration to another CPU) and holds it is not (a plain loop, a system
# call that does not sleep), and checks what the watch tells, that
# rseq_cs is 0 again after each, that a watch leaves an rseq_cs in use
# alone, and that without an rseq area every hold is "unknown".  Whether
# a real lock hold of the module was descheduled cannot be forced from a
# test; t/400-status.t checks the counters nginx shows.

use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);

my $dir = tempdir(CLEANUP => 1);
my $exe = "$dir/hold";
my $cc = $ENV{CC} || 'cc';

open my $src, '>', "$dir/hold.c" or die $!;
print $src <<'END_C';
#define _GNU_SOURCE
#include <stdio.h>
#include <signal.h>
#include <sched.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "ngx_http_session_hold.h"

static const char *name[] = { "descheduled", "on_cpu", "unknown" };
static volatile uint64_t  sink;

static void handler(int s) { (void) s; }

static volatile uint64_t *
rseq_cs(void)
{
    struct rseq  *rs;

    rs = (struct rseq *) ((char *) __builtin_thread_pointer()
                          + __rseq_offset);
    return (volatile uint64_t *) &rs->rseq_cs;
}

static void
loop(long n)
{
    long  i;

    for (i = 0; i < n; i++) {
        sink += i;
    }
}

int
main(void)
{
    int                            i, on_cpu, cpu, ncpu;
    unsigned                       c;
    cpu_set_t                      set;
    ngx_http_session_hold_watch_t  w;

    printf("rseq_size %u\n", __rseq_size);

    if (__rseq_size == 0) {
        ngx_http_session_hold_watch(&w);
        printf("unregistered %s\n", name[ngx_http_session_hold_cause(&w)]);
        return 0;
    }

    signal(SIGUSR1, handler);

    /* a signal delivered inside: always told */
    ngx_http_session_hold_watch(&w);
    raise(SIGUSR1);
    c = ngx_http_session_hold_cause(&w);
    printf("signal %s clear %d\n", name[c], *rseq_cs() == 0);

    /* moved to another CPU inside */
    ncpu = 0;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        ncpu = CPU_COUNT(&set);
    }
    if (ncpu > 1) {
        cpu = sched_getcpu();
        for (i = 0; i < CPU_SETSIZE && (i == cpu || !CPU_ISSET(i, &set));
             i++) { /* void */ }
        ngx_http_session_hold_watch(&w);
        CPU_ZERO(&set);
        CPU_SET(i, &set);
        sched_setaffinity(0, sizeof(set), &set);
        c = ngx_http_session_hold_cause(&w);
        printf("migration %s clear %d\n", name[c], *rseq_cs() == 0);
    } else {
        printf("migration skipped\n");
    }

    /* a short loop, a system call that does not sleep: on CPU but for
     * a preemption now and then on a busy machine */
    on_cpu = 0;
    for (i = 0; i < 200; i++) {
        ngx_http_session_hold_watch(&w);
        loop(1000);
        on_cpu += ngx_http_session_hold_cause(&w)
                  == NGX_HTTP_SESSION_HOLD_ON_CPU;
    }
    printf("loop on_cpu %d of 200 clear %d\n", on_cpu, *rseq_cs() == 0);

    on_cpu = 0;
    for (i = 0; i < 200; i++) {
        ngx_http_session_hold_watch(&w);
        (void) syscall(SYS_getppid);
        on_cpu += ngx_http_session_hold_cause(&w)
                  == NGX_HTTP_SESSION_HOLD_ON_CPU;
    }
    printf("syscall on_cpu %d of 200 clear %d\n", on_cpu, *rseq_cs() == 0);

    /* rseq_cs in use by someone else: left alone */
    *rseq_cs() = 1;
    ngx_http_session_hold_watch(&w);
    c = ngx_http_session_hold_cause(&w);
    printf("in_use %s kept %d\n", name[c], *rseq_cs() == 1);
    *rseq_cs() = 0;

    return 0;
}
END_C
close $src;

my $inc = 'ngx_http_session_module';

system($cc, qw(-O2 -Wall -Werror -DNGX_HTTP_SESSION_HAVE_RSEQ=1),
       "-I$inc", '-o', $exe, "$dir/hold.c") == 0
    or BAIL_OUT("cannot compile the hold detection test program");

my $out = `$exe`;
is($?, 0, 'the program ran to its end (the kernel accepted the descriptor)');

my ($size) = $out =~ /^rseq_size (\d+)$/m;
ok(defined $size, 'rseq area size printed') or diag $out;

SKIP: {
    skip "glibc registered no rseq area here", 5 unless $size;

    like($out, qr/^signal descheduled clear 1$/m,
         'a signal inside a hold is told, and rseq_cs is 0 after');
    like($out, qr/^migration (descheduled clear 1|skipped)$/m,
         'a migration inside a hold is told');
    my ($loop) = $out =~ /^loop on_cpu (\d+) of 200 clear 1$/m;
    ok(defined $loop && $loop >= 100,
       'a plain loop is on CPU (but for a rare preemption)') or diag $out;
    my ($sys) = $out =~ /^syscall on_cpu (\d+) of 200 clear 1$/m;
    ok(defined $sys && $sys >= 100,
       'a system call that does not sleep is not a descheduling')
        or diag $out;
    like($out, qr/^in_use unknown kept 1$/m,
         'an rseq_cs in use is left alone, the hold unknown');
}

# without an rseq area (as under valgrind): unknown
$out = `GLIBC_TUNABLES=glibc.pthread.rseq=0 $exe`;
SKIP: {
    skip "the glibc tunable did not turn rseq off", 1
        unless $out =~ /^rseq_size 0$/m;
    like($out, qr/^unregistered unknown$/m,
         'without an rseq area a hold is unknown');
}

done_testing();
