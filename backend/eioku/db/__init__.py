"""Database access: server discovery (embedded or external), engine, tables."""
