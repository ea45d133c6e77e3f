# Hornbill getSessionInfo as the public client libraries send it
# (reference/wire-formats.md sections 2.1 and 6): the exact bodies and
# headers of hornbill/pythonApiLib under Python 3, phpApiLib, goApiLib,
# the Rust hornbill_apilib, dotNetApiLib and the PowerShell module, and
# the checks those clients make on the answer.

use t::TestSession 'no_plan';
use t::Hornbill;

our $Own = ok_xml(user => 'alice', name => 'Alice');
our $OwnJson = ok_json(user => 'alice', name => 'Alice');
our $Sid = '0123456789abcdef0123456789abcdef';
our $Login = 'GET /login?t=tok-a&u=alice&name=Alice';

# pythonApiLib: requests.post(url, data=str(etree.tostring(...)))
our $PyHeaders = "Accept: text/json\n"
                 . "Content-Type: text/xmlmc; charset=utf-8\n"
                 . "User-Agent: python-requests/2.31.0\n"
                 . "Cookie: ESPSessionState=tok-a";

# phpApiLib: curl with the Accept header set once per call on one object
our $PhpHeaders = "Accept: text/xmlmc\nAccept: text/xmlmc\n"
                  . "Content-Type: text/xmlmc; charset=utf-8\n"
                  . "Cookie: ESPSessionState=tok-a";

our $GoHeaders = "Content-Type: text/xmlmc\n"
                 . "Authorization: ESP-APIKEY 0123456789abcdef0123456789abcdef\n"
                 . "User-Agent: Go-http-client/1.1\n"
                 . "Cookie: ESPSessionState=tok-a";

run_tests();

__DATA__

