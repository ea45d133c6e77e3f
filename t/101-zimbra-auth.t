# Zimbra DumpSessionsRequest: who may dump.  Admin only; no live session
# is service.AUTH_REQUIRED, a live non-admin one service.PERM_DENIED; the
# token comes from the SOAP context (element, attribute, any namespace,
# the JSON forms) before the location's session_key (the cookie).

use t::TestSession 'no_plan';
use t::ZimbraTest;

zm_setup();

run_tests();

__DATA__

=== TEST 1: no token: AUTH_REQUIRED, a full SOAP 1.2 fault, HTTP 500
--- request eval
[zm_soap(attrs => 'listSessions="1"')]
--- error_code: 500
--- response_headers
Content-Type: text/xml; charset=utf-8
Cache-Control: no-store, no-cache
--- response_body_like chomp
^<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"/></soap:Header><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code><soap:Reason><soap:Text>no valid authtoken present</soap:Text></soap:Reason><soap:Detail><Error xmlns="urn:zimbra"><Code>service.AUTH_REQUIRED</Code><Trace>nginx-\d+:\d{13}:\d+</Trace></Error></soap:Detail></soap:Fault></soap:Body></soap:Envelope>$
--- xpath
/soap:Envelope/soap:Body/soap:Fault/soap:Code/soap:Value => soap:Sender
/soap:Envelope/soap:Body/soap:Fault/soap:Reason/soap:Text => no valid authtoken present
/soap:Envelope/soap:Body/soap:Fault/soap:Detail/z:Error/z:Code => service.AUTH_REQUIRED
starts-with(/soap:Envelope/soap:Body/soap:Fault/soap:Detail/z:Error/z:Trace, 'nginx-') => true
count(/soap:Envelope/soap:Header/z:context) => 1
--- no_error_log
[error]



=== TEST 2: no token, JSON: the fault as Zimbra's SoapJSProtocol writes it
--- request eval
[zm_json_request(attrs => '"listSessions":1')]
--- error_code: 500
--- response_headers
Content-Type: text/javascript; charset=utf-8
Cache-Control: no-store, no-cache
--- response_body_like chomp
^\{"Header":\{"context":\{"_jsns":"urn:zimbra"\}\},"Body":\{"Fault":\{"Code":\{"Value":"soap:Sender"\},"Reason":\{"Text":"no valid authtoken present"\},"Detail":\{"Error":\{"Code":"service.AUTH_REQUIRED","Trace":"nginx-\d+:\d{13}:\d+","_jsns":"urn:zimbra"\}\}\}\},"_jsns":"urn:zimbraSoap"\}$
--- json
$_->{Body}{Fault}{Detail}{Error}{Code} eq 'service.AUTH_REQUIRED'
--- no_error_log
[error]



=== TEST 3: an unknown token, in the body or in the cookie: AUTH_REQUIRED
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_soap(token => "no-such-token"),
    zm_soap(),
    "GET /service/admin/soap",
]
--- more_headers eval
["", "", "Cookie: ZM_ADMIN_AUTH_TOKEN=no-such-token",
 "Cookie: ZM_ADMIN_AUTH_TOKEN=no-such-token"]
--- error_code eval
[200, 500, 500, 500]
--- xpath eval
["//z:Error/z:Code => service.AUTH_REQUIRED",
 "//z:Error/z:Code => service.AUTH_REQUIRED",
 "//z:Error/z:Code => service.AUTH_REQUIRED"]
--- no_error_log
[error]



=== TEST 4: a live session that is not an admin's: PERM_DENIED
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("soap", "usertok", "acct-1", "alice\@example.com"),
    zm_soap(token => "usertok", attrs => 'listSessions="1"'),
    zm_json_request(token => "usertok"),
    "GET /service/admin/soap?listSessions=1",
]
--- more_headers eval
["", "", "", "", "Cookie: ZM_ADMIN_AUTH_TOKEN=usertok"]
--- error_code eval
[500, 500, 500]
--- xpath eval
["/soap:Envelope/soap:Body/soap:Fault/soap:Reason/soap:Text => permission denied: need adequate admin token
//z:Error/z:Code => service.PERM_DENIED
count(//za:*) => 0", undef,
 "//z:Error/z:Code => service.PERM_DENIED"]
--- json eval
[undef, '$_->{Body}{Fault}{Reason}{Text} eq "permission denied: need adequate admin token" && $_->{Body}{Fault}{Detail}{Error}{Code} eq "service.PERM_DENIED"', undef]
--- no_error_log
[error]



=== TEST 5: the token from the cookie (session_key) when the context has none
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_soap(attrs => 'listSessions="1"'),
    "POST /service/admin/soap\n<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Header><context xmlns=\"urn:zimbra\"><authToken></authToken></context></soap:Header><soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/></soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/></soap:Body></soap:Envelope>",
]
--- more_headers eval
["", "Cookie: ZM_ADMIN_AUTH_TOKEN=admintok",
 "Cookie: ZM_ADMIN_AUTH_TOKEN=admintok",
 "Cookie: ZM_ADMIN_AUTH_TOKEN=admintok"]
