"""Fixtures for the doccano integration tests.

One real doccano server runs for the whole session, on 127.0.0.1, on a free port, with a
temporary home, started by the same :class:`nkner.doccano.server.DoccanoServer` that
``nkner doccano serve`` uses (the first run installs doccano's environment; later runs reuse it).
Every test gets a temporary ``NKNER_DATA`` holding a small synthetic corpus with its own gold, so
no test reads or writes the repository's annotations, and its own project name on the server.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from doccano_client import DoccanoClient
from typer.testing import CliRunner

from nkner.atomic import atomic_write_text
from nkner.corpus.store import Document, Entity, Relation, sha256_text, write_document
from nkner.doccano.cli import doccano_app
from nkner.doccano.server import DoccanoServer, free_port

ADMIN = "admin"

#: (text, spans in text order as (surface, label, event type), relations as (type, head#, tail#), 1-based)
SYNTHETIC = {
    "synth_a": ("In March 2012, Chinese authorities forcibly repatriated 31 North Korean refugees to North Korea.\n"
                "The UN Human Rights Council urged China to respect the 1951 Refugee Convention.\n",
                [("March 2012", "DATE", None), ("Chinese authorities", "ACTOR", None),
                 ("forcibly repatriated", "EVENT", "repatriation"), ("31", "NUMBER", None),
                 ("North Korean refugees", "ACTOR", None), ("North Korea", "LOCATION", None),
                 ("UN Human Rights Council", "ACTOR", None), ("urged", "EVENT", "advocacy"), ("China", "ACTOR", None),
                 ("1951 Refugee Convention", "LEGAL_INSTRUMENT", None)],
                [("time", 3, 1), ("agent", 3, 2), ("affected", 3, 5), ("place", 3, 6), ("quantity", 4, 5),
                 ("agent", 8, 7), ("affected", 8, 9), ("instrument", 8, 10), ("party_to", 9, 10)]),
    "synth_b": ("Thousands of North Koreans fled across the Tumen River in 1997 during the famine.\n",
                [("Thousands", "NUMBER", None), ("North Koreans", "ACTOR", None), ("fled", "EVENT", "flight"),
                 ("Tumen River", "LOCATION", None), ("1997", "DATE", None), ("famine", "EVENT", "crisis")],
                [("quantity", 1, 2), ("agent", 3, 2), ("place", 3, 4), ("time", 3, 5), ("time", 6, 5)]),
    "synth_c": ("In 2020, South Korea resettled 150 defectors from North Korea.\n", None, None),
}


def find_spans(text: str, spans: list[tuple[str, str, str | None]]) -> list[Entity]:
    """Entities (ids 1..n) for surfaces listed in text order."""
    out, pos = [], 0
    for i, (surface, label, event_type) in enumerate(spans, 1):
        start = text.index(surface, pos)
        out.append(Entity(i, start, start + len(surface), label, event_type))
        pos = start + len(surface)
    return out


def write_synthetic_corpus(root: Path) -> dict[str, Document]:
    """A three-document corpus in ``root`` (two with gold annotations; raw texts and sources.json
    as `nkner corpus clean` expects them); returns the documents."""
    docs = {}
    for doc_id, (text, spans, rels) in SYNTHETIC.items():
        atomic_write_text(root / "corpus" / "raw" / f"{doc_id}.txt", text)
        atomic_write_text(root / "corpus" / "clean" / f"{doc_id}.txt", text)
        doc = Document(doc_id, text, {"id": doc_id})
        if spans:
            doc.entities = find_spans(text, spans)
            doc.relations = [Relation(i, h, t, typ) for i, (typ, h, t) in enumerate(rels, 1)]
            doc.meta = {"status": "reviewed", "annotators": {"drafted_by": "tester", "reviewed_by": "lead"}}
            write_document(doc, root)
        docs[doc_id] = doc
    metadata = {"documents": [{"id": doc_id, "title": doc_id, "sha256_clean": sha256_text(text)}
                              for doc_id, (text, _, _) in SYNTHETIC.items()]}
    atomic_write_text(root / "corpus" / "metadata.json", json.dumps(metadata, indent=1))
    sources = {"documents": [{"id": doc_id, "title": doc_id, "language": "en"} for doc_id in SYNTHETIC]}
    atomic_write_text(root / "corpus" / "sources.json", json.dumps(sources, indent=1) + "\n")
    return docs


@pytest.fixture(scope="session")
def doccano_server(tmp_path_factory) -> DoccanoServer:
    server = DoccanoServer(tmp_path_factory.mktemp("doccano-home"), ADMIN, secrets.token_urlsafe(16),
                           port=free_port())
    with server:
        yield server


@pytest.fixture
def doccano_data(tmp_path, monkeypatch) -> Path:
    """A temporary NKNER_DATA with the synthetic corpus."""
    root = tmp_path / "data"
    write_synthetic_corpus(root)
    monkeypatch.setenv("NKNER_DATA", str(root))
    return root


@pytest.fixture
def doccano_env(doccano_server, doccano_data, monkeypatch) -> DoccanoServer:
    """DOCCANO_URL / DOCCANO_USERNAME / DOCCANO_PASSWORD pointing at the session's server."""
    monkeypatch.setenv("DOCCANO_URL", doccano_server.url)
    monkeypatch.setenv("DOCCANO_USERNAME", doccano_server.username)
    monkeypatch.setenv("DOCCANO_PASSWORD", doccano_server.password)
    return doccano_server


@pytest.fixture
def doccano_project(request) -> str:
    """A project name no other test uses."""
    return f"{request.node.name[:60]}-{secrets.token_hex(3)}"


@pytest.fixture
def doccano_cli(doccano_env):
    """Run ``nkner doccano ARGS...`` in-process; returns click's Result (exit_code, stdout, stderr)."""
    runner = CliRunner()
    return lambda *args: runner.invoke(doccano_app, [str(a) for a in args])


@pytest.fixture
def doccano_client(doccano_env) -> DoccanoClient:
    """The admin's logged-in client, to act in doccano the way an annotator would."""
    client = DoccanoClient(doccano_env.url)
    client.login(doccano_env.username, doccano_env.password)
    return client
