"""Persistence: the database, its tables, migrations, the hash chain, export and import."""
