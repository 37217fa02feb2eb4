"""The embedded PostgreSQL that `make run` starts, when its port setting changes under a running cluster."""

from pathlib import Path

import pytest

from microshop.devtools.embedded_db import EmbeddedDatabaseError, EmbeddedPostgres, free_port


def test_a_new_port_while_the_cluster_runs_on_the_old_one_is_one_line(tmp_path: Path) -> None:
    """EMBEDDED_DB_PORT changed while `microshop db start` left the cluster running on the old port."""
    cluster = EmbeddedPostgres(data_dir=tmp_path / "pg", port=free_port(), host_auth="trust")
    cluster.start()
    try:
        moved = EmbeddedPostgres(data_dir=cluster.data_dir, port=free_port(), host_auth="trust")
        with pytest.raises(EmbeddedDatabaseError) as raised:
            moved.start()  # before: it returned, and every service then failed to connect on the new port
        message = str(raised.value)
        assert f"port {cluster.port}" in message and f"EMBEDDED_DB_PORT={moved.port}" in message, message
        assert "\n" not in message
        assert cluster.running_port() == cluster.port, "the running cluster is left alone"
    finally:
        cluster.stop()