--- xsd eval
["zimbraAdmin.xsd", "zimbraAdmin.xsd", "zimbraAdmin.xsd"]
--- xpath eval
["count(//za:admin/za:s[\@zid='admin-id']) => 1",
 "//za:admin/\@activeSessions => 1",
 "//za:admin/\@activeSessions => 1"]
--- no_error_log
[error]



=== TEST 6: the context's token comes before the cookie
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("soap", "usertok", "acct-1", "alice\@example.com"),
    zm_soap(token => "admintok"),
    zm_soap(token => "usertok"),
    zm_soap(token => "no-such-token"),
]
--- more_headers eval
["", "",
 "Cookie: ZM_ADMIN_AUTH_TOKEN=usertok",
 "Cookie: ZM_ADMIN_AUTH_TOKEN=admintok",
 "Cookie: ZM_ADMIN_AUTH_TOKEN=admintok"]
--- error_code eval
[200, 500, 500]
--- xsd eval
["zimbraAdmin.xsd", undef, undef]
--- xpath eval
["//za:DumpSessionsResponse/\@activeSessions => 2",
 "//z:Error/z:Code => service.PERM_DENIED",
 "//z:Error/z:Code => service.AUTH_REQUIRED"]
--- no_error_log
[error]



=== TEST 7: context/authToken as an attribute, with white space, or prefixed
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    "POST /service/admin/soap\n<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Header><context xmlns=\"urn:zimbra\" authToken=\"admintok\"/></soap:Header><soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/></soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\">\n  <soap:Header>\n    <context xmlns=\"urn:zimbra\">\n      <authToken>\n        admintok\n      </authToken>\n    </context>\n  </soap:Header>\n  <soap:Body>\n    <DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/>\n  </soap:Body>\n</soap:Envelope>\n",
    "POST /service/admin/soap\n<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:ns1=\"urn:zimbraAdmin\" xmlns:ns2=\"urn:zimbra\"><env:Header><ns2:context><authToken>admintok</authToken></ns2:context></env:Header><env:Body><ns1:DumpSessionsRequest/></env:Body></env:Envelope>",
    "POST /service/admin/soap\n<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:urn=\"urn:zimbra\" xmlns:urn1=\"urn:zimbraAdmin\"><soap:Header><urn:context><urn:authToken>admintok</urn:authToken></urn:context></soap:Header><soap:Body><urn1:DumpSessionsRequest/></soap:Body></soap:Envelope>",
]
--- xsd eval
["zimbraAdmin.xsd", "zimbraAdmin.xsd", "zimbraAdmin.xsd", "zimbraAdmin.xsd"]
--- xpath eval
["//za:admin/\@activeSessions => 1", "//za:admin/\@activeSessions => 1",
 "//za:admin/\@activeSessions => 1", "//za:admin/\@activeSessions => 1"]
--- no_error_log
[error]



