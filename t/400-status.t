# session_status: the zone's counters as JSON and as Prometheus text,
# content negotiation, who may read them, and the counters after
# creations, logouts, expiry and eviction.  The server of each block is
# the one in t/StatusCheck.pm unless the block has its own config.

use t::TestSession 'no_plan';
use t::StatusCheck;


run_tests();

__DATA__

=== TEST 1: JSON status of an empty zone: the whole schema
--- http_config
    session_zone zone=st1:1m timeout=90s keep_closed=2m;
--- request
GET /status
--- response_headers
Content-Type: application/json
Vary: Accept
--- json
my $keys = sub { join ",", sort keys %{ $_[0] } };
$keys->($_) eq "busiest_accounts,config,lock,memory,now,sessions,totals,"
               . "types,version,zone"
&& ref $_->{busiest_accounts} eq 'ARRAY' && !@{ $_->{busiest_accounts} }
&& $_->{version} == 1
&& $_->{zone} eq 'st1'
&& $_->{now} > 1.6e12
&& $keys->($_->{memory}) eq "bytes_per_session,free,size,used"
&& $_->{memory}{size} == 1048576
&& $_->{memory}{used} > 0 && $_->{memory}{free} > 0
&& $_->{memory}{used} + $_->{memory}{free} <= $_->{memory}{size}
&& $_->{memory}{bytes_per_session} == 0
&& $keys->($_->{sessions}) eq "accounts,closed,open"
&& $_->{sessions}{open} == 0 && $_->{sessions}{closed} == 0
&& $_->{sessions}{accounts} == 0
&& $keys->($_->{types}) eq "admin,imap,soap,synclistener,waitset,wiki"
&& !grep({ $keys->($_) ne "accounts,anonymous,closed,open" }
         values %{ $_->{types} })
&& !grep({ $_ != 0 } map { values %$_ } values %{ $_->{types} })
&& $keys->($_->{totals}) eq "created,ended,evicted,expired,failed"
&& !grep({ $_ != 0 } values %{ $_->{totals} })
&& $keys->($_->{lock})
   eq "descheduled_by_length,hold_ns_total,holds,holds_by_length,"
      . "max_hold_ns,slow_descheduled,slow_holds,slow_on_cpu,slow_unknown"
&& $keys->($_->{lock}{holds_by_length}) eq join(",", sort qw(under_10us
   under_100us under_1ms under_10ms under_100ms 100ms_or_more))
&& $keys->($_->{lock}{descheduled_by_length})
   eq join(",", sort qw(under_10ms under_100ms 100ms_or_more))
&& !grep({ !/^\d+\z/ } @{ $_->{lock} }{qw(slow_descheduled slow_on_cpu
                                          slow_unknown)},
         values %{ $_->{lock}{descheduled_by_length} })
&& $_->{config}{timeout_ms} == 90000
&& $_->{config}{keep_closed_ms} == 120000
--- no_error_log
[error]



=== TEST 2: counters after creations and logouts (nothing kept closed)
--- http_config
    session_zone zone=st2:1m;
--- request eval
["GET /login?t=a1&u=alice", "GET /login?t=a2&u=alice",
 "GET /login?t=b1&u=bob", "GET /imap/login?t=i1",
 "GET /logout?logout=1", "GET /status"]
--- more_headers eval
["", "", "", "", "Cookie: SID=b1", ""]
--- error_code eval
[200, 200, 200, 200, 200, 200]
--- json eval
[undef, undef, undef, undef, undef, <<'END']
my $t = $_->{types};
$_->{sessions}{open} == 3 && $_->{sessions}{closed} == 0
&& $_->{sessions}{accounts} == 1
&& $t->{soap}{open} == 2 && $t->{soap}{closed} == 0
&& $t->{soap}{accounts} == 1 && $t->{soap}{anonymous} == 0
&& $t->{imap}{open} == 1 && $t->{imap}{accounts} == 0
&& $t->{imap}{anonymous} == 1
&& $_->{totals}{created} == 4 && $_->{totals}{ended} == 1
&& $_->{totals}{expired} == 0 && $_->{totals}{evicted} == 0
&& $_->{totals}{failed} == 0
&& abs($_->{memory}{bytes_per_session} - $_->{memory}{used} / 3) < 0.01
&& $_->{lock}{max_hold_ns} > 0 && $_->{lock}{max_hold_ns} < 1e9
&& $_->{lock}{holds} >= 5
&& $_->{lock}{holds} == eval { my $n = 0;
                               $n += $_ for values %{ $_->{lock}{holds_by_length} };
                               $n }
