"""PyTorch twins of gru-ts models: read a gru-ts model file, predict what gru-ts predicts, write one back.

A gru-ts model file is safetensors: the weights under PyTorch's names and, in
the header's ``__metadata__``, ``format: "gru-ts"``, ``formatVersion``,
``task`` and the task's parts (``config``, ``tokenizer``, …) as JSON strings.
Each twin below is an ``nn.Module`` whose ``state_dict()`` has exactly the
file's names, so ``load_state_dict`` reads a file made by gru-ts and
``save()`` writes one that gru-ts loads (``gru info``, ``gru predict``,
``loadTaskModel``). The recurrent part is ``nn.GRU`` itself: gru-ts's GRU is
PyTorch's (gate order r, z, n; reset after the recurrent product) with the
same parameter names, and sequence lengths are packed sequences.

Twins: GRU (a bare state dict), classify, lm, forecast, seq2seq, recommend.
Models whose cell is an attention GRU (``--cell attention-gru`` or
``seed-003``) have no twin: nn.GRU has no attention inside the recurrence.

    import gru_ts_twins as tw
    twin = tw.load("reviews.safetensors")           # a Classifier (nn.Module), in eval mode
    ids, lengths = twin.encode(["the food was superb", "a grim day"])
    print(twin(ids, lengths).softmax(-1))            # what `gru predict` prints, to float32 rounding
    twin.save("reviews-tuned.safetensors")          # after training in PyTorch: gru-ts loads it
"""
import json
import math
import os
import re

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

FORMAT = "gru-ts"
# The newest model format this module reads and the one it writes (src/tasks/model-format.ts).
FORMAT_VERSION = 1

PAD, UNK, BOS, EOS = 0, 1, 2, 3
RESERVED = ["<pad>", "<unk>", "<bos>", "<eos>"]

# ---------------------------------------------------------------------------------------------
# Model files


def read_model_file(path):
    """(task, meta, tensors): the task name, the metadata parts parsed from JSON, the weights."""
    with safe_open(path, framework="pt") as f:
        md = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys() if not k.startswith("__")}
    if md.get("format") != FORMAT:
        raise ValueError(f"{path}: not a gru-ts model file (metadata format is {md.get('format')!r}); for a bare GRU's weights use load_gru")
    version = md.get("formatVersion", "")
    if not version.isdigit() or not 1 <= int(version) <= FORMAT_VERSION:
        raise ValueError(f"{path}: model format version {version!r}; this module reads 1 to {FORMAT_VERSION}")
    # 'checkpoint' is gru-ts's own resume record, not JSON.
    meta = {k: json.loads(v) for k, v in md.items() if k not in ("format", "formatVersion", "task", "checkpoint")}
    return md.get("task"), meta, tensors


def write_model_file(path, task, parts, state_dict):
    """Writes weights (as float32, as gru-ts stores them) and metadata; a temporary file renamed over `path`, as gru-ts does."""
    metadata = {"format": FORMAT, "formatVersion": str(FORMAT_VERSION), "task": task}
    metadata.update({k: json.dumps(v) for k, v in parts.items() if v is not None})
    tensors = {k: v.detach().to(torch.float32).contiguous() for k, v in state_dict.items()}
    tmp = f"{path}.tmp-{os.getpid()}"
    save_file(tensors, tmp, metadata=metadata)
    os.replace(tmp, path)


def load(path):
    """The twin of the model file at `path` (chosen by its task), weights loaded, in eval mode."""
    task, meta, tensors = read_model_file(path)
    if task not in TWINS:
        raise ValueError(f"{path}: a {task!r} model, which has no PyTorch twin here (twins: {', '.join(TWINS)})")
    twin = TWINS[task].from_meta(meta)
    twin.load_state_dict(tensors, strict=True)
    return twin.eval()


# ---------------------------------------------------------------------------------------------
# The bare GRU: a state dict of PyTorch's names, as gru-ts's saveStateDictFile writes it


