# session_track and session_key: which locations track, where a request's
# token comes from, and what a lookup finds.
#
# Blocks keep sessions from one request to the next, so each runs once.

use t::TestSession 'no_plan';

run_tests();

__DATA__

=== TEST 1: session_track at http level is inherited; off in a nested location stops it
--- http_config
    session_zone zone=s:1m;
    session_track s;
    session_key $cookie_SID;
--- config
    location / {
        session_create $cookie_SID;
        return 200 "sid=$session_id\n";
    }

    location /outer/ {
        return 200 "sid=$session_id\n";

        location /outer/inner/ {
            session_track off;
            return 200 "sid=$session_id\n";
        }
    }
--- request eval
["GET /", "GET /outer/", "GET /outer/inner/", "GET /outer/x"]
--- more_headers eval
["Cookie: SID=t1", "Cookie: SID=t1", "Cookie: SID=t1", "Cookie: SID=t1"]
--- sids eval
["", "a", "", "a"]
--- no_error_log
[error]
[warn]



=== TEST 2: session_track at server level; a location may track another zone
--- http_config
    session_zone zone=one:1m;
    session_zone zone=two:1m;
--- config
    session_track one;
    session_key $cookie_SID;
    session_create $http_x_login;

    location /one/ {
        return 200 "sid=$session_id\n";
    }

    location /two/ {
        session_track two;
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /one/login", "GET /one/", "GET /two/", "GET /two/login", "GET /two/",
 "GET /one/"]
--- more_headers eval
["X-Login: t", "Cookie: SID=t", "Cookie: SID=t", "X-Login: t",
 "Cookie: SID=t", "Cookie: SID=t"]
--- sids eval
["", "one", "", "", "two", "one"]
--- no_error_log
[error]
[warn]



=== TEST 3: session_track off in a server block inside a tracking http block
--- http_config
    session_zone zone=s:1m;
    session_track s;
    session_key $cookie_SID;
    session_create $cookie_SID;
--- config
    session_track off;

    location / {
        add_header X-Session "sid=$session_id" always;
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /", "GET /"]
--- more_headers eval
["Cookie: SID=t", "Cookie: SID=t"]
--- response_headers eval
["X-Session: sid=", "X-Session: sid="]
--- sids eval
["", ""]
--- no_error_log
[error]
[warn]



=== TEST 4: session_zone may come after the session_track that names it
--- http_config
    session_track late;
    session_key $cookie_SID;
    session_create $cookie_SID;
    session_zone zone=late:1m;
--- config
    location / {
        add_header X-Session "sid=$session_id new=$session_new" always;
        return 204;
    }
--- request
GET /
--- more_headers
Cookie: SID=t
--- error_code: 204
--- response_headers_like
X-Session: sid=[0-9a-f]{32} new=1
--- no_error_log
[error]
[warn]



=== TEST 5: session_key: the first non-empty value wins
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID $http_authtoken $arg_token;

    location = /login {
        session_create $arg_new;
        return 204;
    }

    location = /who {
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /login?new=a", "GET /login?new=b", "GET /who", "GET /who?token=a",
 "GET /who?token=b", "GET /who?token=a", "GET /who?token=a", "GET /who",
 "GET /who?token=b"]
--- more_headers eval
["", "", "Cookie: SID=a", "Authtoken: b", "Cookie: SID=a",
 "Cookie: SID=unknown", "Cookie: SID=", "", "Cookie: OTHER=a"]
--- error_code eval
[204, 204, 200, 200, 200, 200, 200, 200, 200]
--- sids eval
[undef, undef, "a", "b", "a", "", "a", "", "b"]
--- no_error_log
[error]
[warn]



=== TEST 6: "QSDK ", "SAML ", "Bearer " and "ESP-APIKEY " before a token in a header are not part of it
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $http_authtoken $http_authorization $cookie_SID;

    location = /login {
        session_create $arg_new;
        return 204;
    }

    location = /who {
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /login?new=tok", "GET /who", "GET /who", "GET /who", "GET /who",
 "GET /who", "GET /who", "GET /who", "GET /who", "GET /who"]
--- more_headers eval
["", "Authtoken: QSDK tok", "Authorization: Bearer tok",
 "Authorization: bearer tok", "Authtoken: SAML tok", "Cookie: SID=tok",
 "Authtoken: QSDK  tok", "Authtoken: Basic tok",
 "Authorization: ESP-APIKEY tok", "Cookie: SID=Bearer tok"]
--- error_code eval
[204, 200, 200, 200, 200, 200, 200, 200, 200, 200]
--- sids eval
[undef, "a", "a", "a", "a", "a", "", "", "a", ""]
--- no_error_log
[error]
[warn]



=== TEST 7: a token handed out with a scheme is the same token without it
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $http_authtoken;

    location = /login {
        session_create $http_x_new;
        add_header X-Session "sid=$session_id new=$session_new" always;
        return 204;
    }

    location = /who {
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /login", "GET /login", "GET /who"]
--- more_headers eval
["X-New: QSDK abc", "X-New: abc", "Authtoken: abc"]
--- error_code eval
[204, 204, 200]
--- response_headers_like eval
["X-Session: sid=[0-9a-f]{32} new=1", "X-Session: sid=[0-9a-f]{32} new=0",
 ""]
--- sids eval
[undef, undef, "a"]
--- no_error_log
[error]
[warn]



=== TEST 8: session_key is inherited and may be replaced in a location
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID;

    location = /login {
        session_create $arg_new;
        return 204;
    }

    location / {
        return 200 "sid=$session_id\n";
    }

    location /api/ {
        session_key $http_authtoken;
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /login?new=k", "GET /x", "GET /api/x", "GET /api/x"]
--- more_headers eval
["", "Cookie: SID=k", "Cookie: SID=k", "Authtoken: k"]
--- error_code eval
[204, 200, 200, 200]
--- sids eval
[undef, "a", "", "a"]
--- no_error_log
[error]
[warn]



=== TEST 9: without session_key a tracked location knows no session
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;

    location = /login {
        session_create $arg_new;
        add_header X-Session "sid=$session_id" always;
        return 204;
    }

    location / {
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /login?new=k", "GET /x"]
--- more_headers eval
["", "Cookie: SID=k"]
--- error_code eval
[204, 200]
--- response_headers_like eval
["X-Session: sid=[0-9a-f]{32}", ""]
--- sids eval
[undef, ""]
--- no_error_log
[error]
[warn]



=== TEST 10: the session variables are empty where nothing is tracked
--- http_config
    session_zone zone=s:1m;
--- config
    session_key $cookie_SID;

    location / {
        return 200 "sid=$session_id new=$session_new type=$session_type account=$session_account name=$session_account_name created=$session_created var=$session_var_host\n";
    }
--- request
GET /
--- more_headers
Cookie: SID=x
--- response_body
sid= new=0 type= account= name= created= var=
--- no_error_log
[error]
[warn]
