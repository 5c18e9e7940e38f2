#!/usr/bin/env python3
"""Write the BERT oracle fixtures read by tests/test_bert_oracle.c.

A plain PyTorch BERT (own nn.Module code, parameter names as Hugging Face spells them) with one
classification head per domain is run once with the exact-erf GELU and once with the tanh GELU.
Each fixture holds the config, the initial parameters, the inputs, every forward output the C
engine exposes (hidden states, masked pre-softmax attention scores, pooled output, logits), the
loss, and d loss / d parameter for every parameter. The erf fixture also holds three AdamW steps
(warmup + linear decay, global-norm clipping) taken with torch.optim.AdamW.

Self-check: the erf weights are loaded into transformers' BertModel and every hidden state and
the pooled output must agree with ours to 1e-5 relative (max |diff| / max |ref|), so the
reference is Hugging Face BERT.

File format "HRKDFIX1" (see tests/common/fixture.h), little-endian.
Run:  python3 tests/oracle/make_bert_fixture.py   (CPU, float32, deterministic)
"""
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# Sizes (the C test reads them back from the "config" record).
L, C, NH, FF, V, P, TT = 2, 64, 4, 256, 500, 32, 2
HS = C // NH
NL, D, B, T = 3, 2, 4, 16
EPS = 1e-12
LENGTHS = [16, 11, 7, 13]
DOMAIN = [0, 1, 0, 1]
R_WEIGHT = 0.1          # loss = Σ_d CE_d + R_WEIGHT Σ_l mean(h_l ⊙ R_l)
MASK_VALUE = -10000.0   # additive mask of the HRKD reference (old Hugging Face BERT)

# AdamW (erf fixture only)
LR, BETA1, BETA2, ADAM_EPS, WD = 1e-3, 0.9, 0.999, 1e-8, 0.01
WARMUP, TOTAL, K_STEPS = 1, 4, 3
MAX_GRAD_NORM = 1.0     # lowered below the observed norm if no step would clip (see main)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "fixtures"))
MAX_FILE_BYTES = 3_500_000  # keep the committed fixtures small


