"""Pulling from doccano: export the project, validate and map every record, diff it against local
gold (:func:`pull`, which writes nothing), report it (:func:`render_pull`) and write it
(:func:`apply`, atomically, after backing up every file it replaces under
``<data root>/.cache/nkner/doccano-backups/<UTC time>/``).

Which version becomes gold: the gold user's (by default the account that pulls) when that user
labelled the document, otherwise the only annotator's.  When several annotators labelled a
document each version is also kept as ``annotations/annotators/<project>/<user>/<doc_id>.jsonl`` and
agreement is measured; with several annotators and no version by the gold user, gold is left
alone until someone adjudicates as the gold user.  Documents nobody labelled in doccano never
touch local gold.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from doccano_client import DoccanoClient
from doccano_client.models.project import Project
from doccano_client.repositories.data_download import DataDownloadRepository

from nkner.corpus.build import add_sources
from nkner.corpus.clean import clean_text
from nkner.corpus.store import (CorpusError, Document, annotation_path, annotations_dir, data_root, load_document,
                                read_record, sha256_text, write_document)
from nkner.corpus.store import doc_ids as corpus_ids
from nkner.corpus.validate import validate_record
from nkner.doccano import DoccanoError
from nkner.doccano.agreement import PairAgreement, agreement
from nkner.doccano.client import api_session, wait_for_task
from nkner.doccano.diff import DocDiff, align_ids, diff_documents, render_diff
from nkner.doccano.mapping import from_doccano, has_annotations
from nkner.doccano.project import require_project

#: validator rules about annotation style: reported by pull, but they do not block it
STYLE_RULES = {"whitespace", "leading-word", "trailing-punct", "relation-sentence"}
SAFE_USERNAME = re.compile(r"^(?!\.{1,2}$)[\w.@+-]+$")


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
    downloads = DataDownloadRepository(api_session(client))
    option = downloads.find_option_by_name(project.id, "JSONL")
    task_id = downloads.schedule_download(project.id, option)
    wait_for_task(client, task_id, "export")
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
