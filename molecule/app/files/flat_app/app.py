"""A flat Flask app, written from Flask's and Babel's documentation only: one module, a
requirements.txt with its own Gunicorn pin, no pyproject.toml; a log file relative to the working
directory (as the Flask Mega-Tutorial sets it up) and translations compiled at deploy time
(`pybabel compile`: the .mo files are not in version control). molecule/app deploys it with
app_build_commands, app_log_links and app_pip_install_app `auto`."""

import logging
import os
from logging.handlers import RotatingFileHandler

from babel.support import Translations
from flask import Flask

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY")

if not os.path.exists("logs"):
    os.mkdir("logs")
file_handler = RotatingFileHandler("logs/flat.log", maxBytes=10240, backupCount=10)
file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s: %(message)s"))
file_handler.setLevel(logging.INFO)
app.logger.addHandler(file_handler)
app.logger.setLevel(logging.INFO)

translations = Translations.load(os.path.join(os.path.dirname(__file__), "translations"), ["de"])


@app.get("/")
def index() -> str:
    return translations.gettext("Hello")
