# session_admin: a value that is non-empty and not "0" gives the caller
# admin rights on the endpoints; unset, nobody is admin.  Checked here
# through session_list (Commvault GET Session), which lists the caller's
# own account for anybody with a live session and any account for an
# admin.
#
# session_max_body_size is checked through session_dump (Zimbra), which
# reads request bodies.
#
# Blocks keep sessions from one request to the next, so each runs once.

use t::TestSession 'no_plan';

run_tests();

__DATA__

=== TEST 1: without session_admin nobody is admin
--- http_config
    session_zone zone=s:1m;
--- config
    session_key $cookie_SID;
    session_account $arg_id;

    location = /login {
        session_track s;
        session_create $arg_new;
        return 204;
    }

    location = /Session {
        session_list s;
    }
--- request eval
["GET /login?new=t&id=u", "GET /Session?userId=u", "GET /Session?userId=u",
 "GET /Session?userId=v"]
--- more_headers eval
["", "Accept: application/json",
 "Accept: application/json\nCookie: SID=t",
 "Accept: application/json\nCookie: SID=t"]
--- error_code eval
[204, 401, 200, 403]
--- json eval
[undef, '$_->{errorCode} == 5', '@{$_->{sessions}} == 1', '$_->{errorCode} == 5']
--- no_error_log
[error]



=== TEST 2: session_admin at server level is inherited by the endpoint
--- http_config
    session_zone zone=s:1m;
--- config
    session_key $cookie_SID;
    session_account $arg_id;
    session_admin 1;

    location = /login {
        session_track s;
        session_create $arg_new;
        return 204;
    }

    location = /Session {
        session_list s;
    }
--- request eval
["GET /login?new=t&id=u", "GET /Session?userId=u", "GET /Session?userId=v"]
--- more_headers
Accept: application/json
--- error_code eval
[204, 200, 200]
--- json eval
[undef, '@{$_->{sessions}} == 1', '@{$_->{sessions}} == 0']
--- no_error_log
[error]



=== TEST 3: "0" and empty values are no admin rights; a location overrides its server
--- http_config
    session_zone zone=s:1m;
--- config
    session_admin 1;

    location = /zero {
        session_admin 0;
        session_list s;
    }

    location = /empty {
        session_admin $arg_admin;
        session_list s;
    }

    location = /yes {
        session_list s;
    }
--- request eval
["GET /zero?userId=u", "GET /empty?userId=u", "GET /empty?userId=u&admin=0",
 "GET /empty?userId=u&admin=yes", "GET /yes?userId=u"]
--- more_headers
Accept: application/json
--- error_code eval
[401, 401, 401, 200, 200]
--- no_error_log
[error]



=== TEST 4: admin rights from the caller's own session, through a map
--- http_config
    session_zone zone=s:1m;

    map $session_account $is_admin {
        root     1;
        default  0;
    }
--- config
    session_key $cookie_SID;
    session_account $arg_id;
    session_admin $is_admin;

    location = /login {
        session_track s;
        session_create $arg_new;
        return 204;
    }

    location = /Session {
        session_list s;
    }
--- request eval
["GET /login?new=r&id=root", "GET /login?new=t&id=u",
 "GET /Session?userId=u", "GET /Session?userId=root", "GET /Session?userId=u"]
--- more_headers eval
["", "", "Accept: application/json\nCookie: SID=r",
 "Accept: application/json\nCookie: SID=t",
 "Accept: application/json"]
--- error_code eval
[204, 204, 200, 403, 401]
--- json eval
[undef, undef, '@{$_->{sessions}} == 1', '$_->{errorCode} == 5',
 '$_->{errorCode} == 5']
--- no_error_log
[error]



=== TEST 5: session_max_body_size is inherited and may be replaced; endpoints enforce it
--- http_config
    session_zone zone=s:1m;
    session_max_body_size 16k;
--- config
    session_max_body_size 100;
    session_admin 1;

    location = /small {
        session_dump s;
    }

    location = /large {
        session_max_body_size 1k;
        session_dump s;
    }
--- request eval
["POST /small\n" . ("x" x 200), "POST /large\n" . ("x" x 200),
 "POST /small\n" . ("x" x 100)]
--- error_code eval
[500, 500, 500]
--- response_body_like eval
[qr/request payload too large: the limit is 100 bytes/,
 qr/parse error/, qr/parse error/]
--- response_body_unlike eval
["^\$", qr/too large/, qr/too large/]
--- no_error_log
[alert]
[crit]



=== TEST 6: several values: any one that is non-empty and not "0" (the admin account, or the admin key)
--- http_config
    session_zone zone=s:1m;

    map $session_account $admin_account {
        admin    1;
        default  0;
    }

    map $http_x_admin_key $admin_key {
        "k-secret"  1;
        default     0;
    }
--- config
    session_key $cookie_SID;
    session_account $arg_id;

    location = /login {
        session_track s;
        session_create $arg_new;
        return 204;
    }

    location = /Session {
        session_admin $admin_account $admin_key;
        session_list s;
    }
--- request eval
["GET /login?new=ta&id=admin", "GET /login?new=tu&id=u",
 "GET /Session?userId=u", "GET /Session?userId=u", "GET /Session?userId=u",
 "GET /Session?userId=admin", "GET /Session?userId=admin"]
--- more_headers eval
["", "",
 "Accept: application/json\nCookie: SID=ta",
 "Accept: application/json\nX-Admin-Key: k-secret",
 "Accept: application/json\nX-Admin-Key: wrong",
 "Accept: application/json\nCookie: SID=tu\nX-Admin-Key: k-secret",
 "Accept: application/json\nCookie: SID=tu"]
--- error_code eval
[204, 204, 200, 200, 401, 200, 403]
--- json eval
[undef, undef, '@{$_->{sessions}} == 1', '@{$_->{sessions}} == 1',
 '$_->{errorCode} == 5', '@{$_->{sessions}} == 1', '$_->{errorCode} == 5']
--- no_error_log
[error]
