"""Push the corpus to a doccano project, pull annotations back, diff them and apply them.

* :func:`push` creates (or updates) the project and its labels and uploads the documents that
  are not there yet; a document is identified by ``doc_id`` and ``text_sha256`` in the example's
  metadata, so pushing again never duplicates it.
* :func:`pull` exports the project through doccano's task worker (one JSONL file per user),
  validates every record, maps it back to the annotation format and diffs it against local gold.
  It writes nothing; :func:`apply` writes the result atomically after backing up every file it
  replaces under ``<data root>/.cache/nkner/doccano-backups/<UTC time>/``.

Which version becomes gold: the gold user's (by default the account that pulls) when that user
labelled the document, otherwise the only annotator's.  When several annotators labelled a
document each version is also kept as ``annotations/annotators/<project>/<user>/<doc_id>.jsonl`` and
agreement is measured; with several annotators and no version by the gold user, gold is left
alone until someone adjudicates as the gold user.  Documents nobody labelled in doccano never
touch local gold.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import quote

import requests
from doccano_client import DoccanoClient
from doccano_client.exceptions import DoccanoAPIError
from doccano_client.models.label_type import LabelType
from doccano_client.models.project import Project, ProjectType
from doccano_client.repositories.data_download import DataDownloadRepository
from doccano_client.repositories.data_upload import DataUploadRepository
from doccano_client.repositories.label_type import RelationTypeRepository, SpanTypeRepository
from doccano_client.repositories.task_status import TaskStatusRepository

from nkner.corpus.build import add_sources
from nkner.corpus.clean import clean_text
from nkner.corpus.store import (CorpusError, Document, Entity, Relation, annotation_path, annotations_dir,
                                data_root, load, load_document, read_record, sha256_text, write_document)
from nkner.corpus.store import doc_ids as corpus_ids
from nkner.corpus.validate import validate_record
from nkner.doccano import DoccanoError, Unavailable
from nkner.doccano.agreement import PairAgreement, agreement
from nkner.doccano.mapping import (display_label, from_doccano, has_annotations, relation_label_specs, span_label_name,
                                   span_label_specs, to_doccano)

DEFAULT_URL = "http://127.0.0.1:8000"
TASK_TIMEOUT = 300  # seconds to wait for an import or export task
#: validator rules about annotation style: reported by pull, but they do not block it
STYLE_RULES = {"whitespace", "leading-word", "trailing-punct", "relation-sentence"}
PRE_ANNOTATIONS = ("gold", "model", "none")
SAFE_USERNAME = re.compile(r"^(?!\.{1,2}$)[\w.@+-]+$")

# ------------------------------------------------------------------------------ connection


@dataclass
class Credentials:
    url: str
    username: str
    password: str


def credentials_from_env() -> Credentials:
    """Server and account from DOCCANO_URL (default :data:`DEFAULT_URL`), DOCCANO_USERNAME, DOCCANO_PASSWORD."""
    missing = [v for v in ("DOCCANO_USERNAME", "DOCCANO_PASSWORD") if not os.environ.get(v)]
    if missing:
        raise Unavailable(f"set {' and '.join(missing)} to the doccano account to use")
    return Credentials(os.environ.get("DOCCANO_URL") or DEFAULT_URL, os.environ["DOCCANO_USERNAME"],
                       os.environ["DOCCANO_PASSWORD"])


def connect(creds: Credentials) -> DoccanoClient:
    """A logged-in client; :class:`Unavailable` when the server is unreachable or refuses the login."""
    client = DoccanoClient(creds.url)
    try:
        client.login(creds.username, creds.password)
    except requests.ConnectionError as exc:
        raise Unavailable(f"cannot reach doccano at {creds.url} (connection refused or host unknown); "
                          "start it with `nkner doccano serve` or set DOCCANO_URL") from exc
    except DoccanoAPIError as exc:
        status = exc.response.status_code
        if status in (400, 401, 403):
            raise Unavailable(f"doccano at {creds.url} refused the login of user {creds.username!r}: "
                              "wrong username or password (DOCCANO_USERNAME, DOCCANO_PASSWORD)") from exc
        raise Unavailable(f"doccano at {creds.url} answered HTTP {status} to the login: {exc}") from exc
    except requests.RequestException as exc:
        raise Unavailable(f"cannot talk to doccano at {creds.url}: {exc}") from exc
    return client


def _api(client: DoccanoClient):
    """The client's HTTP session: doccano-client 1.2.8 has no public way to set label text colours
    or to bound the wait for an import or export task, so those calls use its repositories."""
    return client._base_repository


def _wait(client: DoccanoClient, task_id: str, what: str):
    try:
        status = TaskStatusRepository(_api(client)).wait(task_id, timeout=TASK_TIMEOUT)
    except TimeoutError as exc:
        raise Unavailable(f"doccano's {what} task did not finish within {TASK_TIMEOUT} s; is the task "
                          "worker running (`nkner doccano serve` starts it)?") from exc
    if status.error:
        raise DoccanoError(f"doccano's {what} task failed: {status.error}")
    return status


# ------------------------------------------------------------------------------ project


def find_project(client: DoccanoClient, name: str) -> Project | None:
    """The project called ``name`` among those the user is a member of, or None."""
    found = [p for p in client.list_projects() if p.name == name]
    if len(found) > 1:
        raise DoccanoError(f"{len(found)} doccano projects are called {name!r} (ids "
                           f"{', '.join(str(p.id) for p in found)}); rename all but one")
    return found[0] if found else None


def require_project(client: DoccanoClient, name: str, url: str) -> Project:
    project = find_project(client, name)
    if project is None:
        raise Unavailable(f"no doccano project named {name!r} at {url} that this account is a member of; "
                          "create it with `nkner doccano push --project NAME`")
    if project.project_type != ProjectType.SEQUENCE_LABELING or not project.use_relation:
        raise DoccanoError(f"doccano project {name!r} is a {project.project_type.value} project"
                           f"{'' if project.use_relation else ' without relations'}; nkner needs "
                           "SequenceLabeling with relations")
    return project


def _guideline() -> str:
    path = annotations_dir() / "GUIDELINES.md"
    if path.exists():
        return path.read_text(encoding="utf-8")
    return "Annotate per the nkner schema (annotations/GUIDELINES.md in the repository)."


def ensure_project(client: DoccanoClient, name: str) -> Project:
    """Create the project (SequenceLabeling, relations on, one version per annotator) or update it."""
    project = find_project(client, name)
    if project is None:
        project = client.create_project(name, project_type="SequenceLabeling", use_relation=True,
                                        description="nkner corpus: reports on North Korean refugees",
                                        guideline=_guideline())
    elif project.project_type != ProjectType.SEQUENCE_LABELING:
        raise DoccanoError(f"doccano project {name!r} exists but is a {project.project_type.value} project; "
                           "choose another name")
    elif not project.use_relation:
        project = client.update_project(project.id, use_relation=True)
    sync_label_types(client, project.id)
    return project


def sync_label_types(client: DoccanoClient, project_id: int) -> None:
    """Create or update the span labels and relation types from the schema (colours, shortcuts).

    A label under one of its former names (``EVENT:<type>``) is renamed, so that its spans keep it.
    """
    for repo, specs in ((SpanTypeRepository(_api(client)), span_label_specs()),
                        (RelationTypeRepository(_api(client)), relation_label_specs())):
        existing = {lt.text: lt for lt in repo.list(project_id)}
        for spec in specs:
            have = next((existing[n] for n in (spec.name, *spec.former_names) if n in existing), None)
            want = LabelType(id=have.id if have else None, text=spec.name, suffix_key=spec.suffix_key,
                             background_color=spec.color, text_color=spec.text_color)
            try:
                if have is None:
                    repo.create(project_id, want)
                elif have != want:
                    repo.update(project_id, want)
            except DoccanoAPIError as exc:
                raise DoccanoError(f"cannot create or update label {spec.name!r} in project {project_id}: "
                                   f"{exc}") from exc


def user_exists(client: DoccanoClient, username: str) -> bool:
    try:
        client.find_user_by_name(username)
    except ValueError:
        return False
    return True


def set_password(client: DoccanoClient, url: str, username: str, password: str) -> None:
    """Set the password of the doccano account ``username`` (needs a superuser's login).

    doccano 1.8.4's API lets an account change only its own password; an administrator sets
    another account's through Django's admin site, which this submits (same session, same
    password rules as the site: at least 8 characters, not too common, not all digits, not like
    the user name).  Raises :class:`DoccanoError` with doccano's reasons when it is refused.
    """
    user = client.find_user_by_name(username)
    session = _api(client)._session
    form_url = f"{url.rstrip('/')}/admin/auth/user/{user.id}/password/"
    page = session.get(form_url, allow_redirects=False)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text) if page.status_code == 200 else None
    if token is None:
        raise DoccanoError(f"cannot set the password of doccano user {username!r}: the admin page {form_url} "
                           f"answered HTTP {page.status_code} (the account {url} logs in with must be a "
                           "superuser); the password was not changed")
    done = session.post(form_url, data={"csrfmiddlewaretoken": token.group(1), "password1": password,
                                        "password2": password},
                        headers={"Referer": form_url,  # the client's session sends JSON by default
                                 "Content-Type": "application/x-www-form-urlencoded"}, allow_redirects=False)
    if done.status_code != 302:
        reasons = re.findall(r'<ul class="errorlist[^"]*">\s*<li>(.*?)</li>', done.text, flags=re.S)
        raise DoccanoError(f"doccano refused the new password of user {username!r}: "
                           f"{'; '.join(html.unescape(r) for r in reasons) or f'HTTP {done.status_code}'}; "
                           "the password was not changed")


def add_annotator(client: DoccanoClient, project_name: str, url: str, username: str,
                  password: str | None, role: str = "annotator") -> tuple[bool, bool]:
    """Create the doccano account ``username`` if needed and make it a member of the project.

    ``password`` is the new account's password; for an existing account it replaces the
    current one (None leaves it).  Returns (account created, password set).  Needs an
    administrator's login.
    """
    project = require_project(client, project_name, url)
    try:
        client.find_user_by_name(username)
    except ValueError:
        if not password:
            raise DoccanoError(f"doccano user {username!r} does not exist: give --password to create it")
        try:
            client.create_user(username, password)
        except DoccanoAPIError as exc:
            raise DoccanoError(f"cannot create doccano user {username!r}: {exc.response.text or exc}") from exc
        created = True
    else:
        created = False
        if password:
            set_password(client, url, username, password)
    if username not in {m.username for m in client.list_members(project.id)}:
        client.add_member(project.id, username, role)
    return created, bool(password)


# ------------------------------------------------------------------------------ push


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


def upload_records(client: DoccanoClient, project_id: int, records: list[dict]) -> None:
    """Import relation-JSONL records into the project through doccano's task worker."""
    with tempfile.TemporaryDirectory(prefix="nkner-push-") as tmp:
        path = Path(tmp) / "nkner-push.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        uploads = DataUploadRepository(_api(client))
        task_id = uploads.ingest(project_id, [uploads.upload(str(path))], "RelationExtraction", "JSONL",
                                 column_data="text", column_label="label")
    status = _wait(client, task_id, "import")
    errors = (status.result or {}).get("error") if isinstance(status.result, dict) else None
    if errors:
        details = "; ".join(f"line {e.get('line', '?')}: {e.get('message', e)}" if isinstance(e, dict) else str(e)
                            for e in errors)
        raise DoccanoError(f"doccano's import into project {project_id} failed: {details}")


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
    present = {ex.meta.get("doc_id") for ex in client.list_examples(project.id)}
    missing = [d.id for d in todo if d.id not in present]
    if missing:
        raise DoccanoError(f"doccano's import reported success but these documents are missing: {', '.join(missing)}")
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
        upload_records(client, project.id, records)
        present = {ex.meta.get("doc_id") for ex in client.list_examples(project.id)}
        missing = [seg.doc_id for seg in chosen if seg.doc_id not in present]
        if missing:
            raise DoccanoError("doccano's import reported success but these excerpts are missing: "
                               + ", ".join(missing))
    result.uploaded = chosen
    return result


# ------------------------------------------------------------------------------ diff


@dataclass
class DocDiff:
    """Differences of a new version against the old one (spans and relations)."""

    added: list[Entity] = field(default_factory=list)
    removed: list[Entity] = field(default_factory=list)
    changed: list[tuple[Entity, Entity]] = field(default_factory=list)  # (old, new)
    rel_added: list[Relation] = field(default_factory=list)
    rel_removed: list[Relation] = field(default_factory=list)
    rel_changed: list[tuple[Relation, Relation]] = field(default_factory=list)  # (old, new)
    span_map: dict[int, int] = field(default_factory=dict)  # new entity id -> old entity id
    #: the two versions compared: the entity and relation ids above refer to these
    old: Document | None = None
    new: Document | None = None

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.rel_added or self.rel_removed
                    or self.rel_changed)

    def summary(self) -> str:
        return (f"spans +{len(self.added)} -{len(self.removed)} ~{len(self.changed)}, relations "
                f"+{len(self.rel_added)} -{len(self.rel_removed)} ~{len(self.rel_changed)}")


