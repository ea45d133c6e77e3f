# session_type, session_account and session_var, and the variables that
# show them: $session_type, $session_account, $session_account_name,
# $session_created and $session_var_NAME, in add_header, return and
# log_format.
#
# Blocks keep sessions from one request to the next, so each runs once.

use t::TestSession 'no_plan';

run_tests();

__DATA__

=== TEST 1: the default type is soap; the six Zimbra types and custom names
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID;
    session_create $arg_new;

    location = /soap { return 200 "type=$session_type\n"; }
    location = /imap { session_type imap; return 200 "type=$session_type\n"; }
    location = /admin { session_type admin; return 200 "type=$session_type\n"; }
    location = /wiki { session_type wiki; return 200 "type=$session_type\n"; }
    location = /sync { session_type synclistener; return 200 "type=$session_type\n"; }
    location = /waitset { session_type waitset; return 200 "type=$session_type\n"; }
    location = /custom { session_type web.ui-2_x; return 200 "type=$session_type\n"; }
    location = /other { session_type other; return 200 "type=$session_type\n"; }
--- request eval
["GET /soap?new=1", "GET /imap?new=2", "GET /admin?new=3", "GET /wiki?new=4",
 "GET /sync?new=5", "GET /waitset?new=6", "GET /custom?new=7",
 "GET /other?new=8",
 "GET /other", "GET /other", "GET /other", "GET /other", "GET /other",
 "GET /other", "GET /other", "GET /soap"]
--- more_headers eval
["", "", "", "", "", "", "", "",
 "Cookie: SID=1", "Cookie: SID=2", "Cookie: SID=3", "Cookie: SID=4",
 "Cookie: SID=5", "Cookie: SID=6", "Cookie: SID=7", "Cookie: SID=8"]
--- response_body eval
["type=\n", "type=\n", "type=\n", "type=\n", "type=\n", "type=\n",
 "type=\n", "type=\n",
 "type=soap\n", "type=imap\n", "type=admin\n", "type=wiki\n",
 "type=synclistener\n", "type=waitset\n", "type=web.ui-2_x\n",
 "type=other\n"]
--- no_error_log
[error]
[warn]



=== TEST 2: session_type at server level is inherited, a location overrides it
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID;
    session_create $arg_new;
    session_type imap;

    location = /a {
        add_header X-Type "type=$session_type" always;
        return 204;
    }

    location = /b {
        session_type mobile;
        add_header X-Type "type=$session_type" always;
        return 204;
    }
--- request eval
["GET /a?new=1", "GET /b?new=2"]
--- error_code eval
[204, 204]
--- response_headers eval
["X-Type: type=imap", "X-Type: type=mobile"]
--- no_error_log
[error]
[warn]



=== TEST 3: session_account from the upstream's headers, with and without name=
--- http_config
    session_zone zone=s:1m;
