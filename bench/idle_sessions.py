#!/usr/bin/env python3
"""idle_sessions.py: hold many idle SMTP sessions open and time new ones.

Opens COUNT connections to HOST:PORT (each reads the banner and sends
EHLO, then stays idle), then, while they are all open, opens PROBES new
sessions one after another and times each from connect to the 250 reply
to EHLO. Prints one JSON object: {"open": N, "failed": N, "probe_ms":
[...]}; after printing it waits for a line on stdin before closing, so
the caller can read the server's memory with every session open.

Raises its own file limit to what COUNT needs (the hard limit, as root
raised further), since 10,000 sockets exceed the usual soft limit.
"""
import argparse
import asyncio
import json
import resource
import sys
import time


def raise_file_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = need + 256
    if hard != resource.RLIM_INFINITY and hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return
        except (ValueError, OSError):
            want = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))


async def read_reply(reader):
    """Reads one SMTP reply (all its lines); returns the code."""
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("connection closed")
        if len(line) < 4 or line[3:4] != b"-":
            return int(line[:3])


async def open_session(host, port, name):
    reader, writer = await asyncio.open_connection(host, port)
    if await read_reply(reader) != 220:
        raise ConnectionError("no 220 banner")
    writer.write(b"EHLO " + name.encode() + b"\r\n")
    await writer.drain()
    if await read_reply(reader) != 250:
        raise ConnectionError("EHLO refused")
    return reader, writer


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    raise_file_limit(args.count + args.probes)

    sessions, failed = [], 0
    for start in range(0, args.count, args.batch):
        batch = [open_session(args.host, args.port, f"idle{n}.test")
                 for n in range(start, min(start + args.batch, args.count))]
        for result in await asyncio.gather(*batch, return_exceptions=True):
            if isinstance(result, BaseException):
                failed += 1
            else:
                sessions.append(result)

    probes = []
    for n in range(args.probes):
        began = time.perf_counter()
        try:
            reader, writer = await open_session(args.host, args.port,
                                                f"probe{n}.test")
        except (OSError, ConnectionError):
            failed += 1
            continue
        probes.append((time.perf_counter() - began) * 1000)
        writer.write(b"QUIT\r\n")
        writer.close()

    print(json.dumps({"open": len(sessions), "failed": failed,
                      "probe_ms": probes}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for _, writer in sessions:
        writer.close()


if __name__ == "__main__":
    asyncio.run(main())
