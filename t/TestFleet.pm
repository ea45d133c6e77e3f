package t::TestFleet;

# Helpers of the fleet tests (t/80x-fleet*.t), all on loopback and all
# stopped by pid by the tests themselves:
#
#   - a real redis-server (Debian's), password-protected, on a port of
#     the test's range, with no persistence unless asked; engine_cmd()
#     talks RESP to it directly (no client library);
#   - a second nginx node, node B, with the block's own http_config and
#     config (the same zone, the same secret), on a port of its own, two
#     workers, its own prefix directory;
#   - a tiny fake server answering fixed bytes, for the engine's faults
#     (garbage, a cut reply, a huge one, a server that never answers).
#
# Ports: TEST_NGINX_PORT + 10.. for nodes, + 20 for the engine, + 30..
# for fake servers (the suite gives each engineer a range).
#
# Each block starts with an empty engine (FLUSHALL before its nginx
# starts) unless it has "--- keep_engine".  Extra block section, run
# after the block's requests while node A (Test::Nginx's nginx) still
# runs, like t::TestState's "--- after":
#
#   --- fleet        Perl code (package main); node B, the engine and
#                    the helpers below are there
#
# Load it after t::TestSession.

use strict;
use warnings;

use Cwd ();
use Exporter 'import';
use File::Path ();
use HTTP::Tiny ();
use IO::Socket::INET ();
use POSIX ();
use Test::More;
use Time::HiRes ();

our @EXPORT = qw(fleet_dir engine_port engine_start engine_stop engine_cmd
                 engine_keys engine_wait node_port node_start node_stop
                 node_get node_http a_get a_log fake_start fake_stop wait_until
                 fleet_conf secret_file password_file now_ms pid_alive
                 node_log $PASSWORD);

our $PASSWORD = 'fleet-test-password-7f3a';

my $base = $ENV{TEST_NGINX_PORT} || 1984;
my $dir = Cwd::abs_path('t') . "/servroot-fleet-$base";

File::Path::make_path($dir);

$ENV{TEST_NGINX_FLEET_DIR} = $dir;
$ENV{TEST_NGINX_ENGINE_PORT} = $base + 20;

my (%engines, %nodes, %fakes);

