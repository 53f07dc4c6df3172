"""doccano integration: run a local doccano server, push the corpus to it, pull annotations back.

Modules: :mod:`server` (install, start, stop doccano), :mod:`mapping` (annotation records <->
doccano JSONL, label names), :mod:`client` (credentials, login, accounts, task waits),
:mod:`project` (the project, its labels and members), :mod:`push` (documents and selected
excerpts up), :mod:`pull` (annotations down: validate, report, apply), :mod:`diff` (two versions
of a document compared), :mod:`select` (which excerpts to annotate next), :mod:`agreement`
(inter-annotator agreement) and :mod:`cli` (the ``nkner doccano`` commands).

Every failure is a :class:`DoccanoError` whose message names the input and the problem and whose
``exit_code`` follows the project's convention: 2 when a resource is unavailable (server,
credentials, project, model), 1 when a problem was found (failed import, malformed record).
"""
from __future__ import annotations


class DoccanoError(Exception):
    """A doccano operation failed because of a problem in the data (exit code 1)."""

    exit_code = 1


class Unavailable(DoccanoError):
    """A resource the operation needs is unavailable: server, credentials, project, model (exit 2)."""

    exit_code = 2
