# ruff: noqa: F811  (the fixtures imported are parameters here)
"""The outbox delivered by a real SMTP server: each email arrives once, with its words; an email
refused for now is tried again later, one refused for good is not; an email whose delivery died
after taking it waits for a person; two deliveries at once never send the same email; only the
mailer role may settle an email, and nobody may change what it says or to whom."""

from __future__ import annotations

import ssl
import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from data.config import ConfigError, Locations, SmtpSettings, smtp_settings
from data.db import make_engine, writing
from data.models import OutboxEmail, Role, utc_now
from data.outbox_delivery import (
    DeliveryError,
    Outcome,
    backoff,
    claim,
    deliver,
    make_mailer,
    not_sent,
    retry,
    settle,
    smtp_password,
)
from data.roles import add_user
from tests.invoice_pilot import send_erins_resubmission
from tests.pg_people import (  # noqa: F401
    Psql,
    admin,
    as_login,
    demo_template,
    demo_url,
    psql,
    scratch_roles,
)
from tests.real_cli import payapp_env, run_payapp
from tests.smtp_server import (  # noqa: F401
    DROP,
    FROM,
    LATER,
    REFUSE,
    Recorder,
    all_sent_but_new,
    free_port,
    login_refusing_server,
    plain_settings,
    smtp_server,
    tls_servers,
)


def _queue_erins(engine: Engine) -> list[OutboxEmail]:
    all_sent_but_new(engine)
    send_erins_resubmission(engine)
    with Session(engine) as session:
        emails = list(session.exec(select(OutboxEmail)
                                   .where(col(OutboxEmail.sent_at).is_(None))).all())
    assert emails and all(e.kind == "invoice_under_review" for e in emails)
    return emails


def _row(engine: Engine, email_id: int | None) -> OutboxEmail:
    with Session(engine) as session:
        email = session.get(OutboxEmail, email_id)
        assert email is not None
        return email


def _at(minutes: float) -> datetime:
    return utc_now() + timedelta(minutes=minutes)


def test_a_queued_email_arrives_once_with_its_words(
        demo_engine: Engine, smtp_server: tuple[Recorder, int]) -> None:
    server, port = smtp_server
    emails = _queue_erins(demo_engine)
    summary = deliver(demo_engine, plain_settings(port), None)
    assert summary.line() == f"{len(emails)} sent, 0 failed for now, 0 refused, 0 uncertain"
    assert len(server.received) == len(emails)
    for email, message in zip(emails, server.received, strict=True):
        assert message["To"].addresses[0].addr_spec == email.to_address
        assert message["To"].addresses[0].display_name == email.to_name
        assert message["From"] == FROM
        assert message["Subject"] == email.subject
        body = message.get_body()
        assert body is not None
        assert body.get_content().replace("\r\n", "\n").rstrip("\n") == email.body
        assert message["Message-ID"].strip().startswith(f"<payapp-outbox-{email.id}.")
        assert message["Message-ID"].strip().endswith("@harborpoint.example>")
        assert server.envelopes[0][1] == [emails[0].to_address]
        row = _row(demo_engine, email.id)
        assert row.sent_at is not None and row.claimed_at is None and row.attempts == 1
    assert "Invoice #3 for SC-2417-016 Electrical is ready for review" in emails[0].subject
    assert deliver(demo_engine, plain_settings(port), None, now=lambda: _at(60 * 24)).sent == 0
    assert len(server.received) == len(emails)
    assert not_sent(demo_engine) == []


def test_refused_for_now_then_accepted_on_a_later_run_never_twice(
        demo_engine: Engine, smtp_server: tuple[Recorder, int]) -> None:
    server, port = smtp_server
    email = _queue_erins(demo_engine)[0]
    server.plan.extend([LATER])
    first = deliver(demo_engine, plain_settings(port), None, limit=1)
    assert (first.sent, first.later) == (0, 1) and server.received == []
    row = _row(demo_engine, email.id)
    assert row.last_error.startswith("451") and row.sent_at is None and row.claimed_at is None
    assert row.next_attempt_at is not None and row.attempts == 1
    assert [(w.id, w.state) for w in not_sent(demo_engine)][:1] == [(email.id, "failed for now")]
    assert deliver(demo_engine, plain_settings(port), None, limit=1).sent == 0  # not due yet
    later = deliver(demo_engine, plain_settings(port), None, limit=1,
                    now=lambda: _at(backoff(1).total_seconds() / 60 + 1))
    assert later.sent == 1
    assert _row(demo_engine, email.id).attempts == 2
    deliver(demo_engine, plain_settings(port), None, now=lambda: _at(60 * 24))
    assert Counter(server.message_ids())[server.message_ids()[0]] == 1


