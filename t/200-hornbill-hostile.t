# Hornbill getSessionInfo against hostile and broken requests: truncated
# XML and JSON, entity expansion, external entities, DTDs, oversized
# bodies, deep nesting, parameters of the wrong type, and bytes that are
# not UTF-8 in what the answer echoes.  Each gets a fail answer in the
# dialect's form with HTTP 200, and the session stays as it was.

use t::TestSession 'no_plan';
use t::Hornbill;

our $Own = ok_xml(user => 'alice', name => 'Alice');
our $Login = 'GET /login?t=tok-a&u=alice&name=Alice';
our $Cookie = 'Cookie: ESPSessionState=tok-a';
our $Head = '<methodCall service="session" method="getSessionInfo">';

our $Laughs = qq{<?xml version="1.0"?>\n<!DOCTYPE lolz [\n}
    . qq{ <!ENTITY lol "lol">\n}
    . join('', map { my $p = $_ - 1;
                     qq{ <!ENTITY lol$_ "} . ("&lol$p;" x 10) . qq{">\n} }
               2 .. 9)
    . qq{ <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n}
    . qq{$Head<params><sessionId>&lol9;</sessionId></params></methodCall>};

our $Dtd = 'Malformed XML payload: a document type declaration (DTD) is '
           . 'not allowed in a request';

# a chunked body of N bytes in chunks of 1 MB
sub chunked {
    my $n = shift;
    my $chunk = 'x' x (1024 * 1024);
    my $body = '';

    while ($n > 0) {
        my $len = $n < length $chunk ? $n : length $chunk;
        $body .= sprintf("%x\r\n", $len) . substr($chunk, 0, $len) . "\r\n";
        $n -= $len;
    }

    return "POST /xmlmc/session/?method=getSessionInfo HTTP/1.1\r\n"
           . "Host: localhost\r\nConnection: close\r\n"
           . "Transfer-Encoding: chunked\r\n\r\n${body}0\r\n\r\n";
}

run_tests();

__DATA__

=== TEST 1: truncated and malformed XML and JSON: 0200, HTTP 200; the session stays, and an unknown token does not become one
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
[$::Login,
 "POST /xmlmc/session/\n"
 . '<methodCall service="session" method="getSes',
 "POST /xmlmc/session/\n$::Head<params><sessionId>0123",
 "POST /xmlmc/session/\n"
 . '{"@service":"session","@method":"getSessionInfo","params":{"sess',
 "POST /xmlmc/session/\n<foo service=\"session\" method=\"getSessionInfo\"/>",
 "POST /xmlmc/session/\nmethodCall service=session",
 "POST /xmlmc/session/\n[1,2,3]",
 "POST /xmlmc/session/\n"
 . '{"@service":"session","@method":"getSessionInfo",'
 . '"@method":"getSessionInfo"}',
 "POST /xmlmc/session/\n$::Head\x00</methodCall>",
 "POST /xmlmc/session/\n"
 . '{"@service":"session","@method":"getSessionInfo","params":'
 . '{"sessionId":"a\u0000b"}}',
 "POST /xmlmc/session/?method=getSessionInfo\n",
 "POST /xmlmc/session/\n$::Head<params><sessionId>",
 "POST /xmlmc/session/?method=getSessionInfo\n"]
--- more_headers eval
["", ($::Cookie) x 2, "$::Cookie\nAccept: text/json", ($::Cookie) x 2,
 "$::Cookie\nAccept: application/json", "$::Cookie\nAccept: text/json",
 $::Cookie, "$::Cookie\nAccept: text/json", $::Cookie,
 ("Cookie: ESPSessionState=tok-new") x 2]
--- error_code eval
[(200) x 13]
--- response_body_like eval
["app\n",
 qr/\A<\?xml version="1.0" encoding="utf-8" \?>\n<methodCallResult status="fail">\n\t<state>\n\t\t<code>0200<\/code>\n\t\t<service>session<\/service>\n\t\t<operation>getSessionInfo<\/operation>\n\t\t<error>Malformed XML payload: [^<]+<\/error>\n\t<\/state>\n<\/methodCallResult>\n\z/,
 qr/<code>0200<\/code>.*<error>Malformed XML payload: /s,
 qr/\A\{"\@status":false,"state":\{"code":"0200","service":"session","operation":"getSessionInfo","error":"Malformed JSON payload: (?:[^"\\]|\\.)+"\}\}\z/,
 ::exact(::fail_xml('0200', 'The payload is not a methodCall')),
 ::exact(::fail_xml('0200', 'The request payload is neither an XML nor '
                            . 'a JSON methodCall')),
 ::exact(::fail_json('0200', 'The request payload is neither an XML nor '
                             . 'a JSON methodCall')),
 qr/"code":"0200".*"error":"Malformed JSON payload: duplicate object key/,
 qr/<code>0200<\/code>/,
 qr/"code":"0200".*"error":"Malformed JSON payload: /,
 $::Own,
 qr/<code>0200<\/code>/,
 ::exact(::fail_xml('0005', $::NoSession))]
--- php_status eval
[undef, "fail", "fail", undef, "fail", "fail", undef, undef, "fail",
 undef, "ok", "fail", "fail"]
--- xpath eval
[undef, "/methodCallResult/state/code => 0200",
 "/methodCallResult/state/code => 0200", undef,
 "/methodCallResult/state/code => 0200",
 "/methodCallResult/state/code => 0200", undef, undef,
 "/methodCallResult/state/code => 0200", undef,
 "/methodCallResult/params/userId => alice", undef, undef]
--- json eval
[undef, undef, undef, q{!$_->{'@status'} && $_->{state}{code} eq '0200'},
 undef, undef, q{!$_->{'@status'}}, q{!$_->{'@status'}}, undef,
 q{!$_->{'@status'}}, undef, undef, undef]
--- no_error_log
[error]



=== TEST 2: billion laughs, an external entity, an external DTD: refused at the DTD, nothing expanded or fetched
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
[$::Login,
 "POST /xmlmc/session/\n$::Laughs",
 "POST /xmlmc/session/\n"
 . qq{<?xml version="1.0"?>\n<!DOCTYPE methodCall [\n}
 . qq{ <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n}
 . qq{$::Head<params><sessionId>&xxe;</sessionId></params></methodCall>},
 "POST /xmlmc/session/\n"
 . qq{<!DOCTYPE methodCall SYSTEM "http://127.0.0.1:1/m.dtd">\n}
 . qq{$::Head</methodCall>},
 "POST /xmlmc/session/\n"
 . qq{<!DOCTYPE methodCall [<!ENTITY % p SYSTEM "file:///etc/hosts"> %p;]>}
 . qq{$::Head</methodCall>},
 "POST /xmlmc/session/\n"
 . qq{$::Head<params><sessionId>&xxe;</sessionId></params></methodCall>},
 "POST /xmlmc/session/\n"
 . qq{b'<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>}
 . qq{$::Head</methodCall>'},
 "POST /xmlmc/session/?method=getSessionInfo\n"]
--- more_headers eval
["", ($::Cookie) x 5, "$::Cookie\nAccept: text/json", $::Cookie]
--- response_body_like eval
["app\n",
 (::exact(::fail_xml('0200', $::Dtd))) x 3,
 ::exact(::fail_xml('0200', $::Dtd)),
 qr/<code>0200<\/code>.*<error>Malformed XML payload: .*xxe/s,
 ::exact(::fail_json('0200', $::Dtd)),
 $::Own]
--- php_status eval
[undef, ("fail") x 5, undef, "ok"]
--- no_error_log
[error]



=== TEST 3: bodies over session_max_body_size, by Content-Length (discarded unread) and chunked: 0102
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
[$::Login,
 "POST /xmlmc/session/?method=getSessionInfo\n"
 . $::Head . (' ' x (64 * 1024)) . '</methodCall>',
 "POST /xmlmc/session/?method=getSessionInfo\n" . ('x' x (10 * 1024 * 1024)),
 "POST /xmlmc/session/?method=getSessionInfo\n" . ('x' x (10 * 1024 * 1024)),
 "POST /xmlmc/session/?method=getSessionInfo\n"
 . $::Head . (' ' x (60 * 1024)) . '</methodCall>']
--- more_headers eval
["", $::Cookie, $::Cookie, "$::Cookie\nAccept: text/json", $::Cookie]
--- response_body_like eval
["app\n",
 ::exact(::fail_xml('0102', 'The request payload is larger than this '
                            . 'server accepts')),
 ::exact(::fail_xml('0102', 'The request payload is larger than this '
                            . 'server accepts')),
 ::exact(::fail_json('0102', 'The request payload is larger than this '
                             . 'server accepts')),
 $::Own]
--- error_code eval
[(200) x 5]
--- timeout: 30
--- no_error_log
[error]



=== TEST 4: a chunked body of 10 MB: 0102 once it is read
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- raw_request eval
::chunked(10 * 1024 * 1024)
--- response_body eval
::fail_xml('0102', 'The request payload is larger than this server accepts')
--- error_code: 200
--- timeout: 30
--- no_error_log
[error]



=== TEST 5: deep nesting, XML and JSON: refused by the parsers' depth limits
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
[$::Login,
 "POST /xmlmc/session/\n$::Head<params>" . ('<a>' x 5000) . ('</a>' x 5000)
 . '</params></methodCall>',
 "POST /xmlmc/session/\n"
 . '{"@service":"session","@method":"getSessionInfo","params":'
 . ('[' x 5000) . (']' x 5000) . '}',
 "POST /xmlmc/session/\n"
 . '{"@service":"session","@method":"getSessionInfo","params":'
 . ('{"a":' x 5000) . '1' . ('}' x 5000) . '}',
 "POST /xmlmc/session/?method=getSessionInfo\n"]
--- more_headers eval
["", $::Cookie, "$::Cookie\nAccept: text/json",
 "$::Cookie\nAccept: text/json", $::Cookie]
--- response_body_like eval
["app\n",
 qr/<code>0200<\/code>.*<error>Malformed XML payload: /s,
 qr/\A\{"\@status":false,"state":\{"code":"0200",.*"error":"Malformed JSON payload: /,
 qr/\A\{"\@status":false,"state":\{"code":"0200",.*"error":"Malformed JSON payload: /,
 $::Own]
--- no_error_log
[error]



=== TEST 6: parameters of the wrong type or name: 0203
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
[$::Login,
 "POST /xmlmc/session/\n"
 . "$::Head<params><sessionId><x/></sessionId></params></methodCall>",
 "POST /xmlmc/session/\n"
 . '{"@service":"session","@method":"getSessionInfo","params":'
 . '{"sessionId":123}}',
 "POST /xmlmc/session/\n"
 . '{"@service":"session","@method":"getSessionInfo","params":[]}',
 "POST /xmlmc/session/\n"
 . '{"@service":"session","@method":5}',
 "POST /xmlmc/session/\n"
 . "$::Head<params><userId>alice</userId></params></methodCall>",
 "POST /xmlmc/session/\n"
 . "$::Head<params/><params/></methodCall>",
 "POST /xmlmc/session/\n"
 . "$::Head<params><sessionId>abc</sessionId></params></methodCall>",
 "POST /xmlmc/session/?sessionId=0123456789abcdef0123456789abcdef\n"
 . "$::Head<params><sessionId>ffffffffffffffffffffffffffffffff"
 . "</sessionId></params></methodCall>",
 "POST /xmlmc/session/\n"
 . '{"@service":"session","@method":"getSessionInfo","sessionId":"x"}',
 "POST /xmlmc/session/\n$::Head<params>text</params></methodCall>",
 "GET /xmlmc/session/?method=getSessionInfo&sessionId=zz",
 "POST /xmlmc/session/?method=getSessionInfo\n"]
--- more_headers eval
["", $::Cookie, ("$::Cookie\nAccept: text/json") x 3, ($::Cookie) x 4,
 "$::Cookie\nAccept: text/json", ($::Cookie) x 3]
--- response_body_like eval
["app\n",
 ::exact(::fail_xml('0203', 'The sessionId parameter must be a string')),
 ::exact(::fail_json('0203', 'The sessionId parameter must be a string')),
 ::exact(::fail_json('0203', '\"params\" must be an object')),
 ::exact(::fail_json('0200', '\"@method\" must be a string')),
 ::exact(::fail_xml('0203', 'Unexpected parameter &lt;userId&gt;: getSessionInfo '
                    . 'takes one optional sessionId')),
 ::exact(::fail_xml('0203', 'Unexpected element &lt;params&gt; in methodCall')),
 ::exact(::fail_xml('0203', 'The sessionId parameter must be 32 hexadecimal '
                    . 'digits')),
 ::exact(::fail_xml('0203', 'The query and the payload name different sessionId '
                    . 'values')),
 ::exact(::fail_json('0203', 'Unexpected member \"sessionId\" in methodCall')),
 ::exact(::fail_xml('0200', 'Unexpected text in params')),
 ::exact(::fail_xml('0203', 'The sessionId parameter must be 32 hexadecimal '
                    . 'digits')),
 $::Own]
--- no_error_log
[error]



=== TEST 7: bytes that are not UTF-8, and markup, in the account and variables come out escaped, as valid XML and JSON
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["GET /login?t=tok-a&u=alice&name=A\xffB<>'",
 "POST /xmlmc/session/\n<methodCall service=\"session\" "
 . "method=\"getSessionInfo\"/>",
 "POST /xmlmc/session/\n<methodCall service=\"session\" "
 . "method=\"getSessionInfo\"/>"]
--- more_headers eval
["X-Lang: \xff\xfe<&>\"'\nX-First: caf\xc3\xa9 \xe2\x82\nX-Tz: \xc0\xaf",
 $::Cookie, "$::Cookie\nAccept: text/json"]
--- xpath eval
[undef, "/methodCallResult/params/userName => A\x{fffd}B<>'
/methodCallResult/params/currentLanguage/language => \x{fffd}\x{fffd}<&>\"'
/methodCallResult/params/firstName => caf\x{e9} \x{fffd}\x{fffd}
/methodCallResult/params/regionalSettings/timeZone => \x{fffd}\x{fffd}
/methodCallResult/params/sessionVariable[name='currentLanguage']/value => \x{fffd}\x{fffd}<&>\"'",
 undef]
--- json eval
[undef, undef,
 q{$_->{params}{userName} eq "A\x{fffd}B<>'"
   && $_->{params}{currentLanguage}{language} eq "\x{fffd}\x{fffd}<&>\"'"
   && $_->{params}{firstName} eq "caf\x{e9} \x{fffd}\x{fffd}"
   && $_->{params}{regionalSettings}{timeZone} eq "\x{fffd}\x{fffd}"}]
--- response_body_like eval
["app\n", qr/<userName>A\x{ef}\x{bf}\x{bd}B&lt;&gt;&apos;<\/userName>/,
 qr/"userName":"A\\ufffdB<>'"/]
--- no_error_log
[error]
