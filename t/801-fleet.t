# The fleet with two real nginx nodes (Test::Nginx's nginx is node A,
# node B is started by the test with the same configuration) sharing a
# zone through a real, password-protected redis-server; two workers
# each.  design.md's "The fleet": the same view everywhere within a
# second, tokens made elsewhere recognized at once, last access and
# logout fleet-wide, a late node, no token in the engine.

use t::TestSession 'no_plan';
use t::TestFleet;
use JSON::PP ();

no_shuffle();

our $config = <<'_EOC_';
    location /app/ {
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $arg_u;
        add_header X-Logout $arg_lo;
        add_header X-Role $arg_role;
        return 200 "app\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_end $upstream_http_x_logout;
        session_account $upstream_http_x_user;
        session_var role $upstream_http_x_role;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "[$session_account] [$session_id] [$session_var_role]\n";
    }

    location = /Session {
        session_track off;
        session_admin 1;
        session_list s;
    }

    location /xmlmc/ {
        session_track off;
        session_key $cookie_SID;
        session_info s;
    }

    location = /dump {
        session_track off;
        session_admin 1;
        session_dump s;
    }

    location = /status {
        session_track off;
        session_admin 1;
        session_status s;
    }
_EOC_

our $http = fleet_conf(extra => 'keep_closed=1h');
our $http_short = fleet_conf(timeout => '4s');

sub get ($$;%) {
    my ($node, $uri, %h) = @_;
    my $res = $node eq 'a' ? a_get($uri, %h) : node_get(0, $uri, %h);
    return $res->{content} // '';
}

sub who ($$) {
    my ($node, $tok) = @_;
    return get($node, '/who', Cookie => "SID=$tok");
}

