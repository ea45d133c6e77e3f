# The dashboard in a real browser: headless Chromium (t/Browser.pm,
# WebDriver) loads the page from nginx, waits for its first poll and
# reads what it shows; the figures must be those of the JSON status.
# Then sessions come and go, the page is refreshed, and the rates it
# shows must be what happened; a fleet object is drawn when the JSON has
# one; a lost session shows as an error; nothing breaks the page's own
# Content-Security-Policy.  The last block leaves a screenshot in
# build/dashboard.png (or TEST_SESSION_SCREENSHOT; more history with
# TEST_SESSION_SCREENSHOT_ROUNDS, 6 by default).

use t::TestSession 'no_plan';
use t::StatusCheck;
use t::Browser;

our $chromedriver_port = $ENV{TEST_SESSION_BROWSER_PORT}
                         || Test::Nginx::Util::server_port() + 50;

# a browser per block, quit at its end: Chromium keeps connections open
# (even on a blank page) that would keep the block's nginx from stopping
sub t::StatusCheck::browser {
    return t::Browser->new(port => $main::chromedriver_port);
}

# the page's formats, as a person reads them
sub t::StatusCheck::int_text {
    my $n = sprintf("%.0f", shift);
    1 while $n =~ s/^(\d+)(\d{3})/$1,$2/;
    return $n;
}

