#!/usr/bin/env python3
"""Loads an Attend Transformer checkpoint into PyTorch's nn.Transformer and prints the
teacher-forced perplexity of some sentence pairs, to compare with `attend eval --model`.

    python3 Scripts/torch-crosscheck.py runs/NAME/best.safetensors Data/reverse/test.src Data/reverse/test.tgt
    attend eval --model runs/NAME/best.safetensors --src Data/reverse/test.src --ref Data/reverse/test.tgt

Equal perplexities mean the tensors load by name into PyTorch's modules and both compute the
same model. A development tool (needs torch and safetensors); the project does not use it.
"""
import json, math, sys
import torch
from safetensors import safe_open

PAD, UNK, BOS, EOS = 0, 1, 2, 3


def main(checkpoint, source_path, target_path, limit=200):
    f = safe_open(checkpoint, "pt")
    meta = f.metadata()
    config = json.loads(meta["attend.config"])
    assert config["arch"] == "transformer", "only Transformer checkpoints"
    c = config.get("config", config.get("transformer"))  # {arch, config}; before the registry, {arch, transformer}
    tensors = {k: f.get_tensor(k) for k in f.keys() if not k.startswith("optimizer.")}
    source_vocab = {t: i for i, t in enumerate(json.loads(meta["attend.source_vocab"]))}
    target_vocab = {t: i for i, t in enumerate(json.loads(meta["attend.target_vocab"]))}
    D, pre = c["modelWidth"], c["layerNorm"] == "pre"
    act = "gelu" if c["activation"] == "gelu" else "relu"
    tf = torch.nn.Transformer(d_model=D, nhead=c["heads"], num_encoder_layers=c["layers"], num_decoder_layers=c["layers"],
                              dim_feedforward=c["feedForwardWidth"], dropout=0.0, activation=act, batch_first=True,
                              norm_first=pre)
    if not pre:  # post-norm stacks end without a LayerNorm in Attend
        tf.encoder.norm, tf.decoder.norm = None, None
    state = {k: v for k, v in tensors.items() if k.startswith(("encoder.layers", "decoder.layers", "encoder.norm", "decoder.norm"))}
    missing, unexpected = tf.load_state_dict(state, strict=False)
    assert not unexpected and all(not k.startswith(("encoder.", "decoder.")) or k in state for k in tf.state_dict()), (missing, unexpected)
    tf.eval()

    def positions(length, table):
        if c["positions"] == "learned":
            return tensors[table][:length]
        p = torch.arange(length, dtype=torch.float64)[:, None]
        i = torch.arange(0, D, 2, dtype=torch.float64)
        angle = p / torch.pow(10000.0, i / D)
        pe = torch.zeros(length, D, dtype=torch.float64)
        pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)[:, : D // 2]
        return pe.float()

    def pad(rows):
        n = max(map(len, rows))
        return torch.tensor([r + [PAD] * (n - len(r)) for r in rows])

    sources = [l.split() for l in open(source_path, encoding="utf-8").read().splitlines()[:limit]]
    targets = [l.split() for l in open(target_path, encoding="utf-8").read().splitlines()[:limit]]
    src = pad([[source_vocab.get(t, UNK) for t in s] + [EOS] for s in sources])
    ids = [[target_vocab.get(t, UNK) for t in s] for s in targets]
    tgt_in, tgt_out = pad([[BOS] + s for s in ids]), pad([s + [EOS] for s in ids])
    scale = math.sqrt(D)
    with torch.no_grad():
        x = tensors["encoder.embedding.weight"][src] * scale + positions(src.shape[1], "encoder.positions.weight")
        y = tensors["decoder.embedding.weight"][tgt_in] * scale + positions(tgt_in.shape[1], "decoder.positions.weight")
        causal = torch.nn.Transformer.generate_square_subsequent_mask(tgt_in.shape[1])
        out = tf(x, y, tgt_mask=causal, src_key_padding_mask=src == PAD, tgt_key_padding_mask=tgt_in == PAD,
                 memory_key_padding_mask=src == PAD)
        weight = tensors.get("decoder.output.weight", tensors["decoder.embedding.weight"])
        logits = out @ weight.T + tensors["decoder.output.bias"]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1),
                                                 ignore_index=PAD, reduction="sum")
    tokens = int((tgt_out != PAD).sum())
    print(f"perplexity = {math.exp(loss.item() / tokens):.4f} (PyTorch nn.Transformer, {len(sources)} pairs, {tokens} tokens)")


if __name__ == "__main__":
    main(*sys.argv[1:4], *(int(a) for a in sys.argv[4:5]))
