# Every bad configuration stops nginx with a message that names the
# problem: zone parameters, zone references (checked once the whole
# configuration is read, so a zone may be named before it is defined),
# duplicates, names, limits and contexts.

use t::TestSession 'no_plan';

run_tests();

__DATA__

=== TEST 1: a zone below 8 pages
--- http_config
    session_zone zone=s:16k;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{session zone "s" is too small: it needs at least 32768 bytes}]



=== TEST 2: session_zone without zone=
--- http_config
    session_zone timeout=1m;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_zone" must have the "zone" parameter}]



=== TEST 3: a zone without a size
--- http_config
    session_zone zone=s;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid zone "zone=s": expected zone=NAME:SIZE}]



=== TEST 4: a zone without a name
--- http_config
    session_zone zone=:1m;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid zone "zone=:1m": expected zone=NAME:SIZE}]



=== TEST 5: a zone over 16 GB
--- http_config
    session_zone zone=s:16385m;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{session zone "s" is too large: it may hold at most 16384m}]



=== TEST 6: a bad zone size
--- http_config
    session_zone zone=s:lots;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid zone size "zone=s:lots"}]



=== TEST 7: two session zones of one name
--- http_config
    session_zone zone=s:1m;
    session_zone zone=s:1m;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{session zone "s" is already defined}]



=== TEST 8: two session zones of one name and different sizes
--- http_config
    session_zone zone=s:1m;
    session_zone zone=s:2m;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{the size 2097152 of shared memory zone "s" conflicts with already declared size 1048576}]



=== TEST 9: a session zone named like another module's zone
--- http_config
    limit_req_zone $binary_remote_addr zone=s:1m rate=1r/s;
    session_zone zone=s:1m;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{the shared memory zone "s" is already declared for a different use}]



=== TEST 10: an unknown session_zone parameter
--- http_config
    session_zone zone=s:1m evict=yes;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid parameter "evict=yes"}]



=== TEST 11: a bad timeout
--- http_config
    session_zone zone=s:1m timeout=soon;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid timeout "timeout=soon"}]



=== TEST 12: a zero timeout
--- http_config
    session_zone zone=s:1m timeout=0;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid timeout "timeout=0"}]



=== TEST 13: a bad keep_closed
--- http_config
    session_zone zone=s:1m keep_closed=-1;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid keep_closed "keep_closed=-1"}]



=== TEST 14: an empty state file name
--- http_config
    session_zone zone=s:1m state=;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid state "state=": a file name is needed}]



=== TEST 15: session_zone in a server block
--- config
    session_zone zone=s:1m;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_zone" directive is not allowed here}]



=== TEST 16: session_track names an unknown zone
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_track nope;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr/"session_track" names session zone "nope" that no "session_zone" defines in \S+nginx\.conf:\d+/]



=== TEST 17: session_dump names an unknown zone
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_dump nope;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr/"session_dump" names session zone "nope" that no "session_zone" defines in \S+nginx\.conf:\d+/]



=== TEST 18: session_list names another module's zone
--- http_config
    limit_req_zone $binary_remote_addr zone=lr:1m rate=1r/s;
--- config
    location / {
        session_list lr;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{the shared memory zone "lr" is already declared for a different use}]



=== TEST 19: session_track twice
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_track s;
        session_track s;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_track" directive is duplicate}]



=== TEST 20: session_key twice
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_key $cookie_SID;
        session_key $cookie_SID;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_key" directive is duplicate}]



=== TEST 21: session_create twice
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_create $cookie_SID;
        session_create $cookie_SID;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_create" directive is duplicate}]



=== TEST 22: session_end twice
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_end $arg_logout;
        session_end $arg_logout;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_end" directive is duplicate}]



=== TEST 23: session_type twice
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_type imap;
        session_type imap;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_type" directive is duplicate}]



=== TEST 24: session_account twice
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_account $arg_id;
        session_account $arg_id;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_account" directive is duplicate}]



=== TEST 25: session_admin twice
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_admin 1;
        session_admin 1;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_admin" directive is duplicate}]



=== TEST 26: session_max_body_size twice
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_max_body_size 1k;
        session_max_body_size 1k;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_max_body_size" directive is duplicate}]



=== TEST 27: session_key with an empty value
--- http_config
    session_zone zone=s:1m;
--- config
    session_key $cookie_SID "";
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{empty value in "session_key"}]



=== TEST 28: session_track without a zone
--- http_config
    session_zone zone=s:1m;
--- config
    session_track;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid number of arguments in "session_track" directive}]



=== TEST 29: an invalid session type name
--- http_config
    session_zone zone=s:1m;
--- config
    session_type "web ui";
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid session type "web ui": use 1 to 31 letters, digits, "_", "-" or "."}]



=== TEST 30: a session type name of 32 characters
--- http_config
    session_zone zone=s:1m;
