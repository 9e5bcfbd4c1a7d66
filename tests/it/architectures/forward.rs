//! Batched decode of several sequences, and the tensor ops a LoRA being trained keeps.

use super::*;

/// Several sequences in one step, joining and leaving between steps (continuous batching), give
/// the tokens each gives alone.
#[test]
fn batched_decode_of_several_sequences_matches_each_alone() {
    let a = arch("qwen2");
    let (_tmp, m) = tiny_model(&a);
    let prompts: [&[u32]; 3] = [&[5, 9, 2, 77], &[1], &[3, 3, 8, 100, 42, 7, 11]];
    let steps = 6;
    let argmax = |v: &[f32]| hfx::models::decoder::argmax(v);
    let alone: Vec<(Vec<u32>, Vec<Vec<f32>>)> = prompts
        .iter()
        .map(|p| {
            let mut cache = KvCache::new(m.layers.len());
            let mut logits = m.forward_last(p, &mut cache).unwrap();
            let (mut toks, mut all) = (Vec::new(), vec![logits.clone()]);
            for _ in 0..steps {
                let t = argmax(&logits);
                toks.push(t);
                logits = m.forward_last(&[t], &mut cache).unwrap();
                all.push(logits.clone());
            }
            (toks, all)
        })
        .collect();
    // Sequence 2 joins one step late; sequence 1 leaves two steps early.
    let mut caches: Vec<KvCache> = (0..3).map(|_| KvCache::new(m.layers.len())).collect();
    let mut toks: Vec<Vec<u32>> = vec![Vec::new(); 3];
    let mut pending: Vec<Vec<u32>> = prompts.iter().map(|p| p.to_vec()).collect();
    for round in 0..=steps + 1 {
        let active: Vec<usize> = (0..3)
            .filter(|&i| !(i == 2 && round == 0))
            .filter(|&i| toks[i].len() < if i == 1 { steps - 2 } else { steps })
            .collect();
        if active.is_empty() {
            break;
        }
        let inputs: Vec<Vec<u32>> = active.iter().map(|&i| pending[i].clone()).collect();
        let mut batch: Vec<Step<'_>> = Vec::new();
        let mut rest: &mut [KvCache] = &mut caches;
        let mut offset = 0;
        for (&i, tokens) in active.iter().zip(&inputs) {
            let (head, tail) = rest.split_at_mut(i - offset + 1);
            batch.push(Step { tokens, cache: &mut head[i - offset], adapter: None });
            rest = tail;
            offset = i + 1;
        }
        let out = m.forward_batch(&mut batch, Logits::Last).unwrap();
        drop(batch);
        for (&i, logits) in active.iter().zip(out) {
            let v: Vec<f32> = logits.flatten_all().unwrap().to_vec1().unwrap();
            let step = toks[i].len();
            assert!(max_diff(&v, &alone[i].1[step]) < 1e-4, "sequence {i} step {step}");
            let t = argmax(&v);
            toks[i].push(t);
            pending[i] = vec![t];
        }
    }
    assert_eq!(toks[0], alone[0].0);
    assert_eq!(toks[1], alone[1].0[..steps - 2]);
    assert_eq!(toks[2], alone[2].0);
}

/// With a LoRA adapter being trained (its tensors are `Var`s) the forward pass stays on tensor
/// ops, which record a graph, instead of the fused CPU kernels (prompt attention, decode
/// steps): same logits, for the prompt and token by token. This also keeps the unfused
/// attention (the path GPUs take) tested on the CPU.
#[test]
fn a_lora_being_trained_keeps_tensor_ops_with_the_same_logits() {
    use candle_core::Var;
    // Gemma 2: soft-capping and sliding windows go through the unfused masks too.
    let mut a = arch("gemma2");
    a.config["sliding_window"] = json!(3);
    let (_tmp, mut m) = tiny_model(&a);
    let fused = m.forward(&PROMPT, &mut KvCache::new(m.layers.len())).unwrap();
    let mut cache = KvCache::new(m.layers.len());
    let fused_steps: Vec<Vec<f32>> = PROMPT.iter().map(|&t| m.forward_last(&[t], &mut cache).unwrap()).collect();

    let rank = 4;
    let lora_a = Var::from_tensor(&randn(&[rank, HEADS * HD], 0.1)).unwrap();
    let lora_b = Var::zeros((H, rank), DType::F32, &Device::Cpu).unwrap();
    m.layers[1].o.lora =
        Some(hfx::models::decoder::Lora { a: lora_a.as_tensor().clone(), b: lora_b.as_tensor().clone(), scale: 2.0 });
    let trained = m.forward(&PROMPT, &mut KvCache::new(m.layers.len())).unwrap();
    let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert!(max_diff(&flat(&trained), &flat(&fused)) < 1e-4);
    let mut cache = KvCache::new(m.layers.len());
    for (&t, want) in PROMPT.iter().zip(&fused_steps) {
        let got = m.forward_last(&[t], &mut cache).unwrap();
        assert!(max_diff(&got, want) < 1e-4);
    }
}