def _same_kind(a: Entity, b: Entity) -> bool:
    return a.label == b.label and a.event_type == b.event_type


def diff_documents(old: Document | None, new: Document) -> DocDiff:
    """Match spans (same offsets first, then overlapping with the same label) and relations.

    Same offsets with another label or event type, or overlapping offsets with the same label,
    count as a changed span; a relation between matched spans with another type counts as changed.
    """
    d = DocDiff(old=old, new=new)
    old_ents = list(old.entities) if old else []
    old_by_offsets = {(e.start, e.end): e for e in old_ents}
    matched_old: set[int] = set()
    rest_new = []
    for e in sorted(new.entities, key=lambda e: (e.start, e.end)):
        o = old_by_offsets.get((e.start, e.end))
        if o is not None and o.id not in matched_old:
            matched_old.add(o.id)
            d.span_map[e.id] = o.id
            if not _same_kind(o, e):
                d.changed.append((o, e))
        else:
            rest_new.append(e)
    rest_old = [o for o in old_ents if o.id not in matched_old]
    for e in rest_new:
        o = next((o for o in rest_old if _same_kind(o, e) and o.start < e.end and e.start < o.end), None)
        if o is None:
            d.added.append(e)
        else:
            rest_old.remove(o)
            d.span_map[e.id] = o.id
            d.changed.append((o, e))
    d.removed = sorted(rest_old, key=lambda e: (e.start, e.end))

    def ends(r: Relation) -> tuple:
        return (("old", d.span_map[r.from_id]) if r.from_id in d.span_map else ("new", r.from_id),
                ("old", d.span_map[r.to_id]) if r.to_id in d.span_map else ("new", r.to_id))

    old_rels = {(("old", r.from_id), ("old", r.to_id), r.type): r for r in (old.relations if old else [])}
    rest_new_rels = []
    for r in new.relations:
        key = (*ends(r), r.type)
        if key in old_rels:
            old_rels.pop(key)
        else:
            rest_new_rels.append(r)
    for r in rest_new_rels:
        o = next((o for k, o in old_rels.items() if k[:2] == ends(r)), None)
        if o is None:
            d.rel_added.append(r)
        else:
            old_rels.pop((("old", o.from_id), ("old", o.to_id), o.type))
            d.rel_changed.append((o, r))
    d.rel_removed = list(old_rels.values())
    return d


