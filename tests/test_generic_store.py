"""The ``generic`` store kind, for real: ``oxigraph serve`` driven only through the two standard protocols.

``publish --store-kind generic --query-url Q`` and ``serve --backend Q --backend-kind generic`` are
for any store that speaks the SPARQL 1.1 Graph Store Protocol and Protocol (Fuseki, GraphDB, ...).
None of those can be installed here, so the generic path runs against ``oxigraph serve`` treated as
a generic store: its Graph Store endpoint (``/store``) and query endpoint (``/query``) given, nothing
derived from the URL and none of Oxigraph's own features used (no whole-dataset ``PUT``). The stores
run on loopback (tests/stores.py) and are stopped by PID; the CLI runs as a real subprocess.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from bordergraph.build import Built
from bordergraph.examples import Example
from bordergraph.publish import Publisher, PublishError
from bordergraph.publish.prepare import Prepared
from bordergraph.remote import RemoteStore
from bordergraph.snapshots import differences, ordering
from bordergraph.web.answer import render
from bordergraph.web.settings import Settings
from conftest import Serve
from stores import Store, as_generic, free_port, generic_publisher, oxigraph, stop_pid, virtuoso, wait_for
from test_examples import LOCAL, expected_path
from test_publish import cli, env, with_bulk_graph

pytest_plugins = ["stores"]  # the store fixtures

TSV = "text/tab-separated-values"


def requests_of(client: Publisher) -> list[tuple[str, dict[str, str]]]:
    """Every request the publisher's Graph Store client sends from now on: (method, query parameters)."""
    sent: list[tuple[str, dict[str, str]]] = []
    client.http.event_hooks["request"].append(lambda request: sent.append((request.method, dict(request.url.params))))
    return sent


def generic_args(store: Store) -> list[str]:
    return ["--to", store.gsp_url, "--store-kind", "generic", "--query-url", store.query_url]


# -- publish -------------------------------------------------------------------------------------


def test_publish_puts_the_default_graph_then_each_graph(tmp_path: Path, prepared: Prepared) -> None:
    """Into a fresh store: ``PUT ?default`` (the merge), one ``PUT ?graph=`` per graph; verified; again: unchanged."""
    with oxigraph(tmp_path) as running:
        store = as_generic(running)
        client = generic_publisher(store)
        sent = requests_of(client)
        result = client.publish(prepared)
        puts = [params for method, params in sent if method == "PUT"]
        assert puts == [{"default": ""}] + [{"graph": part.iri} for part in prepared.graphs]
        assert [method for method, _ in sent if method != "PUT"] == [], "only PUTs go to the Graph Store endpoint"
        assert not result.unchanged and result.version == prepared.version
        assert (result.graphs, result.triples, result.merge_triples) == (
            len(prepared.graphs),
            prepared.named_triples,
            prepared.merge_triples,
        )
        assert any("the dataset is not" in note for note in result.notes), result.notes
        assert client.differences(prepared) == []
        sent.clear()
        again = client.publish(prepared)
        assert again.unchanged and again.version == prepared.version
        assert sent == [], "publishing the same build again sent something to the Graph Store endpoint"
        assert client.differences(prepared) == []
        client.close()


def test_published_generic_store_holds_exactly_the_build(generic_store: Store, prepared: Prepared) -> None:
    client = generic_publisher(generic_store)
    assert client.differences(prepared) == []
    assert client.publish(prepared).unchanged
    client.close()


def test_a_new_version_replaces_the_old_one_and_its_dropped_graphs_go(tmp_path: Path, prepared: Prepared) -> None:
    """A graph the next version no longer has is deleted from the store (``DELETE ?graph=``), not left behind."""
    folder = tmp_path / "store"
    folder.mkdir()
    with oxigraph(folder) as running:
        client = generic_publisher(as_generic(running))
        client.publish(prepared)
        bigger = with_bulk_graph(prepared, tmp_path, 10)
        assert not client.publish(bigger).unchanged
        assert client.differences(bigger) == []
        (extra,) = {part.iri for part in bigger.graphs} - {part.iri for part in prepared.graphs}
        sent = requests_of(client)
        back = client.publish(prepared)  # the previous version, without the extra graph
        assert not back.unchanged
        assert client.differences(prepared) == []
        assert ("DELETE", {"graph": extra}) in sent
        assert client.publish(prepared).unchanged
        client.close()


