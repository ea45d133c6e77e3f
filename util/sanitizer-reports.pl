#!/usr/bin/perl
# Reads the ASan/UBSan/LSan report files of a test-asan run (log_path)
# and says which ones fail the run:
#
#   - every AddressSanitizer error (overflow, use after free, ...) and
#     every UndefinedBehaviorSanitizer report fails, wherever it is
#     (nginx core's own known UB is kept out by util/ubsan.supp);
#   - a LeakSanitizer record fails when its allocation stack holds a
#     frame of the module (ngx_http_session_*) or a frame that cannot be
#     named; nginx core's own leaks
#     (the startup pool of a master that gave up on a busy port, ...)
#     are listed and not counted.
#
# Usage: sanitizer-reports.pl FILE...    exit 1 when anything fails

use strict;
use warnings;

# a frame of the module, or one nobody can name (a module unloaded
# before the report was written): never taken for nginx core
my $module = qr{\bngx_http_session_\w+|/ngx_http_session_module/
                |<unknown\ module>}x;

my (@fail, @core_leaks);

for my $file (@ARGV) {
    open my $fh, '<', $file or die "$file: $!\n";
    my @lines = <$fh>;
    close $fh;

    (my $test = $file) =~ s{.*/report-?}{};
    $test =~ s/\.\d+$//;
    $test = 'outside a test block' if $test eq '' || $test =~ /^\d+$/;

    my $i = 0;
    while ($i < @lines) {
        my $line = $lines[$i];

        if ($line =~ /ERROR: LeakSanitizer/) {
            $i++;
            while ($i < @lines && $lines[$i] !~ /^SUMMARY:/) {
                if ($lines[$i] =~ /^(Direct|Indirect) leak of/) {
                    my @rec = ($lines[$i++]);
                    while ($i < @lines && $lines[$i] =~ /^\s+#\d+/) {
                        push @rec, $lines[$i++];
                    }
                    my $rec = join '', @rec;
                    if ($rec =~ $module) {
                        push @fail, ["leak in the module ($test)", $rec];
                    } else {
                        push @core_leaks, ["nginx core leak ($test)", $rec];
                    }
                    next;
                }
                $i++;
            }
            $i++;
            next;
        }

        if ($line =~ /ERROR: AddressSanitizer|runtime error:/) {
            my @rec;
            while ($i < @lines) {
                push @rec, $lines[$i];
                last if $lines[$i++] =~ /^SUMMARY:/;
            }
            my ($what) = $line =~ /(AddressSanitizer: \S+|runtime error: .*)/;
            push @fail, ["$what ($test)", join '', @rec];
            next;
        }

        $i++;
    }
}

for my $r (@core_leaks) {
    my ($top) = grep { !/^(?:__interceptor_\w+|malloc|calloc|realloc|posix_memalign|ngx_alloc|ngx_calloc|ngx_memalign)$/ }
                ($r->[1] =~ /^\s+#\d+ \S+ in (\S+)/mg);
    print "not counted: $r->[0], allocated in ", $top // '?', "\n";
}

for my $r (@fail) {
    print "\n=== FAIL: $r->[0]\n$r->[1]";
}

printf "\nsanitizer reports: %d failing, %d nginx core leak(s) not counted\n",
       scalar @fail, scalar @core_leaks;

exit(@fail ? 1 : 0);
