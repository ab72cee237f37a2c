# test_check.py: `sluice check` and `sluice rules lint` as an admin uses
# them: the shipped rules, SpamAssassin-style reports, JSON, exit codes.

import json
import os
import subprocess

from sluice_e2e import REPO_ROOT, SLUICE_CLI

RULES = REPO_ROOT / "share" / "rules"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
HAM = (b"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\n"
       b"Subject: lunch on Friday\r\nDate: Tue, 25 Nov 2025 08:00:00 +0000\r\n"
       b"Message-ID: <1@example.test>\r\n\r\nShall we meet at noon?\r\n")


def check(*args, stdin=None):
    # No sluice.conf at all: check runs on the built-in defaults.
    env = dict(os.environ, SLUICE_CONFIG="/nonexistent/sluice.conf")
    return subprocess.run([str(SLUICE_CLI), "check", "--rules", str(RULES),
                           *args], input=stdin, capture_output=True,
                          timeout=60, env=env)


def test_gtube_is_spam_with_a_report(sluice_binaries):
    message = HAM.replace(b"Shall we", GTUBE.encode() + b"\r\nShall we")
    result = check(stdin=message)
    assert result.returncode == 1, result.stderr
    out = result.stdout.decode()
    assert out.startswith("X-Spam-Status: Yes, score=1000.0 required=5.0 "
                          "tests=GTUBE"), out
    assert "Generic Test for Unsolicited Bulk Email" in out


def test_ham_exits_zero_and_json_lists_hits(sluice_binaries, tmp_path):
    ham = tmp_path / "ham.eml"
    ham.write_bytes(HAM)
    bare = tmp_path / "bare.eml"
    bare.write_bytes(b"Subject: hi\r\n\r\nact now! order today\r\n")
    result = check("--json", str(ham), str(bare))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["file"] for r in lines] == [str(ham), str(bare)]
    assert lines[0]["hits"] == [] and lines[0]["spam"] is False
    rules = {hit["rule"] for hit in lines[1]["hits"]}
    assert {"SLUICE_MISSING_DATE", "SLUICE_MISSING_FROM",
            "SLUICE_BODY_ACT_NOW"} <= rules
    assert abs(lines[1]["score"] - sum(h["score"] for h in lines[1]["hits"])
               ) < 0.01


def test_missing_file_is_exit_two_with_one_line(sluice_binaries):
    result = check("/nonexistent/message.eml")
    assert result.returncode == 2
    assert len(result.stderr.decode().strip().splitlines()) == 1


def test_rules_lint_reports_skips_with_file_and_line(sluice_binaries,
                                                      tmp_path):
    (tmp_path / "10_mine.cf").write_text(
        "body GOOD /fine/\n"
        "body BROKEN /open(/\n"
        "body NEEDS_EVAL eval:some_unknown_test()\n"
        "frobnicate everything\n")
    result = subprocess.run([str(SLUICE_CLI), "rules", "lint", "--json",
                             str(tmp_path)], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["compiled"] == ["GOOD"]
    skipped = {s["rule"]: s for s in report["skipped"]}
    assert skipped["BROKEN"]["line"] == 2
    assert skipped["BROKEN"]["file"].endswith("10_mine.cf")
    assert report["unimplemented_evals"] == ["some_unknown_test"]
    assert any(":4: unknown directive 'frobnicate'" in d
               for d in report["diagnostics"])


def test_rule_actions_apply_whatever_the_score(sluice_binaries, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "50_actions.cf").write_text(
        "body     BAD_WORD /forbidden/\n"
        "action   BAD_WORD reject Message contains a forbidden word\n"
        "header   HOLD_SUBJECT Subject =~ /hold me/\n"
        "action   HOLD_SUBJECT quarantine\n")
    env = dict(os.environ, SLUICE_CONFIG="/nonexistent/sluice.conf")
    run = lambda text: subprocess.run(
        [str(SLUICE_CLI), "check", "--json", "--rules", str(rules)],
        input=text, capture_output=True, timeout=60, env=env)
    both = run(b"Subject: hold me\r\n\r\nthis is forbidden\r\n")
    assert both.returncode == 1, both.stderr
    assert json.loads(both.stdout)["action"] == "reject"
    hold = run(b"Subject: hold me\r\n\r\nfine\r\n")
    assert json.loads(hold.stdout)["action"] == "quarantine"
    clean = run(b"Subject: hello\r\n\r\nfine\r\n")
    assert clean.returncode == 0
    assert json.loads(clean.stdout)["action"] == "none"


def test_message_past_parser_limits_is_scanned_and_flagged(sluice_binaries):
    # 130 nested multiparts: the parser stops at its depth limit (100),
    # the message is still scanned, and a rule says so.
    text = "Subject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for i in range(1, 130):
        text += (f"--b{i - 1}\r\nContent-Type: multipart/mixed; "
                 f"boundary=b{i}\r\n\r\n")
    text += "--b129\r\nContent-Type: text/plain\r\n\r\n" + GTUBE + "\r\n"
    result = check("--json", stdin=text.encode())
    report = json.loads(result.stdout)
    rules = {hit["rule"] for hit in report["hits"]}
    assert "SLUICE_MESSAGE_LIMITS" in rules, report
