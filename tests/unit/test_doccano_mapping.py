"""doccano label mapping, record conversion, diff and id alignment (no server needed)."""
from __future__ import annotations

import pytest

from nkner.corpus.store import Document, Entity, Relation, sha256_text
from nkner.doccano import DoccanoError, Unavailable
from nkner.doccano.mapping import (DOCCANO_MAX_LABEL_LENGTH, EVENT_COLORS, LEGACY_EVENT_PREFIX, from_doccano,
                                   parse_span_label, relation_label_specs, span_label_name, span_label_specs,
                                   text_color, to_doccano)
from nkner.doccano.diff import align_ids, diff_documents, render_diff
from nkner.doccano.push import pre_annotations
from nkner.schema import EVENT_TYPE_NAMES, LABELS, RELATION_TYPES, SCHEMA_VERSION

TEXT = "Chinese authorities forcibly repatriated 31 North Korean refugees in 2012."


def ent(i, text, surface, label, event_type=None):
    start = text.index(surface)
    return Entity(i, start, start + len(surface), label, event_type)


def make_doc(entities=None, relations=None, meta=None) -> Document:
    if entities is None:
        entities = [ent(1, TEXT, "Chinese authorities", "ACTOR"),
                    ent(2, TEXT, "forcibly repatriated", "EVENT", "repatriation"),
                    ent(3, TEXT, "31", "NUMBER"),
                    ent(4, TEXT, "North Korean refugees", "ACTOR"),
                    ent(5, TEXT, "2012", "DATE")]
    if relations is None:
        relations = [Relation(1, 2, 1, "agent"), Relation(2, 2, 4, "affected"), Relation(3, 3, 4, "quantity"),
                     Relation(4, 2, 5, "time")]
    meta = meta if meta is not None else {"doc_id": "d1", "text_sha256": sha256_text(TEXT), "schema": SCHEMA_VERSION,
                                          "status": "reviewed", "annotators": {"drafted_by": "x", "reviewed_by": "y"}}
    return Document("d1", TEXT, {}, entities, relations, meta)


# ------------------------------------------------------------------------------ labels


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_event_types_map_to_their_own_label_and_back(event_type):
    name = span_label_name("EVENT", event_type)
    assert name == event_type
    assert parse_span_label(name) == ("EVENT", event_type)
    # projects made before named them EVENT:<type>; their exports still read right
    assert parse_span_label(LEGACY_EVENT_PREFIX + event_type) == ("EVENT", event_type)


@pytest.mark.parametrize("label", [lab.name for lab in LABELS if lab.name != "EVENT"])
def test_other_labels_keep_their_name_unless_too_long(label):
    name = span_label_name(label)
    assert name == label if len(label) <= DOCCANO_MAX_LABEL_LENGTH else name == "LEGAL_INSTR"
    assert parse_span_label(name) == (label, None)
    assert parse_span_label(label) == (label, None)  # the name of older projects


def test_span_labels_cover_the_schema_with_unique_shortcuts():
    specs = span_label_specs()
    names = [s.name for s in specs]
    assert "EVENT" not in names  # an EVENT span always carries its type
    assert set(names) == {span_label_name(lab.name) for lab in LABELS if lab.name != "EVENT"} | set(EVENT_TYPE_NAMES)
    keys = [s.suffix_key for s in specs]
    assert None not in keys and len(set(keys)) == len(keys)
    by_name = {span_label_name(lab.name): lab for lab in LABELS}
    for spec in specs:
        if spec.name in by_name:
            lab = by_name[spec.name]
            assert spec.color == lab.color and spec.suffix_key == lab.shortcut
            assert spec.former_names == (() if spec.name == lab.name else (lab.name,))
        else:
            assert spec.color == EVENT_COLORS[spec.name]
            assert spec.former_names == (LEGACY_EVENT_PREFIX + spec.name,)


def test_every_span_label_name_fits_doccanos_annotation_view():
    assert all(len(s.name) <= DOCCANO_MAX_LABEL_LENGTH for s in span_label_specs())


def test_every_span_label_has_its_own_colour():
    colors = [s.color.lower() for s in span_label_specs()]
    assert len(set(colors)) == len(colors)
    assert set(EVENT_COLORS) == set(EVENT_TYPE_NAMES)


def test_event_shortcuts_are_first_free_letters():
    keys = {s.name: s.suffix_key for s in span_label_specs()}
    assert keys["repatriation"] == "r"
    assert keys["flight"] == "f"
    assert keys["detention"] == "t"  # d is DATE's, e was EVENT's


