# test_rules_compat.py: sluice's SpamAssassin-compatible rules engine must
# hit the same rules as SpamAssassin 4 on a seeded sample of real mail.
#
# DESIGN: the sample is corpus.sample(root, SAMPLE_SIZE, SEED) from the
# development corpus (tests/compat/corpus.py: 100 spam and 100 ham drawn
# with random.Random(SEED) from the sorted file names of spam/ and ham/),
# extracted into pytest's temporary directory. SpamAssassin runs offline
# through tests/compat/sa_hits.py (no DNS, Bayes, auto-welcomelist or
# TxRep; cached per corpus checksum, seed and rules directory mtime);
# sluice runs as
#   cli/sluice -c EMPTY check --json --rules RULES_DIR FILE...
# with an empty configuration file, so settings of the machine cannot
# switch network tests or Bayes on. Only rules sluice implements are
# compared: those `sluice rules lint --json RULES_DIR` lists as
# "compiled", minus network/state rules (tests/compat/sa_rules.py: tflags
# net, BAYES_*, network plugins and evals) and "__" sub-rules, which
# SpamAssassin never reports. Agreement is |both| / |union| over the
# (message, rule) hit pairs of those rules; the per-rule disagreements
# are printed (pytest -s, or in the failure report) so engineers know
# which rules to fix. A missing `check` or `rules lint` fails the test,
# it never skips.

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from sluice_e2e import REPO_ROOT, SLUICE_CLI

sys.path.insert(0, str(REPO_ROOT / "tests" / "compat"))
import corpus  # noqa: E402
import sa_hits  # noqa: E402
import sa_rules  # noqa: E402

# Fixed so a result can be reproduced; change it only on purpose (the
# SpamAssassin cache follows the seed).
SEED = 20030228
SAMPLE_SIZE = 200
RULES_DIR = "/usr/share/spamassassin"
MIN_AGREEMENT = 0.95
SLUICE_TIMEOUT = 120
# Rows of the disagreement table.
REPORT_ROWS = 25


def _tail(text, limit=1500):
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]


class _Unavailable(Exception):
    """sluice cannot take part; the message says what is missing."""


