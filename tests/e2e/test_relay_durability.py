# test_relay_durability.py: kill -9 while sluiced relays a burst to a
# downstream (Postfix's smtp-sink): after a restart every acknowledged
# message reaches the downstream intact, with its own body (delivered
# spool files are rewritten in place for new messages, so a mix-up would
# show as a wrong or cut body), and a second copy comes only from the
# few transactions in flight at the kill (the ack-lost case).

import random
import re
import smtplib
import threading
import time
import uuid

import pytest

import smtp_sink
from smtp_sink import SmtpSink
from sluice_e2e import LOOPBACK, SENDER, crlf_to_lf, free_ports, make_message

pytestmark = pytest.mark.skipif(not smtp_sink.available(),
                                reason="Postfix's smtp-sink is not installed")

RECIPIENT = "user@relay.test"
SENDERS = 4
PER_SENDER = 60
KILL_AFTER_ACKS = 100
# Relay transactions that can be in flight at once (the per-destination
# limit): the most copies a kill can make arrive twice.
IN_FLIGHT = 10


def body_for(marker, lines):
    return "".join(f"{marker} line {n:04d}\r\n" for n in range(lines))


def test_kill9_while_relaying_loses_nothing_and_mixes_nothing(
        sluice_factory):
    port, = free_ports(1)
    with SmtpSink(port) as sink:
        instance = sluice_factory(settings={
            "relay.domains": "relay.test",
            "relay.host": f"[{LOOPBACK}]:{port}",
            "relay.verify": "accept",
            "queue.max_per_destination": str(IN_FLIGHT),
        })
        run = uuid.uuid4().hex[:8]
        rng = random.Random(run)
        # Sizes vary so a rewritten file is sometimes shorter than the
        # message it held before.
        expected = {}
        for sender in range(SENDERS):
            for number in range(PER_SENDER):
                marker = f"relay-{run}-{sender}-{number:03d}"
                expected[marker] = body_for(marker, rng.choice(
                    (1, 3, 40, 200)))
        lock = threading.Lock()
        acked = set()
        enough = threading.Event()
        killed = threading.Event()
        early = []

        def send(sender):
            try:
                client = instance.smtp()
                for number in range(PER_SENDER):
                    marker = f"relay-{run}-{sender}-{number:03d}"
                    client.sendmail(SENDER, [RECIPIENT], make_message(
                        marker, to=RECIPIENT, body=expected[marker]))
                    with lock:
                        acked.add(marker)
                        if len(acked) >= KILL_AFTER_ACKS:
                            enough.set()
                client.quit()
            except (smtplib.SMTPException, OSError) as error:
                if not killed.is_set():
                    early.append(f"sender {sender}: {error!r}")
                    enough.set()

        threads = [threading.Thread(target=send, args=(i,), daemon=True)
                   for i in range(SENDERS)]
        for thread in threads:
            thread.start()
        assert enough.wait(timeout=120), instance.log_tail()
        assert not early, early
        killed.set()
        instance.kill9()
        for thread in threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), "a sender hung after SIGKILL"
        with lock:
            acked_at_kill = set(acked)
        assert len(acked_at_kill) >= KILL_AFTER_ACKS

        instance.start()
        pattern = re.compile(rf"relay-{run}-\d-\d{{3}}".encode())
        deadline = time.monotonic() + 90
        while True:
            counts = {}
            for dump in sink.dumps():
                message = dump["message"]
                markers = set(pattern.findall(message))
                assert len(markers) == 1, \
                    f"a relayed message with markers {markers}"
                marker = markers.pop().decode()
                body = message.split(b"\n\n", 1)[1]
                # smtp-sink ends each dump with an empty line of its own.
                assert body == crlf_to_lf(
                    expected[marker].encode()) + b"\n", \
                    f"{marker}: body of {len(body)} bytes differs"
                counts[marker] = counts.get(marker, 0) + 1
            missing = acked_at_kill - set(counts)
            if not missing:
                break
            assert time.monotonic() < deadline, \
                f"{len(missing)} acknowledged messages never relayed, " \
                f"e.g. {sorted(missing)[:3]}\n" + instance.log_tail()
            time.sleep(0.2)
        twice = {m: n for m, n in counts.items() if n > 1}
        assert sum(n - 1 for n in twice.values()) <= IN_FLIGHT, twice
        assert set(counts) <= set(expected)
