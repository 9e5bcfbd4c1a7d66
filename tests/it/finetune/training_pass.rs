//! The training pass and record encoding against the PEFT reference: loss, gradients, AdamW.

use super::*;

fn reference(name: &str) -> Value {
    crate::generate::reference(&format!("train/{name}"))
}

/// The reference batch: the four records' ids and label masks as `lora_train.json` gives them.
fn reference_batch(r: &Value) -> Batch {
    let mut b = Batch::default();
    for rec in r["encoded"].as_array().unwrap() {
        let mask: Vec<bool> = rec["label_mask"].as_array().unwrap().iter().map(|v| v.as_u64() == Some(1)).collect();
        b.push(&ids(&rec["ids"]), &mask);
    }
    b
}

fn l2(v: &[f32]) -> f64 {
    v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>().sqrt()
}

/// Every precision `hfx finetune` offers for f32 weights (`high`, the default, on AMX tiles
/// where the CPU has them) meets the reference's tolerances; `medium` (one bf16 product) is
/// checked against its own, looser bounds.
const PRECISIONS: [(Precision, f64, f64); 3] =
    [(Precision::Highest, 1e-4, 1e-3), (Precision::High, 1e-4, 1e-3), (Precision::Medium, 1e-2, 1e-1)];

#[test]
fn loss_and_all_120_lora_gradients_match_peft() {
    let r = reference("lora_train.json");
    let mut model = f32_model();
    let (mut set, shape) = adapter::load(&mut model, &start_adapter(), 0.0).unwrap();
    assert_eq!((shape.rank, set.adapters.len()), (8, 60));
    let batch = reference_batch(&r);
    assert_eq!(batch.targets.len() as u64, r["labelled_tokens"].as_u64().unwrap());
    let denom = batch.targets.len() as f64;
    let path = repo_root().join("tests/data/reference/smollm2/train/lora_grad.safetensors");
    let want_grads = candle_core::safetensors::load(path, &candle_core::Device::Cpu).unwrap();
    assert_eq!(want_grads.len(), 120);
    for (precision, loss_tol, grad_tol) in PRECISIONS {
        set.zero_grad();
        let mut t = Trainer { precision, ..Trainer::new(&model, &mut set) };
        let loss = t.step(&batch, denom, true).unwrap() / denom;
        let want = r["loss"].as_f64().unwrap();
        assert!(((loss - want) / want).abs() < loss_tol, "{precision:?}: loss {loss} vs {want}");

        let grads = adapter::grad_tensors(&model, &set).unwrap();
        let mut worst = (0f64, String::new());
        for (name, w) in &want_grads {
            let g = grads.get(name).unwrap_or_else(|| panic!("no gradient for {name}"));
            assert_eq!(g.dims(), w.dims(), "{name}");
            let wv: Vec<f32> = w.flatten_all().unwrap().to_vec1().unwrap();
            let gv: Vec<f32> = g.flatten_all().unwrap().to_vec1().unwrap();
            let diff: Vec<f32> = gv.iter().zip(&wv).map(|(a, b)| a - b).collect();
            let rel = l2(&diff) / l2(&wv);
            if rel > worst.0 {
                worst = (rel, name.clone());
            }
        }
        assert!(worst.0 <= grad_tol, "{precision:?}: worst gradient {}: relative L2 difference {}", worst.1, worst.0);
        let global = set.grad_norm();
        let wg = r["grad_global_norm"].as_f64().unwrap();
        assert!(((global - wg) / wg).abs() < grad_tol, "{precision:?}: global norm {global} vs {wg}");
    }
}

#[test]
fn three_adamw_steps_follow_the_peft_loss_curve() {
    use hfx::train::optim::{Optimizer, OptimizerKind};
    let r = reference("lora_train.json");
    assert_eq!(r["adamw"]["lr"].as_f64(), Some(1e-3));
    let want: Vec<f64> = r["adamw_loss_curve"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let mut model = f32_model();
    let (start, _) = adapter::load(&mut model, &start_adapter(), 0.0).unwrap();
    let batch = reference_batch(&r);
    let denom = batch.targets.len() as f64;
    for (precision, _, tol) in PRECISIONS {
        let mut set = start.clone();
        let mut opt = Optimizer::new(OptimizerKind::AdamW, 0.0);
        let mut curve = Vec::new();
        for step in 0..4 {
            set.zero_grad();
            let mut t = Trainer { precision, ..Trainer::new(&model, &mut set) };
            curve.push(t.step(&batch, denom, step < 3).unwrap() / denom);
            if step < 3 {
                opt.step(&mut set, 1e-3);
            }
        }
        for (i, (got, w)) in curve.iter().zip(&want).enumerate() {
            assert!(((got - w) / w).abs() < tol, "{precision:?}: loss after {i} steps: {got} vs {w} (curve {curve:?})");
        }
    }
}

#[test]
fn the_four_record_shapes_give_the_reference_ids_and_label_masks() {
    use hfx::train::records::{Columns, Encoder, Shape};
    let r = reference("lora_train.json");
    let gguf = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let tok = hfx::models::tokenizer::LoadedTokenizer::from_gguf(&gguf).unwrap();
    let enc = Encoder::new(&tok, 2, Columns::default()).unwrap();
    let shapes = ["messages", "messages", "prompt_completion", "text"];
    for ((rec, want), shape) in
        r["records"].as_array().unwrap().iter().zip(r["encoded"].as_array().unwrap()).zip(shapes)
    {
        let row = rec.as_object().unwrap().clone();
        let detected = Shape::detect(&row, &Columns::default()).unwrap();
        assert_eq!(serde_json::to_value(detected).unwrap(), shape);
        let ex = enc.example(&row, detected).unwrap();
        assert_eq!(ex.ids, ids(&want["ids"]), "{shape}");
        let mask: Vec<bool> = want["label_mask"].as_array().unwrap().iter().map(|v| v.as_u64() == Some(1)).collect();
        assert_eq!(ex.labels, mask, "{shape}");
        assert_eq!(ex.labelled() as u64, want["labelled"].as_u64().unwrap());
    }
}
