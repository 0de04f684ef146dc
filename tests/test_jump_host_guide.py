"""README.md's *Running payapp on a shared jump host*, run step by step, as root, on the machine
the tests run on: payapp installed into /opt with the system's Python, the database with peer
authentication and its DBA role, the OS group `payapp-billing` and two people's accounts, their
payapp users and roles, the jobs account and its cron file, and a private sshd with the guide's
`Match` blocks. Two people log in over SSH in tmux at 80×24 and each sees only their company's
rows; files go in and out through the sftp port; nothing of theirs is left running once they
leave, nor after `ssh host command`. Everything made is removed afterwards, also on failure.

Where the test differs from the guide, it says so: its own sshd on loopback ports (the guide
reloads the host's sshd), and root standing in for the system administrator.

It needs root, sshd, sudo, tmux and a PostgreSQL server on this machine (its Unix socket in
/var/run/postgresql). Under CI=true a missing one is a failure; otherwise the test is skipped.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fpdf import FPDF

from tests.jump_host import (
    Host,
    Ssh,
    Tmux,
    end_processes_of,
    free_port,
    guide_block,
    in_guide,
    processes_of,
    psql,
    wait_for_port,
    wait_until,
)

pytestmark = pytest.mark.jump_host

CHECKOUT = Path(__file__).resolve().parents[1]
VERSION = importlib.metadata.version("payapp")
VENV = f"/opt/payapp-{VERSION}"
SOCKET_FOLDER = "/var/run/postgresql"
AS_DBA = "sudo --preserve-env=PAYAPP_DATABASE_URL"
FILES = Path("/srv/payapp-files")
SITE_CONFIG = Path("/etc/xdg/payapp/config.toml")
CRON_FILE = Path("/etc/cron.d/payapp")
DATABASE_ROLES = ("payapp_owner", "payapp_policy", "payapp_user", "payapp_reader")


@dataclass(frozen=True)
class Person:
    login: str
    name: str
    commitment: str  # the one commitment they bill
    users_add: str  # the guide's `payapp users add` for them


PEOPLE = (
    Person("ewalsh", "Erin Walsh", "SC-2417-016",
           f'{AS_DBA} payapp users add ewalsh --company "Coastline Electric Co." \\\n'
           '    --role invoice_contact --name "Erin Walsh" --email erin@coastline.example \\\n'
           "    --commitment SC-2417-016"),
    Person("dokafor", "Dan Okafor", "SC-2417-031",
           f'{AS_DBA} payapp users add dokafor --company "Bayside Concrete & Paving, LLC" \\\n'
           '    --role invoice_contact --name "Dan Okafor" --email dan@bayside.example \\\n'
           "    --commitment SC-2417-031"),
)
JOBS = "payapp-jobs"
LOGINS = (*(p.login for p in PEOPLE), JOBS)


# --- before: what is needed, and what must not be there yet --------------------------------------


def _missing() -> list[str]:
    if os.geteuid() != 0:
        return ["root: the test creates OS accounts, a group and a database"]
    missing = [f"{tool} (install {package})" for tool, package in (
        ("/usr/sbin/sshd", "openssh-server"), ("ssh", "openssh-client"),
        ("sftp", "openssh-client"), ("ssh-keygen", "openssh-client"), ("sudo", "sudo"),
        ("tmux", "tmux"), ("psql", "postgresql-client"), ("useradd", "passwd"))
        if shutil.which(tool) is None]
    venv = subprocess.run(["/usr/bin/python3", "-c", "import sys, ensurepip; "
                           "assert sys.version_info >= (3, 11)"], capture_output=True,
                          check=False) if Path("/usr/bin/python3").exists() else None
    if venv is None or venv.returncode != 0:
        missing.append("/usr/bin/python3, 3.11 or newer, with venv (install python3-venv)")
    server = subprocess.run(["sudo", "-u", "postgres", "psql", "-h", SOCKET_FOLDER, "-XAtc",
                             "SELECT 1"], capture_output=True, text=True, check=False) \
        if not missing else None
    if server is not None and server.returncode != 0:
        missing.append(f"a PostgreSQL server on this machine with its socket in {SOCKET_FOLDER},"
                       f" and its postgres account: {server.stderr.strip()}")
    return missing


def _in_the_way(host: Host) -> list[str]:
    paths = [Path(VENV), Path("/opt/payapp"), Path("/usr/local/bin/payapp"), SITE_CONFIG.parent,
             FILES, CRON_FILE]
    found = [str(p) for p in paths if p.exists() or p.is_symlink()]
    for name in (*LOGINS, "payapp-billing"):
        if host.run(f"getent passwd {name} || getent group {name}", check=False).stdout:
            found.append(f"the account or group {name}")
    if psql(host, "SELECT 1 FROM pg_database WHERE datname = 'payapp'"):
        found.append("the database payapp")
    roles = psql(host, "SELECT string_agg(rolname, ', ') FROM pg_roles WHERE rolname IN "
                       "('payapp_admin', 'ewalsh', 'dokafor', 'payapp-jobs')").strip()
    if roles:
        found.append(f"the roles {roles}")
    return found


@pytest.fixture
def host() -> Iterator[Host]:
    """Root's hands on this machine; whatever they made is removed at the end."""
    made = Host(Path(tempfile.mkdtemp(prefix="payapp-guide-")))  # 0700: keys and logs
    made.later(f"remove {made.scratch}", lambda: shutil.rmtree(made.scratch))
    missing = _missing()
    why = "the jump-host guide test needs " + "; ".join(missing) if missing else ""
    if not missing and (there := _in_the_way(made)):
        why = ("the jump-host guide test would change what is already on this machine: "
               + "; ".join(there) + " (left by an earlier run? remove them)")
    if why:
        made.clean_up()
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    umask = os.umask(0o022)  # the guide's `umask 022`: what pip writes, everyone may read
    try:
        yield made
    finally:
        os.umask(umask)
        print("\n\n".join(made.transcript))  # pytest shows it when the test fails
        left = made.clean_up()
        if left:
            pytest.fail("could not remove everything:\n" + "\n".join(left))


