"""Alembic migrations of the job store, run by `powerbridge.jobs.migrate` when a store opens.

`env.py` takes the connection the store hands it (there is no alembic.ini); `versions/`
holds one step per schema: 0001 is the schema of the first release (v1), 0002 the queue,
leases, per-job event numbers and real timestamps. A new step: copy 0002's header, set
`down_revision` to the head, and bump `schema.HEAD` with the tables in `schema.py`.
"""
