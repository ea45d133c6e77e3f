# Zimbra DumpSessionsRequest: a dump that spans many batches (512
# sessions each) of the account walk and of the tree walk for sessions
# without an account; a zid element spans batches and is never split.

use t::TestSession 'no_plan';
use t::ZimbraTest;

zm_setup();

# 600 soap sessions over 7 accounts, 550 soap sessions without one, and
# one imap account with 520 sessions: more than a batch each
our @Logins = (
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    (map { zm_login("soap", "s$_", "acct-" . ($_ % 7),
                    "user" . ($_ % 7) . "\@example.com") } 1 .. 600),
    (map { zm_login("soap", "a$_") } 1 .. 550),
    (map { zm_login("imap", "i$_", "big") } 1 .. 520),
);

our $Sids = sub {
    my %seen;
    my $n = 0;
    for my $x (@_) {
        return 0 if $x->{sid} !~ /^[0-9a-f]{32}$/ || $seen{$x->{sid}}++;
        $n++;
    }
    return $n;
};

run_tests();

__DATA__

=== TEST 1: listed and grouped, XML and JSON, across batches
--- init
t::ZimbraTest::zm_logins(@::Logins);
--- request eval
[
    zm_soap(token => "admintok",
            attrs => 'listSessions="1" groupByAccount="1"'),
    zm_soap(token => "admintok", attrs => 'listSessions="1"'),
    zm_json_request(token => "admintok",
                    attrs => '"listSessions":1,"groupByAccount":1'),
    zm_json_request(token => "admintok", attrs => '"listSessions":1'),
    zm_soap(token => "admintok"),
]
--- timeout: 30
--- xsd eval
["zimbraAdmin.xsd", "zimbraAdmin.xsd", undef, undef, "zimbraAdmin.xsd"]
--- xpath eval
["//za:DumpSessionsResponse/\@activeSessions => 1671
//za:soap/\@activeSessions => 1150
//za:soap/\@activeAccounts => 7
count(//za:soap/za:zid) => 7
count(//za:soap/za:zid/za:s) => 600
count(//za:soap/za:zid[\@id='acct-3'][\@name='user3\@example.com']/za:s) => 86
count(//za:soap/za:s) => 550
count(//za:soap/za:s[\@zid]) => 0
//za:imap/\@activeSessions => 520
count(//za:imap/za:zid) => 1
count(//za:imap/za:zid[\@id='big'][\@name='big']/za:s) => 520
count(//za:s) => 1671",
 "count(//za:soap/za:s) => 1150
count(//za:soap/za:s[\@zid]) => 600
count(//za:soap/za:s[not(\@zid)]) => 550
count(//za:soap/za:s[not(\@zid)][following-sibling::za:s[\@zid]]) => 0
count(//za:imap/za:s[\@zid='big'][\@name='big']) => 520
count(//za:zid) => 0",
 undef, undef,
 "//za:soap/\@activeSessions => 1150
//za:soap/\@activeAccounts => 7
//za:imap/\@activeSessions => 520
//za:imap/\@activeAccounts => 1
count(//za:DumpSessionsResponse//za:s) => 0"]
--- json eval
[undef, undef,
 'my $r = $_->{Body}{DumpSessionsResponse};
  my $soap = $r->{soap}[0];
  my %ids = map { $_->{id} => 1 } @{$soap->{zid}};
  my @named = map { @{$_->{s}} } @{$soap->{zid}};
  $r->{activeSessions} == 1671
  && @{$soap->{zid}} == 7 && keys %ids == 7
  && $::Sids->(@named, @{$soap->{s}}, (map { @{$_->{s}} } @{$r->{imap}[0]{zid}}), @{$r->{admin}[0]{zid}[0]{s}}) == 1671
  && @{$soap->{s}} == 550
  && @{$r->{imap}[0]{zid}} == 1 && @{$r->{imap}[0]{zid}[0]{s}} == 520',
 'my $r = $_->{Body}{DumpSessionsResponse};
  my @s = @{$r->{soap}[0]{s}};
  $::Sids->(@s, @{$r->{imap}[0]{s}}, @{$r->{admin}[0]{s}}) == 1671
  && (grep { exists $_->{zid} } @s) == 600
  && $r->{soap}[0]{activeAccounts} == 7',
 undef]
--- no_error_log
[error]
