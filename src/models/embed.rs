//! Sentence embeddings with encoder models (BERT family), in the sentence-transformers layout:
//! `modules.json` lists the modules after the transformer: pooling (`1_Pooling/config.json`),
//! then any `Dense` projections and `Normalize`, applied in its order and only when listed (a
//! module hfx cannot apply is refused, never skipped). The transformer itself is
//! candle-transformers' `BertModel`, which serves as is here.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use serde_json::Value;

use super::error::{ModelError, Result, bad_model};
use super::read_json;
use super::tokenizer::LoadedTokenizer;

/// Encoder `model_type`s hfx embeds with.
pub const SUPPORTED_ENCODERS: &[&str] = &["bert"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    Mean,
    Cls,
    Max,
    MeanSqrtLen,
    LastToken,
}

/// A sentence-transformers module after pooling.
#[derive(Debug, Clone)]
pub enum PostModule {
    Normalize,
    /// `act(W x + b)` with `W` of `outputs x inputs`, row-major.
    Dense {
        weight: Vec<f32>,
        bias: Option<Vec<f32>>,
        inputs: usize,
        outputs: usize,
        tanh: bool,
    },
}

pub struct Embedder {
    model: BertModel,
    pub tokenizer: LoadedTokenizer,
    pub pooling: Pooling,
    pub post: Vec<PostModule>,
    pub max_tokens: usize,
    pub dim: usize,
    device: Device,
}

/// The safetensors files of a folder: `model.safetensors`, or the shards an index lists.
pub fn safetensors_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let single = dir.join("model.safetensors");
    if single.is_file() {
        return Ok(vec![single]);
    }
    let index = dir.join("model.safetensors.index.json");
    if let Some(v) = read_json(&index)? {
        let mut files: Vec<String> = v
            .get("weight_map")
            .and_then(Value::as_object)
            .map(|m| m.values().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        files.sort();
        files.dedup();
        return Ok(files.into_iter().map(|f| dir.join(f)).collect());
    }
    let pickle = ["pytorch_model.bin", "model.pt", "pytorch_model.bin.index.json"].iter().any(|f| dir.join(f).exists());
    Err(ModelError::NoSafetensors { dir: dir.to_path_buf(), pickle_only: pickle })
}

/// The pooling a sentence-transformers folder configures (mean when it says nothing).
fn pooling_of(dir: &Path) -> Result<Pooling> {
    let modules = read_json(&dir.join("modules.json"))?;
    let pooling_dir = modules
        .as_ref()
        .and_then(Value::as_array)
        .and_then(|m| {
            m.iter().find(|x| x.get("type").and_then(Value::as_str).is_some_and(|t| t.ends_with("models.Pooling")))
        })
        .and_then(|m| m.get("path").and_then(Value::as_str))
        .map(|p| dir.join(p));
    let Some(cfg) = pooling_dir.map(|d| read_json(&d.join("config.json"))).transpose()?.flatten() else {
        return Ok(Pooling::Mean);
    };
    let on = |k: &str| cfg.get(k).and_then(Value::as_bool).unwrap_or(false);
    Ok(if on("pooling_mode_cls_token") {
        Pooling::Cls
    } else if on("pooling_mode_max_tokens") {
        Pooling::Max
    } else if on("pooling_mode_mean_sqrt_len_tokens") {
        Pooling::MeanSqrtLen
    } else if on("pooling_mode_lasttoken") {
        Pooling::LastToken
    } else {
        Pooling::Mean
    })
}

/// The modules after pooling, in `modules.json` order. Without modules.json there are none, as
/// sentence-transformers builds a plain transformer with mean pooling for such a folder.
fn post_modules(dir: &Path) -> Result<Vec<PostModule>> {
    let path = dir.join("modules.json");
    let Some(modules) = read_json(&path)? else { return Ok(Vec::new()) };
    let bad = |reason: String| ModelError::BadModel { path: path.clone(), reason };
    let mut list: Vec<&Value> = modules.as_array().ok_or_else(|| bad("not a list of modules".into()))?.iter().collect();
    list.sort_by_key(|m| m.get("idx").and_then(Value::as_u64).unwrap_or(0));
    let mut out = Vec::new();
    for m in list {
        let kind = m.get("type").and_then(Value::as_str).unwrap_or_default();
        let sub = dir.join(m.get("path").and_then(Value::as_str).unwrap_or_default());
        match kind.rsplit('.').next().unwrap_or_default() {
            "Transformer" | "Pooling" => {}
            "Normalize" => out.push(PostModule::Normalize),
            "Dense" => out.push(dense(&sub)?),
            _ => return Err(bad(format!("sentence-transformers module `{kind}` is not supported"))),
        }
    }
    Ok(out)
}

