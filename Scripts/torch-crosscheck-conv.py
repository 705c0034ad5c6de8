#!/usr/bin/env python3
"""Loads an Attend convolutional checkpoint (`--arch conv`) into an equivalent PyTorch module,
built as fairseq's `fconv` is (Gehring et al. 2017), and prints the teacher-forced perplexity of
some sentence pairs, to compare with `attend eval --model`.

    /work/.venv-ref/bin/python Scripts/torch-crosscheck-conv.py runs/NAME/best.safetensors Data/reverse/test.src Data/reverse/test.tgt
    attend eval --model runs/NAME/best.safetensors --src Data/reverse/test.src --ref Data/reverse/test.tgt

The module's parameters have the checkpoint's names and shapes and load with strict=True, so
equal perplexities mean that the names map onto fairseq's layout and that both programs
compute the same model. Convolutions run through torch's own `conv1d` (the checkpoint keeps
fairseq's ConvTBC layout `[k, C_in, C_out]`), attention through `bmm` and `softmax`. A
development tool (needs torch and safetensors); the project does not use it.
"""
import json, math, sys
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open

PAD, UNK, BOS, EOS = 0, 1, 2, 3
HALF = math.sqrt(0.5)


class ConvTBC(nn.Module):
    """A convolution whose weight is stored [k, C_in, C_out], as fairseq's ConvTBC."""

    def __init__(self, k, c_in, c_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(k, c_in, c_out))
        self.bias = nn.Parameter(torch.empty(c_out))

    def forward(self, x, left, right):  # x: [B, T, C_in] -> [B, T + left + right - k + 1, C_out]
        x = F.pad(x.transpose(1, 2), (left, right))
        return F.conv1d(x, self.weight.permute(2, 1, 0), self.bias).transpose(1, 2)


class AttentionLayer(nn.Module):
    def __init__(self, channels, embed):
        super().__init__()
        self.in_projection = nn.Linear(channels, embed)
        self.out_projection = nn.Linear(embed, channels)

    def forward(self, h, g, keys, values, pad, lengths):
        d = (self.in_projection(h) + g) * HALF
        scores = torch.bmm(d, keys.transpose(1, 2)).masked_fill(pad[:, None, :], float("-inf"))
        a = F.softmax(scores, dim=-1)
        c = torch.bmm(a, values) * lengths.sqrt()[:, None, None]  # m * sqrt(1/m), m the real source length
        return (self.out_projection(c) + h) * HALF, a


class Stack(nn.Module):
    """What the encoder and the decoder share: token and position embeddings, fc1, the convolutions."""

    def __init__(self, c, vocabulary):
        super().__init__()
        E, C, self.k = c["embeddingWidth"], c["channels"], c["kernelWidth"]
        self.embed_tokens = nn.Embedding(vocabulary, E)
        self.embed_positions = nn.Embedding(c["maximumPositions"], E)
        self.fc1 = nn.Linear(E, C)
        self.convolutions = nn.ModuleList(ConvTBC(self.k, C, 2 * C) for _ in range(c["layers"]))
        self.fc2 = nn.Linear(C, E)

    def embed(self, ids):  # positions past the table share its last row
        positions = torch.arange(ids.shape[1]).clamp(max=self.embed_positions.num_embeddings - 1)
        return self.embed_tokens(ids) + self.embed_positions(positions)[None]


class Encoder(Stack):
    def __init__(self, c):
        super().__init__(c, c["sourceVocabularySize"])

    def forward(self, src):
        pad = src == PAD
        e = self.embed(src)
        x = self.fc1(e)
        for conv in self.convolutions:  # centred, padding zeroed before each
            x = (F.glu(conv(x.masked_fill(pad[..., None], 0), (self.k - 1) // 2, self.k // 2), dim=-1) + x) * HALF
        z = self.fc2(x).masked_fill(pad[..., None], 0)
        return z, (z + e) * HALF, pad


class Decoder(Stack):
    def __init__(self, c):
        super().__init__(c, c["targetVocabularySize"])
        self.attention = nn.ModuleList(AttentionLayer(c["channels"], c["embeddingWidth"]) for _ in range(c["layers"]))
        self.fc3 = nn.Linear(c["embeddingWidth"], c["targetVocabularySize"])

    def forward(self, tgt, keys, values, pad, lengths):
        g = self.embed(tgt)
        x = self.fc1(g)
        for conv, attention in zip(self.convolutions, self.attention):
            h = F.glu(conv(x, self.k - 1, 0), dim=-1)  # causal
            attended, _ = attention(h, g, keys, values, pad, lengths)
            x = (attended + x) * HALF
        return self.fc3(self.fc2(x))


class FConv(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.encoder, self.decoder = Encoder(c), Decoder(c)

    def forward(self, src, lengths, tgt):
        keys, values, pad = self.encoder(src)
        return self.decoder(tgt, keys, values, pad, lengths)


def main(checkpoint, source_path, target_path, limit=200):
    f = safe_open(checkpoint, "pt")
    meta = f.metadata()
    config = json.loads(meta["attend.config"])
    assert config["arch"] == "fconv", "only convolutional checkpoints (--arch conv)"
    c = config["config"]
    model = FConv(c)
    state = {k: f.get_tensor(k) for k in f.keys() if not k.startswith("optimizer.")}
    model.load_state_dict(state, strict=True)
    model.eval()
    source_vocab = {t: i for i, t in enumerate(json.loads(meta["attend.source_vocab"]))}
    target_vocab = {t: i for i, t in enumerate(json.loads(meta["attend.target_vocab"]))}

    def pad(rows):
        n = max(map(len, rows))
        return torch.tensor([r + [PAD] * (n - len(r)) for r in rows])

    sources = [l.split() for l in open(source_path, encoding="utf-8").read().splitlines()[:limit]]
    targets = [l.split() for l in open(target_path, encoding="utf-8").read().splitlines()[:limit]]
    src_ids = [[source_vocab.get(t, UNK) for t in s] + [EOS] for s in sources]
    ids = [[target_vocab.get(t, UNK) for t in s] for s in targets]
    src, lengths = pad(src_ids), torch.tensor([float(len(s)) for s in src_ids])
    tgt_in, tgt_out = pad([[BOS] + s for s in ids]), pad([s + [EOS] for s in ids])
    with torch.no_grad():
        logits = model(src, lengths, tgt_in)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1), ignore_index=PAD, reduction="sum")
    tokens = int((tgt_out != PAD).sum())
    print(f"perplexity = {math.exp(loss.item() / tokens):.4f} (PyTorch, fairseq's fconv layout, {len(sources)} pairs, {tokens} tokens)")


if __name__ == "__main__":
    main(*sys.argv[1:4], *(int(a) for a in sys.argv[4:5]))