def test_relation_types_match_the_schema():
    specs = relation_label_specs()
    assert [(s.name, s.color, s.suffix_key) for s in specs] == [(r.name, r.color, r.shortcut) for r in RELATION_TYPES]


def test_text_color_contrasts_with_background():
    assert text_color("#ffffff") == "#000000"
    assert text_color("#1f77b4") == "#ffffff"


# ------------------------------------------------------------------------------ records


def export_of(doc: Document) -> dict:
    """What doccano's export gives back for an imported record: example id, metadata, its own ids."""
    rec = to_doccano(doc, doc.entities, doc.relations)
    shift = {e["id"]: e["id"] + 100 for e in rec["entities"]}
    return {"id": 7, "text": rec["text"], "doc_id": rec["doc_id"], "text_sha256": rec["text_sha256"],
            "nkner": rec["nkner"],
            "entities": [{**e, "id": shift[e["id"]]} for e in rec["entities"]],
            "relations": [{**r, "id": r["id"] + 50, "from_id": shift[r["from_id"]], "to_id": shift[r["to_id"]]}
                          for r in rec["relations"]],
            "Comments": []}


def test_to_doccano_record_shape():
    rec = to_doccano(make_doc(), make_doc().entities, [])
    assert rec["doc_id"] == "d1" and rec["text_sha256"] == sha256_text(TEXT)
    assert {e["label"] for e in rec["entities"]} == {"ACTOR", "repatriation", "NUMBER", "DATE"}
    assert all("event_type" not in e for e in rec["entities"])
    assert rec["relations"] == []
    assert rec["nkner"]["status"] == "reviewed" and "doc_id" not in rec["nkner"]


def test_record_round_trip_is_lossless():
    doc = make_doc()
    back = Document.from_record(from_doccano(export_of(doc), "test"))
    d = diff_documents(doc, back)
    assert d.empty
    assert align_ids(back, doc, d).to_record() == doc.to_record()


def test_from_doccano_needs_doc_id():
    rec = export_of(make_doc())
    del rec["doc_id"]
    with pytest.raises(DoccanoError, match="no doc_id"):
        from_doccano(rec, "alice's example 7")


def test_from_doccano_reports_malformed_span():
    rec = export_of(make_doc())
    rec["entities"][0]["start_offset"] = "abc"
    with pytest.raises(DoccanoError, match="malformed span"):
        from_doccano(rec, "alice's example 7")


def test_unknown_label_survives_mapping_for_the_validator():
    rec = export_of(make_doc())
    rec["entities"][0]["label"] = "EVENT"
    mapped = from_doccano(rec, "x")
    assert mapped["entities"][0]["label"] == "EVENT" and "event_type" not in mapped["entities"][0]


# ------------------------------------------------------------------------------ diff


def test_diff_of_identical_documents_is_empty():
    assert diff_documents(make_doc(), make_doc()).empty


def test_diff_against_no_local_file_adds_everything():
    d = diff_documents(None, make_doc())
    assert len(d.added) == 5 and len(d.rel_added) == 4 and not d.removed


def test_diff_finds_added_removed_and_changed_spans():
    old = make_doc()
    new_ents = [ent(11, TEXT, "Chinese authorities", "ACTOR"),
                ent(12, TEXT, "forcibly repatriated", "EVENT", "flight"),  # event type changed
                ent(14, TEXT, "North Korean", "ACTOR"),  # boundary changed
                ent(15, TEXT, "2012", "DATE"),
                ent(16, TEXT, "refugees", "LOCATION")]  # added (overlaps, other label)
    new = make_doc(new_ents, [Relation(21, 12, 11, "agent"), Relation(22, 12, 14, "affected")])
    d = diff_documents(old, new)
    assert [(e.start, e.label) for e in d.added] == [(TEXT.index("refugees"), "LOCATION")]
    assert [e.label for e in d.removed] == ["NUMBER"]
    changed = {(o.label, o.event_type, n.event_type, o.end - o.start, n.end - n.start) for o, n in d.changed}
    assert changed == {("EVENT", "repatriation", "flight", 20, 20), ("ACTOR", None, None, 21, 12)}
    # agent and affected survive through the matched spans; quantity (from the removed 31) and time go
    assert not d.rel_added and not d.rel_changed
    assert sorted(r.type for r in d.rel_removed) == ["quantity", "time"]


def test_diff_finds_relation_type_change():
    new = make_doc(relations=[Relation(1, 2, 1, "agent"), Relation(2, 2, 4, "agent"),
                              Relation(3, 3, 4, "quantity"), Relation(4, 2, 5, "time")])
    d = diff_documents(make_doc(), new)
    assert [(o.type, n.type) for o, n in d.rel_changed] == [("affected", "agent")]
    assert not d.rel_added and not d.rel_removed and not d.added


