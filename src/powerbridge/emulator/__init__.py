"""A local PowerVC: OpenStack APIs, PowerVM rules, simulated hosts, storage and logs.

The emulator is a separate server. It never imports the client side of powerbridge (client,
deploy, ha, jobs, cli, portal); it shares only `powerbridge.powervm` with it.

Layout (moto's habit): `backend/` holds state and rules as plain Python, testable without
HTTP, and raises `ApiError` values; `api/` translates HTTP to backend calls and backend
results to the exact OpenStack payloads and error envelopes. `app.create_app` builds one
explicit `Emulator` state object and the ASGI apps over it.
"""