def test_a_graph_that_is_not_bordergraphs_is_never_deleted(tmp_path: Path, prepared: Prepared) -> None:
    """Another user's graph in the store: publish leaves it alone and refuses to call the store verified."""
    foreign = "http://example.org/someone-elses-graph"
    with oxigraph(tmp_path) as running:
        store = as_generic(running)
        triple = '<http://example.org/a> <http://example.org/p> "theirs" .\n'
        put = httpx.put(
            store.gsp_url, params={"graph": foreign}, content=triple, headers={"Content-Type": "application/n-triples"}
        )
        assert put.status_code in (200, 201, 204)
        client = generic_publisher(store)
        with pytest.raises(PublishError, match="not bordergraph's") as caught:
            client.publish(prepared)
        assert f"graph <{foreign}>: the store holds 1 triples, the build has 0" in str(caught.value)
        kept = httpx.get(store.gsp_url, params={"graph": foreign}, headers={"Accept": "application/n-triples"})
        assert kept.status_code == 200 and kept.text == triple
        problems = client.differences(prepared)  # the build is in place: only the other graph is reported
        assert problems[0] == f"graph <{foreign}>: the store holds 1 triples, the build has 0"
        assert len(problems) == 2 and "not bordergraph's" in problems[1]
        client.close()


def test_a_store_whose_default_graph_is_the_union_of_its_graphs_is_refused(tmp_path: Path, prepared: Prepared) -> None:
    """Such a store answers every query over the merge plus each graph again: the verification says so."""
    with oxigraph(tmp_path, union_default_graph=True) as running:
        client = generic_publisher(as_generic(running))
        with pytest.raises(PublishError, match="union of its graphs"):
            client.publish(prepared)
        client.close()


def test_a_generic_publisher_needs_its_query_url() -> None:
    with pytest.raises(PublishError, match="--query-url"):
        Publisher(f"http://127.0.0.1:{free_port()}/store", "generic")


# -- the CLI ---------------------------------------------------------------------------------------


