#!/usr/bin/python3
# bench/ferry-load.py - many Ferry connections at once, for bench/run.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Speaks the frames of docs/PROTOCOL.md (HELLO, SUBSCRIBE, UPLOAD, DATA, END) with
# Python's asyncio and ssl, and GLib's GVariant (PyGObject) for the payloads, so that the
# bench can open thousands of connections without thousands of processes.
#
#   idle     COUNT subscribers: HELLO + SUBSCRIBE, wait for SYNCED, hold; then print the
#            server's VmHWM/VmRSS (--rss-pid) and close them all.
#   events   COUNT subscribers, then --events small uploads on a separate connection;
#            prints the delay from each upload's END to each subscriber's live OFFER.
#   uploads  COUNT concurrent uploads of --size random bytes each; prints the server's VmHWM.
#
# The protocol version is probed: 2 first, then 1 if the server answers ERROR(VERSION).
# Every wait is bounded by --timeout. Exit status 0 on success, 1 on any failure.

import argparse
import asyncio
import hashlib
import multiprocessing
import os
import random
import ssl
import struct
import sys
import time

from gi.repository import GLib

MAGIC = b"FERY"
HELLO, WELCOME, SUBSCRIBE, OFFER, SYNCED = 1, 2, 3, 4, 5
UPLOAD, ACCEPT, DATA, END, ERROR, PING, PONG = 7, 8, 9, 10, 13, 14, 15
FLAG_SNAPSHOT = 0x0001
ERROR_VERSION = 2
ERROR_BUSY = 9
RETRIES = [0]   # connections retried after BUSY or a drop (per process)
CHUNK = 262144


class ProtocolError(Exception):
    pass


def variant(fmt, value):
    return GLib.Variant(fmt, value).get_data_as_bytes().get_data()


def unpack(fmt, payload):
    v = GLib.Variant.new_from_bytes(GLib.VariantType.new(fmt), GLib.Bytes.new(payload), False)
    if not v.is_normal_form():
        raise ProtocolError(f"payload is not a normal-form {fmt}")
    return v.unpack()


def frame(mtype, payload):
    return MAGIC + struct.pack(">BBHI", 1, mtype, 0, len(payload)) + payload


