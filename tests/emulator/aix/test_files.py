"""File commands over the node's virtual file system, with AIX's messages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator.aix.shellkit import Shell, add_node, emulator

LS_LONG = re.compile(
    r"^(?P<mode>[-d][-rwxsStT]{9}) +(?P<links>\d+) (?P<owner>\S+) +(?P<group>\S+) +"
    r"(?P<size>\d+) (?P<month>[A-Z][a-z]{2}) (?P<day>\d\d) (?P<time>\d\d:\d\d|\d{4} ) (?P<name>.+)$"
)


@pytest.fixture
def sh(tmp_path: Path) -> Iterator[Shell]:
    with emulator(tmp_path) as instance:
        yield Shell(instance, add_node(instance))


class TestCatEchoPrintf:
    def test_cat_files_and_stdin(self, sh: Shell) -> None:
        sh.out("echo a > /tmp/1; echo b > /tmp/2")
        assert sh.out("cat /tmp/1 /tmp/2") == "a\nb\n"
        assert sh.out("echo in | cat - /tmp/1") == "in\na\n"

    def test_cat_missing_file(self, sh: Shell) -> None:
        result = sh.run("cat /etc/passwd /x")
        assert (result.err, result.status) == ("cat: 0652-050 Cannot open /x.\n", 2)

    def test_aix_echo_interprets_escapes(self, sh: Shell) -> None:
        assert sh.out("echo 'a\\tb\\nc'") == "a\tb\nc\n"
        assert sh.out("echo 'no newline\\c'; echo") == "no newline\n"
        assert sh.out("echo -n x") == "-n x\n"  # AIX's echo has no -n
        assert sh.out("print -n x; print -r 'a\\tb'") == "xa\\tb\n"

    def test_printf(self, sh: Shell) -> None:
        assert (
            sh.out("printf '%s-%d|%5s|%-3s|%03d|%x\\n' a 42 r l 7 255") == "a-42|    r|l  |007|ff\n"
        )
        assert sh.out("printf '%s\\n' one two three") == "one\ntwo\nthree\n"
        assert sh.out("printf '100%%\\t%b\\n' 'x\\ty'") == "100%\tx\ty\n"

    def test_printf_bad_number(self, sh: Shell) -> None:
        result = sh.run("printf '%d\\n' abc")
        assert result.out == "0\n"
        assert "0403-009" in result.err


class TestCopyMoveRemove:
    def test_cp_file_into_directory_and_keeps_mode(self, sh: Shell) -> None:
        sh.out("echo x > /tmp/s; chmod 755 /tmp/s; mkdir /tmp/d; cp /tmp/s /tmp/d")
        assert sh.out("cat /tmp/d/s") == "x\n"
        assert sh.out("ls -l /tmp/d/s").startswith("-rwxr-xr-x")

    def test_cp_directory_needs_r(self, sh: Shell) -> None:
        sh.out("mkdir -p /tmp/tree/sub; echo deep > /tmp/tree/sub/f")
        result = sh.run("cp /tmp/tree /tmp/copy")
        assert result.status == 1
        assert "specify -r" in result.err
        sh.out("cp -r /tmp/tree /tmp/copy")
        assert sh.out("cat /tmp/copy/sub/f") == "deep\n"

    def test_cp_missing_source_and_into_itself(self, sh: Shell) -> None:
        result = sh.run("cp /nope /tmp/x")
        assert result.err == "cp: /nope: A file or directory in the path name does not exist.\n"
        sh.out("mkdir -p /tmp/a")
        assert "0653-433" in sh.run("cp -r /tmp/a /tmp/a/b").err

    def test_mv(self, sh: Shell) -> None:
        sh.out("echo m > /tmp/m1; mv /tmp/m1 /tmp/m2")
        assert sh.out("cat /tmp/m2") == "m\n"
        assert sh.run("cat /tmp/m1").status == 2
        assert sh.run("mv /tmp/nope /tmp/x").status == 1
        assert sh.run("mv /tmp/m2").status == 2

    def test_rm(self, sh: Shell) -> None:
        sh.out("mkdir -p /tmp/r/s; touch /tmp/r/s/f")
        assert sh.run("rm /tmp/r").err == "rm: 0653-603 Cannot remove directory /tmp/r.\n"
        assert sh.run("rm /tmp/none").err == (
            "rm: /tmp/none: A file or directory in the path name does not exist.\n"
        )
        assert sh.run("rm -f /tmp/none").status == 0
        sh.out("rm -rf /tmp/r")
        assert sh.run("ls /tmp/r").err == "ls: 0653-341 The file /tmp/r does not exist.\n"

    def test_rm_without_operands_and_bad_flag(self, sh: Shell) -> None:
        assert sh.run("rm").status == 2
        assert sh.run("rm -z /tmp").err == "rm: Not a recognized flag: z\n"


class TestDirectoriesAndModes:
    def test_mkdir(self, sh: Shell) -> None:
        sh.out("mkdir -p /opt/app/bin; mkdir -p /opt/app/bin")
        result = sh.run("mkdir /opt/app")
        assert result.err.splitlines() == [
            "mkdir: 0653-358 Cannot create /opt/app.",
            "/opt/app: Do not specify an existing file.",
        ]
        assert result.status == 2
        assert sh.run("mkdir /no/parent").status == 2
        sh.out("mkdir -m 700 /opt/secret")
        assert sh.out("ls -ld /opt/secret").startswith("drwx------")

    def test_chmod_octal_and_symbolic(self, sh: Shell) -> None:
        sh.out("touch /tmp/f")
        modes = []
        for mode in ("755", "u-w", "go=", "a+r,u+x", "+x", "4755"):
            sh.out(f"chmod {mode} /tmp/f")
            modes.append(sh.out("ls -l /tmp/f").split()[0])
        assert modes == [
            "-rwxr-xr-x",
            "-r-xr-xr-x",
            "-r-x------",
            "-r-xr--r--",
            "-r-xr-xr-x",
            "-rwsr-xr-x",
        ]

    def test_chmod_errors(self, sh: Shell) -> None:
        assert sh.run("chmod 999 /etc/hosts").err == "chmod: 0650-069 The mode 999 is not valid.\n"
        assert sh.run("chmod 644 /none").status == 2
        assert sh.run("chmod 644").status == 2

    def test_chmod_recursive(self, sh: Shell) -> None:
        sh.out("mkdir -p /tmp/r/s; touch /tmp/r/s/f; chmod -R 700 /tmp/r")
        assert sh.out("ls -l /tmp/r/s/f").startswith("-rwx------")

    def test_chown(self, sh: Shell) -> None:
        sh.out("touch /tmp/o; chown oracle:dba /tmp/o")
        assert sh.out("ls -l /tmp/o").split()[2:4] == ["oracle", "dba"]
        sh.out("chown app /tmp/o")
        assert sh.out("ls -l /tmp/o").split()[2:4] == ["app", "dba"]
        assert sh.run("chown app /none").status == 2

    def test_touch_creates_and_complains(self, sh: Shell) -> None:
        sh.out("touch /tmp/new")
        assert sh.out("test -f /tmp/new && echo yes") == "yes\n"
        assert sh.run("touch /no/dir/file").err == "touch: 0652-046 Cannot create /no/dir/file.\n"


class TestLs:
    def test_long_format_is_aix_like(self, sh: Shell) -> None:
        sh.out("echo 12345 > /tmp/sized")
        line = sh.out("ls -l /tmp/sized").rstrip("\n")
        match = LS_LONG.match(line)
        assert match is not None, line
        assert (match["mode"], match["owner"], match["group"], match["size"], match["name"]) == (
            "-rw-r--r--",
            "root",
            "system",
            "6",
            "/tmp/sized",
        )
        assert line.startswith("-rw-r--r--    1 root     system            6 ")

    def test_directory_listing_and_hidden_files(self, sh: Shell) -> None:
        sh.out("mkdir /tmp/l; touch /tmp/l/b /tmp/l/a /tmp/l/.hidden")
        assert sh.out("ls /tmp/l") == "a\nb\n"
        assert sh.out("ls -a /tmp/l") == ".\n..\n.hidden\na\nb\n"
        listing = sh.out("ls -l /tmp/l").splitlines()
        assert listing[0].startswith("total ")
        assert [LS_LONG.match(line)["name"] for line in listing[1:]] == ["a", "b"]  # type: ignore[index]

    def test_root_home_ssh_directory(self, sh: Shell) -> None:
        assert sh.out("ls -ld /.ssh").startswith("drwx------")

    def test_missing_file_and_several_operands(self, sh: Shell) -> None:
        result = sh.run("ls /etc/hosts /none /etc/cluster")
        assert result.err == "ls: 0653-341 The file /none does not exist.\n"
        assert result.status == 2
        assert result.out == "/etc/hosts\n\n/etc/cluster:\n"


class TestTest:
    @pytest.mark.parametrize(
        ("expression", "status"),
        [
            ("-f /etc/hosts", 0),
            ("-f /etc", 1),
            ("-d /etc", 0),
            ("-e /nope", 1),
            ("-s /etc/hosts", 0),
            ("-s /var/hacmp/log/hacmp.out", 1),
            ("-x /etc/hosts", 1),
            ("-r /etc/hosts", 0),
            ("-w /etc/hosts", 0),
            ("-n abc", 0),
            ("-z ''", 0),
            ("-z x", 1),
            ("a = a", 0),
            ("a != a", 1),
            ("3 -eq 3", 0),
            ("3 -ne 3", 1),
            ("10 -gt 9", 0),
            ("2 -lt 1", 1),
            ("! -f /nope", 0),
            ("-f /etc/hosts -a -d /tmp", 0),
            ("-f /nope -o -d /tmp", 0),
            ("\\( -f /nope \\)", 1),
            ("word", 0),
            ("''", 1),
        ],
    )
    def test_expressions(self, sh: Shell, expression: str, status: int) -> None:
        assert sh.run(f"test {expression}").status == status
        assert sh.run(f"[ {expression} ]").status == status

    def test_errors(self, sh: Shell) -> None:
        result = sh.run("[ -f /etc/hosts")
        assert (result.err, result.status) == ("[: 0403-021 A ] character is missing.\n", 2)
        result = sh.run("test abc -gt 1")
        assert "0403-009 The specified number is not valid" in result.err
        assert result.status == 2
        assert sh.run("test").status == 1


def test_an_old_file_shows_its_year(tmp_path: Path) -> None:
    with emulator(tmp_path, clock="manual") as instance:
        shell = Shell(instance, add_node(instance))
        shell.out("touch /tmp/old")
        instance.advance_clock(400 * 24 * 3600)
        line = shell.out("ls -l /tmp/old").rstrip("\n")
        match = LS_LONG.match(line)
        assert match is not None, line
        assert line.endswith("  /tmp/old")
        assert match["time"].strip().isdecimal()
