# session_list: Commvault's GET <webservice>/Session?userId=, in XML and
# JSON, with its permission rules and errors.  Sessions are created by
# logging in through a tracked location whose upstream sets the SID
# cookie and names the user in response headers.

use t::TestSession 'no_plan';

our $HttpConfig = <<'_EOC_';
    session_zone zone=s:1m keep_closed=1h;

    map $session_account $cv_admin {
        admin    1;
        default  0;
    }
_EOC_

our $Config = <<'_EOC_';
    location /app/ {
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $arg_u;
        add_header X-Name $arg_n;
        add_header X-Host $http_x_h;
        add_header X-Console $arg_console;
        add_header X-Logout $arg_logout;
        return 200 "ok\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_end $upstream_http_x_logout;
        session_account $upstream_http_x_user name=$upstream_http_x_name;
        session_var host $upstream_http_x_host;
        session_var consoleType $upstream_http_x_console;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location ~ ^/commandcenter/api/Sessions?$ {
        session_key $http_authtoken;
        session_admin $cv_admin;
        session_list s;
    }
_EOC_

sub logins {
    return map { "GET /login?$_" } @_;
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("http_config", $HttpConfig)
        unless defined $block->http_config;
    $block->set_value("config", $Config) unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: XML: the caller's own sessions, in the seed's shape
--- request eval
[main::logins("t=a1&u=alice&n=Alice", "t=a2&u=alice&n=Alice",
              "t=b1&u=bob"),
 "GET /commandcenter/api/Session?userId=alice"]
--- more_headers eval
["", "", "", "Accept: application/xml\nAuthtoken: QSDK a1"]
--- response_headers_like eval
["", "", "", "Content-Type: application/xml; charset=utf-8"]
--- response_body_like eval
["ok\n", "ok\n", "ok\n",
 qr{\A<\?xml version="1\.0" encoding="UTF-8" standalone="no" \?>\n<Api_GetLoggedInSessionsResp>\n(?:  <sessions logoutTime="0" loginTime="\d{10}" host="127\.0\.0\.1" description="" sessionId="[0-9a-f]{32}" browserSessionId="0" consoleType="19">\n    <user userName="Alice" userId="alice" />\n  </sessions>\n){2}</Api_GetLoggedInSessionsResp>\n\z}]
--- xpath eval
[undef, undef, undef, <<'_EOX_']
count(/Api_GetLoggedInSessionsResp/sessions) => 2
count(/Api_GetLoggedInSessionsResp/sessions/user[@userId='alice']) => 2
count(/Api_GetLoggedInSessionsResp/sessions[@sessionId=/Api_GetLoggedInSessionsResp/sessions[2]/@sessionId]) => 1
_EOX_
--- no_error_log
[error]



=== TEST 2: JSON for cvpysdk's headers
--- request eval
[main::logins("t=a1&u=alice&n=Alice&console=5"),
 "GET /commandcenter/api/Session?userId=alice"]
--- more_headers eval
["X-H: host002",
 "Host: client.mydomain.com\nAccept: application/json\nContent-type: application/json\nAuthtoken: QSDK a1"]
--- response_headers_like eval
["", "Content-Type: application/json; charset=utf-8"]
--- json eval
[undef, <<'_EOJ_']
my $s = $_->{sessions};
@$s == 1
&& $s->[0]{host} eq 'host002'
&& $s->[0]{logoutTime} == 0
&& $s->[0]{loginTime} > 1_600_000_000 && $s->[0]{loginTime} < 1e10
&& $s->[0]{lastAccessedTime} >= $s->[0]{loginTime}
&& $s->[0]{sessionId} =~ /^[0-9a-f]{32}$/
&& $s->[0]{consoleType} == 5
&& $s->[0]{browserSessionId} == 0
&& $s->[0]{location} eq ''
&& $s->[0]{user}{userName} eq 'Alice'
&& $s->[0]{user}{userId} eq 'alice'
_EOJ_
--- response_body_like eval
["ok\n", qr/"consoleType":5,/]
--- no_error_log
[error]



=== TEST 3: numeric ids are JSON numbers, as Commvault's are
--- request eval
[main::logins("t=n1&u=10&n=jsmith"),
 "GET /commandcenter/api/Session?userId=10"]
--- more_headers eval
["", "Accept: application/json\nAuthtoken: n1"]
--- response_body_like eval
["ok\n", qr/"user":\{"userName":"jsmith","userId":10\}\}\]\}\z/]
--- json eval
[undef, '$_->{sessions}[0]{user}{userId} == 10']
--- no_error_log
[error]



