# sluice_e2e.py: helpers for the end-to-end suite: run a real sluiced on
# loopback, drive the sluice CLI, read Maildirs, speak raw SMTP.
#
# DESIGN: one Sluice object owns one temporary directory (config, state,
# TLS files, daemon log) and at most one sluiced process. Every test talks
# to it over 127.0.0.1 only. When the suite runs as root the daemon must
# drop privileges (`user = sluice`), so the directory is created outside
# pytest's root-only tmp tree and handed to that user after every step
# that may create files as root (CLI runs, init). Delivery is asynchronous
# after the 250, so readers poll the Maildir with a deadline instead of
# sleeping a fixed time.

import os
import pwd
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# In-tree build by default; SLUICE_BUILD_DIR points at an out-of-tree one.
BUILD_DIR = Path(os.environ.get("SLUICE_BUILD_DIR", REPO_ROOT))
SLUICED = BUILD_DIR / "gateway" / "sluiced"
SLUICE_CLI = BUILD_DIR / "cli" / "sluice"

LOOPBACK = "127.0.0.1"
DOMAIN = "example.test"
DEMO = "demo@example.test"
ALICE = "alice@example.test"
PASSWORDS = {DEMO: "demo-password-1", ALICE: "alice-password-2"}
SENDER = "sender@remote.test"
SYSTEM_USER = "sluice"

# Test-sized limits; the protocol tests read them back from here.
DEFAULT_SETTINGS = {
    "hostname": "mx.sluice.test",
    "log_level": "debug",
    "workers": "2",
    "smtp.max_message_size": "1048576",
    "smtp.max_connections": "100",
    "smtp.max_recipients": "50",
    "smtp.max_errors": "10",
    "smtp.timeout": "30s",
}

START_TIMEOUT = float(os.environ.get("SLUICE_E2E_START_TIMEOUT", "20"))
STOP_TIMEOUT = 20.0
DELIVERY_TIMEOUT = float(os.environ.get("SLUICE_E2E_DELIVERY_TIMEOUT", "10"))
# Log lines that mean the daemon hit one of our own bugs.
BAD_LOG_PATTERNS = [
    re.compile(r"panic", re.IGNORECASE),
    re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:"),
]

# Every running Sluice, so a failing test can show the daemon logs.
ACTIVE = []


def binaries_missing():
    """Returns a message naming missing binaries, or None when both exist."""
    missing = [str(p) for p in (SLUICED, SLUICE_CLI)
               if not os.access(p, os.X_OK)]
    if not missing:
        return None
    return ("sluice is not built: missing " + ", ".join(missing) +
            ". Build first: autoreconf -fi && ./configure -q && make -j2 "
            "(or run scripts/run-tests, which builds and tests).")


def is_root():
    return os.geteuid() == 0


def ensure_system_user():
    """As root, creates the unprivileged `sluice` user if it is missing."""
    if not is_root():
        return
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home",
                        "--shell", "/usr/sbin/nologin", SYSTEM_USER],
                       check=True)


def chown_tree(path):
    """As root, hands a tree to the daemon's user; otherwise does nothing."""
    if not is_root():
        return
    entry = pwd.getpwnam(SYSTEM_USER)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            try:
                os.lchown(os.path.join(root, name), entry.pw_uid,
                          entry.pw_gid)
            except FileNotFoundError:
                pass


def free_ports(count):
    """Returns `count` distinct loopback TCP ports that were free just now."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((LOOPBACK, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def make_tls_material(directory):
    """Writes a self-signed cert.pem/key.pem for localhost and 127.0.0.1."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec",
         "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return cert, key


def unique_marker(prefix="m"):
    return f"{prefix}-{uuid.uuid4().hex}"