def align_ids(new: Document, old: Document | None, diff: DocDiff) -> Document:
    """``new`` with the ids of matching spans and relations taken from ``old`` (minimal file diffs)."""
    old_rels = {(r.from_id, r.to_id, r.type): r.id for r in (old.relations if old else [])}
    changed_rels = {id(n): o.id for o, n in diff.rel_changed}
    next_ent = max((e.id for e in (old.entities if old else [])), default=0) + 1
    next_rel = max((r.id for r in (old.relations if old else [])), default=0) + 1
    ent_ids = {}
    entities = []
    for e in sorted(new.entities, key=lambda e: (e.start, e.end)):
        if e.id in diff.span_map:
            ent_ids[e.id] = diff.span_map[e.id]
        else:
            ent_ids[e.id], next_ent = next_ent, next_ent + 1
        entities.append(Entity(ent_ids[e.id], e.start, e.end, e.label, e.event_type))
    relations = []
    for r in new.relations:
        f, t = ent_ids[r.from_id], ent_ids[r.to_id]
        rid = old_rels.get((f, t, r.type), changed_rels.get(id(r)))
        if rid is None:
            rid, next_rel = next_rel, next_rel + 1
        relations.append(Relation(rid, f, t, r.type))
    relations.sort(key=lambda r: r.id)
    return Document(new.id, new.text, new.metadata, entities, relations, dict(new.meta))