=== TEST 4: no token, an unknown token: 401 in Commvault's error form
--- request eval
["GET /commandcenter/api/Session?userId=alice",
 "GET /commandcenter/api/Session?userId=alice",
 "GET /commandcenter/api/Session?userId=alice",
 "GET /commandcenter/api/Session"]
--- more_headers eval
["Accept: application/json",
 "Accept: application/json\nAuthtoken: QSDK nosuchtoken",
 "Authtoken: Bearer nosuchtoken",
 ""]
--- error_code eval
[401, 401, 401, 401]
--- json eval
['$_->{errorCode} == 5 && $_->{errorMessage} =~ /Authtoken/',
 '$_->{errorCode} == 5 && $_->{errorMessage} =~ /Authtoken/',
 undef, undef]
--- xpath eval
[undef, undef,
 "/CVGui_GenericResp/\@errorCode => 5",
 "/CVGui_GenericResp/\@errorCode => 5"]
--- no_error_log
[error]



=== TEST 5: another user's sessions: 403, whether that user exists or not
--- request eval
[main::logins("t=a1&u=alice", "t=b1&u=bob"),
 "GET /commandcenter/api/Session?userId=bob",
 "GET /commandcenter/api/Session?userId=nobody"]
--- more_headers eval
["", "", "Accept: application/json\nAuthtoken: a1",
 "Accept: application/json\nAuthtoken: a1"]
--- error_code eval
[200, 200, 403, 403]
--- response_body eval
["ok\n", "ok\n",
 '{"errorCode":5,"errorMessage":"Access denied: the sessions of another user need the Add, Delete and Modify a User permission"}',
 '{"errorCode":5,"errorMessage":"Access denied: the sessions of another user need the Add, Delete and Modify a User permission"}']
--- no_error_log
[error]



=== TEST 6: an admin lists anyone's sessions; an unknown user has none
--- request eval
[main::logins("t=b1&u=bob", "t=ad1&u=admin"),
 "GET /commandcenter/api/Session?userId=bob",
 "GET /commandcenter/api/Session?userId=nobody",
 "GET /commandcenter/api/Session?userId=nobody"]
--- more_headers eval
["", "", "Accept: application/json\nAuthtoken: ad1",
 "Accept: application/json\nAuthtoken: ad1", "Authtoken: ad1"]
--- json eval
[undef, undef,
 '@{$_->{sessions}} == 1 && $_->{sessions}[0]{user}{userId} eq "bob"',
 'ref $_->{sessions} eq "ARRAY" && @{$_->{sessions}} == 0', undef]
--- xpath eval
[undef, undef, undef, undef,
 "count(/Api_GetLoggedInSessionsResp/*) => 0"]
--- no_error_log
[error]



=== TEST 7: a missing or malformed userId: 400, after authentication
--- request eval
[main::logins("t=a1&u=alice"),
 "GET /commandcenter/api/Session",
 "GET /commandcenter/api/Session?userId=",
 "GET /commandcenter/api/Session?userId=%01x",
 "GET /commandcenter/api/Session?userId=" . ("x" x 65),
 "GET /commandcenter/api/Session?user=alice"]
--- more_headers eval
["", map { "Accept: application/json\nAuthtoken: a1" } 1..5]
--- error_code eval
[200, 400, 400, 400, 400, 400]
--- json eval
[undef,
 '$_->{errorCode} == 2 && $_->{errorMessage} =~ /required/',
 '$_->{errorCode} == 2 && $_->{errorMessage} =~ /required/',
 '$_->{errorCode} == 2 && $_->{errorMessage} =~ /malformed/',
 '$_->{errorCode} == 2 && $_->{errorMessage} =~ /malformed/',
 '$_->{errorCode} == 2 && $_->{errorMessage} =~ /required/']
--- no_error_log
[error]



=== TEST 8: only GET (and HEAD) are served
--- request eval
[main::logins("t=a1&u=alice"),
 "POST /commandcenter/api/Session?userId=alice\n{\"a\":1}",
 "DELETE /commandcenter/api/Session?userId=alice",
 "HEAD /commandcenter/api/Session?userId=alice"]
--- more_headers eval
["", "Accept: application/json\nAuthtoken: a1\nContent-Type: application/json",
 "Authtoken: a1", "Authtoken: a1"]
