"""push / pull / apply against a real doccano server (see conftest.py for the fixtures)."""
from __future__ import annotations

import json
import os
import selectors
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from nkner.corpus.store import annotation_path, load_document, read_record
from nkner.doccano import DoccanoError
from nkner.doccano.mapping import relation_label_specs, span_label_specs
from nkner.doccano.server import free_port, port_is_free
from nkner.doccano.client import Credentials, connect, credentials_from_env
from nkner.doccano.project import find_project
from nkner.doccano.pull import annotator_path, pull
from nkner.doccano.push import upload_records

pytestmark = pytest.mark.integration

USERS = {"alice": "alice-secret-1", "bob": "bob-secret-22"}


def project_id(client, name: str) -> int:
    return find_project(client, name).id


def example_of(client, pid: int, doc_id: str):
    return next(ex for ex in client.list_examples(pid) if ex.meta["doc_id"] == doc_id)


def span_type_ids(client, pid: int) -> dict[str, int]:
    return {t.text: t.id for t in client.list_label_types(pid, "span")}


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the data root (to prove that nothing was written)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def login(server, user: str, password: str):
    return connect(Credentials(server.url, user, password))


# ------------------------------------------------------------------------------ server


def test_server_keeps_its_secret_key_private(doccano_server):
    key_file = doccano_server.home / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) >= 50
    with urllib.request.urlopen(f"{doccano_server.url}/v1/health/") as resp:
        assert resp.status == 200