&& $_->{lock}{hold_ns_total} >= $_->{lock}{max_hold_ns}
&& $_->{lock}{hold_ns_total} <= $_->{lock}{holds} * $_->{lock}{max_hold_ns}
&& eval { my $l = $_->{lock};
          my $d = $l->{descheduled_by_length};
          my $h = $l->{holds_by_length};
          $l->{slow_descheduled} + $l->{slow_on_cpu} + $l->{slow_unknown}
              == $l->{slow_holds}
          && $d->{under_10ms} + $d->{under_100ms} + $d->{"100ms_or_more"}
              == $l->{slow_descheduled}
          && !grep({ $d->{$_} > $h->{$_} } keys %$d)
          && $l->{slow_holds}
              <= $h->{under_10ms} + $h->{under_100ms} + $h->{"100ms_or_more"} }
END
--- no_error_log
[error]



=== TEST 3: keep_closed: a logged-out session counts as closed
--- http_config
    session_zone zone=st3:1m keep_closed=1m;
--- request eval
["GET /login?t=a1&u=alice", "GET /login?t=b1&u=bob",
 "GET /logout?logout=1", "GET /status"]
--- more_headers eval
["", "", "Cookie: SID=b1", ""]
--- error_code eval
[200, 200, 200, 200]
--- json eval
[undef, undef, undef, <<'END']
$_->{sessions}{open} == 1 && $_->{sessions}{closed} == 1
&& $_->{sessions}{accounts} == 1
&& $_->{types}{soap}{open} == 1 && $_->{types}{soap}{closed} == 1
&& $_->{types}{soap}{accounts} == 1
&& $_->{totals}{created} == 2 && $_->{totals}{ended} == 1
&& abs($_->{memory}{bytes_per_session} - $_->{memory}{used} / 2) < 0.01
END
--- no_error_log
[error]



=== TEST 4: Prometheus text: well-formed, and the counters of the block
--- http_config
    session_zone zone=st4:1m keep_closed=1m;
--- request eval
["GET /login?t=a1&u=alice", "GET /login?t=a2&u=alice",
 "GET /login?t=b1&u=bob", "GET /imap/login?t=i1",
 "GET /logout?logout=1", "GET /status?format=prometheus"]
--- more_headers eval
["", "", "", "", "Cookie: SID=b1", ""]
--- error_code eval
[200, 200, 200, 200, 200, 200]
--- response_headers eval
["", "", "", "", "",
 "Content-Type: text/plain; version=0.0.4; charset=utf-8"]
