"""Invoice backups (domain.md §7): one PDF holding, for each chosen invoice of one project, the
invoice itself (summary and schedule of values) followed by its PDF attachments, ordered by
commitment number and then invoice position.

`plan_backup` checks who asks and what is asked in one short reading and says what will go in;
`compile_backup` then writes the file, reading each invoice in its own short session so that no
transaction stays open while files are merged (the database ends a transaction left idle). The
merge itself, with its limits on people's files and its pages for files left out, is
data.documents.pdf_merge's; here the invoices become the items it merges, one at a time: each
invoice's own PDF is taken from the person's rendered invoices (data.documents.rendered_invoices)
or drawn, and each attachment is copied into a private temporary folder and deleted once merged,
so the whole selection is never in memory at once.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Collection, Generator, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from pathlib import Path
from queue import Full, Queue

from sqlmodel import Session, col, select

from data.documents.export_files import claim_new_path
from data.documents.invoice_pdf import render_invoice_pdf
from data.documents.pdf_merge import MergeItem, MergeResult, Progress, merge_pdfs
from data.documents.rendered_invoices import RenderedInvoices
from data.models import (
    BillingPeriod,
    Commitment,
    Company,
    Invoice,
    InvoiceStatus,
    Project,
    Role,
)
from data.refusals import Refusal
from data.services.access import require_visible
from data.services.actors import Actor
from data.services.attachments import AttachmentRow, copy_attachment_to, list_attachments
from data.services.errors import Invalid, NotAllowed, NotFound
from data.services.invoice_views import load_invoice
from data.terminal_text import terminal_safe
from data.wording import STATUS_LABELS, backup_file_name, word
from data.workflow import Standing

_log = logging.getLogger("payapp.backups")
MADE_AHEAD = 2  # files made before the merge asks for them: a bound on the disk they take
ONLY_ADMINISTRATORS = ("only the project's invoice administrators and support compile invoice "
                       "backups")
_PDF = "application/pdf"


@dataclass(frozen=True)
class BackupInvoice:
    invoice_id: int
    commitment_number: str
    position: int
    company: str
    caption: str  # "Invoice #3 · SC-001 Framing · Acme Framing", in the project's words
    attachments: tuple[AttachmentRow, ...]  # the PDFs, in the order they were attached
    not_pdf: tuple[str, ...]  # other files' names: they cannot go into a PDF


@dataclass(frozen=True)
class BackupPlan:
    project_number: str
    project_name: str
    point_of_view: str
    invoices: tuple[BackupInvoice, ...]

    @property
    def files_total(self) -> int:
        """What will be merged: each invoice's own PDF and its PDF attachments."""
        return sum(1 + len(invoice.attachments) for invoice in self.invoices)

    def describe(self) -> str:
        """One sentence for a confirmation: how many invoices and files, of which project."""
        invoices = word("Invoices" if len(self.invoices) != 1 else "Invoice",
                        self.point_of_view).lower()
        attached = self.files_total - len(self.invoices)
        return (f"{len(self.invoices)} {invoices} of project {self.project_number} "
                f"{self.project_name}, with {attached} PDF attachment"
                f"{'' if attached == 1 else 's'}")


@dataclass(frozen=True)
class BackupResult:
    path: Path
    invoices: int
    pages: int
    left_out: tuple[str, ...]  # "broken.pdf (Invoice #2 · ...): the file is damaged ..."
    not_pdf: tuple[str, ...]  # "photo.jpg (Invoice #2 · ...)"

    def summary(self) -> str:
        left = (f"; {len(self.left_out)} file{'' if len(self.left_out) == 1 else 's'} left "
                "out, each replaced by a page that says why" if self.left_out else "")
        invoices = f"{self.invoices} invoice{'' if self.invoices == 1 else 's'}"
        return f"{invoices}, {self.pages} pages{left}. Written to {self.path}"


# --- what goes in ------------------------------------------------------------------------------


def invoices_of_project(session: Session, actor: Actor, project_number: str,
                        statuses: Collection[InvoiceStatus] = ()) -> list[int]:
    """The ids of the project's invoices this person may see, of the given statuses (all when
    none is given): what a headless backup of "all of a filter" compiles."""
    project = session.exec(select(Project).where(Project.number == project_number)).first()
    if project is None:
        raise NotFound(f"there is no project {project_number} (or you may not see it)")
    query = (select(Invoice.id, Commitment)
             .join(Commitment, col(Commitment.id) == Invoice.commitment_id)
             .where(Commitment.project_id == project.id))
    if statuses:
        query = query.where(col(Invoice.status).in_([s.value for s in statuses]))
    rows = session.exec(query).all()
    found = [invoice_id for invoice_id, commitment in rows
             if invoice_id is not None and _may_back_up(session, actor, commitment)]
    if rows and not found:
        raise NotAllowed(ONLY_ADMINISTRATORS)
    return found


