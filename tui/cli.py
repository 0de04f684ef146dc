"""The `payapp` command. The bare command starts the app; the other commands never import textual,
so that `payapp --help`, `payapp locate` or a cron job stay fast and need no terminal."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from data.assignments import Assigned
    from data.documents.pdf_merge import Progress


def _decimal_option(
    kind: str,
) -> Callable[[click.Context, click.Parameter, str | None], Decimal | None]:
    """A click callback that reads a percentage or an amount with payapp's strict parser."""

    def convert(_ctx: click.Context, param: click.Parameter, value: str | None) -> Decimal | None:
        from data.money import MoneyError, parse_money, parse_percent

        if value is None:
            return None
        try:
            return parse_percent(value) if kind == "percent" else parse_money(value)
        except MoneyError as error:
            raise click.BadParameter(str(error), param=param) from error

    return convert


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"payapp: {message}", err=True)
    sys.exit(code)


_URL_IN_USE = "payapp.database_url"  # in click's context meta: what a command connects to


class _PayappGroup(click.Group):
    """The `payapp` command. A failure to connect to the database, wherever a command or the
    app's start meets it, ends in two lines that name the cause and what to do (the words are
    data.connect_failures'), never in a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except Exception as error:
            if not type(error).__module__.startswith("sqlalchemy"):
                raise
            from data.connect_failures import connect_failure

            message = connect_failure(error, ctx.meta.get(_URL_IN_USE))
            if message is None:
                raise
            click.echo(message, err=True)
            sys.exit(1)


def _connecting_to(url: str) -> None:
    """Remember the database a command uses, for the words of a failure to connect."""
    click.get_current_context().meta[_URL_IN_USE] = url


def missing_terminal() -> str | None:
    """Which of standard input and output is not a terminal ("input", "output", "input and
    output"), or None when the app has a terminal on both ends."""
    missing = [name for name, stream in (("input", sys.stdin), ("output", sys.stdout))
               if stream is None or not stream.isatty()]
    return " and ".join(missing) or None


def _need_terminal() -> None:
    """The app draws on a terminal and reads keys from it: without one (`ssh host command`,
    scp, sftp, a pipe) it would wait for ever, holding a database connection. Say so and stop,
    before opening the database."""
    missing = missing_terminal()
    if missing:
        verb = "are" if " and " in missing else "is"
        _fail(f"the app needs an interactive terminal, and this session has none (standard "
              f"{missing} {verb} not a terminal): connect with `ssh -t` (scp, sftp and `ssh host "
              "command` give none); the other commands (`payapp --help`) need no terminal",
              code=2)


def _open_database(url: str, *, auto_migrate: bool) -> Engine:
    from data import migrate
    from data.db import make_engine

    _connecting_to(url)
    engine = make_engine(url)
    try:
        migrate.check_schema(engine)
    except migrate.SchemaMismatch as error:
        if not (auto_migrate and error.upgradable):
            _fail(str(error))
        _say_told(migrate.upgrade(engine))
    return engine


def _say_told(told: list[str]) -> None:
    """What the migrations told the person running them (data.migrate.tell)."""
    from data.terminal_text import terminal_safe

    for message in told:
        click.echo(terminal_safe(f"payapp: {message}"), err=True)


def _run_app(engine: Engine, login: str, *, demo: bool) -> None:
    from tui.app import PayApp

    app = PayApp(engine, login=login, demo=demo)
    try:
        app.run()
    finally:
        engine.dispose()  # also after a hang-up: no connection outlives the app
    if app.return_code:
        sys.exit(app.return_code)


@click.group(cls=_PayappGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="payapp")
@click.pass_context
def main(ctx: click.Context) -> None:
    """payapp: subcontractor pay applications in the terminal.

    Run without a command to open the app for your operating-system login on the configured
    database (a local SQLite file unless PAYAPP_DATABASE_URL or the config file names another).
    """
    os.umask(0o077)
    if ctx.invoked_subcommand is not None:
        return
    _need_terminal()
    from data.config import ConfigError, choose_database

    try:
        choice = choose_database()
    except ConfigError as error:
        _fail(str(error))
        return
    engine = _open_database(choice.url, auto_migrate=choice.is_sqlite)
    login = getpass.getuser()
    if not choice.is_sqlite:
        from data.roles import UnsafeRole, check_runtime_role, session_role

        try:
            check_runtime_role(engine)
        except UnsafeRole as error:
            _fail(str(error))
        login = session_role(engine)  # on a shared database, the database says who you are
    _run_app(engine, login, demo=False)


@main.command()
@click.option("--as", "login", metavar="LOGIN", help="Act as this demo user (default: erin).")
@click.option("--reset", is_flag=True, help="Delete the demo database and build it again.")
@click.option("--no-app", is_flag=True, help="Only create the demo database; do not open the app.")
@click.option("--wording", type=click.Choice(["general-contractor", "owner",
                                              "specialty-contractor"]),
              help="Whose words the demo project speaks in (default: a general contractor's; "
                   "kept until changed).")
def demo(login: str | None, reset: bool, no_app: bool, wording: str | None) -> None:
    """Open the app on a separate demo database, building it on first use.

    The demo never touches your real database. Its users: erin and dan (invoice contacts),
    pat (invoice administrator), sam (support), alex (system administrator).
    """
    if not no_app:
        _need_terminal()
    from data.config import locations, sqlite_url
    from data.demo import DEFAULT_DEMO_LOGIN, USERS, build_demo

    where = locations()
    path = where.demo_database_file
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = _open_database(sqlite_url(path), auto_migrate=True)
    from data.models import PointOfView

    build_demo(engine, date.today(),
               PointOfView(wording.replace("-", "_")) if wording else None)
    chosen = login or DEFAULT_DEMO_LOGIN
    if chosen not in {u.login for u in USERS}:
        _fail(f"no demo user {chosen!r}; choose one of: " + ", ".join(u.login for u in USERS))
    if no_app:
        click.echo(f"Demo database ready: {path}")
        return
    _run_app(engine, chosen, demo=True)


@main.command()
def locate() -> None:
    """Print where payapp keeps its config and data, and which database it uses."""
    from data.config import ConfigError, choose_database, locations, redacted

    where = locations()
    click.echo(f"config file:       {where.config_file}"
               f"{'' if where.config_file.exists() else '  (not present)'}")
    click.echo(f"site config file:  {where.site_config_file}"
               f"{'' if where.site_config_file.exists() else '  (not present)'}")
    click.echo(f"data folder:       {where.data_dir}")
    click.echo(f"demo database:     {where.demo_database_file}")
    try:
        choice = choose_database(where)
    except ConfigError as error:
        _fail(str(error))
        return
    click.echo(f"database in use:   {redacted(choice.url)}")
    click.echo(f"  chosen by:       {choice.source}")
    if choice.url.startswith("postgres"):
        from sqlalchemy.engine import make_url

        from data.credentials import resolve_password
        from data.pgpass import libpq_target

        target = libpq_target(make_url(choice.url))
        click.echo(f"  logs in as:      {target.user}  (from {target.user_from})")
        found = resolve_password(choice.url)
        click.echo(f"  password from:   {found.source}")
        if found.note:
            click.echo(f"payapp: {found.note}", err=True)


@main.group()
def db() -> None:
    """Database schema and credentials."""


def _engine_for_admin(*, with_schema: bool = False) -> Engine:
    """The database in use; `with_schema` makes sure its schema is this payapp's: a local SQLite
    file is migrated, as the app migrates it; a shared database stops, naming the command to
    run."""
    from data.config import ConfigError, choose_database
    from data.db import make_engine

    try:
        choice = choose_database()
    except ConfigError as error:
        _fail(str(error))
        raise
    if with_schema:
        return _open_database(choice.url, auto_migrate=choice.is_sqlite)
    _connecting_to(choice.url)
    return make_engine(choice.url)


@db.command()
def upgrade() -> None:
    """Migrate the database in use to this payapp's schema."""
    from data import migrate

    engine = _engine_for_admin()
    before = migrate.current_revision(engine)
    _say_told(migrate.upgrade(engine))
    after = migrate.current_revision(engine)
    click.echo(f"schema {before or '(empty)'} -> {after}" if before != after
               else f"schema already at {after}")


@db.command()
def current() -> None:
    """Show the database's schema revision and this payapp's."""
    from data import migrate
    from data.credentials import keyring_trouble

    engine = _engine_for_admin()
    trouble = keyring_trouble()  # the password look-up went on without the keyring
    if trouble:
        click.echo(f"payapp: {trouble}", err=True)
    revision = migrate.current_revision(engine)
    click.echo(f"database: {revision or '(empty)'}")
    click.echo(f"payapp:   {migrate.head_revision()}")


@db.command("who-blocks")
def who_blocks() -> None:
    """List the sessions waiting for a lock on the shared database, and who holds it."""
    from data.who_blocks import blocks

    engine = _engine_for_admin()
    if engine.dialect.name != "postgresql":
        _fail("the database in use is a local SQLite file: only one payapp writes to it at once")
    found = blocks(engine)
    if not found:
        click.echo("nobody is waiting for a lock")
        return
    for block in found:
        click.echo(f"waiting: {block.waiting.describe()}")
        for holder in block.holders:
            click.echo(f"  held by: {holder.describe()}")
    click.echo("To end a session that holds a lock: SELECT pg_terminate_backend(PID); "
               "as the server's superuser or a member of pg_signal_backend")


@db.command()
def login() -> None:
    """Store the password of the shared PostgreSQL database in the system keyring."""
    from sqlalchemy.engine import make_url

    from data.config import choose_database
    from data.credentials import KeyringUnavailable, keyring_problem, store_in_keyring

    url = make_url(choose_database().url)
    if url.get_backend_name() != "postgresql":
        _fail("the database in use is not PostgreSQL; a local SQLite file needs no password")
    problem = keyring_problem()
    if problem:
        from data.credentials import ALTERNATIVES

        _fail(f"{problem}. Instead, {ALTERNATIVES}.")
    from data.pgpass import libpq_target

    target = libpq_target(url)  # a URL without a user logs in as your login
    password = click.prompt(f"Password for {target.user}@{target.host}", hide_input=True)
    try:
        store_in_keyring(url, password)
    except KeyringUnavailable as error:
        _fail(str(error))
    click.echo("Password stored in the system keyring.")


@main.command()
@click.argument("sheet", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--retainage", metavar="PCT", callback=_decimal_option("percent"),
              help="Retainage on completed work, in percent (e.g. 10).")
@click.option("--stored-retainage", metavar="PCT", callback=_decimal_option("percent"),
              help="Retainage on stored materials, in percent.")
@click.option("--previous-certificates", metavar="AMOUNT", callback=_decimal_option("money"),
              help="Line 7: total of previous certificates for payment.")
@click.option("--application-number", metavar="N", type=click.IntRange(min=1),
              help="The sheet's application number: a line's retainage may have been rounded "
                   "in up to N periods (default: 2 when it has both D and E).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def g702(sheet: Path, retainage: Decimal | None, stored_retainage: Decimal | None,
         previous_certificates: Decimal | None, application_number: int | None,
         as_json: bool) -> None:
    """Check a G703 continuation sheet (CSV) and print the G702 summary lines.

    Names every row and total that disagrees with its own arithmetic; exits 1 when the sheet is
    inconsistent, 2 when it cannot be read. A line's retainage that differs by no more than
    per-period rounding explains (one cent for each period after the first) is a note, not an
    error.
    """
    from data.g703_check import SheetError, check_sheet_file
    from data.money import ZERO
    from data.terminal_text import terminal_safe

    try:
        report = check_sheet_file(
            sheet,
            retainage=retainage if retainage is not None else ZERO,
            stored_retainage=stored_retainage if stored_retainage is not None else ZERO,
            previous_certificates=(previous_certificates if previous_certificates is not None
                                   else ZERO),
            application_number=application_number,
        )
    except SheetError as error:
        click.echo(terminal_safe(f"payapp g702: {error}"), err=True)
        sys.exit(2)
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json  # JSON escapes controls
               else terminal_safe(report.as_text(), multiline=True))
    sys.exit(0 if report.consistent else 1)


