//! Tokenizers: `tokenizer.json` through the `tokenizers` crate, or one built from GGUF metadata
//! (`tokenizer.ggml.*`) as the equivalent `tokenizer.json` would be, so a GGUF file alone is
//! enough and `hfx convert` can write that JSON next to converted weights. A GGUF vocabulary's
//! model is hfx's compact BPE (`bpe`); the rest of the pipeline is tokenizers'.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tokenizers::decoders::DecoderWrapper;
use tokenizers::normalizers::NormalizerWrapper;
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::{AddedToken, TokenizerImpl};

use super::error::{ModelError, Result};
use super::gguf::{Gguf, value_f32, value_i32};

mod bpe;
pub use bpe::{BpeOptions, GgufBpe, TokenModel};

/// tokenizers' pipeline around hfx's model type (tokenizers' own, or a compact GGUF BPE).
pub type Tokenizer =
    TokenizerImpl<TokenModel, NormalizerWrapper, PreTokenizerWrapper, PostProcessorWrapper, DecoderWrapper>;

/// `tokenizer.ggml.pre` values hfx can rebuild exactly.
pub const SUPPORTED_PRE: &[&str] = &[
    "default",
    "gpt2",
    "gpt-2",
    "phi-2",
    "olmo",
    "llama3",
    "llama-v3",
    "llama-bpe",
    "dbrx",
    "smaug-bpe",
    "falcon3",
    "qwen2",
    "deepseek-r1-qwen",
    "smollm",
    "starcoder",
    "refact",
    "command-r",
    "codeshell",
];

// GGUF token types (llama.cpp's `llama_token_type`).
const TYPE_NORMAL: i32 = 1;
const TYPE_CONTROL: i32 = 3;
const TYPE_USER_DEFINED: i32 = 4;

const LLAMA3_REGEX: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const QWEN2_REGEX: &str =
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

fn byte_level(use_regex: bool) -> Value {
    json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": use_regex})
}

fn split_isolated(regex: &str) -> Value {
    json!({"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": false})
}

/// The pre-tokenizer that the named llama.cpp pre-tokenizer stands for, in tokenizers' JSON.
fn pre_tokenizer(pre: &str) -> Option<Value> {
    Some(match pre {
        "default" | "gpt2" | "gpt-2" | "phi-2" | "olmo" => byte_level(true),
        "llama3" | "llama-v3" | "llama-bpe" | "dbrx" | "smaug-bpe" | "falcon3" => {
            json!({"type": "Sequence", "pretokenizers": [split_isolated(LLAMA3_REGEX), byte_level(false)]})
        }
        "qwen2" | "deepseek-r1-qwen" => {
            json!({"type": "Sequence", "pretokenizers": [split_isolated(QWEN2_REGEX), byte_level(false)]})
        }
        "smollm" | "starcoder" | "refact" | "command-r" | "codeshell" => json!({
            "type": "Sequence",
            "pretokenizers": [{"type": "Digits", "individual_digits": true}, byte_level(true)]
        }),
        _ => return None,
    })
}

/// The llama.cpp pre-tokenizer name of a `tokenizer.json` `pre_tokenizer` (the inverse of
/// `pre_tokenizer`), compared as tokenizers parses them, offsets settings aside (they do not
/// change the pieces).
pub fn pre_tokenizer_name(pre: &Value) -> Option<&'static str> {
    fn canonical(v: &Value) -> Option<Value> {
        let parsed: PreTokenizerWrapper = serde_json::from_value(v.clone()).ok()?;
        let mut v = serde_json::to_value(parsed).ok()?;
        fn strip(v: &mut Value) {
            match v {
                Value::Object(o) => {
                    o.remove("trim_offsets");
                    o.values_mut().for_each(strip);
                }
                Value::Array(a) => a.iter_mut().for_each(strip),
                _ => {}
            }
        }
        strip(&mut v);
        Some(v)
    }
    let want = canonical(pre)?;
    SUPPORTED_PRE.iter().copied().find(|name| pre_tokenizer(name).and_then(|p| canonical(&p)).as_ref() == Some(&want))
}

/// Special tokens and flags read alongside the vocabulary.
#[derive(Debug, Clone, Default)]
pub struct SpecialTokens {
    pub bos: Option<String>,
    pub eos: Option<String>,
    pub unk: Option<String>,
    pub pad: Option<String>,
    pub add_bos: bool,
    pub add_eos: bool,
}