=== TEST 8: the JSON forms of authToken: a string, {_content}, [{_content}]
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    "POST /service/admin/soap\n{\"Header\":{\"context\":{\"_jsns\":\"urn:zimbra\",\"authToken\":\"admintok\"}},\"Body\":{\"DumpSessionsRequest\":{\"_jsns\":\"urn:zimbraAdmin\"}}}",
    "POST /service/admin/soap\n{\"Header\":{\"context\":{\"_jsns\":\"urn:zimbra\",\"authToken\":{\"_content\":\"admintok\"}}},\"Body\":{\"DumpSessionsRequest\":{\"_jsns\":\"urn:zimbraAdmin\"}}}",
    "POST /service/admin/soap\n{\"Header\":{\"context\":{\"_jsns\":\"urn:zimbra\",\"authToken\":[{\"_content\":\"admintok\"}]}},\"Body\":{\"DumpSessionsRequest\":{\"_jsns\":\"urn:zimbraAdmin\"}}}",
    "POST /service/admin/soap\n{\"Header\":{\"context\":[{\"_jsns\":\"urn:zimbra\",\"authToken\":\"admintok\"}]},\"Body\":{\"DumpSessionsRequest\":{\"_jsns\":\"urn:zimbraAdmin\"}}}",
]
--- json eval
['$_->{Body}{DumpSessionsResponse}{admin}[0]{activeSessions} == 1',
 '$_->{Body}{DumpSessionsResponse}{admin}[0]{activeSessions} == 1',
 '$_->{Body}{DumpSessionsResponse}{admin}[0]{activeSessions} == 1',
 '$_->{Body}{DumpSessionsResponse}{admin}[0]{activeSessions} == 1']
--- no_error_log
[error]



=== TEST 9: an authToken that is no string is ignored: the cookie decides
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    "POST /service/admin/soap\n{\"Header\":{\"context\":{\"authToken\":{\"token\":\"x\"}}},\"Body\":{\"DumpSessionsRequest\":{}}}",
    "POST /service/admin/soap\n{\"Header\":{\"context\":{\"authToken\":{\"token\":\"x\"}}},\"Body\":{\"DumpSessionsRequest\":{}}}",
    "POST /service/admin/soap\n{\"Header\":{\"context\":{\"authToken\":12345}},\"Body\":{\"DumpSessionsRequest\":{}}}",
    "POST /service/admin/soap\n{\"Header\":\"admintok\",\"Body\":{\"DumpSessionsRequest\":{}}}",
]
--- more_headers eval
["", "Cookie: ZM_ADMIN_AUTH_TOKEN=admintok", "",
 "Cookie: ZM_ADMIN_AUTH_TOKEN=admintok", ""]
--- error_code eval
[200, 500, 500, 500]
--- json eval
['$_->{Body}{DumpSessionsResponse}{activeSessions} == 1',
 '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.AUTH_REQUIRED"',
 '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.AUTH_REQUIRED"',
 '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.AUTH_REQUIRED"']
--- no_error_log
[error]



=== TEST 10: admin rights without a session pass (session_admin alone)
--- config
    location /service/admin/soap {
        session_dump s;
        session_key $cookie_ZM_ADMIN_AUTH_TOKEN;
        session_admin $http_x_operator;
    }
--- request eval
[zm_soap(), zm_soap(token => "no-such-token"), zm_soap()]
--- more_headers eval
["X-Operator: 1", "X-Operator: yes", "X-Operator: 0"]
--- error_code eval
[200, 200, 500]
--- xsd eval
["zimbraAdmin.xsd", "zimbraAdmin.xsd", undef]
--- xpath eval
["//za:DumpSessionsResponse/\@activeSessions => 0",
 "//za:DumpSessionsResponse/\@activeSessions => 0",
 "//z:Error/z:Code => service.AUTH_REQUIRED"]
--- no_error_log
[error]



=== TEST 11: a logged-out session is no session
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_logout("admin"),
    zm_soap(token => "admintok"),
]
--- more_headers eval
["", "Cookie: SID=admintok", ""]
--- error_code eval
[200, 200, 500]
--- xpath eval
[undef, undef, "//z:Error/z:Code => service.AUTH_REQUIRED"]
--- no_error_log
[error]