@main.group()
def users() -> None:
    """Manage payapp users (system administrators): on PostgreSQL, with their login roles."""


_ROLE_CHOICES = click.Choice(
    ["invoice_contact", "invoice_administrator", "support", "system_administrator"])


_PROJECT_OPTION = click.option(
    "--project", "projects", multiple=True, metavar="NUMBER",
    help="Put an invoice administrator on this project (by its number); for an invoice contact, "
         "where to look for --commitment. Repeat for several.")
_COMMITMENT_OPTION = click.option(
    "--commitment", "commitments", multiple=True, metavar="NUMBER",
    help="Put an invoice contact on this commitment (by its number), to bill it. Repeat for "
         "several.")


def _echo_assigned(login: str, assigned: Assigned | None) -> None:
    from data.terminal_text import terminal_safe

    for line in assigned.describe(login) if assigned else []:
        click.echo(terminal_safe(line))


@users.command("add")
@click.argument("login")
@click.option("--company", required=True, help="The user's company (created if new).")
@click.option("--role", "roles", multiple=True, required=True, type=_ROLE_CHOICES,
              help="A role; repeat for several.")
@click.option("--name", default="", help="Display name (default: the login).")
@click.option("--email", default="", help="Email address for notifications.")
@click.option("--general-contractor", is_flag=True,
              help="A new company is the general contractor (default: a subcontractor).")
