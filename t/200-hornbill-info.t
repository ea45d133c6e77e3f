# Hornbill XMLMC session::getSessionInfo (session_info): the URL forms,
# XML and JSON answers, the caller's own session, another session as an
# admin and as a non-admin, and the failures a caller without a session
# gets.  The configuration is the one docs/hornbill.md shows (t/Hornbill.pm).

use t::TestSession 'no_plan';
use t::Hornbill;

our $Own = ok_xml(user => 'alice', name => 'Alice');
our $OwnJson = ok_json(user => 'alice', name => 'Alice');
our $Call = '<methodCall service="session" method="getSessionInfo"/>';

run_tests();

__DATA__

=== TEST 1: own session, XML: /xmlmc/session/ with the method in the body, with ?method= and an empty body, goApiLib's //session/, and GET
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["GET /login?t=tok-a&u=alice&name=Alice",
 "POST /xmlmc/session/\n$::Call",
 "POST /xmlmc/session/?method=getSessionInfo\n",
 "POST /xmlmc//session/?method=getSessionInfo\n"
 . '<methodCall service="session" method="getSessionInfo" trace="goApi">'
 . '</methodCall>',
 "GET /xmlmc/session/?method=getSessionInfo"]
--- more_headers eval
["", ("Cookie: ESPSessionState=tok-a\nContent-Type: text/xmlmc") x 4]
--- error_code eval
[200, 200, 200, 200, 200]
--- response_headers eval
["", ("Content-Type: text/xml; charset=utf-8\n!Set-Cookie") x 4]
--- response_body_like eval
["app\n", ($::Own) x 4]
--- php_status eval
[undef, ("ok") x 4]
--- xpath eval
[undef, (<<'_EOX_') x 4]
/methodCallResult/@status => ok
/methodCallResult/params/userId => alice
/methodCallResult/params/userName => Alice
/methodCallResult/params/instanceId => testinst
/methodCallResult/params/isGuestSession => false
/methodCallResult/params/remoteIpAddress => 127.0.0.1
/methodCallResult/params/currentLanguage/language => en-GB
/methodCallResult/params/regionalSettings/timeZone => Etc/UTC
/methodCallResult/params/sessionVariable[name='host']/value => localhost
count(/methodCallResult/params/assignedRole) => 1
string-length(/methodCallResult/params/sessionId) => 32
_EOX_
--- no_error_log
[error]



=== TEST 2: own session, JSON by Accept: text/json and application/json, XML body and JSON body
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["GET /login?t=tok-a&u=alice&name=Alice",
 "POST /xmlmc/session/\n$::Call",
 "POST /xmlmc/session/?method=getSessionInfo\n",
 "POST /xmlmc/session/\n"
 . '{"@service":"session","@method":"getSessionInfo"}',
 "POST /xmlmc/session/\n"
 . '{"methodCall":{"@service":"session","@method":"getSessionInfo",'
 . '"@trace":"x","params":{}}}',
 "POST /xmlmc/session/?method=getSessionInfo\n" . '{"params":null}']
--- more_headers eval
["",
 "Cookie: ESPSessionState=tok-a\nAccept: text/json",
 "Cookie: ESPSessionState=tok-a\nAccept: application/json",
 "Cookie: ESPSessionState=tok-a\nAccept: text/json\n"
 . "Content-Type: application/json",
 "Cookie: ESPSessionState=tok-a\nAccept: text/json",
 "Cookie: ESPSessionState=tok-a\nAccept: application/json"]
