#!/usr/bin/env python3
"""Trains the Transformer that `attend train --arch transformer` builds, in PyTorch, on an Attend
corpus folder, and prints the training loss and greedy dev exact match after every epoch: a
learning curve to hold against Attend's `validation.csv` for the same settings.

    python3 Scripts/torch-train.py --data Data/reverse --pre --tie --dropout 0 --lr 1e-3 --warmup 4000 --epochs 40
    attend train --arch transformer --layer-norm pre --tie-embeddings --dropout 0 --lr 1e-3 --warmup 4000 --batch-size 32 --epochs 40

Same model (nn.Transformer, D 64, 4 heads, 2 + 2 layers, feed-forward 256, sinusoidal
positions, embeddings N(0, 1/D) scaled by sqrt(D), `</s>` after each source), the same Adam
(betas 0.9, 0.98), Noam schedule (peak = --lr), clipping at 5 and label smoothing, and
batches bucketed the way Attend's Batcher does. The random streams differ, so curves agree in
shape, not digit for digit. A development tool (needs torch); the project does not use it.
"""
import argparse, math, random, time
import torch, torch.nn as nn, torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--data", default="Data/reverse")
p.add_argument("--batch", type=int, default=32)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--warmup", type=int, default=4000)
p.add_argument("--epochs", type=int, default=40)
p.add_argument("--pre", action="store_true")
p.add_argument("--tie", action="store_true")
p.add_argument("--dropout", type=float, default=0.1)
p.add_argument("--ls", type=float, default=0.1)
a = p.parse_args()
torch.manual_seed(1); random.seed(1); torch.set_num_threads(1)
PAD, UNK, BOS, EOS = 0, 1, 2, 3
def read(n): return [l.split() for l in open(f"{a.data}/{n}").read().splitlines()]
trs, trt, dvs, dvt = read("train.src"), read("train.tgt"), read("dev.src"), read("dev.tgt")
def vocab(rows):
    v = {"<pad>": 0, "<unk>": 1, "<s>": 2, "</s>": 3}
    for r in rows:
        for t in r: v.setdefault(t, len(v))
    return v
sv, tv = vocab(trs), vocab(trt)
inv = {i: t for t, i in tv.items()}
D, H, L, FF = 64, 4, 2, 256
class M(nn.Module):
    def __init__(s):
        super().__init__()
        s.tf = nn.Transformer(D, H, L, L, FF, a.dropout, batch_first=True, norm_first=a.pre)
        if not a.pre: s.tf.encoder.norm, s.tf.decoder.norm = None, None
        s.se, s.te = nn.Embedding(len(sv), D, padding_idx=0), nn.Embedding(len(tv), D, padding_idx=0)
        nn.init.normal_(s.se.weight, 0, D ** -0.5); nn.init.normal_(s.te.weight, 0, D ** -0.5)
        s.out = nn.Linear(D, len(tv))
        nn.init.zeros_(s.out.bias)
        if a.tie: s.out.weight = s.te.weight
        pos = torch.arange(512.)[:, None]; i = torch.arange(0, D, 2.)
        ang = pos / 10000 ** (i / D); pe = torch.zeros(512, D); pe[:, 0::2] = ang.sin(); pe[:, 1::2] = ang.cos()
        s.register_buffer("pe", pe)
        s.drop = nn.Dropout(a.dropout)
    def emb(s, e, x): return s.drop(e(x) * D ** 0.5 + s.pe[: x.shape[1]])
    def encode(s, src): return s.tf.encoder(s.emb(s.se, src), src_key_padding_mask=src == PAD)
    def decode(s, mem, src, tin):
        c = nn.Transformer.generate_square_subsequent_mask(tin.shape[1])
        y = s.tf.decoder(s.emb(s.te, tin), mem, tgt_mask=c, tgt_is_causal=True, tgt_key_padding_mask=tin == PAD, memory_key_padding_mask=src == PAD)
        return s.out(y)
m = M()
def pad(rows):
    n = max(map(len, rows)); return torch.tensor([r + [PAD] * (n - len(r)) for r in rows])
def enc(pairs):
    return [([sv.get(t, 1) for t in s] + [EOS], [tv.get(t, 1) for t in t_]) for s, t_ in pairs]
train, dev = enc(zip(trs, trt)), enc(zip(dvs, dvt))
opt = torch.optim.Adam(m.parameters(), lr=a.lr, betas=(0.9, 0.98), eps=1e-8)
step = 0
def batches():
    idx = list(range(len(train))); random.shuffle(idx)
    pool = a.batch * 100; groups = []
    for st in range(0, len(idx), pool):
        ch = sorted(idx[st:st + pool], key=lambda i: (len(train[i][0]), len(train[i][1])))
        groups += [ch[j:j + a.batch] for j in range(0, len(ch), a.batch)]
    random.shuffle(groups); return groups
def greedy():
    m.eval(); right = 0
    with torch.no_grad():
        for st in range(0, len(dev), 100):
            ch = dev[st:st + 100]; src = pad([s for s, _ in ch]); mem = m.encode(src)
            ys = torch.full((len(ch), 1), BOS)
            done = torch.zeros(len(ch), dtype=torch.bool)
            for _ in range(src.shape[1] + 10):
                nxt = m.decode(mem, src, ys)[:, -1].argmax(-1)
                ys = torch.cat([ys, nxt[:, None]], 1); done |= nxt == EOS
                if done.all(): break
            for r, (_, t) in zip(ys.tolist(), ch):
                out = r[1:]; out = out[: out.index(EOS)] if EOS in out else out
                right += out == t
    m.train(); return right / len(dev)
t0 = time.time()
for ep in range(1, a.epochs + 1):
    tot = n = 0
    for g in batches():
        step += 1
        lr = a.lr * min(step / a.warmup, math.sqrt(a.warmup / step)) if a.warmup else a.lr
        for pg in opt.param_groups: pg["lr"] = lr
        src = pad([train[i][0] for i in g]); tin = pad([[BOS] + train[i][1] for i in g]); tout = pad([train[i][1] + [EOS] for i in g])
        logits = m.decode(m.encode(src), src, tin)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tout.reshape(-1), ignore_index=PAD, label_smoothing=a.ls)
        opt.zero_grad(); loss.backward(); nn.utils.clip_grad_norm_(m.parameters(), 5.0); opt.step()
        tot += loss.item(); n += 1
    print(f"epoch {ep} step {step} loss {tot / n:.4f} dev_exact {100 * greedy():.1f} elapsed {time.time() - t0:.0f}s", flush=True)