class Conn:
    """One connection: TLS or plain, with frame read/write."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, args, source=None):
        ctx = None
        if not args.no_tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE   # the bench does not pin; it measures the server
        local = (source, 0) if source else None
        r, w = await asyncio.open_connection("127.0.0.1", args.port, ssl=ctx, local_addr=local)
        return cls(r, w)

    def send(self, mtype, payload):
        self.writer.write(frame(mtype, payload))

    async def read(self):
        head = await self.reader.readexactly(12)
        if head[:4] != MAGIC:
            raise ProtocolError("bad magic")
        _, mtype, flags, length = struct.unpack(">BBHI", head[4:])
        if length > (1 << 21):
            raise ProtocolError(f"frame of {length} bytes")
        return mtype, flags, await self.reader.readexactly(length)

    async def read_control(self):
        """Next frame that is not PING (PINGs are answered)."""
        while True:
            mtype, flags, payload = await self.read()
            if mtype == PING:
                self.send(PONG, payload)
                continue
            if mtype == ERROR:
                code, msg = unpack("(us)", payload)
                raise ProtocolError(f"ERROR({code}): {msg}")
            return mtype, flags, payload

    async def hello(self, version, user):
        self.send(HELLO, variant("(ussaya{sv})", (version, "ferry-bench", user, os.urandom(32), {})))
        mtype, _, payload = await self.read()
        if mtype == ERROR:
            code, msg = unpack("(us)", payload)
            return code, msg
        if mtype != WELCOME:
            raise ProtocolError(f"frame {mtype} instead of WELCOME")
        return 0, ""

    def close(self):
        self.writer.close()


async def probe_version(args):
    for version in (2, 1):
        c = await Conn.open(args)
        code, msg = await c.hello(version, "probe")
        c.close()
        if code == 0:
            return version
        if code != ERROR_VERSION:
            raise ProtocolError(f"HELLO refused: ERROR({code}) {msg}")
    raise ProtocolError("server speaks neither protocol version 2 nor 1")


def offer_name(version, payload):
    fmt = "(sstaysxxba{sv})" if version >= 2 else "(sstaysxxb)"
    return unpack(fmt, payload)[1]


async def connect_hello(args, user, source=None):
    """Connection + HELLO, retried like PROTOCOL.md §5 "Busy and retry": ERROR(BUSY), or a
    connection dropped before WELCOME, waits 0.25 s doubling to 4 s (jittered), 60 s in all."""
    delay, deadline = 0.25, time.monotonic() + 60
    while True:
        c = None
        try:
            c = await Conn.open(args, source)
            code, msg = await c.hello(args.version, user)
            if code == 0:
                return c
            if code != ERROR_BUSY:
                raise ProtocolError(f"HELLO refused: ERROR({code}) {msg}")
            why = f"ERROR(BUSY) {msg}"
        except (ConnectionResetError, asyncio.IncompleteReadError, ssl.SSLError) as e:
            why = repr(e)
        if c:
            c.close()
        if time.monotonic() > deadline:
            raise ProtocolError(f"still refused after 60 s: {why}")
        RETRIES[0] += 1
        await asyncio.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 2, 4)


async def subscriber(args, index, ready, live):
    """HELLO + SUBSCRIBE; signal @ready at SYNCED; record live OFFERs in @live."""
    c = await connect_hello(args, f"sub{index}", f"127.0.0.{2 + index % args.addrs}")
    c.send(SUBSCRIBE, variant("()", ()))
    while True:
        mtype, flags, payload = await c.read_control()
        if mtype == SYNCED:
            break
    ready.set()
    try:
        while True:
            mtype, flags, payload = await c.read_control()
            if mtype == OFFER and not flags & FLAG_SNAPSHOT:
                live.append((offer_name(args.version, payload), time.monotonic()))
    finally:
        c.close()


async def worker_main(args, first, count, conn):
    """Holds @count subscribers; tells the parent when all are synced, then when told to stop
    (or after --timeout) sends back the live OFFERs they saw."""
    live = []
    events = [asyncio.Event() for _ in range(count)]
    tasks = []
    for i in range(count):
        tasks.append(asyncio.create_task(subscriber(args, first + i, events[i], live)))
        if i % 50 == 49:
            await asyncio.sleep(0)   # let handshakes progress; no burst of 1000 SYNs at once
    loop = asyncio.get_running_loop()
    waiter = asyncio.gather(*(e.wait() for e in events))
    done, _ = await asyncio.wait([waiter, *tasks], timeout=args.timeout,
                                 return_when=asyncio.FIRST_COMPLETED)
    if waiter not in done:
        failed = [t for t in tasks if t.done()]
        why = repr(failed[0].exception()) if failed else "timeout"
        conn.send(("fail", f"{sum(e.is_set() for e in events)}/{count} synced: {why}"))
        return
    conn.send(("ready", count))
    # Wait for "stop" from the parent without blocking the loop.
    await loop.run_in_executor(None, conn.poll, args.timeout)
    broken = [t for t in tasks if t.done()]
    for t in tasks:
        t.cancel()
    conn.send(("done", live, len(broken), RETRIES[0]))


def worker(args, first, count, conn):
    try:
        asyncio.run(worker_main(args, first, count, conn))
    except Exception as e:  # report, never hang the parent
        conn.send(("fail", repr(e)))


def start_workers(args):
    n = max(1, min(args.workers, args.count))
    pipes, procs = [], []
    per = (args.count + n - 1) // n
    first = 0
    for _ in range(n):
        count = min(per, args.count - first)
        if count <= 0:
            break
        parent, child = multiprocessing.Pipe()
        p = multiprocessing.Process(target=worker, args=(args, first, count, child), daemon=True)
        p.start()
        pipes.append(parent)
        procs.append(p)
        first += count
    deadline = time.monotonic() + args.timeout
    for pipe in pipes:
        if not pipe.poll(max(0.1, deadline - time.monotonic())):
            raise ProtocolError("subscribers did not sync in time")
        msg = pipe.recv()
        if msg[0] != "ready":
            raise ProtocolError(f"subscribers: {msg[1]}")
    return pipes, procs


def stop_workers(pipes, procs, timeout):
    results, broken, retries = [], 0, 0
    for pipe in pipes:
        pipe.send("stop")
    for pipe in pipes:
        if pipe.poll(timeout):
            msg = pipe.recv()
            if msg[0] == "done":
                results.extend(msg[1])
                broken += msg[2]
                retries += msg[3]
    for p in procs:
        p.join(5)
        if p.is_alive():
            p.kill()
    return results, broken, retries


def memory(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0])
    return out


async def upload(args, name, data):
    """One upload on its own connection; returns (seconds END→OFFER, seconds total)."""
    t0 = time.monotonic()
    c = await connect_hello(args, "uploader")
    try:
        c.send(UPLOAD, variant("(stsa{sv})", (name, len(data), "", {})))
        mtype, _, payload = await c.read_control()
        if mtype != ACCEPT:
            raise ProtocolError(f"frame {mtype} instead of ACCEPT")
        _, offset = unpack("(st)", payload)
        view = memoryview(data)
        for o in range(offset, len(data), CHUNK):
            c.send(DATA, struct.pack(">Q", o) + view[o:o + CHUNK])
            await c.writer.drain()
        c.send(END, variant("(ay)", (hashlib.sha256(data).digest(),)))
        t_end = time.monotonic()
        await c.writer.drain()
        mtype, _, payload = await c.read_control()
        if mtype != OFFER or offer_name(args.version, payload) != name:
            raise ProtocolError(f"frame {mtype} instead of OFFER")
        return t_end, time.monotonic() - t_end, time.monotonic() - t0
    finally:
        c.close()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(p / 100 * len(values) + 0.5)) - 1))]


def run_idle(args):
    pipes, procs = start_workers(args)
    time.sleep(args.hold)
    mem = memory(args.rss_pid) if args.rss_pid else {}
    _, broken, retries = stop_workers(pipes, procs, 10)
    print(f"idle subscribers={args.count} version={args.version} addrs={args.addrs} "
          f"broken={broken} retried={retries} server_hwm_kb={mem.get('VmHWM', '')} server_rss_kb={mem.get('VmRSS', '')}")
    return 1 if broken else 0


def run_events(args):
    pipes, procs = start_workers(args)
    ends = {}
    commits = []
    for e in range(args.events):
        name = f"bench-event-{os.getpid()}-{e}.txt"
        t_end, commit, _ = asyncio.run(upload(args, name, os.urandom(1000)))
        ends[name] = t_end
        commits.append(commit)
        time.sleep(0.3)  # let the broadcast finish before the next one
    results, broken, retries = stop_workers(pipes, procs, 30)
    delays = [(t - ends[n]) * 1000 for n, t in results if n in ends]
    expected = args.count * args.events
    print(f"events subscribers={args.count} events={args.events} version={args.version} "
          f"received={len(delays)}/{expected} broken={broken} retried={retries} "
          f"commit_ms_median={sorted(commits)[len(commits) // 2] * 1000:.1f} "
          + (f"p50_ms={percentile(delays, 50):.1f} p99_ms={percentile(delays, 99):.1f} "
             f"max_ms={max(delays):.1f}" if delays else "p99_ms="))
    return 0 if len(delays) == expected and not broken else 1


async def run_uploads_async(args):
    blobs = [os.urandom(args.size) for _ in range(args.count)]
    coros = [upload(args, f"bench-concurrent-{i}.bin", b) for i, b in enumerate(blobs)]
    return await asyncio.wait_for(asyncio.gather(*coros, return_exceptions=True), args.timeout)


def run_uploads(args):
    t0 = time.monotonic()
    results = asyncio.run(run_uploads_async(args))
    wall = time.monotonic() - t0
    errors = [r for r in results if isinstance(r, BaseException)]
    mem = memory(args.rss_pid) if args.rss_pid else {}
    print(f"uploads count={args.count} size={args.size} version={args.version} "
          f"ok={len(results) - len(errors)} failed={len(errors)} retried={RETRIES[0]} seconds={wall:.2f} "
          f"server_hwm_kb={mem.get('VmHWM', '')}")
    for e in errors[:3]:
        print(f"  failure: {e!r}", file=sys.stderr)
    return 1 if errors else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("mode", choices=("idle", "events", "uploads"))
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--no-tls", action="store_true")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--addrs", type=int, default=1, help="source addresses 127.0.0.2…")
    ap.add_argument("--workers", type=int, default=4, help="processes holding subscribers")
    ap.add_argument("--hold", type=float, default=2.0, help="idle: seconds to hold before reading RSS")
    ap.add_argument("--events", type=int, default=5)
    ap.add_argument("--size", type=int, default=4 << 20)
    ap.add_argument("--rss-pid", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    if not 1 <= args.count <= 20000 or not 1 <= args.addrs <= 250:
        ap.error("--count must be 1..20000 and --addrs 1..250")
    try:
        args.version = asyncio.run(asyncio.wait_for(probe_version(args), 15))
        return {"idle": run_idle, "events": run_events, "uploads": run_uploads}[args.mode](args)
    except (ProtocolError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
        print(f"ferry-load: {args.mode} failed: {e!r}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
