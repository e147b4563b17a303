"""What a deployment does with the app: migrate an empty database, compile the translations,
log to logs/ under the working directory."""

import logging
import os
import shutil

import sqlalchemy as sa
from app import db
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_migrate import upgrade

PO = os.path.join("app", "translations", "es", "LC_MESSAGES", "messages.po")


def test_migrations_make_the_models_schema_on_an_empty_database(
    make_microblog, microblog_dir, tmp_path
):
    app = make_microblog(SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "app.db"))
    with app.app_context():
        upgrade(directory=os.path.join(microblog_dir, "migrations"))
        inspector = sa.inspect(db.engine)
        for table in db.metadata.sorted_tables:
            columns = {column["name"] for column in inspector.get_columns(table.name)}
            assert columns == set(table.columns.keys()), table.name
        assert set(inspector.get_table_names()) == set(db.metadata.tables) | {"alembic_version"}


def test_the_spanish_catalog_is_complete(microblog_dir):
    with open(os.path.join(microblog_dir, PO), "rb") as fh:
        catalog = read_po(fh)
    messages = [message for message in catalog if message.id]
    assert messages
    assert not [m.id for m in messages if not m.string or m.fuzzy]


def test_spanish_is_served_only_once_compiled(make_microblog, microblog_dir, tmp_path):
    """The .mo files are not in the repository: without them the page stays in English."""
    translations = tmp_path / "translations"
    po_file = os.path.join(microblog_dir, PO)
    app = make_microblog(BABEL_TRANSLATION_DIRECTORIES=str(translations))
    with app.app_context():
        db.create_all()
    spanish = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}
    assert "Welcome to Microblog" in app.test_client().get("/", headers=spanish).text

    catalog_dir = translations / "es" / "LC_MESSAGES"
    catalog_dir.mkdir(parents=True)
    shutil.copy(po_file, catalog_dir)
    with open(po_file, "rb") as po, open(catalog_dir / "messages.mo", "wb") as mo:
        write_mo(mo, read_po(po))
    app = make_microblog(BABEL_TRANSLATION_DIRECTORIES=str(translations))
    with app.app_context():
        db.create_all()
    client = app.test_client()
    assert "Bienvenido a Microblog" in client.get("/", headers=spanish).text
    assert "Welcome to Microblog" in client.get("/", headers={"Accept-Language": "en"}).text


def test_no_compiled_catalog_is_in_the_source(microblog_dir):
    compiled = [
        os.path.join(root, name)
        for root, _dirs, files in os.walk(os.path.join(microblog_dir, "app"))
        for name in files
        if name.endswith(".mo")
    ]
    assert compiled == []


def test_production_logs_to_logs_in_the_working_directory(make_microblog, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    logger = logging.getLogger("app")
    handlers = list(logger.handlers)
    try:
        make_microblog(TESTING=False)
        for handler in logger.handlers:
            handler.flush()
        assert "Microblog startup" in (tmp_path / "logs" / "microblog.log").read_text()
    finally:
        for handler in logger.handlers:
            if handler not in handlers:
                handler.close()
                logger.removeHandler(handler)
