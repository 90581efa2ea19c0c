"""Job queue: the procrastinate schema (jobs, workers, events) in our database.

The SQL comes from the installed procrastinate package, pinned in
pyproject.toml; a later procrastinate upgrade adds its own migration that
applies procrastinate's versioned migration files.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op
from procrastinate.schema import SchemaManager

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(SchemaManager.get_schema())
    # the queue job that executes a run (NULL until deferred: runs waiting on
    # a dependency are deferred when it completes)
    op.execute("ALTER TABLE runs ADD COLUMN job_id bigint")


def downgrade() -> None:
    op.execute("ALTER TABLE runs DROP COLUMN job_id")
    op.execute("""
    DO $$ DECLARE r record; BEGIN
      FOR r IN SELECT tablename FROM pg_tables
               WHERE schemaname = 'public' AND tablename LIKE 'procrastinate%' LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
      END LOOP;
      FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
               JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate%' LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.sig);
      END LOOP;
      FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
               WHERE n.nspname = 'public' AND t.typname LIKE 'procrastinate%' AND t.typtype IN ('e', 'c') LOOP
        EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', r.typname);
      END LOOP;
    END $$;
    """)