# --- the steps -----------------------------------------------------------------------------------


def _install(host: Host) -> None:
    in_guide("umask 022")
    host.later_run(f"rm -rf {VENV} /opt/payapp /usr/local/bin/payapp")
    host.guide(f"sudo /usr/bin/python3 -m venv {VENV}")
    host.guide(f"sudo {VENV}/bin/pip install /path/to/payapp",
               replace={"/path/to/payapp": str(CHECKOUT)})
    host.guide(f"sudo ln -sfn {VENV} /opt/payapp")
    host.guide("sudo ln -sf /opt/payapp/bin/payapp /usr/local/bin/payapp")
    assert host.run("/usr/local/bin/payapp --version").stdout.strip().endswith(VERSION)


def _database(host: Host) -> None:
    """Peer authentication over the socket for the database payapp, the DBA role, the database,
    and the site config that names it."""
    hba = Path(psql(host, "SHOW hba_file").strip())
    ident = Path(psql(host, "SHOW ident_file").strip())
    old_hba, old_ident = hba.read_text(), ident.read_text()

    def restore() -> None:
        hba.write_text(old_hba)
        ident.write_text(old_ident)
        psql(host, "SELECT pg_reload_conf()")

    host.later(f"restore {hba} and {ident}", restore)
    hba.write_text(guide_block("peer map=payapp") + old_hba)  # above every other line
    ident.write_text(old_ident.rstrip("\n") + "\n" + guide_block("/^(.*)$"))
    host.guide("sudo -u postgres psql -c 'SELECT pg_reload_conf()'")
    assert psql(host, "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL") == "0\n"
    assert psql(host, "SELECT count(*) FROM pg_ident_file_mappings WHERE error IS NOT NULL") \
        == "0\n"

    existing = set(psql(host, "SELECT rolname FROM pg_roles").split())
    new_groups = [r for r in DATABASE_ROLES if r not in existing]  # the first upgrade makes them
    host.later("drop the roles", lambda: _drop_roles(host, new_groups))
    host.later("drop the database payapp",
               lambda: psql(host, "DROP DATABASE IF EXISTS payapp WITH (FORCE)"))
    host.guide("sudo -u postgres createuser --superuser payapp_admin")
    host.guide("sudo -u postgres createdb --owner=payapp_admin payapp")
    host.guide("sudo -u postgres psql -d payapp -c 'REVOKE CONNECT ON DATABASE payapp FROM "
               "PUBLIC'")

    made_xdg = not SITE_CONFIG.parent.parent.exists()
    host.later_run(f"rm -rf {SITE_CONFIG.parent.parent if made_xdg else SITE_CONFIG.parent}")
    host.guide(f"sudo install -d -m 0755 {SITE_CONFIG.parent}")
    SITE_CONFIG.write_text(guide_block("[files]"))
    SITE_CONFIG.chmod(0o644)
    in_guide(f"`{SITE_CONFIG}` (owned by root, mode 0644")


