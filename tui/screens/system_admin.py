"""The system administrator's screen: the users (add, put on projects and commitments, disable),
the outbox's emails not sent (with the server's last answer; retry), and the database (its
schema revision beside this payapp's, the audit trail's check, who is blocking whom). It does
what the `payapp users`, `payapp outbox`, `payapp db` and `payapp audit verify` commands do,
with the same functions, through tui.service_calls.call_with_engine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane

from data.models import Role
from data.terminal_text import terminal_safe
from data.wording import ROLE_LABELS
from tui.dialogs import Choose, Report
from tui.service_calls import ServiceFailed, ServiceRefused, acting, call_with_engine
from tui.widgets.cells import plain
from tui.widgets.fitted_columns import Column, Layout, Shape, fit
from tui.widgets.form import FormField, FormScreen
from tui.widgets.quiet_footer import QuietFooter

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from data.audit_chain import Verdict
    from data.outbox_delivery import WaitingEmail
    from data.roles import UserRow
    from data.who_blocks import Block

ROLE_SHORT = {"invoice_contact": "contact", "invoice_administrator": "administrator",
              "support": "support", "system_administrator": "system"}
ROLE_NAMES = ", ".join(ROLE_SHORT.values())


@dataclass(frozen=True)
class SystemState:
    users: list[UserRow]
    outbox: list[WaitingEmail]
    database_revision: str | None
    payapp_revision: str
    shared: bool  # PostgreSQL: locks can be waited for
    blocks: list[Block]
    may_manage_users: bool  # the role in use may create login roles and write app_user


USERS_FROM_THE_COMMAND_LINE = (
    "On the shared database, your own login role cannot create others: add, assign and disable "
    "users from the command line with the DBA role (payapp users add, assign, disable).")


def read_state(engine: Engine) -> SystemState:
    from data import migrate
    from data.outbox_delivery import not_sent
    from data.roles import list_users
    from data.who_blocks import blocks

    shared = engine.dialect.name == "postgresql"
    return SystemState(list_users(engine), not_sent(engine), migrate.current_revision(engine),
                       migrate.head_revision(), shared, blocks(engine) if shared else [],
                       not shared or _may_manage_users(engine))


def _may_manage_users(engine: Engine) -> bool:
    from sqlalchemy import text

    with engine.connect() as connection:
        return bool(connection.execute(text(
            "SELECT (SELECT rolcreaterole FROM pg_roles WHERE rolname = session_user) "
            "AND has_table_privilege('app_user', 'INSERT')")).scalar_one())


class StateRead(Message):
    def __init__(self, state: SystemState) -> None:
        super().__init__()
        self.state = state


class Done(Message):
    """A change was made (`say` says which); the lists are read again."""

    def __init__(self, say: str) -> None:
        super().__init__()
        self.say = say


class AuditChecked(Message):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__()
        self.verdict = verdict


USERS = Layout(
    columns=(
        Column("login", (Shape("Login", lambda u: plain(u.login)),)),
        Column("name", (Shape("Name", lambda u: plain(u.display_name), max_width=24),)),
        Column("company", (Shape("Company", lambda u: plain(u.company)),)),
        Column("roles", (Shape("Roles", lambda u: plain(
            ", ".join(ROLE_SHORT.get(r, r) for r in u.roles))),)),
        Column("state", (Shape("State", lambda u: plain(
            "active" if u.active else "disabled", "" if u.active else "dim")),)),
    ),
    flex="company", flex_min=12, squeeze=("name",),
)

OUTBOX = Layout(
    columns=(
        Column("id", (Shape("ID", lambda e: plain(str(e.id))),)),
        Column("state", (Shape("State", lambda e: plain(e.state)),)),
        Column("since", (Shape("Since (UTC)", lambda e: plain(f"{e.since:%b %d %H:%M}")),
                         Shape("Since", lambda e: plain(f"{e.since:%b %d}")))),
        Column("tries", (Shape("Tries", lambda e: plain(str(e.attempts))),)),
        Column("to", (Shape("To", lambda e: plain(e.to_address)),
                      Shape("To", lambda e: plain(e.to_address), max_width=28),
                      Shape("To", lambda e: plain(e.to_address), max_width=16))),
        Column("subject", (Shape("Subject", lambda e: plain(e.subject)),)),
    ),
    flex="subject", flex_min=24, squeeze=("to", "since", "to", "since"),
)


class SystemAdminScreen(Screen[None]):
    DEFAULT_CSS = """
    SystemAdminScreen TabbedContent { height: 1fr; }
    SystemAdminScreen TabPane { height: 1fr; padding: 0; }
    SystemAdminScreen #who { height: 1; padding: 0 1; background: $boost; }
    SystemAdminScreen DataTable { height: 1fr; }
    SystemAdminScreen #database-text { padding: 0 1; }
    SystemAdminScreen #detail { height: auto; max-height: 4; padding: 0 1; background: $boost; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "tab('users')", "Users", id="system.users", show=False,
                tooltip="The users"),
        Binding("o", "tab('outbox')", "Outbox", id="system.outbox", show=False,
                tooltip="The emails not sent yet"),
        Binding("d", "tab('database')", "Database", id="system.database", show=False,
                tooltip="Schema revision, audit trail, locks"),
        Binding("a", "add_user", "Add", id="system.add", tooltip="Add a user"),
        Binding("g", "assign", "Assign", id="system.assign",
                tooltip="Put the highlighted user on projects or commitments"),
        Binding("x", "disable", "Disable", id="system.disable",
                tooltip="Stop the highlighted user from opening payapp"),
        Binding("t", "retry", "Retry", id="system.retry",
                tooltip="Send the highlighted email again with the next delivery"),
        Binding("v", "verify", "Verify", id="system.verify",
                tooltip="Check the audit trail's hash chain"),
        Binding("r", "refresh", "Refresh", id="system.refresh",
                tooltip="Read everything again from the database"),
        Binding("question_mark", "keys", "Keys", id="system.keys", key_display="?",
                tooltip="Every key of this screen"),
    ]

    _state: SystemState | None = None
    _verdict: str = "Not checked yet: v checks the audit trail's hash chain."

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="who")
        with TabbedContent(initial="users"):
            with TabPane("Users", id="users"):
                yield DataTable(id="users-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Outbox", id="outbox"):
                yield DataTable(id="outbox-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Database", id="database"), VerticalScroll(id="database-scroll"):
                yield Static(id="database-text")
        yield Static(id="detail")
        yield QuietFooter(compact=True)

    def on_mount(self) -> None:
        demo = "  [demo: ctrl+p → Act as…]" if acting(self).demo else ""
        self.query_one("#who", Static).update(Text(
            terminal_safe(f"{acting(self).login} · system administrator · keys u, o, d: the "
                          f"tabs{demo}"), no_wrap=True, overflow="ellipsis"))
        self.load()

    def load(self) -> None:
        call_with_engine(self, "Reading users, outbox and database", read_state, StateRead,
                         group="system-load")

    def say(self, text: str, *, error: bool = False) -> None:
        self.notify(terminal_safe(text, multiline=True), severity="error" if error else
                    "information", timeout=8 if error else 5)

    # --- what is shown ------------------------------------------------------------------

    def on_state_read(self, event: StateRead) -> None:
        first_read = self._state is None
        self._state = event.state
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("users").label = Text(f"Users ({len(event.state.users)})")
        tabs.get_tab("outbox").label = Text(f"Outbox ({len(event.state.outbox)} not sent)")
        self._lay_out()
        self._show_database()
        if first_read:
            self.query_one("#users-table", DataTable).focus()
        self._show_detail()
        self.refresh_bindings()

    def _active(self) -> str:
        return self.query_one(TabbedContent).active or "users"

    def _rows(self, kind: str) -> Sequence[Any]:
        if self._state is None:
            return ()
        return self._state.users if kind == "users" else self._state.outbox

    def _lay_out(self) -> None:
        for kind, layout in (("users", USERS), ("outbox", OUTBOX)):
            table = self.query_one(f"#{kind}-table", DataTable)
            rows = self._rows(kind)
            cursor = table.cursor_row
            table.clear(columns=True)
            width = (self.size.width or self.app.size.width) - table.styles.scrollbar_size_vertical
            columns = fit(layout, rows, width, padding=2 * table.cell_padding)
            for column, shape, column_width in columns:
                table.add_column(shape.caption, width=column_width, key=column.key)
            for row in rows:
                table.add_row(*(shape.cell(row) for _, shape, _ in columns))
            if rows:
                table.move_cursor(row=min(max(cursor, 0), len(rows) - 1), animate=False)

    def on_resize(self) -> None:
        if self._state is not None:
            self._lay_out()

    def _highlighted(self, kind: str) -> Any | None:
        rows = self._rows(kind)
        row = self.query_one(f"#{kind}-table", DataTable).cursor_row
        return rows[row] if rows and 0 <= row < len(rows) else None

    def _show_detail(self) -> None:
        kind = self._active()
        shown = ""
        if kind == "users" and (user := self._highlighted("users")) is not None:
            roles = ", ".join(ROLE_LABELS.get(Role(r), r) if r in ROLE_SHORT else r
                              for r in user.roles)
            shown = (f"{user.login}: {user.display_name}, {user.company}; {roles}; "
                     f"{user.email or 'no email'}; {'active' if user.active else 'disabled'}")
        elif kind == "users" and self._state is not None:
            shown = "No user yet: a adds one." if self._state.may_manage_users else ""
        if kind == "users" and self._state is not None and not self._state.may_manage_users:
            shown = f"{shown}\n{USERS_FROM_THE_COMMAND_LINE}".strip()
        elif kind == "outbox" and (email := self._highlighted("outbox")) is not None:
            shown = f"#{email.id} to {email.to_address}: {email.subject}"
            if email.last_error:
                shown += f" · last error: {email.last_error}"
        elif kind == "outbox" and self._state is not None:
            shown = "Every email has been sent."
        detail = self.query_one("#detail", Static)
        detail.update(Text(terminal_safe(shown, multiline=True)))
        detail.display = bool(shown)

    def _show_database(self) -> None:
        state = self._state
        if state is None:
            return
        from data.config import redacted

        same = state.database_revision == state.payapp_revision
        lines = [
            f"Database: {redacted(acting(self).engine.url.render_as_string())}",
            f"Schema revision: database {state.database_revision or '(empty)'}, payapp "
            f"{state.payapp_revision}" + ("" if same else
                                         " — run `payapp db upgrade` to bring it up to date"),
            "",
            f"Audit trail: {self._verdict}",
            "",
        ]
        if not state.shared:
            lines.append("Locks: a local SQLite file; one payapp writes to it at a time.")
        elif not state.blocks:
            lines.append("Locks: nobody is waiting for a lock.")
        else:
            lines.append("Locks: these sessions are waiting:")
            for block in state.blocks:
                lines.append(f"  waiting: {block.waiting.describe()}")
                lines += [f"    held by: {holder.describe()}" for holder in block.holders]
            lines.append("To end a session that holds a lock: SELECT pg_terminate_backend(PID); "
                         "as the server's superuser or a member of pg_signal_backend.")
        self.query_one("#database-text", Static).update(
            Text(terminal_safe("\n".join(lines), multiline=True)))

    def on_tabbed_content_tab_activated(self, _event: TabbedContent.TabActivated) -> None:
        self._show_detail()
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab = self._active() if self.is_mounted else "users"
        managing = self._state is not None and self._state.may_manage_users
        if action in ("assign", "disable"):
            user = self._highlighted("users") if self._state else None
            return managing and tab == "users" and user is not None and (
                action == "assign" or user.active)
        if action == "add_user":
            return managing and tab == "users"
        if action == "retry":  # an email waiting for the next delivery needs no retry
            email = self._highlighted("outbox") if self._state else None
            return tab == "outbox" and email is not None and email.state != "waiting"
        if action == "verify":
            return tab == "database"
        return True

    # --- keys ----------------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab != "database":
            self.query_one(f"#{tab}-table", DataTable).focus()
        self._show_detail()
        self.refresh_bindings()

    def action_refresh(self) -> None:
        self.load()

    def on_done(self, event: Done) -> None:
        self.say(event.say)
        self.load()

    def on_service_refused(self, event: ServiceRefused) -> None:
        self.say(event.text, error=True)

    def on_service_failed(self, event: ServiceFailed) -> None:
        self.say(event.text, error=True)

    def action_add_user(self) -> None:
        from data.roles import check_login

        def a_login(text: str) -> str | None:
            try:
                check_login(text.strip())
            except ValueError as error:
                return str(error)
            return None

        fields = [
            FormField("login", "Login", "", a_login),
            FormField("name", "Name", "", None),
            FormField("email", "Email", "", _an_email),
            FormField("company", "Company", "",
                      lambda t: None if t.strip() else "the user's company"),
            FormField("roles", "Roles", "contact", _some_roles, placeholder=ROLE_NAMES),
            FormField("gc", "Company is the GC", "n", _yes_or_no, placeholder="y or n"),
            FormField("projects", "Projects", "", None, placeholder="numbers, with commas"),
            FormField("commitments", "Commitments", "", None,
                      placeholder="numbers, with commas"),
        ]
        self.app.push_screen(FormScreen(
            "Add a user", fields,
            intro=f"Roles: {ROLE_NAMES}, with commas. On PostgreSQL the user gets their own "
                  "login role. An administrator is put on projects, a contact on commitments. "
                  "A new company is a subcontractor unless it is the general contractor (GC)."),
            self._add)

    def _add(self, values: Mapping[str, str] | None) -> None:
        if values is None:
            return
        from data.assignments import AssignmentError
        from data.models import CompanyKind, Role
        from data.roles import UserError, add_user

        login = values["login"].strip()

        def work(engine: Engine) -> str:
            row = add_user(
                engine, login, company=values["company"].strip(),
                roles=frozenset(Role(r) for r in _roles(values["roles"])),
                display_name=values["name"].strip(), email=values["email"].strip(),
                company_kind=CompanyKind.GENERAL_CONTRACTOR
                if values["gc"].strip().lower().startswith("y") else CompanyKind.SUBCONTRACTOR,
                projects=_numbers(values["projects"]),
                commitments=_numbers(values["commitments"]))
            put = "; ".join(row.assigned.describe(row.login)) if row.assigned else ""
            return _sentence(f"Added {row.login} ({row.display_name}), {row.company}") + (
                f" {_sentence(put)}" if put else "")

        call_with_engine(self, f"Adding {login}", work, Done,
                         refused_by=(UserError, AssignmentError), group="system-change")

    def action_assign(self) -> None:
        user = self._highlighted("users")
        if user is None:
            return
        fields = [FormField("projects", "Projects", "", None, placeholder="numbers, with commas"),
                  FormField("commitments", "Commitments", "", None,
                            placeholder="numbers, with commas")]

        def chosen(values: Mapping[str, str] | None) -> None:
            if values is not None:
                self._assign(user.login, _numbers(values["projects"]),
                             _numbers(values["commitments"]))

        self.app.push_screen(FormScreen(
            f"Put {user.login} to work", fields, check_all=_something_to_assign,
            intro="Projects for an invoice administrator; commitments for an invoice contact "
                  "(with their project's number when two projects use the same one)."), chosen)

    def _assign(self, login: str, projects: list[str], commitments: list[str]) -> None:
        from data.assignments import AssignmentError, assign

        def work(engine: Engine) -> str:
            assigned = assign(engine, login, projects=projects, commitments=commitments)
            put = "; ".join(assigned.describe(login))
            return _sentence(put) if put else f"{login} was already on them."

        call_with_engine(self, f"Putting {login} to work", work, Done,
                         refused_by=(AssignmentError,), group="system-change")

    def action_disable(self) -> None:
        user = self._highlighted("users")
        if user is None:
            return
        from data.roles import UserError, disable_user

        def work(engine: Engine) -> str:
            disable_user(engine, user.login)
            return f"{user.login} can no longer open payapp."

        def answer(choice: str | None) -> None:
            if choice == "disable":
                call_with_engine(self, f"Disabling {user.login}", work, Done,
                                 refused_by=(UserError,), group="system-change")

        self.app.push_screen(Choose(
            f"Disable {user.login} ({user.display_name}, {user.company})? They can no longer "
            "open payapp; on PostgreSQL their database role can no longer log in. Their "
            "invoices and history stay.", [("disable", "Disable"), ("keep", "Keep")]), answer)

    def action_retry(self) -> None:
        email = self._highlighted("outbox")
        if email is None:
            return
        from data.outbox_delivery import OutboxError, retry

        def work(engine: Engine) -> str:
            state = retry(engine, email.id)
            return f"Email #{email.id} ({state}) will be sent by the next delivery."

        def answer(choice: str | None) -> None:
            if choice == "retry":
                call_with_engine(self, f"Releasing email #{email.id}", work, Done,
                                 refused_by=(OutboxError,), group="system-change")

        warning = (" A delivery took it and ended without knowing whether the server had it: "
                   "look for it in the mail server's log first, or it may arrive twice."
                   if email.state == "uncertain" else "")
        self.app.push_screen(Choose(
            f"Send email #{email.id} to {email.to_address} again with the next delivery?"
            + warning, [("retry", "Retry"), ("keep", "Leave it")]), answer)

    def action_verify(self) -> None:
        from sqlmodel import Session

        from data.audit_chain import verify_database

        def work(engine: Engine) -> Verdict:
            with Session(engine) as session:
                return verify_database(session)

        self._verdict = "checking…"
        self._show_database()
        call_with_engine(self, "Checking the audit trail", work, AuditChecked,
                         group="system-verify")

    def on_audit_checked(self, event: AuditChecked) -> None:
        self._verdict = verdict_text(event.verdict)
        self._show_database()
        self.say(f"Audit trail: {self._verdict}", error=bool(event.verdict.breaks))

    def action_keys(self) -> None:
        lines = [f"{b.key_display or self.app.get_key_display(b)}: {b.tooltip or b.description}"
                 for b in self.BINDINGS if isinstance(b, Binding)]
        lines += ["↑ ↓: choose a row; the line under the list shows the whole row",
                  "Tab: move between the tabs and the list",
                  "Ctrl+P: every command, by name", "Ctrl+Q: quit payapp"]
        self.app.push_screen(Report("Keys on this screen", lines))

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Show users", "Add, assign, disable", lambda: self.action_tab("users"))
        yield SystemCommand("Show the outbox", "The emails not sent yet",
                            lambda: self.action_tab("outbox"))
        yield SystemCommand("Show the database", "Schema revision, audit trail, locks",
                            lambda: self.action_tab("database"))
        if self._state is not None and self._state.may_manage_users:
            yield SystemCommand("Add a user", "Login, company, roles", self.action_add_user)
        yield SystemCommand("Check the audit trail", "Its hash chain", self.action_verify)
        yield SystemCommand("Refresh", "Read everything again from the database", self.load)