--- response_headers eval
["", ("Content-Type: application/json; charset=utf-8\n!Set-Cookie") x 5]
--- response_body_like eval
["app\n", ($::OwnJson) x 5]
--- json_prefix eval
[undef, ('{"@status":true') x 5]
--- json eval
[undef, (q{JSON::PP::is_bool($_->{'@status'}) && $_->{'@status'}
           && $_->{params}{userId} eq 'alice'
           && $_->{params}{currentLanguage}{language} eq 'en-GB'
           && $_->{params}{regionalSettings}{timeZone} eq 'Etc/UTC'
           && ref $_->{params}{assignedRole} eq 'ARRAY'
           && ref $_->{params}{sessionVariable} eq 'ARRAY'
           && JSON::PP::is_bool($_->{params}{isGuestSession})
           && !$_->{params}{isGuestSession}
           && $_->{params}{currentTimeZoneOffset} == 0}) x 5]
--- no_error_log
[error]



=== TEST 3: another session: an admin sees it; a non-admin gets the very answer a session that does not exist gives
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["GET /login?t=tok-a&u=alice&name=Alice",
 "GET /login?t=tok-b&u=bob",
 "GET /login?t=tok-adm&u=admin",
 "GET /ask?t=tok-a&c=tok-adm",
 "GET /ask?t=tok-a&c=tok-b",
 "POST /xmlmc/session/\n"
 . '<methodCall service="session" method="getSessionInfo"><params>'
 . '<sessionId>0123456789abcdef0123456789abcdef</sessionId></params>'
 . '</methodCall>',
 "POST /xmlmc/session/\n"
 . '<methodCall service="session" method="getSessionInfo"><params>'
 . '<sessionId>0123456789abcdef0123456789abcdef</sessionId></params>'
 . '</methodCall>',
 "GET /ask?t=tok-b&c=tok-b",
 "GET /ask?t=tok-adm&c=tok-adm"]
--- more_headers eval
["", "", "", "", "",
 "Cookie: ESPSessionState=tok-b",
 "Cookie: ESPSessionState=tok-adm",
 "", ""]
--- response_body_like eval
["app\n", "app\n", "app\n",
 $::Own,
 ::exact(::fail_xml('0204', $::NotFound)),
 ::exact(::fail_xml('0204', $::NotFound)),
 ::exact(::fail_xml('0204', $::NotFound)),
 ::ok_xml(user => 'bob'),
 ::ok_xml(user => 'admin')]
--- php_status eval
[undef, undef, undef, "ok", "fail", "fail", "fail", "ok", "ok"]
--- xpath eval
[undef, undef, undef, "/methodCallResult/params/userId => alice",
 "/methodCallResult/state/code => 0204",
 "/methodCallResult/state/code => 0204",
 "/methodCallResult/state/code => 0204",
 "/methodCallResult/params/userId => bob",
 "/methodCallResult/params/userId => admin"]
--- no_error_log
[error]



=== TEST 4: the same in JSON, and by the Python client's b'...' body and a GET query: not yours and does not exist are one answer
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["GET /login?t=tok-a&u=alice&name=Alice",
 "GET /login?t=tok-b&u=bob",
 "GET /login?t=tok-adm&u=admin",
 "GET /ask?t=tok-a&c=tok-adm&f=json",
 "GET /ask?t=tok-a&c=tok-b&f=json",
 "POST /xmlmc/session/\n"
 . '{"@service":"session","@method":"getSessionInfo","params":'
 . '{"sessionId":"0123456789ABCDEF0123456789ABCDEF"}}',
 "GET /ask?t=tok-a&c=tok-adm&f=py",
 "GET /ask?t=tok-a&c=tok-b&f=py",
 "GET /ask?t=tok-a&c=tok-adm&f=get",
 "GET /ask?t=tok-a&c=tok-b&f=get",
 "GET /xmlmc/session/?method=getSessionInfo"
 . "&sessionId=0123456789abcdef0123456789abcdef"]
--- more_headers eval
["", "", "",
 "Accept: text/json", "Accept: text/json",
 "Cookie: ESPSessionState=tok-b\nAccept: text/json",
 "Accept: text/json", "Accept: text/json",
 "Accept: application/json", "Accept: application/json",
 "Cookie: ESPSessionState=tok-b\nAccept: application/json"]
