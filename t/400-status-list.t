# session_status ?list=1: the paginated session list, its cursor, its
# filters and their errors, and PCRE2 patterns that would backtrack for
# ever.  Blocks with "--- pages" drive the pagination from Perl while
# nginx runs (t/StatusCheck.pm), so each page can resume from the
# cursor the previous page returned.

use t::TestSession 'no_plan';
use t::StatusCheck;


run_tests();

__DATA__

=== TEST 1: an empty zone: an empty page and no cursor
--- http_config
    session_zone zone=sl1:1m;
--- request
GET /status?list=1
--- response_headers
Content-Type: application/json
--- response_body
{"sessions":[],"count":0,"next":null,"match_limit_hits":0}
--- no_error_log
[error]



=== TEST 2: the fields of a session record
--- http_config
    session_zone zone=sl2:1m;
--- request
GET /status?list=1
--- pages
login("a1", u => "alice", name => "Alice Liddell", ip => "192.0.2.10");
get("/sid", Cookie => "SID=a1", "X-Real-IP" => "192.0.2.10");
login("i1", type => "imap", ip => "2001:db8::5");

my ($r, $d) = get_json("/status?list=1");
is($r->{status}, 200, "list answered");
is($r->{headers}{'content-type'}, "application/json", "JSON");
is($d->{count}, 2, "two sessions");
is($d->{next}, undef, "no next page");
is($d->{match_limit_hits}, 0, "no pattern");