def _span(doc: Document, e: Entity) -> str:
    return f"[{e.start}:{e.end}] {display_label(e.label, e.event_type)} {doc.span_text(e)!r}"


def _rel(doc: Document, r: Relation) -> str:
    """A relation with the spans it joins (offsets, label, text), looked up in its own version."""
    ents = doc.entity_by_id()
    show = lambda i: _span(doc, ents[i]) if i in ents else f"missing span {i}"  # noqa: E731
    return f"{r.type}: {show(r.from_id)} -> {show(r.to_id)}"


def render_diff(diff: DocDiff) -> list[str]:
    """One line per difference: ``+`` added, ``-`` removed, ``~`` changed.

    Spans and relations are shown from the version they belong to (``diff.old`` or ``diff.new``),
    whose ids they carry: doccano numbers spans its own way, so the ids of a pulled version say
    nothing about the local file's.
    """
    old, new = diff.old, diff.new
    lines = [f"  + {_span(new, e)}" for e in diff.added]
    lines += [f"  - {_span(old, e)}" for e in diff.removed]
    lines += [f"  ~ {_span(old, o)} -> {_span(new, n)}" for o, n in diff.changed]
    lines += [f"  + relation {_rel(new, r)}" for r in diff.rel_added]
    lines += [f"  - relation {_rel(old, r)}" for r in diff.rel_removed]
    lines += [f"  ~ relation {_rel(old, o)} becomes {n.type}" for o, n in diff.rel_changed]
    return lines


