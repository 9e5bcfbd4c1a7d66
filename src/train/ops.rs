//! The pieces of a decoder's training step, each a forward function that returns what its
//! backward needs and a backward function written by hand.
//!
//! Why not candle's autograd: hfx's inference ops (norm, rope, masked softmax, quantized
//! matmul) are built without a backward pass, so a graph through them silently yields no
//! gradient; and candle's backward of a matmul always computes the gradient of both sides,
//! which for a frozen base doubles the work (every `(in, out)` weight gradient would be
//! computed and dropped). Here only input gradients flow through frozen weights, the
//! vocabulary projection runs on the labelled positions only, in chunks, and activations are
//! kept once. Each function is checked against finite differences in this module's tests.

use candle_core::{DType, Device, Result, Storage, Tensor};
use rayon::prelude::*;

use crate::models::decoder::Weight;

/// Run `f` on a tensor's f32 values, in place when the tensor is a contiguous f32 CPU tensor.
pub fn read<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    let owned;
    let t = if t.is_contiguous() && t.dtype() == DType::F32 {
        t
    } else {
        owned = t.to_dtype(DType::F32)?.contiguous()?;
        &owned
    };
    let (storage, layout) = t.storage_and_layout();
    if let Storage::Cpu(c) = &*storage {
        let v = c.as_slice::<f32>()?;
        return Ok(f(&v[layout.start_offset()..layout.start_offset() + t.elem_count()]));
    }
    drop(storage);
    let v = t.flatten_all()?.to_vec1::<f32>()?;
    Ok(f(&v))
}

/// A tensor from values computed on the CPU, on `device`.
pub fn tensor(v: Vec<f32>, shape: &[usize], device: &Device) -> Result<Tensor> {
    Tensor::from_vec(v, shape, &Device::Cpu)?.to_device(device)
}

/// Rows of a frozen weight as f32, `chunk` rows at a time (one piece for an f32 tensor).
/// Quantized weights stay quantized in memory: each piece is dequantized when it is used,
/// about 4 MiB at a time, which is how QLoRA trains on a quantized base without an f32 copy.
fn each_rows(w: &Weight, mut f: impl FnMut(usize, &Tensor) -> Result<()>) -> Result<()> {
    if let Weight::Dense(t) = w
        && t.dtype() == DType::F32
    {
        return f(0, t);
    }
    let (rows, cols) = w.dims2()?;
    let chunk = (1 << 20) / cols.max(1);
    let chunk = chunk.clamp(1, rows.max(1));
    let mut start = 0;
    while start < rows {
        let len = chunk.min(rows - start);
        let part = match w {
            Weight::Dense(t) => t.narrow(0, start, len)?.to_dtype(DType::F32)?,
            _ => w.rows(start, len)?.to_f32()?,
        };
        f(start, &part)?;
        start += len;
    }
    Ok(())
}

/// `x W^T` for a frozen weight `(out, in)` and `x (n, in)`.
pub fn frozen_forward(w: &Weight, x: &Tensor) -> Result<Tensor> {
    let mut parts = Vec::new();
    each_rows(w, |_, rows| {
        parts.push(x.matmul(&rows.t()?)?);
        Ok(())
    })?;
    if parts.len() == 1 { Ok(parts.remove(0)) } else { Tensor::cat(&parts, 1) }
}

/// `dy W`: the input gradient through a frozen weight (no weight gradient is formed).
pub fn frozen_backward(w: &Weight, dy: &Tensor) -> Result<Tensor> {
    let mut dx: Option<Tensor> = None;
    each_rows(w, |start, rows| {
        let n = rows.dim(0)?;
        let part =
            if n == dy.dim(1)? { dy.matmul(rows)? } else { dy.narrow(1, start, n)?.contiguous()?.matmul(rows)? };
        dx = Some(match dx.take() {
            None => part,
            Some(d) => (d + part)?,
        });
        Ok(())
    })?;
    dx.ok_or_else(|| candle_core::Error::Msg("an empty weight".into()))
}