my ($a) = grep { ($_->{account} // '') eq 'alice' } @{ $d->{sessions} };
my ($i) = grep { !defined $_->{account} } @{ $d->{sessions} };

is(join(",", sort keys %$a),
   "account,addr,created,last,logout,name,requests,sid,type,vars",
   "record fields");
is($a->{sid}, get("/sid", Cookie => "SID=a1", "X-Real-IP" => "192.0.2.10")
              ->{content},
   "sid is \$session_id");
like($a->{sid}, qr/^[0-9a-f]{32}$/, "sid is 32 hex");
is($a->{type}, "soap", "type");
is($a->{name}, "Alice Liddell", "name");
ok($a->{created} > 1.6e12 && $a->{created} <= $a->{last}, "times in ms");
ok($a->{last} - $a->{created} < 60000, "last access");
is($a->{logout}, 0, "open: logout 0");
is($a->{addr}, "192.0.2.10", "client address");
is($a->{requests}, 2, "requests counted");
is_deeply($a->{vars}, { host => "127.0.0.1" }, "vars: the Host");

is($i->{type}, "imap", "imap type");
is($i->{account}, undef, "no account: null");
is($i->{name}, undef, "no account: no name");
is($i->{addr}, "2001:db8::5", "IPv6 address");
is_deeply($i->{vars}, {}, "no vars: {}");
--- no_error_log
[error]



=== TEST 3: pages with a small limit: every session exactly once
--- http_config
    session_zone zone=sl3:1m;
--- request
GET /status?list=1&limit=1000
--- pages
login("p$_", u => "u$_", type => $_ % 3 ? undef : "imap") for 1 .. 23;

my ($all) = walk("/status?list=1&limit=1000");
is(scalar @$all, 23, "one page of all 23");

my ($sids, $pages) = walk("/status?list=1&limit=4");
is(scalar @$pages, 6, "six pages of at most 4");
ok(!grep({ $_->{count} != 4 } @$pages[0 .. 4]), "full pages but the last");
is($pages->[5]{count}, 3, "the rest on the last");
ok(!grep({ $_->{count} != @{ $_->{sessions} } } @$pages), "count is right");
is_deeply([duplicates(@$sids)], [], "no duplicates");
is_deeply([sort @$sids], [sort @$all], "every session once");
is_deeply($sids, $all, "in the order of one page");

($sids) = walk("/status?list=1&limit=1");
is_deeply($sids, $all, "limit=1: the same");
--- no_error_log
[error]



=== TEST 4: sessions created and logged out between pages
--- http_config
    session_zone zone=sl4:1m;
--- request
GET /status?list=1
--- pages
login("o$_", u => "o$_") for 1 .. 30;

my %gone;
my $n = 0;

my ($sids, $pages) = walk("/status?list=1&limit=3", sub {
    my ($i, $page) = @_;

    # the one the cursor names, one perhaps not listed yet, two new ones
    for my $acct ($page->{sessions}[-1]{account}, "o" . (30 - $i)) {
        next if $gone{$acct}++;
        logout($acct);
    }

    $n++;
    login("n$n-$_", u => "n$n-$_") for 1 .. 2;
});

ok($n >= 5, "changes between $n pages");
is_deeply([duplicates(@$sids)], [], "no session twice");

my %listed;
$listed{ $_->{account} }++ for map { @{ $_->{sessions} } } @$pages;

for my $i (1 .. 30) {
    next if $gone{"o$i"};
    is($listed{"o$i"}, 1, "o$i, open throughout, listed once");
}

ok(!grep({ $_ > 1 } values %listed), "no account twice");
--- no_error_log
[error]



=== TEST 5: closed=1 with keep_closed: logouts between pages, none lost
--- http_config
    session_zone zone=sl5:1m keep_closed=1m;
--- request
GET /status?list=1&closed=1
--- pages
login("c$_", u => "c$_") for 1 .. 20;

my ($before, $p0) = walk("/status?list=1&closed=1&limit=1000");
is(scalar @$before, 20, "20 sessions");

my ($sids) = walk("/status?list=1&closed=1&limit=3", sub {
    my ($i, $page) = @_;
    logout($page->{sessions}[-1]{account});
    logout("c" . (20 - $i)) if $i < 6;
});

is_deeply([duplicates(@$sids)], [], "no duplicates");
is_deeply([sort @$sids], [sort @$before],
          "every session exactly once, logged out or not");

my (undef, $pages) = walk("/status?list=1&closed=1&limit=1000");
my @closed = grep { $_->{logout} } map { @{ $_->{sessions} } } @$pages;
ok(@closed >= 6, scalar(@closed) . " logged out, listed with closed=1");
ok(!grep({ $_->{logout} < $_->{created} } @closed), "logout time set");

my ($open) = walk("/status?list=1&limit=1000");
is(scalar @$open, 20 - @closed, "without closed=1: the open ones");
--- no_error_log
[error]



=== TEST 6: account=: one account's sessions across types, paged
--- http_config
    session_zone zone=sl6:1m;
--- request
GET /status?list=1&account=alice
--- pages
login("a$_", u => "alice") for 1 .. 3;
login("ai$_", u => "alice", type => "imap") for 1 .. 2;
login("b$_", u => "bob") for 1 .. 2;
login("x1");

my ($all, $p) = walk("/status?list=1&account=alice&limit=1000");
is(scalar @$all, 5, "alice has 5 sessions");
ok(!grep({ $_->{account} ne 'alice' } map { @{ $_->{sessions} } } @$p),
   "only alice's");

my ($sids) = walk("/status?list=1&account=alice&limit=2");
is_deeply($sids, $all, "pages of 2: the same, in order");

my $k = 0;
($sids) = walk("/status?list=1&account=alice&limit=1", sub {
    $k++;
    login("an$k", u => "alice") if $k <= 3;
    logout("b$k") if $k <= 2;
});
is_deeply([duplicates(@$sids)], [], "no duplicates while it changes");
my %in = map { $_ => 1 } @$sids;
ok(!grep({ !$in{$_} } @$all), "every session of alice there at the start");

# the session a cursor names logged out before the next page
my %tok;
for my $t (map({ "a$_" } 1 .. 3), map({ "ai$_" } 1 .. 2),
           map({ "an$_" } 1 .. 3))
{
    $tok{ get("/sid", Cookie => "SID=$t")->{content} } = $t;
}

my ($start) = walk("/status?list=1&account=alice&limit=1000");
is(scalar @$start, 8, "alice has 8 sessions now");

my %out;
($sids) = walk("/status?list=1&account=alice&limit=2", sub {
    my ($i, $page) = @_;
    my $sid = $page->{sessions}[-1]{sid};
    $out{$sid} = 1;
    logout($tok{$sid}, type => $page->{sessions}[-1]{type} eq 'imap'
                              ? 'imap' : undef);
});
ok(keys %out >= 3, "cursors' sessions logged out: " . keys %out);
is_deeply([duplicates(@$sids)], [], "no duplicates");
is_deeply([sort @$sids], [sort @$start], "every session once");

($sids) = walk("/status?list=1&account=alice&limit=1000");
is(scalar @$sids, 8 - keys %out, "the logged-out ones are gone");

my ($imap, $pi) = walk("/status?list=1&account=alice&type=imap&limit=1");
is(scalar @$imap, 2 - grep({ /^ai/ } map { $tok{$_} } keys %out),
   "account and type");
ok(!grep({ $_->{type} ne 'imap' } map { @{ $_->{sessions} } } @$pi),
   "only imap");

my ($none) = walk("/status?list=1&account=nobody");
is(scalar @$none, 0, "an unknown account: none");
--- no_error_log
[error]



=== TEST 7: type=: the sessions of one type, paged; unknown type 400
--- http_config
    session_zone zone=sl7:1m;
--- request eval
["GET /status?list=1&type=nosuch", "GET /status?list=1&type=wiki"]
--- error_code eval
[400, 200]
--- json eval
['$_->{error}{status} == 400
  && $_->{error}{message} eq q{unknown session type "nosuch"}',
 '$_->{count} == 0 && !defined $_->{next}']
--- pages
login("s$_") for 1 .. 7;
login("i$_", type => "imap") for 1 .. 5;

my ($soap, $ps) = walk("/status?list=1&type=soap&limit=2");
is(scalar @$soap, 7, "7 soap sessions over pages of 2");
is_deeply([duplicates(@$soap)], [], "no duplicates");
ok(!grep({ $_->{type} ne 'soap' } map { @{ $_->{sessions} } } @$ps),
   "only soap");

my ($imap) = walk("/status?list=1&type=imap&limit=1000");
is(scalar @$imap, 5, "5 imap sessions");
--- no_error_log
[error]



=== TEST 8: addr=: exact client address, IPv4 and IPv6; bad address 400
255.255.255.255 is an address, though ngx_inet_addr() takes it for none
--- http_config
    session_zone zone=sl8:1m;
--- request eval
["GET /status?list=1&addr=bogus", "GET /status?list=1&addr=192.0.2.300",
 "GET /status?list=1&addr=192.0.2.10",
 "GET /status?list=1&addr=255.255.255.255",
 "GET /status?list=1&addr=::255.255.255.255",
 "GET /status?list=1&addr=1.2.3.4%00"]
--- error_code eval
[400, 400, 200, 200, 200, 400]
--- json eval
['$_->{error}{message} eq "addr must be an IPv4 or IPv6 address"',
 '$_->{error}{status} == 400', '$_->{count} == 0', '$_->{count} == 0',
 '$_->{count} == 0',
 '$_->{error}{message} eq "addr must be an IPv4 or IPv6 address"']
--- pages
login("a$_", ip => "192.0.2.10") for 1 .. 5;
login("b1", ip => "192.0.2.11");
login("c1", ip => "2001:db8::5");
login("d$_") for 1 .. 4;

my ($v4, $p) = walk("/status?list=1&addr=192.0.2.10&limit=2");
is(scalar @$v4, 5, "five from 192.0.2.10, pages of 2");
is_deeply([duplicates(@$v4)], [], "no duplicates");
ok(!grep({ $_->{addr} ne '192.0.2.10' } map { @{ $_->{sessions} } } @$p),
   "only that address");

my ($one) = walk("/status?list=1&addr=192.0.2.11");
is(scalar @$one, 1, "one from 192.0.2.11");

my ($v6) = walk("/status?list=1&addr=2001:0db8:0:0::5");
is(scalar @$v6, 1, "IPv6, written another way");

my ($local) = walk("/status?list=1&addr=127.0.0.1&limit=1");
is(scalar @$local, 4, "four from 127.0.0.1, pages of 1");
--- no_error_log
[error]



=== TEST 9: closed=: bad value 400
--- http_config
    session_zone zone=sl9:1m keep_closed=1m;
--- request eval
["GET /status?list=1&closed=yes", "GET /status?list=1&closed=0",
 "GET /status?list=1&closed=true"]
--- error_code eval
[400, 200, 200]
--- json eval
['$_->{error}{message} eq "closed must be 1 or 0"',
 '$_->{count} == 0', '$_->{count} == 0']
--- no_error_log
[error]



=== TEST 10: match=: a pattern on the account name, else its id
--- http_config
    session_zone zone=sl10:1m;
--- request
GET /status?list=1&match=.
--- pages
login("a1", u => "alice", name => "Alice Liddell");
login("a2", u => "alice", name => "Alice Liddell", type => "imap");
login("b1", u => "bob");
login("c1", u => "carol", name => "Carol");
login("z1", u => "zoe", name => "Zo\xc3\xab");
login("x1");

my %q = (
    '%5EAlice'         => 2,    # ^Alice: the name
    '%5Ealice'         => 0,    # the id does not count when named
    '%5Ebob%24'        => 1,    # ^bob$: no name, the id
    '.'                => 5,    # sessions without account never match
    '(%3Fi)%5Eal'      => 2,    # (?i)^al
    'Liddell%24'       => 2,
    '%5EZo.%24'        => 1,    # ^Zo.$: UTF-8, one character
    'a%7Co'            => 3,    # a|o: bob, Carol, Zoë
    'nomatch'          => 0,
);

for my $pat (sort keys %q) {
    my ($sids, $p) = walk("/status?list=1&limit=1&match=$pat");
    is(scalar @$sids, $q{$pat}, "match=$pat");
    is_deeply([duplicates(@$sids)], [], "match=$pat: no duplicates");
    ok(!grep({ $_->{match_limit_hits} } @$p), "match=$pat: no limit hit");
}
--- no_error_log
[error]



=== TEST 11: a bad pattern: 400 with PCRE2's message and offset
--- http_config
    session_zone zone=sl11:1m;
--- request eval
["GET /status?list=1&match=(ab", "GET /status?list=1&match=%5Bz-a%5D",
 "GET /status?list=1&match=" . ("a" x 1025), "GET /status?list=1&match=a%5C"]
--- error_code eval
[400, 400, 400, 400]
--- json eval
['$_->{error}{message}
  eq "bad match pattern at offset 3: missing closing parenthesis"',
 '$_->{error}{message} =~ /^bad match pattern at offset 3: range out of order/',
 '$_->{error}{message} eq "match patterns are at most 1024 bytes"',
 '$_->{error}{message} =~ /^bad match pattern at offset 2: \\\\ at end of pattern/']
--- no_error_log
[error]



=== TEST 12: catastrophic backtracking: prompt, no match, counted, logged once
--- http_config
    session_zone zone=sl12:1m;
--- request
GET /status?list=1
--- pages
# about 0.2 ms each: more than one produce call's 1 ms of matching
login("h$_", u => "h$_", name => ("a" x 100) . "!") for 1 .. 20;
login("ok", u => "ok", name => "aaaa");

for my $pat ('%5E(a%2B)%2B%24', '(a%7Caa)%2B%24', '%5E(a%7Ca)*%24') {
    my $logged = log_count(qr/match pattern reached a PCRE2 limit/);
    my $t0 = Time::HiRes::time();
    my ($r, $d) = get_json("/status?list=1&match=$pat");
    my $took = Time::HiRes::time() - $t0;

    is($r->{status}, 200, "$pat: answered");
    ok($took < 1, "$pat: promptly (${took}s)");
    is($d->{count}, 1, "$pat: only the name that matches");
    is($d->{sessions}[0]{account}, "ok", "$pat: that one");
    is($d->{match_limit_hits}, 20, "$pat: the limit hits counted");
    is(log_count(qr/match pattern reached a PCRE2 limit/) - $logged, 1,
       "$pat: logged once");
}

# pages of one: the hits of each page are its own
my ($sids, $pages) = walk("/status?list=1&limit=1&match=%5E(a%2B)%2B%24");
is(scalar @$sids, 1, "paged: the one match");
my $hits = 0;
$hits += $_->{match_limit_hits} for @$pages;
is($hits, 20, "paged: every hit counted once");
--- no_error_log
[error]



=== TEST 13: limit=: 1 to 1000, anything else 400
--- http_config
    session_zone zone=sl13:1m;
--- request eval
["GET /status?list=1&limit=0", "GET /status?list=1&limit=1001",
 "GET /status?list=1&limit=abc", "GET /status?list=1&limit=-1",
 "GET /status?list=1&limit=1.5", "GET /status?list=1&limit=99999999999999999999",
 "GET /status?list=1&limit=1000", "GET /status?list=1&limit=",
 "GET /status?list=1&limit=1"]
--- error_code eval
[400, 400, 400, 400, 400, 400, 200, 200, 200]
--- json eval
[('$_->{error}{status} == 400 && $_->{error}{message}
   eq "limit must be a whole number from 1 to 1000"') x 6,
 ('$_->{count} == 0') x 3]
--- no_error_log
[error]



=== TEST 14: malformed cursors 400 with the reason
--- http_config
    session_zone zone=sl14:1m;
--- request eval
["GET /status?list=1&cursor=!!", "GET /status?list=1&cursor=AAAA",
 "GET /status?list=1&cursor=AgEAAAAA", "GET /status?list=1&cursor=" . ("A" x 49),
 "GET /status?list=1&cursor=A", "GET /status?list=1&cursor=AQ%3D%3D",
 "GET /status?list=1&cursor="]
--- error_code eval
[400, 400, 400, 400, 400, 400, 200]
--- json eval
['$_->{error}{message} eq "malformed cursor: not base64url"',
 '$_->{error}{message} eq "malformed cursor: unknown version"',
 '$_->{error}{message} eq "malformed cursor: bad length or walk"',
 '$_->{error}{message} eq "malformed cursor: too long"',
 '$_->{error}{message} eq "malformed cursor: not base64url"',
 '$_->{error}{message} eq "malformed cursor: not base64url"',
 '$_->{count} == 0']
--- pages
login("k$_", u => "alice") for 1 .. 4;

my ($r, $d) = get_json("/status?list=1&limit=1&type=soap");
my $c = $d->{next};
like($c, qr/^[A-Za-z0-9_-]+$/, "a cursor: base64url");

($r, $d) = get_json("/status?list=1&limit=1&type=soap&cursor=$c");
is($r->{status}, 200, "the same filters: resumes");

for my $other ("type=imap", "", "type=soap&closed=1",
               "type=soap&account=alice", "type=soap&match=a",
               "type=soap&addr=127.0.0.1")
{
    ($r, $d) = get_json("/status?list=1&limit=1&$other&cursor=$c");
    is($r->{status}, 400, "other filters ($other): 400");
    like($d->{error}{message}, qr/belongs to a listing with other filters/,
         "other filters ($other): the reason");
}

# the same bytes written another way: not a cursor this module wrote
my $abc = join "", "A" .. "Z", "a" .. "z", 0 .. 9, "-", "_";
my $odd = substr($c, 0, -1)
          . substr($abc, index($abc, substr($c, -1)) ^ 1, 1);
($r, $d) = get_json("/status?list=1&limit=1&type=soap&cursor=$odd");
is($r->{status}, 400, "a non-canonical cursor: 400");
is($d->{error}{message}, "malformed cursor: not canonical base64url",
   "a non-canonical cursor: the reason");

my ($ra, $da) = get_json("/status?list=1&limit=1&account=alice");
like($da->{next}, qr/^[A-Za-z0-9_-]+$/, "an account walk's cursor");
($r, $d) = get_json("/status?list=1&limit=1&cursor=$da->{next}");
is($r->{status}, 400, "an account cursor on a tree walk: 400");
--- no_error_log
[error]



=== TEST 15: HEAD of a list: no body
--- http_config
    session_zone zone=sl15:1m;
--- request
HEAD /status?list=1
--- response_headers
Content-Type: application/json
--- response_body
--- no_error_log
[error]
