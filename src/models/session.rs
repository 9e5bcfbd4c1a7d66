//! A conversation with a decoder: the testable core of `hfx run`'s interactive chat (and of a
//! one-shot prompt, which is a conversation of one turn). It keeps the messages, renders them
//! through the chat template, and keeps the KV cache between turns so that a new turn only
//! computes the tokens the previous one did not.

use super::chat::{ChatTemplate, Message, RenderOptions};
use super::decoder::{Decoder, KvCache};
use super::error::{ModelError, Result};
use super::generate::{self, Generation, Request, SamplingParams};
use super::grammar::{Constraint, GrammarSpec, Grammars};
use super::tokenizer::{LoadedTokenizer, Tokenizer};

/// What a line typed in the chat asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Say(String),
    Clear,
    Exit,
    Help,
    Empty,
    Unknown(String),
}

/// The chat's commands, for the help text.
pub const COMMANDS: &[(&str, &str)] = &[
    ("/clear", "forget the conversation (keeps the system prompt)"),
    ("/exit", "leave (also /bye, Ctrl-D)"),
    ("/help", "show this help"),
];

pub fn parse_input(line: &str) -> Input {
    let t = line.trim_end_matches(['\n', '\r']);
    let cmd = t.trim();
    if cmd.is_empty() {
        return Input::Empty;
    }
    // A leading space or a doubled slash sends a literal slash line.
    if let Some(rest) = cmd.strip_prefix("//") {
        return Input::Say(format!("/{rest}"));
    }
    if !t.starts_with('/') {
        return Input::Say(t.to_string());
    }
    match cmd.split_whitespace().next().unwrap_or_default() {
        "/clear" | "/reset" => Input::Clear,
        "/exit" | "/bye" | "/quit" => Input::Exit,
        "/help" | "/?" => Input::Help,
        other => Input::Unknown(other.to_string()),
    }
}

/// Generation settings shared by every turn.
#[derive(Debug, Clone)]
pub struct Settings {
    pub system: Option<String>,
    /// Plain text continuation instead of the chat template.
    pub raw: bool,
    pub max_new_tokens: usize,
    pub stops: Vec<String>,
    pub params: SamplingParams,
    /// Every answer matches this grammar.
    pub grammar: Option<GrammarSpec>,
    /// Tools shown to the model through its chat template (OpenAI's `tools` list).
    pub tools: Option<serde_json::Value>,
}

/// The ids that end a sequence: the model's metadata and the tokenizer's EOS token.
pub fn eos_ids(model: &Decoder, tok: &LoadedTokenizer) -> Vec<u32> {
    let mut eos = model.eos_ids.clone();
    if let Some(id) = tok.specials.eos.as_deref().and_then(|e| tok.tokenizer.token_to_id(e)) {
        eos.push(id);
    }
    eos.sort_unstable();
    eos.dedup();
    eos
}

pub struct Session<'a> {
    model: &'a Decoder,
    tok: &'a LoadedTokenizer,
    template: Option<ChatTemplate>,
    settings: Settings,
    messages: Vec<Message>,
    /// Raw mode: the transcript so far.
    transcript: String,
    eos: Vec<u32>,
    cache: KvCache,
    /// The ids whose keys and values `cache` holds.
    fed: Vec<u32>,
    /// `settings.grammar` compiled, fresh: each answer starts from a copy.
    constraint: Option<Constraint>,
}

impl<'a> Session<'a> {
    pub fn new(model: &'a Decoder, tok: &'a LoadedTokenizer, settings: Settings) -> Result<Self> {
        let template = match (&tok.chat_template, settings.raw) {
            (Some(t), false) => Some(ChatTemplate::new(t)?),
            _ => None,
        };
        let eos = eos_ids(model, tok);
        let constraint = match &settings.grammar {
            Some(spec) => Some(Grammars::new(tok, &eos, model.config.vocab_size)?.compile(spec)?),
            None => None,
        };
        let mut s = Self {
            model,
            tok,
            template,
            settings,
            messages: Vec::new(),
            transcript: String::new(),
            eos,
            cache: KvCache::new(model.layers.len()),
            fed: Vec::new(),
            constraint,
        };
        s.clear();
        Ok(s)
    }

