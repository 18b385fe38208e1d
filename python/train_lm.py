"""Trains a character language model in PyTorch and writes a gru-ts model file (`gru predict`, `gru eval` read it).

    python train_lm.py names.txt --out names.safetensors --epochs 10
    gru predict names.safetensors --prefix An

The model, tokenizer and loss are gru-ts's own (`gru train lm`): characters
of each line, <bos> first, predicting the next character and finally <eos>,
mean cross-entropy over the predicted characters. The model is the twin
(gru_ts_twins.CharLM), an ordinary nn.Module: to train on many GPUs or
machines, wrap it in torch.nn.parallel.DistributedDataParallel and give each
process its share of the batches, then save `model.module` from rank 0.
"""
import argparse
import random

import torch
from torch.nn import functional as F

from gru_ts_twins import CharLM, Tokenizer


def train(texts, epochs=10, hidden=128, embedding=32, layers=1, dropout=0.0, lr=3e-3, batch_size=32, max_len=64, seed=0):
    """A CharLM trained on `texts` (a list of strings) with Adam; returns it in eval mode."""
    torch.manual_seed(seed)
    tokenizer = Tokenizer.fit(texts, "char", lowercase=False)
    config = {"embeddingSize": embedding, "hiddenSize": hidden, "numLayers": layers, "dropout": dropout, "maxLen": max_len}
    model = CharLM(config, tokenizer)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    order = list(range(len(texts)))
    rng = random.Random(seed)
    for epoch in range(epochs):
        rng.shuffle(order)
        model.train()
        total, count = 0.0, 0
        for i in range(0, len(order), batch_size):
            ids, lengths, targets = model.encode([texts[j] for j in order[i : i + batch_size]], max_len)
            logits, _ = model(ids, lengths)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            n = int((targets >= 0).sum())
            total, count = total + loss.item() * n, count + n
        print(f"epoch {epoch + 1}: {total / count / torch.log(torch.tensor(2.0)).item():.3f} bits per character (training)")
    return model.eval()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("texts", help="a text file, one text per line")
    p.add_argument("--out", required=True, help="the gru-ts model file to write (.safetensors)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--embedding", type=int, default=32)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-len", type=int, default=64, help="characters read per text, and the longest sample gru predict makes")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    with open(a.texts, encoding="utf-8") as f:
        texts = [line.strip() for line in f if line.strip()]
    model = train(texts, a.epochs, a.hidden, a.embedding, a.layers, a.dropout, a.lr, a.batch_size, a.max_len, a.seed)
    model.save(a.out)
    print(f"wrote {a.out}: {len(model.tokenizer)} characters, {sum(p.numel() for p in model.parameters())} weights")


if __name__ == "__main__":
    main()
