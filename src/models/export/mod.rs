//! `hfx convert`'s export path: a decoder of any architecture `run` reads (GGUF or safetensors),
//! with a PEFT LoRA adapter optionally merged in (`W + scale * B A`, as PEFT's
//! `merge_and_unload`), written as a transformers folder (safetensors) or one GGUF file, float or
//! quantized with the tensor types llama.cpp's `llama-quantize` picks; and a PEFT adapter written
//! as llama.cpp's LoRA GGUF (`lora_gguf`).
//!
//! The model loads as `run` loads it (GGUF blocks stay quantized) and each tensor is produced,
//! converted and written in turn, so the peak is the loaded model plus one f32 tensor. Tensors a
//! GGUF-to-GGUF export leaves alone are copied byte for byte.

mod gguf_meta;
mod hf_files;
pub mod lora_gguf;
pub mod write;

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use candle_core::quantized::GgmlDType;
use candle_core::{Device, Tensor};

use super::decoder::{Arch, Decoder, Linear, Role, WeightDtype, gguf_name, permute};
use super::error::{ModelError, Result, candle_message};
use super::gguf::Gguf;
use super::quant::{encode, fit};
use super::resolve::ModelFiles;
use crate::report::Progress;
use write::Entry;

/// A float storage type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatType {
    F32,
    F16,
    Bf16,
}

impl FloatType {
    pub fn ggml(self) -> GgmlDType {
        match self {
            Self::F32 => GgmlDType::F32,
            Self::F16 => GgmlDType::F16,
            Self::Bf16 => GgmlDType::BF16,
        }
    }

    /// transformers' `torch_dtype` name.
    fn torch(self) -> &'static str {
        match self {
            Self::F32 => "float32",
            Self::F16 => "float16",
            Self::Bf16 => "bfloat16",
        }
    }
}

/// llama.cpp quantization presets (`llama-quantize` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quant {
    Q8_0,
    Q4_0,
    Q4KM,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A transformers folder: config.json, model.safetensors, tokenizer files.
    Safetensors,
    /// One GGUF file.
    Gguf,
}

#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Float type of the weights (default: as the source stores them).
    pub dtype: Option<FloatType>,
    /// GGUF quantization preset (GGUF only).
    pub quant: Option<Quant>,
    /// A PEFT LoRA adapter folder (or llama.cpp LoRA GGUF) to merge into the weights.
    pub lora: Option<PathBuf>,
}

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    /// The file (GGUF) or folder (safetensors) written.
    pub path: PathBuf,
    pub format: &'static str,
    pub tensors: usize,
    /// Size of the weights file in bytes.
    pub bytes: u64,
    /// Projections the LoRA adapter was merged into (0 without `--lora`).
    pub merged: usize,
    /// Tensors per storage type (`Q4_K: 120`, ...).
    pub types: BTreeMap<String, usize>,
    /// Files written, relative to the folder (safetensors) or just the file's name.
    pub files: Vec<String>,
}

/// A tensor of the decoder as hfx holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Embed,
    Norm,
    Head,
    Weight(usize, Role),
    Bias(usize, Role),
    /// llama.cpp's per-frequency rope divisors (GGUF only).
    RopeFreqs,
}

impl Slot {
    fn is_norm(self) -> bool {
        matches!(
            self,
            Slot::Norm
                | Slot::Weight(
                    _,
                    Role::AttnNorm | Role::QNorm | Role::KNorm | Role::PostAttnNorm | Role::FfnNorm | Role::PostFfnNorm
                )
        )
    }
}

/// The decoder's tensors in the order converters write them.
fn slots(m: &Decoder) -> Vec<Slot> {
    let fused = m.config.arch == Arch::Phi3;
    let mut v = vec![Slot::Embed, Slot::Norm];
    if !m.tied() {
        v.push(Slot::Head);
    }
    for (i, l) in m.layers.iter().enumerate() {
        let w = |r| Slot::Weight(i, r);
        v.push(w(Role::AttnNorm));
        if fused {
            v.push(w(Role::Qkv));
        } else {
            v.extend([w(Role::Q), w(Role::K), w(Role::V)]);
        }
        if l.q.bias.is_some() {
            v.extend([Slot::Bias(i, Role::Q), Slot::Bias(i, Role::K), Slot::Bias(i, Role::V)]);
        }
        v.push(w(Role::O));
        if l.q_norm.is_some() {
            v.extend([w(Role::QNorm), w(Role::KNorm)]);
        }
        if l.post_attn_norm.is_some() {
            v.push(w(Role::PostAttnNorm));
        }
        v.push(w(Role::FfnNorm));
        if fused {
            v.push(w(Role::GateUp));
        } else {
            v.extend([w(Role::Gate), w(Role::Up)]);
        }
        v.push(w(Role::Down));
        if l.post_ffn_norm.is_some() {
            v.push(w(Role::PostFfnNorm));
        }
    }
    v
}

