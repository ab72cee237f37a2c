#!/usr/bin/perl
# sa_relays.pl: prints SpamAssassin's X-Spam-Relays-* pseudo-headers for
# message files, the reference lib/received.c is compared against.
#
# DESIGN: only the Received-header metadata is wanted, so no rules run:
# SpamAssassin is loaded with the stock default preferences (for the
# originating_ip_headers list, which adds relays) and nothing else, and
# each message gets extract_message_metadata(), the step check() starts
# with. Without --conf no trusted_networks are configured, so the relays
# are classified by SpamAssassin's inference, as in the compatibility
# harness.
#
# Usage: sa_relays.pl [--prefs FILE] [--conf LINE]... FILE...
#        (or file names on stdin)
#   --prefs  default preferences (default
#            /usr/share/spamassassin/10_default_prefs.cf)
#   --conf   a configuration line, e.g. "trusted_networks 10.0.0.0/8"
#            (repeatable)
# Output: one line per file, tab-separated:
#   PATH  UNTRUSTED  TRUSTED  INTERNAL  EXTERNAL
use strict;
use warnings;
use File::Temp qw(tempdir);
use File::Copy qw(copy);
use Getopt::Long;
use Mail::SpamAssassin;
use Mail::SpamAssassin::PerMsgStatus;

my $prefs = '/usr/share/spamassassin/10_default_prefs.cf';
my @conf;
GetOptions('prefs=s' => \$prefs, 'conf=s' => \@conf) or exit 2;

my $dir = tempdir(CLEANUP => 1);
mkdir "$dir/rules" or die "mkdir: $!";
mkdir "$dir/site" or die "mkdir: $!";
copy($prefs, "$dir/rules/10_default_prefs.cf") or die "copy: $!";
open(my $cf, '>', "$dir/site/local.cf") or die "local.cf: $!";
print $cf map { "$_\n" } @conf;
close($cf) or die "local.cf: $!";

my $sa = Mail::SpamAssassin->new({
	rules_filename => "$dir/rules",
	site_rules_filename => "$dir/site",
	userprefs_filename => "$dir/user_prefs",
	userstate_dir => $dir,
	home_dir_for_helpers => $dir,
	dont_copy_prefs => 1,
	local_tests_only => 1,
});
$sa->init(0);

my @files = @ARGV;
if (!@files) {
	while (my $line = <STDIN>) {
		chomp $line;
		push @files, $line if $line ne '';
	}
}
$| = 1;
for my $path (@files) {
	open(my $fh, '<:raw', $path) or die "$path: $!";
	my @lines = <$fh>;
	close($fh);
	my $msg = $sa->parse(\@lines, 1);
	my $pms = Mail::SpamAssassin::PerMsgStatus->new($sa, $msg);
	$pms->extract_message_metadata();
	print join("\t", $path, map { my $v = $pms->get($_);
	    defined $v ? $v : '' } qw(X-Spam-Relays-Untrusted
	    X-Spam-Relays-Trusted X-Spam-Relays-Internal
	    X-Spam-Relays-External)), "\n";
	$pms->finish();
	$msg->finish();
}
