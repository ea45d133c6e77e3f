package t::StatusCheck;

# Checks for the session_status suites (t/400-status*.t), added to each
# block's response checks.  Load it after t::TestSession.
#
# Extra block sections:
#   --- prometheus        a Perl expression, true for each body (or, with
#                         "eval", an array of them, one per request).
#                         The body must first be a well-formed Prometheus
#                         text exposition (0.0.4): every line a HELP, a
#                         TYPE or a sample, HELP and TYPE before a
#                         metric's samples, samples of a metric together,
#                         counters and only counters named *_total, a
#                         zone label on every sample, no series twice,
#                         histograms with cumulative buckets ending in
#                         le="+Inf" equal to _count, and a _sum.
#                         %m holds the samples, keyed 'name{labels}'.
#   --- pause eval        [seconds to wait after each request]
#   --- pages             Perl code run after the block's last request
#                         while nginx is up, in this package: get(),
#                         get_json(), login(), logout() and walk() talk
#                         to the server; it reports with Test::More's
#                         ok(), is() and friends.

use strict;
use warnings;

use HTTP::Tiny ();
use IO::Socket::INET ();
use JSON::PP ();
use Test::More;
use Time::HiRes ();

our %m;

# The server every block of the status suites runs unless it has its own
# "--- config": an application that sets SID=$arg_t and echoes X-User,
# X-Name and X-Logout, tracked under / (type soap) and /imap/; realip
# from X-Real-IP; /status admin by address (how a Prometheus scraper
# gets in), /status/user admin by account (a person logged in as root).
# ZONE is the zone of the block's session_zone.