/// The projection of a layer a role names.
fn linear(m: &Decoder, i: usize, role: Role) -> Option<&Linear> {
    let l = &m.layers[i];
    Some(match role {
        Role::Q => &l.q,
        Role::K => &l.k,
        Role::V => &l.v,
        Role::O => &l.o,
        Role::Gate => &l.gate,
        Role::Up => &l.up,
        Role::Down => &l.down,
        _ => return None,
    })
}

/// A projection's weight as f32, with its adapter merged in.
fn merged(l: &Linear) -> candle_core::Result<Tensor> {
    let w = l.weight.to_f32()?;
    match &l.lora {
        Some(lora) => w + (lora.b.matmul(&lora.a)? * lora.scale)?,
        None => Ok(w),
    }
}

/// Whether a slot's tensor changes because of the adapter.
fn is_merged(m: &Decoder, slot: Slot) -> bool {
    let has = |i, r| linear(m, i, r).is_some_and(|l| l.lora.is_some());
    match slot {
        Slot::Weight(i, Role::Qkv) => [Role::Q, Role::K, Role::V].iter().any(|r| has(i, *r)),
        Slot::Weight(i, Role::GateUp) => has(i, Role::Gate) || has(i, Role::Up),
        Slot::Weight(i, r) => has(i, r),
        _ => false,
    }
}

/// A slot's tensor as hfx holds it (f32, q/k rows in the held order, Gemma norms as applied).
fn held(m: &Decoder, slot: Slot) -> candle_core::Result<Tensor> {
    let l = |i: usize| &m.layers[i];
    let missing = || candle_core::Error::Msg(format!("the model has no {slot:?}"));
    match slot {
        Slot::Embed => m.embed.to_f32(),
        Slot::Norm => Ok(m.norm.weight.clone()),
        Slot::Head => merged(&m.lm_head),
        Slot::RopeFreqs => {
            let c = &m.config;
            let scaled = c.inv_freqs(false);
            let mut plain = c.clone();
            plain.rope_scaling = super::decoder::RopeScaling::None;
            let base = plain.inv_freqs(false);
            let f: Vec<f32> = base.iter().zip(&scaled).map(|(b, s)| b / s).collect();
            Tensor::from_vec(f, scaled.len(), &Device::Cpu)
        }
        Slot::Bias(i, r) => linear(m, i, r).and_then(|x| x.bias.clone()).ok_or_else(missing),
        Slot::Weight(i, Role::Qkv) => Tensor::cat(&[merged(&l(i).q)?, merged(&l(i).k)?, merged(&l(i).v)?], 0),
        Slot::Weight(i, Role::GateUp) => Tensor::cat(&[merged(&l(i).gate)?, merged(&l(i).up)?], 0),
        Slot::Weight(i, r) => {
            if let Some(x) = linear(m, i, r) {
                return merged(x);
            }
            let norm = match r {
                Role::AttnNorm => Some(&l(i).attn_norm),
                Role::FfnNorm => Some(&l(i).ffn_norm),
                Role::QNorm => l(i).q_norm.as_ref(),
                Role::KNorm => l(i).k_norm.as_ref(),
                Role::PostAttnNorm => l(i).post_attn_norm.as_ref(),
                Role::PostFfnNorm => l(i).post_ffn_norm.as_ref(),
                _ => None,
            };
            norm.map(|n| n.weight.clone()).ok_or_else(missing)
        }
    }
}

/// The heads whose rows a q/k tensor's rope order permutes.
fn qk_heads(m: &Decoder, slot: Slot) -> Option<usize> {
    match slot {
        Slot::Weight(_, Role::Q) | Slot::Bias(_, Role::Q) => Some(m.config.num_heads),
        Slot::Weight(_, Role::K) | Slot::Bias(_, Role::K) => Some(m.config.num_kv_heads),
        _ => None,
    }
}

/// Reorder q/k rows (weights and biases alike) with `f`.
fn reorder(
    t: &Tensor,
    heads: usize,
    f: fn(&Tensor, usize) -> candle_core::Result<Tensor>,
) -> candle_core::Result<Tensor> {
    if t.rank() == 1 {
        return f(&t.unsqueeze(1)?, heads)?.squeeze(1);
    }
    f(t, heads)
}

