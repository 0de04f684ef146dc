# ruff: noqa: F811  (the fixtures imported are parameters here)
"""`payapp reminders run`: the invite reminders of domain.md §2 queued into the outbox and
delivered by a real SMTP server, day by day on a frozen clock, on SQLite and PostgreSQL (where
the database queues them, with the same words); never two for one invite on one day, however
often or concurrently the job runs; a server that cannot take them leaves them queued for the
next run; on PostgreSQL only the reminder role may queue them, and people read only their own.

The demo's open period runs Nov 1 to Nov 30, 2026 and is due on Nov 25. Erin's invoice for it
has been sent (Revise & Resubmit); Dan (Site Concrete & Paving) has not answered his invite.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from data.config import (
    REMINDER_DAYS_BEFORE,
    ConfigError,
    Locations,
    reminder_days_before,
)
from data.db import make_engine, writing
from data.models import (
    Invite,
    InviteReminder,
    Invoice,
    InvoiceStatus,
    OutboxEmail,
    PeriodStatus,
    Role,
)
from data.outbox_delivery import make_mailer, not_sent
from data.reminders.job import RunSummary, allow, run
from data.reminders.queue import ReminderError, database_today, queue_reminders
from data.reminders.rule import reminder_due, still_owes_an_invoice
from data.roles import add_user
from data.services.actors import actor_for_login
from data.services.invites import respond
from tests.pg_people import (  # noqa: F401
    CONCRETE,
    ELECTRICAL,
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
    FROM,
    Recorder,
    all_sent_but_new,
    free_port,
    login_refusing_server,
    plain_settings,
    smtp_server,
)

DUE = date(2026, 11, 25)
DAN = "dan@bayside-concrete.example"
SUBJECT_BEFORE = ("Reminder: your invoice for SC-2417-031 Site Concrete & Paving is due "
                  "Nov 25, 2026")
SUBJECT_AFTER = ("Reminder: your invoice for SC-2417-031 Site Concrete & Paving was due "
                 "Nov 25, 2026")
WHICH = ("Project: 2417 Mission Bay Medical Office Building\n"
         "Commitment: SC-2417-031 Site Concrete & Paving\n"
         "Period: Nov 01, 2026 to Nov 30, 2026\n"
         "Due date: Nov 25, 2026\n")
BODY_BEFORE = ("The invoice for this billing period is due on Nov 25, 2026.\n\n" + WHICH + "\n"
               "Open payapp to answer the invite: Yes to bill this period, No if you will not "
               "(the reminders then stop).")
BODY_AFTER = ("The invoice for this billing period was due on Nov 25, 2026 and has not been "
              "sent.\n\n" + WHICH + "\nThe invite can no longer be answered: ask the project's "
              "invoice administrator to open the invoice for you.")
BODY_AFTER_YES = ("The invoice for this billing period was due on Nov 25, 2026 and has not been "
                  "sent.\n\n" + WHICH + "\nOpen payapp to finish your invoice and send it.")




def _day(offset: int) -> date:
    return DUE + timedelta(days=offset)


def _clock(day: date) -> datetime:
    """The delivery's clock on the morning of `day`: after any wait set the day before."""
    return datetime(day.year, day.month, day.day, 7, tzinfo=UTC)


def _run(engine: Engine, port: int, day: date) -> RunSummary:
    return run(engine, plain_settings(port), None, days_before=REMINDER_DAYS_BEFORE, today=day,
               now=lambda: _clock(day), timeout=5)


def _reminders(server: Recorder) -> list[tuple[str, str, str]]:
    """(to, subject, body) of each reminder the server took, in order."""
    found = []
    for message in server.received:
        if str(message["Subject"]).startswith("Reminder:"):
            body = message.get_body()
            assert body is not None
            found.append((message["To"].addresses[0].addr_spec, str(message["Subject"]),
                          body.get_content().replace("\r\n", "\n").rstrip("\n")))
    return found


def _invite_of(engine: Engine, commitment_number: str) -> int:
    with Session(engine) as session:
        invite_id = session.execute(text(
            "SELECT i.id FROM invite i JOIN commitment c ON c.id = i.commitment_id "
            "WHERE c.number = :n"), {"n": commitment_number}).scalar_one()
        return int(invite_id)


