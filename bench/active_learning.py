"""Does uncertainty selection (`nkner doccano push --select uncertain`) pay? A simulation on the gold.

Protocol (figures, not assertions; run once by hand, not in CI):

* the gold documents are split into a pool (whose sentences an annotator could be asked to label)
  and held-out documents (scored, never selected);
* every run starts from the same random seed set of pool sentences (``--seed-words``); then, for
  each budget in ``--budgets`` (annotated words, cumulative):
  - **random** adds random pool sentences until the budget is reached;
  - **uncertain** trains a model on what it has so far, scores the remaining pool sentences with
    :func:`nkner.doccano.select.score_segments` and adds them in the order of
    :func:`nkner.doccano.select.rank` (uncertainty per word) until the budget is reached;
  the gold annotations of the chosen sentences stand in for the annotator;
* the model trained on each set (the default backbone, ``--epochs`` epochs, the same for every
  point) is scored on the held-out documents: entity F1 (strict), event-type accuracy, relation F1
  end to end and with gold entities;
* the chosen sentences of each pool document are joined by line breaks into one training document
  (the sentence splitter breaks at every line break), so that training sees as many documents as
  in the real corpus and the relation threshold's cross-validation stays cheap.

Run: `.venv/bin/python bench/active_learning.py [--repeats 3] [--out runs/active_learning.json]`
(21 trainings, about 25 minutes on 2 cores).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import spacy

from nkner.corpus.segment import sentence_spans
from nkner.corpus.store import Document, Entity, Relation, load
from nkner.doccano.select import MIN_WORDS, Segment, rank, score_segments
from nkner.training.evaluate import Scores, evaluate_predictor, pipeline_predictor
from nkner.training.train import train


def pool_sentences(docs: list[Document]) -> list[Segment]:
    """Every sentence of the pool documents with at least MIN_WORDS words (source = doc id)."""
    return [Segment(d.id, s, e, d.text[s:e], "") for d in docs for s, e in sentence_spans(d.text)
            if len(d.text[s:e].split()) >= MIN_WORDS]


def training_docs(chosen: list[Segment], by_id: dict[str, Document]) -> tuple[list[Document], int]:
    """The gold of the chosen sentences: one document per pool document (sentences joined by line
    breaks), with the spans inside the sentences and the relations between them; returns the
    documents and the number of gold spans that cross a sentence boundary (left out)."""
    out, crossing = [], 0
    for doc_id in sorted({s.source for s in chosen}):
        gold = by_id[doc_id]
        sents = sorted((s.start, s.end) for s in chosen if s.source == doc_id)
        text, entities, ids, pos = "", [], {}, 0
        for start, end in sents:
            if text:
                text += "\n"
            shift = len(text) - start
            text += gold.text[start:end]
            for e in gold.entities:
                if start <= e.start and e.end <= end:
                    ids[e.id] = len(entities) + 1
                    entities.append(Entity(ids[e.id], e.start + shift, e.end + shift, e.label, e.event_type))
                elif e.start < end and start < e.end:
                    crossing += 1
        relations = [Relation(i, ids[r.from_id], ids[r.to_id], r.type) for i, r in
                     enumerate((r for r in gold.relations if r.from_id in ids and r.to_id in ids), 1)]
        out.append(Document(f"{doc_id}.sel", text + "\n", {}, entities, relations, {"status": "reviewed"}))
    return out, crossing


def words(segments: list[Segment]) -> int:
    return sum(s.words for s in segments)


def fill(chosen: list[Segment], ordered: list[Segment], budget: int) -> list[Segment]:
    """``chosen`` plus sentences of ``ordered`` (not chosen yet) until ``budget`` words are reached."""
    have = {(s.source, s.start) for s in chosen}
    out = list(chosen)
    for s in ordered:
        if words(out) >= budget:
            break
        if (s.source, s.start) not in have:
            out.append(s)
    return out


def fit_and_score(chosen, by_id, held, epochs, seed, tmp: Path, tag: str):
    docs, crossing = training_docs(chosen, by_id)
    t0 = time.time()
    nlp = spacy.load(train(docs, tmp / tag, seed=seed, max_epochs=epochs))
    scores = Scores()
    scores.add(evaluate_predictor(pipeline_predictor(nlp), held))
    s = scores.summary()
    row = {"words": words(chosen), "sentences": len(chosen), "spans": sum(len(d.entities) for d in docs),
           "relations": sum(len(d.relations) for d in docs), "crossing_spans_left_out": crossing,
           "ents_f": s["ents_strict"]["f"], "event_type_accuracy": s["event_type_accuracy"],
           "rel_f": s["relations"]["f"], "rel_f_gold_ents": s.get("relations_gold_ents", {}).get("f"),
           "seconds": round(time.time() - t0, 1)}
    return nlp, row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--held", nargs="+", default=["001_bc4fffce1c9afb7e", "003_9b9b839d26407139"])
    ap.add_argument("--seed-words", type=int, default=800)
    ap.add_argument("--budgets", type=int, nargs="+", default=[1600, 2400, 3200])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("runs/active_learning.json"))
    args = ap.parse_args(argv)

    gold = load(annotated_only=True)
    by_id = {d.id: d for d in gold}
    held = [by_id[i] for i in args.held]
    pool = pool_sentences([d for d in gold if d.id not in args.held])
    print(f"pool: {len(pool)} sentences, {words(pool)} words from {sorted({s.source for s in pool})}; "
          f"held out: {args.held}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="nkner-al-") as tmp:
        tmp = Path(tmp)
        for rep in range(args.repeats):
            rng_order = rank(pool, "random", seed=1000 + rep)
            seed_set = fill([], rng_order, args.seed_words)
            nlp, row = fit_and_score(seed_set, by_id, held, args.epochs, rep, tmp, f"r{rep}-seed")
            rows.append({"repeat": rep, "strategy": "seed", **row})
            print(json.dumps(rows[-1]), flush=True)
            chosen = {"random": seed_set, "uncertain": seed_set}
            for budget in args.budgets:
                chosen["random"] = fill(chosen["random"], rng_order, budget)
                taken = {(c.source, c.start) for c in chosen["uncertain"]}
                rest = [Segment(s.source, s.start, s.end, s.text, "")  # fresh, unscored copies
                        for s in pool if (s.source, s.start) not in taken]
                chosen["uncertain"] = fill(chosen["uncertain"], rank(score_segments(nlp, rest), "uncertain"), budget)
                for strategy in ("random", "uncertain"):
                    model, row = fit_and_score(chosen[strategy], by_id, held, args.epochs, rep, tmp,
                                               f"r{rep}-{strategy}-{budget}")
                    rows.append({"repeat": rep, "strategy": strategy, "budget": budget, **row})
                    print(json.dumps(rows[-1]), flush=True)
                    if strategy == "uncertain":
                        nlp = model
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                                    "rows": rows}, indent=1) + "\n", encoding="utf-8")
    print(table(rows, args.budgets))
    return 0


def table(rows: list[dict], budgets: list[int]) -> str:
    """Mean over the repeats per budget and strategy (markdown)."""
    keys = ("words", "ents_f", "event_type_accuracy", "rel_f", "rel_f_gold_ents")
    lines = ["| budget (words) | selection | words | spans | ents F1 | event-type acc. | rel F1 | rel F1 (gold ents) |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    groups = [("seed", None)] + [(s, b) for b in budgets for s in ("random", "uncertain")]
    for strategy, budget in groups:
        sel = [r for r in rows if r["strategy"] == strategy and r.get("budget") == budget]
        if not sel:
            continue
        mean = {k: sum(r[k] or 0 for r in sel) / len(sel) for k in (*keys, "spans")}
        lines.append(f"| {budget or 'seed'} | {strategy} | {mean['words']:.0f} | {mean['spans']:.0f} | "
                     f"{mean['ents_f']:.3f} | {mean['event_type_accuracy']:.3f} | {mean['rel_f']:.3f} | "
                     f"{mean['rel_f_gold_ents']:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
