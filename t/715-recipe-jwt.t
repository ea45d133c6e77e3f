# Recipe: a JWT API (docs/login.md).  The client gets an access token
# from an OpenID Connect token endpoint (the password grant of RFC 6749
# 4.3, answered as Keycloak answers it) and calls the API with
# "Authorization: Bearer"; nginx verifies the token against the issuer's
# JWKS and makes the session of a valid one, its account the "sub" and
# "preferred_username" claims.  A forged token makes none.  The session
# and its account show in a Zimbra dump, a Hornbill getSessionInfo and a
# Commvault GET Session.  Tokens: t/data/jwt/ (make.py).

use t::TestSession 'no_plan';
use t::Login;
use Cwd ();

$ENV{TEST_NGINX_JWT_DIR} = Cwd::abs_path('t/data/jwt');

our %T;
open my $in, '<', 't/data/jwt/tokens.txt' or die "tokens.txt: $!\n";
while (<$in>) {
    my ($name, $token) = split ' ';
    $T{$name} = $token;
}
close $in;

our $Grant = 'grant_type=password&client_id=app&username=alice'
           . '&password=s3cret%21&scope=openid';

start_stub(
    ['POST', qr{^/realms/demo/protocol/openid-connect/token$}, undef,
     "200 OK\r\nContent-Type: application/json\r\n"
     . "Cache-Control: no-store\r\nPragma: no-cache\r\n\r\n"
     . qq({"access_token":"$T{rs256}","expires_in":300,)
     . qq("refresh_expires_in":1800,"refresh_token":"eyJhbGciOiJIUzI1NiJ9.)
     . qq(eyJ0eXAiOiJSZWZyZXNoIn0.c2lnbmF0dXJl","token_type":"Bearer",)
     . qq("not-before-policy":0,"session_state":"5b7a9c1e-0d2f-4e6a-8b3c-)
     . qq(1f2e3d4c5b6a","scope":"openid profile email"})],
    ['GET', qr{^/api/}, undef,
     "200 OK\r\nContent-Type: application/json\r\n\r\n{\"orders\":[]}"],
);

our $HttpConfig = <<'_EOC_';
    session_zone zone=s:1m;

    upstream app {
        server 127.0.0.1:$TEST_NGINX_STUB_PORT;
    }

    upstream keycloak {
        server 127.0.0.1:$TEST_NGINX_STUB_PORT;
    }
_EOC_

our $Config = <<'_EOC_' . $Endpoints;
    session_track s;
    session_jwt $http_authorization jwks=$TEST_NGINX_JWT_DIR/jwks.json;
    session_key $session_jwt_token;
    session_create $session_jwt;
    session_end $session_jwt_expired;
    session_account $session_jwt_claim_sub
                    name=$session_jwt_claim_preferred_username;

    location /realms/ {
        session_track off;
        proxy_pass http://keycloak;
    }

    location /api/ {
        proxy_pass http://app;
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

=== TEST 1: the token endpoint, an API call with the token; a forged token makes no session
--- request eval
["POST /realms/demo/protocol/openid-connect/token\n$::Grant",
 "GET /api/orders", "GET /api/orders", $::Dump, $::Info,
 $::List . "u-1001"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded",
 "Authorization: Bearer $::T{rs256}", "Authorization: Bearer $::T{forged_kid}",
 "", "Authorization: Bearer $::T{rs256}",
 "Accept: application/json\nAuthorization: Bearer $::T{rs256}"]
--- response_body_like eval
['"access_token":"eyJ', "orders", "orders", 'activeSessions="1"',
 "<userId>u-1001</userId>", '"userName":"alice"']
--- xsd eval
[undef, undef, undef, "zimbraAdmin.xsd", undef, undef]
--- xpath eval
[undef, undef, undef, <<'_EOX_', <<'_EOX_', undef]
//za:soap/za:zid/@id => u-1001
//za:soap/za:zid/@name => alice
count(//za:soap/za:zid/za:s) => 1
_EOX_
/methodCallResult/params/userId => u-1001
/methodCallResult/params/userName => alice
_EOX_
--- no_error_log
[error]
[warn]