def plan_backup(session: Session, actor: Actor, invoice_ids: Collection[int]) -> BackupPlan:
    """What a backup of these invoices holds. Refused: no invoice, an invoice this person may
    not back up (only the project's invoice administrators and support may), invoices of more
    than one project, and invoices whose billing periods, or those of the invoices before them,
    are missing: the figures carried from earlier periods could not be trusted."""
    if not invoice_ids:
        raise Invalid("choose at least one invoice to back up")
    rows = session.exec(
        select(Invoice, Commitment, Company, Project)
        .join(Commitment, col(Commitment.id) == Invoice.commitment_id)
        .join(Company, col(Company.id) == Commitment.contract_company_id)
        .join(Project, col(Project.id) == Commitment.project_id)
        .where(col(Invoice.id).in_(list(invoice_ids)))
    ).all()
    rows = sorted(rows, key=lambda row: (_number_order(row[1].number), row[0].position))
    missing = set(invoice_ids) - {invoice.id for invoice, _, _, _ in rows}
    if missing:
        raise NotFound(f"there is no invoice {min(missing)} (or you may not see it)")
    projects = {project.id: project for _, _, _, project in rows}
    if len(projects) > 1:
        names = ", ".join(sorted(project.number for project in projects.values()))
        raise Invalid(f"a backup is of one project, and these invoices are of {len(projects)} "
                      f"({names}): choose the invoices of one project")
    for _, commitment, _, _ in rows:
        if not _may_back_up(session, actor, commitment):
            raise NotAllowed(ONLY_ADMINISTRATORS)
    project = next(iter(projects.values()))
    _require_periods(session, [invoice for invoice, _, _, _ in rows], project.point_of_view)
    planned = tuple(_planned(session, actor, invoice, commitment, company, project)
                    for invoice, commitment, company, project in rows)
    return BackupPlan(project.number, project.name, project.point_of_view, planned)


def _number_order(number: str) -> list[tuple[int, int | str]]:
    """SC-2 before SC-10: the digits in a commitment number compare as numbers."""
    return [(0, int(part)) if part.isdigit() else (1, part.lower())
            for part in re.split(r"(\d+)", number) if part]


def _may_back_up(session: Session, actor: Actor, commitment: Commitment) -> bool:
    try:
        standing = require_visible(session, actor, commitment)
    except Refusal:
        return False
    return standing in (Standing.ADMINISTRATOR, Standing.SUPPORT) or actor.has(Role.SUPPORT)


def _require_periods(session: Session, invoices: list[Invoice], point_of_view: str) -> None:
    """Every chosen invoice's billing period, and those of the commitment's invoices before it,
    must still be there."""
    latest: dict[int, int] = {}
    for invoice in invoices:
        latest[invoice.commitment_id] = max(latest.get(invoice.commitment_id, 0),
                                            invoice.position)
    lacking: list[str] = []
    for commitment_id, position in latest.items():
        found = session.exec(
            select(Invoice, BillingPeriod.id, Commitment.number)
            .join(Commitment, col(Commitment.id) == Invoice.commitment_id)
            .outerjoin(BillingPeriod, col(BillingPeriod.id) == Invoice.period_id)
            .where(Invoice.commitment_id == commitment_id, col(Invoice.position) <= position)
            .order_by(col(Invoice.position))).all()
        lacking += [f"{number} {word('Invoice #', point_of_view)}{invoice.position} "
                    f"({invoice.period_start:%b %d} – {invoice.period_end:%b %d, %Y})"
                    for invoice, period_id, number in found if period_id is None]
    if lacking:
        raise Invalid("the billing period of " + "; ".join(lacking) + " is missing, so the "
                      "backup would carry wrong figures from earlier periods. Billing periods "
                      "linked to invoices must be kept (closed, never deleted); ask your "
                      "system administrator to restore them")


def _planned(session: Session, actor: Actor, invoice: Invoice, commitment: Commitment,
             company: Company, project: Project) -> BackupInvoice:
    assert invoice.id is not None
    files = list_attachments(session, actor, invoice.id)
    caption = terminal_safe(
        f"{word('Invoice #', project.point_of_view)}{invoice.position} · {commitment.number} "
        f"{commitment.title} · {company.name} · {STATUS_LABELS[InvoiceStatus(invoice.status)]}")
    return BackupInvoice(
        invoice_id=invoice.id, commitment_number=commitment.number, position=invoice.position,
        company=company.name, caption=caption,
        attachments=tuple(f for f in files if f.content_type == _PDF),
        not_pdf=tuple(f.original_name for f in files if f.content_type != _PDF))


# --- writing it --------------------------------------------------------------------------------


