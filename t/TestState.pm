package t::TestState;

# Helpers of the state file tests (t/500-state*.t): the directory the
# state files live in (outside t/servroot, which Test::Nginx wipes
# between blocks), writing and reading state files, and extra block
# sections run after a block's requests, while its nginx still runs:
#
#   --- after        Perl code (package main), e.g. checks on the file
#   --- stop_term    stop nginx with TERM ("nginx -s stop") and wait
#   --- kill9        kill -9 the master and its workers at once
#
# Load it after t::TestSession.

use strict;
use warnings;

use Cwd ();
use Exporter 'import';
use File::Path ();
use HTTP::Tiny ();
use POSIX ();
use Test::More;
use Time::HiRes ();

our @EXPORT = qw(state_path clean_state write_state read_state wait_state
                 state_mode now_ms state_header session_line http_get
                 nginx_pid wait_gone $STATE_KEY);

# a fixed key for the files the tests write themselves
our $STATE_KEY = '00112233445566778899aabbccddeeff';

my $dir = Cwd::abs_path('t') . '/servroot-state';

File::Path::make_path($dir);
$ENV{TEST_NGINX_STATE_DIR} = $dir;

sub state_path ($) {
    return "$dir/$_[0]";
}

sub clean_state (@) {
    for my $name (@_) {
        unlink state_path($name), state_path("$name.tmp");
    }
}

sub write_state ($$;$) {
    my ($name, $text, $mode) = @_;
    my $path = state_path($name);

    open my $fh, '>', $path or die "cannot write $path: $!";
    binmode $fh;
    print $fh $text;
    close $fh;

    chmod(defined $mode ? $mode : 0600, $path);
}

sub read_state ($) {
    my $path = state_path($_[0]);

    open my $fh, '<', $path or return undef;
    binmode $fh;
    local $/;
    my $text = <$fh>;
    close $fh;

    return $text;
}

sub state_mode ($) {
    my @st = stat state_path($_[0]);
    return @st ? $st[2] & 07777 : undef;
}

# polls until the file exists and $ok->($text) holds, at most $timeout s
sub wait_state ($$;$) {
    my ($name, $ok, $timeout) = @_;
    my $until = Time::HiRes::time() + ($timeout // 8);

    for (;;) {
        my $text = read_state($name);
        return $text if defined $text && $ok->($text);
        return $text if Time::HiRes::time() > $until;
        Time::HiRes::sleep(0.1);
    }
}

sub now_ms () {
    return int(Time::HiRes::time() * 1000);
}

sub state_header (;$$) {
    my ($zone, $version) = @_;
    $zone //= 's';
    $version //= 1;

    return "ngx_http_session_state $version zone=$zone key=$STATE_KEY "
           . "epoch=1 pid=1 saved=1\n";
}

# one session line; %s: sid, type, id, name, created, last, logout,
# addr, requests, vars (already escaped "name=value" strings)
sub session_line (%) {
    my %s = @_;
    my $now = now_ms();

    return join(' ', 's', $s{sid}, $s{type} // 'soap', $s{id} // '-',
                $s{name} // $s{id} // '-', $s{created} // $now - 60000,
                $s{last} // $now - 1000, $s{logout} // 0,
                $s{addr} // '127.0.0.1', $s{requests} // 1,
                @{ $s{vars} // [] }) . "\n";
}

sub http_get ($;%) {
    my ($uri, %headers) = @_;
    my $port = Test::Nginx::Util::server_port();

    my $res = HTTP::Tiny->new(timeout => 5)->get(
                  "http://127.0.0.1:$port$uri", { headers => \%headers });

    return $res->{content};
}

sub nginx_pid () {
    my $file = $Test::Nginx::Util::PidFile;

    open my $fh, '<', $file or return undef;
    my $pid = <$fh>;
    close $fh;

    chomp $pid if defined $pid;

    return $pid;
}

sub children ($) {
    my $ppid = shift;
    my @kids;

    opendir my $dh, '/proc' or return ();

    for my $p (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$p/stat" or next;
        my $stat = <$fh>;
        close $fh;

        # pid (comm) state ppid ...
        push @kids, $p if defined $stat && $stat =~ /\)\s+\S+\s+(\d+)/ && $1 == $ppid;
    }

    closedir $dh;

    return @kids;
}

sub wait_gone (@) {
    my @pids = @_;
    my $until = Time::HiRes::time() + 10;

    while (Time::HiRes::time() < $until) {
        return 1 unless grep { kill 0, $_ } @pids;
        Time::HiRes::sleep(0.05);
    }

    return 0;
}

Test::Nginx::Util::add_test_cleanup_handler(sub {
    my $block = shift;
    my $name = $block->name;

    if (defined(my $code = $block->after)) {
        my $ok = eval "package main; no strict; $code; 1";
        fail("$name - after: $@") unless $ok;
    }

    if (defined $block->stop_term) {
        my $pid = nginx_pid();
        kill 'TERM', $pid if $pid;
        ok(wait_gone($pid), "$name - nginx stopped by TERM");
    }

    if (defined $block->kill9) {
        my $pid = nginx_pid();
        my @all = ($pid, children($pid));
        kill 'KILL', @all;
        ok(wait_gone(@all), "$name - master and workers killed");
    }
});

1;
