"""The command table: every command loads from its module, and the 0.1 name of `shoppers` still answers."""

from __future__ import annotations

import click
from click.testing import CliRunner

from shopsearch.cli import COMMANDS, cli


def test_every_command_in_the_table_loads_and_is_listed_unless_hidden() -> None:
    context = click.Context(cli)
    loaded = {name: cli.get_command(context, name) for name in COMMANDS}
    assert all(isinstance(command, click.Command) for command in loaded.values())
    listed = CliRunner().invoke(cli, ["--help"]).output
    assert all((f"  {name} " in listed) != command.hidden for name, command in loaded.items() if command)
    assert cli.get_command(context, "no-such-command") is None


def test_profiles_rebuild_is_shoppers_rebuild_marked_deprecated() -> None:
    context = click.Context(cli)
    old, new = cli.get_command(context, "profiles"), cli.get_command(context, "shoppers")
    assert isinstance(old, click.Group) and isinstance(new, click.Group)
    assert old.hidden and old.deprecated and not new.deprecated
    assert old.get_command(context, "rebuild") is new.get_command(context, "rebuild")
    assert "deprecated" in CliRunner().invoke(cli, ["profiles", "rebuild", "--help"]).output.lower()
