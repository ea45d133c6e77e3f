# Zimbra DumpSessionsRequest: the forms of the answer (XML, JSON, GET;
# counts, listed, grouped), types in Zimbra's order, accounts without a
# name, sessions without an account, the empty zone.

use t::TestSession 'no_plan';
use t::ZimbraTest;

zm_setup();

run_tests();

__DATA__

=== TEST 1: counts only, XML: types in Zimbra's order, byte for byte
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("waitset", "w1", "acct-3", "carol\@example.com"),
    zm_login("soap", "s1", "acct-1", "alice\@example.com"),
    zm_login("soap", "s2", "acct-1", "alice\@example.com"),
    zm_login("soap", "s3", "acct-2", "bob\@example.com"),
    zm_login("imap", "i1", "acct-2", "bob\@example.com"),
    zm_soap(token => "admintok"),
]
--- more_headers
Content-Type: application/soap+xml; charset=utf-8
--- response_headers
Content-Type: text/xml; charset=utf-8
Cache-Control: no-store, no-cache
--- response_body chomp
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"/></soap:Header><soap:Body><DumpSessionsResponse xmlns="urn:zimbraAdmin" activeSessions="6"><soap activeAccounts="2" activeSessions="3"/><imap activeAccounts="1" activeSessions="1"/><admin activeAccounts="1" activeSessions="1"/><waitset activeAccounts="1" activeSessions="1"/></DumpSessionsResponse></soap:Body></soap:Envelope>
--- xsd: zimbraAdmin.xsd
--- no_error_log
[error]



=== TEST 2: counts only, JSON: compact, arrays, _jsns last, byte for byte
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("soap", "s1", "acct-1", "alice\@example.com"),
    zm_login("soap", "s2", "acct-2", "bob\@example.com"),
    zm_login("synclistener", "y1", "acct-2", "bob\@example.com"),
    zm_json_request(token => "admintok"),
]
--- response_headers
Content-Type: text/javascript; charset=utf-8
Cache-Control: no-store, no-cache
--- response_body chomp
{"Header":{"context":{"_jsns":"urn:zimbra"}},"Body":{"DumpSessionsResponse":{"soap":[{"activeAccounts":2,"activeSessions":2}],"admin":[{"activeAccounts":1,"activeSessions":1}],"synclistener":[{"activeAccounts":1,"activeSessions":1}],"activeSessions":4,"_jsns":"urn:zimbraAdmin"}},"_jsns":"urn:zimbraSoap"}
--- json
$_->{Body}{DumpSessionsResponse}{activeSessions} == 4
--- no_error_log
[error]



