package t::Hornbill;

# What the Hornbill getSessionInfo tests share: an application that
# issues ESPSessionState cookies at /login, the session_info location as
# docs/hornbill.md configures it, a helper that asks about another
# session by sid, the fail answers byte for byte, and a "--- php_status"
# check.
#
#   --- php_status           the value phpApiLib's xmlmcResponseOK() reads:
#                            $1 of /<methodCallResult.*?status="(.*)">/ on
#                            the body (an array with eval, one per request)
#
# GET /login?t=TOKEN&u=ACCOUNT[&name=NAME] creates the session TOKEN of
# ACCOUNT; the request headers X-Lang, X-Tz, X-Roles, X-Guest, X-Crc,
# X-Offset and X-First become session variables. The account "admin"
# has session_admin rights.
#
# GET /ask?t=TOKEN&c=CALLER[&f=py|json|get] asks, as the session CALLER,
# for the session TOKEN by its sid (which the test cannot know: the zone
# key is random), as an XML, Python b'...' or JSON body, or GET query.

use strict;
use warnings;

use Test::Nginx::Socket ();

use Exporter 'import';
our @EXPORT = qw($HttpConfig $Config fail_xml fail_json ok_xml ok_json exact
                 $NotFound $NoSession);

our $HttpConfig = <<'_EOC_';
    session_zone zone=s:1m;

    map $session_account $hb_admin {
        admin    1;
        default  0;
    }

    map $arg_f $hb_ask_body {
        default '<methodCall service="session" method="getSessionInfo"><params><sessionId>$session_id</sessionId></params></methodCall>';
        py      "b'<methodCall service=\"session\" method=\"getSessionInfo\"><params><sessionId>$session_id</sessionId></params></methodCall>'";
        json    '{"@service":"session","@method":"getSessionInfo","params":{"sessionId":"$session_id"}}';
        get     '';
    }

    map $arg_f $hb_ask_uri {
        get      '/xmlmc/session/?method=getSessionInfo&sessionId=$session_id';
        default  '/xmlmc/session/';
    }

    map $arg_f $hb_ask_method {
        get      GET;
        default  POST;
    }
_EOC_