def verdict_text(verdict: Verdict) -> str:
    from data.audit_chain import WHO_SEES_THE_WHOLE_TRAIL

    if verdict.view == "none":
        return (f"the database role {verdict.role} may not read the audit trail; check it as "
                f"{WHO_SEES_THE_WHOLE_TRAIL}.")
    if verdict.breaks:
        first = verdict.breaks[0]
        return (f"{verdict.count} entries read; {len(verdict.breaks)} problem(s), the first at "
                f"entry {first.entry_id}: {first.problem}.")
    if verdict.partial:
        return (f"{verdict.count} entries read, only part of the trail (the role "
                f"{verdict.role} sees its own entries): check it as "
                f"{WHO_SEES_THE_WHOLE_TRAIL}.")
    unsealed = (f" {verdict.unsealed} newer entries are not chained yet; check again in a "
                "moment." if verdict.unsealed else "")
    return f"{verdict.count} entries read; the chain is intact.{unsealed}"


def _sentence(text: str) -> str:
    return text if text.endswith(".") else f"{text}."


def _roles(text: str) -> list[str]:
    by_short = {short: role for role, short in ROLE_SHORT.items()}
    words = [w.strip().lower() for w in text.replace(";", ",").split(",") if w.strip()]
    return [by_short.get(w, w) for w in words]


def _some_roles(text: str) -> str | None:
    roles = _roles(text)
    unknown = [r for r in roles if r not in ROLE_SHORT]
    if not roles:
        return f"at least one of {ROLE_NAMES}"
    if unknown:
        return f"“{unknown[0][:20]}” is not a role: {ROLE_NAMES}"
    return None


def _an_email(text: str) -> str | None:
    text = text.strip()
    if text and ("@" not in text or " " in text):
        return f"“{text[:30]}” is not an email address"
    return None


def _yes_or_no(text: str) -> str | None:
    return None if text.strip().lower() in ("y", "yes", "n", "no") else "y or n"


def _numbers(text: str) -> list[str]:
    return [n.strip() for n in text.replace(";", ",").split(",") if n.strip()]


def _something_to_assign(values: Mapping[str, str]) -> str | None:
    if not _numbers(values["projects"]) and not _numbers(values["commitments"]):
        return "Give at least one project or commitment number."
    return None
