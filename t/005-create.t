# session_create: sessions come into being only from a token the
# application hands out (an upstream cookie) or, as an explicit opt-in,
# from a request's own cookie; $session_id and $session_new see the new
# session on the very request that created it, in add_header and in the
# body filters, and the other worker sees it too.
#
# Blocks keep sessions from one request to the next, so each runs once
# (a second run would find its sessions already there).

use t::TestSession 'no_plan';

run_tests();

__DATA__

=== TEST 1: an upstream cookie creates a session; add_header on that response shows it
--- http_config
    session_zone zone=s:1m;
--- config
    location /app/ {
        add_header Set-Cookie "SID=$arg_sid; Path=/";
        return 200 "app @S@\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        add_header X-Session $session_id;
        add_header X-New $session_new;
        sub_filter_types text/plain;
        sub_filter @S@ "sid=$session_id new=$session_new";
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "sid=$session_id new=$session_new\n";
    }
--- request eval
["GET /login?sid=tok-1", "GET /who", "GET /who", "GET /who"]
--- more_headers eval
["", "Cookie: SID=tok-1", "Cookie: SID=tok-2", ""]
--- response_headers_like eval
["X-Session: [0-9a-f]{32}\nX-New: 1", "", "", ""]
--- response_body_like eval
[qr/^app sid=[0-9a-f]{32} new=1\n$/, qr/^sid=[0-9a-f]{32} new=0\n$/,
 qr/^sid= new=0\n$/, qr/^sid= new=0\n$/]
--- sids eval
["a", "a", "", ""]
--- no_error_log
[error]
[warn]



=== TEST 2: a session created in one worker is seen by the other
--- http_config
    session_zone zone=s:1m;
--- config
    location /app/ {
        add_header Set-Cookie "SID=$arg_sid; Path=/";
        return 200 "app @S@\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        sub_filter_types text/plain;
        sub_filter @S@ "sid=$session_id pid=$pid";
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "sid=$session_id pid=$pid\n";
    }
--- request eval
["GET /login?sid=cross", map { "GET /who" } 1..16]
--- more_headers eval
["", map { "Cookie: SID=cross" } 1..16]
--- response_body_like eval
[qr/^app sid=[0-9a-f]{32} pid=\d+\n$/,
 map { qr/^sid=[0-9a-f]{32} pid=\d+\n$/ } 1..16]
--- sids eval
["a", map { "a" } 1..16]
--- sid_workers: 2
--- no_error_log
[error]
[warn]



=== TEST 3: an unknown token creates nothing, however often it is sent
--- http_config
    session_zone zone=s:1m;
--- config
    location /app/ {
        return 200 "app\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID $http_authtoken;
        session_create $upstream_cookie_SID;
        add_header X-New "new=$session_new";
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID $http_authtoken;
        return 200 "sid=$session_id new=$session_new\n";
    }
--- request eval
["GET /a", "GET /b", "GET /who", "GET /who"]
--- more_headers eval
["Cookie: SID=invented", "Authtoken: invented", "Cookie: SID=invented",
 "Authtoken: invented"]
--- response_headers eval
["X-New: new=0", "X-New: new=0", "", ""]
--- response_body eval
["app\n", "app\n", "sid= new=0\n", "sid= new=0\n"]
--- sids eval
[undef, undef, "", ""]
--- no_error_log
[error]
[warn]



=== TEST 4: a cookie that clears the token (logout form) creates nothing
--- http_config
    session_zone zone=s:1m;
--- config
    location /app/ {
        add_header Set-Cookie "SID=; Path=/; Max-Age=0";
        return 200 "app\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        add_header X-Session "sid=$session_id new=$session_new";
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }
--- request
GET /logout
--- response_headers
X-Session: sid= new=0
--- no_error_log
[error]
[warn]



=== TEST 5: session_create $cookie_SID: the explicit opt-in for a client's cookie
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $cookie_SID;
        add_header X-Session "sid=$session_id new=$session_new" always;
        return 204;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "sid=$session_id new=$session_new\n";
    }