our $Config = <<'_EOC_';
    # the application: knows nothing of the module
    location /app/ {
        add_header Set-Cookie "ESPSessionState=$arg_t; Path=/";
        add_header X-User $arg_u;
        return 200 "app\n";
    }

    location = /login {
        session_track s;
        session_key $cookie_ESPSessionState;
        session_create $upstream_cookie_ESPSessionState;
        session_account $upstream_http_x_user name=$arg_name;
        session_var host $host;
        session_var currentLanguage $http_x_lang;
        session_var timeZone $http_x_tz;
        session_var assignedRole $http_x_roles;
        session_var isGuestSession $http_x_guest;
        session_var appStateCRC $http_x_crc;
        session_var currentTimeZoneOffset $http_x_offset;
        session_var firstName $http_x_first;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /logout {
        session_track s;
        session_key $cookie_ESPSessionState;
        session_end 1;
        return 200 "bye\n";
    }

    # Hornbill XMLMC: /xmlmc/session/, with ?method=, and //session/
    location ~ ^/xmlmc/+session/*$ {
        session_track off;
        session_key $cookie_ESPSessionState;
        session_admin $hb_admin;
        session_info s instance=testinst;
        client_max_body_size 16m;
    }

    location = /ask {
        session_track s;
        session_key $arg_t;
        proxy_method $hb_ask_method;
        proxy_set_header Cookie "ESPSessionState=$arg_c";
        proxy_set_body $hb_ask_body;
        proxy_pass http://127.0.0.1:$server_port$hb_ask_uri;
    }
_EOC_

our $NotFound = 'The specified session was not found, or you do not have '
                . 'the rights to view it';
our $NoSession = 'There is no valid session: no session token was sent, '
                 . 'or its session has expired or was logged out';

my $Time = '\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ';

# the whole success answer as a regex: every field in the schema's order
# with its value; options name the values that differ from the defaults

sub fields (%) {
    my %o = @_;
    my @f;

    push @f, [now => $Time, 1], [sessionId => $o{sid} // '[0-9a-f]{32}', 1],
             [instanceId => $o{instance} // 'testinst'],
             [createdOn => $Time, 1],
             [isGuestSession => $o{guest} // 'false', 0, 'lit'],
             [remoteIpAddress => '127.0.0.1'];
    push @f, [sessionVariable => $o{vars} // [[host => 'localhost']], 0,
              'vars'];
    push @f, [userId => $o{user}];
    push @f, [firstName => $o{first}] if defined $o{first};
    push @f, [userName => $o{name} // $o{user}],
             [accountRefUrn => "urn:sys:user:$o{user}"],
             [accountClass => 'user'], [userType => 'user'],
             [currentLanguage => $o{lang} // 'en-GB', 0, 'child',
              'language'],
             [regionalSettings => $o{tz} // 'Etc/UTC', 0, 'child',
              'timeZone'],
             [currentTimeZoneOffset => $o{offset} // 0, 0, 'lit'],
             [diagnosticLogSeverityLevel => 'error'],
             [diagnosticLogMessageGroups => ''],
             [resultXmlSchemaValidationEnabled => 'false', 0, 'lit'],
             [databaseSecurityHintingEnabled => 'false', 0, 'lit'],
             [flowCodeTracingEnabled => 'false', 0, 'lit'],
             [systemRights => '', 0, 'empty'],
             [assignedRole => $o{roles} // ['Basic User Role'], 0, 'list'],
             [appStateCRC => $o{crc} // '\d{1,10}', 1, 'lit'],
             [onlineStatus => 'available'];
    return @f;
}

sub ok_xml (%) {
    my $re = quotemeta(qq{<?xml version="1.0" encoding="utf-8" ?>\n}
                       . qq{<methodCallResult status="ok">\n\t<params>\n});

    for my $f (fields(@_)) {
        my ($name, $value, $is_re, $kind, $child) = @$f;
        my $v = $is_re ? $value : quotemeta($value // '');
        $kind //= '';

        if ($kind eq 'vars') {
            for my $var (@$value) {
                $re .= quotemeta("\t\t<sessionVariable>\n\t\t\t<name>"
                                 . "$var->[0]</name>\n\t\t\t<value>"
                                 . "$var->[1]</value>\n"
                                 . "\t\t</sessionVariable>\n");
            }

        } elsif ($kind eq 'list') {
            $re .= quotemeta("\t\t<$name>$_</$name>\n") for @$value;

        } elsif ($kind eq 'child') {
            $re .= quotemeta("\t\t<$name>\n\t\t\t<$child>") . $v
                   . quotemeta("</$child>\n\t\t</$name>\n");

        } elsif ($kind eq 'empty') {
            $re .= quotemeta("\t\t<$name></$name>\n");

        } else {
            $re .= quotemeta("\t\t<$name>") . $v . quotemeta("</$name>\n");
        }
    }

    $re .= quotemeta("\t</params>\n</methodCallResult>\n");

    return qr/\A$re\z/;
}

sub ok_json (%) {
    my @parts;

    for my $f (fields(@_)) {
        my ($name, $value, $is_re, $kind, $child) = @$f;
        my $v = $is_re ? $value : quotemeta($value // '');
        $kind //= '';

        if ($kind eq 'vars') {
            push @parts, quotemeta(qq{"$name":[}
                         . join(',', map { qq|{"name":"$_->[0]","value":"|
                                           . qq|$_->[1]"}| } @$value)
                         . ']');

        } elsif ($kind eq 'list') {
            push @parts, quotemeta(qq{"$name":[}
                                   . join(',', map { qq{"$_"} } @$value)
                                   . ']');

        } elsif ($kind eq 'child') {
            push @parts, quotemeta(qq|"$name":{"$child":"|) . $v
                         . quotemeta('"}');

        } elsif ($kind eq 'empty') {
            push @parts, quotemeta(qq|"$name":{}|);

        } elsif ($kind eq 'lit') {
            push @parts, quotemeta(qq{"$name":}) . $v;

        } else {
            push @parts, quotemeta(qq{"$name":"}) . $v . quotemeta('"');
        }
    }

    my $re = quotemeta('{"@status":true,"params":{') . join(',', @parts)
             . quotemeta('}}');

    return qr/\A$re\z/;
}

sub exact ($) {
    my $s = shift;
    return qr/\A\Q$s\E\z/;
}

sub fail_xml ($$) {
    my ($code, $error) = @_;

    return qq{<?xml version="1.0" encoding="utf-8" ?>\n}
           . qq{<methodCallResult status="fail">\n\t<state>\n}
           . qq{\t\t<code>$code</code>\n}
           . qq{\t\t<service>session</service>\n}
           . qq{\t\t<operation>getSessionInfo</operation>\n}
           . qq{\t\t<error>$error</error>\n\t</state>\n}
           . qq{</methodCallResult>\n};
}

sub fail_json ($$) {
    my ($code, $error) = @_;

    return qq|{"\@status":false,"state":{"code":"$code",|
           . qq|"service":"session","operation":"getSessionInfo",|
           . qq|"error":"$error"}}|;
}

Test::Nginx::Socket::add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;

    my $want = $block->php_status;
    return if !defined $want;

    if (ref $want eq 'ARRAY') {
        $want = $want->[$req_idx];
    }

    return if !defined $want;

    $want =~ s/\n\z//;

    SKIP: {
        Test::More::skip("php_status skipped: $dry_run", 1) if $dry_run;

        # phpApiLib: preg_match('/<methodCallResult.*?status="(.*)">/')
        my $got = $body =~ /<methodCallResult.*?status="(.*)">/
                  ? $1 : '(no match)';

        Test::More::is($got, $want, $block->name
                       . " - PHP regex reads status (req $repeated_req_idx)");
    }
});

1;