@_PROJECT_OPTION
@_COMMITMENT_OPTION
def users_add(login: str, company: str, roles: tuple[str, ...], name: str, email: str,
              general_contractor: bool, projects: tuple[str, ...],
              commitments: tuple[str, ...]) -> None:
    """Create a user and, on PostgreSQL, their own login role, in one step; --project and
    --commitment put them to work at once (a person on nothing sees nothing)."""
    from data.assignments import AssignmentError
    from data.models import CompanyKind, Role
    from data.roles import UserError, add_user
    from data.terminal_text import terminal_safe

    kind = CompanyKind.GENERAL_CONTRACTOR if general_contractor else CompanyKind.SUBCONTRACTOR
    try:
        row = add_user(_engine_for_admin(with_schema=True), login, company=company,
                       roles=frozenset(Role(r) for r in roles), display_name=name,
                       email=email, company_kind=kind, projects=projects,
                       commitments=commitments)
    except (UserError, AssignmentError) as error:
        _fail(terminal_safe(f"{error}; nobody was added"))
        return
    click.echo(f"added {row.login} ({row.display_name}), {row.company}: {', '.join(row.roles)}")
    _echo_assigned(row.login, row.assigned)


@users.command("assign")
@click.argument("login")
@_PROJECT_OPTION
@_COMMITMENT_OPTION
def users_assign(login: str, projects: tuple[str, ...], commitments: tuple[str, ...]) -> None:
    """Put a user on projects (an invoice administrator) or on commitments (an invoice
    contact), so that they see and bill them."""
    from data.assignments import AssignmentError, assign
    from data.terminal_text import terminal_safe

    try:
        assigned = assign(_engine_for_admin(with_schema=True), login, projects=projects,
                          commitments=commitments)
    except AssignmentError as error:
        _fail(terminal_safe(f"{error}; nothing was changed"))
        return
    _echo_assigned(login, assigned)


