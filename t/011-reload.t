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
