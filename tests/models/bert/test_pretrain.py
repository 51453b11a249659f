"""Masked-LM pretraining on a tiny corpus written here: vocab, masking, training, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import jieba
import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import BertForMaskedLM, BertTokenizerFast

from models.bert.pretrain import (
    CHECKPOINT,
    MANIFEST,
    LinearSchedule,
    PretrainConfig,
    StepTimer,
    WordCutter,
    build_tokenizer,
    build_vocab,
    checkpoint_dir,
    common_characters,
    encode_documents,
    pack,
    pretrain,
    read_text_file,
    save_tokenizer,
    whole_word_mask,
)
from models.bert.pretrain import Document as Doc
from models.bert.tokenizer import load_tokenizer
from models.errors import DataError, ModelError

REPO = Path(__file__).resolve().parents[3]

# Our own sentences in the style of the replies; nothing is copied from the pool.
PARAGRAPHS = [
    "为加快推进人工智能产业发展，区科经委会同相关部门制定了专项扶持政策，对符合条件的企业给予研发费用补贴。",
    "我们将依托科学城建设人工智能创新应用先导区，推动“数据要素”市场化配置改革。",
    "对新引进的高层次人才，按规定给予住房补贴和子女入学等方面的便利。",
    "下一步，我委将继续加强与市级部门的沟通协调，争取更多政策资源向新区倾斜。",
    "支持企业建设开放创新平台，对经认定的公共服务平台给予最高500万元的资金支持。",
    "鼓励金融机构创新科技信贷产品，为中小企业提供知识产权质押融资服务。",
    "加强网络安全和数据安全保护，建立健全个人信息保护制度。",
    "推动AI大模型在政务服务、医疗健康和智能制造等领域的示范应用。",
    "感谢您对新区科技创新工作的关心和支持。",
    "各区县人民政府要高度重视职业教育改革工作，落实经费保障责任。",
    "建立健全“双随机、一公开”监管机制，提高监管效能。",
    "对获得国家级科技奖励的项目团队给予配套奖励。",
]
SEED_REPLY = """王某某委员：
您提出的关于加快人工智能产业发展的提案收悉，现答复
如下：
一、支持企业研发投入
对企业的研发投入给予补贴，推动“数据要素”流通。
二、加强人才保障
为高层次人才提供住房和子女入学便利。
"""
TINY = PretrainConfig(
    layers=2,
    hidden=32,
    heads=2,
    intermediate=64,
    max_position=64,
    seq_len=32,
    batch_size=4,
    steps=8,
    learning_rate=5e-3,
    warmup_ratio=0.1,
    long_fraction=0.25,
    heldout_fraction=0.1,
    common_chars=0,
    checkpoint_every=100,
    seed=7,
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A pool of 12 documents of 3 paragraphs, and a seeds dir with one reply."""
    root = tmp_path_factory.mktemp("corpus")
    lines = []
    for doc in range(12):
        for offset in range(3):
            text = PARAGRAPHS[(doc + offset) % len(PARAGRAPHS)]
            lines.append({"id": f"p{len(lines):03d}", "doc_id": f"d{doc:02d}", "text": text})
    (root / "pool").mkdir()
    pool = root / "pool" / "pool.jsonl"
    pool.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), "utf-8")
    seeds = root / "seeds"
    seeds.mkdir()
    (seeds / "000_reply.txt").write_text(SEED_REPLY, encoding="utf-8")
    return pool, seeds


def run(out: Path, corpus: tuple[Path, Path], **kwargs):
    pool, seeds = corpus
    kwargs.setdefault("config", TINY)
    return pretrain(out, pool_file=pool, seeds_dir=seeds, progress=False, **kwargs)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, corpus):
    return run(tmp_path_factory.mktemp("full") / "base", corpus)


# ---------------------------------------------------------------------------
# Vocabulary and tokenizer


def test_vocab_keeps_specials_and_tokenizes_consistently(tmp_path):
    vocab = build_vocab(PARAGRAPHS, common_chars=0)
    tokens = vocab.tokens
    assert len(tokens) < 2000  # pruned from 21128
    assert [tokens.index(t) for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")] == [
        0,
        100,
        101,
        102,
        103,
    ]
    # The curly quotes bert-base-chinese lacks take the first [unusedN] slots.
    assert tokens[1:3] == ["“", "”"] and vocab.added == ["“", "”"]
    assert tokens[3] == "[unused3]" and vocab.base_unk_rate > 0
    for fallback in ("a", "z", "##q", "0", "##9", "，", "。", "%"):
        assert fallback in tokens

    tokenizer = build_tokenizer(tokens)
    sentence = "推动AI大模型和“数据要素”改革，给予500万元支持，Med-Go平台。"
    ids = tokenizer(sentence)["input_ids"]
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids, skip_special_tokens=True).replace(" ", "") == (
        sentence.lower().replace(" ", "")
    )
    # Pruned: a character the corpus never used is unknown without common_chars.
    assert tokenizer("鳄")["input_ids"][1] == tokenizer.unk_token_id

    save_tokenizer(tokenizer, tokens, tmp_path)
    assert (tmp_path / "vocab.txt").read_text("utf-8").split("\n")[:-1] == tokens
    for loaded in (load_tokenizer(tmp_path), BertTokenizerFast.from_pretrained(tmp_path)):
        assert loaded(sentence)["input_ids"] == ids
        assert len(loaded) == len(tokens)