def gru_from_state_dict(state, prefix=None, batch_first=False):
    """nn.GRU with the weights of `state` (sizes, layers, directions and bias read from the names and shapes).

    `prefix` is the GRU's key prefix ("gru." in a model's dict); found from
    the keys when omitted. The element type is the weights' (float64 stays
    float64). gru-ts's resetAfter: false GRU (Cho et al. / ONNX's default)
    is not PyTorch's and cannot be told apart from the names: do not pass one.
    """
    if prefix is None:
        found = sorted({k[: -len("weight_ih_l0")] for k in state if k.endswith("weight_ih_l0")})
        if len(found) != 1:
            raise ValueError(f"expected one GRU in the state dict (a key ending in weight_ih_l0), found {len(found)}: {found}")
        prefix = found[0]
    w = state[f"{prefix}weight_ih_l0"]
    layers = 0
    while f"{prefix}weight_ih_l{layers}" in state:
        layers += 1
    gru = nn.GRU(
        input_size=w.shape[1], hidden_size=state[f"{prefix}weight_hh_l0"].shape[1], num_layers=layers,
        bias=f"{prefix}bias_ih_l0" in state, batch_first=batch_first, bidirectional=f"{prefix}weight_ih_l0_reverse" in state,
        dtype=w.dtype,
    )
    gru.load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}, strict=True)
    return gru


def load_gru(path, prefix=None, batch_first=False):
    """nn.GRU from a safetensors file of GRU weights (gru-ts's saveStateDictFile, or a model file's "gru." part)."""
    with safe_open(path, framework="pt") as f:
        state = {k: f.get_tensor(k) for k in f.keys()}
    return gru_from_state_dict(state, prefix, batch_first)


def save_gru(gru, path, metadata=None):
    """Writes an nn.GRU's weights under their own names; gru-ts reads them with loadStateDictFile into a GRU of the same sizes."""
    save_file({k: v.detach().contiguous() for k, v in gru.state_dict().items()}, path, metadata=metadata)


def run_gru(gru, x, lengths=None, h0=None):
    """nn.GRU over x, honouring each sequence's valid length as gru-ts does (a packed sequence).

    Outputs past a length are 0; hN holds each sequence's state at its own
    last step, and the reverse direction starts there.
    """
    if lengths is None:
        return gru(x, h0)
    lengths = torch.as_tensor(lengths, dtype=torch.int64).cpu()
    steps = x.shape[1] if gru.batch_first else x.shape[0]
    packed = pack_padded_sequence(x, lengths, batch_first=gru.batch_first, enforce_sorted=False)
    output, h_n = gru(packed, h0)
    output, _ = pad_packed_sequence(output, batch_first=gru.batch_first, total_length=steps)
    return output, h_n


def _plain_gru_cell(config, what):
    cell = config.get("cell")
    if cell and cell.get("kind", "gru") != "gru":
        raise NotImplementedError(f"this {what} runs an attention GRU cell ({cell['kind']}), which has no PyTorch twin: nn.GRU has no attention inside its recurrence")


def _mask_after(lengths, steps):
    """(B, T) True where t < length."""
    return torch.arange(steps)[None, :] < torch.as_tensor(lengths, dtype=torch.int64)[:, None]


# ---------------------------------------------------------------------------------------------
# Tokenizer (src/data/tokenizer.ts): ids 0 <pad>, 1 <unk>, 2 <bos>, 3 <eos>, then the vocabulary

# Words are runs of letters and digits, or single other non-space characters (gru-ts: /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/u).
_WORD = re.compile(r"[^\W_]+|[^\w\s]|_")


