#!/usr/bin/env python3
"""A loopback TCP proxy that puts distance between a client and a server, for scripts/bench.

    delay-proxy.py LISTEN_PORT TARGET_HOST:TARGET_PORT --one-way-ms D [--mbit R]
                   [--max-seconds S] [--ready-file F]

Every chunk that arrives in either direction is held D milliseconds before it is passed on (a
queue per direction and connection, in order), so a round trip costs 2·D, as it does between a
person and an S3 Region; TLS passes through untouched. With --mbit, each direction is also a link
of R megabits per second shared by every connection (a chunk waits for the link, then for the
distance). The kernel here has no netem (`tc qdisc … netem` is refused), hence user space.

Bounded and self-stopping: at most 4096 connections at once, and it exits after --max-seconds
(3600) or as soon as the process that started it is gone.
"""

import argparse
import asyncio
import os
import sys
import time

CHUNK = 256 * 1024
MAX_CONNECTIONS = 4096


class Link:
    """One direction of the link: when it is next free to carry a byte."""

    def __init__(self, mbit):
        self.bytes_per_s = mbit * 1_000_000 / 8 if mbit else None
        self.free_at = 0.0

    def departs(self, now, size):
        """When a chunk of `size` bytes arriving at `now` has been sent through the link."""
        if self.bytes_per_s is None:
            return now
        start = max(now, self.free_at)
        self.free_at = start + size / self.bytes_per_s
        return self.free_at


async def pump(reader, writer, delay, link):
    """Carries reader → writer, every chunk delayed; an end of stream is passed on delayed too."""
    queue = asyncio.Queue()

    async def read():
        try:
            while True:
                data = await reader.read(CHUNK)
                now = time.monotonic()
                if not data:
                    await queue.put((now + delay, None))
                    return
                await queue.put((link.departs(now, len(data)) + delay, data))
        except (ConnectionError, OSError):
            await queue.put((time.monotonic(), None))

    async def write():
        while True:
            at, data = await queue.get()
            wait = at - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    reading = asyncio.ensure_future(read())
    try:
        await write()
    except (ConnectionError, OSError):
        pass
    finally:
        reading.cancel()


async def serve(args):
    host, port = args.target.rsplit(":", 1)
    delay = args.one_way_ms / 1000
    up, down = Link(args.mbit), Link(args.mbit)
    open_now = 0

    async def handle(client_reader, client_writer):
        nonlocal open_now
        if open_now >= MAX_CONNECTIONS:
            client_writer.close()
            return
        open_now += 1
        try:
            server_reader, server_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            open_now -= 1
            client_writer.close()
            return
        try:
            await asyncio.gather(
                pump(client_reader, server_writer, delay, up),
                pump(server_reader, client_writer, delay, down),
            )
        finally:
            open_now -= 1
            for w in (client_writer, server_writer):
                try:
                    w.close()
                except OSError:
                    pass

    server = await asyncio.start_server(handle, "127.0.0.1", args.listen_port, backlog=1024)
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("ready\n")
    parent = os.getppid()
    deadline = time.monotonic() + args.max_seconds
    async with server:
        while time.monotonic() < deadline and os.getppid() == parent:
            await asyncio.sleep(0.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("listen_port", type=int)
    parser.add_argument("target", help="HOST:PORT of the server")
    parser.add_argument("--one-way-ms", type=float, required=True)
    parser.add_argument("--mbit", type=float, default=None)
    parser.add_argument("--max-seconds", type=float, default=3600)
    parser.add_argument("--ready-file")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
