"""Keystone's credentials (`/v3/credentials`, and the EC2 view of them under
`/v3/users/{user_id}/credentials/OS-EC2`) and policy blobs (`/v3/policies`).

An EC2 credential is a credential of type "ec2" whose blob is `{"access", "secret",
"trust_id", ...}`; its id is the SHA-256 of the access key, as keystone makes it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

from powerbridge.emulator.backend.identity_admin_records import Credential, Policy
from powerbridge.emulator.backend.identity_records import IdentityDirectory
from powerbridge.emulator.errors import bad_request, conflict, not_found

EC2 = "ec2"


class CredentialAdmin(IdentityDirectory):
    # -- credentials ---------------------------------------------------------------------
    def credential(self, credential_id: str) -> Credential:
        try:
            return self.credentials[credential_id]
        except KeyError:
            raise not_found(f"Could not find credential: {credential_id}.") from None

    def create_credential(self, fields: Mapping[str, Any]) -> Credential:
        self.user(fields["user_id"])
        credential_type, blob = fields["type"], fields["blob"]
        credential_id = uuid.uuid4().hex
        if credential_type == EC2:
            if not fields.get("project_id"):
                raise bad_request("Invalid blob in credential: an ec2 credential needs project_id")
            credential_id = ec2_id(_ec2_blob(blob))
        if credential_id in self.credentials:
            raise conflict(
                f"Conflict occurred attempting to store credential - Duplicate entry found "
                f"with ID {credential_id}."
            )
        credential = Credential(
            credential_id, fields["user_id"], credential_type, blob, fields.get("project_id")
        )
        self.credentials[credential.id] = credential
        self._save("credential", credential)
        return credential

    def update_credential(self, credential_id: str, fields: Mapping[str, Any]) -> Credential:
        credential = self.credential(credential_id)
        if "user_id" in fields:
            self.user(fields["user_id"])
        for key in ("user_id", "type", "blob", "project_id"):
            if key in fields:
                setattr(credential, key, fields[key])
        if credential.type == EC2:
            _ec2_blob(credential.blob)
        self._save("credential", credential)
        return credential

    def delete_credential(self, credential_id: str) -> None:
        self.credential(credential_id)
        del self.credentials[credential_id]
        self.store.delete("credential", credential_id)

    def drop_credentials(self, user_id: str) -> None:
        for credential in [c for c in self.credentials.values() if c.user_id == user_id]:
            self.delete_credential(credential.id)

    # -- EC2 credentials -----------------------------------------------------------------
    def create_ec2(self, user_id: str, project_id: str) -> Credential:
        self.user(user_id), self.project(project_id)
        blob = {"access": uuid.uuid4().hex, "secret": uuid.uuid4().hex, "trust_id": None}
        fields = {"user_id": user_id, "type": EC2, "blob": json.dumps(blob)}
        return self.create_credential({**fields, "project_id": project_id})

    def ec2_of(self, user_id: str) -> list[Credential]:
        self.user(user_id)
        return [c for c in self.credentials.values() if c.user_id == user_id and c.type == EC2]

    def ec2(self, user_id: str, access: str) -> Credential:
        credential = self.credentials.get(ec2_id(access))
        if credential is None or credential.user_id != user_id or credential.type != EC2:
            raise not_found("Could not find credential: " + ec2_id(access) + ".")
        return credential

    # -- policies ------------------------------------------------------------------------
    def policy(self, policy_id: str) -> Policy:
        try:
            return self.policies[policy_id]
        except KeyError:
            raise not_found(f"Could not find policy: {policy_id}.") from None

    def create_policy(self, blob: str, policy_type: str) -> Policy:
        policy = Policy(uuid.uuid4().hex, blob, policy_type)
        self.policies[policy.id] = policy
        self._save("policy", policy)
        return policy

    def update_policy(self, policy_id: str, fields: Mapping[str, Any]) -> Policy:
        policy = self.policy(policy_id)
        for key in ("blob", "type"):
            if key in fields:
                setattr(policy, key, fields[key])
        self._save("policy", policy)
        return policy

    def delete_policy(self, policy_id: str) -> None:
        self.policy(policy_id)
        del self.policies[policy_id]
        self.store.delete("policy", policy_id)


def ec2_id(access: str) -> str:
    return hashlib.sha256(access.encode()).hexdigest()


def _ec2_blob(blob: str) -> str:
    """The access key of an ec2 blob; keystone's 400 when the blob is not one."""
    try:
        loaded = json.loads(blob)
    except ValueError:
        loaded = None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("access"), str):
        raise bad_request("Invalid blob in credential")
    return str(loaded["access"])


def ec2_blob(credential: Credential) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(credential.blob)
    return loaded
