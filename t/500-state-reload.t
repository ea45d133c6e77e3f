# session_zone state=FILE across reloads (Test::Nginx HUP mode: one nginx
# for the whole file): a reload that resizes the zone keeps the sessions,
# and so does a binary upgrade (USR2, then QUIT of the old master), even
# those created just before it or on the old workers while both run.

BEGIN {
    $ENV{TEST_NGINX_USE_HUP} = 1;
}

use t::TestSession 'no_plan';
use t::TestState;

# HUP mode adds a server on the same port, and Test::Nginx 0.33 gives it
# "reuseport" again: nginx refuses duplicate listen options
$Test::Nginx::Util::ReusePort = 0;

# USR2 runs argv[0] again: it needs a path, not a name found in PATH
if ($Test::Nginx::Util::NginxBinary !~ m{/}) {
    for my $d (split /:/, $ENV{PATH}) {
        if (-x "$d/$Test::Nginx::Util::NginxBinary") {
            $Test::Nginx::Util::NginxBinary =
                "$d/$Test::Nginx::Util::NginxBinary";
            last;
        }
    }
}

no_shuffle();
check_accum_error_log();

clean_state('500-reload.state');

our $dir = $ENV{TEST_NGINX_STATE_DIR};

sub zone_conf {
    my $size = shift;

    return "    session_zone zone=s:$size timeout=1h keep_closed=1h\n"
           . "                 state=$dir/500-reload.state;\n";
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
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "[$session_account] [$session_id]\n";
    }

    location = /Session {
        session_track off;
        session_admin 1;
        session_list s;
    }
_EOC_

our %sid;

sub who ($) {
    my $tok = shift;
    my $body = t::TestState::http_get('/who', Cookie => "SID=$tok") // '';
    my ($id) = $body =~ /\[([0-9a-f]{32})\]/;
    return $id;
}

run_tests();

__DATA__

=== TEST 1: sessions in a zone of 1 MB
--- http_config eval: main::zone_conf('1m')
--- config eval: $::config
--- request eval
["GET /login?t=tok-r1&u=r1", "GET /login?t=tok-r2&u=r2", "GET /out?lo=1"]
--- more_headers eval
["", "", "Cookie: SID=tok-r2"]
--- response_body eval
["app\n", "app\n", "app\n"]
--- no_error_log
[error]
[alert]
[crit]
[emerg]
--- after
$sid{r1} = main::who('tok-r1');
ok($sid{r1}, 'r1 is live');



=== TEST 2: a reload to 2 MB keeps them, logout time included
--- http_config eval: main::zone_conf('2m')
--- config eval: $::config
--- request eval
["GET /who", "GET /Session?userId=r2", "GET /login?t=tok-r3&u=r3"]
--- more_headers eval
["Cookie: SID=tok-r1", "Accept: application/json", ""]
--- response_body_like eval
["^\\[r1\\] \\[[0-9a-f]{32}\\]\n\\z", "\"logoutTime\":[1-9]", "^app\n\\z"]
--- json eval
[undef, '@{$_->{sessions}} == 1 && $_->{sessions}[0]{user}{userId} eq "r2"',
 undef]
--- error_log
session zone "s" resized, 2 sessions carried over
--- no_error_log
[error]
[alert]
[crit]
[emerg]
--- after
is(main::who('tok-r1'), $sid{r1}, 'r1 keeps its session id');
my $t = wait_state('500-reload.state', sub { $_[0] =~ /^s \S+ soap r3 /m });
like($t, qr/^s \S+ soap r1 .*^s \S+ soap r2 |^s \S+ soap r2 .*^s \S+ soap r1 /ms,
     'the resized zone saves the sessions it carried over');



=== TEST 3: a binary upgrade keeps them, with those of the last moment
--- http_config eval: main::zone_conf('2m')
--- config eval: $::config
--- init
my $old = t::TestState::nginx_pid();
my $pidfile = $Test::Nginx::Util::PidFile;

# not saved yet when the new master reads the file
t::TestState::http_get('/login?t=tok-r4&u=r4');

kill 'USR2', $old;

for (1 .. 100) {
    my $new = t::TestState::nginx_pid();
    last if -e "$pidfile.oldbin" && defined $new && $new ne $old;
    select(undef, undef, undef, 0.1);
}

Test::More::isnt(t::TestState::nginx_pid(), $old, 'a new master runs');

# both run now: this one may go to either
t::TestState::http_get('/login?t=tok-r5&u=r5');

kill 'QUIT', $old;
Test::More::ok(t::TestState::wait_gone($old), 'the old master is gone');

# the old worker 0 saved as it exited; the new one takes what it lacks
for (1 .. 100) {
    last if main::who('tok-r4') && main::who('tok-r5');
    select(undef, undef, undef, 0.1);
}
--- request eval
["GET /who", "GET /who", "GET /who", "GET /who", "GET /Session?userId=r2"]
--- more_headers eval
["Cookie: SID=tok-r1", "Cookie: SID=tok-r3", "Cookie: SID=tok-r4",
 "Cookie: SID=tok-r5", "Accept: application/json"]
--- response_body_like eval
["^\\[r1\\] ", "^\\[r3\\] ", "^\\[r4\\] ", "^\\[r5\\] ", "\"logoutTime\":[1-9]"]
--- no_error_log
[error]
[alert]
[crit]
[emerg]
--- after
is(main::who('tok-r1'), $sid{r1}, 'r1 keeps its session id');
my $t = wait_state('500-reload.state',
                   sub { my $n = () = $_[0] =~ /^s /mg; $n == 5 });
is(scalar(() = $t =~ /^s /mg), 5, 'the new nginx saves all five sessions');
