# The state file in an operator's world, workers as www-data (issue 10,
# items 3, 4, 5 and 8):
#
#   - "nginx -t" reads no state file;
#   - who saves is decided by file locks, not pids: a forged header naming
#     a live process (pid 1) stops no save, nor does a saver killed in
#     the middle of a save whose pid another process then takes;
#   - nothing is written through a symbolic link or a hard link planted
#     in the state directory, a FIFO put in place of the file blocks
#     nothing; each is refused and said in the log;
#   - a sparse file of gigabytes is read no further than the zone could
#     take sessions from;
#   - with saves failing (a full disk), a logout since the last good save
#     sets the old file aside, so a restart cannot bring the session
#     back, and the failed save at exit is an [alert];
#   - the file is written by a thread of nginx's thread pool, not by
#     worker 0's event loop.
#
# The blocks depend on each other where a restart between two blocks is
# the point, so they run in order.

BEGIN { $ENV{TEST_NGINX_WORKER_USER} = 'www-data'; }

use t::TestSession 'no_plan';
use t::TestState;

use Digest::MD5 ();
use File::Path ();
use POSIX ();
use Time::HiRes ();

no_shuffle();
check_accum_error_log();

our $base = state_path('502');
our $tmpfs = "$base/tmpfs";
our $mounted;
our ($wuid, $wgid) = (getpwnam('www-data'))[2, 3];

sub fresh_dir {
    my ($path) = @_;

    File::Path::remove_tree($path);
    File::Path::make_path($path);
    chmod 0700, $path;
    chown $wuid, $wgid, $path;
}

sub mount_tmpfs {
    my ($opts) = @_;

    umount_tmpfs();
    File::Path::make_path($tmpfs);
    system("mount -t tmpfs -o $opts tmpfs $tmpfs 2>/dev/null") == 0
        or return 0;
    $mounted = 1;
    return 1;
}

sub umount_tmpfs {
    system("umount $tmpfs 2>/dev/null") if $mounted;
    $mounted = 0;
}

END { umount_tmpfs(); }

our $can_mount = mount_tmpfs('size=64k');
umount_tmpfs();

File::Path::remove_tree($base);
fresh_dir("$base/d");

sub zone_conf {
    my ($file, $size) = @_;
    $size //= '1m';
    return "    session_zone zone=s:$size timeout=1h state=$file;\n";
}

sub slurp {
    open my $fh, '<:raw', $_[0] or return undef;
    local $/;
    return scalar <$fh>;
}

sub spit {
    my ($path, $text) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $text;
    close $fh;
    chown $wuid, $wgid, $path;
    chmod 0600, $path;
}

sub error_log_text {
    return slurp($Test::Nginx::Util::ErrLogFile) // '';
}

# a state file of $n sessions of accounts "bulkN", with the test key
sub sessions_file {
    my ($path, $n) = @_;
    my $text = state_header();

    for my $i (1 .. $n) {
        $text .= session_line(sid => Digest::MD5::md5_hex("s$i"),
                              id => "bulk" . ($i % 100));
    }

    spit($path, $text . "end $n\n");
}

sub workers {
    return sort { $a <=> $b } t::TestState::children(nginx_pid());
}

# the pid holding a POSIX lock on the file, from /proc/locks
sub lock_owner {
    my ($path) = @_;
    my @st = stat $path or return 0;

    open my $fh, '<', '/proc/locks' or return 0;

    while (my $line = <$fh>) {
        return $1 if $line =~ /POSIX\s+ADVISORY\s+WRITE\s+(\d+)\s+
                                [0-9a-f]+:[0-9a-f]+:(\d+)\s/x
                     && $2 == $st[1];
    }

    return 0;
}

# write bytes of each thread of a process: { tid => wchar }
sub thread_writes {
    my ($pid) = @_;
    my %w;

    opendir my $dh, "/proc/$pid/task" or return {};

    for my $tid (grep { /^\d+$/ } readdir $dh) {
        my $io = slurp("/proc/$pid/task/$tid/io") // next;
        $w{$tid} = $1 if $io =~ /^wchar:\s*(\d+)/m;
    }

    return \%w;
}

# a process of our own with the given pid (it sleeps), or undef
sub take_pid {
    my ($want) = @_;

    # other processes fork too: try until one lands
    for (1 .. 3000) {
        open my $fh, '>', '/proc/sys/kernel/ns_last_pid' or return undef;
        print $fh $want - 1;
        close $fh;

        my $pid = fork();
        die "fork: $!" unless defined $pid;

        if ($pid == 0) {
            sleep 60;
            POSIX::_exit(0);
        }

        return $pid if $pid == $want;

        kill 'KILL', $pid;
        waitpid($pid, 0);
    }

    return undef;
}

