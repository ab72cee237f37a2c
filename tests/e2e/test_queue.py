# test_queue.py: the queue manager against a real sluiced: retries, expiry
# bounces (RFC 3464 DSNs parsed back with Python's email), NOTIFY and null
# sender rules, `sluice queue` on real queued mail with SIGUSR1 rescans,
# and queued mail surviving a restart.
#
# A recipient that defers for real: demo's Maildir made unwritable (chmod
# 000; the daemon never runs as root). Messages with DSN parameters are put
# into the spool directly (the SMTP server takes NOTIFY/RET/ENVID in
# another part of #12) and picked up with `sluice queue flush`, which
# signals the daemon to rescan.

import email
import email.policy
import os
import re
import time
import uuid

import pytest

from sluice_e2e import (ALICE, DEMO, SENDER, chown_tree, make_message,
                        unique_marker)

FAST_RETRY = {"queue.retry_min": "1s", "queue.retry_max": "1s"}
SLOW_RETRY = {"queue.retry_min": "1h", "queue.retry_max": "1h"}


def wait_until(predicate, what, instance, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out waiting for {what}\n"
                                 + instance.log_tail())
        time.sleep(0.1)


class BrokenMaildir:
    """Makes a user's Maildir unwritable for the daemon while active."""

    def __init__(self, instance, address):
        self.path = instance.maildir(address)

    def __enter__(self):
        self.path.mkdir(parents=True, exist_ok=True)
        chown_tree(self.path.parents[2])
        os.chmod(self.path, 0)
        return self

    def fix(self):
        os.chmod(self.path, 0o700)

    def __exit__(self, *exc):
        self.fix()


def xtext(value, empty):
    if value == "":
        return empty
    out = []
    for byte in value.encode("utf-8"):
        if 0x21 <= byte <= 0x7e and byte != ord("+"):
            out.append(chr(byte))
        else:
            out.append(f"+{byte:02X}")
    return "".join(out)


def inject(instance, sender, recipients, message, *, ret=None, envid="",
           held=False):
    """Writes a spool file the way sluiced does and returns its id.
    recipients: (address, mailbox, notify_bits, orcpt) tuples. held: with
    a state file saying so, written first, so no rescan can see the
    message unheld."""
    spool_id = f"{int(time.time())}.Mtest{uuid.uuid4().hex[:8]}P1Q1"
    lines = ["SLUICE-SPOOL 1", f"id {spool_id}",
             f"received {int(time.time())}",
             "host mx.sluice.test", "client 127.0.0.1 -",
             f"from {xtext(sender, '<>')}"]
    if ret or envid:
        lines.append(f"dsn {ret or '-'} {xtext(envid, '-')}")
    for address, mailbox, notify, orcpt in recipients:
        line = f"rcpt {xtext(address, '<>')} {xtext(mailbox, '-')}"
        if notify or orcpt:
            line += f" {notify} {xtext(orcpt, '-')}"
        lines.append(line)
    data = ("\n".join(lines) + "\n\n").encode() + message
    if held:
        state = ["SLUICE-QUEUE-STATE 1", "held 1"] + [
            f"rcpt {i} pending 0 0 - local - -"
            for i in range(len(recipients))]
        path = instance.state_dir / "spool" / "state" / spool_id
        path.write_text("\n".join(state) + "\n")
        chown_tree(path)
    queue_dir = instance.state_dir / "spool" / "queue"
    tmp = instance.base_dir / f"inject-{spool_id}"
    tmp.write_bytes(data)
    chown_tree(tmp)
    os.rename(tmp, queue_dir / spool_id)
    return spool_id


def queue_ids(instance):
    return sorted(os.listdir(instance.state_dir / "spool" / "queue"))


def failed_ids(instance):
    return sorted(name for name in
                  os.listdir(instance.state_dir / "spool" / "failed")
                  if not name.endswith(".state"))


def dsns(instance, address, original_id=None):
    """Delivered DSNs in address's Maildir (about original_id if given),
    parsed with Python's email package."""
    found = []
    for raw in instance.maildir_messages(address):
        if b"multipart/report" not in raw:
            continue
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        if original_id and original_id not in message.as_string():
            continue
        found.append((raw, message))
    return found


def report_parts(message):
    """(text part, list of status blocks, returned part) of a DSN."""
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    parts = message.get_payload()
    assert len(parts) == 3, [p.get_content_type() for p in parts]
    assert parts[0].get_content_type() == "text/plain"
    assert parts[1].get_content_type() == "message/delivery-status"
    return parts[0], parts[1].get_payload(), parts[2]


