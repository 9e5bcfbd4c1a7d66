//! PEFT loads hfx's adapters as its own and computes the same logits.

use super::*;

/// The Python with torch, transformers and peft that `scripts/test.sh` installs.
fn peft_python() -> std::path::PathBuf {
    let p = std::env::var_os("HFX_PEFT_PYTHON").map(std::path::PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default();
        home.join(".cache/hfx-ci/venv-peft/bin/python")
    });
    assert!(
        p.is_file(),
        "no Python with torch and peft: run scripts/test.sh (it installs them) or set HFX_PEFT_PYTHON"
    );
    p
}

/// PEFT's view of `adapter` on the f32 transformers folder (`peft_check.py`).
fn peft_outputs(adapter: &std::path::Path, input: &[u32]) -> Value {
    let py = std::process::Command::new(peft_python())
        .arg(repo_root().join("tests/data/peft_check.py"))
        .arg(crate::generate::converted())
        .arg(adapter)
        .arg(serde_json::to_string(input).unwrap())
        .output()
        .unwrap();
    assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
    let peft: Value = serde_json::from_slice(&py.stdout).unwrap();
    for w in peft["warnings"].as_array().unwrap() {
        let w = w.as_str().unwrap().to_lowercase();
        assert!(!w.contains("missing") && !w.contains("unexpected"), "PEFT warned: {w}");
    }
    peft
}

/// `rows` (hfx's logits for `input`) against PEFT's, unmerged and merged, within the
/// reference tolerances (1e-3 on logits and logsumexp, 1e-4 relative on the loss).
fn assert_same_as_peft(rows: &[Vec<f32>], input: &[u32], peft: &Value, what: &str) {
    let mut loss = 0f64;
    for (i, r) in rows.iter().enumerate() {
        let lse = logsumexp(r);
        if i + 1 < rows.len() {
            loss += lse - f64::from(r[input[i + 1] as usize]);
        }
        for variant in ["adapter", "merged"] {
            let p = &peft[variant];
            let want = p["logsumexp"][i].as_f64().unwrap();
            assert!((lse - want).abs() < 1e-3, "{what} {variant} position {i}: logsumexp {lse} vs {want}");
            for (id, want) in p["top5_ids"][i].as_array().unwrap().iter().zip(p["top5_logits"][i].as_array().unwrap()) {
                let got = f64::from(r[id.as_u64().unwrap() as usize]);
                assert!(
                    (got - want.as_f64().unwrap()).abs() < 1e-3,
                    "{what} {variant} position {i} id {id}: {got} vs {want}"
                );
            }
        }
    }
    loss /= (rows.len() - 1) as f64;
    for k in ["loss", "merged_loss"] {
        let want = peft[k].as_f64().unwrap();
        assert!(((loss - want) / want).abs() < 1e-4, "{what} {k}: hfx {loss} vs PEFT {want}");
    }
}

fn logit_rows(m: &Decoder, input: &[u32]) -> Vec<Vec<f32>> {
    m.forward(input, &mut hfx::models::decoder::KvCache::default()).unwrap().squeeze(0).unwrap().to_vec2().unwrap()
}

#[test]
fn peft_loads_hfx_adapters_as_its_own_and_computes_the_same_logits() {
    let env = TestEnv::new();
    let data = env.dir.path().join("chat.jsonl");
    write_chat_set(&data, 12);
    let hf = crate::generate::converted();
    let input = ids(&crate::generate::reference("lora.json")["cases"][0]["input_ids"]);

    // `hfx finetune` on the transformers folder; PEFT computes what `hfx run --lora` does.
    let out = env.dir.path().join("adapter");
    env.ok(&[
        "finetune",
        hf.to_str().unwrap(),
        "--lora",
        "--data",
        data.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--max-steps",
        "2",
        "--batch-size",
        "4",
        "--lr",
        "5e-3",
        "--dropout",
        "0",
        "--target-modules",
        "q_proj,k_proj,v_proj,o_proj",
    ]);
    let mut m = Decoder::from_safetensors(hf, &candle_core::Device::Cpu, WeightDtype::Native).unwrap();
    let base = logit_rows(&m, &input);
    assert_eq!(hfx::models::lora::apply(&mut m, &out).unwrap(), 120);
    let rows = logit_rows(&m, &input);
    let moved = base.last().unwrap().iter().zip(rows.last().unwrap()).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
    assert!(moved > 1e-2, "the trained adapter left the logits unchanged ({moved})");
    assert_same_as_peft(&rows, &input, &peft_outputs(&out, &input), "trained on safetensors");

    // An adapter held in the GGUF model's row order (q/k as llama.cpp permutes them), applied
    // as training applies it, then saved: PEFT on the transformers weights must compute the
    // same function, so the saved q/k rows are back in transformers' order.
    let mut g = f32_model();
    let shape = hfx::train::adapter::LoraShape {
        rank: 8,
        alpha: 16.0,
        dropout: 0.0,
        targets: hfx::train::model::Module::ALL[..4].to_vec(),
        rslora: false,
    };
    let mut set = adapter::init(&g, &shape, 3).unwrap();
    for (i, ad) in set.adapters.iter_mut().enumerate() {
        ad.b.value.iter_mut().enumerate().for_each(|(k, v)| *v = (((i * 31 + k * 17) % 13) as f32 - 6.0) * 2e-3);
    }
    for ad in &set.adapters {
        let t = |p: &hfx::train::model::Param| {
            candle_core::Tensor::from_vec(p.value.clone(), (p.rows, p.cols), &candle_core::Device::Cpu).unwrap()
        };
        let l = &mut g.layers[ad.layer];
        let lin = match ad.module {
            hfx::train::model::Module::Q => &mut l.q,
            hfx::train::model::Module::K => &mut l.k,
            hfx::train::model::Module::V => &mut l.v,
            _ => &mut l.o,
        };
        lin.lora = Some(hfx::models::decoder::Lora { a: t(&ad.a), b: t(&ad.b), scale: 2.0 });
    }
    let rows = logit_rows(&g, &input);
    let saved = env.dir.path().join("from-gguf");
    adapter::save(&g, &set, &shape, &Default::default(), &saved).unwrap();
    assert_same_as_peft(&rows, &input, &peft_outputs(&saved, &input), "held in GGUF order");
}
