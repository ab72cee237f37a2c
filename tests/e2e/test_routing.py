# test_routing.py: recipient routing in a running sluiced: aliases to
# several local users, catch-alls, plus-addressing, relay domains checked
# by list and by probing a real downstream (Postfix's smtp-sink), relay
# refusals, alias loops; and the `sluice alias` / `sluice relay-recipient`
# commands with their argument errors.

import os
import signal
import subprocess

import pytest

import smtp_sink
from conftest import _Factory
from smtp_sink import SmtpSink
from test_cli import assert_one_line_error
from test_lifecycle import wait_for_log
from test_smtp_protocol import assert_reply
from sluice_e2e import (ALICE, DEMO, LOOPBACK, SENDER, SLUICED,
                        free_ports, make_message, unique_marker)

CATCH_DOMAIN = "catch.test"
RELAY_LIST = "relay.test"
RELAY_OPEN = "open.test"


def rcpt_replies(instance, recipients):
    """Opens a transaction and returns the reply to each RCPT."""
    with instance.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        replies = [client.command(f"RCPT TO:<{r}>") for r in recipients]
        client.expect("QUIT", 221)
    return replies


@pytest.fixture(scope="module")
def routed(sluice_binaries, tls_material):
    """One daemon with aliases, a catch-all domain and two relay domains
    (one checked by list, one accepting all) whose downstream is never
    contacted by these tests."""
    unused_port, = free_ports(1)
    factory = _Factory(tls_material)
    instance = factory(start=False, settings={
        "relay.domains": f"{RELAY_LIST}, {RELAY_OPEN}",
        "relay.host": f"[{LOOPBACK}]:{unused_port}",
        "relay.verify": "list",
        f"relay.verify.{RELAY_OPEN}": "accept",
    })
    instance.cli("domain", "add", CATCH_DOMAIN)
    instance.cli("alias", "add", "team@example.test", DEMO, ALICE)
    instance.cli("alias", "add", f"@{CATCH_DOMAIN}", DEMO)
    instance.cli("alias", "add", "loop1@example.test", "loop2@example.test")
    instance.cli("alias", "add", "loop2@example.test", "loop1@example.test")
    instance.cli("alias", "add", "sales@example.test", f"amy@{RELAY_LIST}")
    instance.cli("relay-recipient", "add", f"amy@{RELAY_LIST}",
                 f"Bo@{RELAY_LIST}")
    instance.start()
    yield instance
    factory.finish()


def test_alias_to_two_local_users_reaches_both(routed):
    marker = unique_marker("alias")
    original = make_message(marker, to="team@example.test")
    routed.send(["team@example.test"], marker=marker, message=original)
    for address in (DEMO, ALICE):
        message, = routed.wait_for_messages(address, 1, marker=marker)
        assert f"Delivered-To: {address}".encode() in message
    routed.barrier(DEMO)
    assert len(routed.messages_with(ALICE, marker)) == 1


def test_alias_with_a_member_gives_one_copy(routed):
    marker = unique_marker("alias-dup")
    routed.send(["team@example.test", DEMO], marker=marker)
    routed.wait_for_messages(ALICE, 1, marker=marker)
    routed.barrier(DEMO)
    assert len(routed.messages_with(DEMO, marker)) == 1


def test_plus_addressing_through_an_alias(routed):
    marker = unique_marker("plus")
    routed.send(["Team+News@example.test"], marker=marker)
    routed.wait_for_messages(DEMO, 1, marker=marker)
    routed.wait_for_messages(ALICE, 1, marker=marker)


def test_plus_addressing_to_a_user(routed):
    marker = unique_marker("plus-user")
    routed.send(["alice+lists@example.test"], marker=marker)
    routed.wait_for_messages(ALICE, 1, marker=marker)


def test_catch_all_takes_unknown_addresses(routed):
    marker = unique_marker("catch-all")
    routed.send([f"whoever-{marker}@{CATCH_DOMAIN}"], marker=marker)
    routed.wait_for_messages(DEMO, 1, marker=marker)


