#!/usr/bin/env python3
"""Write the oracle fixtures of the relational plugins and of the TinyBERT-KD loss plugin.

1. tests/fixtures/metagraph_small.fix (read by tests/test_relational.c)
   A PyTorch re-implementation of the HRKD reference's MetaGraph (cheneydon/hrkd,
   models/gnn.py) with dropout off: for layer m >= 1 the reference prototypes
   softmax(h_m W1_m h_mᵀ) h_m (Eq. 13-14), then per domain d the similarity over layers 0..m,
   softmax(h_{<=m,d} W2_{m,d} RP_{m,d}), and the aggregated prototype (Eq. 15-16); layer 0 goes
   to the graph unchanged. Then per layer a two-layer GAT (pyGAT style: K heads of F' with
   concat and ELU, one output head with ELU, LeakyReLU on the attention logits, full
   adjacency) and a softmax over the domains (Eq. 7-12).
   Weights are stored under the parameter names the C plugins declare, in their layouts:
     self_attention.layer{m}.w     [F, F]        W1_m           (m >= 1)
     compare_aggregate.layer{m}.w  [D, F, F]     W2_m           (m >= 1)
     gat.layer{m}.heads.w          [K, F', F]    head k: W_kᵀ   (the reference stores W_k [F, F'])
     gat.layer{m}.heads.a          [K, 2F', 1]   head k: a_k
     gat.layer{m}.out.w            [1, K·F']     W_outᵀ
     gat.layer{m}.out.a            [2, 1]        a_out
   Outputs: ratio.layer{m} [D], sim.layer{m} [D, m+1] (layer 0: ones [D, 1]), ref.layer{m} and
   agg.layer{m} [D, F]; for fixed random R [M+1, D] and S.layer{m} [D, m+1] the scalar
   loss = Σ_m Σ_d r_{m,d} R_{m,d} + Σ_m Σ sim_m ⊙ S_m and its gradient with respect to the
   prototypes (grad.protos) and to every weight (grad.<name>).

2. tests/fixtures/tinybert_loss_small.fix (read by tests/test_tinybert_loss.c)
   The reference's loss terms for one domain (finetune_multi_domain.py calc_total_losses):
   layer 0 MSE(H^T_0, H^S_0); layer m >= 1 MSE over pre-softmax attention scores with every
   entry <= -100 set to 0 in both tensors, plus MSE(H^T_m, H^S_m); the soft cross-entropy
   -(softmax(z^T/t) · log_softmax(z^S/t)).mean() (mean over B·C, and the over-B variant).
   Padding positions carry the additive mask -10000 as in the reference BERT. For fixed
   weights w_m, w_p: loss = Σ_m w_m term_m + w_p pred and its gradient with respect to every
   student tensor, once per temperature in TEMPERATURES and soft_ce_mean mode.

Computed in float64, stored as float32. Format "HRKDFIX1" (tests/common/fixture.h).
Run:  python3 tests/oracle/make_metagraph_fixture.py   (CPU, deterministic, < 1 s)
"""
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "fixtures"))

# MetaGraph sizes
D, M, FEAT, HEADS, HIDDEN = 3, 2, 16, 2, 8
ALPHA = 0.2        # LeakyReLU slope (reference default)
GAIN = 1.414       # Xavier-uniform gain of the reference
PROTO_SCALE = 0.5  # prototypes ~ N(0, 0.5²): softmaxes neither flat nor saturated
SPREAD = 2.0       # spread of the output head's node scores (see make_metagraph)

# Loss sizes
B, NH, T, C, LM = 2, 2, 5, 3, 2
LENGTHS = [5, 3]   # tokens per example; the rest is padding (mask -10000)
TEMPERATURES = [1.0, 2.0]
MASK_VALUE = -10000.0


class FixtureWriter:
    def __init__(self):
        self.records = []

    def add(self, name, array, dtype=np.float32):
        arr = np.ascontiguousarray(np.asarray(array, dtype=dtype))
        if arr.ndim == 0:
            arr = arr.reshape(1)
        self.records.append((name, arr))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(b"HRKDFIX1")
            f.write(struct.pack("<I", len(self.records)))
            for name, arr in self.records:
                raw = name.encode()
                f.write(struct.pack("<I", len(raw)))
                f.write(raw)
                f.write(struct.pack("<I", 1 if arr.dtype == np.int32 else 0))
                f.write(struct.pack("<I", arr.ndim))
                f.write(struct.pack("<%dq" % arr.ndim, *arr.shape))
                f.write(arr.astype("<i4" if arr.dtype == np.int32 else "<f4").tobytes())
        print("wrote %s (%d records, %d bytes)" % (path, len(self.records), os.path.getsize(path)))