sub fleet_dir () { return $dir }
sub engine_port () { return $base + 20 }
sub node_port (;$) { return $base + 10 + ($_[0] // 0) }
sub now_ms () { return int(Time::HiRes::time() * 1000) }

sub pid_alive ($) {
    my $pid = shift;
    return $pid && kill(0, $pid) && waitpid($pid, POSIX::WNOHANG()) == 0;
}

# the secret every node shares, and the engine's password
sub secret_file () {
    my $f = "$dir/secret";
    if (!-e $f) {
        open my $fh, '>', $f or die "$f: $!";
        print $fh "0123456789abcdef0123456789abcdef"
                  . "0123456789abcdef0123456789abcdef\n";
        close $fh;
        chmod 0600, $f;
    }
    return $f;
}

sub password_file (;$) {
    my $pw = shift // $PASSWORD;
    my $f = "$dir/password-" . unpack('H*', $pw);
    open my $fh, '>', $f or die "$f: $!";
    print $fh "$pw\n";
    close $fh;
    chmod 0600, $f;
    return $f;
}

secret_file();
$ENV{TEST_NGINX_FLEET_SECRET} = secret_file();
$ENV{TEST_NGINX_FLEET_PASSWORD} = password_file();

# polls $ok->() until true, at most $timeout seconds; returns its value
sub wait_until (&;$) {
    my ($ok, $timeout) = @_;
    my $until = Time::HiRes::time() + ($timeout // 5);

    for (;;) {
        my $v = $ok->();
        return $v if $v;
        return $v if Time::HiRes::time() > $until;
        Time::HiRes::sleep(0.05);
    }
}

# the engine: redis-server in the foreground, a child of the test

sub engine_start (%) {
    my %o = @_;
    my $port = $o{port} // engine_port();
    my $pw = exists $o{password} ? $o{password} : $PASSWORD;
    my $edir = "$dir/engine-$port";

    File::Path::make_path($edir);
    unlink "$edir/dump.rdb";

    my @args = ('redis-server', '--port', $port, '--bind', '127.0.0.1',
                '--save', '', '--appendonly', 'no', '--dir', $edir,
                '--dbfilename', 'dump.rdb', '--rdbcompression', 'no',
                '--daemonize', 'no', '--logfile', "$edir/redis.log",
                '--enable-debug-command', 'local');
    push @args, '--requirepass', $pw if defined $pw;

    my $pid = fork;
    die "fork: $!" unless defined $pid;

    if ($pid == 0) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$edir/redis.out";
        open STDERR, '>&', \*STDOUT;
        exec @args or POSIX::_exit(127);
    }

    $engines{$port} = $pid;

    my $ok = wait_until {
        my $r = engine_cmd({ port => $port, password => $pw }, 'PING');
        defined $r && !ref $r && $r eq 'PONG';
    } 10;

    die "redis-server on $port did not start" unless $ok;

    return $pid;
}

sub engine_stop (;$) {
    my $port = shift // engine_port();
    my $pid = delete $engines{$port} or return;

    kill 'KILL', $pid;
    waitpid $pid, 0;
}

# one command: a string, an integer, undef (nil), an array ref, or
# { error => TEXT }; undef with $! when the engine cannot be reached
sub engine_cmd ($@) {
    my ($o, @cmd) = @_;
    $o = {} if !ref $o;
    my $port = $o->{port} // engine_port();
    my $pw = exists $o->{password} ? $o->{password} : $PASSWORD;

    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Timeout => 3) or return undef;
    $s->autoflush(1);

    if (defined $pw) {
        print $s resp('AUTH', $pw);
        my $r = read_reply($s);
        return $r if ref $r eq 'HASH';
    }

    print $s resp(@cmd);
    my $r = read_reply($s);
    close $s;

    return $r;
}

sub resp {
    my @a = @_;
    my $out = '*' . scalar(@a) . "\r\n";
    $out .= '$' . length($_) . "\r\n$_\r\n" for @a;
    return $out;
}

sub read_reply {
    my $s = shift;
    my $line = <$s>;
    return undef unless defined $line;
    $line =~ s/\r\n\z//;
    my ($t, $v) = (substr($line, 0, 1), substr($line, 1));

    return $v if $t eq '+';
    return { error => $v } if $t eq '-';
    return 0 + $v if $t eq ':';

    if ($t eq '$') {
        return undef if $v < 0;
        my $data = '';
        while (length($data) < $v + 2) {
            my $n = read($s, $data, $v + 2 - length($data), length($data));
            last unless $n;
        }
        return substr($data, 0, $v);
    }

    if ($t eq '*') {
        return undef if $v < 0;
        return [ map { read_reply($s) } 1 .. $v ];
    }

    return { error => "unknown reply: $line" };
}

# every key of the engine under a pattern
sub engine_keys (;$$) {
    my ($match, $o) = @_;
    my ($cursor, @keys) = (0);

    do {
        my $r = engine_cmd($o // {}, 'SCAN', $cursor, 'MATCH',
                           $match // '*', 'COUNT', 1000);
        return () unless ref $r eq 'ARRAY';
        $cursor = $r->[0];
        push @keys, @{ $r->[1] };
    } while ($cursor ne '0');

    return @keys;
}

# waits for the engine to hold N keys of the pattern
sub engine_wait ($$;$) {
    my ($match, $n, $timeout) = @_;
    return wait_until { scalar(engine_keys($match)) >= $n } $timeout;
}

# node B: the block's configuration, its own nginx

sub node_start (%) {
    my %o = @_;
    my $i = $o{index} // 0;
    my $port = node_port($i);
    my $root = "$dir/node-$i";
    my $module = t::TestSession::session_module();
    my $nginx = $Test::Nginx::Util::NginxBinary || 'nginx';

    File::Path::rmtree($root) unless $o{keep};
    File::Path::make_path("$root/conf", "$root/logs", "$root/html");

    my $http = expand($o{http_config} // '');
    my $conf = expand($o{config} // '');
    my $user = $o{user} ? "user $o{user};\n"
               : $> == 0 ? "user root;\n" : '';
    my $workers = $o{workers} // 2;

    open my $fh, '>', "$root/conf/nginx.conf" or die "$!";
    print $fh <<"_EOC_";
load_module $module;
daemon on;
master_process on;
worker_processes $workers;
pid logs/nginx.pid;
error_log logs/error.log info;
$user
events {
    worker_connections 1024;
}

http {
    access_log off;
    client_body_temp_path $root/client_body_temp;
    proxy_temp_path $root/proxy_temp;
    fastcgi_temp_path $root/fastcgi_temp;
    uwsgi_temp_path $root/uwsgi_temp;
    scgi_temp_path $root/scgi_temp;
$http
    server {
        listen 127.0.0.1:$port reuseport;
        server_name localhost;
$conf
    }
}
_EOC_
    close $fh;

    unlink "$root/logs/nginx.pid";

    my $out = `$nginx -p $root/ -c $root/conf/nginx.conf 2>&1`;
    if ($?) {
        return { error => $out };
    }

    my $pid = wait_until {
        open my $p, '<', "$root/logs/nginx.pid" or return undef;
        my $v = <$p>;
        close $p;
        chomp $v if defined $v;
        $v;
    } 10;

    die "node $i did not start: $out" unless $pid;

    wait_until {
        IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 1);
    } 10;

    $nodes{$i} = $pid;

    return { pid => $pid, port => $port, root => $root };
}

sub node_stop (;$$) {
    my ($i, $sig) = @_;
    $i //= 0;
    my $pid = delete $nodes{$i} or return;

    kill $sig // 'QUIT', $pid;

    my $gone = wait_until { !kill 0, $pid } 10;

    if (!$gone) {
        kill 'KILL', $pid;
        wait_until { !kill 0, $pid } 5;
    }
}

# the error log of Test::Nginx's node A
sub a_log () {
    open my $fh, '<', $Test::Nginx::Util::ErrLogFile or return '';
    local $/;
    my $t = <$fh>;
    close $fh;
    return $t;
}

sub node_log (;$) {
    my $i = shift // 0;
    open my $fh, '<', "$dir/node-$i/logs/error.log" or return '';
    local $/;
    my $t = <$fh>;
    close $fh;
    return $t;
}

sub expand {
    my $text = shift;
    $text =~ s/\$(TEST_NGINX_[_A-Z0-9]+)/
        defined $ENV{$1} ? $ENV{$1} : die "no environment $1"/eg;
    return $text;
}

# requests to a node (B: index 0, 1 ...) or to Test::Nginx's node A

sub node_http ($$$;%) {
    my ($port, $method, $uri, %h) = @_;
    my $body = delete $h{body};

    my $res = HTTP::Tiny->new(timeout => 5)->request(
                  $method, "http://127.0.0.1:$port$uri",
                  { headers => \%h, defined $body ? (content => $body) : () });

    return $res;
}

sub node_get ($$;%) {
    my ($i, $uri, %h) = @_;
    return node_http(node_port($i), 'GET', $uri, %h);
}

sub a_get ($;%) {
    my ($uri, %h) = @_;
    return node_http(Test::Nginx::Util::server_port(), 'GET', $uri, %h);
}

# a fake engine: accepts connections and answers each with $reply
# (bytes, sent once, after reading a little) or nothing at all

sub fake_start ($;%) {
    my ($reply, %o) = @_;
    my $port = $o{port} // $base + 30;

    fake_stop($port);

    my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$port",
                                  Listen => 16, ReuseAddr => 1)
        or die "fake server on $port: $!";

    my $pid = fork;
    die "fork: $!" unless defined $pid;

    if ($pid == 0) {
        POSIX::setsid();
        my $until = time + ($o{seconds} // 60);
        $l->timeout(1);
        $SIG{CHLD} = 'IGNORE';
        my @keep;
        while (time < $until) {
            my $c = $l->accept or next;

            if (!defined $reply) {
                push @keep, $c;
                next;
            }

            # each connection served apart: a large answer to one
            # does not hold the others up
            my $k = fork;
            if (!defined $k || $k) {
                close $c;
                next;
            }
            alarm($until - time + 1);
            my $buf;
            $c->sysread($buf, 4096);
            $c->syswrite($reply);
            if ($o{close}) {
                close $c;
            } else {
                sleep($until - time) if $until > time;
            }
            POSIX::_exit(0);
        }
        POSIX::_exit(0);
    }

    close $l;
    $fakes{$port} = $pid;

    return $port;
}

sub fake_stop (;$) {
    my $port = shift // $base + 30;
    my $pid = delete $fakes{$port} or return;

    # the server and the children serving its connections: its group
    kill 'KILL', -$pid;
    waitpid $pid, 0;
}

# the zone and fleet lines of a node's http block
sub fleet_conf (%) {
    my %o = @_;
    my $zone = $o{zone} // 's';
    my $timeout = $o{timeout} // '1h';
    my $extra = $o{extra} // '';
    my $engine = $o{engine} // "127.0.0.1:" . engine_port();
    my $fleet = $o{fleet} // '';

    return "    session_zone zone=$zone:4m timeout=$timeout $extra\n"
           . "                 secret=" . secret_file() . ";\n"
           . "    session_fleet $zone $engine password_file="
           . ($o{password_file} // $ENV{TEST_NGINX_FLEET_PASSWORD})
           . " $fleet;\n";
}

# each block starts with an empty engine, before its nginx starts
sub engine_flush () {
    engine_cmd({}, 'FLUSHALL') if %engines;
}

Test::Nginx::Util::add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->post_setup_server_root && !defined $block->keep_engine) {
        $block->set_value('post_setup_server_root',
                          't::TestFleet::engine_flush()');
    }
});

Test::Nginx::Util::add_test_cleanup_handler(sub {
    my $block = shift;
    my $name = $block->name;

    if (defined(my $code = $block->fleet)) {
        my $ok = eval "package main; no strict; $code; 1";
        fail("$name - fleet: $@") unless $ok;
    }

    # whatever a failed block left running
    node_stop($_) for keys %nodes;
    fake_stop($_) for keys %fakes;
});

END {
    # waitpid() sets $?, which END must leave as the test's exit status
    local $?;

    node_stop($_) for keys %nodes;
    fake_stop($_) for keys %fakes;
    engine_stop($_) for keys %engines;
}

1;
