# The fleet: two real nginx nodes (Test::Nginx's, node A, and node B
# started by the test) sharing a zone through a real redis-server with a
# password; every point of design.md's "The fleet" list.

use t::TestSession 'no_plan';
use t::TestFleet;

no_shuffle();

our $config = <<'_EOC_';
    location /app/ {
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $arg_u;
        add_header X-Logout $arg_lo;
        add_header X-Role $arg_role;
        return 200 "app\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_end $upstream_http_x_logout;
        session_account $upstream_http_x_user;
        session_var role $upstream_http_x_role;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "[$session_account] [$session_id] [$session_var_role] pid=$pid\n";
    }

    location = /Session {
        session_track off;
        session_admin 1;
        session_list s;
    }

    location = /status {
        session_status s;
    }
_EOC_

our $http = fleet_conf();

sub who ($$) {
    my ($node, $tok) = @_;
    my $res = $node eq 'a' ? a_get('/who', Cookie => "SID=$tok")
                           : node_get(0, '/who', Cookie => "SID=$tok");
    return $res->{content} // '';
}

engine_start();

run_tests();

__DATA__

=== TEST 1: a session made on A is known on B at once, with the same id
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /login?t=tok-1&u=alice&role=admin
--- response_body
app
--- fleet
my $b = node_start(http_config => $::http, config => $::config);
ok(!$b->{error}, 'node B starts') or diag($b->{error});
my $a = main::who('a', 'tok-1');
like($a, qr/^\[alice\] \[[0-9a-f]{32}\] \[admin\]/, 'A knows it');
my $bb = main::who('b', 'tok-1');
is(substr($bb, 0, 50), substr($a, 0, 50), 'B answers the same') or diag(node_log());
node_stop();
