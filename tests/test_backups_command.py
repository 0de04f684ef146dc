"""`payapp backups compile`, the headless backup, run as a process: a progress line on a
terminal and none in a pipe, the summary on standard output, refusals in one line."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from tests.real_cli import payapp_env, run_in_terminal, run_payapp


def _demo_home(tmp_path: Path) -> dict[str, str]:
    env = payapp_env(tmp_path / "home")
    built = run_payapp(["demo", "--no-app"], env, timeout=120)
    assert built.code == 0, built.stderr
    return env


def test_in_a_pipe_it_prints_the_summary_and_no_progress(tmp_path: Path) -> None:
    env = _demo_home(tmp_path)
    out = tmp_path / "backups"
    done = run_payapp(["backups", "compile", "--project", "2417", "--status", "approved",
                       "-o", str(out), "--demo", "--as", "pat"], env, timeout=120)
    assert done.code == 0, done.stderr
    assert done.stderr == ""  # no progress line in a pipe
    written = list(out.glob("Subcontractor invoice backup - Mission Bay Medical Office "
                            "Building - 2417 - *.pdf"))
    assert len(written) == 1
    assert done.stdout.startswith("4 invoices, ")  # the demo's four approved invoices
    assert f"Written to {written[0]}" in done.stdout
    assert len(PdfReader(written[0]).pages) >= 4


def test_on_a_terminal_it_shows_progress_and_writes_the_file_named(tmp_path: Path) -> None:
    env = _demo_home(tmp_path)
    target = tmp_path / "chosen name.pdf"
    done = run_in_terminal(["backups", "compile", "--project", "2417", "-o", str(target),
                            "--demo", "--as", "sam"], env, timeout=120)
    assert done.code == 0, done.stdout
    assert "5/5 files" in done.stdout  # the progress line, on the terminal
    assert target.exists() and len(PdfReader(target).pages) >= 5


def test_refusals_are_one_line_and_leave_nothing(tmp_path: Path) -> None:
    env = _demo_home(tmp_path)
    out = tmp_path / "backups"
    for login, project, said in (
            ("erin", "2417", "only the project's invoice administrators and support"),
            ("pat", "9999", "there is no project 9999"),
    ):
        done = run_payapp(["backups", "compile", "--project", project, "-o", str(out),
                           "--demo", "--as", login], env, timeout=120)
        assert done.code == 1
        assert done.stderr.startswith("payapp: ") and said in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists() or list(out.iterdir()) == []
    mistaken = run_payapp(["backups", "compile", "--project", "2417", "-o", str(out),
                           "--as", "pat"], env)
    assert mistaken.code == 1 and "--as is for the demo database" in mistaken.stderr
