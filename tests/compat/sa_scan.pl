#!/usr/bin/perl
# sa_scan.pl: one long-lived SpamAssassin (Mail::SpamAssassin API) process
# that scans many message files offline and prints one JSON line per file.
#
# DESIGN: the `spamassassin` script pays its start-up (reading and
# compiling ~70 rule files, several seconds) for every invocation, and its
# output for several files is one concatenated stream that is hard to split.
# This worker starts SpamAssassin once, then runs check() on each file
# named on standard input, the same code path `spamassassin -L -t` and
# spamd use. local_tests_only is the API form of `-L`. The caller
# (sa_hits.py) prepares the site configuration directory: the plugin .pre
# files plus a local.cf with the offline settings (no Bayes, no
# auto-welcomelist/TxRep, no DNS), which SpamAssassin reads after the rules
# directory, so no rule file can switch them back on. User preferences
# and state live in --state, never in the caller's home directory.
#
# Usage: sa_scan.pl --rules DIR --site DIR --state DIR [--timing] < list
#   list     one message path per line
#   --timing print "sa_scan: startup S scan T messages N" to stderr at the
#            end (seconds; scan time excludes start-up)
# Output (stdout, one line per input path, in input order):
#   {"file": PATH, "score": 7.1, "required": 5.0, "spam": true,
#    "hits": [{"rule": NAME, "score": 1.5}, ...]}
#   or {"file": PATH, "error": TEXT} when the file cannot be read/checked.
# Exit status 0 when every file was scanned, 1 otherwise, 2 on usage errors.
use strict;
use warnings;
use Getopt::Long;
use JSON::PP;
use Time::HiRes qw(time);
use Mail::SpamAssassin;

my ($rules, $site, $state, $timing);
GetOptions(
	'rules=s' => \$rules,
	'site=s' => \$site,
	'state=s' => \$state,
	'timing' => \$timing,
) or exit 2;
if (!defined $rules || !defined $site || !defined $state) {
	print STDERR "usage: sa_scan.pl --rules DIR --site DIR --state DIR" .
	    " [--timing] < list\n";
	exit 2;
}

my $started = time();
my $sa = Mail::SpamAssassin->new({
	rules_filename => $rules,
	site_rules_filename => $site,
	userprefs_filename => "$state/user_prefs",
	userstate_dir => $state,
	home_dir_for_helpers => $state,
	dont_copy_prefs => 1,
	local_tests_only => 1,
	require_rules => 1,
});
$sa->compile_now(0, 1);
my $ready = time();

my $json = JSON::PP->new->canonical;
my $failed = 0;
my $count = 0;
$| = 1;
while (my $path = <STDIN>) {
	chomp $path;
	next if $path eq '';
	my $fh;
	if (!open($fh, '<:raw', $path)) {
		print $json->encode({file => $path, error => "open: $!"}), "\n";
		$failed = 1;
		next;
	}
	my @lines = <$fh>;
	close($fh);
	my $result = eval {
		my $message = $sa->parse(\@lines, 1);
		my $status = $sa->check($message);
		my $scores = $status->get_names_of_tests_hit_with_scores_hash();
		my @hits = map { { rule => $_, score => 0 + $scores->{$_} } }
		    sort keys %$scores;
		my $out = {
			file => $path,
			score => 0 + sprintf('%.3f', $status->get_score()),
			required => 0 + $status->get_required_score(),
			spam => $status->is_spam() ? JSON::PP::true :
			    JSON::PP::false,
			hits => \@hits,
		};
		$status->finish();
		$message->finish();
		$out;
	};
	if (!$result) {
		my $error = $@ || 'check failed';
		chomp $error;
		$result = {file => $path, error => $error};
		$failed = 1;
	}
	print $json->encode($result), "\n";
	$count++;
}
my $done = time();
$sa->finish();
if ($timing) {
	printf STDERR "sa_scan: startup %.3f scan %.3f messages %d\n",
	    $ready - $started, $done - $ready, $count;
}
exit $failed;