# ------------------------------------------------------------------------------ pull


@dataclass
class AnnotatorCopy:
    """One annotator's version of a document in one project, kept when several annotators labelled it."""

    user: str
    path: Path
    doc: Document
    changed: bool
    #: a copy in the layout without projects (annotators/<user>/<doc_id>.jsonl) holding this very
    #: version: apply moves it to ``path``
    moved_from: Path | None = None
    #: a copy in the layout without projects that differs from this version (it may come from
    #: another project): left where it is
    legacy_kept: Path | None = None


@dataclass
class DocPull:
    """What a pull found for one document."""

    doc_id: str
    local: Document | None  # local gold, None when there is no annotation file
    candidate: Document | None = None  # the version that would become gold
    source: str | None = None  # whose version the candidate is
    diff: DocDiff | None = None
    note: str = ""
    copies: list[AnnotatorCopy] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: provenance of an excerpt of a new report that is not in the corpus yet (apply adds it)
    excerpt_of: dict | None = None

    @property
    def changed(self) -> bool:
        return (self.candidate is not None and (self.local is None or not self.diff.empty)) \
            or any(c.changed for c in self.copies)


@dataclass
class PullResult:
    project: str
    docs: list[DocPull]
    agreement: list[PairAgreement]

    @property
    def changed(self) -> bool:
        return any(d.changed for d in self.docs)


