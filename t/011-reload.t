# Reload (HUP): the blocks run against one nginx that is reloaded with
# each block's configuration.  The zone keeps every session across a
# reload that leaves it as it was, or changes only its timeouts; one
# whose size changes is a new zone, and the module copies the sessions
# of the old one into it.

BEGIN {
    $ENV{TEST_NGINX_USE_HUP} = 1;
}

use t::TestSession 'no_plan';

no_shuffle();

# the reload's notice comes before the block's first request: every
# check reads the block's whole log
check_accum_error_log();

our $Config = <<'_EOC_';
    session_track s;
    session_key $cookie_SID;
    session_account $arg_id name=$arg_name;
    session_var host $arg_host;
    session_end $arg_logout;

    location = /login {
        session_create $arg_new;
        add_header X-Session "sid=$session_id new=$session_new";
        return 200 "in\n";
    }

    location = /mobile {
        session_type mobile;
        session_create $arg_new;
        return 200 "in\n";
    }

    location = /who {
        return 200 "sid=$session_id new=$session_new type=$session_type account=$session_account name=$session_account_name host=$session_var_host\n";
    }

    location = /Session {
        session_track off;
        session_admin 1;
        session_list s;
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: sessions of two types, one logged out
--- http_config
    session_zone zone=s:1m keep_closed=1h;
--- config eval: $::Config
--- request eval
["GET /login?new=a&id=u1&name=Ann&host=h1", "GET /mobile?new=b&id=u2",
 "GET /login?new=c&id=u1", "GET /who?logout=1"]
--- more_headers eval
["", "", "", "Cookie: SID=c"]
--- response_body_like eval
["in", "in", "in", qr/^sid=[0-9a-f]{32} /]
--- no_error_log
[error]
[warn]



=== TEST 2: a reload with the zone unchanged keeps every session
--- http_config
    session_zone zone=s:1m keep_closed=1h;
--- config eval: $::Config
--- request eval
["GET /who", "GET /who", "GET /who", "GET /Session?userId=u1"]
--- more_headers eval
["Cookie: SID=a", "Cookie: SID=b", "Cookie: SID=c", "Accept: application/json"]
--- response_body_like eval
[qr/^sid=[0-9a-f]{32} new=0 type=soap account=u1 name=Ann host=h1\n$/,
 qr/^sid=[0-9a-f]{32} new=0 type=mobile account=u2 name=u2 host=\n$/,
 qr/^sid= new=0 type= account= name= host=\n$/,
 qr/"sessions":/]
--- json eval
[undef, undef, undef,
 '@{$_->{sessions}} == 2 && 1 == grep { $_->{logoutTime} > 0 } @{$_->{sessions}}']
--- no_error_log
[error]
[warn]



=== TEST 3: a reload that changes only the timeouts keeps every session
--- http_config
    session_zone zone=s:1m timeout=1h keep_closed=2h;
--- config eval: $::Config
--- request eval
["GET /who", "GET /who", "GET /Session?userId=u1"]
--- more_headers eval
["Cookie: SID=a", "Cookie: SID=b", "Accept: application/json"]
--- response_body_like eval
[qr/^sid=[0-9a-f]{32} new=0 type=soap account=u1 name=Ann host=h1\n$/,
 qr/^sid=[0-9a-f]{32} new=0 type=mobile account=u2 name=u2 host=\n$/,
 qr/"sessions":/]
--- json eval
[undef, undef,
 '@{$_->{sessions}} == 2 && 1 == grep { $_->{logoutTime} > 0 } @{$_->{sessions}}']
--- no_error_log
[error]
[warn]



=== TEST 4: a reload that changes the zone's size copies the sessions over
--- http_config
    session_zone zone=s:2m keep_closed=1h;
--- config eval: $::Config
--- request eval
["GET /who", "GET /who", "GET /who", "GET /Session?userId=u1",
 "GET /login?new=d&id=u3"]
--- more_headers eval
["Cookie: SID=a", "Cookie: SID=b", "Cookie: SID=c", "Accept: application/json",
 ""]
--- response_body_like eval
[qr/^sid=[0-9a-f]{32} new=0 type=soap account=u1 name=Ann host=h1\n$/,
 qr/^sid=[0-9a-f]{32} new=0 type=mobile account=u2 name=u2 host=\n$/,
 qr/^sid= new=0 type= account= name= host=\n$/,
 qr/"sessions":/, "in"]
--- response_headers_like eval
["", "", "", "", "X-Session: sid=[0-9a-f]{32} new=1"]
--- json eval
[undef, undef, undef,
 '@{$_->{sessions}} == 2 && 1 == grep { $_->{logoutTime} > 0 } @{$_->{sessions}}',
 undef]
--- error_log
session zone "s" resized, 3 sessions carried over
--- no_error_log
[error]



=== TEST 5: and back to the first size, with the session created since
--- http_config
    session_zone zone=s:1m keep_closed=1h;
--- config eval: $::Config
--- request eval
["GET /who", "GET /who", "GET /who"]
--- more_headers eval
["Cookie: SID=a", "Cookie: SID=b", "Cookie: SID=d"]
--- response_body_like eval
[qr/^sid=[0-9a-f]{32} new=0 type=soap account=u1 name=Ann host=h1\n$/,
 qr/^sid=[0-9a-f]{32} new=0 type=mobile account=u2 name=u2 host=\n$/,
 qr/^sid=[0-9a-f]{32} new=0 type=soap account=u3 name=u3 host=\n$/]
--- error_log
session zone "s" resized, 4 sessions carried over
--- no_error_log
[error]



=== TEST 6: ten custom types fill the zone's type slots; one session of one of them
--- http_config
    session_zone zone=types:1m;
--- config
    session_track types;
    session_key $cookie_SID;
    session_create $arg_new;
    session_end $arg_logout;

    location /t1 { session_type t1; return 200 "type=$session_type\n"; }
    location /t2 { session_type t2; return 200 "type=$session_type\n"; }
    location /t3 { session_type t3; return 200 "type=$session_type\n"; }
    location /t4 { session_type t4; return 200 "type=$session_type\n"; }
    location /t5 { session_type t5; return 200 "type=$session_type\n"; }
    location /t6 { session_type t6; return 200 "type=$session_type\n"; }
    location /t7 { session_type t7; return 200 "type=$session_type\n"; }
    location /t8 { session_type t8; return 200 "type=$session_type\n"; }
    location /t9 { session_type t9; return 200 "type=$session_type\n"; }
    location /t10 { session_type t10; return 200 "type=$session_type\n"; }
--- request eval
["GET /t3?new=x", "GET /t3", "GET /t3?logout=1", "GET /t3"]
--- more_headers eval
["", "Cookie: SID=x", "Cookie: SID=x", "Cookie: SID=x"]
--- response_body eval
["type=\n", "type=t3\n", "type=t3\n", "type=\n"]
--- no_error_log
[error]
[warn]



=== TEST 7: a reload with other custom types reuses the slots no session holds
The zone keeps its type names across reloads; a slot that no session
holds any more and the new configuration does not name is free again, or
the eleventh custom type ever used would fail the reload.
--- http_config
    session_zone zone=types:1m;
--- config
    session_track types;
    session_key $cookie_SID;
    session_create $arg_new;

    location /u1 { session_type u1; return 200 "type=$session_type\n"; }
    location /t3 { session_type t3; return 200 "type=$session_type\n"; }
    location /u2 { session_type u2; return 200 "type=$session_type\n"; }
--- request eval
["GET /u1?new=y", "GET /u1", "GET /u2?new=z", "GET /u2", "GET /t3?new=w",
 "GET /t3", "GET /u1"]
--- more_headers eval
["", "Cookie: SID=y", "", "Cookie: SID=z", "", "Cookie: SID=w",
 "Cookie: SID=y"]
--- response_body eval
["type=\n", "type=u1\n", "type=\n", "type=u2\n", "type=\n", "type=t3\n",
 "type=u1\n"]
--- no_error_log
[error]
[warn]
[emerg]
