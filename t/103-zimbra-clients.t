# Zimbra DumpSessionsRequest: the exact requests the public client
# libraries send (python-zimbra and zimsoap, zimbra-api's PHP SoapClient
# and curl transports), and hostile account names in the answer.

use t::TestSession 'no_plan';
use t::ZimbraTest;

zm_setup();

# python-zimbra's RequestXml: minidom's toxml(), <format> before
# <authToken>, Python's True as the attribute text
our $PyXml = '<?xml version="1.0" ?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"><format type="xml"/><authToken>admintok</authToken></context></soap:Header><soap:Body><DumpSessionsRequest groupByAccount="True" listSessions="True" xmlns="urn:zimbraAdmin"/></soap:Body></soap:Envelope>';

# python-zimbra's RequestJson: json.dumps() with its default separators
our $PyJson = '{"Header": {"context": {"_jsns": "urn:zimbra", "format": {"type": "js"}, "authToken": {"_content": "admintok"}}}, "Body": {"DumpSessionsRequest": {"listSessions": true, "groupByAccount": false, "_jsns": "urn:zimbraAdmin"}}}';

# zimbra-api through PHP's SoapClient, SOAP 1.2
our $PhpSoap = qq{<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:ns1="urn:zimbraAdmin" xmlns:ns2="urn:zimbra"><env:Header><ns2:context><authToken>admintok</authToken></ns2:context></env:Header><env:Body><ns1:DumpSessionsRequest listSessions="true" groupByAccount="true"/></env:Body></env:Envelope>\n};

# zimbra-api through its curl transport
our $PhpCurl = '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:urn="urn:zimbra" xmlns:urn1="urn:zimbraAdmin"><soap:Header><urn:context><urn:authToken>admintok</urn:authToken></urn:context></soap:Header><soap:Body><urn1:DumpSessionsRequest listSessions="1" groupByAccount="0"/></soap:Body></soap:Envelope>';

# zimbra-api's JSON serialisation
our $PhpJson = '{"Header":{"context":{"_jsns":"urn:zimbra","authToken":{"_content":"admintok"}}},"Body":{"DumpSessionsRequest":{"_jsns":"urn:zimbraAdmin","listSessions":true,"groupByAccount":false}}}';

# an application that names accounts with whatever bytes it is sent
our $RawApp = <<'_EOC_';
    location /app/ {
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $http_x_u;
        add_header X-Name $http_x_n;
        add_header X-Note $http_x_n;
        return 200 "app\n";
    }

    location /soap/ {
        session_track s;
        session_type soap;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user name=$upstream_http_x_name;
        session_var note $upstream_http_x_note;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }
_EOC_

our $Hostile = "q\"a'<b>&c\x01d\x7fe\xff\xc3(f\xef\xbf\xbeg\tz";

run_tests();

__DATA__