def make_message(marker, *, sender=SENDER, to=DEMO, subject=None,
                 body=None, extra_headers=()):
    """Builds a complete CRLF message whose Subject and body carry marker."""
    subject = subject or f"test {marker}"
    if body is None:
        body = f"Hello from the e2e suite.\r\nmarker: {marker}\r\n"
    if isinstance(body, str):
        body = body.encode("utf-8")
    domain = sender.rsplit("@", 1)[-1] or "remote.test"
    headers = [
        f"From: <{sender}>",
        f"To: <{to}>",
        f"Subject: {subject}",
        "Date: Tue, 25 Nov 2025 08:00:00 +0000",
        f"Message-ID: <{marker}@{domain}>",
        *extra_headers,
    ]
    return ("\r\n".join(headers) + "\r\n\r\n").encode("utf-8") + body


def crlf_to_lf(data):
    return data.replace(b"\r\n", b"\n")


def header_block(message):
    """Returns the header lines of a delivered LF message, unfolded."""
    head = message.split(b"\n\n", 1)[0].decode("utf-8", "replace")
    return re.sub(r"\n[ \t]+", " ", head).split("\n")


def parse_config(text):
    """`key = value` lines of a sluice.conf into a dict (last one wins)."""
    settings = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            key, value = line.split("=", 1)
            settings[key.strip()] = value.strip()
    return settings


def listen_port(value):
    """The port of the first HOST:PORT in a listen list."""
    return int(value.split(",")[0].strip().rsplit(":", 1)[1])


class SmtpReplyError(AssertionError):
    pass


