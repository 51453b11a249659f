"""The seed gold set: valid, and exactly what the segmenter cuts from the seeds."""

from __future__ import annotations

from models.examples import load_examples
from models.schema import MEASURE_LABELS
from models.segment import segment


def test_gold_matches_segmenter_output(repo_dir, seed_files):
    gold = load_examples(repo_dir / "seeds" / "gold.jsonl")
    segments = [s for path in seed_files for s in segment(path.read_text("utf-8"), path.stem)]
    assert [(g.id, g.doc_id, g.start, g.end, g.text) for g in gold] == [
        (s.id, s.doc_id, s.start, s.end, s.text) for s in segments
    ]


def test_gold_covers_every_label_and_has_negatives(repo_dir):
    gold = load_examples(repo_dir / "seeds" / "gold.jsonl")
    seen = {label for ex in gold for label in ex.labels}
    assert seen == set(MEASURE_LABELS)
    assert any(not ex.labels for ex in gold)


def test_gold_proposal_titles_are_not_spans(repo_dir):
    gold = load_examples(repo_dir / "seeds" / "gold.jsonl")
    intros = [ex for ex in gold if "收悉" in ex.text and ex.id.endswith("#s01")]
    assert len(intros) == 5
    assert all(ex.entities == [] and ex.labels == [] for ex in intros)


def test_gold_shipped_seeds_equal_shared_seeds(shared_dir, seed_files):
    for path in seed_files:
        assert path.read_bytes() == (shared_dir / "seeds" / path.name).read_bytes()
