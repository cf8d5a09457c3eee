"""load_config: clouds.yaml (+ secure.yaml), OS_CLOUD, OS_* like a powervcrc, overrides."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from powerbridge.client.config import CloudConfig, default_search_path, load_config
from powerbridge.client.errors import ConfigError

AUTH_URL = "https://pvc.example.com:5000/v3/"

# what PowerVC's /opt/ibm/powervc/powervcrc exports, with the user's name and password filled in
POWERVCRC = {
    "OS_IDENTITY_API_VERSION": "3",
    "OS_AUTH_URL": AUTH_URL,
    "OS_CACERT": "/etc/pki/tls/certs/powervc.crt",
    "OS_REGION_NAME": "RegionOne",
    "OS_PROJECT_DOMAIN_NAME": "Default",
    "OS_PROJECT_NAME": "ibm-default",
    "OS_TENANT_NAME": "ibm-default",
    "OS_USER_DOMAIN_NAME": "Default",
    "OS_USERNAME": "root",
    "OS_PASSWORD": "passw0rd",
    "OS_COMPUTE_API_VERSION": "2.46",
    "OS_NETWORK_API_VERSION": "2.0",
    "OS_IMAGE_API_VERSION": "2",
    "OS_VOLUME_API_VERSION": "3",
}

CLOUDS = """
clouds:
  powervc:
    auth:
      auth_url: https://pvc.example.com/powervc/openstack/identity/v3
      username: admin
      project_name: ibm-default
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: internal
    cacert: ~/powervc.crt
  lab:
    auth:
      auth_url: https://lab:5000/v3
      application_credential_id: 4f1e
      application_credential_secret: s3cret
    auth_type: v3applicationcredential
    verify: false
"""

SECURE = """
clouds:
  powervc:
    auth:
      password: from-secure
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


# -- OS_* variables -------------------------------------------------------------------------
def test_a_sourced_powervcrc() -> None:
    config = load_config(environ=POWERVCRC, search_path=[])
    assert config == CloudConfig(
        auth_url=AUTH_URL,
        username="root",
        password="passw0rd",
        user_domain_name="Default",
        project_name="ibm-default",
        project_domain_name="Default",
        region_name="RegionOne",
        cacert="/etc/pki/tls/certs/powervc.crt",
    )


def test_tenant_name_is_the_old_project_name() -> None:
    env = {k: v for k, v in POWERVCRC.items() if k != "OS_PROJECT_NAME"}
    env["OS_TENANT_NAME"] = "legacy"
    assert load_config(environ=env, search_path=[]).project_name == "legacy"


def test_ids_instead_of_names() -> None:
    env = {
        "OS_AUTH_URL": AUTH_URL,
        "OS_USER_ID": "u1",
        "OS_PASSWORD": "pw",
        "OS_PROJECT_ID": "p1",
        "OS_USER_DOMAIN_ID": "default",
    }
    config = load_config(environ=env, search_path=[])
    assert (config.user_id, config.project_id, config.username) == ("u1", "p1", None)
    assert config.user_domain_id == "default"


def test_transport_settings_from_env() -> None:
    env = {
        **POWERVCRC,
        "OS_INSECURE": "true",
        "OS_INTERFACE": "publicURL",
        "OS_API_TIMEOUT": "12.5",
    }
    config = load_config(environ=env, search_path=[])
    assert (config.verify, config.interface, config.timeout) == (False, "public", 12.5)


def test_endpoint_type_is_the_old_interface() -> None:
    env = {**POWERVCRC, "OS_ENDPOINT_TYPE": "internalURL"}
    assert load_config(environ=env, search_path=[]).interface == "internal"


def test_application_credential_by_id() -> None:
    env = {
        "OS_AUTH_URL": AUTH_URL,
        "OS_AUTH_TYPE": "v3applicationcredential",
        "OS_APPLICATION_CREDENTIAL_ID": "c1",
        "OS_APPLICATION_CREDENTIAL_SECRET": "s",
    }
    config = load_config(environ=env, search_path=[])
    assert config.auth_type == "v3applicationcredential"
    assert (config.application_credential_id, config.application_credential_secret) == ("c1", "s")


