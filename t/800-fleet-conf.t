# The fleet's configuration: secret= (the digest key from a file's whole
# content, the same on every node), session_fleet and its parameters;
# every mistake stops nginx -t with a message naming it, and the engine's
# password is read from its file, never shown by nginx -T nor logged.

use t::TestSession 'no_plan';
use t::TestFleet;

my $dir = fleet_dir();

sub put ($$) {
    my ($name, $text) = @_;
    open my $fh, '>', "$dir/$name" or die "$!";
    print $fh $text;
    close $fh;
    return "$dir/$name";
}

our $short = put('secret-short', "0123456789abcdef0123456789abcde\n");
our $nl = put('secret-nl', ('x' x 40) . "\n");
our $nonl = put('secret-nonl', 'x' x 40);
our $crlf = put('secret-crlf', ('x' x 40) . "\r\n");
our $other = put('secret-other', ('y' x 40) . "\n");
our $empty_pw = put('password-empty', "\n");
our $pw = password_file('never-in-a-log-3141');

engine_start();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a secret file that does not exist
--- http_config eval
"    session_zone zone=s:1m secret=$t::TestFleet::dir/nonexistent;"
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr/cannot open the secret file ".*\/nonexistent"/]



=== TEST 2: a secret of 31 bytes (the newline does not count)
--- http_config eval
"    session_zone zone=s:1m secret=$::short;"
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr/the secret in ".*secret-short" has 31 bytes: at least 32 are needed/]



=== TEST 3: session_fleet on a zone without secret=
--- http_config eval
"    session_zone zone=s:1m;
    session_fleet s 127.0.0.1:1 password_file=$::pw;"
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr/"session_fleet" needs session zone "s" to have a "secret=" file/]



=== TEST 4: session_fleet on a zone nobody defines
--- http_config eval
"    session_fleet nosuch 127.0.0.1:1;"
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr/"session_fleet" names session zone "nosuch" that no "session_zone" defines/]



=== TEST 5: two session_fleet for one zone
--- http_config eval
"    session_zone zone=s:1m secret=$::nl;
    session_fleet s 127.0.0.1:1;
    session_fleet s 127.0.0.1:2;"
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr/session zone "s" has a "session_fleet" already/]



=== TEST 6: a bad address, a bad prefix, a bad timeout, an empty password
--- http_config eval
"    session_zone zone=s:1m secret=$::nl;
    session_fleet s 127.0.0.1:99999;"
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr/invalid engine address "127.0.0.1:99999"/]



=== TEST 7: a prefix with a glob character
--- http_config eval
"    session_zone zone=s:1m secret=$::nl;
    session_fleet s 127.0.0.1:1 prefix=a*b;"
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr/invalid prefix "prefix=a\*b"/]



=== TEST 8: a bad timeout
--- http_config eval
"    session_zone zone=s:1m secret=$::nl;
    session_fleet s 127.0.0.1:1 timeout=0;"
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr/invalid timeout "timeout=0"/]



=== TEST 9: an empty password file
--- http_config eval
"    session_zone zone=s:1m secret=$::nl;
    session_fleet s 127.0.0.1:1 password_file=$::empty_pw;"
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr/the password file ".*password-empty" is empty/]



=== TEST 10: a trailing newline (LF or CR LF) is not part of the secret; other content is another key
--- http_config eval
"    session_zone zone=a:1m secret=$::nl;
    session_zone zone=b:1m secret=$::nonl;
    session_zone zone=c:1m secret=$::crlf;
    session_zone zone=d:1m secret=$::other;"
--- config
    location /login {
        session_track a;
        session_create $arg_t;
        return 200 "ok\n";
    }
    location /a { session_track a; session_key $arg_t; return 200 "sid=$session_id\n"; }
    location /b { session_track b; session_key $arg_t; session_create $arg_t; return 200 "sid=$session_id\n"; }
    location /c { session_track c; session_key $arg_t; session_create $arg_t; return 200 "sid=$session_id\n"; }
    location /d { session_track d; session_key $arg_t; session_create $arg_t; return 200 "sid=$session_id\n"; }
--- pipelined_requests eval
["GET /login?t=tok", "GET /a?t=tok", "GET /b?t=tok", "GET /b?t=tok", "GET /c?t=tok", "GET /c?t=tok", "GET /d?t=tok", "GET /d?t=tok"]
--- response_body_like eval
["ok", "sid=[0-9a-f]{32}", "", "sid=[0-9a-f]{32}", "", "sid=[0-9a-f]{32}", "", "sid=[0-9a-f]{32}"]
--- sids eval
[undef, "k", undef, "k", undef, "k", undef, "other"]



=== TEST 11: the password is neither shown by nginx -T nor logged; the engine gets it (a wrong one is named as such, once)
--- http_config eval
t::TestFleet::fleet_conf(password_file => $::pw)
--- config
    location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- wait: 1
--- error_log eval
qr/\[error\] .*session fleet: the engine at 127\.0\.0\.1:\d+ is unavailable for zone "s": WRONGPASS/
--- log_allows
[error]
--- fleet
my $root = $Test::Nginx::Util::ServRoot;
# a one-shot process: under ASan its configuration is never freed
local $ENV{ASAN_OPTIONS} = 'detect_leaks=0';
my $out = `$Test::Nginx::Util::NginxBinary -T -p $root/ -c $root/conf/nginx.conf 2>&1`;
like($out, qr/password_file=/, 'nginx -T shows the file name');
unlike($out, qr/never-in-a-log-3141/, 'nginx -T does not show the password');
my $log = a_log();
unlike($log, qr/never-in-a-log-3141/, 'the log does not hold the password');
my @lines = ($log =~ /(is unavailable for zone)/g);
is(scalar @lines, 1, 'one line for the change of state, not one per worker or retry');
--- no_error_log
[alert]
[crit]
[emerg]