--- response_body_like eval
["app\n", "app\n", "app\n",
 $::OwnJson,
 ::exact(::fail_json('0204', $::NotFound)),
 ::exact(::fail_json('0204', $::NotFound)),
 $::OwnJson,
 ::exact(::fail_json('0204', $::NotFound)),
 $::OwnJson,
 ::exact(::fail_json('0204', $::NotFound)),
 ::exact(::fail_json('0204', $::NotFound))]
--- json eval
[undef, undef, undef,
 q{$_->{'@status'} && $_->{params}{userId} eq 'alice'},
 (q{JSON::PP::is_bool($_->{'@status'}) && !$_->{'@status'}
    && $_->{state}{code} eq '0204'}) x 2,
 q{$_->{'@status'} && $_->{params}{userId} eq 'alice'},
 q{!$_->{'@status'} && $_->{state}{code} eq '0204'},
 q{$_->{'@status'} && $_->{params}{userId} eq 'alice'},
 (q{!$_->{'@status'} && $_->{state}{code} eq '0204'}) x 2]
--- no_error_log
[error]



=== TEST 5: no token, an unknown token, a logged-out session: 0005, in XML and JSON, with and without a sessionId
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["GET /login?t=tok-a&u=alice",
 "POST /xmlmc/session/\n$::Call",
 "POST /xmlmc/session/\n$::Call",
 "POST /xmlmc/session/?method=getSessionInfo\n",
 "GET /ask?t=tok-a&c=no-such-token",
 "GET /logout",
 "POST /xmlmc/session/\n$::Call",
 "POST /xmlmc/session/\n$::Call"]
--- more_headers eval
["",
 "",
 "Cookie: ESPSessionState=no-such-token",
 "Cookie: ESPSessionState=no-such-token\nAccept: text/json",
 "",
 "Cookie: ESPSessionState=tok-a",
 "Cookie: ESPSessionState=tok-a",
 "Cookie: ESPSessionState=tok-a\nAccept: text/json"]
--- response_body eval
["app\n",
 ::fail_xml('0005', $::NoSession),
 ::fail_xml('0005', $::NoSession),
 ::fail_json('0005', $::NoSession),
 ::fail_xml('0005', $::NoSession),
 "bye\n",
 ::fail_xml('0005', $::NoSession),
 ::fail_json('0005', $::NoSession)]
--- php_status eval
[undef, "fail", "fail", undef, "fail", undef, "fail", undef]
--- response_headers eval
["",
 ("Content-Type: text/xml; charset=utf-8\n!Set-Cookie") x 2,
 "Content-Type: application/json; charset=utf-8\n!Set-Cookie",
 "Content-Type: text/xml; charset=utf-8",
 "",
 "Content-Type: text/xml; charset=utf-8\n!Set-Cookie",
 "Content-Type: application/json; charset=utf-8\n!Set-Cookie"]
--- no_error_log
[error]



