# The fleet when things go wrong: the engine killed mid-test and brought
# back empty, a wrong password, a server on the port that does not speak
# the protocol, garbage, huge and cut replies, an engine that never
# answers, keys under the prefix written by someone else.  Proxied
# traffic goes on untouched, tracking goes on locally, one [error] per
# change of state names the engine, nothing is lost, nothing crashes.

use t::TestSession 'no_plan';
use t::TestFleet;
use JSON::PP ();
use Time::HiRes ();

no_shuffle();

our $config = <<'_EOC_';
    location /app/ {
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $arg_u;
        add_header X-Logout $arg_lo;
        return 200 "app\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_end $upstream_http_x_logout;
        session_account $upstream_http_x_user;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "[$session_account] [$session_id]\n";
    }

    location = /status {
        session_track off;
        session_admin 1;
        session_status s;
    }
_EOC_

our $http = fleet_conf(fleet => 'timeout=300ms');
our $http_closed = fleet_conf(extra => 'keep_closed=1h',
                              fleet => 'timeout=300ms');

our $fake = engine_port() + 10;

sub fake_conf () {
    return fleet_conf(engine => "127.0.0.1:$fake", fleet => 'timeout=300ms');
}

sub get ($$;%) {
    my ($node, $uri, %h) = @_;
    my $res = $node eq 'a' ? a_get($uri, %h) : node_get(0, $uri, %h);
    return $res->{content} // '';
}

sub who ($$) {
    my ($node, $tok) = @_;
    return get($node, '/who', Cookie => "SID=$tok");
}

sub status ($) {
    my $node = shift;
    my $body = get($node, '/status?format=json');
    return eval { JSON::PP->new->decode($body) } // {};
}

# requests keep being served, each well within the fleet's timeout
sub served ($$) {
    my ($node, $what) = @_;
    my $t0 = Time::HiRes::time();
    my $ok = 1;
    for my $i (1 .. 5) {
        $ok &&= get($node, "/p$i", Cookie => "SID=nobody-$i") eq "app\n";
    }
    my $took = Time::HiRes::time() - $t0;
    ok($ok, "$what: proxied requests answered");
    ok($took < 5 * 0.3 + 1, "$what: none waited past the timeout ($took s)");
}

# the worker processes of node A are the ones it started with
sub a_workers () {
    my $pid = do { local @ARGV = ($Test::Nginx::Util::PidFile); <> };
    chomp $pid;
    return join ' ', sort map { (split)[0] }
        grep { (split)[1] == $pid } `ps -eo pid=,ppid=`;
}

engine_start();

run_tests();

__DATA__

=== TEST 1: the engine killed mid-test, brought back empty: traffic untouched, tracking local, one line per change of state, nothing lost, a logout made meanwhile not revived
--- http_config eval: $::http_closed
--- config eval: $::config
--- request
GET /login?t=tok-1&u=alice
--- response_body
app
--- log_allows
[error]
--- fleet
my $b = node_start(http_config => $::http_closed, config => $::config);
ok((wait_until { main::who('b', 'tok-1') =~ /alice/ } 5), 'B has A\'s session');
my $workers = main::a_workers();

engine_stop();
served('a', 'engine down, A');
served('b', 'engine down, B');

main::get('a', '/login?t=tok-2&u=bob');
like(main::who('a', 'tok-2'), qr/\[bob\]/, 'A tracks a new session locally');
main::get('b', '/out?lo=1', Cookie => 'SID=tok-1');
is(main::who('b', 'tok-1'), "[] []\n", 'B logs tok-1 out locally');
like(main::who('a', 'tok-1'), qr/alice/, 'A, cut off, still has it open');

my $s = main::status('a');
isnt($s->{fleet}{state}, 'up', "A's status: the engine is not up");
ok($s->{fleet}{changes}{queued} >= 1, "A's status: changes wait for it")
    or diag(JSON::PP->new->encode($s->{fleet}));

engine_start();

ok((wait_until { main::who('b', 'tok-2') =~ /bob/ } 8),
   'B has the session A made while the engine was down');
ok((wait_until { main::who('a', 'tok-1') eq "[] []\n" } 8),
   'the logout B made meanwhile wins on A');
Time::HiRes::sleep(1.5);
is(main::who('a', 'tok-1'), "[] []\n", 'and is not revived');
ok(engine_cmd({}, 'EXISTS', 'session:epoch'), 'the engine has an epoch again');
is(scalar(engine_keys('session:s:*')), 2, 'and both sessions, put back');

