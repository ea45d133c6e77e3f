#!/usr/bin/perl
# Reads what a Test::Nginx run under valgrind printed (TEST_NGINX_USE_VALGRIND:
# each nginx process's memcheck reports, "==PID== ..." lines, between
# the names of the test blocks) and says which reports fail the run:
#
#   - every memcheck error (invalid read or write, use of uninitialised
#     memory, bad free, overlap, a fatal signal), wherever it is;
#   - a definite or indirect leak with a frame of the module
#     (ngx_http_session_*, or in ngx_http_session_module.so).
#
# Leaks of nginx core alone are listed and not counted: valgrind.suppress
# keeps the known ones out of the output.
#
# Usage: valgrind-report.pl LOG     exit 1 when anything fails

use strict;
use warnings;

my $module = qr{\bngx_http_session_\w+|ngx_http_session_module\.so};

my $log = shift or die "usage: $0 LOG\n";
open my $fh, '<', $log or die "$log: $!\n";

my (%open, @reports);
my $test = '(before the first test block)';

sub close_block {
    my ($pid) = @_;
    my $b = delete $open{$pid} or return;
    push @reports, $b if @{ $b->{lines} };
}

while (my $line = <$fh>) {
    if ($line =~ m{^(t/\S+\.t TEST \d+: .*)$}) {
        $test = $1;
        next;
    }

    my ($pid, $text) = $line =~ /^==(\d+)== ?(.*)$/ or next;

    if ($text eq '') {
        close_block($pid);
        next;
    }

    my $b = $open{$pid} //= { pid => $pid, test => $test, lines => [] };
    push @{ $b->{lines} }, $text;
}

close_block($_) for keys %open;
close $fh;

my (@fail, @core, @notes);

for my $b (@reports) {
    my $head = $b->{lines}[0];
    my $body = join "\n", @{ $b->{lines} };

    if ($head =~ /are (definitely|indirectly) lost/) {
        if ($body =~ $module) {
            push @fail, ["leak in the module", $b];
        } else {
            push @core, ["nginx core leak", $b];
        }

    } elsif ($head =~ /are possibly lost|still reachable/) {
        push @notes, $b;

    } elsif ($head =~ /^(Warning: |WARNING: |HEAP SUMMARY|LEAK SUMMARY
                         |For lists of|For counts of|ERROR SUMMARY
                         |Memcheck|Copyright|Using Valgrind|Command:
                         |Parent PID|  (in use|total heap|definitely
                         |indirectly|possibly|still reachable|suppressed)
                         |Reachable blocks|To see them|All heap blocks)/x)
    {
        push @notes, $b;

    } else {
        push @fail, ["memcheck error", $b];
    }
}

for my $r (@core) {
    my $b = $r->[1];
    my ($where) = grep { !/\b(malloc|calloc|realloc|ngx_alloc|ngx_calloc
                              |ngx_memalign|posix_memalign)\b/x }
                  map { /^\s+(?:at|by) 0x[0-9A-F]+: (\S+)/ ? $1 : () }
                  @{ $b->{lines} };
    printf "not counted: %s, pid %s, %s, via %s\n", $r->[0], $b->{pid},
           $b->{lines}[0], $where // '?';
}

for my $r (@fail) {
    my $b = $r->[1];
    print "\n=== FAIL: $r->[0] (pid $b->{pid}) in $b->{test}\n";
    print "  $_\n" for @{ $b->{lines} };
}

printf "\nvalgrind reports: %d failing (memcheck errors and leaks in the "
       . "module), %d nginx core leak(s) not counted, %d note(s)\n",
       scalar @fail, scalar @core, scalar @notes;

exit(@fail ? 1 : 0);
