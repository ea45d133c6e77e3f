#!/bin/bash
# Seeds the fuzzers' corpora, fuzz/corpus-NAME/ (not committed: made
# anew from the test suite on every run):
#
#   - from t/*.t: each request's body (an XML body, starting with "<",
#     goes to the "xml" kind; "{" or "[" to "json"; anything else to
#     "text"), each query string ("args"), each header value ("text");
#   - a few documents of each kind written below, so every harness has a
#     start even before the suite has requests of its kind.
#
# A harness takes the seeds of one or more kinds: one "harness" line at
# the bottom.  Usage: fuzz/seeds.sh [NAME ...]   (default: all harnesses)

set -e

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz=$root/fuzz
kinds=$root/build/fuzz/seeds

rm -rf "$kinds"
mkdir -p "$kinds"/{xml,json,args,text,vars,state,jwt}
cd "$root"


# from the test suite

perl -e '
    use strict;
    use warnings;
    use Digest::MD5 qw(md5_hex);

    my $out = shift;

    # the helpers "--- ... eval" sections call (zm_login() ...), from
    # the modules of t/; one that cannot load here is left out
    {
        local $SIG{__WARN__} = sub {};
        for my $pm (glob "t/*.pm") {
            (my $mod = $pm) =~ s{/}{::}g;
            $mod =~ s/\.pm$//;
            next if $mod eq "t::TestSession";
            eval "package main; use $mod; 1";
        }
    }

    sub put {
        my ($kind, $data) = @_;
        return if !defined $data || $data eq "";
        open my $fh, ">", "$out/$kind/t-" . md5_hex($data) or die "$!";
        binmode $fh;
        print $fh $data;
        close $fh;
    }

    sub request {
        my ($req) = @_;
        return if !defined $req || ref $req;
        my ($line, $body) = split /\n/, $req, 2;
        $line //= "";
        if ($line =~ m{^\S+\s+\S*?\?(\S*)}) {
            put("args", $1);
        }
        return if !defined $body || $body !~ /\S/;
        $body =~ s/\n\z//;
        my ($first) = $body =~ /^\s*(\S)/;
        put($first eq "<" ? "xml"
            : ($first eq "{" || $first eq "[") ? "json" : "text", $body);
    }

    for my $file (@ARGV) {
        open my $fh, "<", $file or die "$file: $!";
        local $/;
        my $text = <$fh>;
        close $fh;

        my ($data) = $text =~ /^__DATA__\n(.*)\z/ms or next;

        for my $block (split /^=== /m, $data) {
            my @sections = split /^--- /m, $block;
            shift @sections;

            for my $s (@sections) {
                my ($head, $value) = split /\n/, $s, 2;
                $value //= "";
                $value =~ s/\n+\z/\n/;
                my ($name, @flags) = split " ", $head;
                next if !defined $name;

                # Test::Nginx sections only; eval ones are code of the
                # suite, run here the way Test::Nginx runs them
                my $eval = grep { $_ eq "eval" } @flags;
                my @values = ($value);
                if ($eval) {
                    local $SIG{__WARN__} = sub {};
                    my @got = eval "package main; no strict; $value";
                    next if $@;
                    @values = map { ref $_ eq "ARRAY" ? @$_ : $_ } @got;
                }

                if ($name =~ /^(request|pipelined_requests|raw_request)$/) {
                    request($_) for @values;

                } elsif ($name eq "more_headers") {
                    for my $v (@values) {
                        next if !defined $v || ref $v;
                        for my $h (split /\n/, $v) {
                            put("text", $1) if $h =~ /^[^:]+:\s*(.*)$/;
                        }
                    }
                }
            }
        }
    }
' "$kinds" t/*.t


# written here: the request forms of shared/reference/wire-formats.md

seed() {   # kind name text (backslash escapes: \n \t \xHH)
    printf '%b' "$3" >"$kinds/$1/$2"
}