def _dans_invite(engine: Engine) -> int:
    return _invite_of(engine, CONCRETE)


def _dan_answers(engine: Engine, *, bill: bool, day: date) -> None:
    with writing(engine) as session:
        respond(session, actor_for_login(session, "dan"), _dans_invite(engine), bill=bill,
                today=day)


def _reminder_rows(engine: Engine) -> list[tuple[int, date]]:
    with Session(engine) as session:
        return [(r.invite_id, r.reminder_day) for r in session.exec(
            select(InviteReminder).order_by(col(InviteReminder.id))).all()]


# -- the rule, without a database ---------------------------------------------------------------

def test_the_rule_one_reminder_in_the_days_before_then_one_a_day() -> None:
    assert not reminder_due(_day(-4), DUE, 3, [])
    assert reminder_due(_day(-3), DUE, 3, [])
    assert not reminder_due(_day(-2), DUE, 3, [_day(-3)])
    assert reminder_due(_day(-1), DUE, 3, [])  # the run three days before was missed
    assert not reminder_due(DUE, DUE, 3, [_day(-1)])
    assert reminder_due(DUE, DUE, 3, [_day(-9)])  # an earlier window (days_before was 10)
    assert reminder_due(_day(1), DUE, 3, [_day(-3)])
    assert not reminder_due(_day(1), DUE, 3, [_day(-3), _day(1)])
    assert reminder_due(_day(2), DUE, 3, [_day(-3), _day(1)])
    open_ = PeriodStatus.OPEN.value
    assert still_owes_an_invoice("pending", open_, None)
    assert still_owes_an_invoice("yes", open_, InvoiceStatus.DRAFT.value)
    assert not still_owes_an_invoice("no", open_, None)
    assert not still_owes_an_invoice("pending", PeriodStatus.CLOSED.value, None)
    for status in InvoiceStatus:
        if status is not InvoiceStatus.DRAFT:
            assert not still_owes_an_invoice("yes", open_, status.value)


# -- day by day, on both databases ---------------------------------------------------------------

def test_a_contact_who_has_not_answered_is_reminded_before_and_daily_after_the_due_date(
        demo_engine: Engine, smtp_server: tuple[Recorder, int]) -> None:
    server, port = smtp_server
    all_sent_but_new(demo_engine)
    queued_by_day = {}
    for offset in range(-5, 4):
        summary = _run(demo_engine, port, _day(offset))
        assert summary.exit_code == 0 and summary.failure is None
        queued_by_day[offset] = summary.queued.reminders
        assert summary.delivery is not None and summary.delivery.sent == summary.queued.emails
    assert queued_by_day == {-5: 0, -4: 0, -3: 1, -2: 0, -1: 0, 0: 0, 1: 1, 2: 1, 3: 1}
    assert _reminders(server) == [(DAN, SUBJECT_BEFORE, BODY_BEFORE)] + [
        (DAN, SUBJECT_AFTER, BODY_AFTER)] * 3
    dans = _dans_invite(demo_engine)
    assert _reminder_rows(demo_engine) == [(dans, _day(d)) for d in (-3, 1, 2, 3)]
    line = _run(demo_engine, port, _day(4)).line()
    assert line == ("1 reminder queued (1 email) for Nov 29, 2026; "
                    "outbox: 1 sent, 0 failed for now, 0 refused, 0 uncertain")


def test_running_twice_or_at_once_on_one_day_reminds_once(
        demo_engine: Engine, smtp_server: tuple[Recorder, int]) -> None:
    server, port = smtp_server
    all_sent_but_new(demo_engine)
    assert _run(demo_engine, port, _day(1)).queued.reminders == 1
    again = _run(demo_engine, port, _day(1))
    assert (again.queued.reminders, again.delivery and again.delivery.sent) == (0, 0)
    start = threading.Barrier(3)
    counts: list[int] = []
    failures: list[BaseException] = []

    def queue_on_day_two() -> None:
        try:
            start.wait()
            counts.append(queue_reminders(demo_engine, days_before=3, today=_day(2)).reminders)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=queue_on_day_two) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == [] and sorted(counts) == [0, 0, 1]
    _run(demo_engine, port, _day(2))
    assert [subject for _to, subject, _body in _reminders(server)] == [SUBJECT_AFTER] * 2
    assert [day for _invite, day in _reminder_rows(demo_engine)] == [_day(1), _day(2)]


