//! Q4_1 blocks against their f32 dequantization and llama.cpp's text; Q4_0 against candle's kernels;
//! Qwen2.5-Coder-0.5B Q4_K_M (K-quant kernels) against llama.cpp's text.

use super::*;

/// The Q4_1 blocks kept quantized (hfx's kernels: activations quantized to 8 bits) against the
/// same blocks dequantized to f32: close logits, same top token almost everywhere, and a third
/// of the memory.
#[test]
fn quantized_q4_1_path_matches_its_dequantized_f32_forward() {
    let (q, f) = (q4_1(), model());
    assert!(q.weight_bytes() * 5 < f.weight_bytes(), "{} vs {}", q.weight_bytes(), f.weight_bytes());
    let (mut agree, mut total) = (0, 0);
    each_position(&q, &f, |x, y, spread| {
        // Relative to the largest logit. Each quantized matmul is within 0.3-0.7% of the
        // dequantized one (8-bit activations, as llama.cpp quantizes them); through 30 layers
        // that grows to 1.5-10% of the largest logit on these prompts.
        let d = x.iter().zip(y).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
        assert!(d < 0.12 * spread, "max diff {d} vs largest logit {spread}");
        agree += usize::from(argmax(x) == argmax(y));
        total += 1;
    });
    assert!(agree * 100 >= total * 90, "top-1 agrees at {agree}/{total} positions");
}

/// hfx's Q4_0 kernels against candle's (llama.cpp's Q4_0 x Q8_0 dot products) on the same
/// blocks, end to end: a Q4_0 export of SmolLM2 (`hfx convert --quant q4_0`, every matrix Q4_0
/// as llama-quantize makes them) loaded twice, the second copy's matrices handed to candle's
/// quantized matmul. Both round activations to 8 bits the same way, so only the order of the
/// float sums differs.
#[test]
fn q4_0_kernels_give_candles_logits() {
    use candle_core::quantized::{GgmlDType, QTensor};
    use hfx::models::decoder::Weight;
    let env = TestEnv::new();
    let out = env.dir.path().join("smollm2.Q4_0.gguf");
    env.ok(&["convert", converted().to_str().unwrap(), out.to_str().unwrap(), "--to", "gguf", "--quant", "q4_0"]);
    let ours = Decoder::from_gguf(&out, &candle_core::Device::Cpu, WeightDtype::Native).unwrap();
    let mut theirs = Decoder::from_gguf(&out, &candle_core::Device::Cpu, WeightDtype::Native).unwrap();
    let mut handed = 0;
    for layer in &mut theirs.layers {
        for lin in
            [&mut layer.q, &mut layer.k, &mut layer.v, &mut layer.o, &mut layer.gate, &mut layer.up, &mut layer.down]
        {
            assert!(matches!(lin.weight, Weight::Packed(_)), "a Q4_0 matrix is on hfx's kernels");
            // Quantizing the dequantized blocks gives the same blocks back.
            let w = lin.weight.to_f32().unwrap();
            let q = QTensor::quantize(&w, GgmlDType::Q4_0).unwrap();
            assert_eq!(
                q.dequantize(&candle_core::Device::Cpu).unwrap().to_vec2::<f32>().unwrap(),
                w.to_vec2::<f32>().unwrap()
            );
            lin.weight = Weight::Quant(std::sync::Arc::new(q));
            handed += 1;
        }
    }
    assert_eq!(handed, 30 * 7);
    // AMX's tile kernels (prompts on Sapphire Rapids and later) sum each product in one piece
    // where llama.cpp and candle sum eight lanes: float rounding apart, which moves some 8-bit
    // activation roundings of the next layer, so they are held to the bound of an 8-bit
    // activation path (as Q4_1 against f32 above), the VNNI/AVX2 kernels to rounding.
    let amx = hfx::models::decoder::packed::amx_active();
    let (mut agree, mut total) = (0, 0);
    each_position(&ours, &theirs, |x, y, spread| {
        let d = x.iter().zip(y).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
        let bound = if amx { 0.12 } else { 1e-3 };
        assert!(d < bound * spread, "max diff {d} vs largest logit {spread} (AMX: {amx})");
        agree += usize::from(argmax(x) == argmax(y));
        total += 1;
    });
    let needed = if amx { total * 90 / 100 } else { total };
    assert!(agree >= needed, "top-1 agrees at {agree}/{total} positions (AMX: {amx})");
}

