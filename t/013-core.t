# Regressions found by the review of the module's core: the request
# lifecycle of streamed answers, lookups made by subrequests, and the
# zone's bookkeeping.  Blocks keep sessions from one request to the
# next, so each runs once.

use t::TestSession 'no_plan';
use t::StatusCheck;
use IO::Select ();
use Socket ();

run_tests();

__DATA__

=== TEST 1: a write event during a limit_rate delay does not stall a listing
A client that reads through a small socket buffer wakes the stream's
write handler while the write filter waits out limit_rate; the listing
must still finish (the handler used to drop the delay's timer, and the
write filter sends nothing while the connection is delayed: the request
hung for ever, with no send_timeout either).
--- http_config
    session_zone zone=rc1:4m;
--- config
    listen 127.0.0.2:$TEST_NGINX_SERVER_PORT reuseport sndbuf=4k;

    location = /login {
        session_track rc1;
        session_create $arg_t;
        return 204;
    }

    location = /status {
        session_admin 1;
        limit_rate 64k;
        session_status rc1;
    }
--- request
GET /status
--- pages
for my $i (1 .. 600) {
    get("/login?t=tok$i")->{status} == 204 or die "login $i";
}

for my $try (1 .. 2) {
    my $sock = IO::Socket::INET->new(Proto => "tcp") or die "socket: $!";
    setsockopt($sock, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 2048)
        or die "SO_RCVBUF: $!";
    $sock->connect(Socket::pack_sockaddr_in(
                       Test::Nginx::Util::server_port_for_client(),
                       Socket::inet_aton("127.0.0.2")))
        or die "connect: $!";

    print $sock "GET /status?list=1&limit=600 HTTP/1.1\r\n"
                . "Host: localhost\r\nConnection: close\r\n\r\n";

    my $sel = IO::Select->new($sock);
    my $res = '';
    my $deadline = Time::HiRes::time() + 6;

    while (Time::HiRes::time() < $deadline) {
        next if !$sel->can_read(0.1);
        my $n = sysread($sock, my $buf, 512);
        last if !$n;
        $res .= $buf;
    }

    close $sock;

    like($res, qr/"count":600,"next":null/,
         "try $try: the whole listing arrived")
        or diag("got " . length($res) . " bytes");
}



=== TEST 2: a subrequest whose location has no session_key does not hide the session
auth_request evaluates a session variable in a location without
session_key or session_track: the main request still finds its session,
counts as its activity, and logs it out.
--- http_config
    session_zone zone=rc2:1m;
--- config
    location = /login {
        session_track rc2;
        session_create $arg_t;
        return 204;
    }

    location / {
        session_track rc2;
        session_key $cookie_SID;
        session_end $arg_logout;
        auth_request /auth;
        proxy_set_header X-Sid $session_id;
        proxy_pass http://127.0.0.1:$server_port/echo;
    }

    location = /echo {
        return 200 "sid=$http_x_sid";
    }

    location = /auth {
        internal;
        set $x $session_type;
        return 204;
    }

    location = /status {
        session_admin 1;
        session_status rc2;
    }
--- request
GET /status
--- pages
get("/login?t=a1")->{status} == 204 or die "login";

like(get("/", Cookie => "SID=a1")->{content}, qr/^sid=[0-9a-f]{32}$/,
     "the main request sees its session");
get("/", Cookie => "SID=a1");

my ($r, $d) = get_json("/status?list=1");
is($d->{sessions}[0]{requests}, 3, "both requests counted");

get("/?logout=1", Cookie => "SID=a1");

($r, $d) = get_json("/status?list=1");
is($d->{count}, 0, "logged out");
--- no_error_log
[error]



=== TEST 3: a lookup made by a subrequest in an untracked location still counts
The subrequest's location inherits session_key but not session_track: its
lookup must not leave the main request's activity uncounted.
--- http_config
    session_zone zone=rc3:1m;
--- config
    session_key $cookie_SID;

    location = /login {
        session_track rc3;
        session_create $arg_t;
        return 204;
    }

    location / {
        session_track rc3;
        auth_request /auth;
        proxy_set_header X-Sid $session_id;
        proxy_pass http://127.0.0.1:$server_port/echo;
    }

    location = /echo {
        return 200 "sid=$http_x_sid";
    }

    location = /auth {
        internal;
        set $x $session_account;
        return 204;
    }

    location = /status {
        session_admin 1;
        session_status rc3;
    }
--- request
GET /status
--- pages
get("/login?t=b1")->{status} == 204 or die "login";

like(get("/", Cookie => "SID=b1")->{content}, qr/^sid=[0-9a-f]{32}$/,
     "the main request sees its session");
get("/", Cookie => "SID=b1");

my ($r, $d) = get_json("/status?list=1");
is($d->{sessions}[0]{requests}, 3, "both requests counted");
--- no_error_log
[error]



=== TEST 4: an account page resumes after its last session is gone, in a long list
The next page scans the account's list for the sessions after the
cursor's seq; in a list longer than one batch may visit, the scan goes on
over several lock holds, and nothing is skipped or listed twice.
--- http_config
    session_zone zone=rc4:4m;
