# The state file as Debian runs nginx: a root master, workers as
# www-data, state under a root-owned /var/lib/nginx.  The workers save
# the file, so its directory must let them create and rename files: a
# missing one is created for them (owned by www-data, mode 0700), one
# they cannot write, one on a read-only file system, or a state path
# that is not a regular file stops nginx -t and the start with an
# [emerg] that names the file and the user, where every session would
# otherwise be lost at the next restart.  A full disk fails saves, says
# so, and leaves the previous file as it was.
#
# The blocks depend on each other (a restart between two blocks is the
# point), so they run in order.

BEGIN { $ENV{TEST_NGINX_WORKER_USER} = 'www-data'; }

use t::TestSession 'no_plan';
use t::TestState;

use File::Path ();
use POSIX ();

no_shuffle();
check_accum_error_log();

our $base = state_path('501');
our $tmpfs = "$base/tmpfs";
our $mounted;

sub fresh_dir {
    my ($path, $mode, $owner) = @_;

    File::Path::remove_tree($path);
    File::Path::make_path($path);
    chmod $mode, $path;
    my ($uid, $gid) = (getpwnam($owner))[2, 3];
    chown $uid, $gid, $path;
}

# a small tmpfs of our own, for a read-only or a full file system
sub mount_tmpfs {
    my ($opts) = @_;

    umount_tmpfs();
    File::Path::make_path($tmpfs);
    system("mount -t tmpfs -o $opts tmpfs $tmpfs 2>/dev/null") == 0
        or return 0;
    $mounted = 1;
    return 1;
}

sub umount_tmpfs {
    system("umount $tmpfs 2>/dev/null") if $mounted;
    $mounted = 0;
}

END { umount_tmpfs(); }

our $can_mount = mount_tmpfs('size=64k');
umount_tmpfs();

File::Path::remove_tree($base);
File::Path::make_path($base);

our $config = <<'_EOC_';
    location /app/ {
        add_header Set-Cookie "SID=$arg_t";
        add_header X-User $arg_u;
        return 200 "app\n";
    }

    location / {
        session_track s;
        session_key $cookie_SID;
        session_create $upstream_cookie_SID;
        session_account $upstream_http_x_user;
        proxy_pass http://127.0.0.1:$server_port/app$request_uri;
    }

    location = /who {
        session_track s;
        session_key $cookie_SID;
        return 200 "[$session_account]\n";
    }
_EOC_

sub zone_conf {
    return "    session_zone zone=s:1m timeout=1h state=$_[0];\n";
}

sub owner_mode {
    my @st = stat $_[0] or return 'none';
    return sprintf("%s %o", scalar getpwuid($st[4]), $st[2] & 07777);
}

run_tests();

__DATA__

=== TEST 1: a root-owned 0755 directory: no start, the [emerg] names the file and the user
--- post_setup_server_root
main::fresh_dir("$::base/varlib", 0755, 'root');
--- http_config eval: main::zone_conf("$::base/varlib/s.state")
--- config eval: $::config
--- must_die
--- error_log eval
qr/\[emerg\] .*session zone "s": the worker processes' user "www-data" cannot create files in "\Q$::base\E\/varlib\/", so the sessions could never be saved to the state file "\Q$::base\E\/varlib\/s\.state"; give that user a directory of its own/



=== TEST 2: Debian's own /var/lib/nginx, as docs/operations.md once suggested
--- skip_eval: 1: !-d '/var/lib/nginx' || (stat '/var/lib/nginx')[4] != 0 || ((stat '/var/lib/nginx')[2] & 022)
--- http_config eval: main::zone_conf("/var/lib/nginx/501-t.state")
--- config eval: $::config
--- must_die
--- error_log eval
qr/\[emerg\] .*the worker processes' user "www-data" cannot create files in "\/var\/lib\/nginx\/"/



=== TEST 3: a missing directory is made for the workers' user; sessions are saved at stop
--- post_setup_server_root
main::fresh_dir("$::base/varlib", 0755, 'root');
--- http_config eval: main::zone_conf("$::base/varlib/sessions/s.state")
--- config eval: $::config
--- request
GET /login?t=tok-a&u=alice
--- response_body
app
--- error_log eval
qq{session zone "s": created the directory "$::base/varlib/sessions/" for the state file, owned by "www-data"}
--- no_error_log
[error]
[alert]
[crit]
[emerg]
--- stop_term
--- after
is(main::owner_mode("$::base/varlib/sessions"), 'www-data 700',
   'the directory belongs to the workers');



