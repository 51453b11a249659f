"""Core library: data schema, text processing, predictors and evaluation.

Nothing in here imports the service or the annotation tooling, so the CLI, the
HTTP service and annotation rounds can all build on it.
"""