def test_a_connection_dropped_mid_message_is_tried_again_and_delivered_once(
        demo_engine: Engine, smtp_server: tuple[Recorder, int]) -> None:
    server, port = smtp_server
    emails = _queue_erins(demo_engine)
    server.plan.extend([DROP])
    first = deliver(demo_engine, plain_settings(port), None, timeout=5)
    assert first.sent == 0 and first.later == len(emails)
    row = _row(demo_engine, emails[0].id)
    assert row.sent_at is None and "connection lost" in row.last_error
    deliver(demo_engine, plain_settings(port), None, now=lambda: _at(30))
    deliver(demo_engine, plain_settings(port), None, now=lambda: _at(60 * 24))
    assert sorted(Counter(server.message_ids()).values()) == [1] * len(emails)
    assert _row(demo_engine, emails[0].id).sent_at is not None


def test_refused_for_good_is_not_tried_again(
        demo_engine: Engine, smtp_server: tuple[Recorder, int]) -> None:
    server, port = smtp_server
    email = _queue_erins(demo_engine)[0]
    server.plan.extend([REFUSE])
    summary = deliver(demo_engine, plain_settings(port), None, limit=1)
    assert summary.refused == 1 and summary.errors == ["550 5.1.1 No such mailbox"]
    row = _row(demo_engine, email.id)
    assert row.failed_at is not None and row.sent_at is None
    assert row.last_error == "550 5.1.1 No such mailbox"
    deliver(demo_engine, plain_settings(port), None, now=lambda: _at(60 * 24 * 30))
    assert f"<payapp-outbox-{email.id}." not in " ".join(server.message_ids())
    assert retry(demo_engine, email.id or 0) == "refused"  # a person corrected the address
    deliver(demo_engine, plain_settings(port), None)
    assert _row(demo_engine, email.id).sent_at is not None


def test_an_email_taken_by_a_delivery_that_died_is_uncertain_until_released(
        demo_engine: Engine, smtp_server: tuple[Recorder, int]) -> None:
    server, port = smtp_server
    emails = _queue_erins(demo_engine)
    taken = claim(demo_engine)  # ...and the process dies before it settles anything
    assert [e.id for e in taken] == [e.id for e in emails]
    assert {w.state for w in not_sent(demo_engine)} == {"uncertain"}
    summary = deliver(demo_engine, plain_settings(port), None, now=lambda: _at(60 * 24 * 30))
    assert summary.line() == f"0 sent, 0 failed for now, 0 refused, {len(emails)} uncertain"
    assert server.received == []
    assert retry(demo_engine, emails[0].id or 0) == "uncertain"
    with pytest.raises(ValueError, match="already waiting"):
        retry(demo_engine, emails[0].id or 0)
    assert deliver(demo_engine, plain_settings(port), None).sent == 1
    with pytest.raises(ValueError, match="was sent at"):
        retry(demo_engine, emails[0].id or 0)
    assert len(server.received) == 1


def test_an_unreachable_server_sends_nothing_and_says_so(demo_engine: Engine) -> None:
    email = _queue_erins(demo_engine)[0]
    with pytest.raises(DeliveryError, match=r"cannot reach the SMTP server 127\.0\.0\.1:"):
        deliver(demo_engine, plain_settings(free_port()), None, timeout=5)
    row = _row(demo_engine, email.id)
    assert row.claimed_at is None and row.sent_at is None and row.next_attempt_at is not None


def test_a_refused_login_sends_nothing(demo_engine: Engine, login_refusing_server: int) -> None:
    _queue_erins(demo_engine)
    with pytest.raises(DeliveryError, match="refused the login of jobs: 535"):
        deliver(demo_engine, plain_settings(login_refusing_server, user="jobs"), "wrong")
    assert {w.state for w in not_sent(demo_engine)} == {"failed for now"}


