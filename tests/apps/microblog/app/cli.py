import os

import click
import sqlalchemy as sa
from flask import Blueprint

from app import __version__, db
from app.models import Post, Snapshot, Task

bp = Blueprint("cli", __name__, cli_group=None)


@bp.cli.group()
def translate():
    """Translation and localization commands."""


@translate.command()
@click.argument("lang")
def init(lang):
    """Initialize a new language."""
    if os.system("pybabel extract -F babel.cfg -k _l -o messages.pot ."):
        raise RuntimeError("extract command failed")
    if os.system("pybabel init -i messages.pot -d app/translations -l " + lang):
        raise RuntimeError("init command failed")
    os.remove("messages.pot")


@translate.command()
def update():
    """Update all languages."""
    if os.system("pybabel extract -F babel.cfg -k _l -o messages.pot ."):
        raise RuntimeError("extract command failed")
    if os.system("pybabel update -i messages.pot -d app/translations"):
        raise RuntimeError("update command failed")
    os.remove("messages.pot")


@translate.command()
def compile():
    """Compile all languages."""
    if os.system("pybabel compile -d app/translations"):
        raise RuntimeError("compile command failed")


@bp.cli.group()
def stats():
    """Statistics commands."""


@stats.command()
def snapshot():
    """Record how many posts and completed tasks there are now."""
    snap = Snapshot(
        version=__version__,
        posts=db.session.scalar(sa.select(sa.func.count(Post.id))),
        tasks_complete=db.session.scalar(
            sa.select(sa.func.count(Task.id)).where(Task.complete.is_(True))
        ),
    )
    db.session.add(snap)
    db.session.commit()
    click.echo(f"snapshot {snap.id}: {snap.posts} posts, {snap.tasks_complete} tasks complete")
