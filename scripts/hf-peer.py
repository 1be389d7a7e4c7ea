"""Hugging Face transformers as an independent peer: logits of a gemma4j test model folder, compared
with gemma4j's .npy for the same tokens. Usage: hf-peer.py MODEL_DIR GEMMA4J.npy 2,651,..."""
import sys

import numpy as np
import torch
from transformers import GemmaForCausalLM

model_dir, npy, ids = sys.argv[1], sys.argv[2], [int(t) for t in sys.argv[3].split(",")]
device = "cuda" if torch.cuda.is_available() else "cpu"
model = GemmaForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32).to(device).eval()
with torch.no_grad():
    hf = model(torch.tensor([ids], device=device)).logits[0].float().cpu().numpy()
ours = np.load(npy)
rel = np.linalg.norm(ours - hf) / np.linalg.norm(hf)
same_argmax = int((ours.argmax(-1) == hf.argmax(-1)).sum())
print(f"relative logits error {rel:.3e}, argmax agrees at {same_argmax} of {len(ids)} positions")