=== TEST 4: ... and come back at the next start
--- http_config eval: main::zone_conf("$::base/varlib/sessions/s.state")
--- config eval: $::config
--- request
GET /who
--- more_headers
Cookie: SID=tok-a
--- response_body
[alice]
--- no_error_log
[error]
[alert]
[crit]
[emerg]
--- after
is(main::owner_mode("$::base/varlib/sessions/s.state"), 'www-data 600',
   'the file is the workers\'');



=== TEST 5: a file of root's in the workers' directory is read, then replaced
--- post_setup_server_root
my $f = "$::base/varlib/sessions/s.state";
chown 0, 0, $f;
chmod 0600, $f;
--- http_config eval: main::zone_conf("$::base/varlib/sessions/s.state")
--- config eval: $::config
--- request eval
["GET /who", "GET /login?t=tok-b&u=bob"]
--- more_headers eval
["Cookie: SID=tok-a", ""]
--- response_body eval
["[alice]\n", "app\n"]
--- no_error_log
[error]
[alert]
[crit]
[emerg]
--- after
my $t = wait_state('501/varlib/sessions/s.state', sub { $_[0] =~ / bob / });
like($t, qr/ bob /, 'saved after the root file was read');
is(main::owner_mode("$::base/varlib/sessions/s.state"), 'www-data 600',
   'the root file was replaced by the workers\'');



=== TEST 6: a read-only file system: no start
--- skip_eval: 1: !$::can_mount
--- post_setup_server_root
main::mount_tmpfs('size=64k,mode=0755');
main::fresh_dir("$::tmpfs/sessions", 0700, 'www-data');
system("mount -o remount,ro $::tmpfs") == 0 or die "remount: $?";
--- http_config eval: main::zone_conf("$::tmpfs/sessions/s.state")
--- config eval: $::config
--- must_die
--- error_log eval
qq{session zone "s": the state file "$::tmpfs/sessions/s.state" is on a read-only file system}
--- after
main::umount_tmpfs();



=== TEST 7: a full disk: saves fail and say so, the previous file stays whole
--- skip_eval: 1: !$::can_mount
--- post_setup_server_root
main::mount_tmpfs('size=64k,mode=0755');
main::fresh_dir("$::tmpfs/sessions", 0700, 'www-data');
system("cp -p $::base/varlib/sessions/s.state $::tmpfs/sessions/s.state") == 0
    or die "cp: $?";
# leave no room for a second copy of the file
system("dd if=/dev/zero of=$::tmpfs/fill bs=1k count=64 2>/dev/null");
--- http_config eval: main::zone_conf("$::tmpfs/sessions/s.state")
--- config eval: $::config
--- request eval
["GET /who", "GET /login?t=tok-c&u=carol"]
--- more_headers eval
["Cookie: SID=tok-b", ""]
--- response_body eval
["[bob]\n", "app\n"]
--- wait: 2
--- error_log eval
qr/session zone "s": saving the sessions failed: .*\(28: No space left on device\)/
--- no_error_log
[crit]
[emerg]
--- after
my $t = read_state('501/tmpfs/sessions/s.state');
like($t, qr/ bob .*\nend \d+\n\z/s, 'the previous file is whole');
unlike($t, qr/ carol /, 'and has not taken the new session');
main::umount_tmpfs();



=== TEST 8: a symbolic link as the state file: no start, nothing written through it
--- post_setup_server_root
main::fresh_dir("$::base/link", 0700, 'www-data');
open my $fh, '>', "$::base/target" or die;
print $fh "precious\n";
close $fh;
symlink "$::base/target", "$::base/link/s.state" or die "symlink: $!";
--- http_config eval: main::zone_conf("$::base/link/s.state")
--- config eval: $::config
--- must_die
--- error_log eval
qq{session zone "s": the state file "$::base/link/s.state" is not a regular file}
--- after
is(read_state('501/target'), "precious\n", 'the link\'s target is untouched');



=== TEST 9: a FIFO as the state file: no start, and no hang
--- post_setup_server_root
main::fresh_dir("$::base/fifo", 0700, 'www-data');
POSIX::mkfifo("$::base/fifo/s.state", 0600) or die "mkfifo: $!";
--- http_config eval: main::zone_conf("$::base/fifo/s.state")
--- config eval: $::config
--- must_die
--- error_log eval
qq{session zone "s": the state file "$::base/fifo/s.state" is not a regular file}
