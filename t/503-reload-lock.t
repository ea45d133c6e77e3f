# The master never hangs on a zone's lock during a reload (issue 10 item
# 2).  A reload that keeps a zone registers its custom session types in
# it under the zone lock, and one that resizes it copies the old zone's
# sessions in batches under its lock, while the old workers still use
# the zone.  A worker is stopped (SIGSTOP) at a moment it holds that
# lock, as the lock word itself shows (the zone's first word, read
# through /proc/PID/mem): two hundred thousand sessions loaded from a
# state file all expire a few seconds after the start, so worker 0's
# sweeper holds the lock most of the time for a while.  Then:
#
#   - it stays stopped: the reload is refused after a bounded wait with
#     an [emerg] naming the holder, and the running workers serve on once
#     the holder runs again;
#   - it is killed with -9 while the master waits for the lock: the
#     master, which blocks SIGCHLD while it reads the new configuration,
#     recovers the lock as nginx recovers a dead worker's, the reload
#     completes with the sessions, and nginx stops;
#   - the same in a reload that resizes the zone.
#
# Workers run as www-data, as Debian runs them.

BEGIN { $ENV{TEST_NGINX_WORKER_USER} = 'www-data'; }

use t::TestSession 'no_plan';
use t::TestState;

use Digest::MD5 ();
use File::Path ();
use Time::HiRes ();

no_shuffle();
check_accum_error_log();

# a size no other mapping of nginx has: the zone is found by it
our $zone_bytes = 24 * 1024 * 1024;
our $sessions = 200000;

our $file = '503/s.state';
our $path = state_path($file);

File::Path::remove_tree(state_path('503'));
File::Path::make_path(state_path('503'));
chmod 0700, state_path('503');
chown((getpwnam('www-data'))[2, 3], state_path('503'));

# sessions that all expire together, five seconds from now
sub write_sessions {
    my $due = now_ms() - 3600 * 1000 + 5000;
    my $text = state_header();

    for my $i (1 .. $sessions) {
        $text .= session_line(sid => Digest::MD5::md5_hex($i),
                              id => "user" . ($i % 500),
                              created => $due - 60000, last => $due);
    }

    write_state($file, $text . "end $sessions\n");
    chown((getpwnam('www-data'))[2, 3], $path);
}

# the address of the zone's mapping in a worker
sub zone_base {
    my ($pid) = @_;
    no warnings 'portable';

    open my $fh, '<', "/proc/$pid/maps" or return undef;

    while (my $line = <$fh>) {
        if ($line =~ /^([0-9a-f]+)-([0-9a-f]+) rw-s /
            && hex($2) - hex($1) == $zone_bytes)
        {
            return hex($1);
        }
    }

    return undef;
}

# the pid that holds the zone lock, 0 for none
sub lock_holder {
    my ($mem, $base) = @_;

    sysseek($mem, $base, 0) or return undef;
    sysread($mem, my $word, 8) == 8 or return undef;

    return unpack('Q<', $word);
}

sub proc_state {
    my ($pid) = @_;

    open my $fh, '<', "/proc/$pid/stat" or return '';
    my $stat = <$fh>;

    return $stat =~ /\)\s+(\S)/ ? $1 : '';
}

sub wait_stopped {
    my ($pid) = @_;

    for (1 .. 200) {
        return 1 if proc_state($pid) eq 'T';
        Time::HiRes::sleep(0.001);
    }

    return 0;
}

sub worker_pids {
    return sort { $a <=> $b } t::TestState::children(nginx_pid());
}

