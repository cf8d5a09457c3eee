"""Filters: grep/egrep, awk, sed, head, tail, wc, sort, uniq, cut, tr, tee."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator.aix.shellkit import Shell, add_node, emulator

# lspv-shaped input: the filters a cluster build runs over real command output
LSPV = """\
hdisk0          00f9c1b7a1b2c3d4                    rootvg          active
hdisk1          none                                None
hdisk2          00f9c1b7e5f6a7b8                    None
hdisk3          none                                None
"""


@pytest.fixture
def sh(tmp_path: Path) -> Iterator[Shell]:
    with emulator(tmp_path) as instance:
        shell = Shell(instance, add_node(instance))
        shell.session.node.fs.write_text("/tmp/lspv", LSPV)
        yield shell


class TestGrep:
    def test_match_and_exit_statuses(self, sh: Shell) -> None:
        assert sh.out("grep hdisk1 /tmp/lspv") == LSPV.splitlines(keepends=True)[1]
        assert sh.run("grep nothing /tmp/lspv").status == 1
        result = sh.run("grep x /nope")
        assert (result.err, result.status) == ("grep: 0652-033 Cannot open /nope.\n", 2)
        result = sh.run("grep -s x /nope")
        assert (result.err, result.status) == ("", 2)

    def test_options(self, sh: Shell) -> None:
        assert sh.out("grep -c none /tmp/lspv") == "2\n"
        assert sh.run("grep -v hdisk /tmp/lspv").status == 1
        assert sh.out("grep -i ROOTVG /tmp/lspv").startswith("hdisk0")
        assert sh.out("grep -q rootvg /tmp/lspv; echo $?") == "0\n"
        assert sh.out("grep -w hdisk /tmp/lspv; echo $?") == "1\n"
        assert sh.out("grep -n hdisk2 /tmp/lspv").startswith("3:hdisk2")
        assert sh.out("grep -e hdisk1 -e hdisk3 /tmp/lspv | wc -l") == "       2\n"
        assert sh.out("grep -l rootvg /tmp/lspv /etc/hosts") == "/tmp/lspv\n"

    def test_basic_and_extended_expressions(self, sh: Shell) -> None:
        assert sh.out("grep '^hdisk[0-1] ' /tmp/lspv | wc -l") == "       2\n"
        assert sh.out("grep 'hdisk\\(1\\|3\\)' /tmp/lspv | wc -l") == "       2\n"
        assert sh.out("egrep 'hdisk(1|3)' /tmp/lspv | wc -l") == "       2\n"
        assert sh.out("grep -E '^hdisk[[:digit:]]+ +none' /tmp/lspv | wc -l") == "       2\n"
        assert sh.out("echo 'a+b' | grep 'a+b'") == "a+b\n"

    def test_stdin_and_several_files(self, sh: Shell) -> None:
        assert sh.out("cat /tmp/lspv | grep -c hdisk") == "4\n"
        assert sh.out("grep -c loopback /etc/hosts /tmp/lspv") == "/etc/hosts:2\n/tmp/lspv:0\n"

    def test_bad_usage(self, sh: Shell) -> None:
        assert sh.run("grep").status == 2
        assert sh.run("grep -Z x /tmp/lspv").status == 2
        assert sh.run("grep '[' /tmp/lspv").status == 2


class TestAwk:
    def test_field_pattern_and_print(self, sh: Shell) -> None:
        assert sh.out("awk '$2==\"none\"{print $1}' /tmp/lspv") == "hdisk1\nhdisk3\n"
        assert sh.out("awk '$2!=\"none\" {print $1, $2}' /tmp/lspv") == (
            "hdisk0 00f9c1b7a1b2c3d4\nhdisk2 00f9c1b7e5f6a7b8\n"
        )

    def test_regex_nr_nf_and_whole_record(self, sh: Shell) -> None:
        assert sh.out("awk '/rootvg/' /tmp/lspv") == LSPV.splitlines(keepends=True)[0]
        assert sh.out("awk 'NR==2 {print NF, $NF}' /tmp/lspv") == "3 None\n"
        assert sh.out("awk 'NF > 3 {print}' /tmp/lspv").startswith("hdisk0")
        assert sh.out("awk '$1 ~ /hdisk[23]/ {print $1}' /tmp/lspv") == "hdisk2\nhdisk3\n"

    def test_separator_literals_begin_end(self, sh: Shell) -> None:
        assert sh.out("echo 'a:b:c' | awk -F: '{print $2 \"-\" $3}'") == "b-c\n"
        assert (
            sh.out("awk 'BEGIN{n=0} /none/{n=n+1} END{print \"free:\", n}' /tmp/lspv")
            == "free: 2\n"
        )
        assert sh.out("awk -v want=hdisk2 '$1==want {print $2}' /tmp/lspv") == "00f9c1b7e5f6a7b8\n"
        assert sh.out("echo '3 4' | awk '{printf \"%d\\n\", $1 * $2}'") == "12\n"
        assert (
            sh.out("echo 'Ab' | awk '{print toupper($1), length($1), substr($1, 2)}'") == "AB 2 b\n"
        )

    def test_if_and_next(self, sh: Shell) -> None:
        program = '\'{ if ($2 == "none") { print "free", $1; next } print "used", $1 }\''
        assert sh.out(f"awk {program} /tmp/lspv").splitlines() == [
            "used hdisk0",
            "free hdisk1",
            "used hdisk2",
            "free hdisk3",
        ]

    def test_errors(self, sh: Shell) -> None:
        result = sh.run("awk '{print $1' /tmp/lspv")
        assert result.status == 2
        assert result.err.startswith("awk: 0602-500")
        assert sh.run("awk '{print}' /nope").status == 2
        assert sh.run("awk").status == 2


class TestSed:
    def test_substitutions(self, sh: Shell) -> None:
        assert sh.out("echo aaa | sed 's/a/b/'") == "baa\n"
        assert sh.out("echo aaa | sed 's/a/b/g'") == "bbb\n"
        assert sh.out("echo /a/b | sed 's|/|:|g'") == ":a:b\n"
        assert sh.out("echo key=val | sed 's/\\(.*\\)=\\(.*\\)/\\2=\\1/'") == "val=key\n"
        assert sh.out("echo word | sed 's/w.*/[&]/'") == "[word]\n"

    def test_e_n_p_d_and_addresses(self, sh: Shell) -> None:
        assert sh.out("sed -n '/rootvg/p' /tmp/lspv").startswith("hdisk0")
        assert (
            sh.out("sed -e 's/hdisk/disk/' -e '/none/d' /tmp/lspv | cut -c1-5") == "disk0\ndisk2\n"
        )
        assert sh.out("sed -n '2,3p' /tmp/lspv | cut -c1-6") == "hdisk1\nhdisk2\n"
        assert sh.out("sed '$d' /tmp/lspv | wc -l") == "       3\n"
        assert sh.out("sed '1!d' /tmp/lspv | cut -c1-6") == "hdisk0\n"
        assert sh.out("sed 2q /tmp/lspv | wc -l") == "       2\n"

    def test_errors(self, sh: Shell) -> None:
        result = sh.run("sed 's/a/b' /tmp/lspv")
        assert (result.err, result.status) == (
            "sed: 0602-404 Function s/a/b cannot be parsed.\n",
            2,
        )
        assert sh.run("sed -i 's/a/b/' /tmp/lspv").status == 2  # AIX's sed has no -i
        assert sh.run("sed p /nope").status == 2


class TestHeadTailWc:
    def test_head_and_tail(self, sh: Shell) -> None:
        assert sh.out("head -n 1 /tmp/lspv | cut -c1-6") == "hdisk0\n"
        assert sh.out("head -2 /tmp/lspv | wc -l") == "       2\n"
        assert sh.out("tail -1 /tmp/lspv | cut -c1-6") == "hdisk3\n"
        assert sh.out("tail -n 2 /tmp/lspv | cut -c1-6") == "hdisk2\nhdisk3\n"
        assert sh.out("tail +4 /tmp/lspv | cut -c1-6") == "hdisk3\n"
        assert sh.out("tail -n 20 /tmp/lspv | wc -l") == "       4\n"  # more than it has
        assert sh.run("head -n x /tmp/lspv").status == 2
        assert sh.run("tail /nope").status == 2

    def test_wc(self, sh: Shell) -> None:
        assert sh.out("wc -l /tmp/lspv") == "       4 /tmp/lspv\n"
        assert sh.out("echo one two | wc -w") == "       2\n"
        assert sh.out("echo abc | wc -c") == "       4\n"
        assert sh.out("echo abc | wc") == "       1       1       4\n"
        assert sh.run("wc -z").status == 2


class TestSortUniqCutTr:
    def test_sort(self, sh: Shell) -> None:
        sh.out("printf '10 b\\n9 a\\n10 b\\n2 c\\n' > /tmp/s")
        assert sh.out("sort /tmp/s") == "10 b\n10 b\n2 c\n9 a\n"
        assert sh.out("sort -n /tmp/s") == "2 c\n9 a\n10 b\n10 b\n"
        assert sh.out("sort -rn -u /tmp/s") == "10 b\n9 a\n2 c\n"
        assert sh.out("sort -k 2 /tmp/s") == "9 a\n10 b\n10 b\n2 c\n"
        assert sh.out("echo 'b:2\na:1' | sort -t: -k2n") == "a:1\nb:2\n"
        assert sh.run("sort -k x /tmp/s").status == 2

    def test_uniq(self, sh: Shell) -> None:
        assert sh.out("printf 'a\\na\\nb\\na\\n' | uniq") == "a\nb\na\n"
        assert sh.out("printf 'a\\na\\nb\\n' | uniq -c") == "   2 a\n   1 b\n"
        assert sh.out("printf 'a\\na\\nb\\n' | uniq -d") == "a\n"

    def test_cut(self, sh: Shell) -> None:
        assert sh.out("echo 'a:b:c:d' | cut -d: -f2") == "b\n"
        assert sh.out("echo 'a:b:c:d' | cut -d : -f 1,3-") == "a:c:d\n"
        assert sh.out("echo abcdef | cut -c2-4") == "bcd\n"
        assert sh.out("echo nodelim | cut -d: -f2") == "nodelim\n"
        assert sh.out("echo nodelim | cut -s -d: -f2") == ""
        assert sh.run("echo x | cut").status == 2

    def test_tr(self, sh: Shell) -> None:
        assert sh.out("echo hello | tr a-z A-Z") == "HELLO\n"
        assert sh.out("echo 'a b c' | tr ' ' '\\n'") == "a\nb\nc\n"
        assert sh.out("echo 'a1b2' | tr -d '[:digit:]'") == "ab\n"
        assert sh.out("echo 'aa  bb' | tr -s ' '") == "aa bb\n"
        assert sh.out("echo 'Hello' | tr '[:upper:]' '[:lower:]'") == "hello\n"
        assert sh.run("tr").status == 2

    def test_tee_basename_dirname(self, sh: Shell) -> None:
        assert sh.out("echo line | tee /tmp/t1") == "line\n"
        assert sh.out("echo more | tee -a /tmp/t1 >/dev/null; cat /tmp/t1") == "line\nmore\n"
        assert sh.out("basename /usr/es/sbin/cluster/utilities/clmgr") == "clmgr\n"
        assert (
            sh.out("basename /tmp/app.sh .sh; dirname /tmp/app.sh; dirname app") == "app\n/tmp\n.\n"
        )


class TestExpr:
    @pytest.mark.parametrize(
        ("args", "out", "status"),
        [
            ("1 + 2", "3", 0),
            ("7 / 2", "3", 0),
            ("-7 % 3", "-1", 0),
            ("2 \\* 3 + 1", "7", 0),
            ("5 - 5", "0", 1),
            ("10 \\> 9", "1", 0),
            ("abc = abc", "1", 0),
            ("abc \\< abd", "1", 0),
            ("hdisk12 : 'hdisk\\([0-9]*\\)'", "12", 0),
            ("hdisk12 : 'hd'", "2", 0),
            ("x : 'y'", "0", 1),
            ("'' \\| alt", "alt", 0),
            ("a \\& ''", "0", 1),
            ("\\( 1 + 2 \\) \\* 2", "6", 0),
        ],
    )
    def test_expressions(self, sh: Shell, args: str, out: str, status: int) -> None:
        result = sh.run(f"expr {args}")
        assert (result.out, result.status) == (out + "\n", status)

    def test_errors(self, sh: Shell) -> None:
        assert sh.run("expr a + 1").err == "expr: 0509-032 A non-numeric argument is not valid.\n"
        assert sh.run("expr 1 / 0").status == 2
        assert sh.run("expr 1 +").status == 2
        assert sh.run("expr").status == 2

    def test_the_old_counter_idiom(self, sh: Shell) -> None:
        assert sh.out("i=0; while [ $i -lt 3 ]; do i=`expr $i + 1`; done; echo $i") == "3\n"
