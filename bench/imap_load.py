#!/usr/bin/env python3
"""imap_load.py: IMAP load for bench/imap_throughput.sh.

Two subcommands:

  populate --root DIR --domain D --users N --sample FILE --messages M
      writes the first M messages named in FILE (one path a line, from
      tests/compat/corpus.py) into DIR/D/benchK/Maildir/new/ for K = 1..N,
      mbox "From " line dropped, LF line ends (the Maildir convention),
      names "TIME.MnP0Q0.bench,S=SIZE". Both servers get the same files.

  load --port P --domain D --users N --sample FILE --messages M
       --duration S [--processes K] [--server-pid PID] [--seed S]
       [--ready-file PATH]
      opens one session per user (benchK@D, password "bench-password-K"),
      logs in and SELECTs INBOX once (not timed), then every session
      loops until the deadline, one command at a time (no pipelining):
        SELECT INBOX
        FETCH a range of 10 (BODY.PEEK[HEADER])
        FETCH 3 messages (BODY.PEEK[])
        STORE the same 3 +FLAGS (\\Seen \\Flagged)
        APPEND a message (the sample after the first M, CRLF line ends)
        UID STORE its APPENDUID +FLAGS.SILENT (\\Deleted)
        EXPUNGE
      Each command is one operation. A tagged NO or BAD, an untagged NO,
      BAD or BYE, a dropped connection, or an answer that lacks what was
      asked for (a FETCH without the literals, an APPEND without
      APPENDUID, an EXPUNGE that removed other than one message) is a
      protocol error. Prints one JSON object: ops, errors (and the first
      few), elapsed seconds, the client's CPU seconds in the timed part,
      and with --server-pid the CPU seconds of that process and all its
      descendants over the same time (utime + stime + cutime + cstime
      from /proc, so processes that exit meanwhile still count).
      --ready-file is created when the timed part starts (for a
      profiler to attach then).

DESIGN: asyncio, one coroutine per session, sessions split over
--processes forked clients that start together at a barrier, so the
client can be widened when one Python process would be the bottleneck.
Each session draws its message numbers from random.Random(seed + K), so
both servers see the same command sequence.
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import resource
import sys
import time

LITERAL = re.compile(rb"\{(\d+)\}\r\n$")
APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.I)
EXISTS = re.compile(rb"^\* (\d+) EXISTS", re.I)
HEADER_WINDOW = 10
BODIES = 3
MAX_ERROR_SAMPLES = 5


def user_name(number, domain):
    return f"bench{number}@{domain}"


def user_password(number):
    return f"bench-password-{number}"


def read_sample(path):
    with open(path) as stream:
        return [line.strip() for line in stream if line.strip()]


def message_bytes(path):
    """The message at path without a leading mbox From_ line, LF ends."""
    with open(path, "rb") as stream:
        data = stream.read()
    if data.startswith(b"From "):
        data = data.split(b"\n", 1)[1] if b"\n" in data else b""
    return data.replace(b"\r\n", b"\n")


def populate(args):
    paths = read_sample(args.sample)[:args.messages]
    if len(paths) < args.messages:
        sys.exit(f"sample has {len(paths)} messages, need {args.messages}")
    messages = [message_bytes(path) for path in paths]
    stamp = 1764000000
    for number in range(1, args.users + 1):
        maildir = os.path.join(args.root, args.domain, f"bench{number}",
                               "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(maildir, sub), exist_ok=True)
        for index, data in enumerate(messages):
            name = (f"{stamp + index}.M{index}P0Q0.bench,S={len(data)}")
            with open(os.path.join(maildir, "new", name), "wb") as out:
                out.write(data)


class ProtocolError(Exception):
    pass


class Session:
    """One IMAP connection, one command at a time."""

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.tag = 0

    async def read_response_line(self):
        """One response line with its literals joined in; literals are
        returned separately too."""
        parts, literals = [], []
        while True:
            line = await self.reader.readline()
            if not line:
                raise ProtocolError("connection closed")
            parts.append(line)
            match = LITERAL.search(line)
            if not match:
                return b"".join(parts), literals
            data = await self.reader.readexactly(int(match.group(1)))
            literals.append(data)
            parts.append(data)

    async def command(self, text, literal=None):
        """Sends one command; returns (untagged lines, literals, tagged
        line). Raises ProtocolError on anything but a tagged OK."""
        self.tag += 1
        tag = b"a%d" % self.tag
        line = tag + b" " + text
        if literal is not None:
            line += b" {%d}" % len(literal)
        self.writer.write(line + b"\r\n")
        if literal is not None:
            await self.writer.drain()
            reply, _ = await self.read_response_line()
            if not reply.startswith(b"+"):
                raise ProtocolError(f"no continuation: {reply[:80]!r}")
            self.writer.write(literal + b"\r\n")
        await self.writer.drain()
        untagged, literals = [], []
        while True:
            reply, found = await self.read_response_line()
            if reply.startswith(tag + b" "):
                status = reply[len(tag) + 1:].split(b" ", 1)[0].upper()
                if status != b"OK":
                    raise ProtocolError(f"{text[:40]!r}: {reply[:120]!r}")
                return untagged, literals, reply
            if reply.startswith(b"* "):
                word = reply[2:].split(b" ", 1)[0].upper()
                if word in (b"NO", b"BAD", b"BYE"):
                    raise ProtocolError(f"{text[:40]!r}: {reply[:120]!r}")
                untagged.append(reply)
                literals.extend(found)
            elif not reply.startswith(b"+"):
                raise ProtocolError(f"unexpected: {reply[:120]!r}")


async def open_session(host, port, user, password):
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    session = Session(reader, writer)
    greeting, _ = await session.read_response_line()
    if not greeting.upper().startswith(b"* OK"):
        raise ProtocolError(f"greeting {greeting[:80]!r}")
    await session.command(b'LOGIN "%s" "%s"' % (user.encode(),
                                                 password.encode()))
    return session


async def select(session):
    untagged, _, _ = await session.command(b"SELECT INBOX")
    for line in untagged:
        match = EXISTS.match(line)
        if match:
            return int(match.group(1))
    raise ProtocolError("SELECT without EXISTS")


class Counter:
    def __init__(self):
        self.ops = 0
        self.errors = 0
        self.samples = []
        self.by_command = {}

    def count(self, name):
        self.ops += 1
        self.by_command[name] = self.by_command.get(name, 0) + 1

    def error(self, text):
        self.errors += 1
        if len(self.samples) < MAX_ERROR_SAMPLES:
            self.samples.append(text)


async def session_loop(session, rng, appends, deadline, counter):
    """The timed loop of one session; stops at the deadline or at the
    first protocol error (the session's state is unknown after it)."""
    try:
        while time.monotonic() < deadline:
            exists = await select(session)
            counter.count("SELECT")
            if exists < HEADER_WINDOW:
                raise ProtocolError(f"INBOX has {exists} messages")
            if time.monotonic() >= deadline:
                break
            first = rng.randint(1, exists - HEADER_WINDOW + 1)
            last = first + HEADER_WINDOW - 1
            _, literals, _ = await session.command(
                b"FETCH %d:%d (BODY.PEEK[HEADER])" % (first, last))
            if len(literals) != HEADER_WINDOW:
                raise ProtocolError(f"FETCH headers gave {len(literals)}")
            counter.count("FETCH headers")
            if time.monotonic() >= deadline:
                break
            numbers = b",".join(b"%d" % n for n in
                                sorted(rng.sample(range(1, exists + 1),
                                                  BODIES)))
            _, literals, _ = await session.command(
                b"FETCH %s (BODY.PEEK[])" % numbers)
            if len(literals) != BODIES:
                raise ProtocolError(f"FETCH bodies gave {len(literals)}")
            counter.count("FETCH bodies")
            if time.monotonic() >= deadline:
                break
            await session.command(b"STORE %s +FLAGS (\\Seen \\Flagged)"
                                  % numbers)
            counter.count("STORE")
            if time.monotonic() >= deadline:
                break
            _, _, tagged = await session.command(
                b"APPEND INBOX (\\Seen)", literal=rng.choice(appends))
            match = APPENDUID.search(tagged)
            if not match:
                raise ProtocolError(f"APPEND without APPENDUID: {tagged!r}")
            counter.count("APPEND")
            if time.monotonic() >= deadline:
                break
            await session.command(b"UID STORE %s +FLAGS.SILENT (\\Deleted)"
                                  % match.group(2))
            counter.count("STORE deleted")
            if time.monotonic() >= deadline:
                break
            untagged, _, _ = await session.command(b"EXPUNGE")
            gone = sum(1 for line in untagged
                       if line.rstrip().upper().endswith(b" EXPUNGE"))
            if gone != 1:
                raise ProtocolError(f"EXPUNGE removed {gone}")
            counter.count("EXPUNGE")
    except (ProtocolError, OSError, asyncio.IncompleteReadError) as error:
        counter.error(str(error))


def tree_cpu_seconds(root):
    """CPU seconds (user + system, own and reaped children) of root and
    every descendant alive now; None when root is gone."""
    parents, times = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stream:
                fields = stream.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        times[pid] = sum(int(value) for value in fields[11:15])
    if root not in times:
        return None
    total, todo = 0, [root]
    children = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    while todo:
        pid = todo.pop()
        total += times[pid]
        todo.extend(children.get(pid, ()))
    return total / os.sysconf("SC_CLK_TCK")


async def client_main(args, numbers, appends, barrier, results):
    counter = Counter()
    sessions = []
    try:
        for number in numbers:
            session = await open_session(args.host, args.port,
                                         user_name(number, args.domain),
                                         user_password(number))
            # The first SELECT takes in the Maildir: not timed.
            await select(session)
            sessions.append((number, session))
    except (ProtocolError, OSError, asyncio.IncompleteReadError) as error:
        counter.error(f"setup: {error}")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, barrier.wait)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    began = time.monotonic()
    deadline = began + args.duration
    if counter.errors == 0:
        await asyncio.gather(*(session_loop(session,
                                            random.Random(args.seed + number),
                                            appends, deadline, counter)
                               for number, session in sessions))
    elapsed = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - usage.ru_utime + after.ru_stime
           - usage.ru_stime)
    await loop.run_in_executor(None, barrier.wait)
    for _, session in sessions:
        try:
            await session.command(b"LOGOUT")
        except (ProtocolError, OSError, asyncio.IncompleteReadError):
            pass
        session.writer.close()
    results.put({"ops": counter.ops, "errors": counter.errors,
                 "samples": counter.samples, "elapsed": elapsed,
                 "client_cpu": cpu, "by_command": counter.by_command})