--- config
    location /app/ {
        add_header Set-Cookie "SID=$arg_sid; Path=/";
        add_header X-User-Id $arg_id;
        add_header X-User-Name $arg_name;
        return 200 "app\n";
    }

    location /named/ {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user_id name=$upstream_http_x_user_name;
        add_header X-Account "account=$session_account name=$session_account_name";
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location /plain/ {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user_id;
        add_header X-Account "account=$session_account name=$session_account_name";
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "sid=$session_id account=$session_account name=$session_account_name\n";
    }
--- request eval
["GET /named/login?sid=n&id=u-1&name=alice%40example.com",
 "GET /plain/login?sid=p&id=u-2&name=bob",
 "GET /who", "GET /who"]
--- more_headers eval
["", "", "Cookie: SID=n", "Cookie: SID=p"]
--- response_headers eval
["X-Account: account=u-1 name=alice%40example.com",
 "X-Account: account=u-2 name=u-2", "", ""]
--- response_body_like eval
["app", "app", qr/ account=u-1 name=alice%40example.com$/,
 qr/ account=u-2 name=u-2$/]
--- no_error_log
[error]
[warn]



=== TEST 4: an empty account changes nothing; a new one moves the session; a new name renames
--- http_config
    session_zone zone=s:1m;
--- config
    location /app/ {
        add_header Set-Cookie "SID=$arg_sid; Path=/";
        add_header X-User-Id $arg_id;
        add_header X-User-Name $arg_name;
        return 200 "app\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user_id name=$upstream_http_x_user_name;
        add_header X-Account "account=$session_account name=$session_account_name";
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "sid=$session_id account=$session_account name=$session_account_name\n";
    }
--- request eval
["GET /login?sid=t",
 "GET /x", "GET /x?id=u1&name=Ann", "GET /x", "GET /x?name=Other",
 "GET /x?id=u1&name=Annabel-Lee-with-a-much-longer-name-than-before",
 "GET /x?id=u1",
 "GET /login?sid=t2&id=u1",
 "GET /x?id=u2&name=Bob", "GET /who", "GET /who",
 "GET /login?sid=t3&id=u2&name=Robert", "GET /who"]
--- more_headers eval
["", map({ "Cookie: SID=t" } 1..6), "", "Cookie: SID=t", "Cookie: SID=t",
 "Cookie: SID=t2", "", "Cookie: SID=t"]
--- response_headers eval
["X-Account: account= name=",
 "X-Account: account= name=", "X-Account: account=u1 name=Ann",
 "X-Account: account=u1 name=Ann", "X-Account: account=u1 name=Ann",
 "X-Account: account=u1 name=Annabel-Lee-with-a-much-longer-name-than-before",
 "X-Account: account=u1 name=Annabel-Lee-with-a-much-longer-name-than-before",
 "X-Account: account=u1 name=Annabel-Lee-with-a-much-longer-name-than-before",
 "X-Account: account=u2 name=Bob", "", "",
 "X-Account: account=u2 name=Robert", ""]
--- response_body_like eval
["app", "app", "app", "app", "app", "app", "app", "app", "app",
 qr/ account=u2 name=Bob$/,
 qr/ account=u1 name=Annabel-Lee-with-a-much-longer-name-than-before$/,
 "app", qr/ account=u2 name=Robert$/]
--- no_error_log
[error]
[warn]



=== TEST 5: a session that moves to an existing account with a new name renames it
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID;
    session_create $arg_new;
    session_account $arg_id name=$arg_name;

    location / {
        add_header X-Account "account=$session_account name=$session_account_name" always;
        return 204;
    }
--- request eval
["GET /?new=a&id=u1&name=Ann", "GET /?new=b&id=u2&name=Bob",
 "GET /?id=u2&name=Robert", "GET /", "GET /?id=u2", "GET /"]
--- more_headers eval
["", "", "Cookie: SID=a", "Cookie: SID=b", "Cookie: SID=a",
 "Cookie: SID=a"]
--- error_code eval
[204, 204, 204, 204, 204, 204]
--- response_headers eval
["X-Account: account=u1 name=Ann", "X-Account: account=u2 name=Bob",
 "X-Account: account=u2 name=Robert", "X-Account: account=u2 name=Robert",
 "X-Account: account=u2 name=Robert", "X-Account: account=u2 name=Robert"]
--- no_error_log
[error]
[warn]



=== TEST 6: session_account is inherited as a whole and may be replaced
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID;
    session_create $arg_new;
    session_account $arg_id name=$arg_name;

    location = /a {
        add_header X-Account "account=$session_account name=$session_account_name" always;
        return 204;
    }

    location = /b {
        session_account $arg_other;
        add_header X-Account "account=$session_account name=$session_account_name" always;
        return 204;
    }
--- request eval
["GET /a?new=1&id=x&name=X", "GET /b?new=2&id=y&name=Y&other=z"]
--- error_code eval
[204, 204]
--- response_headers eval
["X-Account: account=x name=X", "X-Account: account=z name=z"]
--- no_error_log
[error]
[warn]



=== TEST 7: session_var: several, empty changes nothing, a new value replaces the old
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID;
    session_create $arg_new;
    session_var host $arg_host;
    session_var consoleType $arg_console;
    session_var role $arg_role;

    location / {
        add_header X-Vars "host=$session_var_host console=$session_var_consoletype role=$session_var_ROLE none=$session_var_none" always;
        return 204;
    }
--- request eval
["GET /?new=t&host=h1&console=19",
 "GET /", "GET /?role=admin", "GET /?host=h2&console=",
 "GET /?console=20"]
--- more_headers eval
["", "Cookie: SID=t", "Cookie: SID=t", "Cookie: SID=t", "Cookie: SID=t"]
--- error_code eval
[204, 204, 204, 204, 204]
--- response_headers eval
["X-Vars: host=h1 console=19 role= none=",
 "X-Vars: host=h1 console=19 role= none=",
 "X-Vars: host=h1 console=19 role=admin none=",
 "X-Vars: host=h2 console=19 role=admin none=",
 "X-Vars: host=h2 console=20 role=admin none="]
--- no_error_log
[error]
[warn]



=== TEST 8: session_var in a location replaces the inherited list; values persist
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID;
    session_create $arg_new;
    session_var host $arg_host;

    location = /a {
        add_header X-Vars "host=$session_var_host desc=$session_var_description" always;
        return 204;
    }

    location = /b {
        session_var description $arg_d;
        add_header X-Vars "host=$session_var_host desc=$session_var_description" always;
        return 204;
    }
--- request eval
["GET /a?new=t&host=h", "GET /b?host=ignored&d=hello", "GET /a"]
--- more_headers eval
["", "Cookie: SID=t", "Cookie: SID=t"]
--- error_code eval
[204, 204, 204]
--- response_headers eval
["X-Vars: host=h desc=", "X-Vars: host=h desc=hello",
 "X-Vars: host=h desc=hello"]
--- no_error_log
[error]
[warn]



=== TEST 9: a variable set in two locations under names differing in case is one variable
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID;
    session_create $arg_new;

    location = /a {
        session_var Role $arg_r;
        add_header X-Role "role=$session_var_role" always;
        return 204;
    }

    location = /b {
        session_var role $arg_r;
        add_header X-Role "role=$session_var_role" always;
        return 204;
    }
--- request eval
["GET /a?new=t&r=one", "GET /b?r=two", "GET /a", "GET /a?r=three",
 "GET /b"]
--- more_headers eval
["", "Cookie: SID=t", "Cookie: SID=t", "Cookie: SID=t", "Cookie: SID=t"]
--- error_code eval
[204, 204, 204, 204, 204]
--- response_headers eval
["X-Role: role=one", "X-Role: role=two", "X-Role: role=two",
 "X-Role: role=three", "X-Role: role=three"]
--- no_error_log
[error]
[warn]



=== TEST 10: the variables in return and add_header
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID;
    session_type imap;
    session_account $arg_id name=$arg_name;
    session_var host $arg_host;

    location = /login {
        session_create $arg_new;
        return 204;
    }

    location = /t {
        add_header X-Session "sid=$session_id type=$session_type account=$session_account name=$session_account_name var=$session_var_host";
        return 200 "sid=$session_id new=$session_new type=$session_type account=$session_account name=$session_account_name var=$session_var_host\n";
    }
--- request eval
["GET /login?new=t&id=7&name=Zed&host=example.org", "GET /t"]
--- more_headers eval
["", "Cookie: SID=t"]
--- error_code eval
[204, 200]
--- response_headers_like eval
["", "X-Session: sid=[0-9a-f]{32} type=imap account=7 name=Zed var=example.org"]
--- response_body_like eval
["", qr/^sid=[0-9a-f]{32} new=0 type=imap account=7 name=Zed var=example.org\n$/]
--- no_error_log
[error]
[warn]



=== TEST 11: the variables in log_format, on the request that creates the session
--- http_config
    session_zone zone=s:1m;
    log_format sess "sess sid=$session_id new=$session_new type=$session_type account=$session_account name=$session_account_name var=$session_var_host";
--- config
    session_track s;
    session_key $cookie_SID;
    session_type imap;
    session_account $arg_id name=$arg_name;
    session_var host $arg_host;

    location = /login {
        session_create $arg_new;
        access_log logs/access.log sess;
        return 204;
    }
--- request
GET /login?new=t&id=7&name=Zed&host=example.org
--- error_code: 204
--- access_log eval
qr/^sess sid=[0-9a-f]{32} new=1 type=imap account=7 name=Zed var=example.org$/
--- no_error_log
[error]
[warn]



=== TEST 12: the variables in log_format, on a later request
--- http_config
    session_zone zone=s:1m;
    log_format sess "sess sid=$session_id new=$session_new account=$session_account var=$session_var_host uri=$uri";
--- config
    session_track s;
    session_key $cookie_SID;
    session_account $arg_id;
    session_var host $arg_host;
    access_log logs/access.log sess;

    location = /login {
        session_create $arg_new;
        return 200 "in\n";
    }

    location = /t {
        return 200 "t\n";
    }
--- pipelined_requests eval
["GET /login?new=t&id=7&host=example.org", "GET /t"]
--- more_headers
Cookie: SID=t
--- response_body eval
["in\n", "t\n"]
--- access_log eval
[qr/^sess sid=[0-9a-f]{32} new=1 account=7 var=example.org uri=\/login$/,
 qr/^sess sid=[0-9a-f]{32} new=0 account=7 var=example.org uri=\/t$/]
--- no_error_log
[error]
[warn]



=== TEST 13: $session_created is the creation time in milliseconds and does not move
--- http_config
    session_zone zone=s:1m;
--- config
    session_track s;
    session_key $cookie_SID;

    location = /login {
        session_create $arg_new;
        add_header X-Created $session_created;
        return 200 '{"created":"$session_created"}';
    }

    location = /t {
        return 200 '{"created":$session_created,"now":$msec}';
    }
--- request eval
["GET /login?new=t", "GET /t", "GET /t"]
--- more_headers eval
["", "Cookie: SID=t", "Cookie: SID=t"]
--- wait: 0.2
--- response_headers_like eval
["X-Created: 1\\d{12}", "", ""]
--- json eval
['$_->{created} eq ""',
 '$_->{created} =~ /^\d{13}$/ && abs($_->{created} / 1000 - time) < 60
  && $_->{created} / 1000 < $_->{now} - 0.1',
 '$_->{created} =~ /^\d{13}$/ && $_->{created} / 1000 < $_->{now} - 0.3']
--- no_error_log
[error]
[warn]