def check_dsn_headers(raw, message, sender):
    assert raw.startswith(b"Return-Path: <>\n"), raw[:80]
    assert message["From"] == "Mail Delivery System <MAILER-DAEMON@mx.sluice.test>"
    assert message["To"] == f"<{sender}>"
    assert message["Auto-Submitted"] == "auto-replied"
    assert re.fullmatch(r"<\S+-D\d+@mx\.sluice\.test>", message["Message-ID"])
    assert message["Date"]


def log_lines(instance, pattern):
    return re.findall(pattern, instance.log_text())


@pytest.mark.sluice_options(settings={**FAST_RETRY, "queue.lifetime": "2s",
                                      "queue.delay_warning": "0"})
def test_lifetime_expiry_bounces_to_local_sender(sluice):
    marker = unique_marker("expire")
    with BrokenMaildir(sluice, DEMO):
        sluice.send([DEMO], marker=marker, sender=ALICE)
        found = wait_until(lambda: dsns(sluice, ALICE), "the bounce", sluice)
    raw, message = found[0]
    check_dsn_headers(raw, message, ALICE)
    assert message["Subject"] == "Delivery Status Notification (Failure)"
    text, blocks, returned = report_parts(message)
    assert "<demo@example.test>: failed" in text.get_payload()
    per_message, per_recipient = blocks[0], blocks[1]
    assert per_message["Reporting-MTA"] == "dns; mx.sluice.test"
    assert per_message["Arrival-Date"]
    assert per_recipient["Final-Recipient"] == "rfc822; demo@example.test"
    assert per_recipient["Action"] == "failed"
    assert per_recipient["Status"] == "4.4.7"
    assert per_recipient["Diagnostic-Code"].startswith("X-Sluice; ")
    assert "Permission denied" in per_recipient["Diagnostic-Code"]
    assert per_recipient["Last-Attempt-Date"]
    # The whole original comes back (small, default RET).
    assert returned.get_content_type() == "message/rfc822"
    original = returned.get_payload(0)
    assert original["Subject"] == f"test {marker}"
    assert marker in original.get_payload()
    # It was retried before it expired, then bounced once; the original
    # left the queue and the DSN went out of it too.
    assert log_lines(sluice, r"event=deferred id=\S+ to=<demo@example.test>")
    assert len(log_lines(sluice, r"event=bounced .*reason=expired dsn=")) == 1
    wait_until(lambda: not queue_ids(sluice), "an empty queue", sluice)
    assert not failed_ids(sluice)
    assert len(dsns(sluice, ALICE)) == 1


def test_permanent_failure_bounces_at_once(sluice):
    # A recipient without a local mailbox is routed at delivery time; an
    # unknown user of our domain is a permanent 5.1.1 (default lifetime:
    # nothing waits for expiry).
    marker = unique_marker("perm")
    spool_id = inject(sluice, ALICE,
                      [("nobody@example.test", "", 0,
                        "rfc822;Nobody@example.test")],
                      make_message(marker, sender=ALICE,
                                   to="nobody@example.test"),
                      ret="hdrs", envid="ENV-" + marker)
    sluice.cli("queue", "flush")
    found = wait_until(lambda: dsns(sluice, ALICE, spool_id), "the bounce",
                       sluice)
    raw, message = found[0]
    check_dsn_headers(raw, message, ALICE)
    _, blocks, returned = report_parts(message)
    assert blocks[0]["Original-Envelope-Id"] == "ENV-" + marker
    assert blocks[0]["X-Sluice-Queue-ID"] == spool_id
    assert blocks[1]["Original-Recipient"] == "rfc822;Nobody@example.test"
    assert blocks[1]["Final-Recipient"] == "rfc822; nobody@example.test"
    assert blocks[1]["Status"] == "5.1.1"
    # RET=HDRS: headers only.
    assert returned.get_content_type() == "text/rfc822-headers"
    assert f"Subject: test {marker}" in returned.get_payload()
    assert "Hello from the e2e suite" not in returned.get_payload()
    assert log_lines(sluice, rf"event=bounced id={re.escape(spool_id)} "
                             r"to=<nobody@example.test> relay=none code=550")


def test_notify_never_gives_no_dsn(sluice):
    marker = unique_marker("never")
    spool_id = inject(sluice, ALICE, [("nobody@example.test", "", 1, "")],
                      make_message(marker, sender=ALICE))
    sluice.cli("queue", "flush")
    wait_until(lambda: log_lines(
        sluice, rf"event=moved_to_failed id={re.escape(spool_id)}"
                r" from=<alice@example.test> reason=notify_never"),
        "the message moved to failed/", sluice)
    assert spool_id in failed_ids(sluice)
    assert log_lines(sluice, rf"event=bounced id={re.escape(spool_id)} .* "
                             r"dsn=none")
    sluice.barrier(ALICE)
    assert not dsns(sluice, ALICE)
    assert not [i for i in queue_ids(sluice) if i.startswith(spool_id)]


