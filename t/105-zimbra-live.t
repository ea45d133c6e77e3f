# A dump that spans many batches while the zone changes under it: a
# client reads it slowly (limit_rate), and meanwhile another process keeps
# some sessions alive, creates and logs out others, and a group of idle
# sessions expires.  The dump must list every session that lived all along
# exactly once, never split an account's zid element, and never list a
# session twice, whatever came and went between its batches.

use t::TestSession 'no_plan';
use t::ZimbraTest;
use HTTP::Tiny ();
use Time::HiRes ();
use POSIX ();

our $Port = $Test::Nginx::Util::ServerPort;

# kept alive all along: 200 with an account each, 100 in one account
# that also gains and loses sessions meanwhile, 100 without an account
our @Stable = (
    (map { ["st$_", "stable-$_"] } 1 .. 200),
    (map { ["sh$_", "shared"] } 1 .. 100),
    (map { ["an$_", undef] } 1 .. 100),
);

# idle from the start: they expire while the dump runs
our @Idle = (
    (map { ["ex$_", "shared"] } 1 .. 150),
    (map { ["ey$_", "idle-$_"] } 1 .. 150),
);

sub login {
    my ($http, $token, $account) = @_;
    my $uri = "http://127.0.0.1:$Port/soap/login?t=$token";
    $uri .= "&u=$account" if defined $account;
    my $res = $http->get($uri);
    die "login $token: $res->{status}\n" if $res->{status} != 200;
}

sub churn {
    # a process of its own, for as long as the dump may take
    my $pid = fork();
    die "fork: $!" if !defined $pid;
    return if $pid;

    # errors are not this process's business: it only stirs the zone,
    # and it outlives nginx when the dump ends first
    eval { stir() };
    POSIX::_exit(0);
}

sub stir {
    my $http = HTTP::Tiny->new(keep_alive => 1);
    my $end = Time::HiRes::time() + 8;
    my $n = 0;

    while (Time::HiRes::time() < $end) {
        for my $s (@Stable) {
            $http->get("http://127.0.0.1:$Port/soap/touch",
                       { headers => { Cookie => "SID=$s->[0]" } });
        }

        for (1 .. 10) {
            $n++;
            login($http, "ch$n", $n % 2 ? "shared" : undef);
        }

        for my $i ($n - 9 .. $n - 5) {
            $http->get("http://127.0.0.1:$Port/soap/out?logout=1",
                       { headers => { Cookie => "SID=ch$i" } });
        }
    }
}

run_tests();

__DATA__

=== TEST 1: complete, no duplicates, zid elements whole, while sessions come and go
--- http_config
    session_zone zone=s:8m timeout=4s;

    map $session_account $zm_admin {
        admin-id  1;
        default   0;
    }
--- config eval
$t::ZimbraTest::ZmApp . <<'_EOC_'
    location /service/admin/soap {
        session_dump s;
        session_key $cookie_ZM_ADMIN_AUTH_TOKEN;
        session_admin $zm_admin;

        # a slow client: the dump takes seconds, batch after batch
        limit_rate 16k;
    }

    location = /status {
        session_admin 1;
        session_status s;
    }
_EOC_
--- init
my $http = HTTP::Tiny->new(keep_alive => 1);
for (1 .. 50) { last if $http->get("http://127.0.0.1:$::Port/")->{status} != 599; select(undef, undef, undef, 0.1) }
main::login($http, "admintok", "admin-id");
main::login($http, $_->[0], $_->[1]) for @::Stable, @::Idle;
main::churn();
--- request eval
[zm_soap(token => "admintok",
         attrs => 'listSessions="1" groupByAccount="1"'),
 "GET /status?format=json"]
--- timeout: 60
--- xsd eval
["zimbraAdmin.xsd", undef]
--- xpath eval
[<<'_EOX_', undef]
count(//za:zid[starts-with(@id, 'stable-')]) => 200
count(//za:zid[starts-with(@id, 'stable-')]/za:s) => 200
count(//za:zid[@id = 'shared']) => 1
count(//za:zid[@id = 'shared']/za:s) >= 100 => true
count(//za:soap/za:s) >= 100 => true
count(//za:s[@sid = preceding::za:s/@sid]) => 0
count(//za:zid[@id = preceding::za:zid/@id]) => 0
_EOX_
--- json eval
[undef, '$_->{totals}{expired} >= 300 && $_->{totals}{created} > 701 && $_->{totals}{ended} > 0']
--- no_error_log
[error]
