"""Hugging Face transformers as an independent peer on the same card.

  hf-peer.py MODEL_DIR GEMMA4J.npy 2,651,...
      logits of a gemma4j test model folder (float32) next to gemma4j's .npy for the same tokens.

  hf-peer.py speed synthetic-2b|synthetic-7b PROMPT_TOKENS NEW_TOKENS LONG_PROMPT_TOKENS
      batch-1 speed of a Gemma of that shape with random fp16 weights made on the GPU, counted as
      `gemma4j bench` counts it: prefill tokens/s of a PROMPT_TOKENS prompt (logits of its last token
      only), the first new token from that prefill, then NEW_TOKENS - 1 greedy decode steps with the
      KV cache (decode tokens/s); then prefill tokens/s of a LONG_PROMPT_TOKENS prompt. One warm-up of
      each shape runs first. Prompts are random ids (torch seed 1234) after BOS.

Whatever goes wrong, the last line printed says what (gpu-check's summary shows the last line).
"""
import sys
import time

try:
    import torch
except ImportError as e:
    sys.exit(f"hf-peer.py: PyTorch is not importable here ({e})")


def with_dtype(make, dtype):
    """make(dtype=...), or make(torch_dtype=...) where transformers predates 4.56's `dtype`; the dtype is checked."""
    try:
        model = make(dtype=dtype)
    except TypeError as e:
        if "dtype" not in str(e):
            raise
        model = make(torch_dtype=dtype)
    found = next(model.parameters()).dtype
    if found != dtype:
        raise RuntimeError(f"asked transformers for {dtype} weights, got {found}")
    return model


def logits(model_dir, npy, ids):
    import numpy as np
    import transformers
    from transformers import GemmaForCausalLM

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = with_dtype(lambda **d: GemmaForCausalLM.from_pretrained(model_dir, **d), torch.float32).to(device).eval()
    with torch.no_grad():
        hf = model(torch.tensor([ids], device=device)).logits[0].float().cpu().numpy()
    ours = np.load(npy)
    rel = np.linalg.norm(ours - hf) / np.linalg.norm(hf)
    same_argmax = int((ours.argmax(-1) == hf.argmax(-1)).sum())
    print(f"relative logits error {rel:.3e}, argmax agrees at {same_argmax} of {len(ids)} positions"
          f" ({device}, transformers {transformers.__version__})", flush=True)


# The shapes of google/gemma-2b and google/gemma-7b (gemma4j's GemmaConfig.gemma2B / gemma7B).
SHAPES = {
    "synthetic-2b": dict(hidden_size=2048, intermediate_size=16384, num_hidden_layers=18,
                         num_attention_heads=8, num_key_value_heads=1),
    "synthetic-7b": dict(hidden_size=3072, intermediate_size=24576, num_hidden_layers=28,
                         num_attention_heads=16, num_key_value_heads=16),
}


def speed(name, prompt_tokens, new_tokens, long_prompt_tokens):
    import inspect

    import transformers
    from transformers import GemmaConfig, GemmaForCausalLM

    if name not in SHAPES:
        sys.exit(f"hf-peer.py speed: model must be one of {sorted(SHAPES)}, found '{name}'")
    if prompt_tokens < 1 or new_tokens < 2 or long_prompt_tokens < 1:
        sys.exit(f"hf-peer.py speed: needs PROMPT_TOKENS >= 1, NEW_TOKENS >= 2, LONG_PROMPT_TOKENS >= 1; found "
                 f"{prompt_tokens}, {new_tokens}, {long_prompt_tokens}")
    if not torch.cuda.is_available():
        sys.exit("hf-peer.py speed: PyTorch sees no CUDA device (torch %s)" % torch.__version__)
    config = GemmaConfig(vocab_size=256000, head_dim=256, hidden_activation="gelu_pytorch_tanh",
                         max_position_embeddings=8192, rms_norm_eps=1e-6, rope_theta=10000.0, **SHAPES[name])
    torch.manual_seed(1234)
    with torch.device("cuda"):
        model = with_dtype(lambda **d: GemmaForCausalLM._from_config(config, **d), torch.float16).eval()
    # Only the last prompt token's logits, as gemma4j computes them (the argument's name changed in 4.50).
    params = inspect.signature(model.forward).parameters
    keep = {k: 1 for k in ("logits_to_keep", "num_logits_to_keep") if k in params}
    gen = torch.Generator(device="cuda").manual_seed(1234)

    def prompt(n):
        ids = torch.randint(1000, 256000, (1, n), device="cuda", generator=gen)
        ids[0, 0] = 2
        return ids

    def prefill(ids):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = model(ids, use_cache=True, **keep)
        token = out.logits[:, -1].argmax(-1, keepdim=True)
        torch.cuda.synchronize()
        return out.past_key_values, token, time.perf_counter() - t0

    def decode(past, token, steps):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(steps):
            out = model(token, past_key_values=past, use_cache=True)
            past = out.past_key_values
            token = out.logits[:, -1].argmax(-1, keepdim=True)
        torch.cuda.synchronize()
        return time.perf_counter() - t0

    with torch.inference_mode():
        past, token, _ = prefill(prompt(prompt_tokens))          # warm-up
        decode(past, token, min(3, new_tokens - 1))
        past, token, t_prefill = prefill(prompt(prompt_tokens))
        t_decode = decode(past, token, new_tokens - 1)
        prefill(prompt(long_prompt_tokens))                       # warm-up of the long shape
        _, _, t_long = prefill(prompt(long_prompt_tokens))
    attn = getattr(model.config, "_attn_implementation", "unknown")
    print(f"{name} batch 1: decode {(new_tokens - 1) / t_decode:.1f} tok/s ({prompt_tokens}+{new_tokens}), prefill "
          f"{prompt_tokens / t_prefill:.0f} tok/s ({prompt_tokens} tokens), {long_prompt_tokens / t_long:.0f} tok/s "
          f"({long_prompt_tokens} tokens); transformers {transformers.__version__}, torch {torch.__version__}, "
          f"{attn} attention, fp16, {torch.cuda.get_device_name()}", flush=True)


def main(argv):
    if len(argv) == 6 and argv[1] == "speed":
        speed(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    elif len(argv) == 4:
        logits(argv[1], argv[2], [int(t) for t in argv[3].split(",")])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit("hf-peer.py: expected MODEL_DIR GEMMA4J.npy IDS or speed MODEL PROMPT NEW LONG, found %d arguments"
                 % (len(argv) - 1))


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Exception as e:  # the traceback, then one line saying what failed
        import traceback
        traceback.print_exc()
        sys.stdout.flush()
        detail = str(e).strip().splitlines()
        sys.exit(f"hf-peer.py {' '.join(sys.argv[1:3])}: {type(e).__name__}: {detail[0] if detail else ''}")