def xavier(shape, gen):
    """torch's xavier_uniform_ with the reference gain on a tensor of `shape`."""
    w = torch.empty(shape, dtype=torch.float64)
    fan_in, fan_out = (shape[1], shape[0]) if len(shape) == 2 else (None, None)
    bound = GAIN * (6.0 / (fan_in + fan_out)) ** 0.5
    return w.uniform_(-bound, bound, generator=gen)


# ---------------------------------------------------------------- MetaGraph (reference form)

def gat_layer(h, W, a, act=True):
    """One graph-attention layer of the reference: W [Fin, Fout], a [2·Fout, 1]; all pairs
    (i, j) get a·[W h_i ⊕ W h_j], LeakyReLU, softmax over j (full adjacency), then ELU."""
    Wh = h @ W
    n, fo = Wh.shape
    pairs = torch.cat([Wh.repeat_interleave(n, dim=0), Wh.repeat(n, 1)], dim=1).view(n, n, 2 * fo)
    e = F.leaky_relu((pairs @ a).squeeze(2), ALPHA)
    att = torch.softmax(e, dim=1)
    out = att @ Wh
    return F.elu(out) if act else out


def metagraph(protos, w):
    """protos [M+1, D, F]; w: per layer dict of reference-layout weights. Returns ratios,
    similarities, reference and aggregated prototypes per layer."""
    ratios, sims, refs, aggs = [], [], [], []
    for m in range(M + 1):
        feat = protos[m]
        if m > 0:
            att1 = torch.softmax(feat @ (w["w1"][m] @ feat.T), dim=-1)
            ref = att1 @ feat
            agg, sim = [], []
            for d in range(D):
                hier = protos[: m + 1, d, :]
                score = hier @ (w["w2"][m][d] @ ref[d])
                alpha = torch.softmax(score, dim=-1)
                agg.append(alpha @ hier)
                sim.append(alpha)
            feat = torch.stack(agg, 0)
            sim = torch.stack(sim, 0)
        else:
            ref = feat
            sim = torch.ones(D, 1, dtype=protos.dtype)
        heads = torch.cat([gat_layer(feat, w["gat_w"][m][k], w["gat_a"][m][k]) for k in range(HEADS)], 1)
        out = gat_layer(heads, w["out_w"][m], w["out_a"][m]).squeeze(-1)
        ratios.append(torch.softmax(out, dim=-1))
        sims.append(sim)
        refs.append(ref)
        aggs.append(feat)
    return ratios, sims, refs, aggs


def metagraph_layer_input(protos, w, m):
    """What the graph of layer m receives (the aggregated prototypes; layer 0: h_0)."""
    if m == 0:
        return protos[0]
    feat = protos[m]
    ref = torch.softmax(feat @ (w["w1"][m] @ feat.T), dim=-1) @ feat
    rows = []
    for d in range(D):
        hier = protos[: m + 1, d, :]
        rows.append(torch.softmax(hier @ (w["w2"][m][d] @ ref[d]), dim=-1) @ hier)
    return torch.stack(rows, 0)


