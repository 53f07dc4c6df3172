"""Datasette plugin (entry point ``datasette``: ``nkner``): the SQL function ``nkner_key(name, label)``,
the matching key of a name as a ``label`` span (:func:`nkner.factbase.query.name_key`), so that the
canned queries of ``nkner db browse`` find a name's aliases as ``nkner db query`` does."""
from __future__ import annotations

from datasette import hookimpl


@hookimpl
def prepare_connection(conn):
    from nkner.factbase.query import name_key

    conn.create_function("nkner_key", 2, lambda name, label: name_key(name or "", label or ""), deterministic=True)
