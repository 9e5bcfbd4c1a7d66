//! The adapter folder's README.md: a Hub model card whose YAML header the Hub reads
//! (`base_model`, `library_name: peft`, tags, datasets) plus the run's settings and losses.

use super::adapter::LoraShape;
use super::run::{Summary, TrainOptions};

/// What the card describes.
pub struct CardInput<'a> {
    pub base_model: &'a str,
    pub name: &'a str,
    pub dataset: Option<&'a str>,
    pub shape: &'a LoraShape,
    pub opts: &'a TrainOptions,
    pub summary: &'a Summary,
    pub train_records: usize,
    pub eval_records: usize,
}

fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "null".into(), |x| format!("{x:.6}"))
}

pub fn model_card(c: &CardInput<'_>) -> String {
    let targets: Vec<&str> = c.shape.targets.iter().map(|m| m.name()).collect();
    let o = c.opts;
    let mut y = String::from("---\n");
    y += &format!("base_model: {}\nlibrary_name: peft\npipeline_tag: text-generation\n", yaml_str(c.base_model));
    y += &format!("tags:\n- {}\n- lora\n- sft\n- hfx\n", yaml_str(&format!("base_model:adapter:{}", c.base_model)));
    if let Some(d) = c.dataset {
        y += &format!("datasets:\n- {}\n", yaml_str(d));
    }
    y += "hfx_training:\n";
    y += &format!(
        "  r: {}\n  lora_alpha: {}\n  lora_dropout: {}\n  use_rslora: {}\n  target_modules: [{}]\n",
        c.shape.rank,
        c.shape.alpha,
        c.shape.dropout,
        c.shape.rslora,
        targets.join(", ")
    );
    y += &format!(
        "  learning_rate: {}\n  lr_scheduler: {}\n  optimizer: {}\n  weight_decay: {}\n  batch_size: {}\n  \
         gradient_accumulation_steps: {}\n  max_seq_len: {}\n  packing: {}\n  steps: {}\n  seed: {}\n",
        o.lr,
        serde_json::to_value(o.schedule).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        serde_json::to_value(o.optimizer).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        o.weight_decay,
        o.batch_size,
        o.grad_accum,
        o.max_seq_len,
        o.packing,
        c.summary.steps,
        o.seed
    );
    y += &format!(
        "  final_train_loss: {}\n  final_eval_loss: {}\n---\n\n",
        num(c.summary.final_loss),
        num(c.summary.final_eval_loss)
    );
    let mut body = format!(
        "# {}\n\nA LoRA adapter for `{}`, trained with `hfx finetune` on {} record(s){}.\n\n",
        c.name,
        c.base_model,
        c.train_records,
        c.dataset.map(|d| format!(" of `{d}`")).unwrap_or_default()
    );
    body += "| | |\n|---|---|\n";
    body += &format!("| rank / alpha / dropout | {} / {} / {} |\n", c.shape.rank, c.shape.alpha, c.shape.dropout);
    body += &format!("| target modules | {} |\n", targets.join(", "));
    body += &format!("| optimizer updates | {} |\n", c.summary.steps);
    body += &format!("| final train loss | {} |\n", num(c.summary.final_loss));
    if c.eval_records > 0 {
        body += &format!("| final eval loss ({} records) | {} |\n", c.eval_records, num(c.summary.final_eval_loss));
    }
    body += &format!(
        "\n## Use\n\n```sh\nhfx run {} --lora ./{} \"Hello\"\n```\n\n```python\nfrom peft import PeftModel\nfrom transformers import AutoModelForCausalLM\n\nbase = AutoModelForCausalLM.from_pretrained({})\nmodel = PeftModel.from_pretrained(base, \"./{}\")\n```\n",
        c.base_model,
        c.name,
        yaml_str(c.base_model),
        c.name
    );
    y + &body
}