class Tokenizer:
    def __init__(self, kind, vocab, lowercase):
        if kind not in ("word", "char"):
            raise ValueError(f"tokenizer kind: expected 'word' or 'char', got {kind!r}")
        if list(vocab[: len(RESERVED)]) != RESERVED:
            raise ValueError(f"tokenizer vocab: expected the reserved tokens {', '.join(RESERVED)} first")
        self.kind, self.vocab, self.lowercase = kind, list(vocab), bool(lowercase)
        self.index = {t: i for i, t in enumerate(self.vocab)}

    @classmethod
    def from_json(cls, j):
        return cls(j["kind"], j["vocab"], j["lowercase"])

    def to_json(self):
        return {"kind": self.kind, "lowercase": self.lowercase, "vocab": self.vocab}

    @classmethod
    def fit(cls, texts, kind, lowercase=None, max_size=None, min_count=1):
        """A vocabulary as gru-ts learns it: tokens seen at least min_count times, most frequent first, ties in character order.

        (JavaScript orders strings by UTF-16 code units, Python by code points:
        the two differ only between characters above U+FFFF and U+E000–U+FFFF.)
        """
        lowercase = kind == "word" if lowercase is None else lowercase
        probe = cls(kind, RESERVED, lowercase)
        counts = {}
        for t in texts:
            for tok in probe.split(t):
                counts[tok] = counts.get(tok, 0) + 1
        kept = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max_size - len(RESERVED)]
        return cls(kind, RESERVED + kept, lowercase)

    def __len__(self):
        return len(self.vocab)

    def split(self, text):
        s = text.lower() if self.lowercase else text
        return list(s) if self.kind == "char" else _WORD.findall(s)

    def encode(self, text, max_len=None):
        ids = [self.index.get(t, UNK) for t in self.split(text)]
        return ids if max_len is None else ids[:max_len]

    def decode(self, ids):
        return ("" if self.kind == "char" else " ").join(self.vocab[i] for i in ids if i > EOS)


def pad_batch(seqs):
    """Id lists → (B, T) int64, 0-padded, and lengths (B), each at least 1 (an empty text reads one <pad>), as makeTextBatch."""
    lengths = [max(1, len(s)) for s in seqs]
    ids = torch.zeros(len(seqs), max(lengths), dtype=torch.int64)
    for b, s in enumerate(seqs):
        ids[b, : len(s)] = torch.as_tensor(s, dtype=torch.int64)
    return ids, torch.as_tensor(lengths, dtype=torch.int64)


# ---------------------------------------------------------------------------------------------
# Twins


class Twin(nn.Module):
    """A task model with its metadata; `save` writes a gru-ts model file."""

    task = ""

    def parts(self):
        """The metadata parts gru-ts reads back (config, tokenizer, …)."""
        raise NotImplementedError

    def save(self, path):
        write_model_file(path, self.task, self.parts(), self.state_dict())


class AttentionPool(nn.Module):
    """score_t = vᵀ tanh(W h_t + b), α = softmax over the valid steps, pooled = Σ α_t h_t (src/nn/attention-pool.ts)."""

    def __init__(self, size, attention_size=None):
        super().__init__()
        a = attention_size or size
        self.weight = nn.Parameter(torch.empty(a, size).uniform_(-1 / math.sqrt(size), 1 / math.sqrt(size)))
        self.bias = nn.Parameter(torch.empty(a).uniform_(-1 / math.sqrt(size), 1 / math.sqrt(size)))
        self.v = nn.Parameter(torch.empty(a).uniform_(-1 / math.sqrt(a), 1 / math.sqrt(a)))

    def forward(self, h, lengths):
        scores = torch.tanh(h @ self.weight.T + self.bias) @ self.v  # (B, T)
        scores = scores.masked_fill(~_mask_after(lengths, h.shape[1]), float("-inf"))
        alpha = scores.softmax(dim=1)
        return (alpha.unsqueeze(2) * h).sum(dim=1), alpha


