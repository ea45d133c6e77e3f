# The module loads, and a session created through an upstream cookie is
# seen on later requests by both workers.

use t::TestSession 'no_plan';


run_tests();

__DATA__

=== TEST 1: the module loads with a zone and nothing else
--- http_config
    session_zone zone=s:1m;
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok



=== TEST 2: upstream cookie creates a session, visible from both workers
--- http_config
    session_zone zone=s:1m;
--- config
    location /app/ {
        add_header Set-Cookie "SID=tok-$arg_n";
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
        return 200 "$session_account $pid\n";
    }
--- request eval
["GET /login?n=1&u=alice", map { "GET /who" } 1..12]
--- more_headers eval
["", map { "Cookie: SID=tok-1" } 1..12]
--- response_body_like eval
["app\n", map { qr/^alice \d+\n$/ } 1..12]