def _drop_roles(host: Host, groups: list[str]) -> None:
    people = ", ".join(f'"{login}"' for login in LOGINS)
    psql(host, f"DROP ROLE IF EXISTS {people}, payapp_admin")
    for group in groups:  # made by this test's upgrade; another database may use them since
        host.run(f"sudo -u postgres psql -XAtq -c 'DROP ROLE IF EXISTS {group}'", check=False)


def _schema_and_people(host: Host, keys: Path) -> None:
    url = "postgresql+psycopg://payapp_admin@/payapp?host=/var/run/postgresql"
    in_guide(f"export PAYAPP_DATABASE_URL='{url}'")
    host.env["PAYAPP_DATABASE_URL"] = url
    host.guide(f"{AS_DBA} payapp db upgrade")
    host.guide(f"{AS_DBA} /opt/payapp/bin/python -m data.demo")

    host.later_run("groupdel payapp-billing")
    host.guide("sudo groupadd payapp-billing")
    host.later_run(f"rm -rf {FILES}")
    for person in PEOPLE:
        login = person.login
        host.run(f"ssh-keygen -q -t ed25519 -N '' -C {login} -f {keys / login}")
        host.later(f"remove the account {login}", _remover(host, login))
        mine = {"ewalsh.pub": f"{keys / login}.pub", "ewalsh": login}
        for command in (
            "sudo useradd --create-home --shell /bin/sh --groups payapp-billing "
            "--password '*' ewalsh",
            "sudo install -d -o ewalsh -g ewalsh -m 0700 /home/ewalsh/.ssh",
            "sudo install -o ewalsh -g ewalsh -m 0600 ewalsh.pub "
            "/home/ewalsh/.ssh/authorized_keys",
            f"sudo install -d -m 0755 {FILES} {FILES}/ewalsh",
            f"sudo install -d -o ewalsh -g ewalsh -m 0700 {FILES}/ewalsh/upload "
            f"{FILES}/ewalsh/download",
        ):
            host.guide(command, replace={k: v for k, v in mine.items() if k in command})
        host.guide(person.users_add)
    listed = host.guide(f"{AS_DBA} payapp users list").stdout
    assert "Erin Walsh" in listed and "Dan Okafor" in listed, listed

    # The database decides who is who: peer, over the socket, only as oneself.
    own = host.run("sudo -u ewalsh psql -h /var/run/postgresql -d payapp -XAtc "
                   "'SELECT number FROM commitment'").stdout
    assert own.split() == ["SC-2417-016"], own
    other = host.guide("sudo -u ewalsh psql -h /var/run/postgresql -d payapp -U dokafor "
                       "-c 'SELECT 1'", check=False)
    assert other.returncode != 0 and "Peer authentication failed" in other.stderr, other


