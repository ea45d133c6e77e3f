# Logouts by cookie deletion.  Frameworks log a user out by deleting the
# session cookie, each with its own bytes; $upstream_cookie_SID still
# reads the value of such a Set-Cookie ("deleted", "", or the token
# itself), so a deleting header must never create or revive a session,
# and it ends the session the request came with.  The bytes below are
# what each framework sends; the logout response also names the user
# (X-User), as an application behind a header-based setup does.
#
# Blocks keep sessions from one request to the next, so each runs once.

use t::TestSession 'no_plan';

our $http_config = <<'_EOC_';
    session_zone zone=s:1m keep_closed=1m;

    map $session_account $is_admin {
        admin    1;
        default  0;
    }
_EOC_

# the application at /app/: /app/login?u=USER sets SID=tok-USER, and
# /app/logout answers with the framework's deleting header in $LOGOUT
sub app_config {
    my ($logout) = @_;

    return <<"_EOC_";
    location = /app/login {
        add_header Set-Cookie "SID=tok-\$arg_u; Path=/";
        add_header X-User \$arg_u;
        return 200 "logged in\\n";
    }

    location = /app/logout {
        add_header Set-Cookie '$logout';
        add_header X-User admin;
        return 200 "logged out\\n";
    }

    location / {
        session_track s;
        session_key \$cookie_SID;
        session_create \$upstream_cookie_SID;
        session_account \$upstream_http_x_user;
        proxy_pass http://127.0.0.1:\$server_port/app\$uri\$is_args\$args;
    }

    location = /who {
        session_track s;
        session_key \$cookie_SID;
        return 200 "sid=\$session_id account=\$session_account\\n";
    }

    location = /dump {
        session_key \$cookie_SID;
        session_admin \$is_admin;
        session_dump s;
    }
_EOC_
}

my %logout = (
    php => 'SID=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; '
           . 'Max-Age=0; path=/',
    php5 => 'SID=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/',
    django => 'SID=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; '
              . 'Path=/',
    java => 'SID=tok-admin; Max-Age=0; '
            . 'Expires=Thu, 01-Jan-1970 00:00:10 GMT; Path=/',
    aspnet => 'SID=; expires=Mon, 11-Oct-1999 22:00:00 GMT; path=/; '
              . 'HttpOnly',
    rails => 'SID=; path=/; max-age=0; '
             . 'expires=Thu, 01 Jan 1970 00:00:00 GMT',
);

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", $http_config);
    }

    if (defined $block->framework) {
        my $fw = $block->framework;
        $fw =~ s/\s+//g;
        $block->set_value("config", app_config($logout{$fw}));
    }
});

run_tests();

__DATA__

=== TEST 1: PHP 7+: "deleted", a past Expires and Max-Age=0
--- framework: php
--- request eval
["GET /login?u=admin", "GET /who", "GET /logout", "GET /who", "GET /who",
 "GET /dump?listSessions=1", "GET /who"]
--- more_headers eval
["", "Cookie: SID=tok-admin", "Cookie: SID=tok-admin",
 "Cookie: SID=tok-admin", "Cookie: SID=deleted", "Cookie: SID=deleted",
 "Cookie: SID=deleted"]
--- error_code eval
[200, 200, 200, 200, 200, 500, 200]
--- response_body_like eval
["logged in", "sid=[0-9a-f]{32} account=admin", "logged out",
 "^sid= account=\n", "^sid= account=\n", "service.AUTH_REQUIRED",
 "^sid= account=\n"]



=== TEST 2: PHP 5: "deleted" with a past Expires of four-digit year, no Max-Age
--- framework: php5
--- request eval
["GET /login?u=admin", "GET /logout", "GET /who", "GET /who",
 "GET /dump?listSessions=1"]
--- more_headers eval
["", "Cookie: SID=tok-admin", "Cookie: SID=tok-admin", "Cookie: SID=deleted",
 "Cookie: SID=deleted"]
--- error_code eval
[200, 200, 200, 200, 500]
--- response_body_like eval
["logged in", "logged out", "^sid= account=\n", "^sid= account=\n",
 "service.AUTH_REQUIRED"]



=== TEST 3: Django: a quoted empty value with Max-Age=0
--- framework: django
--- request eval
["GET /login?u=admin", "GET /logout", "GET /who", "GET /who",
 "GET /dump?listSessions=1"]
--- more_headers eval
["", "Cookie: SID=tok-admin", "Cookie: SID=tok-admin", 'Cookie: SID=""',
 'Cookie: SID=""']
