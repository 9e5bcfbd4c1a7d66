//! The LoRA training pass on every architecture: gradients, checkpointing, packing.

use super::*;

/// A LoRA on every projection with random A and B (B not zero, so A gets gradients too).
/// Rank 3, alpha 6, no dropout, on every projection.
fn all_linear() -> hfx::train::adapter::LoraShape {
    let targets = hfx::train::model::Module::ALL.to_vec();
    hfx::train::adapter::LoraShape { rank: 3, alpha: 6.0, dropout: 0.0, targets, rslora: false }
}

fn random_lora(m: &Decoder, seed: u64) -> hfx::train::model::LoraSet {
    let mut set = hfx::train::adapter::init(m, &all_linear(), seed).unwrap();
    for (i, ad) in set.adapters.iter_mut().enumerate() {
        let b = randn(&[ad.b.rows * ad.b.cols], 0.3);
        ad.b.value = b.to_vec1().unwrap();
        if i == 0 {
            ad.b.value[0] += 0.5;
        }
    }
    set
}

fn two_records() -> hfx::train::model::Batch {
    let mut b = hfx::train::model::Batch::default();
    b.push(&PROMPT, &[false, true, true, false, true, true, true]);
    b.push(&[9, 8, 7, 6, 5], &[true; 5]);
    b
}

/// The training pass of `model_type`: its loss equals the inference forward's with the same
/// adapter, every adapter tensor gets a gradient, the gradients agree with central finite
/// differences of the loss, and (llama) the GGUF model, with its q/k rows in llama.cpp's order,
/// gives the same gradients in transformers' order.
fn check_training(model_type: &'static str) {
    use hfx::train::model::Trainer;
    let a = arch(model_type);
    let tmp = tempfile::tempdir().unwrap();
    let w = hf_weights(&a);
    write_hf(tmp.path(), &a, &w);
    let mut m = Decoder::from_safetensors(tmp.path(), &Device::Cpu, WeightDtype::Native).unwrap();
    let mut set = random_lora(&m, 7);
    let batch = two_records();
    let denom = batch.targets.len() as f64;
    let mut t = Trainer { logits_chunk: 4, ..Trainer::new(&m, &mut set) };
    let loss = t.step(&batch, denom, true).unwrap() / denom;

    // The inference forward with the same adapter attached gives the same loss.
    let saved = tmp.path().join("adapter");
    hfx::train::adapter::save(&m, &set, &all_linear(), &Default::default(), &saved).unwrap();
    hfx::models::lora::apply(&mut m, &saved).unwrap();
    let mut want = 0f64;
    for (&(start, len), ids) in batch.spans.iter().zip([&PROMPT[..], &[9, 8, 7, 6, 5][..]]) {
        let rows: Vec<Vec<f32>> =
            m.forward(ids, &mut KvCache::default()).unwrap().squeeze(0).unwrap().to_vec2().unwrap();
        for &(row, tok) in batch.targets.iter().filter(|(r, _)| (start..start + len).contains(r)) {
            let r = &rows[row - start];
            want += crate::generate::logsumexp(r) - f64::from(r[tok as usize]);
        }
    }
    want /= denom;
    assert!((loss - want).abs() < 1e-4 * want.abs().max(1.0), "{model_type}: training loss {loss} vs inference {want}");
    for l in &mut m.layers {
        for p in [&mut l.q, &mut l.k, &mut l.v, &mut l.o, &mut l.gate, &mut l.up, &mut l.down] {
            p.lora = None;
        }
    }

    for ad in &set.adapters {
        for (p, ab) in [(&ad.a, "A"), (&ad.b, "B")] {
            assert!(
                p.grad.iter().any(|g| *g != 0.0),
                "{model_type}: no gradient for layer {} {:?} {ab}",
                ad.layer,
                ad.module
            );
        }
    }
    // Finite differences on the largest-gradient entry of a few tensors.
    let loss_at = |set: &mut hfx::train::model::LoraSet| {
        let mut t = Trainer { logits_chunk: 4, ..Trainer::new(&m, set) };
        t.step(&batch, denom, false).unwrap() / denom
    };
    let picks = [0, 3, set.adapters.len() / 2 + 1, set.adapters.len() - 1];
    for &ai in &picks {
        for which in 0..2 {
            let grad = if which == 0 { set.adapters[ai].a.grad.clone() } else { set.adapters[ai].b.grad.clone() };
            let (k, g) =
                grad.iter().enumerate().fold((0, 0f32), |b, (i, g)| if g.abs() > b.1.abs() { (i, *g) } else { b });
            let eps = 1e-2f32;
            let mut probe = set.clone();
            let base = get_value(&probe, ai, which, k);
            set_value(&mut probe, ai, which, k, base + eps);
            let up = loss_at(&mut probe);
            set_value(&mut probe, ai, which, k, base - eps);
            let down = loss_at(&mut probe);
            let num = (up - down) / (2.0 * f64::from(eps));
            let err = (num - f64::from(g)).abs();
            assert!(
                err <= 2e-2 * num.abs().max(f64::from(g.abs())) + 2e-4,
                "{model_type}: adapter {ai} {} entry {k}: analytic {g} vs finite difference {num}",
                if which == 0 { "A" } else { "B" }
            );
        }
    }

    if model_type == "llama" {
        let gguf = tmp.path().join("model.gguf");
        write_gguf(&gguf, &a, &w);
        let g = Decoder::from_gguf(&gguf, &Device::Cpu, WeightDtype::Native).unwrap();
        assert!(g.config.rope_interleaved);
        // The same adapter in the GGUF model's row order.
        let mut gset = set.clone();
        for ad in &mut gset.adapters {
            let b = Tensor::from_vec(ad.b.value.clone(), (ad.b.rows, ad.b.cols), &Device::Cpu).unwrap();
            ad.b.value = hfx::train::adapter::to_model_order(&g, ad.module, &b)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
        }
        gset.zero_grad();
        let mut t = Trainer { logits_chunk: 4, ..Trainer::new(&g, &mut gset) };
        let gl = t.step(&batch, denom, true).unwrap() / denom;
        assert!((gl - loss).abs() < 1e-4 * loss.abs().max(1.0), "gguf loss {gl} vs {loss}");
        let want = hfx::train::adapter::grad_tensors(&m, &set).unwrap();
        let got = hfx::train::adapter::grad_tensors(&g, &gset).unwrap();
        for (k, w) in &want {
            let d = max_diff(
                &got[k].flatten_all().unwrap().to_vec1().unwrap(),
                &w.flatten_all().unwrap().to_vec1().unwrap(),
            );
            assert!(d < 1e-4, "{k}: GGUF gradient differs by {d}");
        }
    }
}