/// RMS norm over the last dimension of `x (rows, h)`: the output and each row's `1/rms`.
pub fn rms_norm(x: &Tensor, w: &Tensor, eps: f32) -> Result<(Tensor, Vec<f32>)> {
    let h = w.elem_count();
    let (y, r) = read(x, |xv| {
        read(w, |wv| {
            let rows = xv.len() / h;
            let mut y = vec![0f32; xv.len()];
            let mut r = vec![0f32; rows];
            y.par_chunks_mut(h).zip(r.par_iter_mut()).zip(xv.par_chunks(h)).for_each(|((y, r), x)| {
                let ms = x.iter().map(|v| v * v).sum::<f32>() / h as f32;
                *r = 1.0 / (ms + eps).sqrt();
                for ((y, x), w) in y.iter_mut().zip(x).zip(wv) {
                    *y = x * *r * w;
                }
            });
            (y, r)
        })
    })??;
    Ok((tensor(y, x.dims(), x.device())?, r))
}

/// The input gradient of `rms_norm` given the output gradient `dy`.
pub fn rms_norm_backward(x: &Tensor, r: &[f32], w: &Tensor, dy: &Tensor) -> Result<Tensor> {
    let h = w.elem_count();
    let dx = read(x, |xv| {
        read(w, |wv| {
            read(dy, |dyv| {
                let mut dx = vec![0f32; xv.len()];
                dx.par_chunks_mut(h).zip(xv.par_chunks(h)).zip(dyv.par_chunks(h)).zip(r.par_iter()).for_each(
                    |(((dx, x), dy), &r)| {
                        // d/dx (x r w) = r (dy w) - x r^3 mean(dy w x)
                        let dot = x.iter().zip(dy).zip(wv).map(|((x, d), w)| x * d * w).sum::<f32>() / h as f32;
                        let c = r * r * r * dot;
                        for (((dx, x), d), w) in dx.iter_mut().zip(x).zip(dy).zip(wv) {
                            *dx = r * d * w - x * c;
                        }
                    },
                );
                dx
            })
        })
    })???;
    tensor(dx, x.dims(), x.device())
}

/// Rotary embedding of `x (1, heads, t, head_dim)`; `inverse` rotates back, which is also the
/// backward pass (a rotation's transpose is its inverse).
pub fn rope(x: &Tensor, cos: &Tensor, sin: &Tensor, interleaved: bool, inverse: bool) -> Result<Tensor> {
    let sin = if inverse { sin.neg()? } else { sin.clone() };
    let x = x.contiguous()?;
    if interleaved { candle_nn::rotary_emb::rope_i(&x, cos, &sin) } else { candle_nn::rotary_emb::rope(&x, cos, &sin) }
}

/// How attention scores are shaped before the softmax.
#[derive(Debug, Clone, Copy)]
pub struct AttnShape {
    /// Query positions (and key positions: a training row attends within itself).
    pub t: usize,
    pub scale: f32,
    pub softcap: Option<f32>,
    /// Keys at most this far back (sliding-window layers).
    pub window: Option<usize>,
}

/// Row `r`'s scaled (and soft-capped) scores over its visible keys `lo..=i`, into `z`.
fn visible(x: &[f32], r: usize, s: AttnShape, z: &mut [f32]) -> (usize, usize) {
    let i = r % s.t;
    let lo = s.window.map_or(0, |w| (i + 1).saturating_sub(w));
    for j in lo..=i {
        let mut v = x[j] * s.scale;
        if let Some(cap) = s.softcap {
            v = (v / cap).tanh() * cap;
        }
        z[j] = v;
    }
    (lo, i)
}

