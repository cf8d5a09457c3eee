"""Where a session's settings come from, as OpenStack users expect.

`load_config(cloud)` reads, in this order of precedence:

1. `overrides` (the CLI's `--os-*` options; None values are ignored),
2. the cloud named by `cloud` (`--os-cloud`) or `OS_CLOUD`, from the first clouds.yaml on the
   search path (`OS_CLIENT_CONFIG_FILE`, `./`, `~/.config/openstack/`, `/etc/openstack/`), with
   the same cloud of the first secure.yaml (`OS_CLIENT_SECURE_FILE`, same directories) merged
   over it,
3. otherwise the `OS_*` variables a sourced PowerVC `powervcrc` (or an openrc) exports.

A user or project given by name without a domain is looked up in the domain whose id is
`default`, as the openstack CLI does. Anything missing is a `ConfigError` naming the missing
settings the way the user would set them, and the fix.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from powerbridge.client.errors import ConfigError

AuthType = Literal["password", "v3applicationcredential", "v3token"]
DEFAULT_TIMEOUT = 60.0
INTERFACES = ("public", "internal", "admin")
SECRETS = frozenset({"password", "application_credential_secret", "token"})
REDACTED = "<redacted>"
CLOUDS_FILES = ("clouds.yaml", "clouds.yml", "clouds.json")
SECURE_FILES = ("secure.yaml", "secure.yml", "secure.json")

# setting -> the OS_* variable(s) that set it, the first one preferred
ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "auth_url": ("OS_AUTH_URL",),
    "auth_type": ("OS_AUTH_TYPE",),
    "username": ("OS_USERNAME",),
    "password": ("OS_PASSWORD",),
    "user_id": ("OS_USER_ID",),
    "user_domain_name": ("OS_USER_DOMAIN_NAME",),
    "user_domain_id": ("OS_USER_DOMAIN_ID",),
    "project_name": ("OS_PROJECT_NAME", "OS_TENANT_NAME"),
    "project_id": ("OS_PROJECT_ID", "OS_TENANT_ID"),
    "project_domain_name": ("OS_PROJECT_DOMAIN_NAME",),
    "project_domain_id": ("OS_PROJECT_DOMAIN_ID",),
    "application_credential_id": ("OS_APPLICATION_CREDENTIAL_ID",),
    "application_credential_name": ("OS_APPLICATION_CREDENTIAL_NAME",),
    "application_credential_secret": ("OS_APPLICATION_CREDENTIAL_SECRET",),
    "region_name": ("OS_REGION_NAME",),
    "interface": ("OS_INTERFACE", "OS_ENDPOINT_TYPE"),
    "cacert": ("OS_CACERT",),
    "insecure": ("OS_INSECURE",),
    "timeout": ("OS_API_TIMEOUT", "OS_TIMEOUT"),
    "identity_api_version": ("OS_IDENTITY_API_VERSION",),
}
AUTH_KEYS = (  # the keys of a clouds.yaml entry's `auth:` section
    "auth_url",
    "username",
    "password",
    "user_id",
    "user_domain_name",
    "user_domain_id",
    "project_name",
    "project_id",
    "project_domain_name",
    "project_domain_id",
    "application_credential_id",
    "application_credential_name",
    "application_credential_secret",
)
CLOUD_KEYS = {  # top-level keys of a clouds.yaml entry -> setting
    "auth_type": "auth_type",
    "region_name": "region_name",
    "interface": "interface",
    "endpoint_type": "interface",
    "cacert": "cacert",
    "verify": "verify",
    "insecure": "insecure",
    "api_timeout": "timeout",
    "timeout": "timeout",
    "identity_api_version": "identity_api_version",
}


@dataclass(frozen=True, repr=False)
class CloudConfig:
    """Everything a `Session` needs to reach one cloud. `repr` hides the secrets."""

    auth_url: str
    auth_type: AuthType = "password"
    username: str | None = None
    password: str | None = None
    user_id: str | None = None
    user_domain_name: str | None = None
    user_domain_id: str | None = None
    project_name: str | None = None
    project_id: str | None = None
    project_domain_name: str | None = None
    project_domain_id: str | None = None
    application_credential_id: str | None = None
    application_credential_name: str | None = None
    application_credential_secret: str | None = None
    region_name: str | None = None
    interface: str = "public"
    cacert: str | None = None  # a CA bundle (PEM) path, for PowerVC's self-signed certificate
    verify: bool = True  # False: the CLI's --insecure
    timeout: float = DEFAULT_TIMEOUT
    cloud_name: str | None = None
    token: str | None = None  # auth type v3token: a user's token (the portal's sessions)

    def __repr__(self) -> str:
        shown = [
            f"{f.name}={REDACTED if f.name in SECRETS else getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None
        ]
        return f"CloudConfig({', '.join(shown)})"

    def missing(self) -> list[tuple[str, ...]]:
        """The settings auth still needs, each as alternatives (`("username", "user_id")`)."""
        return missing_settings(dataclasses.asdict(self))


def missing_settings(settings: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """What `settings` lacks for its auth type; each entry lists interchangeable settings."""

    def lacks(*names: str) -> bool:
        return not any(settings.get(name) for name in names)

    missing: list[tuple[str, ...]] = [("auth_url",)] if lacks("auth_url") else []
    if settings.get("auth_type") == "v3applicationcredential":
        if lacks("application_credential_id", "application_credential_name"):
            missing.append(("application_credential_id", "application_credential_name"))
        elif lacks("application_credential_id") and lacks("username", "user_id"):
            missing.append(("username", "user_id"))  # a credential by name belongs to a user
        if lacks("application_credential_secret"):
            missing.append(("application_credential_secret",))
        return missing
    if settings.get("auth_type") == "v3token":  # rescoped to the project: cannot outlive it
        missing += [("token",)] if lacks("token") else []
        missing += [("project_name", "project_id")] if lacks("project_name", "project_id") else []
        return missing
    if lacks("username", "user_id"):
        missing.append(("username", "user_id"))
    if lacks("password"):
        missing.append(("password",))
    if lacks("project_name", "project_id"):
        missing.append(("project_name", "project_id"))
    return missing


def load_config(
    cloud: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    search_path: Sequence[Path] | None = None,
) -> CloudConfig:
    """The settings of `cloud` (else `OS_CLOUD`) from clouds.yaml, else from `OS_*` variables.

    `environ` defaults to `os.environ`; `search_path` (directories) to the openstack search
    path; `overrides` (CloudConfig field names) win over both.
    """
    env = os.environ if environ is None else environ
    directories = list(search_path) if search_path is not None else default_search_path(env)
    name = cloud or env.get("OS_CLOUD") or None
    if name:
        source: _Source = _CloudSource.load(name, env, directories)
    else:
        source = _EnvSource(_find(env.get("OS_CLIENT_CONFIG_FILE"), directories, CLOUDS_FILES))
    settings = source.settings(env)
    settings.update(_overrides(overrides or {}))
    return _build(settings, source, name)


def default_search_path(environ: Mapping[str, str]) -> list[Path]:
    """openstacksdk's: the current directory, the user's config dir, /etc/openstack."""
    config_home = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [Path.cwd(), Path(config_home) / "openstack", Path("/etc/openstack")]


# -- sources ----------------------------------------------------------------------------------
class _Source:
    def settings(self, environ: Mapping[str, str]) -> dict[str, Any]:
        raise NotImplementedError

    def missing_message(self, missing: list[tuple[str, ...]]) -> str:
        raise NotImplementedError


@dataclass
class _EnvSource(_Source):
    clouds_file: Path | None  # only to suggest --os-cloud when OS_* variables are missing

    def settings(self, environ: Mapping[str, str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for setting, variables in ENVIRONMENT.items():
            value = next((environ[v] for v in variables if environ.get(v)), None)
            if value is not None:
                found[setting] = value
        return found

    def missing_message(self, missing: list[tuple[str, ...]]) -> str:
        names = [_alternatives([ENVIRONMENT[s][0] for s in group]) for group in missing]
        verb = "is" if len(names) == 1 else "are"
        message = f"{', '.join(names)} {verb} not set: source your powervcrc or pass --os-cloud"
        if self.clouds_file is not None and self.clouds_file.is_file():
            try:
                clouds = ", ".join(_cloud_names(_read_yaml(self.clouds_file))) or "none"
            except ConfigError:
                clouds = "unreadable"
            message += f" (clouds in {self.clouds_file}: {clouds})"
        return message


@dataclass
class _CloudSource(_Source):
    name: str
    path: Path | None  # the clouds.yaml that names the cloud (None: only secure.yaml does)
    entry: dict[str, Any]

    @classmethod
    def load(cls, name: str, environ: Mapping[str, str], directories: list[Path]) -> _CloudSource:
        clouds_path = _find(environ.get("OS_CLIENT_CONFIG_FILE"), directories, CLOUDS_FILES)
        secure_path = _find(environ.get("OS_CLIENT_SECURE_FILE"), directories, SECURE_FILES)
        clouds = _read_yaml(clouds_path) if clouds_path else {}
        secure = _read_yaml(secure_path) if secure_path else {}
        entries = [_cloud_entry(doc, name) for doc in (clouds, secure)]
        if entries[0] is None and entries[1] is None:
            raise _unknown_cloud(name, clouds_path, clouds, directories)
        entry = _merge(entries[0] or {}, entries[1] or {})
        return cls(name, clouds_path if entries[0] is not None else secure_path, entry)

    def settings(self, environ: Mapping[str, str]) -> dict[str, Any]:
        auth = self.entry.get("auth") or {}
        if not isinstance(auth, dict):
            raise ConfigError(f"cloud {self.name!r} in {self.path}: auth must be a mapping")
        found = {key: auth[key] for key in AUTH_KEYS if auth.get(key) not in (None, "")}
        for old, new in (("tenant_name", "project_name"), ("tenant_id", "project_id")):
            if auth.get(old) and new not in found:
                found[new] = auth[old]
        for key, setting in CLOUD_KEYS.items():
            if self.entry.get(key) not in (None, "") and setting not in found:
                found[setting] = self.entry[key]
        regions = self.entry.get("regions")
        if "region_name" not in found and isinstance(regions, list) and regions:
            first = regions[0]
            found["region_name"] = first.get("name") if isinstance(first, dict) else first
        return found

    def missing_message(self, missing: list[tuple[str, ...]]) -> str:
        names = [_alternatives(list(group)) for group in missing]
        return (
            f"cloud {self.name!r} in {self.path} has no {', '.join(names)}: "
            f"add {'it' if len(names) == 1 else 'them'} under clouds.{self.name}.auth "
            "(secrets may go in secure.yaml)"
        )


def _alternatives(names: list[str]) -> str:
    first, *others = names
    return first + "".join(f" (or {other})" for other in others)


def _find(explicit: str | None, directories: list[Path], names: tuple[str, ...]) -> Path | None:
    if explicit:
        return Path(explicit).expanduser()
    for directory in directories:
        for name in names:
            candidate = directory.expanduser() / name
            if candidate.is_file():
                return candidate
    return None


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml  # lazily: most invocations use OS_* variables or are already configured

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise ConfigError(f"cannot read {path}: {problem.strerror or problem}") from None
    except yaml.YAMLError as problem:
        raise ConfigError(f"{path} is not valid YAML: {_one_line(str(problem))}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError(f"{path} must hold a mapping with a 'clouds:' key")
    return document


def _cloud_names(document: Mapping[str, Any]) -> list[str]:
    clouds = document.get("clouds")
    return sorted(str(name) for name in clouds) if isinstance(clouds, dict) else []


def _cloud_entry(document: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    clouds = document.get("clouds")
    entry = clouds.get(name) if isinstance(clouds, dict) else None
    if entry is not None and not isinstance(entry, dict):
        raise ConfigError(f"clouds.{name} must be a mapping")
    return entry


def _unknown_cloud(
    name: str, path: Path | None, clouds: Mapping[str, Any], directories: list[Path]
) -> ConfigError:
    if path is None:
        looked = ", ".join(str(d.expanduser() / CLOUDS_FILES[0]) for d in directories)
        return ConfigError(
            f"no cloud named {name!r}: no clouds.yaml found (looked for {looked or 'none'}); "
            "create one, set OS_CLIENT_CONFIG_FILE, or unset OS_CLOUD and source your powervcrc"
        )
    names = ", ".join(_cloud_names(clouds)) or "none"
    return ConfigError(f"no cloud named {name!r} in {path} (clouds there: {names})")


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    known = {f.name for f in dataclasses.fields(CloudConfig)} | {"insecure"}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
    return {key: value for key, value in overrides.items() if value is not None}


# -- building ---------------------------------------------------------------------------------
def _build(settings: dict[str, Any], source: _Source, cloud_name: str | None) -> CloudConfig:
    _check_identity_version(settings.pop("identity_api_version", None))
    insecure = settings.pop("insecure", None)
    if insecure is not None and "verify" not in settings:
        settings["verify"] = not _boolean(insecure, "insecure")
    settings["auth_type"] = _auth_type(settings.get("auth_type"), settings)
    missing = missing_settings(settings)
    if missing:
        raise ConfigError(source.missing_message(missing))
    if "verify" in settings:
        settings["verify"] = _boolean(settings["verify"], "verify")
    if "timeout" in settings:
        settings["timeout"] = _seconds(settings["timeout"])
    if "interface" in settings:
        settings["interface"] = normalize_interface(str(settings["interface"]))
    if settings.get("cacert"):
        settings["cacert"] = str(Path(str(settings["cacert"])).expanduser())
    settings.setdefault("cloud_name", cloud_name)
    strings = {
        key: str(value)
        for key, value in settings.items()
        if value is not None and key not in ("verify", "timeout")
    }
    return CloudConfig(**{**settings, **strings})


def _check_identity_version(version: Any) -> None:
    if version is not None and not str(version).strip().lstrip("v").startswith("3"):
        raise ConfigError(
            f"identity API version {version} is not supported: PowerVC uses Keystone v3 "
            "(set OS_IDENTITY_API_VERSION=3 and a .../v3 auth URL)"
        )


def _auth_type(value: Any, settings: Mapping[str, Any]) -> AuthType:
    if value in (None, ""):
        has_credential = settings.get("application_credential_secret") and (
            settings.get("application_credential_id") or settings.get("application_credential_name")
        )
        return "v3applicationcredential" if has_credential else "password"
    key = str(value).lower().replace("_", "").replace("-", "").removeprefix("v3")
    if key == "password":
        return "password"
    if key == "applicationcredential":
        return "v3applicationcredential"
    raise ConfigError(
        f"auth type {value!r} is not supported: use password or v3applicationcredential"
    )


def normalize_interface(value: str) -> str:
    """`public`, `internal` or `admin` (also accepts the old `publicURL` spellings)."""
    interface = value.strip().lower().removesuffix("url")
    if interface not in INTERFACES:
        raise ConfigError(f"interface {value!r} is not one of {', '.join(INTERFACES)}")
    return interface


def _boolean(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _seconds(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0.0
    if seconds <= 0:
        raise ConfigError(f"timeout must be a positive number of seconds, not {value!r}")
    return seconds


def _one_line(text: str) -> str:
    return " ".join(text.split())
