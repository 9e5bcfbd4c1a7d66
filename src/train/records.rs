//! Training records to token ids and label masks, the way TRL's `SFTTrainer` makes them:
//!
//! - `messages`: the conversation through the model's chat template; an assistant turn's
//!   labelled tokens are those `render(messages[..=i])` adds after
//!   `render(messages[..i], add_generation_prompt)` (the reply, the end-of-turn token and
//!   whatever the template writes after it).
//! - `prompt` + `completion`: `tokenize(prompt + completion) + [eos]`, labelled from the end of
//!   `tokenize(prompt)`.
//! - `text`: `tokenize(text) + [eos]`, every token after the first labelled.

use serde_json::Value;

use super::error::{Result, TrainError};
use crate::data::format::Row;
use crate::models::chat::{ChatTemplate, Message, RenderOptions};
use crate::models::tokenizer::LoadedTokenizer;

/// Which columns hold what.
#[derive(Debug, Clone)]
pub struct Columns {
    pub messages: String,
    pub prompt: String,
    pub completion: String,
    pub text: String,
}

impl Default for Columns {
    fn default() -> Self {
        Self {
            messages: "messages".into(),
            prompt: "prompt".into(),
            completion: "completion".into(),
            text: "text".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    Messages,
    PromptCompletion,
    Text,
}

impl Shape {
    /// The shape a record's columns say it has (messages first, as TRL checks).
    pub fn detect(row: &Row, c: &Columns) -> Option<Self> {
        if row.contains_key(&c.messages) {
            Some(Self::Messages)
        } else if row.contains_key(&c.prompt) && row.contains_key(&c.completion) {
            Some(Self::PromptCompletion)
        } else if row.contains_key(&c.text) {
            Some(Self::Text)
        } else {
            None
        }
    }
}

/// One tokenized record.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub ids: Vec<u32>,
    /// Which tokens carry loss (token `i` is predicted from position `i - 1`).
    pub labels: Vec<bool>,
}

impl Example {
    pub fn labelled(&self) -> usize {
        self.labels.iter().skip(1).filter(|l| **l).count()
    }
}

/// Tokenizes records of one shape.
pub struct Encoder<'a> {
    pub tok: &'a LoadedTokenizer,
    pub template: Option<ChatTemplate>,
    pub eos: u32,
    pub columns: Columns,
}

impl<'a> Encoder<'a> {
    pub fn new(tok: &'a LoadedTokenizer, eos: u32, columns: Columns) -> Result<Self> {
        let template = tok.chat_template.as_deref().map(ChatTemplate::new).transpose()?;
        Ok(Self { tok, template, eos, columns })
    }

    fn encode(&self, text: &str, special: bool) -> std::result::Result<Vec<u32>, String> {
        self.tok.tokenizer.encode(text, special).map(|e| e.get_ids().to_vec()).map_err(|e| e.to_string())
    }