    /// The grammar every answer follows, if any.
    pub fn constraint(&self) -> Option<&Constraint> {
        self.constraint.as_ref()
    }

    /// Whether the model's chat template is in use.
    pub fn templated(&self) -> bool {
        self.template.is_some()
    }

    /// Start over; the system prompt stays.
    pub fn clear(&mut self) {
        self.messages.clear();
        self.transcript.clear();
        if let Some(s) = &self.settings.system {
            self.messages.push(Message::new("system", s));
        }
        self.cache.clear();
        self.fed.clear();
    }

    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Positions the KV cache holds (reused by the next turn where the prompt agrees).
    pub fn cached_tokens(&self) -> usize {
        self.cache.len()
    }

    fn tokenizer(&self) -> &Tokenizer {
        &self.tok.tokenizer
    }

    /// The prompt ids for the conversation followed by `user`.
    pub fn prompt_ids(&self, user: &str) -> Result<Vec<u32>> {
        let (text, add_special) = match &self.template {
            Some(t) => {
                let mut messages = self.messages.clone();
                messages.push(Message::new("user", user));
                let opts = RenderOptions {
                    add_generation_prompt: true,
                    bos_token: self.tok.specials.bos.clone(),
                    eos_token: self.tok.specials.eos.clone(),
                    tools: self.settings.tools.clone(),
                    ..RenderOptions::default()
                };
                // The template writes BOS itself where the model wants one.
                (t.render(&messages, &opts)?, false)
            }
            None => {
                let sys = self.settings.system.as_deref().map(|s| format!("{s}\n")).unwrap_or_default();
                (format!("{sys}{}{user}", self.transcript), true)
            }
        };
        let enc =
            self.tokenizer().encode(text.as_str(), add_special).map_err(|e| ModelError::Tokenize(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    /// One turn: the answer is streamed through `on_text` and kept in the conversation.
    pub fn say(
        &mut self,
        user: &str,
        cancel: &dyn Fn() -> bool,
        on_text: &mut dyn FnMut(&str) -> std::io::Result<()>,
    ) -> Result<Generation> {
        let prompt = self.prompt_ids(user)?;
        // Reuse the cached keys and values as far as the new prompt agrees with what was fed.
        let common = self.fed.iter().zip(&prompt).take_while(|(a, b)| a == b).count();
        self.cache.truncate(common);
        let req = Request {
            prompt: &prompt,
            max_new_tokens: self.settings.max_new_tokens,
            eos: &self.eos,
            stops: self.settings.stops.clone(),
            params: self.settings.params.clone(),
            grammar: self.constraint.clone(),
        };
        let tok = self.tok;
        let out = generate::generate(self.model, &tok.tokenizer, &req, &mut self.cache, cancel, on_text)?;
        let kept = self.cache.len();
        self.fed = prompt.iter().chain(&out.token_ids).take(kept).copied().collect();
        if self.template.is_some() {
            self.messages.push(Message::new("user", user));
            self.messages.push(Message::new("assistant", &out.text));
        } else {
            self.transcript.push_str(user);
            self.transcript.push_str(&out.text);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_map_to_commands() {
        assert_eq!(parse_input("/exit\n"), Input::Exit);
        assert_eq!(parse_input("/bye  "), Input::Exit);
        assert_eq!(parse_input("/clear"), Input::Clear);
        assert_eq!(parse_input("/help"), Input::Help);
        assert_eq!(parse_input("\n"), Input::Empty);
        assert_eq!(parse_input("/nope x"), Input::Unknown("/nope".into()));
        assert_eq!(parse_input("hello /exit"), Input::Say("hello /exit".into()));
        assert_eq!(parse_input("//etc/passwd"), Input::Say("/etc/passwd".into()));
        assert_eq!(parse_input(" /not a command"), Input::Say(" /not a command".into()));
    }
}