--- config
    location = /login {
        session_track rc4;
        session_create $arg_t;
        session_account big;
        return 204;
    }

    location = /logout {
        session_track rc4;
        session_key $cookie_SID;
        session_end 1;
        return 204;
    }

    location = /status {
        session_admin 1;
        session_status rc4;
    }
--- request
GET /status
--- pages
for my $i (1 .. 700) {
    get("/login?t=tok$i")->{status} == 204 or die "login $i";
}

my ($r, $d) = get_json("/status?list=1&account=big&limit=650");
is($d->{count}, 650, "first page");
my $next = $d->{next};
ok(defined $next, "a cursor");
my %seen = map { $_->{sid} => 1 } @{ $d->{sessions} };

# the page's last session: the 650th login
get("/logout", Cookie => "SID=tok650")->{status} == 204 or die "logout";

($r, $d) = get_json("/status?list=1&account=big&limit=1000&cursor=$next");
is($d->{count}, 50, "the 50 sessions after it");
is(scalar(grep { $seen{$_->{sid}} } @{ $d->{sessions} }), 0,
   "none listed twice");
is($d->{next}, undef, "the end");
--- no_error_log
[error]



=== TEST 5: endpoints as SSI includes: each authenticates by its own location
The page itself tracks nothing; the two listings stream as subrequests,
whole and in order (an endpoint in a subrequest used to answer 500: it
looked its caller up in the main request's location).
--- http_config
    session_zone zone=rc5:4m;
--- config
    location = /login {
        session_track rc5;
        session_create $arg_t;
        return 204;
    }

    location = /status {
        session_admin 1;
        session_status rc5;
    }

    location = /page.html {
        ssi on;
        ssi_types *;
        root html;
    }
--- user_files
>>> page.html
A<!--# include virtual="/status?list=1&limit=600" -->B<!--# include virtual="/status?list=1&limit=600" -->C
--- request
GET /status
--- pages
for my $i (1 .. 600) {
    get("/login?t=tok$i")->{status} == 204 or die "login $i";
}

my $r = get("/page.html");
my $c = $r->{content} // '';

is($r->{status}, 200, "page");
is(scalar(() = $c =~ /"count":600,"next":null/g), 2, "both listings whole")
    or diag(length($c) . " bytes: " . substr($c, 0, 300));
like($c, qr/^A\{.*\}\nB\{.*\}\nC\n?$/s, "in order");

# HTTP/1.0: no chunks, the end of the answer closes the connection
my $sock = IO::Socket::INET->new(
    PeerAddr => "127.0.0.1",
    PeerPort => Test::Nginx::Util::server_port_for_client(),
    Timeout => 10,
) or die "connect: $!";
print $sock "GET /status?list=1&limit=600 HTTP/1.0\r\n\r\n";
my $res = do { local $/; <$sock> } // '';
close $sock;
my ($head, $body) = split /\r\n\r\n/, $res, 2;
like($head, qr{^HTTP/1\.1 200 }, "HTTP/1.0: 200");
unlike($head, qr/Transfer-Encoding/i, "HTTP/1.0: not chunked");
like($body // '', qr/\A\{"sessions":\[.*"count":600,"next":null,.*\}\n\z/s,
     "HTTP/1.0: the whole listing, then the end of the connection");

# HEAD: the header only
$sock = IO::Socket::INET->new(
    PeerAddr => "127.0.0.1",
    PeerPort => Test::Nginx::Util::server_port_for_client(),
    Timeout => 10,
) or die "connect: $!";
print $sock "HEAD /status?list=1&limit=600 HTTP/1.1\r\nHost: localhost\r\n"
            . "Connection: close\r\n\r\n";
$res = do { local $/; <$sock> } // '';
close $sock;
like($res, qr{^HTTP/1\.1 200 .*\r\n\r\n\z}s, "HEAD: the header, no body");
--- no_error_log
[error]



=== TEST 6: a request that re-sets its own session's cookie counts once
The application sets the same cookie on every answer (a sliding
expiry), and a variable looked the session up before the answer came: the
request was counted by that lookup and again when the cookie "created"
the session it already had.
--- http_config
    session_zone zone=rc6:1m;
    limit_req_zone $server_port zone=rc6slow:1m rate=2r/s;
--- config
    location /app/ {
        limit_req zone=rc6slow burst=10;
        add_header Set-Cookie "SID=$arg_t";
        root html;
        try_files /app.txt =404;
    }

    location / {
        session_track rc6;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        proxy_set_header X-Sid $session_id;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /status {
        session_track off;
        session_admin 1;
        session_status rc6;
    }
--- user_files
>>> app.txt
app
--- request eval
["GET /login?t=c1", "GET /x?t=c1", "GET /status?list=1"]
--- more_headers eval
["", "Cookie: SID=c1", ""]
--- json eval
[undef, undef, '$_->{count} == 1 && $_->{sessions}[0]{requests} == 2']
--- no_error_log
[error]