def compile_backup(open_session: Callable[[], AbstractContextManager[Session]], actor: Actor,
                   plan: BackupPlan, destination: Path, *, now: datetime,
                   on_progress: Callable[[Progress], None] | None = None,
                   cancelled: Callable[[], bool] = lambda: False,
                   rendered: RenderedInvoices | None = None) -> BackupResult:
    """Write the backup and say what went in. `destination` is a folder (the backup gets its
    name there, as a new file: an earlier backup of the same minute is never replaced) or the
    file to write. `open_session()` gives a short reading session; one is opened per invoice.
    Invoice PDFs are taken from, and kept in, `rendered` when given (the person's own folder
    of them), else drawn for this backup only. Cancelled, or failed, nothing is left behind."""
    if destination.is_dir() or not destination.suffix:
        name = backup_file_name(plan.project_name, plan.project_number, now,
                                plan.point_of_view)
        target, claimed = claim_new_path(destination, name), True
    else:
        target, claimed = destination, False
        if not target.parent.is_dir():
            raise Invalid(f"there is no folder {target.parent} to write the backup into")
    work = Path(tempfile.mkdtemp(prefix="payapp-backup-"))
    items = _disposed_once_merged(
        _made_ahead(_items(open_session, actor, plan, work, rendered), MADE_AHEAD), work)
    try:
        merged = merge_pdfs(items, target, on_progress=on_progress, cancelled=cancelled,
                            items_total=plan.files_total)
    except BaseException:
        if claimed:  # the empty file made for it; a file given by name is left as it was
            target.unlink(missing_ok=True)
        raise
    finally:
        items.close()  # stops the thread making them before their folder goes
        shutil.rmtree(work, ignore_errors=True)
    return _result(plan, merged)


def _items(open_session: Callable[[], AbstractContextManager[Session]], actor: Actor,
           plan: BackupPlan, work: Path, rendered: RenderedInvoices | None,
           ) -> Iterator[MergeItem]:
    """The files to merge, in order: each invoice's PDF (kept in `rendered`, or drawn into
    `work`), then a copy in `work` of each of its attachments."""
    made = count(1)
    for invoice in plan.invoices:
        with open_session() as session:
            view = load_invoice(session, actor, invoice.invoice_id)
            copies = [_copied(session, actor, attached, work / f"{next(made)}-attachment.pdf",
                              invoice.caption) for attached in invoice.attachments]
        if rendered is None:
            own = work / f"{next(made)}-invoice-{invoice.invoice_id}.pdf"
            own.write_bytes(render_invoice_pdf(view))
        else:
            own = rendered.pdf_of(view)
        yield MergeItem(own, invoice.caption, invoice.caption, trusted=True)
        yield from copies


def _copied(session: Session, actor: Actor, attached: AttachmentRow, copy: Path,
            belongs_to: str) -> MergeItem:
    """The attachment copied to `copy`, as an item to merge; one whose content is gone becomes
    an item the merge leaves out with a page saying so."""
    try:
        copy_attachment_to(session, actor, attached.id, copy, durable=False)
    except Refusal as refusal:
        _log.warning("backup: attachment %s unreadable: %s", attached.id, refusal)
        copy.write_bytes(b"")
        return MergeItem(copy, attached.original_name, belongs_to, trusted=False,
                         unreadable=str(refusal))
    return MergeItem(copy, attached.original_name, belongs_to, trusted=False)


@dataclass(frozen=True)
class _Ended:
    error: BaseException | None


def _made_ahead(items: Iterator[MergeItem], depth: int) -> Generator[MergeItem, None, None]:
    """`items`, made by a thread up to `depth` ahead of the merge, so that reading the database
    and drawing invoices go on while the merge child writes the pages before them. An error in
    making them is raised here; closing this stops the thread."""
    ahead: Queue[MergeItem | _Ended] = Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(thing: MergeItem | _Ended) -> bool:
        while not stop.is_set():
            try:
                ahead.put(thing, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def make() -> None:
        try:
            for item in items:
                if not hand_over(item):
                    return
        except BaseException as error:  # raised again in the merge's thread
            hand_over(_Ended(error))
        else:
            hand_over(_Ended(None))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    maker = threading.Thread(target=make, name="backup-items", daemon=True)
    maker.start()
    try:
        while True:
            got = ahead.get()
            if isinstance(got, _Ended):
                if got.error is not None:
                    raise got.error
                return
            yield got
    finally:
        stop.set()
        maker.join()


def _disposed_once_merged(items: Iterator[MergeItem], work: Path,
                          ) -> Generator[MergeItem, None, None]:
    """`items`, each file made in `work` deleted when the next is asked for: the merge is done
    with a file once it asks for the next."""
    done: Path | None = None
    try:
        for item in items:
            if done is not None:
                done.unlink(missing_ok=True)
            yield item
            done = Path(item.path) if Path(item.path).parent == work else None
    finally:
        if done is not None:
            done.unlink(missing_ok=True)
        close = getattr(items, "close", None)
        if close is not None:
            close()


def _result(plan: BackupPlan, merged: MergeResult) -> BackupResult:
    left_out = tuple(terminal_safe(f"{gone.title} ({gone.belongs_to}): {gone.reason}")
                     for gone in merged.left_out)
    not_pdf = tuple(terminal_safe(f"{name} ({invoice.caption})")
                    for invoice in plan.invoices for name in invoice.not_pdf)
    return BackupResult(merged.path, len(plan.invoices), merged.pages, left_out, not_pdf)
