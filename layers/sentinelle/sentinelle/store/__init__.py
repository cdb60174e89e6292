"""Incident and checkpoint stores: DynamoDB (AWS) and SQLite (the embedded default)."""
