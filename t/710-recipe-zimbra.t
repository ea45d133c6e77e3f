# Recipe: Zimbra (docs/login.md).  python-zimbra's AuthRequest in SOAP
# XML and in JSON (t/data/login/*.req, captured from the library), the
# admin console's AuthRequest, and the web client's login form, replayed
# through an upstream stub that answers with Zimbra's AuthResponse
# (XML: the shape of Zimbra's own responses; JSON: the AuthResponse
# carbonio-login-ui records); then the client's next call, carrying the
# token in the SOAP header as python-zimbra does.  With no header added
# by the application, the session and its account show in a Zimbra dump
# (validated against zimbraAdmin.xsd), a Hornbill getSessionInfo and a
# Commvault GET Session.

use t::TestSession 'no_plan';
use t::Login;

our $Token = (fixture('zimbra-auth-xml.body') =~ m{<authToken>([^<]+)})[0];
our $AdminToken =
    (fixture('zimbra-admin-auth-xml.body') =~ m{<authToken>([^<]+)})[0];

our @Soap = captured('zimbra-auth-xml');
our @Json = captured('zimbra-auth-json');
our @Admin = captured('zimbra-admin-auth-xml');
our @InfoXml = captured('zimbra-getinfo-xml');
our @InfoJson = captured('zimbra-getinfo-json');

# the web client's login form, as a browser posts it to "/"
our $Form = 'loginOp=login&login_csrf=0_a1b2c3d4e5f60718293a4b5c6d7e8f9'
          . '0a1b2c3d4&username=user1%40example.com&password=Secr3t%26%3C'
          . 'pass%3E&zrememberme=1&client=preferred';

start_stub(
    ['POST', qr{^/service/soap$}, qr{<AuthRequest },
     "200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n"
     . "Cache-Control: no-store, no-cache\r\n\r\n"
     . fixture('zimbra-auth-xml.body')],
    ['POST', qr{^/service/soap$}, qr{"AuthRequest"},
     "200 OK\r\nContent-Type: text/javascript; charset=utf-8\r\n"
     . "Cache-Control: no-store, no-cache\r\n\r\n"
     . fixture('zimbra-auth-json.body')],
    ['POST', qr{^/service/admin/soap$}, qr{<AuthRequest },
     "200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n\r\n"
     . fixture('zimbra-admin-auth-xml.body')],
    ['POST', qr{^/service/soap$}, qr{GetInfoRequest},
     "200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n\r\n"
     . '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">'
     . '<soap:Body><GetInfoResponse xmlns="urn:zimbraAccount">'
     . '<name>user1@example.com</name></GetInfoResponse></soap:Body>'
     . '</soap:Envelope>'],
    ['POST', qr{^/$}, qr{loginOp=login},
     "302 Found\r\nLocation: http://mail.example.com/\r\n"
     . "Set-Cookie: ZM_AUTH_TOKEN=$Token; Path=/; HttpOnly\r\n\r\n"],
);

our $HttpConfig = <<'_EOC_';
    session_zone zone=s:1m;

    upstream zimbra {
        server 127.0.0.1:$TEST_NGINX_STUB_PORT;
    }
_EOC_