def test_a_database_that_already_holds_the_days_row_takes_no_second(demo_engine: Engine) -> None:
    with writing(demo_engine) as session:
        session.add(InviteReminder(invite_id=_dans_invite(demo_engine), reminder_day=_day(1)))
    with pytest.raises(DBAPIError, match=r"(?i)unique"), writing(demo_engine) as session:
        session.add(InviteReminder(invite_id=_dans_invite(demo_engine), reminder_day=_day(1)))


def test_answering_no_stops_the_reminders(
        demo_engine: Engine, smtp_server: tuple[Recorder, int]) -> None:
    server, port = smtp_server
    all_sent_but_new(demo_engine)
    _dan_answers(demo_engine, bill=False, day=_day(-4))
    for offset in (-3, 0, 1, 2):
        assert _run(demo_engine, port, _day(offset)).queued.reminders == 0
    assert _reminders(server) == [] and _reminder_rows(demo_engine) == []


def test_yes_with_a_draft_is_reminded_until_the_invoice_is_sent(
        demo_engine: Engine, smtp_server: tuple[Recorder, int]) -> None:
    server, port = smtp_server
    all_sent_but_new(demo_engine)
    _dan_answers(demo_engine, bill=True, day=_day(-1))
    assert _run(demo_engine, port, _day(1)).queued.reminders == 1
    assert _reminders(server) == [(DAN, SUBJECT_AFTER, BODY_AFTER_YES)]
    with writing(demo_engine) as session:
        invite = session.get(Invite, _dans_invite(demo_engine))
        assert invite is not None
        invoice = session.exec(select(Invoice).where(
            Invoice.commitment_id == invite.commitment_id,
            Invoice.period_id == invite.period_id)).one()
        assert invoice.status == InvoiceStatus.DRAFT.value
        invoice.status = InvoiceStatus.UNDER_REVIEW.value
        session.add(invoice)
    for offset in (2, 3):
        assert _run(demo_engine, port, _day(offset)).queued.reminders == 0
    assert len(_reminders(server)) == 1
    with Session(demo_engine) as session:
        reminder = session.exec(select(OutboxEmail)
                                .where(OutboxEmail.kind == "invite_reminder")).one()
        assert reminder.invoice_id == invoice.id  # Dan sees it beside his invoice


def test_a_server_that_cannot_take_them_keeps_them_for_the_next_run(
        demo_engine: Engine, smtp_server: tuple[Recorder, int], login_refusing_server: int
        ) -> None:
    server, port = smtp_server
    all_sent_but_new(demo_engine)
    unreachable = _run(demo_engine, free_port(), _day(1))
    assert unreachable.queued.reminders == 1 and unreachable.exit_code == 2
    assert unreachable.failure is not None
    assert unreachable.failure.startswith("cannot reach the SMTP server 127.0.0.1:")
    assert unreachable.line().endswith("; outbox: not delivered")
    refused = run(demo_engine, plain_settings(login_refusing_server, user="jobs"), "wrong",
                  days_before=3, today=_day(2), now=lambda: _clock(_day(2)))
    assert refused.queued.reminders == 1 and refused.exit_code == 2
    assert refused.failure is not None and "refused the login of jobs: 535" in refused.failure
    assert [(w.state, w.subject) for w in not_sent(demo_engine)] == [
        ("failed for now", SUBJECT_AFTER)] * 2
    assert server.received == []
    next_run = _run(demo_engine, port, _day(3))
    assert next_run.exit_code == 0 and next_run.queued.reminders == 1
    assert next_run.delivery is not None and next_run.delivery.sent == 3
    assert [to for to, _subject, _body in _reminders(server)] == [DAN] * 3
    assert not_sent(demo_engine) == []


# -- the days-before setting ----------------------------------------------------------------------

