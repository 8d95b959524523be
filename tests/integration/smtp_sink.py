"""A real SMTP server on loopback (aiosmtpd) that records what it accepts, for tests and the bench."""

from __future__ import annotations

import email
import socket
import ssl
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

__all__ = ["Recorder", "SmtpSink", "free_port"]


def free_port() -> int:
    """A loopback TCP port nobody listens on (at the moment of asking)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Recorder:
    """aiosmtpd handler: keeps every accepted message; refuses addresses starting with 'bounce'."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.authenticated: list[bool] = []  # per message: did the client log in first

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if address.startswith("bounce"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.authenticated.append(bool(session.authenticated))
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


class SmtpSink:
    """Start/stop an aiosmtpd server on a free loopback port."""

    def __init__(self, credentials: tuple[str, str] | None = None, *, security: str = "none",
                 tls_context: ssl.SSLContext | None = None) -> None:
        self.recorder = Recorder()
        self.port = free_port()
        self.credentials = credentials  # (user, password) the server demands, over plain text for tests
        # As [mail] security: "starttls" demands STARTTLS before MAIL, "ssl" speaks TLS from the first byte;
        # both with `tls_context` (a server context holding the certificate).
        if (security != "none") != (tls_context is not None):
            raise ValueError("security 'starttls' or 'ssl' needs a tls_context, and 'none' none")
        self.security, self.tls_context = security, tls_context
        self._controller: Controller | None = None

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = self.credentials is not None and (data.login.decode(), data.password.decode()) == self.credentials
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself

    def start(self) -> SmtpSink:
        """Listen (again) on the sink's port; a stopped server can be started again."""
        if self._controller is None:
            auth: dict[str, Any] = {}
            if self.credentials:
                auth = {"authenticator": self._authenticate, "auth_require_tls": False}
            tls: dict[str, Any] = {}
            if self.security == "starttls":
                tls = {"tls_context": self.tls_context, "require_starttls": True}
            elif self.security == "ssl":
                tls = {"ssl_context": self.tls_context}
            self._controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **auth, **tls)
            self._controller.start()
        return self

    def stop(self) -> None:
        """Close the port: clients get "connection refused" until `start`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[Message]:
        return self.recorder.messages

    def to(self, address: str) -> list[Message]:
        """Messages whose envelope went to `address`."""
        return [m for m, (_, rcpts) in zip(self.messages, self.recorder.envelopes, strict=True) if address in rcpts]
