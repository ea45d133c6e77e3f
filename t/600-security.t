# What the module keeps to itself: tokens never come out of an endpoint
# or into the error log, unknown tokens create nothing however many
# arrive, and every endpoint refuses a caller without rights in its own
# dialect.  The per-dialect rules are tested in depth in t/1xx-t/4xx;
# docs/security.md maps each row of its table to a test.

use t::TestSession 'no_plan';

our $HttpConfig = <<'_EOC_';
    session_zone zone=s:1m keep_closed=1h;

    map $session_account $is_admin {
        root     1;
        default  0;
    }
_EOC_

our $Config = <<'_EOC_';
    location /app/ {
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $arg_u;
        add_header X-Logout $arg_logout;
        return 200 "ok\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_end $upstream_http_x_logout;
        session_account $upstream_http_x_user name=$upstream_http_x_user;
        session_var host $host;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /probe {
        session_track s;
        session_key $cookie_SID;
        return 200 "[$session_id]\n";
    }

    location /service/admin/soap {
        session_key $cookie_SID;
        session_admin $is_admin;
        session_dump s;
    }

    location ~ ^/xmlmc/ {
        session_key $cookie_SID;
        session_admin $is_admin;
        session_info s;
    }

    location ~ ^/api/Sessions?$ {
        session_key $http_authtoken $cookie_SID;
        session_admin $is_admin;
        session_list s;
    }

    location = /status {
        session_key $cookie_SID;
        session_admin $is_admin;
        session_status s;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("http_config", $HttpConfig)
        unless defined $block->http_config;
    $block->set_value("config", $Config) unless defined $block->config;
});

our @Endpoints = (
    "GET /service/admin/soap/?listSessions=1&groupByAccount=1",
    "GET /xmlmc/session/?method=getSessionInfo",
    "GET /api/Session?userId=root",
    "GET /status?list=1",
);

run_tests();

__DATA__

=== TEST 1: tokens never come out: every endpoint, every form, as admin
--- request eval
["GET /login?t=SeCrEtToKeN-1&u=alice",
 "GET /login?t=SeCrEtToKeN-2&u=root",
 "GET /login?t=SeCrEtToKeN-3&u=root&logout=1",
 (map { $_ } @::Endpoints),
 "GET /service/admin/soap/?listSessions=1",
 "GET /api/Session?userId=alice",
 "GET /status?list=1&closed=1",
 "GET /status",
 "GET /status?format=prometheus"]
--- more_headers eval
["", "", "Cookie: SID=SeCrEtToKeN-3",
 map { "Cookie: SID=SeCrEtToKeN-2\nAccept: application/json" } 1..9]
