package t::TestSession;

# Shared setup of the suite: loads the module into every block, runs
# nginx with a master and two workers (the zone is shared memory: a
# one-worker test cannot catch a cross-worker bug), spreads connections
# over both workers with reuseport (not in HUP mode), and adds checks
# that read responses
# with real parsers: XML::LibXML (libxml2) and JSON::PP.
#
# Extra block sections:
#   --- xsd: FILE            validate each XML body's first element in the
#                            schema's namespace against t/data/FILE
#   --- xpath                lines "EXPR => VALUE" checked on each XML body
#                            (prefixes: soap, z, za)
#   --- json                 a Perl expression, true for each JSON body;
#                            $_ is the decoded body
#   --- json_prefix          the exact start of each body
#   --- body_like eval       one pattern per request (undef: unchecked)
#                            its body must match, beside what
#                            response_body_unlike says it must not
#   --- sids eval            one label per request (undef: unchecked) for
#                            the body's "sid=HEX": "" wants "sid=" with no
#                            value; requests with the same label want the
#                            same sid, different labels different sids
#   --- sid_workers: N       the requests with a non-empty label were
#                            served by at least N processes ("pid=N" in
#                            their bodies): a session one worker created
#                            was seen by the other one
#   --- tracking             the tracked application most blocks need,
#                            added to the block's config (see $Tracking
#                            below); the section's lines go into its
#                            tracked location; http_config defaults to
#                            "session_zone zone=s:1m;"
#   --- log_allows           levels this block may log although it does
#                            not check them (one a line, "[error]")
#
# Every block checks that nginx logged no [alert], [error], [crit] or
# [emerg], besides what its own no_error_log says, unless its error_log
# expects that level, it must die, or log_allows names it.

BEGIN {
    # in HUP mode Test::Nginx adds a second server on the same port, and
    # nginx takes "reuseport" once per address only
    $ENV{TEST_NGINX_REUSE_PORT} = $ENV{TEST_NGINX_USE_HUP} ? 0 : 1;
}

use Test::Nginx::Socket -Base;
use JSON::PP ();
use XML::LibXML ();

our @EXPORT = qw(decode_json_body session_module);

# the levels no block may log unless it says so
my @quiet = ('[alert]', '[error]', '[crit]', '[emerg]');

# The tracked application: an upstream at /app/ that logs in with
# "Set-Cookie: SID=$arg_sid", names the account in X-User ($arg_u) and
# logs out with X-Logout ($arg_logout); everything else is tracked in
# zone "s" and proxied to it; /who answers with the request's session,
# "sid=... account=... pid=...", without creating one.

our $Tracking = <<'_EOC_';
    location /app/ {
        add_header Set-Cookie "SID=$arg_sid; Path=/";
        add_header X-User $arg_u;
        add_header X-Logout $arg_logout;
        return 200 "app\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user;
        session_end $upstream_http_x_logout;
@TRACKING@
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "sid=$session_id account=$session_account pid=$pid\n";
    }
_EOC_

use Cwd ();

my $module = $ENV{TEST_NGINX_SESSION_MODULE}
             || Cwd::abs_path('build/nginx/objs/ngx_http_session_module.so');

-f $module
    or die "no module at $module: run the suite with 'make test'\n";

master_process_enabled(1);
workers(2);
log_level('info');
no_root_location();

sub session_module () {
    return $module;
}

sub decode_json_body ($) {
    return JSON::PP->new->utf8->allow_nonref->decode(shift);
}