/// `check(a_row, b_row, largest |logit| of b_row)` at every position of the reference prompts.
fn each_position(a: &Decoder, b: &Decoder, mut check: impl FnMut(&[f32], &[f32], f32)) {
    let logits = |m: &Decoder, input: &[u32]| -> Vec<Vec<f32>> {
        m.forward(input, &mut KvCache::new(30)).unwrap().squeeze(0).unwrap().to_vec2().unwrap()
    };
    for seq in reference("logits.json")["cases"].as_array().unwrap() {
        let input = ids(&seq["input_ids"]);
        for (x, y) in logits(a, &input).iter().zip(&logits(b, &input)) {
            check(x, y, y.iter().fold(0f32, |m, v| m.max(v.abs())));
        }
    }
}

/// Greedy text from the Q4_1 blocks, quantized activations and all, is what llama.cpp writes for
/// the same file: `llama-simple -m SmolLM2-135M-Instruct.Q4_1.gguf -n 32 "The capital of France
/// is"` (llama.cpp vendored in llama-cpp-python 0.3.36, built here with cmake; 32 tokens). With
/// the kernels that sum as llama.cpp's do: AMX's (`HFX_AMX=1`) diverge after 12 tokens ("321
/// million").
#[test]
fn quantized_q4_1_greedy_text_matches_llama_cpp() {
    let env = TestEnv::new();
    let g = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let args = ["run", g.to_str().unwrap(), "The capital of France is", "--raw", "--temperature", "0"];
    let out = env.hfx().args(args).args(["--max-new-tokens", "32", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out: Value = serde_json::from_slice(&out.stdout).unwrap();
    let llama_cpp = " Paris.\n\nThe United States has a population of approximately 311 million people.\n\n\
                     The United States has a population of approximately 31";
    assert_eq!(out["text"], llama_cpp);
    assert_eq!(out["token_ids"].as_array().unwrap().len(), 32);
}

/// Greedy text of Qwen2.5-Coder-0.5B-Instruct Q4_K_M (its `ffn_down` matrices are Q4_K and Q6_K,
/// run in hfx's K-quant kernels with llama.cpp's Q8_K activations) is what llama.cpp writes for
/// the same file: `llama-simple -m qwen2.5-coder-0.5b-instruct-q4_k_m.gguf -n 48 "The capital of
/// France is"` (llama.cpp vendored in llama-cpp-python 0.3.36). candle's K-quant kernels, which
/// ran these matrices before, parted from it after two tokens (" Paris. The capital of the
/// United States ...").
#[test]
fn qwen_q4_k_m_greedy_text_matches_llama_cpp() {
    let env = TestEnv::new();
    let q = fixtures_dir().join("qwen/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf");
    assert!(q.is_file(), "no Qwen fixture: run `scripts/fetch-fixtures.sh --qwen` (scripts/test.sh does it)");
    let args = ["run", q.to_str().unwrap(), "The capital of France is", "--raw", "--temperature", "0"];
    let out = env.hfx().args(args).args(["--max-new-tokens", "48", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out: Value = serde_json::from_slice(&out.stdout).unwrap();
    let llama_cpp = " Paris. Paris is located in the northwestern part of France. The capital of France is located \
                     in the northwestern part of France. Paris is located in the northwestern part of France. Paris \
                     is located in the northwestern part of France";
    assert_eq!(out["text"], llama_cpp);
    assert_eq!(out["token_ids"].as_array().unwrap().len(), 48);
}