# a worker stopped while it holds the zone lock, or undef
sub stop_a_holder {
    my @workers = worker_pids();
    my %mem;
    my ($base, $tries) = (undef, 0);

    for my $w (@workers) {
        $base //= zone_base($w);
        open $mem{$w}, '<:raw', "/proc/$w/mem" or return undef;
    }

    return undef unless defined $base;

    my ($any) = @workers;
    my $until = Time::HiRes::time() + 15;

    while (Time::HiRes::time() < $until) {
        my $h = lock_holder($mem{$any}, $base) // 0;

        next unless $mem{$h};

        kill 'STOP', $h;
        $tries++;

        if (wait_stopped($h) && (lock_holder($mem{$h}, $base) // 0) == $h) {
            Test::More::note("stopped holding the lock at try $tries");
            return $h;
        }

        kill 'CONT', $h;
    }

    return undef;
}

sub error_log_text {
    open my $fh, '<', $Test::Nginx::Util::ErrLogFile or return '';
    local $/;
    return scalar <$fh>;
}

sub wait_log {
    my ($re, $timeout) = @_;
    my $until = Time::HiRes::time() + $timeout;

    while (Time::HiRes::time() < $until) {
        return 1 if error_log_text() =~ $re;
        Time::HiRes::sleep(0.05);
    }

    return 0;
}

# the running configuration with another zone size, for the next reload
sub resize_zone {
    my ($size) = @_;
    my $conf = $Test::Nginx::Util::ConfFile;

    open my $in, '<', $conf or die "$conf: $!";
    my $text = do { local $/; <$in> };
    close $in;

    $text =~ s/zone=s:\w+/zone=s:$size/ or die "no zone in $conf";

    open my $out, '>', $conf or die "$conf: $!";
    print $out $text;
    close $out;
}

# the master and its workers, killed if they outlived the test
sub kill_all {
    my ($master, @others) = @_;
    my @all = grep { kill 0, $_ }
              ($master, @others, t::TestState::children($master));

    kill 'CONT', @all;
    kill 'KILL', @all;
}

our $config = <<'_EOC_';
    location /app/ {
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $arg_u;
        return 200 "app\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user;
        session_type portal;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "[$session_account]\n";
    }

    location = /list {
        session_status s;
        session_admin 1;
    }
_EOC_

our $http_config = "    session_zone zone=s:24m timeout=1h state=$path;\n";

run_tests();

__DATA__

=== TEST 1: a reload while a stopped worker holds the zone lock is refused, the running workers serve on
--- post_setup_server_root
main::write_sessions();
--- http_config eval: $::http_config
--- config eval: $::config
--- request
GET /login?t=tok-r1&u=r1
--- response_body
app
--- log_allows
[emerg]
--- after
my $master = nginx_pid();
my @before = main::worker_pids();
my $holder = main::stop_a_holder();

ok($holder, 'a worker was stopped while it held the zone lock');

if ($holder) {
    kill 'HUP', $master;

    ok(main::wait_log(qr/\[emerg\] .*session zone "s" has been locked by process $holder for more than 3000 ms, so the new configuration is not applied/, 15),
       'the reload is refused, naming the holder');

    kill 'CONT', $holder;

    is(t::TestState::http_get('/who', Cookie => 'SID=tok-r1'), "[r1]\n",
       'the running workers serve on');
    is_deeply([main::worker_pids()], \@before, 'with the same workers');
}

kill 'CONT', @before;



=== TEST 2: a worker killed with -9 while it holds the lock during a reload: the master recovers the lock, reloads, and stops
--- post_setup_server_root
main::write_sessions();
--- http_config eval: $::http_config
--- config eval: $::config
--- request
GET /login?t=tok-r2&u=r2
--- response_body
app
--- log_allows
[alert]
--- after
my $master = nginx_pid();
my @before = main::worker_pids();
my $holder = main::stop_a_holder();

ok($holder, 'a worker was stopped while it held the zone lock');

if ($holder) {
    kill 'HUP', $master;

    # the master waits for the lock now; the holder dies meanwhile
    Time::HiRes::sleep(0.5);
    kill 'KILL', $holder;

    ok(main::wait_log(qr/\[alert\] .*session zone "s" was locked by process $holder, which died holding it: unlocked/, 10),
       'the master recovered the dead holder\'s lock');

    my $until = Time::HiRes::time() + 10;
    my @now;

    while (Time::HiRes::time() < $until) {
        @now = grep { my $w = $_; !grep { $_ == $w } @before }
               main::worker_pids();
        last if @now >= 2;
        Time::HiRes::sleep(0.1);
    }

    is(scalar @now, 2, 'the reload started new workers');
    is(t::TestState::http_get('/who', Cookie => 'SID=tok-r2'), "[r2]\n",
       'the sessions are kept');
}

kill 'TERM', $master;
my $stopped = t::TestState::wait_gone($master);
ok($stopped, 'nginx stops');
main::kill_all($master, @before) unless $stopped;



=== TEST 3: the same during a reload that resizes the zone: the copy of its sessions recovers the lock
--- post_setup_server_root
main::write_sessions();
--- http_config eval: $::http_config
--- config eval: $::config
--- request
GET /login?t=tok-r3&u=r3
--- response_body
app
--- log_allows
[alert]
--- after
my $master = nginx_pid();
my @before = main::worker_pids();
my $holder = main::stop_a_holder();

ok($holder, 'a worker was stopped while it held the zone lock');

if ($holder) {
    main::resize_zone('25m');
    kill 'HUP', $master;

    Time::HiRes::sleep(0.5);
    kill 'KILL', $holder;

    ok(main::wait_log(qr/\[alert\] .*session zone "s" was locked by process $holder, which died holding it: unlocked/, 10),
       'the master recovered the dead holder\'s lock');
    ok(main::wait_log(qr/session zone "s" resized, \d+ sessions carried over/, 10),
       'and copied the sessions');
    is(t::TestState::http_get('/who', Cookie => 'SID=tok-r3'), "[r3]\n",
       'the sessions are kept');
}

kill 'TERM', $master;
my $stopped = t::TestState::wait_gone($master);
ok($stopped, 'nginx stops');
main::kill_all($master, @before) unless $stopped;
