#!/usr/bin/python3
# sa_hits.py: runs SpamAssassin offline over message files and reports, per
# message, its score and the rules that hit, as JSON; results are cached.
#
# DESIGN: SpamAssassin needs about a second to load its rules, and the
# `spamassassin` script pays that per call (~1.4 s a message here), so
# this harness runs sa_scan.pl, one Mail::SpamAssassin process per CPU,
# each checking its share of the files with the rules loaded once (about
# 0.1 s a message). The configuration is built in a private temporary
# directory and passed as the site rules directory:
#   - every *.pre of Debian's /etc/spamassassin (the stock plugin set, so
#     the same `ifplugin` rules exist as on a Debian install), except
#     sa-compile.pre: Rule2XSBody would run body rules compiled by
#     sa-compile from whatever rules existed then, not from --rules DIR;
#   - a local.cf with the offline settings below (read after the rules
#     directory, so it wins). Site *.cf files of /etc/spamassassin are
#     not read: the rules are exactly the *.cf files of DIR.
# Together with local_tests_only (`spamassassin -L`), no DNS query, no
# Razor/Pyzor/DCC, no Bayes and no auto-welcomelist/TxRep run, and no
# state is written outside the temporary directory. Checked against
# `spamassassin -L -t -x -C DIR --siteconfigpath SITE` (same tests= list).
#
# Results are cached as JSON in $SLUICE_COMPAT_CACHE (default
# $TMPDIR/sluice-compat-cache), keyed by the SpamAssassin version, the
# rules directory and the newest mtime in it, the site configuration text,
# the message names and either the caller's identity of the sample
# (corpus checksum, seed, count) or a digest of the message contents.
# Message names are relative to a base directory, so one cache entry
# serves every temporary extraction of the corpus.
#
# Usage:
#   sa_hits.py [--rules DIR] [--jobs N] [--no-cache] [--timing]
#       [--base DIR] FILE...
#   sa_hits.py [--rules DIR] ... --seed S --count N [--corpus TARBALL]
#       [--dest DIR]
# The first form scans the files (named relative to --base, default the
# current directory); the second extracts the corpus (into --dest, else a
# temporary directory) and scans its seeded sample (see corpus.py). Prints
# {"spamassassin": VERSION, "rules_dir": DIR, "cache": "hit"|"miss"|"off",
#  "messages": [{"file": NAME, "score": 7.1, "required": 5.0,
#                "spam": true, "hits": [{"rule": R, "score": 1.5}, ...]}]}
# --timing adds "timing": [{"startup": s, "scan": s, "messages": n}, ...]
# (one entry per worker) to the output. Exit 0, or 1 when SpamAssassin
# failed on any message.

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402

RULES_DIR = "/usr/share/spamassassin"
SITE_PRE_DIR = Path("/etc/spamassassin")
EXCLUDED_PRE = ("sa-compile.pre",)
SCAN_SCRIPT = Path(__file__).resolve().with_name("sa_scan.pl")
PERL = "/usr/bin/perl"
# Seconds one worker may take for its whole share.
WORKER_TIMEOUT = float(os.environ.get("SLUICE_SA_TIMEOUT", "600"))
CACHE_FORMAT = 1

# Offline and stateless: no Bayes (nor learning), no auto-welcomelist or
# TxRep, no DNS, and the network checks' own switches off as well. A
# plugin's switch is guarded by `ifplugin`: unknown settings are errors.
PLUGIN_SWITCHES = {
    "AWL": "use_auto_welcomelist 0",
    "TxRep": "use_txrep 0",
    "Razor2": "use_razor2 0",
    "Pyzor": "use_pyzor 0",
    "DCC": "use_dcc 0",
}
OFFLINE_CF = """\
# Written by tests/compat/sa_hits.py: offline, stateless SpamAssassin.
use_bayes 0
bayes_auto_learn 0
use_learner 0
dns_available no
skip_rbl_checks 1
""" + "".join(f"ifplugin Mail::SpamAssassin::Plugin::{plugin}\n{switch}\n"
              "endif\n" for plugin, switch in PLUGIN_SWITCHES.items())


