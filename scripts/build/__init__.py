"""Builders of the embedded datasets. Each module exposes ``build(raw_dir: Path) -> dict`` (see build_datasets.py)."""
