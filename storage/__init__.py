"""Persistence: SQLModel tables, repositories, Alembic migrations, database setup."""