def test_render_diff_lines():
    old = make_doc()
    new = make_doc(old.entities[:4] + [Entity(9, 0, 7, "ACTOR")], old.relations[:3])
    lines = render_diff(diff_documents(old, new))
    assert "  + [0:7] ACTOR 'Chinese'" in lines
    date = f"[{TEXT.index('2012')}:{TEXT.index('2012') + 4}] DATE '2012'"
    assert f"  - {date}" in lines
    assert f"  - relation time: [20:40] EVENT:repatriation 'forcibly repatriated' -> {date}" in lines


def test_render_diff_names_the_spans_of_relations_under_doccano_ids():
    # doccano numbers spans and relations its own way: an added relation must be shown with the
    # spans of the pulled version, not looked up by id in the local file
    old = make_doc(relations=make_doc().relations[:3])
    pulled = Document.from_record(from_doccano(export_of(make_doc()), "test"))
    assert {e.id for e in pulled.entities}.isdisjoint({e.id for e in old.entities})
    d = diff_documents(old, pulled)
    assert [r.type for r in d.rel_added] == ["time"] and not d.rel_removed
    lines = render_diff(d)
    assert lines == [f"  + relation time: [20:40] EVENT:repatriation 'forcibly repatriated' -> "
                     f"[{TEXT.index('2012')}:{TEXT.index('2012') + 4}] DATE '2012'"]
    assert "?" not in "".join(lines)
    # a removed relation and a retyped one are shown from the local version
    retyped = make_doc(relations=[Relation(1, 2, 1, "affected")])
    pulled_back = Document.from_record(from_doccano(export_of(retyped), "test"))
    lines = render_diff(diff_documents(make_doc(), pulled_back))
    assert ("  ~ relation agent: [20:40] EVENT:repatriation 'forcibly repatriated' -> [0:19] ACTOR "
            "'Chinese authorities' becomes affected") in lines
    assert sum(line.startswith("  - relation ") for line in lines) == 3


def test_align_ids_keeps_old_ids_and_numbers_new_ones_after_them():
    old = make_doc()
    new_ents = [ent(101, TEXT, "Chinese authorities", "ACTOR"),
                ent(102, TEXT, "forcibly repatriated", "EVENT", "abuse"),
                ent(103, TEXT, "refugees", "LOCATION")]
    new = make_doc(new_ents, [Relation(201, 102, 101, "agent"), Relation(202, 102, 103, "place")])
    aligned = align_ids(new, old, diff_documents(old, new))
    assert [(e.id, e.label) for e in aligned.entities] == [(1, "ACTOR"), (2, "EVENT"), (6, "LOCATION")]
    assert [(r.id, r.from_id, r.to_id, r.type) for r in aligned.relations] == [(1, 2, 1, "agent"), (5, 2, 6, "place")]


# ------------------------------------------------------------------------------ pre-annotations


def test_pre_annotations_none_and_gold():
    doc = make_doc()
    assert pre_annotations([doc], "none") == {"d1": ([], [])}
    assert pre_annotations([doc], "gold") == {"d1": (doc.entities, doc.relations)}


def test_pre_annotations_model_unavailable(monkeypatch):
    import nkner.extract

    monkeypatch.delattr(nkner.extract, "annotate", raising=False)
    with pytest.raises(Unavailable, match="nkner.extract.annotate") as info:
        pre_annotations([make_doc()], "model")
    assert info.value.exit_code == 2


def test_pre_annotations_model_failure_is_unavailable(monkeypatch):
    import nkner.extract

    def broken(text):
        raise FileNotFoundError("no model installed")

    monkeypatch.setattr(nkner.extract, "annotate", broken, raising=False)
    with pytest.raises(Unavailable, match="could not annotate d1"):
        pre_annotations([make_doc()], "model")


# ------------------------------------------------------------------------------ annotator copies


@pytest.mark.parametrize("name", ["round1", "round 2/x", "..", ".", "a%2Fb", "a/b", "é\\x", "nkner (v2)"])
def test_project_folder_is_one_plain_folder_per_project(name, tmp_path):
    from nkner.doccano.pull import annotator_path, project_folder

    folder = project_folder(name)
    assert "/" not in folder and "\\" not in folder and folder not in ("", ".", "..")
    path = annotator_path(name, "alice", "d1", tmp_path)
    assert path.parent.parent.parent == tmp_path / "annotations" / "annotators"
    others = ["round1", "round 2/x", "..", ".", "a%2Fb", "a/b", "é\\x", "nkner (v2)"]
    assert [project_folder(o) for o in others].count(folder) == 1  # no two projects share a folder
