# session_zone state=FILE: sessions survive a restart; a missing,
# corrupt, truncated or foreign file is reported and never stops nginx;
# the file holds no token and is mode 0600; expired sessions are not
# loaded; logged-out sessions keep their logout time.
#
# The blocks depend on each other (a restart between two blocks is the
# point), so they run in order.

use t::TestSession 'no_plan';
use t::TestState;

no_shuffle();
check_accum_error_log();

clean_state(qw(500-missing.state 500-main.state 500-expired.state
               500-corrupt.state 500-cut.state 500-noend.state
               500-v2.state 500-junk.state 500-other.state
               500-clock.state));

our $dir = $ENV{TEST_NGINX_STATE_DIR};
our (%who, $carol_logout, $closed_logout);

sub zone_conf {
    my ($file, $more) = @_;

    return "    session_zone zone=s:1m timeout=1h keep_closed=1h\n"
           . "                 state=$dir/$file;\n" . ($more // '');
}

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
        session_var note $http_x_note;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location /p/ {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_type portal;
        session_account $upstream_http_x_user;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "[$session_account] [$session_var_note] [$session_type] [$session_id] [$session_created]\n";
    }

    location = /Session {
        session_track off;
        session_admin 1;
        session_list s;
    }
_EOC_

# sids of the sessions the tests write themselves
sub sid { sprintf "%032x", 0xabc000 + shift }

run_tests();

__DATA__

=== TEST 1: no state file: nginx starts empty and writes one, mode 0600
--- post_setup_server_root
t::TestState::write_state('500-missing.state.tmp', "left by a crash\n", 0644);
--- http_config eval: main::zone_conf('500-missing.state')
--- config eval: $::config
--- request
GET /who
--- response_body
[] [] [] [] []
--- error_log eval
qq{session zone "s": no state file "$::dir/500-missing.state" yet, the zone starts empty}
--- no_error_log
[error]
[alert]
[crit]
[emerg]
--- after
my $t = wait_state('500-missing.state', sub { $_[0] =~ /^end 0$/m });
like($t, qr/\Angx_http_session_state 1 zone=s key=[0-9a-f]{32} epoch=\d+ pid=\d+ saved=\d+\n/,
     'a new file: its header');
like($t, qr/\nend 0\n\z/, 'a new file: no sessions');
is(sprintf('%o', state_mode('500-missing.state')), '600', 'a new file: mode 0600');
ok(!-e state_path('500-missing.state.tmp'), 'the temporary file was renamed');



=== TEST 2: sessions are saved, with digests and the key but no token
--- http_config eval: main::zone_conf('500-main.state')
--- config eval: $::config
--- request eval
["GET /login?t=tok-alice-SECRET1&u=alice",
 "GET /login?t=tok-anon-SECRET2",
 "GET /p/login?t=tok-pat-SECRET3&u=pat",
 "GET /login?t=tok-carol-SECRET4&u=carol",
 "GET /out?lo=1",
 "GET /who"]
--- more_headers eval
["X-Note: a b=c%d \xc3\xbc", "", "", "",
 "Cookie: SID=tok-carol-SECRET4",
 "Cookie: SID=tok-alice-SECRET1"]
--- response_body_like eval
["^app\n\\z", "^app\n\\z", "^app\n\\z", "^app\n\\z", "^app\n\\z",
 "^\\[alice\\] \\[a b=c%d \xc3\xbc\\] \\[soap\\] \\[[0-9a-f]{32}\\] \\[\\d+\\]\n\\z"]
--- no_error_log
[error]
[alert]
[crit]
[emerg]
--- after
my $t = wait_state('500-main.state', sub {
    (() = $_[0] =~ /^s /mg) == 4 && $_[0] =~ /^s \S+ soap carol - \d+ \d+ [1-9]/m
});
like($t, qr/\Angx_http_session_state 1 zone=s key=[0-9a-f]{32} /,
     'saved: a header with the key');
unlike($t, qr/SECRET/, 'saved: no token in the file');
is(sprintf('%o', state_mode('500-main.state')), '600', 'saved: mode 0600');
like($t, qr/^s [0-9a-f]{32} soap alice - \d+ \d+ 0 127\.0\.0\.1 2 note=a%20b%3Dc%25d%20%C3%BC$/m,
     'saved: an account with an escaped variable');
like($t, qr/^s [0-9a-f]{32} soap - - \d+ \d+ 0 127\.0\.0\.1 1$/m,
     'saved: a session without an account');
like($t, qr/^s [0-9a-f]{32} portal pat - /m, 'saved: a custom type');
like($t, qr/\nend 4\n\z/, 'saved: the end line counts the sessions');
($carol_logout) = $t =~ /^s \S+ soap carol - \d+ \d+ (\d+) /m;
for my $tok (qw(tok-alice-SECRET1 tok-anon-SECRET2 tok-pat-SECRET3)) {
    $who{$tok} = t::TestState::http_get('/who', Cookie => "SID=$tok");
}
like($who{'tok-anon-SECRET2'}, qr/^\[\] \[\] \[soap\] \[[0-9a-f]{32}\]/,
     'the anonymous session is live');



=== TEST 3: after a restart the sessions are back: ids, times, variables, logout
--- http_config eval: main::zone_conf('500-main.state')
--- config eval: $::config
--- request eval
["GET /who", "GET /who", "GET /who", "GET /who",
 "GET /Session?userId=carol"]
--- more_headers eval
["Cookie: SID=tok-alice-SECRET1", "Cookie: SID=tok-anon-SECRET2",
 "Cookie: SID=tok-pat-SECRET3", "Cookie: SID=tok-carol-SECRET4",
 "Accept: application/json"]
--- response_body_like eval
["^\\[alice\\] \\[a b=c%d \xc3\xbc\\] \\[soap\\] \\[[0-9a-f]{32}\\] \\[\\d+\\]\n\\z",
 "^\\[\\] \\[\\] \\[soap\\] \\[[0-9a-f]{32}\\] \\[\\d+\\]\n\\z",
 "^\\[pat\\] \\[\\] \\[portal\\] \\[[0-9a-f]{32}\\] \\[\\d+\\]\n\\z",
 "^\\[\\] \\[\\] \\[\\] \\[\\] \\[\\]\n\\z",
 "\"logoutTime\":[1-9]"]
--- json eval
[undef, undef, undef, undef,
 '@{$_->{sessions}} == 1 && $_->{sessions}[0]{logoutTime} == int($main::carol_logout / 1000)']
--- error_log eval
qq{session zone "s": 4 sessions loaded from "$::dir/500-main.state" (0 expired, 0 not taken, 0 bad lines)}
--- no_error_log
[error]
[alert]
[crit]
[emerg]
--- after
for my $tok (sort keys %who) {
    is(t::TestState::http_get('/who', Cookie => "SID=$tok"), $who{$tok},
       "$tok: the same session id, account, type and creation time");
}
my $t = wait_state('500-main.state', sub { $_[0] =~ /^s \S+ soap carol - \d+ \d+ [1-9]/m });
my ($logout) = $t =~ /^s \S+ soap carol - \d+ \d+ (\d+) /m;
is($logout, $carol_logout, 'a logged-out session keeps its logout time');



=== TEST 4: expired sessions are not loaded; a readable file is reported
--- post_setup_server_root
my $now = t::TestState::now_ms();
$main::closed_logout = $now - 60000;
t::TestState::write_state('500-expired.state',
    t::TestState::state_header()
    . t::TestState::session_line(sid => main::sid(1), id => 'fresh')
    . t::TestState::session_line(sid => main::sid(2), id => 'stale',
                                 last => $now - 7200000)
    . t::TestState::session_line(sid => main::sid(3), id => 'gone',
                                 logout => $now - 7200000)
    . t::TestState::session_line(sid => main::sid(4), id => 'closed',
                                 logout => $main::closed_logout)
    . "end 4\n", 0644);
--- http_config eval: main::zone_conf('500-expired.state')
--- config eval: $::config
--- request eval
["GET /Session?userId=fresh", "GET /Session?userId=stale",
 "GET /Session?userId=gone", "GET /Session?userId=closed"]
--- more_headers
Accept: application/json
--- response_body_like eval
[("\"sessions\"") x 4]
--- json eval
['@{$_->{sessions}} == 1 && $_->{sessions}[0]{logoutTime} == 0',
 '@{$_->{sessions}} == 0',
 '@{$_->{sessions}} == 0',
 '@{$_->{sessions}} == 1 && $_->{sessions}[0]{logoutTime} == int($main::closed_logout / 1000)']
--- error_log eval
[qq{session zone "s": 2 sessions loaded from "$::dir/500-expired.state" (2 expired, 0 not taken, 0 bad lines)},
 qq{state file "$::dir/500-expired.state" is readable by others than its owner}]
--- no_error_log
[error]
[alert]
[crit]
[emerg]



=== TEST 5: a corrupt file: bad lines reported and skipped, good ones loaded
--- post_setup_server_root
t::TestState::write_state('500-corrupt.state',
    t::TestState::state_header()
    . t::TestState::session_line(sid => main::sid(11), id => 'good1')
    . "garbage here\n"
    . t::TestState::session_line(sid => 'zz' . main::sid(12), id => 'badsid')
    . t::TestState::session_line(sid => main::sid(13), id => 'bad%G1')
    . "s " . main::sid(14) . " soap\n"
    . t::TestState::session_line(sid => main::sid(15), id => 'good2',
                                 vars => ['host=a%20b'])
    . "end 6\n");
--- http_config eval: main::zone_conf('500-corrupt.state')
--- config eval: $::config
--- request eval
["GET /Session?userId=good1", "GET /Session?userId=good2"]
--- more_headers
Accept: application/json
--- response_body_like eval
[("\"sessions\"") x 2]
--- json eval
['@{$_->{sessions}} == 1 && $_->{sessions}[0]{user}{userId} eq "good1"',
 '@{$_->{sessions}} == 1 && $_->{sessions}[0]{host} eq "a b"']
--- error_log eval
[qq{state file "$::dir/500-corrupt.state", line 3 skipped: unknown line},
 qq{state file "$::dir/500-corrupt.state", line 4 skipped: bad session id},
 qq{state file "$::dir/500-corrupt.state", line 5 skipped: bad account id},
 qq{state file "$::dir/500-corrupt.state", line 6 skipped: missing fields},
 qq{session zone "s": 2 sessions loaded from "$::dir/500-corrupt.state" (0 expired, 0 not taken, 4 bad lines)}]
--- no_error_log
[alert]
[crit]
[emerg]
--- after
my $t = wait_state('500-corrupt.state', sub { $_[0] =~ /\nend 2\n\z/ });
like($t, qr/\nend 2\n\z/, 'the damaged file is replaced by a clean one');
unlike($t, qr/garbage|badsid|bad%G1/, 'without the bad lines');



=== TEST 6: a file cut inside a line: the lines before it are loaded
--- post_setup_server_root
my $cut = t::TestState::session_line(sid => main::sid(23), id => 'cut3');
t::TestState::write_state('500-cut.state',
    t::TestState::state_header()
    . t::TestState::session_line(sid => main::sid(21), id => 'cut1')
    . t::TestState::session_line(sid => main::sid(22), id => 'cut2')
    . substr($cut, 0, 60));
--- http_config eval: main::zone_conf('500-cut.state')
--- config eval: $::config
--- request eval
["GET /Session?userId=cut1", "GET /Session?userId=cut2",
 "GET /Session?userId=cut3"]
--- more_headers
Accept: application/json
--- response_body_like eval
[("\"sessions\"") x 3]
--- json eval
['@{$_->{sessions}} == 1', '@{$_->{sessions}} == 1',
 '@{$_->{sessions}} == 0']
--- error_log eval
[qq{state file "$::dir/500-cut.state" is truncated: its last line is incomplete and skipped},
 qq{session zone "s": 2 sessions loaded from "$::dir/500-cut.state"}]
--- no_error_log
[error]
[alert]
[crit]
[emerg]



=== TEST 7: a file cut between lines (no end line): the sessions are loaded
--- post_setup_server_root
t::TestState::write_state('500-noend.state',
    t::TestState::state_header()
    . t::TestState::session_line(sid => main::sid(31), id => 'noend1'));
--- http_config eval: main::zone_conf('500-noend.state')
--- config eval: $::config
--- request
GET /Session?userId=noend1
--- more_headers
Accept: application/json
--- response_body_like: "sessions"
--- json: @{$_->{sessions}} == 1
--- error_log eval
[qq{state file "$::dir/500-noend.state" is truncated: it has no end line},
 qq{session zone "s": 1 sessions loaded from "$::dir/500-noend.state"}]
--- no_error_log
[error]
[alert]
[crit]
[emerg]



=== TEST 8: a file of another format version is ignored, and kept until a change
--- post_setup_server_root
t::TestState::write_state('500-v2.state',
    t::TestState::state_header('s', 2)
    . t::TestState::session_line(sid => main::sid(41), id => 'v2user')
    . "end 1\n");
--- http_config eval: main::zone_conf('500-v2.state')
--- config eval: $::config
--- request
GET /Session?userId=v2user
--- more_headers
Accept: application/json
--- response_body_like: "sessions"
--- json: @{$_->{sessions}} == 0
--- error_log eval
qq{state file "$::dir/500-v2.state" has format version 2, this module reads version 1: it is ignored}
--- no_error_log
[error]
[alert]
[crit]
[emerg]
--- after
select(undef, undef, undef, 1.5);
like(t::TestState::read_state('500-v2.state'),
     qr/\Angx_http_session_state 2 .*\nend 1\n\z/s,
     'the other version\'s file is not overwritten while nothing changes');



=== TEST 9: not a state file, or another zone's: reported, nginx starts
--- post_setup_server_root
t::TestState::write_state('500-junk.state', "hello world\n");
t::TestState::write_state('500-other.state',
    t::TestState::state_header('x')
    . t::TestState::session_line(sid => main::sid(51), id => 'other')
    . "end 1\n");
--- http_config eval
main::zone_conf('500-junk.state')
. "    session_zone zone=x2:1m state=$::dir/500-other.state;\n"
--- config eval: $::config
--- request
GET /who
--- response_body
[] [] [] [] []
--- error_log eval
[qq{session zone "s": "$::dir/500-junk.state" is not a usable session state file (line 1: unknown line)},
 qq{session zone "x2": state file "$::dir/500-other.state" belongs to zone "x": it is ignored}]
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 10: a file that cannot be written: reported once, nginx serves on
A directory in the way of the temporary file; a missing directory is
created at start (t/501-state-owner.t).
--- post_setup_server_root
File::Path::make_path(t::TestState::state_path('500-dirtmp.state.tmp'));
--- http_config eval
"    session_zone zone=s:1m state=$::dir/500-dirtmp.state;\n"
--- config eval: $::config
--- request
GET /login?t=tok-nodir&u=nodir
--- response_body
app
--- wait: 2.5
--- grep_error_log: saving the sessions failed
--- grep_error_log_out
saving the sessions failed
--- error_log eval
qq{session zone "s": saving the sessions failed: open() "$::dir/500-dirtmp.state.tmp" failed (21: Is a directory)}
--- no_error_log
[alert]
[crit]
[emerg]
--- after
File::Path::remove_tree(t::TestState::state_path('500-dirtmp.state.tmp'));



=== TEST 11: times after now (a clock that ran ahead) are taken as now; past the year 9999, a bad line
A session last used "in the future" would never expire, and stop the
sweep of every session behind it once it reached the end of the LRU
queue; a time near the end of int64 overflowed the expiry arithmetic.
--- post_setup_server_root
my $now = t::TestState::now_ms();
my $year = 365 * 86400000;
$main::clock_now = $now;
t::TestState::write_state('500-clock.state',
    t::TestState::state_header()
    . t::TestState::session_line(sid => main::sid(21), id => 'ahead',
                                 created => $now + $year,
                                 last => $now + $year)
    . t::TestState::session_line(sid => main::sid(22), id => 'closedahead',
                                 logout => $now + $year)
    . t::TestState::session_line(sid => main::sid(23), id => 'huge',
                                 last => '9223372036854775807')
    . "end 3\n");
--- http_config eval: main::zone_conf('500-clock.state')
--- config eval
$::config . <<'_EOC_';
    location = /status {
        session_admin 1;
        session_status s;
    }
_EOC_
--- request eval
["GET /status?list=1&account=ahead", "GET /status?list=1&account=closedahead&closed=1"]
--- json eval
['$_->{count} == 1 && $_->{sessions}[0]{last} <= $main::clock_now + 60000
  && $_->{sessions}[0]{created} <= $_->{sessions}[0]{last}',
 '$_->{count} == 1 && $_->{sessions}[0]{logout} > 0
  && $_->{sessions}[0]{logout} <= $main::clock_now + 60000']
--- error_log eval
[qq{state file "$::dir/500-clock.state", line 4 skipped: bad last access time},
 qq{session zone "s": 2 sessions loaded from "$::dir/500-clock.state" (0 expired, 0 not taken, 1 bad lines)}]
--- no_error_log
[alert]
[crit]
[emerg]
