"""Pushing to doccano: the corpus documents a project lacks, with gold, model or no pre-annotations
(:func:`push`), or the most informative excerpts of new reports (:func:`push_selected`).

A document is identified by ``doc_id`` and ``text_sha256`` in the example's metadata, so pushing
again never duplicates it.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from doccano_client import DoccanoClient
from doccano_client.repositories.data_upload import DataUploadRepository

from nkner.corpus.store import CorpusError, Document, Entity, Relation, load, load_document, sha256_text
from nkner.corpus.store import doc_ids as corpus_ids
from nkner.doccano import DoccanoError, Unavailable
from nkner.doccano.client import api_session, wait_for_task
from nkner.doccano.mapping import relation_label_specs, span_label_name, span_label_specs, to_doccano
from nkner.doccano.project import ensure_project, find_project

PRE_ANNOTATIONS = ("gold", "model", "none")


@dataclass
class PushResult:
    project_id: int
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


Annotator = Callable[[str], "tuple[list[Entity], list[Relation]]"]


def model_annotator() -> Annotator:
    """The extraction pipeline's ``annotate`` (imported lazily); :class:`Unavailable` when missing."""
    try:
        from nkner.extract import annotate
    except (ImportError, AttributeError) as exc:
        raise Unavailable(f"--pre-annotate model needs the extraction pipeline (nkner.extract.annotate), "
                          f"which is not available: {exc}") from exc
    return annotate


def pre_annotations(docs: list[Document], mode: str) -> dict[str, tuple[list[Entity], list[Relation]]]:
    """Pre-annotations per document: local gold, the model's output, or none."""
    if mode not in PRE_ANNOTATIONS:
        raise DoccanoError(f"unknown pre-annotation {mode!r}; choose one of {', '.join(PRE_ANNOTATIONS)}")
    if mode == "none":
        return {d.id: ([], []) for d in docs}
    if mode == "gold":
        return {d.id: (d.entities, d.relations) for d in docs}
    annotate = model_annotator()
    out = {}
    for doc in docs:
        try:
            out[doc.id] = annotate(doc.text)
        except Exception as exc:  # any failure means there is no usable model
            raise Unavailable(f"--pre-annotate model: the model could not annotate {doc.id} ({exc!r}); "
                              "is a trained model installed?") from exc
    return out


def _check_pre_annotations(doc: Document, entities: list[Entity], relations: list[Relation]) -> None:
    """Refuse pre-annotations doccano would import wrongly (it drops bad spans silently)."""
    span_labels = {s.name for s in span_label_specs()}
    relation_types = {s.name for s in relation_label_specs()}
    ids = {e.id for e in entities}
    for e in entities:
        name = span_label_name(e.label, e.event_type)
        if name not in span_labels:
            raise DoccanoError(f"{doc.id}: span [{e.start}:{e.end}] has label {name!r}, not in the schema")
        if not 0 <= e.start < e.end <= len(doc.text):
            raise DoccanoError(f"{doc.id}: span [{e.start}:{e.end}] {e.label} is out of range for a text "
                               f"of {len(doc.text)} characters")
    for r in relations:
        if r.type not in relation_types or r.from_id not in ids or r.to_id not in ids:
            raise DoccanoError(f"{doc.id}: relation {r.id} ({r.type} {r.from_id} -> {r.to_id}) has an "
                               "unknown type or refers to a missing span")


def upload_records(client: DoccanoClient, project_id: int, records: list[dict], what: str = "documents") -> None:
    """Import relation-JSONL records into the project through doccano's task worker, then check that
    the project has an example for each record's ``doc_id`` (``what`` names them in the error)."""
    with tempfile.TemporaryDirectory(prefix="nkner-push-") as tmp:
        path = Path(tmp) / "nkner-push.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        uploads = DataUploadRepository(api_session(client))
        task_id = uploads.ingest(project_id, [uploads.upload(str(path))], "RelationExtraction", "JSONL",
                                 column_data="text", column_label="label")
    status = wait_for_task(client, task_id, "import")
    errors = (status.result or {}).get("error") if isinstance(status.result, dict) else None
    if errors:
        details = "; ".join(f"line {e.get('line', '?')}: {e.get('message', e)}" if isinstance(e, dict) else str(e)
                            for e in errors)
        raise DoccanoError(f"doccano's import into project {project_id} failed: {details}")
    present = {ex.meta.get("doc_id") for ex in client.list_examples(project_id)}
    missing = [r["doc_id"] for r in records if r.get("doc_id") not in present]
    if missing:
        raise DoccanoError(f"doccano's import reported success but these {what} are missing: {', '.join(missing)}")


