# A dump's pace= (ngx_http_session_stream.c): with pace=0, pace=auto and
# pace=N a listing of many batches, read while other connections use the
# zone, is complete and the same; pace=N pauses (it owes and waits for
# time), pace=0 owes nothing.  Two workers; the traffic is a child process
# sending tracked requests on both of them for the whole block; the dumps
# are sent at 256 KB/s (limit_rate: a slow client, whose waits the pace
# shares the write event with), so that they overlap the traffic.

use t::TestSession 'no_plan';
use t::ZimbraTest;
use HTTP::Tiny ();
use POSIX ();
use Time::HiRes ();

zm_setup();

# 600 soap sessions over 7 accounts and 400 without one: 8 batches
our @Logins = (
    zm_login("admin", "admintok", "admin-id", "admin\@example.com"),
    (map { zm_login("soap", "s$_", "acct-" . ($_ % 7),
                    "user" . ($_ % 7) . "\@example.com") } 1 .. 600),
    (map { zm_login("soap", "a$_") } 1 .. 400),
);

our $Dumps = <<'_EOC_';

    location /pace0 {
        session_dump s pace=0;
        limit_rate 256k;
        session_key $cookie_ZM_ADMIN_AUTH_TOKEN;
        session_admin $zm_admin;
    }

    location /paceauto {
        session_dump s pace=auto;
        limit_rate 256k;
        session_key $cookie_ZM_ADMIN_AUTH_TOKEN;
        session_admin $zm_admin;
    }

    location /pace20000 {
        session_dump s pace=20000;
        limit_rate 256k;
        session_key $cookie_ZM_ADMIN_AUTH_TOKEN;
        session_admin $zm_admin;
    }
_EOC_

# tracked requests on kept connections, so both workers take the zone
# lock, for "secs" seconds at most (stop_traffic() ends them); returns
# once the first one was served
our $Child;

sub traffic {
    my ($secs) = @_;
    my $url = "http://127.0.0.1:$Test::Nginx::Util::ServerPort/soap/x";

    my $pid = fork();
    die "fork: $!" if !defined $pid;

    if ($pid == 0) {
        my $end = Time::HiRes::time() + $secs;
        my @http = map { HTTP::Tiny->new(keep_alive => 1) } 1 .. 4;
        my $i = 0;

        while (Time::HiRes::time() < $end) {
            $http[$i++ % 4]->get($url,
                                 { headers => { Cookie => "SID=s" . (1 + $i % 600) } });
        }

        POSIX::_exit(0);
    }

    $Child = $pid;

    HTTP::Tiny->new->get($url, { headers => { Cookie => "SID=s1" } });
}

# the sids of a JSON dump, sorted, or "" when one is bad or twice
our %Seen;

sub sids {
    my ($r, $name) = @_;
    my $soap = $r->{Body}{DumpSessionsResponse}{soap}[0];
    my @s = (@{$soap->{s} // []}, map { @{$_->{s}} } @{$soap->{zid} // []});
    my %n;

    for (@s) {
        return "" if $_->{sid} !~ /^[0-9a-f]{32}$/ || $n{$_->{sid}}++;
    }

    $Seen{$name} = join ",", sort keys %n;
    return scalar keys %n;
}

sub stop_traffic {
    return if !$Child;
    kill 'TERM', $Child;
    waitpid $Child, 0;
    undef $Child;
}

run_tests();

stop_traffic();

__DATA__

=== TEST 1: pace=0, pace=auto and pace=20000 give the same complete dump under traffic
--- config eval: $t::ZimbraTest::ZmConfig . $::Dumps
--- init
t::ZimbraTest::zm_logins(@::Logins);
main::traffic(8);
--- request eval
[map { zm_json_request(token => "admintok",
                       attrs => '"listSessions":1,"groupByAccount":1')
       =~ s{/service/admin/soap}{/$_}r }
     qw(pace0 paceauto pace20000 pace0)]
--- timeout: 30
--- json eval
['main::sids($_, "pace0") == 1000',
 'main::sids($_, "auto") == 1000 && $::Seen{auto} eq $::Seen{pace0}',
 'main::sids($_, "n") == 1000 && $::Seen{n} eq $::Seen{pace0}',
 'main::sids($_, "again") == 1000 && $::Seen{again} eq $::Seen{pace0}']
--- grep_error_log eval
qr/session listing: (?=\d+ batches in \d+ ms, [1-9]\d* of them while others used the zone, owed (?:0 ms, waited \d+ ms, pace=0\b|\d+ ms, waited \d+ ms, pace=auto \(share \d+\/1024, gave way \d+ times\)|[1-9]\d+ ms, waited [1-9]\d+ ms, pace=20000\b))/
--- grep_error_log_out eval
["session listing: \n", "session listing: \n", "session listing: \n", "session listing: \n"]
--- no_error_log
[error]



=== TEST 2: with nobody else about, a paced dump owes nothing
--- config eval: $t::ZimbraTest::ZmConfig . $::Dumps
--- init
main::stop_traffic();
t::ZimbraTest::zm_logins(@::Logins);
sleep 1;
--- request eval
zm_json_request(token => "admintok", attrs => '"listSessions":1')
=~ s{/service/admin/soap}{/pace20000}r
--- timeout: 30
--- json eval
'main::sids($_, "alone") == 1000'
--- error_log eval
qr/session listing: \d+ batches in \d+ ms, 0 of them while others used the zone, owed 0 ms, waited \d+ ms, pace=20000,/
--- no_error_log
[error]
