# "exp" ends a session when it passes: a token made when this file is
# read (HS256, the test secret of t/data/jwt/, Digest::SHA) expires 10 s
# later; the session it made ends with the first request after that.
# One block per file: it runs as soon as the file is read.

use t::TestSession 'no_plan';
use Cwd ();
use Digest::SHA ();
use MIME::Base64 ();

$ENV{TEST_NGINX_JWT_DIR} = Cwd::abs_path('t/data/jwt');
$ENV{TEST_NGINX_STUB_PORT} = ($ENV{TEST_NGINX_PORT} || 1984) + 50;

sub b64 { MIME::Base64::encode_base64url(shift) }

sub hs256 {
    my ($claims) = @_;
    open my $k, '<', 't/data/jwt/hs256.key' or die "hs256.key: $!\n";
    my $secret = <$k>;
    chomp $secret;
    my $input = b64('{"alg":"HS256","typ":"JWT"}') . '.' . b64($claims);
    return $input . '.' . b64(Digest::SHA::hmac_sha256($input, $secret));
}

run_tests();

__DATA__

=== TEST 1: "exp" ends the session when it passes
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_jwt $http_authorization key=$TEST_NGINX_JWT_DIR/hs256.key;
    session_key $session_jwt_token;
    session_create $session_jwt;
    session_end $session_jwt_expired;
    session_account $session_jwt_claim_sub
                    name=$session_jwt_claim_preferred_username;

    location = /api {
        return 200 "jwt=$session_jwt expired=$session_jwt_expired sub=$session_jwt_claim_sub\n";
    }

    location = /who {
        return 200 "sid=$session_id account=$session_account name=$session_account_name\n";
    }

    # answers once the token's "exp" has passed
    location = /sleep {
        session_track off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STUB_PORT;
    }
--- request eval
$::ShortExp = time() + 10;
$::Short = main::hs256('{"sub":"u-7","preferred_username":"eve","exp":'
                       . $::ShortExp . '}');
["GET /api", "GET /who", "GET /sleep", "GET /api", "GET /who"]
--- more_headers eval
[("Authorization: Bearer $::Short") x 5]
--- tcp_listen: $TEST_NGINX_STUB_PORT
--- tcp_reply eval
sub {
    sleep 1 while time() <= $::ShortExp;
    return "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nslept\n";
}
--- timeout: 15
--- response_body_like eval
["^jwt=\\S+ expired= sub=u-7\n", "^sid=[0-9a-f]{32} account=u-7 name=eve",
 "^slept", "^jwt= expired=1 sub=\n", "^sid= account="]
--- no_error_log
[error]
[warn]
