"""`powerbridge.ha` is the portal's API: every exported name resolves, and importing the
package loads none of its modules (nor asyncssh) until a name is used."""

from __future__ import annotations

import subprocess
import sys

import powerbridge.ha


def test_every_exported_name_resolves() -> None:
    for name in powerbridge.ha.__all__:
        assert getattr(powerbridge.ha, name) is not None, name
    assert sorted(dir(powerbridge.ha)) == sorted(powerbridge.ha.__all__)


def test_importing_the_package_is_cheap() -> None:
    probe = (
        "import sys, powerbridge.ha; "
        "print(sorted(m for m in sys.modules if m.startswith(('powerbridge.ha.', 'asyncssh'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
