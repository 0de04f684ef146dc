"""Delivering the outbox by SMTP: each email is sent at most once, and none is lost.

A delivery claims the emails that are due in one short transaction (row locks skipped, so two
deliveries never take the same email; `attempts` + 1, `claimed_at` set) and commits, then sends
them over one SMTP connection, settling each in a transaction of its own as soon as the server
answered: sent; refused for good (5xx); or failed for now (4xx, connection lost, timeout), back
to waiting after a backoff that grows with the attempts.

An email left claimed (the delivery died between the claim and the settling) may or may not have
reached the server: it is "uncertain" and is never sent again by itself; a person checks (by its
Message-ID) and releases it with `payapp outbox retry ID`.

On PostgreSQL only members of `payapp_mailer` (migration 0010; `payapp users mailer LOGIN`)
may change the delivery's columns of the outbox, and no one its recipient, subject or body.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from sqlalchemy import Engine, or_, text
from sqlalchemy.engine import URL
from sqlmodel import Session, col, select

from data.config import SmtpSettings
from data.credentials import keyring_password, keyring_trouble, store_in_keyring
from data.db import writing
from data.models import OutboxEmail, utc_now
from data.refusals import NotAllowed
from data.roles import UserError, grant_group_role

PASSWORD_VARIABLE = "PAYAPP_SMTP_PASSWORD"
MAILER_ROLE = "payapp_mailer"
BATCH = 100
TIMEOUT_SECONDS = 30.0
FIRST_WAIT = timedelta(minutes=5)
LONGEST_WAIT = timedelta(hours=6)


class DeliveryError(RuntimeError):
    """Nothing could be delivered: no password, the server cannot be reached or refused the
    login. One line, saying what to do."""


class OutboxError(ValueError):
    """A request about one email that cannot be done (`payapp outbox retry`)."""


# -- the SMTP password ---------------------------------------------------------------------------

def keyring_url(settings: SmtpSettings) -> URL:
    """Where the SMTP password is kept in the keyring: the account `user@host:port/` of the
    service `payapp`, beside the database passwords (data.credentials)."""
    return URL.create("smtp", username=settings.user, host=settings.host, port=settings.port)


def smtp_password(settings: SmtpSettings) -> str | None:
    """The password for `settings.user`: PAYAPP_SMTP_PASSWORD, then the system keyring; None
    when the server takes no login."""
    if settings.user is None:
        return None
    from_environment = os.environ.get(PASSWORD_VARIABLE)
    if from_environment:
        return from_environment
    stored = keyring_password(keyring_url(settings))
    if stored is not None:
        return stored
    # keyring_trouble() ends with the database's alternatives (~/.pgpass...): not for SMTP.
    trouble = (keyring_trouble() or "").split(". Instead, ")[0]
    raise DeliveryError(
        f"no password for the SMTP login {settings.user}@{settings.host}:{settings.port}: "
        f"set {PASSWORD_VARIABLE}, or store it with `payapp outbox login`"
        + (f" (the keyring: {trouble})" if trouble else ""))


def store_smtp_password(settings: SmtpSettings, password: str) -> None:
    """Keep the SMTP password in the system keyring; KeyringUnavailable says why it cannot."""
    store_in_keyring(keyring_url(settings), password)


# -- the SMTP conversation -----------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    kind: str  # "sent", "later" (failed for now) or "refused"
    error: str = ""


class _ConnectionLost(Exception):
    pass


class _SenderRefused(Exception):
    """The server takes no mail from payapp's address (or wants STARTTLS or a login first): a
    fault of the settings, not of one email, so no email is refused for it."""


def _one_line(error: BaseException) -> str:
    text_ = " ".join(str(error).split()) or type(error).__name__
    return text_ if len(text_) <= 500 else text_[:497] + "..."


def _reply(code: int, message: bytes | str) -> Outcome:
    words = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    error = f"{code} {' '.join(words.split())}"
    return Outcome("refused" if 500 <= code < 600 else "later", error[:500])


def connect(settings: SmtpSettings, password: str | None, *,
            timeout: float = TIMEOUT_SECONDS,
            context: ssl.SSLContext | None = None) -> smtplib.SMTP:
    """An SMTP connection, secured and logged in as the settings say; DeliveryError when the
    server cannot be reached, the TLS handshake fails or the login is refused."""
    where = f"the SMTP server {settings.host}:{settings.port}"
    context = context or ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if settings.security == "tls":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout,
                                    context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        try:
            if settings.security == "starttls":
                smtp.starttls(context=context)
            if settings.user is not None:
                smtp.login(settings.user, password or "")
        except BaseException:
            smtp.close()
            raise
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryError(f"{where} refused the login of {settings.user}: "
                            f"{_reply(error.smtp_code, error.smtp_error).error}") from error
    except smtplib.SMTPNotSupportedError as error:
        raise DeliveryError(f"{where} does not offer {_needs(settings)}: "
                            f"{_one_line(error)}") from error
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"cannot reach {where}: {_one_line(error)}") from error
    return smtp


def _needs(settings: SmtpSettings) -> str:
    return "STARTTLS" if settings.security == "starttls" else "a login (AUTH)"


def message_id(email_id: int, settings: SmtpSettings, database: str) -> str:
    """The same for every attempt at one email, so that a duplicate is recognisable."""
    domain = settings.from_address.rsplit("@", 1)[1]
    tag = re.sub(r"[^A-Za-z0-9.-]+", "-", database).strip("-.") or "payapp"
    return f"<payapp-outbox-{email_id}.{tag}@{domain}>"


def build_message(email: OutboxEmail, settings: SmtpSettings, database: str) -> EmailMessage:
    assert email.id is not None
    message = EmailMessage()
    message["From"] = settings.from_address
    message["To"] = formataddr((email.to_name, email.to_address))
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(email.id, settings, database)
    message.set_content(email.body)
    return message


def send_one(smtp: smtplib.SMTP, message: EmailMessage, from_address: str,
             to_address: str) -> Outcome:
    """Hand one message over; _ConnectionLost when the connection is gone (the message was not
    acknowledged, so it is tried again)."""
    try:
        smtp.send_message(message, from_addr=from_address, to_addrs=[to_address])
    except smtplib.SMTPRecipientsRefused as error:
        code, reply = next(iter(error.recipients.values()))
        return _reply(code, reply)
    except smtplib.SMTPServerDisconnected as error:
        raise _ConnectionLost(f"connection lost: {_one_line(error)}") from error
    except smtplib.SMTPSenderRefused as error:
        raise _SenderRefused(_reply(error.smtp_code, error.smtp_error).error) from error
    except smtplib.SMTPResponseException as error:  # data refused, 421...
        return _reply(error.smtp_code, error.smtp_error)
    except (OSError, smtplib.SMTPException) as error:
        raise _ConnectionLost(f"connection lost: {_one_line(error)}") from error
    return Outcome("sent")


# -- the outbox's rows ---------------------------------------------------------------------------

def backoff(attempts: int) -> timedelta:
    """How long an email that failed for now waits: 5 min, 10, 20... at most 6 hours."""
    wait: timedelta = FIRST_WAIT * 2 ** min(max(attempts - 1, 0), 16)
    return min(wait, LONGEST_WAIT)


def claim(engine: Engine, *, limit: int = BATCH, now: datetime | None = None
          ) -> list[OutboxEmail]:
    """Take the emails that are due, for this delivery alone; committed before any is sent."""
    now = now or utc_now()
    with writing(engine) as session:
        emails = list(session.exec(
            select(OutboxEmail)
            .where(col(OutboxEmail.sent_at).is_(None), col(OutboxEmail.failed_at).is_(None),
                   col(OutboxEmail.claimed_at).is_(None),
                   or_(col(OutboxEmail.next_attempt_at).is_(None),
                       col(OutboxEmail.next_attempt_at) <= now))
            .order_by(col(OutboxEmail.id)).limit(limit)
            .with_for_update(skip_locked=True)).all())
        for email in emails:
            email.claimed_at = now
            email.attempts += 1
            session.add(email)
    return emails


def settle(engine: Engine, email_id: int, outcome: Outcome, *, now: datetime | None = None
           ) -> None:
    now = now or utc_now()
    with writing(engine) as session:
        email = session.get(OutboxEmail, email_id)
        assert email is not None
        email.claimed_at = None
        email.last_error = outcome.error
        if outcome.kind == "sent":
            email.sent_at = now
        elif outcome.kind == "refused":
            email.failed_at = now
        else:
            email.next_attempt_at = now + backoff(email.attempts)
        session.add(email)


@dataclass
class Summary:
    sent: int = 0
    later: int = 0
    refused: int = 0
    uncertain: int = 0  # left claimed by an earlier delivery: a person checks them
    errors: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.kind, getattr(self, outcome.kind) + 1)
        if outcome.error:
            self.errors.append(outcome.error)

    def line(self) -> str:
        return (f"{self.sent} sent, {self.later} failed for now, {self.refused} refused, "
                f"{self.uncertain} uncertain")


def _uncertain_count(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(OutboxEmail.id).where(
            col(OutboxEmail.claimed_at).is_not(None), col(OutboxEmail.sent_at).is_(None),
            col(OutboxEmail.failed_at).is_(None))).all())


def database_name(engine: Engine) -> str:
    """The database in the Message-IDs: two payapp databases never share an id."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return os.path.basename(url.database or "")
    return f"{url.database or ''}.{url.host or 'localhost'}"


