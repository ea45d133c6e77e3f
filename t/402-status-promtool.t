# The Prometheus exposition checked by Prometheus's own tool: `promtool
# check metrics` (Debian's prometheus package, unpacked into build/tools
# by util/install-deps.sh test) parses it and lints it the way a
# Prometheus server and its maintainers read it: no problem reported, on
# an empty zone and on a busy one with custom types and every counter
# moved.  A broken exposition is shown to fail, so the check can fail.

use t::TestSession 'no_plan';
use t::StatusCheck;

use File::Temp ();
use JSON::PP ();

our $promtool = $ENV{TEST_SESSION_PROMTOOL} || 'build/tools/promtool';

-x $promtool
    or die "no $promtool: util/install-deps.sh test unpacks it\n";

# promtool's verdict on a text: [exit status, what it printed]
sub t::StatusCheck::promtool {
    my $text = shift;
    my $fh = File::Temp->new;
    print $fh $text;
    close $fh;
    my $out = `'$main::promtool' check metrics < '$fh' 2>&1`;
    return [$? >> 8, $out];
}

run_tests();

__DATA__

=== TEST 1: an empty zone: promtool finds nothing to say
--- http_config
    session_zone zone=sp1:1m;
--- request
GET /status?format=prometheus
--- pages
my $v = promtool(get("/status?format=prometheus")->{content});
is($v->[0], 0, "promtool check metrics: exit 0") or diag($v->[1]);
is($v->[1], "", "no lint problem");

# the same tool on a broken exposition: the check can fail
my $bad = "# HELP x_created Made.\n# TYPE x_created counter\n"
          . "x_created{zone=\"a\"} 1\n";
$v = promtool($bad);
isnt($v->[0], 0, "a counter without _total fails (exit $v->[0])");
like($v->[1], qr/_total/, "and says why");
--- no_error_log
[error]



=== TEST 2: a busy zone: custom types, logouts, expiry, eviction, lock holds
--- http_config
    session_zone zone=sp2:64k timeout=4s keep_closed=1m;
--- config
    session_key $cookie_SID;

    location /app/ {
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $arg_u;
        add_header X-Logout $arg_logout;
        return 200 "app\n";
    }

    session_create $upstream_cookie_SID;
    session_account $upstream_http_x_user;
    session_end $upstream_http_x_logout;

    location /soap/ {
        session_track sp2;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location /imap/ {
        session_track sp2;
        session_type imap;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location /mail-sync/ {
        session_track sp2;
        session_type mail-sync;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location /calendar/ {
        session_track sp2;
        session_type calendar;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /status {
        session_admin 1;
        session_status sp2;
    }
--- request
GET /status
--- pages
# a 64k zone: a few hundred sessions evict, a pause expires the rest
# (the timeout leaves the logins time enough on a busy machine)
for my $i (1 .. 400) {
    my $type = (qw(soap imap mail-sync calendar))[$i % 4];
    my $r = get("/$type/login?t=p$i&u=user" . ($i % 37));
    die "login $i: $r->{status}" if $r->{status} != 200;
}
for my $i (395 .. 400) {
    my $type = (qw(soap imap mail-sync calendar))[$i % 4];
    get("/$type/logout?logout=1", Cookie => "SID=p$i");
}

my $text = get("/status?format=prometheus")->{content};
like($text, qr/nginx_session_evicted_total\{zone="sp2"\} [1-9]/,
     "sessions were evicted");
like($text, qr/type="mail-sync"/, "a custom type has its series");

my $v = promtool($text);
is($v->[0], 0, "promtool check metrics: exit 0") or diag($v->[1]);
is($v->[1], "", "no lint problem") or diag($text);

sleep 5;
get("/soap/login?t=late&u=late");
$text = get("/status?format=prometheus")->{content};
like($text, qr/nginx_session_expired_total\{zone="sp2"\} [1-9]/,
     "sessions expired");
$v = promtool($text);
is($v->[0], 0, "after expiry: exit 0") or diag($v->[1]);
is($v->[1], "", "after expiry: no lint problem");
--- no_error_log
[error]



=== TEST 3: the PromQL of the docs: rules and Grafana panels parse, and name only metrics the module exposes
--- http_config
    session_zone zone=sp3:1m;
--- request
GET /status?format=prometheus
--- pages
my $text = get("/status?format=prometheus")->{content};
my %exposed = map { $_ => 1 } $text =~ /^# TYPE (\S+) /mg;
for my $h (grep { $text =~ /^# TYPE \Q$_\E histogram$/m } keys %exposed) {
    $exposed{"${h}_$_"} = 1 for qw(bucket sum count);
}

my $v = `'$main::promtool' check rules docs/prometheus-rules.yml 2>&1`;
is($? >> 8, 0, "promtool check rules docs/prometheus-rules.yml") or diag($v);

# Grafana's own macros and variables replaced by what they stand for
CORE::open(my $fh, '<', 'docs/grafana-dashboard.json') or die $!;
my $dash = JSON::PP->new->decode(do { local $/; <$fh> });
my @exprs = map { $_->{expr} } map { @{ $_->{targets} } }
            @{ $dash->{panels} };
ok(@exprs >= 10, scalar(@exprs) . " panel queries");

my $rules = File::Temp->new(SUFFIX => '.yml');
print $rules "groups:\n  - name: grafana\n    rules:\n";
my $i = 0;
for my $e (@exprs) {
    (my $q = $e) =~ s/\$__(?:rate_interval|range)/5m/g;
    $q =~ s/\$(?:instance|zone)/.*/g;
    $q =~ s/'/''/g;
    $i++;
    print $rules "      - record: grafana:panel_$i\n        expr: '$q'\n";
}
close $rules;
$v = `'$main::promtool' check rules '$rules' 2>&1`;
is($? >> 8, 0, "promtool parses every Grafana panel query") or diag($v);

CORE::open($fh, '<', 'docs/prometheus-rules.yml') or die $!;
my $yml = do { local $/; <$fh> };
# metric names, not the names of recording rules (level:metric:ops)
my %named = map { $_ => 1 }
            (join(" ", @exprs) . $yml) =~ /(?<![:\w])(nginx_session_[a-z_]+)(?![:\w])/g;
ok(%named >= 10, scalar(keys %named) . " metrics named");
is_deeply([grep { !$exposed{$_} } sort keys %named], [],
          "every metric the docs name is exposed");
--- no_error_log
[error]
