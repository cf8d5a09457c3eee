"""System commands: host facts, levels, filesets, interfaces, the SRC, the clock."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from powerbridge.emulator.aix.node import Node
from powerbridge.emulator.aix.shell import Session
from powerbridge.emulator.state import Emulator
from tests.emulator.aix.shellkit import Shell, add_node, emulator

LSSRC_ROW = re.compile(
    r"^ (?P<name>\S+) +(?P<group>\S*) +(?P<pid>\d*) +(?P<status>active|inoperative)$"
)


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Emulator]:
    with emulator(tmp_path) as created:
        yield created


@pytest.fixture
def sh(instance: Emulator) -> Shell:
    return Shell(instance, add_node(instance))


@pytest.fixture
def plain(instance: Emulator) -> Shell:
    """A node of an AIX image without PowerHA."""
    return Shell(instance, add_node(instance, "aixonly", server_id="srv-2", powerha=None))


def lssrc_rows(text: str) -> dict[str, dict[str, str]]:
    lines = text.splitlines()
    assert lines[0] == "Subsystem         Group            PID          Status "
    rows = {}
    for line in lines[1:]:
        match = LSSRC_ROW.match(line)
        assert match is not None, line
        rows[match["name"]] = match.groupdict()
    return rows


class TestFacts:
    def test_hostname_uname(self, sh: Shell) -> None:
        assert sh.out("hostname") == "node1\n"
        machine = sh.out("uname -m").strip()
        assert re.fullmatch(r"00[0-9A-F]{8}4C00", machine)
        assert sh.out("uname -a") == f"AIX node1 2 7 {machine}\n"
        assert sh.out("uname") == "AIX\n"
        assert sh.out("uname -s -n -r -v") == "AIX node1 2 7\n"
        assert sh.out("uname -M") == "IBM,9009-42A\n"
        assert re.fullmatch(r"\d+ node1\n", sh.out("uname -L"))
        assert sh.run("uname -Q").status == 1

    def test_the_machine_id_is_stable_per_server(self, instance: Emulator, sh: Shell) -> None:
        other = Shell(instance, add_node(instance, "node2", server_id="srv-9"))
        assert sh.out("uname -m") == sh.out("uname -m")
        assert sh.out("uname -m") != other.out("uname -m")

    def test_oslevel(self, sh: Shell) -> None:
        assert sh.out("oslevel -s") == "7200-05-03-2148\n"
        assert sh.out("oslevel -r") == "7200-05\n"
        assert sh.out("oslevel") == "7.2.0.0\n"
        assert sh.run("oslevel -z").status == 1

    def test_id_and_whoami(self, sh: Shell) -> None:
        assert sh.out("id").startswith("uid=0(root) gid=0(system)")
        assert sh.out("id -un; id -u") == "root\n0\n"
        assert sh.out("whoami") == "root\n"


class TestLevels:
    def test_halevel(self, sh: Shell, plain: Shell) -> None:
        assert sh.out("halevel -s") == "7.2.5 GA\n"
        assert sh.out("halevel") == "7.2.5\n"
        result = plain.run("halevel -s")
        assert (result.err, result.status) == ("ksh: halevel:  not found.\n", 127)
        result = plain.run("/usr/es/sbin/cluster/utilities/halevel -s")
        assert result.err == "ksh: /usr/es/sbin/cluster/utilities/halevel:  not found.\n"
        plain.out("printf 'halevel -s\\n' > /tmp/check.sh")
        assert plain.run("ksh /tmp/check.sh").err == "/tmp/check.sh[1]: halevel:  not found.\n"

    def test_halevel_with_a_service_pack(self, instance: Emulator) -> None:
        shell = Shell(instance, add_node(instance, "sp", server_id="srv-3", powerha="7.1.3 SP5"))
        assert shell.out("halevel -s") == "7.1.3 SP5\n"
        assert "7.1.3.0" in shell.out("lslpp -l cluster.es.server.rte")

    def test_lslpp(self, sh: Shell) -> None:
        lines = sh.out("lslpp -l cluster.es.server.rte").splitlines()
        assert lines[0].split() == ["Fileset", "Level", "State", "Description"]
        assert lines[2] == "Path: /usr/lib/objrepos"
        assert lines[3].split()[:3] == ["cluster.es.server.rte", "7.2.5.0", "COMMITTED"]
        assert "Path: /etc/objrepos" in lines

    @pytest.mark.parametrize(
        "fileset",
        ["bos.ahafs", "bos.cluster.rte", "bos.clvm.enh", "rsct.basic.rte", "cluster.es.client"],
    )
    def test_prerequisites_are_installed(self, sh: Shell, fileset: str) -> None:
        assert fileset in sh.out(f"lslpp -l {fileset}")

    def test_a_package_name_lists_its_filesets(self, sh: Shell) -> None:
        listed = sh.out("lslpp -l cluster.es.server")
        assert "cluster.es.server.rte" in listed
        assert "cluster.es.server.utils" in listed

    def test_absent_fileset(self, sh: Shell, plain: Shell) -> None:
        result = sh.run("lslpp -l bos.nothing")
        assert (result.err, result.status) == (
            "lslpp: 0504-132  Fileset bos.nothing not installed.\n",
            1,
        )
        result = plain.run("lslpp -l cluster.es.server.rte")
        assert result.err == "lslpp: 0504-132  Fileset cluster.es.server.rte not installed.\n"
        assert "bos.cluster.rte" in plain.out("lslpp -l bos.cluster.rte")
        assert plain.run("lslpp").status == 1


class TestNetwork:
    def test_ifconfig(self, sh: Shell) -> None:
        text = sh.out("ifconfig -a")
        assert text.startswith("en0: flags=")
        assert "\tinet 192.168.100.10 netmask 0xffffff00 broadcast 192.168.100.255\n" in text
        assert "lo0: flags=" in text
        assert "\tinet 127.0.0.1 netmask 0xff000000" in text
        assert sh.out("ifconfig -l") == "en0 lo0\n"
        assert sh.run("ifconfig en9").status == 1

    def test_service_ip_aliases_are_extra_inet_lines(self, sh: Shell) -> None:
        sh.session.node.record.interfaces[0].aliases.append("192.168.100.50")
        lines = [line for line in sh.out("ifconfig en0").splitlines() if "\tinet " in line]
        assert [line.split()[1] for line in lines] == ["192.168.100.10", "192.168.100.50"]
        table = sh.out("netstat -in")
        assert "192.168.100.50" in table

    def test_netstat(self, sh: Shell) -> None:
        lines = sh.out("netstat -in").splitlines()
        assert lines[0].split() == [
            "Name",
            "Mtu",
            "Network",
            "Address",
            "Ipkts",
            "Ierrs",
            "Opkts",
            "Oerrs",
            "Coll",
        ]
        rows = [line.split() for line in lines[1:]]
        assert rows[0][:4] == ["en0", "1500", "link#2", "fa.16.3e.a.b.c"]
        assert rows[1][:4] == ["en0", "1500", "192.168.100", "192.168.100.10"]
        assert [row[0] for row in rows[2:]] == ["lo0", "lo0", "lo0"]
        assert sh.run("netstat -r").status == 1


class TestSrc:
    def test_lssrc_forms(self, sh: Shell) -> None:
        rows = lssrc_rows(sh.out("lssrc -s clcomd"))
        assert rows["clcomd"]["group"] == "caa"
        assert rows["clcomd"]["status"] == "active"
        assert rows["clcomd"]["pid"].isdigit()
        assert lssrc_rows(sh.out("lssrc -s clcomd")) == rows  # stable PIDs
        cluster = lssrc_rows(sh.out("lssrc -g cluster"))
        assert set(cluster) == {"clstrmgrES", "clevmgrdES", "clinfoES"}
        assert cluster["clinfoES"]["pid"] == ""
        everything = lssrc_rows(sh.out("lssrc -a"))
        assert everything["sshd"]["group"] == "ssh"

    def test_lssrc_errors(self, sh: Shell) -> None:
        result = sh.run("lssrc -s nosuch")
        assert (result.err, result.status) == ("0513-085 The nosuch Subsystem is not on file.\n", 1)
        assert sh.run("lssrc -g nogroup").err == "0513-086 The nogroup Group is not on file.\n"
        assert sh.run("lssrc").status == 1

    def test_long_status_comes_from_the_cluster_model(
        self, sh: Shell, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def status(node: Node, subsystem: str) -> str | None:
            return "Current state: ST_INIT\n" if subsystem == "clstrmgrES" else None

        monkeypatch.setattr(sh.session.world.clusters, "subsystem_status", status)
        assert sh.out("lssrc -ls clstrmgrES") == "Current state: ST_INIT\n"
        assert "clcomd" in sh.out("lssrc -ls clcomd")

    def test_start_stop_messages(self, sh: Shell) -> None:
        pid = lssrc_rows(sh.out("lssrc -s clcomd"))["clcomd"]["pid"]
        result = sh.run("startsrc -s clcomd")
        assert result.err.splitlines() == [
            "0513-029 The clcomd Subsystem is already active.",
            "Multiple instances are not supported.",
        ]
        assert (
            sh.out("stopsrc -s clcomd") == "0513-044 The clcomd Subsystem was requested to stop.\n"
        )
        assert lssrc_rows(sh.out("lssrc -s clcomd"))["clcomd"]["status"] == "inoperative"
        assert sh.run("stopsrc -s clcomd").err == (
            "0513-004 The Subsystem or Group, clcomd, is currently inoperative.\n"
        )
        assert sh.out("startsrc -s clcomd") == (
            f"0513-059 The clcomd Subsystem has been started. Subsystem PID is {pid}.\n"
        )
        assert sh.run("startsrc -s nosuch").err == "0513-085 The nosuch Subsystem is not on file.\n"

    def test_group_start(self, sh: Shell) -> None:
        out = sh.out("startsrc -g tcpip 2>/dev/null; echo")
        assert "0513-059 The xntpd Subsystem has been started." in out

    def test_clcomd_loads_rhosts_at_refresh_and_start(self, sh: Shell) -> None:
        record = sh.session.node.record
        sh.out("refresh -s clcomd")
        assert record.clcomd_rhosts == []
        sh.out("printf '192.168.100.10\\n\\n192.168.100.11\\n' > /etc/cluster/rhosts")
        assert record.clcomd_rhosts == []  # written, not yet read by clcomd
        assert sh.out("refresh -s clcomd") == (
            "0513-095 The request for subsystem refresh was completed successfully.\n"
        )
        assert record.clcomd_rhosts == ["192.168.100.10", "192.168.100.11"]
        sh.out("stopsrc -s clcomd")
        assert record.clcomd_rhosts is None
        assert sh.run("refresh -s clcomd").status == 1
        sh.out("echo 192.168.100.12 >> /etc/cluster/rhosts; startsrc -s clcomd")
        assert record.clcomd_rhosts == ["192.168.100.10", "192.168.100.11", "192.168.100.12"]

    def test_src_changes_are_persisted(self, instance: Emulator, sh: Shell) -> None:
        sh.out("stopsrc -s sshd")
        stored = {body["server_id"]: body for body in instance.store.load("aix_node")}
        assert stored["srv-1"]["subsystems"]["sshd"] == "inoperative"


class TestClock:
    def test_date(self, sh: Shell) -> None:
        text = sh.out("date")
        assert re.fullmatch(r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}\n", text)
        assert sh.out("date +%Y").strip() == time.strftime("%Y", time.gmtime())
        assert sh.run("date 0101").status == 1

    def test_date_follows_a_manual_clock(self, tmp_path: Path) -> None:
        with emulator(tmp_path, clock="manual") as manual:
            shell = Shell(manual, add_node(manual))
            before = int(shell.out("date +%s"))
            manual.advance_clock(3600)
            assert int(shell.out("date +%s")) == before + 3600

    def test_sleep_on_an_instant_clock_returns_at_once(self, sh: Shell) -> None:
        started = time.monotonic()
        assert sh.out("sleep 3600; echo done") == "done\n"
        assert time.monotonic() - started < 1
        assert sh.run("sleep x").status == 2

    def test_sleep_on_a_manual_clock_waits_for_it(self, tmp_path: Path) -> None:
        with emulator(tmp_path, clock="manual") as manual:
            node = add_node(manual)

            async def scenario() -> tuple[bool, str]:
                task = asyncio.create_task(Session(node, manual.aix).run("sleep 30; echo woke"))
                await asyncio.sleep(0.05)
                waiting = not task.done()
                manual.advance_clock(30)
                result = await asyncio.wait_for(task, 2)
                return waiting, result.out

            assert asyncio.run(scenario()) == (True, "woke\n")

    def test_sleep_on_a_real_clock_is_divided_by_speed(self, tmp_path: Path) -> None:
        with emulator(tmp_path, clock="real") as real:
            real.clock.speed = 100.0
            shell = Shell(real, add_node(real))
            started = time.monotonic()
            shell.out("sleep 10")
            assert 0.08 <= time.monotonic() - started < 1.5


class TestExit:
    def test_exit_status_and_default(self, sh: Shell) -> None:
        assert sh.run("exit").status == 0
        assert sh.session.exited
        assert sh.run("false; exit").status == 1
        assert sh.run("exit 300").status == 44


class TestPs:
    def test_active_subsystems_are_processes_with_their_lssrc_pid(self, sh: Shell) -> None:
        pid = lssrc_rows(sh.out("lssrc -s clstrmgrES"))["clstrmgrES"]["pid"]
        lines = sh.out("ps -ef | grep clstrmgr | grep -v grep").splitlines()
        assert len(lines) == 1
        assert lines[0].split()[1] == pid
        assert lines[0].endswith("/usr/es/sbin/cluster/clstrmgr")
        sh.out("stopsrc -s clstrmgrES")
        assert sh.run("ps -ef | grep -v grep | grep -q clstrmgr").status == 1

    def test_forms(self, sh: Shell) -> None:
        assert sh.out("ps -ef").splitlines()[0].split() == [
            "UID",
            "PID",
            "PPID",
            "C",
            "STIME",
            "TTY",
            "TIME",
            "CMD",
        ]
        assert "/etc/init" in sh.out("ps -ef")
        assert sh.out("ps -e").splitlines()[0].split() == ["PID", "TTY", "TIME", "CMD"]
        assert "init" not in sh.out("ps")
        assert sh.run("ps -Q").status == 1
