# Limits: tokens of at most 4096 bytes and without control bytes; an
# account id of at most 64 bytes, a name of at most 128, variable values
# of at most 255 and all of a session's variables together in 510.
# What is over a limit is not stored, and a worker says so at most once
# every 10 s.  The requests of a block go down one connection
# (pipelined), so one worker serves them all.

use t::TestSession 'no_plan';

# every response's check reads the whole log: the requests of a block
# are all served before the first response is checked
check_accum_error_log();
$Test::Nginx::Util::TestNginxSleep = 0.003;

our $Config = <<'_EOC_';
    session_track s;
    session_key $http_authtoken;
    session_account $http_x_id name=$http_x_name;
    session_var v $http_x_v;

    location = /login {
        session_create $http_x_new;
        add_header X-Session "sid=$session_id new=$session_new";
        return 200 "in\n";
    }

    location = /who {
        return 200 "sid=$session_id account=$session_account name=$session_account_name v=$session_var_v\n";
    }
_EOC_

our $T4096 = "t" x 4096;
our $T4097 = "t" x 4097;
our $T5000 = "t" x 5000;

run_tests();

__DATA__

=== TEST 1: a token of 4096 bytes is a token; 4097 and 5000 bytes are not, one warning
--- http_config
    session_zone zone=s:1m;
--- config eval: $::Config
--- pipelined_requests eval
["GET /login", "GET /who", "GET /login", "GET /login", "GET /who", "GET /who"]
--- more_headers eval
["X-New: $::T4096", "Authtoken: $::T4096", "X-New: $::T4097",
 "X-New: $::T5000", "Authtoken: $::T5000", "Authtoken: QSDK $::T4096"]
--- response_body_like eval
["in", qr/^sid=[0-9a-f]{32} /, "in", "in", qr/^sid= /, qr/^sid=[0-9a-f]{32} /]
--- sids eval
[undef, "a", undef, undef, "", "a"]
--- grep_error_log eval
qr/session not created: the new token has \d+ bytes, tokens hold at most 4096 bytes and no control bytes|session token of \d+ bytes ignored/
--- grep_error_log_out eval
qr/\Asession not created: the new token has 4097 bytes, tokens hold at most 4096 bytes and no control bytes\n\z/
--- no_error_log
[error]



=== TEST 2: a new token of 5000 bytes is not stored, and said so
--- http_config
    session_zone zone=s:1m;
--- config eval: $::Config
--- pipelined_requests eval
["GET /login", "GET /who"]
--- more_headers eval
["X-New: $::T5000", "Authtoken: $::T5000"]
--- response_body_like eval
["in", qr/^sid= /]
--- response_headers eval
["X-Session: sid= new=0", ""]
--- grep_error_log eval
qr/session not created: the new token has \d+ bytes, tokens hold at most 4096 bytes and no control bytes|session token of \d+ bytes ignored/
--- grep_error_log_out eval
qr/\Asession not created: the new token has 5000 bytes, tokens hold at most 4096 bytes and no control bytes\n\z/
--- no_error_log
[error]



=== TEST 3: a lookup with a 5000-byte token is said so
--- http_config
    session_zone zone=s:1m;
--- config eval: $::Config
--- pipelined_requests eval
["GET /who", "GET /who"]
--- more_headers eval
["Authtoken: $::T5000", "Authtoken: $::T5000"]
--- response_body_like eval
[qr/^sid= /, qr/^sid= /]
--- grep_error_log eval
qr/session token of \d+ bytes ignored: tokens hold at most 4096 bytes and no control bytes/
--- grep_error_log_out eval
qr/\Asession token of 5000 bytes ignored: tokens hold at most 4096 bytes and no control bytes\n\z/
--- no_error_log
[error]



=== TEST 4: tokens with control bytes are no tokens
--- http_config
    session_zone zone=s:1m;
--- config eval: $::Config
--- pipelined_requests eval
["GET /login", "GET /login", "GET /login", "GET /who", "GET /who", "GET /who"]
--- more_headers eval
["X-New: ab\x01cd", "X-New: ab\tcd", "X-New: ab\x7fcd", "Authtoken: ab\x01cd",
 "Authtoken: ab\tcd", "Authtoken: ab\x7fcd"]
--- response_headers eval
["X-Session: sid= new=0", "X-Session: sid= new=0", "X-Session: sid= new=0",
 "", "", ""]
--- response_body_like eval
["in", "in", "in", qr/^sid= /, qr/^sid= /, qr/^sid= /]
--- grep_error_log eval
qr/session not created: the new token has \d+ bytes|session token of \d+ bytes ignored/
--- grep_error_log_out eval
qr/\Asession not created: the new token has 5 bytes\n\z/
--- no_error_log
[error]



=== TEST 5: an account id of 64 bytes is stored, 65 is not; a name of 128 is, 129 is not
--- http_config
    session_zone zone=s:1m;
