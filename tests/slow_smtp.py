"""A deliberately slow SMTP server on loopback, for the drills in tests/drills/test_fault_smtp.py:
each reply can be held back, by phase, as an overloaded relay holds them.

aiosmtpd (tests/loopback.py) answers the greeting, EHLO and the DATA command itself, with no
hook to delay them; this server is small enough to read whole. It keeps a message the moment
its final "." arrives, before the (delayed) reply, as a real relay queues it first: a client
that gives up waiting for that reply has still had its message delivered.
"""

import asyncio
import re
import threading
from collections import Counter

from tests.loopback import free_port

OUTBOX_ID = re.compile(rb"^Message-ID:\s*<outbox-(\d+)@", re.IGNORECASE | re.MULTILINE)
# The replies that can be held back, by the phase they answer.
PHASES = ("greeting", "ehlo", "mail", "rcpt", "data", "end_of_data")


class SlowSMTP:
    """`delays` maps a phase in PHASES to the seconds its reply is held back."""

    def __init__(self):
        self.port = free_port()
        self.delays: dict[str, float] = {}
        self._lock = threading.Lock()
        self._messages: list[bytes] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="slow-smtp")

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise AssertionError("the slow SMTP server did not start")

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
        self.delays = {}

    def outbox_counts(self) -> Counter:
        """How many times each outbox row arrived, by the id in its Message-ID."""
        with self._lock:
            messages = list(self._messages)
        return Counter(int(found[1]) for m in messages if (found := OUTBOX_ID.search(m)))

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._session, "127.0.0.1", self.port)
        )
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            sessions = asyncio.all_tasks(self._loop)  # the sessions still waiting to reply
            for session in sessions:
                session.cancel()
            self._loop.run_until_complete(asyncio.gather(*sessions, return_exceptions=True))
            self._loop.close()

    async def _reply(self, writer, phase: str, line: str) -> None:
        await asyncio.sleep(self.delays.get(phase, 0))
        writer.write(line.encode() + b"\r\n")
        await writer.drain()

    async def _session(self, reader, writer) -> None:
        try:
            await self._reply(writer, "greeting", "220 slow.localhost ESMTP")
            while line := await reader.readline():
                verb = line.split(b" ", 1)[0].strip().upper()
                if verb in (b"EHLO", b"HELO"):
                    await self._reply(writer, "ehlo", "250 slow.localhost")
                elif verb == b"MAIL":
                    await self._reply(writer, "mail", "250 OK")
                elif verb == b"RCPT":
                    await self._reply(writer, "rcpt", "250 OK")
                elif verb == b"DATA":
                    await self._reply(writer, "data", "354 End data with <CR><LF>.<CR><LF>")
                    body = bytearray()
                    while (line := await reader.readline()) != b".\r\n":
                        if not line:
                            return  # dropped before the end: nothing was delivered
                        body += line[1:] if line.startswith(b"..") else line
                    with self._lock:
                        self._messages.append(bytes(body))
                    await self._reply(writer, "end_of_data", "250 Message accepted")
                elif verb in (b"RSET", b"NOOP"):
                    await self._reply(writer, "rset", "250 OK")
                elif verb == b"QUIT":
                    await self._reply(writer, "quit", "221 Bye")
                    return
                else:
                    await self._reply(writer, "other", "502 Command not implemented")
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up waiting
        finally:
            writer.close()
