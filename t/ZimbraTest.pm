package t::ZimbraTest;

# What the t/100-zimbra-*.t files share: a test application whose
# logins create sessions of every type, a Zimbra admin endpoint, and a
# block preprocessor for blocks that log in first and ask afterwards.
#
# A block whose "--- request eval" is a list treats its last requests as
# the ones under test: any of the sections below that is a single value,
# or a list shorter than the requests, is padded at the front with what
# a login answers (200, "app\n", no body checks).  So a block lists its
# logins, then its endpoint requests, and checks only the latter.
#
# Logins: GET /TYPE/login?t=TOKEN[&u=ACCOUNT][&n=NAME] creates a session
# of TYPE (soap imap admin wiki synclistener waitset custom) with token
# TOKEN; GET /TYPE/logout?logout=1 with Cookie SID=TOKEN logs it out.
# The account "admin-id" is an admin (session_admin through a map).

use strict;
use warnings;

use Exporter 'import';
use HTTP::Tiny ();
use Test::Nginx::Util ();

our @EXPORT = qw(zm_login zm_logout zm_logins zm_setup zm_soap
                 zm_json_request $ZmHttpConfig $ZmConfig $ZmApp $ZmDump);

our $ZmHttpConfig = <<'_EOC_';
    session_zone zone=s:8m;

    map $session_account $zm_admin {
        admin-id  1;
        default   0;
    }
_EOC_

# the application: it only sets what its query asks for
our $ZmApp = <<'_EOC_';
    location /app/ {
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $arg_u;
        add_header X-Name $arg_n;
        add_header X-Logout $arg_logout;
        return 200 "app\n";
    }
_EOC_

for my $type (qw(soap imap admin wiki synclistener waitset custom)) {
    $ZmApp .= <<"_EOC_";

    location /$type/ {
        session_track s;
        session_type $type;
        session_key \$cookie_SID;
        session_create \$upstream_cookie_SID;
        session_end \$upstream_http_x_logout;
        session_account \$upstream_http_x_user name=\$upstream_http_x_name;
        proxy_pass http://127.0.0.1:\$server_port/app\$request_uri;
    }
_EOC_
}

our $ZmDump = <<'_EOC_';

    location /service/admin/soap {
        session_dump s;
        session_key $cookie_ZM_ADMIN_AUTH_TOKEN;
        session_admin $zm_admin;
    }
_EOC_

our $ZmConfig = $ZmApp . $ZmDump;

sub zm_login {
    my ($type, $token, $account, $name) = @_;

    my $uri = "GET /$type/login?t=$token";
    $uri .= "&u=$account" if defined $account;
    $uri .= "&n=$name" if defined $name;

    return $uri;
}

sub zm_logout {
    my ($type) = @_;
    return "GET /$type/logout?logout=1";
}

# many logins at once, for "--- init": plain keep-alive requests without
# the per-request checks of a block, which would take minutes
sub zm_logins {
    my $http = HTTP::Tiny->new(keep_alive => 1);

    for my $req (@_) {
        my ($method, $uri) = split / /, $req, 2;
        my $res;

        # nginx may still be starting (under valgrind, for a while)
        for my $try (1 .. 100) {
            $res = $http->request($method, "http://127.0.0.1:"
                                  . $Test::Nginx::Util::ServerPort . $uri);
            last if $res->{status} != 599;
            select(undef, undef, undef, 0.2);
        }

        die "$req: $res->{status} $res->{reason}\n"
            if $res->{status} != 200 || $res->{content} ne "app\n";
    }
}

# a SOAP 1.2 DumpSessionsRequest; %a: token, attrs (the request's
# attribute text), prefix to POST to
sub zm_soap {
    my (%a) = @_;

    my $ctx = defined $a{token}
              ? "<soap:Header><context xmlns=\"urn:zimbra\">"
                . "<authToken>$a{token}</authToken></context></soap:Header>"
              : "";
    my $attrs = defined $a{attrs} ? " $a{attrs}" : "";

    return "POST /service/admin/soap\n"
           . "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/"
           . "soap-envelope\">$ctx<soap:Body><DumpSessionsRequest "
           . "xmlns=\"urn:zimbraAdmin\"$attrs/></soap:Body></soap:Envelope>";
}

# the JSON form; %a: token, attrs (JSON members of the request)
sub zm_json_request {
    my (%a) = @_;

    my $ctx = defined $a{token}
              ? "\"Header\":{\"context\":{\"_jsns\":\"urn:zimbra\","
                . "\"authToken\":{\"_content\":\"$a{token}\"}}},"
              : "";
    my $attrs = defined $a{attrs} ? ",$a{attrs}" : "";

    return "POST /service/admin/soap\n"
           . "{$ctx\"Body\":{\"DumpSessionsRequest\":"
           . "{\"_jsns\":\"urn:zimbraAdmin\"$attrs}}}";
}

# "--- request eval" and friends run in Test::Base::Filter
for my $f (qw(zm_login zm_logout zm_soap zm_json_request)) {
    no strict 'refs';
    *{"Test::Base::Filter::$f"} = \&{$f};
}

my %pad = (
    error_code         => 200,
    response_body      => "app\n",
    response_body_like => "^app\\n\\z",
    response_headers   => "",
    more_headers       => "",
    xsd                => undef,
    xpath              => undef,
    json               => undef,
    json_prefix        => undef,
);

sub zm_setup {
    Test::Nginx::Util::add_block_preprocessor(sub {
        my $block = shift;

        if (!defined $block->http_config) {
            $block->set_value("http_config", $ZmHttpConfig);
        }

        if (!defined $block->config) {
            $block->set_value("config", $ZmConfig);
        }

        # a success block checks every bad log level, not only [error]
        my $nel = $block->no_error_log;
        if (defined $nel && !ref $nel && $nel !~ /\[alert\]/) {
            $nel =~ s/\n*\z/\n/;
            $block->set_value("no_error_log",
                              "$nel\[alert]\n[crit]\n[emerg]\n");
        }

        my $req = $block->request;
        return if ref $req ne 'ARRAY';

        my $n = @$req;

        for my $sec (keys %pad) {
            my $v = $block->$sec;
            next if !defined $v;

            if (ref $v ne 'ARRAY') {
                chomp $v if $sec eq 'error_code';
                $v = [$v];
            }

            next if @$v >= $n;

            $block->set_value($sec, [(($pad{$sec}) x ($n - @$v)), @$v]);
        }
    });
}

1;