/// llama.cpp's `use_more_bits`: the layers Q4_K_M gives Q6_K for attn_v and ffn_down.
fn more_bits(i: usize, n: usize) -> bool {
    i < n / 8 || i >= 7 * n / 8 || (i as i64 - (n / 8) as i64) % 3 == 2
}

impl Quant {
    /// The tensor type `llama-quantize` gives a matrix under this preset.
    fn type_for(self, slot: Slot, layers: usize, tied: bool) -> GgmlDType {
        let output = slot == Slot::Head || (tied && slot == Slot::Embed);
        match self {
            Quant::Q8_0 => GgmlDType::Q8_0,
            Quant::Q4_0 if output => GgmlDType::Q6K,
            Quant::Q4_0 => GgmlDType::Q4_0,
            Quant::Q4KM => match slot {
                _ if output => GgmlDType::Q6K,
                Slot::Weight(i, Role::V | Role::Down) if more_bits(i, layers) => GgmlDType::Q6K,
                Slot::Weight(_, Role::Qkv) => GgmlDType::Q5K,
                _ => GgmlDType::Q4K,
            },
        }
    }

    /// `general.file_type` (llama.cpp's `llama_ftype`).
    fn file_type(self) -> u32 {
        match self {
            Quant::Q8_0 => 7,
            Quant::Q4_0 => 2,
            Quant::Q4KM => 15,
        }
    }
}

fn float_file_type(f: FloatType) -> u32 {
    match f {
        FloatType::F32 => 0,
        FloatType::F16 => 1,
        FloatType::Bf16 => 32,
    }
}

/// The model to export, loaded, with the adapter attached; a GGUF source's parsed header (its
/// metadata, vocabulary and tensor directory are read once for the whole export).
struct Model {
    m: Decoder,
    merged: usize,
    gguf: Option<Gguf>,
}

fn load(files: &ModelFiles, lora: Option<&Path>) -> Result<Model> {
    let cpu = Device::Cpu;
    let mut gguf = None;
    let mut m = match files {
        ModelFiles::Gguf(p) => {
            let g = gguf.insert(Gguf::open(p)?);
            Decoder::from_parsed_gguf(g, &cpu, WeightDtype::Native)?
        }
        ModelFiles::Dir(d) => {
            let kind = super::embed::model_type(d)?;
            if !super::decoder::SAFETENSORS_DECODERS.contains(&kind.as_str()) && kind != "gemma3" {
                return Err(ModelError::UnsupportedArchitecture { model_type: kind });
            }
            Decoder::from_safetensors(d, &cpu, WeightDtype::Native)?
        }
        ModelFiles::TokenizerJson(p) => return Err(ModelError::NotFound { path: p.with_file_name("config.json") }),
    };
    let merged = match lora {
        Some(dir) => super::lora::apply(&mut m, dir)?,
        None => 0,
    };
    Ok(Model { m, merged, gguf })
}

/// Export `files` (a decoder) to `out` as `target`.
pub fn export(
    files: &ModelFiles,
    out: &Path,
    target: Target,
    opts: &ExportOptions,
    progress: &dyn Progress,
) -> Result<Exported> {
    let model = load(files, opts.lora.as_deref())?;
    match target {
        Target::Safetensors => hf_files::write_folder(files, &model, out, opts.dtype, progress),
        Target::Gguf => to_gguf(files, &model, out, opts, progress),
    }
}

/// The architecture settings of a model's files, without loading its weights (what a LoRA GGUF
/// export needs of the base).
pub fn decoder_config(files: &ModelFiles) -> Result<super::decoder::DecoderConfig> {
    match files {
        ModelFiles::Gguf(p) => super::decoder::DecoderConfig::from_gguf(&Gguf::open(p)?),
        ModelFiles::Dir(d) => super::decoder::DecoderConfig::from_dir(d),
        ModelFiles::TokenizerJson(p) => Err(ModelError::NotFound { path: p.with_file_name("config.json") }),
    }
}

/// Where a GGUF source keeps a tensor, to copy it unchanged.
struct RawSource<'a> {
    files: Vec<std::fs::File>,
    g: &'a Gguf,
}

impl<'a> RawSource<'a> {
    fn open(g: &'a Gguf) -> Result<Self> {
        let files = g.shards.iter().map(|s| Ok(fs_err::File::open(&s.path)?.into_parts().0)).collect::<Result<_>>()?;
        Ok(Self { files, g })
    }

