"""The torch side of bench/lockstep-vs-torch.sh: one training run in PyTorch that Anvil repeats.

Written for Anvil (not taken from nanoGPT or Hugging Face): the two model families of Anvil's
`Transformer` in plain torch ops, in the math of their references —
  gpt2:  nanoGPT's GPT (learned positions, LayerNorm without biases, erf GELU MLP 4·C, tied head);
  llama: Llama (RMSNorm, RoPE in the rotate-half layout, SwiGLU, untied or tied head).
It draws the initial weights (N(0, 0.02), residual projections N(0, 0.02/√(2L)), norms 1) and the
batch window starts, trains with torch.optim.AdamW (decay on matrices and embeddings only),
clip_grad_norm_ and Anvil's warmup + cosine schedule, and writes into OUT:
  init.safetensors   the initial weights in Anvil's tensor names (GPT-2 matrices as HF Conv1D [in, out])
  train.u16 val.u16  the character-level ids of the corpus (sorted characters; first 90% / last 10%)
  starts.i32         steps × B window starts into train.u16
  torch.txt          per step: loss, gradient norm; then the mean loss over the whole val split
                     (torch-float64.txt with DTYPE=float64: the same run in double precision, to
                     see how far float32 rounding alone moves a run from the exact one)

usage: lockstep_torch.py gpt2|llama CORPUS OUT SEED STEPS D_FF TIED(true|false)
"""
import json, math, os, struct, sys
import numpy as np
import torch
import torch.nn.functional as F

arch, corpus, out, seed, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
# The shakespeare-char recipe: 4 layers, 4 heads, 128 wide, block 64, batch 12, lr 1e-3 -> 1e-4
# cosine over 2000 steps after 100 warmup steps, AdamW betas (0.9, 0.99), weight decay 0.1, clip 1.
L, H, C, T, B = 4, 4, 128, 64, 12
PEAK, FLOOR, WARMUP, TOTAL, WD, BETAS, CLIP = 1e-3, 1e-4, 100, 2000, 0.1, (0.9, 0.99), 1.0
FF, TIED = int(sys.argv[6]), sys.argv[7] == "true"
torch.set_num_threads(int(os.environ.get("THREADS", "2")))
torch.manual_seed(seed)

text = open(corpus, encoding="utf-8").read()
chars = sorted(set(text))
V = len(chars)
lookup = {c: i for i, c in enumerate(chars)}
data = np.fromiter((lookup[c] for c in text), dtype=np.uint16, count=len(text))
split = int(0.9 * len(data))
train, val = data[:split], data[split:]
train.tofile(f"{out}/train.u16")
val.tofile(f"{out}/val.u16")

D = C // H
P = {}  # name -> Parameter, in Anvil's names, every matrix as torch.nn.Linear's [out, in]
def normal(name, *shape, std=0.02):
    P[name] = torch.nn.Parameter(torch.randn(*shape) * std)
def ones(name, n):
    P[name] = torch.nn.Parameter(torch.ones(n))
resid = 0.02 / math.sqrt(2 * L)
if arch == "gpt2":
    normal("wte.weight", V, C); normal("wpe.weight", T, C)
    for l in range(L):
        p = f"h.{l}."
        ones(p + "ln_1.weight", C); normal(p + "attn.c_attn.weight", 3 * C, C); normal(p + "attn.c_proj.weight", C, C, std=resid)
        ones(p + "ln_2.weight", C); normal(p + "mlp.c_fc.weight", FF, C); normal(p + "mlp.c_proj.weight", C, FF, std=resid)
    ones("ln_f.weight", C)
else:
    normal("model.embed_tokens.weight", V, C)
    for l in range(L):
        p = f"model.layers.{l}."
        ones(p + "input_layernorm.weight", C)
        for n in "qkv":
            normal(p + f"self_attn.{n}_proj.weight", C, C)
        normal(p + "self_attn.o_proj.weight", C, C, std=resid)
        ones(p + "post_attention_layernorm.weight", C)
        normal(p + "mlp.gate_proj.weight", FF, C); normal(p + "mlp.up_proj.weight", FF, C); normal(p + "mlp.down_proj.weight", C, FF, std=resid)
    ones("model.norm.weight", C)
    if not TIED:
        normal("lm_head.weight", V, C)

header, blobs, offset = {}, [], 0
for name, p in P.items():
    a = p.detach().numpy().astype(np.float32)
    if arch == "gpt2" and name.endswith(("c_attn.weight", "c_proj.weight", "c_fc.weight")):
        a = a.T  # Hugging Face GPT-2's Conv1D layout
    b = np.ascontiguousarray(a).tobytes()
    header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
    offset += len(b); blobs.append(b)