--- config
    session_type tttttttttttttttttttttttttttttttt;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid session type "tttttttttttttttttttttttttttttttt": use 1 to 31 letters}]



=== TEST 31: eleven custom session types
--- http_config
    session_zone zone=s:1m;
--- config
    location /1 { session_type t1; }
    location /2 { session_type t2; }
    location /3 { session_type t3; }
    location /4 { session_type t4; }
    location /5 { session_type t5; }
    location /6 { session_type t6; }
    location /7 { session_type t7; }
    location /8 { session_type t8; }
    location /9 { session_type t9; }
    location /10 { session_type t10; }
    location /11 { session_type t11; }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{too many session types: at most 10 besides the six Zimbra types}]



=== TEST 32: an invalid session variable name
--- http_config
    session_zone zone=s:1m;
--- config
    session_var a.b $host;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid session variable name "a.b": use 1 to 32 letters, digits, "_" or "-"}]



=== TEST 33: a session variable name of 33 characters
--- http_config
    session_zone zone=s:1m;
--- config
    session_var vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv $host;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid session variable name "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}]



=== TEST 34: one session variable twice, in any case
--- http_config
    session_zone zone=s:1m;
--- config
    session_var role $arg_r;
    session_var Role $arg_r;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{duplicate session variable "Role"}]



=== TEST 35: nine session variables
--- http_config
    session_zone zone=s:1m;
--- config
    session_var v1 $arg_v;
    session_var v2 $arg_v;
    session_var v3 $arg_v;
    session_var v4 $arg_v;
    session_var v5 $arg_v;
    session_var v6 $arg_v;
    session_var v7 $arg_v;
    session_var v8 $arg_v;
    session_var v9 $arg_v;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{too many session variables: at most 8}]



=== TEST 36: session_var without a value
--- http_config
    session_zone zone=s:1m;
--- config
    session_var host;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid number of arguments in "session_var" directive}]



=== TEST 37: a bad session_account parameter
--- http_config
    session_zone zone=s:1m;
--- config
    session_account $arg_id label=$arg_name;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid parameter "label=$arg_name"}]



=== TEST 38: session_account with three values
--- http_config
    session_zone zone=s:1m;
--- config
    session_account $arg_id name=$arg_n name=$arg_m;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid number of arguments in "session_account" directive}]



=== TEST 39: a bad session_max_body_size
--- http_config
    session_zone zone=s:1m;
--- config
    session_max_body_size big;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_max_body_size" directive invalid value}]



=== TEST 40: session_info with an empty instance=
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_info s instance=;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid parameter "instance="}]



=== TEST 41: session_info with an unknown parameter
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_info s demo;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid parameter "demo"}]



=== TEST 42: session_dump with another endpoint's parameter
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_dump s instance=x;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid parameter "instance=x"}]



=== TEST 42a: pace= that is not a number
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_dump s pace=fast;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid value "pace=fast": "pace=" takes "auto" or a percentage from 0 to 100000}]



=== TEST 42b: pace= above its bound, on session_status
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_status s pace=100001;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid value "pace=100001": "pace=" takes "auto" or a percentage from 0 to 100000}]



=== TEST 42c: pace= empty, and negative, on session_list
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_list s pace=;
    }
    location /b {
        session_list s pace=-5;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid value "pace=": "pace=" takes "auto" or a percentage from 0 to 100000}]



=== TEST 42d: pace= on session_info, which answers one session
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_info s pace=auto;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_info" answers one session, not a listing: "pace=" is for session_dump, session_list and session_status}]



=== TEST 42e: two pace= parameters
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_dump s pace=0 pace=auto;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{invalid number of arguments in "session_dump" directive}]



=== TEST 43: two endpoints in one location
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_dump s;
        session_list s;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_list": this location already serves a session endpoint}]



=== TEST 44: one endpoint twice in one location
--- http_config
    session_zone zone=s:1m;
--- config
    location / {
        session_status s;
        session_status s;
    }
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_status": this location already serves a session endpoint}]



=== TEST 45: session_dump at server level
--- http_config
    session_zone zone=s:1m;
--- config
    session_dump s;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_dump" directive is not allowed here}]



=== TEST 46: session_info at server level
--- http_config
    session_zone zone=s:1m;
--- config
    session_info s;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_info" directive is not allowed here}]



=== TEST 47: session_list at server level
--- http_config
    session_zone zone=s:1m;
--- config
    session_list s;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_list" directive is not allowed here}]



=== TEST 48: session_status at server level
--- http_config
    session_zone zone=s:1m;
--- config
    session_status s;
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_status" directive is not allowed here}]



=== TEST 49: session_list at http level
--- http_config
    session_zone zone=s:1m;
    session_list s;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_list" directive is not allowed here}]



=== TEST 50: session_track in the main context
--- main_config
    session_track s;
--- config
--- must_die
--- error_log eval
[qr/\[emerg\]/, q{"session_track" directive is not allowed here}]
