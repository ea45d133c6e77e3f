# Recipe: a form login (docs/login.md), as PHP, Django and Rails (Devise)
# applications take it: the browser posts the login form, the
# application answers with a redirect and its session cookie.  The
# account comes from the form field the operator names (never the
# password: only named fields are read); the session from the cookie.
# The Set-Cookie bytes are each framework's own; then the session and
# its account show in a Zimbra dump, a Hornbill getSessionInfo and a
# Commvault GET Session.

use t::TestSession 'no_plan';
use t::Login;

our $Php = 'username=alice%40example.com&password=s3cret%21';
our $Django = 'csrfmiddlewaretoken=yA4cFVkb2QmT8k0c1SEd2xgDF3VnVJcq5m3N6'
            . 'Rwa8zTjWfEaB7zGx9uWJtZ1XoLc&username=bob&password=s3cret'
            . '%21&next=%2Fdashboard%2F';
our $Rails = 'authenticity_token=Vq3sHq8VYxq7c%2BqkqVw6vWl0r3mX0aVqB9kG5'
           . 'kJvZ2cXQ3W8gkJm1t8i0H6oY7yXhA4bzXn0wZc5Yq1w0nLQ%3D%3D&user%5Bemail'
           . '%5D=carol%40example.com&user%5Bpassword%5D=s3cret%21&user%5B'
           . 'remember_me%5D=0&commit=Log+in';

our $PhpSid = 'k3q9d1m0b8v2c7x6z5n4a3s2d1';
our $DjangoSid = 'x8f2kq0vz5m1n7b3c9d4e6f0g2h8j1k5';
our $RailsSid = 'T2hNU2VTc2lvbklkQ2hhbmdlc0FmdGVyTG9naW4%3D--0c1d2e3f4a5b';

start_stub(
    ['POST', qr{^/login\.php$}, undef,
     "302 Found\r\nLocation: /home.php\r\n"
     . "Expires: Thu, 19 Nov 1981 08:52:00 GMT\r\n"
     . "Cache-Control: no-store, no-cache, must-revalidate\r\n"
     . "Set-Cookie: PHPSESSID=$PhpSid; path=/; HttpOnly\r\n\r\n"],
    ['POST', qr{^/accounts/login/$}, undef,
     "302 Found\r\nLocation: /dashboard/\r\n"
     . "Set-Cookie: csrftoken=Jq0Yb4nU8cR2tW6zX1vA5sD9fG3hK7mL; expires=Thu, "
     . "03 Dec 2027 15:00:00 GMT; Max-Age=31449600; Path=/; SameSite=Lax\r\n"
     . "Set-Cookie: sessionid=$DjangoSid; expires=Fri, 18 Dec 2026 15:00:00 "
     . "GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax\r\n\r\n"],
    ['POST', qr{^/users/sign_in$}, undef,
     "303 See Other\r\nLocation: http://localhost/\r\n"
     . "Set-Cookie: _myapp_session=$RailsSid; path=/; httponly; "
     . "samesite=lax\r\n\r\n"],
);

our $HttpConfig = <<'_EOC_';
    session_zone zone=s:1m;

    upstream app {
        server 127.0.0.1:$TEST_NGINX_STUB_PORT;
    }
_EOC_

our $Config = <<'_EOC_' . $Endpoints;
    session_track s;
    session_key $cookie_PHPSESSID $cookie_sessionid $cookie__myapp_session;

    # PHP
    location = /login.php {
        session_field $login_user request form=username;
        session_create $upstream_cookie_PHPSESSID;
        session_account $login_user name=$login_user;
        proxy_pass http://app;
    }

    # Django (django.contrib.auth's LoginView)
    location = /accounts/login/ {
        session_field $login_user request form=username;
        session_create $upstream_cookie_sessionid;
        session_account $login_user name=$login_user;
        proxy_pass http://app;
    }

    # Rails with Devise: the field is user[email]
    location = /users/sign_in {
        session_field $login_user request form=user[email];
        session_create $upstream_cookie__myapp_session;
        session_account $login_user name=$login_user;
        proxy_pass http://app;
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

=== TEST 1: PHP, Django and Rails logins, each with its account; the password is never read
--- request eval
["POST /login.php\n$::Php", "POST /accounts/login/\n$::Django",
 "POST /users/sign_in\n$::Rails", $::Dump,
 $::Info, $::Info, $::Info,
 $::List . "alice\@example.com", $::List . "bob",
 $::List . "carol\@example.com"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nCookie: PHPSESSID=anon0",
 "Content-Type: application/x-www-form-urlencoded\n"
 . "Cookie: csrftoken=Jq0Yb4nU8cR2tW6zX1vA5sD9fG3hK7mL",
 "Content-Type: application/x-www-form-urlencoded", "",
 "Cookie: PHPSESSID=$::PhpSid", "Cookie: sessionid=$::DjangoSid",
 "Cookie: _myapp_session=$::RailsSid",
 "Accept: application/json\nCookie: PHPSESSID=$::PhpSid",
 "Accept: application/json\nCookie: sessionid=$::DjangoSid",
 "Accept: application/json\nCookie: _myapp_session=$::RailsSid"]
--- error_code eval
[302, 302, 303, 200, 200, 200, 200, 200, 200, 200]
--- response_headers eval
["X-Stub-Body-MD5: " . main::md5($::Php),
 "X-Stub-Body-MD5: " . main::md5($::Django),
 "X-Stub-Body-MD5: " . main::md5($::Rails), "", "", "", "", "", "", ""]
--- response_body_like eval
["", "", "", 'activeSessions="3"', "<userId>alice\@example.com</userId>",
 "<userId>bob</userId>", "<userId>carol\@example.com</userId>",
 '"userName":"alice@example.com"', '"userName":"bob"',
 '"userName":"carol@example.com"']
--- xsd eval
[undef, undef, undef, "zimbraAdmin.xsd", undef, undef, undef, undef, undef,
 undef]
--- xpath eval
[undef, undef, undef, <<'_EOX_', undef, undef, undef, undef, undef, undef]
count(//za:soap/za:zid) => 3
count(//za:soap/za:zid[@name='alice@example.com']/za:s) => 1
count(//za:soap/za:zid[@name='bob']/za:s) => 1
count(//za:soap/za:zid[@name='carol@example.com']/za:s) => 1
count(//za:soap/za:zid[@name='s3cret!']) => 0
_EOX_
--- no_error_log
[error]
[warn]