def download_records(client: DoccanoClient, project: Project) -> dict[str, list[dict]]:
    """Export the project as JSONL through the task worker: ``{username: [record, ...]}``."""
    downloads = DataDownloadRepository(_api(client))
    option = downloads.find_option_by_name(project.id, "JSONL")
    task_id = downloads.schedule_download(project.id, option)
    _wait(client, task_id, "export")
    out: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="nkner-pull-") as tmp:
        archive = downloads.download(project.id, task_id, dir_name=tmp)
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                user = Path(name).stem
                records = []
                for n, line in enumerate(zf.read(name).decode("utf-8").split("\n"), 1):
                    if not line.strip():
                        continue
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise DoccanoError(f"export of project {project.name!r}, {name} line {n}: not valid "
                                           f"JSON ({exc})") from exc
                out[user] = records
    return out


def project_folder(project: str) -> str:
    """The folder name of a doccano project under ``annotations/annotators/`` (any project name)."""
    if project in ("", ".", ".."):
        return "".join(f"%{ord(c):02X}" for c in project) or "%"
    return "".join(c if c.isalnum() or c in " @+-._,()" else quote(c, safe="") for c in project)


def annotator_path(project: str, user: str, doc_id: str, root: Path | None = None) -> Path:
    """Where one annotator's version of a document in one doccano project is kept."""
    return annotations_dir(root) / "annotators" / project_folder(project) / user / f"{doc_id}.jsonl"


def legacy_annotator_path(user: str, doc_id: str, root: Path | None = None) -> Path:
    """Where copies were kept before they were keyed by project (``annotators/<user>/<doc_id>.jsonl``)."""
    return annotations_dir(root) / "annotators" / user / f"{doc_id}.jsonl"


def _new_excerpt_text(rec: dict, source: str) -> str:
    """The text of an excerpt pushed by ``push --select`` that is not in the corpus yet, checked."""
    text, prov = rec["text"], rec["meta"]["excerpt_of"]
    if not isinstance(prov, dict) or sha256_text(text) != prov.get("excerpt_sha256"):
        raise DoccanoError(f"{source} ({rec['meta']['doc_id']}): its text does not match the excerpt_sha256 "
                           "recorded when it was pushed")
    if clean_text(text).text != text:
        raise DoccanoError(f"{source} ({rec['meta']['doc_id']}): the corpus cleaning would change this excerpt's "
                           "text, so its spans would not fit the corpus text")
    return text


def _version(raw: dict, user: str, project: str, root: Path | None, texts: dict[str, str],
             new_excerpts: dict[str, dict], problems: list[str]) -> tuple[Document, list[str]] | None:
    """Map and validate one export record; None (and ``problems`` extended) when it is unusable.

    An excerpt pushed by ``push --select`` and not in the corpus yet is validated against its own
    text and recorded in ``new_excerpts`` (doc id -> provenance)."""
    source = f"project {project!r}, {user}'s example {raw.get('id')}"
    try:
        rec = from_doccano(raw, source)
        doc_id = rec["meta"]["doc_id"]
        if doc_id not in texts:
            if doc_id in new_excerpts or (rec["meta"].get("excerpt_of") and doc_id not in corpus_ids(root)):
                texts[doc_id] = _new_excerpt_text(rec, source)
                new_excerpts[doc_id] = rec["meta"]["excerpt_of"]
            else:
                texts[doc_id] = load_document(doc_id, root, with_annotations=False).text
    except (DoccanoError, CorpusError) as exc:
        problems.append(str(exc))
        return None
    report = validate_record(rec, texts[doc_id], source=source)
    fatal = [p for p in report.errors if p.rule not in STYLE_RULES]
    problems += [f"{source}: {p}" for p in fatal]
    if fatal:
        return None
    warnings = [f"{user}: {p}" for p in report.errors if p.rule in STYLE_RULES]
    warnings += [f"{user}: {p}" for p in report.misaligned]
    return Document.from_record(rec, source=source), warnings


def _load_local(doc_id: str, root: Path | None, problems: list[str]) -> Document | None:
    if not annotation_path(doc_id, root).exists():
        return None
    try:
        return load_document(doc_id, root)
    except CorpusError as exc:
        problems.append(f"local gold of {doc_id} cannot be read: {exc}")
        return None


def _read_copy(path: Path) -> Document | None:
    return Document.from_record(read_record(path), source=str(path)) if path.exists() else None


