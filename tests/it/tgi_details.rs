//! TGI's `decoder_input_details`: the prompt's tokens with their log-probabilities, checked
//! against the log-probabilities the same model gave those tokens while generating them.

use serde_json::{Value, json};

use crate::common::*;
use crate::serve::{Server, block_on, gguf, post};

#[test]
fn decoder_input_details_give_the_prompts_logprobs_as_generation_scored_them() {
    let env = TestEnv::new();
    let s = Server::start(&env, &gguf(), &[]);
    block_on(async {
        let url = s.at("/generate");
        let ask = |inputs: &str, n: u64| json!({"inputs": inputs, "parameters": {"max_new_tokens": n, "details": true, "decoder_input_details": true}});
        let prompt = "The capital of France is";
        let (status, first) = post(&url, &ask(prompt, 6)).await;
        assert_eq!(status, 200, "{first}");
        let prefill = first["details"]["prefill"].as_array().unwrap();
        let texts: Vec<&str> = prefill.iter().map(|t| t["text"].as_str().unwrap()).collect();
        assert_eq!(texts.concat(), prompt);
        assert!(prefill[0]["logprob"].is_null(), "{first}");
        assert!(prefill[1..].iter().all(|t| t["logprob"].as_f64().unwrap() < 0.0), "{first}");
        // The prompt followed by the answer, scored in one prefill: the answer's tokens get the
        // log-probabilities generation gave them (the prefill kernels round a little differently).
        let answer = first["generated_text"].as_str().unwrap();
        let generated: Vec<&Value> = first["details"]["tokens"].as_array().unwrap().iter().collect();
        let (status, second) = post(&url, &ask(&format!("{prompt}{answer}"), 1)).await;
        assert_eq!(status, 200, "{second}");
        let scored = &second["details"]["prefill"].as_array().unwrap()[prefill.len()..];
        assert_eq!(scored.len(), generated.len(), "{second}");
        for (p, g) in scored.iter().zip(&generated) {
            assert_eq!(p["id"], g["id"]);
            let (a, b) = (p["logprob"].as_f64().unwrap(), g["logprob"].as_f64().unwrap());
            assert!((a - b).abs() < 0.1, "{p} vs {g}");
        }
        // In a stream TGI refuses it, and so does hfx.
        let (status, v) =
            post(&s.at("/generate_stream"), &json!({"inputs": "x", "parameters": {"decoder_input_details": true}}))
                .await;
        assert_eq!((status, v["error_type"].as_str()), (422, Some("validation")), "{v}");
    });
}