=== TEST 1: Python 3: b'...' body, no ?method=, Accept: text/json; @status is the JSON true
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
[$::Login,
 "POST /xmlmc/session/\n"
 . q{b'<methodCall service="session" method="getSessionInfo"/>'},
 "POST /xmlmc/session/\n"
 . q{b'<methodCall service="session" method="getSessionInfo">}
 . qq{<params><sessionId>$::Sid</sessionId></params></methodCall>'}]
--- more_headers eval
["", $::PyHeaders, $::PyHeaders]
--- response_headers eval
["", ("Content-Type: application/json; charset=utf-8\n!Set-Cookie") x 2]
--- response_body_like eval
["app\n", $::OwnJson, ::exact(::fail_json('0204', $::NotFound))]
--- json_prefix eval
[undef, '{"@status":true', '{"@status":false']
--- json eval
[undef,
 q{JSON::PP::is_bool($_->{'@status'}) && $_->{'@status'} == 1
   && $_->{params}{userId} eq 'alice'
   && $_->{params}{regionalSettings}{timeZone} eq 'Etc/UTC'},
 q{JSON::PP::is_bool($_->{'@status'}) && !$_->{'@status'}
   && $_->{state}{error} ne ''}]
--- no_error_log
[error]



=== TEST 2: Python 3: the escapes of a bytes repr: \xNN (non-ASCII), \\, \', \t, \n, \r; the b"..." form
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
[$::Login,
 "POST /xmlmc/session/\n"
 . q{b'<methodCall service="session" method="getSessionInfo" }
 . q{trace="caf\xc3\xa9 \\\\ \'py\' \t"/>'},
 "POST /xmlmc/session/\n"
 . q{b'<methodCall service="session" method="getSessionInfo">\n<params>}
 . q{\r\n<sessionId>} . $::Sid . q{</sessionId>\n</params>\n</methodCall>'},
 "POST /xmlmc/session/\n"
 . q{b"<?xml version='1.0' encoding='utf8'?>\n<methodCall }
 . q{service='session' method='getSessionInfo'/>"},
 "POST /xmlmc/session/\n"
 . q{b'<methodCall service="session" method="getSessionInfo" }
 . q{trace="\xff"/>'}]
--- more_headers eval
["", ($::PyHeaders) x 4]
--- response_body_like eval
["app\n", $::OwnJson, ::exact(::fail_json('0204', $::NotFound)),
 $::OwnJson,
 qr/\A\{"\@status":false,"state":\{"code":"0200",.*"error":"Malformed XML payload: /]
--- no_error_log
[error]



=== TEST 3: Python 3: an invalid escape or an unclosed literal is a malformed payload
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
[$::Login,
 "POST /xmlmc/session/\n"
 . q{b'<methodCall service="session" method="getSessionInfo"/>\x4'},
 "POST /xmlmc/session/\n"
 . q{b'<methodCall service="session" method="getSessionInfo"/>\'}]
--- more_headers eval
["", ($::PyHeaders) x 2]
--- response_body eval
["app\n",
 (::fail_json('0200', 'Malformed payload: an invalid escape in a Python '
                      . 'bytes literal')) x 2]
--- no_error_log
[error]



=== TEST 4: PHP: <?xml ...?> and a newline before the call, Accept: text/xmlmc twice, cookie; the status regex reads "ok"
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
[$::Login,
 "POST /xmlmc/session/\n"
 . qq{<?xml version="1.0" encoding="UTF-8"?>\n}
 . qq{<methodCall service="session" method="getSessionInfo"/>\n},
 "POST /xmlmc/session/\n"
 . qq{<?xml version="1.0" encoding="UTF-8"?>\n}
 . qq{<methodCall service="session" method="getSessionInfo"><params>}
 . qq{<sessionId>$::Sid</sessionId></params></methodCall>\n}]
--- more_headers eval
["", ($::PhpHeaders) x 2]
--- response_headers eval
["", ("Content-Type: text/xml; charset=utf-8\n!Set-Cookie") x 2]
--- response_body_like eval
["app\n", $::Own, ::exact(::fail_xml('0204', $::NotFound))]
--- php_status eval
[undef, "ok", "fail"]
--- xpath eval
[undef,
 "/methodCallResult/params/isGuestSession => false\n"
 . "/methodCallResult/params/currentLanguage/language => en-GB",
 "/methodCallResult/state/code => 0204\n"
 . "/methodCallResult/state/error => $::NotFound"]
--- no_error_log
[error]



=== TEST 5: PHP: without a session, hasSessionTimedOut() sees code 0005
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
"POST /xmlmc/session/\n"
. qq{<?xml version="1.0" encoding="UTF-8"?>\n}
. qq{<methodCall service="session" method="getSessionInfo"/>\n}
--- more_headers
Accept: text/xmlmc
Content-Type: text/xmlmc; charset=utf-8
Cookie: ESPSessionState=expired-or-unknown
--- response_body_like
(?si)<methodCallResult.*?status="fail">.*?<code>0005</code>
--- php_status: fail
--- no_error_log
[error]



=== TEST 6: goApiLib: //session/?method=getSessionInfo, trace="goApi", <methodCall ...></methodCall>, XML and text/json
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
[$::Login,
 "POST /xmlmc//session/?method=getSessionInfo\n"
 . '<methodCall service="session" method="getSessionInfo" trace="goApi">'
 . '</methodCall>',
 "POST /xmlmc//session/?method=getSessionInfo\n"
 . '<methodCall service="session" method="getSessionInfo" trace="goApi">'
 . '</methodCall>',
 "POST /xmlmc//session/?method=getSessionInfo\n"
 . '<methodCall service="session" method="getSessionInfo" trace="goApi">'
 . "<params><sessionId>$::Sid</sessionId></params></methodCall>"]
--- more_headers eval
["", $::GoHeaders, "$::GoHeaders\nAccept: text/json",
 "$::GoHeaders\nAccept: text/json"]
--- response_body_like eval
["app\n", $::Own, $::OwnJson, ::exact(::fail_json('0204', $::NotFound))]
--- php_status eval
[undef, "ok", undef, undef]
--- json eval
[undef, undef,
 q{$_->{'@status'} && $_->{params}{userId} eq 'alice'},
 q{!$_->{'@status'} && $_->{state}{error} ne ''
   && join(',', sort keys %{$_->{state}})
      eq 'code,error,operation,service'}]
--- no_error_log
[error]



=== TEST 7: Rust hornbill_apilib: trace= and a newline before <params>, Accept: text/json
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
[$::Login,
 "POST /xmlmc//session/?method=getSessionInfo\n"
 . qq{<methodCall service="session" method="getSessionInfo" trace="rust">\n}
 . qq{<params></params></methodCall>},
 "POST /xmlmc//session/?method=getSessionInfo\n"
 . qq{<methodCall service="session" method="getSessionInfo" trace="rust">\n}
 . qq{<params><sessionId>$::Sid</sessionId></params></methodCall>}]
--- more_headers eval
["", ("Content-Type: text/xmlmc\nAccept: text/json\n"
      . "Cookie: ESPSessionState=tok-a") x 2]
--- response_body_like eval
["app\n", $::OwnJson, ::exact(::fail_json('0204', $::NotFound))]
--- json eval
[undef, q{$_->{'@status'} == 1 && !ref $_->{params}{currentTimeZoneOffset}
          && $_->{params}{currentTimeZoneOffset} =~ /^-?\d+$/},
 q{!$_->{'@status'}}]
--- no_error_log
[error]



=== TEST 8: .NET: a byte order mark and indented XML; createdOn in yyyy-MM-dd HH:mm:ssZ
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
[$::Login,
 "POST /xmlmc/session/?method=getSessionInfo\n"
 . "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
 . "<methodCall service=\"session\" method=\"getSessionInfo\" />",
 "POST /xmlmc/session/?method=getSessionInfo\n"
 . "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
 . "<methodCall service=\"session\" method=\"getSessionInfo\">\r\n"
 . "  <params>\r\n"
 . "    <sessionId>$::Sid</sessionId>\r\n"
 . "  </params>\r\n"
 . "</methodCall>"]
--- more_headers eval
["", ("Content-Type: text/xmlmc; charset=utf-8\n"
      . "Cookie: ESPSessionState=tok-a") x 2]
--- response_body_like eval
["app\n", $::Own, ::exact(::fail_xml('0204', $::NotFound))]
--- xpath eval
[undef,
 "translate(//methodCallResult/\@status, 'OK', 'ok') => ok\n"
 . "boolean(//methodCallResult/params/createdOn) => true",
 "//methodCallResult/state/code => 0204"]
--- no_error_log
[error]



=== TEST 9: PowerShell: ?method=, Accept: text/xml, empty <params>
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
[$::Login,
 "POST /xmlmc/session/?method=getSessionInfo\n"
 . '<methodCall service="session" method="getSessionInfo"><params>'
 . '</params></methodCall>']
--- more_headers eval
["", "Accept: text/xml\nContent-Type: text/xmlmc\n"
     . "Cookie: ESPSessionState=tok-a"]
--- response_body_like eval
["app\n", $::Own]
--- xpath eval
[undef, "/methodCallResult/\@status => ok"]
--- no_error_log
[error]
