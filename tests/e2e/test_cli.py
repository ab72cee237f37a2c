# test_cli.py: the sluice command line: domain and user round trips, error
# reporting (one line on stderr, non-zero exit), `config check` and `init`.

import imaplib
import re
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from sluice_e2e import (DEMO, DOMAIN, LOOPBACK, REPO_ROOT, SENDER,
                        SLUICE_CLI, SLUICED, SYSTEM_USER, chown_tree,
                        free_ports, is_root, parse_config, unique_marker)


def listed(result):
    """The whitespace-separated words of a `list` command's output."""
    return result.stdout.split()


def assert_one_line_error(result):
    assert result.returncode != 0, f"exit 0: {result.stdout!r}"
    lines = result.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].strip(), \
        f"stderr is not one line: {result.stderr!r}"
    return lines[0]


@pytest.fixture
def configured(sluice_factory):
    """A config and an empty state directory; no daemon, no accounts."""
    return sluice_factory(start=False, accounts=False)


def test_domain_round_trip(configured):
    assert listed(configured.cli("domain", "list")) == []
    configured.cli("domain", "add", "alpha.test")
    configured.cli("domain", "add", "beta.test")
    assert sorted(listed(configured.cli("domain", "list"))) == \
        ["alpha.test", "beta.test"]
    configured.cli("domain", "del", "alpha.test")
    assert listed(configured.cli("domain", "list")) == ["beta.test"]


def test_user_round_trip(configured):
    configured.cli("domain", "add", DOMAIN)
    configured.cli("user", "add", "bob@example.test", input="bob-pass-1\n")
    configured.cli("user", "add", "carol@example.test", input="carol-pass\n")
    users = listed(configured.cli("user", "list"))
    assert "bob@example.test" in users and "carol@example.test" in users
    configured.cli("user", "passwd", "bob@example.test",
                   input="another-pass\n")
    assert "bob@example.test" in listed(configured.cli("user", "list"))
    configured.cli("user", "del", "bob@example.test")
    users = listed(configured.cli("user", "list"))
    assert "bob@example.test" not in users and "carol@example.test" in users


def quotas(result):
    """{address: quota} from `user list` lines "ADDRESS quota=SIZE"."""
    pairs = (line.split() for line in result.stdout.splitlines())
    return {address: quota.removeprefix("quota=") for address, quota in pairs}


def test_user_quota_round_trip(configured):
    configured.cli("domain", "add", DOMAIN)
    configured.cli("user", "add", "bob@example.test", input="bob-pass-1\n")
    configured.cli("user", "add", "carol@example.test", input="carol-pass\n")
    assert quotas(configured.cli("user", "list")) == {
        "bob@example.test": "none", "carol@example.test": "none"}
    for size, shown in [("500M", "500M"), ("2G", "2G"), ("1024", "1K"),
                        ("1000", "1000"), ("3g", "3G"), ("none", "none"),
                        ("7K", "7K"), ("0", "none")]:
        configured.cli("user", "quota", "Bob@Example.test", size)
        listed_quotas = quotas(configured.cli("user", "list", DOMAIN))
        assert listed_quotas == {"bob@example.test": shown,
                                 "carol@example.test": "none"}, size


BAD_ARGUMENTS = {
    "unknown-command": ["frobnicate"],
    "domain-no-verb": ["domain"],
    "domain-add-no-name": ["domain", "add"],
    "domain-bad-verb": ["domain", "explode", "x.test"],
    "domain-too-many": ["domain", "add", "a.test", "b.test"],
    "domain-invalid-name": ["domain", "add", "not a domain"],
    "user-no-address": ["user", "add"],
    "user-not-an-address": ["user", "add", "not-an-address"],
    "user-unknown-domain": ["user", "add", "x@no-such-domain.test"],
    "passwd-unknown-user": ["user", "passwd", "ghost@example.test"],
    "quota-no-size": ["user", "quota", "ghost@example.test"],
    "quota-too-many": ["user", "quota", "a@example.test", "1G", "2G"],
    "quota-bad-size": ["user", "quota", "a@example.test", "lots"],
    "quota-negative": ["user", "quota", "a@example.test", "-1"],
    "quota-bad-suffix": ["user", "quota", "a@example.test", "5T"],
    "quota-overflow": ["user", "quota", "a@example.test",
                       "99999999999999999999"],
    "quota-too-large": ["user", "quota", "a@example.test", "9999999999G"],
    "quota-not-an-address": ["user", "quota", "nobody", "1G"],
    "quota-unknown-user": ["user", "quota", "ghost@example.test", "1G"],
}


@pytest.mark.parametrize("argv", BAD_ARGUMENTS.values(),
                         ids=BAD_ARGUMENTS.keys())
def test_bad_arguments_fail_with_one_line(configured, argv):
    configured.cli("domain", "add", DOMAIN)
    result = configured.cli(*argv, input="some-password\n", check=False)
    assert_one_line_error(result)


def test_missing_config_file_is_one_line(configured):
    result = configured.cli("domain", "list", check=False,
                            config=configured.base_dir / "missing.conf")
    assert "missing.conf" in assert_one_line_error(result)


def test_config_check_prints_effective_settings(configured):
    result = configured.cli("config", "check")
    assert f"{LOOPBACK}:{configured.smtp_port}" in result.stdout
    assert "smtp.max_message_size" in result.stdout


def append_config_line(instance, line):
    """Appends one line; returns its 1-based line number."""
    text = instance.config.read_text()
    instance.config.write_text(text + line + "\n")
    return len(text.splitlines()) + 1