for my $log (a_log(), node_log()) {
    my @down = ($log =~ /is unavailable for zone "s"/g);
    is(scalar @down, 1, 'one [error] line for the engine going away');
    like($log, qr/\[error\] .*the engine at 127\.0\.0\.1:\d+ is unavailable/,
         'naming the engine');
    my @up = ($log =~ /is up again for zone "s"/g);
    is(scalar @up, 1, 'one line for its return');
}
is(main::a_workers(), $workers, 'A runs the workers it started with');
node_stop();
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 2: a wrong password: a clear error, once; tracking goes on locally
--- http_config eval
t::TestFleet::fleet_conf(password_file => t::TestFleet::password_file('wrong-one'), fleet => 'timeout=300ms')
--- config eval: $::config
--- request
GET /login?t=tok-w&u=wendy
--- response_body
app
--- wait: 1
--- log_allows
[error]
--- fleet
like(main::who('a', 'tok-w'), qr/wendy/, 'the session is tracked locally');
served('a', 'wrong password');
my $f = main::status('a')->{fleet};
is($f->{state}, 'authentication failed', 'the status says why');
like($f->{last_error}, qr/WRONGPASS/, 'in the engine\'s words');
my @lines = (a_log() =~ /is unavailable for zone "s": WRONGPASS/g);
is(scalar @lines, 1, 'one line, not one per retry or worker');
unlike(a_log(), qr/wrong-one/, 'the password is not logged');
--- error_log eval
qr/\[error\] .*the engine at 127\.0\.0\.1:\d+ is unavailable for zone "s": WRONGPASS/
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 3: a server on the port that does not speak the protocol (HTTP)
--- http_config eval: main::fake_conf()
--- config eval: $::config
--- post_setup_server_root
t::TestFleet::fake_start("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", port => $::fake, seconds => 20);
--- request
GET /login?t=tok-h&u=hal
--- response_body
app
--- wait: 1
--- log_allows
[error]
--- fleet
like(main::who('a', 'tok-h'), qr/hal/, 'tracked locally');
served('a', 'HTTP on the port');
is(main::status('a')->{fleet}{state}, 'not a Redis-protocol server', 'the status says so');
fake_stop($::fake);
--- error_log eval
qr/\[error\] .*the engine at 127\.0\.0\.1:\d+ is unavailable for zone "s": Protocol error/
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 4: a reply announcing a hundred million elements
--- http_config eval: main::fake_conf()
--- config eval: $::config
--- post_setup_server_root
t::TestFleet::fake_start("*100000000\r\n:1\r\n", port => $::fake, seconds => 20);
--- request
GET /login?t=tok-e&u=eve
--- response_body
app
--- wait: 1
--- log_allows
[error]
--- fleet
like(main::who('a', 'tok-e'), qr/eve/, 'tracked locally');
served('a', 'a huge array');
fake_stop($::fake);
--- error_log eval
qr/is unavailable for zone "s": a reply larger than the limit/
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 5: a bulk string of 20 MB, sent whole
--- http_config eval: main::fake_conf()
--- config eval: $::config
--- post_setup_server_root
t::TestFleet::fake_start('$' . (20 * 1024 * 1024) . "\r\n" . ('x' x (20 * 1024 * 1024)) . "\r\n", port => $::fake, seconds => 20);
--- request
GET /login?t=tok-b&u=bill
--- response_body
app
--- wait: 2
--- log_allows
[error]
--- fleet
like(main::who('a', 'tok-b'), qr/bill/, 'tracked locally');
served('a', 'a huge string');
ok((wait_until { a_log() =~ /is unavailable for zone "s": a reply larger than the limit/ } 5),
   'refused as too large') or diag(join "\n", grep { /fleet/ } split /\n/, a_log());
fake_stop($::fake);
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 6: a reply cut in the middle, and garbage
--- http_config eval: main::fake_conf()
--- config eval: $::config
--- post_setup_server_root
t::TestFleet::fake_start("\$10\r\nabc", port => $::fake, seconds => 20, close => 1);
--- request
GET /login?t=tok-c&u=cut
--- response_body
app
--- wait: 1
--- log_allows
[error]
--- fleet
like(main::who('a', 'tok-c'), qr/cut/, 'tracked locally');
served('a', 'a cut reply');
ok((wait_until { a_log() =~ /is unavailable for zone "s": the engine closed the connection/ } 5),
   'a closed connection') or diag(join "\n", grep { /fleet/ } split /\n/, a_log());
fake_stop($::fake);
fake_start("\x00\x01\x02garbage\r\n", port => $::fake, seconds => 20);
ok((wait_until { a_log() =~ /is unavailable for zone "s": Protocol error/ } 5),
   'garbage is a protocol error');