    fn string<'r>(row: &'r Row, col: &str) -> std::result::Result<&'r str, String> {
        match row.get(col) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(format!("`{col}` is {}, not a string", kind(other))),
            None => Err(format!("no `{col}` column")),
        }
    }

    /// The record's ids and labels, or why it does not fit.
    pub fn example(&self, row: &Row, shape: Shape) -> std::result::Result<Example, String> {
        match shape {
            Shape::Messages => self.messages(row),
            Shape::PromptCompletion => {
                let prompt = Self::string(row, &self.columns.prompt)?;
                let completion = Self::string(row, &self.columns.completion)?;
                let head = self.encode(prompt, true)?.len();
                let mut ids = self.encode(&format!("{prompt}{completion}"), true)?;
                ids.push(self.eos);
                let labels = (0..ids.len()).map(|i| i >= head).collect();
                Ok(Example { ids, labels })
            }
            Shape::Text => {
                let mut ids = self.encode(Self::string(row, &self.columns.text)?, true)?;
                ids.push(self.eos);
                let labels = (0..ids.len()).map(|i| i > 0).collect();
                Ok(Example { ids, labels })
            }
        }
    }

    fn messages(&self, row: &Row) -> std::result::Result<Example, String> {
        let col = &self.columns.messages;
        let raw = row.get(col).ok_or_else(|| format!("no `{col}` column"))?;
        let msgs: Vec<Message> =
            serde_json::from_value(raw.clone()).map_err(|e| format!("`{col}` is not a list of messages: {e}"))?;
        if !msgs.iter().any(|m| m.role == "assistant") {
            return Err("the conversation has no assistant turn to learn from".into());
        }
        let template = self.template.as_ref().ok_or("the model has no chat template for `messages` records")?;
        let render = |upto: usize, gen_prompt: bool| -> std::result::Result<Vec<u32>, String> {
            let opts = RenderOptions {
                add_generation_prompt: gen_prompt,
                bos_token: self.tok.specials.bos.clone(),
                eos_token: self.tok.specials.eos.clone(),
                ..RenderOptions::default()
            };
            let text = template.render(&msgs[..upto], &opts).map_err(|e| e.to_string())?;
            // The template writes BOS itself where the model wants one.
            self.encode(&text, false)
        };
        let ids = render(msgs.len(), false)?;
        let mut labels = vec![false; ids.len()];
        for (i, m) in msgs.iter().enumerate() {
            if m.role != "assistant" {
                continue;
            }
            let (from, to) = (render(i, true)?.len(), render(i + 1, false)?.len());
            if to > ids.len() || from > to {
                return Err(format!("the chat template does not render turn {} as a prefix of the whole", i + 1));
            }
            labels[from..to].iter_mut().for_each(|l| *l = true);
        }
        Ok(Example { ids, labels })
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// What reading a dataset found, for the report at the start of a run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DataReport {
    pub shape: Option<Shape>,
    pub records: usize,
    pub used: usize,
    /// Records that did not fit the shape, and the first of them.
    pub skipped: usize,
    pub first_skipped: Option<String>,
    /// Records cut to `max_seq_len`, or dropped for it with `drop_long`.
    pub truncated: usize,
    pub dropped_long: usize,
    /// Records left with no labelled token.
    pub no_labels: usize,
    pub tokens: usize,
    pub labelled_tokens: usize,
}

/// Tokenize every row; rows that do not fit are counted, the first one named.
pub fn encode_all(
    enc: &Encoder<'_>,
    rows: impl Iterator<Item = crate::data::error::Result<Row>>,
    source: &str,
    max_len: usize,
    drop_long: bool,
) -> Result<(Vec<Example>, DataReport)> {
    let mut out = Vec::new();
    let mut rep = DataReport::default();
    for (i, row) in rows.enumerate() {
        let row = row?;
        rep.records += 1;
        let shape = match rep.shape {
            Some(s) => s,
            None => {
                let s = Shape::detect(&row, &enc.columns)
                    .ok_or_else(|| TrainError::UnknownShape { columns: row.keys().cloned().collect() })?;
                rep.shape = Some(s);
                s
            }
        };
        let mut ex = match enc.example(&row, shape) {
            Ok(ex) => ex,
            Err(reason) => {
                rep.skipped += 1;
                if rep.first_skipped.is_none() {
                    rep.first_skipped = Some(format!("record {} of {source}: {reason}", i + 1));
                }
                continue;
            }
        };
        if ex.ids.len() > max_len {
            if drop_long {
                rep.dropped_long += 1;
                continue;
            }
            rep.truncated += 1;
            ex.ids.truncate(max_len);
            ex.labels.truncate(max_len);
        }
        if ex.labelled() == 0 {
            rep.no_labels += 1;
            continue;
        }
        rep.used += 1;
        rep.tokens += ex.ids.len();
        rep.labelled_tokens += ex.labelled();
        out.push(ex);
    }
    if out.is_empty() {
        let detail = rep.first_skipped.clone().or_else(|| (rep.records == 0).then(|| format!("{source} is empty")));
        return Err(TrainError::EmptyDataset { detail });
    }
    Ok((out, rep))
}
