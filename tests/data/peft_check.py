"""Load an hfx-trained LoRA adapter with PEFT and report what transformers computes with it.

    python peft_check.py BASE_DIR ADAPTER_DIR IDS_JSON

BASE_DIR is a transformers folder (f32), ADAPTER_DIR the folder `hfx finetune` wrote, IDS_JSON a
list of token ids. Prints one JSON object: the warnings PEFT and transformers raised while
loading (a missing or unexpected adapter key is one), the causal-LM loss over the ids, and for
every position the top-5 ids and logits and the logsumexp, unmerged and after merge_and_unload().
"""

import json
import logging
import sys
import warnings

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM


def positions(logits):
    top = torch.topk(logits, 5, dim=-1)
    return {
        "top5_ids": top.indices.tolist(),
        "top5_logits": top.values.tolist(),
        "logsumexp": torch.logsumexp(logits, dim=-1).tolist(),
    }


def main():
    base_dir, adapter_dir, ids_json = sys.argv[1:4]
    torch.set_num_threads(2)
    ids = torch.tensor([json.loads(ids_json)])
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.WARNING:
                records.append(record.getMessage())

    logging.getLogger().addHandler(Collect())
    base = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = PeftModel.from_pretrained(base, adapter_dir)
    records.extend(str(w.message) for w in caught)
    model.eval()
    out = {"warnings": records}
    with torch.no_grad():
        r = model(ids, labels=ids)
        out["loss"] = r.loss.item()
        out["adapter"] = positions(r.logits[0])
        merged = model.merge_and_unload()
        r = merged(ids, labels=ids)
        out["merged_loss"] = r.loss.item()
        out["merged"] = positions(r.logits[0])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
