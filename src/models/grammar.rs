//! Constrained decoding: a grammar (JSON Schema, any JSON object, a regex or a Lark grammar)
//! compiled by llguidance masks each step's logits so that only tokens that keep the output
//! inside the grammar can be sampled. One `Grammars` per loaded tokenizer holds the token trie
//! (built once); each sequence gets its own `Constraint`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use llguidance::api::TopLevelGrammar;
use llguidance::{Matcher, ParserFactory};
use serde_json::{Value, json};
use toktrie::{TokRxInfo, TokTrie, TokenId, TokenizerEnv};

use super::error::{ModelError, Result};
use super::tokenizer::LoadedTokenizer;

/// What the output must match.
#[derive(Debug, Clone, PartialEq)]
pub enum GrammarSpec {
    /// A JSON Schema (OpenAI's `json_schema`, TGI's `json`, `hfx run --json-schema`).
    JsonSchema(Value),
    /// Any JSON object (OpenAI's `json_object`).
    JsonObject,
    /// A regular expression over the whole output.
    Regex(String),
    /// A grammar in llguidance's Lark syntax.
    Lark(String),
}

impl GrammarSpec {
    /// A short name for messages (`--verbose`, `/info`).
    pub fn kind(&self) -> &'static str {
        match self {
            GrammarSpec::JsonSchema(_) => "json_schema",
            GrammarSpec::JsonObject => "json_object",
            GrammarSpec::Regex(_) => "regex",
            GrammarSpec::Lark(_) => "lark",
        }
    }

    fn to_llguidance(&self) -> TopLevelGrammar {
        match self {
            GrammarSpec::JsonSchema(schema) => TopLevelGrammar::from_json_schema(compact_schema(schema.clone())),
            GrammarSpec::JsonObject => TopLevelGrammar::from_json_schema(compact_schema(json!({"type": "object"}))),
            GrammarSpec::Regex(rx) => TopLevelGrammar::from_regex(rx),
            GrammarSpec::Lark(text) => TopLevelGrammar::from_lark(text.clone()),
        }
    }
}

/// JSON is written with one space after `:` and `,` and no other whitespace, unless the schema
/// says otherwise (`x-guidance`). llguidance's default allows any run of whitespace between
/// tokens, and a small model sampling at a temperature can spend its whole budget on newlines
/// and stop with JSON that does not parse.
pub(crate) fn compact_schema(mut schema: Value) -> Value {
    if let Value::Object(o) = &mut schema
        && !o.contains_key("x-guidance")
    {
        o.insert(
            "x-guidance".into(),
            json!({"whitespace_flexible": false, "item_separator": ", ", "key_separator": ": "}),
        );
    }
    schema
}

/// The compiler for one tokenizer's vocabulary.
pub struct Grammars {
    factory: ParserFactory,
}

impl Grammars {
    /// `eos`: the ids that end a sequence (allowed once the grammar is complete); `n_vocab`: the
    /// model's logits width, which may exceed the tokenizer's vocabulary (padding rows).
    pub fn new(tok: &LoadedTokenizer, eos: &[u32], n_vocab: usize) -> Result<Self> {
        let env = TrieEnv::new(tok, eos, n_vocab)?;
        let env: toktrie::TokEnv = Arc::new(env);
        let mut factory = ParserFactory::new_simple(&env).map_err(grammar_error)?;
        // llguidance prints warnings to stderr by default; hfx reports through its own errors.
        factory.quiet();
        Ok(Self { factory })
    }

    /// Compile `spec` into a fresh constraint. Errors name what llguidance could not compile.
    pub fn compile(&self, spec: &GrammarSpec) -> Result<Constraint> {
        let parser = self.factory.create_parser(spec.to_llguidance()).map_err(grammar_error)?;
        let matcher = Matcher::new(Ok(parser));
        if let Some(e) = matcher.get_error() {
            return Err(ModelError::Grammar(e));
        }
        Ok(Constraint { matcher, kind: spec.kind(), spent: Duration::ZERO })
    }
}

fn grammar_error(e: anyhow::Error) -> ModelError {
    ModelError::Grammar(format!("{e:#}"))
}

