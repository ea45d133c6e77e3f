# Zimbra DumpSessionsRequest: every fault, and hostile bodies.  Faults
# are HTTP 500 (405 for a method) with a SOAP fault; a request that does
# not parse or is no envelope is answered without the soap:Header, as
# SoapEngine does.  Every fault body must itself parse.

use t::TestSession 'no_plan';
use t::ZimbraTest;

zm_setup();

our $Operator = <<'_EOC_';
    location /service/admin/soap {
        session_dump s;
        session_key $cookie_ZM_ADMIN_AUTH_TOKEN;
        session_admin $http_x_operator;
    }
_EOC_

our $Env = '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">';

run_tests();

__DATA__

=== TEST 1: an empty body: PARSE_ERROR, whatever the Content-Type
--- request eval
["POST /service/admin/soap\n", "POST /service/admin/soap\n"]
--- more_headers eval
["Content-Type: application/json", "Content-Type: text/xml"]
--- error_code eval
[500, 500]
--- response_headers eval
["Content-Type: text/xml; charset=utf-8\nCache-Control: no-store, no-cache",
 "Content-Type: text/xml; charset=utf-8\nCache-Control: no-store, no-cache"]
--- xpath eval
["//z:Error/z:Code => service.PARSE_ERROR",
 "//soap:Reason/soap:Text => parse error: empty request payload"]
--- response_body_like eval
['^<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code><soap:Reason><soap:Text>parse error: empty request payload</soap:Text></soap:Reason><soap:Detail><Error xmlns="urn:zimbra"><Code>service.PARSE_ERROR</Code><Trace>nginx-\d+:\d+:\d+</Trace></Error></soap:Detail></soap:Fault></soap:Body></soap:Envelope>$',
 '<Code>service.PARSE_ERROR</Code>']
--- no_error_log
[error]