--- error_code eval
[200, 200, 200, 200, 500]
--- response_body_like eval
["logged in", "logged out", "^sid= account=\n", "^sid= account=\n",
 "service.AUTH_REQUIRED"]



=== TEST 4: Java: the current token again with Max-Age=0 does not undo the logout
--- framework: java
--- request eval
["GET /login?u=admin", "GET /logout", "GET /who", "GET /dump?listSessions=1"]
--- more_headers eval
["", "Cookie: SID=tok-admin", "Cookie: SID=tok-admin", "Cookie: SID=tok-admin"]
--- error_code eval
[200, 200, 200, 500]
--- response_body_like eval
["logged in", "logged out", "^sid= account=\n", "service.AUTH_REQUIRED"]



=== TEST 5: ASP.NET: an empty value and a past Expires of the RFC 850 kind
--- framework: aspnet
--- request eval
["GET /login?u=admin", "GET /logout", "GET /who"]
--- more_headers eval
["", "Cookie: SID=tok-admin", "Cookie: SID=tok-admin"]
--- response_body_like eval
["logged in", "logged out", "^sid= account=\n"]



=== TEST 6: Rails: an empty value, max-age=0 in lower case
--- framework: rails
--- request eval
["GET /login?u=admin", "GET /logout", "GET /who"]
--- more_headers eval
["", "Cookie: SID=tok-admin", "Cookie: SID=tok-admin"]
--- response_body_like eval
["logged in", "logged out", "^sid= account=\n"]



=== TEST 7: a cookie that lives on is no logout: future Expires, Max-Age over a past Expires
--- config
    location = /app/login {
        add_header Set-Cookie "SID=tok-$arg_u; Path=/";
        return 200 "logged in\n";
    }

    location = /app/refresh {
        add_header Set-Cookie "SID=tok-a; Expires=Fri, 01 Jan 2100 00:00:00 GMT";
        add_header Set-Cookie "SID=tok-a; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
        add_header Set-Cookie "SID=tok-a; Max-Age=junk";
        add_header Set-Cookie "SID=tok-a; Expires=not a date";
        add_header Set-Cookie "OTHER=x; Max-Age=0";
        return 200 "refreshed\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        proxy_pass http://127.0.0.1:$server_port/app$uri$is_args$args;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /login?u=a", "GET /refresh", "GET /who"]
--- more_headers eval
["", "Cookie: SID=tok-a", "Cookie: SID=tok-a"]
--- response_body_like eval
["logged in", "refreshed", "^sid=[0-9a-f]{32}\n"]
--- sids eval
[undef, undef, "a"]



=== TEST 8: a new session id: the old cookie deleted, then the new one set
--- config
    location = /app/login {
        add_header Set-Cookie "SID=tok-$arg_u; Path=/";
        return 200 "logged in\n";
    }

    location = /app/rotate {
        add_header Set-Cookie "SID=deleted; Max-Age=0; Path=/";
        add_header Set-Cookie "SID=tok-new; Path=/";
        return 200 "rotated\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        proxy_pass http://127.0.0.1:$server_port/app$uri$is_args$args;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /login?u=a", "GET /who", "GET /rotate", "GET /who", "GET /who",
 "GET /who"]
--- more_headers eval
["", "Cookie: SID=tok-a", "Cookie: SID=tok-a", "Cookie: SID=tok-a",
 "Cookie: SID=tok-new", "Cookie: SID=deleted"]
--- response_body_like eval
["logged in", "^sid=[0-9a-f]{32}\n", "rotated", "^sid=\n",
 "^sid=[0-9a-f]{32}\n", "^sid=\n"]
--- sids eval
[undef, "old", undef, "", "new", ""]



=== TEST 9: a cookie session_key does not read is none of the session's business
--- config
    location = /app/login {
        add_header Set-Cookie "SID=tok-$arg_u; Path=/";
        return 200 "logged in\n";
    }

    location = /app/prefs {
        add_header Set-Cookie "theme=deleted; Max-Age=0";
        return 200 "prefs\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        proxy_pass http://127.0.0.1:$server_port/app$uri$is_args$args;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "sid=$session_id\n";
    }
--- request eval
["GET /login?u=a", "GET /prefs", "GET /who"]
--- more_headers eval
["", "Cookie: SID=tok-a", "Cookie: SID=tok-a"]
--- response_body_like eval
["logged in", "prefs", "^sid=[0-9a-f]{32}\n"]
