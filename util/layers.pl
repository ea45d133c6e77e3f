#!/usr/bin/perl
# The module's file graph, checked by make lint (util/lint.sh):
#
#   - every source file has a layer in the table below, and a file uses
#     (calls, or names as a handler) the functions of its own layer and
#     of the layers below it only;
#   - no cycle between files, through functions or #includes;
#   - the store's layout (ngx_http_session_shm.h) is included by the
#     store's files only.
#
# A file "uses" another when it names a function that the other defines
# and does not declare static (or a macro of a header that does so).
# docs/architecture.md explains the layers.
#
# Usage: util/layers.pl [--print]   (--print: the edges, one a line)
# Prints FILE: PROBLEM for each finding; exits 1 if there is any.

use strict;
use warnings;

my $dir = 'ngx_http_session_module';

# lower layers first; a file may use its layer and the ones before it
my @layers = (
    [ common => qw(util.c escape.c common.h) ],
    [ store => qw(lock.c index.c store.c zone.c update.c import.c read.c
                  apply.c check.c top.c hold.h store.h shm.h) ],
    [ fleet => qw(redis.c engine.c fleet_codec.c fleet_put.c fleet_sync.c
                  fleet.c fleet_lookup.c fleet_conf.c engine.h fleet.h) ],
    [ state => qw(state_codec.c state_load.c state_io.c state_save.c
                  state_dir.c
                  state.h) ],
    [ track => qw(cookie.c track.c track_fleet.c variables.c track.h) ],
    [ endpoints => qw(stream.c body.c endpoint.c zimbra_parse.c zimbra.c
                      hornbill_parse.c hornbill.c commvault.c
                      status_parse.c status.c status_fleet.c dashboard.c
                      dashboard_page.h endpoint.h) ],
    [ login => qw(extract.c jwks.c field.c jwt.c response.c login.c
                  login.h) ],
    [ conf => qw(conf.c) ],
    [ module => qw(module.c) ],
);

# the state file and tracking are side by side: neither uses the other
my %apart = (state => 'track', track => 'state');

my (%rank, %layer);

for my $i (0 .. $#layers) {
    my ($name, @files) = @{ $layers[$i] };

    for my $f (@files) {
        $rank{"ngx_http_session_$f"} = $i;
        $layer{"ngx_http_session_$f"} = $name;
    }
}

my $print = @ARGV && $ARGV[0] eq '--print';
my $found = 0;

sub finding {
    print "$_[0]: $_[1]\n";
    $found++;
}

# code without comments and string literals

sub code {
    my ($text) = @_;

    $text =~ s{/\*.*?\*/}{ }gs;
    $text =~ s/"(?:[^"\\\n]|\\.)*"/""/g;
    $text =~ s/'(?:[^'\\\n]|\\.)*'/''/g;

    return $text;
}

my (%src, %defines);

for my $path (sort glob("$dir/*.[ch]")) {
    (my $f = $path) =~ s{.*/}{};
    $f =~ s/\.[ch]$/$&/;

    open my $in, '<', $path or die "$path: $!\n";
    local $/;
    $src{$f} = <$in>;
    close $in;

    finding($f, "no layer: add it to the table in util/layers.pl")
        unless defined $rank{$f};

    my $code = code($src{$f});

    # function definitions: a type line, then NAME( at the line start
    while ($code =~ /^([^\n]*)\n(ngx_http_session_\w+)\(/mg) {
        my ($type, $name) = ($1, $2);
        next if $type =~ /^static\b/ && $f =~ /\.c$/;
        next if $type =~ /^\s/ || $type =~ /[;{}]\s*$/;
        $defines{$name} = $f;
    }

    # macros of headers that stand for a call
    if ($f =~ /\.h$/) {
        while ($code =~ /^#define\s+(ngx_http_session_\w+)\(/mg) {
            $defines{$1} //= $f;
        }
    }
}

# a macro that calls another file's function uses that file
my %macro_uses;

for my $f (grep { /\.h$/ } keys %src) {
    my $code = code($src{$f});

    while ($code =~ /^#define\s+(ngx_http_session_\w+)\([^)]*\)((?:[^\n]*\\\n)*[^\n]*)/mg) {
        my ($name, $body) = ($1, $2);
        for my $id ($body =~ /\b(ngx_http_session_\w+)\b/g) {
            my $d = $defines{$id};
            $macro_uses{$name}{$d} = $id if defined $d && $d ne $f
                                            && $d =~ /\.c$/;
        }
    }
}

my %edges;   # $edges{from}{to} = the name that ties them

for my $f (sort keys %src) {
    my $code = code($src{$f});

    while ($src{$f} =~ /^#include\s+"([^"]+)"/mg) {
        $edges{$f}{$1} = '#include';
    }

    # a header's prototypes use nothing: its macros count where used
    next if $f =~ /\.h$/;

    for my $id ($code =~ /\b(ngx_http_session_\w+)\b/g) {
        my $d = $defines{$id};
        next unless defined $d;

        if ($d =~ /\.h$/ && $macro_uses{$id}) {
            for my $to (keys %{ $macro_uses{$id} }) {
                $edges{$f}{$to} //= "$id -> $macro_uses{$id}{$to}"
                    if $to ne $f;
            }
            next;
        }

        next if $d eq $f || $d =~ /\.h$/;
        $edges{$f}{$d} //= $id;
    }
}

for my $f (sort keys %edges) {
    for my $to (sort keys %{ $edges{$f} }) {
        my $why = $edges{$f}{$to};

        print "$f -> $to ($why)\n" if $print;

        next unless defined $rank{$f} && defined $rank{$to};

        if ($to eq 'ngx_http_session_shm.h' && $layer{$f} ne 'store') {
            finding($f, "includes the store's private layout ($to)");
        }

        if ($rank{$to} > $rank{$f}
            || ($apart{ $layer{$f} } // '') eq $layer{$to})
        {
            finding($f, "the $layer{$f} layer uses the $layer{$to} layer: "
                        . "$to ($why)");
        }
    }
}

# cycles: Tarjan's strongly connected components

my ($index, @stack, %on, %idx, %low) = (0);

sub visit {
    my ($v) = @_;

    $idx{$v} = $low{$v} = $index++;
    push @stack, $v;
    $on{$v} = 1;

    for my $w (sort keys %{ $edges{$v} // {} }) {
        if (!defined $idx{$w}) {
            visit($w);
            $low{$v} = $low{$w} if $low{$w} < $low{$v};

        } elsif ($on{$w}) {
            $low{$v} = $idx{$w} if $idx{$w} < $low{$v};
        }
    }

    return if $low{$v} != $idx{$v};

    my @scc;
    my $w;

    do {
        $w = pop @stack;
        $on{$w} = 0;
        push @scc, $w;
    } while ($w ne $v);

    return if @scc == 1;

    my %in = map { $_ => 1 } @scc;
    my @ties;

    for my $a (sort @scc) {
        for my $b (sort keys %{ $edges{$a} }) {
            push @ties, "$a -> $b ($edges{$a}{$b})" if $in{$b};
        }
    }

    finding(join(', ', sort @scc), "a cycle: " . join('; ', @ties));
}

for my $f (sort keys %src) {
    visit($f) unless defined $idx{$f};
}

if ($found) {
    print "layers: $found finding(s)\n";
    exit 1;
}

print "layers: ok, no cycle\n";