@pytest.mark.sluice_options(settings={"queue.lifetime": "0s"})
def test_null_sender_gets_no_dsn(sluice):
    marker = unique_marker("null")
    with BrokenMaildir(sluice, DEMO):
        with sluice.smtp() as client:
            assert client.sendmail("<>", [DEMO],
                                   make_message(marker, sender="")) == {}
        wait_until(lambda: log_lines(sluice, r"reason=null_sender"),
                   "the message moved to failed/", sluice)
    spool_id, = failed_ids(sluice)
    assert log_lines(sluice, rf"event=bounced id={re.escape(spool_id)} "
                             r"to=<demo@example.test> relay=local .*"
                             r"reason=expired dsn=none")
    assert not log_lines(sluice, r"event=dsn ")
    # The final state is kept beside it for the admin.
    state = (sluice.state_dir / "spool" / "failed" /
             f"{spool_id}.state").read_text()
    assert "rcpt 0 expired" in state
    assert not queue_ids(sluice)


def test_notify_success_reports_delivery(sluice):
    marker = unique_marker("success")
    spool_id = inject(sluice, ALICE, [(DEMO, DEMO, 2, "")],
                      make_message(marker, sender=ALICE))
    sluice.cli("queue", "flush")
    sluice.wait_for_messages(DEMO, 1, marker=marker)
    found = wait_until(lambda: dsns(sluice, ALICE, spool_id), "the report",
                       sluice)
    raw, message = found[0]
    check_dsn_headers(raw, message, ALICE)
    assert message["Subject"] == "Delivery Status Notification (Success)"
    _, blocks, returned = report_parts(message)
    assert blocks[1]["Action"] == "delivered"
    assert blocks[1]["Status"] == "2.0.0"
    assert returned.get_content_type() == "text/rfc822-headers"


@pytest.mark.sluice_options(settings={**FAST_RETRY, "queue.lifetime": "1h",
                                      "queue.delay_warning": "1s"})
def test_one_delay_warning_then_delivery(sluice):
    marker = unique_marker("delay")
    with BrokenMaildir(sluice, DEMO) as broken:
        sluice.send([DEMO], marker=marker, sender=ALICE)
        found = wait_until(lambda: dsns(sluice, ALICE), "the delay notice",
                           sluice)
        # A few more retries: still one notice.
        attempts = len(log_lines(sluice, r"event=deferred"))
        wait_until(lambda: len(log_lines(sluice, r"event=deferred")) >=
                   attempts + 2, "more retries", sluice)
        assert len(dsns(sluice, ALICE)) == 1
        broken.fix()
        sluice.wait_for_messages(DEMO, 1, marker=marker)
    raw, message = found[0]
    check_dsn_headers(raw, message, ALICE)
    assert message["Subject"] == "Delivery Status Notification (Delay)"
    _, blocks, returned = report_parts(message)
    assert blocks[1]["Action"] == "delayed"
    assert blocks[1]["Status"].startswith("4.")
    assert blocks[1]["Will-Retry-Until"]
    assert returned.get_content_type() == "text/rfc822-headers"


def list_lines(instance):
    """`sluice queue list`: {id: line} and the trailer lines."""
    out = instance.cli("queue", "list").stdout
    lines = out.splitlines()
    entries = {line.split()[0]: line for line in lines
               if re.match(r"\d+\.\S+ \d{4}-", line)}
    return entries, lines