def deliver(engine: Engine, settings: SmtpSettings, password: str | None, *,
            now: Callable[[], datetime] = utc_now, limit: int = BATCH,
            timeout: float = TIMEOUT_SECONDS, context: ssl.SSLContext | None = None
            ) -> Summary:
    """Send what is due. DeliveryError when the server cannot be reached or refuses the login:
    the emails taken are back to waiting (failed for now), none was sent."""
    summary = Summary(uncertain=_uncertain_count(engine))
    try:
        emails = claim(engine, limit=limit, now=now())
    except NotAllowed as error:
        raise DeliveryError(_not_a_mailer(engine)) from error
    if not emails:
        return summary
    try:
        smtp = connect(settings, password, timeout=timeout, context=context)
    except DeliveryError as error:
        _put_off(engine, emails, str(error), Summary(), now())
        raise
    database = database_name(engine)
    tried = 0
    try:
        for index, email in enumerate(emails):
            assert email.id is not None
            tried = index + 1
            try:
                outcome = _attempt(smtp, email, settings, database)
            except _ConnectionLost as lost:
                _put_off(engine, emails[index:], str(lost), summary, now())
                break
            except _SenderRefused as refused:
                why = (f"the SMTP server {settings.host}:{settings.port} takes no mail from "
                       f"{settings.from_address}: {refused}")
                _put_off(engine, emails[index:], why, summary, now())
                raise DeliveryError(why) from refused
            settle(engine, email.id, outcome, now=now())
            summary.count(outcome)
    except BaseException as error:
        if not isinstance(error, DeliveryError):
            # Killed or failed mid-way: the email being sent stays claimed (uncertain); the
            # ones after it never left, so they go back as they were.
            with suppress(Exception):
                _release_untried(engine, emails[tried:])
        raise
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return summary


