import os

from dotenv import load_dotenv

basedir = os.path.abspath(os.path.dirname(__file__))
load_dotenv(os.path.join(basedir, ".env"))


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY") or "you-will-never-guess"
    # Empty: a SQLite database in the app's instance folder (see create_app).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    REDIS_URL = os.environ.get("REDIS_URL") or "redis://"
    TASK_QUEUE = "microblog-tasks"
    LANGUAGES = ("en", "es")
    POSTS_PER_PAGE = 25