def _remover(host: Host, login: str) -> Callable[[], None]:
    """How to remove the account `login`, with whatever still runs as it."""

    def remove() -> None:
        end_processes_of(login)
        host.run(f"userdel --remove {login}", check=False)  # warns of a missing mail spool
        assert not host.run(f"getent passwd {login}", check=False).stdout, f"{login} stays"

    return remove


def _jobs(host: Host) -> None:
    host.later(f"remove the account {JOBS}", _remover(host, JOBS))
    host.guide(f"sudo useradd --system --shell /usr/sbin/nologin --home-dir /nonexistent {JOBS}")
    host.guide(f'{AS_DBA} payapp users add {JOBS} --company "Harbor Point Builders, Inc." '
               '--role support --name "payapp scheduled jobs"')
    made_cron_d = not CRON_FILE.parent.exists()
    host.later_run(f"rm -rf {CRON_FILE.parent if made_cron_d else CRON_FILE}")
    CRON_FILE.parent.mkdir(mode=0o755, exist_ok=True)
    line = guide_block(f"{JOBS} /usr/local/bin/payapp audit verify")
    CRON_FILE.write_text(line)
    CRON_FILE.chmod(0o644)
    in_guide(f"`{CRON_FILE}` (owned by root, mode 0644)")
    # cron runs the line's command as the line's user: the guide's "try it once"
    fields = line.strip().split(maxsplit=6)  # minute hour day month weekday user command
    assert fields[5:] == [JOBS, "/usr/local/bin/payapp audit verify"], line
    done = host.guide(f"sudo -u {JOBS} /usr/local/bin/payapp audit verify", check=False)
    assert done.returncode == 0, f"the nightly job fails:\n{done.stdout}{done.stderr}"


def _sshd(host: Host, scratch: Path) -> tuple[int, int]:
    """The guide's Match blocks in a private sshd on two loopback ports (the guide reloads the
    host's own sshd, listening on 22 and 2222)."""
    in_guide("Port 22\nPort 2222")
    payapp_port, files_port = free_port(), free_port()
    while files_port == payapp_port:
        files_port = free_port()
    matches = guide_block("Match Group payapp-billing LocalPort 2222")
    host.run(f"ssh-keygen -q -t ed25519 -N '' -f {scratch}/host_key")
    config = scratch / "sshd_config"
    config.write_text(
        "# the test's own sshd: loopback ports, its own host key, keys only\n"
        f"ListenAddress 127.0.0.1\nPort {payapp_port}\nPort {files_port}\n"
        f"HostKey {scratch}/host_key\nPidFile {scratch}/sshd.pid\n"
        # without PAM (a container cannot set the login uid); the accounts' password is '*',
        # which sshd does not take for a locked account
        "UsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "Subsystem sftp internal-sftp\nLogLevel VERBOSE\n\n"
        + matches.replace("LocalPort 2222", f"LocalPort {files_port}"))
    if not Path("/run/sshd").exists():  # sshd's privilege separation folder
        host.later_run("rm -rf /run/sshd")
        host.run("install -d -m 0755 /run/sshd")
    host.run(f"/usr/sbin/sshd -t -f {config}")
    log = (scratch / "sshd.log").open("w")
    daemon = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(config)],
                              stdout=log, stderr=subprocess.STDOUT)

    def stop() -> None:
        daemon.terminate()
        daemon.wait(timeout=10)
        log.close()

    host.later("stop the test's sshd", stop)
    wait_for_port(payapp_port)
    wait_for_port(files_port)
    return payapp_port, files_port


def _pdf(path: Path) -> Path:
    document = FPDF()
    document.set_font("helvetica", size=12)
    document.add_page()
    document.cell(text="Delivery ticket 4471: 420 CY excavation")
    document.output(str(path))
    return path