class Classifier(Twin):
    """classify: token ids (or frames) → embedding → (bi)GRU over the valid steps → last states or attention pooling → linear.

    forward(ids (B, T) int64, lengths (B)) → logits (B, C); for a frames
    classifier forward(frames (B, T, F) as read, lengths): the normalisation
    fitted in training is applied here (an audio classifier's frames are the
    log-mel or MFCC features gru-ts's audioFeatures computes from the samples). `encode(texts)` gives ids and lengths
    from the file's tokenizer, cut to maxLen as `gru predict` does.
    """

    task = "classify"

    def __init__(self, config, tokenizer=None):
        super().__init__()
        _plain_gru_cell(config, "classifier")
        if config.get("bagOfWords"):
            raise NotImplementedError("this classifier has a bag-of-words path (bag.weight, bag.ratio: trained with --bag-of-words), which the twin does not hold")
        self.config, self.tokenizer = config, tokenizer
        c = config
        d = 2 if c["bidirectional"] else 1
        frames = c.get("frames")
        if frames:
            self.embedding = None
            # Not in the state dict: gru-ts keeps the normalisation in the config.
            self.register_buffer("feature_mean", torch.tensor(frames["mean"], dtype=torch.float32), persistent=False)
            self.register_buffer("feature_std", torch.tensor(frames["std"], dtype=torch.float32), persistent=False)
        else:
            self.embedding = nn.Embedding(len(tokenizer), c["embeddingSize"])
        self.embedding_dropout = nn.Dropout(c.get("embeddingDropout", 0))
        self.gru = nn.GRU(c["embeddingSize"], c["hiddenSize"], c["numLayers"], batch_first=True, dropout=c["dropout"], bidirectional=c["bidirectional"])
        self.pool = AttentionPool(d * c["hiddenSize"]) if c.get("pooling") == "attention" else None
        self.head = nn.Linear(d * c["hiddenSize"], len(c["labels"]))

    @classmethod
    def from_meta(cls, meta):
        tokenizer = Tokenizer.from_json(meta["tokenizer"]) if meta.get("tokenizer") else None
        return cls(meta["config"], tokenizer)

    def parts(self):
        return {"config": self.config, "tokenizer": self.tokenizer.to_json() if self.tokenizer else None}

    def encode(self, texts):
        return pad_batch([self.tokenizer.encode(t, self.config["maxLen"]) for t in texts])

    def forward(self, inputs, lengths, return_attention=False):
        if self.embedding is None:
            x = (inputs - self.feature_mean) / self.feature_std
        else:
            x = self.embedding_dropout(self.embedding(inputs))
        output, h_n = run_gru(self.gru, x, lengths)
        attention = None
        if self.pool is not None:
            pooled, attention = self.pool(output, lengths)
        else:
            d = 2 if self.config["bidirectional"] else 1
            pooled = h_n[-d:].transpose(0, 1).reshape(x.shape[0], -1)  # the last layer's final states, [forward, backward]
        logits = self.head(pooled)
        return (logits, attention) if return_attention else logits


class CharLM(Twin):
    """lm: ids → embedding → GRU → linear at every step; forward(ids (B, T), lengths=None, h0=None) → (logits (B, T, V), hN)."""

    task = "lm"

    def __init__(self, config, tokenizer):
        super().__init__()
        _plain_gru_cell(config, "language model")
        self.config, self.tokenizer = config, tokenizer
        c = config
        self.embedding = nn.Embedding(len(tokenizer), c["embeddingSize"])
        self.gru = nn.GRU(c["embeddingSize"], c["hiddenSize"], c["numLayers"], batch_first=True, dropout=c["dropout"])
        self.head = nn.Linear(c["hiddenSize"], len(tokenizer))

    @classmethod
    def from_meta(cls, meta):
        return cls(meta["config"], Tokenizer.from_json(meta["tokenizer"]))

    def parts(self):
        return {"config": self.config, "tokenizer": self.tokenizer.to_json()}

    def encode(self, texts, max_len=None):
        """Inputs and next-character targets as gru-ts's makeLMBatch: [<bos>, …text] → [text…, <eos>], targets −100 where padded.

        Training in gru-ts cuts each text to maxLen characters first (max_len=config["maxLen"]).
        """
        seqs = [self.tokenizer.encode(t, max_len) for t in texts]
        ids, lengths = pad_batch([[BOS, *s] for s in seqs])
        targets = torch.full_like(ids, -100)
        for b, s in enumerate(seqs):
            targets[b, : len(s) + 1] = torch.as_tensor([*s, EOS])
        return ids, lengths, targets

    def forward(self, ids, lengths=None, h0=None):
        output, h_n = run_gru(self.gru, self.embedding(ids), lengths, h0)
        return self.head(output), h_n