--- prometheus eval
[undef, undef, undef, undef, undef, <<'END']
my $z = 'zone="st4"';
my %names = map { /^(\w+)\{/; ($1 => 1) } keys %m;
join(",", sort keys %names) eq join(",", qw(
    nginx_session_accounts nginx_session_alloc_failures_total
    nginx_session_anonymous_sessions nginx_session_bytes_per_session
    nginx_session_closed_sessions nginx_session_created_total
    nginx_session_ended_total nginx_session_evicted_total
    nginx_session_expired_total nginx_session_keep_closed_seconds
    nginx_session_lock_hold_max_seconds nginx_session_lock_hold_seconds_bucket
    nginx_session_lock_hold_seconds_count nginx_session_lock_hold_seconds_sum
    nginx_session_lock_slow_holds_by_cause_total
    nginx_session_lock_slow_holds_total
    nginx_session_open_sessions nginx_session_timeout_seconds
    nginx_session_zone_free_bytes nginx_session_zone_size_bytes
    nginx_session_zone_used_bytes))
&& $m{"nginx_session_created_total{$z}"} == 4
&& $m{"nginx_session_ended_total{$z}"} == 1
&& $m{"nginx_session_expired_total{$z}"} == 0
&& $m{"nginx_session_evicted_total{$z}"} == 0
&& $m{"nginx_session_alloc_failures_total{$z}"} == 0
&& $m{"nginx_session_open_sessions{$z,type=\"soap\"}"} == 2
&& $m{"nginx_session_open_sessions{$z,type=\"imap\"}"} == 1
&& $m{"nginx_session_open_sessions{$z,type=\"wiki\"}"} == 0
&& sum_of("nginx_session_open_sessions") == 3
&& $m{"nginx_session_closed_sessions{$z,type=\"soap\"}"} == 1
&& sum_of("nginx_session_closed_sessions") == 1
&& $m{"nginx_session_accounts{$z,type=\"soap\"}"} == 1
&& sum_of("nginx_session_accounts") == 1
&& $m{"nginx_session_anonymous_sessions{$z,type=\"imap\"}"} == 1
&& sum_of("nginx_session_anonymous_sessions") == 1
&& sum_of("nginx_session_open_sessions")
   == $m{"nginx_session_created_total{$z}"}
      - $m{"nginx_session_ended_total{$z}"}
      - $m{"nginx_session_expired_total{$z}"}
      - $m{"nginx_session_evicted_total{$z}"}
&& $m{"nginx_session_zone_size_bytes{$z}"} == 1048576
&& $m{"nginx_session_zone_used_bytes{$z}"}
   + $m{"nginx_session_zone_free_bytes{$z}"} <= 1048576
&& abs($m{"nginx_session_bytes_per_session{$z}"}
       - $m{"nginx_session_zone_used_bytes{$z}"} / 4) < 0.01
&& $m{"nginx_session_lock_hold_max_seconds{$z}"} > 0
&& $m{"nginx_session_lock_hold_max_seconds{$z}"} < 1
&& $m{"nginx_session_lock_hold_seconds_count{$z}"} >= 5
&& $m{"nginx_session_lock_hold_seconds_sum{$z}"}
   >= $m{"nginx_session_lock_hold_max_seconds{$z}"}
&& join(",", sort map { /le="([^"]+)"/ } grep { /_bucket/ } keys %m)
   eq join(",", sort qw(1e-05 0.0001 0.001 0.01 0.1 +Inf))
&& join(",", sort map { /cause="([^"]+)"/ } grep { /_by_cause/ } keys %m)
   eq "descheduled,on_cpu,unknown"
&& sum_of("nginx_session_lock_slow_holds_by_cause_total")
   == $m{"nginx_session_lock_slow_holds_total{$z}"}
&& $m{"nginx_session_timeout_seconds{$z}"} == 1800
&& $m{"nginx_session_keep_closed_seconds{$z}"} == 60
END
--- no_error_log
[error]



=== TEST 5: Prometheus's own Accept header gets text; format= overrides
--- http_config
    session_zone zone=st5:1m;
--- request eval
["GET /status", "GET /status", "GET /status?format=json",
 "GET /status", "GET /status", "GET /status?format=prometheus"]
--- more_headers eval
["Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
 "Accept: text/plain",
 "Accept: text/plain",
 "Accept: application/json, text/plain, */*",
 "",
 "Accept: application/json"]
--- response_headers eval
["Content-Type: text/plain; version=0.0.4; charset=utf-8\nVary: Accept",
 "Content-Type: text/plain; version=0.0.4; charset=utf-8",
 "Content-Type: application/json\nVary:",
 "Content-Type: application/json",
 "Content-Type: application/json\nVary: Accept",
 "Content-Type: text/plain; version=0.0.4; charset=utf-8\nVary:"]
--- prometheus eval
['$m{q{nginx_session_created_total{zone="st5"}}} == 0',
 '$m{q{nginx_session_zone_size_bytes{zone="st5"}}} == 1048576',
 undef, undef, undef,
 '$m{q{nginx_session_created_total{zone="st5"}}} == 0']
--- json eval
[undef, undef, '$_->{zone} eq "st5"', '$_->{zone} eq "st5"',
 '$_->{zone} eq "st5"', undef]
--- no_error_log
[error]



=== TEST 6: access: no session 401, a live non-admin 403, an admin 200
--- http_config
    session_zone zone=st6:1m;
--- request eval
["GET /status/user", "GET /status/user", "GET /login?t=al&u=alice",
 "GET /status/user", "GET /status/user?list=1",
 "GET /status/user?list=1&limit=abc", "GET /login?t=rt&u=root",
 "GET /status/user", "GET /status/user?format=prometheus",
 "GET /status"]
--- more_headers eval
["", "Cookie: SID=nosuch", "", "Cookie: SID=al", "Cookie: SID=al",
 "Cookie: SID=al", "", "Cookie: SID=rt", "", ""]
--- error_code eval
[401, 401, 200, 403, 403, 403, 200, 200, 401, 200]
--- response_headers eval
["Content-Type: application/json", "Content-Type: application/json", "",
 "Content-Type: application/json", "", "", "",
 "Content-Type: application/json", "Content-Type: application/json",
 "Content-Type: application/json"]
--- json eval
['$_->{error}{status} == 401 && $_->{error}{message} =~ /authentication/
  && keys %$_ == 1 && keys %{ $_->{error} } == 2',
 '$_->{error}{status} == 401',
 undef,
 '$_->{error}{status} == 403 && $_->{error}{message} =~ /admin/',
 '$_->{error}{status} == 403',
 '$_->{error}{status} == 403',
 undef,
 '$_->{totals}{created} == 2 && $_->{sessions}{accounts} == 2',
 '$_->{error}{status} == 401',
 '$_->{totals}{created} == 2']
--- no_error_log
[error]



=== TEST 7: only GET and HEAD
--- http_config
    session_zone zone=st7:1m;
--- request eval
["POST /status\nhello", "PUT /status\nhello", "DELETE /status"]
--- error_code eval
[405, 405, 405]
--- response_headers eval
["Allow: GET, HEAD\nContent-Type: application/json",
 "Allow: GET, HEAD", "Allow: GET, HEAD"]
--- json
$_->{error}{status} == 405 && $_->{error}{message} =~ /GET and HEAD/
--- no_error_log
[error]



=== TEST 8: HEAD: the header, no body
--- http_config
    session_zone zone=st8:1m;
--- request
HEAD /status?format=prometheus
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- response_body
--- no_error_log
[error]



=== TEST 9: bad arguments: 400 with the reason
--- http_config
    session_zone zone=st9:1m;
--- request eval
["GET /status?format=xml", "GET /status?list=maybe",
 "GET /status?list=1&format=prometheus", "GET /status?format=JSON",
 "GET /status?format=&list=0", "GET /status?list=1&format=html"]
--- error_code eval
[400, 400, 400, 400, 200, 400]
--- json eval
['$_->{error}{status} == 400
  && $_->{error}{message} eq "format must be json, prometheus or html"',
 '$_->{error}{message} eq "list must be 1 or 0"',
 '$_->{error}{message} eq "the session list is JSON only"',
 '$_->{error}{status} == 400',
 '$_->{version} == 1',
 '$_->{error}{message} eq "the session list is JSON only"']
--- no_error_log
[error]



=== TEST 10: expiry: sessions idle past the timeout are counted expired
--- http_config
    session_zone zone=st10:1m timeout=1s;
--- request eval
["GET /login?t=x1&u=alice", "GET /login?t=x2&u=bob",
 "GET /imap/login?t=x3", "GET /status", "GET /status?list=1",
 "GET /status?format=prometheus"]
--- pause eval
[0, 0, 3, 0, 0, 0]
--- error_code eval
[200, 200, 200, 200, 200, 200]
--- json eval
[undef, undef, undef, <<'END', '$_->{count} == 0', undef]
$_->{totals}{created} == 3 && $_->{totals}{expired} == 3
&& $_->{sessions}{open} == 0 && $_->{sessions}{accounts} == 0
&& $_->{types}{soap}{open} == 0 && $_->{types}{imap}{anonymous} == 0
&& $_->{memory}{bytes_per_session} == 0
END
--- prometheus eval
[undef, undef, undef, undef, undef, <<'END']
$m{'nginx_session_expired_total{zone="st10"}'} == 3
&& $m{'nginx_session_created_total{zone="st10"}'} == 3
&& sum_of("nginx_session_open_sessions") == 0
&& $m{'nginx_session_bytes_per_session{zone="st10"}'} == 0
END
--- no_error_log
[error]



=== TEST 11: eviction: a full zone evicts, and the counters add up
--- http_config
    session_zone zone=st11:32k;
--- request eval
[(map { "GET /login?t=e$_" } 1 .. 300), "GET /status",
 "GET /status?format=prometheus"]
--- error_code eval
[(200) x 302]
--- json eval
[(undef) x 300, <<'END', undef]
$_->{totals}{created} == 300 && $_->{totals}{evicted} > 0
&& $_->{sessions}{open} > 0
&& $_->{sessions}{open}
   == $_->{totals}{created} - $_->{totals}{evicted}
      - $_->{totals}{expired} - $_->{totals}{ended}
&& $_->{types}{soap}{open} == $_->{sessions}{open}
&& $_->{types}{soap}{anonymous} == $_->{sessions}{open}
&& $_->{memory}{free} < 4096 * 2
&& abs($_->{memory}{bytes_per_session}
       - $_->{memory}{used} / $_->{sessions}{open}) < 0.01
END
--- prometheus eval
[(undef) x 301, <<'END']
my $z = 'zone="st11"';
$m{"nginx_session_created_total{$z}"} == 300
&& $m{"nginx_session_evicted_total{$z}"} > 0
&& sum_of("nginx_session_open_sessions")
   == 300 - $m{"nginx_session_evicted_total{$z}"}
&& $m{"nginx_session_zone_size_bytes{$z}"} == 32768
END
--- no_error_log
[error]



=== TEST 12: an endpoint of another zone in a tracked server does not track; tracking it explicitly is refused (t/101, t/200)
--- http_config
    session_zone zone=st12:1m;
    session_zone zone=t:1m;

    map $session_account $status_admin_user {
        root       1;
        default    0;
    }
--- config
    session_track t;
    session_key $cookie_SID;

    location /app/ {
        session_track off;
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $arg_u;
        return 200 "app\n";
    }

    location /t/ {
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location /st12/ {
        session_track st12;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /status/user {
        session_admin $status_admin_user;
        session_status st12;
    }
--- request eval
["GET /st12/login?t=tok-root&u=root", "GET /t/login?t=tok-t&u=root",
 "GET /status/user", "GET /status/user", "GET /status/user"]
--- more_headers eval
["", "", "Cookie: SID=tok-root", "Cookie: SID=tok-t", ""]
--- error_code eval
[200, 200, 200, 401, 401]
--- json eval
[undef, undef,
 '$_->{zone} eq "st12" && $_->{sessions}{open} == 1', undef, undef]
--- no_error_log
[error]
[emerg]



=== TEST 13: answers are the caller's: Cache-Control: no-store on the status, the list and refusals
--- http_config
    session_zone zone=st13:1m;
--- request eval
["GET /status", "GET /status?list=1", "GET /status/user"]
--- error_code eval
[200, 200, 401]
--- response_headers eval
[("Cache-Control: no-store") x 3]
--- no_error_log
[error]