fn get_value(s: &hfx::train::model::LoraSet, ai: usize, which: usize, k: usize) -> f32 {
    let ad = &s.adapters[ai];
    if which == 0 { ad.a.value[k] } else { ad.b.value[k] }
}

fn set_value(s: &mut hfx::train::model::LoraSet, ai: usize, which: usize, k: usize, v: f32) {
    let ad = &mut s.adapters[ai];
    if which == 0 {
        ad.a.value[k] = v;
    } else {
        ad.b.value[k] = v;
    }
}

#[test]
fn training_gradients_of_every_architecture_match_finite_differences() {
    for model_type in ["llama", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text"] {
        check_training(model_type);
    }
}

#[test]
fn gradient_checkpointing_gives_the_same_loss_and_gradients_with_dropout() {
    use hfx::train::model::Trainer;
    let a = arch("qwen3");
    let (_tmp, m) = tiny_model(&a);
    let mut plain = random_lora(&m, 5);
    plain.dropout = 0.2;
    let mut ckpt = plain.clone();
    let batch = two_records();
    let run = |set: &mut hfx::train::model::LoraSet, checkpoint: bool| {
        Trainer { dropout_seed: Some(11), logits_chunk: 3, checkpoint, ..Trainer::new(&m, set) }
            .step(&batch, 7.0, true)
            .unwrap()
    };
    assert_eq!(run(&mut plain, false), run(&mut ckpt, true));
    for (x, y) in plain.params().zip(ckpt.params()) {
        assert_eq!(x.grad, y.grad);
    }
    // Dropout did something: another seed gives another loss.
    let mut other = plain.clone();
    let l = Trainer { dropout_seed: Some(12), logits_chunk: 3, ..Trainer::new(&m, &mut other) }
        .step(&batch, 7.0, false)
        .unwrap();
    assert_ne!(l, run(&mut plain.clone(), false));
}