add_block_preprocessor(sub {
    my $block = shift;

    my $main = $block->main_config // '';
    if ($main !~ /load_module/) {
        $block->set_value("main_config", "load_module $module;\n$main");
    }

    # a binary upgrade runs nginx again with only the variables "env"
    # names: Test::Nginx keeps ASAN_OPTIONS, and make test-asan needs
    # UBSan's suppressions of nginx core's reports as well
    if (defined $ENV{UBSAN_OPTIONS}) {
        $main = $block->main_config;
        if ($main !~ /\benv UBSAN_OPTIONS;/) {
            $block->set_value("main_config", "$main\nenv UBSAN_OPTIONS;\n");
        }
    }

    my $tracking = $block->tracking;

    if (defined $tracking) {
        $tracking =~ s/^\s+|\s+$//g;
        $tracking =~ s/^/        /mg if length $tracking;

        my $app = $Tracking;
        my $lines = length $tracking ? "$tracking\n" : "";
        $app =~ s/\@TRACKING\@\n/$lines/;

        $block->set_value("config", $app . ($block->config // ''));
        $block->set_value("http_config", "    session_zone zone=s:1m;\n")
            unless defined $block->http_config;
    }

    return if defined $block->must_die;

    # no alert, no error, unless the block expects or allows it

    my $expected = join "\n", grep { defined }
                   map { ref $_ eq 'ARRAY' ? @$_ : $_ }
                   $block->error_log, $block->log_allows;

    my $checked = $block->no_error_log;
    my @have = !defined $checked ? ()
               : ref $checked eq 'ARRAY' ? @$checked
               : grep { /\S/ } split /\n/, $checked;

    my @add = grep { my $l = $_;
                     index($expected, $l) < 0 && !grep { $_ eq $l } @have }
              @quiet;

    return unless @add;

    if (ref $checked eq 'ARRAY') {
        $block->set_value("no_error_log", [@$checked, @add]);

    } else {
        $block->set_value("no_error_log", join("", map { "$_\n" } @have, @add));
    }
});

my %ns = (
    soap => 'http://www.w3.org/2003/05/soap-envelope',
    z    => 'urn:zimbra',
    za   => 'urn:zimbraAdmin',
);

add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;
    my $name = $block->name;

    my $xsd = $block->xsd;
    my $xpath = $block->xpath;
    my $json = $block->json;
    my $prefix = $block->json_prefix;

    for my $v ($xsd, $xpath, $json, $prefix) {
        if (ref $v eq 'ARRAY') {
            $v = $v->[$req_idx];
        }
    }

    return if !defined $xsd && !defined $xpath && !defined $json
              && !defined $prefix;

    SKIP: {
        skip "$name - body checks skipped: $dry_run", 1 if $dry_run;

        if (defined $prefix) {
            $prefix =~ s/\n\z//;
            is(substr($body, 0, length $prefix), $prefix,
               "$name - body prefix (req $repeated_req_idx)");
        }

        if (defined $json) {
            my $data = eval { decode_json_body($body) };
            if (!defined $data && $@) {
                fail("$name - JSON parses (req $repeated_req_idx): $@"
                     . "body: $body");

            } else {
                local $_ = $data;
                my $ok = eval $json;
                ok($ok, "$name - JSON check (req $repeated_req_idx)")
                    or diag("check: $json\nerror: $@\nbody: $body");
            }
        }

        if (defined $xsd || defined $xpath) {
            my $doc = eval { XML::LibXML->load_xml(string => $body,
                                                   no_network => 1) };
            if (!$doc) {
                fail("$name - XML parses (req $repeated_req_idx): $@"
                     . "body: $body");
                return;
            }

            if (defined $xsd) {
                $xsd =~ s/^\s+|\s+$//g;
                my $schema = XML::LibXML::Schema->new(
                                 location => "t/data/$xsd");
                my ($tns) = (`grep -o 'targetNamespace="[^"]*"' t/data/$xsd`
                             =~ /"([^"]*)"/);
                my ($el) = $doc->getElementsByTagNameNS($tns, '*');
                if (!$el) {
                    fail("$name - no element in $tns (req "
                         . "$repeated_req_idx)");

                } else {
                    my $part = XML::LibXML::Document->new('1.0', 'UTF-8');
                    $part->setDocumentElement($el->cloneNode(1));
                    eval { $schema->validate($part) };
                    ok(!$@, "$name - valid against $xsd "
                            . "(req $repeated_req_idx)")
                        or diag("$@\nbody: $body");
                }
            }

            if (defined $xpath) {
                my $xc = XML::LibXML::XPathContext->new($doc);
                $xc->registerNs($_, $ns{$_}) for keys %ns;

                for my $line (split /\n/, $xpath) {
                    next if $line !~ /\S/;
                    my ($expr, $want) = split /\s*=>\s*/, $line, 2;
                    $expr =~ s/^\s+//;
                    $want //= '';
                    $want =~ s/\s+$//;
                    my $got = eval { $xc->findvalue($expr) };
                    $got = "ERROR: $@" if $@;
                    is("$got", $want, "$name - xpath $expr "
                                      . "(req $repeated_req_idx)")
                        or diag("body: $body");
                }
            }
        }
    }
});

add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;
    my $want = $block->body_like;

    return if !defined $want;

    $want = $want->[$req_idx] if ref $want eq 'ARRAY';

    return if !defined $want;

    SKIP: {
        skip $block->name . " - body_like skipped: $dry_run", 1 if $dry_run;

        like($body, $want, $block->name . " - body_like (req $req_idx, "
                           . "repeat $repeated_req_idx)");
    }
});

# the sids seen so far in the current block and repetition
my (%sid_of, %pid_of, $sid_run);

add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;
    my $name = $block->name;
    my $labels = $block->sids;

    return if !defined $labels;

    my $run = "$name/$repeated_req_idx";
    if (!defined $sid_run || $sid_run ne $run) {
        $sid_run = $run;
        %sid_of = ();
        %pid_of = ();
    }

    my $label = ref $labels eq 'ARRAY' ? $labels->[$req_idx] : $labels;

    SKIP: {
        skip "$name - sid checks skipped: $dry_run", 1 if $dry_run;

        if (defined $label) {
            my ($sid) = $body =~ /\bsid=([0-9a-f]*)/;

            if ($label eq '') {
                is($sid, '', "$name - no session (req $repeated_req_idx)")
                    or diag("body: $body");

            } elsif (!defined $sid || $sid !~ /^[0-9a-f]{32}$/) {
                fail("$name - a sid for \"$label\" (req $repeated_req_idx)");
                diag("body: $body");

            } else {
                if (defined $sid_of{$label}) {
                    is($sid, $sid_of{$label}, "$name - sid \"$label\" "
                                              . "(req $repeated_req_idx)");

                } else {
                    my @other = grep { $sid_of{$_} eq $sid } keys %sid_of;
                    ok(!@other, "$name - new sid \"$label\" differs from "
                                . "the others (req $repeated_req_idx)")
                        or diag("same as \"@other\"");
                    $sid_of{$label} = $sid;
                }

                if ($body =~ /\bpid=(\d+)/) {
                    $pid_of{$1} = 1;
                }
            }
        }

        my $want = $block->sid_workers;

        if (defined $want && ref $labels eq 'ARRAY' && $req_idx == $#$labels)
        {
            $want =~ s/\s+//g;
            ok(keys %pid_of >= $want, "$name - sessions seen by "
               . join(", ", sort keys %pid_of) . " (req $repeated_req_idx)");
        }
    }
});

1;