class Forecaster(Twin):
    """forecast: the GRU over the window, a head per forecast step, the ridge highway; corrections of a classical base forecast.

    forward(x (B, lookback, I), steps (B, horizon, S)) → corrections (B,
    horizon), normalised; predict(x, steps, baseline) → forecasts in the
    series' units (float64, baseline + scale · correction); intervals(forecast)
    → (lower, upper). x, steps and baseline are what gru-ts's `makeBatch`
    builds (src/tasks/forecast/onnx.ts documents them); `series_features`
    builds them here for a series without dates or covariates whose base is
    seasonal naive. A global model of many series (config.seriesColumn) takes
    each window's series scale (B) as `scale` (the file's
    series[i].normalization.scale); others use the normalisation's.
    """

    task = "forecast"

    def __init__(self, config, normalization, series=None):
        super().__init__()
        _plain_gru_cell(config, "forecaster")
        self.config, self.normalization, self.series = config, normalization, series
        c = config
        inputs, step = self.feature_sizes(c)
        self.gru = nn.GRU(inputs, c["hiddenSize"], c["numLayers"], batch_first=True, dropout=c["dropout"])
        self.state_head = nn.Linear(c["hiddenSize"], c["headSize"])
        self.step_head = nn.Linear(step, c["headSize"])
        self.out = nn.Linear(c["headSize"], 1)
        self.highway = nn.Linear(c["lookback"], c["horizon"]) if c.get("highway") else None

    # Calendar features per frequency (calendarFeatures in src/tasks/forecast/calendar.ts); sub-hourly: 2 + 24 + 7.
    CALENDAR = {"daily": 7 + 12 + 1 + 2, "hourly": 24 + 7, "weekly": 2 + 12, "monthly": 12, "quarterly": 4, "yearly": 0, "none": 0}

    @classmethod
    def feature_sizes(cls, c):
        """(features per window step, per forecast step): calendar, covariates; calendar, one-hot step, known covariates."""
        f = c["frequency"]
        cal = 2 + 24 + 7 if f.endswith("min") else cls.CALENDAR[f]
        return 1 + cal + len(c["covariates"]), cal + c["horizon"] + len(c.get("known") or [])

    @classmethod
    def from_meta(cls, meta):
        return cls(meta["config"], meta["normalization"], meta.get("series"))

    def parts(self):
        return {"config": self.config, "normalization": self.normalization, "series": self.series}

    def forward(self, x, steps):
        _, h_n = self.gru(x)
        hidden = torch.tanh(self.step_head(steps) + self.state_head(h_n[-1]).unsqueeze(1))
        correction = self.out(hidden).squeeze(2)
        if self.highway is not None:
            correction = correction + self.highway(x[:, :, 0])  # x[..., 0]: the window's values
        return correction

    def _scale(self, scale):
        if scale is None:
            return self.normalization["scale"]
        return torch.as_tensor(scale, dtype=torch.float64).reshape(-1, 1)  # one per window

    def predict(self, x, steps, baseline, scale=None):
        return baseline.double() + self._scale(scale) * self.forward(x, steps).double()

    def intervals(self, forecast, scale=None):
        q = self.config.get("intervals")
        if not q:
            return None
        sc = self._scale(scale)
        return forecast + sc * torch.tensor(q["lower"], dtype=torch.float64), forecast + sc * torch.tensor(q["upper"], dtype=torch.float64)

    def series_features(self, values, origins):
        """x, steps, baseline from a series' values for forecast origins (index of each window's last value).

        Only for a series without dates and covariates whose base is seasonal
        naive; otherwise build them with gru-ts (makeBatch and baseForecasts).
        """
        c = self.config
        base = (c.get("base") or {"method": "seasonalNaive"})["method"]
        if c["frequency"] != "none" or c["covariates"] or c.get("seriesColumn") or base != "seasonalNaive":
            raise NotImplementedError("series_features covers a series without dates and covariates and a seasonal-naive base; compute x, steps and baseline with gru-ts's makeBatch")
        v = torch.as_tensor(values, dtype=torch.float64)
        m, lookback, horizon, sc = max(1, c["season"]), c["lookback"], c["horizon"], self.normalization["scale"]
        x, baseline = [], []
        for t in origins:
            level = v[t - m + 1 : t + 1].sum() / m
            x.append((v[t - lookback + 1 : t + 1] - level) / sc)
            # Seasonal naive: the value one season before each forecast step.
            baseline.append(torch.stack([v[t - m + 1 + (k - 1) % m] for k in range(1, horizon + 1)]))
        steps = torch.eye(horizon).expand(len(origins), horizon, horizon)
        return torch.stack(x).float().unsqueeze(2), steps.clone(), torch.stack(baseline)


