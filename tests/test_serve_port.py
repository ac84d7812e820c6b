"""`bordergraph serve` stops at once and says what to do: a busy port, a backend kind without a backend."""

from __future__ import annotations

import socket
from collections.abc import Callable

from click.testing import CliRunner

from bordergraph.cli import main


def test_a_busy_port_stops_serve_before_the_build_with_what_to_do(port: Callable[[], int]) -> None:
    busy = port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", busy))
        holder.listen()
        result = CliRunner().invoke(
            main, ["serve"], env={"BORDERGRAPH_PORT": str(busy), "BORDERGRAPH_HOST": "127.0.0.1"}
        )
    assert result.exit_code == 2, result.output
    assert f"port {busy} on 127.0.0.1 is already in use" in result.output
    assert f"BORDERGRAPH_PORT={busy + 1} make serve" in result.output
    assert "valid" not in result.output.lower(), "it stops before validating"


def test_a_backend_kind_without_a_backend_stops_serve_with_what_to_do() -> None:
    """Regression: ``--backend-kind generic`` without ``--backend`` served the local build without a word."""
    for args, env in (
        (["serve", "--backend-kind", "generic"], {}),
        (["serve"], {"BORDERGRAPH_BACKEND_KIND": "virtuoso"}),
    ):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 2, result.output
        assert "no store was given: add --backend QUERY_URL" in result.output
        assert "valid" not in result.output.lower(), "it stops before validating"