/// Scores `(kv, groups * t, t)` to probabilities, causal and windowed; rows are `(group, i)`
/// for query position `i`. Also returns each row's logsumexp, from which the backward pass
/// recomputes the probabilities: storing them would cost `heads * t^2` floats per record and
/// layer (9 GB over SmolLM2's 30 layers for 8 records of 1024 tokens).
pub fn masked_softmax(scores: &Tensor, s: AttnShape) -> Result<(Tensor, Vec<f32>)> {
    let t = s.t;
    let (p, lse) = read(scores, |sv| {
        let mut p = vec![0f32; sv.len()];
        let mut lse = vec![0f32; sv.len() / t];
        p.par_chunks_mut(t).zip(sv.par_chunks(t)).zip(lse.par_iter_mut()).enumerate().for_each(|(r, ((p, x), l))| {
            let (lo, i) = visible(x, r, s, p);
            let max = p[lo..=i].iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0f32;
            for v in &mut p[lo..=i] {
                *v = (*v - max).exp();
                sum += *v;
            }
            for v in &mut p[lo..=i] {
                *v /= sum;
            }
            *l = max + sum.ln();
        });
        (p, lse)
    })?;
    Ok((tensor(p, scores.dims(), scores.device())?, lse))
}

/// The probabilities again, from the scores and the forward pass's logsumexp.
pub fn softmax_from_lse(scores: &Tensor, lse: &[f32], s: AttnShape) -> Result<Tensor> {
    let t = s.t;
    let p = read(scores, |sv| {
        let mut p = vec![0f32; sv.len()];
        p.par_chunks_mut(t).zip(sv.par_chunks(t)).zip(lse.par_iter()).enumerate().for_each(|(r, ((p, x), &l))| {
            let (lo, i) = visible(x, r, s, p);
            p[lo..=i].iter_mut().for_each(|v| *v = (*v - l).exp());
        });
        p
    })?;
    tensor(p, scores.dims(), scores.device())
}

/// The gradient of the raw scores given the probabilities `p` and their gradient `dp` (the
/// scores are needed only for a soft cap's derivative).
pub fn masked_softmax_backward(p: &Tensor, scores: Option<&Tensor>, dp: &Tensor, s: AttnShape) -> Result<Tensor> {
    let t = s.t;
    let none = Tensor::zeros(t, DType::F32, &Device::Cpu)?;
    let scores = match (scores, s.softcap) {
        (Some(x), _) => x,
        (None, None) => &none,
        (None, Some(_)) => candle_core::bail!("a soft-capped softmax's backward needs the scores"),
    };
    let per_row = scores.elem_count() != t;
    let ds = read(p, |pv| {
        read(dp, |dpv| {
            read(scores, |sv| {
                let mut ds = vec![0f32; pv.len()];
                let rows = ds.par_chunks_mut(t).zip(pv.par_chunks(t).zip(dpv.par_chunks(t)));
                rows.enumerate().for_each(|(r, (ds, (p, dp)))| {
                    let x = if per_row { &sv[r * t..(r + 1) * t] } else { sv };
                    let dot: f32 = p.iter().zip(dp).map(|(a, b)| a * b).sum();
                    for j in 0..t {
                        let mut g = p[j] * (dp[j] - dot);
                        if let Some(cap) = s.softcap {
                            let th = ((x[j] * s.scale) / cap).tanh();
                            g *= 1.0 - th * th;
                        }
                        ds[j] = g * s.scale;
                    }
                });
                ds
            })
        })
    })???;
    tensor(ds, p.dims(), p.device())
}

/// The MLP's activation: `act(g) * u`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Silu,
    GeluTanh,
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

const GELU_C: f32 = 0.797_884_6; // sqrt(2 / pi)

impl Gate {
    fn value(self, g: f32) -> f32 {
        match self {
            Self::Silu => g * sigmoid(g),
            Self::GeluTanh => 0.5 * g * (1.0 + (GELU_C * (g + 0.044_715 * g * g * g)).tanh()),
        }
    }

