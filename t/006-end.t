# session_end: a value that is non-empty and not "0" logs the request's
# session out; keep_closed decides how long it stays listed with its
# logout time.  The listings come from session_list (Commvault GET
# Session) for an admin, which walks an account's sessions without
# touching them, logged-out ones included.
#
# Blocks keep sessions from one request to the next, so each runs once.

use t::TestSession 'no_plan';

run_tests();

__DATA__

=== TEST 1: "0" and empty do not log out; anything else does
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID;
    session_create $arg_new;
    session_end $arg_logout;

    location / {
        add_header X-Session "sid=$session_id" always;
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /?new=t", "GET /?logout=0", "GET /?logout=", "GET /", "GET /?logout=00",
 "GET /", "GET /?new=t", "GET /?logout=yes", "GET /"]
--- more_headers eval
["", map { "Cookie: SID=t" } 1..8]
--- response_headers_like eval
["X-Session: sid=[0-9a-f]{32}", "X-Session: sid=[0-9a-f]{32}",
 "X-Session: sid=[0-9a-f]{32}", "X-Session: sid=[0-9a-f]{32}",
 "X-Session: sid=\$", "X-Session: sid=\$", "X-Session: sid=[0-9a-f]{32}",
 "X-Session: sid=\$", "X-Session: sid=\$"]
--- sids eval
["", "a", "a", "a", "a", "", "", "a", ""]
--- no_error_log
[error]
[warn]



=== TEST 2: without keep_closed a logged-out session is gone at once
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID;
    session_account $arg_id;

    location = /login {
        session_create $arg_new;
        return 204;
    }

    location = /logout {
        session_end 1;
        return 204;
    }

    location = /Session {
        session_track off;
        session_admin 1;
        session_list s;
    }
--- request eval
["GET /login?new=t1&id=u", "GET /login?new=t2&id=u", "GET /Session?userId=u",
 "GET /logout", "GET /Session?userId=u", "GET /logout", "GET /Session?userId=u"]
--- more_headers eval
["", "", "Accept: application/json", "Cookie: SID=t1",
 "Accept: application/json", "Cookie: SID=t2", "Accept: application/json"]
--- error_code eval
[204, 204, 200, 204, 200, 204, 200]
--- json eval
[undef, undef, '@{$_->{sessions}} == 2', undef,
 '@{$_->{sessions}} == 1 && $_->{sessions}[0]{logoutTime} == 0', undef,
 '@{$_->{sessions}} == 0']
--- no_error_log
[error]
[warn]



=== TEST 3: with keep_closed a logged-out session stays listed with its logout time
--- http_config
    session_zone zone=s:1m keep_closed=10m;
--- config
    session_track s;
    session_key $cookie_SID;
    session_account $arg_id;

    location = /login {
        session_create $arg_new;
        add_header X-Session "sid=$session_id new=$session_new" always;
        return 204;
    }

    location = /logout {
        session_end 1;
        return 204;
    }

    location = /who {
        return 200 "sid=$session_id\n";
    }

    location = /Session {
        session_track off;
        session_admin 1;
        session_list s;
    }
--- request eval
["GET /login?new=t1&id=u", "GET /logout", "GET /who",
 "GET /Session?userId=u", "GET /logout", "GET /login?new=t1&id=u",
 "GET /who", "GET /Session?userId=u"]
--- more_headers eval
["", "Cookie: SID=t1", "Cookie: SID=t1", "Accept: application/json",
 "Cookie: SID=t1", "", "Cookie: SID=t1", "Accept: application/json"]
--- error_code eval
[204, 204, 200, 200, 204, 204, 200, 200]
--- response_headers_like eval
["X-Session: sid=[0-9a-f]{32} new=1", "", "", "", "",
 "X-Session: sid=[0-9a-f]{32} new=1", "", ""]
--- sids eval
[undef, undef, "", undef, undef, undef, "a", undef]
--- json eval
[undef, undef, undef,
 '@{$_->{sessions}} == 1 && abs($_->{sessions}[0]{logoutTime} - time) < 60',
 undef, undef, undef,
 '@{$_->{sessions}} == 1 && $_->{sessions}[0]{logoutTime} == 0']