@users.command("list")
def users_list() -> None:
    """List the users, their company, roles and whether they can log in."""
    from data.roles import list_users
    from data.terminal_text import terminal_safe

    for row in list_users(_engine_for_admin(with_schema=True)):
        state = "" if row.active else "  (disabled)"
        login, name, company = (terminal_safe(text)  # stored text: no control codes
                                for text in (row.login, row.display_name, row.company))
        click.echo(f"{login:<20} {name:<24} {company:<32} "
                   f"{terminal_safe(', '.join(row.roles))}{state}")


@users.command("disable")
@click.argument("login")
def users_disable(login: str) -> None:
    """Stop a user from opening payapp (their database role can no longer log in)."""
    from data.roles import UserError, disable_user

    try:
        disable_user(_engine_for_admin(with_schema=True), login)
    except UserError as error:
        _fail(str(error))
    click.echo(f"disabled {login}")


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain; exits 1 when an entry was edited or deleted, 3 when
    the role running it may read only part of the trail (run it as a support user)."""
    from sqlmodel import Session

    from data.audit_chain import WHO_SEES_THE_WHOLE_TRAIL, verify_database
    from data.terminal_text import terminal_safe

    with Session(_engine_for_admin(with_schema=True)) as session:
        verdict = verify_database(session)
    role = terminal_safe(verdict.role)
    if verdict.view == "none":
        _fail(f"the database role {role} may not read the audit trail, so it cannot check it. "
              f"Run `payapp audit verify` as {WHO_SEES_THE_WHOLE_TRAIL}.", code=3)
    for found in verdict.breaks:
        click.echo(terminal_safe(f"entry {found.entry_id}: {found.problem}"))
    if verdict.partial:
        click.echo(f"{verdict.count} entries read, but they are only part of the trail: "
                   f"row-level security shows the database role {role} only the entries its "
                   "own sessions wrote, so a gap may be an entry hidden from it and the chain "
                   f"cannot be judged from here. Run `payapp audit verify` as "
                   f"{WHO_SEES_THE_WHOLE_TRAIL}.")
    else:
        click.echo(f"{verdict.count} entries read; " + (
            "the chain is intact" if not verdict.breaks else f"{len(verdict.breaks)} problem(s)"))
    if verdict.unsealed:
        click.echo(f"{verdict.unsealed} newer entries are not chained yet: someone is sealing "
                   "them now; run this again in a moment")
    sys.exit(1 if verdict.breaks else 3 if verdict.partial else 0)


@main.group()
def backups() -> None:
    """Invoice backups: one PDF of invoices and their PDF attachments."""


_STATUS_CHOICES = click.Choice(["draft", "under_review", "revise_and_resubmit",
                                "pending_owner_approval", "approved_as_noted", "approved"])


@backups.command("compile")
@click.option("--project", "project_number", required=True, metavar="NUMBER",
              help="The project, by its number.")
@click.option("--invoice", "invoice_ids", multiple=True, type=int, metavar="ID",
              help="An invoice to include, by id; repeat for several (default: every invoice "
                   "of the project you may back up, of --status if given).")
@click.option("--status", "statuses", multiple=True, type=_STATUS_CHOICES,
              help="Only invoices in this status; repeat for several.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="A folder (the backup gets its usual name there, never replacing a file) "
                   "or the PDF file to write.")
@click.option("--demo", is_flag=True, help="Use the demo database (see `payapp demo`).")
@click.option("--as", "login_as", metavar="LOGIN", help="With --demo: act as this demo user.")
def backups_compile(project_number: str, invoice_ids: tuple[int, ...],
                    statuses: tuple[str, ...], output: Path, demo: bool,
                    login_as: str | None) -> None:
    """Compile an invoice backup. A progress line is shown on a terminal; Ctrl+C cancels and
    leaves nothing behind. Files that cannot be merged are replaced by a page naming them."""
    from data.config import locations
    from data.db import reading
    from data.documents.invoice_backups import compile_backup, invoices_of_project, plan_backup
    from data.documents.pdf_merge import MergeCancelled
    from data.documents.rendered_invoices import RenderedInvoices
    from data.models import InvoiceStatus
    from data.refusals import Refusal
    from data.services.actors import actor_for_login
    from data.terminal_text import terminal_safe

    engine, login = _engine_and_login(demo, login_as)
    progress = _progress_line() if sys.stderr.isatty() else None
    try:
        with reading(engine) as session:
            actor = actor_for_login(session, login)
            chosen = list(invoice_ids) or invoices_of_project(
                session, actor, project_number, [InvoiceStatus(s) for s in statuses])
            if not chosen:
                _fail(f"project {project_number} has no invoice to back up"
                      + (" in that status" if statuses else ""))
            plan = plan_backup(session, actor, chosen)
        if plan.project_number != project_number:
            _fail(f"the invoices given are of project {plan.project_number}, not "
                  f"{project_number}")
        result = compile_backup(lambda: reading(engine), actor, plan, output,
                                now=datetime.now(), on_progress=progress,
                                rendered=RenderedInvoices(locations().rendered_invoices_dir))
    except Refusal as refusal:
        _fail(terminal_safe(str(refusal)))
        return
    except (KeyboardInterrupt, MergeCancelled):
        if progress:
            click.echo("", err=True)
        _fail("cancelled; nothing was written", code=130)
        return
    finally:
        engine.dispose()
    if progress:
        click.echo("", err=True)
    click.echo(terminal_safe(result.summary()))
    for gone in result.left_out:
        click.echo(terminal_safe(f"left out: {gone}"))
    for name in result.not_pdf:
        click.echo(terminal_safe(f"not a PDF, not in the backup: {name}"))


def _engine_and_login(demo: bool, login_as: str | None) -> tuple[Engine, str]:
    """The database and the person for a command that acts as someone: the demo database and
    its user, or the database in use and who it says you are."""
    if login_as and not demo:
        _fail("--as is for the demo database (add --demo); otherwise you act as yourself")
    if demo:
        from data.config import locations, sqlite_url
        from data.demo import DEFAULT_DEMO_LOGIN

        path = locations().demo_database_file
        if not path.exists():
            _fail("there is no demo database yet: run `payapp demo --no-app` first")
        return _open_database(sqlite_url(path), auto_migrate=False), login_as or DEFAULT_DEMO_LOGIN
    engine = _engine_for_admin(with_schema=True)
    if engine.dialect.name == "sqlite":
        return engine, getpass.getuser()
    from data.roles import session_role

    return engine, session_role(engine)


def _progress_line() -> Callable[[Progress], None]:
    """Prints the merge's progress on one line of standard error, rewritten in place."""
    import time

    started = time.monotonic()

    def show(progress: Progress) -> None:
        done, total, pages = progress.items_done, progress.items_total, progress.pages_written
        left = ""
        if 0 < done < total:
            seconds = round((time.monotonic() - started) / done * (total - done))
            left = f", about {seconds} s left"
        click.echo(f"\r{done}/{total} files, {pages} pages{left}\x1b[K", err=True, nl=False)

    return show


