"""The "Connect a database" form for Paid, through the same REST calls Superset's dialog makes."""

from __future__ import annotations

from typing import Any

import pytest


def _hostport(server_url: str) -> tuple[str, int]:
    host, port = server_url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    return host, int(port)


def _form(server_url: str, key: str, **more: Any) -> dict[str, Any]:
    host, port = _hostport(server_url)
    return {"engine": "paid", "driver": "https", "configuration_method": "dynamic_form",
            "parameters": {"access_token": key, "host": host, "port": port, **more}}  # fmt: skip


def test_paid_is_offered_with_a_form(client: Any, auth: dict[str, str]) -> None:
    r = client.get("/api/v1/database/available/", headers=auth)
    assert r.status_code == 200, r.text
    paid = next(d for d in r.json["databases"] if d["engine"] == "paid")
    assert paid["name"] == "Paid Analytics"
    props = paid["parameters"]["properties"]
    assert {"access_token", "host", "port", "encryption", "query"} <= set(props)
    assert paid["parameters"]["required"] == ["access_token"]


def test_wrong_key_is_rejected_in_plain_words(
    client: Any, auth: dict[str, str], server_url: str
) -> None:
    r = client.post("/api/v1/database/validate_parameters/", headers=auth,
                    json=_form(server_url, "wrong_key_123456"))  # fmt: skip
    assert r.status_code == 400, r.text
    assert "The API key was rejected" in r.text
    assert "wrong_key_123456" not in r.text


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [({"access_token": ""}, "Enter your organization's Paid API key"),
     ({"access_token": "k", "host": "example.com", "encryption": False}, "Plain HTTP to example.com"),
     ({"access_token": "k", "host": "no-such-host.invalid"}, "can't be found"),
     ({"access_token": "k", "host": "127.0.0.1", "port": 1}, "Nothing answers at 127.0.0.1:1"),
     ({"access_token": "k", "host": "127.0.0.1", "port": 1, "query": {"routes": "x"}},
      "must be one of auto, stable, experimental")],
)  # fmt: skip
def test_form_problems_in_plain_words(
    client: Any, auth: dict[str, str], parameters: dict[str, Any], expected: str
) -> None:
    r = client.post("/api/v1/database/validate_parameters/", headers=auth,
                    json={"engine": "paid", "configuration_method": "dynamic_form",
                          "parameters": parameters})  # fmt: skip
    assert r.status_code == 422, r.text
    assert expected in r.text


def test_create_by_form_keeps_key_masked_and_fills_form_back(
    client: Any, auth: dict[str, str], server_url: str, org_keys: dict[str, str]
) -> None:
    key = org_keys["acme"]
    form = _form(server_url, key, query={"routes": "stable"})
    r = client.post("/api/v1/database/validate_parameters/", headers=auth, json=form)
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/database/", headers=auth,
                    json={**form, "database_name": "Paid by form", "expose_in_sqllab": True})  # fmt: skip
    assert r.status_code == 201, r.text
    assert key not in r.text
    host, port = _hostport(server_url)
    assert r.json["result"]["sqlalchemy_uri"] == (
        f"paid+http://token:XXXXXXXXXX@{host}:{port}?routes=stable"
    )
    database_id = r.json["id"]
    r = client.get(f"/api/v1/database/{database_id}/connection", headers=auth)
    assert r.status_code == 200, r.text
    assert key not in r.text
    assert r.json["result"]["parameters"] == {
        "access_token": "XXXXXXXXXX", "host": host, "port": port, "encryption": False,
        "query": {"routes": "stable"},
    }  # fmt: skip
    r = client.get(
        f"/api/v1/database/{database_id}/tables/?q=(schema_name:analytics)", headers=auth
    )
    assert r.status_code == 200, r.text
    assert len(r.json["result"]) == 15
