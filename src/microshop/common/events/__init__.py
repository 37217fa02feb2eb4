"""Events between services: one envelope, a transactional outbox and its relay, idempotent consumers.

How they fit: docs/events.md. A service never publishes inside a request; it records the event in
its own `outbox` table in the transaction that changes its state, and the relay publishes it.
"""
