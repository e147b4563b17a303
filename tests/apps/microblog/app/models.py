from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app import db


def utcnow():
    return datetime.now(UTC)


def isoformat(moment):
    """ISO 8601 with its UTC offset: SQLite gives back the UTC times it stored without one."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


class Post(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    body: so.Mapped[str] = so.mapped_column(sa.String(140))
    timestamp: so.Mapped[datetime] = so.mapped_column(index=True, default=utcnow)

    def __repr__(self):
        return f"<Post {self.body}>"


class Task(db.Model):
    """A background job: the row is made when the job is queued, completed by the worker."""

    id: so.Mapped[str] = so.mapped_column(sa.String(36), primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(128), index=True)
    description: so.Mapped[str | None] = so.mapped_column(sa.String(128))
    complete: so.Mapped[bool] = so.mapped_column(default=False)
    created: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    finished: so.Mapped[datetime | None]
    # The version of the code that ran the job.
    version: so.Mapped[str | None] = so.mapped_column(sa.String(32))

    def to_dict(self):
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "complete": self.complete,
            "created": isoformat(self.created),
            "finished": isoformat(self.finished),
            "version": self.version,
        }


class Snapshot(db.Model):
    """Numbers recorded by `flask stats snapshot` (run from cron or a timer)."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    taken: so.Mapped[datetime] = so.mapped_column(index=True, default=utcnow)
    version: so.Mapped[str] = so.mapped_column(sa.String(32))
    posts: so.Mapped[int]
    tasks_complete: so.Mapped[int]

    def to_dict(self):
        return {
            "id": self.id,
            "taken": isoformat(self.taken),
            "version": self.version,
            "posts": self.posts,
            "tasks_complete": self.tasks_complete,
        }
