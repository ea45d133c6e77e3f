# The fleet and the login exchange (issue 15): sessions learned from a
# login's fields (session_field, request and response bodies) and from a
# JWT (session_jwt) are shared like those learned from headers, and a
# logout learned from a cookie deletion ends the session on every node.
# Two real nginx nodes (Test::Nginx's nginx is node A, node B is started
# by the test with the same configuration), two workers each, and a
# real, password-protected redis-server.  Every check looks at the other
# node first through its status list, which is filled only by what the
# engine's stream brings (no lookup: the token is not sent to it before).

use t::TestSession 'no_plan';
use t::TestFleet;
use Cwd ();
use JSON::PP ();

no_shuffle();

$ENV{TEST_NGINX_JWT_DIR} = Cwd::abs_path('t/data/jwt');

our %T;
open my $in, '<', 't/data/jwt/tokens.txt' or die "tokens.txt: $!\n";
while (<$in>) {
    my ($name, $token) = split ' ';
    $T{$name} = $token;
}
close $in;

our $Pass = 's3cret-never-in-the-engine';

our $config = <<'_EOC_';
    # the application: a login that answers its token in JSON, a logout
    # that deletes the cookie, a token rotation that does both
    location = /app/jlogin {
        default_type application/json;
        return 200 '{"authToken":"$arg_t","user":"$arg_u"}';
    }

    location = /app/rotate {
        add_header Set-Cookie "SID=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=0; path=/";
        default_type application/json;
        return 200 '{"authToken":"$arg_t","user":"$arg_u"}';
    }

    location = /app/logout {
        add_header Set-Cookie "SID=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=0; path=/";
        return 200 "bye\n";
    }

    location = /app/flogin {
        add_header Set-Cookie "SID=$arg_t; path=/";
        return 200 "welcome\n";
    }

    location = /app/api {
        return 200 "api\n";
    }

    # response fields: the token and the account are in the answer's body
    location ~ ^/(jlogin|rotate)$ {
        session_track s;
        session_key $cookie_SID;
        session_field $login_token response json=/authToken;
        session_field $login_user response json=/user;
        session_create $login_token;
        session_account $login_user name=$login_user;
        proxy_set_header Accept-Encoding "";
        proxy_pass http://127.0.0.1:$server_port/app/$1$is_args$args;
    }

    # a request field: the account is the form's "user", never "password"
    location = /flogin {
        session_track s;
        session_key $cookie_SID;
        session_field $form_user request form=user;
        session_create $upstream_cookie_SID;
        session_account $form_user;
        proxy_pass http://127.0.0.1:$server_port/app/flogin$is_args$args;
    }

    location = /logout {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        proxy_pass http://127.0.0.1:$server_port/app/logout;
    }

    # a JWT API: the token's claims make the session
    location = /api {
        session_track s;
        session_jwt $http_authorization jwks=$TEST_NGINX_JWT_DIR/jwks.json;
        session_key $session_jwt_token;
        session_create $session_jwt;
        session_account $session_jwt_claim_sub
                        name=$session_jwt_claim_preferred_username;
        proxy_pass http://127.0.0.1:$server_port/app/api;
    }

    location = /who {
        session_track s;
        session_jwt $http_authorization jwks=$TEST_NGINX_JWT_DIR/jwks.json;
        session_key $cookie_SID $session_jwt_token;
        return 200 "[$session_account] [$session_id]\n";
    }

    location = /status {
        session_track off;
        session_admin 1;
        session_status s;
    }
_EOC_

our $http = fleet_conf(extra => 'keep_closed=1h');

sub get ($$;%) {
    my ($node, $uri, %h) = @_;
    my $res = $node eq 'a' ? a_get($uri, %h) : node_get(0, $uri, %h);
    return $res->{content} // '';
}

sub port ($) {
    return $_[0] eq 'a' ? Test::Nginx::Util::server_port() : node_port(0);
}

