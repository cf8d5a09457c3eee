"""The portal: self-service PowerHA clusters on the web (docs/portal.md).

```python
app = create_app(PortalSettings(cloud=load_config("powervc"), store_url=None))
uvicorn.run(app)                  # or: powerbridge portal --os-cloud powervc
```
FastAPI on uvicorn: a REST API under `/api/v1` (OpenAPI at `/api/docs`) and pages rendered
on the server (Jinja2, htmx shipped in `static/`, server-sent events for live jobs). Users
sign in with their PowerVC (Keystone) credentials; their Keystone roles decide what they may
do (`roles`). Sessions and jobs live in the shared job store, and a `jobs.Worker` in the
portal process builds the clusters submitted (`worker`).

Modules: `app` (the factory), `settings`, `roles`, `sessions` (the store's session rows),
`auth` (who is asking: cookie or X-Auth-Token, CSRF), `errors` (JSON errors), `clouds` (the
user's and the service's cloud connections), `keys` (the portal's SSH key), `views` (jobs as
the API and pages show them), `events` (SSE), `worker`, `api/` and `pages`.
"""

from __future__ import annotations

from powerbridge.portal.app import create_app
from powerbridge.portal.settings import PortalSettings

__all__ = ["PortalSettings", "create_app"]