--- response_body_unlike eval
[map { qr/SeCrEtToKeN/i } 1..12]
--- body_like eval
[(map { qr/^ok\n\z/ } 1..3),
 qr/"DumpSessionsResponse":\{"soap":\[\{"activeSessions":3,"activeAccounts":2,"zid":\[/,
 qr/^\{"\@status":true,"params":\{.*"userId":"root"/,
 qr/^\{"sessions":\[\{.*"userName":"root"/,
 qr/^\{"sessions":\[(?:.*"sid":"[0-9a-f]{32}"){3}/s,
 qr/"DumpSessionsResponse":\{"soap":\[\{"activeSessions":3,"activeAccounts":2,"s":\[/,
 qr/^\{"sessions":\[\{.*"userName":"alice"/,
 qr/^\{"sessions":\[(?:.*"sid":"[0-9a-f]{32}"){3}/s,
 qr/^\{\s*"version": 1,\s*"zone": "s",.*"sessions": \{"open": 3,/s,
 qr/^# HELP nginx_session_zone_size_bytes .*\nnginx_session_open_sessions\{[^}]*\} 3\n/s]
--- error_code eval
[200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]
--- no_error_log eval
["SeCrEtToKeN", "[error]"]



=== TEST 2: tokens never come out: refusals, and an unknown token
--- request eval
[(map { $_ } @::Endpoints), (map { $_ } @::Endpoints)]
--- more_headers eval
[(map { "Cookie: SID=SeCrEtToKeN-9" } 1..4),
 (map { "Cookie: SID=SeCrEtToKeN-9\nAccept: application/json" } 1..4)]
--- response_body_unlike eval
[map { qr/SeCrEtToKeN/i } 1..8]
--- body_like eval
[qr/<soap:Fault>.*service\.AUTH_REQUIRED/s,
 qr/<methodCallResult status="fail">.*<code>0005<\/code>/s,
 qr/<CVGui_GenericResp errorCode="5" /,
 qr/^\{"error":\{"status":401,"message":"authentication required/,
 qr/"Fault":\{.*"Code":"service\.AUTH_REQUIRED"/,
 qr/^\{"\@status":false,"state":\{"code":"0005"/,
 qr/^\{"errorCode":5,"errorMessage":"Access denied/,
 qr/^\{"error":\{"status":401,"message":"authentication required/]
--- error_code eval
[500, 200, 401, 401, 500, 200, 401, 401]
--- no_error_log
SeCrEtToKeN



=== TEST 3: a flood of unknown tokens creates nothing
--- request eval
[(map { "GET /probe" } 1..300), "GET /status"]
--- more_headers eval
[(map { "Cookie: SID=invented-$_" } 1..300),
 "Accept: application/json"]
--- response_body_like eval
[(map { qr/^\[\]$/ } 1..300), qr/./]
--- error_code eval
[(map { 200 } 1..301)]
--- config eval
$::Config =~ s/(location = \/status \{)/$1\n        session_admin 1;/r
    =~ s/(session_admin \$is_admin;\n        session_status)/session_status/r
--- json eval
[(map { undef } 1..300),
 '$_->{sessions}{open} == 0 && $_->{totals}{created} == 0']
--- timeout: 30
--- no_error_log
[error]



=== TEST 4: a live session that is no admin: refused by every endpoint but its own
--- request eval
["GET /login?t=u1&u=alice",
 "GET /service/admin/soap/?listSessions=1",
 "GET /xmlmc/session/?method=getSessionInfo",
 "GET /api/Session?userId=alice",
 "GET /api/Session?userId=root",
 "GET /status",
 "GET /status?list=1"]
--- more_headers eval
["", map { "Cookie: SID=u1\nAccept: application/json" } 1..6]
--- error_code eval
[200, 500, 200, 200, 403, 403, 403]
--- json eval
[undef,
 '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.PERM_DENIED"',
 '$_->{q{@status}} && $_->{params}{userId} eq "alice"',
 '@{$_->{sessions}} == 1',
 '$_->{errorCode} == 5',
 '$_->{error}{status} == 403',
 '$_->{error}{status} == 403']
--- no_error_log
[error]



=== TEST 5: no session: every endpoint answers its dialect's "authentication required"
--- request eval
[(map { $_ } @::Endpoints)]
--- more_headers eval
[map { "Accept: application/json" } 1..4]
--- error_code eval
[500, 200, 401, 401]
--- json eval
['$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.AUTH_REQUIRED"',
 '!$_->{q{@status}} && $_->{state}{code} eq "0005"',
 '$_->{errorCode} == 5',
 '$_->{error}{status} == 401']
--- no_error_log
[error]



=== TEST 6: an admin sees everything, another user's sessions included
--- request eval
["GET /login?t=a1&u=alice", "GET /login?t=r1&u=root",
 "GET /service/admin/soap/?listSessions=1",
 "GET /api/Session?userId=alice",
 "GET /status?list=1"]
--- more_headers eval
["", "", map { "Cookie: SID=r1\nAccept: application/json" } 1..3]
--- json eval
[undef, undef,
 '$_->{Body}{DumpSessionsResponse}{activeSessions} == 2',
 '@{$_->{sessions}} == 1 && $_->{sessions}[0]{user}{userId} eq "alice"',
 '@{$_->{sessions}} == 2']
--- no_error_log
[error]
