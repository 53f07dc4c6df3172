"""The doccano project nkner annotates in: finding, creating and updating it (labels from the schema)
and its members."""
from __future__ import annotations

from doccano_client import DoccanoClient
from doccano_client.exceptions import DoccanoAPIError
from doccano_client.models.label_type import LabelType
from doccano_client.models.project import Project, ProjectType
from doccano_client.repositories.label_type import RelationTypeRepository, SpanTypeRepository

from nkner.corpus.store import annotations_dir
from nkner.doccano import DoccanoError, Unavailable
from nkner.doccano.client import api_session, set_password
from nkner.doccano.mapping import relation_label_specs, span_label_specs


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
    for repo, specs in ((SpanTypeRepository(api_session(client)), span_label_specs()),
                        (RelationTypeRepository(api_session(client)), relation_label_specs())):
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