--- error_code eval
[200, 405, 405, 200]
--- response_body eval
["ok\n",
 '{"errorCode":6,"errorMessage":"only GET is supported"}',
 qq{<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n<CVGui_GenericResp errorCode="6" errorMessage="only GET is supported" />\n},
 ""]
--- no_error_log
[error]



=== TEST 9: logged-out sessions kept by keep_closed carry their logoutTime
--- request eval
[main::logins("t=c1&u=carol"),
 "GET /logout?logout=1",
 main::logins("t=c2&u=carol"),
 "GET /commandcenter/api/Session?userId=carol"]
--- more_headers eval
["", "Cookie: SID=c1", "", "Accept: application/json\nAuthtoken: c2"]
--- json eval
[undef, undef, undef, <<'_EOJ_']
my @s = sort { $a->{logoutTime} <=> $b->{logoutTime} } @{$_->{sessions}};
@s == 2 && $s[0]{logoutTime} == 0
&& $s[1]{logoutTime} >= $s[1]{loginTime} && $s[1]{logoutTime} < 1e10
_EOJ_
--- no_error_log
[error]



=== TEST 10: the logged-out token itself no longer authenticates
--- request eval
[main::logins("t=c1&u=carol"),
 "GET /logout?logout=1",
 "GET /commandcenter/api/Session?userId=carol"]
--- more_headers eval
["", "Cookie: SID=c1", "Authtoken: c1"]
--- error_code eval
[200, 200, 401]
--- no_error_log
[error]



=== TEST 11: any byte in a name or variable comes out escaped, XML and JSON
--- request eval
[main::logins("t=e1&u=eve&n=%3Ca%26b%3E"),
 "GET /commandcenter/api/Session?userId=eve",
 "GET /commandcenter/api/Session?userId=eve"]
--- more_headers eval
["X-H: <a&\"b'\x01\xff>",
 "Authtoken: e1", "Accept: application/json\nAuthtoken: e1"]