def test_application_credential_is_inferred_without_auth_type() -> None:
    env = {
        "OS_AUTH_URL": AUTH_URL,
        "OS_APPLICATION_CREDENTIAL_ID": "c1",
        "OS_APPLICATION_CREDENTIAL_SECRET": "s",
    }
    assert load_config(environ=env, search_path=[]).auth_type == "v3applicationcredential"


def test_application_credential_by_name_needs_its_user() -> None:
    env = {
        "OS_AUTH_URL": AUTH_URL,
        "OS_AUTH_TYPE": "v3applicationcredential",
        "OS_APPLICATION_CREDENTIAL_NAME": "ci",
        "OS_APPLICATION_CREDENTIAL_SECRET": "s",
    }
    with pytest.raises(ConfigError) as caught:
        load_config(environ=env, search_path=[])
    assert str(caught.value) == (
        "OS_USERNAME (or OS_USER_ID) is not set: source your powervcrc or pass --os-cloud"
    )
    config = load_config(environ={**env, "OS_USERNAME": "root"}, search_path=[])
    assert config.application_credential_name == "ci"


def test_missing_auth_url() -> None:
    env = {k: v for k, v in POWERVCRC.items() if k != "OS_AUTH_URL"}
    with pytest.raises(ConfigError) as caught:
        load_config(environ=env, search_path=[])
    assert str(caught.value) == "OS_AUTH_URL is not set: source your powervcrc or pass --os-cloud"


def test_powervcrc_as_shipped_has_no_user_or_password() -> None:
    env = {**POWERVCRC, "OS_USERNAME": "", "OS_PASSWORD": ""}
    with pytest.raises(ConfigError) as caught:
        load_config(environ=env, search_path=[])
    assert str(caught.value) == (
        "OS_USERNAME (or OS_USER_ID), OS_PASSWORD are not set: "
        "source your powervcrc or pass --os-cloud"
    )


def test_nothing_configured() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(environ={}, search_path=[])
    message = str(caught.value)
    assert message.startswith("OS_AUTH_URL, OS_USERNAME (or OS_USER_ID), OS_PASSWORD, ")
    assert "OS_PROJECT_NAME (or OS_PROJECT_ID) are not set" in message


def test_nothing_configured_but_a_clouds_yaml_exists(tmp_path: Path) -> None:
    path = write(tmp_path, "clouds.yaml", CLOUDS)
    with pytest.raises(ConfigError) as caught:
        load_config(environ={}, search_path=[tmp_path])
    assert str(caught.value).endswith(f"--os-cloud (clouds in {path}: lab, powervc)")


def test_keystone_v2_is_refused() -> None:
    with pytest.raises(ConfigError, match="identity API version 2 is not supported"):
        load_config(environ={**POWERVCRC, "OS_IDENTITY_API_VERSION": "2"}, search_path=[])


