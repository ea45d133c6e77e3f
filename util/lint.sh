#!/bin/sh
# The mechanical part of nginx's style, as ngx-releng checks it (make lint):
#
#   C sources (ngx_http_session_module/*.[ch]): lines over 80 columns, tabs,
#   trailing spaces, // comments, and an allocation whose result the line
#   after the statement does not check ("if (p == NULL)", "if (p)");
#   tests (t/*.t, t/*.pm): --- ONLY and --- LAST left in, and lines that
#   start with master_on();
#   the file graph (util/layers.pl): each file uses its own layer and the
#   ones below only, no cycle between files, the store's layout private;
#   the dashboard header out of step with dashboard.html
#   (util/gen-dashboard.pl --check).
#
# Prints FILE:LINE: PROBLEM for each finding; exits 1 if there is any.

set -e

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

status=0
perl util/layers.pl || status=1

# the dashboard's C header is generated from dashboard.html: in step
util/gen-dashboard.pl --check || { echo "lint: 1 finding(s)"; status=1; }

perl -e '
use strict;
use warnings;

my $found = 0;

sub finding {
    my ($file, $line, $what) = @_;
    print "$file:$line: $what\n";
    $found++;
}

# functions whose NULL result means "out of memory"
my $alloc = qr/\b(?:ngx_(?:palloc|pnalloc|pcalloc|pmemalign|alloc|calloc
                         |memalign|create_pool|create_temp_buf|calloc_buf
                         |alloc_chain_link|chain_get_free_buf|array_create
                         |array_push|array_push_n|list_create|list_push
                         |pool_cleanup_add|slab_alloc|slab_alloc_locked
                         |slab_calloc|slab_calloc_locked|http_session_alloc)
                 )\s*\(/x;

for my $file (sort glob("ngx_http_session_module/*.[ch]")) {
    open my $in, "<", $file or die "$file: $!\n";
    my @lines = <$in>;
    close $in;

    my $comment = 0;

    for my $i (0 .. $#lines) {
        my $n = $i + 1;
        my $l = $lines[$i];
        chomp $l;

        finding($file, $n, "line over 80 columns") if length($l) > 80;
        finding($file, $n, "tab") if $l =~ /\t/;
        finding($file, $n, "trailing space") if $l =~ /[ \t]$/;

        # code only: no string or character literals, no /* */ comments
        my $code = $l;
        $code =~ s/"(?:[^"\\]|\\.)*"/""/g;
        $code =~ s/\x27(?:[^\x27\\]|\\.)*\x27/\x27\x27/g;

        if ($comment) {
            if ($code =~ s{^.*?\*/}{}) {
                $comment = 0;
            } else {
                next;
            }
        }

        $code =~ s{/\*.*?\*/}{}g;

        if ($code =~ s{/\*.*$}{}) {
            $comment = 1;
        }

        finding($file, $n, "// comment") if $code =~ m{//};

        # VAR = allocation(...); then "if (VAR == NULL" or "if (VAR)"
        next unless $code =~ /^\s*([\w\->.\[\]*]+)\s*=\s*(?:\([\w\s*]+\)\s*)?$alloc/;

        my $var = $1;
        my $end = $i;
        $end++ while $end < $#lines && $lines[$end] !~ /;\s*(?:\/\*.*)?$/;

        my $next = $end + 1 <= $#lines ? $lines[$end + 1] : "";

        next if $next =~ /^\s*if \((?:\Q$var\E == NULL|\Q$var\E\)|!\Q$var\E\))/;

        finding($file, $n, "the result of the allocation into \"$var\" "
                           . "is not checked on the next line");
    }
}

for my $file (sort(glob("t/*.t"), glob("t/*.pm"))) {
    open my $in, "<", $file or die "$file: $!\n";
    my $n = 0;

    while (my $l = <$in>) {
        $n++;
        finding($file, $n, "--- ONLY left in") if $l =~ /^--- ONLY\s*$/;
        finding($file, $n, "--- LAST left in") if $l =~ /^--- LAST\s*$/;
        finding($file, $n, "master_on() left in") if $l =~ /^master_on\(\)/;
    }

    close $in;
}

if ($found) {
    print "lint: $found finding(s)\n";
    exit 1;
}

print "lint: ok\n";
' || status=1

exit $status