def test_the_password_comes_from_the_environment_or_the_keyring(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    settings = plain_settings(25, user="jobs")
    assert smtp_password(plain_settings(25)) is None
    monkeypatch.delenv("PAYAPP_SMTP_PASSWORD", raising=False)
    with pytest.raises(DeliveryError, match="set PAYAPP_SMTP_PASSWORD, or store it with "
                                            "`payapp outbox login`"):
        smtp_password(settings)
    monkeypatch.setenv("PAYAPP_SMTP_PASSWORD", "s3cret")
    assert smtp_password(settings) == "s3cret"


def _write_config(folder: Path, body: str) -> Path:
    path = folder / "config" / "payapp" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    return path


def test_the_smtp_section_is_read_and_checked(tmp_path: Path) -> None:
    where = Locations(tmp_path / "user.toml", tmp_path / "site.toml", tmp_path)
    with pytest.raises(ConfigError, match=r"^no \[smtp\] section in "):
        smtp_settings(where)
    where.site_config_file.write_text('[smtp]\nhost = "mail.example"\n'
                                      'from_address = "payapp@example.com"\n')
    assert smtp_settings(where) == SmtpSettings("mail.example", 587, "starttls",
                                                "payapp@example.com", None,
                                                where.site_config_file)
    for bad, words in (('security = "ssl"', "security must be one of starttls, tls, none"),
                       ("port = 0", "port must be a number"), ('hots = "x"', "unknown setting")):
        where.config_file.write_text(f'[smtp]\nhost = "h"\nfrom_address = "a@b"\n{bad}\n')
        with pytest.raises(ConfigError, match=words) as raised:
            smtp_settings(where)
        assert "\n" not in str(raised.value)


@pytest.mark.postgres
def test_two_deliveries_at_once_send_each_email_once(
        admin: Engine, smtp_server: tuple[Recorder, int]) -> None:
    server, port = smtp_server
    all_sent_but_new(admin)
    with admin.begin() as connection:
        connection.execute(text(
            "INSERT INTO outbox_email (created_at, kind, to_address, to_name, subject, body, "
            "attempts, last_error) SELECT now(), 'test', 'n' || g || '@example.com', '', "
            "'Note ' || g, 'Body ' || g, 0, '' FROM generate_series(1, 40) g"))
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            while deliver(admin, plain_settings(port), None, limit=3).sent:
                pass
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert len(server.received) == 40 and len(set(server.message_ids())) == 40
    assert not_sent(admin) == []


@pytest.mark.postgres
def test_only_the_mailer_settles_and_nobody_rewrites_an_email(
        admin: Engine, demo_url: str, psql: Psql, scratch_roles: list[str],
        smtp_server: tuple[Recorder, int]) -> None:
    server, port = smtp_server
    emails = _queue_erins(admin)
    email_id = emails[0].id
    for login in ("erin", "pat", "sam"):
        for change in ("sent_at = now()", "claimed_at = now()", "failed_at = now()",
                       "to_address = 'x@evil.example'", "subject = 'x'", "body = 'x'"):
            with psql(login).connect() as c, pytest.raises(DBAPIError, match="permission denied"):
                c.execute(text(f"UPDATE outbox_email SET {change} WHERE id = {email_id}"))
    as_erin = make_engine(as_login(demo_url, "erin"))
    try:
        with pytest.raises(DeliveryError, match=r"the database role erin may not change the "
                                                r"outbox: .*payapp users mailer LOGIN"):
            deliver(as_erin, plain_settings(port), None)
        with pytest.raises(ValueError, match="the database role erin may not change"):
            retry(as_erin, email_id or 0)
    finally:
        as_erin.dispose()
    scratch_roles.append("mailbot")
    add_user(admin, "mailbot", company="Harbor Point Builders, Inc.",
             roles=frozenset({Role.SUPPORT}), display_name="payapp scheduled jobs")
    with psql("mailbot").connect() as c, pytest.raises(DBAPIError, match="permission denied"):
        c.execute(text(f"UPDATE outbox_email SET sent_at = now() WHERE id = {email_id}"))
    make_mailer(admin, "mailbot")
    mailer = psql("mailbot")
    for change in ("to_address = 'x@evil.example'", "to_name = 'x'", "subject = 'x'",
                   "body = 'x'", "kind = 'x'", "invoice_id = NULL"):
        with mailer.connect() as c, pytest.raises(DBAPIError, match="permission denied"):
            c.execute(text(f"UPDATE outbox_email SET {change} WHERE id = {email_id}"))
    for statement in ("DELETE FROM outbox_email",
                      "INSERT INTO outbox_email (kind, to_address, to_name, subject, body, "
                      "attempts, last_error, created_at) VALUES ('x', 'x@x', '', 'x', 'x', 0, "
                      "'', now())"):
        with mailer.connect() as c, pytest.raises(DBAPIError, match="permission denied"):
            c.execute(text(statement))
    as_mailer = make_engine(as_login(demo_url, "mailbot"))
    try:
        taken = claim(as_mailer, limit=1)
        assert [e.id for e in taken] == [email_id]
        settle(as_mailer, email_id or 0, Outcome("later", "451 later"))
        assert retry(as_mailer, email_id or 0) == "failed for now"
        assert deliver(as_mailer, plain_settings(port), None).sent == len(emails)
    finally:
        as_mailer.dispose()
    assert len(server.received) == len(emails)
    with Session(admin) as session:
        row = session.get(OutboxEmail, email_id)
        assert row is not None and row.sent_at is not None
        assert (row.to_address, row.subject, row.body) == (
            emails[0].to_address, emails[0].subject, emails[0].body)


def _cli_setup(tmp_path: Path, demo: Engine, port: int, user: str = "") -> dict[str, str]:
    home = tmp_path / "cli-home"
    _write_config(home, f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
                        f'from_address = "{FROM}"\n' + (f'user = "{user}"\n' if user else ""))
    return payapp_env(home, demo.url.render_as_string(hide_password=False))


def test_the_commands_and_their_exit_codes(
        sqlite_demo_engine: Engine, tmp_path: Path, smtp_server: tuple[Recorder, int],
        login_refusing_server: int) -> None:
    server, port = smtp_server
    emails = _queue_erins(sqlite_demo_engine)
    home = tmp_path / "cli-home"
    env = payapp_env(home, sqlite_demo_engine.url.render_as_string(hide_password=False))
    missing = run_payapp(["outbox", "deliver"], env)
    assert missing.code == 2 and missing.stderr.startswith("payapp: no [smtp] section in ")
    assert missing.stderr.count("\n") == 1

    unreachable = run_payapp(["outbox", "deliver"],
                             _cli_setup(tmp_path, sqlite_demo_engine, free_port()))
    assert unreachable.code == 2
    assert "payapp: cannot reach the SMTP server 127.0.0.1:" in unreachable.stderr

    env = _cli_setup(tmp_path, sqlite_demo_engine, login_refusing_server, user="jobs")
    no_password = run_payapp(["outbox", "deliver"], env)
    assert no_password.code == 2 and "set PAYAPP_SMTP_PASSWORD" in no_password.stderr
    for email in emails:  # the unreachable server put them off for a few minutes
        assert run_payapp(["outbox", "retry", str(email.id)], env).code == 0
    refused = run_payapp(["outbox", "deliver"], {**env, "PAYAPP_SMTP_PASSWORD": "wrong"})
    assert refused.code == 2 and "refused the login of jobs: 535" in refused.stderr

    listed = run_payapp(["outbox", "list"], env)
    assert listed.code == 0 and "failed for now" in listed.stdout
    assert "last error: the SMTP server 127.0.0.1:" in listed.stdout
    assert "refused the login of jobs: 535" in listed.stdout

    env = _cli_setup(tmp_path, sqlite_demo_engine, port)
    for email in emails:
        assert run_payapp(["outbox", "retry", str(email.id)], env).code == 0
    sent = run_payapp(["outbox", "deliver"], env)
    assert (sent.code, sent.stdout) == (
        0, f"{len(emails)} sent, 0 failed for now, 0 refused, 0 uncertain\n")
    again = run_payapp(["outbox", "deliver"], env)
    assert again.stdout.startswith("0 sent") and len(server.received) == len(emails)
    assert run_payapp(["outbox", "list"], env).stdout == "every email has been sent\n"
    nothing = run_payapp(["outbox", "retry", str(emails[0].id)], env)
    assert nothing.code == 1 and "was sent at" in nothing.stderr
    mailer = run_payapp(["users", "mailer", "nobody"], env)
    assert mailer.code == 1 and "there is no user 'nobody'" in mailer.stderr
    assert run_payapp(["users", "mailer", "pat"], env).stdout == "pat may deliver the outbox now\n"

    claim(sqlite_demo_engine)  # nothing is waiting: an uncertain one needs a new email
    send_again = _queue_more(sqlite_demo_engine)
    claim(sqlite_demo_engine)
    uncertain = run_payapp(["outbox", "deliver"], env)
    assert uncertain.code == 1 and f"{send_again} uncertain" in uncertain.stdout
    assert "uncertain: a delivery took these" in run_payapp(["outbox", "list"], env).stdout


def _queue_more(engine: Engine) -> int:
    with writing(engine) as session:
        session.add(OutboxEmail(kind="test", to_address="x@example.com", subject="x",
                                body="x"))
    return 1


def test_starttls_and_tls_with_a_certificate_the_client_trusts(
        sqlite_demo_engine: Engine, tls_servers: tuple[Recorder, int, int, ssl.SSLContext]
        ) -> None:
    server, starttls_port, tls_port, trusting = tls_servers
    emails = _queue_erins(sqlite_demo_engine)
    starttls = SmtpSettings("127.0.0.1", starttls_port, "starttls", FROM, None, Path("t"))
    with pytest.raises(DeliveryError, match="certificate verify failed"):
        deliver(sqlite_demo_engine, starttls, None, timeout=5)  # the system's CAs: untrusted
    for email in emails:
        retry(sqlite_demo_engine, email.id or 0)
    assert deliver(sqlite_demo_engine, starttls, None, context=trusting).sent == len(emails)
    plain = plain_settings(starttls_port)  # the server wants STARTTLS: no email is refused for it
    _queue_more(sqlite_demo_engine)
    with pytest.raises(DeliveryError, match=f"takes no mail from {FROM}: 530 Must issue a "
                                            "STARTTLS command first"):
        deliver(sqlite_demo_engine, plain, None)
    assert [w.state for w in not_sent(sqlite_demo_engine)] == ["failed for now"]
    implicit = SmtpSettings("127.0.0.1", tls_port, "tls", FROM, None, Path("t"))
    assert deliver(sqlite_demo_engine, implicit, None, context=trusting,
                   now=lambda: _at(60)).sent == 1
    assert len(server.received) == len(emails) + 1


def test_the_readmes_smtp_section_is_one_payapp_reads(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    block = next(b for b in readme.split("```")[1::2] if b.startswith("toml\n[smtp]"))
    where = Locations(tmp_path / "user.toml", tmp_path / "site.toml", tmp_path)
    where.site_config_file.write_text(block.split("\n", 1)[1])
    assert smtp_settings(where).security == "starttls"


def test_a_delivery_that_fails_after_sending_leaves_that_email_uncertain_and_no_other(
        demo_engine: Engine, smtp_server: tuple[Recorder, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, port = smtp_server
    _queue_erins(demo_engine)
    _queue_more(demo_engine)
    _queue_more(demo_engine)

    def database_gone(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("data.outbox_delivery.settle", database_gone)
    with pytest.raises(RuntimeError, match="went away"):
        deliver(demo_engine, plain_settings(port), None)
    monkeypatch.undo()
    assert len(server.received) == 1  # sent, and then nothing could be written down
    states = [w.state for w in not_sent(demo_engine)]
    assert states[0] == "uncertain" and set(states[1:]) == {"waiting"}
    with Session(demo_engine) as session:
        assert [e.attempts for e in session.exec(
            select(OutboxEmail).where(col(OutboxEmail.sent_at).is_(None))
            .order_by(col(OutboxEmail.id))).all()][1:] == [0] * (len(states) - 1)
    summary = deliver(demo_engine, plain_settings(port), None)
    assert (summary.sent, summary.uncertain) == (len(states) - 1, 1)
    assert len(set(server.message_ids())) == len(server.received) == len(states)
