"""The ksh-like shell: words, quoting, lists, pipes, redirections, expansion, control flow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from powerbridge.emulator.aix.shell import run_line
from tests.emulator.aix.shellkit import Shell, add_node, emulator


@pytest.fixture
def sh(tmp_path: Path) -> Iterator[Shell]:
    with emulator(tmp_path) as instance:
        yield Shell(instance, add_node(instance))


class TestWords:
    def test_quotes_and_escapes(self, sh: Shell) -> None:
        sh.run("x=5")
        assert sh.out("echo $x ${x} \"$x\" '$x' \\$x") == "5 5 5 $x $x\n"
        assert sh.out("echo 'a  b'   \"c  d\"") == "a  b c  d\n"
        assert sh.out('echo "say \\"hi\\""') == 'say "hi"\n'

    def test_unquoted_expansion_is_split_quoted_is_not(self, sh: Shell) -> None:
        sh.run('list="a b  c"')
        assert sh.out("for i in $list; do echo [$i]; done") == "[a]\n[b]\n[c]\n"
        assert sh.out('for i in "$list"; do echo "[$i]"; done') == "[a b  c]\n"

    def test_empty_unquoted_variable_disappears(self, sh: Shell) -> None:
        assert sh.out('printf "%s|" $nothing x ""; echo') == "x||\n"

    def test_parameter_modifiers(self, sh: Shell) -> None:
        sh.run("f=/etc/cluster/rhosts")
        assert (
            sh.out("echo ${unset:-dflt} ${f##*/} ${f%/*} ${#f}") == "dflt rhosts /etc/cluster 19\n"
        )
        assert sh.out("echo ${new:=made}; echo $new") == "made\nmade\n"
        assert sh.out("echo ${f:+set}") == "set\n"

    def test_bad_substitution_is_reported(self, sh: Shell) -> None:
        result = sh.run("echo ${x/a/b}")
        assert result.status == 1
        assert "0403-011 The specified substitution is not valid" in result.err

    def test_command_substitution_and_backticks(self, sh: Shell) -> None:
        assert sh.out("echo $(echo a $(echo b)) `echo c`") == "a b c\n"
        assert sh.out("n=$(hostname); echo node=$n") == "node=node1\n"

    def test_substitution_status_is_the_assignment_status(self, sh: Shell) -> None:
        assert sh.out("x=$(false); echo $?") == "1\n"

    def test_arithmetic(self, sh: Shell) -> None:
        assert sh.out("i=4; echo $((i * 3 + 1)) $((7 / 2)) $((-7 % 3)) $((i > 2))") == "13 3 -1 1\n"
        assert sh.run("echo $((1 / 0))").status == 1

    def test_tilde_and_globs(self, sh: Shell) -> None:
        sh.run("touch /tmp/a.sh /tmp/b.sh /tmp/c.txt")
        assert sh.out("echo ~ /tmp/*.sh") == "/ /tmp/a.sh /tmp/b.sh\n"
        assert sh.out("echo /tmp/*.none") == "/tmp/*.none\n"
        assert sh.out("echo '/tmp/*.sh'") == "/tmp/*.sh\n"

    def test_special_parameters(self, sh: Shell) -> None:
        assert sh.out("set -- a 'b c'; echo $# $1 $2; for p in \"$@\"; do echo [$p]; done") == (
            "2 a b c\n[a]\n[b c]\n"
        )
        assert sh.out("echo $$").strip().isdigit()
        assert sh.out('set --; for p in "$@" "${@}"; do echo [$p]; done; echo end') == "end\n"
        assert sh.out('set -- a b; for p in "${@}"; do echo [$p]; done') == "[a]\n[b]\n"

    def test_a_quote_cut_by_a_brace_runs_to_the_end(self, sh: Shell) -> None:
        assert sh.run("echo ${x:-'}").status == 0


class TestLists:
    def test_sequences_and_conditionals(self, sh: Shell) -> None:
        assert sh.out("true && echo yes; false && echo no; false || echo alt") == "yes\nalt\n"
        assert sh.out("false; echo $?; true; echo $?") == "1\n0\n"

    def test_pipes(self, sh: Shell) -> None:
        assert sh.out("printf 'b\\na\\nb\\n' | sort | uniq -c") == "   1 a\n   2 b\n"
        assert sh.run("echo x | false").status == 1
        assert sh.run("! true").status == 1

    def test_comments_and_multiple_lines(self, sh: Shell) -> None:
        script = "# a comment\necho one # trailing\n\necho two \\\n  three\n"
        assert sh.out(script) == "one\ntwo three\n"

    def test_unknown_command(self, sh: Shell) -> None:
        result = sh.run("nosuchcmd -x")
        assert (result.out, result.err, result.status) == ("", "ksh: nosuchcmd:  not found.\n", 127)
        assert sh.out("echo $?") == "127\n"

    def test_system_paths_run_known_commands(self, sh: Shell) -> None:
        assert sh.out("/usr/bin/hostname") == "node1\n"
        assert sh.run("/usr/bin/nothing").err == "ksh: /usr/bin/nothing:  not found.\n"


class TestRedirections:
    def test_output_append_and_input(self, sh: Shell) -> None:
        sh.out("echo one > /tmp/f; echo two >> /tmp/f")
        assert sh.out("cat < /tmp/f") == "one\ntwo\n"
        sh.out("echo three > /tmp/f")
        assert sh.out("cat /tmp/f") == "three\n"

    def test_stderr_routing(self, sh: Shell) -> None:
        result = sh.run("cat /missing 2>/dev/null; echo after")
        assert (result.out, result.err) == ("after\n", "")
        result = sh.run("cat /missing 2>&1")
        assert (result.out, result.err) == ("cat: 0652-050 Cannot open /missing.\n", "")
        sh.run("cat /missing /etc/passwd > /tmp/both 2>&1")
        assert sh.out("head -1 /tmp/both") == "cat: 0652-050 Cannot open /missing.\n"
        result = sh.run("cat /missing 2>&1 >/dev/null")
        assert result.out == "cat: 0652-050 Cannot open /missing.\n"

    def test_dev_null_is_a_sink(self, sh: Shell) -> None:
        assert sh.out("echo gone > /dev/null; cat /dev/null; wc -c < /dev/null") == "       0\n"

    def test_redirection_errors(self, sh: Shell) -> None:
        result = sh.run("echo x > /no/such/dir/file")
        assert result.err == "ksh: /no/such/dir/file: 0403-005 Cannot create the specified file.\n"
        assert result.status == 1
        result = sh.run("cat < /nope")
        assert result.err == "ksh: /nope: 0403-016 Cannot find or open the file.\n"

    def test_here_documents(self, sh: Shell) -> None:
        sh.run("name=node2")
        assert sh.out("cat <<EOF\nhost $name `echo x`\nEOF\necho after") == "host node2 x\nafter\n"
        assert sh.out("cat <<'EOF'\nhost $name\nEOF") == "host $name\n"
        assert sh.out("cat <<-END\n\t\tindented\n\tEND") == "indented\n"
        assert sh.out('cat <<"EOF" > /tmp/h\n$literal\nEOF\ncat /tmp/h') == "$literal\n"

    def test_compound_command_redirected(self, sh: Shell) -> None:
        sh.out("printf 'a 1\\nb 2\\n' > /tmp/in")
        assert sh.out("while read k v; do echo $v$k; done < /tmp/in") == "1a\n2b\n"
        sh.out("for i in 1 2; do echo $i; done > /tmp/out")
        assert sh.out("cat /tmp/out") == "1\n2\n"


class TestControlFlow:
    def test_if_elif_else(self, sh: Shell) -> None:
        line = "if [ $x = a ]; then echo A; elif [ $x = b ]; then echo B; else echo other; fi"
        assert [sh.out(f"x={x}; {line}") for x in ("a", "b", "c")] == ["A\n", "B\n", "other\n"]

    def test_for_while_until_break_continue(self, sh: Shell) -> None:
        assert sh.out(
            "for i in 1 2 3 4; do [ $i = 2 ] && continue; [ $i = 4 ] && break; echo $i; done"
        ) == ("1\n3\n")
        assert sh.out("i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i") == "3\n"
        assert sh.out("i=0; until [ $i -ge 2 ]; do i=$((i+1)); echo $i; done") == "1\n2\n"

    def test_runaway_loop_is_stopped(self, sh: Shell) -> None:
        result = sh.run("while true; do :; done; echo never")
        assert result.status == 1
        assert "loop stopped after 10000 iterations" in result.err
        assert result.out == ""
        assert sh.out("echo still alive") == "still alive\n"

    def test_case(self, sh: Shell) -> None:
        line = 'case "$v" in a|b) echo ab;; c*) echo c-word;; *) echo other;; esac'
        assert [sh.out(f"v={v}; {line}") for v in ("b", "cat", "z")] == [
            "ab\n",
            "c-word\n",
            "other\n",
        ]

    def test_functions_and_return(self, sh: Shell) -> None:
        sh.out("greet() { echo hello $1; return 3; }")
        result = sh.run("greet world; echo $?")
        assert result.out == "hello world\n3\n"
        assert sh.out("function twice { echo $1$1; }; twice ab") == "abab\n"

    def test_runaway_recursion_is_stopped(self, sh: Shell) -> None:
        result = sh.run("f() { f; }; f")
        assert result.status == 1
        assert "recursion too deep" in result.err

    def test_set_e_stops_at_the_first_failure(self, sh: Shell) -> None:
        result = sh.run("set -e\necho one\nfalse\necho two")
        assert (result.out, result.status) == ("one\n", 1)
        assert sh.out("set +e; if false; then :; fi; false || echo handled") == "handled\n"

    def test_subshell_keeps_its_variables(self, sh: Shell) -> None:
        assert sh.out("x=out; (x=in; cd /tmp; echo $x); echo $x; pwd") == "in\nout\n/\n"

    def test_eval(self, sh: Shell) -> None:
        assert sh.out("cmd='echo evaluated'; eval $cmd") == "evaluated\n"


class TestSyntaxErrors:
    @pytest.mark.parametrize(
        ("line", "message"),
        [
            ("if true; then echo", "0403-057 Syntax error at line 1 : `if' is not matched."),
            ('echo "open', "0403-057 Syntax error at line 1 : `\"' is not matched."),
            (
                "for ((i=0;i<2;i++)); do :; done",
                "0403-057 Syntax error at line 1 : `(' is not expected.",
            ),
            ("then", "0403-057 Syntax error at line 1 : `then' is not expected."),
            ("echo a |", "0403-057 Syntax error at line 1 : `end of file' is not expected."),
            ("echo ok\nfi", "0403-057 Syntax error at line 2 : `fi' is not expected."),
        ],
    )
    def test_message_and_status(self, sh: Shell, line: str, message: str) -> None:
        result = sh.run(line)
        assert (result.out, result.err, result.status) == ("", f"ksh: {message}\n", 2)


class TestBuiltins:
    def test_cd_pwd_and_errors(self, sh: Shell) -> None:
        assert sh.out("cd /etc/cluster; pwd; cd ..; pwd; cd; pwd") == "/etc/cluster\n/etc\n/\n"
        assert sh.run("cd /nope").err == "ksh: /nope:  not found.\n"
        result = sh.run("cd /etc/hosts")
        assert "0403-037 The specified path name is not a directory." in result.err
        assert sh.session.cwd == "/"

    def test_cd_lasts_between_lines_and_paths_are_relative(self, sh: Shell) -> None:
        sh.out("cd /etc")
        assert sh.out("cat hosts | head -1").startswith("127.0.0.1")
        assert sh.session.env["PWD"] == "/etc"

    def test_export_unset_and_env(self, sh: Shell) -> None:
        sh.out("export CLUSTER=c1 OTHER")
        assert "CLUSTER=c1\n" in sh.out("env")
        sh.out("unset CLUSTER")
        assert "CLUSTER=" not in sh.out("env")
        assert sh.out("V=temp env | grep '^V='") == "V=temp\n"
        assert sh.out("echo ${V:-unset}") == "unset\n"

    def test_read_shift_and_colon(self, sh: Shell) -> None:
        assert sh.out("echo 'a b c' | { read x rest; echo $rest; }") == "b c\n"
        assert sh.out("set -- 1 2 3; shift; echo $*; shift 2; echo $#") == "2 3\n0\n"
        assert sh.out(": ignored args") == ""

    def test_exit_ends_the_session(self, sh: Shell) -> None:
        result = sh.run("echo bye; exit 3; echo never")
        assert (result.out, result.status) == ("bye\n", 3)
        assert sh.session.exited
        assert sh.session.exit_status == 3

    def test_exit_inside_a_subshell_does_not_end_the_session(self, sh: Shell) -> None:
        assert sh.out("(exit 4); echo $?") == "4\n"
        assert not sh.session.exited


class TestScripts:
    def test_script_by_path_needs_execute_permission(self, sh: Shell) -> None:
        sh.out("printf '#!/usr/bin/ksh\\necho from $0 $1\\n' > /tmp/s.sh")
        result = sh.run("/tmp/s.sh")
        assert result.err == "ksh: /tmp/s.sh: 0403-006 Execute permission denied.\n"
        assert result.status == 126
        sh.out("chmod +x /tmp/s.sh")
        assert sh.out("/tmp/s.sh arg") == "from /tmp/s.sh arg\n"
        assert sh.out("cd /tmp; ./s.sh rel") == "from ./s.sh rel\n"

    def test_ksh_sh_and_dot(self, sh: Shell) -> None:
        sh.out("printf 'v=set\\necho in $1\\nexit 5\\n' > /tmp/t.sh")
        assert sh.run("ksh /tmp/t.sh one").out == "in one\n"
        assert sh.out("sh /tmp/t.sh two; echo $? ${v:-unset}") == "in two\n5 unset\n"
        assert sh.out("ksh -c 'echo inline $0'") == "inline ksh\n"
        assert sh.out("/usr/bin/ksh /tmp/t.sh three; /bin/sh -c 'echo sh'") == "in three\nsh\n"
        sh.out("printf 'read a; echo got $a\\n' > /tmp/r.sh")
        assert sh.out("echo line | ksh /tmp/r.sh") == "got line\n"
        assert sh.out("echo 'echo piped' | ksh") == "piped\n"
        sh.out("printf 'v=sourced\\n' > /tmp/env.sh")
        assert sh.out(". /tmp/env.sh; echo $v") == "sourced\n"

    def test_missing_script(self, sh: Shell) -> None:
        result = sh.run("ksh /tmp/none.sh")
        assert (result.err, result.status) == (
            "ksh: /tmp/none.sh: 0403-016 Cannot find or open the file.\n",
            127,
        )

    def test_messages_inside_a_script_name_the_script_and_line(self, sh: Shell) -> None:
        sh.out("printf 'echo ok\\nnothere\\n' > /tmp/e.sh; chmod 755 /tmp/e.sh")
        result = sh.run("/tmp/e.sh")
        assert result.err == "/tmp/e.sh[2]: nothere:  not found.\n"
        sh.out("printf 'if true\\n' > /tmp/bad.sh")
        result = sh.run("ksh /tmp/bad.sh")
        assert (
            result.err == "/tmp/bad.sh[1]: 0403-057 Syntax error at line 1 : `if' is not matched.\n"
        )
        assert result.status == 2


class TestRobustness:
    def test_a_failing_command_does_not_kill_the_session(
        self, sh: Shell, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from powerbridge.emulator.aix.commands import COMMANDS

        def broken(_inv: object) -> int:
            raise RuntimeError("bug")

        monkeypatch.setitem(COMMANDS, "broken", broken)
        result = sh.run("broken; echo next")
        assert (result.out, result.err, result.status) == (
            "next\n",
            "ksh: broken: internal error\n",
            0,
        )

    def test_awaitable_commands_are_awaited(self, sh: Shell) -> None:
        assert sh.out("sleep 5; echo woke") == "woke\n"

    def test_run_line_is_a_fresh_session(self, tmp_path: Path) -> None:
        import asyncio

        with emulator(tmp_path) as instance:
            node = add_node(instance)
            first = asyncio.run(run_line(node, instance.aix, "x=1; echo $x"))
            second = asyncio.run(run_line(node, instance.aix, "echo ${x:-none}", stdin=""))
            assert (first.out, second.out) == ("1\n", "none\n")

    def test_the_clock_is_brought_up_to_date_before_each_command(self, sh: Shell) -> None:
        ran: list[str] = []
        engine = sh.session.world.ctx.engine
        original = engine.run_due
        engine.run_due = lambda: ran.append("due") or original()  # type: ignore[method-assign]
        sh.out("true; true | true")
        assert len(ran) == 3


class TestCompleteness:
    @pytest.mark.parametrize(
        ("text", "complete"),
        [
            ("echo hi", True),
            ("", True),
            ("for i in a b; do", False),
            ("for i in a b; do\necho $i\ndone", True),
            ("if true; then echo", False),
            ("echo 'open", False),
            ("echo a |", False),
            ("cat <<EOF\nline", False),
            ("cat <<EOF", False),
            ("echo x\ncat <<END | grep a\nEND", True),
            ("cat <<EOF\nline\nEOF", True),
            ("cat <<-EOF\n\tline\n\tEOF", True),
            ("then", True),  # a real error: run reports it
        ],
    )
    def test_is_complete(self, text: str, complete: bool) -> None:
        from powerbridge.emulator.aix.shell import is_complete

        assert is_complete(text) is complete

    def test_logout(self, sh: Shell) -> None:
        assert sh.run("logout").status == 0
        assert sh.session.exited


class TestLookup:
    def test_command_v_and_whence(self, sh: Shell) -> None:
        assert sh.out("command -v grep; command -v lssrc; command -v halevel") == (
            "/usr/bin/grep\n/usr/sbin/lssrc\n/usr/es/sbin/cluster/utilities/halevel\n"
        )
        assert sh.out("command -v cd; f() { :; }; command -v f") == "cd\nf\n"
        assert sh.out("whence -v cd grep if") == (
            "cd is a shell builtin\ngrep is /usr/bin/grep\nif is a keyword\n"
        )
        assert sh.out("type ls") == "ls is /usr/bin/ls\n"
        result = sh.run("command -v nothing; echo $?")
        assert (result.out, result.err) == ("1\n", "")
        assert sh.run("which nothing").err == "nothing not found\n"

    def test_powerha_commands_are_absent_without_powerha(self, tmp_path: Path) -> None:
        with emulator(tmp_path) as instance:
            plain = Shell(instance, add_node(instance, powerha=None))
            script = (
                "if command -v halevel >/dev/null 2>&1; then halevel -s; else echo no PowerHA; fi"
            )
            assert plain.out(script) == "no PowerHA\n"

    def test_command_runs_past_a_function(self, sh: Shell) -> None:
        assert sh.out("hostname() { echo shadowed; }; hostname; command hostname") == (
            "shadowed\nnode1\n"
        )

    def test_scripts_on_the_node(self, sh: Shell) -> None:
        sh.out("echo : > /tmp/x.sh; chmod +x /tmp/x.sh")
        assert sh.out("command -v /tmp/x.sh") == "/tmp/x.sh\n"
        assert sh.run("command -v /etc/hosts").status == 1
