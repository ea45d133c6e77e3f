# Expiry: a session idle for longer than the zone's timeout is gone for
# lookups and listings alike, whether worker 0's timer has removed it
# yet or not; a tracked request restarts its idle time.
#
# Blocks keep sessions from one request to the next, so each runs once.

use t::TestSession 'no_plan';

run_tests();

__DATA__

=== TEST 1: a session idle for longer than timeout= is gone
--- http_config
    session_zone zone=s:1m timeout=1s;
--- config
    session_track s;
    session_key $cookie_SID;

    location = /login {
        session_create $arg_new;
        add_header X-Session "sid=$session_id" always;
        return 204;
    }

    location = /who {
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /login?new=t", "GET /who", "GET /who"]
--- more_headers eval
["", "Cookie: SID=t", "Cookie: SID=t"]
--- wait: 1.3
--- error_code eval
[204, 200, 200]
--- response_headers_like eval
["X-Session: sid=[0-9a-f]{32}", "", ""]
--- sids eval
[undef, "", ""]
--- no_error_log
[error]
[warn]



=== TEST 2: tracked requests keep a session alive past its timeout
--- http_config
    session_zone zone=s:1m timeout=2s;
--- config
    session_track s;
    session_key $cookie_SID;

    location = /login {
        session_create $arg_new;
        return 204;
    }

    location = /who {
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /login?new=t", "GET /who", "GET /who", "GET /who", "GET /who"]
--- more_headers eval
["", map { "Cookie: SID=t" } 1..4]
--- wait: 1.2
--- error_code eval
[204, 200, 200, 200, 200]
--- sids eval
[undef, "a", "a", "a", "a"]
--- no_error_log
[error]
[warn]



=== TEST 3: a request in an untracked location does not keep a session alive
--- http_config
    session_zone zone=s:1m timeout=2s;
--- config
    session_key $cookie_SID;

    location = /login {
        session_track s;
        session_create $arg_new;
        return 204;
    }

    location = /who {
        session_track s;
        return 200 "sid=$session_id\n";
    }

    location = /static {
        return 200 "static\n";
    }
--- request eval
["GET /login?new=t", "GET /static", "GET /static", "GET /who"]
--- more_headers eval
["", map { "Cookie: SID=t" } 1..3]
--- wait: 0.8
--- error_code eval
[204, 200, 200, 200]
--- sids eval
[undef, undef, undef, ""]
--- no_error_log
[error]
[warn]



=== TEST 4: a listing shows the sessions before their timeout
--- http_config
    session_zone zone=s:1m timeout=1s;
--- config
    session_track s;
    session_key $cookie_SID;
    session_account $arg_id;

    location = /login {
        session_create $arg_new;
        return 204;
    }

    location = /Session {
        session_track off;
        session_admin 1;
        session_list s;
    }
--- request eval
["GET /login?new=t1&id=u", "GET /login?new=t2&id=u", "GET /Session?userId=u",
 "GET /Session?userId=u"]
--- more_headers eval
["", "", "Accept: application/json", "Accept: application/json"]
--- wait: 0.1
--- error_code eval
[204, 204, 200, 200]
--- json eval
[undef, undef, '@{$_->{sessions}} == 2', undef]
--- no_error_log
[error]
[warn]



=== TEST 5: a listing leaves out sessions past their timeout, removed or not
--- http_config
    session_zone zone=s:1m timeout=1s;
--- config
    session_track s;
    session_key $cookie_SID;
    session_account $arg_id;

    location = /login {
        session_create $arg_new;
        return 204;
    }

    location = /Session {
        session_track off;
        session_admin 1;
        session_list s;
    }
--- request eval
["GET /login?new=t1&id=u", "GET /login?new=t2&id=u", "GET /Session?userId=u",
 "GET /Session?userId=u"]
--- more_headers eval
["", "", "Accept: application/json", "Accept: application/json"]
--- wait: 1.4
--- error_code eval
[204, 204, 200, 200]
--- json eval
[undef, undef, '@{$_->{sessions}} == 0', '@{$_->{sessions}} == 0']
--- no_error_log
[error]
[warn]



=== TEST 6: an expired token may start a new session
--- http_config
    session_zone zone=s:1m timeout=1s;
--- config
    session_track s;
    session_key $cookie_SID;

    location = /login {
        session_create $arg_new;
        add_header X-Session "sid=$session_id new=$session_new" always;
        return 204;
    }
--- request eval
["GET /login?new=t", "GET /login?new=t"]
--- wait: 1.3
--- error_code eval
[204, 204]
--- response_headers_like eval
["X-Session: sid=[0-9a-f]{32} new=1", "X-Session: sid=[0-9a-f]{32} new=1"]
--- no_error_log
[error]
[warn]