=== TEST 1: python-zimbra XML, urlencoded: Body.firstChild is the response
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("soap", "s1", "acct-1", "alice\@example.com"),
    "POST /service/admin/soap\n$::PyXml",
]
--- more_headers
Content-Type: application/x-www-form-urlencoded
User-Agent: Python-urllib/3.11
--- error_code: 200
--- response_headers
Content-Type: text/xml; charset=utf-8
--- xsd: zimbraAdmin.xsd
--- xpath
name(/soap:Envelope/soap:Body/node()[1]) => DumpSessionsResponse
count(/soap:Envelope/soap:Body/node()) => 1
name(/soap:Envelope/soap:Header/node()[1]) => context
count(/soap:Envelope/soap:Header/node()) => 1
count(/soap:Envelope/node()) => 2
count(//za:soap/za:zid[@id='acct-1']/za:s) => 1
count(//za:admin/za:zid[@id='admin-id']/za:s) => 1
--- no_error_log
[error]



=== TEST 2: python-zimbra JSON, not compact, urlencoded: a JSON answer
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("imap", "i1", "acct-1", "alice\@example.com"),
    "POST /service/admin/soap\n$::PyJson",
]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- response_headers
Content-Type: text/javascript; charset=utf-8
--- json
my $r = $_->{Body}{DumpSessionsResponse};
$r->{_jsns} eq 'urn:zimbraAdmin' && $r->{activeSessions} == 2
&& $r->{imap}[0]{s}[0]{zid} eq 'acct-1'
&& $r->{imap}[0]{s}[0]{name} eq 'alice@example.com'
&& $r->{imap}[0]{s}[0]{cd} =~ /^\d{13}$/
--- no_error_log
[error]



=== TEST 3: zimsoap: a fault it can read, Trace included, on a bad token
--- request eval
["POST /service/admin/soap\n" . ($::PyXml =~ s/admintok/expired-token/r)]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 500
--- xpath
/soap:Envelope/soap:Body/soap:Fault/soap:Detail/z:Error/z:Code => service.AUTH_REQUIRED
string-length(/soap:Envelope/soap:Body/soap:Fault/soap:Detail/z:Error/z:Trace) > 8 => true
name(/soap:Envelope/soap:Body/node()[1]) => soap:Fault
--- no_error_log
[error]



=== TEST 4: PHP SoapClient, SOAP 1.2: env/ns1/ns2 prefixes, unqualified authToken
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("soap", "s1", "acct-1", "alice\@example.com"),
    "POST /service/admin/soap\n$::PhpSoap",
]
--- more_headers
Content-Type: application/soap+xml; charset=utf-8; action="urn:zimbraAdmin#DumpSessionsRequest"
User-Agent: PHP-SOAP/8.2
--- error_code: 200
--- response_body_like chomp
^<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"/></soap:Header><soap:Body><DumpSessionsResponse xmlns="urn:zimbraAdmin" activeSessions="2">
--- xsd: zimbraAdmin.xsd
--- xpath
count(//za:soap/za:zid[@id='acct-1'][@name='alice@example.com']/za:s) => 1
--- no_error_log
[error]



=== TEST 5: zimbra-api's curl transport: text/xml, SoapAction, urn: prefixes
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    zm_login("wiki", "k1", "acct-1", "alice\@example.com"),
    "POST /service/admin/soap\n$::PhpCurl",
]
--- more_headers
Content-Type: text/xml; charset=utf-8
SoapAction: urn:zimbraAdmin#DumpSessionsRequest
--- error_code: 200
--- xsd: zimbraAdmin.xsd
--- xpath
count(//za:wiki/za:s[@zid='acct-1']) => 1
count(//za:zid) => 0
--- no_error_log
[error]



=== TEST 6: zimbra-api's JSON: true and false as JSON booleans
--- request eval
[
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    "POST /service/admin/soap\n$::PhpJson",
]
--- more_headers
Content-Type: application/json
--- error_code: 200
--- json
ref $_->{Body}{DumpSessionsResponse}{admin}[0]{s} eq 'ARRAY'
--- no_error_log
[error]



=== TEST 7: hostile bytes in account ids and names: escaped, valid XML and JSON
--- config eval
$::RawApp . $::ZmDump
--- request eval
[
    zm_login("soap", "admintok"),
    zm_login("soap", "h1"),
    zm_login("soap", "h2"),
    zm_soap(token => "h1", attrs => 'listSessions="1"'),
    zm_soap(token => "h1", attrs => 'listSessions="1" groupByAccount="1"'),
    zm_json_request(token => "h1", attrs => '"listSessions":1'),
    zm_json_request(token => "h1",
                    attrs => '"listSessions":1,"groupByAccount":1'),
]
--- http_config
    session_zone zone=s:8m;

    map $session_account_name $zm_admin {
        ~^q      1;
        default  0;
    }
--- more_headers eval
["X-U: admin-id\nX-N: admin",
 "X-U: $::Hostile\nX-N: $::Hostile",
 "X-U: id\xfe\x02\nX-N: ",
 "", "", "", ""]
--- error_code eval
[200, 200, 200, 200]
--- xsd eval
["zimbraAdmin.xsd", "zimbraAdmin.xsd", undef, undef]
--- xpath eval
["//za:soap/za:s[starts-with(\@zid, 'q')]/\@zid => q\"a'<b>&c\x{fffd}d\x7fe\x{fffd}\x{fffd}(f\x{fffd}g\tz
//za:soap/za:s[starts-with(\@zid, 'q')]/\@name => q\"a'<b>&c\x{fffd}d\x7fe\x{fffd}\x{fffd}(f\x{fffd}g\tz
//za:soap/za:s[starts-with(\@zid, 'id')]/\@zid => id\x{fffd}\x{fffd}
//za:soap/za:s[starts-with(\@zid, 'id')]/\@name => id\x{fffd}\x{fffd}
count(//za:soap/za:s) => 3",
 "count(//za:soap/za:zid) => 3
//za:soap/za:zid[starts-with(\@id, 'q')]/\@name => q\"a'<b>&c\x{fffd}d\x7fe\x{fffd}\x{fffd}(f\x{fffd}g\tz
count(//za:soap/za:zid[starts-with(\@id, 'id')]/za:s) => 1
//za:soap/za:zid[starts-with(\@id, 'id')]/\@name => id\x{fffd}\x{fffd}",
 undef, undef]
--- json eval
[undef, undef,
 'my @s = @{$_->{Body}{DumpSessionsResponse}{soap}[0]{s}}; my ($h) = grep { $_->{zid} =~ /^q/ } @s; @s == 3 && $h->{zid} eq "q\"a\x27<b>&c\x01d\x7fe\x{fffd}\x{fffd}(f\x{fffe}g\tz" && $h->{name} eq $h->{zid}',
 'my $z = $_->{Body}{DumpSessionsResponse}{soap}[0]{zid}; @$z == 3 && (grep { $_->{id} eq "id\x{fffd}\x02" && $_->{name} eq $_->{id} } @$z) == 1']
--- no_error_log
[error]
