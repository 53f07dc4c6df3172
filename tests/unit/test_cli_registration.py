"""The `nkner` app has every command as soon as it is imported, without an import cycle."""
from __future__ import annotations

import ast
from pathlib import Path

from typer.main import get_command

SRC = Path(__file__).resolve().parents[2] / "src" / "nkner"


def test_app_has_all_commands_at_import():
    from nkner.cli import app

    assert sorted(get_command(app).commands) == ["corpus", "db", "doccano", "evaluate", "extract", "train"]


def test_command_modules_do_not_import_the_app_module():
    for path in (SRC / "cli_model.py", SRC / "doccano" / "cli.py", SRC / "factbase" / "cli.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
                   {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert "nkner.cli" not in imported, path