--- request eval
["GET /", "GET /", "GET /who", "GET /who", "GET /who"]
--- more_headers eval
["Cookie: SID=mine", "Cookie: SID=mine", "Cookie: SID=mine",
 "Cookie: SID=other", ""]
--- error_code eval
[204, 204, 200, 200, 200]
--- response_headers_like eval
["X-Session: sid=[0-9a-f]{32} new=1", "X-Session: sid=[0-9a-f]{32} new=0",
 "", "", ""]
--- response_body_like eval
["", "", qr/^sid=[0-9a-f]{32} new=0\n$/, qr/^sid= new=0\n$/,
 qr/^sid= new=0\n$/]
--- sids eval
[undef, undef, "a", "", ""]
--- no_error_log
[error]
[warn]



=== TEST 6: without session_create a client's cookie creates nothing
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_track s;
        session_key $cookie_SID;
        add_header X-Session "sid=$session_id new=$session_new" always;
        return 204;
    }
--- request eval
["GET /", "GET /"]
--- more_headers eval
["Cookie: SID=mine", "Cookie: SID=mine"]
--- error_code eval
[204, 204]
--- response_headers eval
["X-Session: sid= new=0", "X-Session: sid= new=0"]
--- no_error_log
[error]
[warn]



=== TEST 7: the application handing out a token the zone knows creates nothing new
--- http_config
    session_zone zone=s:1m;
--- config
    location /app/ {
        add_header Set-Cookie "SID=$arg_sid; Path=/";
        return 200 "app @S@\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        add_header X-New $session_new;
        sub_filter_types text/plain;
        sub_filter @S@ "sid=$session_id";
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }
--- request eval
["GET /login?sid=same", "GET /login?sid=same", "GET /login?sid=same"]
--- more_headers eval
["", "", "Cookie: SID=same"]
--- response_headers eval
["X-New: 1", "X-New: 0", "X-New: 0"]
--- sids eval
["a", "a", "a"]
--- no_error_log
[error]
[warn]



=== TEST 8: logging in again while holding a session creates a second one
--- http_config
    session_zone zone=s:1m;
--- config
    location /app/ {
        add_header Set-Cookie "SID=$arg_sid; Path=/";
        return 200 "app @S@\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        sub_filter_types text/plain;
        sub_filter @S@ "sid=$session_id new=$session_new";
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /login?sid=first", "GET /login?sid=second", "GET /who", "GET /who"]
--- more_headers eval
["", "Cookie: SID=first", "Cookie: SID=first", "Cookie: SID=second"]
--- response_body_like eval
[qr/new=1/, qr/new=1/, qr/^sid=/, qr/^sid=/]
--- sids eval
["first", "second", "first", "second"]
--- no_error_log
[error]
[warn]



=== TEST 9: the creating request is logged with its new session
--- http_config
    session_zone zone=s:1m;
    log_format sess "sess sid=$session_id new=$session_new uri=$uri";
--- config
    location /app/ {
        add_header Set-Cookie "SID=$arg_sid; Path=/";
        return 200 "app\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        access_log logs/access.log sess;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }
--- request
GET /login?sid=logged
--- response_body
app
--- access_log eval
qr/^sess sid=[0-9a-f]{32} new=1 uri=\/login$/
--- no_error_log
[error]
[warn]



=== TEST 10: a session is created whatever the status of the response
--- http_config
    session_zone zone=s:1m;
--- config
    location /app/ {
        add_header Set-Cookie "SID=$arg_sid; Path=/" always;
        return 500 "oops\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        add_header X-New $session_new always;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /login?sid=err", "GET /who"]
--- more_headers eval
["", "Cookie: SID=err"]
--- error_code eval
[500, 200]
--- response_headers eval
["X-New: 1", ""]
--- sids eval
[undef, "a"]
--- no_error_log
[error]
[warn]