sub t::StatusCheck::bytes_text {
    my $n = shift;
    my @u = ('B', 'KiB', 'MiB', 'GiB', 'TiB');
    my $i = 0;
    while ($n >= 1024 && $i < $#u) { $n /= 1024; $i++; }
    return ($i ? sprintf("%.1f", $n) : $n) . " $u[$i]";
}

# when a wait fails: what the page says, and the browser's console
sub t::StatusCheck::page_state {
    my $b = shift;
    my $s = eval { $b->run('return (document.getElementById("state") || {})'
                           . '.textContent + " polls="'
                           . ' + document.body.getAttribute("data-polls")'
                           . ' + " url=" + location.href') } // "no page: $@";
    return join("\n", $s, eval { $b->console });
}

# what the page shows: [data-k] figures, table rows, rates, state
our $read_page = <<'JS';
var out = {figs: {}, busiest: [], types: {}, rates: {}, fleet: null};
document.querySelectorAll('[data-k]').forEach(function (e) {
  out.figs[e.getAttribute('data-k')] =
    {text: e.textContent, v: e.getAttribute('data-v')};
});
document.querySelectorAll('#busiest tr[data-account]').forEach(function (r) {
  var c = r.querySelectorAll('td');
  out.busiest.push({account: c[0].textContent, name: c[1].textContent,
                    type: c[2].textContent, open: c[3].textContent,
                    v: c[3].getAttribute('data-v')});
});
document.querySelectorAll('#types tr[data-type]').forEach(function (r) {
  var t = {};
  r.querySelectorAll('td[data-col]').forEach(function (c) {
    t[c.getAttribute('data-col')] = c.getAttribute('data-v') + '|'
                                    + c.textContent;
  });
  out.types[r.getAttribute('data-type')] = t;
});
document.querySelectorAll('[data-rate]').forEach(function (e) {
  out.rates[e.getAttribute('data-rate')] =
    {text: e.textContent, v: e.getAttribute('data-v'),
     dt: e.getAttribute('data-dt')};
});
out.zone = document.getElementById('zone').textContent;
out.state = document.getElementById('state').textContent;
out.stateClass = document.getElementById('state').className;
out.polls = Number(document.body.getAttribute('data-polls'));
out.fleetHidden = document.getElementById('fleet').hidden;
out.points = {};
document.querySelectorAll('#chart-open polyline').forEach(function (p) {
  out.points[p.getAttribute('data-series')] =
    p.getAttribute('points').split(' ').length;
});
out.ratePoints = document.querySelectorAll('#chart-rates polyline')[0]
                 .getAttribute('points');
out.lockBars = document.querySelectorAll('#chart-lock rect.bar:not(.desched)')
               .length;
out.deschedBars = document.querySelectorAll('#chart-lock rect.desched').length;
return out;
JS

run_tests();

__DATA__

=== TEST 1: first poll: the figures the page shows are the JSON status's
--- http_config
    session_zone zone=sb1:1m keep_closed=5m;
--- request eval
["GET /login?t=a1&u=alice", "GET /login?t=a2&u=alice",
 "GET /login?t=a3&u=alice", "GET /login?t=b1&u=bob",
 "GET /imap/login?t=c1&u=carol", "GET /imap/login?t=n1",
 "GET /logout?logout=1"]
--- more_headers eval
["X-Name: Alice Liddell", "", "", "", "", "", "Cookie: SID=b1"]
--- error_code eval
[200, 200, 200, 200, 200, 200, 200]
--- pages
my $b = browser();

# a browser's own request, no format=: Accept decides
$b->open(url("/status"));
ok($b->wait_for('return document.body.getAttribute("data-polls") >= 1'),
   "the page polled once") or diag(explain([$b->console]));

my $p = $b->run($main::read_page);
my ($r, $j) = get_json("/status");

is($p->{state}, 'live', "state: live");
is($p->{zone}, 'sb1', "zone name");

for my $k (qw(sessions.open sessions.closed sessions.accounts
              totals.created totals.expired totals.evicted totals.ended
              totals.failed version))
{
    my $want = eval '$j->{' . join('}{', split /\./, $k) . '}';
    is($p->{figs}{$k}{v}, $want, "$k: the JSON's value");
    is($p->{figs}{$k}{text}, int_text($want), "$k: shown as "
                                              . int_text($want));
}

for my $k (qw(used free size)) {
    is($p->{figs}{"memory.$k"}{v}, $j->{memory}{$k}, "memory.$k");
    is($p->{figs}{"memory.$k"}{text}, bytes_text($j->{memory}{$k}),
       "memory.$k shown as " . bytes_text($j->{memory}{$k}));
}

is($p->{figs}{'memory.bytes_per_session'}{text},
   sprintf("%.2f", $j->{memory}{bytes_per_session}), "bytes per session");
is($p->{figs}{'config.timeout_ms'}{text}, '30 min', "timeout shown");
is($p->{figs}{'config.keep_closed_ms'}{text}, '5 min', "keep_closed shown");

# the lock is read again by each status request: the page's figures are
# those of an earlier read, and its histogram adds up to its holds
my $holds = $p->{figs}{'lock.holds'}{v};
ok($holds > 0 && $holds <= $j->{lock}{holds}, "lock holds: $holds, "
   . "at most the later read's $j->{lock}{holds}");
my $sum = 0;
$sum += $p->{figs}{"lock.holds_by_length.$_"}{v}
    for keys %{ $j->{lock}{holds_by_length} };
is($sum, $holds, "the histogram's bars add up to the holds");
is($p->{lockBars}, 6, "six bars");
is($p->{deschedBars}, 3, "a descheduled share on each bar of 1 ms and over");
for my $k (qw(under_10ms under_100ms 100ms_or_more)) {
    ok(defined $p->{figs}{"lock.descheduled_by_length.$k"}{v}
       && $p->{figs}{"lock.descheduled_by_length.$k"}{v}
          <= $p->{figs}{"lock.holds_by_length.$k"}{v},
       "descheduled $k: at most the bar's holds");
}
my $slow = 0;
for my $k (qw(slow_descheduled slow_on_cpu slow_unknown)) {
    like($p->{figs}{"lock.$k"}{v} // '', qr/^\d+\z/, "lock.$k shown");
    $slow += $p->{figs}{"lock.$k"}{v} // 0;
}
is($slow, $p->{figs}{'lock.slow_holds'}{v},
   "the holds over 1 ms by cause add up to them");

is_deeply($p->{busiest},
          [map { { account => $_->{account}, name => $_->{name} // '',
                   type => $_->{type}, open => int_text($_->{open}),
                   v => "$_->{open}" } } @{ $j->{busiest_accounts} }],
          "busiest accounts: the JSON's, in its order");
is(join(",", map { $_->{account} } @{ $p->{busiest} }), "alice,carol",
   "alice first; bob logged out");

is_deeply($p->{types},
          { map { my $t = $j->{types}{$_};
                  ($_ => { map { ($_ => "$t->{$_}|" . int_text($t->{$_})) }
                           qw(open closed accounts anonymous) }) }
            keys %{ $j->{types} } },
          "every type's row");

is($p->{rates}{created}{text}, "\x{2013}", "no rate before a second poll");
ok($p->{fleetHidden}, "no fleet section without a fleet object");
is_deeply([grep { /Content.Security.Policy|Refused/i } $b->console], [],
          "nothing refused by the page's policy");

$b->quit;
--- no_error_log
[error]



=== TEST 2: a refresh after logins and logouts: the rates are what happened
--- http_config
    session_zone zone=sb2:1m keep_closed=5m;
--- request
GET /login?t=first&u=alice
--- pages
my $b = browser();

# a long interval: the polls are the page's first and the Refresh click
$b->open(url("/status?format=html&interval=3600"));
ok($b->wait_for('return document.body.getAttribute("data-polls") >= 1'),
   "first poll") or diag(page_state($b));
my (undef, $before) = get_json("/status");

for my $i (1 .. 7) { login("d$i", u => "dave"); }
for my $i (1 .. 3) { login("n$i", type => "imap"); }
logout("d1");
logout("n1", type => "imap");
logout("first");

my (undef, $after) = get_json("/status");
$b->click('#refresh');
ok($b->wait_for('return document.body.getAttribute("data-polls") >= 2'),
   "second poll, by the Refresh button");
my $p = $b->run($main::read_page);

my %want = (created => 10, ended => 3, expired => 0, evicted => 0);

for my $k (sort keys %want) {
    is($after->{totals}{$k} - $before->{totals}{$k}, $want{$k},
       "the JSON counts $want{$k} $k");
    my $r = $p->{rates}{$k};
    ok($r->{dt} > 0 && $r->{dt} < 60, "$k: over $r->{dt} s");
    ok(abs($r->{v} * $r->{dt} - $want{$k}) < 1e-6,
       "$k: $r->{v}/s over $r->{dt} s is $want{$k}");
    is($r->{text}, sprintf("%.2f", $want{$k} / $r->{dt}), "$k: shown as "
                                                          . $r->{text});
}

is($p->{figs}{'totals.created'}{v}, $after->{totals}{created},
   "total created: the JSON's");
is($p->{figs}{'sessions.open'}{v}, $after->{sessions}{open},
   "open: the JSON's");
is($p->{busiest}[0]{account}, 'dave', "dave is the busiest");
is($p->{busiest}[0]{v}, 6, "with six open sessions");
is($p->{points}{soap}, 2, "the soap line has both polls");
is($p->{points}{imap}, 2, "so has the imap line");
is(scalar(split / /, $p->{ratePoints}), 1, "one rate point so far");

$b->quit;
--- no_error_log
[error]



=== TEST 3: a fleet object in the JSON gets its section, drawn as it comes
--- http_config
    session_zone zone=sb3:1m;
--- config
    location = /fleet-status {
        # the page from the module, the JSON from a file: what a node of
        # a fleet might answer (the fields are this test's, not a schema)
        if ($arg_format = json) {
            rewrite ^ /fleet.json last;
        }
        session_admin 1;
        session_status sb3;
    }

    location = /fleet.json {
        default_type application/json;
        return 200 '{"version": 1, "zone": "sb3", "now": 1764631212660,
  "memory": {"size": 1048576, "used": 16384, "free": 1024000,
             "bytes_per_session": 0},
  "sessions": {"open": 0, "closed": 0, "accounts": 0},
  "types": {"soap": {"open": 0, "closed": 0, "accounts": 0,
                     "anonymous": 0}},
  "totals": {"created": 0, "expired": 0, "evicted": 0, "ended": 0,
             "failed": 0},
  "lock": {"max_hold_ns": 0, "slow_holds": 0, "holds": 0,
           "hold_ns_total": 0, "holds_by_length": {}},
  "busiest_accounts": [],
  "config": {"timeout_ms": 1800000, "keep_closed_ms": 0},
  "fleet": {"state": "connected", "lag_ms": 1234,
            "engine": {"address": "127.0.0.1:6379"}}}';
    }
--- request
GET /fleet-status?format=html
--- response_headers
Content-Type: text/html; charset=utf-8
--- pages
my $b = browser();

$b->open(url("/fleet-status?format=html"));
ok($b->wait_for('return document.body.getAttribute("data-polls") >= 1'),
   "first poll") or diag(page_state($b));

my $f = $b->run(<<'JS');
var rows = {};
document.querySelectorAll('#fleet-table tr').forEach(function (r) {
  rows[r.getAttribute('data-k')] = r.querySelector('td').textContent;
});
return {hidden: document.getElementById('fleet').hidden,
        state: document.querySelector('[data-k="fleet.state"]').textContent,
        rows: rows};
JS

ok(!$f->{hidden}, "the fleet section is shown");
is($f->{state}, "connected", "its state");
is_deeply($f->{rows}, {'fleet.lag_ms' => '1,234',
                       'fleet.engine.address' => '"127.0.0.1:6379"'},
          "every other field, nested ones flattened");

$b->quit;
--- no_error_log
[error]



=== TEST 4: a page whose session ends shows the refusal, and stays up
--- http_config
    session_zone zone=sb4:1m;
--- request
GET /login?t=r1&u=root
--- pages
my $b = browser();

# root is admin by account on /status/user: the browser carries its cookie
$b->open(url("/favicon.ico"));
$b->add_cookie(SID => "r1");
$b->open(url("/status/user?interval=3600"));
ok($b->wait_for('return document.body.getAttribute("data-polls") >= 1'),
   "first poll") or diag(page_state($b));
is($b->run('return document.getElementById("state").textContent'), "live",
   "live as root");

logout("r1");
$b->click('#refresh');
ok($b->wait_for('return document.body.getAttribute("data-polls") >= 2'),
   "second poll");

my $p = $b->run($main::read_page);
is($p->{state}, "401 authentication required: no live session",
   "the refusal is shown");
like($p->{stateClass}, qr/\bbad\b/, "as an error");
is($p->{figs}{'totals.created'}{v}, 1, "the last figures stay");

$b->quit;
--- no_error_log
[error]



=== TEST 5: a screenshot of a busy zone
--- http_config
    session_zone zone=sb5:4m keep_closed=10m;
--- request
GET /login?t=x0&u=admin
--- pages
my $b = browser();
my $shot = $ENV{TEST_SESSION_SCREENSHOT} || "build/dashboard.png";
mkdir "build" if $shot eq "build/dashboard.png";
my $rounds = $ENV{TEST_SESSION_SCREENSHOT_ROUNDS} || 6;

$b->open(url("/status?format=html&interval=3600"));
ok($b->wait_for('return document.body.getAttribute("data-polls") >= 1'),
   "first poll") or diag(page_state($b));

my @users = qw(alice bob carol dave erin frank grace heidi ivan judy mallory);
my @types = ('', '', '', 'imap');
my $n = 0;

for my $round (1 .. $rounds) {
    for my $i (0 .. 5 + 3 * $round) {
        my $u = $users[($i * $i + $round) % @users];
        login("s$round-$i", u => $u, name => ucfirst $u,
              type => $types[$i % @types] || undef);
        $n++;
    }
    for my $i (0 .. $round) {
        logout("s$round-$i", type => $types[$i % @types] || undef);
    }
    $b->click('#refresh');
    $b->wait_for('return document.body.getAttribute("data-polls") >= '
                 . ($round + 1)) or fail("poll $round");
    Time::HiRes::sleep(0.3);
}

my $size = $b->screenshot($shot);
ok($size > 20000, "screenshot $shot: $size bytes");
CORE::open(my $fh, '<:raw', $shot);
read($fh, my $magic, 8);
is($magic, "\x89PNG\r\n\x1a\n", "a PNG");

$b->quit;
--- no_error_log
[error]
