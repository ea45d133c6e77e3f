# An operator's own Test::Nginx suite for an application behind nginx with
# ngx_http_session_module: what this site relies on, checked against the
# module that is installed (Debian's libnginx-mod-http-session package)
# or the one TEST_NGINX_SESSION_MODULE names.
#
#   prove examples/t/                                   # the packaged .so
#   TEST_NGINX_SESSION_MODULE=/path/ngx_http_session_module.so prove ...
#
# The "application" here is a stand-in inside nginx (a server that sets
# SID at /login and names the user in X-User); in your suite it is your
# application's configuration, or a stub of it.  docs/testing.md walks
# through this file.

use Test::Nginx::Socket 'no_plan';

use XML::LibXML ();
use JSON::PP ();

$ENV{TEST_NGINX_SESSION_MODULE}
    ||= '/usr/lib/nginx/modules/ngx_http_session_module.so';

-f $ENV{TEST_NGINX_SESSION_MODULE}
    or die "no module at $ENV{TEST_NGINX_SESSION_MODULE}: install "
           . "libnginx-mod-http-session or set TEST_NGINX_SESSION_MODULE\n";

# the zone is shared memory: two workers, so a session one worker made
# must be known to the other
master_process_enabled(1);
workers(2);
repeat_each(1);         # sessions outlive a request: each block runs once
no_shuffle();
no_root_location();

my $site = <<'END';
    # the application (your upstream): sets SID at login, clears it at
    # logout, names the user in X-User
    server {
        listen 127.0.0.1:$TEST_NGINX_APP_PORT;

        location = /login {
            add_header Set-Cookie "SID=$arg_token; Path=/; HttpOnly";
            add_header X-User $arg_user;
            return 200 "welcome $arg_user\n";
        }

        location = /logout {
            add_header X-Logout 1;
            return 200 "bye\n";
        }

        location / {
            return 200 "page\n";
        }
    }

    session_zone zone=site:4m timeout=30m;

    map $session_account $site_admin {
        ops      1;
        default  0;
    }
END

my $server = <<'END';
    session_key $cookie_SID;
    session_admin $site_admin;

    location / {
        session_track site;
        session_create $upstream_cookie_SID;
        session_end $upstream_http_x_logout;
        session_account $upstream_http_x_user;
        add_header X-Session $session_id always;
        add_header X-Session-New $session_new always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_APP_PORT;
    }

    location /service/admin/soap {
        session_dump site;
    }

    location = /api/Session {
        session_list site;
    }

    location = /session-status {
        session_status site;
    }
END

$ENV{TEST_NGINX_APP_PORT} ||= ($ENV{TEST_NGINX_PORT} || 1984) + 1;

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("main_config",
                      "load_module $ENV{TEST_NGINX_SESSION_MODULE};\n")
        if !defined $block->main_config;
    $block->set_value("http_config", $site) if !defined $block->http_config;
    $block->set_value("config", $server) if !defined $block->config;
    $block->set_value("no_error_log", "[alert]\n[crit]\n[emerg]\n")
        if !defined $block->no_error_log;
});

# the sid a response carried, for later requests of the block
my %sid;

add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated, $dry_run) = @_;

    my $check = $block->dump_shape;
    return if !defined $check || $dry_run;
    $check = $check->[$req_idx] if ref $check eq 'ARRAY';
    return if !defined $check;

    my $doc = XML::LibXML->load_xml(string => $body, no_network => 1);
    my $xc = XML::LibXML::XPathContext->new($doc);
    $xc->registerNs(soap => 'http://www.w3.org/2003/05/soap-envelope');
    $xc->registerNs(za => 'urn:zimbraAdmin');

    for my $line (grep { /\S/ } split /\n/, $check) {
        my ($expr, $want) = split /\s*=>\s*/, $line, 2;
        is($xc->findvalue($expr), $want, $block->name . " - $expr");
    }
});

run_tests();

__DATA__

=== TEST 1: a session is made at login: its id in X-Session, new only once
--- request eval
["GET /login?token=t-alice-1&user=alice", "GET /inbox"]
--- more_headers eval
["", "Cookie: SID=t-alice-1"]
--- response_headers_like eval
["X-Session: [0-9a-f]{32}\nX-Session-New: 1",
 "X-Session: [0-9a-f]{32}\nX-Session-New: 0"]
--- error_code eval
[200, 200]



=== TEST 2: a token the application never issued makes no session
--- request
GET /inbox
--- more_headers
Cookie: SID=forged
--- response_headers
X-Session:



=== TEST 3: the status is for admins: no session 401, a user 403, ops 200
--- request eval
["GET /session-status", "GET /login?token=t-bob&user=bob",
 "GET /session-status", "GET /login?token=t-ops&user=ops",
 "GET /session-status"]
--- more_headers eval
["", "", "Cookie: SID=t-bob", "", "Cookie: SID=t-ops"]
--- error_code eval
[401, 200, 403, 200, 200]
--- response_body_like eval
['"authentication required', 'welcome', '"permission denied', 'welcome',
 '"sessions": \{"open": 2,']



=== TEST 4: a user lists their own sessions, not another user's
--- request eval
["GET /login?token=t-carol&user=carol", "GET /login?token=t-dan&user=dan",
 "GET /api/Session?userId=carol", "GET /api/Session?userId=dan",
 "GET /api/Session?userId=carol"]
--- more_headers eval
["", "", "Authtoken: t-carol", "Authtoken: t-carol", ""]
--- error_code eval
[200, 200, 200, 403, 401]
--- response_body_like eval
['welcome', 'welcome', '<user userName="carol" userId="carol"', '.*', '.*']
--- config
    session_key $cookie_SID $http_authtoken;
    session_admin $site_admin;

    location / {
        session_track site;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user;
        proxy_pass http://127.0.0.1:$TEST_NGINX_APP_PORT;
    }

    location = /api/Session {
        session_list site;
    }



=== TEST 5: the dump's shape: ops sees every session, grouped by account
--- request eval
["GET /login?token=t-erin-1&user=erin", "GET /login?token=t-erin-2&user=erin",
 "GET /login?token=t-ops&user=ops", "GET /logout",
 "GET /service/admin/soap?listSessions=1&groupByAccount=1"]
--- more_headers eval
["", "", "", "Cookie: SID=t-erin-2", "Cookie: SID=t-ops"]
--- error_code eval
[200, 200, 200, 200, 200]
--- dump_shape eval
[undef, undef, undef, undef, <<'END']
//za:DumpSessionsResponse/@activeSessions => 2
//za:DumpSessionsResponse/za:soap/@activeAccounts => 2
count(//za:soap/za:zid) => 2
count(//za:soap/za:zid[@id="erin"]/za:s) => 1
string-length(//za:soap/za:zid[@id="erin"]/za:s/@sid) => 32
END



=== TEST 6: the dump refuses a user the way Zimbra does: a SOAP fault
--- request eval
["GET /login?token=t-frank&user=frank",
 "GET /service/admin/soap?listSessions=1"]
--- more_headers eval
["", "Cookie: SID=t-frank"]
--- error_code eval
[200, 500]
--- response_body_like eval
['welcome', '<Code>service.PERM_DENIED</Code>']