@users.command("mailer")
@click.argument("login")
def users_mailer(login: str) -> None:
    """Let a user's login role deliver the outbox (`payapp outbox deliver`): on PostgreSQL, a
    member of payapp_mailer, the only role that may mark an email sent or refused."""
    from data.outbox_delivery import OutboxError, make_mailer
    from data.roles import UserError
    from data.terminal_text import terminal_safe

    try:
        make_mailer(_engine_for_admin(with_schema=True), login)
    except (UserError, OutboxError) as error:
        _fail(terminal_safe(str(error)))
    click.echo(f"{login} may deliver the outbox now")


@main.group()
def outbox() -> None:
    """The notification emails: deliver them by SMTP (the `[smtp]` section of the config file),
    list those not sent, release one to be tried again."""


@outbox.command("deliver")
def outbox_deliver() -> None:
    """Send the emails that are due; prints what happened in one line. Exits 2 when the SMTP
    server cannot be reached or refuses the login (nothing is sent), 1 when an email was refused
    or is uncertain (see `payapp outbox list`), else 0."""
    from data.config import ConfigError, smtp_settings
    from data.outbox_delivery import DeliveryError, deliver, smtp_password
    from data.terminal_text import terminal_safe

    try:
        settings = smtp_settings()
        password = smtp_password(settings)
        summary = deliver(_engine_for_admin(with_schema=True), settings, password)
    except (ConfigError, DeliveryError) as error:
        _fail(terminal_safe(str(error)), code=2)
        return
    click.echo(summary.line())
    for answer in dict.fromkeys(summary.errors):
        click.echo(terminal_safe(f"  {answer}"))
    sys.exit(1 if summary.refused or summary.uncertain else 0)


@outbox.command("list")
def outbox_list() -> None:
    """The emails not sent: waiting, failed for now (with the server's last answer), refused,
    and uncertain (a delivery took them and ended without saying: check, then retry)."""
    from data.outbox_delivery import not_sent
    from data.terminal_text import terminal_safe

    rows = not_sent(_engine_for_admin(with_schema=True))
    if not rows:
        click.echo("every email has been sent")
    when = {"waiting": "queued", "failed for now": "next try", "refused": "refused",
            "uncertain": "taken"}
    for row in rows:
        click.echo(terminal_safe(
            f"{row.id:>6}  {row.state:<14} {when[row.state]} {row.since:%Y-%m-%d %H:%M} UTC  "
            f"attempts {row.attempts}  {row.to_address}  {row.subject}"))
        if row.last_error:
            click.echo(terminal_safe(f"        last error: {row.last_error}"))
    if any(row.state == "uncertain" for row in rows):
        click.echo("uncertain: a delivery took these and ended before it knew whether the server "
                   "had them. Look for the Message-ID <payapp-outbox-ID...> in the mail server's "
                   "log or the mailbox; if it is not there, `payapp outbox retry ID` sends it.")


@outbox.command("retry")
@click.argument("email_id", metavar="ID", type=int)
def outbox_retry(email_id: int) -> None:
    """Release an uncertain, refused or failed email: the next delivery sends it."""
    from data.outbox_delivery import OutboxError, retry

    try:
        state = retry(_engine_for_admin(with_schema=True), email_id)
    except OutboxError as error:
        _fail(str(error))
        return
    click.echo(f"email {email_id} ({state}) will be sent by the next delivery")