def _release_untried(engine: Engine, emails: list[OutboxEmail]) -> None:
    with writing(engine) as session:
        for taken in emails:
            email = session.get(OutboxEmail, taken.id)
            if email is not None and email.claimed_at == taken.claimed_at:
                email.claimed_at = None
                email.attempts = max(email.attempts - 1, 0)
                session.add(email)


def _put_off(engine: Engine, emails: list[OutboxEmail], error: str, summary: Summary,
             now: datetime) -> None:
    """Emails not handed over, back to waiting (failed for now)."""
    for email in emails:
        assert email.id is not None
        settle(engine, email.id, Outcome("later", error[:500]), now=now)
        summary.count(Outcome("later", error[:500]))


def _attempt(smtp: smtplib.SMTP, email: OutboxEmail, settings: SmtpSettings,
             database: str) -> Outcome:
    try:
        message = build_message(email, settings, database)
    except (ValueError, TypeError) as error:  # a header the email library will not write
        return Outcome("refused", f"cannot be written as an email: {_one_line(error)}")
    return send_one(smtp, message, settings.from_address, email.to_address)


# -- what a person sees and does -----------------------------------------------------------------

@dataclass(frozen=True)
class WaitingEmail:
    id: int
    state: str  # "waiting", "failed for now", "refused", "uncertain"
    to_address: str
    subject: str
    attempts: int
    last_error: str
    since: datetime  # queued, last refused, claimed, or the next attempt's time


def _state(email: OutboxEmail) -> tuple[str, datetime]:
    if email.claimed_at is not None:
        return "uncertain", email.claimed_at
    if email.failed_at is not None:
        return "refused", email.failed_at
    if email.attempts and email.next_attempt_at is not None:
        return "failed for now", email.next_attempt_at
    return "waiting", email.created_at


def not_sent(engine: Engine) -> list[WaitingEmail]:
    """Every email not sent yet, oldest first."""
    with Session(engine) as session:
        emails = session.exec(select(OutboxEmail).where(col(OutboxEmail.sent_at).is_(None))
                              .order_by(col(OutboxEmail.id))).all()
        rows = []
        for email in emails:
            assert email.id is not None
            state, since = _state(email)
            rows.append(WaitingEmail(email.id, state, email.to_address, email.subject,
                                     email.attempts, email.last_error, since))
        return rows


def retry(engine: Engine, email_id: int) -> str:
    """Release an uncertain, refused or failed email so that the next delivery sends it; its
    state before."""
    try:
        return _release(engine, email_id)
    except NotAllowed as error:
        raise OutboxError(_not_a_mailer(engine)) from error


def _not_a_mailer(engine: Engine) -> str:
    with Session(engine) as session:
        role = session.execute(text("SELECT session_user")).scalar_one()
    return (f"the database role {role} may not change the outbox: a system administrator "
            f"makes the jobs account a mailer with `payapp users mailer LOGIN`")


def _release(engine: Engine, email_id: int) -> str:
    with writing(engine) as session:
        email = session.exec(select(OutboxEmail).where(OutboxEmail.id == email_id)
                             .with_for_update()).first()
        if email is None:
            raise OutboxError(f"there is no email {email_id} in the outbox")
        if email.sent_at is not None:
            raise OutboxError(f"email {email_id} was sent at {email.sent_at:%Y-%m-%d %H:%M} "
                              "UTC; there is nothing to retry")
        state, _since = _state(email)
        if state == "waiting":
            raise OutboxError(f"email {email_id} is already waiting for the next delivery")
        email.claimed_at = email.failed_at = email.next_attempt_at = None
        session.add(email)
    return state


def make_mailer(engine: Engine, login: str) -> None:
    """Let a payapp user's login role deliver the outbox (on PostgreSQL: membership of
    payapp_mailer); audited like the other `payapp users` commands."""
    try:
        grant_group_role(engine, login, MAILER_ROLE, action="make mailer",
                         may="deliver the outbox")
    except UserError as error:
        raise OutboxError(str(error)) from error
