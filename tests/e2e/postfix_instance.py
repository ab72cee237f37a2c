# postfix_instance.py: a private, real Postfix for the end-to-end tests,
# the "organization's mailbox server" sluice relays to.
#
# DESIGN: Debian's postfix package, started with its own configuration
# directory (`postfix -c DIR start`), its own queue and data directories
# and one smtpd on a free 127.0.0.1 port, so it never touches the system
# instance or anything beyond loopback. Mail for its domains goes to
# Maildirs under the instance directory through virtual mailboxes (a
# texthash map needs no postmap run). Starting a Postfix master needs
# root (it drops to the postfix user itself); the tests that use it skip
# with that reason otherwise. Stopping is `postfix -c DIR stop`, plus a
# kill of the master if it lingers.

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

POSTFIX = "/usr/sbin/postfix"
START_TIMEOUT = 20.0


def unavailable():
    """Why a private Postfix cannot run here, or None when it can."""
    if not os.access(POSTFIX, os.X_OK):
        return "postfix is not installed (scripts/install-deps test)"
    if os.geteuid() != 0:
        return "a Postfix master must be started as root"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "the postfix user does not exist"
    return None


def _alive(pid):
    """Whether process pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostfixInstance:
    """One private Postfix: domains, mailboxes and one smtpd port.

    mailboxes: addresses with a Maildir here (others are refused at
    RCPT time with 550 5.1.1, as a real mailbox server does).
    """

    def __init__(self, domains, mailboxes, extra_main=None):
        self.dir = Path(tempfile.mkdtemp(prefix="sluice-postfix-"))
        os.chmod(self.dir, 0o755)
        self.config_dir = self.dir / "etc"
        self.mail_dir = self.dir / "mail"
        self.port = _free_port()
        self.domains = list(domains)
        self.mailboxes = list(mailboxes)
        self.extra_main = dict(extra_main or {})
        self.started = False

    def _write_config(self):
        postfix = pwd.getpwnam("postfix")
        self.config_dir.mkdir()
        for sub in ("queue", "data"):
            (self.dir / sub).mkdir()
            os.chown(self.dir / sub, postfix.pw_uid, postfix.pw_gid)
        self.mail_dir.mkdir()
        os.chown(self.mail_dir, postfix.pw_uid, postfix.pw_gid)
        lines = []
        for address in self.mailboxes:
            lines.append(f"{address} {address}/Maildir/\n")
        (self.config_dir / "mailboxes").write_text("".join(lines))
        main = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.dir / "queue"),
            "data_directory": str(self.dir / "data"),
            "mail_owner": "postfix",
            "myhostname": "mailbox.downstream.test",
            "mydomain": "downstream.test",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_recipient_restrictions":
                "permit_mynetworks, reject_unauth_destination",
            "virtual_mailbox_domains": ", ".join(self.domains),
            "virtual_mailbox_base": str(self.mail_dir),
            "virtual_mailbox_maps":
                f"texthash:{self.config_dir / 'mailboxes'}",
            "virtual_uid_maps": f"static:{postfix.pw_uid}",
            "virtual_gid_maps": f"static:{postfix.pw_gid}",
            "smtputf8_enable": "yes",
            "maillog_file": str(self.dir / "maillog"),
            "maillog_file_prefixes": str(self.dir),
            "alternate_config_directories": str(self.config_dir),
            # Nothing of this instance may leave loopback.
            "relayhost": "[127.0.0.1]:9",
            "default_transport": "error:no remote delivery in tests",
            "smtpd_banner": "$myhostname ESMTP",
            "message_size_limit": "20971520",
        }
        main.update(self.extra_main)
        (self.config_dir / "main.cf").write_text(
            "".join(f"{k} = {v}\n" for k, v in main.items()))
        master = Path("/etc/postfix/master.cf").read_text()
        # The stock services, without the system's port 25 listener and
        # unchrooted, plus our smtpd and the log service for maillog_file.
        kept = []
        for line in master.splitlines():
            if line.startswith("smtp ") and " inet " in line:
                continue
            fields = line.split()
            if (len(fields) >= 8 and not line.startswith((" ", "\t", "#"))
                    and fields[4] == "y"):
                fields[4] = "n"
                line = " ".join(fields)
            kept.append(line)
        kept.append(f"127.0.0.1:{self.port} inet n - n - - smtpd")
        if not any(line.startswith("postlog ") for line in kept):
            kept.append("postlog unix-dgram n - n - 1 postlogd")
        (self.config_dir / "master.cf").write_text("\n".join(kept) + "\n")

    def start(self):
        self._write_config()
        subprocess.run([POSTFIX, "-c", str(self.config_dir), "check"],
                       check=True, capture_output=True)
        subprocess.run([POSTFIX, "-c", str(self.config_dir), "start"],
                       check=True, capture_output=True)
        self.started = True
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"postfix did not listen on {self.port}: "
                           f"{self.log()}")

    def _master_pid(self):
        try:
            return int((self.dir / "queue" / "pid" / "master.pid")
                       .read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        if self.started:
            # The master leaves its pid file behind when it exits, so
            # wait for the process itself (not our child: `postfix
            # start` daemonizes it; a zombie counts as gone).
            pid = self._master_pid()
            subprocess.run([POSTFIX, "-c", str(self.config_dir), "stop"],
                           capture_output=True)
            deadline = time.monotonic() + 10
            while pid is not None and _alive(pid):
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    break
                time.sleep(0.05)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        path = self.dir / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def maildir_messages(self, address, count=1, timeout=15.0):
        """The files delivered to address (bytes), waiting for count."""
        box = self.mail_dir / address / "Maildir" / "new"
        deadline = time.monotonic() + timeout
        while True:
            files = sorted(box.glob("*")) if box.exists() else []
            if len(files) >= count or time.monotonic() > deadline:
                return [f.read_bytes() for f in files]
            time.sleep(0.1)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