def default_cache_dir():
    return Path(os.environ.get("SLUICE_COMPAT_CACHE")
                or Path(tempfile.gettempdir()) / "sluice-compat-cache")


def available_cpus():
    return len(os.sched_getaffinity(0))


def sa_version():
    """SpamAssassin's version string, e.g. "4.0.1"."""
    return subprocess.run(
        [PERL, "-MMail::SpamAssassin", "-e",
         "print Mail::SpamAssassin::Version()"],
        check=True, capture_output=True, text=True).stdout.strip()


def rules_mtime(rules_dir):
    """Newest mtime (ns) of the rules directory and the files in it."""
    newest = os.stat(rules_dir).st_mtime_ns
    with os.scandir(rules_dir) as entries:
        for entry in entries:
            newest = max(newest, entry.stat().st_mtime_ns)
    return newest


def site_config(compiled=False):
    """The site directory's files as {name: text}.

    compiled=True keeps sa-compile.pre (Rule2XSBody), for benchmarks that
    want SpamAssassin as fast as a Debian install runs it.
    """
    files = {}
    for pre in sorted(SITE_PRE_DIR.glob("*.pre")):
        if pre.name in EXCLUDED_PRE and not compiled:
            continue
        files[pre.name] = pre.read_text(encoding="latin-1")
    files["local.cf"] = OFFLINE_CF
    return files


def _write_site(dest, files):
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (dest / name).write_text(text, encoding="latin-1")


def _parse_timing(stderr_text):
    for line in stderr_text.splitlines():
        if line.startswith("sa_scan: startup "):
            fields = line.split()
            return {"startup": float(fields[2]), "scan": float(fields[4]),
                    "messages": int(fields[6])}
    return None


def scan(paths, rules_dir=RULES_DIR, jobs=None, compiled=False):
    """Checks every file with SpamAssassin; returns (results, timings).

    results maps each path (as given) to {"score", "required", "spam",
    "hits": [{"rule", "score"}]}; timings has one {"startup", "scan",
    "messages"} per worker. Files are dealt round-robin to `jobs` workers
    (default: the CPUs this process may use). Raises RuntimeError, with
    the worker's stderr, when a worker fails or a message has no result.
    """
    paths = [str(p) for p in paths]
    if not paths:
        return {}, []
    jobs = max(1, min(jobs or available_cpus(), len(paths)))
    work = Path(tempfile.mkdtemp(prefix="sluice-sa-"))
    try:
        site = work / "site"
        _write_site(site, site_config(compiled))
        workers = []
        for index in range(jobs):
            state = work / f"state{index}"
            state.mkdir()
            listing = work / f"list{index}"
            listing.write_text("".join(p + "\n"
                                       for p in paths[index::jobs]))
            out = work / f"out{index}"
            err = work / f"err{index}"
            with open(listing) as stdin, open(out, "w") as stdout, \
                    open(err, "w") as stderr:
                process = subprocess.Popen(
                    [PERL, str(SCAN_SCRIPT), "--rules", str(rules_dir),
                     "--site", str(site), "--state", str(state), "--timing"],
                    stdin=stdin, stdout=stdout, stderr=stderr,
                    env={**os.environ, "HOME": str(state), "LC_ALL": "C"})
            workers.append((process, out, err))
        results, timings, problems = {}, [], []
        for process, out, err in workers:
            try:
                status = process.wait(timeout=WORKER_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                status = "timeout"
            stderr_text = err.read_text(errors="replace")
            for line in out.read_text(errors="replace").splitlines():
                record = json.loads(line)
                if "error" in record:
                    problems.append(f"{record['file']}: {record['error']}")
                    continue
                results[record.pop("file")] = record
            timing = _parse_timing(stderr_text)
            if timing:
                timings.append(timing)
            if status != 0:
                problems.append(f"sa_scan.pl exited {status}; stderr "
                                f"tail:\n{stderr_text[-2000:]}")
        missing = [p for p in paths if p not in results]
        if missing:
            problems.append(f"no result for {len(missing)} file(s), "
                            f"first {missing[0]}")
        if problems:
            raise RuntimeError("SpamAssassin failed:\n" + "\n".join(problems))
        return results, timings
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _content_digest(base, names):
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256((Path(base) / name).read_bytes())
                      .digest())
    return digest.hexdigest()