/// A GGUF vocabulary and the pipeline around it, as `tokenizer.json` would describe them.
pub struct GgufVocab<'a> {
    tokens: Vec<&'a str>,
    /// BPE merges, highest priority first.
    merges: Vec<(&'a str, &'a str)>,
    /// `(id, special)` of the control and user-defined tokens.
    added: Vec<(usize, bool)>,
    /// SentencePiece-style BPE (llama): unknown token fused, byte fallback.
    sentencepiece: bool,
    /// normalizer, pre-tokenizer, post-processor and decoder in tokenizers' JSON (`Null`: none).
    parts: [Value; 4],
    pub specials: SpecialTokens,
    pub chat_template: Option<String>,
}

impl<'a> GgufVocab<'a> {
    /// Read the vocabulary, merges and settings of `tokenizer.ggml.*`.
    pub fn read(g: &'a Gguf) -> Result<Self> {
        let model = g.str("tokenizer.ggml.model").unwrap_or("llama");
        let tokens = g.require_strings("tokenizer.ggml.tokens")?;
        let types =
            g.numbers("tokenizer.ggml.token_type", value_i32)?.unwrap_or_else(|| vec![TYPE_NORMAL; tokens.len()]);
        if types.len() != tokens.len() {
            return Err(ModelError::BadGguf {
                path: g.path.clone(),
                reason: format!("{} token types for {} tokens", types.len(), tokens.len()),
            });
        }
        let token_at = |key: &str| g.u32(key).and_then(|i| tokens.get(i as usize)).map(|s| (*s).to_string());
        let specials = SpecialTokens {
            bos: token_at("tokenizer.ggml.bos_token_id"),
            eos: token_at("tokenizer.ggml.eos_token_id"),
            unk: token_at("tokenizer.ggml.unknown_token_id"),
            pad: token_at("tokenizer.ggml.padding_token_id"),
            add_bos: g.bool("tokenizer.ggml.add_bos_token").unwrap_or(model == "llama"),
            add_eos: g.bool("tokenizer.ggml.add_eos_token").unwrap_or(false),
        };
        let added = types
            .iter()
            .enumerate()
            .filter(|(_, t)| **t == TYPE_CONTROL || **t == TYPE_USER_DEFINED)
            .map(|(id, t)| (id, *t == TYPE_CONTROL))
            .collect();
        let (merges, sentencepiece, parts) = match model {
            "gpt2" => {
                let pre = g.str("tokenizer.ggml.pre").unwrap_or("default");
                let pre_tok = pre_tokenizer(pre).ok_or_else(|| ModelError::UnsupportedPreTokenizer {
                    path: g.path.clone(),
                    pre: pre.to_string(),
                })?;
                let merges = g
                    .require_strings("tokenizer.ggml.merges")?
                    .into_iter()
                    .map(|m| {
                        m.split_once(' ').ok_or_else(|| ModelError::BadGguf {
                            path: g.path.clone(),
                            reason: format!("merge `{m}` is not two pieces separated by a space"),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let post = post_processor(
                    json!({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}),
                    &specials,
                    &tokens,
                );
                let decoder =
                    json!({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true});
                (merges, false, [Value::Null, pre_tok, post, decoder])
            }
            "llama" => {
                let scores = g
                    .numbers("tokenizer.ggml.scores", value_f32)?
                    .ok_or_else(|| ModelError::GgufKey { path: g.path.clone(), key: "tokenizer.ggml.scores".into() })?;
                let merges = sentencepiece_merges(&tokens, &scores, &types);
                let prefix = g.bool("tokenizer.ggml.add_space_prefix").unwrap_or(true);
                let mut normalizers = Vec::new();
                if prefix {
                    normalizers.push(json!({"type": "Prepend", "prepend": "\u{2581}"}));
                }
                normalizers.push(json!({"type": "Replace", "pattern": {"String": " "}, "content": "\u{2581}"}));
                let mut decoders = vec![
                    json!({"type": "Replace", "pattern": {"String": "\u{2581}"}, "content": " "}),
                    json!({"type": "ByteFallback"}),
                    json!({"type": "Fuse"}),
                ];
                if prefix {
                    decoders.push(json!({"type": "Strip", "content": " ", "start": 1, "stop": 0}));
                }
                let parts = [
                    json!({"type": "Sequence", "normalizers": normalizers}),
                    Value::Null,
                    post_processor(Value::Null, &specials, &tokens),
                    json!({"type": "Sequence", "decoders": decoders}),
                ];
                (merges, true, parts)
            }
            other => {
                return Err(ModelError::UnsupportedGgufTokenizer { path: g.path.clone(), kind: other.to_string() });
            }
        };
        Ok(Self {
            tokens,
            merges,
            added,
            sentencepiece,
            parts,
            specials,
            chat_template: g.str("tokenizer.chat_template").map(str::to_string),
        })
    }

    /// The tokenizer, put together through tokenizers' API the way it deserializes a
    /// `tokenizer.json` (model and pipeline, then the added tokens, whose ids the model gives),
    /// with the compact BPE as its model.
    /// Not through a JSON document: its tree, text and parse of a 49k vocabulary were 30 MB of
    /// transient memory, overlapping the weights' load in `hfx run`.
    pub fn build(self, path: &Path) -> Result<Tokenizer> {
        let err = |e: &dyn std::fmt::Display| bad(path, e);
        let mut options = BpeOptions::default();
        if self.sentencepiece {
            options = BpeOptions { unk_token: self.specials.unk.clone(), fuse_unk: true, byte_fallback: true };
        }
        let bpe = GgufBpe::new(&self.tokens, &self.merges, options).map_err(|e| err(&e))?;
        let mut tokenizer = Tokenizer::new(TokenModel::Gguf(bpe));
        fn part<T: serde::de::DeserializeOwned>(v: Value) -> serde_json::Result<Option<T>> {
            if v.is_null() { Ok(None) } else { serde_json::from_value(v).map(Some) }
        }
        let [normalizer, pre, post, decoder] = self.parts;
        tokenizer.with_normalizer(part::<NormalizerWrapper>(normalizer).map_err(|e| err(&e))?).map_err(|e| err(&*e))?;
        tokenizer.with_pre_tokenizer(part::<PreTokenizerWrapper>(pre).map_err(|e| err(&e))?);
        tokenizer.with_post_processor(part::<PostProcessorWrapper>(post).map_err(|e| err(&e))?);
        tokenizer.with_decoder(part::<DecoderWrapper>(decoder).map_err(|e| err(&e))?);
        let added = self
            .added
            .iter()
            .map(|&(id, special)| AddedToken::from(self.tokens[id].to_string(), special).normalized(false));
        tokenizer.add_tokens(added).map_err(|e| err(&*e))?;
        Ok(tokenizer)
    }
}

/// BOS/EOS insertion as a `TemplateProcessing`, chained after `base` when both are needed.
fn post_processor(base: Value, sp: &SpecialTokens, tokens: &[&str]) -> Value {
    let id_of = |t: &str| tokens.iter().position(|x| *x == t);
    let bos = sp.bos.as_deref().filter(|_| sp.add_bos).and_then(|t| id_of(t).map(|i| (t, i)));
    let eos = sp.eos.as_deref().filter(|_| sp.add_eos).and_then(|t| id_of(t).map(|i| (t, i)));
    if bos.is_none() && eos.is_none() {
        return base;
    }
    let special = |t: &str, type_id: u32| json!({"SpecialToken": {"id": t, "type_id": type_id}});
    let seq = |s: &str, type_id: u32| json!({"Sequence": {"id": s, "type_id": type_id}});
    let (mut single, mut pair, mut specials) = (Vec::new(), Vec::new(), serde_json::Map::new());
    if let Some((t, i)) = bos {
        single.push(special(t, 0));
        specials.insert(t.to_string(), json!({"id": t, "ids": [i], "tokens": [t]}));
    }
    single.push(seq("A", 0));
    pair.extend(single.clone());
    if let Some((t, i)) = eos {
        single.push(special(t, 0));
        pair.push(special(t, 0));
        specials.insert(t.to_string(), json!({"id": t, "ids": [i], "tokens": [t]}));
    }
    if let Some((t, _)) = bos {
        pair.push(special(t, 1));
    }
    pair.push(seq("B", 1));
    if let Some((t, _)) = eos {
        pair.push(special(t, 1));
    }
    let template = json!({"type": "TemplateProcessing", "single": single, "pair": pair, "special_tokens": specials});
    if base.is_null() { template } else { json!({"type": "Sequence", "processors": [base, template]}) }
}

/// SentencePiece BPE merges from scores, as transformers' `SentencePieceExtractor` derives them:
/// every split of a normal token into two vocabulary pieces, ranked by the token's score.
fn sentencepiece_merges<'a>(tokens: &[&'a str], scores: &[f32], types: &[i32]) -> Vec<(&'a str, &'a str)> {
    let ids: HashMap<&str, usize> = tokens.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    let mut merges: Vec<(f32, usize, usize, usize)> = Vec::new();
    for (id, tok) in tokens.iter().enumerate() {
        if types.get(id).copied().unwrap_or(TYPE_NORMAL) != TYPE_NORMAL {
            continue;
        }
        let score = scores.get(id).copied().unwrap_or(0.0);
        let mut local: Vec<(usize, usize)> = tok
            .char_indices()
            .skip(1)
            .filter_map(|(i, _)| Some((*ids.get(&tok[..i])?, *ids.get(&tok[i..])?)))
            .collect();
        local.sort_unstable();
        merges.extend(local.into_iter().map(|(l, r)| (score, id, l, r)));
    }
    // Stable: equal scores keep vocabulary order.
    merges.sort_by(|a, b| b.0.total_cmp(&a.0));
    merges.into_iter().map(|(_, _, l, r)| (tokens[l], tokens[r])).collect()
}

/// A loaded tokenizer plus what chat rendering and generation need from its configuration.
pub struct LoadedTokenizer {
    pub tokenizer: Tokenizer,
    pub specials: SpecialTokens,
    pub chat_template: Option<String>,
    /// Where it came from (a tokenizer.json or a GGUF file), for messages.
    pub source: PathBuf,
}

impl LoadedTokenizer {
    /// From a GGUF file's metadata.
    pub fn from_gguf(path: &Path) -> Result<Self> {
        let tok = Self::from_parsed_gguf(Gguf::open(path)?);
        // The metadata and the building's scratch just freed (MBs) would otherwise stay in the
        // allocator, counted in the process's memory for as long as it runs.
        super::release_free_memory();
        tok
    }

    /// From an already parsed GGUF header, dropped as soon as the tokenizer is built (the
    /// caller hands the freed memory back once its other loading is done).
    pub fn from_parsed_gguf(g: Gguf) -> Result<Self> {
        let vocab = GgufVocab::read(&g)?;
        let (specials, chat_template) = (vocab.specials.clone(), vocab.chat_template.clone());
        let tokenizer = vocab.build(&g.path)?;
        Ok(Self { tokenizer, specials, chat_template, source: g.path })
    }

    /// From an HF folder: `tokenizer.json`, plus `tokenizer_config.json` and `chat_template.jinja`
    /// / `chat_template.json` when present.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let tj = dir.join("tokenizer.json");
        if !tj.is_file() {
            return Err(ModelError::NoTokenizer { location: dir.display().to_string() });
        }
        Self::from_json_file(&tj)
    }

    /// From a tokenizer JSON file, with the configuration files of its folder.
    pub fn from_json_file(tj: &Path) -> Result<Self> {
        let dir = tj.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tj = tj.to_path_buf();
        let mut tokenizer = Tokenizer::from_file(&tj).map_err(|e| bad(&tj, &*e))?;
        // transformers pads and truncates only when asked to, whatever tokenizer.json says.
        tokenizer.with_padding(None);
        tokenizer.with_truncation(None).map_err(|e| bad(&tj, &*e))?;
        let config = read_json(&dir.join("tokenizer_config.json"))?.unwrap_or(Value::Null);
        let token_str = |key: &str| match config.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(o)) => o.get("content").and_then(Value::as_str).map(str::to_string),
            _ => None,
        };
        let specials = SpecialTokens {
            bos: token_str("bos_token"),
            eos: token_str("eos_token"),
            unk: token_str("unk_token"),
            pad: token_str("pad_token"),
            add_bos: config.get("add_bos_token").and_then(Value::as_bool).unwrap_or(false),
            add_eos: config.get("add_eos_token").and_then(Value::as_bool).unwrap_or(false),
        };
        let chat_template = chat_template_from_dir(dir, &config)?;
        Ok(Self { tokenizer, specials, chat_template, source: tj })
    }

    /// Save as `tokenizer.json` through a temporary file in the destination folder.
    pub fn save_json(&self, dest: &Path) -> Result<()> {
        let json = self.tokenizer.to_string(false).map_err(|e| bad(&self.source, &*e))?;
        crate::cache::atomic_write(dest, json.as_bytes())
            .map_err(|e| ModelError::Io { path: dest.to_path_buf(), source: std::io::Error::other(e.to_string()) })?;
        Ok(())
    }

    pub fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(true)
    }

    /// The bytes a token stands for: byte-level pieces (`Ġworld`) mapped back through GPT-2's
    /// byte alphabet, SentencePiece byte tokens (`<0xF0>`) as that byte, `▁` as a space.
    /// `None` for an id outside the vocabulary.
    pub fn piece_bytes(&self, id: u32) -> Option<Vec<u8>> {
        let piece = self.tokenizer.id_to_token(id)?;
        if self.tokenizer.get_added_tokens_decoder().contains_key(&id) {
            return Some(piece.into_bytes());
        }
        if let Some(hex) = piece.strip_prefix("<0x").and_then(|h| h.strip_suffix('>'))
            && hex.len() == 2
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            return Some(vec![b]);
        }
        if self.is_byte_level() {
            let table = byte_decoder();
            if let Some(bytes) = piece.chars().map(|c| table.get(&c).copied()).collect::<Option<Vec<u8>>>() {
                return Some(bytes);
            }
        }
        Some(piece.replace('\u{2581}', " ").into_bytes())
    }

    fn is_byte_level(&self) -> bool {
        serde_json::to_string(&self.tokenizer.get_decoder()).is_ok_and(|d| d.contains("ByteLevel"))
    }
}