def test_unsupported_auth_type() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(environ={**POWERVCRC, "OS_AUTH_TYPE": "v3oidcpassword"}, search_path=[])
    assert str(caught.value) == (
        "auth type 'v3oidcpassword' is not supported: use password or v3applicationcredential"
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("OS_INTERFACE", "external", "interface 'external' is not one of public, internal, admin"),
        ("OS_INSECURE", "maybe", "insecure must be true or false, not 'maybe'"),
        ("OS_API_TIMEOUT", "soon", "timeout must be a positive number of seconds, not 'soon'"),
    ],
)
def test_bad_values(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(environ={**POWERVCRC, variable: value}, search_path=[])
    assert str(caught.value) == message


# -- clouds.yaml ------------------------------------------------------------------------------
def test_cloud_by_name_with_secure_yaml_merged(tmp_path: Path) -> None:
    write(tmp_path, "clouds.yaml", CLOUDS)
    write(tmp_path, "secure.yaml", SECURE)
    config = load_config("powervc", environ={}, search_path=[tmp_path])
    assert config.password == "from-secure"
    assert config.username == "admin"
    assert config.auth_url == "https://pvc.example.com/powervc/openstack/identity/v3"
    assert (config.region_name, config.interface) == ("RegionOne", "internal")
    assert config.cacert == str(Path.home() / "powervc.crt")
    assert config.cloud_name == "powervc"


def test_cloud_from_os_cloud(tmp_path: Path) -> None:
    write(tmp_path, "clouds.yaml", CLOUDS)
    config = load_config(environ={"OS_CLOUD": "lab"}, search_path=[tmp_path])
    assert config.auth_type == "v3applicationcredential"
    assert config.application_credential_secret == "s3cret"
    assert config.verify is False
    assert config.cloud_name == "lab"


def test_os_cloud_beats_os_variables(tmp_path: Path) -> None:
    write(tmp_path, "clouds.yaml", CLOUDS)
    config = load_config(environ={**POWERVCRC, "OS_CLOUD": "lab"}, search_path=[tmp_path])
    assert config.auth_url == "https://lab:5000/v3"


def test_argument_beats_os_cloud(tmp_path: Path) -> None:
    write(tmp_path, "clouds.yaml", CLOUDS)
    write(tmp_path, "secure.yaml", SECURE)
    config = load_config("powervc", environ={"OS_CLOUD": "lab"}, search_path=[tmp_path])
    assert config.cloud_name == "powervc"


def test_first_directory_on_the_search_path_wins(tmp_path: Path) -> None:
    first = tmp_path / "first"
    write(first, "clouds.yml", "clouds: {lab: {auth: {auth_url: 'https://first/v3'}}}")
    write(tmp_path / "second", "clouds.yaml", CLOUDS)
    with pytest.raises(ConfigError) as caught:  # the first file has no credentials for lab
        load_config("lab", environ={}, search_path=[first, tmp_path / "second"])
    assert str(caught.value).startswith(
        f"cloud 'lab' in {first / 'clouds.yml'} has no username (or user_id), password, "
    )


def test_os_client_config_file_comes_first(tmp_path: Path) -> None:
    explicit = write(tmp_path / "elsewhere", "my-clouds.yaml", CLOUDS)
    write(tmp_path / "cwd", "clouds.yaml", "clouds: {}")
    env = {"OS_CLIENT_CONFIG_FILE": str(explicit), "OS_CLOUD": "lab"}
    assert load_config(environ=env, search_path=[tmp_path / "cwd"]).auth_url == (
        "https://lab:5000/v3"
    )


def test_os_client_secure_file(tmp_path: Path) -> None:
    write(tmp_path, "clouds.yaml", CLOUDS)
    secure = write(tmp_path / "vault", "pw.yaml", SECURE)
    env = {"OS_CLIENT_SECURE_FILE": str(secure)}
    assert load_config("powervc", environ=env, search_path=[tmp_path]).password == "from-secure"


def test_regions_list_and_legacy_keys(tmp_path: Path) -> None:
    write(
        tmp_path,
        "clouds.yaml",
        """
        clouds:
          old:
            auth: {auth_url: 'https://h/v3', username: u, password: 12345, tenant_name: t}
            regions: [{name: East}, West]
            insecure: true
            api_timeout: 30
            identity_api_version: 3
        """,
    )
    config = load_config("old", environ={}, search_path=[tmp_path])
    assert (config.project_name, config.region_name) == ("t", "East")
    assert config.password == "12345"  # YAML numbers become strings
    assert (config.verify, config.timeout) == (False, 30.0)


def test_unknown_cloud_names_the_file_and_its_clouds(tmp_path: Path) -> None:
    path = write(tmp_path, "clouds.yaml", CLOUDS)
    with pytest.raises(ConfigError) as caught:
        load_config("x", environ={}, search_path=[tmp_path])
    assert str(caught.value) == f"no cloud named 'x' in {path} (clouds there: lab, powervc)"


def test_cloud_only_in_secure_yaml(tmp_path: Path) -> None:
    write(tmp_path, "clouds.yaml", "clouds: {}")
    write(tmp_path, "secure.yaml", "clouds: {s: {auth: {auth_url: 'https://h/v3'}}}")
    with pytest.raises(ConfigError, match=r"^cloud 's' in .*secure\.yaml has no username"):
        load_config("s", environ={}, search_path=[tmp_path])


def test_no_clouds_yaml_at_all(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"OS_CLOUD": "powervc"}, search_path=[tmp_path])
    assert str(caught.value) == (
        f"no cloud named 'powervc': no clouds.yaml found (looked for {tmp_path}/clouds.yaml); "
        "create one, set OS_CLIENT_CONFIG_FILE, or unset OS_CLOUD and source your powervcrc"
    )


