#!/usr/bin/env python3
"""Write tests/fixtures/metakd_small.fix (read by tests/test_metakd.c): a PyTorch
re-implementation of the Meta-KD formulas as the released code computes them
(alibaba/EasyTransfer scripts/metaKD), in float64, stored as float32.

1. Transferability. A frozen encoder's last layer H [N, T, F] of N instances of D domains:
   h_i = mean over positions 1..T-1 (every position but [CLS], no mask); c_d = mean h of domain
   d; t_i = 1/2 [cos(h_i, c_{d_i}) + cos(h_i, mean_{d' != d_i} c_{d'})]  (torch.cosine_similarity).
   Records: tr.hidden, tr.domain, tr.pooled, tr.t.

2. Meta-distillation, one domain's batch (B instances, M student layers):
   g_i = 1 / (exp((1 - p_{i,y_i})^2) + 1), p = softmax(teacher logits); w_i = (1 + t_i) g_i.
   Stage 1 per instance: hidden MSE over layers 0..M, attention-score MSE over layers 1..M
   (entries <= -100, the padding mask, set to 0 in both), gamma2 * MSE(D^S, D^T); each
   averaged over everything but the batch axis; loss = mean_i w_i * (sum of those).
   The C plugin reports the same loss split by layer (layer M carries the domain term):
   md.term.<m>; the stage-1 loss md.loss1 = sum_m term_m and its gradient with respect to
   every student tensor (md.grad.*). Stage 2: soft cross-entropy
   -(softmax(z^T) . log_softmax(z^S)) averaged over the batch (md.pred) and its gradient.

3. Meta-teacher, one step of D domain batches with dropout 0: the shared head's logits z,
   labels y, last layer H, t; corruption c = tanh(W_c (E[d] + mean_T H) + b_c), domain
   logits u = W_u c + b_u, target = the step's domain ids shuffled by the plugin's
   Fisher-Yates keyed by splitmix64(seed ^ splitmix64(0)) (the dropout-stream position of a
   fresh context); loss = mean_i t_i (CE(z_i, y_i) + gamma1 CE(u_i, s_i)) and its gradient
   with respect to z, H and the branch's weights; domain_repr of domain 1 (mt.repr1).

Run:  python3 tests/oracle/make_metakd_fixture.py   (CPU, deterministic, < 1 s)
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_metagraph_fixture import FixtureWriter, OUT_DIR  # noqa: E402

DT = torch.float64
# transferability
TR_D, TR_T, TR_F = 3, 6, 8
TR_COUNTS = [4, 3, 5]
# meta-distillation
B, M, NH, T, FEAT, C = 3, 2, 2, 5, 8, 3
LENGTHS = [5, 3, 4]
GAMMA2 = 0.5
MASK_VALUE = -10000.0
# meta-teacher
MT_D, MT_B, MT_T, MT_F, MT_C = 3, [2, 3, 2], 4, 6, 2
GAMMA1 = 0.5
SEED = 12345
M64 = (1 << 64) - 1


def cos(a, b):
    return F.cosine_similarity(a, b.expand_as(a), dim=-1)


def make_transferability(fx, gen):
    n = sum(TR_COUNTS)
    hidden = torch.randn(n, TR_T, TR_F, generator=gen, dtype=DT)
    # a shared direction so the cosines are spread, not all near 0
    hidden += torch.randn(TR_F, generator=gen, dtype=DT) * 0.8
    dom = torch.tensor(sum(([d] * c for d, c in enumerate(TR_COUNTS)), []))
    h = hidden[:, 1:, :].mean(dim=1)
    protos = torch.stack([h[dom == d].mean(dim=0) for d in range(TR_D)])
    t = torch.empty(n, dtype=DT)
    for i in range(n):
        d = int(dom[i])
        other = torch.stack([protos[e] for e in range(TR_D) if e != d]).mean(dim=0)
        t[i] = 0.5 * (cos(h[i:i + 1], protos[d])[0] + cos(h[i:i + 1], other)[0])
    fx.add("tr.hidden", hidden)
    fx.add("tr.domain", dom.numpy().astype(np.int32), np.int32)
    fx.add("tr.pooled", h)
    fx.add("tr.t", t)


def replace_masked(s):
    return torch.where(s <= -1e2, torch.zeros_like(s), s)


def inst_mse(a, b):
    return ((a - b) ** 2).reshape(a.shape[0], -1).mean(dim=1)


def make_distill(fx, gen):
    mask = torch.zeros(B, T, dtype=DT)
    for b, n in enumerate(LENGTHS):
        mask[b, :n] = 1
    additive = ((1.0 - mask) * MASK_VALUE).view(B, 1, 1, T)
    s_hid = [torch.randn(B, T, FEAT, generator=gen, dtype=DT) for _ in range(M + 1)]
    t_hid = [torch.randn(B, T, FEAT, generator=gen, dtype=DT) for _ in range(M + 1)]
    s_att = [None] + [torch.randn(B, NH, T, T, generator=gen, dtype=DT) * 3 + additive for _ in range(M)]
    t_att = [None] + [torch.randn(B, NH, T, T, generator=gen, dtype=DT) * 3 + additive for _ in range(M)]
    s_log = torch.randn(B, C, generator=gen, dtype=DT) * 2
    t_log = torch.randn(B, C, generator=gen, dtype=DT) * 2
    labels = torch.tensor([0, 2, 1])
    t_w = torch.rand(B, generator=gen, dtype=DT) * 2 - 1  # t_i in [-1, 1] (cosines)
    s_dom = torch.tanh(torch.randn(B, FEAT, generator=gen, dtype=DT))
    t_dom = torch.tanh(torch.randn(B, FEAT, generator=gen, dtype=DT))

    p = F.softmax(t_log, dim=-1)[torch.arange(B), labels]
    g = 1.0 / (torch.exp((1.0 - p) ** 2) + 1.0)
    w = (1.0 + t_w) * g

    sh = [x.clone().requires_grad_(True) for x in s_hid]
    sa = [None] + [x.clone().requires_grad_(True) for x in s_att[1:]]
    sd = s_dom.clone().requires_grad_(True)
    terms = [(w * inst_mse(t_hid[0], sh[0])).mean()]
    for m in range(1, M + 1):
        per = inst_mse(replace_masked(t_att[m]), replace_masked(sa[m])) + inst_mse(t_hid[m], sh[m])
        terms.append((w * per).mean())
    terms[M] = terms[M] + GAMMA2 * (w * inst_mse(t_dom, sd)).mean()
    loss1 = sum(terms)
    loss1.backward()

    sl = s_log.clone().requires_grad_(True)
    pred = -(F.softmax(t_log, dim=-1) * F.log_softmax(sl, dim=-1)).sum() / B
    pred.backward()

    fx.add("md.config", [B, NH, T, FEAT, C, M], np.int32)
    fx.add("md.mask", mask)
    for m in range(M + 1):
        fx.add("md.student_hidden.%d" % m, s_hid[m])
        fx.add("md.teacher_hidden.%d" % m, t_hid[m])
        if m > 0:
            fx.add("md.student_attn.%d" % m, s_att[m])
            fx.add("md.teacher_attn.%d" % m, t_att[m])
        fx.add("md.term.%d" % m, terms[m].detach())
        fx.add("md.grad.student_hidden.%d" % m, sh[m].grad)
        if m > 0:
            fx.add("md.grad.student_attn.%d" % m, sa[m].grad)
    fx.add("md.student_logits", s_log)
    fx.add("md.teacher_logits", t_log)
    fx.add("md.labels", labels.numpy().astype(np.int32), np.int32)
    fx.add("md.t", t_w)
    fx.add("md.student_domain", s_dom)
    fx.add("md.teacher_domain", t_dom)
    fx.add("md.g", g)
    fx.add("md.w", w)
    fx.add("md.loss1", loss1.detach())
    fx.add("md.grad.student_domain", sd.grad)
    fx.add("md.pred", pred.detach())
    fx.add("md.grad.student_logits", sl.grad)


def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def shuffled(ids, seed, counter):
    ids = list(ids)
    key = mix64(seed ^ mix64(counter))
    for i in range(len(ids) - 1, 0, -1):
        j = mix64((key + i) & M64) % (i + 1)
        ids[i], ids[j] = ids[j], ids[i]
    return ids


def make_teacher(fx, gen):
    Fd = MT_F
    E = torch.randn(MT_D, Fd, generator=gen, dtype=DT) * 0.5
    Wc = torch.randn(Fd, Fd, generator=gen, dtype=DT) * 0.4
    bc = torch.randn(Fd, generator=gen, dtype=DT) * 0.1
    Wu = torch.randn(MT_D, Fd, generator=gen, dtype=DT) * 0.8
    bu = torch.randn(MT_D, generator=gen, dtype=DT) * 0.1
    weights = {"domain_embedding.weight": E, "corruption.dense.weight": Wc,
               "corruption.dense.bias": bc, "domain_classifier.weight": Wu,
               "domain_classifier.bias": bu}
    params = {k: v.clone().requires_grad_(True) for k, v in weights.items()}
    logits, hidden, labels, tws = [], [], [], []
    for d in range(MT_D):
        logits.append(torch.randn(MT_B[d], MT_C, generator=gen, dtype=DT).requires_grad_(True))
        hidden.append(torch.randn(MT_B[d], MT_T, Fd, generator=gen, dtype=DT).requires_grad_(True))
        labels.append(torch.randint(0, MT_C, (MT_B[d],), generator=gen))
        tws.append(torch.rand(MT_B[d], generator=gen, dtype=DT) * 0.5 + 0.5)

    def branch(h, d):
        x = h.mean(dim=1) + params["domain_embedding.weight"][d]
        return torch.tanh(x @ params["corruption.dense.weight"].T + params["corruption.dense.bias"])

    dom_logits = [branch(hidden[d], d) @ params["domain_classifier.weight"].T
                  + params["domain_classifier.bias"] for d in range(MT_D)]
    ids = sum(([d] * MT_B[d] for d in range(MT_D)), [])
    target = torch.tensor(shuffled(ids, SEED, 0))
    z = torch.cat(logits)
    y = torch.cat(labels)
    u = torch.cat(dom_logits)
    tw = torch.cat(tws)
    per = F.cross_entropy(z, y, reduction="none") + GAMMA1 * F.cross_entropy(u, target, reduction="none")
    loss = (tw * per).mean()
    loss.backward()
    with torch.no_grad():
        repr1 = branch(hidden[1], 1)

    fx.add("mt.config", [MT_D, MT_T, MT_F, MT_C, SEED] + MT_B, np.int32)
    fx.add("mt.target", target.numpy().astype(np.int32), np.int32)
    for k, v in weights.items():
        fx.add("mt.w." + k, v)
        fx.add("mt.grad." + k, params[k].grad)
    for d in range(MT_D):
        fx.add("mt.logits.%d" % d, logits[d].detach())
        fx.add("mt.hidden.%d" % d, hidden[d].detach())
        fx.add("mt.labels.%d" % d, labels[d].numpy().astype(np.int32), np.int32)
        fx.add("mt.t.%d" % d, tws[d])
        fx.add("mt.grad.logits.%d" % d, logits[d].grad)
        fx.add("mt.grad.hidden.%d" % d, hidden[d].grad)
    fx.add("mt.loss", loss.detach())
    fx.add("mt.repr1", repr1)


def main():
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(2012012)
    fx = FixtureWriter()
    make_transferability(fx, gen)
    make_distill(fx, gen)
    make_teacher(fx, gen)
    os.makedirs(OUT_DIR, exist_ok=True)
    fx.write(os.path.join(OUT_DIR, "metakd_small.fix"))


if __name__ == "__main__":
    main()