@outbox.command("login")
def outbox_login() -> None:
    """Store the SMTP password (the `[smtp]` user's) in the system keyring."""
    from data.config import ConfigError, smtp_settings
    from data.credentials import KeyringUnavailable
    from data.outbox_delivery import PASSWORD_VARIABLE, store_smtp_password

    try:
        settings = smtp_settings()
    except ConfigError as error:
        _fail(str(error), code=2)
        return
    if settings.user is None:
        _fail(f"the [smtp] section of {settings.source} names no user: the server takes no "
              "login, so there is no password to store")
    password = click.prompt(f"Password for {settings.user}@{settings.host}", hide_input=True)
    try:
        store_smtp_password(settings, password)
    except KeyringUnavailable as error:
        _fail(f"{error.problem}; set {PASSWORD_VARIABLE} for the delivery instead")
    click.echo("SMTP password stored in the system keyring.")


@main.group()
def reminders() -> None:
    """The invite reminders (before the due date, then daily after it): queue and deliver them
    from cron or a systemd timer, and say who may."""


@reminders.command("run")
def reminders_run() -> None:
    """Queue today's reminders into the outbox, then deliver the outbox; prints one line. Exits
    2 when the reminders cannot be queued or the SMTP server cannot be reached or refuses the
    login (the emails wait for the next run), 1 when an email was refused or is uncertain (see
    `payapp outbox list`), else 0."""
    from data.config import ConfigError, reminder_days_before, smtp_settings
    from data.outbox_delivery import DeliveryError, smtp_password
    from data.reminders.job import run
    from data.reminders.queue import ReminderError
    from data.terminal_text import terminal_safe

    try:
        days_before = reminder_days_before()
        settings = smtp_settings()
        password = smtp_password(settings)
        summary = run(_engine_for_admin(with_schema=True), settings, password,
                      days_before=days_before)
    except (ConfigError, DeliveryError, ReminderError) as error:
        _fail(terminal_safe(str(error)), code=2)
        return
    click.echo(summary.line())
    if summary.failure is not None:
        click.echo(terminal_safe(f"payapp: {summary.failure}"), err=True)
    elif summary.delivery is not None:
        for answer in dict.fromkeys(summary.delivery.errors):
            click.echo(terminal_safe(f"  {answer}"))
    sys.exit(summary.exit_code)


@reminders.command("allow")
@click.argument("login")
def reminders_allow(login: str) -> None:
    """Let a user's login role queue the reminders (`payapp reminders run`): on PostgreSQL, a
    member of payapp_reminder. The run also delivers: make it a mailer too
    (`payapp users mailer LOGIN`)."""
    from data.reminders.job import allow
    from data.reminders.queue import ReminderError
    from data.roles import UserError
    from data.terminal_text import terminal_safe

    try:
        allow(_engine_for_admin(with_schema=True), login)
    except (UserError, ReminderError) as error:
        _fail(terminal_safe(str(error)))
    click.echo(f"{login} may queue the invite reminders now")


# --- commitments set up by an invoice administrator ---------------------------------------------

_DEMO_OPTION = click.option("--demo", is_flag=True,
                            help="Use the demo database (see `payapp demo`).")
_AS_OPTION = click.option("--as", "login_as", metavar="LOGIN",
                          help="With --demo: act as this demo user.")
_IN_PROJECT = click.option("--project", "project_number", required=True, metavar="NUMBER",
                           help="The project (you administer it).")


@main.group()
def commitments() -> None:
    """Set up a project's commitments (invoice administrators): create one, import its schedule
    of values from CSV, list them."""


@commitments.command("create")
@_IN_PROJECT
@click.option("--number", required=True, help="The commitment's number, unique in the project.")
@click.option("--title", required=True)
@click.option("--company", required=True, help="The contract company (a subcontractor).")
@click.option("--new-company", is_flag=True, help="Create the company: it is new to payapp.")
@click.option("--contact", "contacts", multiple=True, metavar="LOGIN",
              help="An invoice contact (a user of the company); repeat for several.")
@click.option("--method", type=click.Choice(["amount", "unit"]), default="amount",
              show_default=True, help="Accounting method; fixed once the SOV has lines.")
@click.option("--work-retainage", metavar="PCT", callback=_decimal_option("percent"),
              help="Retainage on work, 0 to 100 (default 0).")
@click.option("--stored-retainage", metavar="PCT", callback=_decimal_option("percent"),
              help="Retainage on stored materials, 0 to 100 (default 0).")
@click.option("--sliding-scale", default="", metavar="STEPS",
              help="Up to five steps: '10% until 50% of original; 5% until $20,000'.")
@click.option("--stored-separately", is_flag=True, help="Bill stored materials separately.")
@_DEMO_OPTION
@_AS_OPTION
def commitments_create(project_number: str, number: str, title: str, company: str,
                       new_company: bool, contacts: tuple[str, ...], method: str,
                       work_retainage: Decimal | None, stored_retainage: Decimal | None,
                       sliding_scale: str, stored_separately: bool, demo: bool,
                       login_as: str | None) -> None:
    """Create a commitment of a project you administer."""
    from data.billing import Method
    from data.db import writing
    from data.refusals import Refusal
    from data.services.actors import actor_for_login
    from data.services.commitment_setup import (
        CommitmentTerms,
        create_commitment,
        parse_sliding_scale,
    )
    from data.terminal_text import terminal_safe

    engine, login = _engine_and_login(demo, login_as)
    try:
        terms = CommitmentTerms(
            number=number, title=title, company=company, new_company=new_company,
            contacts=contacts, method=Method(method),
            work_retainage=work_retainage or Decimal(0),
            stored_retainage=stored_retainage or Decimal(0),
            sliding_scale=parse_sliding_scale(sliding_scale),
            stored_materials_separately=stored_separately)
        with writing(engine) as session:
            made = create_commitment(session, actor_for_login(session, login), project_number,
                                     terms)
    except Refusal as refusal:
        _fail(terminal_safe(str(refusal)))
        return
    finally:
        engine.dispose()
    click.echo(terminal_safe(f"created commitment {made.number} {made.title} in project "
                             f"{made.project} ({made.company}, {made.method.value}-based)"))