def cache_key(base, names, rules_dir, identity=None, compiled=False):
    """Hex key for a scan of `names` under base with rules_dir.

    identity, when given (e.g. {"corpus_sha256", "seed", "count"}), names
    the sample instead of a digest of the message contents.
    """
    material = {
        "format": CACHE_FORMAT,
        "spamassassin": sa_version(),
        "rules_dir": os.path.realpath(rules_dir),
        "rules_mtime": rules_mtime(rules_dir),
        "site": site_config(compiled),
        "names": hashlib.sha256("\n".join(names).encode()).hexdigest(),
        "messages": identity if identity is not None
        else _content_digest(base, names),
    }
    text = json.dumps(material, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def sa_hits(base, names, rules_dir=RULES_DIR, cache_dir=None,
            identity=None, jobs=None, use_cache=True):
    """SpamAssassin results for messages base/NAME, keyed by NAME.

    Returns (results, cache_state) with cache_state "hit", "miss" or
    "off". Same results and errors as scan().
    """
    names = list(names)
    path_of = {str(Path(base) / name): name for name in names}
    cache_file = None
    if use_cache:
        cache_dir = Path(cache_dir or default_cache_dir())
        key = cache_key(base, names, rules_dir, identity)
        cache_file = cache_dir / f"sa-{key}.json"
        try:
            cached = json.loads(cache_file.read_text())
            if sorted(cached) == sorted(names):
                return cached, "hit"
        except (OSError, ValueError):
            pass
    results, _ = scan(path_of, rules_dir, jobs)
    by_name = {path_of[path]: record for path, record in results.items()}
    if cache_file is None:
        return by_name, "off"
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_file.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(by_name, sort_keys=True))
    os.replace(partial, cache_file)
    return by_name, "miss"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Run SpamAssassin offline; print per-message hits.")
    parser.add_argument("--rules", default=RULES_DIR,
                        help="rules directory (default %(default)s)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="parallel SpamAssassin processes (default: "
                        "CPUs available)")
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--timing", action="store_true",
                        help="no cache; report per-worker scan times")
    parser.add_argument("--compiled", action="store_true",
                        help="also load sa-compile.pre (Rule2XSBody)")
    parser.add_argument("--base", default=".",
                        help="names in the output are relative to this")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--count", type=int)
    parser.add_argument("--corpus", default=str(corpus.CORPUS))
    parser.add_argument("--dest", default=None,
                        help="extract the corpus here (with --seed)")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args(argv)

    scratch = None
    identity = None
    if args.seed is not None or args.count is not None:
        if args.seed is None or args.count is None or args.files:
            parser.error("--seed and --count go together, without FILEs")
        dest = args.dest
        if dest is None:
            scratch = tempfile.mkdtemp(prefix="sluice-corpus-")
            dest = scratch
        base = corpus.extract(dest, args.corpus)
        names = corpus.sample(base, args.count, args.seed)
        identity = {"corpus_sha256": corpus.checksum(args.corpus),
                    "seed": args.seed, "count": args.count}
    elif args.files:
        base = Path(args.base)
        names = [os.path.relpath(f, base) for f in args.files]
    else:
        parser.error("give FILEs or --seed and --count")

    output = {"spamassassin": sa_version(), "rules_dir": args.rules}
    try:
        if args.timing or args.compiled:
            results, timings = scan([Path(base) / n for n in names],
                                    args.rules, args.jobs, args.compiled)
            by_name = {os.path.relpath(p, base): r
                       for p, r in results.items()}
            output["cache"] = "off"
            output["timing"] = timings
        else:
            by_name, output["cache"] = sa_hits(
                base, names, args.rules, args.cache_dir, identity,
                args.jobs, use_cache=not args.no_cache)
    except RuntimeError as error:
        print(f"sa_hits: {error}", file=sys.stderr)
        return 1
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    output["messages"] = [{"file": name, **by_name[name]} for name in names]
    json.dump(output, sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