my $config = <<'END';
    session_key $cookie_SID;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;

    location /app/ {
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $arg_u;
        add_header X-Name $http_x_name;
        add_header X-Logout $arg_logout;
        return 200 "app\n";
    }

    location / {
        session_track ZONE;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user name=$upstream_http_x_name;
        session_end $upstream_http_x_logout;
        session_var host $host;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location /imap/ {
        session_track ZONE;
        session_type imap;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user name=$upstream_http_x_name;
        session_end $upstream_http_x_logout;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /sid {
        session_track ZONE;
        return 200 "$session_id";
    }

    location = /status {
        session_admin $status_admin_addr;
        session_status ZONE;
    }

    location = /status/user {
        session_admin $status_admin_user;
        session_status ZONE;
    }
END

my $maps = <<'END';
    map $remote_addr $status_admin_addr {
        127.0.0.1  1;
        default    0;
    }

    map $session_account $status_admin_user {
        root       1;
        default    0;
    }
END

Test::Nginx::Util::add_block_preprocessor(sub {
    my $block = shift;

    my $http = $block->http_config // '';
    my ($zone) = $http =~ /session_zone\s+zone=(\w+):/;

    return if defined $block->config || !defined $zone;

    (my $c = $config) =~ s/ZONE/$zone/g;
    $block->set_value("config", $c);
    $block->set_value("http_config", $http . $maps);
});

my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);

sub indexed {
    my ($v, $idx) = @_;
    return ref $v eq 'ARRAY' ? $v->[$idx] : $v;
}

sub url {
    my $path = shift;
    return "http://127.0.0.1:"
           . Test::Nginx::Util::server_port_for_client() . $path;
}

# GET: the HTTP::Tiny response ({status, headers, content})
sub get {
    my ($path, %headers) = @_;
    return $http->get(url($path), { headers => \%headers });
}

# a GET written byte for byte: HTTP::Tiny refuses header values that
# are not ASCII, and account names need not be
sub raw_get {
    my ($path, %headers) = @_;

    my $sock = IO::Socket::INET->new(
        PeerAddr => "127.0.0.1",
        PeerPort => Test::Nginx::Util::server_port_for_client(),
        Timeout => 10,
    ) or die "connect: $!";

    my $req = "GET $path HTTP/1.0\r\nHost: 127.0.0.1\r\n";
    $req .= "$_: $headers{$_}\r\n" for sort keys %headers;
    print $sock "$req\r\n";

    local $/;
    my $res = <$sock> // '';
    close $sock;

    my ($status) = $res =~ m{^HTTP/1\.\d (\d+)};
    my ($body) = $res =~ /\r\n\r\n(.*)\z/s;

    return { status => $status // 599, content => $body // '' };
}

sub get_json {
    my $r = get(@_);
    my $d = eval { JSON::PP->new->utf8->decode($r->{content}) };
    return ($r, $d);
}

# a new session: the application sets SID=$token; %a: u, name, type, ip
sub login {
    my ($token, %a) = @_;
    my $prefix = $a{type} ? "/$a{type}" : "";
    my $q = "t=$token";
    $q .= "&u=$a{u}" if defined $a{u};
    my %h;
    $h{'X-Name'} = $a{name} if defined $a{name};
    $h{'X-Real-IP'} = $a{ip} if $a{ip};
    my $r = (join "", %h) =~ /[^\x20-\x7e]/ ? raw_get("$prefix/login?$q", %h)
                                             : get("$prefix/login?$q", %h);
    die "login $token: $r->{status}" if $r->{status} != 200;
}

sub logout {
    my ($token, %a) = @_;
    my $prefix = $a{type} ? "/$a{type}" : "";
    my $r = get("$prefix/logout?logout=1", Cookie => "SID=$token");
    die "logout $token: $r->{status}" if $r->{status} != 200;
}

# pages through a listing; $between->($page_index, $page) runs between
# pages; returns the sids in order and the decoded pages
sub walk {
    my ($path, $between) = @_;
    my ($next, @sids, @pages);

    for my $i (0 .. 9999) {
        my $p = $path . (defined $next ? "&cursor=$next" : "");
        my ($r, $d) = get_json($p);

        die "page $i of $p: $r->{status} $r->{content}"
            if $r->{status} != 200 || !$d;

        push @pages, $d;
        push @sids, map { $_->{sid} } @{ $d->{sessions} };

        $next = $d->{next};
        last if !defined $next;

        $between->($i, $d) if $between;
    }

    return (\@sids, \@pages);
}

# lines of the error log matching $re (the log is cleared per request)
sub log_count {
    my $re = shift;
    open my $fh, "<", $Test::Nginx::Util::ErrLogFile or return 0;
    my $n = grep { $_ =~ $re } <$fh>;
    close $fh;
    return $n;
}

# sids seen more than once
sub duplicates {
    my %n;
    $n{$_}++ for @_;
    return grep { $n{$_} > 1 } sort keys %n;
}

my $name_re = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
my $label_re = qr/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"/;
my $value_re = qr/[-+]?(?:[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|NaN|Inf)/;

sub parse_prometheus {
    my $body = shift;
    my (%samples, %help, %type, %count, @errors, $current);

    push @errors, "the body does not end with a newline"
        if $body !~ /\n\z/;

    my $ln = 0;

    for my $line (split /\n/, $body) {
        $ln++;

        if ($line =~ /^# HELP ($name_re) \S.*$/) {
            push @errors, "line $ln: second HELP of $1" if $help{$1}++;
            push @errors, "line $ln: HELP of $1 after its samples"
                if $count{$1};
            next;
        }

        if ($line =~ /^# TYPE ($name_re) (counter|gauge|histogram|untyped)$/)
        {
            push @errors, "line $ln: second TYPE of $1" if $type{$1};
            push @errors, "line $ln: TYPE of $1 after its samples"
                if $count{$1};
            $type{$1} = $2;
            next;
        }

        if ($line =~ /^($name_re)(\{$label_re(?:,$label_re)*\}) ($value_re)$/)
        {
            my ($series, $labels, $value) = ($1, $2, $3);

            # a histogram's samples belong to its family
            my $name = $series;
            my ($base, $part) = $series =~ /^(.+)_(bucket|sum|count)$/;

            if (defined $base && ($type{$base} // '') eq 'histogram') {
                my $le = $labels =~ /[{,]le="/;
                $name = $base;
                push @errors, "line $ln: $series without le"
                    if $part eq 'bucket' && !$le;
                push @errors, "line $ln: $series with le"
                    if $part ne 'bucket' && $le;
            }

            push @errors, "line $ln: histogram $name sample $series"
                if ($type{$name} // '') eq 'histogram' && $name eq $series;

            push @errors, "line $ln: $name has no HELP" if !$help{$name};
            push @errors, "line $ln: $name has no TYPE" if !$type{$name};

            my $t = $type{$name} // '';
            push @errors, "line $ln: counter $name is not named *_total"
                if $t eq 'counter' && $name !~ /_total$/;
            push @errors, "line $ln: $t $name is named *_total"
                if $t ne 'counter' && $name =~ /_total$/;
            push @errors, "line $ln: negative counter $name"
                if $t eq 'counter' && $value < 0;
            push @errors, "line $ln: $name has no zone label"
                if $labels !~ /[{,]zone="/;

            if (!defined $current || $current ne $name) {
                push @errors, "line $ln: samples of $name are apart"
                    if $count{$name};
                $current = $name;
            }

            $count{$name}++;

            push @errors, "line $ln: $series$labels twice"
                if exists $samples{"$series$labels"};
            $samples{"$series$labels"} = $value;
            next;
        }

        push @errors, "line $ln: not a HELP, TYPE or sample line: $line";
    }

    for my $name (sort keys %type) {
        push @errors, "$name has a TYPE but no sample" if !$count{$name};
        next if $type{$name} ne 'histogram';

        # per label set: buckets cumulative, +Inf = _count, a _sum
        my %sets;
        for my $k (keys %samples) {
            next if $k !~ /^\Q$name\E_(bucket|sum|count)(\{.*\})$/;
            my ($part, $l) = ($1, $2);
            my $le;
            $le = $1 if $l =~ s/,?le="([^"]*)"//;
            $l =~ s/\{,/{/;
            if ($part eq 'bucket') {
                $sets{$l}{buckets}{$le} = $samples{$k};
            } else {
                $sets{$l}{$part} = $samples{$k};
            }
        }

        for my $l (sort keys %sets) {
            my $set = $sets{$l};
            my @le = sort { ($a eq '+Inf' ? 9e99 : $a)
                            <=> ($b eq '+Inf' ? 9e99 : $b) }
                     keys %{ $set->{buckets} };
            my $prev = 0;
            for my $le (@le) {
                push @errors, "$name$l: bucket le=$le below the one before"
                    if $set->{buckets}{$le} < $prev;
                $prev = $set->{buckets}{$le};
            }
            push @errors, "$name$l: no +Inf bucket"
                if !@le || $le[-1] ne '+Inf';
            push @errors, "$name$l: +Inf bucket is not _count"
                if !defined $set->{count} || $prev != $set->{count};
            push @errors, "$name$l: no _sum" if !defined $set->{sum};
        }
    }

    return (\%samples, \@errors);
}

# the sum of a metric's samples whose labels match $re
sub sum_of {
    my ($metric, $re) = @_;
    my $sum = 0;
    for my $k (keys %m) {
        next if $k !~ /^\Q$metric\E\{/;
        next if defined $re && $k !~ $re;
        $sum += $m{$k};
    }
    return $sum;
}

Test::Nginx::Socket::add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;
    my $name = $block->name;

    my $prom = indexed(scalar $block->prometheus, $req_idx);
    my $pause = $block->pause;
    my $pages = $block->pages;

    if (defined $prom) {
        SKIP: {
            skip "$name - prometheus checks skipped: $dry_run", 2 if $dry_run;

            my ($samples, $errors) = parse_prometheus($body);

            ok(!@$errors, "$name - well-formed Prometheus text "
                          . "(req $repeated_req_idx)")
                or diag(join("\n", @$errors) . "\nbody:\n$body");

            local %m = %$samples;
            my $ok = eval $prom;
            ok($ok, "$name - Prometheus check (req $repeated_req_idx)")
                or diag("check: $prom\nerror: $@\nbody:\n$body");
        }
    }

    if (defined $pause) {
        my $s = indexed($pause, $req_idx);
        Time::HiRes::sleep($s) if $s;
    }

    my $req = $block->request;
    my $last = ref $req eq 'ARRAY' ? $#$req : 0;

    if (defined $pages && $req_idx == $last && !$dry_run) {
        my $ok = eval "package t::StatusCheck; $pages; 1";
        ok($ok, "$name - pages code ran") or diag("error: $@");
    }
});

1;
