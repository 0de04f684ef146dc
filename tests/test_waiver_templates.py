"""The statutory waiver templates (data/waivers/templates) and the registry that finds them.

Each shipped template's file is pinned by its SHA-256 and its text compared with the statute as
typed in tests/waiver_statutes.py; adding a state is a file, its hash here and its text there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from data.refusals import NotFound, Refusal
from data.waivers.filling import WaiverValues, blank_names, fill_waiver
from data.waivers.registry import (
    TEMPLATE_DIR,
    NoWaiverTemplate,
    WaiverRegistry,
    shipped_registry,
)
from data.waivers.template import BLANKS, TemplateError, WaiverForm, read_template
from tests.waiver_statutes import (
    SAMPLE,
    SAMPLE_SHOWN,
    STATUTES,
    TEST_NOTICE,
    expected_text,
    normalised,
    write_zz_template,
    zz_template_text,
)

# SHA-256 of every template file payapp ships. A changed word changes the hash: re-check the
# text against the statute, then record the new hash here.
TEMPLATE_SHA256 = {
    "ca/conditional-final.2012-07-01.toml":
        "0db4d0b73e12d454b88f06071b952a29f0e274afe6b7be203fb46f86bdd854c2",
    "ca/unconditional-final.2012-07-01.toml":
        "bd71f7a5e10120fe55ab4168c38d87ac16db1849fc6b8bd14a85e874995066bc",
}
ON = date(2026, 11, 21)


def shipped_files() -> dict[str, Path]:
    return {path.relative_to(TEMPLATE_DIR).as_posix(): path
            for path in sorted(TEMPLATE_DIR.glob("*/*.toml"))}


# --- the shipped files -----------------------------------------------------------------------


def test_every_shipped_template_is_pinned_by_its_hash() -> None:
    files = shipped_files()
    assert set(files) == set(TEMPLATE_SHA256), "a template without a recorded hash (or gone)"
    for name, path in files.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == TEMPLATE_SHA256[name], name


def test_every_shipped_template_has_its_statute_typed_in_the_tests() -> None:
    shipped = {(t.jurisdiction, t.form.value, t.version) for t in shipped_registry().templates}
    assert shipped == set(STATUTES)


@pytest.mark.parametrize("key", sorted(STATUTES), ids="-".join)
def test_the_template_text_is_the_statute_word_for_word(key: tuple[str, str, str]) -> None:
    state, form, version = key
    template = shipped_registry().exact(state, form, version)
    filled = fill_waiver(template, SAMPLE)
    assert normalised(filled.text) == normalised(expected_text(STATUTES[key], SAMPLE_SHOWN))
    empty = fill_waiver(template, WaiverValues())
    assert normalised(empty.text) == normalised(expected_text(STATUTES[key]))


def test_california_final_forms_keep_the_statutes_own_small_differences() -> None:
    registry = shipped_registry()
    conditional = registry.in_effect("CA", WaiverForm.CONDITIONAL_FINAL, ON)
    unconditional = registry.in_effect("CA", WaiverForm.UNCONDITIONAL_FINAL, ON)
    assert "This document does not affect any of the following:" in conditional.text
    assert "This document does not affect the following:" in unconditional.text
    assert "Check Payable to: {check_payee}" in conditional.text
    assert "CLAIMANT’S LIEN" in conditional.text and "Claimant’s Title" in unconditional.text
    assert "'" not in conditional.text + unconditional.text  # the code prints ’, never '
    assert unconditional.notice.as_large_as_largest and not conditional.notice.as_large_as_largest
    assert unconditional.notice_text.startswith("NOTICE TO CLAIMANT:")
    assert conditional.citation == "Cal. Civ. Code § 8136"
    assert unconditional.citation == "Cal. Civ. Code § 8138"


def test_every_blank_has_a_value_field_and_every_template_uses_known_blanks() -> None:
    assert blank_names() == set(BLANKS)
    for template in shipped_registry().templates:
        assert set(template.blanks) <= set(BLANKS)
        assert f"{template.jurisdiction.lower()}/{template.file_name}" in TEMPLATE_SHA256


# --- the registry ----------------------------------------------------------------------------


def test_the_registry_knows_california_and_nothing_else() -> None:
    registry = shipped_registry()
    assert registry.jurisdictions == ("CA",)
    assert registry.forms("ca") == (WaiverForm.CONDITIONAL_FINAL, WaiverForm.UNCONDITIONAL_FINAL)
    template = registry.in_effect(" ca ", "unconditional-final", ON)
    assert (template.jurisdiction, template.form, template.version) == (
        "CA", WaiverForm.UNCONDITIONAL_FINAL, "2012-07-01")
    assert registry.exact("CA", "conditional-final", "2012-07-01").effective == date(2012, 7, 1)


@pytest.mark.parametrize("state", ["TX", "tx", "AZ", "NV"])
@pytest.mark.parametrize("form", list(WaiverForm))
def test_a_state_without_templates_is_refused_and_never_given_another_states(
        state: str, form: WaiverForm) -> None:
    registry = shipped_registry()
    for ask in (lambda: registry.in_effect(state, form, ON),
                lambda: registry.exact(state, form, "2012-07-01"),
                lambda: registry.versions(state, form)):
        with pytest.raises(NoWaiverTemplate) as refused:
            ask()
        message = str(refused.value)
        assert f"no lien waiver template for the state “{state}”" in message
        assert "Only these states have one: CA." in message
        assert "never uses another state's" in message
        assert isinstance(refused.value, NotFound) and isinstance(refused.value, Refusal)


def test_a_form_the_state_lacks_is_refused_naming_what_it_has() -> None:
    with pytest.raises(NoWaiverTemplate, match="no conditional-progress lien waiver template "
                       "for CA; the CA templates are: conditional-final, unconditional-final"):
        shipped_registry().in_effect("CA", "conditional-progress", ON)
    with pytest.raises(NoWaiverTemplate, match="“partial” is not a kind of lien waiver"):
        shipped_registry().in_effect("CA", "partial", ON)


def test_no_template_before_the_form_took_effect() -> None:
    with pytest.raises(NoWaiverTemplate, match="was in force on 2012-06-30; the earliest "
                                               "payapp has takes effect on 2012-07-01"):
        shipped_registry().in_effect("CA", "unconditional-final", date(2012, 6, 30))
    assert shipped_registry().in_effect("CA", "unconditional-final", date(2012, 7, 1))


def test_an_unknown_version_is_refused_listing_the_versions() -> None:
    with pytest.raises(NoWaiverTemplate, match="no version “2024” of the CA conditional-final "
                                               "lien waiver template; its versions are: "
                                               "2012-07-01"):
        shipped_registry().exact("CA", "conditional-final", "2024")


def test_what_the_caller_typed_is_quoted_safely_in_the_refusal() -> None:
    with pytest.raises(NoWaiverTemplate) as refused:
        shipped_registry().in_effect("\x1b]52;c;aGk=\x07" + "X" * 40, "conditional-final", ON)
    message = str(refused.value)
    assert "\x1b" not in message and "\x07" not in message
    assert "…”" in message and len(message) < 300


def test_the_newest_version_in_force_wins_and_each_version_stays_reachable(
        tmp_path: Path) -> None:
    write_zz_template(tmp_path, zz_template_text(version="2012", effective="2012-01-01"),
                      version="2012")
    write_zz_template(tmp_path, zz_template_text(version="2022", effective="2022-01-01"),
                      version="2022")
    registry = WaiverRegistry.from_folder(tmp_path)
    form = WaiverForm.UNCONDITIONAL_PROGRESS
    assert registry.in_effect("ZZ", form, date(2021, 12, 31)).version == "2012"
    assert registry.in_effect("ZZ", form, date(2022, 1, 1)).version == "2022"
    assert registry.in_effect("ZZ", form, date(2030, 1, 1)).version == "2022"
    assert registry.exact("ZZ", form, "2012").effective == date(2012, 1, 1)
    assert [t.version for t in registry.versions("zz", form)] == ["2012", "2022"]
    with pytest.raises(NoWaiverTemplate, match="Only these states have one: ZZ"):
        registry.in_effect("CA", form, date(2030, 1, 1))


def test_two_templates_for_the_same_day_are_refused(tmp_path: Path) -> None:
    write_zz_template(tmp_path, zz_template_text(version="a"), version="a")
    write_zz_template(tmp_path, zz_template_text(version="b"), version="b")
    with pytest.raises(TemplateError, match="two ZZ unconditional-progress templates share"):
        WaiverRegistry.from_folder(tmp_path)


# --- rules every template file must keep -----------------------------------------------------


def test_a_test_template_reads_back_as_written(tmp_path: Path) -> None:
    template = read_template(write_zz_template(tmp_path, zz_template_text()))
    assert template.notice_text == TEST_NOTICE
    assert template.notice.at_top and template.notice.bold and template.notice.min_points == 10
    assert template.blocks[0].text == TEST_NOTICE
    assert template.blanks == ("project", "amount_paid")


@pytest.mark.parametrize(("change", "complaint"), [
    (lambda text: text.replace('version = "1"', 'version = "2"'), "belongs in zz/"),
    (lambda text: text.replace("{project}", "{projet}"), "unknown blanks projet"),
    (lambda text: text.replace("Test heading", "Test {heading"), "a brace that is not part"),
    (lambda text: text.replace("Test heading", "Test\\u001bheading"), "control or separator"),
    (lambda text: text.replace("Test heading", "Test  heading"), "doubled spaces"),
    (lambda text: text.replace('style = "notice"', 'style = "text"'), "exactly one notice"),
    (lambda text: text.replace('style = "heading"', 'style = "title"'), "exactly one title"),
    (lambda text: text.replace('style = "heading"', 'style = "banner"'), "style 'banner'"),
    (lambda text: text.replace("bold = true", "bold = true\ncolour = 1"), "unknown keys: colour"),
    (lambda text: text.replace("min_points = 10", "min_points = 9.5"), "min_points must be"),
    (lambda text: text.replace("effective = 2022-01-01", 'effective = "2022"'),
     "effective must be a date"),
    (lambda text: text.replace('jurisdiction = "ZZ"', 'jurisdiction = "Zz"'),
     "not a two-letter state code"),
    (lambda text: text.replace("Test heading", "{project}"), "cannot hold a blank"),
    (lambda text: text + '[[blocks]]\nstyle = "text"\ntext = "Again {project}"\n',
     "blanks appear more than once: project"),
    (lambda text: text.replace("Test heading", "Cafe\\u0301"), "normal form C"),
    (lambda text: text.replace("[notice]", "[notice"), "cannot be read as a TOML template"),
])
def test_a_template_file_that_breaks_a_rule_is_refused(
        tmp_path: Path, change: Callable[[str], str], complaint: str) -> None:
    path = write_zz_template(tmp_path, change(zz_template_text()))
    with pytest.raises(TemplateError, match=complaint):
        read_template(path)


def test_a_notice_that_must_stand_at_the_top_must_come_first(tmp_path: Path) -> None:
    text = zz_template_text(notice_first=False)
    with pytest.raises(TemplateError, match="must stand at the top"):
        read_template(write_zz_template(tmp_path, text))
    allowed = zz_template_text(notice_first=False, at_top=False)
    assert read_template(write_zz_template(tmp_path, allowed)).blocks[1].text == TEST_NOTICE
