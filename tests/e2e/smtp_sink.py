# smtp_sink.py: Postfix's smtp-sink as a downstream server for the relay
# tests, on a 127.0.0.1 port, with the messages it receives dumped into
# files the tests read back; and the parsing of delivered header blocks.
#
# DESIGN: smtp-sink (/usr/sbin/smtp-sink, from the postfix package) takes
# its behaviour from options: -r/-f CMD answer a command with a soft
# (4xx) or hard (5xx) error (-b/-B set the reply text), -q/-Q CMD hang up
# or answer 421 after it, -L speaks LMTP, -N does not offer DSN, -d
# TEMPLATE writes each transaction to a file of its own. As root it must
# drop privileges (-u nobody), so its directory is world-writable. A dump
# file is written while the transaction runs; it counts once it ends
# with the empty line smtp-sink adds after the message and stops growing.

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SMTP_SINK = "/usr/sbin/smtp-sink"
LOOPBACK = "127.0.0.1"


def available():
    return os.access(SMTP_SINK, os.X_OK)


def header_fields(message):
    """The header fields of an LF message in order, each as (name, its
    raw bytes with any continuation lines)."""
    fields = []
    for line in message.split(b"\n\n", 1)[0].split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] = (fields[-1][0], fields[-1][1] + b"\n" + line)
        else:
            fields.append((line.split(b":", 1)[0].decode(), line))
    return fields


def strip_fields(message, count):
    """The first `count` header fields of an LF message (as in
    header_fields()) and the bytes after them."""
    fields = header_fields(message)[:count]
    offset = sum(len(raw) + 1 for _, raw in fields)
    return fields, message[offset:]


def sink_dump(data):
    """One smtp-sink dump: {"proto": X-Client-Proto, "mail": X-Mail-Args,
    "rcpts": [X-Rcpt-Args...], "message": the bytes after smtp-sink's
    Received field, up to and with the empty line it adds}."""
    info = {"rcpts": [], "mail": None, "proto": None}
    count = 0
    for name, raw in header_fields(data):
        count += 1
        value = raw.split(b":", 1)[1].strip().decode("utf-8", "replace")
        if name == "X-Mail-Args":
            info["mail"] = value
        elif name == "X-Rcpt-Args":
            info["rcpts"].append(value)
        elif name == "X-Client-Proto":
            info["proto"] = value
        elif name == "Received":
            break
    _, info["message"] = strip_fields(data, count)
    return info


class SmtpSink:
    """smtp-sink on 127.0.0.1:port with extra options, dumping every
    message; stop() (or leaving the with block) ends it and removes its
    files."""

    def __init__(self, port, *options):
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="sluice-sink-"))
        os.chmod(self.dir, 0o755)
        self.dump_dir = self.dir / "dumps"
        self.dump_dir.mkdir()
        os.chmod(self.dump_dir, 0o777)
        argv = [SMTP_SINK, "-d", f"{self.dump_dir}/%M.", *options]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]
        argv += [f"{LOOPBACK}:{port}", "10"]
        with open(self.dir / "stderr", "wb") as stderr:
            self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                         stderr=stderr)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"smtp-sink exited: {self.stderr()}")
            try:
                with socket.create_connection((LOOPBACK, port), 1):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise AssertionError(f"smtp-sink did not listen on {port}")

    def stderr(self):
        try:
            return (self.dir / "stderr").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def dumps(self):
        """The complete dumps so far (sink_dump() of each), oldest
        name first."""
        try:
            sizes = {p: p.stat().st_size for p in self.dump_dir.iterdir()}
        except FileNotFoundError:
            return []
        time.sleep(0.05)
        found = []
        for path in sorted(sizes):
            data = path.read_bytes()
            if len(data) == sizes[path] and data.endswith(b"\n\n"):
                found.append(sink_dump(data))
        return found

    def wait_dumps(self, count, instance=None, timeout=15.0):
        """Waits for at least count complete dumps and returns them; the
        failure names instance's log tail (a Sluice) if given."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.dumps()
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"smtp-sink on {self.port}: {len(found)} of {count} "
                    f"message(s) within {timeout}s\n{self.stderr()}"
                    + (instance.log_tail() if instance else ""))
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