--- no_error_log
[error]
[warn]



=== TEST 4: a logged-out session leaves the listing once keep_closed has passed
--- http_config
    session_zone zone=s:1m keep_closed=2s;
--- config
    session_track s;
    session_key $cookie_SID;
    session_account $arg_id;

    location = /login {
        session_create $arg_new;
        return 204;
    }

    location = /logout {
        session_end 1;
        return 204;
    }

    location = /Session {
        session_track off;
        session_admin 1;
        session_list s;
    }
--- request eval
["GET /login?new=t1&id=u", "GET /logout", "GET /Session?userId=u",
 "GET /Session?userId=u", "GET /Session?userId=u"]
--- more_headers eval
["", "Cookie: SID=t1", "Accept: application/json", "Accept: application/json",
 "Accept: application/json"]
--- wait: 0.9
--- error_code eval
[204, 204, 200, 200, 200]
--- json eval
[undef, undef, '@{$_->{sessions}} == 1 && $_->{sessions}[0]{logoutTime} > 0',
 undef, '@{$_->{sessions}} == 0']
--- no_error_log
[error]
[warn]



=== TEST 5: the application's logout header, seen once its response is in
--- http_config
    session_zone zone=s:1m keep_closed=10m;
--- tracking
    add_header X-Session "sid=$session_id";
--- config
    location = /Session {
        session_track off;
        session_admin 1;
        session_list s;
    }
--- request eval
["GET /login?sid=a&u=alice", "GET /page", "GET /logout?logout=1",
 "GET /page", "GET /Session?userId=alice"]
--- more_headers eval
["", "Cookie: SID=a", "Cookie: SID=a", "Cookie: SID=a",
 "Accept: application/json"]
--- response_headers_like eval
["X-Session: sid=[0-9a-f]{32}", "X-Session: sid=[0-9a-f]{32}",
 "X-Session: sid=\$", "X-Session: sid=\$", ""]
--- json eval
[undef, undef, undef, undef,
 '@{$_->{sessions}} == 1 && $_->{sessions}[0]{logoutTime} > 0']
--- no_error_log
[error]
[warn]



=== TEST 6: logging in again in the logout response ends the old session and starts a new one
--- http_config
    session_zone zone=s:1m keep_closed=10m;
--- config
    location /app/ {
        add_header Set-Cookie "SID=$arg_sid; Path=/";
        add_header X-User $arg_user;
        add_header X-Logout $arg_logout;
        return 200 "app @S@\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user;
        session_end $upstream_http_x_logout;
        sub_filter_types text/plain;
        sub_filter @S@ "sid=$session_id new=$session_new";
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "sid=$session_id\n";
    }

    location = /Session {
        session_track off;
        session_admin 1;
        session_list s;
    }
--- request eval
["GET /login?sid=old&user=u", "GET /switch?logout=1&sid=new&user=u",
 "GET /who", "GET /who", "GET /Session?userId=u"]
--- more_headers eval
["", "Cookie: SID=old", "Cookie: SID=old", "Cookie: SID=new",
 "Accept: application/json"]
--- response_body_like eval
[qr/new=1/, qr/new=1/, qr/^sid=/, qr/^sid=/, qr/sessions/]
--- sids eval
["old", "new", "", "new", undef]
--- json eval
[undef, undef, undef, undef,
 '@{$_->{sessions}} == 2
  && 1 == grep({ $_->{logoutTime} > 0 } @{$_->{sessions}})']
--- no_error_log
[error]
[warn]



=== TEST 7: a logout with no session, or an unknown one, does nothing
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID;
    session_end 1;

    location / {
        add_header X-Session "sid=$session_id" always;
        return 204;
    }
--- request eval
["GET /", "GET /"]
--- more_headers eval
["", "Cookie: SID=nobody"]
--- error_code eval
[204, 204]
--- response_headers eval
["X-Session: sid=", "X-Session: sid="]
--- no_error_log
[error]
[warn]
