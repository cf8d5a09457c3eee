"""Which key the workflow logs in with: --ssh-key > the spec > the agent > ~/.ssh/id_*; the
clear errors; nova's fingerprint as the emulator (and nova) computes it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from powerbridge.ha.identity import (
    IdentityError,
    PassphraseRequired,
    load_identity,
    nova_fingerprint,
)
from tests.emulator.aix.ssh_support import ClientKey, client_key, lab, lab_config
from tests.ha.node_access_support import ssh_add, ssh_agent

PASSPHRASE = "correct horse"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home" / ".ssh").mkdir(parents=True)
    return tmp_path / "home"


def keygen(path: Path, *options: str) -> Path:
    """A key made by OpenSSH's ssh-keygen (as users make theirs)."""
    program = shutil.which("ssh-keygen")
    if program is None:
        pytest.fail("ssh-keygen is not installed: apt-get install openssh-client")
    command = [program, "-q", "-f", str(path), "-C", "test", *options]
    subprocess.run(command, check=True, capture_output=True, timeout=30)
    return path


def encrypted_pem_key(directory: Path) -> Path:
    """A passphrase-protected RSA key in PEM form (decryptable without bcrypt)."""
    return keygen(directory / "protected", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", PASSPHRASE)


def public_of(key: ClientKey) -> str:
    return " ".join(key.public.split()[:2])


def test_the_order_cli_then_spec_then_agent_then_default_files(home: Path, tmp_path: Path) -> None:
    cli, spec = client_key(tmp_path, "cli"), client_key(tmp_path, "spec")
    agent_key = client_key(tmp_path, "agent")
    defaults = {name: client_key(home / ".ssh", name) for name in ("id_rsa", "id_ecdsa")}
    with ssh_agent(tmp_path) as socket_path:
        ssh_add(socket_path, agent_key.path)
        env = {"SSH_AUTH_SOCK": socket_path, "HOME": str(home)}

        def pick(spec_key: str | None, cli_key: str | None) -> str:
            return load_identity(spec_key, cli_key, env=env, interactive=False).public_key

        assert pick(str(spec.path), str(cli.path)) == public_of(cli)
        assert pick(str(spec.path), None) == public_of(spec)
        agent = load_identity(None, None, env=env, interactive=False)
        assert (agent.source, agent.public_key) == ("ssh-agent", public_of(agent_key))
        assert agent.agent_path == socket_path
        assert agent.client_keys == ()
    without_agent = load_identity(None, None, env={"HOME": str(home)}, interactive=False)
    assert without_agent.public_key == public_of(defaults["id_ecdsa"])  # before id_rsa
    assert without_agent.source == "key file ~/.ssh/id_ecdsa"
    client_key(home / ".ssh", "id_ed25519")
    assert load_identity(None, None, home=home, env={}).source == "key file ~/.ssh/id_ed25519"


def test_an_empty_agent_falls_back_to_the_default_files(home: Path, tmp_path: Path) -> None:
    rsa = client_key(home / ".ssh", "id_rsa")
    with ssh_agent(tmp_path) as socket_path:
        env = {"SSH_AUTH_SOCK": socket_path}
        identity = load_identity(None, None, env=env, home=home, interactive=False)
        assert identity.public_key == public_of(rsa)
        (home / ".ssh" / "id_rsa").unlink()
        with pytest.raises(IdentityError, match="the agent at SSH_AUTH_SOCK holds no keys"):
            load_identity(None, None, env=env, home=home, interactive=False)


def test_a_spec_key_under_home_is_expanded(home: Path) -> None:
    key = client_key(home, "cluster_key")
    identity = load_identity("~/cluster_key", None, env={}, home=home, interactive=False)
    assert identity.public_key == public_of(key)
    assert identity.source == f"key file {home / 'cluster_key'}"


def test_no_key_anywhere_names_every_way(home: Path) -> None:
    with pytest.raises(IdentityError) as missing:
        load_identity(None, None, env={}, home=home, interactive=False)
    message = str(missing.value)
    for way in ("--ssh-key FILE", "ssh.private_key", "ssh-agent", "ssh-keygen -t ed25519"):
        assert way in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, r"does not exist: check the path"),
        ("hello\n", r"is not an SSH private key .* name the private key file"),
    ],
)
def test_missing_or_not_a_key(
    home: Path, tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "key"
    if content is not None:
        path.write_text(content)
    with pytest.raises(IdentityError, match=expected):
        load_identity(None, str(path), env={}, home=home, interactive=False)


def test_a_public_key_given_as_the_private_one(home: Path, tmp_path: Path) -> None:
    key = client_key(tmp_path)
    public = tmp_path / "id_ed25519.pub"
    public.write_text(key.public + "\n")
    with pytest.raises(IdentityError, match=r"not the \.pub"):
        load_identity(str(public), None, env={}, home=home, interactive=False)


def test_an_unreadable_key(home: Path, tmp_path: Path) -> None:
    directory = tmp_path / "not-a-file"
    directory.mkdir()
    with pytest.raises(IdentityError, match=r"cannot be read .*check its owner and mode"):
        load_identity(None, str(directory), env={}, home=home, interactive=False)


def test_a_passphrase_protected_key_without_a_terminal(home: Path) -> None:
    path = encrypted_pem_key(home / ".ssh")
    with pytest.raises(PassphraseRequired) as refused:
        load_identity(None, str(path), env={}, home=home, interactive=False)
    message = str(refused.value)
    assert "no terminal" in message
    assert f"ssh-add {path}" in message
    assert "--ssh-key" in message


def test_a_passphrase_protected_key_with_a_terminal(home: Path) -> None:
    path = encrypted_pem_key(home / ".ssh")
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return "wrong" if len(prompts) == 1 else PASSPHRASE

    identity = load_identity(None, str(path), env={}, home=home, passphrase=ask)
    assert identity.public_key.startswith("ssh-rsa ")
    assert prompts == [f"Enter passphrase for {path}: "] * 2
    with pytest.raises(IdentityError, match=r"wrong passphrase .*3 tries"):
        load_identity(None, str(path), env={}, home=home, passphrase=lambda _: "no")


def test_an_openssh_format_protected_key_the_agent_can_hold(home: Path, tmp_path: Path) -> None:
    path = keygen(tmp_path / "openssh_protected", "-t", "ed25519", "-N", PASSPHRASE)

    def load() -> str:
        answer = lambda _: PASSPHRASE  # noqa: E731
        return load_identity(None, str(path), env={}, home=home, passphrase=answer).public_key

    assert load().startswith("ssh-ed25519 ")  # bcrypt, a dependency, decrypts this format


def test_nova_fingerprint_matches_openssh_md5(tmp_path: Path) -> None:
    path = keygen(tmp_path / "rsa", "-t", "rsa", "-b", "2048", "-N", "")
    public = (tmp_path / "rsa.pub").read_text()
    shown = subprocess.run(
        ["ssh-keygen", "-l", "-E", "md5", "-f", str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.split()[1]
    assert f"MD5:{nova_fingerprint(public)}" == shown
    with pytest.raises(IdentityError, match="not an OpenSSH public key"):
        nova_fingerprint("ssh-ed25519 not-base64!")


def test_nova_fingerprint_equals_the_emulator_key_pair(home: Path, tmp_path: Path) -> None:
    key = client_key(tmp_path)
    identity = load_identity(None, str(key.path), env={}, home=home, interactive=False)
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        created = aix.create_keypair("cluster", identity.public_key)
        assert created.status_code in (200, 201), created.text
        listed = aix.http.get(f"{aix.compute}/os-keypairs/cluster").json()["keypair"]
    assert listed["fingerprint"] == identity.fingerprint == created.json()["keypair"]["fingerprint"]
    assert identity.matches(listed["fingerprint"])
    assert not identity.matches(nova_fingerprint(client_key(tmp_path, "other").public))
