"""A small, pickle-free linear classifier used by the event typer, the trigger verifier and the
relation extractor.

Training uses scikit-learn (``DictVectorizer`` + ``LogisticRegression``) over sparse named features
and, optionally, a dense block (for example the backbone's contextual token vectors); the fitted
weights are kept as plain arrays with the feature vocabulary, serialized as JSON + ``.npy`` on disk
and as msgpack of raw array bytes in memory, and scored with numpy.  Loading a shipped model
therefore runs no pickled code.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np


class LinearModel:
    def __init__(self, classes: list[str] | None = None, vocab: dict[str, int] | None = None,
                 coef: np.ndarray | None = None, intercept: np.ndarray | None = None, n_dense: int = 0):
        self.classes = classes or []
        self.vocab = vocab or {}
        self.coef = coef if coef is not None else np.zeros((0, 0), dtype=np.float32)
        self.intercept = intercept if intercept is not None else np.zeros(0, dtype=np.float32)
        #: width of the dense block; its weights are the last ``n_dense`` columns of ``coef``
        self.n_dense = n_dense

    @property
    def is_trained(self) -> bool:
        return bool(self.classes)

    def fit(self, feats: list[dict[str, float]], labels: list[str], c: float = 1.0, seed: int = 0,
            class_weight: str | None = None, dense: np.ndarray | None = None) -> "LinearModel":
        """Fit on named sparse features and, when given, one dense row per example."""
        from scipy import sparse
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        vec = DictVectorizer()
        x = vec.fit_transform(feats)
        n_dense = 0
        if dense is not None and len(dense) and dense.shape[1]:
            dense = np.asarray(dense, dtype=np.float64)
            if dense.shape[0] != x.shape[0]:
                raise ValueError(f"dense block has {dense.shape[0]} rows for {x.shape[0]} examples")
            n_dense = dense.shape[1]
            x = sparse.hstack([x, sparse.csr_matrix(dense)], format="csr")
        classes = sorted(set(labels))
        if len(classes) == 1:  # degenerate: always that class
            self.classes, self.vocab, self.n_dense = classes, {}, 0
            self.coef = np.zeros((1, 0), dtype=np.float32)
            self.intercept = np.zeros(1, dtype=np.float32)
            return self
        clf = LogisticRegression(C=c, max_iter=2000, random_state=seed, class_weight=class_weight)
        clf.fit(x, labels)
        coef, intercept = clf.coef_, clf.intercept_
        if len(clf.classes_) == 2:  # sklearn keeps one row for binary problems
            coef = np.vstack([-coef[0], coef[0]]) / 2
            intercept = np.array([-intercept[0], intercept[0]]) / 2
        self.classes = [str(c) for c in clf.classes_]
        self.vocab = {k: int(v) for k, v in vec.vocabulary_.items()}
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.n_dense = n_dense
        return self

    def predict_proba(self, feats: list[dict[str, float]], dense: np.ndarray | None = None) -> np.ndarray:
        n = len(feats)
        if not self.classes:
            raise ValueError("model is not trained")
        scores = np.tile(self.intercept, (n, 1)).astype(np.float32)
        n_sparse = self.coef.shape[1] - self.n_dense
        if n_sparse:
            for i, f in enumerate(feats):
                idx = [self.vocab[k] for k in f if k in self.vocab]
                if idx:
                    vals = np.array([f[k] for k in f if k in self.vocab], dtype=np.float32)
                    scores[i] += self.coef[:, idx] @ vals
        if self.n_dense:
            if dense is None or np.shape(dense) != (n, self.n_dense):
                raise ValueError(f"model needs a dense block of shape ({n}, {self.n_dense}), "
                                 f"got {None if dense is None else np.shape(dense)}")
            scores += np.asarray(dense, dtype=np.float32) @ self.coef[:, n_sparse:].T
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def to_disk(self, path: Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "model.json").write_text(json.dumps({"classes": self.classes, "vocab": self.vocab,
                                                     "n_dense": self.n_dense}), encoding="utf-8")
        np.save(path / "coef.npy", self.coef)
        np.save(path / "intercept.npy", self.intercept)

    def to_bytes(self) -> bytes:
        import srsly

        return srsly.msgpack_dumps({"classes": self.classes, "vocab": self.vocab, "n_dense": self.n_dense,
                                    "coef": _array_msg(self.coef), "intercept": _array_msg(self.intercept)})

    @classmethod
    def from_bytes(cls, data: bytes) -> "LinearModel":
        import srsly

        msg = srsly.msgpack_loads(data)
        return cls(list(msg["classes"]), dict(msg["vocab"]), _array_from(msg["coef"]), _array_from(msg["intercept"]),
                   n_dense=int(msg["n_dense"]))

    @classmethod
    def from_disk(cls, path: Path) -> "LinearModel":
        path = Path(path)
        data = json.loads((path / "model.json").read_text(encoding="utf-8"))
        return cls(data["classes"], data["vocab"], np.load(path / "coef.npy"), np.load(path / "intercept.npy"),
                   n_dense=int(data.get("n_dense", 0)))


def _array_msg(a: np.ndarray) -> dict:
    a = np.ascontiguousarray(a, dtype=np.float32)
    return {"shape": list(a.shape), "data": a.tobytes()}


def _array_from(msg: dict) -> np.ndarray:
    return np.frombuffer(msg["data"], dtype=np.float32).reshape(msg["shape"]).copy()