def test_days_before_comes_from_the_reminders_section(tmp_path: Path) -> None:
    where = Locations(tmp_path / "user.toml", tmp_path / "site.toml", tmp_path)
    assert reminder_days_before(where) == REMINDER_DAYS_BEFORE == 3
    where.site_config_file.write_text("[reminders]\ndays_before = 5\n")
    assert reminder_days_before(where) == 5
    for bad in ("days_before = 0", "days_before = 31", 'days_before = "3"', "days = 3"):
        where.config_file.write_text(f"[reminders]\n{bad}\n")
        with pytest.raises(ConfigError, match=r"\[reminders\]") as raised:
            reminder_days_before(where)
        assert "\n" not in str(raised.value)



def test_the_readmes_reminders_section_is_one_payapp_reads(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    blocks = readme.split("```")[1::2]
    toml = next(b for b in blocks if b.startswith("toml\n[reminders]"))
    where = Locations(tmp_path / "user.toml", tmp_path / "site.toml", tmp_path)
    where.site_config_file.write_text(toml.split("\n", 1)[1])
    assert reminder_days_before(where) == 5
    cron = next(b for b in blocks if "payapp reminders run" in b and "* *" in b)
    fields = cron.strip().split(maxsplit=6)  # minute hour day month weekday user command
    assert fields[5:] == ["payapp-jobs", "/usr/local/bin/payapp reminders run"]
    assert any("ExecStart=/usr/local/bin/payapp reminders run" in b for b in blocks)


# -- the command, as cron runs it ----------------------------------------------------------------

def _cli_env(tmp_path: Path, engine: Engine, port: int | None) -> dict[str, str]:
    home = tmp_path / "cli-home"
    config = home / "config" / "payapp" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[reminders]\ndays_before = 2\n" + (
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        f'from_address = "{FROM}"\n' if port is not None else ""))
    return payapp_env(home, engine.url.render_as_string(hide_password=False))


def _due_in(engine: Engine, days: int) -> date:
    """Move the open period's due date to `days` from the database's today; that today."""
    with writing(engine) as session:
        today = database_today(session)
        session.execute(text("UPDATE billing_period SET due_on = :due WHERE status = 'open'"),
                        {"due": today + timedelta(days=days)})
    return today


def test_the_command_and_its_exit_codes(
        sqlite_demo_engine: Engine, tmp_path: Path, smtp_server: tuple[Recorder, int]) -> None:
    server, port = smtp_server
    all_sent_but_new(sqlite_demo_engine)
    today = _due_in(sqlite_demo_engine, 3)  # the reminder comes 2 days before (config)
    quiet = run_payapp(["reminders", "run"], _cli_env(tmp_path, sqlite_demo_engine, port))
    assert (quiet.code, quiet.stderr) == (0, "")
    assert quiet.stdout == (f"0 reminders queued (0 emails) for {today:%b %d, %Y}; outbox: "
                            "0 sent, 0 failed for now, 0 refused, 0 uncertain\n")

    no_smtp = run_payapp(["reminders", "run"], _cli_env(tmp_path, sqlite_demo_engine, None))
    assert no_smtp.code == 2 and no_smtp.stderr.startswith("payapp: no [smtp] section in ")
    assert no_smtp.stderr.count("\n") == 1

    _due_in(sqlite_demo_engine, -1)
    down = run_payapp(["reminders", "run"],
                      _cli_env(tmp_path, sqlite_demo_engine, free_port()))
    assert down.code == 2
    assert down.stdout == (f"1 reminder queued (1 email) for {today:%b %d, %Y}; "
                           "outbox: not delivered\n")
    assert down.stderr.startswith("payapp: cannot reach the SMTP server 127.0.0.1:")
    assert down.stderr.count("\n") == 1
    assert [w.state for w in not_sent(sqlite_demo_engine)] == ["failed for now"]

    env = _cli_env(tmp_path, sqlite_demo_engine, port)
    assert run_payapp(["outbox", "retry", str(not_sent(sqlite_demo_engine)[0].id)],
                      env).code == 0  # or wait five minutes
    sent = run_payapp(["reminders", "run"], env)
    assert (sent.code, sent.stdout) == (0, f"0 reminders queued (0 emails) for {today:%b %d, %Y}"
                                           "; outbox: 1 sent, 0 failed for now, 0 refused, "
                                           "0 uncertain\n")
    assert [subject for _to, subject, _body in _reminders(server)] == [
        f"Reminder: your invoice for SC-2417-031 Site Concrete & Paving was due "
        f"{today - timedelta(days=1):%b %d, %Y}"]

    nobody = run_payapp(["reminders", "allow", "nobody"], env)
    assert nobody.code == 1 and "there is no user 'nobody'" in nobody.stderr
    allowed = run_payapp(["reminders", "allow", "sam"], env)
    assert allowed.stdout == "sam may queue the invite reminders now\n"