def test_domain_without_catch_all_refuses_unknown_user(routed):
    reply, = rcpt_replies(routed, ["nobody@example.test"])
    assert_reply(reply, 550, "5.1.1")


def test_relay_domain_checked_by_list(routed):
    replies = rcpt_replies(routed, [
        f"amy@{RELAY_LIST}", f"AMY+tag@{RELAY_LIST}", f"bo@{RELAY_LIST}",
        f"zed@{RELAY_LIST}", "sales@example.test"])
    assert [code for code, _ in replies] == [250, 250, 250, 550, 250], \
        replies
    assert_reply(replies[3], 550, "5.1.1")
    assert "relay recipient table" in replies[3][1][0]


def test_relay_domain_accepting_all(routed):
    reply, = rcpt_replies(routed, [f"anyone-at-all@{RELAY_OPEN}"])
    assert_reply(reply, 250, "2.1.5")


def test_list_change_applies_without_restart(routed):
    address = f"new-{unique_marker()}@{RELAY_LIST}"
    assert_reply(rcpt_replies(routed, [address])[0], 550, "5.1.1")
    routed.cli("relay-recipient", "add", address)
    assert_reply(rcpt_replies(routed, [address])[0], 250)
    routed.cli("relay-recipient", "remove", address)
    assert_reply(rcpt_replies(routed, [address])[0], 550)


@pytest.mark.parametrize("recipient", [
    "someone@elsewhere.test",
    "demo@example.test.elsewhere.test",
    f"postmaster@sub.{RELAY_OPEN}",
])
def test_unknown_domain_is_554_571(routed, recipient):
    assert_reply(rcpt_replies(routed, [recipient])[0], 554, "5.7.1")


@pytest.mark.parametrize("recipient", [
    f"user%elsewhere.test@{RELAY_OPEN}",
    f'"user@elsewhere.test"@{RELAY_OPEN}',
    f"elsewhere.test!user@{RELAY_OPEN}",
    f"@{RELAY_OPEN}:user@elsewhere.test",
    f"user%elsewhere.test@{RELAY_LIST}",
])
def test_relay_tricks_are_refused(routed, recipient):
    code, texts = rcpt_replies(routed, [recipient])[0]
    assert 500 <= code < 600, (code, texts)


def test_alias_loop_is_refused_cleanly(routed):
    with routed.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        assert_reply(client.command("RCPT TO:<loop1@example.test>"), 451,
                     "4.6.0")
        # The session goes on: the next recipient is fine.
        client.expect(f"RCPT TO:<{DEMO}>", 250)
    wait_for_log(routed, "event=alias_expansion_error")
    assert "reason=loop" in routed.log_text()


def test_pipelined_recipients_answer_in_order(routed):
    marker = unique_marker("pipelined")
    with routed.raw() as client:
        client.greet()
        client.send(f"MAIL FROM:<{SENDER}>\r\n"
                    f"RCPT TO:<team@example.test>\r\n"
                    f"RCPT TO:<zed@{RELAY_LIST}>\r\n"
                    f"RCPT TO:<nobody@example.test>\r\n"
                    f"RCPT TO:<loop1@example.test>\r\n"
                    f"RCPT TO:<someone@elsewhere.test>\r\n"
                    f"RCPT TO:<whoever@{CATCH_DOMAIN}>\r\nDATA\r\n")
        codes = [code for code, _ in client.replies(8)]
        assert codes == [250, 250, 550, 550, 451, 554, 250, 354], codes
        client.send(make_message(marker) + b".\r\nQUIT\r\n")
        assert_reply(client.reply(), 250)
        assert_reply(client.reply(), 221)
    routed.wait_for_messages(ALICE, 1, marker=marker)
    routed.barrier(DEMO)
    # team@ and the catch-all both lead to demo: one copy.
    assert len(routed.messages_with(DEMO, marker)) == 1