/// A `Dense` module folder: config.json and its `linear.weight`/`linear.bias` in safetensors.
fn dense(dir: &Path) -> Result<PostModule> {
    let cfg_path = dir.join("config.json");
    let cfg = read_json(&cfg_path)?.ok_or_else(|| ModelError::NotFound { path: cfg_path.clone() })?;
    let bad = |reason: String| ModelError::BadModel { path: cfg_path.clone(), reason };
    let n = |k: &str| cfg.get(k).and_then(Value::as_u64).map(|v| v as usize).ok_or_else(|| bad(format!("no `{k}`")));
    let (inputs, outputs) = (n("in_features")?, n("out_features")?);
    let act = cfg.get("activation_function").and_then(Value::as_str).unwrap_or("torch.nn.modules.activation.Tanh");
    let tanh = match act.rsplit('.').next() {
        Some("Tanh") => true,
        Some("Identity") => false,
        _ => return Err(bad(format!("activation `{act}` is not supported (Tanh, Identity)"))),
    };
    let files = safetensors_files(dir)?;
    let e = bad_model(&files[0]);
    let tensors = candle_core::safetensors::load(&files[0], &Device::Cpu).map_err(&e)?;
    let read = |name: &str, len: usize| -> Result<Option<Vec<f32>>> {
        let Some(t) = tensors.get(name) else { return Ok(None) };
        let v: Vec<f32> = t.to_dtype(DType::F32).and_then(|t| t.flatten_all()).and_then(|t| t.to_vec1()).map_err(&e)?;
        if v.len() != len {
            let reason = format!("`{name}` has {} values, not {len}", v.len());
            return Err(ModelError::BadModel { path: files[0].clone(), reason });
        }
        Ok(Some(v))
    };
    let weight = read("linear.weight", inputs * outputs)?
        .ok_or_else(|| ModelError::BadModel { path: files[0].clone(), reason: "no `linear.weight`".into() })?;
    let bias = read("linear.bias", outputs)?;
    if cfg.get("bias").and_then(Value::as_bool).unwrap_or(true) && bias.is_none() {
        return Err(ModelError::BadModel { path: files[0].clone(), reason: "no `linear.bias`".into() });
    }
    Ok(PostModule::Dense { weight, bias, inputs, outputs, tanh })
}

/// `model_type` of an HF folder's config.json.
pub fn model_type(dir: &Path) -> Result<String> {
    let path = dir.join("config.json");
    let cfg = read_json(&path)?.ok_or_else(|| ModelError::NotFound { path: path.clone() })?;
    cfg.get("model_type")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ModelError::BadModel { path, reason: "no `model_type`".into() })
}

