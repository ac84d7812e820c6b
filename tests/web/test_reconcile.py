"""The W3C Reconciliation Service API v0.2 at /reconcile, against a real uvicorn server.

Every response is checked against JSON Schemas written here from the 0.2 specification
(https://www.w3.org/community/reports/reconciliation/CG-FINAL-specs-0.2-20230410/, section 3 for the
manifest, 4 for queries and candidates, 5 for suggest, 6 for preview).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest

TYPE = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
    "required": ["id", "name"],
}
TYPE_REF = {"oneOf": [{"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
                      {"type": "string"}]}  # fmt: skip
SERVICE = {"type": "object", "properties": {"service_url": {"type": "string"}, "service_path": {"type": "string"}}}
TEMPLATE = {"type": "string", "pattern": r".*\{\{id\}\}.*"}
MANIFEST = {
    "type": "object",
    "properties": {
        "versions": {"type": "array", "items": {"type": "string"}, "contains": {"enum": ["0.2"]}},
        "name": {"type": "string"},
        "identifierSpace": {"type": "string"},
        "schemaSpace": {"type": "string"},
        "serviceVersion": {"type": "string"},
        "defaultTypes": {"type": "array", "items": TYPE, "uniqueItems": True},
        "view": {"type": "object", "properties": {"url": TEMPLATE}, "required": ["url"]},
        "preview": {
            "type": "object",
            "properties": {"url": TEMPLATE, "width": {"type": "integer"}, "height": {"type": "integer"}},
            "required": ["url", "width", "height"],
        },
        "suggest": {"type": "object", "properties": {"entity": SERVICE, "property": SERVICE, "type": SERVICE}},
    },
    "required": ["versions", "name", "identifierSpace", "schemaSpace"],
}
CANDIDATE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "score": {"type": "number"},
        "match": {"type": "boolean"},
        "type": {"type": "array", "items": TYPE_REF},
    },
    "required": ["id", "name", "score"],
}
RESULT_BATCH = {
    "type": "object",
    "patternProperties": {
        "^.*$": {
            "type": "object",
            "properties": {"result": {"type": "array", "items": CANDIDATE}},
            "required": ["result"],
        }
    },
}
SUGGEST_ENTITIES = {
    "type": "object",
    "properties": {
        "result": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "description": {"type": "string"},
                    "notable": {"type": "array", "items": TYPE_REF},
                },
                "required": ["id", "name"],
            },
        }
    },
    "required": ["result"],
}
SUGGEST_TYPES = {"type": "object", "properties": {"result": {"type": "array", "items": TYPE}}, "required": ["result"]}
ERROR = {"type": "object", "properties": {"message": {"type": "string", "minLength": 10}}, "required": ["message"]}


def check(instance: Any, schema: dict[str, Any]) -> Any:
    jsonschema.validate(instance, schema, cls=jsonschema.Draft7Validator)
    return instance


@pytest.fixture(scope="module")
def service(server: str) -> str:
    return f"{server}/reconcile"


def reconcile(service: str, queries: dict[str, Any], method: str = "GET") -> dict[str, Any]:
    body = json.dumps(queries)
    if method == "GET":
        response = httpx.get(service, params={"queries": body}, timeout=30)
    else:
        response = httpx.post(service, data={"queries": body}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["access-control-allow-origin"] == "*"
    return check(response.json(), RESULT_BATCH)


def test_manifest(service: str, server: str) -> None:
    response = httpx.get(service, timeout=30)
    assert response.status_code == 200
    manifest = check(response.json(), MANIFEST)
    assert manifest["versions"] == ["0.2"]
    assert manifest["identifierSpace"] == "https://w3id.org/bordergraph/id/"
    assert manifest["view"]["url"].replace("{{id}}", "ralph-goodale") == f"{server}/id/ralph-goodale"
    assert {"id": "foaf:Person", "name": "Person"} in manifest["defaultTypes"]
    suggest = manifest["suggest"]["entity"]
    assert suggest["service_url"] + suggest["service_path"] == f"{service}/suggest/entity"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_exact_label_is_a_match_with_score_100(service: str, method: str) -> None:
    answer = reconcile(service, {"q0": {"query": "Ralph Goodale"}, "q1": {"query": "Vic Toews"}}, method)
    (top, *_) = answer["q0"]["result"]
    assert (top["id"], top["name"], top["score"], top["match"]) == ("ralph-goodale", "Ralph Goodale", 100.0, True)
    assert top["type"] == [{"id": "foaf:Person", "name": "Person"}]
    assert answer["q1"]["result"][0]["id"] == "vic-toews"


def test_matching_ignores_case_accents_and_punctuation(service: str) -> None:
    answer = reconcile(
        service,
        {
            "upper": {"query": "RALPH GOODALE"},
            "accents": {"query": "Rálph Goodàle"},
            "dots": {"query": "US Customs and Border Protection"},
            "alias": {"query": "cbp"},
        },
    )
    for key, expected in {"upper": "ralph-goodale", "accents": "ralph-goodale", "dots": "cbp", "alias": "cbp"}.items():
        top = answer[key]["result"][0]
        assert (top["id"], top["match"], top["score"]) == (expected, True, 100.0), key


def test_near_miss_is_a_candidate_but_not_a_match(service: str) -> None:
    answer = reconcile(service, {"typo": {"query": "Ralph Goodal"}, "surname": {"query": "Nielsen"}})
    typo = answer["typo"]["result"][0]
    assert typo["id"] == "ralph-goodale" and not typo["match"] and 55 <= typo["score"] < 100
    assert answer["surname"]["result"][0]["id"] == "kirstjen-nielsen"
    assert not any(c["match"] for c in answer["surname"]["result"])


def test_scores_are_ordered_and_limit_is_honoured(service: str) -> None:
    answer = reconcile(service, {"q": {"query": "border", "limit": 2}, "all": {"query": "border", "limit": 50}})
    assert len(answer["q"]["result"]) == 2
    scores = [c["score"] for c in answer["all"]["result"]]
    assert scores == sorted(scores, reverse=True) and len(scores) > 2


def test_type_filter_follows_the_class_hierarchy(service: str) -> None:
    answer = reconcile(
        service,
        {
            "country": {"query": "Canada", "type": "bg:Country"},
            "person": {"query": "Canada", "type": "foaf:Person"},
            "org": {"query": "Canada Border Services Agency", "type": ["org:Organization"]},
            "iri": {"query": "Canada", "type": "https://w3id.org/bordergraph/ontology#Country"},
        },
    )
    assert [c["id"] for c in answer["country"]["result"]] == ["canada"]
    assert answer["country"]["result"][0]["match"]
    assert answer["person"]["result"] == []
    assert answer["org"]["result"][0]["id"] == "cbsa"  # bg:GovernmentAgency ⊑ org:Organization
    assert answer["iri"]["result"][0]["id"] == "canada"


def test_property_constraints_refine_score_and_match(service: str) -> None:
    answer = reconcile(
        service,
        {
            "right": {"query": "Ralph Goodale", "properties": [{"pid": "skos:exactMatch", "v": "Q2070905"}]},
            "wrong": {"query": "Ralph Goodale", "properties": [{"pid": "skos:exactMatch", "v": "Q76"}]},
            "by-id": {
                "query": "Goodale",
                "properties": [{"pid": "org:holds", "v": {"id": "post-ca-minister-public-safety"}}],
            },
            "by-name": {
                "query": "Goodale",
                "properties": [{"pid": "org:holds", "v": "Minister of Public Safety and Emergency Preparedness"}],
            },
            "only": {"properties": [{"pid": "skos:exactMatch", "v": ["wd:Q76"]}]},
        },
    )
    right, wrong = answer["right"]["result"][0], answer["wrong"]["result"][0]
    assert (right["id"], right["match"], right["score"]) == ("ralph-goodale", True, 100.0)
    assert wrong["id"] == "ralph-goodale" and not wrong["match"] and wrong["score"] == 60.0
    assert answer["by-id"]["result"][0]["id"] == "ralph-goodale"
    assert answer["by-name"]["result"][0]["score"] == answer["by-id"]["result"][0]["score"]
    assert [c["id"] for c in answer["only"]["result"]] == ["barack-obama"]


@pytest.mark.parametrize(
    ("queries", "fragment"),
    [
        ('{"q0": {"query": "Goodale"', "not valid JSON"),
        ('["Goodale"]', "non-empty JSON object"),
        ("{}", "non-empty JSON object"),
        ('{"q0": "Goodale"}', "must be an object"),
        ('{"q0": {"limit": 3}}', 'needs a non-empty "query"'),
        ('{"q0": {"query": "Goodale", "limit": 0}}', "limit"),
        ('{"q0": {"query": "Goodale", "type": 7}}', "type"),
        ('{"q0": {"query": "Goodale", "properties": [{"pid": "org:holds"}]}}', "properties.0.v"),
        ('{"q0": {"query": "Goodale", "properties": [{"pid": "x", "v": {"name": "no id"}}]}}', '"id"'),
        ('{"q0": {"query": "Goodale", "type_strict": "maybe"}}', "type_strict"),
    ],
)
def test_malformed_queries_get_400_with_a_message(service: str, queries: str, fragment: str) -> None:
    for response in (
        httpx.get(service, params={"queries": queries}, timeout=30),
        httpx.post(service, data={"queries": queries}, timeout=30),
    ):
        assert response.status_code == 400, response.text
        assert fragment in check(response.json(), ERROR)["message"]


def test_post_without_queries_or_with_a_wrong_content_type(service: str) -> None:
    response = httpx.post(service, data={"query": "Goodale"}, timeout=30)
    assert response.status_code == 400 and "queries=" in response.json()["message"]
    response = httpx.post(service, json={"q0": {"query": "Goodale"}}, timeout=30)
    assert response.status_code == 415 and "x-www-form-urlencoded" in response.json()["message"]


def test_suggest_entity(service: str) -> None:
    response = httpx.get(f"{service}/suggest/entity", params={"prefix": "nielsen"}, timeout=30)
    assert response.status_code == 200
    result = check(response.json(), SUGGEST_ENTITIES)["result"]
    assert result[0]["id"] == "kirstjen-nielsen"
    assert result[0]["notable"] == [{"id": "foaf:Person", "name": "Person"}]
    first = check(httpx.get(f"{service}/suggest/entity", params={"prefix": "b"}, timeout=30).json(), SUGGEST_ENTITIES)
    second = httpx.get(f"{service}/suggest/entity", params={"prefix": "b", "cursor": 10}, timeout=30).json()
    assert len(first["result"]) == 10 and second["result"]
    assert not {e["id"] for e in first["result"]} & {e["id"] for e in second["result"]}
    assert httpx.get(f"{service}/suggest/entity", timeout=30).status_code == 400
    bad = httpx.get(f"{service}/suggest/entity", params={"prefix": "b", "cursor": "x"}, timeout=30)
    assert bad.status_code == 400 and "cursor" in bad.json()["message"]


def test_suggest_type(service: str) -> None:
    response = httpx.get(f"{service}/suggest/type", params={"prefix": "gov"}, timeout=30)
    result = check(response.json(), SUGGEST_TYPES)["result"]
    assert {"id": "bg:GovernmentAgency", "name": "government agency"} in result
    person = check(httpx.get(f"{service}/suggest/type", params={"prefix": "pers"}, timeout=30).json(), SUGGEST_TYPES)
    assert person["result"] == [{"id": "foaf:Person", "name": "Person"}]


def test_preview_is_html_naming_the_record_and_its_wikidata_link(service: str, server: str) -> None:
    manifest = httpx.get(service, timeout=30).json()
    url = manifest["preview"]["url"].replace("{{id}}", "cbp")
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "U.S. Customs and Border Protection" in response.text
    assert "http://www.wikidata.org/entity/Q368804" in response.text
    assert f'href="{server}/id/cbp"' in response.text
    missing = httpx.get(f"{service}/preview", params={"id": "no-such-record"}, timeout=30)
    assert missing.status_code == 404 and "no-such-record" in missing.json()["message"]


def test_facts_and_annotations_are_not_candidates(service: str) -> None:
    answer = reconcile(service, {"q": {"query": "Goodale at the meeting of 5 February 2018", "limit": 20}})
    assert all(not c["id"].startswith("ann-") for c in answer["q"]["result"])
    assert all("--" not in c["id"] for c in answer["q"]["result"])