class Seq2Seq(Twin):
    """seq2seq: bidirectional GRU encoder, GRU decoder with Bahdanau (additive) or Luong (general) attention.

    encode(src (B, S), lengths) → encoder state; step(enc, prev (B), state)
    → (logits (B, V), state, attention (B, S)); forward(src, lengths,
    tgt_in (B, T)) → teacher-forced logits (B, T, V); search(ids, beam) →
    target ids as gru-ts's beam search finds them; translate(texts, beam) →
    token lists, as `gru predict` prints them.
    """

    task = "seq2seq"

    def __init__(self, config, source, target):
        super().__init__()
        self.config, self.source, self.target = config, source, target
        c = config
        e, he, hd, a = c["embeddingSize"], c["encoderSize"], c["decoderSize"], c["attentionSize"]
        bahdanau = c["attention"] == "bahdanau"
        p = c.get("dropout", 0)
        self.src_embedding = nn.Embedding(len(source), e)
        self.tgt_embedding = nn.Embedding(len(target), e)
        self.encoder = nn.GRU(e, he, c.get("encoderLayers", 1), batch_first=True, dropout=p, bidirectional=True)
        self.bridge = nn.Linear(2 * he, hd)
        self.key = nn.Linear(2 * he, a if bahdanau else hd, bias=False)
        self.query = nn.Linear(hd, a, bias=False) if bahdanau else None
        self.attn_v = nn.Parameter(torch.empty(a).uniform_(-1 / math.sqrt(a), 1 / math.sqrt(a))) if bahdanau else None
        self.decoder = nn.GRU(e + 2 * he if bahdanau else e, hd)
        self.combine = nn.Linear(hd + 2 * he, hd)
        self.out = nn.Linear(hd, len(target))
        self.drop = nn.Dropout(p)

    @classmethod
    def from_meta(cls, meta):
        return cls(meta["config"], Tokenizer.from_json(meta["sourceTokenizer"]), Tokenizer.from_json(meta["targetTokenizer"]))

    def parts(self):
        return {"config": self.config, "sourceTokenizer": self.source.to_json(), "targetTokenizer": self.target.to_json()}

    def encode(self, src, lengths):
        values, h_n = run_gru(self.encoder, self.drop(self.src_embedding(src)), lengths)
        both = h_n[-2:].transpose(0, 1).reshape(src.shape[0], -1)  # the last layer's final states, [forward, backward]
        state = torch.tanh(self.bridge(both)).unsqueeze(0)  # (1, B, Hd)
        return {"values": values, "keys": self.key(values), "mask": _mask_after(lengths, src.shape[1]), "state": state}

    def _attend(self, enc, q):
        if self.query is not None:
            scores = torch.tanh(enc["keys"] + self.query(q).unsqueeze(1)) @ self.attn_v
        else:
            scores = (enc["keys"] @ q.unsqueeze(2)).squeeze(2)
        alpha = scores.masked_fill(~enc["mask"], float("-inf")).softmax(dim=1)
        return (alpha.unsqueeze(2) * enc["values"]).sum(dim=1), alpha

    def step(self, enc, prev, state):
        emb = self.tgt_embedding(prev)
        if self.query is not None:
            context, alpha = self._attend(enc, state[0])
            _, state = self.decoder(torch.cat([emb, context], dim=1).unsqueeze(0), state)
        else:
            _, state = self.decoder(emb.unsqueeze(0), state)
            context, alpha = self._attend(enc, state[0])
        logits = self.out(self.drop(torch.tanh(self.combine(torch.cat([state[0], context], dim=1)))))
        return logits, state, alpha

    def forward(self, src, lengths, tgt_in):
        enc = self.encode(src, lengths)
        state, logits = enc["state"], []
        for t in range(tgt_in.shape[1]):
            step_logits, state, _ = self.step(enc, tgt_in[:, t], state)
            logits.append(step_logits)
        return torch.stack(logits, dim=1)

    @torch.no_grad()
    def search(self, src, beam=1, length_penalty=1.0, max_len=None):
        """Beam search for one source (a list of ids) as gru-ts's Seq2Seq.translate: (target ids, score).

        Hypotheses are ranked by total log-probability (float64, as in
        JavaScript); one that ends (<eos>) or is still open when the search
        stops scores logp / (tokens + 1)^length_penalty, the best score wins.
        Tokens 0 <pad>, 1 <unk> and 2 <bos> are never chosen. With beam 1
        this is `gru predict`'s default: greedy, except that stopping competes
        with the best continuation by that score.
        """
        enc1 = self.encode(torch.as_tensor([src], dtype=torch.int64), torch.as_tensor([len(src)]))
        beams = [([], 0.0, enc1["state"][:, 0])]  # (ids, logp, state (1, Hd))
        done = []  # (ids, logp, score)
        for _ in range(max_len or self.config["maxTargetLen"]):
            if not beams:
                break
            n = len(beams)
            enc = {k: v.expand(n, *v.shape[1:]) for k, v in enc1.items() if k != "state"}
            prev = torch.as_tensor([h[0][-1] if h[0] else BOS for h in beams], dtype=torch.int64)
            logits, state, _ = self.step(enc, prev, torch.stack([h[2] for h in beams], dim=1))
            logp = logits.double().log_softmax(dim=1)
            # Every beam's continuations from <eos> on, best first; Python's sort is stable, as JavaScript's.
            cands = sorted(((beams[i][1] + logp[i, c].item(), i, c) for i in range(n) for c in range(EOS, logits.shape[1])), key=lambda x: -x[0])
            following = []
            for lp, i, c in cands:
                if len(following) >= beam:
                    break
                ids = beams[i][0]
                if c == EOS:
                    done.append((ids, lp, lp / (len(ids) + 1) ** length_penalty))
                else:
                    following.append((ids + [c], lp, state[:, i]))
            beams = following
            if len(done) >= beam and all(h[1] < max(d[1] for d in done) for h in beams):
                break
        done += [(ids, lp, lp / (len(ids) + 1) ** length_penalty) for ids, lp, _ in beams]
        best = sorted(done, key=lambda d: -d[2])[0]
        return best[0], best[2]

    def translate(self, texts, beam=1, length_penalty=1.0):
        """Target tokens for each source text, as `gru predict --beam K` finds them."""
        return [[self.target.vocab[i] for i in self.search(self.source.encode(t), beam, length_penalty)[0]] for t in texts]