# -- PostgreSQL: who may queue them, who reads them ----------------------------------------------

@pytest.mark.postgres
def test_only_the_reminder_role_queues_and_people_read_their_own(
        admin: Engine, demo_url: str, psql: Psql, scratch_roles: list[str],
        smtp_server: tuple[Recorder, int]) -> None:
    server, port = smtp_server
    all_sent_but_new(admin)
    dans, erins = _dans_invite(admin), _invite_of(admin, ELECTRICAL)
    assert queue_reminders(admin, days_before=3, today=_day(1)).reminders == 1
    for login, sees in (("erin", 0), ("dan", 1), ("sam", 1), ("pat", 1)):
        with psql(login).connect() as c:
            assert c.execute(text("SELECT count(*) FROM invite_reminder")).scalar_one() == sees
    fakes = [f"INSERT INTO invite_reminder (invite_id, reminder_day, created_at) "
             f"VALUES ({invite}, current_date + 1, now())" for invite in (dans, erins)]
    fakes += ["INSERT INTO outbox_email (kind, to_address, to_name, subject, body, attempts, "
              "last_error, created_at) VALUES ('invite_reminder', 'x@evil.example', '', "
              "'Reminder', 'x', 0, '', now())",
              "SELECT * FROM payapp_queue_invite_reminders(current_date, 3)",
              "DELETE FROM invite_reminder", "UPDATE invite_reminder SET reminder_day = "
                                             "reminder_day + 1"]
    for login in ("erin", "dan", "pat", "sam"):
        for statement in fakes:
            with psql(login).connect() as c, pytest.raises(DBAPIError,
                                                           match="permission denied"):
                c.execute(text(statement))

    scratch_roles.append("remindbot")
    add_user(admin, "remindbot", company="Harbor Point Builders, Inc.",
             roles=frozenset({Role.SUPPORT}), display_name="payapp scheduled jobs")
    as_bot = make_engine(as_login(demo_url, "remindbot"))
    try:
        with pytest.raises(ReminderError, match=r"the database role remindbot may not queue "
                                                r"reminders: .*payapp reminders allow LOGIN"):
            queue_reminders(as_bot, days_before=3)
        allow(admin, "remindbot")
        make_mailer(admin, "remindbot")
        with pytest.raises(ReminderError, match="reminders are queued for the database's today"):
            queue_reminders(as_bot, days_before=3, today=_day(-3))
        bot = psql("remindbot")
        for statement in fakes[:3] + fakes[4:]:
            with bot.connect() as c, pytest.raises(DBAPIError, match="permission denied"):
                c.execute(text(statement))
        with bot.connect() as c, pytest.raises(DBAPIError, match="today"):
            c.execute(text("SELECT * FROM payapp_queue_invite_reminders(current_date + 1, 3)"))
        _due_in(admin, -1)
        first = run(as_bot, plain_settings(port), None, days_before=3)
        assert (first.exit_code, first.queued.reminders, first.queued.emails) == (0, 1, 1)
        assert first.delivery is not None and first.delivery.sent == 2  # and the Nov 26 one
        again = run(as_bot, plain_settings(port), None, days_before=3)
        assert (again.queued.reminders, again.delivery and again.delivery.sent) == (0, 0)
    finally:
        as_bot.dispose()
    assert [to for to, _subject, _body in _reminders(server)] == [DAN, DAN]
    with admin.connect() as c:
        audited = c.execute(text(
            "SELECT actor_login FROM audit_entry WHERE entity = 'invite_reminder' "
            "AND action = 'database insert' ORDER BY id")).scalars().all()
    assert audited[-1] == "remindbot" and len(audited) == 2
