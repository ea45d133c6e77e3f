# The module loads, and a session created through an upstream cookie is
# seen on later requests by both workers.

use t::TestSession 'no_plan';


run_tests();

__DATA__

=== TEST 1: the module loads with a zone and nothing else
--- http_config
    session_zone zone=s:1m;
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok



=== TEST 2: upstream cookie creates a session, visible from both workers
--- tracking
--- request eval
["GET /login?sid=tok-1&u=alice", map { "GET /who" } 1..16]
--- more_headers eval
["", map { "Cookie: SID=tok-1" } 1..16]
--- response_body_like eval
["app\n", map { qr/^sid=[0-9a-f]{32} account=alice pid=\d+\n$/ } 1..16]
--- sids eval
[undef, map { "alice" } 1..16]
--- sid_workers: 2
