# test_quota.py: per-user quotas (`sluice user quota`) as a mail admin
# sees them: LMTP answers 452 4.2.2 for a full mailbox and delivers to
# the others; mail over SMTP for a full mailbox is kept in the queue
# (452 4.2.2 as its last error) and delivered once the user has room.

import re
import smtplib
import time

from sluice_e2e import ALICE, DEMO, SENDER, make_message, unique_marker
from test_lmtp import lmtp_sluice, lmtp_tcp
from test_queue import list_lines, wait_until

BIG_BODY = "x" * 70 + "\r\n"


def fill(instance, address, lines):
    """Delivers one message of about lines*72 bytes over LMTP."""
    marker = unique_marker("fill")
    with lmtp_tcp(instance) as client:
        client.ehlo()
        assert client.sendmail(SENDER, [address], make_message(
            marker, to=address, body=BIG_BODY * lines)) == {}
    instance.wait_for_messages(address, 1, marker=marker)


def test_lmtp_refuses_a_full_mailbox_per_recipient(sluice_factory):
    instance = lmtp_sluice(sluice_factory)
    instance.cli("user", "quota", DEMO, "8K")
    fill(instance, DEMO, 100)  # about 7 KB: under the quota
    marker = unique_marker("over")
    with lmtp_tcp(instance) as client:
        client.ehlo()
        assert client.mail(SENDER)[0] == 250
        assert client.rcpt(DEMO)[0] == 250
        assert client.rcpt(ALICE)[0] == 250
        code, text = client.data(make_message(marker, to=DEMO,
                                              body=BIG_BODY * 40))
        assert (code, text[:5]) == (452, b"4.2.2"), text
        code, text = client.getreply()
        assert code == 250, text
    instance.wait_for_messages(ALICE, 1, marker=marker)
    assert instance.messages_with(DEMO, marker) == []


def test_smtp_mail_for_a_full_mailbox_waits_in_the_queue(sluice_factory):
    instance = lmtp_sluice(sluice_factory)
    instance.cli("user", "quota", DEMO, "8K")
    fill(instance, DEMO, 100)
    marker = unique_marker("queued")
    with smtplib.SMTP("127.0.0.1", instance.smtp_port, timeout=30) as smtp:
        assert smtp.sendmail(SENDER, [DEMO], make_message(
            marker, to=DEMO, body=BIG_BODY * 40)) == {}
    entries = wait_until(lambda: list_lines(instance)[0] or None,
                         "the message in the queue", instance)
    queue_id = next(iter(entries.values())).split()[0]
    # The first attempt records the 452 shortly after the spool write.
    wait_until(lambda: "4.2.2" in instance.cli("queue", "show",
                                                queue_id).stdout,
               "the over-quota attempt recorded", instance)
    assert instance.messages_with(DEMO, marker) == []
    instance.cli("user", "quota", DEMO, "none")
    instance.cli("queue", "flush")
    instance.wait_for_messages(DEMO, 1, marker=marker, timeout=20)
    wait_until(lambda: not list_lines(instance)[0], "an empty queue",
               instance)
