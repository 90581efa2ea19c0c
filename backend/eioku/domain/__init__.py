"""Domain vocabulary and rules. Imports no framework and no database library."""