def test_sighup_applies_new_relay_domains(sluice):
    assert_reply(rcpt_replies(sluice, ["x@late.test"])[0], 554, "5.7.1")
    unused_port, = free_ports(1)
    sluice.settings["relay.domains"] = "late.test"
    sluice.settings["relay.host"] = f"[{LOOPBACK}]:{unused_port}"
    sluice.settings["relay.verify"] = "accept"
    sluice.write_config()
    sluice.proc.send_signal(signal.SIGHUP)
    wait_for_log(sluice, "event=reloaded")
    assert_reply(rcpt_replies(sluice, ["x@late.test"])[0], 250)


def test_bad_relay_host_fails_start_with_one_line(sluice_factory):
    instance = sluice_factory(start=False, accounts=False, settings={
        "relay.domains": "relay.test", "relay.host": "mx.relay.test:99999"})
    result = subprocess.run([str(SLUICED), "-c", str(instance.config), "-t"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "relay.host" in lines[0] and "65535" in lines[0], lines[0]
    check = instance.cli("config", "check", check=False)
    assert check.returncode == 1
    assert "relay.host" in check.stderr


# The CLI.

@pytest.fixture
def configured(sluice_factory):
    """A config with one relay domain and an empty state directory."""
    instance = sluice_factory(start=False, accounts=False, settings={
        "relay.domains": RELAY_LIST, "relay.host": f"[{LOOPBACK}]:2525"})
    instance.cli("domain", "add", "example.test")
    return instance


def test_alias_round_trip(configured):
    configured.cli("alias", "add", "team@example.test", "a@example.test",
                   "b@remote.test")
    configured.cli("alias", "add", "@example.test", "catch@example.test")
    configured.cli("alias", "add", f"info@{RELAY_LIST}", "x@remote.test")
    configured.cli("alias", "add", "postmaster", "admin@example.test")
    lines = configured.cli("alias", "list").stdout.splitlines()
    assert "team@example.test a@example.test b@remote.test" in lines
    assert "@example.test catch@example.test" in lines
    assert "postmaster admin@example.test" in lines
    assert configured.cli("alias", "list", RELAY_LIST).stdout == \
        f"info@{RELAY_LIST} x@remote.test\n"
    configured.cli("alias", "remove", "team@example.test", "b@remote.test")
    assert "team@example.test a@example.test" in \
        configured.cli("alias", "list", "example.test").stdout.splitlines()
    configured.cli("alias", "del", "team@example.test")
    assert "team@" not in configured.cli("alias", "list").stdout


def test_relay_recipient_round_trip_and_import(configured, tmp_path):
    configured.cli("relay-recipient", "add", f"a@{RELAY_LIST}",
                   f"B@{RELAY_LIST}")
    listing = tmp_path / "export.txt"
    listing.write_text(f"# exported\n\n  c@{RELAY_LIST}\r\n"
                       f"a@{RELAY_LIST}\nd@{RELAY_LIST}  \n")
    os.chmod(tmp_path, 0o755)
    os.chmod(listing, 0o644)
    result = configured.cli("relay-recipient", "import", str(listing))
    assert result.stdout == "2 added, 1 already listed\n"
    assert configured.cli("relay-recipient", "list", RELAY_LIST).stdout \
        .split() == [f"{x}@{RELAY_LIST}" for x in "abcd"]
    configured.cli("relay-recipient", "remove", f"a@{RELAY_LIST}")
    assert f"a@{RELAY_LIST}" not in \
        configured.cli("relay-recipient", "list").stdout.split()
    result = configured.cli("relay-recipient", "import", "-",
                            input=f"e@{RELAY_LIST}\n")
    assert result.stdout == "1 added, 0 already listed\n"


def test_import_with_a_bad_line_adds_nothing(configured, tmp_path):
    listing = tmp_path / "bad.txt"
    listing.write_text(f"ok@{RELAY_LIST}\nnot an address\n")
    os.chmod(tmp_path, 0o755)
    os.chmod(listing, 0o644)
    message = assert_one_line_error(configured.cli(
        "relay-recipient", "import", str(listing), check=False))
    assert f"{listing}:2:" in message, message
    assert configured.cli("relay-recipient", "list").stdout == ""


CLI_BAD_ARGUMENTS = {
    "alias-no-action": ["alias"],
    "alias-bad-action": ["alias", "explode", "a@example.test"],
    "alias-add-no-destination": ["alias", "add", "a@example.test"],
    "alias-add-not-an-address": ["alias", "add", "nobody", "a@example.test"],
    "alias-add-foreign-domain": ["alias", "add", "a@elsewhere.test",
                                 "b@example.test"],
    "alias-add-bad-destination": ["alias", "add", "a@example.test",
                                  "not an address"],
    "alias-add-domain-destination": ["alias", "add", "a@example.test",
                                     "@remote.test"],
    "alias-add-twice": ["alias", "add", "a@example.test", "b@x.test",
                        "B@x.test"],
    "alias-remove-missing": ["alias", "remove", "ghost@example.test"],
    "alias-remove-no-source": ["alias", "remove"],
    "alias-list-too-many": ["alias", "list", "a", "b"],
    "relay-no-action": ["relay-recipient"],
    "relay-bad-action": ["relay-recipient", "frob"],
    "relay-add-nothing": ["relay-recipient", "add"],
    "relay-add-not-relay": ["relay-recipient", "add", "a@example.test"],
    "relay-add-bad-address": ["relay-recipient", "add", "no-at-sign"],
    "relay-remove-missing": ["relay-recipient", "remove",
                             f"ghost@{RELAY_LIST}"],
    "relay-import-missing-file": ["relay-recipient", "import",
                                  "/nonexistent/list.txt"],
    "relay-import-two-files": ["relay-recipient", "import", "a", "b"],
    "relay-list-too-many": ["relay-recipient", "list", "a", "b"],
}


@pytest.mark.parametrize("argv", CLI_BAD_ARGUMENTS.values(),
                         ids=CLI_BAD_ARGUMENTS.keys())
def test_cli_bad_arguments_fail_with_one_line(configured, argv):
    assert_one_line_error(configured.cli(*argv, check=False))


# Probe verification against real downstream servers: Postfix's
# smtp-sink accepting every RCPT, refusing every RCPT (5xx), and
# deferring every RCPT (4xx); and a port nobody listens on.

@pytest.mark.skipif(not smtp_sink.available(),
                    reason="Postfix's smtp-sink is not installed")
def test_probe_verification_against_smtp_sink(sluice_factory):
    good_port, bad_port, temp_port, dead_port = free_ports(4)
    sinks = [SmtpSink(good_port),
             SmtpSink(bad_port, "-f", "RCPT", "-B",
                      "550 5.1.1 Recipient unknown"),
             SmtpSink(temp_port, "-r", "RCPT")]
    try:
        instance = sluice_factory(settings={
            "relay.domains": "good.test, bad.test, temp.test, dead.test",
            "relay.verify": "probe",
            "relay.tls": "none",
            "relay.transport.good.test": f"[{LOOPBACK}]:{good_port}",
            "relay.transport.bad.test": f"[{LOOPBACK}]:{bad_port}",
            "relay.transport.temp.test": f"[{LOOPBACK}]:{temp_port}",
            "relay.transport.dead.test": f"[{LOOPBACK}]:{dead_port}",
        })
        replies = rcpt_replies(instance, [
            "known@good.test", "x@bad.test", "x@temp.test", "x@dead.test"])
        assert_reply(replies[0], 250, "2.1.5")
        assert_reply(replies[1], 550, "5.1.1")
        assert "Recipient unknown" in replies[1][1][0]
        assert_reply(replies[2], 450, "4.1.1")
        assert_reply(replies[3], 450, "4.1.1")
        # Answers are remembered: with the downstream gone, the known
        # address is still taken and the refused one still refused; a
        # new address cannot be verified, so it waits (4xx).
        sinks[0].stop()
        sinks[1].stop()
        replies = rcpt_replies(instance, [
            "known@good.test", "x@bad.test", "new@good.test"])
        assert_reply(replies[0], 250)
        assert_reply(replies[1], 550, "5.1.1")
        assert_reply(replies[2], 450, "4.1.1")
    finally:
        for sink in sinks:
            sink.stop()