    fn derivative(self, g: f32) -> f32 {
        match self {
            Self::Silu => {
                let s = sigmoid(g);
                s * (1.0 + g * (1.0 - s))
            }
            Self::GeluTanh => {
                let th = (GELU_C * (g + 0.044_715 * g * g * g)).tanh();
                0.5 * (1.0 + th) + 0.5 * g * (1.0 - th * th) * GELU_C * (1.0 + 3.0 * 0.044_715 * g * g)
            }
        }
    }

    /// `act(g) * u`.
    pub fn forward(self, g: &Tensor, u: &Tensor) -> Result<Tensor> {
        let y = read(g, |gv| {
            read(u, |uv| gv.par_iter().zip(uv.par_iter()).map(|(&g, &u)| self.value(g) * u).collect::<Vec<f32>>())
        })??;
        tensor(y, g.dims(), g.device())
    }

    /// Gradients of `g` and `u` given the output gradient `dy`.
    pub fn backward(self, g: &Tensor, u: &Tensor, dy: &Tensor) -> Result<(Tensor, Tensor)> {
        let (dg, du) = read(g, |gv| {
            read(u, |uv| {
                read(dy, |dv| {
                    let mut dg = vec![0f32; gv.len()];
                    let mut du = vec![0f32; gv.len()];
                    dg.par_iter_mut().zip(du.par_iter_mut()).enumerate().for_each(|(i, (dg, du))| {
                        *dg = dv[i] * uv[i] * self.derivative(gv[i]);
                        *du = dv[i] * self.value(gv[i]);
                    });
                    (dg, du)
                })
            })
        })???;
        Ok((tensor(dg, g.dims(), g.device())?, tensor(du, g.dims(), g.device())?))
    }
}

