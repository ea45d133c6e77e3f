# session_status: the busiest accounts in the JSON, and the dashboard
# page (?format=html, or Accept: text/html first): who gets it, its
# headers, and that it is self-contained and allowed by its own
# Content-Security-Policy.  A real browser runs the page in
# t/411-status-browser.t.

use t::TestSession 'no_plan';
use t::StatusCheck;

use Digest::SHA ();


run_tests();

__DATA__

=== TEST 1: busiest accounts: most open sessions first, names, types, no anonymous
--- http_config
    session_zone zone=sd1:1m;
--- request eval
["GET /login?t=a1&u=alice", "GET /login?t=a2&u=alice",
 "GET /login?t=a3&u=alice", "GET /login?t=b1&u=bob",
 "GET /login?t=b2&u=bob", "GET /imap/login?t=c1&u=carol",
 "GET /imap/login?t=n1", "GET /status"]
--- more_headers eval
["X-Name: Alice A.", "", "", "", "", "X-Name: Carol \"C\"", "", ""]
--- error_code eval
[200, 200, 200, 200, 200, 200, 200, 200]
--- json eval
[undef, undef, undef, undef, undef, undef, undef, <<'END']
my $b = $_->{busiest_accounts};
@$b == 3
&& join(",", map { "$_->{account}/$_->{type}/$_->{open}" } @$b)
   eq "alice/soap/3,bob/soap/2,carol/imap/1"
&& $b->[0]{name} eq 'Alice A.' && !defined $b->[1]{name}
&& $b->[2]{name} eq 'Carol "C"'
&& join(",", sort keys %{ $b->[0] }) eq "account,name,open,type"
END
--- no_error_log
[error]



=== TEST 2: busiest accounts: logouts lower the count, an account with no open session leaves
--- http_config
    session_zone zone=sd2:1m keep_closed=1m;
--- request eval
["GET /login?t=a1&u=alice", "GET /login?t=a2&u=alice",
 "GET /login?t=b1&u=bob", "GET /logout?logout=1",
 "GET /logout?logout=1", "GET /status"]
--- more_headers eval
["", "", "", "Cookie: SID=a1", "Cookie: SID=b1", ""]
--- error_code eval
[200, 200, 200, 200, 200, 200]
--- json eval
[undef, undef, undef, undef, undef, <<'END']
my $b = $_->{busiest_accounts};
@$b == 1 && $b->[0]{account} eq 'alice' && $b->[0]{open} == 1
&& $_->{sessions}{closed} == 2
END
--- no_error_log
[error]



=== TEST 3: busiest accounts: ten of twelve, by open sessions, on two workers
--- http_config
    session_zone zone=sd3:1m;
--- config
    session_key $cookie_SID;

    location /app/ {
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $arg_u;
        return 200 "app\n";
    }

    location / {
        session_track sd3;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /status {
        session_admin 1;
        session_status sd3;
    }
--- request eval
my @r;
# account uN gets N sessions, created in an order that interleaves them
for my $round (1 .. 12) {
    for my $n ($round .. 12) {
        push @r, "GET /login?t=u${n}s$round&u=u$n";
    }
}
[@r, "GET /status"]
--- error_code eval
[(200) x 79]
--- json eval
[(undef) x 78, <<'END']
my $b = $_->{busiest_accounts};
join(",", map { "$_->{account}:$_->{open}" } @$b)
eq join(",", map { "u$_:$_" } reverse 3 .. 12)
END
--- no_error_log
[error]



=== TEST 4: ?format=html: the page, its headers, self-contained and allowed by its own policy
--- http_config
    session_zone zone=sd4:1m;
--- request
GET /status?format=html
--- response_headers
Content-Type: text/html; charset=utf-8
Cache-Control: no-store
X-Content-Type-Options: nosniff
Referrer-Policy: no-referrer
!Vary
--- response_body_like: ^<!DOCTYPE html>.*<title>Sessions</title>.*</html>\n\z
--- response_headers_like
Content-Security-Policy: ^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]{43}='; style-src 'sha256-[A-Za-z0-9+/]{43}='; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$
--- pages
my $r = get("/status?format=html");
my $body = $r->{content};
my $csp = $r->{headers}{'content-security-policy'};

my @scripts = $body =~ m{<script>(.*?)</script>}gs;
my @styles = $body =~ m{<style>(.*?)</style>}gs;
is(scalar @scripts, 1, "one inline script");
is(scalar @styles, 1, "one inline style");

my $hash = sub {
    my $h = Digest::SHA::sha256_base64(shift);
    $h .= '=' while length($h) % 4;
    return "'sha256-$h'";
};
like($csp, qr/script-src \Q${\ $hash->($scripts[0])}\E;/,
     "the policy allows the page's script by its hash");
like($csp, qr/style-src \Q${\ $hash->($styles[0])}\E;/,
     "the policy allows the page's style by its hash");

# nothing loaded from elsewhere: every src/href is data: or a fragment,
# no @import, no url() in the style, no script built from a string
my @refs = $body =~ m{\b(?:src|href|action)\s*=\s*"([^"]*)"}gi;
is_deeply([grep { !/^(?:data:|#)/ } @refs], [], "no external src or href");
unlike($styles[0], qr/\@import|url\(/, "the style loads nothing");
unlike($scripts[0], qr/\beval\(|new Function|innerHTML|document\.write/,
       "the script builds no code or markup from strings");

# the page polls the JSON of its own location
like($scripts[0], qr/location\.pathname \+ '\?format=json'/,
     "it polls ?format=json of its own location");
--- no_error_log
[error]



=== TEST 5: Accept decides when format is not given: text/html first gets the page
--- http_config
    session_zone zone=sd5:1m;
--- request eval
[("GET /status") x 6, "HEAD /status?format=html"]
--- more_headers eval
["Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
 "Accept: TEXT/HTML",
 "Accept: */*",
 "Accept: application/json, text/html",
 "Accept: text/htmlx",
 "Accept: text/plain, text/html",
 ""]
--- response_headers eval
["Content-Type: text/html; charset=utf-8\nVary: Accept",
 "Content-Type: text/html; charset=utf-8\nVary: Accept",
 "Content-Type: application/json\nVary: Accept",
 "Content-Type: application/json\nVary: Accept",
 "Content-Type: application/json\nVary: Accept",
 "Content-Type: text/plain; version=0.0.4; charset=utf-8\nVary: Accept",
 "Content-Type: text/html; charset=utf-8\n!Vary"]
--- response_body_like eval
["^<!DOCTYPE html>", "^<!DOCTYPE html>", '^\{', '^\{', '^\{',
 "^# HELP", "^\\z"]
--- error_code eval
[200, 200, 200, 200, 200, 200, 200]
--- no_error_log
[error]



=== TEST 6: the page is admin only, like the JSON: a browser without rights gets the JSON refusal
--- http_config
    session_zone zone=sd6:1m;
--- request eval
["GET /status/user?format=html", "GET /login?t=u1&u=user",
 "GET /status/user", "GET /login?t=r1&u=root", "GET /status/user"]
--- more_headers eval
["Accept: text/html",
 "",
 "Accept: text/html\nCookie: SID=u1",
 "",
 "Accept: text/html\nCookie: SID=r1"]
--- error_code eval
[401, 200, 403, 200, 200]
--- response_headers eval
["Content-Type: application/json", "",
 "Content-Type: application/json", "",
 "Content-Type: text/html; charset=utf-8"]
--- response_body_like eval
['"authentication required', "app", '"permission denied', "app",
 "^<!DOCTYPE html>"]
--- no_error_log
[error]