seed xml zimbra-soap '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"><authToken>0_ab12</authToken></context></soap:Header><soap:Body><DumpSessionsRequest xmlns="urn:zimbraAdmin" listSessions="1" groupByAccount="1"/></soap:Body></soap:Envelope>'
seed xml zimbra-soap11 '<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">\n <soapenv:Header><context xmlns="urn:zimbra"><authToken>tok</authToken><session/></context></soapenv:Header>\n <soapenv:Body><DumpSessionsRequest xmlns="urn:zimbraAdmin" listSessions="true"/></soapenv:Body>\n</soapenv:Envelope>\n'
seed xml hornbill '<methodCall service="session" method="getSessionInfo" trace="goApi">\n<params><sessionId>0123456789abcdef0123456789abcdef</sessionId></params></methodCall>'
seed xml hornbill-empty '<?xml version="1.0" encoding="UTF-8"?><methodCall service="session" method="getSessionInfo"/>'
seed xml entities '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "bbbbbbbb"><!ENTITY c "&b;&b;&b;&b;">]><a>&c;</a>'
seed xml external '<?xml version="1.0"?><!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>'
seed xml cdata '<a><![CDATA[<b>&amp;</b>]]><!-- c --><?pi x?>&#x10FFFF;&lt;</a>'
seed xml latin1 '<?xml version="1.0" encoding="ISO-8859-1"?><a n="\xe9\xe8">\xff</a>'
seed json zimbra '{"Header":{"context":{"_jsns":"urn:zimbra","authToken":{"_content":"0_ab12"}}},"Body":{"DumpSessionsRequest":{"_jsns":"urn:zimbraAdmin","listSessions":1,"groupByAccount":0}}}'
seed json zimbra-bools '{"Header":{"context":{"_jsns":"urn:zimbra","authToken":[{"_content":"t"}]}},"Body":{"DumpSessionsRequest":{"_jsns":"urn:zimbraAdmin","listSessions":true,"groupByAccount":"1"}}}'
seed json hornbill '{"@service":"session","@method":"getSessionInfo","params":{"sessionId":"0123456789abcdef0123456789abcdef"}}'
seed json odd '[1e999,-0,9223372036854775807,"\\u0000\\ud83d\\ude00",{"a":1,"a":2},null]'
seed args commvault 'userId=alice%40example.com'
seed args zimbra 'listSessions=1&groupByAccount=true&type=imap'
seed args hornbill 'method=getSessionInfo&sessionId=0123456789abcdef0123456789abcdef'
seed args status 'match=%5Ea.%2A%24&limit=10&closed=1&addr=%3A%3Affff%3A127.0.0.1'
seed args escapes 'userId=%&userId=%zz&token=Bearer%20x%00y&sid=%41+b'
seed text utf8 'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'
seed text bad-utf8 '\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xef\xbf\xbe \x80 \xff'
seed text specials '<&"'"'"'>\t\n\r\x01\x1f\x7f \\ \b\f'
seed text php-logout 'PHPSESSID=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=0; path=/'
seed text django-logout 'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/'
seed text aspnet-logout 'ASP.NET_SessionId=; expires=Mon, 11-Oct-1999 22:00:00 GMT; path=/; HttpOnly'
seed text java-logout 'JSESSIONID=abc; Max-Age=-1; Expires=Sunday, 06-Nov-94 08:49:37 GMT'
seed text zimbra-get 'GET\n1\ntrue'
seed text zimbra-get-list 'GET\nmaybe'
seed args status-list 'format=json&list=1&limit=2&type=imap&account=id-1&closed=0'
seed args status-prom 'format=prometheus'
seed args broadcast 'addr=255.255.255.255&sid=::255.255.255.255'
seed text hornbill-query '?getSessionInfo\n0123456789ABCDEF0123456789abcdef\n<methodCall service="session" method="getSessionInfo"/>'
seed text hornbill-python "b'<methodCall service=\"session\" method=\"getSessionInfo\"><params><sessionId>0123456789abcdef0123456789abcdef</sessionId></params></methodCall>'"
seed state header 'ngx_http_session_state 1 zone=s key=00112233445566778899aabbccddeeff epoch=1700000000000 pid=123 saved=1700000000000'
seed state session 's 0123456789abcdef0123456789abcdef soap id-1 user%40example.com 1700000000000 1700000001000 0 127.0.0.1 3 role=admin lang=en'
seed state session6 's 00000000000000000000000000000000 imap - - 1 2 3 ::ffff:10.0.0.1 4294967295 a= %3D=%25\r'
seed state closed 's ffffffffffffffffffffffffffffffff admin a%20b - 1700000000000 1700000000000 1700000000500 - 0'
seed state end 'end 2'
seed state comment '# sessions of zone s'
seed vars two '\x04\x05role\x61dmin\x02\x00id'
seed vars cut '\x08\xffshort'
seed vars empty '\x00\x00\x00\x00'


# the login tests' bytes: the clients' captured requests, the answers,
# the test tokens and keys

for f in t/data/login/*.req; do
    body=$(sed -n '/^\r$/,$p' "$f" | tail -n +2)
    case $body in
        "<"*) k=xml ;; "{"*) k=json ;; *) k=text ;;
    esac
    printf '%s' "$body" >"$kinds/$k/login-$(basename "$f" .req)"
done

for f in t/data/login/*.body t/data/login/*.reqbody; do
    case $(head -c 1 "$f") in
        "<") k=xml ;; "{") k=json ;; *) k=text ;;
    esac
    cp "$f" "$kinds/$k/login-$(basename "$f")"
done

while read -r name token; do
    printf '%s' "$token" >"$kinds/jwt/$name"
done <t/data/jwt/tokens.txt

cp t/data/jwt/jwks.json "$kinds/json/jwks"
seed json jwks-oct '{"keys":[{"kty":"oct","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY","alg":"HS256"}]}'


# harness  seed kinds (one line per harness)

harness() {
    local name=$1 kind f
    shift
    [ $# -gt 0 ] || return 0
    mkdir -p "$fuzz/corpus-$name"
    for kind in "$@"; do
        for f in "$kinds/$kind"/*; do
            [ -e "$f" ] && cp "$f" "$fuzz/corpus-$name/$kind-${f##*/}"
        done
    done
    echo "fuzz/seeds.sh: $name: $(ls "$fuzz/corpus-$name" | wc -l) input(s)"
}

want() {   # a harness line runs only for the names asked for, if any
    local n
    [ ${#only[@]} -eq 0 ] && return 0
    for n in "${only[@]}"; do [ "$n" = "$1" ] && return 0; done
    return 1
}

only=("$@")

want xml && harness xml xml
want json && harness json json
want args && harness args args text
want escape && harness escape text xml json args
want vars && harness vars vars text
want zimbra && harness zimbra xml json text
want status && harness status args
want hornbill && harness hornbill xml json text
want state && harness state state
want cookie && harness cookie text
want fields && harness fields xml json text
want jwt && harness jwt jwt
want jwks && harness jwks json
true