def push(client: DoccanoClient, project_name: str, doc_ids: list[str] | None = None, mode: str = "gold",
         root: Path | None = None) -> PushResult:
    """Create or update the project and upload the corpus documents (all, or ``doc_ids``) it lacks.

    A document already in the project (same ``doc_id`` and ``text_sha256``) is left untouched,
    annotations included.  A document whose text changed since it was pushed is refused.
    """
    try:
        docs = load(doc_ids, root) if mode == "gold" else \
            [load_document(i, root, with_annotations=False) for i in (doc_ids or corpus_ids(root))]
    except CorpusError as exc:
        raise DoccanoError(str(exc)) from exc
    existing = find_project(client, project_name)
    remote = {ex.meta.get("doc_id"): ex for ex in client.list_examples(existing.id)} if existing else {}
    todo, unchanged = [], []
    for doc in docs:
        ex = remote.get(doc.id)
        if ex is None:
            todo.append(doc)
        elif ex.meta.get("text_sha256") == sha256_text(doc.text):
            unchanged.append(doc.id)
        else:
            raise DoccanoError(f"{doc.id}: its text changed since it was pushed (doccano example {ex.id} has "
                               f"text_sha256 {ex.meta.get('text_sha256')}, the corpus "
                               f"{sha256_text(doc.text)}); pull its annotations, delete example {ex.id} in "
                               "doccano, then push again")
    annotations = pre_annotations(todo, mode)
    records = []
    for doc in todo:
        entities, relations = annotations[doc.id]
        _check_pre_annotations(doc, entities, relations)
        records.append(to_doccano(doc, entities, relations))
    project = ensure_project(client, project_name)
    result = PushResult(project.id, unchanged=unchanged)
    if not records:
        return result
    upload_records(client, project.id, records)
    result.uploaded = [d.id for d in todo]
    return result


@dataclass
class SelectResult:
    project_id: int
    uploaded: list["Segment"] = field(default_factory=list)
    #: excerpts that would have been chosen but are in the corpus or the project already
    skipped: list[str] = field(default_factory=list)
    candidates: int = 0


def load_model(model: Path | str | None = None):
    """The trained pipeline (default: the shipped model); :class:`Unavailable` when it cannot load."""
    try:
        from nkner.extract.run import load as load_pipeline

        return load_pipeline(model)
    except Exception as exc:  # a missing or broken model: nothing can be ranked or pre-annotated
        raise Unavailable(f"--select needs a trained model{f' ({model})' if model else ''}, which could not "
                          f"be loaded: {exc}") from exc


def push_selected(client: DoccanoClient, project_name: str, paths: list[Path], n: int, strategy: str = "uncertain",
                  unit: str = "sentence", nlp=None, root: Path | None = None, seed: int = 0) -> SelectResult:
    """Push the ``n`` most informative excerpts of new reports, with the model's pre-annotations.

    The reports are cut into ``unit`` s (:mod:`nkner.doccano.select`), each excerpt is scored by
    the model and ranked by ``strategy``; excerpts whose text is in the corpus or in the project
    already are skipped.  Each example records where it comes from (``excerpt_of``: path, offsets
    in the report as read, hashes of the report and of the excerpt), so that a pull adds it to the
    corpus as a new document.
    """
    from nkner.doccano.select import MIN_WORDS, excerpts_of, rank, score_segments

    if n < 1:
        raise DoccanoError(f"-n must be at least 1 (got {n})")
    segments = [seg for path in paths for seg in excerpts_of(Path(path), unit)]
    if not segments:
        raise DoccanoError(f"no excerpt of {MIN_WORDS} words or more in {', '.join(map(str, paths))}")
    nlp = nlp or load_model()
    if strategy == "uncertain":
        score_segments(nlp, segments)
    known = set(corpus_ids(root))
    existing = find_project(client, project_name)
    if existing:
        known |= {ex.meta.get("doc_id") for ex in client.list_examples(existing.id)}
    chosen, skipped = [], []
    for seg in rank(segments, strategy, seed=seed):
        if len(chosen) == n:
            break
        if seg.doc_id in known:
            skipped.append(seg.doc_id)
        else:
            chosen.append(seg)
    if strategy != "uncertain":
        score_segments(nlp, chosen)  # pre-annotations
    records = []
    for seg in chosen:
        meta = {"status": "draft", "annotators": {}, "excerpt_of": seg.provenance(),
                "selection": {"strategy": strategy, "unit": unit, "uncertainty_per_word": round(seg.uncertainty, 4),
                              "model": nlp.meta.get("name", "")}}
        doc = Document(seg.doc_id, seg.text, {}, seg.entities, seg.relations, meta)
        _check_pre_annotations(doc, seg.entities, seg.relations)
        records.append(to_doccano(doc, seg.entities, seg.relations))
    project = ensure_project(client, project_name)
    result = SelectResult(project.id, candidates=len(segments), skipped=skipped)
    if records:
        upload_records(client, project.id, records, what="excerpts")
    result.uploaded = chosen
    return result