=== TEST 2: malformed and truncated XML: PARSE_ERROR saying why
--- request eval
[
    "POST /service/admin/soap\n$::Env<soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/></soap:Body>",
    "POST /service/admin/soap\n$::Env<soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\" listSessions=\"1",
    "POST /service/admin/soap\n<",
    "POST /service/admin/soap\n$::Env<soap:Body><a></b></soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n$::Env<soap:Body/></soap:Envelope><second/>",
]
--- error_code eval
[500, 500, 500, 500, 500]
--- xpath eval
["//z:Error/z:Code => service.PARSE_ERROR
starts-with(//soap:Reason/soap:Text, 'parse error: ') => true
string-length(//soap:Reason/soap:Text) > 14 => true
count(/soap:Envelope/soap:Header) => 0",
 "//z:Error/z:Code => service.PARSE_ERROR",
 "//z:Error/z:Code => service.PARSE_ERROR",
 "//z:Error/z:Code => service.PARSE_ERROR
contains(//soap:Reason/soap:Text, 'mismatch') => true",
 "//z:Error/z:Code => service.PARSE_ERROR"]
--- no_error_log
[error]



=== TEST 3: malformed JSON: PARSE_ERROR, in JSON, without the Header
--- request eval
[
    "POST /service/admin/soap\n{\"Body\":",
    "POST /service/admin/soap\n[1,2]",
    "POST /service/admin/soap\n12",
    "POST /service/admin/soap\n\xef\xbb\xbf<soap:Envelope/>",
    "POST /service/admin/soap\n{\"Body\":{},\"Body\":{}}",
]
--- more_headers eval
["Content-Type: text/xml", "", "", "Content-Type: text/xml", ""]
--- error_code eval
[500, 500, 500, 500, 500]
--- response_headers eval
["Content-Type: text/javascript; charset=utf-8",
 "Content-Type: text/javascript; charset=utf-8",
 "Content-Type: text/javascript; charset=utf-8",
 "Content-Type: text/javascript; charset=utf-8",
 "Content-Type: text/javascript; charset=utf-8"]
--- response_body_like eval
['^\{"Body":\{"Fault":\{"Code":\{"Value":"soap:Sender"\},"Reason":\{"Text":"parse error: [^"]+"\},"Detail":\{"Error":\{"Code":"service.PARSE_ERROR","Trace":"nginx-\d+:\d+:\d+","_jsns":"urn:zimbra"\}\}\}\},"_jsns":"urn:zimbraSoap"\}$',
 '"Reason":\{"Text":"parse error: a SOAP JSON request is an object"\}',
 '"Code":"service.PARSE_ERROR"',
 '"Code":"service.PARSE_ERROR"',
 '"Code":"service.PARSE_ERROR"']
--- json eval
['!exists $_->{Header} && $_->{Body}{Fault}{Detail}{Error}{Code} eq "service.PARSE_ERROR"',
 '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.PARSE_ERROR"',
 '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.PARSE_ERROR"',
 '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.PARSE_ERROR"',
 '$_->{Body}{Fault}{Reason}{Text} =~ /duplicate/']
--- no_error_log
[error]



=== TEST 4: no SOAP envelope: INVALID_REQUEST, unable to determine SOAP version
--- request eval
[
    "POST /service/admin/soap\n<DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/>",
    "POST /service/admin/soap\n<soap:Envelope xmlns:soap=\"urn:not-soap\"><soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/></soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n<Envelope><Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/></Body></Envelope>",
]
--- error_code eval
[500, 500, 500]
--- xpath eval
["//z:Error/z:Code => service.INVALID_REQUEST
//soap:Reason/soap:Text => invalid request: unable to determine SOAP version
count(/soap:Envelope/soap:Header) => 0",
 "//z:Error/z:Code => service.INVALID_REQUEST",
 "//z:Error/z:Code => service.INVALID_REQUEST"]
--- no_error_log
[error]



=== TEST 5: no document in the Body: INVALID_REQUEST, No SOAP body
--- request eval
[
    "POST /service/admin/soap\n$::Env<soap:Header/></soap:Envelope>",
    "POST /service/admin/soap\n$::Env<soap:Body> <!-- none --> </soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n$::Env<Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/></Body></soap:Envelope>",
    "POST /service/admin/soap\n{\"Header\":{}}",
    "POST /service/admin/soap\n{\"Body\":{\"_jsns\":\"urn:zimbraSoap\",\"DumpSessionsRequest\":1}}",
    "POST /service/admin/soap\n{\"Body\":\"DumpSessionsRequest\"}",
    "POST /service/admin/soap\n<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"/>",
]
--- error_code eval
[500, 500, 500, 500, 500, 500, 500]
--- xpath eval
["//soap:Reason/soap:Text => invalid request: No SOAP body
//z:Error/z:Code => service.INVALID_REQUEST
count(/soap:Envelope/soap:Header) => 0",
 "//soap:Reason/soap:Text => invalid request: No SOAP body",
 "//soap:Reason/soap:Text => invalid request: No SOAP body",
 undef, undef, undef,
 "//z:Error/z:Code => service.INVALID_REQUEST"]
--- json eval
[undef, undef, undef,
 '$_->{Body}{Fault}{Reason}{Text} eq "invalid request: No SOAP body" && $_->{Body}{Fault}{Detail}{Error}{Code} eq "service.INVALID_REQUEST" && !exists $_->{Header}',
 '$_->{Body}{Fault}{Reason}{Text} eq "invalid request: No SOAP body"',
 '$_->{Body}{Fault}{Reason}{Text} eq "invalid request: No SOAP body"',
 undef]
--- response_body_like eval
['.', '.', '.', '.', '.', '.',
 '^<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>invalid request: No SOAP body</faultstring><detail><Error xmlns="urn:zimbra"><Code>service.INVALID_REQUEST</Code><Trace>nginx-[^<]+</Trace></Error></detail></soap:Fault></soap:Body></soap:Envelope>$']
--- no_error_log
[error]



=== TEST 6: another document: UNKNOWN_DOCUMENT with its qualified name
--- request eval
[
    "POST /service/admin/soap\n$::Env<soap:Body><GetSessionsRequest xmlns=\"urn:zimbraAdmin\"/></soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n$::Env<soap:Body><ns1:NoOpRequest xmlns:ns1=\"urn:zimbraAdmin\"/></soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n$::Env<soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAccount\"/></soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n{\"Body\":{\"GetInfoRequest\":{\"_jsns\":\"urn:zimbraAccount\"}}}",
    "POST /service/admin/soap\n{\"Body\":{\"DumpSessionsRequest\":{\"_jsns\":\"urn:zimbraMail\"}}}",
    "POST /service/admin/soap\n{\"Body\":{\"DumpSessionsRequest\":{\"_jsns\":7}}}",
]
--- error_code eval
[500, 500, 500, 500, 500, 500]
--- xpath eval
["//z:Error/z:Code => service.UNKNOWN_DOCUMENT
//soap:Reason/soap:Text => unknown document: GetSessionsRequest
count(/soap:Envelope/soap:Header/z:context) => 1",
 "//soap:Reason/soap:Text => unknown document: ns1:NoOpRequest",
 "//soap:Reason/soap:Text => unknown document: DumpSessionsRequest",
 undef, undef, undef]
--- json eval
[undef, undef, undef,
 '$_->{Body}{Fault}{Reason}{Text} eq "unknown document: GetInfoRequest" && $_->{Body}{Fault}{Detail}{Error}{Code} eq "service.UNKNOWN_DOCUMENT" && $_->{Header}{context}{_jsns} eq "urn:zimbra"',
 '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.UNKNOWN_DOCUMENT"',
 '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.UNKNOWN_DOCUMENT"']
--- no_error_log
[error]



=== TEST 7: bad booleans: INVALID_REQUEST naming the value and the attribute
--- config eval
$::ZmApp . $::Operator
--- more_headers eval
[map { "X-Operator: 1" } 1..11]
--- request eval
[
    zm_soap(attrs => 'listSessions="yes"'),
    zm_soap(attrs => 'listSessions="1" groupByAccount="2"'),
    zm_soap(attrs => 'listSessions=""'),
    zm_soap(attrs => 'listSessions="maybe" groupByAccount="no"'),
    "POST /service/admin/soap\n$::Env<soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"><listSessions>sure</listSessions></DumpSessionsRequest></soap:Body></soap:Envelope>",
    zm_json_request(attrs => '"listSessions":2'),
    zm_json_request(attrs => '"listSessions":1.0'),
    zm_json_request(attrs => '"listSessions":"yes"'),
    zm_json_request(attrs => '"listSessions":{"a":[1,2,3]}'),
    zm_json_request(attrs => '"groupByAccount":[[' . CORE::join(",", 1..100) . ']]'),
    "GET /service/admin/soap?listSessions=1&groupByAccount=yes",
]
--- error_code eval
[(500) x 11]
--- xpath eval
["//z:Error/z:Code => service.INVALID_REQUEST
//soap:Reason/soap:Text => invalid request: invalid boolean value 'yes' for attribute: listSessions
count(/soap:Envelope/soap:Header/z:context) => 1",
 "//soap:Reason/soap:Text => invalid request: invalid boolean value '2' for attribute: groupByAccount",
 "//soap:Reason/soap:Text => invalid request: invalid boolean value '' for attribute: listSessions",
 "//soap:Reason/soap:Text => invalid request: invalid boolean value 'maybe' for attribute: listSessions",
 "//soap:Reason/soap:Text => invalid request: invalid boolean value 'sure' for attribute: listSessions",
 undef, undef, undef, undef, undef,
 "//soap:Reason/soap:Text => invalid request: invalid boolean value 'yes' for attribute: groupByAccount"]
--- json eval
[undef, undef, undef, undef, undef,
 '$_->{Body}{Fault}{Reason}{Text} eq q{invalid request: invalid boolean value \'2\' for attribute: listSessions} && $_->{Body}{Fault}{Detail}{Error}{Code} eq "service.INVALID_REQUEST"',
 '$_->{Body}{Fault}{Reason}{Text} eq q{invalid request: invalid boolean value \'1.0\' for attribute: listSessions}',
 '$_->{Body}{Fault}{Reason}{Text} eq q{invalid request: invalid boolean value \'yes\' for attribute: listSessions}',
 '$_->{Body}{Fault}{Reason}{Text} eq q{invalid request: invalid boolean value \'{"a":[1,2,3]}\' for attribute: listSessions}',
 '$_->{Body}{Fault}{Reason}{Text} =~ /^invalid request: invalid boolean value \'\[\[1,2,3,[0-9,]+\.\.\.\' for attribute: groupByAccount$/ && length($_->{Body}{Fault}{Reason}{Text}) < 140',
 undef]
--- no_error_log
[error]



=== TEST 8: the booleans Zimbra's parseBool takes, in every JSON form
--- config eval
$::ZmApp . $::Operator
--- more_headers eval
[map { "X-Operator: 1" } 1..9]
--- request eval
[
    zm_soap(attrs => 'listSessions="TRUE" groupByAccount="False"'),
    zm_soap(attrs => 'listSessions="0" groupByAccount="1"'),
    zm_json_request(attrs => '"listSessions":true,"groupByAccount":false'),
    zm_json_request(attrs => '"listSessions":"True","groupByAccount":"0"'),
    zm_json_request(attrs => '"listSessions":{"_content":"1"}'),
    zm_json_request(attrs => '"listSessions":[{"_content":true}]'),
    zm_json_request(attrs => '"listSessions":null,"groupByAccount":null'),
    zm_json_request(attrs => '"listSessions":[]'),
    "GET /service/admin/soap?listSessions=tRuE&groupByAccount=0",
]
--- error_code eval
[(200) x 9]
--- xsd eval
["zimbraAdmin.xsd", "zimbraAdmin.xsd", undef, undef, undef, undef, undef,
 undef, "zimbraAdmin.xsd"]
--- json eval
[undef, undef,
 '$_->{Body}{DumpSessionsResponse}{activeSessions} == 0',
 '$_->{Body}{DumpSessionsResponse}{activeSessions} == 0',
 '$_->{Body}{DumpSessionsResponse}{activeSessions} == 0',
 '$_->{Body}{DumpSessionsResponse}{activeSessions} == 0',
 '$_->{Body}{DumpSessionsResponse}{activeSessions} == 0',
 '$_->{Body}{DumpSessionsResponse}{activeSessions} == 0',
 undef]
--- no_error_log
[error]



=== TEST 9: other methods: 405, Allow: GET, POST, and a SOAP fault
--- request eval
["PUT /service/admin/soap\n<x/>", "DELETE /service/admin/soap",
 "PATCH /service/admin/soap\n{}", "OPTIONS /service/admin/soap"]
--- more_headers eval
["", "Accept: application/json", "", ""]
--- error_code eval
[405, 405, 405, 405]
--- response_headers eval
["Allow: GET, POST\nContent-Type: text/xml; charset=utf-8\nCache-Control: no-store, no-cache",
 "Allow: GET, POST\nContent-Type: text/javascript; charset=utf-8",
 "Allow: GET, POST", "Allow: GET, POST"]
--- xpath eval
["//z:Error/z:Code => service.INVALID_REQUEST
starts-with(//soap:Reason/soap:Text, 'invalid request: method not allowed') => true",
 undef,
 "//z:Error/z:Code => service.INVALID_REQUEST",
 "//z:Error/z:Code => service.INVALID_REQUEST"]
--- json eval
[undef, '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.INVALID_REQUEST"',
 undef, undef]
--- no_error_log
[error]



=== TEST 10: a 10 MB body: PARSE_ERROR, too large, read and thrown away
--- config eval
$::ZmConfig
--- request eval
["POST /service/admin/soap\n" . $::Env . ("<a>" x (10 * 1024 * 1024 / 3)),
 zm_soap()]
--- error_code eval
[500, 500]
--- xpath eval
["//z:Error/z:Code => service.PARSE_ERROR
//soap:Reason/soap:Text => parse error: request payload too large: the limit is 65536 bytes (session_max_body_size)",
 "//z:Error/z:Code => service.AUTH_REQUIRED"]
--- timeout: 30
--- no_error_log
[error]



=== TEST 11: a chunked body over session_max_body_size: PARSE_ERROR
--- config eval
"session_max_body_size 1k;\n" . $::ZmConfig
--- raw_request eval
"POST /service/admin/soap HTTP/1.1\r
Host: localhost\r
Connection: close\r
Transfer-Encoding: chunked\r
\r
800\r
" . ("<" x 2048) . "\r
0\r
\r
"
--- error_code: 500
--- xpath
//z:Error/z:Code => service.PARSE_ERROR
//soap:Reason/soap:Text => parse error: request payload too large: the limit is 1024 bytes (session_max_body_size)
--- no_error_log
[error]



=== TEST 12: a chunked body within the limit is read like any other
--- config eval
$::ZmApp . $::Operator
--- raw_request eval
my $b = '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><DumpSessionsRequest xmlns="urn:zimbraAdmin" listSessions="1"/></soap:Body></soap:Envelope>';
"POST /service/admin/soap HTTP/1.1\r
Host: localhost\r
Connection: close\r
X-Operator: 1\r
Transfer-Encoding: chunked\r
\r
" . sprintf("%x", 10) . "\r\n" . substr($b, 0, 10) . "\r\n"
  . sprintf("%x", length($b) - 10) . "\r\n" . substr($b, 10) . "\r\n0\r\n\r\n"
--- error_code: 200
--- xsd: zimbraAdmin.xsd
--- xpath
//za:DumpSessionsResponse/@activeSessions => 0
--- no_error_log
[error]



=== TEST 13: billion laughs: the DTD is refused, nothing is expanded
--- request eval
["POST /service/admin/soap\n" . '<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"><authToken>&lol9;</authToken></context></soap:Header><soap:Body><DumpSessionsRequest xmlns="urn:zimbraAdmin" listSessions="&lol9;"/></soap:Body></soap:Envelope>']
--- error_code: 500
--- xpath
//z:Error/z:Code => service.PARSE_ERROR
//soap:Reason/soap:Text => parse error: a document type declaration (DTD) is not allowed in a request
--- response_body_unlike: lollol
--- no_error_log
[error]



=== TEST 14: external entities are never fetched
--- http_config eval
$::ZmHttpConfig . "    log_format ext 'EXTERNAL ENTITY FETCHED \$uri';\n"
--- config eval
$::ZmConfig . "
    location = /ext {
        access_log logs/error.log ext;
        return 200 'EXT-SECRET';
    }
"
--- request eval
["POST /service/admin/soap\n" . '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "http://127.0.0.1:' . $Test::Nginx::Util::ServerPort . '/ext">]><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"><authToken>&x;</authToken></context></soap:Header><soap:Body><DumpSessionsRequest xmlns="urn:zimbraAdmin"/></soap:Body></soap:Envelope>',
 "POST /service/admin/soap\n" . '<!DOCTYPE e SYSTEM "http://127.0.0.1:' . $Test::Nginx::Util::ServerPort . '/ext"><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><DumpSessionsRequest xmlns="urn:zimbraAdmin"/></soap:Body></soap:Envelope>',
 "POST /service/admin/soap\n" . '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><DumpSessionsRequest xmlns="urn:zimbraAdmin" listSessions="&x;"/></soap:Body></soap:Envelope>']
--- error_code eval
[500, 500, 500]
--- xpath eval
["//z:Error/z:Code => service.PARSE_ERROR",
 "//z:Error/z:Code => service.PARSE_ERROR",
 "//z:Error/z:Code => service.PARSE_ERROR"]
--- response_body_unlike eval
["EXT-SECRET", "EXT-SECRET", "root:"]
--- no_error_log
EXTERNAL ENTITY FETCHED
[error]



=== TEST 15: deep nesting: refused by the parsers' depth limits, not a crash
--- request eval
[
    "POST /service/admin/soap\n$::Env<soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\">" . ("<a>" x 20000) . ("</a>" x 20000) . "</DumpSessionsRequest></soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n{\"Body\":{\"DumpSessionsRequest\":{\"x\":" . ("[" x 20000) . ("]" x 20000) . "}}}",
    "POST /service/admin/soap\n" . ("[" x 30000),
]
--- error_code eval
[500, 500, 500]
--- xpath eval
["//z:Error/z:Code => service.PARSE_ERROR", undef, undef]
--- json eval
[undef, '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.PARSE_ERROR"',
 '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.PARSE_ERROR"']
--- no_error_log
[error]



=== TEST 16: nesting within the limits is ignored: only the levels read matter
--- config eval
$::ZmApp . $::Operator
--- more_headers eval
["X-Operator: 1", "X-Operator: 1"]
--- request eval
[
    "POST /service/admin/soap\n$::Env<soap:Header><context xmlns=\"urn:zimbra\">" . ("<x>" x 200) . ("</x>" x 200) . "</context></soap:Header><soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\" listSessions=\"1\">" . ("<a>" x 200) . ("</a>" x 200) . "</DumpSessionsRequest></soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n{\"Body\":{\"DumpSessionsRequest\":{\"x\":" . ("[" x 1000) . ("]" x 1000) . "}}}",
]
--- error_code eval
[200, 200]
--- xsd eval
["zimbraAdmin.xsd", undef]
--- json eval
[undef, '$_->{Body}{DumpSessionsResponse}{activeSessions} == 0']
--- no_error_log
[error]



=== TEST 17: invalid UTF-8 and control bytes in a body: the fault is still valid
--- request eval
[
    "POST /service/admin/soap\n$::Env<soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\" listSessions=\"\xff\xfe\"/></soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n$::Env<soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\" listSessions=\"\x01\"/></soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n{\"Body\":{\"DumpSessionsRequest\":{\"listSessions\":\"\xff\"}}}",
    "POST /service/admin/soap\n{\"Body\":{\"DumpSessionsRequest\":{\"listSessions\":\"\x01\"}}}",
    "POST /service/admin/soap\n{\"Header\":{\"context\":{\"format\":{\"type\":\"xml\"}}},\"Body\":{\"Bad\\u0001\\u0000Request\\ud800\":{}}}",
    "POST /service/admin/soap\n{\"Header\":{\"context\":{\"format\":{\"type\":\"xml\"}}},\"Body\":{\"Bad\\u0001<&>\\\"Request\\uFFFE\":{}}}",
]
--- error_code eval
[500, 500, 500, 500, 500, 500]
--- xpath eval
["//z:Error/z:Code => service.PARSE_ERROR",
 "//z:Error/z:Code => service.PARSE_ERROR",
 undef, undef, undef,
 "//z:Error/z:Code => service.UNKNOWN_DOCUMENT
//soap:Reason/soap:Text => unknown document: Bad\x{fffd}<&>\"Request\x{fffd}"]
--- json eval
[undef, undef,
 '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.PARSE_ERROR"',
 '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.PARSE_ERROR"',
 '$_->{Body}{Fault}{Detail}{Error}{Code} eq "service.PARSE_ERROR"',
 undef]
--- no_error_log
[error]



=== TEST 18: a long JSON value in a fault: its first 64 bytes and "...", nothing else
--- config eval
$::ZmApp . $::Operator
--- more_headers eval
[map { "X-Operator: 1" } 1..3]
--- request eval
[
    zm_json_request(attrs => '"listSessions":{"x":"' . ("A" x 70) . '"}'),
    zm_json_request(attrs => '"listSessions":[["' . ("B" x 100) . '"]]'),
    zm_json_request(attrs => '"listSessions":{"x":"' . ("C" x 56) . '"}'),
]
--- error_code eval
[(500) x 3]
--- json eval
[
 '$_->{Body}{Fault}{Reason}{Text} eq q|invalid request: invalid boolean value \'{"x":"| . ("A" x 58) . q|...\' for attribute: listSessions|',
 '$_->{Body}{Fault}{Reason}{Text} eq q|invalid request: invalid boolean value \'[["| . ("B" x 61) . q|...\' for attribute: listSessions|',
 '$_->{Body}{Fault}{Reason}{Text} eq q|invalid request: invalid boolean value \'{"x":"| . ("C" x 56) . q|"}\' for attribute: listSessions|',
]
--- no_error_log
[error]
