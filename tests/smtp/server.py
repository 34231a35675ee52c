"""A real SMTP server for microcred's tests (aiosmtpd, from Debian's python3-aiosmtpd).

Each accepted message is written whole, as received, to OUT_DIR/<n>.eml (written to a temporary name and
renamed, so a reader never sees half a file). Modes make it misbehave as real servers do:

  --temporary N   answer the first N messages with 451 (try again later), then accept
  --permanent     answer every message with 550 (mailbox unavailable)
  --delay-ms MS   wait this long before answering each message (a slow server)

Prints "ready <port>" on stdout once it listens.
"""

import argparse
import asyncio
import itertools
import os
import signal
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, out_dir, temporary, permanent, delay_ms):
        self.out_dir = out_dir
        self.temporary = temporary
        self.permanent = permanent
        self.delay = delay_ms / 1000.0
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.permanent:
            return "550 5.1.1 mailbox unavailable"
        if self.temporary > 0:
            self.temporary -= 1
            return "451 4.3.0 try again later"
        n = next(self.numbers)
        path = os.path.join(self.out_dir, f"{n:06d}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--temporary", type=int, default=0)
    parser.add_argument("--permanent", action="store_true")
    parser.add_argument("--delay-ms", type=int, default=0)
    args = parser.parse_args()
    handler = Handler(args.out_dir, args.temporary, args.permanent, args.delay_ms)
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=args.port,
        data_size_limit=64 * 1024 * 1024,
        enable_SMTPUTF8=True,
        decode_data=False,
    )
    controller.start()
    print(f"ready {controller.port}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())
