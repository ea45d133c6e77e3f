package t::Login;

# What the login tests share: the vendors' login bytes (t/data/login/),
# an upstream stub that answers them, and the three dialect endpoints the
# recipes check the session's account with.
#
# The stub is a small HTTP/1.0 server this file starts on loopback port
# $ENV{TEST_NGINX_STUB_PORT} (TEST_NGINX_PORT + 50) and stops by its pid
# when the test file ends.  It answers each request with the first route
# whose method, path and request match, and adds X-Stub-Body-MD5, the MD5
# of the request body it received, so a test checks the body reached the
# upstream unchanged, and X-Stub-Framing, "chunked" or "length", how it
# came.  Routes: [METHOD, PATH_REGEX, REQUEST_REGEX or undef
# (matched against the header and the body), RAW_RESPONSE], RAW_RESPONSE
# being "STATUS\r\nHeader: v\r\n...\r\n\r\nBODY" without Content-Length
# (added here), or [HEAD, PIECE, ...]: the pieces written 50 ms apart,
# Content-Length added unless HEAD has it or Transfer-Encoding (a test of
# a response cut short, or chunked, writes its own).
#
# captured(NAME) reads t/data/login/NAME.req, a request a client library
# sent (t/data/login/capture.py), as a Test::Nginx request ("METHOD URI\n"
# and the body) and its headers (more_headers, without Host, Connection
# and Content-Length, which Test::Nginx writes itself).

use strict;
use warnings;

use Digest::MD5 ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();

use Exporter 'import';
our @EXPORT = qw(fixture captured start_stub md5 $Endpoints $Dump $Info
                 $List);

$ENV{TEST_NGINX_STUB_PORT} ||= ($ENV{TEST_NGINX_PORT} || 1984) + 50;

our $Endpoints = <<'_EOC_';
    # the three dialects' answers about the sessions, apart from the
    # application's own paths
    location = /sessions/dump {
        session_track off;
        allow 127.0.0.1;
        deny all;
        session_admin 1;
        session_dump s;
    }

    location = /sessions/xmlmc/session/ {
        session_track off;
        session_info s instance=recipes;
    }

    location = /sessions/Session {
        session_track off;
        session_list s;
    }
_EOC_

# a dump by an admin, the caller's own session, the sessions of an account
our $Dump = 'GET /sessions/dump?listSessions=1&groupByAccount=1';
our $Info = "POST /sessions/xmlmc/session/\n"
          . '<methodCall service="session" method="getSessionInfo"/>';
our $List = 'GET /sessions/Session?userId=';

sub fixture {
    my ($name) = @_;
    open my $in, '<:raw', "t/data/login/$name" or die "$name: $!\n";
    local $/;
    my $data = <$in>;
    close $in;
    return $data;
}

sub md5 {
    return Digest::MD5::md5_hex(shift);
}

sub captured {
    my ($name, $uri) = @_;
    my $raw = fixture("$name.req");
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    my ($line, @headers) = split /\r\n/, $head;
    my ($method, $path) = split / /, $line;

    @headers = grep { !/^(?:Host|Connection|Content-Length):/i } @headers;

    return ("$method " . ($uri // $path) . "\n$body",
            join("\n", @headers), $body);
}

my ($stub_pid, $owner);

sub start_stub {
    my (@routes) = @_;

    my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                     LocalPort => $ENV{TEST_NGINX_STUB_PORT},
                                     Proto => 'tcp', Listen => 16,
                                     ReuseAddr => 1)
        or die "stub: listen on $ENV{TEST_NGINX_STUB_PORT}: $!\n";

    $owner = $$;
    $stub_pid = fork();
    die "stub: fork: $!\n" unless defined $stub_pid;

    if ($stub_pid) {
        close $sock;
        return;
    }

    # the stub: answers until the test file's process stops it

    local $SIG{ALRM} = sub { POSIX::_exit(0) };
    alarm 600;

    while (my $c = $sock->accept()) {
        my $data = '';
        while ($data !~ /\r\n\r\n/) {
            my $n = sysread $c, $data, 65536, length $data;
            last unless $n;
        }

        my ($head, $body) = split /\r\n\r\n/, $data, 2;
        $body //= '';
        my ($want) = $head =~ /^Content-Length:\s*(\d+)/mi;
        $want //= 0;

        while (length $body < $want) {
            my $n = sysread $c, $body, 65536, length $body;
            last unless $n;
        }

        my ($method, $path) = $head =~ /^(\S+) ([^\s?]+)/;

        if ($ENV{TEST_STUB_LOG}) {
            open my $log, '>>', $ENV{TEST_STUB_LOG};
            print $log "$head\n\n";
            close $log;
        }
        my $resp = "404 Not Found\r\n\r\nno route\n";

        for my $r (@routes) {
            if ($method eq $r->[0] && $path =~ $r->[1]
                && (!defined $r->[2] || "$head\r\n\r\n$body" =~ $r->[2]))
            {
                $resp = $r->[3];
                last;
            }
        }

        my ($rhead, @pieces);

        if (ref $resp) {
            ($rhead, @pieces) = @$resp;
            $rhead =~ s/\r\n\r\n\z//;

        } else {
            my $rbody;
            ($rhead, $rbody) = split /\r\n\r\n/, $resp, 2;
            @pieces = ($rbody);
        }

        my $len = 0;
        $len += length for @pieces;

        $c->autoflush(1);
        my $framing = $head =~ /^Transfer-Encoding:\s*chunked/mi
                      ? "chunked" : "length";

        print $c "HTTP/1.0 $rhead\r\nX-Stub-Body-MD5: " . md5($body)
                 . "\r\nX-Stub-Framing: $framing"
                 . ($rhead =~ /^(?:Content-Length|Transfer-Encoding):/mi
                    ? "" : "\r\nContent-Length: $len")
                 . "\r\nConnection: close\r\n\r\n";

        for my $i (0 .. $#pieces) {
            Time::HiRes::sleep(0.05) if $i;
            print $c $pieces[$i];
        }

        close $c;
    }

    POSIX::_exit(0);
}

# only the test file's own process stops it, not the processes it forks
END {
    if ($stub_pid && $$ == $owner) {
        local $?;
        kill 'TERM', $stub_pid;
        waitpid $stub_pid, 0;
    }
}

1;