def _run_sluice(config, *args, timeout=SLUICE_TIMEOUT):
    """Runs cli/sluice -c config ARGS; raises _Unavailable when it cannot."""
    if not SLUICE_CLI.is_file():
        raise _Unavailable(f"{SLUICE_CLI} is missing: build sluice first "
                           "(autoreconf -fi && ./configure -q && make -j2)")
    command = [str(SLUICE_CLI), "-c", str(config), *args]
    try:
        return subprocess.run(command, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise _Unavailable(f"`sluice {' '.join(args[:4])} ...` took more "
                           f"than {timeout} s") from None


def _unavailable(what, result, why):
    """One paragraph saying which sluice command failed, and how."""
    return (f"`sluice {what}` is not available or failed: {why} (exit "
            f"{result.returncode}); the compatibility test needs it.\n"
            f"stderr: {_tail(result.stderr) or '(empty)'}")


def _run_both(work):
    """Runs sluice, then SpamAssassin, on the sample; returns the results.

    Raises _Unavailable before SpamAssassin runs when sluice cannot.
    """
    config = work / "sluice.conf"
    config.write_text("")
    problems = []
    # Any exit status will do for lint (it may report skipped rules), as
    # long as it prints the JSON object.
    lint = _run_sluice(config, "rules", "lint", "--json", RULES_DIR)
    try:
        compiled = set(json.loads(lint.stdout)["compiled"])
    except (ValueError, KeyError, TypeError) as error:
        problems.append(_unavailable(
            f"rules lint --json {RULES_DIR}", lint,
            f"no JSON object with a \"compiled\" list ({error})"))

    root = corpus.extract(work / "corpus")
    names = corpus.sample(root, SAMPLE_SIZE, SEED)
    paths = [str(root / name) for name in names]
    started = time.monotonic()
    check = _run_sluice(config, "check", "--json", "--rules", RULES_DIR,
                        *paths)
    sluice_seconds = time.monotonic() - started
    if check.returncode not in (0, 1):
        problems.append(_unavailable(
            f"check --json --rules {RULES_DIR} FILE...", check,
            "exit status not 0 (ham) or 1 (spam)"))
    if problems:
        raise _Unavailable("\n\n".join(problems))

    started = time.monotonic()
    identity = {"corpus_sha256": corpus.checksum(), "seed": SEED,
                "count": SAMPLE_SIZE}
    sa_results, cache_state = sa_hits.sa_hits(root, names, RULES_DIR,
                                              identity=identity, jobs=2)
    sa_seconds = time.monotonic() - started

    print(f"\nsample: {SAMPLE_SIZE} messages, seed {SEED}; sluice check "
          f"{sluice_seconds:.1f} s; SpamAssassin {sa_seconds:.1f} s "
          f"(cache {cache_state})")
    return {
        "names": names, "paths": paths, "compiled": compiled,
        "check": check, "sa": sa_results,
        "network": sa_rules.network_rules(RULES_DIR),
    }


@pytest.fixture(scope="module")
def compat(tmp_path_factory):
    """Both engines' results, run once per module.

    When sluice cannot run, each test fails (not errors, not skips) with
    the reason.
    """
    try:
        results = _run_both(tmp_path_factory.mktemp("compat"))
    except _Unavailable as problem:
        results = {"unavailable": str(problem)}
    yield results


def _require_sluice(compat):
    if "unavailable" in compat:
        pytest.fail(compat["unavailable"], pytrace=False)


def _sluice_records(compat):
    """sluice's JSON lines by sample name; fails on malformed output."""
    name_of = dict(zip(compat["paths"], compat["names"]))
    records = {}
    for number, line in enumerate(compat["check"].stdout.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            pytest.fail(f"sluice check line {number} is not JSON ({error}):"
                        f" {line[:200]}", pytrace=False)
        path = record.get("file") if isinstance(record, dict) else None
        name = name_of.get(path) or name_of.get(str(Path(path or "")
                                                    .resolve()))
        if name is None:
            pytest.fail(f"sluice check line {number}: \"file\" {path!r} is "
                        "not one of the files given", pytrace=False)
        if name in records:
            pytest.fail(f"sluice check printed {path} twice", pytrace=False)
        records[name] = record
    return records


def test_check_json_follows_contract(compat):
    _require_sluice(compat)
    records = _sluice_records(compat)
    missing = [n for n in compat["names"] if n not in records]
    assert not missing, (f"sluice check printed no line for {len(missing)} "
                         f"file(s), first {missing[0]}")
    for name, record in records.items():
        for key, kind in (("score", (int, float)), ("required", (int, float)),
                          ("spam", bool), ("hits", list)):
            assert isinstance(record.get(key), kind), \
                f"{name}: \"{key}\" missing or not {kind}: {record}"
        for hit in record["hits"]:
            assert isinstance(hit.get("rule"), str) and \
                isinstance(hit.get("score"), (int, float)), \
                f"{name}: malformed hit {hit}"
            assert isinstance(hit.get("description", ""), str), \
                f"{name}: description of {hit['rule']} is not a string"
            assert not hit["rule"].startswith("__"), \
                f"{name}: sub-rule {hit['rule']} reported as a hit"
    any_spam = any(record["spam"] for record in records.values())
    assert compat["check"].returncode == (1 if any_spam else 0), \
        (f"exit status {compat['check'].returncode} but "
         f"{'some' if any_spam else 'no'} message is spam")


def _hit_pairs(results, rules):
    return {(name, hit["rule"]) for name, record in results.items()
            for hit in record["hits"] if hit["rule"] in rules}


def _report(sa_only, sluice_only, compared, left_out, uncovered):
    per_rule = Counter()
    sa_count = Counter(rule for _, rule in sa_only)
    sluice_count = Counter(rule for _, rule in sluice_only)
    per_rule.update(sa_count)
    per_rule.update(sluice_count)
    examples = {}
    for name, rule in sorted(sa_only | sluice_only):
        examples.setdefault(rule, name)
    lines = [f"rules compared: {len(compared)} (compiled by sluice; "
             f"{left_out} compiled network/state/sub-rules left out)",
             f"{'rule':32} {'sa_only':>7} {'sluice_only':>11}  example"]
    for rule, _ in per_rule.most_common(REPORT_ROWS):
        lines.append(f"{rule:32} {sa_count[rule]:7} {sluice_count[rule]:11}"
                     f"  {examples[rule]}")
    if len(per_rule) > REPORT_ROWS:
        lines.append(f"... {len(per_rule) - REPORT_ROWS} more rules "
                     "disagree")
    if uncovered:
        top = ", ".join(f"{rule} {count}"
                        for rule, count in uncovered.most_common(15))
        lines.append(f"not compared (SpamAssassin hits on rules sluice does "
                     f"not compile): {sum(uncovered.values())} pairs; "
                     f"most: {top}")
    return "\n".join(lines)


def test_rule_hits_agree_with_spamassassin(compat):
    _require_sluice(compat)
    records = _sluice_records(compat)
    compared = {rule for rule in compat["compiled"]
                if rule not in compat["network"]
                and not rule.startswith("__")}
    assert compared, ("`sluice rules lint` compiled no comparable rule "
                      f"of {RULES_DIR}")
    sa_pairs = _hit_pairs(compat["sa"], compared)
    sluice_pairs = _hit_pairs(records, compared)
    both = sa_pairs & sluice_pairs
    union = sa_pairs | sluice_pairs
    agreement = len(both) / len(union) if union else 1.0
    uncovered = Counter(hit["rule"] for record in compat["sa"].values()
                        for hit in record["hits"]
                        if hit["rule"] not in compat["compiled"]
                        and hit["rule"] not in compat["network"])
    verdicts = sum(compat["sa"][name]["spam"] == record["spam"]
                   for name, record in records.items())
    report = _report(sa_pairs - sluice_pairs, sluice_pairs - sa_pairs,
                     compared, len(compat["compiled"] - compared), uncovered)
    summary = (f"agreement {agreement:.4f} ({len(both)} of {len(union)} "
               f"(message, rule) pairs; minimum {MIN_AGREEMENT}); spam "
               f"verdicts equal on {verdicts} of {len(records)} messages")
    if agreement >= MIN_AGREEMENT:
        # A failure carries the report in its message instead.
        print(summary + "\n" + report)
    assert agreement >= MIN_AGREEMENT, summary + "\n" + report