=== TEST 6: admin rights alone pass authentication: another session by sid; no session of its own is still 0005
--- http_config eval: $::HttpConfig
--- config eval
$::Config . <<'_EOC_';
    location ~ ^/admin/xmlmc/+session/*$ {
        session_key $cookie_ESPSessionState;
        session_admin $http_x_admin;
        session_info s;
    }

    location = /ask-admin {
        session_track s;
        session_key $arg_t;
        proxy_set_header X-Admin 1;
        proxy_method POST;
        proxy_set_body $hb_ask_body;
        proxy_pass http://127.0.0.1:$server_port/admin/xmlmc/session/;
    }
_EOC_
--- request eval
["GET /login?t=tok-a&u=alice",
 "GET /ask-admin?t=tok-a",
 "POST /admin/xmlmc/session/?method=getSessionInfo\n",
 "POST /admin/xmlmc/session/\n"
 . '<methodCall service="session" method="getSessionInfo"><params>'
 . '<sessionId>0123456789abcdef0123456789abcdef</sessionId></params>'
 . '</methodCall>']
--- more_headers eval
["", "", "X-Admin: 1", "X-Admin: 1"]
--- response_body_like eval
["app\n",
 ::ok_xml(user => 'alice', instance => 's'),
 ::exact(::fail_xml('0005', $::NoSession)),
 ::exact(::fail_xml('0204', $::NotFound))]
--- no_error_log
[error]



=== TEST 7: what session variables set: the required fields' values, the optional firstName, several roles
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["GET /login?t=tok-a&u=alice&name=Alice",
 "POST /xmlmc/session/\n$::Call",
 "POST /xmlmc/session/\n$::Call"]
--- more_headers eval
["X-Lang: de-DE\nX-Tz: Europe/Berlin\nX-Roles: Admin Role, ,Basic User Role\n"
 . "X-Guest: TRUE\nX-Crc: 4294967295\nX-Offset: -3600\nX-First: Ann",
 "Cookie: ESPSessionState=tok-a",
 "Cookie: ESPSessionState=tok-a\nAccept: text/json"]
--- response_body_like eval
["app\n",
 ::ok_xml(user => 'alice', name => 'Alice', first => 'Ann', lang => 'de-DE',
        tz => 'Europe/Berlin', guest => 'true', offset => '-3600',
        crc => '4294967295', roles => ['Admin Role', 'Basic User Role'],
        vars => [[host => 'localhost'], [currentLanguage => 'de-DE'],
                 [timeZone => 'Europe/Berlin'],
                 [assignedRole => 'Admin Role, ,Basic User Role'],
                 [isGuestSession => 'TRUE'], [appStateCRC => '4294967295'],
                 [currentTimeZoneOffset => '-3600'], [firstName => 'Ann']]),
 ::ok_json(user => 'alice', name => 'Alice', first => 'Ann', lang => 'de-DE',
         tz => 'Europe/Berlin', guest => 'true', offset => '-3600',
         crc => '4294967295', roles => ['Admin Role', 'Basic User Role'],
         vars => [[host => 'localhost'], [currentLanguage => 'de-DE'],
                  [timeZone => 'Europe/Berlin'],
                  [assignedRole => 'Admin Role, ,Basic User Role'],
                  [isGuestSession => 'TRUE'], [appStateCRC => '4294967295'],
                  [currentTimeZoneOffset => '-3600'],
                  [firstName => 'Ann']])]
--- json eval
[undef, undef,
 q{$_->{params}{currentTimeZoneOffset} == -3600
   && $_->{params}{appStateCRC} == 4294967295
   && $_->{params}{isGuestSession}
   && @{$_->{params}{assignedRole}} == 2
   && @{$_->{params}{sessionVariable}} == 8}]
--- no_error_log
[error]



=== TEST 8: variables of the wrong type fall back to the defaults: guest, offset, CRC
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["GET /login?t=tok-a&u=alice",
 "POST /xmlmc/session/\n$::Call"]
--- more_headers eval
["X-Guest: maybe\nX-Crc: 4294967296\nX-Offset: 99999\nX-Roles: ,",
 "Cookie: ESPSessionState=tok-a\nAccept: text/json"]
--- response_body_like eval
["app\n",
 ::ok_json(user => 'alice',
         vars => [[host => 'localhost'], [assignedRole => ','],
                  [isGuestSession => 'maybe'], [appStateCRC => '4294967296'],
                  [currentTimeZoneOffset => '99999']])]
--- json eval
[undef,
 q{!$_->{params}{isGuestSession} && $_->{params}{currentTimeZoneOffset} == 0
   && $_->{params}{appStateCRC} != 4294967296
   && $_->{params}{appStateCRC} <= 4294967295
   && "@{$_->{params}{assignedRole}}" eq 'Basic User Role'}]
--- no_error_log
[error]



=== TEST 9: HTTP methods other than GET and POST: 0101 in the dialect's form, HTTP 200
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["PUT /xmlmc/session/?method=getSessionInfo\n$::Call",
 "DELETE /xmlmc/session/?method=getSessionInfo",
 "PATCH /xmlmc/session/\n$::Call"]
--- more_headers eval
["", "", "Accept: text/json"]
--- error_code eval
[200, 200, 200]
--- response_body eval
[::fail_xml('0101', 'Only the POST and GET HTTP methods are supported'),
 ::fail_xml('0101', 'Only the POST and GET HTTP methods are supported'),
 ::fail_json('0101', 'Only the POST and GET HTTP methods are supported')]
--- no_error_log
[error]



=== TEST 10: wrong service, wrong method (body or query), no method at all: 0201, 0202
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["POST /xmlmc/session/\n"
 . '<methodCall service="system" method="getSessionInfo"/>',
 "POST /xmlmc/session/\n"
 . '<methodCall service="session" method="userLogon"/>',
 "POST /xmlmc/session/?method=getSessionInfos\n$::Call",
 "POST /xmlmc/session/\n<methodCall service=\"session\"/>",
 "GET /xmlmc/session/",
 "POST /xmlmc/session/\n",
 "POST /xmlmc/session/\n"
 . '{"@service":"admin","@method":"getSessionInfo"}']
--- more_headers eval
["", "", "", "", "", "", "Accept: text/json"]
--- response_body eval
[::fail_xml('0201', 'The service &quot;system&quot; is not served here'),
 ::fail_xml('0202', 'The method &quot;userLogon&quot; is not served here'),
 ::fail_xml('0202',
          'The method &quot;getSessionInfos&quot; is not served here'),
 ::fail_xml('0202', 'No method was named: use &lt;methodCall '
                  . 'method=&quot;getSessionInfo&quot;&gt; or ?method='),
 ::fail_xml('0202', 'No method was named: use &lt;methodCall '
                  . 'method=&quot;getSessionInfo&quot;&gt; or ?method='),
 ::fail_xml('0202', 'No method was named: use &lt;methodCall '
                  . 'method=&quot;getSessionInfo&quot;&gt; or ?method='),
 ::fail_json('0201', 'The service \"admin\" is not served here')]
--- no_error_log
[error]



=== TEST 11: merge_slashes off: the regular expression location still takes //session/
--- http_config eval: $::HttpConfig
--- config eval
"merge_slashes off;\n" . $::Config
--- request eval
["GET /login?t=tok-a&u=alice&name=Alice",
 "POST /xmlmc//session/?method=getSessionInfo\n"
 . '<methodCall service="session" method="getSessionInfo" trace="goApi">'
 . '</methodCall>',
 "POST /xmlmc/session?method=getSessionInfo\n"]
--- more_headers eval
["", ("Cookie: ESPSessionState=tok-a") x 2]
--- response_body_like eval
["app\n", ($::Own) x 2]
--- no_error_log
[error]



=== TEST 12: a location that tracks another zone cannot serve an endpoint: nginx does not start
--- http_config eval
$::HttpConfig . "    session_zone zone=t:1m;\n"
--- config eval
$::Config . <<'_EOC_';

    location = /tinfo {
        session_track t;
        session_key $cookie_ESPSessionState;
        session_info s;
    }
_EOC_
--- must_die
--- error_log eval
qr/a session endpoint serves session zone "s" in a location that tracks session zone "t": remove "session_track t;" from this location, or write "session_track s;"/



=== TEST 13: answers are the caller's: Cache-Control: no-store on success and failure
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["GET /login?t=tok-a&u=alice",
 "GET /xmlmc/session/?method=getSessionInfo",
 "GET /xmlmc/session/?method=getSessionInfo"]
--- more_headers eval
["", "Cookie: ESPSessionState=tok-a", ""]
--- response_headers eval
["", "Cache-Control: no-store", "Cache-Control: no-store"]
--- php_status eval
[undef, "ok", "fail"]
--- no_error_log
[error]
