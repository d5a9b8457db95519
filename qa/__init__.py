"""Question answering over the press-release index: local language models and generation."""
