# Recipe: Commvault (docs/login.md).  POST /Login as cvpysdk sends it
# (JSON, t/data/login/commvault-login-cvpysdk.req, made with the
# library's own requests.post() call) and as Commvault's REST
# documentation shows it in XML, replayed through an upstream stub that
# answers with the login response: the token ("QSDK ..."), the user's
# id (aliasName) and name, in the body only.  The client then sends
# "Authtoken: QSDK ..."; POST /Logout ends the session.  The session and
# its account show in a Zimbra dump, a Hornbill getSessionInfo and a
# Commvault GET Session.

use t::TestSession 'no_plan';
use t::Login;

our $Token = (fixture('commvault-login-json.body') =~ m{"token":"([^"]+)"})[0];

our @Cv = captured('commvault-login-cvpysdk');
our $XmlBody = fixture('commvault-login-xml.reqbody');

start_stub(
    ['POST', qr{/Login$}, qr{\A[^\r]*\r\n(?:.*\r\n)*\r\n\{}s,
     "200 OK\r\nContent-Type: application/json; charset=utf-8\r\n\r\n"
     . fixture('commvault-login-json.body')],
    ['POST', qr{/Login$}, qr{<DM2ContentIndexing_CheckCredentialReq },
     "200 OK\r\nContent-Type: application/xml; charset=utf-8\r\n\r\n"
     . fixture('commvault-login-xml.body')],
    ['POST', qr{/Logout$}, undef,
     "200 OK\r\nContent-Type: text/plain\r\n\r\nUser logged out"],
    ['GET', qr{^/commandcenter/api/Client$}, undef,
     "200 OK\r\nContent-Type: application/json\r\n\r\n{\"clientProperties\":[]}"],
);

our $HttpConfig = <<'_EOC_';
    session_zone zone=s:1m keep_closed=1h;

    upstream commvault {
        server 127.0.0.1:$TEST_NGINX_STUB_PORT;
    }
_EOC_

our $Config = <<'_EOC_' . $Endpoints;
    session_track s;
    session_key $http_authtoken;

    # the login: the session from the response's token, the account from
    # its aliasName (the user id) and userName, in JSON or XML
    location ~ ^/(?:commandcenter/api|SearchSvc/CVWebService\.svc)/Login$ {
        session_field $cv_token response
            json=/token json=/DM2ContentIndexing_CheckCredentialResp/@token
            xml=string(/DM2ContentIndexing_CheckCredentialResp/@token);
        session_field $cv_user_id response
            json=/aliasName
            json=/DM2ContentIndexing_CheckCredentialResp/@aliasName
            xml=string(/DM2ContentIndexing_CheckCredentialResp/@aliasName);
        session_field $cv_user_name response
            json=/userName
            json=/DM2ContentIndexing_CheckCredentialResp/@userName
            xml=string(/DM2ContentIndexing_CheckCredentialResp/@userName);
        session_create $cv_token;
        session_account $cv_user_id name=$cv_user_name;
        proxy_set_header Accept-Encoding "";
        proxy_pass http://commvault;
    }

    location ~ ^/(?:commandcenter/api|SearchSvc/CVWebService\.svc)/Logout$ {
        session_end 1;
        proxy_pass http://commvault;
    }

    location /commandcenter/api/ {
        proxy_pass http://commvault;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("http_config", $HttpConfig)
        unless defined $block->http_config;
    $block->set_value("config", $Config) unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: cvpysdk's JSON login, a call with the token, a logout
--- request eval
[$::Cv[0], "GET /commandcenter/api/Client", $::Dump, $::Info,
 $::List . "10", "POST /commandcenter/api/Logout\n", $::List . "10"]
--- more_headers eval
[$::Cv[1], "Accept: application/json\nAuthtoken: $::Token", "",
 "Authtoken: $::Token", "Accept: application/json\nAuthtoken: $::Token",
 "Authtoken: $::Token", "Accept: application/json\nAuthtoken: $::Token"]
--- error_code eval
[200, 200, 200, 200, 200, 200, 401]
--- response_headers eval
["X-Stub-Body-MD5: " . main::md5($::Cv[2]), "", "", "", "", "", ""]
--- response_body_like eval
["\\A" . quotemeta(main::fixture('commvault-login-json.body')) . "\\z",
 "clientProperties", "activeSessions=\"1\"", "<userId>10</userId>",
 '"user":\{"userName":"jsmith","userId":10\}', "User logged out", ""]
--- xsd eval
[undef, undef, "zimbraAdmin.xsd", undef, undef, undef, undef]
--- xpath eval
[undef, undef, <<'_EOX_', <<'_EOX_', undef, undef, undef]
//za:soap/za:zid/@id => 10
//za:soap/za:zid/@name => jsmith
count(//za:soap/za:zid/za:s) => 1
_EOX_
/methodCallResult/@status => ok
/methodCallResult/params/userId => 10
/methodCallResult/params/userName => jsmith
_EOX_
--- json eval
[undef, undef, undef, undef,
 '@{$_->{sessions}} == 1 && $_->{sessions}[0]{logoutTime} == 0',
 undef, undef]
--- no_error_log
[error]
[warn]



=== TEST 2: the XML login of Commvault's REST documentation
--- request eval
["POST /SearchSvc/CVWebService.svc/Login\n$::XmlBody", $::Dump, $::Info,
 $::List . "10"]
--- more_headers eval
["Accept: application/xml\nContent-type: application/xml", "",
 "Authtoken: $::Token", "Accept: application/xml\nAuthtoken: $::Token"]
--- response_headers eval
["X-Stub-Body-MD5: " . main::md5($::XmlBody), "", "", ""]
--- response_body_like eval
["\\A" . quotemeta(main::fixture('commvault-login-xml.body')) . "\\z",
 "activeSessions=\"1\"", "<userId>10</userId>",
 '<user userName="jsmith" userId="10" />']
--- xpath eval
[undef, "//za:soap/za:zid/\@name => jsmith\n", undef,
 "/Api_GetLoggedInSessionsResp/sessions/user/\@userId => 10\n"]
--- no_error_log
[error]
[warn]