# the status list: sid => record, logged-out ones included
sub list ($) {
    my $node = shift;
    my (%all, $next);

    for (;;) {
        my $body = get($node, '/status?list=1&closed=1&limit=1000&format=json'
                              . (defined $next ? "&cursor=$next" : ''));
        my $d = eval { JSON::PP->new->decode($body) } or return {};
        $all{$_->{sid}} = $_ for @{ $d->{sessions} // [] };
        $next = $d->{next};
        last unless defined $next;
    }

    return \%all;
}

sub status ($) {
    my $node = shift;
    my $body = get($node, '/status?format=json');
    return eval { JSON::PP->new->decode($body) } // {};
}

sub sid ($$%) {
    my ($node, $uri, %h) = @_;
    my ($sid) = get($node, $uri, %h) =~ /\[([0-9a-f]{32})\]/;
    return $sid;
}

# a session as the other node lists it, once it has the account wanted
sub listed ($$$) {
    my ($node, $sid, $account) = @_;
    return wait_until {
        my $r = main::list($node)->{$sid};
        $r && $r->{account} eq $account && !$r->{logout} ? $r : undef;
    } 1;
}

sub logged_out ($$) {
    my ($node, $sid) = @_;
    return wait_until {
        my $r = main::list($node)->{$sid};
        $r && $r->{logout} ? $r : undef;
    } 1;
}

sub flat {
    return map { ref $_ eq 'ARRAY' ? flat(@$_) : $_ } @_;
}

sub start_b () {
    my $b = node_start(http_config => $::http, config => $::config);
    ok(!$b->{error}, 'node B starts') or diag($b->{error});
    wait_until { main::status('b')->{fleet}{resyncs}{total} } 5;
}

engine_start();

run_tests();

__DATA__

=== TEST 1: a login whose token is in the response body (session_field response), made on A: B lists it within a second, then takes the token
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /jlogin?t=body-tok-1&u=alice
--- response_body chop
{"authToken":"body-tok-1","user":"alice"}
--- fleet
main::start_b();
my $a = main::get('a', '/who', Cookie => 'SID=body-tok-1');
my ($sid) = $a =~ /^\[alice\] \[([0-9a-f]{32})\]$/m;
ok($sid, 'A made the session of the body\'s token, account alice') or diag($a);
# a second login through B itself, learned from B's body filter
is(main::get('b', '/jlogin?t=body-tok-2&u=bob'),
   '{"authToken":"body-tok-2","user":"bob"}', 'B passes its login answer on');
my $sid2 = main::sid('b', '/who', Cookie => 'SID=body-tok-2');
ok(main::listed('b', $sid, 'alice'), "B lists A's body-learned session within a second");
ok(main::listed('a', $sid2, 'bob'), "A lists B's body-learned session within a second");
is(main::get('b', '/who', Cookie => 'SID=body-tok-1'), $a, 'B takes A\'s token, same id and account');
is(main::status('b')->{fleet}{lookups}{total} // 0, 0, 'B learned it from the stream, not by a lookup');
node_stop();
--- no_error_log
[error]
[alert]
[crit]



=== TEST 2: a login whose account is in the request body (session_field request): B has the account, and the password reaches neither the engine nor a log
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /who
--- response_body
[] []
--- fleet
main::start_b();
my $res = node_http(main::port('a'), 'POST', '/flogin?t=form-tok-1',
                    'Content-Type' => 'application/x-www-form-urlencoded',
                    body => "user=carol&password=$::Pass");
is($res->{content}, "welcome\n", 'the form login on A');
my $sid = main::sid('a', '/who', Cookie => 'SID=form-tok-1');
ok($sid, 'A made it');
ok(main::listed('b', $sid, 'carol'), 'B lists it with the form\'s account within a second');
# every key, every hash field and every stream entry, read back
my @keys = engine_keys();
my ($found, $values) = (0, 0);
for my $k (@keys) {
    my $type = engine_cmd({}, 'TYPE', $k) // '';
    my $v = $type eq 'hash' ? engine_cmd({}, 'HGETALL', $k)
          : $type eq 'stream' ? engine_cmd({}, 'XRANGE', $k, '-', '+')
          : $type eq 'string' ? [engine_cmd({}, 'GET', $k)] : [];
    for my $x ($k, main::flat($v)) {
        $values++;
        $found++ if defined $x && $x =~ /\Q$::Pass\E|form-tok-1/;
    }
}
ok(grep(/:s:$sid$/, @keys), "the engine holds the session's hash, by its id")
    or diag(join(' ', @keys));
is($found, 0, "no password and no token in its $values keys and values");
unlike(node_log(), qr/\Q$::Pass\E/, "nor in B's log");
node_stop();
--- no_error_log eval
["[error]", "[alert]", $::Pass, "form-tok-1"]



=== TEST 3: a JWT login (session_jwt) on A: B lists the session with the token's claims within a second and takes the token
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /who
--- response_body
[] []
--- fleet
main::start_b();
my %auth = (Authorization => "Bearer $::T{rs256}");
is(main::get('a', '/api', %auth), "api\n", 'A answers the API call');
my $sid = main::sid('a', '/who', %auth);
ok($sid, 'A made the session of the JWT');
my $r = main::listed('b', $sid, 'u-1001');
ok($r, "B lists it within a second, account the token's sub")
    or diag(JSON::PP->new->encode(main::list('b')));
is($r && $r->{name}, 'alice', 'and its preferred_username');
is(main::get('b', '/who', %auth), "[u-1001] [$sid]\n", 'B takes the JWT as the same session');
node_stop();
--- no_error_log
[error]
[alert]
[crit]



=== TEST 4: a logout learned from a cookie deletion on B ends A's session on every node, and a stale A does not revive it
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /jlogin?t=out-tok-1&u=dave
--- response_body chop
{"authToken":"out-tok-1","user":"dave"}
--- fleet
main::start_b();
my $sid = main::sid('a', '/who', Cookie => 'SID=out-tok-1');
ok(main::listed('b', $sid, 'dave'), 'B has it');
is(main::get('b', '/logout', Cookie => 'SID=out-tok-1'), "bye\n", 'the application deletes the cookie on B');
ok(main::logged_out('a', $sid), "A lists it logged out within a second");
is(main::get('a', '/who', Cookie => 'SID=out-tok-1'), "[] []\n", 'A no longer takes the token');
is(main::get('b', '/who', Cookie => 'SID=out-tok-1'), "[] []\n", 'nor does B');
# the old cookie again, on both nodes: the session stays ended
main::get('a', '/who', Cookie => 'SID=out-tok-1');
Time::HiRes::sleep(1.5);
ok(main::list('b')->{$sid}{logout}, 'still logged out on B');
is(main::status('a')->{sessions}{open}, 0, "A counts no open session");
node_stop();
--- no_error_log
[error]
[alert]
[crit]



=== TEST 5: a login answer that deletes the old cookie and gives a new token in its body, on A: B has the old one logged out and the new one open
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /jlogin?t=rot-old&u=erin
--- response_body chop
{"authToken":"rot-old","user":"erin"}
--- fleet
main::start_b();
my $old = main::sid('a', '/who', Cookie => 'SID=rot-old');
ok(main::listed('b', $old, 'erin'), 'B has the old session');
is(main::get('a', '/rotate?t=rot-new&u=erin', Cookie => 'SID=rot-old'),
   '{"authToken":"rot-new","user":"erin"}', 'the rotation on A');
my $new = main::sid('a', '/who', Cookie => 'SID=rot-new');
ok($new && $new ne $old, 'A made the new session');
ok(main::logged_out('b', $old), 'B lists the old one logged out within a second')
    or diag(JSON::PP->new->encode(main::list('b')->{$old}));
ok(main::listed('b', $new, 'erin'), 'and the new one open, account erin');
is(main::get('b', '/who', Cookie => 'SID=rot-old'), "[] []\n", 'B refuses the old token');
node_stop();
--- no_error_log
[error]
[alert]
[crit]