class Recommender(Twin):
    """recommend (GRU4Rec): clicks → item embedding (or one-hot items) → GRU → scores of every item after the last click.

    forward(clicks (B, T) item indices, lengths (B)) → scores (B, V); item
    i is `items[i]`, the file's item ids.
    """

    task = "recommend"
    # What gru-ts's file records of how its click log was read; a model trained here has none of its own.
    READING = {"format": "gru4rec", "columns": {"session": "SessionId", "item": "ItemId", "time": "Time"}, "delimiter": None}
    PREPROCESSING = {"minSessionLength": 2, "minItemSupport": 5, "testDays": 1, "validationDays": 1}

    def __init__(self, config, items, reading=None, preprocessing=None):
        super().__init__()
        _plain_gru_cell(config, "recommender")
        self.config, self.items = config, list(items)
        self.reading, self.preprocessing = reading or self.READING, preprocessing or self.PREPROCESSING
        c = config
        v, e = c["items"], c["embeddingSize"]
        self.item_embedding = nn.Embedding(v, e) if e > 0 else None
        self.gru = nn.GRU(e if e > 0 else v, c["hiddenSize"], c["numLayers"], batch_first=True, dropout=c["dropout"])
        self.output = nn.Linear(c["hiddenSize"], v)

    @classmethod
    def from_meta(cls, meta):
        return cls(meta["config"], meta["items"], meta.get("reading"), meta.get("preprocessing"))

    def parts(self):
        return {"config": self.config, "items": self.items, "reading": self.reading, "preprocessing": self.preprocessing}

    def states(self, clicks, lengths):
        """The last layer's state after every click (B, T, H), 0 past each session's length."""
        if self.item_embedding is not None:
            x = self.item_embedding(clicks)
        else:
            x = nn.functional.one_hot(clicks, self.config["items"]).to(self.output.weight.dtype)
        return run_gru(self.gru, x, lengths)

    def forward(self, clicks, lengths):
        _, h_n = self.states(clicks, lengths)
        return self.output(h_n[-1])


TWINS = {t.task: t for t in (Classifier, CharLM, Forecaster, Seq2Seq, Recommender)}