def test_common_characters_come_from_jieba_frequencies():
    chars = common_characters(200)
    assert len(chars) == len(set(chars)) == 200
    assert {"的", "人", "国"} <= set(chars)
    vocab = build_vocab(PARAGRAPHS, common_chars=200)
    assert vocab.common_added > 0 and "的" in vocab.tokens


def test_read_extra_text_files(tmp_path):
    jsonl = tmp_path / "extra.jsonl"
    jsonl.write_text('{"text": "第一段。"}\n\n{"text": "第二段。", "doc_id": "x"}\n', "utf-8")
    docs = read_text_file(jsonl)
    assert [d.paragraphs for d in docs] == [["第一段。"], ["第二段。"]]
    with pytest.raises(DataError, match="not JSON"):
        (tmp_path / "bad.jsonl").write_text("{oops\n", "utf-8")
        read_text_file(tmp_path / "bad.jsonl")
    with pytest.raises(DataError, match=r"\.txt or \.jsonl"):
        read_text_file(tmp_path / "x.csv")


# ---------------------------------------------------------------------------
# Whole-word masking


def test_whole_word_masking_masks_whole_jieba_words_at_fifteen_percent():
    tokenizer = build_tokenizer(build_vocab(PARAGRAPHS, common_chars=0).tokens)
    cutter = WordCutter()
    docs = [Doc(f"d{i}", "pool", PARAGRAPHS[i : i + 4]) for i in range(0, 12, 4)]
    sequences = pack(
        encode_documents(docs, tokenizer, cutter),
        64,
        tokenizer.cls_token_id,
        tokenizer.sep_token_id,
    )
    ids, words, _ = sequences.batch(list(range(len(sequences))))

    # Word ids follow jieba: 人工智能 is one word, so its four tokens share an id.
    row, start = next(
        (r, i)
        for r in range(len(ids))
        for i in range(ids.shape[1] - 3)
        if tokenizer.decode(ids[r, i : i + 4]).replace(" ", "") == "人工智能"
    )
    assert "人工智能" in jieba.lcut(PARAGRAPHS[0])
    assert len(set(words[row, start : start + 4].tolist())) == 1

    random_ids = torch.arange(104, len(tokenizer))
    chosen = total = masked = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        corrupted, labels = whole_word_mask(
            ids, words, rng=rng, mask_id=tokenizer.mask_token_id, random_ids=random_ids
        )
        picked = labels != -100
        assert torch.equal(labels[picked], ids[picked])
        assert torch.equal(corrupted[~picked], ids[~picked])
        assert not picked[words < 0].any()  # never [CLS], [SEP] or padding
        for r in range(len(ids)):
            for word in words[r].unique().tolist():
                if word >= 0:
                    flags = picked[r][words[r] == word]
                    assert flags.all() or not flags.any()  # whole words only
        chosen += int(picked.sum())
        total += int((words >= 0).sum())
        masked += int((corrupted[picked] == tokenizer.mask_token_id).sum())
    assert 0.12 <= chosen / total <= 0.16
    assert 0.7 <= masked / chosen <= 0.9


# ---------------------------------------------------------------------------
# Training, resume, output


def test_loss_decreases_on_a_tiny_corpus(tmp_path, corpus):
    losses: list[float] = []
    result = run(
        tmp_path / "base",
        corpus,
        config=replace(TINY, steps=32, long_fraction=0.0),
        max_minutes=None,  # no budget: nothing to fit the schedule to
        on_step=lambda step, loss: losses.append(loss),
    )
    assert len(losses) == 32 and result.completed
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.5
    assert result.after.loss < result.before.loss
    assert result.before.perplexity == pytest.approx(np.exp(result.before.loss), rel=1e-3)


def test_resume_gives_the_same_model_as_an_uninterrupted_run(tmp_path, corpus, uninterrupted):
    out = tmp_path / "base"
    first = run(out, corpus, stop_after=4)
    assert (first.steps, first.completed) == (4, False)
    assert first.manifest["stopped"] == "stop_after"
    assert (checkpoint_dir(out) / CHECKPOINT).is_file()
    assert json.loads((out / MANIFEST).read_text("utf-8"))["completed"] is False

    second = run(out, corpus, config=None, resume=True)
    assert (second.steps, second.completed) == (8, True)
    assert second.manifest["timing"]["sessions"] == 2
    assert second.before == uninterrupted.before
    assert second.after == uninterrupted.after
    resumed = load_file(out / "model.safetensors")
    straight = load_file(uninterrupted.out_dir / "model.safetensors")
    assert resumed.keys() == straight.keys()
    for name, tensor in straight.items():
        assert torch.equal(resumed[name], tensor), name