our $Config = <<'_EOC_' . $Endpoints;
    session_track s;
    session_key $cookie_ZM_AUTH_TOKEN $http_authtoken;

    # SOAP: the account from AuthRequest, the session from AuthResponse's
    # authToken, and from then on the token of the SOAP header
    location /service/soap {
        session_field $zm_sent request
            xml=//z:context/*[local-name()='authToken']
            json=/Header/context/authToken/_content
            json=/Header/context/authToken
            xmlns:z=urn:zimbra;
        session_field $zm_user request
            xml=//a:AuthRequest/a:account
            json=/Body/AuthRequest/account/_content
            json=/Body/AuthRequest/account
            xmlns:a=urn:zimbraAccount;
        session_field $zm_token response
            xml=//a:AuthResponse/a:authToken
            json=/Body/AuthResponse/authToken/0/_content
            json=/Body/AuthResponse/authToken/_content
            xmlns:a=urn:zimbraAccount
            if=$zm_user;
        session_key $zm_sent $cookie_ZM_AUTH_TOKEN;
        session_create $zm_token;
        session_account $zm_user name=$zm_user;
        proxy_set_header Accept-Encoding "";
        proxy_pass http://zimbra;
    }

    location /service/admin/soap {
        session_type admin;
        session_field $zm_admin_sent request
            xml=//z:context/*[local-name()='authToken']
            json=/Header/context/authToken/_content
            xmlns:z=urn:zimbra;
        session_field $zm_admin request
            xml=//a:AuthRequest/a:account xml=//a:AuthRequest/a:name
            json=/Body/AuthRequest/account/_content
            json=/Body/AuthRequest/name/_content
            xmlns:a=urn:zimbraAdmin;
        session_field $zm_admin_token response
            xml=//a:AuthResponse/a:authToken
            json=/Body/AuthResponse/authToken/0/_content
            xmlns:a=urn:zimbraAdmin
            if=$zm_admin;
        session_key $zm_admin_sent $cookie_ZM_ADMIN_AUTH_TOKEN;
        session_create $zm_admin_token;
        session_account $zm_admin name=$zm_admin;
        proxy_set_header Accept-Encoding "";
        proxy_pass http://zimbra;
    }

    # the web client's form: the account from the form, the session from
    # the ZM_AUTH_TOKEN cookie the login sets
    location = / {
        session_field $zm_form_user request form=username;
        session_create $upstream_cookie_ZM_AUTH_TOKEN;
        session_account $zm_form_user name=$zm_form_user;
        proxy_pass http://zimbra;
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

=== TEST 1: SOAP XML: python-zimbra's AuthRequest, then a call with the token in the SOAP header
--- request eval
[$::Soap[0], $::InfoXml[0], $::Dump, $::Info,
 $::List . "user1\@example.com"]
--- more_headers eval
[$::Soap[1], $::InfoXml[1], "", "Cookie: ZM_AUTH_TOKEN=$::Token",
 "Accept: application/json\nAuthtoken: $::Token"]
--- response_headers eval
["X-Stub-Body-MD5: " . main::md5($::Soap[2]),
 "X-Stub-Body-MD5: " . main::md5($::InfoXml[2]), "", "", ""]
--- response_body_like eval
["\\A" . quotemeta(main::fixture('zimbra-auth-xml.body')) . "\\z",
 "<name>user1\@example.com</name>", "activeSessions=\"1\"",
 "<userId>user1\@example.com</userId>", '"userName":"user1@example.com"']
--- xsd eval
[undef, undef, "zimbraAdmin.xsd", undef, undef]
--- xpath eval
[undef, undef, <<'_EOX_', <<'_EOX_', undef]
//za:soap/@activeSessions => 1
//za:soap/za:zid/@name => user1@example.com
//za:soap/za:zid/@id => user1@example.com
count(//za:soap/za:zid/za:s) => 1
_EOX_
/methodCallResult/@status => ok
/methodCallResult/params/userId => user1@example.com
/methodCallResult/params/userName => user1@example.com
_EOX_
--- json eval
[undef, undef, undef, undef,
 '@{$_->{sessions}} == 1 && $_->{sessions}[0]{user}{userId} eq "user1\@example.com"']
--- no_error_log
[error]
[warn]



=== TEST 2: SOAP JSON: python-zimbra's JSON AuthRequest, carbonio's JSON AuthResponse, then a JSON call with the token
--- request eval
[$::Json[0], $::InfoJson[0], $::Dump, $::Info,
 $::List . "user1\@example.com"]
--- more_headers eval
[$::Json[1], $::InfoJson[1], "", "Cookie: ZM_AUTH_TOKEN=$::Token",
 "Accept: application/xml\nAuthtoken: $::Token"]
--- response_headers eval
["X-Stub-Body-MD5: " . main::md5($::Json[2]),
 "X-Stub-Body-MD5: " . main::md5($::InfoJson[2]), "", "", ""]
--- response_body_like eval
["\\A" . quotemeta(main::fixture('zimbra-auth-json.body')) . "\\z",
 "GetInfoResponse", "activeSessions=\"1\"",
 "<userId>user1\@example.com</userId>",
 '<user userName="user1@example.com" userId="user1@example.com" />']
--- xsd eval
[undef, undef, "zimbraAdmin.xsd", undef, undef]
--- xpath eval
[undef, undef, <<'_EOX_', undef, undef]
//za:soap/za:zid/@name => user1@example.com
count(//za:soap/za:zid/za:s) => 1
_EOX_
--- no_error_log
[error]
[warn]



=== TEST 3: the admin console's AuthRequest (urn:zimbraAdmin, password as an attribute): an admin session
--- request eval
[$::Admin[0], $::Dump, $::Info,
 $::List . "admin\@example.com"]
--- more_headers eval
[$::Admin[1], "", "Cookie: ZM_AUTH_TOKEN=$::AdminToken",
 "Accept: application/json\nAuthtoken: $::AdminToken"]
--- response_headers eval
["X-Stub-Body-MD5: " . main::md5($::Admin[2]), "", "", ""]
--- response_body_like eval
["<authToken>", "activeSessions=\"1\"",
 "<userId>admin\@example.com</userId>", '"userName":"admin@example.com"']
--- xsd eval
[undef, "zimbraAdmin.xsd", undef, undef]
--- xpath eval
[undef, <<'_EOX_', undef, undef]
//za:admin/za:zid/@name => admin@example.com
count(//za:soap) => 0
_EOX_
--- no_error_log
[error]
[warn]



=== TEST 4: the web client's login form: the account from the form, the session from ZM_AUTH_TOKEN
--- request eval
["POST /\n$::Form", $::Dump, $::Info,
 $::List . "user1\@example.com"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\n"
 . "Cookie: ZM_TEST=true; ZM_LOGIN_CSRF=0_a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4",
 "", "Cookie: ZM_AUTH_TOKEN=$::Token",
 "Accept: application/json\nCookie: ZM_AUTH_TOKEN=$::Token"]
--- error_code eval
[302, 200, 200, 200]
--- response_headers eval
["X-Stub-Body-MD5: " . main::md5($::Form), "", "", ""]
--- response_body_like eval
["", "activeSessions=\"1\"", "<userId>user1\@example.com</userId>",
 '"userName":"user1@example.com"']
--- xsd eval
[undef, "zimbraAdmin.xsd", undef, undef]
--- xpath eval
[undef, <<'_EOX_', undef, undef]
//za:soap/za:zid/@name => user1@example.com
_EOX_
--- no_error_log
[error]
[warn]
