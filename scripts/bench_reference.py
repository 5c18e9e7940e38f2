#!/usr/bin/env python3
"""Times one HRKD distillation step of the public PyTorch reference code (cheneydon/hrkd) on
this machine, at the paper's shape, and prints one JSON line.

The step is the reference's own code: its MetaBert teachers (one BERT-base per domain, no
grad, eval mode), its MetaTinyBert student (4L-312, fit projections to 768), its MetaGraph
and its `calc_total_losses` from finetune_multi_domain.py, then backward, gradient clipping,
AdamW and the linear schedule, exactly as its `train_epoch` does. Weights and token ids are
random (throughput does not depend on them). apex and tensorboardX (imported at the top of
the script, unused here) are stubbed.

On a GPU (--device cuda) the models live on the device, each step copies its batches there
as the reference's loop does, reads the loss back (its running average) and ends with
torch.cuda.synchronize(). --precision takes a comma-separated list, measured one after the
other in this process (one JSON line each): fp32; tf32 (TF32 matrix products, GPU); bf16 or fp16
(torch.autocast around the forward passes and the losses, fp32 weights and optimizer; fp16
with a GradScaler, as apex's O1 scales the loss). peak_rss_mb is the process's peak resident
memory so far (getrusage, as GNU time's "Maximum resident set size"): with several precisions
in one process, the later lines include the earlier ones.

usage: scripts/bench_reference.py --ref DIR [--steps 5] [--warmup 2] [--threads 2]
                                  [--device cpu|cuda] [--precision fp32[,bf16,...]]
  DIR: a checkout of github.com/cheneydon/hrkd (e.g. `git archive` of a clone)
"""
import argparse
import json
import os
import resource
import sys
import time
import types


