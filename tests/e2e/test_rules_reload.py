# test_rules_reload.py: sluiced compiles its rules (rules.dirs) at start
# and again on SIGHUP, in the background: a rules file with errors never
# replaces the working set, and mail keeps flowing throughout.

import re
import signal
import time
from pathlib import Path

import pytest

from sluice_e2e import DEMO, chown_tree

GOOD = "body SLUICE_TEST_ONE /hello/\nscore SLUICE_TEST_ONE 1.0\n"
BROKEN = "body BROKEN /(/\nscore BROKEN 1.0\n"
SECOND = "body SLUICE_TEST_TWO /world/\nscore SLUICE_TEST_TWO 1.0\n"
EVENT_TIMEOUT = 20.0


def start_with_rules(sluice_factory, files):
    """A daemon whose rules.dirs is one directory holding files."""
    instance = sluice_factory(start=False)
    rules = instance.base_dir / "rules"
    rules.mkdir()
    for name, text in files.items():
        (rules / name).write_text(text)
    instance.settings["rules.dirs"] = str(rules)
    instance.write_config()
    chown_tree(instance.base_dir)
    instance.start()
    return instance, rules


def wait_for_event(instance, pattern, after=0):
    """The first log line after offset `after` matching pattern (an
    event=... regex); fails with the log tail when none comes."""
    regex = re.compile(pattern)
    deadline = time.monotonic() + EVENT_TIMEOUT
    while time.monotonic() < deadline:
        for line in instance.log_text()[after:].splitlines():
            if regex.search(line):
                return line
        time.sleep(0.05)
    raise AssertionError(f"no log line matching {pattern!r}\n"
                         + instance.log_tail())


def hup(instance):
    """Sends SIGHUP; returns the log offset to look for its outcome."""
    after = len(instance.log_text())
    instance.proc.send_signal(signal.SIGHUP)
    return after


def reload_outcome(instance, after):
    return wait_for_event(
        instance, r"event=rules_(reloaded|reload_refused) ", after)


def test_broken_rules_file_never_replaces_the_working_set(sluice_factory):
    sluice, rules = start_with_rules(sluice_factory, {"10_test.cf": GOOD})
    line = wait_for_event(sluice, r"event=rules_loaded ")
    assert re.search(r" rules=1 skipped=0 diagnostics=0 dirs=" +
                     re.escape(str(rules)) + r"$", line), line

    # A broken regex: refused, the one good rule stays in force.
    (rules / "10_test.cf").write_text(GOOD + BROKEN)
    line = reload_outcome(sluice, hup(sluice))
    assert "event=rules_reload_refused problems=1 " in line, line
    match = re.search(r' first="([^"]*)" kept_rules=(\d+)$', line)
    assert match, line
    assert match.group(1).startswith(str(rules / "10_test.cf") +
                                     ":3: BROKEN: regex:"), line
    assert match.group(2) == "1", line

    # Mail keeps flowing after the refused reload.
    with sluice.smtp() as client:
        client.ehlo()
        code, _ = client.mail("sender@remote.test")
        assert code == 250
        code, _ = client.rcpt(DEMO)
        assert code == 250
        code, reply = client.data(b"Subject: after refusal\r\n\r\nhello\r\n")
        assert code == 250, reply

    # Fixed, with one more good rule: swapped in.
    (rules / "10_test.cf").write_text(GOOD + SECOND)
    line = reload_outcome(sluice, hup(sluice))
    assert re.search(r"event=rules_reloaded rules=2 skipped=0 ", line), line

    # The same good file again reloads fine.
    line = reload_outcome(sluice, hup(sluice))
    assert re.search(r"event=rules_reloaded rules=2 skipped=0 ", line), line
    sluice.wait_for_messages(DEMO, 1, marker="after refusal")


def test_problems_the_running_set_has_do_not_block_a_reload(sluice_factory):
    # Known problems (a broken rule, a bad line) stay excused when other
    # lines change; only new ones refuse.
    sluice, rules = start_with_rules(
        sluice_factory, {"10_test.cf": GOOD + BROKEN + "score X lots\n"})
    line = wait_for_event(sluice, r"event=rules_loaded ")
    assert " rules=1 skipped=1 diagnostics=1 " in line, line
    (rules / "05_more.cf").write_text(SECOND)
    line = reload_outcome(sluice, hup(sluice))
    assert re.search(r"event=rules_reloaded rules=2 skipped=1 ", line), line
    (rules / "20_bad.cf").write_text("if (1)\n" + GOOD)
    line = reload_outcome(sluice, hup(sluice))
    assert "event=rules_reload_refused problems=1 " in line, line
    assert f'first="{rules / "20_bad.cf"}:' in line, line
    assert line.endswith(" kept_rules=2"), line


def test_daemon_without_rules_runs_and_loads_them_on_hup(sluice_factory):
    instance = sluice_factory(start=False)
    rules = instance.base_dir / "rules"
    instance.settings["rules.dirs"] = str(rules)
    instance.write_config()
    instance.start()
    line = wait_for_event(instance, r"event=rules_unavailable ")
    assert "no rule directory found" in line, line
    marker = instance.send()
    instance.wait_for_messages(DEMO, 1, marker=marker)

    rules.mkdir()
    (rules / "10_test.cf").write_text(GOOD + BROKEN)
    chown_tree(instance.base_dir)
    # Nothing was running, so a set that built is taken, problems and all.
    line = reload_outcome(instance, hup(instance))
    assert re.search(r"event=rules_reloaded rules=1 skipped=1 ", line), line


STOCK_RULES = Path("/usr/share/spamassassin")


@pytest.mark.skipif(not STOCK_RULES.is_dir(),
                    reason="SpamAssassin's rules are not installed")
def test_stock_rules_reload_and_stop_during_a_build(sluice_factory):
    # The stock rules have problems of their own (regexes PCRE2 refuses,
    # unknown directives): they never block reloading the same files.
    sluice = sluice_factory(settings={"rules.dirs": str(STOCK_RULES)})
    loaded = wait_for_event(sluice, r"event=rules_loaded ")
    count = re.search(r" rules=(\d+) ", loaded).group(1)
    after = hup(sluice)
    # A HUP while a build runs queues one more build, run after it.
    sluice.proc.send_signal(signal.SIGHUP)
    line = reload_outcome(sluice, after)
    assert f"event=rules_reloaded rules={count} " in line, line
    deadline = time.monotonic() + EVENT_TIMEOUT
    while time.monotonic() < deadline:
        log = sluice.log_text()[after:]
        builds = log.count("event=rules_reload_started")
        if log.count(f"event=rules_reloaded rules={count} ") == builds:
            break
        time.sleep(0.05)
    assert builds == 1 + log.count("event=rules_reload_queued"), log
    # Stopping while a build runs: the build is dropped and the exit is
    # clean (teardown checks the log too).
    after = hup(sluice)
    wait_for_event(sluice, r"event=rules_reload_started ", after)
    assert sluice.stop() == 0