def test_cli_publishes_into_a_generic_store(tmp_path: Path, canonical_dump: Path, prepared: Prepared) -> None:
    with oxigraph(tmp_path) as running:
        store = as_generic(running)
        done = subprocess.run(
            cli("publish", *generic_args(store), "--from", str(canonical_dump)),
            env=env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert f"published and verified: version {prepared.version}, {len(prepared.graphs)} graphs" in done.stdout
        assert "note: generic store: each graph is replaced atomically, the dataset is not" in done.stderr
        client = generic_publisher(store)
        assert client.differences(prepared) == []
        client.close()


def test_cli_without_query_url_for_a_generic_store_is_a_clear_error(canonical_dump: Path) -> None:
    store = f"http://127.0.0.1:{free_port()}/store"
    done = subprocess.run(
        cli("publish", "--to", store, "--store-kind", "generic", "--from", str(canonical_dump)),
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "--query-url" in done.stderr and "generic" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_cli_with_the_graph_store_endpoint_as_query_url_is_a_clear_error(
    generic_store: Store, canonical_dump: Path
) -> None:
    """A likely slip: ``--query-url`` given the Graph Store endpoint. The first query fails, before any upload."""
    args = ["--to", generic_store.gsp_url, "--store-kind", "generic", "--query-url", generic_store.gsp_url]
    done = subprocess.run(
        cli("publish", *args, "--from", str(canonical_dump)), env=env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert f"the query endpoint {generic_store.gsp_url} refused" in done.stderr and "--query-url" in done.stderr
    assert "Traceback" not in done.stderr


# -- queries through the generic kind -------------------------------------------------------------


def expected_answer_problems(example: Example, answer: str) -> list[str]:
    return differences(expected_path(example).read_text(encoding="utf-8"), answer, ordering(example.text))


@pytest.mark.parametrize("example", LOCAL, ids=lambda e: e.slug)
def test_example_through_the_generic_store_gives_its_expected_answer(example: Example, generic_store: Store) -> None:
    remote = RemoteStore(generic_store.query_url, kind="generic")
    try:
        answer = render(remote.query(example.text), TSV, 10**9).body.decode()
    finally:
        remote.close()
    problems = expected_answer_problems(example, answer)
    assert not problems, f"the generic store answered {example.slug} differently:\n" + "\n".join(problems[:20])


def test_construct_and_ask_through_the_generic_store(generic_store: Store) -> None:
    remote = RemoteStore(generic_store.query_url, kind="generic")
    graph = remote.query("CONSTRUCT { ?s a ?t } WHERE { ?s a ?t } LIMIT 5")
    assert isinstance(graph, list) and len(graph) == 5 and all(isinstance(t, ox.Triple) for t in graph)
    asked = remote.query("ASK { ?s a ?t }")
    assert isinstance(asked, ox.QueryBoolean) and bool(asked)
    remote.close()


@pytest.fixture(scope="module")
def generic_front(serve: Serve, built: Built, generic_store: Store) -> Iterator[str]:
    """``serve --backend Q --backend-kind generic`` (in-process uvicorn) over the generic store: its endpoint."""
    with serve(built, Settings(rate=0, backend=generic_store.query_url, backend_kind="generic")) as (base, _):
        yield f"{base}/sparql"


@pytest.mark.parametrize("example", LOCAL, ids=lambda e: e.slug)
def test_example_through_a_generic_backend_gives_its_expected_answer(example: Example, generic_front: str) -> None:
    response = httpx.post(generic_front, data={"query": example.text}, headers={"Accept": TSV}, timeout=60)
    assert response.status_code == 200, response.text
    problems = expected_answer_problems(example, response.text)
    assert not problems, f"serve --backend-kind generic answered {example.slug} differently:\n" + "\n".join(
        problems[:20]
    )


def test_a_generic_backend_says_so_in_its_health(generic_front: str, generic_store: Store) -> None:
    health = httpx.get(generic_front.replace("/sparql", "/healthz"), timeout=30)
    assert health.status_code == 200
    assert health.json()["backend"] | {"problem": ""} == {
        "url": generic_store.query_url,
        "kind": "generic",
        "status": "ok",
        "problem": "",
    }


def test_the_serve_command_with_a_generic_backend(generic_store: Store, tmp_path: Path) -> None:
    """A real ``bordergraph serve --backend Q --backend-kind generic`` process: the flag reaches the front end."""
    subprocess.run(cli("build", "--out", str(tmp_path / "build")), env=env(), check=True, capture_output=True,
                   timeout=300)  # fmt: skip
    port = free_port()
    args = ["--port", str(port), "--rate", "0", "--build-dir", str(tmp_path / "build")]
    args += ["--backend", generic_store.query_url, "--backend-kind", "generic"]
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(cli("serve", *args), env=env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", process, 180)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).json()
        assert health["backend"]["kind"] == "generic" and health["backend"]["url"] == generic_store.query_url
        example = LOCAL[0]
        response = httpx.post(
            f"http://127.0.0.1:{port}/sparql", data={"query": example.text}, headers={"Accept": TSV}, timeout=60
        )
        assert response.status_code == 200, response.text
        assert expected_answer_problems(example, response.text) == []
    finally:
        stop_pid(process.pid)


def test_virtuoso_is_not_a_generic_store(tmp_path: Path, prepared: Prepared) -> None:
    """Virtuoso 7.2.5 has no default graph of its own: the generic ``PUT ?default`` is refused, and publish says why.

    It is the first PUT, so nothing has changed in the store. The PUT goes through HTTP Digest
    (``--user``), which Oxigraph cannot test: Virtuoso's own refusal, not a 401, shows it was let in.
    """
    with virtuoso(tmp_path) as running:
        client = generic_publisher(as_generic(running))
        with pytest.raises(PublishError, match="needs a default graph of its own") as caught:
            client.publish(prepared)
        assert "not configured to have default graph" in str(caught.value) and "<" not in str(caught.value)
        assert client._counts([part.iri for part in prepared.graphs]) == {}, "a graph was uploaded before the refusal"
        client.close()