    fn dtype(&self, name: &str) -> Option<GgmlDType> {
        self.g.content.tensor_infos.get(name).map(|i| i.ggml_dtype)
    }

    fn bytes(&mut self, name: &str, len: usize) -> Result<Vec<u8>> {
        let missing = || ModelError::BadModel { path: self.g.path.clone(), reason: format!("no tensor `{name}`") };
        let (_, shard, start) = self.g.locate(name).ok_or_else(missing)?;
        let io = |source| ModelError::Io { path: self.g.shards[shard].path.clone(), source };
        let file = &mut self.files[shard];
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        let mut buf = vec![0; len];
        file.read_exact(&mut buf).map_err(io)?;
        Ok(buf)
    }
}

fn gguf_tensor_name(slot: Slot) -> String {
    match slot {
        Slot::Embed => "token_embd.weight".into(),
        Slot::Norm => "output_norm.weight".into(),
        Slot::Head => "output.weight".into(),
        Slot::RopeFreqs => "rope_freqs.weight".into(),
        Slot::Weight(i, r) => format!("blk.{i}.{}.weight", gguf_name(r)),
        Slot::Bias(i, r) => format!("blk.{i}.{}.bias", gguf_name(r)),
    }
}

fn to_gguf(
    files: &ModelFiles,
    model: &Model,
    out: &Path,
    opts: &ExportOptions,
    progress: &dyn Progress,
) -> Result<Exported> {
    let m = &model.m;
    let c = &m.config;
    let mut raw = model.gguf.as_ref().map(RawSource::open).transpose()?;
    let mut slots = slots(m);
    if matches!(c.rope_scaling, super::decoder::RopeScaling::Factors(_) | super::decoder::RopeScaling::Llama3 { .. }) {
        slots.push(Slot::RopeFreqs);
    }
    // llama.cpp's llama architecture keeps q/k rows in its interleaved rope order.
    let interleave = c.arch.gguf_name() == "llama" && !c.rope_interleaved;
    let source_float = match files {
        ModelFiles::Dir(d) => hf_files::source_dtype(d),
        _ => FloatType::F32,
    };
    let tied = m.tied();
    let mut entries = Vec::with_capacity(slots.len());
    for &slot in &slots {
        let name = gguf_tensor_name(slot);
        let dims = held_dims(m, slot)?;
        let two_d = dims.len() == 2;
        let keep = raw.as_ref().and_then(|r| r.dtype(&name)).unwrap_or(source_float.ggml());
        let dtype = if !two_d {
            GgmlDType::F32
        } else {
            let want = match (opts.quant, opts.dtype) {
                (Some(q), _) => q.type_for(slot, c.num_layers, tied),
                (None, Some(f)) => f.ggml(),
                (None, None) => keep,
            };
            fit(want, dims[1])
        };
        entries.push(Entry { name, dims, dtype });
    }
    let file_type = match (opts.quant, opts.dtype) {
        (Some(q), _) => q.file_type(),
        (None, Some(f)) => float_file_type(f),
        (None, None) => match &raw {
            Some(r) => r.g.u32("general.file_type").unwrap_or(0),
            None => float_file_type(source_float),
        },
    };
    let quantized = entries.iter().any(|e| e.dtype.block_size() > 1);
    let metadata = match (&raw, files) {
        (Some(r), _) => gguf_meta::from_gguf(r.g, file_type, quantized),
        (None, ModelFiles::Dir(d)) => {
            gguf_meta::from_hf(c, d, file_type, quantized, m.embed.dims2().map_or(0, |d| d.0))?
        }
        _ => unreachable!("load() accepts GGUF files and folders only"),
    };
    let e = |err: candle_core::Error| ModelError::Generation(candle_message(&err));
    let bytes = write::gguf(
        out,
        &metadata,
        &entries,
        |i| {
            let (slot, entry) = (slots[i], &entries[i]);
            if let Some(r) = raw.as_mut()
                && r.dtype(&entry.name) == Some(entry.dtype)
                && !is_merged(m, slot)
            {
                return r.bytes(&entry.name, entry.bytes());
            }
            let mut t = held(m, slot).map_err(e)?;
            if let Some(h) = qk_heads(m, slot).filter(|_| interleave) {
                t = reorder(&t, h, permute).map_err(e)?;
            }
            encode(&t, entry.dtype).map_err(e)
        },
        progress,
    )?;
    Ok(Exported {
        path: out.to_path_buf(),
        format: "gguf",
        tensors: entries.len(),
        bytes,
        merged: model.merged,
        types: type_counts(&entries),
        files: vec![out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()],
    })
}

