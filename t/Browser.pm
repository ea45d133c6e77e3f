package t::Browser;

# A real browser for the suite: headless Chromium (Debian's chromium)
# driven over WebDriver by its chromedriver, which this module starts on
# a loopback port and stops by pid.  Just the commands the dashboard test
# needs: open a page, run a script in it, click, set a cookie, read the
# console, take a screenshot.
#
#   my $b = t::Browser->new(port => N);     # chromedriver on 127.0.0.1:N
#   $b->open($url); $b->run('return 1 + 1'); $b->quit;
#
# TEST_SESSION_CHROMIUM and TEST_SESSION_CHROMEDRIVER name other binaries.

use strict;
use warnings;

use File::Temp ();
use HTTP::Tiny ();
use JSON::PP ();
use MIME::Base64 ();
use POSIX ();
use Time::HiRes ();

my $ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

my $json = JSON::PP->new->utf8->canonical->allow_nonref;

sub new {
    my ($class, %a) = @_;

    my $chromium = $ENV{TEST_SESSION_CHROMIUM} // '/usr/bin/chromium';
    my $driver = $ENV{TEST_SESSION_CHROMEDRIVER} // '/usr/bin/chromedriver';

    for ($chromium, $driver) {
        -x $_ or die "no $_: util/install-deps.sh test installs chromium "
                     . "and chromium-driver\n";
    }

    my $self = bless {
        port => $a{port} || die("t::Browser: no port\n"),
        dir => File::Temp::tempdir('browser-XXXXXX', TMPDIR => 1,
                                   CLEANUP => 1),
        http => HTTP::Tiny->new(timeout => 60, keep_alive => 0),
    }, $class;

    my $pid = fork;
    die "fork: $!\n" if !defined $pid;

    if ($pid == 0) {
        open STDOUT, '>', "$self->{dir}/chromedriver.log";
        open STDERR, '>&', \*STDOUT;
        POSIX::setsid();
        exec $driver, "--port=$self->{port}", "--allowed-ips=127.0.0.1"
            or POSIX::_exit(127);
    }

    $self->{pid} = $pid;

    for (1 .. 100) {
        my $res = $self->{http}->get($self->base . "/status");
        last if $res->{status} == 200;
        Time::HiRes::sleep(0.1);
    }

    # root needs --no-sandbox; nothing reaches out for updates or sync
    my $caps = {
        capabilities => { alwaysMatch => {
            browserName => 'chrome',
            'goog:chromeOptions' => {
                binary => $chromium,
                args => [qw(--headless --no-sandbox --disable-gpu
                            --disable-dev-shm-usage --no-first-run
                            --no-default-browser-check
                            --disable-background-networking
                            --disable-component-update --disable-sync
                            --disable-extensions --hide-scrollbars),
                         "--window-size=1280,1060",
                         "--user-data-dir=$self->{dir}/profile"],
            },
            'goog:loggingPrefs' => { browser => 'ALL' },
        } },
    };

    my $v = $self->cmd('POST', '/session', $caps);
    $self->{session} = $v->{sessionId}
        or die "chromedriver: no session: " . $json->encode($v) . "\n";

    return $self;
}

sub base {
    my $self = shift;
    return "http://127.0.0.1:$self->{port}";
}

# one WebDriver command; returns its "value", dies on an error answer
sub cmd {
    my ($self, $method, $path, $body) = @_;

    my $url = $self->base . $path;
    my %opt = (headers => { 'Content-Type' => 'application/json' });
    $opt{content} = $json->encode($body // {}) if $method eq 'POST';

    my $res = $self->{http}->request($method, $url, \%opt);
    my $v = eval { $json->decode($res->{content}) };

    if (!$v || $res->{status} != 200) {
        die "webdriver $method $path: $res->{status} "
            . substr($res->{content} // '', 0, 500) . "\n";
    }

    return $v->{value};
}

sub session {
    my $self = shift;
    return "/session/$self->{session}";
}

sub open {
    my ($self, $url) = @_;
    $self->cmd('POST', $self->session . '/url', { url => $url });
}

# runs a function body in the page: "return ..." gives its value
sub run {
    my ($self, $script, @args) = @_;
    return $self->cmd('POST', $self->session . '/execute/sync',
                      { script => $script, args => \@args });
}

# waits until the script returns true, at most $secs seconds (30: a
# shared machine under load can be slow to start a page)
sub wait_for {
    my ($self, $script, $secs) = @_;
    my $end = Time::HiRes::time() + ($secs // 30);

    while (Time::HiRes::time() < $end) {
        my $v = $self->run($script);
        return $v if $v;
        Time::HiRes::sleep(0.1);
    }

    return undef;
}

sub click {
    my ($self, $css) = @_;
    my $el = $self->cmd('POST', $self->session . '/element',
                        { using => 'css selector', value => $css });
    $self->cmd('POST', $self->session . "/element/$el->{$ELEMENT}/click");
}

sub add_cookie {
    my ($self, $name, $value) = @_;
    $self->cmd('POST', $self->session . '/cookie',
               { cookie => { name => $name, value => $value, path => '/' } });
}

# the console and the browser's own messages (CSP refusals among them)
sub console {
    my $self = shift;
    my $v = $self->cmd('POST', $self->session . '/se/log',
                       { type => 'browser' });
    return map { "$_->{level}: $_->{message}" } @{ $v // [] };
}

sub screenshot {
    my ($self, $file) = @_;
    my $png = MIME::Base64::decode_base64(
                  $self->cmd('GET', $self->session . '/screenshot'));
    CORE::open(my $fh, '>:raw', $file) or die "$file: $!\n";
    print $fh $png;
    close $fh;
    return length $png;
}

sub quit {
    my $self = shift;

    if ($self->{session}) {
        eval { $self->cmd('DELETE', $self->session) };
        delete $self->{session};
    }

    if ($self->{pid}) {
        kill 'TERM', $self->{pid};
        for (1 .. 50) {
            last if waitpid($self->{pid}, POSIX::WNOHANG()) != 0;
            Time::HiRes::sleep(0.1);
        }
        if (waitpid($self->{pid}, POSIX::WNOHANG()) == 0) {
            kill 'KILL', $self->{pid};
            waitpid($self->{pid}, 0);
        }
        delete $self->{pid};
    }
}

sub DESTROY {
    my $self = shift;
    local $?;   # quit waits for chromedriver: keep the caller's status
    $self->quit if $self->{pid};
}

1;