@pytest.mark.sluice_options(settings=SLOW_RETRY)
def test_queue_cli_on_real_queued_mail(sluice):
    assert sluice.cli("queue", "list").stdout == "queue is empty\n"
    markers = [unique_marker(f"cli{i}") for i in range(3)]
    with BrokenMaildir(sluice, DEMO) as broken:
        for marker in markers:
            sluice.send([DEMO], marker=marker)

        def deferred_three():
            entries, _ = list_lines(sluice)
            done = [line for line in entries.values()
                    if "Permission denied" in line]
            return entries if len(done) == 3 else None
        entries = wait_until(deferred_three, "three deferred messages",
                             sluice)
        _, lines = list_lines(sluice)
        for line in entries.values():
            assert re.fullmatch(
                r"\S+ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \d+ "
                r"<sender@remote.test> pending=1/1 "
                r"next=\d{4}-\S+ held=no error=\"451 4\.3\.0 cannot "
                r"deliver to demo@example.test: .*Permission denied\"",
                line), line
        assert "-- 3 messages, 0 held; pending recipients by domain:" in lines
        assert "  example.test 3" in lines

        # Which id is which marker: `show` prints the headers.
        by_marker = {}
        for spool_id in entries:
            shown = sluice.cli("queue", "show", spool_id).stdout
            assert f"id: {spool_id}\n" in shown
            assert "sender: <sender@remote.test>" in shown
            assert "  <demo@example.test> pending mailbox=demo@example.test" \
                in shown
            assert "attempts: 1" in shown
            assert "headers:\n  Received: from client.test" in shown
            marker = re.search(r"Subject: test (\S+)", shown).group(1)
            by_marker[marker] = spool_id
        held, flushed, deleted = (by_marker[m] for m in markers)

        assert sluice.cli("queue", "hold", held).stdout == f"{held}: held\n"
        entries, lines = list_lines(sluice)
        assert "held=yes" in entries[held]
        assert "-- 3 messages, 1 held; pending recipients by domain:" in lines
        assert sluice.cli("queue", "delete", deleted).stdout == \
            f"{deleted}: deleted\n"
        assert deleted not in queue_ids(sluice)
        broken.fix()

        # flush: the unheld one goes now (its retry is an hour away).
        sluice.cli("queue", "flush")
        sluice.wait_for_messages(DEMO, 1, marker=markers[1])
        time.sleep(1.0)
        assert not sluice.messages_with(DEMO, markers[0])
        entries, _ = list_lines(sluice)
        assert list(entries) == [held]

        # release: due now, delivered without waiting for its retry time.
        sluice.cli("queue", "release", held)
        sluice.wait_for_messages(DEMO, 1, marker=markers[0])
        wait_until(lambda: not queue_ids(sluice), "an empty queue", sluice)
        sluice.barrier()
        assert not sluice.messages_with(DEMO, markers[2])
    assert log_lines(sluice, r"event=queue_rescan")


def test_queue_cli_argument_errors(sluice_module):
    cases = [
        (("queue",), 2, "wrong number of arguments"),
        (("queue", "hold"), 2, "wrong number of arguments"),
        (("queue", "list", "x"), 2, "wrong number of arguments"),
        (("queue", "hold", "../etc/passwd"), 2, "is not a queue id"),
        (("queue", "show", ".hidden"), 2, "is not a queue id"),
        (("queue", "frob"), 2, "unknown action 'frob'"),
        (("queue", "hold", "1764057600.Mnosuch"), 1,
         "queue hold: no message 1764057600.Mnosuch in the queue"),
        (("queue", "show", "1764057600.Mnosuch"), 1,
         "queue show: no message 1764057600.Mnosuch in the queue"),
        (("queue", "delete", "1764057600.Mnosuch"), 1, "no message"),
    ]
    for args, code, text in cases:
        result = sluice_module.cli(*args, check=False)
        assert result.returncode == code, (args, result)
        assert result.stderr.count("\n") == 1, (args, result.stderr)
        assert text in result.stderr, (args, result.stderr)
    assert "usage:" in sluice_module.cli("queue", "--help").stdout


@pytest.mark.sluice_options(settings=SLOW_RETRY)
def test_restart_with_mail_queued_delivers_after_start(sluice):
    markers = [unique_marker("restart") for _ in range(3)]
    for marker in markers:
        sluice.send([DEMO, ALICE], marker=marker)
    # Delivered already: nothing for the restart to do twice.
    for marker in markers:
        sluice.wait_for_messages(DEMO, 1, marker=marker)
    queued = [unique_marker("queued") for _ in range(3)]
    ids = []
    for marker in queued:
        ids.append(inject(sluice, SENDER, [(DEMO, DEMO, 0, "")],
                          make_message(marker), held=True))
    sluice.cli("queue", "flush")
    time.sleep(0.5)
    assert not sluice.messages_with(DEMO, queued[0])

    sluice.stop()
    for spool_id in ids[:2]:
        result = sluice.cli("queue", "release", spool_id)
        assert "not running" in result.stderr
    sluice.start()
    for marker in queued[:2]:
        sluice.wait_for_messages(DEMO, 1, marker=marker)
    entries, _ = list_lines(sluice)
    assert list(entries) == [ids[2]] and "held=yes" in entries[ids[2]]
    sluice.cli("queue", "release", ids[2])
    sluice.wait_for_messages(DEMO, 1, marker=queued[2])
    sluice.barrier()
    for marker in markers + queued:
        assert len(sluice.messages_with(DEMO, marker)) == 1