def _annotator_copy(project: str, user: str, version: Document, root: Path | None) -> AnnotatorCopy:
    path = annotator_path(project, user, version.id, root)
    legacy_path = legacy_annotator_path(user, version.id, root)
    old, legacy = _read_copy(path), _read_copy(legacy_path)
    doc = Document(version.id, version.text, version.metadata, version.entities, version.relations,
                   {**version.meta, "status": "draft", "annotators": {"drafted_by": user},
                    "doccano_project": project})
    moved_from = kept = None
    if old is None and legacy is not None:
        if diff_documents(legacy, doc).empty:
            old, moved_from = legacy, legacy_path  # this project's copy: it moves, ids and all
        else:
            kept = legacy_path  # from another project, or older: never overwritten, never moved
    diff = diff_documents(old, doc)
    return AnnotatorCopy(user, path, align_ids(doc, old, diff), moved_from is not None or old is None
                         or not diff.empty, moved_from, kept)


def pull(client: DoccanoClient, project_name: str, url: str, gold_user: str,
         root: Path | None = None) -> PullResult:
    """Download, validate and map the project's annotations and diff them against local gold.

    Writes nothing.  Raises :class:`DoccanoError` listing every malformed record.
    """
    project = require_project(client, project_name, url)
    exported = download_records(client, project)
    problems: list[str] = []
    texts: dict[str, str] = {}
    versions: dict[str, dict[str, Document]] = {}
    warnings: dict[str, list[str]] = {}
    new_excerpts: dict[str, dict] = {}
    for user, records in sorted(exported.items()):
        if not SAFE_USERNAME.match(user):
            problems.append(f"doccano user name {user!r} cannot be used as a folder name")
            continue
        for raw in records:
            mapped = (_version(raw, user, project_name, root, texts, new_excerpts, problems)
                      if has_annotations(raw) else None)
            if mapped is not None:
                doc, warns = mapped
                versions.setdefault(doc.id, {})[user] = doc
                warnings.setdefault(doc.id, []).extend(warns)
    locals_ = {doc_id: _load_local(doc_id, root, problems) for doc_id in sorted(versions)}
    if problems:
        raise DoccanoError(f"{len(problems)} problem(s) in project {project_name!r}; nothing written:\n"
                           + "\n".join(f"  {p}" for p in problems))
    docs = []
    for doc_id, by_user in sorted(versions.items()):
        item = DocPull(doc_id, locals_[doc_id], warnings=warnings.get(doc_id, []),
                       excerpt_of=new_excerpts.get(doc_id))
        if gold_user in by_user:
            item.source = gold_user
        elif len(by_user) == 1:
            item.source = next(iter(by_user))
        else:
            item.note = (f"{len(by_user)} annotators ({', '.join(sorted(by_user))}) and no version by "
                         f"{gold_user}: gold left as is; adjudicate in doccano as {gold_user} and pull again")
        if item.source is not None:
            version = by_user[item.source]
            if item.local is not None:
                version.meta = dict(item.local.meta)
            elif not version.meta.get("annotators"):
                version.meta["annotators"] = {"drafted_by": item.source}
            item.diff = diff_documents(item.local, version)
            item.candidate = align_ids(version, item.local, item.diff)
        if len(by_user) > 1:
            item.copies = [_annotator_copy(project_name, user, v, root) for user, v in sorted(by_user.items())]
        docs.append(item)
    multi = {doc_id: by_user for doc_id, by_user in versions.items() if len(by_user) > 1}
    return PullResult(project_name, docs, agreement(multi))


def _render_copy(c: AnnotatorCopy, applying: bool) -> list[str]:
    if not c.changed:
        lines = [f"  {c.user}'s version is up to date in {c.path}"]
    else:
        lines = [f"  {c.user}'s version {'goes' if applying else 'would go (with --apply)'} to {c.path}"
                 + (f", moved from {c.moved_from}" if c.moved_from else "")]
    if c.legacy_kept:
        lines.append(f"  {c.user}'s copy {c.legacy_kept} (from before copies were kept per project) differs "
                     "from this project's version: left as it is")
    return lines