--- xpath eval
[undef, "/Api_GetLoggedInSessionsResp/sessions/\@host => <a&\"b'\x{fffd}\x{fffd}>", undef]
--- json eval
[undef, undef, qq{\$_->{sessions}[0]{host} eq "<a&\\"b'\\x{1}\\x{fffd}>"}]
--- no_error_log
[error]



=== TEST 12: a user with more sessions than one batch holds: each once
--- request eval
[main::logins(map { "t=m$_&u=many" } 1..600),
 "GET /commandcenter/api/Sessions?userId=many",
 "GET /commandcenter/api/Sessions?userId=many"]
--- more_headers eval
[map({ "" } 1..600), "Accept: application/json\nAuthtoken: m1",
 "Authtoken: Bearer m600"]
--- json eval
[map({ undef } 1..600),
 'my %seen = map { $_->{sessionId} => 1 } @{$_->{sessions}}; @{$_->{sessions}} == 600 && keys %seen == 600',
 undef]
--- xpath eval
[map({ undef } 1..600), undef, <<'_EOX_']
count(/Api_GetLoggedInSessionsResp/sessions) => 600
count(/Api_GetLoggedInSessionsResp/sessions/user[@userId='many']) => 600
_EOX_
--- timeout: 30
--- no_error_log
[error]



=== TEST 13: a caller without an account is nobody's owner
--- http_config eval: $::HttpConfig
--- config eval
$::Config =~ s/session_account .*?;//r
--- request eval
[main::logins("t=x1&u=alice"),
 "GET /commandcenter/api/Session?userId=alice"]
--- more_headers eval
["", "Accept: application/json\nAuthtoken: x1"]
--- error_code eval
[200, 403]
--- no_error_log
[error]



=== TEST 14: a userId is taken as sent: "QSDK alice" is not alice
--- request eval
[main::logins("t=a1&u=alice", "t=ad1&u=admin"),
 "GET /commandcenter/api/Session?userId=QSDK%20alice",
 "GET /commandcenter/api/Session?userId=Bearer%20alice",
 "GET /commandcenter/api/Session?userId=alice"]
--- more_headers eval
["", "", "Accept: application/json\nAuthtoken: a1",
 "Accept: application/json\nAuthtoken: ad1",
 "Accept: application/json\nAuthtoken: ad1"]
--- error_code eval
[200, 200, 403, 200, 200]
--- json eval
[undef, undef, '$_->{errorCode} == 5',
 'ref $_->{sessions} eq "ARRAY" && @{$_->{sessions}} == 0',
 '@{$_->{sessions}} == 1 && $_->{sessions}[0]{user}{userId} eq "alice"']
--- no_error_log
[error]



=== TEST 15: 405 names the methods served in Allow
--- request eval
["POST /commandcenter/api/Session?userId=alice\n{}",
 "DELETE /commandcenter/api/Session?userId=alice"]
--- more_headers eval
["Accept: application/json", ""]
--- error_code eval
[405, 405]
--- response_headers eval
["Allow: GET, HEAD", "Allow: GET, HEAD"]
--- no_error_log
[error]



=== TEST 16: an endpoint of another zone in a tracked server: it does not track, its callers are the zone's
--- http_config
    session_zone zone=s:1m;
    session_zone zone=t:1m;

    map $session_account $cv_admin {
        admin    1;
        default  0;
    }
--- config
    session_track t;
    session_key $cookie_SID;

    location /app/ {
        session_track off;
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $arg_u;
        return 200 "ok\n";
    }

    location /s/ {
        session_track s;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location /t/ {
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    # session_track t inherited: the endpoint does not track, its
    # callers are looked up in s
    location ~ ^/commandcenter/api/Sessions?$ {
        session_key $http_authtoken;
        session_admin $cv_admin;
        session_list s;
    }
--- request eval
["GET /s/login?t=tok-admin&u=admin", "GET /t/login?t=tok-bob&u=bob",
 "GET /commandcenter/api/Session?userId=admin",
 "GET /commandcenter/api/Session?userId=bob",
 "GET /commandcenter/api/Session?userId=admin"]
--- more_headers eval
["", "", "Accept: application/json\nAuthtoken: QSDK tok-admin",
 "Accept: application/json\nAuthtoken: QSDK tok-admin",
 "Accept: application/json\nAuthtoken: QSDK tok-bob"]
--- error_code eval
[200, 200, 200, 200, 401]
--- json eval
[undef, undef,
 '@{$_->{sessions}} == 1 && $_->{sessions}[0]{user}{userId} eq "admin"',
 'ref $_->{sessions} eq "ARRAY" && @{$_->{sessions}} == 0', undef]
--- no_error_log
[error]
[emerg]



=== TEST 17: answers are the caller's: a cache in front keeps none of them
--- http_config eval
$::HttpConfig . <<'_EOC_';
    proxy_cache_path cv_cache keys_zone=cv_cache:1m;
_EOC_
--- config eval
$::Config . <<'_EOC_';
    location /cached/ {
        proxy_cache cv_cache;
        proxy_cache_valid 200 401 403 10m;
        proxy_pass http://127.0.0.1:$server_port/commandcenter/api/Session$is_args$args;
    }
_EOC_
--- request eval
[main::logins("t=a1&u=alice"),
 "GET /cached/?userId=alice",
 "GET /cached/?userId=alice"]
--- more_headers eval
["", "Authtoken: a1", ""]
--- error_code eval
[200, 200, 401]
--- response_headers eval
["", "Cache-Control: no-store", "Cache-Control: no-store"]
--- no_error_log
[error]



=== TEST 18: an internal redirect into the endpoint looks its caller up with the endpoint's own session_key
A header-only endpoint (Authtoken) reached through a location whose key is
the cookie and that looked its session up before the rewrite: the
cookie's session is no caller of the endpoint.
--- http_config
    session_zone zone=s:1m;
--- config
    location /app/ {
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $arg_u;
        return 200 "ok\n";
    }

    location /login {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location /old/ {
        session_track s;
        session_key $cookie_SID;
        set $who $session_account;
        rewrite ^ /commandcenter/api/Session last;
    }

    location = /commandcenter/api/Session {
        session_key $http_authtoken;
        session_list s;
    }
--- request eval
["GET /login?t=tok-a&u=alice",
 "GET /commandcenter/api/Session?userId=alice",
 "GET /old/x?userId=alice",
 "GET /old/x?userId=alice"]
--- more_headers eval
["", "Accept: application/json\nCookie: SID=tok-a",
 "Accept: application/json\nCookie: SID=tok-a",
 "Accept: application/json\nAuthtoken: QSDK tok-a"]
--- error_code eval
[200, 401, 401, 200]
--- json eval
[undef, undef, undef, '@{$_->{sessions}} == 1']
--- no_error_log
[error]
