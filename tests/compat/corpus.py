#!/usr/bin/python3
# corpus.py: the development corpus for compatibility tests and benchmarks:
# where it is, its checksum, extraction into a temporary directory, and the
# seeded ham/spam sample every harness draws from it.
#
# DESIGN: the corpus (/work/shared/corpus/dev-corpus.tar.xz, the
# SpamAssassin public corpus 20030228, 4150 ham + 1897 spam, one message
# per file) is never unpacked into the repository; callers pass a
# temporary directory. A sample is a pure function of (corpus, count,
# seed): the sorted file names of ham/ and spam/ are drawn with
# random.Random(seed).sample, half spam (count // 2) and the rest ham, so
# the same seed names the same messages on every machine and run. Names
# are relative to the corpus root ("ham/easy_ham-00001.7c53...") so
# results can be cached across extraction directories.
#
# Command line (used by bench/scan_throughput.sh):
#   corpus.py --dest DIR --count N --seed S
#     extracts the corpus into DIR (unless DIR/dev-corpus exists) and
#     prints the absolute paths of the sample, one per line.

import argparse
import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

CORPUS = Path(os.environ.get("SLUICE_CORPUS",
                             "/work/shared/corpus/dev-corpus.tar.xz"))
# Top directory inside the archive.
CORPUS_TOP = "dev-corpus"
CLASSES = ("ham", "spam")


def checksum(tarball=CORPUS):
    """SHA-256 (hex) of the corpus archive, for cache keys."""
    digest = hashlib.sha256()
    with open(tarball, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract(dest, tarball=CORPUS):
    """Unpacks the corpus under dest (once) and returns its root directory.

    Raises FileNotFoundError when the archive is missing and
    subprocess.CalledProcessError when tar fails.
    """
    dest = Path(dest)
    root = dest / CORPUS_TOP
    if (root / "spam").is_dir() and (root / "ham").is_dir():
        return root
    if not Path(tarball).is_file():
        raise FileNotFoundError(f"corpus archive {tarball} not found "
                                "(set SLUICE_CORPUS)")
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "xJf", str(tarball), "-C", str(dest)], check=True)
    return root


def sample(root, count, seed):
    """Returns `count` message names (relative to root), sorted.

    count // 2 come from spam/ and the rest from ham/, each drawn with one
    random.Random(seed) from the sorted listing of its class.
    """
    rng = random.Random(seed)
    wanted = {"spam": count // 2, "ham": count - count // 2}
    names = []
    for label in CLASSES:
        listing = sorted(entry.name for entry in (Path(root) / label).iterdir()
                         if entry.is_file())
        if wanted[label] > len(listing):
            raise ValueError(f"sample of {count} needs {wanted[label]} "
                             f"{label} messages, corpus has {len(listing)}")
        names.extend(f"{label}/{name}"
                     for name in rng.sample(listing, wanted[label]))
    return sorted(names)


def label_of(name):
    """'ham' or 'spam' for a sample name."""
    return name.split("/", 1)[0]


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Extract the corpus and print a seeded sample.")
    parser.add_argument("--dest", required=True,
                        help="directory to extract into (not the repo)")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--corpus", default=str(CORPUS))
    args = parser.parse_args(argv)
    root = extract(args.dest, args.corpus)
    for name in sample(root, args.count, args.seed):
        print(root.resolve() / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