@commitments.command("import-sov")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_IN_PROJECT
@click.option("--commitment", "commitment_number", required=True, metavar="NUMBER")
@_DEMO_OPTION
@_AS_OPTION
def commitments_import_sov(file: Path, project_number: str, commitment_number: str,
                           demo: bool, login_as: str | None) -> None:
    """Add a schedule of values from a CSV file with a header row: item, description, budget
    code, scheduled value (amount-based) or item, description, budget code, quantity, unit,
    unit price (unit-based). All or nothing: a rejected row imports nothing and is listed with
    its line number. Only before the commitment's first invoice."""
    from data.db import writing
    from data.file_folders import folders_for, upload_path
    from data.refusals import Refusal
    from data.services.actors import actor_for_login
    from data.services.commitment_setup import (
        SovImportRejected,
        find_commitment,
        import_sov,
        sov_file_text,
    )
    from data.terminal_text import terminal_safe

    engine, login = _engine_and_login(demo, login_as)
    try:
        text = sov_file_text(upload_path(str(file), folders_for(engine).upload))
        with writing(engine) as session:
            actor = actor_for_login(session, login)
            done = import_sov(session, actor, find_commitment(
                session, actor, project_number, commitment_number), text)
    except SovImportRejected as rejected:
        click.echo(f"payapp: {len(rejected.rows)} rows rejected; nothing was imported", err=True)
        for row in rejected.rows:
            click.echo(terminal_safe(f"  {row.describe()}"), err=True)
        sys.exit(1)
    except Refusal as refusal:
        _fail(terminal_safe(str(refusal)))
        return
    finally:
        engine.dispose()
    for line in done.describe():
        click.echo(terminal_safe(line))


@commitments.command("history")
@click.argument("sheet", type=click.Path(dir_okay=False, path_type=Path))
@_IN_PROJECT
@click.option("--commitment", "commitment_number", required=True, metavar="NUMBER")
@click.option("--application", type=click.IntRange(min=1), default=None,
              help="The sheet's application number, if the sheet does not say it.")
@click.option("--certificates", metavar="AMOUNT", callback=_decimal_option("money"),
              help="Certified for payment up to that application (default: its line 6).")
@_DEMO_OPTION
@_AS_OPTION
def commitments_history(sheet: Path, project_number: str, commitment_number: str,
                        application: int | None, certificates: Decimal | None, demo: bool,
                        login_as: str | None) -> None:
    """Enter what a commitment billed before payapp, from the G703 continuation sheet (CSV) of
    its last application filed elsewhere, once `payapp g702` finds it consistent: the first
    invoice in payapp takes the next application number and shows these figures as previous.
    Only before the commitment's first invoice."""
    from data.db import writing
    from data.file_folders import folders_for, upload_path
    from data.refusals import Refusal
    from data.services.actors import actor_for_login
    from data.services.commitment_history import history_from_g703, read_sheet, set_history
    from data.services.commitment_setup import find_commitment
    from data.terminal_text import terminal_safe

    engine, login = _engine_and_login(demo, login_as)
    try:
        text = read_sheet(upload_path(str(sheet), folders_for(engine).upload))
        with writing(engine) as session:
            actor = actor_for_login(session, login)
            commitment = find_commitment(session, actor, project_number, commitment_number)
            history = history_from_g703(session, actor, commitment, text,
                                        application=application, certificates=certificates)
            set_history(session, actor, commitment, history)
    except Refusal as refusal:
        _fail(terminal_safe(str(refusal)))
        return
    finally:
        engine.dispose()
    for line in history.describe(commitment_number):
        click.echo(terminal_safe(line))


@commitments.command("list")
@_IN_PROJECT
@_DEMO_OPTION
@_AS_OPTION
def commitments_list(project_number: str, demo: bool, login_as: str | None) -> None:
    """The project's commitments: number, title, company, method, retainage, lines, contract
    sum."""
    from data.db import reading
    from data.money import format_money, format_percent
    from data.refusals import Refusal
    from data.services.actors import actor_for_login
    from data.services.commitment_setup import commitments_of, describe_sliding_scale
    from data.terminal_text import terminal_safe

    engine, login = _engine_and_login(demo, login_as)
    try:
        with reading(engine) as session:
            rows = commitments_of(session, actor_for_login(session, login), project_number)
    except Refusal as refusal:
        _fail(terminal_safe(str(refusal)))
        return
    finally:
        engine.dispose()
    for row in rows:
        click.echo(terminal_safe(
            f"{row.number:<14} {row.title[:28]:<28} {row.company[:28]:<28} "
            f"{row.method.value:<6} {format_percent(row.work_retainage)}/"
            f"{format_percent(row.stored_retainage)} {row.line_count:>4} lines "
            f"{format_money(row.contract_sum):>16}"))
        if row.sliding_scale:
            click.echo(terminal_safe(f"{'':14} sliding scale: "
                                     f"{describe_sliding_scale(row.sliding_scale)}"))
    if not rows:
        click.echo(f"project {project_number} has no commitments yet")


