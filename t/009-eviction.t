# Eviction: a full zone makes room by dropping logged-out sessions kept
# by keep_closed first, then the least recently used open ones; the
# newest sessions stay, and a worker warns at most once every 10 s.
#
# The zone is the smallest there is (8 pages, 32k): about 160 sessions
# with no account and no variables, but only about 30 with two long
# variables (a 512-byte block each), so a block fills it in a hundred
# requests.  The requests of a block go down one connection (pipelined),
# so one worker serves them all and its warning is logged exactly once.

use t::TestSession 'no_plan';
use t::TestState;

our $Config = <<'_EOC_';
    session_track s;
    session_key $arg_k;
    session_account $arg_id;
    session_end $arg_out;
    session_var a $arg_v;
    session_var b $arg_v;

    location = /login {
        session_create $arg_new;
        return 200 "in\n";
    }

    location = /logout {
        return 200 "out\n";
    }

    location = /who {
        return 200 "sid=$session_id account=$session_account\n";
    }

    location = /Session {
        session_track off;
        session_admin 1;
        session_list s;
    }
_EOC_

# 250 bytes: two of them fill a session's 512-byte variable block
our $V = "v=" . ("x" x 250);

our $Full = qr/session zone "s" is full: \d+ least recently used sessions evicted \(\d+ since start\); enlarge the zone/;

# every response's check reads the whole log: the requests of a block
# are all served before the first response is checked
check_accum_error_log();

# and they are all in the log by then: no need to wait before each check
$Test::Nginx::Util::TestNginxSleep = 0.003;

run_tests();

__DATA__

=== TEST 1: the newest sessions stay, the oldest go, one warning
--- http_config
    session_zone zone=s:32k;
--- config eval: $::Config
--- pipelined_requests eval
[(map { "GET /login?new=e$_&$::V" } 1..100),
 "GET /who?k=e100", "GET /who?k=e99", "GET /who?k=e90", "GET /who?k=e50",
 "GET /who?k=e2", "GET /who?k=e1"]
--- response_body_like eval
[(map { "in" } 1..100),
 qr/^sid=[0-9a-f]{32} /, qr/^sid=[0-9a-f]{32} /, qr/^sid=[0-9a-f]{32} /,
 qr/^sid= /, qr/^sid= /, qr/^sid= /]
--- grep_error_log eval: $::Full
--- grep_error_log_out eval
qr/\A[^\n]+\n\z/
--- no_error_log
[error]
[alert]
[crit]



=== TEST 2: sessions with accounts: evicted sessions leave their accounts
--- http_config
    session_zone zone=s:32k;
--- config eval: $::Config
--- pipelined_requests eval
[(map { "GET /login?new=e$_&id=u" . ($_ % 3) . "&$::V" } 1..100),
 "GET /who?k=e100", "GET /who?k=e1",
 map { "GET /Session?userId=u$_" } 0..2]
--- more_headers
Accept: application/json
--- response_body_like eval
[(map { "in" } 1..100),
 qr/^sid=[0-9a-f]{32} account=u1\n/, qr/^sid= account=\n/,
 map { qr/"sessions":\[\{/ } 0..2]
--- json eval
[(map { undef } 1..102),
 map { '@{$_->{sessions}} > 3 && @{$_->{sessions}} < 30' } 0..2]
--- grep_error_log eval: $::Full
--- grep_error_log_out eval
qr/\A[^\n]+\n\z/
--- no_error_log
[error]
[alert]
[crit]



=== TEST 3: logged-out sessions go first, then the least recently used open ones
The zone holds about 160 sessions: 150 logged out and 130 open ones make
it drop logged-out ones only; 100 more drop the open ones that were used
least recently (the lookups of "oldest", "e1" and "e130" made them recent).
--- http_config
    session_zone zone=s:32k keep_closed=10m;
--- config eval: $::Config
--- pipelined_requests eval
["GET /login?new=oldest",
 (map { ("GET /login?new=c$_", "GET /logout?k=c$_&out=1") } 1..150),
 (map { "GET /login?new=e$_" } 1..130),
 "GET /who?k=oldest", "GET /who?k=e1", "GET /who?k=e130",
 (map { "GET /login?new=f$_" } 1..100),
 "GET /who?k=e2", "GET /who?k=e50", "GET /who?k=oldest", "GET /who?k=e130",
 "GET /who?k=f1", "GET /who?k=f100"]
--- response_body_like eval
["in", (map { ("in", "out") } 1..150), (map { "in" } 1..130),
 qr/^sid=[0-9a-f]{32} /, qr/^sid=[0-9a-f]{32} /, qr/^sid=[0-9a-f]{32} /,
 (map { "in" } 1..100),
 qr/^sid= /, qr/^sid= /, qr/^sid=[0-9a-f]{32} /, qr/^sid=[0-9a-f]{32} /,
 qr/^sid=[0-9a-f]{32} /, qr/^sid=[0-9a-f]{32} /]
--- grep_error_log eval: $::Full
--- grep_error_log_out eval
qr/\A[^\n]+\n\z/
--- no_error_log
[error]
[alert]
[crit]



=== TEST 4: a flood: each warning counts the evictions since the worker's previous one, and the total
The first warning comes with the first eviction; the next one, at least 10 s
later, counts all the evictions in between, not only its own request's.
Both floods go down one keep-alive connection, so one worker logs both.
--- http_config
    session_zone zone=s:32k;
--- config eval
$::Config . <<'_EOC_';
    location = /status {
        session_track off;
        session_admin 1;
        session_status s;
    }
_EOC_
--- init
my $http = HTTP::Tiny->new(keep_alive => 1);
my $url = "http://127.0.0.1:$Test::Nginx::Util::ServerPort/login?new=";
$http->get("$url" . "a$_") for 1 .. 300;
select(undef, undef, undef, 10.5);
$http->get("$url" . "b$_") for 1 .. 300;
--- request
GET /status
--- response_body_like chomp
"evicted": \d+
--- grep_error_log eval
qr/is full: \d+ least recently used sessions evicted \(\d+ since start\)/
--- grep_error_log_out eval
qr/\Ais full: (\d+) least recently used sessions evicted \((\d+) since start\)\nis full: (\d+) least recently used sessions evicted \((\d+) since start\)\n\z/
--- no_error_log
[error]
[alert]
[crit]
--- after
open my $fh, '<', $Test::Nginx::Util::ErrLogFile or die "error log: $!";
my $log = do { local $/; <$fh> };
my @n = ($log =~ /is full: (\d+) least recently used sessions evicted \((\d+) since start\)/g);
is(scalar @n, 4, 'two warnings');
is($n[0], $n[1], 'the first counts all evictions so far');
is($n[2], $n[3] - $n[1], 'the second counts those since the first');
ok($n[2] > 100, "the second counts the flood ($n[2]), not one request");
my $status = http_get("/status");
my ($total) = $status =~ /"evicted": (\d+)/;
my ($open) = $status =~ /"sessions": \{"open": (\d+)/;
ok($n[3] <= $total && $total == 600 - $open,
   "the totals agree with the status endpoint's ($n[3] <= $total)");
