# session_zone state=FILE: sessions survive "nginx -s stop" (TERM: worker
# 0 saves as it exits) and a kill -9 of the master and all workers at
# once (nothing runs at exit: what survives is what the periodic save,
# about once a second, had written).

use t::TestSession 'no_plan';
use t::TestState;

no_shuffle();
check_accum_error_log();

clean_state('500-kill.state');

our $dir = $ENV{TEST_NGINX_STATE_DIR};

our $http_config = <<"_EOC_";
    session_zone zone=s:1m timeout=1h state=$dir/500-kill.state;
_EOC_

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
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "[$session_account]\n";
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: sessions created, then nginx is stopped with TERM
--- http_config eval: $::http_config
--- config eval: $::config
--- request
GET /login?t=tok-k1&u=k1
--- response_body
app
--- no_error_log
[error]
[alert]
[crit]
[emerg]
--- after
# created just before the stop: only the save at exit can keep it
like(t::TestState::http_get('/login?t=tok-k1b&u=k1b'), qr/^app/,
     'a session created just before the stop');
--- stop_term



=== TEST 2: after TERM and a start the sessions are back; then kill -9
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
["GET /who", "GET /who", "GET /login?t=tok-k2&u=k2"]
--- more_headers eval
["Cookie: SID=tok-k1", "Cookie: SID=tok-k1b", ""]
--- response_body eval
["[k1]\n", "[k1b]\n", "app\n"]
--- error_log eval
qq{session zone "s": 2 sessions loaded from "$::dir/500-kill.state" (0 expired, 0 not taken, 0 bad lines)}
--- no_error_log
[error]
[alert]
[crit]
[emerg]
--- after
# the periodic save has written k2: then nothing more is written
my $t = wait_state('500-kill.state', sub { $_[0] =~ /^s \S+ soap k2 /m });
like($t, qr/^s \S+ soap k2 /m, 'the periodic save wrote the new session');
--- kill9



=== TEST 3: after kill -9 and a start the saved sessions are back
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
["GET /who", "GET /who", "GET /who"]
--- more_headers eval
["Cookie: SID=tok-k1", "Cookie: SID=tok-k1b", "Cookie: SID=tok-k2"]
--- response_body eval
["[k1]\n", "[k1b]\n", "[k2]\n"]
--- error_log eval
qq{session zone "s": 3 sessions loaded from "$::dir/500-kill.state" (0 expired, 0 not taken, 0 bad lines)}
--- no_error_log
[error]
[alert]
[crit]
[emerg]
