# A longer name for an account moves its record, and every session of
# the account is pointed at the new one under one lock hold: bounded
# (issue 10 item 6).  An account of at most 4096 sessions is renamed; one
# with more keeps its name and the error log says why.  The sessions are
# loaded from a state file: thousands of logins would be slow to send.

use t::TestSession 'no_plan';
use t::TestState;

no_shuffle();
check_accum_error_log();

clean_state(qw(504-small.state 504-big.state));

our $dir = $ENV{TEST_NGINX_STATE_DIR};
our $long = 'N' x 100;

sub accounts {
    my ($file, $n) = @_;
    my $text = t::TestState::state_header();

    for my $i (1 .. $n) {
        $text .= t::TestState::session_line(sid => sprintf('%032x', $i),
                                            id => 'big', name => 'B');
    }

    t::TestState::write_state($file, $text . "end $n\n");
}

sub zone_conf {
    return "    session_zone zone=s:8m timeout=1h state=$dir/$_[0];\n";
}

our $config = <<'_EOC_';
    session_track s;
    session_key $cookie_SID;
    session_create $arg_new;
    session_account $arg_id name=$arg_name;

    location / {
        add_header X-Account "account=$session_account name=$session_account_name" always;
        return 204;
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: an account of 4096 sessions (4095 and the new one) takes a name that needs a new record
--- post_setup_server_root
main::accounts('504-small.state', 4095);
--- http_config eval: main::zone_conf('504-small.state')
--- config eval: $::config
--- request eval
["GET /?new=x1&id=big&name=$::long", "GET /"]
--- more_headers eval
["", "Cookie: SID=x1"]
--- error_code eval
[204, 204]
--- response_headers eval
["X-Account: account=big name=$::long", "X-Account: account=big name=$::long"]
--- no_error_log
keeps its name
[error]



=== TEST 2: an account of 4098 sessions keeps its name, and the log says why
--- post_setup_server_root
main::accounts('504-big.state', 4097);
--- http_config eval: main::zone_conf('504-big.state')
--- config eval: $::config
--- request eval
["GET /?new=x1&id=big&name=$::long", "GET /?id=big&name=Bo", "GET /"]
--- more_headers eval
["", "Cookie: SID=x1", "Cookie: SID=x1"]
--- error_code eval
[204, 204, 204]
--- response_headers eval
["X-Account: account=big name=B", "X-Account: account=big name=Bo",
 "X-Account: account=big name=Bo"]
--- error_log
session account "big" keeps its name: a longer name moves its 4098 sessions under the lock, at most 4096 are moved
--- no_error_log
[error]
