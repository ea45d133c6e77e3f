# Recipe: Hornbill (docs/login.md).  session::userLogon as goApiLib,
# phpApiLib and pythonApiLib send it (the Python client's body is
# Python 3's str(b'...'), t/data/login/hornbill-userlogon-python.req,
# captured from the library), replayed through an upstream stub that
# answers as XMLMC does: the session's state in an ESPSessionState
# cookie, the sessionId in params, XML or JSON by Accept.  The account
# comes from the request's <userId>; the clients send the cookie back.
# The session and its account then show in a Zimbra dump, a Hornbill
# getSessionInfo and a Commvault GET Session.

use t::TestSession 'no_plan';
use t::Login;

our $State = 'c2Vzc2lvbi1zdGF0ZS0xMjM0NTY3ODkwYWJjZGVm';

# goApiLib (apiLib.go InvokeGetResponse), phpApiLib (XmlmcTransaction)
our $GoBody = '<methodCall service="session" method="userLogon" trace="goApi">'
            . '<params><userId>jsmith</userId><password>UGE1NXdvcmQh'
            . '</password></params></methodCall>';
our $PhpBody = qq{<?xml version="1.0" encoding="UTF-8"?>\n}
             . '<methodCall service="session" method="userLogon"><params>'
             . '<userId>jsmith</userId><password>UGE1NXdvcmQh</password>'
             . qq{</params></methodCall>\n};
our @Py = captured('hornbill-userlogon-python', '/instance/xmlmc/session/');

start_stub(
    ['POST', qr{^/instance/xmlmc/+session/}, qr{method="userLogon"},
     "200 OK\r\nContent-Type: text/json; charset=utf-8\r\n"
     . "Set-Cookie: ESPSessionState=$State; path=/; HttpOnly\r\n\r\n"
     . fixture('hornbill-userlogon-json.body')],
);

our $HttpConfig = <<'_EOC_';
    session_zone zone=s:1m;

    upstream hornbill {
        server 127.0.0.1:$TEST_NGINX_STUB_PORT;
    }
_EOC_

our $Config = <<'_EOC_' . $Endpoints;
    session_track s;
    session_key $cookie_ESPSessionState;

    # XMLMC: the account from userLogon's <userId>, the session from the
    # ESPSessionState cookie it sets
    location /instance/xmlmc/ {
        session_field $hb_user request
            xml=/methodCall[@method='userLogon']/params/userId;
        session_create $upstream_cookie_ESPSessionState;
        session_account $hb_user name=$hb_user;
        proxy_pass http://hornbill;
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

=== TEST 1: goApiLib: /xmlmc//session/?method=userLogon
--- request eval
["POST /instance/xmlmc//session/?method=userLogon\n$::GoBody", $::Dump,
 $::Info, $::List . "jsmith"]
--- more_headers eval
["Content-Type: text/xmlmc\nUser-Agent: Go-http-client/1.1\nAccept: text/json",
 "", "Cookie: ESPSessionState=$::State",
 "Accept: application/json\nCookie: ESPSessionState=$::State"]
--- response_headers eval
["X-Stub-Body-MD5: " . main::md5($::GoBody), "", "", ""]
--- response_body_like eval
["\\A" . quotemeta(main::fixture('hornbill-userlogon-json.body')) . "\\z",
 "activeSessions=\"1\"", "<userId>jsmith</userId>", '"userName":"jsmith"']
--- xsd eval
[undef, "zimbraAdmin.xsd", undef, undef]
--- xpath eval
[undef, <<'_EOX_', <<'_EOX_', undef]
//za:soap/za:zid/@id => jsmith
//za:soap/za:zid/@name => jsmith
_EOX_
/methodCallResult/@status => ok
/methodCallResult/params/userId => jsmith
/methodCallResult/params/userName => jsmith
/methodCallResult/params/instanceId => recipes
_EOX_
--- json eval
[undef, undef, undef,
 '@{$_->{sessions}} == 1 && $_->{sessions}[0]{user}{userId} eq "jsmith"']
--- no_error_log
[error]
[warn]



=== TEST 2: phpApiLib: an XML declaration, no method in the query
--- request eval
["POST /instance/xmlmc/session/\n$::PhpBody", $::Info,
 $::List . "jsmith"]
--- more_headers eval
["Content-Type: text/xmlmc; charset=utf-8\nAccept: text/xmlmc",
 "Cookie: ESPSessionState=$::State",
 "Accept: application/xml\nCookie: ESPSessionState=$::State"]
--- response_headers eval
# Test::Nginx sends a request body without its last newlines
["X-Stub-Body-MD5: " . main::md5($::PhpBody =~ s/\n+\z//r), "", ""]
--- response_body_like eval
['"@status":true', "<userId>jsmith</userId>",
 '<user userName="jsmith" userId="jsmith" />']
--- no_error_log
[error]
[warn]



=== TEST 3: pythonApiLib under Python 3: the body is the text of b'...'
--- request eval
[$::Py[0], $::Dump, $::Info, $::List . "jsmith"]
--- more_headers eval
[$::Py[1], "", "Cookie: ESPSessionState=$::State",
 "Accept: application/json\nCookie: ESPSessionState=$::State"]
--- response_headers eval
["X-Stub-Body-MD5: " . main::md5($::Py[2]), "", "", ""]
--- response_body_like eval
['"@status":true', "activeSessions=\"1\"", "<userId>jsmith</userId>",
 '"userName":"jsmith"']
--- xpath eval
[undef, "//za:soap/za:zid/\@name => jsmith\n", undef, undef]
--- no_error_log
[error]
[warn]



=== TEST 4: another method's <userId> is no login: the account stays
--- request eval
["POST /instance/xmlmc/session/\n$::PhpBody",
 "POST /instance/xmlmc/admin/\n"
 . '<methodCall service="admin" method="userGet"><params><userId>admin'
 . '</userId></params></methodCall>',
 $::Info]
--- more_headers eval
["Content-Type: text/xmlmc; charset=utf-8",
 "Content-Type: text/xmlmc; charset=utf-8\nCookie: ESPSessionState=$::State",
 "Cookie: ESPSessionState=$::State"]
--- error_code eval
[200, 404, 200]
--- response_body_like eval
['"@status":true', "no route", "<userId>jsmith</userId>"]
--- no_error_log
[error]
[warn]