h = json.dumps(header).encode()
h += b" " * (-len(h) % 8)
with open(f"{out}/init.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h))); f.write(h)
    for b in blobs:
        f.write(b)

DTYPE = os.environ.get("DTYPE", "float32")
if DTYPE == "float64":
    for p in P.values():
        p.data = p.data.double()
    torch.set_default_dtype(torch.float64)
causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
def attention(q, k, v):  # [b, H, t, D] each
    t = q.shape[2]
    a = (q @ k.transpose(-2, -1)) / math.sqrt(D)
    return a.masked_fill(~causal[:t, :t], float("-inf")).softmax(-1) @ v

inv_freq = 10000.0 ** (-torch.arange(0, D, 2, dtype=torch.get_default_dtype()) / D)
angles = torch.outer(torch.arange(T, dtype=torch.get_default_dtype()), inv_freq)
COS, SIN = torch.cat([angles, angles], -1).cos(), torch.cat([angles, angles], -1).sin()
def rope(x):
    t = x.shape[2]
    rotated = torch.cat([-x[..., D // 2:], x[..., :D // 2]], -1)
    return x * COS[:t] + rotated * SIN[:t]
def rms_norm(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w
def heads(x, b, t):
    return x.view(b, t, H, D).transpose(1, 2)

def logits(idx):
    b, t = idx.shape
    if arch == "gpt2":
        x = P["wte.weight"][idx] + P["wpe.weight"][:t]
        for l in range(L):
            p = f"h.{l}."
            q, k, v = F.linear(F.layer_norm(x, (C,), P[p + "ln_1.weight"], None, 1e-5), P[p + "attn.c_attn.weight"]).split(C, -1)
            y = attention(heads(q, b, t), heads(k, b, t), heads(v, b, t)).transpose(1, 2).reshape(b, t, C)
            x = x + F.linear(y, P[p + "attn.c_proj.weight"])
            hidden = F.gelu(F.linear(F.layer_norm(x, (C,), P[p + "ln_2.weight"], None, 1e-5), P[p + "mlp.c_fc.weight"]))
            x = x + F.linear(hidden, P[p + "mlp.c_proj.weight"])
        return F.linear(F.layer_norm(x, (C,), P["ln_f.weight"], None, 1e-5), P["wte.weight"])
    x = P["model.embed_tokens.weight"][idx]
    for l in range(L):
        p = f"model.layers.{l}."
        n1 = rms_norm(x, P[p + "input_layernorm.weight"])
        q, k, v = (heads(F.linear(n1, P[p + f"self_attn.{n}_proj.weight"]), b, t) for n in "qkv")
        y = attention(rope(q), rope(k), v).transpose(1, 2).reshape(b, t, C)
        x = x + F.linear(y, P[p + "self_attn.o_proj.weight"])
        n2 = rms_norm(x, P[p + "post_attention_layernorm.weight"])
        x = x + F.linear(F.silu(F.linear(n2, P[p + "mlp.gate_proj.weight"])) * F.linear(n2, P[p + "mlp.up_proj.weight"]), P[p + "mlp.down_proj.weight"])
    head = P["model.embed_tokens.weight"] if TIED else P["lm_head.weight"]
    return F.linear(rms_norm(x, P["model.norm.weight"]), head)

def loss_at(d, starts):
    x = torch.stack([torch.from_numpy(d[s:s + T].astype(np.int64)) for s in starts])
    y = torch.stack([torch.from_numpy(d[s + 1:s + 1 + T].astype(np.int64)) for s in starts])
    return F.cross_entropy(logits(x).view(-1, V), y.view(-1))

def lr_at(s):  # Anvil's LearningRateSchedule.warmupCosine
    if s < WARMUP:
        return PEAK * (s + 1) / WARMUP
    progress = (s - WARMUP) / (TOTAL - WARMUP)
    return FLOOR + (PEAK - FLOOR) * 0.5 * (1 + math.cos(math.pi * progress))

starts = np.random.default_rng(seed).integers(0, len(train) - T, size=(steps, B)).astype(np.int32)
starts.tofile(f"{out}/starts.i32")
params = list(P.values())
opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": WD},
                         {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}], lr=PEAK, betas=BETAS, eps=1e-8)
with open(f"{out}/torch.txt" if DTYPE == "float32" else f"{out}/torch-{DTYPE}.txt", "w") as log:
    for s in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(s)
        loss = loss_at(train, starts[s])
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        opt.zero_grad(set_to_none=True)
        log.write(f"{loss.item():.7f} {norm.item():.7f}\n")
        if (s + 1) % 100 == 0:
            print(f"torch step {s + 1}/{steps} loss {loss.item():.4f}", flush=True)
    with torch.no_grad():
        windows = (len(val) - 1) // T // B
        total = sum(loss_at(val, [(w * B + i) * T for i in range(B)]).item() for w in range(windows))
    log.write(f"val {total / windows:.7f}\n")