/// A slot's dimensions, without materializing it.
fn held_dims(m: &Decoder, slot: Slot) -> Result<Vec<usize>> {
    let e = |err: candle_core::Error| ModelError::Generation(candle_message(&err));
    let l = |i: usize| &m.layers[i];
    let rows = |x: &Linear| x.weight.dims2().map_err(e);
    Ok(match slot {
        Slot::Embed => {
            let (a, b) = m.embed.dims2().map_err(e)?;
            vec![a, b]
        }
        Slot::Head => {
            let (a, b) = rows(&m.lm_head)?;
            vec![a, b]
        }
        Slot::Weight(i, Role::Qkv) => {
            let ((q, k), (v, h)) = ((rows(&l(i).q)?.0, rows(&l(i).k)?.0), rows(&l(i).v)?);
            vec![q + k + v, h]
        }
        Slot::Weight(i, Role::GateUp) => {
            let ((g, h), u) = (rows(&l(i).gate)?, rows(&l(i).up)?.0);
            vec![g + u, h]
        }
        Slot::Weight(i, r) if linear(m, i, r).is_some() => {
            let (a, b) = rows(linear(m, i, r).expect("checked"))?;
            vec![a, b]
        }
        Slot::RopeFreqs => vec![m.config.head_dim / 2],
        _ => held(m, slot).map_err(e)?.dims().to_vec(),
    })
}

/// ggml's name for a tensor type (what llama.cpp prints).
fn ggml_type_name(t: GgmlDType) -> &'static str {
    match t {
        GgmlDType::F32 => "F32",
        GgmlDType::F16 => "F16",
        GgmlDType::BF16 => "BF16",
        GgmlDType::Q4_0 => "Q4_0",
        GgmlDType::Q4_1 => "Q4_1",
        GgmlDType::Q5_0 => "Q5_0",
        GgmlDType::Q5_1 => "Q5_1",
        GgmlDType::Q8_0 => "Q8_0",
        GgmlDType::Q8_1 => "Q8_1",
        GgmlDType::Q2K => "Q2_K",
        GgmlDType::Q3K => "Q3_K",
        GgmlDType::Q4K => "Q4_K",
        GgmlDType::Q5K => "Q5_K",
        GgmlDType::Q6K => "Q6_K",
        GgmlDType::Q8K => "Q8_K",
    }
}

fn type_counts(entries: &[Entry]) -> BTreeMap<String, usize> {
    let mut types = BTreeMap::new();
    for e in entries {
        *types.entry(ggml_type_name(e.dtype).to_string()).or_insert(0) += 1;
    }
    types
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_k_m_types_follow_llama_quantize() {
        // SmolLM2: 30 layers, 576-wide rows (not a multiple of 256), 1536-wide ffn_down rows.
        let t = |slot, cols| fit(Quant::Q4KM.type_for(slot, 30, true), cols);
        assert_eq!(t(Slot::Embed, 576), GgmlDType::Q8_0);
        assert_eq!(t(Slot::Weight(0, Role::Q), 576), GgmlDType::Q5_0);
        assert_eq!(t(Slot::Weight(0, Role::Down), 1536), GgmlDType::Q6K);
        assert_eq!(t(Slot::Weight(4, Role::Down), 1536), GgmlDType::Q4K);
        assert_eq!(t(Slot::Weight(5, Role::Down), 1536), GgmlDType::Q6K);
        assert_eq!(t(Slot::Weight(6, Role::Down), 1536), GgmlDType::Q4K);
        assert_eq!(t(Slot::Weight(29, Role::Down), 1536), GgmlDType::Q6K);
        assert_eq!(t(Slot::Weight(0, Role::V), 4096), GgmlDType::Q6K);
        assert_eq!(t(Slot::Weight(4, Role::O), 4096), GgmlDType::Q4K);
        // Untied embeddings follow the preset; the output projection gets Q6_K.
        assert_eq!(fit(Quant::Q4KM.type_for(Slot::Embed, 30, false), 4096), GgmlDType::Q4K);
        assert_eq!(fit(Quant::Q4_0.type_for(Slot::Head, 30, false), 4096), GgmlDType::Q6K);
        assert_eq!(fit(Quant::Q4_0.type_for(Slot::Weight(3, Role::Q), 30, false), 576), GgmlDType::Q4_0);
        assert_eq!(fit(GgmlDType::Q8_0, 100), GgmlDType::F16);
        let layers: Vec<usize> = (0..30).filter(|i| more_bits(*i, 30)).collect();
        assert_eq!(layers, [0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 26, 27, 28, 29]);
    }
}
