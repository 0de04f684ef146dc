"""A real SMTP server for the outbox's tests (aiosmtpd on 127.0.0.1, a free port), told in
advance how to answer each message: accept it, refuse it for now (451) or for good (550), or
drop the connection before answering."""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections import deque
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import Engine
from sqlmodel import select

from data.config import SmtpSettings
from data.db import writing
from data.models import OutboxEmail, utc_now

ACCEPT, LATER, REFUSE, DROP = "accept", "451", "550", "drop"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Recorder:
    """Keeps the messages it accepted; answers by `plan` (then accepts)."""

    def __init__(self) -> None:
        self.plan: deque[str] = deque()
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        action = self.plan.popleft() if self.plan else ACCEPT
        if action == LATER:
            return "451 4.3.0 Try again later"
        if action == REFUSE:
            return "550 5.1.1 No such mailbox"
        if action == DROP:
            server.transport.abort()  # the message came in, but no answer ever goes out
            return "250 OK"
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 OK"

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]).strip() for message in self.received]


def _refuse_every_login(*_args: Any) -> AuthResult:
    return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield recorder, port
    controller.stop()


@pytest.fixture
def login_refusing_server() -> Iterator[int]:
    """A server that offers AUTH without TLS and refuses every login."""
    port = free_port()
    controller = Controller(Recorder(), hostname="127.0.0.1", port=port,
                            authenticator=_refuse_every_login, auth_require_tls=False)
    controller.start()
    yield port
    controller.stop()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made by openssl."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_servers(tmp_path: Path) -> Iterator[tuple[Recorder, int, int, ssl.SSLContext]]:
    """One server that requires STARTTLS and one that speaks TLS from the start, with a
    self-signed certificate; and a client context that trusts it."""
    cert, key = self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    recorder = Recorder()
    starttls_port, tls_port = free_port(), free_port()
    starttls = Controller(recorder, hostname="127.0.0.1", port=starttls_port,
                          tls_context=server_context, require_starttls=True)
    implicit = Controller(recorder, hostname="127.0.0.1", port=tls_port,
                          ssl_context=server_context)
    starttls.start()
    implicit.start()
    yield recorder, starttls_port, tls_port, ssl.create_default_context(cafile=str(cert))
    implicit.stop()
    starttls.stop()


FROM = "payapp@harborpoint.example"


def plain_settings(port: int, *, user: str | None = None) -> SmtpSettings:
    """The [smtp] settings of a loopback server without TLS."""
    return SmtpSettings("127.0.0.1", port, "none", FROM, user, Path("test.toml"))


def all_sent_but_new(engine: Engine) -> None:
    """The demo's own notifications count as sent: each test delivers the ones it queues."""
    with writing(engine) as session:
        for email in session.exec(select(OutboxEmail)).all():
            email.sent_at = utc_now()
            session.add(email)