/// Records packed into one micro-batch give the loss and gradients they give as separate
/// micro-batches accumulated into one step: each attends only to itself, with its own positions.
#[test]
fn packed_records_give_the_loss_and_gradients_of_separate_micro_batches() {
    use hfx::train::model::{Batch, Trainer};
    let a = arch("gemma2");
    let (_tmp, m) = tiny_model(&a);
    let records: [(&[u32], &[bool]); 3] = [
        (&PROMPT, &[false, true, true, false, true, true, true]),
        (&[9, 8, 7, 6, 5], &[true; 5]),
        (&[4, 40, 44], &[false, false, true]),
    ];
    let denom = 10.0;
    let mut packed = Batch::default();
    for (ids, labels) in records {
        packed.push(ids, labels);
    }
    assert_eq!(packed.targets.len(), 10);
    let mut one = random_lora(&m, 9);
    let mut apart = one.clone();
    let step = |set: &mut hfx::train::model::LoraSet, b: &Batch| {
        Trainer { logits_chunk: 4, ..Trainer::new(&m, set) }.step(b, denom, true).unwrap()
    };
    let together = step(&mut one, &packed);
    let mut sum = 0.0;
    for (ids, labels) in records {
        let mut b = Batch::default();
        b.push(ids, labels);
        sum += step(&mut apart, &b);
    }
    assert!((together - sum).abs() < 1e-5 * sum, "packed {together} vs apart {sum}");
    for (x, y) in one.params().zip(apart.params()) {
        let d = max_diff(&x.grad, &y.grad);
        let scale = y.grad.iter().fold(0f32, |s, v| s.max(v.abs()));
        assert!(d <= 1e-4 * scale.max(1e-3), "gradients differ by {d} (scale {scale})");
    }
}

/// A micro-batch divided between thread pools (`Parts`) gives the whole batch's loss and
/// gradients, with dropout on: each part's masks are numbered by its rows in the whole.
#[test]
fn records_split_between_thread_pools_give_the_whole_batch_loss_and_gradients() {
    use hfx::train::model::{Batch, Trainer};
    use hfx::train::parts::Parts;
    let a = arch("qwen3");
    let (_tmp, m) = tiny_model(&a);
    let mut batch = Batch::default();
    batch.push(&PROMPT, &[false, true, true, false, true, true, true]);
    batch.push(&[9, 8, 7, 6, 5], &[true; 5]);
    batch.push(&[4, 40, 44, 3], &[false, false, true, true]);
    // Split by tokens (7, 5, 4): two parts are [7] and [5, 4], rows renumbered from each part's first.
    let halves = batch.split(2);
    assert_eq!(
        halves.iter().map(|(first, b)| (*first, b.spans.clone())).collect::<Vec<_>>(),
        [(0, vec![(0, 7)]), (7, vec![(0, 5), (5, 4)])]
    );
    assert_eq!(halves[1].1.targets[..2], [(0, 8), (1, 7)]);
    assert_eq!(halves.iter().map(|(_, b)| b.targets.len()).sum::<usize>(), batch.targets.len());
    let mut whole = random_lora(&m, 3);
    whole.dropout = 0.2;
    fn trainer<'a>(m: &'a Decoder, set: &'a mut hfx::train::model::LoraSet) -> Trainer<'a> {
        Trainer { dropout_seed: Some(5), logits_chunk: 3, ..Trainer::new(m, set) }
    }
    let pass = |set: &mut hfx::train::model::LoraSet, b: &Batch, first_row: usize, backward: bool| {
        Trainer { first_row, ..trainer(&m, set) }.step(b, 9.0, backward).unwrap()
    };
    let plain = whole.clone();
    let want = pass(&mut whole, &batch, 0, true);
    for pools in [2, 3] {
        let mut split = plain.clone();
        let mut parts = Parts::new(pools, 3).unwrap();
        let got = parts.step(trainer(&m, &mut split), &batch, 9.0, true).unwrap();
        assert!((got - want).abs() < 1e-6 * want, "{pools} parts: loss {got} vs {want}");
        for (x, y) in whole.params().zip(split.params()) {
            let d = max_diff(&x.grad, &y.grad);
            let scale = x.grad.iter().fold(0f32, |s, v| s.max(v.abs()));
            assert!(d <= 1e-5 * scale.max(1e-3), "{pools} parts: gradients differ by {d} (scale {scale})");
        }
    }
    // The numbering matters: the parts run with rows from 0 each give another loss.
    let from_zero: f64 = halves.iter().map(|(_, b)| pass(&mut plain.clone(), b, 0, false)).sum();
    let numbered: f64 = halves.iter().map(|(first, b)| pass(&mut plain.clone(), b, *first, false)).sum();
    assert!(
        (numbered - want).abs() < 1e-6 * want && (from_zero - want).abs() > 1e-4 * want,
        "{from_zero} {numbered} {want}"
    );
}