--- config eval: $::Config
--- pipelined_requests eval
["GET /login", "GET /who", "GET /login", "GET /who", "GET /who", "GET /who"]
--- more_headers eval
["X-New: a\nX-Id: " . ("i" x 64) . "\nX-Name: " . ("n" x 128),
 "Authtoken: a",
 "X-New: b\nX-Id: " . ("i" x 65) . "\nX-Name: short",
 "Authtoken: b",
 "Authtoken: a\nX-Id: " . ("i" x 64) . "\nX-Name: " . ("m" x 129),
 "Authtoken: a\nX-Id: " . ("j" x 65)]
--- response_body_like eval
["in",
 qr/^sid=[0-9a-f]{32} account=i{64} name=n{128} v=\n$/,
 "in",
 qr/^sid=[0-9a-f]{32} account= name= v=\n$/,
 qr/^sid=[0-9a-f]{32} account=i{64} name=n{128} v=\n$/,
 qr/^sid=[0-9a-f]{32} account=i{64} name=n{128} v=\n$/]
--- grep_error_log eval
qr/session account (?:id|name) of \d+ bytes not stored: the limit is \d+ bytes/
--- grep_error_log_out eval
qr/\Asession account id of 65 bytes not stored: the limit is 64 bytes\n\z/
--- no_error_log
[error]



=== TEST 6: an account name of 129 bytes is not stored, and said so
--- http_config
    session_zone zone=s:1m;
--- config eval: $::Config
--- pipelined_requests eval
["GET /login", "GET /who"]
--- more_headers eval
["X-New: a\nX-Id: u\nX-Name: " . ("n" x 129), "Authtoken: a"]
--- response_body_like eval
["in", qr/^sid=[0-9a-f]{32} account=u name=u v=\n$/]
--- grep_error_log eval
qr/session account (?:id|name) of \d+ bytes not stored: the limit is \d+ bytes/
--- grep_error_log_out eval
qr/\Asession account name of 129 bytes not stored: the limit is 128 bytes\n\z/
--- no_error_log
[error]



=== TEST 7: a variable of 255 bytes is stored, 256 is not
--- http_config
    session_zone zone=s:1m;
--- config eval: $::Config
--- pipelined_requests eval
["GET /login", "GET /who", "GET /who", "GET /who"]
--- more_headers eval
["X-New: a\nX-V: " . ("v" x 255), "Authtoken: a",
 "Authtoken: a\nX-V: " . ("w" x 256), "Authtoken: a"]
--- response_body_like eval
["in", qr/ v=v{255}\n$/, qr/ v=v{255}\n$/, qr/ v=v{255}\n$/]
--- grep_error_log eval
qr/session variable of \d+ bytes not stored: the limit is \d+ bytes/
--- grep_error_log_out eval
qr/\Asession variable of 256 bytes not stored: the limit is 255 bytes\n\z/
--- no_error_log
[error]



=== TEST 8: variables that do not fit a session's 510 bytes are not stored, and said so
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $http_authtoken;
    session_var a $http_x_a;
    session_var b $http_x_b;
    session_var c $http_x_c;

    location = /login {
        session_create $http_x_new;
        return 200 "in\n";
    }

    location = /who {
        return 200 "a=$session_var_a b=$session_var_b c=$session_var_c\n";
    }
--- pipelined_requests eval
["GET /login", "GET /who", "GET /who", "GET /who"]
--- more_headers eval
["X-New: t\nX-A: " . ("a" x 250) . "\nX-B: " . ("b" x 250),
 "Authtoken: t\nX-C: cc",
 "Authtoken: t\nX-A: A",
 "Authtoken: t"]
--- response_body_like eval
["in", qr/^a=a{250} b=b{250} c=\n$/, qr/^a=a{250} b=b{250} c=\n$/,
 qr/^a=A b=b{250} c=\n$/]
--- grep_error_log eval
qr/session variables? [^,]*not stored[^,]*/
--- grep_error_log_out eval
qr/\Asession variable "c" not stored: the variables of a session hold at most 510 bytes and 8 names\n\z/
--- no_error_log
[error]



=== TEST 9: a session holds at most 8 variables, whatever the locations set
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $http_authtoken;

    location = /login {
        session_create $http_x_new;
        session_var a1 1;
        session_var a2 2;
        session_var a3 3;
        session_var a4 4;
        session_var a5 5;
        return 200 "in\n";
    }

    location = /more {
        session_var b1 6;
        session_var b2 7;
        session_var b3 8;
        session_var b4 9;
        return 200 "more\n";
    }

    location = /who {
        return 200 "$session_var_a1$session_var_a2$session_var_a3$session_var_a4$session_var_a5$session_var_b1$session_var_b2$session_var_b3$session_var_b4\n";
    }
--- pipelined_requests eval
["GET /login", "GET /more", "GET /who"]
--- more_headers eval
["X-New: t", "Authtoken: t", "Authtoken: t"]
--- response_body eval
["in\n", "more\n", "12345678\n"]
--- grep_error_log eval
qr/session variables? [^,]*not stored[^,]*/
--- grep_error_log_out eval
qr/\Asession variable "b4" not stored: the variables of a session hold at most 510 bytes and 8 names\n\z/
--- no_error_log
[error]