sub login ($$$;$) {
    my ($node, $tok, $user, $role) = @_;
    return get($node, "/login?t=$tok&u=$user&role=" . ($role // ''));
}

sub sid_of ($$) {
    my ($node, $tok) = @_;
    my ($sid) = who($node, $tok) =~ /\[([0-9a-f]{32})\]/;
    return $sid;
}

# the status list: sid => record, logged-out ones included
sub list ($) {
    my $node = shift;
    my (%all, $next);

    for (;;) {
        my $body = get($node, '/status?list=1&closed=1&limit=1000&format=json'
                              . (defined $next ? "&cursor=$next" : ''));
        my $d = eval { JSON::PP->new->decode($body) } or return {};
        $all{$_->{sid}} = $_ for @{ $d->{sessions} // [] };
        $next = $d->{next};
        last unless defined $next;
    }

    return \%all;
}

sub status ($) {
    my $node = shift;
    my $body = get($node, '/status?format=json');
    return eval { JSON::PP->new->decode($body) } // {};
}

engine_start();

run_tests();

__DATA__

=== TEST 1: made on A, known on B at once, with the same id, in every endpoint
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /login?t=tok-1&u=alice&role=admin
--- response_body
app
--- fleet
engine_cmd({}, 'FLUSHALL');
my $b = node_start(http_config => $::http, config => $::config);
ok(!$b->{error}, 'node B starts') or diag($b->{error});
wait_until { main::status('b')->{fleet}{resyncs}{total} } 5;
main::login('a', 'tok-2', 'bob');
my $a = main::who('a', 'tok-2');
like($a, qr/^\[bob\] \[[0-9a-f]{32}\] \[\]/, 'A knows its session');
is(main::who('b', 'tok-2'), $a, 'B knows it the moment after');
my $sid = main::sid_of('a', 'tok-2');
my $ok = wait_until { my $l = main::list('b'); $l->{$sid} && $l->{$sid}{account} eq 'bob' } 1;
ok($ok, "B lists A's session within a second");
my $dump = main::get('b', '/dump?listSessions=1');
my @ids = ($dump =~ /sid="$sid"/g);
is(scalar @ids, 1, "B's Zimbra dump holds it once, with A's id") or diag($dump);
my $cv = main::get('b', '/Session?userId=bob', Accept => 'application/json');
like($cv, qr/"userId":"bob"/, "B's Commvault list has it");
my $info = node_http(node_port(0), 'POST', '/xmlmc/session/',
                     Cookie => 'SID=tok-2',
                     body => '<methodCall service="session" method="getSessionInfo"/>');
like($info->{content}, qr{<sessionId>$sid</sessionId>}, "B's Hornbill info answers with it")
    or diag($info->{content});
like($info->{content}, qr/status="ok"/, 'as the caller\'s own session');
node_stop();



=== TEST 2: a token made on A a moment ago: B looks it up in the engine before calling it unknown
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /who
--- response_body
[] [] []
--- fleet
engine_cmd({}, 'FLUSHALL');
my $b = node_start(http_config => $::http, config => $::config);
wait_until { main::status('b')->{fleet}{resyncs}{total} } 5;
# the stream is made unusable: only the lookup can tell B of the session
engine_cmd({}, 'SET', 'session:log', 'not a stream');
main::login('a', 'tok-l', 'carol', 'user');
my $a = main::who('a', 'tok-l');
like($a, qr/^\[carol\] \[[0-9a-f]{32}\] \[user\]/, 'A knows it');
is(main::who('b', 'tok-l'), $a, 'B recognizes it at once');
my $st = main::status('b');
ok($st->{fleet}{lookups}{found} >= 1, 'through a lookup in the engine')
    or diag(JSON::PP->new->encode($st->{fleet}));
is(main::who('b', 'tok-unknown'), "[] [] []\n", 'a token nobody made stays unknown');
ok(main::status('b')->{fleet}{lookups}{total} >= 2, 'after asking the engine');
engine_cmd({}, 'DEL', 'session:log');
node_stop();
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 3: account, value and logout changes on B: A answers the same within a second
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /login?t=tok-3&u=dave&role=user
--- response_body
app
--- fleet
my $b = node_start(http_config => $::http, config => $::config);
wait_until { main::status('b')->{fleet}{resyncs}{total} } 5;
my $sid = main::sid_of('a', 'tok-3');
ok($sid, 'A made it');
main::get('b', '/work?u=dave2&role=admin', Cookie => 'SID=tok-3');
my $ok = wait_until { my $r = main::list('a')->{$sid};
                      $r && $r->{account} eq 'dave2' && $r->{vars}{role} eq 'admin' } 1;
ok($ok, "the account and the value B set are A's within a second")
    or diag(JSON::PP->new->encode(main::list('a')->{$sid}));
main::get('b', '/out?lo=1', Cookie => 'SID=tok-3');
$ok = wait_until { my $r = main::list('a')->{$sid}; $r && $r->{logout} } 1;
ok($ok, "B's logout ends it on A within a second");
is(main::who('a', 'tok-3'), "[] [] []\n", 'A no longer takes the token');
is(main::who('b', 'tok-3'), "[] [] []\n", 'nor does B');
my $s = main::status('a');
is($s->{sessions}{open}, 0, "A's status counts no open session");
node_stop();



=== TEST 4: last access is fleet-wide: a session used only on B does not expire on A; a logout on A ends it on B
--- http_config eval: $::http_short
--- config eval: $::config
--- request
GET /login?t=tok-4&u=erin
--- response_body
app
--- fleet
engine_cmd({}, 'FLUSHALL');
main::login('a', 'tok-4', 'erin');
my $b = node_start(http_config => $::http_short, config => $::config);
wait_until { main::status('b')->{fleet}{resyncs}{total} } 5;
my $sid = main::sid_of('b', 'tok-4');
ok($sid, 'B has it');
# 7 s of use on B only, with a timeout of 4 s
for (1 .. 7) {
    main::get('b', '/x', Cookie => 'SID=tok-4');
    Time::HiRes::sleep(1);
}
ok(main::list('a')->{$sid}, 'A still has it after 7 s, used only on B');
main::get('a', '/out?lo=1', Cookie => 'SID=tok-4');
my $ok = wait_until { main::who('b', 'tok-4') eq "[] [] []\n" } 1;
ok($ok, "A's logout ends it on B within a second");
node_stop();



=== TEST 5: a node that starts late has the whole view within seconds
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /who
--- response_body
[] [] []
--- fleet
engine_cmd({}, 'FLUSHALL');
for my $i (1 .. 300) {
    main::login('a', "late-$i", "user" . ($i % 7));
}
main::get('a', '/out?lo=1', Cookie => 'SID=late-1');
my %a = %{ main::list('a') };
is(scalar keys %a, 300, 'A holds 300 sessions, one logged out');
my $b = node_start(http_config => $::http, config => $::config);
my $ok = wait_until { scalar(keys %{ main::list('b') }) == 300 } 10;
ok($ok, 'B, started late, lists all of them');
my %b = %{ main::list('b') };
my @diff = grep { !$b{$_} || $b{$_}{account} ne $a{$_}{account}
                  || !!$b{$_}{logout} ne !!$a{$_}{logout} } keys %a;
is(scalar @diff, 0, 'the same sessions, accounts and logouts');
ok(main::status('b')->{fleet}{resyncs}{sessions} >= 300, 'read from the engine');
node_stop();



=== TEST 6: no token ever reaches the engine or the logs
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /who
--- response_body
[] [] []
--- fleet
engine_cmd({}, 'FLUSHALL');
my $b = node_start(http_config => $::http, config => $::config);
wait_until { main::status('b')->{fleet}{resyncs}{total} } 5;
my @toks = map { "SeCrEtToKeN-$_-" . ('q' x 20) } 1 .. 20;
for my $i (0 .. $#toks) {
    main::login($i % 2 ? 'a' : 'b', $toks[$i], "u$i", 'r');
    main::get($i % 2 ? 'b' : 'a', '/y', Cookie => "SID=$toks[$i]");
}
main::get('a', '/out?lo=1', Cookie => "SID=$toks[0]");
Time::HiRes::sleep(1.5);
# everything the engine holds, as the engine saves it
my $r = engine_cmd({}, 'SAVE');
is($r, 'OK', 'the engine saved its data');
my $file = fleet_dir() . '/engine-' . engine_port() . '/dump.rdb';
open my $fh, '<', $file or die "$file: $!";
binmode $fh;
my $rdb = do { local $/; <$fh> };
close $fh;
ok(length $rdb > 1000, 'the dump holds the sessions');
like($rdb, qr/u19/, 'account names are in it, uncompressed');
my @found = grep { index($rdb, $_) >= 0 || index($rdb, substr($_, 0, 16)) >= 0 } @toks;
is(scalar @found, 0, 'no token, nor the start of one, is in it');
my @keys = engine_keys('*');
ok(scalar(@keys) >= 21, 'sessions, the stream, the epoch');
my $text = join "\n", @keys;
for my $k (@keys) {
    my $t = engine_cmd({}, 'TYPE', $k);
    my $v = $t eq 'hash' ? engine_cmd({}, 'HGETALL', $k)
          : $t eq 'stream' ? engine_cmd({}, 'XRANGE', $k, '-', '+')
          : engine_cmd({}, 'GET', $k);
    $text .= JSON::PP->new->allow_nonref->encode($v);
}
@found = grep { index($text, substr($_, 0, 16)) >= 0 } @toks;
is(scalar @found, 0, 'nor in any key or value read back');
my $logs = node_log() . a_log();
@found = grep { index($logs, substr($_, 0, 16)) >= 0 } @toks;
is(scalar @found, 0, 'nor in either node\'s log');
unlike($logs, qr/\Q$t::TestFleet::PASSWORD\E/, 'the password is in no log');
node_stop();



=== TEST 7: the status has the fleet, in JSON and in Prometheus's format
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /login?t=tok-7&u=fay
--- response_body
app
--- fleet
my $s = main::status('a');
my $f = $s->{fleet};
is($f->{state}, 'up', 'the engine is up');
like($f->{engine}, qr/^127\.0\.0\.1:\d+$/, 'named by its address');
like($f->{node}, qr/^[0-9a-f]{16}$/, 'the node id');
ok($f->{changes}{sent} >= 1, 'changes sent');
ok(exists $f->{stream}{lag_ms} && exists $f->{lookups}{hit_rate}
   && exists $f->{resyncs}{total} && exists $f->{changes}{queued}, 'every figure')
    or diag(JSON::PP->new->encode($f));
my $p = main::get('a', '/status?format=prometheus');
like($p, qr/^nginx_session_fleet_up\{zone="s"\} 1$/m, 'Prometheus: up');
like($p, qr/^nginx_session_fleet_changes_sent_total\{zone="s"\} [1-9]/m, 'changes sent');
like($p, qr/^# TYPE nginx_session_fleet_lag_seconds gauge$/m, 'lag');



=== TEST 8: the worker that follows the stream dies: another takes its lease; a reload hands the lease to a new worker
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /who
--- response_body
[] [] []
--- fleet
my $b = node_start(http_config => $::http, config => $::config);
wait_until { main::status('b')->{fleet}{resyncs}{total} } 5;
my $leader = main::status('a')->{fleet}{leader_pid};
ok($leader, "A's leader is $leader");
kill 'KILL', $leader;
my $next = wait_until { my $p = main::status('a')->{fleet}{leader_pid};
                        $p && $p != $leader && kill(0, $p) ? $p : 0 } 8;
ok($next, "another worker took the lease ($next)");
main::login('b', 'tok-8a', 'gus');
ok((wait_until { main::list('a')->{ main::sid_of('b', 'tok-8a') } } 2),
   "A follows B's changes again");
my $master = do { local @ARGV = ($Test::Nginx::Util::PidFile); <> };
chomp $master;
kill 'HUP', $master;
my $after = wait_until { my $p = main::status('a')->{fleet}{leader_pid};
                         $p && $p != $next && kill(0, $p) ? $p : 0 } 8;
ok($after, "after a reload a new worker follows ($after)");
main::login('b', 'tok-8b', 'hal');
ok((wait_until { main::list('a')->{ main::sid_of('b', 'tok-8b') } } 2),
   "and A still follows B's changes");
like(main::who('a', 'tok-8a'), qr/\[gus\]/, 'the sessions survived the reload');
node_stop();
--- no_error_log
[crit]
[emerg]



=== TEST 9: a node whose follower fell behind the stream's cut (the engine numbers the entries) reads the engine whole
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /who
--- response_body
[] [] []
--- fleet
my $b = node_start(http_config => $::http, config => $::config);
wait_until { main::status('b')->{fleet}{resyncs}{total} } 5;
my $leader = main::status('b')->{fleet}{leader_pid};
ok($leader, "B's follower is $leader");
kill 'STOP', $leader;
main::login('a', "cut-$_", "cutter$_") for 1 .. 5;
Time::HiRes::sleep(0.3);
main::login('a', "cut-$_", "cutter$_") for 6 .. 10;
# the stream is cut past what B may have read, as a long one is cut
# when an entry is added: one more comes after the cut
engine_cmd({}, 'XTRIM', 'session:log', 'MAXLEN', '0');
main::login('a', 'cut-11', 'cutter11');
kill 'CONT', $leader;
my $ok = wait_until { my $l = main::list('b');
                      11 == grep { $_->{account} =~ /^cutter/ } values %$l } 8;
ok($ok, 'B has all eleven sessions');
like(node_log(), qr/missed changes the stream no longer holds: it reads the engine whole/,
     'after noticing the gap');
node_stop();



=== TEST 10: as an operator runs it: node B's workers as nobody, the secret and the password 0600 root, read by the master
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /login?t=tok-10&u=olga
--- response_body
app
--- fleet
SKIP: {
    skip 'needs root to start workers as another user', 4 if $> != 0;
    is((stat(t::TestFleet::secret_file()))[2] & 07777, 0600, 'the secret is 0600');
    my $b = node_start(http_config => $::http, config => $::config, user => 'nobody nogroup');
    ok(!$b->{error}, 'node B starts with workers as nobody') or diag($b->{error});
    my @users = map { (split)[1] } grep { (split)[2] != 1 }
                `ps -o pid=,user=,ppid= --ppid $b->{pid}`;
    ok(@users && !grep({ $_ ne 'nobody' } @users), "B's workers run as nobody (@users)");
    ok((wait_until { main::who('b', 'tok-10') =~ /^\[olga\] \[[0-9a-f]{32}\]/ } 5),
       'and share the sessions');
    node_stop();
}