def make_metagraph(path):
    gen = torch.Generator().manual_seed(20211107)
    protos = (torch.randn(M + 1, D, FEAT, generator=gen, dtype=torch.float64) * PROTO_SCALE)
    protos.requires_grad_(True)
    w = {"w1": {}, "w2": {}, "gat_w": {}, "gat_a": {}, "out_w": {}, "out_a": {}}
    leaves = []
    for m in range(M + 1):
        if m > 0:
            w["w1"][m] = xavier((FEAT, FEAT), gen)
            # the reference initialises w_attn_2[m] ([D, F, F]) in one call: fan_in F·F, fan_out D·F
            bound = GAIN * (6.0 / (FEAT * FEAT + D * FEAT)) ** 0.5
            w["w2"][m] = torch.empty(D, FEAT, FEAT, dtype=torch.float64).uniform_(-bound, bound, generator=gen)
        w["gat_w"][m] = [xavier((FEAT, HIDDEN), gen) for _ in range(HEADS)]
        w["gat_a"][m] = [xavier((2 * HIDDEN, 1), gen) for _ in range(HEADS)]
        w["out_w"][m] = xavier((HEADS * HIDDEN, 1), gen)
        w["out_a"][m] = xavier((2, 1), gen)
    # Reference-initialised weights make the graph degenerate: with full adjacency every node
    # averages over all nodes, the output head sees nearly equal features and, unless its
    # attention logits change sign within a row, all rows are equal and r is exactly uniform
    # with a zero gradient (measured here: max r - min r < 1e-3 at every layer). So that the
    # fixture pins the graph, its output head is re-chosen per layer from the data: W_out
    # centred on the nodes (y_i = W_out·x_i has mean 0 and spread SPREAD) and a_out = (1, -1)
    # (antisymmetric logits y_i - y_j, so every row mixes signs); the first-layer attention
    # vectors are scaled by 3 to make those rows differ more.
    with torch.no_grad():
        for m in range(M + 1):
            w["gat_a"][m] = [a * 3.0 for a in w["gat_a"][m]]
            feat = metagraph_layer_input(protos, w, m)
            x = torch.cat([gat_layer(feat, w["gat_w"][m][k], w["gat_a"][m][k]) for k in range(HEADS)], 1)
            xc = x - x.mean(0, keepdim=True)
            u = torch.randn(HEADS * HIDDEN, generator=gen, dtype=torch.float64)
            u = xc.T @ (xc @ u)  # a direction the centred nodes spread along
            mean = x.mean(0)
            u = u - (u @ mean) / (mean @ mean) * mean  # orthogonal to the nodes' mean
            y = x @ u
            w["out_w"][m] = (u * (SPREAD / float(y.max() - y.min()))).view(-1, 1)
            w["out_a"][m] = torch.tensor([[1.0], [-1.0]], dtype=torch.float64)
    for group in w.values():
        for m, v in group.items():
            for t in (v if isinstance(v, list) else [v]):
                t.requires_grad_(True)
                leaves.append(t)

    ratios, sims, refs, aggs = metagraph(protos, w)
    for m in range(M + 1):
        spread = float((ratios[m].max() - ratios[m].min()).detach())
        print("layer %d: r = %s (spread %.3f)" % (m, ratios[m].detach().numpy().round(4), spread))
        assert spread > 0.05, "degenerate graph: the fixture would not pin the GAT"
    R = torch.randn(M + 1, D, generator=gen, dtype=torch.float64)
    S = [torch.randn(D, m + 1, generator=gen, dtype=torch.float64) for m in range(M + 1)]
    loss = sum((ratios[m] * R[m]).sum() + (sims[m] * S[m]).sum() for m in range(M + 1))
    loss.backward()

    # the plugins' names and layouts
    def plugin_weights(grad):
        g = (lambda t: t.grad) if grad else (lambda t: t)
        out = {}
        for m in range(M + 1):
            if m > 0:
                out["self_attention.layer%d.w" % m] = g(w["w1"][m])
                out["compare_aggregate.layer%d.w" % m] = g(w["w2"][m])
            out["gat.layer%d.heads.w" % m] = torch.stack([g(t).T for t in w["gat_w"][m]], 0)
            out["gat.layer%d.heads.a" % m] = torch.stack([g(t) for t in w["gat_a"][m]], 0)
            out["gat.layer%d.out.w" % m] = g(w["out_w"][m]).T
            out["gat.layer%d.out.a" % m] = g(w["out_a"][m])
        return out

    fx = FixtureWriter()
    fx.add("config", [D, M, FEAT, HEADS, HIDDEN], np.int32)
    fx.add("alpha", [ALPHA])
    fx.add("protos", protos.detach())
    for name, t in plugin_weights(False).items():
        fx.add(name, t.detach())
    for m in range(M + 1):
        fx.add("ratio.layer%d" % m, ratios[m].detach())
        fx.add("sim.layer%d" % m, sims[m].detach())
        fx.add("ref.layer%d" % m, refs[m].detach())
        fx.add("agg.layer%d" % m, aggs[m].detach())
        fx.add("S.layer%d" % m, S[m])
    fx.add("R", R)
    fx.add("loss", loss.detach())
    fx.add("grad.protos", protos.grad)
    for name, t in plugin_weights(True).items():
        fx.add("grad." + name, t)
    fx.write(path)


