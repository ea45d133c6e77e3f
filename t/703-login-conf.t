# Bad session_field and session_jwt configurations stop nginx with an
# [emerg] that names the problem: variable names, directions, sources,
# JSON Pointers, XPath expressions and their prefixes, conditions, key
# files and JWK Sets.

use t::TestSession 'no_plan';

run_tests();

__DATA__

=== TEST 1: session_field without a "$"
--- http_config
    session_zone zone=s:1m;
--- config
    location / { session_field user request form=user; return 204; }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid variable name "user"}]



=== TEST 2: neither request nor response
--- config
    location / { session_field $u body form=user; return 204; }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid parameter "body": "request" or "response" expected}]



=== TEST 3: no source
--- config
    location / { session_field $u request xmlns:a=urn:a; return 204; }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{session field "$u" names no form=, json= or xml= source}]



=== TEST 4: an unknown parameter
--- config
    location / { session_field $u request yaml=/user; return 204; }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid parameter "yaml=/user"}]



=== TEST 5: a response is no form
--- config
    location / { session_field $u response form=user; return 204; }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"form=user": a response is read as JSON or XML, not as a form}]



=== TEST 6: a JSON Pointer without its leading "/"
--- config
    location / { session_field $u request json=user; return 204; }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid parameter "json=user": is no JSON Pointer: it must start with "/"}]



=== TEST 7: a JSON Pointer with a bad "~" escape
--- config
    location / { session_field $u request json=/a~2b; return 204; }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid parameter "json=/a~2b": is no JSON Pointer: "~" is followed by "0" or "1"}]



=== TEST 8: an XPath syntax error
--- config
    location / { session_field $u request "xml=//a[@b="; return 204; }
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr/invalid parameter "xml=\/\/a\[\@b=": \S/]



=== TEST 9: an XPath prefix no xmlns: binds
--- config
    location / {
        session_field $u request xml=//a:AuthRequest/a:account
                      xmlns:z=urn:zimbra;
        return 204;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid parameter "xml=//a:AuthRequest/a:account": is no XPath expression: undefined namespace prefix: bind it with xmlns:PREFIX=URI}]



=== TEST 10: a malformed xmlns:
--- config
    location / { session_field $u request xml=/a xmlns:a; return 204; }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid parameter "xmlns:a": xmlns:PREFIX=URI expected}]



=== TEST 11: the same field twice at one level
--- config
    location / {
        session_field $u request form=a;
        session_field $U request form=b;
        return 204;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{duplicate session field "$U"}]



=== TEST 12: a variable of nginx's own
--- config
    location / { session_field $uri request form=a; return 204; }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{the duplicate "uri" variable}]



=== TEST 13: an empty if=
--- config
    location / { session_field $u response json=/a if=; return 204; }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid parameter "if="}]



=== TEST 14: session_jwt without a key, and without verify=off
--- config
    session_jwt $http_authorization;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_jwt" needs key=FILE or jwks=FILE to verify tokens with, or verify=off}]



=== TEST 15: verify=off with a key
--- user_files
>>> hs.key
0123456789abcdef0123456789abcdef
--- config
    session_jwt $http_authorization key=../html/hs.key verify=off;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_jwt": verify=off takes no key=, jwks=}]



=== TEST 16: a key file that does not exist
--- config
    session_jwt $http_authorization key=/nonexistent/hs.key;
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr{open\(\) "/nonexistent/hs\.key" failed}]



=== TEST 17: an HMAC key shorter than the hash
--- user_files
>>> short.key
only-twenty-bytes-ok
--- config
    session_jwt $http_authorization key=../html/short.key;
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr{"[^"]*short\.key" holds less than 32 bytes: an HS256 key is at least as long as the hash}]



=== TEST 18: a JWKS that is not JSON, and one without "keys"
--- user_files
>>> bad.jwks
{"keys": [
--- config
    session_jwt $http_authorization jwks=../html/bad.jwks;
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr{"[^"]*bad\.jwks" is not JSON}]



=== TEST 19: a JWK Set without "keys"
--- user_files
>>> nokeys.jwks
{"kty": "RSA", "n": "x", "e": "AQAB"}
--- config
    session_jwt $http_authorization jwks=../html/nokeys.jwks;
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr{"[^"]*nokeys\.jwks" is no JWK Set: it has no "keys" array}]



=== TEST 20: an RSA key of 1024 bits
--- user_files
>>> small.jwks
{"keys": [{"kty": "RSA", "kid": "small", "n": "xfCxeverRQmapgmGB6YqaN6zmEuQ8ZCWKzj6UJzKhyxMalqi9fKQr-_uyOfZWTDLje85GEArZbfITr6632txlzruANzwA-4uv0LadTeU7yFrPoO82jffisYPZATPTwNQWv-5FQEr_NJE4DPJyJeSMSzzbdCJ-q9vcLhhznxafQ8", "e": "AQAB"}]}
--- config
    session_jwt $http_authorization jwks=../html/small.jwks;
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr{"[^"]*small\.jwks" has an RSA key of less than 2048 bits}]



=== TEST 21: an EC key whose point is not on its curve
--- user_files
>>> off.jwks
{"keys": [{"kty": "EC", "crv": "P-256", "x": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE", "y": "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI"}]}
--- config
    session_jwt $http_authorization jwks=../html/off.jwks;
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr{"[^"]*off\.jwks" has an EC key whose point is not on its curve}]



=== TEST 22: a JWKS with encryption keys only
--- user_files
>>> enc.jwks
{"keys": [{"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"}, {"kty": "OKP", "crv": "X25519", "x": "AQAB"}]}
--- config
    session_jwt $http_authorization jwks=../html/enc.jwks;
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr{"[^"]*enc\.jwks" holds no RSA, EC or oct signing key}]



=== TEST 23: session_jwt twice, a bad leeway, no value
--- config
    location /a { session_jwt $http_authorization verify=off leeway=soon; }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid leeway "leeway=soon"}]



=== TEST 24: session_jwt with keys but no value that carries the token
--- config
    session_jwt verify=off;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_jwt" names no value that carries the token}]



=== TEST 25: session_jwt twice at one level
--- config
    session_jwt $http_authorization verify=off;
    session_jwt $cookie_jwt verify=off;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_jwt" directive is duplicate}]



=== TEST 26: a good configuration starts: fields at every level, session_jwt off below a server's
--- http_config
    session_zone zone=s:1m;
    session_field $h request form=h;
--- config
    session_jwt $http_authorization verify=off;
    session_field $srv response json=/a xml=//b:c xmlns:b=urn:b if=$arg_x;

    location / {
        session_jwt off;
        session_field $loc request form=a json=/b/0/~1c~0 xml=string(//@d);
        return 200 "ok\n";
    }
--- request
GET /
--- response_body
ok
--- no_error_log
[error]
[warn]
