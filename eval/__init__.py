"""Measuring quality against gold answers, and speed."""
