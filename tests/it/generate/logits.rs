//! The f32 decoder's greedy ids and full-sequence logits against transformers.

use super::*;

#[test]
fn greedy_ids_match_transformers() {
    let m = model();
    let r = reference("greedy.json");
    for case in r["cases"].as_array().unwrap() {
        let prompt = ids(&case["prompt_ids"]);
        let want = ids(&case["generated_ids"]);
        let mut cache = KvCache::new(m.layers.len());
        let mut next = argmax(&Decoder::last_logits(&m.forward(&prompt, &mut cache).unwrap()).unwrap());
        let mut got = Vec::new();
        while got.len() < 32 && next != 2 {
            got.push(next);
            next = argmax(&Decoder::last_logits(&m.forward(&[next], &mut cache).unwrap()).unwrap());
        }
        assert_eq!(got, want, "prompt {:?}", case["prompt"]);
        assert_eq!(next == 2, case["finish_reason"] == "eos");
    }
}

#[test]
fn full_sequence_logits_match_transformers() {
    let m = model();
    let r = reference("logits.json");
    for seq in r["cases"].as_array().unwrap() {
        let input = ids(&seq["input_ids"]);
        let mut cache = KvCache::new(m.layers.len());
        let logits = m.forward(&input, &mut cache).unwrap().squeeze(0).unwrap();
        let rows: Vec<Vec<f32>> = logits.to_vec2().unwrap();
        let near: Vec<u64> = seq["near_tie_positions"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        for pos in seq["positions"].as_array().unwrap() {
            let p = pos["pos"].as_u64().unwrap() as usize;
            let row = &rows[p];
            let top: Vec<u32> = ids(&pos["top5_ids"]);
            let want: Vec<f64> = pos["top5_logits"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
            for (id, w) in top.iter().zip(&want) {
                let got = f64::from(row[*id as usize]);
                assert!((got - w).abs() < 1e-3, "position {p}: logit of {id} {got} vs {w}");
            }
            let mut order: Vec<usize> = (0..row.len()).collect();
            order.sort_by(|a, b| row[*b].total_cmp(&row[*a]));
            let mine: Vec<u32> = order[..5].iter().map(|i| *i as u32).collect();
            if !near.contains(&(p as u64)) {
                assert_eq!(mine, top, "top-5 at position {p}");
            }
            assert!((logsumexp(row) - pos["logsumexp"].as_f64().unwrap()).abs() < 1e-3, "logsumexp at {p}");
        }
        // Mean causal-LM cross-entropy over the n-1 predicted positions: within 1e-4 relative.
        let n = input.len();
        let loss: f64 =
            (0..n - 1).map(|i| logsumexp(&rows[i]) - f64::from(rows[i][input[i + 1] as usize])).sum::<f64>()
                / (n - 1) as f64;
        let want = seq["loss"].as_f64().unwrap();
        assert!(((loss - want) / want).abs() < 1e-4, "loss {loss} vs {want}");
    }
}
