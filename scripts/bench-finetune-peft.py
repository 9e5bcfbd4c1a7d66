"""transformers + PEFT LoRA training on CPU, the yardstick for `hfx finetune` (scripts/bench-finetune.sh).

    python bench-finetune-peft.py MODEL_DIR DATA.jsonl STEPS [BATCH] [SEQ] [bf16]

Text records (`{"text": ...}`), tokenized with the model's tokenizer plus EOS and cut to SEQ
tokens; r=8, alpha 16, dropout 0.05 on q_proj and v_proj; AdamW lr 2e-4; float32 (or, with
`bf16`, the forward under `torch.autocast("cpu", torch.bfloat16)` as TRL's `bf16=True`); 2 threads.
Prints one JSON line: tokens/s over the steps after the first (the first warms up), the
losses, and the peak RSS.
"""

import json
import resource
import sys
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer


def main():
    model_dir, data, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    seq = int(sys.argv[5]) if len(sys.argv) > 5 else 256
    bf16 = len(sys.argv) > 6 and sys.argv[6] == "bf16"
    torch.set_num_threads(2)
    torch.manual_seed(42)
    tok = AutoTokenizer.from_pretrained(model_dir)
    rows = [json.loads(l)["text"] for l in open(data)]
    ids = [(tok(t)["input_ids"] + [tok.eos_token_id])[:seq] for t in rows]
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model = get_peft_model(
        model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
    )
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4, weight_decay=0.0)
    losses, times, tokens = [], [], []
    for step in range(steps):
        chunk = [ids[(step * batch + i) % len(ids)] for i in range(batch)]
        width = max(len(c) for c in chunk)
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        inp = torch.tensor([c + [pad] * (width - len(c)) for c in chunk])
        mask = torch.tensor([[1] * len(c) + [0] * (width - len(c)) for c in chunk])
        labels = inp.masked_fill(mask == 0, -100)
        t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=inp, attention_mask=mask, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t0)
        losses.append(loss.item())
        tokens.append(int(mask.sum()))
    steady = sum(tokens[1:]) / sum(times[1:]) if steps > 1 else tokens[0] / times[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"tokens_per_s": steady, "losses": losses, "peak_rss_bytes": peak}))


if __name__ == "__main__":
    main()