def client_process(args, numbers, appends, barrier, results):
    asyncio.run(client_main(args, numbers, appends, barrier, results))


def load(args):
    paths = read_sample(args.sample)[args.messages:]
    if not paths:
        sys.exit("the sample has no messages left for APPEND")
    appends = [message_bytes(path).replace(b"\n", b"\r\n") for path in paths]
    numbers = list(range(1, args.users + 1))
    shares = [numbers[k::args.processes] for k in range(args.processes)]
    barrier = multiprocessing.Barrier(args.processes + 1)
    results = multiprocessing.Queue()
    clients = [multiprocessing.Process(target=client_process,
                                       args=(args, share, appends, barrier,
                                             results))
               for share in shares]
    for client in clients:
        client.start()
    # Long enough for every session to log in and take in its INBOX.
    barrier.wait(timeout=600)
    server_before = (tree_cpu_seconds(args.server_pid)
                     if args.server_pid else None)
    if args.ready_file:
        with open(args.ready_file, "w"):
            pass
    barrier.wait(timeout=args.duration + 600)
    server_after = (tree_cpu_seconds(args.server_pid)
                    if args.server_pid else None)
    parts = [results.get() for _ in clients]
    for client in clients:
        client.join()
    report = {"ops": sum(p["ops"] for p in parts),
              "errors": sum(p["errors"] for p in parts),
              "error_samples": [s for p in parts for s in p["samples"]],
              "elapsed": max(p["elapsed"] for p in parts),
              "client_cpu": sum(p["client_cpu"] for p in parts),
              "sessions": args.users, "processes": args.processes,
              "by_command": {}}
    for part in parts:
        for name, count in part["by_command"].items():
            report["by_command"][name] = (report["by_command"].get(name, 0)
                                          + count)
    if server_before is not None and server_after is not None:
        report["server_cpu"] = server_after - server_before
    print(json.dumps(report), flush=True)
    return 1 if report["errors"] else 0


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("populate", "load"):
        command = sub.add_parser(name)
        command.add_argument("--domain", default="bench.test")
        command.add_argument("--users", type=int, default=50)
        command.add_argument("--sample", required=True)
        command.add_argument("--messages", type=int, default=200)
    populate_parser = sub.choices["populate"]
    populate_parser.add_argument("--root", required=True)
    load_parser = sub.choices["load"]
    load_parser.add_argument("--host", default="127.0.0.1")
    load_parser.add_argument("--port", type=int, required=True)
    load_parser.add_argument("--duration", type=float, default=20)
    load_parser.add_argument("--processes", type=int, default=1)
    load_parser.add_argument("--server-pid", type=int)
    load_parser.add_argument("--seed", type=int, default=20030228)
    load_parser.add_argument("--ready-file",
                             help="created when the timed part starts")
    args = parser.parse_args()
    if args.command == "populate":
        populate(args)
        return 0
    return load(args)


if __name__ == "__main__":
    sys.exit(main())
