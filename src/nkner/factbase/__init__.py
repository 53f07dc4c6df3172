"""The fact base: extraction results stored in SQLite or PostgreSQL, grouped into events, queried,
drawn and browsed (``nkner db ...``; docs/factbase.md).

* :mod:`.schema` - the tables (SQLAlchemy Core), the schema version, database URLs;
* :mod:`.ingest` - storing extraction results (idempotent, whole reports per transaction), regrouping;
* :mod:`.grouping` - the same event across reports: pair scores, groups, figures;
* :mod:`.query` - facts and event groups by type, actor, place, instrument and period;
* :mod:`.timeline` - events per month by type with figures and corroboration (matplotlib);
* :mod:`.browse` - Datasette over a SQLite base;
* :mod:`.pgserver` - a throwaway local PostgreSQL server (tests, bench).
"""