def test_serve_command_stops_both_processes_on_sigterm(doccano_server, tmp_path):
    # doccano_server: the session's server has installed doccano's environment already
    port = free_port()
    env = {**os.environ, "DOCCANO_USERNAME": "admin", "DOCCANO_PASSWORD": "-serve-test-pw"}  # "-": not an option
    serve = "from nkner.doccano.cli import doccano_app; doccano_app()"
    args = ["serve", "--port", str(port), "--home", str(tmp_path / "home")]
    proc = subprocess.Popen([sys.executable, "-c", serve, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    seen = []
    try:
        # ready when the command says so (it prints once both processes are up and /v1/health/
        # answers); polling the health URL ourselves would race that message
        deadline = time.monotonic() + 120
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline and proc.poll() is None:
            if sel.select(timeout=1):
                line = proc.stdout.readline()
                seen.append(line)
                if "doccano is running at" in " ".join(seen).replace("\n", " "):
                    break
        assert proc.poll() is None, "".join(seen) + proc.stdout.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health/", timeout=5) as resp:
            assert resp.status == 200
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        out = "".join(seen) + out
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert f"doccano is running at http://127.0.0.1:{port}" in out.replace("\n", " ")
    assert "doccano stopped." in out
    assert port_is_free("127.0.0.1", port)
    worker_log = (tmp_path / "home" / "logs" / "worker.log").read_text()
    assert "Warm shutdown" in worker_log or "worker: Cold shutdown" in worker_log


# ------------------------------------------------------------------------------ push


def test_push_creates_project_with_schema_labels(doccano_cli, doccano_client, doccano_project):
    result = doccano_cli("push", "--project", doccano_project)
    assert result.exit_code == 0, result.output
    assert "3 uploaded, 0 already there" in result.stdout
    project = find_project(doccano_client, doccano_project)
    assert project.project_type.value == "SequenceLabeling" and project.use_relation
    assert not project.collaborative_annotation  # one version per annotator in the export
    spans = {t.text: t for t in doccano_client.list_label_types(project.id, "span")}
    assert {s.name: (s.color, s.suffix_key) for s in span_label_specs()} == \
        {name: (t.background_color, t.suffix_key) for name, t in spans.items()}
    relations = {t.text: t.background_color for t in doccano_client.list_label_types(project.id, "relation")}
    assert relations == {s.name: s.color for s in relation_label_specs()}
    examples = {ex.meta["doc_id"]: ex for ex in doccano_client.list_examples(project.id)}
    assert sorted(examples) == ["synth_a", "synth_b", "synth_c"]
    assert examples["synth_a"].meta["text_sha256"] == load_document("synth_a").meta["text_sha256"]
    assert len(doccano_client.list_spans(project.id, examples["synth_a"].id)) == 10
    assert len(doccano_client.list_relations(project.id, examples["synth_a"].id)) == 9
    assert doccano_client.list_spans(project.id, examples["synth_c"].id) == []


def test_repush_never_duplicates(doccano_cli, doccano_client, doccano_project):
    assert doccano_cli("push", "--project", doccano_project, "--docs", "synth_a").exit_code == 0
    again = doccano_cli("push", "--project", doccano_project, "--pre-annotate", "none")
    assert again.exit_code == 0, again.output
    assert "already in the project: synth_a" in again.stdout
    assert "2 uploaded, 1 already there" in again.stdout
    third = doccano_cli("push", "--project", doccano_project, "--docs", "synth_a,synth_b", "--docs", "synth_c")
    assert "0 uploaded, 3 already there" in third.stdout
    pid = project_id(doccano_client, doccano_project)
    assert sorted(ex.meta["doc_id"] for ex in doccano_client.list_examples(pid)) == ["synth_a", "synth_b", "synth_c"]
    assert len(doccano_client.list_spans(pid, example_of(doccano_client, pid, "synth_a").id)) == 10


def test_push_model_pre_annotations(doccano_cli, doccano_client, doccano_project, monkeypatch):
    import nkner.extract
    from nkner.corpus.store import Entity

    def fake_annotate(text):
        start = text.find("North Korea")
        return ([Entity(1, start, start + len("North Korea"), "LOCATION")] if start >= 0 else []), []

    monkeypatch.setattr(nkner.extract, "annotate", fake_annotate, raising=False)
    result = doccano_cli("push", "--project", doccano_project, "--docs", "synth_c", "--pre-annotate", "model")
    assert result.exit_code == 0, result.output
    pulled = doccano_cli("pull", "--project", doccano_project)
    start = load_document("synth_c").text.index("North Korea")
    assert "synth_c (version of admin): new file" in pulled.stdout
    assert f"  + [{start}:{start + 11}] LOCATION 'North Korea'" in pulled.stdout


def test_push_model_unavailable_creates_nothing(doccano_cli, doccano_client, doccano_project, monkeypatch):
    import nkner.extract

    monkeypatch.delattr(nkner.extract, "annotate", raising=False)
    result = doccano_cli("push", "--project", doccano_project, "--pre-annotate", "model")
    assert result.exit_code == 2
    assert "nkner.extract.annotate" in result.stderr
    assert find_project(doccano_client, doccano_project) is None


def test_push_renames_the_labels_of_older_projects(doccano_cli, doccano_client, doccano_project):
    # a project made when event labels were EVENT:<type> and LEGAL_INSTRUMENT had its full name
    from nkner.doccano.mapping import to_doccano

    project = doccano_client.create_project(doccano_project, project_type="SequenceLabeling", use_relation=True,
                                            description="older nkner project")
    old_names = {"EVENT:flight": "flight", "EVENT:crisis": "crisis", "LEGAL_INSTRUMENT": "LEGAL_INSTR"}
    old_ids = {name: doccano_client.create_label_type(project.id, "span", name, color="#ff9561").id
               for name in old_names}
    doc = load_document("synth_b")
    record = to_doccano(doc, doc.entities, doc.relations)
    for e in record["entities"]:
        e["label"] = {"flight": "EVENT:flight", "crisis": "EVENT:crisis"}.get(e["label"], e["label"])
    upload_records(doccano_client, project.id, [record])
    ex = example_of(doccano_client, project.id, "synth_b")
    fled = next(sp for sp in doccano_client.list_spans(project.id, ex.id) if ex.text[sp.start_offset:sp.end_offset]
                == "fled")
    assert fled.label == old_ids["EVENT:flight"]

    result = doccano_cli("push", "--project", doccano_project)
    assert result.exit_code == 0, result.output
    spans = {t.text: t for t in doccano_client.list_label_types(project.id, "span")}
    assert set(spans) == {s.name for s in span_label_specs()}  # renamed, not duplicated
    for old, new in old_names.items():
        assert spans[new].id == old_ids[old]
    assert spans["flight"].background_color != spans["crisis"].background_color
    fled = next(sp for sp in doccano_client.list_spans(project.id, ex.id) if sp.id == fled.id)
    assert fled.label == spans["flight"].id  # the span keeps its label under the new name
    pulled = doccano_cli("pull", "--project", doccano_project, "--check")
    assert pulled.exit_code == 0, pulled.output
    assert "synth_b (version of admin): no change" in pulled.stdout


def test_failed_import_task_is_reported(doccano_cli, doccano_client, doccano_project):
    assert doccano_cli("push", "--project", doccano_project, "--docs", "synth_b").exit_code == 0
    pid = project_id(doccano_client, doccano_project)
    with pytest.raises(DoccanoError, match="import into project .* failed: line 1"):
        upload_records(doccano_client, pid, [{"text": "", "entities": [], "relations": [], "doc_id": "x"}])


# ------------------------------------------------------------------------------ pull


def test_round_trip_gives_identical_annotations(doccano_cli, doccano_env, doccano_data, doccano_project):
    before = snapshot(doccano_data)
    assert doccano_cli("push", "--project", doccano_project).exit_code == 0
    result = doccano_cli("pull", "--project", doccano_project, "--check")
    assert result.exit_code == 0, result.output
    assert "synth_a (version of admin): no change" in result.stdout
    assert "synth_b (version of admin): no change" in result.stdout
    assert "synth_c" not in result.stdout  # nobody annotated it: it never touches local gold
    pulled = pull(connect(credentials_from_env()), doccano_project, doccano_env.url, doccano_env.username)
    for item in pulled.docs:
        gold = load_document(item.doc_id)
        assert item.candidate.to_record() == gold.to_record()  # entities, event types, relations, ids, meta
    applied = doccano_cli("pull", "--project", doccano_project, "--apply")
    assert "0 file(s) written" in applied.stdout
    assert snapshot(doccano_data) == before


def test_edit_in_doccano_is_seen_by_pull_and_applied(doccano_cli, doccano_client, doccano_data, doccano_project):
    assert doccano_cli("push", "--project", doccano_project).exit_code == 0
    pid = project_id(doccano_client, doccano_project)
    ex = example_of(doccano_client, pid, "synth_a")
    types = span_type_ids(doccano_client, pid)
    spans = {ex.text[s.start_offset:s.end_offset]: s for s in doccano_client.list_spans(pid, ex.id)}
    doccano_client.update_span(pid, ex.id, spans["forcibly repatriated"].id, label=types["abuse"])
    party_to = next(r for r in doccano_client.list_relations(pid, ex.id) if r.from_id == spans["China"].id)
    doccano_client.delete_relation(pid, ex.id, party_to.id)
    start = ex.text.index("respect")
    respect = doccano_client.create_span(pid, ex.id, start, start + len("respect"), types["advocacy"])
    doccano_client.create_relation(pid, ex.id, respect.id, spans["China"].id, "agent")
    gold_file = annotation_path("synth_a")
    old_bytes = gold_file.read_bytes()

    shown = doccano_cli("pull", "--project", doccano_project)
    assert shown.exit_code == 0, shown.output
    assert "synth_a (version of admin): spans +1 -0 ~1, relations +1 -1 ~0" in shown.stdout
    s, e = ex.text.index("forcibly"), ex.text.index(" 31")
    assert f"  ~ [{s}:{e}] EVENT:repatriation 'forcibly repatriated' -> [{s}:{e}] EVENT:abuse 'forcibly repatriated'" \
        in shown.stdout
    china, convention = ex.text.index("China"), ex.text.index("1951")
    assert (f"  - relation party_to: [{china}:{china + 5}] ACTOR 'China' -> [{convention}:{convention + 23}] "
            "LEGAL_INSTRUMENT '1951 Refugee Convention'") in shown.stdout
    # doccano's span ids differ from the local ones: the new relation still names its spans
    assert (f"  + relation agent: [{start}:{start + 7}] EVENT:advocacy 'respect' -> [{china}:{china + 5}] "
            "ACTOR 'China'") in shown.stdout
    assert "  + [" in shown.stdout and "EVENT:advocacy 'respect'" in shown.stdout
    assert "nothing written" in shown.stdout and gold_file.read_bytes() == old_bytes
    assert doccano_cli("pull", "--project", doccano_project, "--check").exit_code == 1

    applied = doccano_cli("pull", "--project", doccano_project, "--apply")
    assert applied.exit_code == 0, applied.output
    assert "1 file(s) written" in applied.stdout
    backups = list((doccano_data / ".cache" / "nkner" / "doccano-backups").glob("*/annotations/synth_a.jsonl"))
    assert len(backups) == 1 and backups[0].read_bytes() == old_bytes
    new = load_document("synth_a")
    event = next(e for e in new.entities if new.span_text(e) == "forcibly repatriated")
    assert (event.id, event.event_type) == (3, "abuse")  # the span keeps its local id
    assert next(e for e in new.entities if new.span_text(e) == "respect").id == 11
    assert "party_to" not in {r.type for r in new.relations} and len(new.relations) == 9
    assert doccano_cli("pull", "--project", doccano_project, "--check").exit_code == 0


LABELS_C = {"alice": [("2020", "DATE"), ("South Korea", "ACTOR"), ("resettled", "flight"),
                      ("150", "NUMBER"), ("defectors", "ACTOR"), ("North Korea", "LOCATION")],
            "bob": [("2020", "DATE"), ("South Korea", "ACTOR"), ("resettled", "legal_action"),
                    ("defectors", "ACTOR"), ("North Korea", "LOCATION")]}


def annotate_synth_c(doccano_cli, doccano_env, project: str, labels: dict) -> None:
    """Push synth_c empty to ``project`` and label it as each user: spans, and one agent relation."""
    assert doccano_cli("push", "--project", project, "--pre-annotate", "none").exit_code == 0
    for user in labels:
        added = doccano_cli("add-annotator", "--project", project, "--username", user, "--password", USERS[user])
        assert added.exit_code == 0, added.output
    text = load_document("synth_c").text
    for user, spans in labels.items():
        client = login(doccano_env, user, USERS[user])
        pid = project_id(client, project)
        ex = example_of(client, pid, "synth_c")
        types = span_type_ids(client, pid)
        made = {s: client.create_span(pid, ex.id, text.index(s), text.index(s) + len(s), types[label])
                for s, label in spans}
        client.create_relation(pid, ex.id, made["resettled"].id, made["South Korea"].id, "agent")


def test_multiple_annotators_versions_and_agreement(doccano_cli, doccano_env, doccano_data, doccano_project):
    annotate_synth_c(doccano_cli, doccano_env, doccano_project, LABELS_C)
    shown = doccano_cli("pull", "--project", doccano_project)
    assert shown.exit_code == 0, shown.output
    for user in USERS:  # a pull without --apply says what it would write, and writes nothing
        assert f"  {user}'s version would go (with --apply) to {annotator_path(doccano_project, user, 'synth_c')}" \
            in shown.stdout
        assert not annotator_path(doccano_project, user, "synth_c").exists()
    assert "keeps" not in shown.stdout

    result = doccano_cli("pull", "--project", doccano_project, "--apply")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "synth_c: 2 annotators (alice, bob) and no version by admin" in out
    assert "Agreement alice vs bob on 1 document(s): synth_c" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("  ") and
            line.split()[0] in ("ACTOR", "EVENT", "NUMBER", "all")}
    assert rows["ACTOR"][1:6] == ["2", "2", "2", "1.000", "1.000"]
    assert rows["EVENT"][4] == "0.000"
    assert rows["all"][2:5] == ["6", "5", "4"]  # "all labels": A, B, matched
    assert rows["all"][5] == "0.727"
    assert "2 file(s) written" in out
    assert not annotation_path("synth_c").exists()  # no adjudicated version: gold untouched
    for user in USERS:
        assert f"  {user}'s version goes to {annotator_path(doccano_project, user, 'synth_c')}" in out
        rec = read_record(annotator_path(doccano_project, user, "synth_c"))
        assert rec["meta"]["annotators"] == {"drafted_by": user}
        assert rec["meta"]["doccano_project"] == doccano_project
        assert len(rec["entities"]) == len(LABELS_C[user]) and len(rec["relations"]) == 1
    bob_file = annotator_path(doccano_project, "bob", "synth_c")
    bob_event = next(e for e in read_record(bob_file)["entities"] if e["label"] == "EVENT")
    assert bob_event["event_type"] == "legal_action"

    again = doccano_cli("pull", "--project", doccano_project, "--check")
    assert again.exit_code == 0, again.output  # the kept versions are up to date
    assert "  alice's version is up to date in" in again.stdout
    chosen = doccano_cli("pull", "--project", doccano_project, "--gold-user", "alice", "--check")
    assert chosen.exit_code == 1
    assert "synth_c (version of alice): new file" in chosen.stdout


def test_annotator_copies_are_kept_per_project(doccano_cli, doccano_env, doccano_data, doccano_project):
    # the same annotators label the same document differently in two projects: applying the second
    # project's pull must not overwrite the first project's copies
    second = doccano_project + " (round 2)/x"  # any project name maps to one folder
    annotate_synth_c(doccano_cli, doccano_env, doccano_project, LABELS_C)
    swapped = {"alice": LABELS_C["bob"], "bob": LABELS_C["alice"]}
    annotate_synth_c(doccano_cli, doccano_env, second, swapped)
    for project in (doccano_project, second):
        result = doccano_cli("pull", "--project", project, "--apply")
        assert result.exit_code == 0, result.output
        assert "2 file(s) written" in result.stdout
    for project, labels in ((doccano_project, LABELS_C), (second, swapped)):
        for user in USERS:
            path = annotator_path(project, user, "synth_c")
            assert path.parent.parent.parent == doccano_data / "annotations" / "annotators"
            rec = read_record(path)
            assert len(rec["entities"]) == len(labels[user]) and rec["meta"]["doccano_project"] == project
    assert doccano_cli("pull", "--project", doccano_project, "--check").exit_code == 0
    assert doccano_cli("pull", "--project", second, "--check").exit_code == 0


def test_copies_of_the_layout_without_projects_are_migrated_not_lost(doccano_cli, doccano_env, doccano_data,
                                                                    doccano_project):
    annotate_synth_c(doccano_cli, doccano_env, doccano_project, LABELS_C)
    # what the earlier layout (annotators/<user>/<doc_id>.jsonl) holds: alice's copy is this
    # project's version (written by an earlier pull); bob's came from another project
    from nkner.corpus.store import write_document
    from nkner.doccano.pull import legacy_annotator_path

    pulled = pull(connect(credentials_from_env()), doccano_project, doccano_env.url, "admin")
    by_user = {c.user: c.doc for c in pulled.docs[0].copies}
    write_document(by_user["alice"], path=legacy_annotator_path("alice", "synth_c"))
    other = by_user["bob"]
    other.entities, other.relations = other.entities[:2], []
    write_document(other, path=legacy_annotator_path("bob", "synth_c"))
    alice_before = legacy_annotator_path("alice", "synth_c").read_bytes()
    bob_before = legacy_annotator_path("bob", "synth_c").read_bytes()

    shown = doccano_cli("pull", "--project", doccano_project)
    assert shown.exit_code == 0, shown.output
    new_alice = annotator_path(doccano_project, "alice", "synth_c")
    assert f"moved from {legacy_annotator_path('alice', 'synth_c')}" in shown.stdout
    assert f"  bob's copy {legacy_annotator_path('bob', 'synth_c')} (from before copies were kept per project) " \
        "differs from this project's version: left as it is" in shown.stdout
    assert legacy_annotator_path("alice", "synth_c").read_bytes() == alice_before and not new_alice.exists()

    applied = doccano_cli("pull", "--project", doccano_project, "--apply")
    assert applied.exit_code == 0, applied.output
    assert not legacy_annotator_path("alice", "synth_c").exists()
    assert not legacy_annotator_path("alice", "synth_c").parent.exists()  # the emptied folder goes
    assert read_record(new_alice)["entities"] == json.loads(alice_before)["entities"]
    backups = list((doccano_data / ".cache" / "nkner" / "doccano-backups").glob("*/annotations/annotators/alice/*"))
    assert [b.read_bytes() for b in backups] == [alice_before]
    assert legacy_annotator_path("bob", "synth_c").read_bytes() == bob_before  # never overwritten
    assert len(read_record(annotator_path(doccano_project, "bob", "synth_c"))["entities"]) == 5


def test_add_annotator_sets_the_password_of_an_existing_user(doccano_cli, doccano_env, doccano_project):
    assert doccano_cli("push", "--project", doccano_project, "--docs", "synth_b").exit_code == 0
    first = doccano_cli("add-annotator", "--project", doccano_project, "--username", "carol",
                        "--password", "carol-first-pw")
    assert first.exit_code == 0, first.output
    assert f"created user 'carol' is an annotator of project '{doccano_project}'" in first.stdout
    login(doccano_env, "carol", "carol-first-pw")

    changed = doccano_cli("add-annotator", "--project", doccano_project, "--username", "carol",
                          "--password", "carol-second-pw")
    assert changed.exit_code == 0, changed.output
    assert "existing (password changed) user 'carol'" in changed.stdout
    login(doccano_env, "carol", "carol-second-pw")
    with pytest.raises(DoccanoError, match="refused the login of user 'carol'"):
        login(doccano_env, "carol", "carol-first-pw")

    weak = doccano_cli("add-annotator", "--project", doccano_project, "--username", "carol", "--password", "12")
    assert weak.exit_code == 1
    assert "doccano refused the new password of user 'carol'" in weak.stderr
    assert "too short" in weak.stderr and "the password was not changed" in weak.stderr
    login(doccano_env, "carol", "carol-second-pw")

    # an existing user without --password: no prompt, password left as it is
    kept = doccano_cli("add-annotator", "--project", doccano_project, "--username", "carol")
    assert kept.exit_code == 0, kept.output
    assert f"existing user 'carol' is an annotator of project '{doccano_project}'" in kept.stdout
    login(doccano_env, "carol", "carol-second-pw")


# ------------------------------------------------------------------------------ active learning

REPORT = Path(__file__).resolve().parents[2] / "samples" / "report-2024-returns.txt"


def test_select_uncertain_pushes_the_most_uncertain_excerpts_and_pull_adds_them(doccano_cli, doccano_client,
                                                                               doccano_data, doccano_project,
                                                                               tmp_path):
    from nkner.corpus.store import load_metadata, read_text_exact, sha256_text
    from nkner.doccano.select import excerpts_of, rank, score_segments
    from nkner.doccano.push import load_model

    report = tmp_path / "report.txt"
    report.write_text(REPORT.read_text(encoding="utf-8"), encoding="utf-8")
    expected = rank(score_segments(load_model(), excerpts_of(report)), "uncertain")
    assert len(expected) > 3 and expected[0].uncertainty > expected[-1].uncertainty

    pushed = doccano_cli("push", "--project", doccano_project, "--select", "uncertain", "--from", report, "-n", 2)
    assert pushed.exit_code == 0, pushed.output
    assert f"2 of {len(expected)} excerpts uploaded (selection: uncertain)" in pushed.stdout
    pid = project_id(doccano_client, doccano_project)
    examples = {ex.meta["doc_id"]: ex for ex in doccano_client.list_examples(pid)}
    assert sorted(examples) == sorted(s.doc_id for s in expected[:2])  # the two most uncertain
    text = read_text_exact(report)
    for seg in expected[:2]:
        ex = examples[seg.doc_id]
        prov = ex.meta["excerpt_of"]
        assert (prov["path"], prov["report_sha256"]) == (str(report), sha256_text(text))
        assert ex.text == seg.text and ex.text.strip() == text[prov["start"]:prov["end"]]
        assert prov["excerpt_sha256"] == sha256_text(ex.text)
        assert ex.meta["nkner"]["selection"]["strategy"] == "uncertain"
        assert len(doccano_client.list_spans(pid, ex.id)) == len(seg.entities) > 0  # model pre-annotations
        assert f"uploaded {seg.doc_id}: {report} [{prov['start']}:{prov['end']}]" in pushed.stdout

    shown = doccano_cli("pull", "--project", doccano_project)
    assert shown.exit_code == 0, shown.output
    first = expected[0]
    assert (f"{first.doc_id} (version of admin): new excerpt of {report} [{first.start}:{first.end}], to add (with "
            "--apply) to the corpus") in shown.stdout
    assert not (doccano_data / "corpus" / "raw" / f"{first.doc_id}.txt").exists()

    applied = doccano_cli("pull", "--project", doccano_project, "--apply")
    assert applied.exit_code == 0, applied.output
    assert f"added {first.doc_id} to the corpus (excerpt of {report} [{first.start}:{first.end}])" in applied.stdout
    for seg in expected[:2]:
        row = load_metadata()[seg.doc_id]
        assert row["kind"] == "excerpt" and row["excerpt_of"]["start"] == seg.start
        doc = load_document(seg.doc_id)
        assert doc.text == seg.text and len(doc.entities) == len(seg.entities)
        assert doc.meta["excerpt_of"]["path"] == str(report)
    assert load_document("synth_a").entities  # the rest of the corpus is as it was
    assert doccano_cli("pull", "--project", doccano_project, "--check").exit_code == 0

    # the next round skips what the corpus has and takes the next most uncertain excerpt
    again = doccano_cli("push", "--project", doccano_project, "--select", "uncertain", "--from", report, "-n", 1)
    assert again.exit_code == 0, again.output
    assert f"skipped {first.doc_id}: already in the corpus or the project" in again.stdout
    assert f"uploaded {expected[2].doc_id}" in again.stdout


def test_select_needs_its_inputs(doccano_cli, doccano_client, doccano_data, doccano_project, tmp_path):
    missing = tmp_path / "nope.txt"
    result = doccano_cli("push", "--project", doccano_project, "--select", "uncertain", "--from", missing, "-n", 1)
    assert result.exit_code == 1
    assert f"{missing}: no such file" in result.stderr
    no_n = doccano_cli("push", "--project", doccano_project, "--select", "uncertain", "--from", REPORT)
    assert no_n.exit_code == 2 and "-n N" in no_n.output
    mixed = doccano_cli("push", "--project", doccano_project, "--select", "random", "--from", REPORT, "-n", 1,
                        "--docs", "synth_a")
    assert mixed.exit_code == 2
    assert find_project(doccano_client, doccano_project) is None


# ------------------------------------------------------------------------------ errors


def test_unreachable_server(doccano_cli, doccano_data, monkeypatch):
    monkeypatch.setenv("DOCCANO_URL", f"http://127.0.0.1:{free_port()}")
    before = snapshot(doccano_data)
    for args in (("push", "--project", "x"), ("pull", "--project", "x", "--apply")):
        result = doccano_cli(*args)
        assert result.exit_code == 2
        assert "cannot reach doccano at http://127.0.0.1:" in result.stderr
    assert snapshot(doccano_data) == before


def test_wrong_credentials(doccano_cli, doccano_env, monkeypatch):
    monkeypatch.setenv("DOCCANO_PASSWORD", "not-the-password")
    result = doccano_cli("pull", "--project", "x")
    assert result.exit_code == 2
    assert f"refused the login of user '{doccano_env.username}': wrong username or password" in result.stderr


def test_missing_project(doccano_cli, doccano_project):
    result = doccano_cli("pull", "--project", doccano_project, "--apply")
    assert result.exit_code == 2
    assert f"no doccano project named '{doccano_project}'" in result.stderr


def test_malformed_records_write_nothing(doccano_cli, doccano_client, doccano_data, doccano_project):
    assert doccano_cli("push", "--project", doccano_project).exit_code == 0
    pid = project_id(doccano_client, doccano_project)
    ex = example_of(doccano_client, pid, "synth_a")
    types = span_type_ids(doccano_client, pid)
    n = len(ex.text)
    doccano_client.create_span(pid, ex.id, n + 3, n + 9, types["ACTOR"])  # doccano accepts it
    bogus = doccano_client.create_label_type(pid, "span", "BOGUS")
    doccano_client.create_span(pid, ex.id, 0, 2, bogus.id)
    ex_b = example_of(doccano_client, pid, "synth_b")
    start = ex_b.text.index("across")
    doccano_client.create_span(pid, ex_b.id, start, start + 6, types["LOCATION"])  # a valid edit elsewhere
    before = snapshot(doccano_data)

    result = doccano_cli("pull", "--project", doccano_project, "--apply")
    assert result.exit_code == 1
    assert "2 problem(s)" in result.stderr and "nothing written" in result.stderr
    assert f"synth_a: [{n + 3}:{n + 9}] offsets: offsets out of range for a text of {n} characters" in result.stderr
    assert "synth_a: [0:2] 'In' label: unknown label 'BOGUS'" in result.stderr
    assert snapshot(doccano_data) == before
    assert not (doccano_data / ".cache").exists()


def test_doc_unknown_to_the_corpus_is_a_problem(doccano_cli, doccano_client, doccano_data, doccano_project):
    assert doccano_cli("push", "--project", doccano_project, "--docs", "synth_b").exit_code == 0
    pid = project_id(doccano_client, doccano_project)
    record = {"text": "Stray text.", "entities": [{"id": 1, "start_offset": 0, "end_offset": 5, "label": "ACTOR"}],
              "relations": [], "doc_id": "not_in_corpus", "text_sha256": "0", "nkner": {}}
    upload_records(doccano_client, pid, [record])
    result = doccano_cli("pull", "--project", doccano_project)
    assert result.exit_code == 1
    assert "unknown document id 'not_in_corpus'" in result.stderr
    assert json.loads(annotation_path("synth_b").read_text())["meta"]["doc_id"] == "synth_b"