def gelu_erf(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


class Embeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(V, C)
        self.position_embeddings = nn.Embedding(P, C)
        self.token_type_embeddings = nn.Embedding(TT, C)
        self.LayerNorm = nn.LayerNorm(C, eps=EPS)

    def forward(self, ids, token_type):
        pos = torch.arange(ids.shape[1])
        e = self.word_embeddings(ids) + self.position_embeddings(pos)[None] \
            + self.token_type_embeddings(token_type)
        return self.LayerNorm(e)


class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = nn.Linear(C, C)
        self.key = nn.Linear(C, C)
        self.value = nn.Linear(C, C)

    def forward(self, h, ext):
        b, t, _ = h.shape

        def heads(x):  # [B,T,C] -> [B,NH,T,HS]
            return x.view(b, t, NH, HS).transpose(1, 2)

        q, k, v = heads(self.query(h)), heads(self.key(h)), heads(self.value(h))
        scores = q @ k.transpose(-1, -2) / math.sqrt(HS) + ext   # [B,NH,T,T], masked
        p = torch.softmax(scores, dim=-1)
        ctx = (p @ v).transpose(1, 2).reshape(b, t, C)
        return ctx, scores


class DenseLN(nn.Module):
    """dense then LayerNorm(residual + dense(x)); HF's BertSelfOutput / BertOutput."""

    def __init__(self, n_in):
        super().__init__()
        self.dense = nn.Linear(n_in, C)
        self.LayerNorm = nn.LayerNorm(C, eps=EPS)

    def forward(self, x, residual):
        return self.LayerNorm(residual + self.dense(x))


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.self = SelfAttention()
        self.output = DenseLN(C)

    def forward(self, h, ext):
        ctx, scores = self.self(h, ext)
        return self.output(ctx, h), scores


class Intermediate(nn.Module):
    def __init__(self, act):
        super().__init__()
        self.dense = nn.Linear(C, FF)
        self.act = act

    def forward(self, x):
        return self.act(self.dense(x))


class Layer(nn.Module):
    def __init__(self, act):
        super().__init__()
        self.attention = Attention()
        self.intermediate = Intermediate(act)
        self.output = DenseLN(FF)

    def forward(self, h, ext):
        a, scores = self.attention(h, ext)
        return self.output(self.intermediate(a), a), scores


class Encoder(nn.Module):
    def __init__(self, act):
        super().__init__()
        self.layer = nn.ModuleList([Layer(act) for _ in range(L)])


class Pooler(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(C, C)

    def forward(self, h):
        return torch.tanh(self.dense(h[:, 0]))


class Bert(nn.Module):
    def __init__(self, use_tanh):
        super().__init__()
        act = gelu_tanh if use_tanh else gelu_erf
        self.embeddings = Embeddings()
        self.encoder = Encoder(act)
        self.pooler = Pooler()
        self.classifiers = nn.ModuleList([nn.Linear(C, NL) for _ in range(D)])

    def forward(self, ids, token_type, mask, domain):
        # ext[b, 0, 0, key] = (1 - mask[b, key]) * -10000, broadcast over heads and query rows
        ext = (1.0 - mask.to(torch.float32))[:, None, None, :] * MASK_VALUE
        h = self.embeddings(ids, token_type)
        hidden, attn = [h], []
        for layer in self.encoder.layer:
            h, scores = layer(h, ext)
            hidden.append(h)
            attn.append(scores)
        pooled = self.pooler(h)
        logits = torch.stack([self.classifiers[int(d)](pooled[b]) for b, d in enumerate(domain)])
        return hidden, attn, pooled, logits


def init_params(model, gen):
    with torch.no_grad():
        for name, p in model.named_parameters():
            z = torch.randn(p.shape, generator=gen, dtype=torch.float32)
            if "LayerNorm.weight" in name:
                p.copy_(1.0 + 0.1 * z)
            elif "LayerNorm.bias" in name:
                p.copy_(0.02 * z)
            elif name.endswith("bias"):
                p.copy_(0.02 * z)
            else:  # Linear weights and embedding tables
                p.copy_(0.05 * z)


def make_inputs(gen):
    ids = torch.randint(0, V, (B, T), generator=gen, dtype=torch.int64)
    ids[:, 0] = 2
    token_type = torch.randint(0, TT, (B, T), generator=gen, dtype=torch.int64)
    mask = torch.zeros(B, T, dtype=torch.int64)
    for b, n in enumerate(LENGTHS):
        mask[b, :n] = 1
    labels = torch.randint(0, NL, (B,), generator=gen, dtype=torch.int64)
    domain = torch.tensor(DOMAIN, dtype=torch.int64)
    R = [torch.randn(B, T, C, generator=gen, dtype=torch.float32) for _ in range(L + 1)]
    return ids, token_type, mask, labels, domain, R


def compute_loss(model, inp):
    ids, token_type, mask, labels, domain, R = inp
    hidden, attn, pooled, logits = model(ids, token_type, mask, domain)
    loss = torch.zeros((), dtype=torch.float32)
    for d in range(D):
        rows = domain == d
        if rows.any():
            loss = loss + F.cross_entropy(logits[rows], labels[rows])
    for l in range(L + 1):
        loss = loss + R_WEIGHT * (hidden[l] * R[l]).mean()
    return loss, hidden, attn, pooled, logits


class FixtureWriter:
    def __init__(self):
        self.records = []

    def add(self, name, arr, dtype):
        # np.array copies: a record must not alias a tensor the optimizer later updates in place
        a = np.array(arr, dtype="<f4" if dtype == 0 else "<i4", order="C", copy=True)
        assert name not in (r[0] for r in self.records), name
        self.records.append((name, dtype, a))

    def f32(self, name, t):
        self.add(name, t.detach().cpu().numpy() if torch.is_tensor(t) else t, 0)

    def i32(self, name, t):
        self.add(name, t.detach().cpu().numpy() if torch.is_tensor(t) else t, 1)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(b"HRKDFIX1")
            f.write(struct.pack("<I", len(self.records)))
            for name, dtype, a in self.records:
                nb = name.encode("ascii")
                f.write(struct.pack("<I", len(nb)))
                f.write(nb)
                f.write(struct.pack("<II", dtype, a.ndim))
                for s in a.shape:
                    f.write(struct.pack("<q", s))
                f.write(a.tobytes())
        size = os.path.getsize(path)
        assert size < MAX_FILE_BYTES, f"{path}: {size} bytes"
        return size


def rel_err(got, want):
    """Same measure as tests/common/test.c: max |got - want| / max |want|."""
    got, want = got.detach().double(), want.detach().double()
    return ((got - want).abs().max() / want.abs().max().clamp_min(1e-30)).item()


def hf_self_check(model, inp):
    """Load our erf weights into transformers' BertModel; hidden states must agree to 1e-5."""
    from transformers import BertConfig, BertModel

    cfg = BertConfig(vocab_size=V, hidden_size=C, num_hidden_layers=L, num_attention_heads=NH,
                     intermediate_size=FF, hidden_act="gelu", hidden_dropout_prob=0.0,
                     attention_probs_dropout_prob=0.0, max_position_embeddings=P,
                     type_vocab_size=TT, layer_norm_eps=EPS)
    cfg._attn_implementation = "eager"
    hf = BertModel(cfg, add_pooling_layer=True)
    assert hf.config._attn_implementation == "eager", hf.config._attn_implementation
    hf.eval()
    ours = {n: p for n, p in model.named_parameters() if not n.startswith("classifiers.")}
    theirs = dict(hf.named_parameters())
    assert set(ours) == set(theirs), (sorted(set(ours) ^ set(theirs)))
    with torch.no_grad():
        for n, p in ours.items():
            assert theirs[n].shape == p.shape, n
            theirs[n].copy_(p)
    ids, token_type, mask, labels, domain, R = inp
    with torch.no_grad():
        out = hf(input_ids=ids, token_type_ids=token_type, attention_mask=mask,
                 output_hidden_states=True, return_dict=True)
        hidden, _, pooled, _ = model(ids, token_type, mask, domain)
    worst = 0.0
    for l in range(L + 1):
        e = rel_err(hidden[l], out.hidden_states[l])
        print(f"  HF self-check hidden/{l}: rel err {e:.3g}")
        worst = max(worst, e)
    e_last = rel_err(hidden[L], out.last_hidden_state)
    e_pool = rel_err(pooled, out.pooler_output)
    print(f"  HF self-check last_hidden_state: rel err {e_last:.3g}, pooler_output: {e_pool:.3g}")
    worst = max(worst, e_last, e_pool)
    assert worst <= 1e-5, f"reference differs from Hugging Face BertModel: {worst:.3g}"
    print(f"  HF self-check: worst relative error {worst:.3g} (<= 1e-5) — reference == HF BERT")
    return worst


def build(use_tanh):
    torch.manual_seed(1234)
    gen = torch.Generator().manual_seed(20211107)
    model = Bert(use_tanh)
    model.eval()  # no dropout anywhere; the model has none, eval() for clarity
    init_params(model, gen)
    inp = make_inputs(gen)
    return model, inp


def record_common(w, model, inp, use_tanh):
    ids, token_type, mask, labels, domain, R = inp
    w.i32("config", np.array([L, C, NH, FF, V, P, TT, NL, D, B, T, int(use_tanh)]))
    w.f32("eps", np.array([EPS]))
    for n, p in model.named_parameters():
        w.f32("param/" + n, p)
    w.i32("input/ids", ids)
    w.i32("input/token_type", token_type)
    w.i32("input/mask", mask)
    w.i32("input/labels", labels)
    w.i32("input/domain", domain)
    for l in range(L + 1):
        w.f32(f"input/R/{l}", R[l])

    model.zero_grad(set_to_none=False)
    loss, hidden, attn, pooled, logits = compute_loss(model, inp)
    loss.backward()
    for l in range(L + 1):
        w.f32(f"out/hidden/{l}", hidden[l])
    for l in range(1, L + 1):
        w.f32(f"out/attn/{l}", attn[l - 1])
    w.f32("out/pooled", pooled)
    w.f32("out/logits", logits)
    w.f32("out/loss", loss.reshape(1))
    for n, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), n
        w.f32("grad/" + n, p.grad)
    print(f"  loss {loss.item():.7f}")
    return loss.item()


def run_adamw(model, inp, max_grad_norm):
    """K_STEPS AdamW steps from the current parameters; returns (losses, grad norms, lrs,
    the unclipped gradients of every step)."""
    from transformers import get_linear_schedule_with_warmup

    decay = [p for n, p in model.named_parameters()
             if "bias" not in n and "LayerNorm.weight" not in n]
    no_decay = [p for n, p in model.named_parameters()
                if "bias" in n or "LayerNorm.weight" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WD},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=LR, betas=(BETA1, BETA2), eps=ADAM_EPS, foreach=False)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=WARMUP, num_training_steps=TOTAL)
    params = list(model.parameters())
    losses, norms, lrs, grads = [], [], [], []
    for _ in range(K_STEPS):
        opt.zero_grad(set_to_none=False)
        loss = compute_loss(model, inp)[0]
        loss.backward()
        grads.append({n: p.grad.detach().clone() for n, p in model.named_parameters()})
        norm = torch.nn.utils.clip_grad_norm_(params, max_grad_norm, foreach=False)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        losses.append(loss.item())
        norms.append(norm.item())
    return losses, norms, lrs, grads


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT_DIR, exist_ok=True)

    for use_tanh in (False, True):
        tag = "tanh" if use_tanh else "erf"
        print(f"bert_small_{tag}:")
        model, inp = build(use_tanh)
        w = FixtureWriter()
        record_common(w, model, inp, use_tanh)
        if not use_tanh:
            hf_self_check(model, inp)
            init = {n: p.detach().clone() for n, p in model.named_parameters()}
            # Dry run with clipping disabled to see the norms; if none exceeds 1.0, clip at
            # half the smallest one so every step exercises the clipping path.
            _, norms, _, _ = run_adamw(model, inp, float("inf"))
            max_norm = MAX_GRAD_NORM
            if max(norms) <= max_norm:
                max_norm = float(np.float32(0.5 * min(norms)))
                max_norm = float(np.float32(round(max_norm, 3)))
                print(f"  grad norms {norms} all <= {MAX_GRAD_NORM}: max_grad_norm -> {max_norm}")
            with torch.no_grad():
                for n, p in model.named_parameters():
                    p.copy_(init[n])
            losses, norms, lrs, grads = run_adamw(model, inp, max_norm)
            for k in range(K_STEPS):
                clipped = "clipped" if norms[k] > max_norm else "not clipped"
                print(f"  adam step {k}: lr {lrs[k]:.3g} loss {losses[k]:.7f} "
                      f"grad norm {norms[k]:.6f} ({clipped})")
                w.f32(f"adam/loss/{k}", np.array([losses[k]]))
                w.f32(f"adam/grad_norm/{k}", np.array([norms[k]]))
            w.f32("adam/hyper", np.array([LR, BETA1, BETA2, ADAM_EPS, WD, max_norm, WARMUP, TOTAL]))
            for n, p in model.named_parameters():
                w.f32("adam/param/" + n, p)
            # The gradients PyTorch fed its optimizer at steps 1.. (step 0's are grad/*), so
            # the C test can check AdamW + schedule + clipping in isolation, free of the
            # forward/backward rounding that Adam's normalisation amplifies for tiny gradients.
            for k in range(1, K_STEPS):
                for n, g in grads[k].items():
                    w.f32(f"adam/grad/{k}/" + n, g)
        path = os.path.join(OUT_DIR, f"bert_small_{tag}.fix")
        size = w.write(path)
        print(f"  wrote {path}: {len(w.records)} records, {size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
