"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the tests of mail, with a switch to refuse."""

import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class SmtpServer:
    """Accepts mail into `messages`; `refuse_next` makes it answer 451 (try later) that often."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse_next: int = 0
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            if self.refuse_next:
                self.refuse_next -= 1
                self.refused += 1
                return "451 Requested action aborted: try again later"
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class _Controller(Controller):
    """Bound to port 0 (the kernel picks a free one, no bind-close-reuse race); the port is
    read back before aiosmtpd's own start-up check connects to it."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def start_smtp() -> tuple[SmtpServer, Controller]:
    handler = SmtpServer()
    controller = _Controller(handler, hostname="127.0.0.1", port=0)
    controller.start()
    return handler, controller
