# session_field ... request: fields of the login request's body (a form,
# JSON by JSON Pointer, XML by XPath with namespaces) as the account, a
# variable and the token of a session; the body is read by nginx's own
# body reading in the locations that ask, and only there, and reaches the
# upstream unchanged.
#
# Blocks keep sessions from one request to the next, so each runs once.

use t::TestSession 'no_plan';

our $HttpConfig = <<'_EOC_';
    session_zone zone=s:1m;
_EOC_

# the application sets SID=$arg_t at /app/login, and nothing else
our $Config = <<'_EOC_';
    location /app/ {
        add_header Set-Cookie "SID=$arg_t; Path=/";
        return 200 "app\n";
    }

    location = /login {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_field $login_user request
            form=username json=/user/name
            xml=/a:login/a:user xmlns:a=urn:example:auth;
        session_field $login_org request
            form=org json=/org xml=string(/a:login/@org)
            xmlns:a=urn:example:auth;
        session_account $login_user name=$login_user;
        session_var org $login_org;
        proxy_pass http://127.0.0.1:$server_port/app/login$is_args$args;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "sid=$session_id account=$session_account org=$session_var_org\n";
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("http_config", $HttpConfig)
        unless defined $block->http_config;
    $block->set_value("config", $Config) unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: a form, JSON and XML login, each with its account
--- request eval
["POST /login?t=f1\nusername=alice%40example.com&password=s3cr%26t&org=acme+corp",
 "GET /who",
 "POST /login?t=j1\n{\"user\": {\"name\": \"bob\"}, \"password\": \"x\", \"org\": \"beta\"}",
 "GET /who",
 "POST /login?t=x1\n<?xml version=\"1.0\"?>\n<login xmlns=\"urn:example:auth\" org=\"gamma\"><user> carol </user><password>p</password></login>",
 "GET /who"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded", "Cookie: SID=f1",
 "Content-Type: application/json", "Cookie: SID=j1",
 "Content-Type: text/xml", "Cookie: SID=x1"]
--- response_body_like eval
["app\n", qr/^sid=[0-9a-f]{32} account=alice\@example.com org=acme corp$/,
 "app\n", qr/^sid=[0-9a-f]{32} account=bob org=beta$/,
 "app\n", qr/^sid=[0-9a-f]{32} account=carol org=gamma$/]
--- no_error_log
[error]
[warn]
