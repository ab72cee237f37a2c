# test_durability.py: a 250 means the message is on disk. Kill sluiced with
# SIGKILL in the middle of a burst, restart it, and every acknowledged
# message must arrive exactly once; nothing may arrive twice.

import collections
import re
import smtplib
import threading
import time
import uuid

import pytest

from sluice_e2e import DEMO, SENDER, make_message

# Every test runs twice: with direct Maildir delivery before the 250 (the
# default) and through the spool and queue, which is also the fallback.
pytestmark = pytest.mark.parametrize(
    "sluice", [{"queue.direct_delivery": "yes"},
               {"queue.direct_delivery": "no"}],
    indirect=True, ids=["direct", "spooled"])

BURST_TOTAL = 500
BURST_SENDERS = 5
KILL_AFTER_ACKS = 200
DRAIN_TIMEOUT = 90.0


def marker_counts(instance, pattern):
    """How many delivered files carry each marker matching pattern."""
    counts = collections.Counter()
    for message in instance.maildir_messages(DEMO):
        markers = set(re.findall(pattern, message.decode("ascii", "replace")))
        # Barrier messages carry none; two would mean messages merged.
        assert len(markers) <= 1, f"one file with markers {markers}"
        counts.update(markers)
    return counts


def wait_for_markers(instance, pattern, wanted, timeout=DRAIN_TIMEOUT):
    """Polls until every wanted marker is delivered, then until the Maildir
    stops growing (the queue has drained); returns the final counts."""
    deadline = time.monotonic() + timeout
    while True:
        counts = marker_counts(instance, pattern)
        missing = wanted - set(counts)
        if not missing:
            break
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"{len(missing)} acknowledged messages never delivered, "
                f"e.g. {sorted(missing)[:5]}\n" + instance.log_tail())
        time.sleep(0.2)
    instance.barrier()
    stable_since, last = time.monotonic(), sum(counts.values())
    while time.monotonic() - stable_since < 1.5:
        time.sleep(0.25)
        total = sum(marker_counts(instance, pattern).values())
        if total != last:
            stable_since, last = time.monotonic(), total
        if time.monotonic() >= deadline:
            break
    return marker_counts(instance, pattern)


def assert_exactly_once(counts, acked):
    duplicated = {m: n for m, n in counts.items() if n > 1}
    assert not duplicated, f"delivered more than once: {duplicated}"
    lost = [m for m in acked if counts[m] != 1]
    assert not lost, f"acknowledged but not delivered: {lost[:10]}"


def marker_series(kind):
    """Markers unique to one test: (a regex finding any of them,
    name(batch, number) making one)."""
    run = uuid.uuid4().hex[:8]
    return (rf"{kind}-{run}-\d\d-\d{{4}}",
            lambda batch, number: f"{kind}-{run}-{batch:02d}-{number:04d}")


def assert_all_delivered_once(instance, pattern, acked):
    """Every acked message arrives once, and nothing else of the series."""
    counts = wait_for_markers(instance, pattern, set(acked))
    assert_exactly_once(counts, acked)
    assert sum(counts.values()) == len(acked)


def send_sequence(instance, markers):
    """Sends one message per marker on one connection; returns the acked."""
    acked = []
    with instance.smtp() as client:
        for marker in markers:
            client.sendmail(SENDER, [DEMO],
                            make_message(marker, body=f"{marker}\r\n"))
            acked.append(marker)
    return acked


def test_kill9_during_burst_loses_and_duplicates_nothing(sluice):
    pattern, name = marker_series("burst")
    lock = threading.Lock()
    acked = set()
    enough_acks = threading.Event()
    killed = threading.Event()
    early_failures = []

    def sender(index):
        markers = [name(index, n)
                   for n in range(BURST_TOTAL // BURST_SENDERS)]
        try:
            client = sluice.smtp()
            for marker in markers:
                message = make_message(marker, body=f"payload {marker}\r\n")
                client.sendmail(SENDER, [DEMO], message)
                with lock:
                    acked.add(marker)
                    if len(acked) >= KILL_AFTER_ACKS:
                        enough_acks.set()
            client.quit()
        except (smtplib.SMTPException, OSError) as error:
            if not killed.is_set():
                early_failures.append(f"sender {index}: {error!r}")
                enough_acks.set()

    threads = [threading.Thread(target=sender, args=(i,), daemon=True)
               for i in range(BURST_SENDERS)]
    for thread in threads:
        thread.start()
    assert enough_acks.wait(timeout=120), \
        f"only {len(acked)} acks in 120 s\n" + sluice.log_tail()
    assert not early_failures, early_failures
    killed.set()
    sluice.kill9()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a sender hung after SIGKILL"
    with lock:
        acked_at_kill = set(acked)
    assert KILL_AFTER_ACKS <= len(acked_at_kill) <= BURST_TOTAL

    sluice.start()
    counts = wait_for_markers(sluice, pattern, acked_at_kill)
    assert_exactly_once(counts, acked_at_kill)
    assert sum(counts.values()) <= BURST_TOTAL


def test_kill9_right_after_acks_delivers_once_after_restart(sluice):
    pattern, name = marker_series("quick")
    acked = send_sequence(sluice, [name(0, n) for n in range(20)])
    sluice.kill9()
    sluice.start()
    assert_all_delivered_once(sluice, pattern, acked)


def test_sigterm_restart_keeps_queued_mail(sluice):
    pattern, name = marker_series("term")
    acked = send_sequence(sluice, [name(0, n) for n in range(20)])
    sluice.restart()
    acked += send_sequence(sluice, [name(1, n) for n in range(5)])
    assert_all_delivered_once(sluice, pattern, acked)