/// One sequence's grammar state.
#[derive(Clone)]
pub struct Constraint {
    matcher: Matcher,
    kind: &'static str,
    /// Time spent computing masks and advancing the parser, not yet collected.
    spent: Duration,
}

impl std::fmt::Debug for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Constraint").field("kind", &self.kind).finish_non_exhaustive()
    }
}

impl Constraint {
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Set every logit the grammar forbids now to minus infinity.
    pub fn mask(&mut self, logits: &mut [f32]) -> Result<()> {
        let started = Instant::now();
        let mask = self.matcher.compute_mask_or_eos().map_err(grammar_error)?;
        let words = mask.as_slice();
        for (w, chunk) in logits.chunks_mut(32).enumerate() {
            let bits = words.get(w).copied().unwrap_or(0);
            if bits == u32::MAX {
                continue;
            }
            for (b, l) in chunk.iter_mut().enumerate() {
                if bits & (1 << b) == 0 {
                    *l = f32::NEG_INFINITY;
                }
            }
        }
        self.spent += started.elapsed();
        Ok(())
    }

    /// Advance past the sampled token.
    pub fn commit(&mut self, token: u32) -> Result<()> {
        let started = Instant::now();
        let r = self.matcher.consume_token(token).map_err(grammar_error);
        self.spent += started.elapsed();
        r
    }

    /// The time spent in the grammar since the last call (the server's metrics).
    pub fn take_spent(&mut self) -> Duration {
        std::mem::take(&mut self.spent)
    }

    /// Whether the grammar is complete and allows nothing more (the sequence should end).
    pub fn is_done(&self) -> bool {
        self.matcher.is_stopped()
    }
}

/// The token trie llguidance walks: each id's bytes, special tokens behind toktrie's marker byte
/// so that grammar text never produces them.
struct TrieEnv {
    trie: TokTrie,
}

impl TrieEnv {
    fn new(tok: &LoadedTokenizer, eos: &[u32], n_vocab: usize) -> Result<Self> {
        let size = tok.vocab_size().max(n_vocab);
        let added = tok.tokenizer.get_added_tokens_decoder();
        let mut words = Vec::with_capacity(size);
        for id in 0..size as u32 {
            let special =
                added.get(&id).filter(|a| a.special || (a.content.starts_with('<') && a.content.ends_with('>')));
            let word = match (special, tok.piece_bytes(id)) {
                (Some(a), _) => marked(a.content.as_bytes()),
                (None, Some(bytes)) if !bytes.is_empty() => bytes,
                // Ids past the tokenizer (padding rows of the logits): never sampled.
                _ => marked(format!("<[{id}]>").as_bytes()),
            };
            words.push(word);
        }
        let eos: Vec<u32> = eos.iter().copied().filter(|&e| (e as usize) < size).collect();
        let first = *eos.first().ok_or_else(|| ModelError::Grammar("the model has no end-of-sequence token".into()))?;
        let info = TokRxInfo::new(size as u32, first);
        let trie = TokTrie::from(&info, &words).with_eos_tokens(&eos);
        Ok(Self { trie })
    }
}

fn marked(name: &[u8]) -> Vec<u8> {
    let mut w = Vec::with_capacity(name.len() + 1);
    w.push(TokTrie::SPECIAL_TOKEN_MARKER);
    w.extend_from_slice(name);
    w
}

impl TokenizerEnv for TrieEnv {
    fn tok_trie(&self) -> &TokTrie {
        &self.trie
    }

    /// Greedy over the trie. llguidance tokenizes only grammar literals with it, to find tokens it
    /// could force; hfx samples every token through the mask, so exactness does not matter here.
    fn tokenize_bytes(&self, s: &[u8]) -> Vec<TokenId> {
        self.trie.greedy_tokenize(s)
    }

    fn tokenize_is_canonical(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_json_keeps_a_schemas_own_whitespace_options() {
        let own = json!({"type": "object", "x-guidance": {"whitespace_flexible": true}});
        assert_eq!(compact_schema(own.clone()), own);
        assert_eq!(compact_schema(json!({"type": "integer"}))["x-guidance"]["whitespace_flexible"], false);
    }
}
