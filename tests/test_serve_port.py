"""`bordergraph serve` on a busy port stops at once and says what to do; it honours BORDERGRAPH_PORT."""

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
