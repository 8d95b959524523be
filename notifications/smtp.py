"""The email channel: one SMTP connection per delivery run, errors sorted into retry or give up."""

from __future__ import annotations

import os
import smtplib
import ssl
from email.errors import MessageError
from email.message import Message
from types import TracebackType

from engine.config.settings import MailConfig
from notifications.wire import Outgoing

__all__ = ["PermanentError", "SmtpChannel", "TransientError"]


class TransientError(Exception):
    """The message could not be sent now; try again later."""

    def __init__(self, message: str, *, connection: bool = False) -> None:
        super().__init__(message)
        self.connection = connection  # the server is unreachable: the rest of the run would fail too


class PermanentError(Exception):
    """The server refused the message for good (5xx): retrying will not help."""


def _smtp_code_error(code: int, reply: bytes | str) -> Exception:
    # smtplib gives the server's reply as bytes, or as str when it made the reply up itself.
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    return PermanentError(f"{code} {text}") if 500 <= code < 600 else TransientError(f"{code} {text}")


def _tls_context(m: MailConfig) -> ssl.SSLContext:
    """Verifies the server's certificate and host name against [mail] ca_file, else the system's CAs."""
    return ssl.create_default_context(cafile=m.ca_file or None)


class SmtpChannel:
    """Sends messages through the [mail] server; connects on first use, reconnects once if dropped."""

    def __init__(self, mail: MailConfig, timeout: float = 30.0) -> None:
        self.mail = mail
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpChannel:
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        m = self.mail
        smtp: smtplib.SMTP | None = None
        try:
            if m.security == "ssl":
                smtp = smtplib.SMTP_SSL(m.host, m.port, timeout=self.timeout, context=_tls_context(m))
            else:
                smtp = smtplib.SMTP(m.host, m.port, timeout=self.timeout)
                if m.security == "starttls":
                    smtp.starttls(context=_tls_context(m))
            if m.user:
                smtp.login(m.user, os.environ.get(m.password_env, ""))
        except (OSError, smtplib.SMTPException) as exc:
            if smtp is not None:  # connected, but TLS or the log-in failed: do not leak the socket
                smtp.close()
            if isinstance(exc, smtplib.SMTPAuthenticationError):
                raise TransientError(f"mail server {m.host}:{m.port} refused the log-in as {m.user!r}; check "
                                     f"[mail] user and the {m.password_env} variable: {exc}", connection=True) from None
            raise TransientError(f"cannot reach mail server {m.host}:{m.port}: {exc}", connection=True) from None
        return smtp

    def send(self, msg: Message | Outgoing) -> None:
        """Send `msg` (a message, or one already flattened with its envelope); raises TransientError or
        PermanentError when it was not accepted."""
        for attempt in (1, 2):
            if self._smtp is None:
                self._smtp = self._connect()
            try:
                self._send(self._smtp, msg)
                return
            except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError) as exc:
                self.close()
                if attempt == 2:
                    raise TransientError(f"mail server dropped the connection: {exc}", connection=True) from None

    @staticmethod
    def _send(smtp: smtplib.SMTP, msg: Message | Outgoing) -> None:
        try:
            if isinstance(msg, Outgoing):  # what send_message would do, with the flattening done already
                refused = smtp.sendmail(msg.sender, list(msg.recipients), msg.data)
            else:
                refused = smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _smtp_code_error(code, text) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise _smtp_code_error(exc.smtp_code, exc.smtp_error) from None
        except smtplib.SMTPResponseException as exc:
            raise _smtp_code_error(exc.smtp_code, exc.smtp_error) from None
        except smtplib.SMTPNotSupportedError as exc:  # e.g. a non-ASCII address and no SMTPUTF8: never will
            raise PermanentError(f"the mail server cannot take this message: {exc}") from None
        except (MessageError, ValueError) as exc:
            # Raised while the message is turned into bytes, before anything is said to the server:
            # the connection stays good for the next message, and this one will never go.
            raise PermanentError(f"the message cannot be formatted for sending: {exc}") from None
        if refused:  # only some recipients refused; we send to one, so this is rare
            code, text = next(iter(refused.values()))
            raise _smtp_code_error(code, text)

    def close(self) -> None:
        """Say QUIT if connected; never raises."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None