impl Embedder {
    pub fn load(dir: &Path) -> Result<Self> {
        let cfg_path = dir.join("config.json");
        let kind = model_type(dir)?;
        if !SUPPORTED_ENCODERS.contains(&kind.as_str()) {
            return Err(ModelError::UnsupportedArchitecture { model_type: kind });
        }
        let raw = fs_err::read(&cfg_path)?;
        let config: BertConfig = serde_json::from_slice(&raw)
            .map_err(|e| ModelError::BadModel { path: cfg_path.clone(), reason: e.to_string() })?;
        let files = safetensors_files(dir)?;
        let device = Device::Cpu;
        // SAFETY: the weights are memory-mapped read-only from the cache; hfx never writes to a
        // finished blob, and a file truncated underneath is caught by candle's bounds checks.
        #[allow(unsafe_code)]
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&files, DType::F32, &device) }
            .map_err(bad_model(&files[0]))?;
        let model = BertModel::load(vb, &config).map_err(bad_model(&files[0]))?;
        let st = read_json(&dir.join("sentence_bert_config.json"))?;
        let max_tokens = st
            .as_ref()
            .and_then(|v| v.get("max_seq_length"))
            .and_then(Value::as_u64)
            .map_or(config.max_position_embeddings, |n| n as usize)
            .min(config.max_position_embeddings);
        let post = post_modules(dir)?;
        let mut dim = config.hidden_size;
        for m in &post {
            if let PostModule::Dense { inputs, outputs, .. } = m {
                if *inputs != dim {
                    let reason = format!("a Dense module takes {inputs} inputs, the previous module gives {dim}");
                    return Err(ModelError::BadModel { path: dir.join("modules.json"), reason });
                }
                dim = *outputs;
            }
        }
        Ok(Self {
            model,
            tokenizer: LoadedTokenizer::from_dir(dir)?,
            pooling: pooling_of(dir)?,
            post,
            max_tokens,
            dim,
            device,
        })
    }

    /// Embeddings of `texts` (pooled, then the folder's Dense/Normalize modules), one forward
    /// pass with padding and attention mask.
    pub fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let tok = &self.tokenizer.tokenizer;
        let mut ids: Vec<Vec<u32>> = Vec::with_capacity(texts.len());
        for t in texts {
            let enc = tok.encode(t.as_str(), true).map_err(|e| ModelError::Tokenize(e.to_string()))?;
            let mut v = enc.get_ids().to_vec();
            // sentence-transformers truncates to max_seq_length, keeping the final [SEP].
            if v.len() > self.max_tokens {
                let last = *v.last().unwrap_or(&0);
                v.truncate(self.max_tokens);
                if let Some(x) = v.last_mut() {
                    *x = last;
                }
            }
            ids.push(v);
        }
        let len = ids.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let pad = tok.get_padding().map_or(0, |p| p.pad_id);
        let (mut flat, mut mask) = (Vec::with_capacity(len * ids.len()), Vec::with_capacity(len * ids.len()));
        for v in &ids {
            for i in 0..len {
                flat.push(v.get(i).copied().unwrap_or(pad));
                mask.push(u32::from(i < v.len()));
            }
        }
        let src = self.tokenizer.source.clone();
        let e = bad_model(&src);
        let shape = (ids.len(), len);
        let input = Tensor::from_vec(flat, shape, &self.device).map_err(&e)?;
        let mask_t = Tensor::from_vec(mask.clone(), shape, &self.device).map_err(&e)?;
        let types = input.zeros_like().map_err(&e)?;
        let hidden = self.model.forward(&input, &types, Some(&mask_t)).map_err(&e)?;
        let hidden: Vec<Vec<Vec<f32>>> = hidden.to_vec3().map_err(&e)?;
        Ok(hidden.iter().zip(&ids).map(|(h, v)| self.after_pooling(pool(self.pooling, &h[..v.len().max(1)]))).collect())
    }

    fn after_pooling(&self, mut v: Vec<f32>) -> Vec<f32> {
        for m in &self.post {
            v = match m {
                PostModule::Normalize => normalize(v),
                PostModule::Dense { weight, bias, inputs, tanh, .. } => weight
                    .chunks_exact(*inputs)
                    .enumerate()
                    .map(|(o, w)| {
                        let s = w.iter().zip(&v).map(|(a, b)| a * b).sum::<f32>() + bias.as_ref().map_or(0.0, |b| b[o]);
                        if *tanh { s.tanh() } else { s }
                    })
                    .collect(),
            };
        }
        v
    }
}

fn pool(p: Pooling, rows: &[Vec<f32>]) -> Vec<f32> {
    let dim = rows.first().map_or(0, Vec::len);
    match p {
        Pooling::Cls => rows[0].clone(),
        Pooling::LastToken => rows[rows.len() - 1].clone(),
        Pooling::Max => (0..dim).map(|j| rows.iter().map(|r| r[j]).fold(f32::NEG_INFINITY, f32::max)).collect(),
        Pooling::Mean | Pooling::MeanSqrtLen => {
            #[allow(clippy::cast_precision_loss)]
            let n = rows.len() as f32;
            let div = if p == Pooling::Mean { n } else { n.sqrt() };
            (0..dim).map(|j| rows.iter().map(|r| f64::from(r[j])).sum::<f64>() as f32 / div).collect()
        }
    }
}

fn normalize(v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>().sqrt();
    if norm == 0.0 {
        return v;
    }
    #[allow(clippy::cast_possible_truncation)]
    v.into_iter().map(|x| (f64::from(x) / norm) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_modes() {
        let rows = vec![vec![1.0, -2.0], vec![3.0, 4.0]];
        assert_eq!(pool(Pooling::Mean, &rows), [2.0, 1.0]);
        assert_eq!(pool(Pooling::Cls, &rows), [1.0, -2.0]);
        assert_eq!(pool(Pooling::Max, &rows), [3.0, 4.0]);
        assert_eq!(pool(Pooling::LastToken, &rows), [3.0, 4.0]);
        let n = normalize(vec![3.0, 4.0]);
        assert!((n[0] - 0.6).abs() < 1e-7 && (n[1] - 0.8).abs() < 1e-7);
    }
}