def stub_modules():
    apex = types.ModuleType("apex")
    apex.amp = types.ModuleType("apex.amp")
    apex.parallel = types.ModuleType("apex.parallel")
    apex.parallel.DistributedDataParallel = object
    tbx = types.ModuleType("tensorboardX")
    tbx.SummaryWriter = object
    sys.modules.update({"apex": apex, "apex.amp": apex.amp, "apex.parallel": apex.parallel,
                        "tensorboardX": tbx})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", required=True)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8, help="per domain")
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--precision", default="fp32", help="comma-separated: fp32, tf32, bf16, fp16")
    a = ap.parse_args()
    precisions = a.precision.split(",")
    for p in precisions:
        if p not in ("fp32", "tf32", "bf16", "fp16"):
            ap.error("unknown precision '%s'" % p)
        if p == "tf32" and a.device == "cpu":
            ap.error("--precision tf32 needs --device cuda")

    import contextlib
    import torch
    torch.set_num_threads(a.threads)
    if a.device == "cuda" and not torch.cuda.is_available():
        sys.exit("bench_reference: --device cuda but torch sees no GPU")
    torch.manual_seed(0)
    stub_modules()
    sys.path.insert(0, os.path.abspath(a.ref))
    sys.argv = ["finetune_multi_domain.py", "--task", "amazon_review", "--use_graph", "--hierarchical",
                "--lowercase", "--teacher_model_name", "meta_bert", "--student_model_name", "meta_tinybert",
                "--batch_size", str(a.batch), "--max_seq_len", str(a.seq), "--gpu_devices", ""]
    import finetune_multi_domain as ref
    from models import select_model, select_config, MetaGraph
    from utils import create_optimizer, create_scheduler

    args = ref.args
    gpu = a.device == "cuda"
    args.use_gpu = gpu
    args.writer = types.SimpleNamespace(add_scalar=lambda *a, **k: None)  # tensorboard, off
    args.all_domains = ref.all_amazon_review_domains
    args.domains_to_ids = ref.amazon_review_domains_to_ids
    args.ids_to_domains = {v: k for k, v in args.domains_to_ids.items()}
    D = len(args.all_domains)
    tcfg = select_config("meta_bert", True)
    scfg = select_config("meta_tinybert", True)
    teachers = [select_model("meta_bert", True, "amazon_review", return_hid=True).eval() for _ in range(D)]
    student = select_model("meta_tinybert", True, "amazon_review", return_hid=True)
    args.teacher_interval = tcfg.num_layers // scfg.num_layers
    args.num_student_layers = scfg.num_layers
    args.student_config = scfg
    args.meta_graph = MetaGraph(tcfg.hidden_size, scfg.num_layers + 1, D, True)
    if gpu:
        teachers = [t.cuda() for t in teachers]
        student = student.cuda()
        args.meta_graph = args.meta_graph.cuda()

    B, T = a.batch, a.seq
    g = torch.Generator().manual_seed(1)
    batches = []
    for d in range(D):
        tok = torch.randint(1000, tcfg.vocab_size, (B, T), generator=g)
        seg = torch.zeros(B, T, dtype=torch.long)
        pos = torch.arange(T).unsqueeze(0).repeat(B, 1)
        mask = torch.ones(B, T, dtype=torch.long)
        for i in range(B):
            mask[i, T - (i % 8):] = 0  # a little padding, as hrkd's bench
        batches.append((tok, seg, pos, mask))

    def sync():
        if gpu:
            torch.cuda.synchronize()

    def measure(precision):
        if gpu:
            m = torch.backends.cuda.matmul
            if hasattr(m, "fp32_precision"):  # PyTorch >= 2.9; mixing it with allow_tf32 is an error
                m.fp32_precision = "tf32" if precision == "tf32" else "ieee"
            else:
                m.allow_tf32 = precision == "tf32"
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
        autocast = (lambda: torch.autocast(a.device, dtype=dtype)) if dtype else contextlib.nullcontext
        scaler = torch.amp.GradScaler(a.device) if precision == "fp16" else None
        optimizer = create_optimizer(student, "adamw", 5e-5, 0.01)
        total = a.warmup + a.steps
        scheduler = create_scheduler(optimizer, "step", total, int(0.1 * total))
        times = []
        student.train()
        for s in range(total):
            sync()
            t0 = time.perf_counter()
            tea_out, stu_out = [], []
            with autocast():
                for d, data in enumerate(batches):
                    tok, seg, pos, mask = [x.cuda() for x in data] if gpu else data
                    with torch.no_grad():
                        tea_out.append(teachers[d](tok, seg, pos, mask, d))
                    stu_out.append(student(tok, seg, pos, mask, d))
                loss, _, _ = ref.calc_total_losses(tea_out, stu_out)
            optimizer.zero_grad()
            if scaler:
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(student.parameters(), args.max_grad_norm)
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                torch.nn.utils.clip_grad_norm_(student.parameters(), args.max_grad_norm)
                optimizer.step()
            scheduler.step()
            loss.item()  # the reference's loop keeps a running average of the loss
            sync()
            if s >= a.warmup:
                times.append(time.perf_counter() - t0)
        times.sort()
        med = times[len(times) // 2]
        name = "cpu" if not gpu else torch.cuda.get_device_name(0)
        print(json.dumps({"implementation": "reference (cheneydon/hrkd, PyTorch %s)" % torch.__version__,
                          "device": name, "precision": precision,
                          "domains": D, "batch_per_domain": B, "seq": T, "threads": a.threads,
                          "teacher": "BERT-base x%d" % D, "student": "TinyBERT 4L-312",
                          "steps": a.steps, "step_ms_median": round(1000 * med, 2),
                          "examples_per_s": round(D * B / med, 2),
                          "step_ms_all": [round(1000 * t, 2) for t in times],
                          "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}),
              flush=True)

    failed = []
    for p in precisions:
        try:
            measure(p)
        except Exception as e:  # the other precisions still get measured
            print("bench_reference: %s failed: %s: %s" % (p, type(e).__name__, e), file=sys.stderr, flush=True)
            failed.append(p)
    if failed:
        sys.exit("bench_reference: failed: " + ", ".join(failed))


if __name__ == "__main__":
    main()