sub wait_until {
    my ($cond, $timeout) = @_;
    my $until = Time::HiRes::time() + $timeout;

    while (Time::HiRes::time() < $until) {
        return 1 if $cond->();
        Time::HiRes::sleep(0.02);
    }

    return 0;
}

run_tests();

__DATA__

=== TEST 1: nginx -t reads no state file (it runs before every reload of systemd's)
--- post_setup_server_root
main::sessions_file("$::base/d/s.state", 3);
--- http_config eval: main::zone_conf("$::base/d/s.state")
--- tracking
--- request
GET /who
--- response_body_like: ^sid= account= pid=\d+$
--- after
my $count = () = main::error_log_text() =~ /sessions loaded from/g;
is($count, 1, 'the start loaded the file');

# nginx -t returns from main() before the cycle is kept anywhere, so
# LeakSanitizer (make test-asan) would list every configuration
# allocation as a leak: not for this one run
local $ENV{ASAN_OPTIONS} = "$ENV{ASAN_OPTIONS}:detect_leaks=0"
    if defined $ENV{ASAN_OPTIONS};
my $out = `$Test::Nginx::Util::NginxBinary -p $Test::Nginx::Util::ServRoot/ -c $Test::Nginx::Util::ConfFile -t 2>&1`;
like($out, qr/test is successful/, 'nginx -t: the configuration is good');

$count = () = main::error_log_text() =~ /sessions loaded from/g;
is($count, 1, 'nginx -t loaded nothing');



=== TEST 2: a forged header (pid 1, a recent epoch) stops no save
--- post_setup_server_root
main::sessions_file("$::base/d/s.state", 3);
--- http_config eval: main::zone_conf("$::base/d/s.state")
--- tracking
--- request
GET /login?sid=tok-f1&u=forged1
--- response_body
app
--- after
# an epoch after this nginx's start: a newer nginx, were pid 1 its writer
my $now = now_ms();
main::spit("$::base/d/s.state",
           "ngx_http_session_state 1 zone=s key=$STATE_KEY epoch=$now "
           . "pid=1 saved=$now\nend 0\n");

like(t::TestState::http_get('/login?sid=tok-f2&u=forged2'), qr/^app/,
     'a change after the forgery');

my $t = wait_state('502/d/s.state', sub { $_[0] =~ / forged2 / });
like($t, qr/ forged2 /, 'the zone saved over the forged file');
like($t, qr/ forged1 /, 'all of it');
unlike(main::error_log_text(), qr/a newer nginx/, 'and yielded to nobody');



=== TEST 3: a saver killed with -9 mid-save, its pid taken by another process: saves go on
--- post_setup_server_root
main::sessions_file("$::base/d/s.state", 60000);
--- http_config eval: main::zone_conf("$::base/d/s.state", '16m')
--- tracking
--- request
GET /login?sid=tok-k1&u=killed1
--- response_body
app
--- log_allows
[alert]
--- after
my $tmp = "$::base/d/s.state.tmp";
my $saver;
my $until = Time::HiRes::time() + 20;

while (!$saver && Time::HiRes::time() < $until) {
    t::TestState::http_get('/login?sid=tok-k' . int(rand(1e9)) . '&u=k');

    main::wait_until(sub { main::lock_owner($tmp) }, 2) or next;

    my $w = main::lock_owner($tmp) or next;
    kill 'STOP', $w;
    Time::HiRes::sleep(0.05);

    if (main::lock_owner($tmp) == $w) {
        $saver = $w;
        kill 'KILL', $w;
    } else {
        kill 'CONT', $w;
    }
}

ok($saver, 'worker 0 was killed in the middle of a save');

SKIP: {
    skip 'no save caught', 3 unless $saver;

    ok(main::wait_until(sub { !-e "/proc/$saver" }, 10),
       'the master reaped it');

    my $taker = main::take_pid($saver);
    ok($taker, "another process has pid $saver now");

    like(t::TestState::http_get('/login?sid=tok-k2&u=after2'), qr/^app/,
         'a change after the kill');

    my $t = wait_state('502/d/s.state', sub { $_[0] =~ / after2 / }, 10);
    like($t, qr/ after2 /, 'the new worker 0 saved it');

    if ($taker) {
        kill 'KILL', $taker;
        waitpid($taker, 0);
    }
}



=== TEST 4: a FILE.tmp symbolic link planted in the directory: its target is never written
--- post_setup_server_root
main::fresh_dir("$::base/d");
main::spit("$::base/target", "precious\n");
main::sessions_file("$::base/d/s.state", 3);
--- http_config eval: main::zone_conf("$::base/d/s.state")
--- tracking
--- request
GET /who
--- response_body_like: ^sid= account= pid=\d+$
--- log_allows
[error]
--- after
symlink "$::base/target", "$::base/d/s.state.tmp" or die "symlink: $!";

like(t::TestState::http_get('/login?sid=tok-l1&u=link1'), qr/^app/,
     'a change to save');

ok(main::wait_until(sub { main::error_log_text() =~ /saving the sessions failed: "\Q$::base\E\/d\/s\.state\.tmp" is not a regular file/ }, 5),
   'the save is refused, and said in the log');
is(main::slurp("$::base/target"), "precious\n", 'the target is untouched');
ok(-l "$::base/d/s.state.tmp", 'the link is left alone');
unlink "$::base/d/s.state.tmp";



=== TEST 5: the state file replaced by a symbolic link to a large file: nothing truncated, nothing replaced
--- post_setup_server_root
main::fresh_dir("$::base/d");
main::spit("$::base/big", 'x' x (5 * 1024 * 1024));
main::sessions_file("$::base/d/s.state", 3);
--- http_config eval: main::zone_conf("$::base/d/s.state")
--- tracking
--- request
GET /login?sid=tok-l2&u=link2
--- response_body
app
--- log_allows
[error]
--- after
# after the first save: that file is the one worker 0 would release
wait_state('502/d/s.state', sub { $_[0] =~ / link2 / });
unlink "$::base/d/s.state";
symlink "$::base/big", "$::base/d/s.state" or die "symlink: $!";

like(t::TestState::http_get('/login?sid=tok-l3&u=link3'), qr/^app/,
     'a change to save');

ok(main::wait_until(sub { main::error_log_text() =~ /saving the sessions failed: "\Q$::base\E\/d\/s\.state" is not a regular file/ }, 5),
   'the save is refused, and said in the log');
Time::HiRes::sleep(2);
is(-s "$::base/big", 5 * 1024 * 1024, 'the target keeps its size');
ok(-l "$::base/d/s.state", 'the link is not replaced');
unlink "$::base/d/s.state";



=== TEST 6: the state file replaced by a hard link to a large file: the other file keeps its bytes
--- post_setup_server_root
main::fresh_dir("$::base/d");
main::spit("$::base/d/big", 'y' x (5 * 1024 * 1024));
main::sessions_file("$::base/d/s.state", 3);
--- http_config eval: main::zone_conf("$::base/d/s.state")
--- tracking
--- request
GET /login?sid=tok-h1&u=hard1
--- response_body
app
--- after
wait_state('502/d/s.state', sub { $_[0] =~ / hard1 / });
unlink "$::base/d/s.state";
link "$::base/d/big", "$::base/d/s.state" or die "link: $!";

like(t::TestState::http_get('/login?sid=tok-h2&u=hard2'), qr/^app/,
     'a change to save');

my $t = wait_state('502/d/s.state', sub { $_[0] =~ / hard2 / });
like($t, qr/ hard2 /, 'saved');

# past the turns in which a replaced file used to be released
Time::HiRes::sleep(2);
is(-s "$::base/d/big", 5 * 1024 * 1024, 'the other name keeps its size');
is(substr(main::slurp("$::base/d/big"), 0, 4), 'yyyy', 'and its bytes');



=== TEST 7: a FIFO put in place of the state file blocks no worker
--- post_setup_server_root
main::fresh_dir("$::base/d");
main::sessions_file("$::base/d/s.state", 3);
--- http_config eval: main::zone_conf("$::base/d/s.state")
--- tracking
--- request
GET /login?sid=tok-p1&u=fifo1
--- response_body
app
--- log_allows
[error]
--- after
wait_state('502/d/s.state', sub { $_[0] =~ / fifo1 / });
unlink "$::base/d/s.state";
POSIX::mkfifo("$::base/d/s.state", 0600) or die "mkfifo: $!";
chown $::wuid, $::wgid, "$::base/d/s.state";

ok(main::wait_until(sub { main::error_log_text() =~ /saving the sessions failed: "\Q$::base\E\/d\/s\.state" is not a regular file/ }, 5),
   'refused, and said in the log');

my $ok = 0;
$ok += (t::TestState::http_get('/who') // '') =~ /^sid=/ ? 1 : 0
    for 1 .. 20;
is($ok, 20, 'both workers answer');
unlink "$::base/d/s.state";



=== TEST 8: a sparse file of 3 GB is read no further than the zone could take sessions from
--- post_setup_server_root
main::fresh_dir("$::base/d");
main::sessions_file("$::base/d/s.state", 2);
truncate "$::base/d/s.state", 3 * 1024 * 1024 * 1024 or die "truncate: $!";
--- http_config eval: main::zone_conf("$::base/d/s.state")
--- tracking
--- request
GET /who
--- response_body_like: ^sid= account= pid=\d+$
--- error_log eval
[
qr/\[warn\] .*state file "\Q$::base\E\/d\/s\.state" has 3221225472 bytes, more than the zone could take sessions from: only its first \d+ bytes are read/,
qr/\[notice\] .*: 2 sessions loaded from/,
]
--- log_allows
[error]
--- after
unlink "$::base/d/s.state";



=== TEST 9: zeros from the first byte: not a state file, refused at its first line
--- post_setup_server_root
main::fresh_dir("$::base/d");
main::spit("$::base/d/s.state", '');
truncate "$::base/d/s.state", 3 * 1024 * 1024 * 1024 or die "truncate: $!";
--- http_config eval: main::zone_conf("$::base/d/s.state")
--- tracking
--- request
GET /who
--- response_body_like: ^sid= account= pid=\d+$
--- error_log eval
qr/\[error\] .*"\Q$::base\E\/d\/s\.state" is not a usable session state file \(line 1: line too long\)/
--- log_allows
[error]
--- after
unlink "$::base/d/s.state";



=== TEST 10: saves fail on a full disk after a logout: the old file is set aside at [alert], the exit save fails at [alert]
--- skip_eval: 1: !$::can_mount
--- post_setup_server_root
main::mount_tmpfs('size=64k,mode=0755');
main::fresh_dir("$::tmpfs/sessions");
--- http_config eval: main::zone_conf("$::tmpfs/sessions/s.state")
--- tracking
--- request
GET /login?sid=tok-c&u=carol
--- response_body
app
--- log_allows
[error]
[alert]
--- after
my $f = "$::tmpfs/sessions/s.state";
like(wait_state('502/tmpfs/sessions/s.state', sub { $_[0] =~ / carol / }),
     qr/ carol /, 'carol is saved');

system("dd if=/dev/zero of=$::tmpfs/fill bs=1k count=64 2>/dev/null");

like(t::TestState::http_get('/x?logout=1', Cookie => 'SID=tok-c'),
     qr/^app/, 'carol logs out');
like(t::TestState::http_get('/who', Cookie => 'SID=tok-c'),
     qr/^sid= account= /, 'her session has ended');

ok(main::wait_until(sub { main::error_log_text() =~ /\[alert\] .*session zone "s": sessions were logged out since "\Q$f\E" was saved, and saving fails: it was renamed to "\Q$f\E\.old", so that a restart cannot bring them back/ }, 5),
   'the old file is set aside, at [alert]');
like(main::error_log_text(),
     qr/\[error\] .*session zone "s": saving the sessions failed: .*\(28: No space left on device\)/,
     'the failed save is logged');
ok(!-e $f, 'no state file');
ok(-e "$f.old", 'but s.state.old');

like(t::TestState::http_get('/login?sid=tok-d&u=dave'), qr/^app/,
     'a change the exit save would keep');

my $pid = nginx_pid();
kill 'TERM', $pid;
ok(wait_gone($pid), 'stopped');
like(main::error_log_text(),
     qr/\[alert\] .*session zone "s": the sessions could not be saved as nginx exits/,
     'the failed exit save is an [alert]');



=== TEST 11: ... and the next start brings back no session that ended
--- skip_eval: 1: !$::can_mount
--- http_config eval: main::zone_conf("$::tmpfs/sessions/s.state")
--- tracking
--- request
GET /who
--- more_headers
Cookie: SID=tok-c
--- response_body_like: ^sid= account= pid=\d+$
--- log_allows
[error]
--- after
main::umount_tmpfs();



=== TEST 12: the file is written by a thread of nginx's thread pool, not by the event loop
--- post_setup_server_root
main::fresh_dir("$::base/d");
main::sessions_file("$::base/d/s.state", 60000);
--- http_config eval: main::zone_conf("$::base/d/s.state", '16m')
--- tracking
--- request
GET /who
--- response_body_like: ^sid= account= pid=\d+$
--- after
my @w = main::workers();
my %before = map { $_ => main::thread_writes($_) } @w;

like(t::TestState::http_get('/login?sid=tok-t1&u=thread1'), qr/^app/,
     'a change to save');
like(wait_state('502/d/s.state', sub { $_[0] =~ / thread1 / }),
     qr/ thread1 /, 'saved');

my $size = -s "$::base/d/s.state";
my ($loop, $threads) = (0, 0);

# worker 0: the worker that wrote the most
for my $pid (@w) {
    my $after = main::thread_writes($pid);
    my ($l, $t) = (0, 0);

    for my $tid (keys %$after) {
        my $d = $after->{$tid} - ($before{$pid}{$tid} // 0);
        if ($tid == $pid) { $l = $d } else { $t += $d }
    }

    ($loop, $threads) = ($l, $t) if $l + $t > $loop + $threads;
}

cmp_ok($threads, '>=', $size, "a worker's pool threads wrote the file ($size bytes)");
cmp_ok($loop, '<', $size / 10, 'its event loop did not');
