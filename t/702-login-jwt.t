# session_jwt: a JWT in "Authorization: Bearer" or a cookie, verified
# with an HMAC key file (HS256, HS512) or a JWKS file (RS256, ES256,
# ES384), makes a session with its claims as the account; a token that
# fails verification makes none: "alg": "none" in any spelling, a wrong
# key, a forged or unknown "kid", a key of another type or use, the RSA
# public key taken as an HMAC secret, an expired "exp", a future "nbf",
# "crit", a tampered payload, malformed tokens.  An expired token ends
# the session it names.
#
# The tokens were made by t/data/jwt/make.py with python3-cryptography;
# t/702-login-jwt-exp.t has a token whose "exp" passes during the test.

use t::TestSession 'no_plan';
use Cwd ();

$ENV{TEST_NGINX_JWT_DIR} = Cwd::abs_path('t/data/jwt');

our %T;

open my $in, '<', 't/data/jwt/tokens.txt' or die "tokens.txt: $!\n";
while (<$in>) {
    my ($name, $token) = split ' ';
    $T{$name} = $token;
}
close $in;

our $HttpConfig = <<'_EOC_';
    session_zone zone=s:1m keep_closed=1h;
_EOC_

our $Config = <<'_EOC_';
    session_track s;
    session_jwt $http_authorization $cookie_jwt
                key=$TEST_NGINX_JWT_DIR/hs256.key
                jwks=$TEST_NGINX_JWT_DIR/jwks.json;
    session_key $session_jwt_token;
    session_create $session_jwt;
    session_end $session_jwt_expired;
    session_account $session_jwt_claim_sub
                    name=$session_jwt_claim_preferred_username;

    location = /api {
        return 200 "jwt=$session_jwt expired=$session_jwt_expired sub=$session_jwt_claim_sub email=$session_jwt_claim_email groups=$session_jwt_claim_groups\n";
    }

    location = /who {
        return 200 "sid=$session_id account=$session_account name=$session_account_name\n";
    }

    # a session made of any token, verified or not: what an expired
    # token may end
    location = /legacy {
        session_create $session_jwt_token;
        return 204;
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

=== TEST 1: HS256 in a Bearer header: the claims, and a session of "sub"
--- request eval
["GET /api", "GET /who"]
--- more_headers eval
["Authorization: Bearer $::T{hs256}", "Authorization: Bearer $::T{hs256}"]
--- response_body_like eval
[qr/^\Qjwt=$::T{hs256} expired= sub=u-1001 email=alice\E\@\Qexample.com groups=["staff","ops"]\E\n\z/,
 qr/^sid=[0-9a-f]{32} account=u-1001 name=alice\n\z/]
--- no_error_log
[error]
[warn]



=== TEST 2: every supported signature, in the header or the cookie
--- request eval
["GET /api", "GET /who", "GET /api", "GET /who", "GET /api", "GET /who",
 "GET /api", "GET /who", "GET /api", "GET /who"]
--- more_headers eval
["Authorization: bearer $::T{hs512}", "Cookie: jwt=$::T{hs512}",
 "Cookie: jwt=$::T{rs256}", "Authorization: Bearer $::T{rs256}",
 "Authorization: Bearer $::T{rs256_nokid}",
 "Authorization: Bearer $::T{rs256_nokid}",
 "Authorization: Bearer $::T{es256}", "Authorization: Bearer $::T{es256}",
 "Authorization: Bearer  $::T{es384}", "Authorization: Bearer $::T{es384}"]
--- response_body_like eval
[qr/^jwt=\S+ expired= sub=u-1002 /, qr/account=u-1002 name=bob$/,
 qr/^jwt=\S+ expired= sub=u-1001 /, qr/account=u-1001 name=alice$/,
 qr/^jwt=\S+ expired= sub=u-1002 /, qr/account=u-1002 name=bob$/,
 qr/^jwt=\S+ expired= sub=u-1002 /, qr/account=u-1002 name=bob$/,
 qr/^jwt=\S+ expired= sub=u-1001 /, qr/account=u-1001 name=alice$/]
--- no_error_log
[error]
[warn]



=== TEST 3: refused, no session: "alg": "none" in any spelling, with or without a signature
--- request eval
[map { ("GET /api", "GET /who") } qw(none none_sig none_case)]
--- more_headers eval
[map { ("Authorization: Bearer $::T{$_}") x 2 } qw(none none_sig none_case)]
--- response_body eval
[("jwt= expired= sub= email= groups=\n", "sid= account= name=\n") x 3]
--- grep_error_log eval
qr/session JWT refused: [^,]*/
--- grep_error_log_out
session JWT refused: unsupported "alg"
--- no_error_log
[error]
[warn]



=== TEST 4: refused, no session: a wrong HMAC key, a forged kid, an ES256 signature in DER, a tampered payload, the RSA public key as the HMAC secret
--- request eval
[map { ("GET /api", "GET /who") } qw(wrong_key forged_kid es256_der tampered confused)]
--- more_headers eval
[map { ("Authorization: Bearer $::T{$_}") x 2 } qw(wrong_key forged_kid es256_der tampered confused)]
--- response_body eval
[("jwt= expired= sub= email= groups=\n", "sid= account= name=\n") x 5]
--- grep_error_log eval
qr/session JWT refused: [^,]*/
--- grep_error_log_out
session JWT refused: bad signature
--- no_error_log
[error]
[warn]



=== TEST 5: refused, no session: a kid no signing key of the alg has: unknown, an encryption key, an EC key for RS256
--- request eval
[map { ("GET /api", "GET /who") } qw(unknown_kid enc_kid kid_of_ec es256_as_rs)]
--- more_headers eval
[map { ("Authorization: Bearer $::T{$_}") x 2 } qw(unknown_kid enc_kid kid_of_ec es256_as_rs)]
--- response_body eval
[("jwt= expired= sub= email= groups=\n", "sid= account= name=\n") x 4]
--- grep_error_log eval
qr/session JWT refused: [^,]*/
--- grep_error_log_out
session JWT refused: no key of that "kid" for its "alg"
--- no_error_log
[error]
[warn]



=== TEST 6: refused, no session: an extension the verifier must understand ("crit")
--- request eval
[map { ("GET /api", "GET /who") } qw(crit)]
--- more_headers eval
[map { ("Authorization: Bearer $::T{$_}") x 2 } qw(crit)]
--- response_body eval
[("jwt= expired= sub= email= groups=\n", "sid= account= name=\n") x 1]
--- grep_error_log eval
qr/session JWT refused: [^,]*/
--- grep_error_log_out
session JWT refused: "crit" header
--- no_error_log
[error]
[warn]



=== TEST 7: refused, no session: two parts, base64 padding
--- request eval
[map { ("GET /api", "GET /who") } qw(two_parts padded)]
--- more_headers eval
[map { ("Authorization: Bearer $::T{$_}") x 2 } qw(two_parts padded)]
--- response_body eval
[("jwt= expired= sub= email= groups=\n", "sid= account= name=\n") x 2]
--- grep_error_log eval
qr/session JWT refused: [^,]*/
--- grep_error_log_out
session JWT refused: malformed token
--- no_error_log
[error]
[warn]



=== TEST 8: refused, no session: "nbf" in the future
--- request eval
[map { ("GET /api", "GET /who") } qw(not_yet)]
--- more_headers eval
[map { ("Authorization: Bearer $::T{$_}") x 2 } qw(not_yet)]
--- response_body eval
[("jwt= expired= sub= email= groups=\n", "sid= account= name=\n") x 1]
--- grep_error_log eval
qr/session JWT refused: [^,]*/
--- grep_error_log_out
session JWT refused: not valid before "nbf"
--- no_error_log
[error]
[warn]



=== TEST 9: refused, no session: "exp" that is no number
--- request eval
[map { ("GET /api", "GET /who") } qw(exp_string)]
--- more_headers eval
[map { ("Authorization: Bearer $::T{$_}") x 2 } qw(exp_string)]
--- response_body eval
[("jwt= expired= sub= email= groups=\n", "sid= account= name=\n") x 1]
--- grep_error_log eval
qr/session JWT refused: [^,]*/
--- grep_error_log_out
session JWT refused: "exp" is no number
--- no_error_log
[error]
[warn]



=== TEST 10: an expired token makes no session, and ends the session it names
--- request eval
["GET /api", "GET /who", "GET /legacy", "GET /who", "GET /api", "GET /who"]
--- more_headers eval
[("Authorization: Bearer $::T{expired}") x 6]
--- error_code eval
[200, 200, 204, 200, 200, 200]
--- response_body_like eval
["^jwt= expired=1 sub= ", "^sid= account=", "", "^sid=[0-9a-f]{32} account=",
 "^jwt= expired=1 sub= ", "^sid= account="]
--- no_error_log
[error]
[warn]



=== TEST 11: with a JWKS only, an HMAC token has no key: the RSA public key is never an HMAC secret
--- config
    session_track s;
    session_jwt $http_authorization jwks=$TEST_NGINX_JWT_DIR/jwks.json;
    session_key $session_jwt_token;
    session_create $session_jwt;
    session_account $session_jwt_claim_sub;

    location = /api {
        return 200 "jwt=$session_jwt sub=$session_jwt_claim_sub\n";
    }

    location = /who {
        return 200 "sid=$session_id account=$session_account\n";
    }
--- request eval
["GET /api", "GET /who", "GET /api", "GET /who", "GET /api", "GET /who"]
--- more_headers eval
[("Authorization: Bearer $::T{confused}") x 2,
 ("Authorization: Bearer $::T{hs256}") x 2,
 ("Authorization: Bearer $::T{rs256}") x 2]
--- response_body_like eval
["^jwt= sub=\n", "^sid= account=\n", "^jwt= sub=\n", "^sid= account=\n",
 "^jwt=\\S+ sub=u-1001\n", "^sid=[0-9a-f]{32} account=u-1001\n"]
--- no_error_log
[error]
[warn]



=== TEST 12: verify=off reads the claims of a token nginx does not verify (behind a verifying proxy), never of "alg": "none"
--- config
    session_jwt $http_x_access_token verify=off;

    location = /api {
        return 200 "jwt=$session_jwt sub=$session_jwt_claim_sub\n";
    }
--- request eval
["GET /api", "GET /api", "GET /api"]
--- more_headers eval
["X-Access-Token: $::T{wrong_key}", "X-Access-Token: $::T{none}",
 "X-Access-Token: $::T{expired}"]
--- response_body_like eval
["^jwt=\\S+ sub=u-1001\n", "^jwt= sub=\n", "^jwt= sub=\n"]
--- no_error_log
[error]
[warn]