def test_cloud_missing_pieces(tmp_path: Path) -> None:
    path = write(tmp_path, "clouds.yaml", CLOUDS)  # no secure.yaml: no password
    with pytest.raises(ConfigError) as caught:
        load_config("powervc", environ={}, search_path=[tmp_path])
    assert str(caught.value) == (
        f"cloud 'powervc' in {path} has no password: add it under clouds.powervc.auth "
        "(secrets may go in secure.yaml)"
    )


def test_invalid_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "clouds.yaml", "clouds: [unclosed")
    with pytest.raises(ConfigError, match=f"^{path} is not valid YAML: "):
        load_config("x", environ={}, search_path=[tmp_path])


def test_yaml_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "clouds.yaml", "- a\n- b\n")
    with pytest.raises(ConfigError, match=f"^{path} must hold a mapping"):
        load_config("x", environ={}, search_path=[tmp_path])


def test_default_search_path_follows_xdg() -> None:
    paths = default_search_path({"XDG_CONFIG_HOME": "/x/config"})
    assert paths == [Path.cwd(), Path("/x/config/openstack"), Path("/etc/openstack")]


# -- overrides ------------------------------------------------------------------------------
def test_overrides_win_over_env() -> None:
    overrides = {"password": "typed", "region_name": "West", "verify": False, "cacert": None}
    config = load_config(environ=POWERVCRC, overrides=overrides, search_path=[])
    assert (config.password, config.region_name, config.verify) == ("typed", "West", False)
    assert config.cacert == POWERVCRC["OS_CACERT"]  # None means "not given"


def test_overrides_win_over_clouds_yaml(tmp_path: Path) -> None:
    write(tmp_path, "clouds.yaml", CLOUDS)
    config = load_config(
        "powervc", environ={}, overrides={"password": "typed"}, search_path=[tmp_path]
    )
    assert config.password == "typed"


def test_overrides_complete_a_partial_env() -> None:
    env = {"OS_AUTH_URL": AUTH_URL}
    overrides = {"username": "u", "password": "p", "project_name": "p"}
    assert load_config(environ=env, overrides=overrides, search_path=[]).username == "u"


def test_unknown_override() -> None:
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(environ=POWERVCRC, overrides={"pasword": "x"}, search_path=[])


# -- the record ---------------------------------------------------------------------------
def test_repr_hides_secrets() -> None:
    config = CloudConfig(
        auth_url=AUTH_URL,
        username="root",
        password="hunter2",
        application_credential_secret="sekrit",
    )
    text = repr(config)
    assert "hunter2" not in text
    assert "sekrit" not in text
    assert "password='<redacted>'" in text
    assert "username='root'" in text


def test_missing_settings_of_a_hand_built_config() -> None:
    assert CloudConfig(auth_url=AUTH_URL, username="u").missing() == [
        ("password",),
        ("project_name", "project_id"),
    ]


def test_yaml_is_imported_only_for_clouds_yaml() -> None:
    code = (
        "import sys\n"
        "from powerbridge.client import load_config\n"
        f"load_config(environ={POWERVCRC!r}, search_path=[])\n"
        "assert 'yaml' not in sys.modules, 'yaml imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
