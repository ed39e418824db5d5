"""The application layer: one function per use case, each in its own transaction(s).

The API (``flok.service``) and the dashboard (``flok.web``) only translate requests to these
calls and results to responses; the CLI's ``keys``, ``serve`` and ``worker`` use them too.
Every use case takes the process's ``State`` (or, for keys and circles, the database handle)
and the caller's organization; another organization's things are "not found".

- ``campaigns``: create/list/get/delete a campaign, set options, open/close, upload a table
  (opportunities, preferences, participants), list/withdraw preferences, start a run (and the
  dashboard's close-then-run), get the allocation (and its CSV), move a seat, finalize.
- ``runs``: get/list/cancel a run, the latest run, start a rebalance.
- ``community``: opportunities and participants (create, get, list, change, delete), RSVP and
  cancel.
- ``feedback``: record one event (group commit) or a batch (all or nothing).
- ``insights``: a participant's feed, trending, community metrics, pulse histories.
- ``circles``: form circles and keep the organization's last formation.
- ``keys``: create/list/revoke API keys; the dashboard's key and session-secret checks.
- ``demo``: seed the demo organization.

Shared machinery: ``settings`` (FLOK_* settings), ``state`` (database, run queue, caches),
``market`` (stored demand → pulse inputs), ``history``, ``feedback_batch`` (group commit),
``worker`` (run queues and the allocate/rebalance runs), ``fields`` (bounded field types).
"""
