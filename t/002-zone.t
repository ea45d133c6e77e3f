# session_zone: the accepted forms, and zones kept apart from each other.

use t::TestSession 'no_plan';

run_tests();

__DATA__

=== TEST 1: every parameter
--- http_config
    session_zone zone=s:1m timeout=30s keep_closed=5m state=logs/s.state;
--- config
    session_track s;
    session_key $cookie_SID;
    session_create $arg_new;

    location / {
        add_header X-Session "sid=$session_id new=$session_new" always;
        return 204;
    }
--- request
GET /?new=t
--- error_code: 204
--- response_headers_like
X-Session: sid=[0-9a-f]{32} new=1
--- no_error_log
[error]
[warn]



=== TEST 2: the smallest zone, 8 pages, in bytes; times in any nginx unit
--- http_config
    session_zone zone=s:32768 timeout=1h30m keep_closed=0;
    session_zone zone=t:32k timeout=2d keep_closed=500ms;
--- config
    session_track s;
    session_key $cookie_SID;
    session_create $arg_new;

    location / {
        add_header X-Session "sid=$session_id new=$session_new" always;
        return 204;
    }

    location /t {
        session_track t;
        add_header X-Session "sid=$session_id new=$session_new" always;
        return 204;
    }
--- request eval
["GET /?new=a", "GET /t?new=a"]
--- error_code eval
[204, 204]
--- response_headers_like eval
["X-Session: sid=[0-9a-f]{32} new=1", "X-Session: sid=[0-9a-f]{32} new=1"]
--- no_error_log
[error]
[warn]



=== TEST 3: one token in two zones: two sessions with different ids
--- http_config
    session_zone zone=one:1m;
    session_zone zone=two:1m;
--- config
    session_key $cookie_SID;
    session_create $cookie_SID;

    location /one {
        session_track one;
        return 200 "sid=$session_id\n";
    }

    location /two {
        session_track two;
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /one", "GET /two", "GET /one", "GET /two", "GET /one"]
--- more_headers
Cookie: SID=same
--- sids eval
["", "", "one", "two", "one"]
--- no_error_log
[error]
[warn]



=== TEST 4: a zone that only an endpoint names, and a zone nobody names
--- http_config
    session_zone zone=s:1m;
    session_zone zone=unused:1m;
--- config
    location = /Session {
        session_admin 1;
        session_list s;
    }
--- request
GET /Session?userId=u
--- more_headers
Accept: application/json
--- response_body chomp
{"sessions":[]}
--- no_error_log
[error]
[warn]



=== TEST 5: session ids are 32 lowercase hex digits, stable for a token
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID;
    session_create $cookie_SID;

    location / {
        add_header X-Session $session_id always;
        return 200 "sid=$session_id pid=$pid\n";
    }
--- request eval
[map { "GET /" } 1..8]
--- more_headers
Cookie: SID=stable
--- response_headers_like eval
[map { "X-Session: [0-9a-f]{32}\$" } 1..8]
--- sids eval
["", map { "a" } 2..8]
--- no_error_log
[error]
[warn]