served('a', 'garbage');
fake_stop($::fake);
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 7: an engine that never answers: no request waits longer than the timeout
--- http_config eval: main::fake_conf()
--- config eval: $::config
--- post_setup_server_root
t::TestFleet::fake_start(undef, port => $::fake, seconds => 30);
--- request
GET /login?t=tok-n&u=nora
--- response_body
app
--- wait: 2
--- log_allows
[error]
--- fleet
like(main::who('a', 'tok-n'), qr/nora/, 'tracked locally');
served('a', 'a silent engine');
my $f = main::status('a')->{fleet};
is($f->{state}, 'unreachable', 'the status says so');
like($f->{last_error}, qr/within the timeout/, 'and why');
fake_stop($::fake);
--- error_log eval
qr/is unavailable for zone "s": no connection and answer within the timeout/
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 8: a slow engine: lookups give up at the timeout, the requests go on
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /who
--- response_body
[] []
--- fleet
my $pid = fork;
if ($pid == 0) {
    t::TestFleet::engine_cmd({}, 'DEBUG', 'SLEEP', '1.5');
    POSIX::_exit(0);
}
Time::HiRes::sleep(0.2);
my $t0 = Time::HiRes::time();
my $w = main::who('a', 'tok-unknown');
my $took = Time::HiRes::time() - $t0;
waitpid $pid, 0;
is($w, "[] []\n", 'an unknown token stays unknown');
ok($took < 1.2, "the request waited at most about the timeout ($took s)");
ok((wait_until { main::status('a')->{fleet}{lookups}{timeouts} >= 1 } 3),
   'the status counts it');
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 9: keys under the prefix written by someone else: refused, counted, no session lost
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /login?t=tok-k&u=kim
--- response_body
app
--- log_allows
[error]
--- fleet
engine_cmd({}, 'SET', 'session:s:00000000000000000000000000000000', 'a string');
engine_cmd({}, 'HSET', 'session:s:11111111111111111111111111111111', 't', '<bad type>', 'c', '1', 'l', '2');
engine_cmd({}, 'HSET', 'session:s:22222222222222222222222222222222', 'x', 'y');
engine_cmd({}, 'HSET', 'session:s:33333333333333333333333333333333', 't', 'soap', 'c', '99999999999999999999999', 'l', '1');
engine_cmd({}, 'HSET', 'session:s:not-hex', 't', 'soap', 'c', '1', 'l', '2');
engine_cmd({}, 'XADD', 'session:log', '*', 'node', 'intruder', 'kind', 'r', 'sid', 'zz');
my $b = node_start(http_config => $::http, config => $::config);
ok(!$b->{error}, 'B starts') or diag($b->{error});
ok((wait_until { main::who('b', 'tok-k') =~ /kim/ } 5), "A's session reaches B");
ok((wait_until { main::status('b')->{fleet}{rejected} >= 4 } 5),
   "B counts what it refused")
    or diag(JSON::PP->new->encode(main::status('b')->{fleet}));
main::get('b', '/login?t=tok-k2&u=kai');
ok((wait_until { main::who('a', 'tok-k2') =~ /kai/ } 3), 'and goes on replicating');
like(node_log(), qr/\[error\] .*session fleet: zone "s", engine at 127\.0\.0\.1:\d+: /,
     'an [error] says what was refused');
unlike(node_log() . a_log(), qr/\[alert\]|signal/, 'no crash');
node_stop();
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 10: an ACL user limited to the fleet's keys (user=): it works; the same user under another prefix is refused, clearly
--- post_setup_server_root
t::TestFleet::engine_flush();
t::TestFleet::engine_cmd({}, 'ACL', 'SETUSER', 'fleetuser', 'reset', 'on', '>acl-pw-2718', '~session:*', '&*', '+@all');
--- http_config eval
t::TestFleet::fleet_conf(password_file => t::TestFleet::password_file('acl-pw-2718'), fleet => 'user=fleetuser timeout=300ms')
--- config eval: $::config
--- request
GET /login?t=tok-acl&u=ann
--- response_body
app
--- log_allows
[error]
--- fleet
ok((wait_until { scalar(engine_keys('session:s:*')) == 1 } 3), 'the session reached the engine');
is(main::status('a')->{fleet}{state}, 'up', 'the user is in');
my $b = node_start(http_config => t::TestFleet::fleet_conf(password_file => t::TestFleet::password_file('acl-pw-2718'), fleet => 'user=fleetuser prefix=other: timeout=300ms'), config => $::config);
main::get('b', '/login?t=tok-acl2&u=bea');
like(main::who('b', 'tok-acl2'), qr/bea/, 'B tracks locally');
ok((wait_until { node_log() =~ /NOPERM/ } 5), 'a prefix outside the user\'s keys: NOPERM, said')
    or diag(node_log());
node_stop();
engine_cmd({}, 'ACL', 'DELUSER', 'fleetuser');
--- no_error_log
[alert]
[crit]
[emerg]
