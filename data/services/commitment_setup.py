"""Commitments set up by an invoice administrator (domain.md §1, §4): create and edit a
commitment of a project they administer, and import its schedule of values from CSV.

- The number is unique in the project; the contract company is an existing subcontractor
  company or a new one; invoice contacts are active users of that company with the invoice
  contact role.
- The accounting method (amount or unit based) is fixed once the commitment has SOV lines.
- Retainage rates for work and stored materials are percentages from 0 to 100, exact to four
  decimals (the `*_e4` columns); up to five sliding-scale steps, in order.
- SOV lines are imported only before the commitment's first invoice; after it the schedule
  grows only through change orders (data/services/change_orders.py). An import is all or
  nothing: one rejected row and nothing is written, and the refusal lists every rejected row.

Every change writes an audit entry. On PostgreSQL the database holds the same rules for the
person's own role (migration 0014).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, col, func, select

from data import audit_chain
from data.billing import CapKind, Method, unit_value
from data.models import (
    AppUser,
    ChangeOrder,
    ChangeOrderStatus,
    Commitment,
    CommitmentContact,
    Company,
    CompanyKind,
    Invoice,
    Project,
    RetainageRule,
    Role,
    SovLine,
    UserRole,
)
from data.money import (
    HUNDRED,
    MAX_UNIT_PRICE,
    PERCENT_SCALE,
    QUANTITY_PLACES,
    QUANTITY_SCALE,
    ZERO,
    MoneyError,
    format_money,
    format_percent,
    from_cents,
    from_scaled,
    parse_decimal,
    parse_money,
    parse_percent,
    parse_quantity,
    to_cents,
    to_scaled,
)
from data.services.access import is_project_admin
from data.services.actors import Actor
from data.services.errors import Invalid, NotAllowed, NotFound, saving
from data.terminal_text import holds_controls

MAX_SLIDING_STEPS = 5
MAX_SOV_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class SlidingStep:
    """`rate` % until the cap is held: `cap` % of the original or revised commitment value, or
    `cap` dollars (CapKind.AMOUNT)."""

    rate: Decimal
    cap_kind: CapKind
    cap: Decimal

    def describe(self) -> str:
        if self.cap_kind is CapKind.AMOUNT:
            return f"{format_percent(self.rate)} until {format_money(self.cap)} is held"
        which = "original" if self.cap_kind is CapKind.PERCENT_OF_ORIGINAL else "revised"
        return (f"{format_percent(self.rate)} until {format_percent(self.cap)} of the {which} "
                "commitment value is held")


@dataclass(frozen=True)
class CommitmentTerms:
    """Everything the administrator sets on a commitment. Rates are percent points."""

    number: str
    title: str
    company: str
    new_company: bool = False
    contacts: tuple[str, ...] = ()  # logins
    method: Method = Method.AMOUNT
    work_retainage: Decimal = ZERO
    stored_retainage: Decimal = ZERO
    sliding_scale: tuple[SlidingStep, ...] = ()
    stored_materials_separately: bool = False


@dataclass(frozen=True)
class CommitmentSummary:
    commitment_id: int
    project: str
    number: str
    title: str
    company: str
    method: Method
    work_retainage: Decimal
    stored_retainage: Decimal
    sliding_scale: tuple[SlidingStep, ...]
    stored_materials_separately: bool
    contacts: tuple[str, ...]
    line_count: int
    original_sum: Decimal
    approved_changes: Decimal

    @property
    def contract_sum(self) -> Decimal:
        return self.original_sum + self.approved_changes


# --- reading what was typed ---------------------------------------------------------------------

_STEP = re.compile(r"^(?P<rate>[^ ]+?)\s*%?\s+until\s+(?P<cap>.+?)"
                   r"(?:\s+of\s+(?:the\s+)?(?P<base>original|revised)"
                   r"(?:\s+commitment)?(?:\s+value)?)?(?:\s+is\s+held)?$", re.IGNORECASE)


def parse_sliding_scale(text: str) -> tuple[SlidingStep, ...]:
    """Steps separated by `;`: "10% until 50% of original; 5% until $20,000". Raises Invalid
    naming the step."""
    steps = []
    for number, part in enumerate((p.strip() for p in text.split(";") if p.strip()), start=1):
        match = _STEP.match(part)
        if match is None:
            raise Invalid(f"Sliding scale, step {number}: “{part[:40]}” should read like "
                          "“10% until 50% of original”, “5% until 50% of revised” or "
                          "“5% until $20,000”")
        try:
            rate = parse_percent(match["rate"])
            if match["base"]:
                kind = (CapKind.PERCENT_OF_ORIGINAL if match["base"].lower() == "original"
                        else CapKind.PERCENT_OF_REVISED)
                cap = parse_percent(match["cap"])
            else:
                kind, cap = CapKind.AMOUNT, parse_money(match["cap"])
        except MoneyError as error:
            raise Invalid(f"Sliding scale, step {number}: {error}") from error
        steps.append(SlidingStep(rate, kind, cap))
    return tuple(steps)


def describe_sliding_scale(steps: Sequence[SlidingStep]) -> str:
    return "; ".join(step.describe() for step in steps)


# --- checks -------------------------------------------------------------------------------------


def checked_text(label: str, value: str, limit: int, *, required: bool = True) -> str:
    """`value` trimmed, or Invalid naming `label`: empty when required, too long, or holding
    control characters."""
    value = value.strip()
    if required and not value:
        raise Invalid(f"{label}: it is empty")
    if len(value) > limit:
        raise Invalid(f"{label}: at most {limit} characters ({len(value)} given)")
    if holds_controls(value):
        raise Invalid(f"{label}: it holds control characters")
    return value


def _percent_e4(label: str, value: Decimal) -> int:
    if not ZERO <= value <= HUNDRED:
        raise Invalid(f"{label}: {format_percent(value, 4)} is not between 0 % and 100 %")
    try:
        return to_scaled(value, PERCENT_SCALE)
    except MoneyError as error:
        raise Invalid(f"{label}: {error}") from error


def _rule_rows(steps: Sequence[SlidingStep]) -> list[RetainageRule]:
    if len(steps) > MAX_SLIDING_STEPS:
        raise Invalid(f"Sliding scale: at most {MAX_SLIDING_STEPS} steps ({len(steps)} given)")
    rows = []
    for position, step in enumerate(steps, start=1):
        label = f"Sliding scale, step {position}"
        rate = _percent_e4(f"{label}, rate", step.rate)
        if step.cap_kind is CapKind.AMOUNT:
            if step.cap < ZERO:
                raise Invalid(f"{label}: the amount held cannot be below zero")
            try:
                cents = to_cents(step.cap)
            except MoneyError as error:
                raise Invalid(f"{label}: {error}") from error
            rows.append(RetainageRule(commitment_id=0, position=position, rate_e4=rate,
                                      cap_kind=step.cap_kind.value, cap_cents=cents))
        else:
            rows.append(RetainageRule(commitment_id=0, position=position, rate_e4=rate,
                                      cap_kind=step.cap_kind.value,
                                      cap_percent_e4=_percent_e4(f"{label}, cap", step.cap)))
    return rows


def _project(session: Session, actor: Actor, project_number: str) -> Project:
    project = session.exec(select(Project).where(Project.number == project_number.strip())).first()
    if project is None or project.id is None:
        raise NotFound(f"Project: there is no project {project_number.strip()!r}")
    if not (actor.has(Role.INVOICE_ADMINISTRATOR) and is_project_admin(session, actor, project.id)):
        raise NotAllowed(f"only an invoice administrator of project {project.number} sets up "
                         "its commitments")
    return project


def administered_commitment(session: Session, actor: Actor, commitment_id: int
                            ) -> tuple[Commitment, Project]:
    """The commitment, when the actor administers its project; else NotFound / NotAllowed."""
    commitment = session.get(Commitment, commitment_id)
    if commitment is None or commitment.id is None:
        raise NotFound(f"there is no commitment {commitment_id}")
    project = session.get(Project, commitment.project_id)
    assert project is not None
    if not (actor.has(Role.INVOICE_ADMINISTRATOR)
            and is_project_admin(session, actor, commitment.project_id)):
        raise NotAllowed(f"only an invoice administrator of project {project.number} changes "
                         f"commitment {commitment.number}")
    return commitment, project


def find_commitment(session: Session, actor: Actor, project_number: str, number: str) -> int:
    project = _project(session, actor, project_number)
    found = session.exec(select(Commitment.id).where(Commitment.project_id == project.id,
                                                     Commitment.number == number.strip())).first()
    if found is None:
        raise NotFound(f"Commitment: project {project.number} has no commitment {number!r}")
    return found


def _company(session: Session, name: str, *, new: bool) -> Company:
    name = checked_text("Contract company", name, 200)
    existing = session.exec(select(Company).where(
        Company.name == name, Company.kind == CompanyKind.SUBCONTRACTOR.value)
        .order_by(col(Company.id))).first()
    if new:
        if existing is not None:
            raise Invalid(f"Contract company: {name} exists already; choose it instead of "
                          "creating it again")
        company = Company(name=name, kind=CompanyKind.SUBCONTRACTOR.value)
        session.add(company)
        with saving("the contract company"):
            session.flush()
        return company
    if existing is None:
        raise Invalid(f"Contract company: there is no subcontractor company named {name}; "
                      "check the name, or create it as a new company")
    return existing


def _contact_ids(session: Session, company: Company, logins: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for login in dict.fromkeys(login.strip() for login in logins if login.strip()):
        user = session.exec(select(AppUser).where(AppUser.login == login,
                                                  AppUser.company_id == company.id)).first()
        if user is None or user.id is None or not user.active:
            raise Invalid(f"Invoice contacts: {company.name} has no active user {login!r}")
        if session.get(UserRole, (user.id, Role.INVOICE_CONTACT.value)) is None:
            raise Invalid(f"Invoice contacts: {login} is not an invoice contact (ask your "
                          "system administrator to give them that role)")
        found[login] = user.id
    return found


def _number_free(session: Session, project: Project, number: str, but: int | None) -> None:
    clash = session.exec(select(Commitment.id).where(Commitment.project_id == project.id,
                                                     Commitment.number == number)).first()
    if clash is not None and clash != but:
        raise Invalid(f"Number: project {project.number} has a commitment {number} already")


# --- reading a commitment back ------------------------------------------------------------------


def line_value(line: SovLine) -> Decimal:
    """Column C of a line: its scheduled value, or quantity × unit price to the cent."""
    if line.quantity_e4 is not None and line.unit_price_e4 is not None:
        return unit_value(from_scaled(line.quantity_e4, QUANTITY_SCALE),
                          from_scaled(line.unit_price_e4, QUANTITY_SCALE))
    return from_cents(line.scheduled_value_cents or 0)


def contract_sums(session: Session, commitment_id: int) -> tuple[Decimal, Decimal]:
    """(original contract sum, net change by approved change orders)."""
    rows = session.exec(select(SovLine, ChangeOrder.status)
                        .join(ChangeOrder, col(ChangeOrder.id) == SovLine.change_order_id,
                              isouter=True)
                        .where(SovLine.commitment_id == commitment_id)).all()
    original = sum((line_value(line) for line, status in rows if line.change_order_id is None),
                   ZERO)
    changes = sum((line_value(line) for line, status in rows
                   if status == ChangeOrderStatus.APPROVED.value), ZERO)
    return original, changes


def _steps(session: Session, commitment_id: int) -> tuple[SlidingStep, ...]:
    rules = session.exec(select(RetainageRule).where(RetainageRule.commitment_id == commitment_id)
                         .order_by(col(RetainageRule.position))).all()
    return tuple(SlidingStep(
        from_scaled(r.rate_e4, PERCENT_SCALE), CapKind(r.cap_kind),
        from_cents(r.cap_cents or 0) if r.cap_kind == CapKind.AMOUNT.value
        else from_scaled(r.cap_percent_e4 or 0, PERCENT_SCALE)) for r in rules)


def summary(session: Session, commitment: Commitment, project: Project) -> CommitmentSummary:
    assert commitment.id is not None
    company = session.get(Company, commitment.contract_company_id)
    contacts = session.exec(select(AppUser.login).join(
        CommitmentContact, col(CommitmentContact.user_id) == AppUser.id)
        .where(CommitmentContact.commitment_id == commitment.id)
        .order_by(col(AppUser.login))).all()
    count = session.exec(select(func.count()).select_from(SovLine)
                         .where(SovLine.commitment_id == commitment.id)).one()
    original, changes = contract_sums(session, commitment.id)
    return CommitmentSummary(
        commitment.id, project.number, commitment.number, commitment.title,
        company.name if company else f"company {commitment.contract_company_id}",
        Method(commitment.accounting_method),
        from_scaled(commitment.work_retainage_e4, PERCENT_SCALE),
        from_scaled(commitment.stored_retainage_e4, PERCENT_SCALE),
        _steps(session, commitment.id), commitment.stored_materials_separately,
        tuple(contacts), int(count), original, changes)


def commitments_of(session: Session, actor: Actor, project_number: str
                   ) -> list[CommitmentSummary]:
    project = _project(session, actor, project_number)
    found = session.exec(select(Commitment).where(Commitment.project_id == project.id)
                         .order_by(col(Commitment.number))).all()
    return [summary(session, commitment, project) for commitment in found]


def _audited(terms: CommitmentSummary) -> dict[str, object]:
    return {"number": terms.number, "title": terms.title, "company": terms.company,
            "accounting_method": terms.method.value,
            "work_retainage": format_percent(terms.work_retainage, 4),
            "stored_retainage": format_percent(terms.stored_retainage, 4),
            "sliding_scale": describe_sliding_scale(terms.sliding_scale),
            "stored_materials_separately": terms.stored_materials_separately,
            "contacts": ", ".join(terms.contacts)}


# --- creating and editing -----------------------------------------------------------------------


def _apply(session: Session, commitment: Commitment, project: Project, terms: CommitmentTerms,
           ) -> None:
    """Check `terms` and write them onto `commitment` (new or not) with its rules and contacts.
    Nothing is written before every field has passed its check."""
    number = checked_text("Number", terms.number, 50)
    title = checked_text("Title", terms.title, 200)
    _number_free(session, project, number, commitment.id)
    work = _percent_e4("Retainage on work", terms.work_retainage)
    stored = _percent_e4("Retainage on stored materials", terms.stored_retainage)
    rules = _rule_rows(terms.sliding_scale)
    method = Method(terms.method)
    if commitment.id is not None:
        _may_change(session, commitment, method, terms)
    company = _company(session, terms.company, new=terms.new_company)
    contacts = _contact_ids(session, company, terms.contacts)
    commitment.number, commitment.title = number, title
    commitment.contract_company_id = company.id or 0
    commitment.accounting_method = method.value
    commitment.work_retainage_e4, commitment.stored_retainage_e4 = work, stored
    commitment.stored_materials_separately = terms.stored_materials_separately
    session.add(commitment)
    with saving(f"commitment {number}"):
        session.flush()
    assert commitment.id is not None
    _replace_rules(session, commitment.id, rules)
    _replace_contacts(session, commitment.id, set(contacts.values()))


def _may_change(session: Session, commitment: Commitment, method: Method,
                terms: CommitmentTerms) -> None:
    if method.value != commitment.accounting_method:
        lines = session.exec(select(func.count()).select_from(SovLine)
                             .where(SovLine.commitment_id == commitment.id)).one()
        if lines:
            raise Invalid(f"Accounting method: it cannot change once the commitment has SOV "
                          f"lines (it has {lines})")
    company = session.get(Company, commitment.contract_company_id)
    same_company = (not terms.new_company and company is not None
                    and company.name == terms.company.strip())
    if not same_company and _first_invoice(session, commitment.id or 0) is not None:
        raise Invalid("Contract company: it cannot change once the commitment has invoices")


def _replace_rules(session: Session, commitment_id: int, rules: list[RetainageRule]) -> None:
    for old in session.exec(select(RetainageRule)
                            .where(RetainageRule.commitment_id == commitment_id)).all():
        session.delete(old)
    session.flush()  # the old positions go before the new ones take them
    for rule in rules:
        rule.commitment_id = commitment_id
        session.add(rule)
    with saving("the sliding scale"):
        session.flush()


def _replace_contacts(session: Session, commitment_id: int, user_ids: set[int]) -> None:
    current = {row.user_id: row for row in session.exec(
        select(CommitmentContact).where(CommitmentContact.commitment_id == commitment_id)).all()}
    for user_id, row in current.items():
        if user_id not in user_ids:
            session.delete(row)
    for user_id in user_ids - set(current):
        session.add(CommitmentContact(commitment_id=commitment_id, user_id=user_id))
    session.flush()


def create_commitment(session: Session, actor: Actor, project_number: str,
                      terms: CommitmentTerms) -> CommitmentSummary:
    project = _project(session, actor, project_number)
    commitment = Commitment(project_id=project.id or 0, number="", title="",
                            contract_company_id=0, accounting_method=Method(terms.method).value)
    _apply(session, commitment, project, terms)
    assert commitment.id is not None
    made = summary(session, commitment, project)
    audit_chain.record(session, actor.login, "create commitment", "commitment", commitment.id,
                       after={"project": project.number, **_audited(made)})
    return made


def edit_commitment(session: Session, actor: Actor, commitment_id: int,
                    terms: CommitmentTerms) -> CommitmentSummary:
    commitment, project = administered_commitment(session, actor, commitment_id)
    before = _audited(summary(session, commitment, project))
    _apply(session, commitment, project, terms)
    made = summary(session, commitment, project)
    after = _audited(made)
    changed = [key for key in after if after[key] != before[key]]
    if changed:
        audit_chain.record(session, actor.login, "edit commitment", "commitment", commitment_id,
                           before={k: before[k] for k in changed},
                           after={k: after[k] for k in changed})
    return made


# --- the schedule of values from CSV ------------------------------------------------------------


@dataclass(frozen=True)
class RejectedRow:
    line_number: int
    reason: str

    def describe(self) -> str:
        return f"line {self.line_number}: {self.reason}"


class SovImportRejected(Invalid):
    """A CSV import refused as a whole; `rows` says why, row by row."""

    def __init__(self, rows: Sequence[RejectedRow]) -> None:
        self.rows = tuple(rows)
        count = len(self.rows)
        super().__init__(f"{count} row{'s' if count != 1 else ''} rejected, nothing was "
                         "imported: " + "; ".join(row.describe() for row in self.rows))


@dataclass(frozen=True)
class SovImported:
    commitment: str
    lines_added: int
    original_sum: Decimal
    contract_sum: Decimal

    def describe(self) -> list[str]:
        return [f"{self.lines_added} lines added to the schedule of values of commitment "
                f"{self.commitment}",
                f"Original contract sum: {format_money(self.original_sum)}",
                f"Contract sum to date: {format_money(self.contract_sum)}"]


AMOUNT_COLUMNS = ("item", "description", "budget code", "scheduled value")
UNIT_COLUMNS = ("item", "description", "budget code", "quantity", "unit", "unit price")
_OPTIONAL = frozenset({"budget code"})
_ALIASES = {"item no": "item", "item no.": "item", "item number": "item", "#": "item",
            "description of work": "description", "amount": "scheduled value",
            "value": "scheduled value", "qty": "quantity", "price": "unit price"}


def _column_name(cell: str) -> str:
    name = " ".join(cell.strip().lower().split())
    return _ALIASES.get(name, name)


def _header(cells: Sequence[str], method: Method) -> tuple[list[str], list[RejectedRow]]:
    wanted = AMOUNT_COLUMNS if method is Method.AMOUNT else UNIT_COLUMNS
    other = UNIT_COLUMNS if method is Method.AMOUNT else AMOUNT_COLUMNS
    names = [_column_name(cell) for cell in cells]
    problems = []
    for name, cell in zip(names, cells, strict=True):
        if name in wanted:
            continue
        if name in other:
            kind = "unit" if method is Method.AMOUNT else "amount"
            problems.append(f"“{cell.strip()}” is a {kind}-based column; this commitment is "
                            f"{method.value}-based (its columns: {', '.join(wanted)})")
        else:
            problems.append(f"“{cell.strip()[:40]}” is not a column payapp knows "
                            f"(the columns: {', '.join(wanted)})")
    problems += [f"the column “{name}” appears twice" for name in dict.fromkeys(names)
                 if names.count(name) > 1]
    problems += [f"the column “{name}” is missing" for name in wanted
                 if name not in names and name not in _OPTIONAL]
    return names, [RejectedRow(1, problem) for problem in problems]


@dataclass
class _Row:
    line_number: int
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)

    def text(self, key: str, label: str, limit: int, *, required: bool = True) -> str:
        value = self.values.get(key, "").strip()
        if required and not value:
            self.problems.append(f"the {label} is empty")
        elif len(value) > limit:
            self.problems.append(f"the {label} is longer than {limit} characters")
        elif holds_controls(value):
            self.problems.append(f"the {label} holds control characters")
        return value

    def number(self, key: str, label: str) -> Decimal | None:
        raw = self.values.get(key, "")
        try:
            if key == "scheduled value":
                value = parse_money(raw)
            elif key == "quantity":
                value = parse_quantity(raw)
            else:
                value = parse_decimal(raw, places=QUANTITY_PLACES, what="unit price",
                                      limit=MAX_UNIT_PRICE)
        except MoneyError as error:
            self.problems.append(f"{label}: {error}")
            return None
        if value < ZERO:
            self.problems.append(f"{label}: {raw.strip()} is below zero (a deduction is a "
                                 "change order)")
            return None
        return value


def _sov_line(row: _Row, method: Method) -> SovLine:
    line = SovLine(commitment_id=0, position=0,
                   item_no=row.text("item", "item number", 20),
                   description=row.text("description", "description", 500),
                   budget_code=row.text("budget code", "budget code", 50, required=False))
    if method is Method.AMOUNT:
        value = row.number("scheduled value", "scheduled value")
        line.scheduled_value_cents = to_cents(value) if value is not None else None
        return line
    quantity = row.number("quantity", "quantity")
    price = row.number("unit price", "unit price")
    line.unit = row.text("unit", "unit", 20)
    if quantity is not None and quantity == ZERO:
        row.problems.append("quantity: it must be more than 0")
    if quantity is not None and price is not None:
        line.quantity_e4 = to_scaled(quantity, QUANTITY_SCALE)
        line.unit_price_e4 = to_scaled(price, QUANTITY_SCALE)
    return line


def read_sov_csv(text: str, method: Method, existing_items: Iterable[str] = ()
                 ) -> list[SovLine]:
    """The lines of a CSV file (header row first), or SovImportRejected naming every rejected
    row. `existing_items`: item numbers the schedule holds already."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        records = [(reader.line_num, cells) for cells in reader]
    except csv.Error as error:
        raise SovImportRejected([RejectedRow(reader.line_num, f"not CSV ({error})")]) from error
    records = [(n, cells) for n, cells in records if any(cell.strip() for cell in cells)]
    if not records:
        raise Invalid("the file is empty: it needs a header row and one row per line")
    header_line, header_cells = records[0]
    names, rejected = _header(header_cells, method)
    if rejected:
        raise SovImportRejected([RejectedRow(header_line, r.reason) for r in rejected])
    if len(records) == 1:
        raise Invalid("the file has a header row but no lines under it")
    seen = {item: "the schedule of values" for item in existing_items}
    lines = []
    for line_number, cells in records[1:]:
        if len(cells) != len(names):
            rejected.append(RejectedRow(line_number, f"{len(cells)} columns, the header has "
                                                     f"{len(names)}"))
            continue
        row = _Row(line_number, dict(zip(names, cells, strict=True)))
        line = _sov_line(row, method)
        if line.item_no and line.item_no in seen:
            row.problems.append(f"item {line.item_no} is already on {seen[line.item_no]}")
        elif line.item_no:
            seen[line.item_no] = f"line {line_number}"
        if row.problems:
            rejected.append(RejectedRow(line_number, "; ".join(row.problems)))
        lines.append(line)
    if rejected:
        raise SovImportRejected(rejected)
    return lines


