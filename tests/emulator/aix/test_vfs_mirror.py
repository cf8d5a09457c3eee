"""The first-boot files, root's authorized_keys, persistence, and the read-only mirror of
every node's files under <data>/logs/nodes/."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from starlette.testclient import TestClient

from powerbridge.emulator.aix.mirror import FileMirror
from powerbridge.emulator.aix.node_files import write_authorized_keys
from powerbridge.emulator.app import create_app
from tests.emulator.aix.shellkit import Shell, add_node, deploy_node, emulator
from tests.support.emulator_http import COMPUTE, IDENTITY, password_auth


def host_files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*")}


class TestFirstBootFiles:
    def test_hosts_names_the_node_and_loopback(self, tmp_path: Path) -> None:
        with emulator(tmp_path) as instance:
            shell = Shell(instance, add_node(instance))
            hosts = shell.out("cat /etc/hosts").splitlines()
            assert hosts[0].split()[:3] == ["127.0.0.1", "loopback", "localhost"]
            assert hosts[-1].split() == ["192.168.100.10", "node1"]

    def test_the_files_commands_read(self, tmp_path: Path) -> None:
        with emulator(tmp_path) as instance:
            shell = Shell(instance, add_node(instance))
            assert shell.out("grep '^root:' /etc/passwd | cut -d: -f6") == "/\n"
            assert (
                shell.out("test -d /etc/cluster && test ! -f /etc/cluster/rhosts && echo ok")
                == "ok\n"
            )
            assert shell.run("test -f /etc/netsvc.conf").status == 1
            assert shell.out("ls -ld /tmp").startswith("drwxrwxrwt")
            assert shell.out("ls /var/hacmp/log") == "clutils.log\nhacmp.out\n"
            assert shell.out("test -d /usr/es/sbin/cluster/utilities && echo ha") == "ha\n"
            assert "ODMDIR=/etc/objrepos" in shell.out("cat /etc/environment")

    def test_no_powerha_directories_without_powerha(self, tmp_path: Path) -> None:
        with emulator(tmp_path) as instance:
            shell = Shell(instance, add_node(instance, powerha=None))
            assert shell.run("test -d /usr/es/sbin/cluster").status == 1
            assert "clstrmgrES" not in shell.out("lssrc -a")

    def test_authorized_keys(self, tmp_path: Path) -> None:
        with emulator(tmp_path) as instance:
            node = add_node(instance)
            write_authorized_keys(
                node, ["ssh-ed25519 AAAA one", " ssh-rsa BBBB two ", "ssh-ed25519 AAAA one"]
            )
            shell = Shell(instance, node)
            assert (
                shell.out("cat /.ssh/authorized_keys") == "ssh-ed25519 AAAA one\nssh-rsa BBBB two\n"
            )
            assert shell.out("ls -l /.ssh/authorized_keys").startswith("-rw-------")
            assert shell.out("ls -ld /.ssh").startswith("drwx------")

    def test_files_survive_a_restart(self, tmp_path: Path) -> None:
        with emulator(tmp_path, data=True) as instance:
            node = deploy_node(instance)
            Shell(instance, node).out("echo kept > /etc/cluster/rhosts")
            server_id = node.server_id
        with emulator(tmp_path, data=True) as again:
            revived = again.aix.node(server_id)
            assert revived is not None
            assert Shell(again, revived).out("cat /etc/cluster/rhosts") == "kept\n"


class TestMirror:
    def test_files_are_mirrored_read_only(self, tmp_path: Path) -> None:
        with emulator(tmp_path, data=True) as instance:
            shell = Shell(instance, add_node(instance))
            root = tmp_path / "data" / "logs" / "nodes" / "node1"
            assert (root / "etc" / "hosts").read_text() == shell.out("cat /etc/hosts")
            assert stat.S_IMODE((root / "etc" / "hosts").stat().st_mode) == 0o444
            shell.out(
                "echo 192.168.100.11 >> /etc/cluster/rhosts; echo 10.0.0.1 >> /etc/cluster/rhosts"
            )
            assert (root / "etc/cluster/rhosts").read_text() == "192.168.100.11\n10.0.0.1\n"
            assert not [
                p for p in (root / "etc/cluster").iterdir() if p.name.startswith(".mirror-")
            ]

    def test_removed_and_moved_files_follow(self, tmp_path: Path) -> None:
        with emulator(tmp_path, data=True) as instance:
            shell = Shell(instance, add_node(instance))
            root = tmp_path / "data" / "logs" / "nodes" / "node1"
            shell.out("mkdir -p /opt/app/bin; echo x > /opt/app/bin/start.sh")
            shell.out("mv /opt/app/bin/start.sh /opt/s")
            assert (root / "opt/s").read_text() == "x\n"
            assert not (root / "opt/app/bin/start.sh").exists()
            shell.out("rm -r /opt/app; rm /opt/s")
            assert sorted(host_files(root / "opt")) == []

    def test_a_file_replaced_by_a_directory(self, tmp_path: Path) -> None:
        with emulator(tmp_path, data=True) as instance:
            shell = Shell(instance, add_node(instance))
            root = tmp_path / "data" / "logs" / "nodes" / "node1"
            shell.out("echo f > /tmp/x; rm /tmp/x; mkdir /tmp/x; echo inner > /tmp/x/y")
            assert (root / "tmp/x/y").read_text() == "inner\n"

    def test_dot_dot_never_leaves_the_mirror(self, tmp_path: Path) -> None:
        with emulator(tmp_path, data=True) as instance:
            shell = Shell(instance, add_node(instance))
            data = tmp_path / "data"
            outside_before = host_files(tmp_path) - {
                name for name in host_files(tmp_path) if name.startswith("data/logs/nodes")
            }
            shell.run("echo evil > ../../../../../escape; mkdir -p ../../x/../../y")
            shell.run("cp /etc/hosts ../../../z")
            shell.run("cd ../../..; echo there > ../../w; touch ./../v")
            outside_after = {
                name for name in host_files(tmp_path) if not name.startswith("data/logs/nodes")
            }
            assert outside_after == outside_before
            root = data / "logs" / "nodes" / "node1"
            assert (root / "escape").read_text() == "evil\n"
            assert (root / "w").read_text() == "there\n"

    def test_host_paths_are_checked(self, tmp_path: Path) -> None:
        with emulator(tmp_path, data=True) as instance:
            node = add_node(instance)
            mirror = FileMirror(tmp_path / "m")
            for path in ("/../../etc/passwd", "../x", "/a/../../b", "//c", "/"):
                target = mirror.host_path(node, path)
                assert target is not None
                assert target == mirror.node_root(node) or mirror.node_root(node) in target.parents

    def test_a_file_whose_name_holds_a_nul_stays_on_the_node(self, tmp_path: Path) -> None:
        with emulator(tmp_path, data=True) as instance:
            shell = Shell(instance, deploy_node(instance))
            shell.out("echo v > '/tmp/a\0b'; echo w > /tmp/c")
            assert FileMirror(tmp_path / "m").host_path(add_node(instance, "n2"), "/a\0b") is None
            root = tmp_path / "data" / "logs" / "nodes" / "node1" / "tmp"
            assert sorted(os.listdir(root)) == ["c"]  # mirrored around it, nothing raised

    def test_an_unsafe_node_name_uses_the_server_id(self, tmp_path: Path) -> None:
        with emulator(tmp_path, data=True) as instance:
            add_node(instance, "../../evil", server_id="srv-7")
            nodes = tmp_path / "data" / "logs" / "nodes"
            assert sorted(os.listdir(nodes)) == ["srv-7"]

    def test_the_mirror_is_rebuilt_at_load(self, tmp_path: Path) -> None:
        with emulator(tmp_path, data=True) as instance:
            Shell(instance, deploy_node(instance)).out("echo v > /tmp/kept")
        root = tmp_path / "data" / "logs" / "nodes" / "node1"
        (root / "tmp" / "kept").unlink()
        with emulator(tmp_path, data=True) as again:
            assert again.aix.find("node1") is not None
            assert (root / "tmp" / "kept").read_text() == "v\n"

    def test_a_deleted_servers_mirror_goes_with_it(self, tmp_path: Path) -> None:
        with emulator(tmp_path, data=True) as instance:
            node = deploy_node(instance)
            root = tmp_path / "data" / "logs" / "nodes" / "node1"
            assert (root / "etc" / "hosts").is_file()
            with TestClient(create_app(instance), base_url="http://testserver") as client:
                login = client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
                client.headers["X-Auth-Token"] = login.headers["x-subject-token"]
                deleted = client.delete(f"{COMPUTE}/servers/{node.server_id}")
                assert deleted.status_code == 204, deleted.text
                client.get(f"{COMPUTE}/servers")  # the instant clock finishes the delete
            assert instance.aix.node(node.server_id) is None
            assert not root.exists()

    def test_no_mirror_without_a_data_dir(self, tmp_path: Path) -> None:
        with emulator(tmp_path) as instance:
            Shell(instance, add_node(instance)).out("echo x > /tmp/f")
            assert instance.aix.mirror is None
            assert not (tmp_path / "logs" / "nodes").exists()
