"""Runs the PyTorch side of test/pytorch-twins.test.ts: python twin_job.py JOBS.json

JOBS.json is {"jobs": [...]}; tensors go both ways as safetensors files, so
numbers cross exactly. Each job:

- predict:  {"kind": "predict", "model": FILE, "inputs": FILE, "out": FILE, ...}
  loads a gru-ts model file with its twin and writes the twin's predictions
  for the inputs (the names per task are in PREDICT below), and with
  "fits": [{"texts", "kind"}] the vocabularies Tokenizer.fit learns from them;
- make:     {"kind": "make", "task": ..., "parts": {config, tokenizer, …}, "seed": N, "model": FILE, "inputs": …, "out": …}
  builds a twin from metadata parts with PyTorch's initialisation, writes it
  as a gru-ts model file, and its predictions as for predict;
- gru-grad: {"kind": "gru-grad", "model": FILE, "inputs": FILE, "out": FILE}
  nn.GRU from a GRU state dict; loss = Σ output ⊙ r_out + Σ hN ⊙ r_hn;
  writes output, hN and torch.autograd's gradients of x, h0 and every weight;
- gru-make: {"kind": "gru-make", "sizes": {...}, "seed": N, "model": FILE, "inputs": FILE, "out": FILE}
  a fresh nn.GRU written with save_gru, and its output and hN for x and h0;
- train-lm: {"kind": "train-lm", "args": [...]}: train_lm.py with those arguments.
"""
import json
import sys

import torch
from safetensors.torch import load_file, save_file

import gru_ts_twins as tw
import train_lm


def longs(t):
    return t.to(torch.int64)


def predict_classify(twin, i, job):
    out = {}
    if "texts" in job:
        out["encoded_ids"], out["encoded_lengths"] = twin.encode(job["texts"])
    x = i["frames"] if "frames" in i else longs(i["ids"])
    logits, attention = twin(x, longs(i["lengths"]), return_attention=True)
    out.update(logits=logits, probabilities=logits.softmax(dim=1))
    if attention is not None:
        out["attention"] = attention
    return out


def predict_lm(twin, i, job):
    # The texts, encoded by the twin's tokenizer (gru-ts's ids are checked against these).
    ids, lengths, targets = twin.encode(job["texts"])
    logits, h_n = twin(ids, lengths)
    return {"encoded_ids": ids, "encoded_lengths": lengths, "encoded_targets": targets, "logits": logits, "h_n": h_n}


def predict_forecast(twin, i, job):
    out = {"correction": twin(i["x"], i["steps"])}
    out["forecast"] = twin.predict(i["x"], i["steps"], i["baseline"])
    bounds = twin.intervals(out["forecast"])
    if bounds:
        out["lower"], out["upper"] = bounds
    if "values" in i:
        x, steps, baseline = twin.series_features(i["values"], job["origins"])
        out.update(built_x=x, built_steps=steps, built_baseline=baseline, built_forecast=twin.predict(x, steps, baseline))
    return out


def predict_seq2seq(twin, i, job):
    src, lengths = longs(i["src"]), longs(i["lengths"])
    out = {"logits": twin(src, lengths, longs(i["tgt_in"]))}
    for beam in (1, 3):
        # Each source's result, −1-padded to maxTargetLen.
        found = torch.full((src.shape[0], twin.config["maxTargetLen"]), -1, dtype=torch.int64)
        for b in range(src.shape[0]):
            ids, _ = twin.search(src[b, : lengths[b]].tolist(), beam)
            found[b, : len(ids)] = torch.as_tensor(ids, dtype=torch.int64)
        out[f"beam{beam}"] = found
    out["translations"] = twin.translate(job["texts"])
    return out


def predict_recommend(twin, i, job):
    return {"scores": twin(longs(i["clicks"]), longs(i["lengths"]))}


PREDICT = {"classify": predict_classify, "lm": predict_lm, "forecast": predict_forecast, "seq2seq": predict_seq2seq, "recommend": predict_recommend}


def write(path, tensors, job):
    # Strings (translations) go beside the tensors as JSON.
    extra = {k: tensors.pop(k) for k in [k for k, v in tensors.items() if not torch.is_tensor(v)]}
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, path, metadata={"extra": json.dumps(extra)})


def run(job):
    kind = job["kind"]
    if kind == "train-lm":
        train_lm.main(job["args"])
        return
    inputs = load_file(job["inputs"])
    if kind in ("predict", "make"):
        if kind == "make":
            torch.manual_seed(job["seed"])
            twin = tw.TWINS[job["task"]].from_meta(job["parts"]).eval()
            twin.save(job["model"])
        else:
            twin = tw.load(job["model"])
        with torch.no_grad():
            out = PREDICT[twin.task](twin, inputs, job)
        # Vocabularies learnt here, to compare with gru-ts's Tokenizer.fit on the same texts.
        if "fits" in job:
            out["fitted"] = [tw.Tokenizer.fit(f["texts"], f["kind"]).to_json() for f in job["fits"]]
        write(job["out"], out, job)
    elif kind == "gru-grad":
        gru = tw.load_gru(job["model"])
        x = inputs["x"].requires_grad_()
        h0 = inputs["h0"].requires_grad_()
        output, h_n = tw.run_gru(gru, x, longs(inputs["lengths"]) if "lengths" in inputs else None, h0)
        ((output * inputs["r_out"]).sum() + (h_n * inputs["r_hn"]).sum()).backward()
        grads = {f"grad.{k}": p.grad for k, p in gru.named_parameters()}
        write(job["out"], {"output": output, "h_n": h_n, "grad.x": x.grad, "grad.h0": h0.grad, **grads}, job)
    elif kind == "gru-make":
        torch.manual_seed(job["seed"])
        s = job["sizes"]
        gru = torch.nn.GRU(s["inputSize"], s["hiddenSize"], s["numLayers"], bidirectional=s["bidirectional"])
        tw.save_gru(gru, job["model"])
        with torch.no_grad():
            output, h_n = gru(inputs["x"], inputs["h0"])
        write(job["out"], {"output": output, "h_n": h_n}, job)
    else:
        raise ValueError(f"unknown job kind {kind!r}")


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)["jobs"]
    torch.set_num_threads(1)  # the test shares a 2-core machine with other test files
    for job in jobs:
        try:
            run(job)
        except NotImplementedError as e:
            # A model without a twin: the job says so, and the test reads the message.
            if not job.get("refused"):
                raise SystemExit(f"job {job.get('name', job['kind'])}: NotImplementedError: {e}") from e
            write(job["out"], {"refusal": str(e)}, job)
        except Exception as e:
            raise SystemExit(f"job {job.get('name', job['kind'])}: {type(e).__name__}: {e}") from e
    print(f"torch {torch.__version__}: {len(jobs)} jobs done")


if __name__ == "__main__":
    main()