def test_config_check_rejects_unknown_key_with_file_and_line(configured):
    lineno = append_config_line(configured, "smtp.no_such_key = 1")
    result = configured.cli("config", "check", check=False)
    message = assert_one_line_error(result)
    assert f"sluice.conf:{lineno}" in message, message
    assert "smtp.no_such_key" in message, message


def test_config_check_rejects_bad_value_with_file_and_line(configured):
    lineno = append_config_line(configured, "smtp.max_errors = lots")
    message = assert_one_line_error(
        configured.cli("config", "check", check=False))
    assert f"sluice.conf:{lineno}" in message, message


@pytest.mark.parametrize("line", ["smtp.max_message_size = 10M",
                                  "smtp.max_message_size = 512K",
                                  "smtp.timeout = 5m",
                                  "smtp.timeout = 1h",
                                  "log_level = warn",
                                  "workers = 0",
                                  "# a comment line"])
def test_config_check_accepts_documented_forms(configured, line):
    append_config_line(configured, line)
    configured.cli("config", "check")


def test_daemon_refuses_unknown_key(configured):
    lineno = append_config_line(configured, "bogus = yes")
    result = subprocess.run([str(SLUICED), "-c", str(configured.config), "-f"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert f"sluice.conf:{lineno}" in result.stderr, result.stderr


def test_user_added_while_running_receives_mail(sluice):
    sluice.cli("user", "add", "bob@example.test", input="bob-pass-1\n")
    marker = sluice.send(["bob@example.test"])
    sluice.wait_for_messages("bob@example.test", 1, marker=marker)


def test_user_deleted_while_running_is_unknown(sluice):
    sluice.cli("user", "del", "alice@example.test")
    with sluice.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        code, texts = client.command("RCPT TO:<alice@example.test>")
        assert code == 550 and texts[0].startswith("5.1.1"), (code, texts)


def swap_listen_ports(config):
    """Moves every HOST:PORT listener of an init config to a free
    loopback port, so the test never collides with a real demo."""
    lines = config.read_text().splitlines()
    for index, line in enumerate(lines):
        key, sep, value = line.partition("=")
        if not sep or not key.strip().endswith(".listen"):
            continue
        entries = []
        for entry in value.split(","):
            entry = entry.strip()
            if not entry.startswith("unix:"):
                entry = f"{LOOPBACK}:{free_ports(1)[0]}"
            entries.append(entry)
        lines[index] = f"{key.strip()} = {', '.join(entries)}"
    if is_root() and "user" not in parse_config("\n".join(lines)):
        lines.append(f"user = {SYSTEM_USER}")
    config.write_text("\n".join(lines) + "\n")


def test_init_writes_a_working_setup(sluice_binaries, sluice_factory):
    base = Path(tempfile.mkdtemp(prefix="sluice-e2e-init-"))
    target = base / "demo"
    result = subprocess.run([str(SLUICE_CLI), "init", str(target)],
                            capture_output=True, text=True, timeout=60,
                            cwd=base)
    assert result.returncode == 0, result.stderr
    assert DEMO in result.stdout, result.stdout
    config = target / "sluice.conf"
    settings = parse_config(config.read_text())
    assert settings["smtp.listen"].endswith(":2525"), settings
    assert (target / "state").is_dir()
    assert list((target / "tls").iterdir()), "no TLS files written"
    for key in ("tls.cert", "tls.key"):
        assert (target / settings[key]).is_file(), settings[key]

    swap_listen_ports(config)
    chown_tree(base)
    instance = sluice_factory.adopt(base, config)
    check = instance.cli("config", "check")
    assert str(instance.smtp_port) in check.stdout
    assert DOMAIN in listed(instance.cli("domain", "list"))
    assert DEMO in listed(instance.cli("user", "list"))

    instance.start()
    marker = unique_marker("init")
    with instance.smtp() as client:
        client.ehlo()
        assert client.has_extn("starttls")
    instance.send([DEMO], marker=marker)
    message, = instance.wait_for_messages(DEMO, 1, marker=marker)
    assert message.startswith(f"Return-Path: <{SENDER}>\n".encode())
    assert os.path.isdir(instance.maildir(DEMO) / "tmp")

    # The demo user reads it over IMAP with the printed password.
    password = re.search(r"password (\S+)", result.stdout).group(1)
    imap_port = int(parse_config(config.read_text())["imap.listen"]
                    .rsplit(":", 1)[1])
    client = imaplib.IMAP4(LOOPBACK, imap_port)
    client.login(DEMO, password)
    typ, data = client.select("INBOX")
    assert typ == "OK" and int(data[0]) == 1, data
    typ, data = client.search(None, "BODY", marker)
    assert typ == "OK" and data[0] == b"1", data
    client.logout()


def test_shipped_sample_config_matches_the_tables(sluice_binaries):
    """doc/sluice.conf.sample is generated from the settings tables; a key
    added or changed in the code without regenerating it fails here
    (regenerate: cli/sluice config defaults > doc/sluice.conf.sample)."""
    sample = REPO_ROOT / "doc" / "sluice.conf.sample"
    result = subprocess.run([str(SLUICE_CLI), "config", "defaults"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == sample.read_text(), \
        "doc/sluice.conf.sample is stale"
    # Every key is commented out, so the sample loads as pure defaults.
    check = subprocess.run([str(SLUICE_CLI), "-c", str(sample), "config",
                            "check"], capture_output=True, text=True,
                           timeout=30)
    assert check.returncode == 0, check.stderr
    assert "smtp.max_message_size = 26214400" in check.stdout
