#!/usr/bin/python3
# sa_rules.py: reads a SpamAssassin rules directory just far enough to say
# which rules depend on the network (DNS, URI blocklists, Razor/Pyzor/DCC,
# SPF/DKIM/DMARC/ARC) or on learned state (Bayes, auto-welcomelist,
# TxRep); compatibility tests leave those out of the comparison.
#
# DESIGN: a rule counts as "network" when any of these holds:
#   - a `tflags NAME ... net` line marks it (SpamAssassin's own flag);
#   - its name starts with BAYES_ (Bayes is off in the harness);
#   - it is defined inside `ifplugin P` (at any depth) for a plugin in
#     NETWORK_PLUGINS, whose tests all need DNS, external tools or state;
#   - its definition calls an eval function in NETWORK_EVALS.
# Offline, SpamAssassin never hits such a rule, while an engine that
# implements, say, DKIM signature presence without key lookup may, so
# counting them would measure the harness, not the rules engine. Files are
# read as Latin-1 (some rule files are not UTF-8), in name order.
#
# Command line: sa_rules.py [DIR]  prints the network rules, one a line.

import re
import sys
from pathlib import Path

PLUGIN_PREFIX = "Mail::SpamAssassin::Plugin::"
NETWORK_PLUGINS = {
    "AskDNS", "ASN", "AWL", "Bayes", "DCC", "DKIM", "DMARC", "DNSEval",
    "HashBL", "Pyzor", "Razor2", "RelayCountry", "SPF", "SpamCop", "TxRep",
    "URIDNSBL", "URILocalBL",
}
# Eval functions that look things up on the network or in learned state.
NETWORK_EVALS = re.compile(
    r"eval:\s*(check_rbl\w*|check_dns_sender|check_uridnsbl|check_bayes|"
    r"check_dkim_\w+|check_for_dkim_\w+|check_for_def_dkim_\w+|"
    r"check_arc_\w+|check_for_spf_\w+|check_for_def_spf_\w+|"
    r"check_dmarc_\w+|check_razor2\w*|check_pyzor|check_dcc\w*|"
    r"check_hashbl_\w+|check_senders_reputation|"
    r"check_from_in_auto_\w+)\s*\(")
# Directives whose first argument is the name of the rule they define.
RULE_TYPES = {
    "header", "body", "rawbody", "full", "uri", "meta", "mimeheader",
    "uri_detail", "askdns", "uridnsbl", "uridnssub", "urirhsbl",
    "urirhssub", "urinsrhsbl", "urinsrhssub", "urifullnsrhsbl",
    "urifullnsrhssub", "reuse",
}
COMMENT = re.compile(r"(?<!\\)#.*")


def _lines(rules_dir):
    for path in sorted(Path(rules_dir).glob("*.cf")):
        text = path.read_bytes().decode("latin-1")
        for line in text.splitlines():
            line = COMMENT.sub("", line).strip()
            if line:
                yield line


def network_rules(rules_dir):
    """Set of rule names in rules_dir (*.cf) that need network or state."""
    network = set()
    # One entry per open if/ifplugin: True when it names a network plugin.
    blocks = []
    for line in _lines(rules_dir):
        fields = line.split()
        keyword = fields[0].lower()
        if keyword == "ifplugin":
            plugin = fields[1] if len(fields) > 1 else ""
            if plugin.startswith(PLUGIN_PREFIX):
                plugin = plugin[len(PLUGIN_PREFIX):]
            blocks.append(plugin in NETWORK_PLUGINS)
            continue
        if keyword == "if":
            blocks.append(False)
            continue
        if keyword == "else":
            # The other branch of `ifplugin P` runs without P.
            if blocks:
                blocks[-1] = False
            continue
        if keyword == "endif":
            if blocks:
                blocks.pop()
            continue
        if len(fields) < 2:
            continue
        name = fields[1]
        if keyword == "tflags" and "net" in fields[2:]:
            network.add(name)
        elif keyword in RULE_TYPES:
            if any(blocks) or name.startswith("BAYES_") \
                    or NETWORK_EVALS.search(line):
                network.add(name)
    return network


def main(argv):
    rules_dir = argv[1] if len(argv) > 1 else "/usr/share/spamassassin"
    for name in sorted(network_rules(rules_dir)):
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