=== TEST 3: listSessions, XML: every session with zid, name, sid, cd, ld
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("soap", "s1", "acct-1", "alice\@example.com"),
    zm_login("soap", "s2", "acct-1", "alice\@example.com"),
    zm_login("soap", "s3", "acct-2", "bob\@example.com"),
    zm_soap(token => "admintok", attrs => 'listSessions="1"'),
]
--- response_body_like chomp
^<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"/></soap:Header><soap:Body><DumpSessionsResponse xmlns="urn:zimbraAdmin" activeSessions="4"><soap activeSessions="3" activeAccounts="2">(<s zid="acct-[12]" name="(alice|bob)@example.com" sid="[0-9a-f]{32}" cd="\d{13}" ld="\d{13}"/>){3}</soap><admin activeSessions="1" activeAccounts="1"><s zid="admin-id" name="admin@example.com" sid="[0-9a-f]{32}" cd="\d{13}" ld="\d{13}"/></admin></DumpSessionsResponse></soap:Body></soap:Envelope>$
--- xsd: zimbraAdmin.xsd
--- xpath
count(//za:soap/za:s) => 3
count(//za:soap/za:zid) => 0
count(//za:soap/za:s[@zid="acct-1"][@name="alice@example.com"]) => 2
count(//za:soap/za:s[@zid="acct-2"][@name="bob@example.com"]) => 1
count(//za:s[@cd > @ld]) => 0
count(//za:s[string-length(@sid) = 32]) => 4
name(/soap:Envelope/soap:Body/*[1]) => DumpSessionsResponse
--- no_error_log
[error]



=== TEST 4: listSessions and groupByAccount, XML: one zid per account
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("imap", "i1", "acct-1", "alice\@example.com"),
    zm_login("imap", "i2", "acct-2", "bob\@example.com"),
    zm_login("imap", "i3", "acct-1", "alice\@example.com"),
    zm_login("imap", "i4", "acct-2", "bob\@example.com"),
    zm_login("imap", "i5", "acct-1", "alice\@example.com"),
    zm_soap(token => "admintok",
            attrs => 'listSessions="1" groupByAccount="1"'),
]
--- xsd: zimbraAdmin.xsd
--- xpath
/soap:Envelope/soap:Body/za:DumpSessionsResponse/@activeSessions => 6
//za:imap/@activeSessions => 5
//za:imap/@activeAccounts => 2
count(//za:imap/za:zid) => 2
count(//za:imap/za:s) => 0
count(//za:imap/za:zid[@id="acct-1"][@name="alice@example.com"]/za:s) => 3
count(//za:imap/za:zid[@id="acct-2"][@name="bob@example.com"]/za:s) => 2
count(//za:zid/za:s[@zid or @name]) => 0
count(//za:admin/za:zid[@id="admin-id"]/za:s) => 1
--- no_error_log
[error]



=== TEST 5: listSessions and groupByAccount, JSON: every element an array
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("imap", "i1", "acct-1", "alice\@example.com"),
    zm_login("imap", "i2", "acct-1", "alice\@example.com"),
    zm_json_request(token => "admintok",
                    attrs => '"listSessions":1,"groupByAccount":true'),
]
--- response_body_like chomp
^\{"Header":\{"context":\{"_jsns":"urn:zimbra"\}\},"Body":\{"DumpSessionsResponse":\{"imap":\[\{"activeSessions":2,"activeAccounts":1,"zid":\[\{"name":"alice\@example.com","id":"acct-1","s":\[\{"sid":"[0-9a-f]{32}","cd":\d{13},"ld":\d{13}\},\{"sid":"[0-9a-f]{32}","cd":\d{13},"ld":\d{13}\}\]\}\]\}\],"admin":\[\{"activeSessions":1,"activeAccounts":1,"zid":\[\{"name":"admin\@example.com","id":"admin-id","s":\[\{"sid":"[0-9a-f]{32}","cd":\d{13},"ld":\d{13}\}\]\}\]\}\],"activeSessions":3,"_jsns":"urn:zimbraAdmin"\}\},"_jsns":"urn:zimbraSoap"\}$
--- json
my $r = $_->{Body}{DumpSessionsResponse};
ref $r->{imap} eq 'ARRAY' && ref $r->{imap}[0]{zid} eq 'ARRAY'
&& ref $r->{admin}[0]{zid}[0]{s} eq 'ARRAY'
&& @{$r->{admin}[0]{zid}[0]{s}} == 1
&& @{$r->{imap}[0]{zid}[0]{s}} == 2
&& !JSON::PP::is_bool($r->{activeSessions}) && $r->{activeSessions} == 3
--- no_error_log
[error]



=== TEST 6: listSessions, JSON: s is an array even with one session; sid a string
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_json_request(token => "admintok", attrs => '"listSessions":"1"'),
]
--- response_body_like chomp
^\{"Header":\{"context":\{"_jsns":"urn:zimbra"\}\},"Body":\{"DumpSessionsResponse":\{"admin":\[\{"activeSessions":1,"activeAccounts":1,"s":\[\{"zid":"admin-id","name":"admin\@example.com","sid":"[0-9a-f]{32}","cd":\d{13},"ld":\d{13}\}\]\}\],"activeSessions":1,"_jsns":"urn:zimbraAdmin"\}\},"_jsns":"urn:zimbraSoap"\}$
--- json
ref $_->{Body}{DumpSessionsResponse}{admin}[0]{s} eq 'ARRAY'
--- no_error_log
[error]



=== TEST 7: an account without a name is named by its id
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("wiki", "k1", "acct-noname"),
    zm_login("wiki", "k2", "acct-noname"),
    zm_soap(token => "admintok", attrs => 'listSessions="1"'),
    zm_soap(token => "admintok",
            attrs => 'listSessions="1" groupByAccount="1"'),
]
--- xsd eval
["zimbraAdmin.xsd", "zimbraAdmin.xsd"]
--- xpath eval
["count(//za:wiki/za:s[\@zid='acct-noname'][\@name='acct-noname']) => 2",
 "count(//za:wiki/za:zid[\@id='acct-noname'][\@name='acct-noname']/za:s) => 2"]
--- no_error_log
[error]



=== TEST 8: sessions without an account: plain s, after the zid elements
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("soap", "anon-1"),
    zm_login("soap", "s1", "acct-1", "alice\@example.com"),
    zm_login("soap", "anon-2"),
    zm_login("soap", "s2", "acct-1", "alice\@example.com"),
    zm_soap(token => "admintok", attrs => 'listSessions="1"'),
    zm_soap(token => "admintok",
            attrs => 'listSessions="1" groupByAccount="1"'),
    zm_soap(token => "admintok"),
]
--- xsd eval
["zimbraAdmin.xsd", "zimbraAdmin.xsd", "zimbraAdmin.xsd"]
--- xpath eval
["//za:soap/\@activeSessions => 4
//za:soap/\@activeAccounts => 1
count(//za:soap/za:s) => 4
count(//za:soap/za:s[\@zid='acct-1'][\@name='alice\@example.com']) => 2
count(//za:soap/za:s[not(\@zid) and not(\@name)]) => 2
count(//za:soap/za:s[\@zid][preceding-sibling::za:s[not(\@zid)]]) => 0",
 "//za:soap/\@activeSessions => 4
count(//za:soap/za:zid) => 1
count(//za:soap/za:zid/za:s) => 2
count(//za:soap/za:s[not(\@zid) and not(\@name)]) => 2
count(//za:soap/za:zid[preceding-sibling::za:s]) => 0",
 "//za:soap/\@activeSessions => 4
//za:soap/\@activeAccounts => 1
count(//za:soap/*) => 0"]
--- no_error_log
[error]



=== TEST 9: sessions without an account in JSON: an "s" array after "zid"
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("waitset", "anon-1"),
    zm_login("waitset", "w1", "acct-1", "alice\@example.com"),
    zm_json_request(token => "admintok",
                    attrs => '"listSessions":1,"groupByAccount":1'),
]
--- response_body_like chomp
"waitset":\[\{"activeSessions":2,"activeAccounts":1,"zid":\[\{"name":"alice\@example.com","id":"acct-1","s":\[\{"sid":"[0-9a-f]{32}","cd":\d+,"ld":\d+\}\]\}\],"s":\[\{"sid":"[0-9a-f]{32}","cd":\d+,"ld":\d+\}\]\}\]
--- json
my $w = $_->{Body}{DumpSessionsResponse}{waitset}[0];
@{$w->{zid}} == 1 && @{$w->{s}} == 1 && !exists $w->{s}[0]{zid}
--- no_error_log
[error]



=== TEST 10: all six types, in Zimbra's order, whatever the order of logins
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("waitset", "t6", "a6"),
    zm_login("synclistener", "t5", "a5"),
    zm_login("wiki", "t4", "a4"),
    zm_login("imap", "t2", "a2"),
    zm_login("soap", "t1", "a1"),
    zm_soap(token => "admintok", attrs => 'listSessions="true"'),
    zm_json_request(token => "admintok"),
]
--- xsd eval
["zimbraAdmin.xsd", undef]
--- xpath eval
["name(//za:DumpSessionsResponse/*[1]) => soap
name(//za:DumpSessionsResponse/*[2]) => imap
name(//za:DumpSessionsResponse/*[3]) => admin
name(//za:DumpSessionsResponse/*[4]) => wiki
name(//za:DumpSessionsResponse/*[5]) => synclistener
name(//za:DumpSessionsResponse/*[6]) => waitset
count(//za:DumpSessionsResponse/*) => 6
//za:DumpSessionsResponse/\@activeSessions => 6", undef]
--- json eval
[undef, '$_->{Body}{DumpSessionsResponse}{activeSessions} == 6 && ref $_->{Body}{DumpSessionsResponse}{waitset} eq "ARRAY"']
--- response_body_like eval
[qr/^<soap:Envelope/, qr/^\{"Header":\{"context":\{"_jsns":"urn:zimbra"\}\},"Body":\{"DumpSessionsResponse":\{"soap":\[\{"activeAccounts":1,"activeSessions":1\}\],"imap":\[[^]]*\],"admin":\[[^]]*\],"wiki":\[[^]]*\],"synclistener":\[[^]]*\],"waitset":\[\{"activeAccounts":1,"activeSessions":1\}\],"activeSessions":6,/]
--- no_error_log
[error]



=== TEST 11: custom types are counted nowhere; logged-out sessions are not listed
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("custom", "c1", "acct-1", "alice\@example.com"),
    zm_login("soap", "s1", "acct-1", "alice\@example.com"),
    zm_login("soap", "s2", "acct-2", "bob\@example.com"),
    zm_logout("soap"),
    zm_soap(token => "admintok", attrs => 'listSessions="1"'),
]
--- more_headers eval
["", "", "", "", "Cookie: SID=s1",
 "Cookie: ZM_ADMIN_AUTH_TOKEN=nothing"]
--- xsd: zimbraAdmin.xsd
--- xpath
//za:DumpSessionsResponse/@activeSessions => 2
count(//za:DumpSessionsResponse/*) => 2
//za:soap/@activeSessions => 1
count(//za:soap/za:s) => 1
//za:soap/za:s/@zid => acct-2
count(//*[local-name() = 'custom']) => 0
--- no_error_log
[error]



=== TEST 12: an empty zone: activeSessions="0" and nothing else
--- config
    location /service/admin/soap {
        session_dump s;
        session_admin $http_x_operator;
    }
--- more_headers eval
["X-Operator: 1", "X-Operator: 1", "X-Operator: 1"]
--- request eval
[zm_soap(attrs => 'listSessions="1" groupByAccount="1"'),
 zm_json_request(attrs => '"listSessions":1'),
 "GET /service/admin/soap?listSessions=1"]
--- response_body eval
['<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"/></soap:Header><soap:Body><DumpSessionsResponse xmlns="urn:zimbraAdmin" activeSessions="0"/></soap:Body></soap:Envelope>',
 '{"Header":{"context":{"_jsns":"urn:zimbra"}},"Body":{"DumpSessionsResponse":{"activeSessions":0,"_jsns":"urn:zimbraAdmin"}},"_jsns":"urn:zimbraSoap"}',
 '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"/></soap:Header><soap:Body><DumpSessionsResponse xmlns="urn:zimbraAdmin" activeSessions="0"/></soap:Body></soap:Envelope>']
--- xsd eval
["zimbraAdmin.xsd", undef, "zimbraAdmin.xsd"]
--- json eval
[undef, '$_->{Body}{DumpSessionsResponse}{activeSessions} == 0', undef]
--- no_error_log
[error]



=== TEST 13: only custom-type sessions: the zone is empty to Zimbra
--- request eval
[
    zm_login("custom", "admintok", "admin-id", "admin\@example.com"),
    zm_login("custom", "c1", "acct-1"),
    zm_soap(token => "admintok", attrs => 'listSessions="1"'),
]
--- response_body_like chomp
<DumpSessionsResponse xmlns="urn:zimbraAdmin" activeSessions="0"/></soap:Body>
--- xsd: zimbraAdmin.xsd
--- no_error_log
[error]



=== TEST 14: GET with arguments: XML by default, JSON when Accept asks
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("soap", "s1", "acct-1", "alice\@example.com"),
    "GET /service/admin/soap?listSessions=1&groupByAccount=1",
    "GET /service/admin/soap?listSessions=1&groupByAccount=1",
    "GET /service/admin/soap",
    "GET /service/admin/soap/?listSessions=TRUE",
]
--- more_headers eval
["", "",
 "Cookie: ZM_ADMIN_AUTH_TOKEN=admintok",
 "Cookie: ZM_ADMIN_AUTH_TOKEN=admintok\nAccept: application/json",
 "Cookie: ZM_ADMIN_AUTH_TOKEN=admintok",
 "Cookie: ZM_ADMIN_AUTH_TOKEN=admintok"]
--- response_headers eval
["", "",
 "Content-Type: text/xml; charset=utf-8\nCache-Control: no-store, no-cache",
 "Content-Type: text/javascript; charset=utf-8\nCache-Control: no-store, no-cache",
 "Content-Type: text/xml; charset=utf-8",
 "Content-Type: text/xml; charset=utf-8"]
--- xsd eval
["zimbraAdmin.xsd", undef, "zimbraAdmin.xsd", "zimbraAdmin.xsd"]
--- xpath eval
["count(//za:soap/za:zid[\@id='acct-1']/za:s) => 1",
 undef,
 "//za:soap/\@activeSessions => 1
count(//za:soap/*) => 0",
 "count(//za:soap/za:s[\@zid='acct-1']) => 1"]
--- json eval
[undef, '$_->{Body}{DumpSessionsResponse}{soap}[0]{zid}[0]{id} eq "acct-1"',
 undef, undef]
--- no_error_log
[error]



=== TEST 15: HEAD answers the headers of GET
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    "HEAD /service/admin/soap?listSessions=1",
]
--- more_headers
Cookie: ZM_ADMIN_AUTH_TOKEN=admintok
--- response_headers
Content-Type: text/xml; charset=utf-8
--- response_body eval
["app\n", ""]
--- no_error_log
[error]



=== TEST 16: groupByAccount without listSessions changes nothing
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_soap(token => "admintok", attrs => 'groupByAccount="1"'),
    zm_soap(token => "admintok", attrs => 'listSessions="0" groupByAccount="1"'),
]
--- response_body_like eval
['<admin activeAccounts="1" activeSessions="1"/></DumpSessionsResponse>',
 '<admin activeAccounts="1" activeSessions="1"/></DumpSessionsResponse>']
--- xsd eval
["zimbraAdmin.xsd", "zimbraAdmin.xsd"]
--- no_error_log
[error]



=== TEST 17: SOAP 1.1 envelope: answered in SOAP 1.1
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    "POST /service/admin/soap\n<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Header><context xmlns=\"urn:zimbra\"><authToken>admintok</authToken></context></soap:Header><soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\" listSessions=\"1\"/></soap:Body></soap:Envelope>",
]
--- more_headers
Content-Type: text/xml; charset=utf-8
SOAPAction: "urn:zimbraAdmin#DumpSessionsRequest"
--- response_headers
Content-Type: text/xml; charset=utf-8
--- response_body_like chomp
^<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><context xmlns="urn:zimbra"/></soap:Header><soap:Body><DumpSessionsResponse xmlns="urn:zimbraAdmin" activeSessions="1"><admin activeSessions="1" activeAccounts="1"><s zid="admin-id"
--- xsd: zimbraAdmin.xsd
--- no_error_log
[error]



=== TEST 18: context/format overrides the answer's format
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    "POST /service/admin/soap\n<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Header><context xmlns=\"urn:zimbra\"><format type=\"js\"/><authToken>admintok</authToken></context></soap:Header><soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/></soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n{\"Header\":{\"context\":{\"_jsns\":\"urn:zimbra\",\"format\":{\"type\":\"xml\"},\"authToken\":\"admintok\"}},\"Body\":{\"DumpSessionsRequest\":{\"_jsns\":\"urn:zimbraAdmin\"}}}",
    "POST /service/admin/soap\n{\"Header\":{\"context\":{\"_jsns\":\"urn:zimbra\",\"format\":{},\"authToken\":\"admintok\"}},\"Body\":{\"DumpSessionsRequest\":{\"_jsns\":\"urn:zimbraAdmin\"}}}",
    "POST /service/admin/soap\n<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Header><context xmlns=\"urn:zimbra\"><format type=\"xml\"/><authToken>admintok</authToken></context></soap:Header><soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/></soap:Body></soap:Envelope>",
]
--- response_headers eval
["Content-Type: text/javascript; charset=utf-8",
 "Content-Type: text/xml; charset=utf-8",
 "Content-Type: text/xml; charset=utf-8",
 "Content-Type: text/xml; charset=utf-8"]
--- response_body_like eval
['^\{"Header":\{"context":\{"_jsns":"urn:zimbra"\}\},"Body":\{"DumpSessionsResponse":\{"admin":\[',
 '^<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header>',
 '^<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header>',
 '^<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>']
--- json eval
['$_->{Body}{DumpSessionsResponse}{activeSessions} == 1', undef, undef, undef]
--- xsd eval
[undef, "zimbraAdmin.xsd", "zimbraAdmin.xsd", "zimbraAdmin.xsd"]
--- no_error_log
[error]



=== TEST 19: the path after /service/admin/soap does not matter
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    "POST /service/admin/soap/DumpSessionsRequest\n<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Header><context xmlns=\"urn:zimbra\"><authToken>admintok</authToken></context></soap:Header><soap:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/></soap:Body></soap:Envelope>",
]
--- response_body_like chomp
<admin activeAccounts="1" activeSessions="1"/>
--- xsd: zimbraAdmin.xsd
--- no_error_log
[error]



=== TEST 20: a request without a namespace is accepted
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    "POST /service/admin/soap\n<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Header><context><authToken>admintok</authToken></context></soap:Header><soap:Body><DumpSessionsRequest listSessions=\"1\"/></soap:Body></soap:Envelope>",
    "POST /service/admin/soap\n{\"Header\":{\"context\":{\"authToken\":\"admintok\"}},\"Body\":{\"DumpSessionsRequest\":{\"listSessions\":true}}}",
]
--- xsd eval
["zimbraAdmin.xsd", undef]
--- xpath eval
["count(//za:admin/za:s) => 1", undef]
--- json eval
[undef, '@{$_->{Body}{DumpSessionsResponse}{admin}[0]{s}} == 1']
--- no_error_log
[error]



=== TEST 21: Header and Body may redeclare the envelope's namespace
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    "POST /service/admin/soap\n<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><s:Header xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><c:context xmlns:c=\"urn:zimbra\"><c:authToken>admintok</c:authToken></c:context></s:Header><e:Body xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/></e:Body></e:Envelope>",
    "POST /service/admin/soap\n<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:o=\"http://schemas.xmlsoap.org/soap/envelope/\"><o:Body><DumpSessionsRequest xmlns=\"urn:zimbraAdmin\"/></o:Body></e:Envelope>",
]
--- error_code eval
[200, 500]
--- xsd eval
["zimbraAdmin.xsd", undef]
--- xpath eval
["//za:admin/\@activeSessions => 1",
 "//soap:Reason/soap:Text => invalid request: No SOAP body"]
--- no_error_log
[error]



=== TEST 22: JSON answers escape U+2028 and U+2029 (they end a line in JavaScript)
--- config eval
$::ZmConfig . <<"_EOC_";
    location /sepapp/ {
        add_header Set-Cookie "SID=\$arg_t";
        add_header X-User sep-id;
        add_header X-Name "line\xe2\x80\xa8sep\xe2\x80\xa9para";
        return 200 "app\\n";
    }

    location /sep/ {
        session_track s;
        session_key \$cookie_SID;
        session_create \$upstream_cookie_SID;
        session_account \$upstream_http_x_user name=\$upstream_http_x_name;
        proxy_pass http://127.0.0.1:\$server_port/sepapp\$request_uri;
    }
_EOC_
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    "GET /sep/login?t=septok",
    zm_json_request(token => "admintok", attrs => '"listSessions":1'),
]
--- response_body_like eval
["^app\n\\z", "^app\n\\z", qr/"name":"line\\u2028sep\\u2029para"/]
--- json eval
[undef, undef, <<'END']
my ($s) = grep { $_->{zid} eq 'sep-id' }
          @{ $_->{Body}{DumpSessionsResponse}{soap}[0]{s} };
$s && $s->{name} eq "line\x{2028}sep\x{2029}para"
END
--- no_error_log
[error]