/// GPT-2's `bytes_to_unicode`, inverted: printable bytes stand for themselves, the rest were
/// shifted to U+0100 and up.
fn byte_decoder() -> &'static HashMap<char, u8> {
    static TABLE: std::sync::OnceLock<HashMap<char, u8>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = HashMap::new();
        let mut shifted = 0u32;
        for b in 0..=255u8 {
            let printable = matches!(b, 33..=126 | 161..=172 | 174..=255);
            let c = if printable {
                char::from(b)
            } else {
                shifted += 1;
                char::from_u32(255 + shifted).unwrap_or('?')
            };
            map.insert(c, b);
        }
        map
    })
}

fn bad(path: &Path, e: &dyn std::fmt::Display) -> ModelError {
    ModelError::BadTokenizer { path: path.to_path_buf(), reason: e.to_string() }
}

fn read_json(path: &Path) -> Result<Option<Value>> {
    match fs_err::read(path) {
        Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| bad(path, &e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// transformers' lookup order: `chat_template.jinja`, then `chat_template.json`, then the
/// `chat_template` field of `tokenizer_config.json` (a string, or a list of named templates of
/// which `default` is used).
fn chat_template_from_dir(dir: &Path, config: &Value) -> Result<Option<String>> {
    let jinja = dir.join("chat_template.jinja");
    match fs_err::read_to_string(&jinja) {
        Ok(s) => return Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let from = |v: Option<&Value>| -> Option<String> {
        match v? {
            Value::String(s) => Some(s.clone()),
            Value::Array(list) => list
                .iter()
                .find(|t| t.get("name").and_then(Value::as_str) == Some("default"))
                .and_then(|t| t.get("template"))
                .and_then(Value::as_str)
                .map(str::to_string),
            _ => None,
        }
    };
    if let Some(v) = read_json(&dir.join("chat_template.json"))?
        && let Some(t) = from(v.get("chat_template"))
    {
        return Ok(Some(t));
    }
    Ok(from(config.get("chat_template")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentencepiece_merges_rank_by_score_and_skip_special_tokens() {
        let tokens = ["<unk>", "<s>", "a", "b", "c", "ab", "bc", "abc"];
        let scores = [0.0, 0.0, -1.0, -2.0, -3.0, -4.0, -5.0, -4.5];
        let types = [2, 3, 1, 1, 1, 1, 1, 1];
        let merges = sentencepiece_merges(&tokens, &scores, &types);
        // `ab` (score -4) first, then the two splits of `abc` (-4.5), then `bc` (-5).
        assert_eq!(merges, vec![("a", "b"), ("a", "bc"), ("ab", "c"), ("b", "c")]);
    }

    #[test]
    fn every_supported_pre_tokenizer_builds() {
        for pre in SUPPORTED_PRE {
            let v = pre_tokenizer(pre).expect(pre);
            let _: tokenizers::PreTokenizerWrapper = serde_json::from_value(v).expect(pre);
        }
        assert!(pre_tokenizer("tekken").is_none());
    }
}
