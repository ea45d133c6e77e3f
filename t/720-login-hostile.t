# Hostile and awkward login bodies and responses: too large (by
# Content-Length and chunked), deep, chunked, slow, split over many
# buffers, malformed, with a DTD and entities, gzip-encoded, cut short.
# Each makes no session (or the session it should), says why at the
# info level, never logs the password, and reaches the upstream or the
# client unchanged.  A location without fields does not read the body.

use t::TestSession 'no_plan';
use t::Login;

# a block's checks read its whole error log: the login request's lines
# are checked after the requests that follow it too
check_accum_error_log();

our $Pass = 'Pa55-n0t-in-logs';
our $Big = '{"user": "alice", "password": "' . $Pass . '", "pad": "'
         . ('x' x 5000) . '"}';
our $DeepJson = ('[' x 50000) . (']' x 50000);
our $DeepXml = ('<a>' x 12000) . ('</a>' x 12000);
our $Laughs = qq{<?xml version="1.0"?>\n<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">}
            . qq{<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">}
            . qq{<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>}
            . qq{<login><user>&c;</user><password>$Pass</password></login>};
our $Xxe = qq{<?xml version="1.0"?>\n<!DOCTYPE l [<!ENTITY x SYSTEM }
         . qq{"file:///etc/passwd">]><login><user>&x;</user></login>};
our $Token = 'tok-' . ('7' x 40);
our $Json = qq{{"user":"alice","token":"$Token","password":"$Pass"}};
our $BigResp = '{"user":"bob","token":"' . $Token . '","pad":"'
             . ('y' x 5000) . '"}';

start_stub(
    ['POST', qr{^/up/login$}, undef,
     "200 OK\r\nContent-Type: text/plain\r\n\r\nok\n"],
    ['POST', qr{^/up/json$}, undef,
     "200 OK\r\nContent-Type: application/json\r\n\r\n$Json"],
    ['POST', qr{^/up/split$}, undef,
     ["200 OK\r\nContent-Type: application/json",
      map { substr($Json, $_ * 7, 7) } 0 .. int(length($Json) / 7)]],
    ['POST', qr{^/up/chunked$}, undef,
     ["200 OK\r\nContent-Type: application/json\r\n"
      . "Transfer-Encoding: chunked",
      sprintf("%x\r\n%s\r\n", 20, substr($Json, 0, 20)),
      sprintf("%x\r\n%s\r\n", length($Json) - 20, substr($Json, 20)),
      "0\r\n\r\n"]],
    ['POST', qr{^/up/big$}, undef,
     "200 OK\r\nContent-Type: application/json\r\n\r\n$BigResp"],
    ['POST', qr{^/up/bigchunked$}, undef,
     ["200 OK\r\nContent-Type: application/json\r\n"
      . "Transfer-Encoding: chunked",
      sprintf("%x\r\n%s\r\n", length($BigResp), $BigResp), "0\r\n\r\n"]],
    ['POST', qr{^/up/html$}, undef,
     "502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n"
     . "<html><body>Bad Gateway $Pass</body></html>"],
    ['POST', qr{^/up/text$}, undef,
     "200 OK\r\nContent-Type: text/plain\r\n\r\ntoken=$Token"],
    ['POST', qr{^/up/dtd$}, undef,
     "200 OK\r\nContent-Type: text/xml\r\n\r\n$Laughs"],
    ['POST', qr{^/up/gzip$}, undef,
     "200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip"
     . "\r\n\r\n\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"],
    ['POST', qr{^/up/replace$}, undef,
     "200 OK\r\nContent-Type: application/json\r\n"
     . "Set-Cookie: SID=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; "
     . "Max-Age=0; path=/\r\n\r\n$Json"],
    ['HEAD', qr{^/up/}, undef,
     "200 OK\r\nContent-Type: application/json\r\nContent-Length: 80\r\n\r\n"],
    ['POST', qr{^/up/cut$}, undef,
     ["200 OK\r\nContent-Type: application/json\r\nContent-Length: 500",
      substr($Json, 0, 30)]],
);

our $HttpConfig = <<'_EOC_';
    session_zone zone=s:1m;
    session_max_body_size 4k;
    client_max_body_size 10m;

    upstream stub {
        server 127.0.0.1:$TEST_NGINX_STUB_PORT;
    }
_EOC_

our $Config = <<'_EOC_';
    session_track s;
    session_key $cookie_SID $http_x_token;

    # request fields: the account of a session the query's token makes
    location = /login {
        session_field $user request form=user json=/user xml=/login/user;
        session_create $arg_t;
        session_account $user;
        add_header X-Account "[$user]" always;
        proxy_pass http://stub/up/login;
    }

    location = /login-big {
        session_max_body_size 1m;
        session_field $user request json=/user xml=/login/user;
        session_create $arg_t;
        session_account $user;
        add_header X-Account "[$user]" always;
        proxy_pass http://stub/up/login;
    }

    # response fields: the session and account from the answer
    location ~ ^/r/(\w+)$ {
        session_field $r_token response json=/token xml=/login/token;
        session_field $r_user response json=/user xml=/login/user;
        session_create $r_token;
        session_account $r_user;
        proxy_buffering off;
        proxy_pass http://stub/up/$1;
    }

    # no fields: nothing reads the body before the content handler, which
    # streams a chunked body to the upstream as it comes; with fields, the
    # body is read first, and goes on with its length
    location = /plain {
        proxy_request_buffering off;
        proxy_http_version 1.1;
        proxy_pass http://stub/up/login;
    }

    location = /fields {
        session_field $user request form=user;
        proxy_request_buffering off;
        proxy_http_version 1.1;
        proxy_pass http://stub/up/login;
    }

    location = /who {
        return 200 "sid=$session_id account=$session_account\n";
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

=== TEST 1: a body over session_max_body_size by Content-Length: not read first, not parsed, passed on unchanged
--- request eval
["POST /login?t=big1\n$::Big", "GET /who"]
--- more_headers eval
["Content-Type: application/json", "Cookie: SID=big1"]
--- response_headers eval
["X-Stub-Body-MD5: " . main::md5($::Big) . "\nX-Account: []", ""]
--- response_body_like eval
["ok", "^sid=[0-9a-f]{32} account=\n"]
--- error_log eval
qr/\[info\] .*session fields not read: the request body of \d+ bytes is larger than session_max_body_size 4096/
--- no_error_log eval
["[error]", "[warn]", $::Pass]



=== TEST 2: a chunked body is read and parsed, and passed on whole
--- raw_request eval
"POST /login?t=ch1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
. "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
. "a\r\n{\"user\":\"a\r\n9\r\nlice\", \"p\r\n"
. sprintf("%x\r\n", length("assword\":\"$::Pass\"}"))
. "assword\":\"$::Pass\"}\r\n0\r\n\r\n"
--- response_headers eval
"X-Stub-Body-MD5: "
. main::md5("{\"user\":\"alice\", \"password\":\"$::Pass\"}")
. "\nX-Account: [alice]"
--- response_body_like: ok
--- no_error_log eval
["[error]", "[warn]", $::Pass]



=== TEST 3: a chunked body over the limit: read by nginx, measured once read, not parsed, passed on whole
--- raw_request eval
"POST /login?t=ch2 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
. "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
. sprintf("%x\r\n%s\r\n0\r\n\r\n", length($::Big), $::Big)
--- response_headers eval
"X-Stub-Body-MD5: " . main::md5($::Big) . "\nX-Account: []"
--- response_body_like: ok
--- error_log eval
qr/\[info\] .*session fields not read: the request body of 5060 bytes is larger than session_max_body_size 4096/
--- no_error_log eval
["[error]", "[warn]", $::Pass]



=== TEST 4: a slow body, in pieces 200 ms apart: read as it comes, parsed, passed on unchanged
--- raw_request eval
["POST /login?t=slow HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
 . "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
 . length("user=carol&password=$::Pass") . "\r\n\r\nus", "er=car",
 "ol&password=", "Pa55-n0t-in-lo", "gs"]
--- raw_request_middle_delay: 0.2
--- response_headers eval
"X-Stub-Body-MD5: " . main::md5("user=carol&password=$::Pass")
. "\nX-Account: [carol]"
--- response_body_like: ok
--- no_error_log eval
["[error]", "[warn]", $::Pass]



=== TEST 5: deep JSON: refused by jansson's depth limit, passed on, no account
--- request eval
["POST /login-big?t=deep1\n$::DeepJson", "GET /who"]
--- more_headers eval
["Content-Type: application/json", "Cookie: SID=deep1"]
--- response_headers eval
["X-Stub-Body-MD5: " . main::md5($::DeepJson) . "\nX-Account: []", ""]
--- response_body_like eval
["ok", "account=\n"]
--- error_log eval
qr/\[info\] .*session fields not read from the request body: malformed JSON/
--- no_error_log
[error]



=== TEST 6: deep XML: refused by libxml2's depth limit, passed on, no account
--- request eval
["POST /login-big?t=deep2\n$::DeepXml", "GET /who"]
--- more_headers eval
["Content-Type: text/xml", "Cookie: SID=deep2"]
--- response_headers eval
["X-Stub-Body-MD5: " . main::md5($::DeepXml) . "\nX-Account: []", ""]
--- response_body_like eval
["ok", "account=\n"]
--- error_log eval
qr/\[info\] .*session fields not read from the request body: .*[Dd]epth/
--- no_error_log
[error]



=== TEST 7: malformed JSON: no account, and the password near the error is not logged
--- request eval
["POST /login?t=m1\n{\"user\":\"alice\",\"password\":\"$::Pass"]
--- more_headers: Content-Type: application/json
--- response_headers: X-Account: []
--- response_body_like: ok
--- error_log eval
qr/\[info\] .*session fields not read from the request body: malformed JSON/
--- no_error_log eval
["[error]", "[warn]", $::Pass]



=== TEST 8: malformed XML: no account, no password in the log
--- request eval
["POST /login?t=m2\n<login><user>alice</user><password>$::Pass</login>"]
--- more_headers: Content-Type: text/xml
--- response_headers: X-Account: []
--- response_body_like: ok
--- error_log eval
qr/\[info\] .*session fields not read from the request body: /
--- no_error_log eval
["[error]", "[warn]", $::Pass]



=== TEST 9: entity expansion and an external entity: a DTD is refused, nothing is expanded or read
--- request eval
["POST /login-big?t=m3\n$::Laughs", "POST /login-big?t=m4\n$::Xxe"]
--- more_headers eval
["Content-Type: text/xml", "Content-Type: text/xml"]
--- response_headers eval
["X-Account: []", "X-Account: []"]
--- response_body_like eval
["ok", "ok"]
--- error_log eval
qr/\[info\] .*session fields not read from the request body: a document type declaration \(DTD\) is not allowed/
--- no_error_log eval
["[error]", "[warn]", $::Pass, "root:"]



=== TEST 10: response fields: whole, in pieces, chunked; each makes the session of its token
--- request eval
["POST /r/json\n{}", "GET /who", "POST /r/split\n{}", "GET /who",
 "POST /r/chunked\n{}", "GET /who"]
--- more_headers eval
["", "X-Token: $::Token", "", "X-Token: $::Token", "", "X-Token: $::Token"]
--- response_body eval
[$::Json, "sid=SID account=alice\n", $::Json, "sid=SID account=alice\n",
 $::Json, "sid=SID account=alice\n"]
--- response_body_filters eval
sub { $_[0] =~ s/sid=[0-9a-f]{32}/sid=SID/r }
--- no_error_log eval
["[error]", "[warn]", $::Pass]



=== TEST 11: a response over the limit by Content-Length: no session, said at info, passed on whole
--- request eval
["POST /r/big\n{}", "GET /who"]
--- more_headers eval
["", "X-Token: $::Token"]
--- response_body eval
[$::BigResp, "sid= account=\n"]
--- error_log eval
qr/\[info\] .*session fields not read: the response body of \d+ bytes is larger than session_max_body_size 4096/
--- no_error_log
[error]
[warn]



=== TEST 12: a chunked response over the limit: no session, said at info, passed on whole
--- request eval
["POST /r/bigchunked\n{}", "GET /who"]
--- more_headers eval
["", "X-Token: $::Token"]
--- response_body eval
[$::BigResp, "sid= account=\n"]
--- error_log eval
qr/\[info\] .*session fields not read: the response body is larger than session_max_body_size 4096/
--- no_error_log
[error]
[warn]



=== TEST 13: an HTML error page parses as XML and names no token: no session
--- request eval
["POST /r/html\n{}", "GET /who"]
--- more_headers eval
["", "X-Token: $::Token"]
--- error_code eval
[502, 200]
--- response_body eval
["<html><body>Bad Gateway $::Pass</body></html>", "sid= account=\n"]
--- no_error_log eval
["[error]", "[warn]", $::Pass]



=== TEST 14: a response that is neither JSON nor XML: no session, said at info
--- request eval
["POST /r/text\n{}", "GET /who"]
--- more_headers eval
["", "X-Token: $::Token"]
--- response_body eval
["token=$::Token", "sid= account=\n"]
--- error_log eval
qr/\[info\] .*session fields not read from the response body: neither JSON nor XML/
--- no_error_log
[error]
[warn]



=== TEST 15: a response with a DTD: refused, passed on
--- request eval
["POST /r/dtd\n{}"]
--- response_body eval
$::Laughs
--- error_log eval
qr/\[info\] .*session fields not read from the response body: a document type declaration/
--- no_error_log eval
["[error]", "[warn]", $::Pass]



=== TEST 16: a gzip-encoded response: not read, said at info with what to do, passed on
--- request eval
["POST /r/gzip\n{}"]
--- response_body eval
"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
--- error_log eval
qr/\[info\] .*session fields not read: the response body is "gzip"-encoded; clear Accept-Encoding toward the upstream/
--- no_error_log
[error]
[warn]



=== TEST 17: a response cut short makes no session; the request is still counted
--- request eval
["POST /r/cut\n{}", "GET /who"]
--- more_headers eval
["X-Token: $::Token", "X-Token: $::Token"]
--- response_body_like eval
["", "sid= account=\n"]
--- error_log eval
qr/\[info\] .*session fields not read: the response ended before its body was complete/
--- log_allows
[error]
--- no_error_log
[alert]



=== TEST 18: a location without fields does not read the body: a chunked body streams on to the upstream
--- raw_request eval
["POST /plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
 . "Content-Type: application/x-www-form-urlencoded\r\n"
 . "Transfer-Encoding: chunked\r\n\r\n9\r\nuser=dave\r\n", "0\r\n\r\n"]
--- raw_request_middle_delay: 0.2
--- response_headers
X-Stub-Framing: chunked
--- response_body_like: ok
--- no_error_log
[error]
[warn]



=== TEST 19: ... and one with fields reads it first and sends it on with its length
--- raw_request eval
["POST /fields HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
 . "Content-Type: application/x-www-form-urlencoded\r\n"
 . "Transfer-Encoding: chunked\r\n\r\n9\r\nuser=dave\r\n", "0\r\n\r\n"]
--- raw_request_middle_delay: 0.2
--- response_headers
X-Stub-Framing: length
--- response_body_like: ok
--- no_error_log
[error]
[warn]



=== TEST 20: a HEAD request has no body to wait for: tracking is applied at once
--- request eval
["HEAD /r/json", "GET /who"]
--- more_headers eval
["", "Cookie: SID=none"]
--- response_body eval
["", "sid= account=\n"]
--- no_error_log
[error]
[warn]
session fields not read



=== TEST 21: a login answer that deletes the old session cookie and gives a new token in its body: the old session ends, the new one is made
--- request eval
["POST /login?t=old1\nuser=dave", "POST /r/replace\n{}", "GET /who",
 "GET /who"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded", "Cookie: SID=old1",
 "Cookie: SID=old1", "X-Token: $::Token"]
--- response_body_like eval
["ok", "token", "^sid= account=\n", "^sid=[0-9a-f]{32} account=alice\n"]
--- no_error_log
[error]
[warn]