def test_resume_refuses_a_changed_config_or_a_missing_checkpoint(tmp_path, corpus, uninterrupted):
    with pytest.raises(ModelError, match="another config"):
        run(uninterrupted.out_dir, corpus, config=replace(TINY, hidden=64), resume=True)
    with pytest.raises(ModelError, match="no checkpoint"):
        run(tmp_path / "never", corpus, resume=True)


def test_schedule_fits_a_budget_and_survives_a_checkpoint():
    schedule = LinearSchedule(warmup=10, total=100)
    assert [schedule(s) for s in (0, 5, 10, 55, 100)] == [0.0, 0.5, 1.0, 0.5, 0.0]
    assert not schedule.fit(step=30, seconds_per_step=1.0, seconds_left=200.0)  # fits
    assert schedule.fit(step=30, seconds_per_step=1.0, seconds_left=50.0)  # shrinks
    assert schedule.total == 30 + 45 and schedule(75) == 0.0
    assert not schedule.fit(step=30, seconds_per_step=1.0, seconds_left=52.0)  # noise
    assert schedule.fit(step=40, seconds_per_step=0.5, seconds_left=100.0)  # faster now
    assert schedule.total == 100  # grows back, never beyond the request
    schedule.fit(step=40, seconds_per_step=1.0, seconds_left=40.0)

    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    saved = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule).state_dict()
    fresh = LinearSchedule(warmup=10, total=100)
    torch.optim.lr_scheduler.LambdaLR(optimizer, fresh).load_state_dict(saved)
    assert (fresh.total, fresh.requested) == (76, 100)

    timer = StepTimer()  # a burst of fast steps does not hide a slow session
    for seconds in [1.0] * 10 + [0.1] * 50:
        timer.add(seconds)
    assert timer.seconds_per_step() == pytest.approx(15.0 / 60)
    for seconds in [2.0] * 50:
        timer.add(seconds)
    assert timer.seconds_per_step() == pytest.approx(2.0)


def test_time_budget_and_ctrl_c_stop_gracefully_and_save(tmp_path, corpus):
    result = run(tmp_path / "base", corpus, max_minutes=1e-4)
    assert (result.steps, result.completed) == (0, False)
    assert result.manifest["stopped"] == "time budget"
    assert (tmp_path / "base" / "model.safetensors").is_file()

    def interrupt(step: int, loss: float) -> None:
        if step == 2:
            os.kill(os.getpid(), signal.SIGINT)

    result = run(tmp_path / "base", corpus, on_step=interrupt)
    assert (result.steps, result.manifest["stopped"]) == (2, "signal SIGINT")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_saved_base_dir_loads(uninterrupted):
    directory = uninterrupted.out_dir
    manifest = json.loads((directory / MANIFEST).read_text("utf-8"))
    assert manifest["steps"] == 8 and manifest["completed"] is True
    assert manifest["corpus"]["heldout"]["documents"] >= 1
    assert manifest["corpus"]["by_source"] == {"pool": 12, "seeds": 1}
    assert manifest["unk_rate"]["corpus"] == 0.0
    assert set(manifest["heldout"]) == {"before", "after"}

    model = BertForMaskedLM.from_pretrained(directory)
    tokenizer = load_tokenizer(directory)
    assert model.config.vocab_size == len(tokenizer) == manifest["vocab"]["size"]
    assert model.config.num_hidden_layers == 2 and model.config.max_position_embeddings == 64
    batch = tokenizer(["推动AI大模型示范应用。"], return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits
    assert logits.shape == (1, batch["input_ids"].shape[1], len(tokenizer))
    assert (directory / "model.safetensors").is_file()
    assert (
        BertTokenizerFast.from_pretrained(directory)("AI")["input_ids"]
        == tokenizer("AI")["input_ids"]
    )


# ---------------------------------------------------------------------------
# CLI


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policytag", "pretrain", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_cli_help():
    result = cli("--help")
    assert result.returncode == 0, result.stderr
    for option in ("--out", "--text", "--max-minutes", "--steps", "--resume", "--layers"):
        assert option in result.stdout


def test_cli_missing_pool_is_one_line_error(tmp_path):
    result = cli("--out", str(tmp_path / "base"), env={"POLICYTAG_POOL_DIR": str(tmp_path)})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "POLICYTAG_POOL_DIR" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "base").exists()
