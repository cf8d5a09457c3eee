"""Signed-in browsers, kept in the shared job store (table `portal_sessions`, schema 3).

The cookie holds a random session id; the store holds only its SHA-256, with the user's
Keystone token (encrypted with the portal's key, cipher.py), the cloud it is of (schema 6;
None: the default), their project and roles, a CSRF token, and the token's expiry, which
is the session's: a session never outlives its token. Signing in (password, then the project) makes
a new id at each step and deletes the one before, so an id planted before sign-in is worth
nothing after it (session fixation). Any portal process on the store serves any session.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from powerbridge.client import Endpoint, Token
from powerbridge.jobs import JobStore
from powerbridge.jobs.schema import db_now, portal_sessions
from powerbridge.portal.cipher import Cipher, CipherError

__all__ = ["PortalSession", "Sessions"]

_table = portal_sessions
RENEW_BEFORE_END = 60.0


@dataclass(frozen=True)
class PortalSession:
    key: str  # the stored id (the cookie's hash)
    csrf: str
    token: str = ""
    user_id: str = ""
    user_name: str = ""
    domain: str = "Default"
    project_id: str | None = None
    project_name: str | None = None
    roles: tuple[str, ...] = ()
    expires_at: datetime | None = None
    catalog: tuple[Endpoint, ...] = ()
    cloud: str | None = None  # the cloud signed in to (clouds.py); None: the default

    @property
    def scoped(self) -> bool:
        """Signed in to a project (else: the project is still to be picked)."""
        return self.project_id is not None

    def token_record(self) -> Token | None:
        """The session's token as the client holds one, so calls need no new token."""
        if self.expires_at is None:
            return None
        return Token(
            value=self.token,
            expires_at=self.expires_at,
            issued_at=None,
            user_id=self.user_id,
            user_name=self.user_name,
            project_id=self.project_id,
            project_name=self.project_name,
            roles=self.roles,
            catalog=self.catalog,
            # renewed (rescoped: its expiry stays) a minute before it ends
            renew_at=self.expires_at.timestamp() - RENEW_BEFORE_END,
        )


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


class Sessions:
    def __init__(self, store: JobStore, cipher: Cipher) -> None:
        self.engine = store.engine
        self.dialect = store.dialect
        self.cipher = cipher

    def start(
        self, token: Token, *, domain: str, cloud: str | None, replacing: str | None = None
    ) -> str:
        """A new session for `token` of `cloud` (unscoped: the user still picks a project);
        the cookie value. `replacing` (the cookie of the session it follows) is deleted."""
        cookie = secrets.token_urlsafe(32)
        row = {
            "id": _key(cookie),
            "csrf": secrets.token_urlsafe(32),
            "token": self.cipher.seal(token.value),
            "user_id": token.user_id,
            "user_name": token.user_name or token.user_id,
            "domain": domain,
            "project_id": token.project_id,
            "project_name": token.project_name,
            "roles": json.dumps(list(token.roles)),
            "catalog": json.dumps([dataclasses.asdict(entry) for entry in token.catalog]),
            "created_at": db_now(self.dialect),
            "expires_at": token.expires_at,
            "cloud": cloud,
        }
        with self.engine.begin() as db:
            if replacing is not None:
                db.execute(_table.delete().where(_table.c.id == _key(replacing)))
            db.execute(_table.insert().values(**row))
        return cookie

    def find(self, cookie: str | None) -> PortalSession | None:
        """The live session of `cookie`; None when there is none or its token expired."""
        if not cookie:
            return None
        live = (_table.c.id == _key(cookie)) & (_table.c.expires_at > db_now(self.dialect))
        with self.engine.connect() as db:
            row = db.execute(sa.select(_table).where(live)).mappings().first()
        if row is None:
            return None
        try:
            return self._session(row)
        except CipherError:
            return None  # sealed with another key: signed out, in effect

    def of_user(self, user_id: str, project_id: str) -> list[PortalSession]:
        """The live sessions of a user in a project (a job's owner, signed in again), of
        any cloud: the caller keeps those of its job's."""
        live = (
            (_table.c.user_id == user_id)
            & (_table.c.project_id == project_id)
            & (_table.c.expires_at > db_now(self.dialect))
        )
        with self.engine.connect() as db:
            rows = db.execute(sa.select(_table).where(live)).mappings().all()
        found = []
        for row in rows:
            try:
                found.append(self._session(row))
            except CipherError:
                continue  # sealed with another key: unusable, like an expired one
        return found

    def _session(self, row: sa.RowMapping) -> PortalSession:
        return PortalSession(
            key=row["id"],
            csrf=row["csrf"],
            token=self.cipher.open(row["token"]),
            user_id=row["user_id"],
            user_name=row["user_name"],
            domain=row["domain"],
            project_id=row["project_id"],
            project_name=row["project_name"],
            roles=tuple(json.loads(row["roles"])),
            expires_at=row["expires_at"],
            catalog=tuple(Endpoint(**entry) for entry in json.loads(row["catalog"])),
            cloud=row["cloud"],
        )

    def end(self, cookie: str) -> None:
        with self.engine.begin() as db:
            db.execute(_table.delete().where(_table.c.id == _key(cookie)))

    def purge_expired(self) -> int:
        """Forget the sessions whose tokens expired; how many."""
        with self.engine.begin() as db:
            gone = _table.delete().where(_table.c.expires_at <= db_now(self.dialect))
            return int(db.execute(gone).rowcount)