def _left_behind(logins: tuple[str, ...]) -> str | None:
    """What still runs as these people, or holds a database connection as them."""
    running = [f"{login}: {line}" for login in logins for line in processes_of(login)]
    names = ", ".join(f"'{login}'" for login in logins)
    connected = subprocess.run(
        ["sudo", "-u", "postgres", "psql", "-XAtc",
         f"SELECT usename, pid, state FROM pg_stat_activity WHERE usename IN ({names})"],
        capture_output=True, text=True, check=False).stdout.split()
    if running or connected:
        return f"processes: {running}; database connections: {connected}"
    return None


def _type_path(tmux: Tmux, path: str) -> None:
    """In ewalsh's attach dialog: empty the field, type `path`, Enter; with a person's pauses,
    as keys sent in the same instant may reach the field before it is ready."""
    for keys in (("End",), ("C-u",), ("-l", path), ("Enter",)):
        time.sleep(0.3)
        tmux("send-keys", "-t", "ewalsh", *keys)


def _sftp(host: Host, ssh: Ssh, login: str, folder: Path, commands: str,
          check: bool = True) -> subprocess.CompletedProcess[str]:
    batch = folder / "sftp-batch"
    batch.write_text(commands)
    return host.run(f"cd {folder} && {ssh.sftp(login, batch)}", check=check, timeout=60)


# --- the test ------------------------------------------------------------------------------------