class RawSmtp:
    """A bare SMTP client: writes exactly the bytes given, parses replies.

    For the abuse cases smtplib would normalize away (bare LF, pipelining,
    overlong lines, junk after QUIT).
    """

    def __init__(self, port, timeout=15.0):
        self.sock = socket.create_connection((LOOPBACK, port), timeout)
        self.sock.settimeout(timeout)
        self.pending = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def _line(self):
        while b"\n" not in self.pending:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"connection closed; unparsed "
                               f"{self.pending[:200]!r}")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """Reads one (possibly multi-line) reply: (code, [texts])."""
        texts = []
        while True:
            line = self._line()
            if len(line) < 3 or not line[:3].isdigit():
                raise SmtpReplyError(f"malformed reply line {line!r}")
            texts.append(line[4:])
            if len(line) == 3 or line[3] == " ":
                return int(line[:3]), texts
            if line[3] != "-":
                raise SmtpReplyError(f"malformed reply line {line!r}")

    def replies(self, count):
        return [self.reply() for _ in range(count)]

    def command(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def expect(self, line, code):
        got, texts = self.command(line)
        if got != code:
            raise SmtpReplyError(f"{line[:60]!r}: expected {code}, "
                                 f"got {got} {texts}")
        return texts

    def greet(self, name="client.test"):
        code, texts = self.reply()
        if code != 220:
            raise SmtpReplyError(f"banner: {code} {texts}")
        self.expect(f"EHLO {name}", 250)

    def at_eof(self, wait=2.0):
        """True when the server closes without sending anything more."""
        if self.pending:
            return False
        self.sock.settimeout(wait)
        try:
            return self.sock.recv(4096) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


class Sluice:
    """One sluiced instance in its own temporary directory."""

    def __init__(self, *, tls_source=None, settings=None, accounts=True):
        ensure_system_user()
        self.base_dir = Path(tempfile.mkdtemp(
            prefix="sluice-e2e-", dir=os.environ.get("SLUICE_E2E_TMP")))
        self.config = self.base_dir / "sluice.conf"
        self.state_dir = self.base_dir / "state"
        self.log_path = self.base_dir / "sluiced.log"
        self.pid_file = self.base_dir / "sluiced.pid"
        self.state_dir.mkdir()
        self.smtp_port, = free_ports(1)
        self.cwd = self.base_dir
        self.proc = None
        self.tls = tls_source is not None
        self.settings = dict(DEFAULT_SETTINGS)
        self.settings.update({
            "state_dir": str(self.state_dir),
            "pid_file": str(self.pid_file),
            "smtp.listen": f"{LOOPBACK}:{self.smtp_port}",
        })
        if is_root():
            self.settings["user"] = SYSTEM_USER
        if self.tls:
            tls_dir = self.base_dir / "tls"
            tls_dir.mkdir()
            cert, key = tls_source
            self.cert = tls_dir / "cert.pem"
            shutil.copy(cert, self.cert)
            shutil.copy(key, tls_dir / "key.pem")
            os.chmod(tls_dir / "key.pem", 0o600)
            self.settings["tls.cert"] = str(self.cert)
            self.settings["tls.key"] = str(tls_dir / "key.pem")
        for key, value in (settings or {}).items():
            if value is None:
                self.settings.pop(key, None)
            else:
                self.settings[key] = str(value)
        self.write_config()
        chown_tree(self.base_dir)
        if accounts:
            self.cli("domain", "add", DOMAIN)
            for address, password in PASSWORDS.items():
                self.cli("user", "add", address, input=password + "\n")

    @classmethod
    def adopt(cls, base_dir, config):
        """Wraps a config written by someone else (`sluice init`); the
        daemon runs in the config's directory, its log goes to base_dir."""
        self = cls.__new__(cls)
        self.base_dir = Path(base_dir)
        self.config = Path(config)
        self.cwd = self.config.parent
        self.settings = parse_config(self.config.read_text())
        self.state_dir = self.cwd / self.settings["state_dir"]
        self.log_path = self.base_dir / "sluiced.log"
        self.smtp_port = listen_port(self.settings["smtp.listen"])
        self.tls = "tls.cert" in self.settings
        if self.tls:
            self.cert = self.cwd / self.settings["tls.cert"]
        self.proc = None
        return self

    # Configuration and CLI.

    def write_config(self, extra_lines=()):
        lines = ["# sluice.conf written by tests/e2e/sluice_e2e.py"]
        lines += [f"{key} = {value}" for key, value in self.settings.items()]
        lines += list(extra_lines)
        self.config.write_text("\n".join(lines) + "\n")

    @property
    def max_message_size(self):
        return int(self.settings["smtp.max_message_size"])

    @property
    def max_errors(self):
        return int(self.settings["smtp.max_errors"])

    def cli(self, *args, input=None, check=True, config=None):
        """Runs `sluice -c CONFIG args...`; returns the CompletedProcess."""
        config = self.config if config is None else config
        argv = [str(SLUICE_CLI), "-c", str(config), *map(str, args)]
        result = subprocess.run(argv, input=input if input is not None else "",
                                capture_output=True, text=True, timeout=60,
                                cwd=self.cwd)
        chown_tree(self.base_dir)
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(argv)} exited {result.returncode}: "
                f"stdout={result.stdout!r} stderr={result.stderr!r}")
        return result

    # Process control.

    def start(self):
        assert self.proc is None, "sluiced is already running"
        chown_tree(self.base_dir)
        with open(self.log_path, "ab") as log:
            log.write(f"--- e2e: starting sluiced at {time.ctime()}\n"
                      .encode())
            log.flush()
            self.proc = subprocess.Popen(
                [str(SLUICED), "-c", str(self.config), "-f"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                cwd=self.cwd, start_new_session=True)
        if self not in ACTIVE:
            ACTIVE.append(self)
        self.wait_for_port()
        return self

    def wait_for_port(self, timeout=START_TIMEOUT):
        """Waits until the SMTP listener sends its 220 banner."""
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.proc = None
                raise AssertionError(
                    f"sluiced exited with {code} during start-up\n"
                    + self.log_tail())
            try:
                with RawSmtp(self.smtp_port, timeout=2.0) as client:
                    code, texts = client.reply()
                    client.send("QUIT\r\n")
                if code == 220:
                    return
                last_error = f"banner {code} {texts}"
            except (OSError, EOFError, SmtpReplyError) as error:
                last_error = repr(error)
            time.sleep(0.05)
        raise AssertionError(f"sluiced did not answer on port "
                             f"{self.smtp_port} within {timeout}s "
                             f"({last_error})\n" + self.log_tail())

    def stop(self):
        """SIGTERM, wait; returns the exit status (None if not running)."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError(f"sluiced ignored SIGTERM for "
                                 f"{STOP_TIMEOUT}s\n" + self.log_tail())

    def restart(self):
        code = self.stop()
        assert code in (0, None), \
            f"sluiced exited {code} on SIGTERM\n" + self.log_tail()
        return self.start()

    def kill9(self):
        assert self.proc is not None, "sluiced is not running"
        proc, self.proc = self.proc, None
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def finish(self, keep=False):
        """Teardown: graceful stop, exit 0, a clean log; then rmtree."""
        try:
            code = self.stop()
            problems = []
            if code not in (0, None):
                problems.append(f"sluiced exited {code} on SIGTERM")
            log = self.log_text()
            for pattern in BAD_LOG_PATTERNS:
                match = pattern.search(log)
                if match:
                    line = log[:match.end()].rsplit("\n", 1)[-1]
                    line += log[match.end():].split("\n", 1)[0]
                    problems.append(f"daemon log has {line!r}")
            if problems:
                keep = True
                raise AssertionError("; ".join(problems) + "\n"
                                     + self.log_tail())
        finally:
            if self in ACTIVE:
                ACTIVE.remove(self)
            if keep or os.environ.get("SLUICE_E2E_KEEP"):
                print(f"kept {self.base_dir}")
            else:
                shutil.rmtree(self.base_dir, ignore_errors=True)

    # Logs.

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines=60):
        tail = self.log_text().splitlines()[-lines:]
        return (f"--- last {len(tail)} lines of {self.log_path}\n"
                + "\n".join(tail))

    # Maildirs.

    def maildir(self, address):
        local, domain = address.rsplit("@", 1)
        return self.state_dir / "mail" / domain / local / "Maildir"

    def maildir_messages(self, address):
        """The bytes of every file in the user's new/ and cur/."""
        messages, seen = [], set()
        for sub in ("new", "cur"):
            folder = self.maildir(address) / sub
            try:
                names = sorted(os.listdir(folder))
            except FileNotFoundError:
                continue
            for name in names:
                # A file renamed new/ -> cur/ while we list keeps its
                # unique part; count it once.
                unique = name.split(":", 1)[0]
                if unique in seen:
                    continue
                try:
                    messages.append((folder / name).read_bytes())
                    seen.add(unique)
                except FileNotFoundError:
                    pass
        return messages

    def messages_with(self, address, marker):
        needle = marker.encode() if isinstance(marker, str) else marker
        return [m for m in self.maildir_messages(address) if needle in m]

    def wait_for_messages(self, address, count, timeout=DELIVERY_TIMEOUT,
                          marker=None):
        """Polls until at least `count` messages (containing marker, if
        given) are in the Maildir; returns them or fails with the log."""
        deadline = time.monotonic() + timeout
        while True:
            if marker is None:
                found = self.maildir_messages(address)
            else:
                found = self.messages_with(address, marker)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"{address}: expected {count} message(s)"
                    + (f" with {marker!r}" if marker else "")
                    + f" within {timeout}s, found {len(found)}\n"
                    + self.log_tail())
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError("sluiced died while we waited for "
                                     "delivery\n" + self.log_tail())
            time.sleep(0.05)

    # Clients.

    def smtp(self, timeout=30):
        return smtplib.SMTP(LOOPBACK, self.smtp_port,
                            local_hostname="client.test", timeout=timeout)

    def raw(self, timeout=15.0):
        return RawSmtp(self.smtp_port, timeout=timeout)

    def client_tls_context(self):
        context = ssl.create_default_context(cafile=str(self.cert))
        return context

    def send(self, recipients=(DEMO,), *, marker=None, sender=SENDER,
             message=None, **message_args):
        """Sends one message with smtplib; returns its marker."""
        marker = marker or unique_marker()
        if isinstance(recipients, str):
            recipients = [recipients]
        if message is None:
            message = make_message(marker, sender=sender, to=recipients[0],
                                   **message_args)
        with self.smtp() as client:
            refused = client.sendmail(sender, list(recipients), message)
        assert not refused, f"recipients refused: {refused}"
        return marker

    def barrier(self, address=DEMO):
        """Sends a fresh message and waits for it: mail accepted before
        this call has had the same chance to be delivered."""
        marker = self.send([address], marker=unique_marker("barrier"))
        self.wait_for_messages(address, 1, marker=marker)
        # Let a runner that works in parallel finish what it had started.
        time.sleep(0.3)