# ---------------------------------------------------------------- TinyBERT-KD loss

def soft_cross_entropy(predicts, targets, t, mean_over_classes):
    out = -F.softmax(targets / t, dim=-1) * F.log_softmax(predicts / t, dim=-1)
    return out.mean() if mean_over_classes else out.sum() / predicts.shape[0]


def replace_masked(scores):
    return torch.where(scores <= -1e2, torch.zeros_like(scores), scores)


def make_loss(path):
    gen = torch.Generator().manual_seed(4619289)
    dt = torch.float64
    mask = torch.zeros(B, T, dtype=dt)
    for b, n in enumerate(LENGTHS):
        mask[b, :n] = 1
    additive = ((1.0 - mask) * MASK_VALUE).view(B, 1, 1, T)

    s_hid = [torch.randn(B, T, FEAT, generator=gen, dtype=dt) for _ in range(LM + 1)]
    t_hid = [torch.randn(B, T, FEAT, generator=gen, dtype=dt) for _ in range(LM + 1)]
    # pre-softmax scores with the additive padding mask, as the reference BERT returns them;
    # a few unmasked scores sit just above the threshold (kept) to pin the <= comparison
    s_att = [None] + [torch.randn(B, NH, T, T, generator=gen, dtype=dt) * 3 + additive for _ in range(LM)]
    t_att = [None] + [torch.randn(B, NH, T, T, generator=gen, dtype=dt) * 3 + additive for _ in range(LM)]
    s_att[1][0, 0, 0, 0] = -99.5
    t_att[1][0, 1, 2, 1] = -99.5
    s_log = torch.randn(B, C, generator=gen, dtype=dt) * 2
    t_log = torch.randn(B, C, generator=gen, dtype=dt) * 2
    w_terms = torch.randn(LM + 1, generator=gen, dtype=dt)
    w_pred = torch.randn(1, generator=gen, dtype=dt)

    fx = FixtureWriter()
    fx.add("config", [B, NH, T, FEAT, C, LM], np.int32)
    fx.add("mask", mask)
    for m in range(LM + 1):
        fx.add("student_hidden.%d" % m, s_hid[m])
        fx.add("teacher_hidden.%d" % m, t_hid[m])
        if m > 0:
            fx.add("student_attn.%d" % m, s_att[m])
            fx.add("teacher_attn.%d" % m, t_att[m])
    fx.add("student_logits", s_log)
    fx.add("teacher_logits", t_log)
    fx.add("w_terms", w_terms)
    fx.add("w_pred", w_pred)

    terms_done = False
    for ti, temp in enumerate(TEMPERATURES):
        for mode, over_classes in (("batch_classes", True), ("batch", False)):
            sh = [x.clone().requires_grad_(True) for x in s_hid]
            sa = [None] + [x.clone().requires_grad_(True) for x in s_att[1:]]
            sl = s_log.clone().requires_grad_(True)
            terms = [F.mse_loss(t_hid[0], sh[0])]
            for m in range(1, LM + 1):
                terms.append(F.mse_loss(replace_masked(t_att[m]), replace_masked(sa[m]))
                             + F.mse_loss(t_hid[m], sh[m]))
            pred = soft_cross_entropy(sl, t_log, temp, over_classes)
            loss = sum(w_terms[m] * terms[m] for m in range(LM + 1)) + w_pred[0] * pred
            loss.backward()
            tag = "t%d.%s" % (ti, mode)
            fx.add("temperature.%s" % tag, [temp])
            fx.add("pred.%s" % tag, pred.detach())
            fx.add("loss.%s" % tag, loss.detach())
            fx.add("grad.student_logits.%s" % tag, sl.grad)
            if not terms_done:  # the layer terms and their gradients do not depend on t or mode
                for m in range(LM + 1):
                    fx.add("term.%d" % m, terms[m].detach())
                    fx.add("grad.student_hidden.%d" % m, sh[m].grad)
                    if m > 0:
                        fx.add("grad.student_attn.%d" % m, sa[m].grad)
                terms_done = True
    fx.write(path)


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    make_metagraph(os.path.join(OUT_DIR, "metagraph_small.fix"))
    make_loss(os.path.join(OUT_DIR, "tinybert_loss_small.fix"))


if __name__ == "__main__":
    main()