def sov_file_text(path: Path) -> str:
    """A CSV file's text (UTF-8, a spreadsheet's BOM allowed), or Invalid saying why not."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SOV_FILE_BYTES + 1)
    except OSError as error:
        raise Invalid(f"{path} cannot be read ({error.strerror or error})") from error
    if len(data) > MAX_SOV_FILE_BYTES:
        raise Invalid(f"{path} is larger than {MAX_SOV_FILE_BYTES // (1024 * 1024)} MB: "
                      "not a schedule of values")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid(f"{path} is not UTF-8 text: save it from the spreadsheet as "
                      "“CSV UTF-8”") from error


def _first_invoice(session: Session, commitment_id: int) -> int | None:
    return session.exec(select(Invoice.position).where(Invoice.commitment_id == commitment_id)
                        .order_by(col(Invoice.position)).limit(1)).first()


def import_sov(session: Session, actor: Actor, commitment_id: int, text: str) -> SovImported:
    """Add the CSV's lines after the commitment's lines, all or none."""
    commitment, _project = administered_commitment(session, actor, commitment_id)
    if _first_invoice(session, commitment_id) is not None:
        raise Invalid(f"commitment {commitment.number} has invoices: its schedule of values "
                      "takes new lines only through change orders")
    existing = session.exec(select(SovLine.item_no, SovLine.position)
                            .where(SovLine.commitment_id == commitment_id)).all()
    lines = read_sov_csv(text, Method(commitment.accounting_method),
                         (item for item, _ in existing))
    last = max((p for _, p in existing), default=0)
    for position, line in enumerate(lines, start=last + 1):
        line.commitment_id, line.position = commitment_id, position
        session.add(line)
    with saving(f"the schedule of values of commitment {commitment.number}"):
        session.flush()
    original, changes = contract_sums(session, commitment_id)
    audit_chain.record(session, actor.login, "import schedule of values", "commitment",
                       commitment_id, after={
                           "lines": len(lines), "items": ", ".join(ln.item_no for ln in lines),
                           "original_sum": format_money(original)})
    return SovImported(commitment.number, len(lines), original, original + changes)
