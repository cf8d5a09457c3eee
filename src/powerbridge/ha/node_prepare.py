"""Node preparation, as ksh fragments: /etc/hosts, /etc/cluster/rhosts, clcomd, the
application's scripts, cfgmgr. Each fragment checks before it changes, so a second run
changes nothing and never adds a second line anywhere."""

from __future__ import annotations

from powerbridge.ha.ksh import ere_escape, quote, write_file
from powerbridge.ha.model import ClusterSpec, ScriptSpec
from powerbridge.ha.node_values import Values

__all__ = ["application_scripts", "cfgmgr", "etc_hosts", "rhosts"]


def _host_names(name: str, domain: str | None) -> list[str]:
    """The names of one /etc/hosts line: `FQDN SHORT` with a domain, else `SHORT`."""
    return [f"{name}.{domain}", name] if domain else [name]


def _hosts_line(variable: str, name: str, domain: str | None) -> str:
    names = _host_names(name, domain)
    line = f'"${variable} {" ".join(names)}"'
    # the short name or any FQDN of it, as a whole word after the address, not in a comment
    short = ere_escape(name)
    pattern = quote(f"^[^#]*[[:space:]]{short}(\\.[^[:space:]#]*)?([[:space:]]|#|$)")
    return f"pb_hosts {line} {pattern}\n"


def etc_hosts(spec: ClusterSpec, values: Values) -> str:
    """One `IP [FQDN] SHORT` line per node and for the service label; a line naming one of
    them with another address is replaced, every other line kept."""
    lines = ["# /etc/hosts: one line per node and the service label\n"]
    lines += [_hosts_line(node.variable, node.name, values.domain) for node in values.nodes]
    lines.append(_hosts_line(values.service_variable, spec.service_ip.label, values.domain))
    return "".join(lines)


def rhosts(values: Values) -> str:
    """/etc/cluster/rhosts: the nodes' addresses, one a line, mode 0600; clcomd refreshed
    every time (it trusts what it read at its last start or refresh, not the file)."""
    addresses = " ".join(f'"${node.variable}"' for node in values.nodes)
    return (
        "# /etc/cluster/rhosts: the nodes clcomd trusts\n"
        "mkdir -p /etc/cluster || pb_fail 'cannot create /etc/cluster'\n"
        f"printf '%s\\n' {addresses} > /etc/cluster/rhosts.powerbridge ||"
        " pb_fail 'cannot write /etc/cluster/rhosts.powerbridge'\n"
        "pb_install /etc/cluster/rhosts.powerbridge /etc/cluster/rhosts 600\n"
        "refresh -s clcomd || pb_fail 'refresh -s clcomd failed: is clcomd defined"
        " (lssrc -s clcomd)?'\n"
    )


def _script(what: str, script: ScriptSpec) -> str:
    if script.content is not None:
        return write_file(script.path, script.content, "755")
    path = quote(script.path)
    missing = (
        f"the {what} {script.path} does not exist (the spec gives only its path:"
        " put it on the image or give its content)"
    )
    not_executable = f"the {what} {script.path} is not executable: chmod 755 {script.path}"
    return (
        f"[ -f {path} ] || pb_fail {quote(missing)}\n"
        f"[ -x {path} ] || pb_fail {quote(not_executable)}\n"
    )


def application_scripts(spec: ClusterSpec) -> str:
    """The start, stop and monitor scripts: written (mode 755) when the spec gives their
    content, else checked to exist and be executable."""
    application = spec.application
    parts = ["# the application's scripts\n"]
    parts.append(_script("application start script", application.start))
    parts.append(_script("application stop script", application.stop))
    if application.monitor is not None:
        parts.append(_script("application monitor script", application.monitor.script))
    return "".join(parts)


def cfgmgr() -> str:
    return "cfgmgr || pb_fail 'cfgmgr failed'\n"
