"""From press-release files to a persistent, searchable index."""