def render_pull(result: PullResult, applying: bool = False) -> list[str]:
    """The per-document report of a pull: source, diff summary and lines, annotator copies, warnings.

    ``applying`` says whether :func:`apply` writes the result (the copies' lines say "goes to"
    instead of "would go").
    """
    lines = []
    for d in result.docs:
        if d.candidate is not None:
            state = "new file" if d.local is None else ("no change" if d.diff.empty else d.diff.summary())
            if d.excerpt_of:
                x = d.excerpt_of
                state = (f"new excerpt of {x.get('path')} [{x.get('start')}:{x.get('end')}], "
                         f"{'added' if applying else 'to add (with --apply)'} to the corpus")
            lines.append(f"{d.doc_id} (version of {d.source}): {state}")
            lines += render_diff(d.diff)
        else:
            lines.append(f"{d.doc_id}: {d.note}")
        for c in d.copies:
            lines += _render_copy(c, applying)
        lines += [f"  warning {w}" for w in d.warnings]
    if not result.docs:
        lines.append(f"project {result.project!r}: no document has annotations yet")
    return lines


# ------------------------------------------------------------------------------ apply


def excerpt_source_row(doc_id: str, excerpt_of: dict) -> dict:
    """The ``corpus/sources.json`` row of an excerpt pulled from doccano."""
    where = f"{excerpt_of.get('path')} [{excerpt_of.get('start')}:{excerpt_of.get('end')}]"
    return {"id": doc_id, "title": f"excerpt of {where}", "author": None, "publisher": None, "date": None,
            "kind": "excerpt", "source_reference": f"characters {where} of the report as read (report sha256 "
            f"{excerpt_of.get('report_sha256')}), chosen by `nkner doccano push --select`", "language": "en",
            "genre": None, "split": "train", "excerpt_of": excerpt_of}


def apply(result: PullResult, root: Path | None = None) -> list[str]:
    """Write the pulled versions that differ from the local files; back up every file replaced.

    An annotator copy found in the layout without projects and identical to this project's
    version is moved (written to its new place, then removed from the old one).  Returns one line
    per file written (with its backup or former place, if any).
    """
    writes: list[tuple[Path, Document]] = []
    moves: dict[Path, Path] = {}  # new path -> old path
    excerpts = [d for d in result.docs if d.excerpt_of and d.candidate is not None]
    lines = []
    if excerpts:
        try:
            add_sources([(excerpt_source_row(d.doc_id, d.excerpt_of), d.candidate.text) for d in excerpts], root,
                        report=lines.append)
        except CorpusError as exc:
            raise DoccanoError(f"cannot add the pulled excerpts to the corpus: {exc}") from exc
        lines += [f"added {d.doc_id} to the corpus (excerpt of {d.excerpt_of.get('path')} "
                  f"[{d.excerpt_of.get('start')}:{d.excerpt_of.get('end')}])" for d in excerpts]
    for d in result.docs:
        if d.candidate is not None and (d.local is None or not d.diff.empty):
            writes.append((annotation_path(d.doc_id, root), d.candidate))
        writes += [(c.path, c.doc) for c in d.copies if c.changed]
        moves.update({c.path: c.moved_from for c in d.copies if c.changed and c.moved_from})
    base = Path(root or data_root())
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    backup_dir = base / ".cache" / "nkner" / "doccano-backups" / stamp
    backups: dict[Path, Path] = {}
    for path in [p for p, _ in writes] + list(moves.values()):
        if path.exists():
            backup = backup_dir / path.resolve().relative_to(base.resolve())
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, backup)
            backups[path] = backup
    for path, doc in writes:
        write_document(doc, path=path)
        lines.append(f"wrote {path}" + (f" (previous version in {backups[path]})" if path in backups else "")
                     + (f" (moved from {moves[path]}, backed up in {backups[moves[path]]})"
                        if path in moves else ""))
    for old in moves.values():
        old.unlink()
        if not any(old.parent.iterdir()):
            old.parent.rmdir()
    return lines