def test_the_jump_host_guide_step_by_step(host: Host) -> None:
    scratch = host.scratch
    keys = scratch / "keys"
    keys.mkdir()
    _install(host)
    _database(host)
    _schema_and_people(host, keys)
    ssh = Ssh(keys, *_sshd(host, scratch))
    tmux_config = scratch / "tmux.conf"
    tmux_config.write_text("set -g remain-on-exit on\n")  # a session that ends can be read
    tmux = Tmux(f"payapp-guide-{uuid.uuid4().hex[:8]}", tmux_config)
    host.later("stop the test's tmux", tmux.kill_server)

    # Each person logs in over SSH and lands in payapp, on their own company's rows.
    for person in PEOPLE:
        tmux.start(person.login, ssh.ssh(person.login))  # the guide: ssh ewalsh@jumphost
    for person in PEOPLE:
        others = [p.commitment for p in PEOPLE if p is not person]
        screen = tmux.wait_for(person.login, f"{person.name} ({person.login}) · invoice contact",
                               person.commitment)
        assert not any(number in screen for number in others), screen
        assert len(screen.splitlines()) == 24 and max(map(len, screen.splitlines())) <= 80

    # Files in: sftp puts a file into the upload folder, and sees nothing but the two folders.
    local = scratch / "ewalsh-laptop"
    local.mkdir()
    _pdf(local / "ticket.pdf")
    in_guide("sftp -P 2222 ewalsh@jumphost")
    in_guide("sftp> put ticket.pdf")
    _sftp(host, ssh, "ewalsh", local, "put ticket.pdf\nsymlink /etc/passwd passwd.pdf\n")
    upload = FILES / "ewalsh" / "upload"
    assert (upload / "ticket.pdf").read_bytes() == (local / "ticket.pdf").read_bytes()
    assert (upload / "ticket.pdf").owner() == "ewalsh"
    outside = _sftp(host, ssh, "ewalsh", local, "get /etc/passwd\n", check=False)
    assert outside.returncode != 0 and not (local / "passwd").exists(), outside
    batch = local / "sftp-batch"  # on the payapp port, ForceCommand leaves no sftp
    payapp_port = host.run(f"cd {local} && {ssh.sftp('ewalsh', batch, ssh.payapp_port)}",
                           check=False, timeout=60)
    assert payapp_port.returncode != 0 and not (local / "passwd").exists(), payapp_port

    # In payapp: the attach dialog starts in the upload folder and refuses what is outside it.
    tmux("send-keys", "-t", "ewalsh", "Enter")  # her newest invoice: #3, Revise & Resubmit
    tmux.wait_for("ewalsh", "Files (0)")
    tmux("send-keys", "-t", "ewalsh", "f")
    tmux.wait_for("ewalsh", "a Attach")
    tmux("send-keys", "-t", "ewalsh", "a")
    tmux.wait_for("ewalsh", f"{upload}/")
    for typed, refusal in (("/etc/passwd", "/etc/passwd is not in your upload folder"),
                           ("passwd.pdf", "(which leads to /etc/passwd)")):
        _type_path(tmux, typed)
        tmux.wait_for("ewalsh", refusal, f"your upload folder {upload}. Only files in")
    _type_path(tmux, "ticket.pdf")
    tmux.wait_for("ewalsh", "Attached “ticket.pdf”.", "Files (1)")
    stored = psql(host, "SELECT original_name FROM attachment", database="payapp")
    assert stored.split() == ["ticket.pdf"], stored

    # Files out: the export lands in the download folder, and sftp fetches it.
    tmux("send-keys", "-t", "ewalsh", "x")
    tmux.wait_for("ewalsh", "PDF written to")
    [exported] = (FILES / "ewalsh" / "download").iterdir()
    tmux.wait_for("ewalsh", f"PDF written to {exported}")  # the full path, whole
    assert exported.owner() == "ewalsh" and exported.stat().st_mode & 0o777 == 0o600
    in_guide('sftp> get "/download/SC-2417-016 Invoice 3 - ')
    _sftp(host, ssh, "ewalsh", local, f'get "/download/{exported.name}"\n')
    assert (local / exported.name).read_bytes() == exported.read_bytes()

    # Leaving: quitting, or the connection dropped, leaves nothing running or connected.
    assert all(_left_behind((p.login,)) for p in PEOPLE)  # while they work, payapp runs
    tmux("send-keys", "-t", "ewalsh", "C-q")
    wait_until(lambda: _left_behind(("ewalsh",)), 20, "after ewalsh quit payapp")
    tmux("kill-session", "-t", "dokafor")  # the terminal closes: ssh and payapp get a hang-up
    wait_until(lambda: _left_behind(("dokafor",)), 20, "after dokafor's connection dropped")

    # Without a terminal payapp refuses at once: nothing runs, nothing stays connected.
    for extra, command in (("", "cat /etc/passwd"), ("-T", "")):
        done = host.run(f"timeout 30 {ssh.ssh('ewalsh', extra)} {command}", check=False)
        assert done.returncode not in (0, 124), done  # 124: timed out, payapp waited
        assert "terminal" in done.stderr and "root:" not in done.stdout, done
        wait_until(lambda: _left_behind(("ewalsh",)), 20, f"after `ssh {extra} {command}`")

    # No forwarding through the jump host (DisableForwarding yes).
    options = f"-N -o ExitOnForwardFailure=yes -R {free_port()}:127.0.0.1:5432"
    forward = host.run(f"timeout 30 {ssh.ssh('ewalsh', options)}", check=False)
    assert forward.returncode == 255 and "forwarding failed" in forward.stderr, forward

    _jobs(host)

    # A person who leaves: disabled, their role can no longer log in.
    host.guide(f"{AS_DBA} payapp users disable dokafor")
    refused = host.run("sudo -u dokafor psql -h /var/run/postgresql -d payapp -XAtc 'SELECT 1'",
                       check=False)
    assert refused.returncode != 0 and "not permitted to log in" in refused.stderr, refused


def test_the_demo_loader_needs_a_database_url(tmp_path: Path) -> None:
    """`python -m data.demo` (the guide's way to try a host) names what it needs."""
    env = {k: v for k, v in os.environ.items() if k != "PAYAPP_DATABASE_URL"}
    done = subprocess.run([sys.executable, "-m", "data.demo"], capture_output=True, text=True,
                          env=env, check=False, cwd=CHECKOUT)
    assert done.returncode == 1 and "set PAYAPP_DATABASE_URL" in done.stderr, done
    env["PAYAPP_DATABASE_URL"] = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    done = subprocess.run([sys.executable, "-m", "data.demo"], capture_output=True, text=True,
                          env=env, check=False, cwd=CHECKOUT)
    assert done.returncode == 1 and "payapp db upgrade" in done.stderr, done