=== TEST 12: Zimbra's order: unknown document first, bad attributes last
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("soap", "usertok", "acct-1", "alice\@example.com"),
    "POST /service/admin/soap\n<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body><GetSessionsRequest xmlns=\"urn:zimbraAdmin\"/></soap:Body></soap:Envelope>",
    zm_soap(attrs => 'listSessions="maybe"'),
    zm_soap(token => "usertok", attrs => 'listSessions="maybe"'),
    zm_soap(token => "admintok", attrs => 'listSessions="maybe"'),
]
--- error_code eval
[500, 500, 500, 500]
--- xpath eval
["//z:Error/z:Code => service.UNKNOWN_DOCUMENT",
 "//z:Error/z:Code => service.AUTH_REQUIRED",
 "//z:Error/z:Code => service.PERM_DENIED",
 "//z:Error/z:Code => service.INVALID_REQUEST
//soap:Reason/soap:Text => invalid request: invalid boolean value 'maybe' for attribute: listSessions"]
--- no_error_log
[error]



=== TEST 13: a refusal changes nothing in the zone
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("soap", "usertok", "acct-1", "alice\@example.com"),
    zm_soap(token => "usertok", attrs => 'listSessions="1"'),
    zm_json_request(token => "usertok"),
    "GET /service/admin/soap?listSessions=1",
    zm_soap(token => "admintok", attrs => 'listSessions="1"'),
]
--- more_headers eval
["", "", "", "", "Cookie: ZM_ADMIN_AUTH_TOKEN=usertok", ""]
--- error_code eval
[500, 500, 500, 200]
--- xsd eval
[undef, undef, undef, "zimbraAdmin.xsd"]
--- xpath eval
[undef, undef, undef,
 "//za:DumpSessionsResponse/\@activeSessions => 2
count(//za:soap/za:s[\@zid='acct-1']) => 1
count(//za:soap/za:s[\@zid='acct-1'][\@cd = \@ld]) => 1
count(//za:admin/za:s[\@cd = \@ld]) => 1"]
--- no_error_log
[error]



=== TEST 14: a refusal goes out in the format the context asks for
--- request eval
[
    "POST /service/admin/soap\n<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Header><context xmlns=\"urn:zimbra\"><format type=\"js\"/></context></soap:Header><soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/></soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n{\"Header\":{\"context\":{\"format\":{\"type\":\"xml\"}}},\"Body\":{\"DumpSessionsRequest\":{}}}",
    "POST /service/admin/soap\n<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/></soap:Body></soap:Envelope>",
]
--- error_code eval
[500, 500, 500]
--- response_headers eval
["Content-Type: text/javascript; charset=utf-8",
 "Content-Type: text/xml; charset=utf-8",
 "Content-Type: text/xml; charset=utf-8"]
--- response_body_like eval
['^\{"Header":\{"context":\{"_jsns":"urn:zimbra"\}\},"Body":\{"Fault":\{"Code":\{"Value":"soap:Sender"\},"Reason":\{"Text":"no valid authtoken present"\}',
 '^<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"/></soap:Header><soap:Body><soap:Fault>',
 '^<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><context xmlns="urn:zimbra"/></soap:Header><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>no valid authtoken present</faultstring><detail><Error xmlns="urn:zimbra"><Code>service.AUTH_REQUIRED</Code><Trace>nginx-\d+:\d+:\d+</Trace></Error></detail></soap:Fault></soap:Body></soap:Envelope>$']
--- json eval
['$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.AUTH_REQUIRED"', undef, undef]
--- xpath eval
[undef, "//z:Error/z:Code => service.AUTH_REQUIRED",
 "//z:Error/z:Code => service.AUTH_REQUIRED"]
--- no_error_log
[error]



=== TEST 15: admin through a map of the session's account, from any type
--- http_config
    session_zone zone=s:8m;

    map $session_account_name $zm_admin {
        ~@admins\.example\.com$  1;
        default                  0;
    }
--- request eval
[
    zm_login("soap", "t1", "id-1", "ops\@admins.example.com"),
    zm_login("imap", "t2", "id-2", "ops\@example.com"),
    zm_soap(token => "t1"),
    zm_soap(token => "t2"),
]
--- error_code eval
[200, 500]
--- xsd eval
["zimbraAdmin.xsd", undef]
--- xpath eval
["//za:DumpSessionsResponse/\@activeSessions => 2",
 "//z:Error/z:Code => service.PERM_DENIED"]
--- no_error_log
[error]



=== TEST 16: a location that tracks another zone cannot serve an endpoint: nginx does not start
--- http_config eval
$::ZmHttpConfig . "    session_zone zone=t:1m;\n"
--- config eval
$::ZmConfig . <<'_EOC_';

    location = /tdump {
        session_track t;
        session_key $cookie_SID;
        session_dump s;
    }
_EOC_
--- must_die
--- error_log eval
qr/a session endpoint serves session zone "s" in a location that tracks session zone "t": remove "session_track t;" from this location, or write "session_track s;"/
