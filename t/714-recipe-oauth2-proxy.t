# Recipe: auth_request with oauth2-proxy (docs/login.md), as
# oauth2-proxy's own nginx integration documents it: /oauth2/auth
# answers 202 with the X-Auth-Request-User, -Email and
# -Preferred-Username headers of --set-xauthrequest for a valid
# _oauth2_proxy cookie, and 401 otherwise.  The session is the cookie's,
# made only when auth_request accepted it; the account is oauth2-proxy's
# user.  A cookie oauth2-proxy refuses makes no session.  The session and
# its account show in a Zimbra dump, a Hornbill getSessionInfo and a
# Commvault GET Session.

use t::TestSession 'no_plan';
use t::Login;

our $Cookie = 'YWxpY2VAZXhhbXBsZS5jb20|1733320000|Ck2b1rX9mQ==';

start_stub(
    ['GET', qr{^/oauth2/auth$}, qr{^Cookie: _oauth2_proxy=\Q$Cookie\E\r?$}m,
     "202 Accepted\r\nX-Auth-Request-User: 112233445566778899\r\n"
     . "X-Auth-Request-Email: alice\@example.com\r\n"
     . "X-Auth-Request-Preferred-Username: alice\r\n"
     . "X-Auth-Request-Groups: staff,ops\r\n\r\n"],
    ['GET', qr{^/oauth2/auth$}, undef, "401 Unauthorized\r\n\r\n"],
    ['GET', qr{^/app/}, undef,
     "200 OK\r\nContent-Type: text/plain\r\n\r\napp\n"],
);

our $HttpConfig = <<'_EOC_';
    session_zone zone=s:1m;

    upstream oauth2_proxy {
        server 127.0.0.1:$TEST_NGINX_STUB_PORT;
    }

    upstream app {
        server 127.0.0.1:$TEST_NGINX_STUB_PORT;
    }

    # a session only of a cookie oauth2-proxy accepted
    map $oauth2_user $oauth2_session {
        ""       "";
        default  $cookie__oauth2_proxy;
    }
_EOC_

our $Config = <<'_EOC_' . $Endpoints;
    session_track s;
    session_key $cookie__oauth2_proxy;

    location = /oauth2/auth {
        session_track off;
        proxy_pass http://oauth2_proxy;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Uri $request_uri;
        proxy_set_header Content-Length "";
        proxy_pass_request_body off;
    }

    location /app/ {
        auth_request /oauth2/auth;
        auth_request_set $oauth2_user $upstream_http_x_auth_request_user;
        auth_request_set $oauth2_email $upstream_http_x_auth_request_email;
        auth_request_set $oauth2_name
                         $upstream_http_x_auth_request_preferred_username;

        session_create $oauth2_session;
        session_account $oauth2_user name=$oauth2_name;
        session_var email $oauth2_email;

        proxy_set_header X-User $oauth2_user;
        proxy_set_header X-Email $oauth2_email;
        proxy_pass http://app;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("http_config", $HttpConfig)
        unless defined $block->http_config;
    $block->set_value("config", $Config) unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: a cookie oauth2-proxy refuses makes nothing; one it accepts is a session with oauth2-proxy's user
--- request eval
["GET /app/", "GET /app/", $::Dump, "GET /app/", $::Dump, $::Info,
 $::List . "112233445566778899"]
--- more_headers eval
["Cookie: _oauth2_proxy=forged", "", "",
 "Cookie: _oauth2_proxy=$::Cookie", "",
 "Cookie: _oauth2_proxy=$::Cookie",
 "Accept: application/json\nCookie: _oauth2_proxy=$::Cookie"]
--- error_code eval
[401, 401, 200, 200, 200, 200, 200]
--- response_body_like eval
["", "", 'activeSessions="0"', "app", 'activeSessions="1"',
 "<userId>112233445566778899</userId>", '"userName":"alice"']
--- xsd eval
[undef, undef, "zimbraAdmin.xsd", undef, "zimbraAdmin.xsd", undef, undef]
--- xpath eval
[undef, undef, undef, undef, <<'_EOX_', <<'_EOX_', undef]
//za:soap/za:zid/@id => 112233445566778899
//za:soap/za:zid/@name => alice
_EOX_
/methodCallResult/params/userId => 112233445566778899
/methodCallResult/params/userName => alice
/methodCallResult/params/sessionVariable[name='email']/value => alice@example.com
_EOX_
--- no_error_log
[error]
[warn]