/// Cross-entropy of the vocabulary projection of `h (m, hidden)` against `targets`, with
/// rows computed `chunk` at a time so the `(m, vocab)` logits never sit in memory whole.
/// Returns the summed loss (f64) and the gradient of `sum / denom` with respect to `h`.
pub fn cross_entropy(
    head: &Weight,
    h: &Tensor,
    targets: &[u32],
    softcap: Option<f32>,
    denom: f64,
    chunk: usize,
) -> Result<(f64, Tensor)> {
    let m = targets.len();
    let mut total = 0f64;
    let mut grads = Vec::new();
    let mut start = 0;
    while start < m {
        let n = chunk.min(m - start);
        let hc = h.narrow(0, start, n)?.contiguous()?;
        let logits = frozen_forward(head, &hc)?;
        let vocab = logits.dim(1)?;
        let tgt = &targets[start..start + n];
        let (loss, dl) = read(&logits, |lv| {
            let mut dl = vec![0f32; lv.len()];
            let losses: Vec<f64> = dl
                .par_chunks_mut(vocab)
                .zip(lv.par_chunks(vocab))
                .zip(tgt.par_iter())
                .map(|((d, z), &t)| {
                    let cap = |v: f32| softcap.map_or(v, |c| (v / c).tanh() * c);
                    // One exponential per logit: d holds exp(z - max) until it is scaled.
                    let mut max = f32::NEG_INFINITY;
                    for (d, &v) in d.iter_mut().zip(z) {
                        *d = cap(v);
                        max = max.max(*d);
                    }
                    let mut sum = 0f64;
                    for d in d.iter_mut() {
                        *d = (*d - max).exp();
                        sum += f64::from(*d);
                    }
                    let lse = f64::from(max) + sum.ln();
                    let scale = (1.0 / (sum * denom)) as f32;
                    match softcap {
                        None => d.iter_mut().for_each(|d| *d *= scale),
                        Some(cv) => {
                            for (d, &v) in d.iter_mut().zip(z) {
                                let th = cap(v) / cv;
                                *d *= scale * (1.0 - th * th);
                            }
                        }
                    }
                    let zt = cap(z[t as usize]);
                    let th = softcap.map_or(1.0, |cv| 1.0 - (zt / cv) * (zt / cv));
                    d[t as usize] -= (f64::from(th) / denom) as f32;
                    lse - f64::from(zt)
                })
                .collect();
            (losses.iter().sum::<f64>(), dl)
        })?;
        total += loss;
        drop(logits);
        grads.push(frozen_backward(head, &tensor(dl, &[n, vocab], h.device())?)?);
        start += n;
    }
    let dh = if grads.len() == 1 { grads.remove(0) } else { Tensor::cat(&grads, 0)? };
    Ok((total, dh))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central differences of `f` at `x` in the direction of each of a few coordinates.
    fn check(name: &str, x: &[f32], analytic: &[f32], f: &dyn Fn(&[f32]) -> f64) {
        let eps = 1e-2f32;
        let mut worst = 0f64;
        for i in (0..x.len()).step_by((x.len() / 17).max(1)) {
            let (mut p, mut m) = (x.to_vec(), x.to_vec());
            p[i] += eps;
            m[i] -= eps;
            let num = (f(&p) - f(&m)) / (2.0 * f64::from(eps));
            let err = (num - f64::from(analytic[i])).abs() / (num.abs().max(f64::from(analytic[i]).abs()) + 1e-2);
            worst = worst.max(err);
        }
        assert!(worst < 2e-2, "{name}: worst relative error {worst}");
    }

    fn t(v: &[f32], shape: &[usize]) -> Tensor {
        tensor(v.to_vec(), shape, &Device::Cpu).unwrap()
    }

    fn vals(x: &Tensor) -> Vec<f32> {
        x.flatten_all().unwrap().to_vec1().unwrap()
    }

    fn random(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// A fixed random projection of an output: the scalar whose gradient is checked.
    fn dot(y: &[f32], c: &[f32]) -> f64 {
        y.iter().zip(c).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum()
    }

    #[test]
    fn rms_norm_backward_matches_finite_differences() {
        let (rows, h) = (3, 8);
        let x = random(rows * h, 1);
        let w = t(&random(h, 2), &[h]);
        let c = random(rows * h, 3);
        let f = |x: &[f32]| dot(&vals(&rms_norm(&t(x, &[rows, h]), &w, 1e-5).unwrap().0), &c);
        let (_, r) = rms_norm(&t(&x, &[rows, h]), &w, 1e-5).unwrap();
        let dx = rms_norm_backward(&t(&x, &[rows, h]), &r, &w, &t(&c, &[rows, h])).unwrap();
        check("rms_norm", &x, &vals(&dx), &f);
    }

    #[test]
    fn rope_backward_is_the_transpose_of_the_forward() {
        let (heads, tt, d) = (2, 5, 8);
        let ang = random(tt * d / 2, 4);
        let cos = t(&ang.iter().map(|a| (a * 3.0).cos()).collect::<Vec<_>>(), &[tt, d / 2]);
        let sin = t(&ang.iter().map(|a| (a * 3.0).sin()).collect::<Vec<_>>(), &[tt, d / 2]);
        let x = random(heads * tt * d, 5);
        let c = random(heads * tt * d, 6);
        for interleaved in [false, true] {
            let f =
                |x: &[f32]| dot(&vals(&rope(&t(x, &[1, heads, tt, d]), &cos, &sin, interleaved, false).unwrap()), &c);
            let dx = rope(&t(&c, &[1, heads, tt, d]), &cos, &sin, interleaved, true).unwrap();
            check("rope", &x, &vals(&dx), &f);
        }
    }

    #[test]
    fn masked_softmax_backward_matches_finite_differences() {
        let (kv, rows, tt) = (2, 6, 3); // groups 2, t 3
        let x = random(kv * rows * tt, 7);
        let c = random(kv * rows * tt, 8);
        for (softcap, window) in [(None, None), (Some(0.7f32), Some(2usize))] {
            let s = AttnShape { t: tt, scale: 1.3, softcap, window };
            let f = |x: &[f32]| dot(&vals(&masked_softmax(&t(x, &[kv, rows, tt]), s).unwrap().0), &c);
            let (p, lse) = masked_softmax(&t(&x, &[kv, rows, tt]), s).unwrap();
            let pv = vals(&p);
            // Causal: row (g, i) gives nothing to keys after i.
            assert_eq!(pv[1], 0.0);
            let scores = t(&x, &[kv, rows, tt]);
            let again = softmax_from_lse(&scores, &lse, s).unwrap();
            assert!(vals(&again).iter().zip(&pv).all(|(a, b)| (a - b).abs() < 1e-6));
            let ds = masked_softmax_backward(&p, Some(&scores), &t(&c, &[kv, rows, tt]), s).unwrap();
            if softcap.is_none() {
                let without = masked_softmax_backward(&p, None, &t(&c, &[kv, rows, tt]), s).unwrap();
                assert_eq!(vals(&without), vals(&ds));
            }
            check("softmax", &x, &vals(&ds), &f);
        }
    }

    #[test]
    fn gated_activations_backward_match_finite_differences() {
        let n = 40;
        let g = random(n, 9).iter().map(|v| v * 4.0).collect::<Vec<_>>();
        let u = random(n, 10);
        let c = random(n, 11);
        for gate in [Gate::Silu, Gate::GeluTanh] {
            let (dg, du) = gate.backward(&t(&g, &[n]), &t(&u, &[n]), &t(&c, &[n])).unwrap();
            check("gate g", &g, &vals(&dg), &|g: &[f32]| {
                dot(&vals(&gate.forward(&t(g, &[n]), &t(&u, &[n])).unwrap()), &c)
            });
            check("gate u", &u, &vals(&du), &|u: &[f32]| {
                dot(&vals(&gate.forward(&t(&g, &[n]), &t(u, &[n])).unwrap()), &c)
            });
        }
    }

    #[test]
    fn chunked_cross_entropy_matches_finite_differences_and_one_chunk() {
        let (m, h, vocab) = (5, 6, 11);
        let w = Weight::Dense(t(&random(vocab * h, 12), &[vocab, h]));
        let x = random(m * h, 13);
        let targets = [3u32, 0, 10, 7, 7];
        for softcap in [None, Some(2.0f32)] {
            let f = |x: &[f32]| cross_entropy(&w, &t(x, &[m, h]), &targets, softcap, 4.0, 2).unwrap().0 / 4.0;
            let (loss, dh) = cross_entropy(&w, &t(&x, &[m, h]), &targets, softcap, 4.0, 2).unwrap();
            let (loss1, dh1) = cross_entropy(&w, &t(&x, &[m, h]), &targets, softcap, 4.0, 64).unwrap();
            assert!((loss - loss1).abs() < 1e-9);
            assert_eq!(vals(&dh), vals(&dh1));
            check("cross entropy", &x, &vals(&dh), &f);
        }
    }

    #[test]
    fn frozen_quantized_weights_are_used_in_row_pieces() {
        use candle_core::quantized::GgmlDType;
        // 4096 rows of 512: several 4 MiB pieces.
        let w = t(&random(4096 * 512, 14), &[4096, 512]);
        let q = Weight::Dense(w).quantize(GgmlDType::Q8_0).unwrap();
        let deq = q.to_f32().unwrap();
        let x = t(&random(3 * 512, 15), &[3, 512]);
        let want = x.matmul(&deq.t().unwrap()).unwrap();
        let got = frozen_forward(&q, &x).unwrap();
        let diff = (want - &got).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(diff < 1e-3, "{diff}");
        let dy = t(&random(3 * 4096, 16), &[3, 4096]);
        let want = dy.matmul(&deq).unwrap();
        let got = frozen_backward(&q, &dy).unwrap();
        let diff = (want - got).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(diff < 1e-2, "{diff}");
    }
}