@main.group()
def projects() -> None:
    """Projects (system administrators): create one, with its general contractor and its
    invoice administrators; list them."""


_WORDINGS = {"general-contractor": "general_contractor", "owner": "owner",
             "specialty-contractor": "specialty_contractor"}


@projects.command("create")
@click.argument("number")
@click.option("--name", required=True, help="The project's name.")
@click.option("--general-contractor", "general_contractor", required=True, metavar="COMPANY",
              help="The general contractor's company (created if new).")
@click.option("--street", default="")
@click.option("--city", default="")
@click.option("--state", default="", help="Two letters (CA, TX): picks the lien waiver forms.")
@click.option("--zip", "zip_code", default="")
@click.option("--owner", default="", help="The owner's name, as the pay application shows it.")
@click.option("--wording", type=click.Choice(sorted(_WORDINGS)), default="general-contractor",
              help="Whose words the project speaks (an owner says Contractor and Funding, a "
                   "specialty contractor Progress Billings).")
@click.option("--no-overbilling", is_flag=True,
              help="Refuse invoices that bill a line past its scheduled value.")
@click.option("--admin", "administrators", multiple=True, metavar="LOGIN",
              help="Put this invoice administrator on the project. Repeat for several.")
def projects_create(number: str, name: str, general_contractor: str, street: str, city: str,
                    state: str, zip_code: str, owner: str, wording: str, no_overbilling: bool,
                    administrators: tuple[str, ...]) -> None:
    """Create a project and put its invoice administrators on it, in one step; they set up
    its commitments and billing periods from there."""
    from data.assignments import AssignmentError
    from data.models import PointOfView
    from data.projects import ProjectError, add_project
    from data.terminal_text import terminal_safe

    try:
        row = add_project(_engine_for_admin(with_schema=True), number, name=name,
                          general_contractor=general_contractor, street=street, city=city,
                          state=state, zip_code=zip_code, owner=owner,
                          point_of_view=PointOfView(_WORDINGS[wording]),
                          overbilling_allowed=not no_overbilling,
                          administrators=administrators)
    except (ProjectError, AssignmentError) as error:
        _fail(terminal_safe(f"{error}; no project was created"))
        return
    click.echo(terminal_safe(f"created project {row.number} {row.name} "
                             f"(general contractor {row.general_contractor})"))
    for line in row.assigned:
        click.echo(terminal_safe(line))


@projects.command("list")
def projects_list() -> None:
    """The projects: number, name, general contractor, place, wording."""
    from data.projects import list_projects
    from data.terminal_text import terminal_safe

    rows = list_projects(_engine_for_admin(with_schema=True))
    if not rows:
        click.echo("no project yet: payapp projects create NUMBER --name NAME "
                   "--general-contractor COMPANY")
    for row in rows:
        place = ", ".join(part for part in (row.city, row.state) if part)
        click.echo(terminal_safe(f"{row.number:<12} {row.name:<40} {row.general_contractor:<32} "
                                 f"{place:<20} {row.point_of_view}"))


@main.group()
def periods() -> None:
    """Billing periods kept on schedule (invoice administrators)."""


@periods.command("schedule")
@_IN_PROJECT
@click.option("--monthly", "cadence", flag_value="monthly", help="A period every month.")
@click.option("--weekly", "cadence", flag_value="weekly", help="A period every week.")
@click.option("--by-hand", "cadence", flag_value="manual",
              help="No schedule: periods are opened and closed by hand.")
@click.option("--from", "starts_on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The first period's first day (YYYY-MM-DD; monthly: a day from 1 to 28).")
@click.option("--due-days", type=int, default=5, show_default=True,
              help="Invoices are due this many days before a period ends.")
@_DEMO_OPTION
@_AS_OPTION
def periods_schedule(project_number: str, cadence: str | None, starts_on: datetime | None,
                     due_days: int, demo: bool, login_as: str | None) -> None:
    """Keep a project's billing periods on schedule: `payapp reminders run` (daily) closes the
    open period once it has ended and opens the one holding the day."""
    from data.db import writing
    from data.period_schedule import Cadence
    from data.refusals import Refusal
    from data.services.actors import actor_for_login
    from data.services.billing_periods import schedule_periods
    from data.terminal_text import terminal_safe

    if cadence is None:
        _fail("say --monthly, --weekly or --by-hand")
        return
    engine, login = _engine_and_login(demo, login_as)
    try:
        with writing(engine) as session:
            said = schedule_periods(
                session, actor_for_login(session, login), project_number,
                cadence=Cadence(cadence), starts_on=starts_on.date() if starts_on else None,
                due_days_before_end=due_days)
    except Refusal as refusal:
        _fail(terminal_safe(str(refusal)))
        return
    finally:
        engine.dispose()
    click.echo(terminal_safe(said))
