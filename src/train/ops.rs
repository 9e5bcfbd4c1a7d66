//! The pieces of a decoder's training step, each a forward function that returns what its
//! backward needs and a backward function written by hand.
//!
//! Why not candle's autograd: hfx's inference ops (norm, rope, masked softmax, quantized
//! matmul) are built without a backward pass, so a graph through them silently yields no
//! gradient; and candle's backward of a matmul always computes the gradient of both sides,
//! which for a frozen base doubles the work (every `(in, out)` weight gradient would be
//! computed and dropped). Here only input gradients flow through frozen weights, the
//! vocabulary projection runs on the labelled positions only, in chunks, and activations are
//! kept once. Each function is checked against finite differences in this module's tests;
//! attention has its own module (`attention`), matrix products on slices theirs (`mm`).

use std::mem::MaybeUninit;

use candle_core::{DType, Device, Result, Storage, Tensor};
use rayon::prelude::*;

use super::mm::{self, Dst};
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

/// Elements per parallel task in elementwise loops: large enough for the inner loop to be
/// vectorized and the task overhead to vanish.
pub const CHUNK: usize = 1 << 14;

/// `sum a b c`, in one 16-lane sum (vectorized as [`dot`] is, without its four chains: it
/// runs once per norm row, not in the LoRA branch's inner loop).
pub fn dot3(a: &[f32], b: &[f32], c: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let (ca, cb, cc) = (a.chunks_exact(16), b.chunks_exact(16), c.chunks_exact(16));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).zip(cc.remainder()).map(|((x, y), z)| x * y * z).sum();
    for ((x, y), z) in ca.zip(cb).zip(cc) {
        for k in 0..16 {
            acc[k] += x[k] * y[k] * z[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// `a . b` in four independent 16-lane sums, so the compiler vectorizes it (a plain `sum` adds
/// one element at a time, in order) and, inlined into `wide`'s vector code, no add waits for
/// the previous one (one 16-lane sum did: the LoRA branch's dots were latency-bound). No
/// `mul_add`: off the `wide` path it is a libm call per element.
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (mut a0, mut a1, mut a2, mut a3) = ([0f32; 16], [0f32; 16], [0f32; 16], [0f32; 16]);
    let (ca, cb) = (a.chunks_exact(64), b.chunks_exact(64));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..16 {
            a0[k] += x[k] * y[k];
            a1[k] += x[k + 16] * y[k + 16];
            a2[k] += x[k + 32] * y[k + 32];
            a3[k] += x[k + 48] * y[k + 48];
        }
    }
    (0..16).map(|k| (a0[k] + a1[k]) + (a2[k] + a3[k])).sum::<f32>() + tail
}

/// The largest element (NaN ignored, as `f32::max` does), in 16 lanes.
pub fn max_of(v: &[f32]) -> f32 {
    wide(
        #[inline(always)]
        || max_inline(v),
    )
}

#[inline(always)]
fn max_inline(v: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 16];
    let c = v.chunks_exact(16);
    let tail = c.remainder().iter().fold(f32::NEG_INFINITY, |m, &x| if x > m { x } else { m });
    for x in c {
        for k in 0..16 {
            acc[k] = if x[k] > acc[k] { x[k] } else { acc[k] };
        }
    }
    acc.iter().fold(tail, |m, &x| if x > m { x } else { m })
}

/// `e^x` in f32 arithmetic the compiler vectorizes (libm's `expf` is a call per element):
/// Cephes' range reduction and polynomial, within 2 ulp of `f32::exp` (tested); 0 below
/// `e^-87`.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // 1.5 * 2^23: adding it rounds to the nearest integer n, which then sits in the sum's low
    // mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    let xc = x.clamp(-87.0, 88.3);
    let t = xc * LOG2E + ROUND;
    let n = t - ROUND;
    let r = xc - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 0.166_666_65;
    p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    // 2^n built from n's bits in `t` (-126 <= n <= 127): `n as i32` would be one scalar
    // conversion per element, as Rust's float-to-int cast saturates.
    let scaled = y * f32::from_bits(t.to_bits().wrapping_sub(ROUND.to_bits()).wrapping_add(127) << 23);
    if x < -87.0 { 0.0 } else { scaled }
}

/// RMS norm over the last dimension of `x (rows, h)`: the output and each row's `1/rms`.
pub fn rms_norm(x: &Tensor, w: &Tensor, eps: f32) -> Result<(Tensor, Vec<f32>)> {
    let h = w.elem_count();
    let (y, r) = read(x, |xv| {
        read(w, |wv| -> Result<_> {
            let rows = whole_rows(xv.len(), h)?;
            let mut r = vec![0f32; rows];
            let fill = |y: &mut [MaybeUninit<f32>]| {
                y.par_chunks_mut(h).zip(r.par_iter_mut()).zip(xv.par_chunks(h)).for_each(|((y, r), x)| {
                    let ms = dot(x, x) / h as f32;
                    *r = 1.0 / (ms + eps).sqrt();
                    for ((y, x), w) in y.iter_mut().zip(x).zip(wv) {
                        y.write(x * *r * w);
                    }
                });
                Ok(())
            };
            // SAFETY: `y` is `rows` whole rows of `h` (checked), each paired with one of `r`
            // and of `x` and written through `w`'s `h` values.
            #[allow(unsafe_code)]
            let y = unsafe { mm::fresh(xv.len(), fill) }?;
            Ok((y, r))
        })
    })???;
    Ok((tensor(y, x.dims(), x.device())?, r))
}

/// The input gradient of `rms_norm` given the output gradient `dy`.
pub fn rms_norm_backward(x: &Tensor, r: &[f32], w: &Tensor, dy: &Tensor) -> Result<Tensor> {
    norm_backward(x, r, w, dy, None)
}

/// `plus` + the input gradient of `rms_norm`: a residual branch's gradient joining the skip
/// path's in the same pass.
pub fn rms_norm_backward_plus(x: &Tensor, r: &[f32], w: &Tensor, dy: &Tensor, plus: &Tensor) -> Result<Tensor> {
    norm_backward(x, r, w, dy, Some(plus))
}

fn norm_backward(x: &Tensor, r: &[f32], w: &Tensor, dy: &Tensor, plus: Option<&Tensor>) -> Result<Tensor> {
    let dx = read(x, |xv| {
        read(w, |wv| {
            read(dy, |dyv| match plus {
                Some(p) => read(p, |pv| norm_backward_rows(xv, r, wv, dyv, Some(pv)))?,
                None => norm_backward_rows(xv, r, wv, dyv, None),
            })
        })
    })????;
    tensor(dx, x.dims(), x.device())
}

fn norm_backward_rows(x: &[f32], r: &[f32], w: &[f32], dy: &[f32], plus: Option<&[f32]>) -> Result<Vec<f32>> {
    let h = w.len();
    let rows = whole_rows(x.len(), h)?;
    if r.len() != rows || dy.len() != x.len() || plus.is_some_and(|p| p.len() != x.len()) {
        candle_core::bail!("norm backward: {rows} rows of {h}, {} scales, {} gradients", r.len(), dy.len());
    }
    let fill = |dx: &mut [MaybeUninit<f32>]| {
        let rows = dx.par_chunks_mut(h).enumerate().zip(x.par_chunks(h)).zip(dy.par_chunks(h)).zip(r.par_iter());
        rows.for_each(|((((i, dx), x), dy), &r)| {
            // d/dx (x r w) = r (dy w) - x r^3 mean(dy w x)
            let c = r * r * r * dot3(x, dy, w) / h as f32;
            let grad = x.iter().zip(dy).zip(w).map(|((x, d), w)| r * d * w - x * c);
            match plus {
                Some(p) => dx.iter_mut().zip(&p[i * h..(i + 1) * h]).zip(grad).for_each(|((dx, p), g)| {
                    dx.write(p + g);
                }),
                None => dx.iter_mut().zip(grad).for_each(|(dx, g)| {
                    dx.write(g);
                }),
            }
        });
        Ok(())
    };
    // SAFETY: `dx` is `rows` whole rows of `h` (checked), each paired with a row of `x`, `dy`,
    // `plus` and one of `r`, all of the same counts (checked), and written element by element.
    #[allow(unsafe_code)]
    unsafe {
        mm::fresh(x.len(), fill)
    }
}

/// How many rows of `h` make `len`; an error unless whole.
fn whole_rows(len: usize, h: usize) -> Result<usize> {
    if h == 0 || !len.is_multiple_of(h) {
        candle_core::bail!("{len} values are not whole rows of {h}");
    }
    Ok(len / h)
}

/// `a + b` (same shapes) on rayon's threads: candle's parallel binary ops run on a pool of
/// their own whose workers spin after each op, on the cores rayon's next product needs.
pub fn add(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let sum = read(a, |av| read(b, |bv| zip_map(av, bv, |a, b| a + b)))???;
    tensor(sum, a.dims(), a.device())
}

/// `f(a[i], b[i])` for each `i` of two equal-length inputs, `CHUNK` at a time on rayon's
/// threads, under `wide`, into fresh memory.
#[inline(always)]
pub fn zip_map(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32 + Sync) -> Result<Vec<f32>> {
    if a.len() != b.len() {
        candle_core::bail!("pairing {} values with {}", b.len(), a.len());
    }
    let fill = |y: &mut [MaybeUninit<f32>]| {
        y.par_chunks_mut(CHUNK).zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK))).for_each(|(y, (a, b))| {
            wide(
                #[inline(always)]
                || {
                    for ((y, &a), &b) in y.iter_mut().zip(a).zip(b) {
                        y.write(f(a, b));
                    }
                },
            )
        });
        Ok(())
    };
    // SAFETY: `y`'s chunks pair with `a`'s and `b`'s, of its length (checked), element by
    // element, and each is written.
    #[allow(unsafe_code)]
    unsafe {
        mm::fresh(a.len(), fill)
    }
}

/// Runs `f` compiled with AVX-512 when the CPU has it, so the loops it inlines are vectorized
/// 16 lanes wide (the crate is built for baseline x86-64, whose vectors hold 4 floats).
/// Callers mark the closure `#[inline(always)]`: a closure that is not inlined into `run` is
/// compiled for the baseline (`exp_sum`'s was: 4 lanes, about 5% of a training step).
#[inline(always)]
pub fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
        #[allow(unsafe_code)]
        unsafe fn run<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512vl") {
            // SAFETY: the CPU has the features `run` is compiled for (checked just above).
            #[allow(unsafe_code)]
            return unsafe { run(f) };
        }
    }
    f()
}

/// Cross-entropy of the vocabulary projection of `h (m, hidden)` against `targets`, with
/// rows computed `chunk` at a time so the `(m, vocab)` logits never sit in memory whole.
/// Returns the summed loss (f64) and the gradient of `sum / denom` with respect to `h`.
/// `logits` is scratch, kept by the caller from step to step: a fresh chunk of logits (48 MiB
/// on SmolLM2 in f32) lies above the allocator's mmap threshold, so each step mapped it anew
/// and took a page fault per 4 KiB of it.
#[allow(clippy::too_many_arguments)]
pub fn cross_entropy(
    head: &Weight,
    h: &Tensor,
    targets: &[u32],
    softcap: Option<f32>,
    denom: f64,
    (chunk, precision): (usize, mm::Precision),
    logits: &mut Vec<f32>,
) -> Result<(f64, Tensor)> {
    let m = targets.len();
    let (vocab, hidden) = head.dims2()?;
    let mut total = 0f64;
    let chunk = chunk.clamp(1, m.max(1));
    logits.resize(chunk * vocab, 0.0);
    let pass = |dh: &mut [MaybeUninit<f32>]| -> Result<()> {
        read(h, |hv| -> Result<()> {
            for start in (0..m).step_by(chunk) {
                let n = chunk.min(m - start);
                let z = &mut logits[..n * vocab];
                mm::frozen_forward(head, &hv[start * hidden..(start + n) * hidden], n, Dst::Init(z), precision)?;
                let tgt = &targets[start..start + n];
                // Each row of logits becomes its gradient in place.
                let losses: Vec<f64> = z
                    .par_chunks_mut(vocab)
                    .zip(tgt.par_iter())
                    .map(|(d, &t)| {
                        let zt = d[t as usize];
                        let capped = softcap.map(|c| {
                            d.iter_mut().for_each(|v| *v = (*v / c).tanh() * c);
                            d.to_vec()
                        });
                        let max = max_of(d);
                        let sum = exp_sum(d, max);
                        let lse = f64::from(max) + sum.ln();
                        let scale = (1.0 / (sum * denom)) as f32;
                        match (&capped, softcap) {
                            (Some(cv), Some(c)) => {
                                for (d, v) in d.iter_mut().zip(cv) {
                                    let th = v / c;
                                    *d *= scale * (1.0 - th * th);
                                }
                            }
                            _ => d.iter_mut().for_each(|d| *d *= scale),
                        }
                        let zt = softcap.map_or(zt, |c| (zt / c).tanh() * c);
                        let th = softcap.map_or(1.0, |c| 1.0 - (zt / c) * (zt / c));
                        d[t as usize] -= (f64::from(th) / denom) as f32;
                        lse - f64::from(zt)
                    })
                    .collect();
                total += losses.iter().sum::<f64>();
                let dst = Dst::Fresh(&mut dh[start * hidden..(start + n) * hidden]);
                mm::frozen_backward(head, z, n, dst, false, precision)?;
            }
            Ok(())
        })?
    };
    // SAFETY: the chunks' row blocks cover all `m` rows of `dh`, and `frozen_backward` writes
    // all of each block it is given when it succeeds.
    #[allow(unsafe_code)]
    let dh = unsafe { mm::fresh(m * hidden, pass) }?;
    Ok((total, tensor(dh, &[m, hidden], h.device())?))
}

/// `v = e^(v - max)` over a row, returning the sum (16 f32 lanes, added in f64), so the loop
/// vectorizes.
pub fn exp_sum(v: &mut [f32], max: f32) -> f64 {
    wide(
        #[inline(always)]
        || exp_sum_inline(v, max),
    )
}

#[inline(always)]
fn exp_sum_inline(v: &mut [f32], max: f32) -> f64 {
    let mut lanes = [0f32; 16];
    let mut chunks = v.chunks_exact_mut(16);
    for c in &mut chunks {
        for (x, l) in c.iter_mut().zip(&mut lanes) {
            *x = exp(*x - max);
            *l += *x;
        }
    }
    let mut sum: f64 = lanes.iter().map(|&l| f64::from(l)).sum();
    for x in chunks.into_remainder() {
        *x = exp(*x - max);
        sum += f64::from(*x);
    }
    sum
}

/// Deterministic values in [-1, 1) for the training ops' tests.
#[cfg(test)]
pub(crate) fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Central differences of `f` at `x` in the direction of each of a few coordinates.
    pub(crate) fn check(name: &str, x: &[f32], analytic: &[f32], f: &dyn Fn(&[f32]) -> f64) {
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

    pub(crate) fn t(v: &[f32], shape: &[usize]) -> Tensor {
        tensor(v.to_vec(), shape, &Device::Cpu).unwrap()
    }

    pub(crate) fn vals(x: &Tensor) -> Vec<f32> {
        x.flatten_all().unwrap().to_vec1().unwrap()
    }

    /// A fixed random projection of an output: the scalar whose gradient is checked.
    pub(crate) fn dot(y: &[f32], c: &[f32]) -> f64 {
        y.iter().zip(c).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum()
    }

    #[test]
    fn the_vectorized_exponential_is_within_two_ulp() {
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let want = f64::from(x).exp();
            let got = f64::from(exp(x));
            worst = worst.max((got - want).abs() / want);
            x += 0.000_731;
        }
        // 2 ulp of an f32 is at most 2^-22 relative.
        assert!(worst < 2.0 * f64::from(f32::EPSILON), "worst relative error {worst}");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-100.0), 0.0);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert!(exp(f32::NAN).is_nan());
    }

    #[test]
    fn lane_reductions_give_the_plain_ones() {
        for len in [0, 5, 16, 33, 49152] {
            let a = random(len, 21);
            let b = random(len, 22);
            let c = random(len, 23);
            let plain: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
            assert!((f64::from(super::dot(&a, &b)) - plain).abs() < 1e-3, "dot of {len}");
            let plain3: f64 = a.iter().zip(&b).zip(&c).map(|((x, y), z)| f64::from(x * y * z)).sum();
            assert!((f64::from(dot3(&a, &b, &c)) - plain3).abs() < 1e-3, "dot3 of {len}");
            assert_eq!(max_of(&a), a.iter().copied().fold(f32::NEG_INFINITY, f32::max), "max of {len}");
            let mut e = a.clone();
            let sum = exp_sum(&mut e, 0.5);
            let want: f64 = a.iter().map(|x| f64::from(x - 0.5).exp()).sum();
            assert!((sum - want).abs() <= 1e-6 * want.max(1.0), "exp_sum of {len}: {sum} vs {want}");
            assert!(e.iter().zip(&a).all(|(e, x)| (e - (x - 0.5).exp()).abs() <= 1e-6));
        }
        let mut with_nan = random(40, 24);
        with_nan[7] = f32::NAN;
        assert_eq!(max_of(&with_nan), with_nan.iter().copied().fold(f32::NEG_INFINITY, f32::max));
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
    fn chunked_cross_entropy_matches_finite_differences_and_one_chunk() {
        let (m, h, vocab) = (5, 6, 11);
        let w = Weight::Dense(t(&random(vocab * h, 12), &[vocab, h]));
        let x = random(m * h, 13);
        let targets = [3u32, 0, 10, 7, 7];
        for softcap in [None, Some(2.0f32)] {
            let ce = |x: &[f32], chunk| {
                cross_entropy(
                    &w,
                    &t(x, &[m, h]),
                    &targets,
                    softcap,
                    4.0,
                    (chunk, mm::Precision::Highest),
                    &mut Vec::new(),
                )
                .unwrap()
            };
            let f = |x: &[f32]| ce(x, 2).0 / 4.0;
            let ((loss, dh), (loss1, dh1)) = (ce(&x, 2), ce(&x, 64));
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
        let dy = t(&random(3 * 4096, 16), &[3, 4096]);
        for p in [mm::Precision::Highest, mm::Precision::High] {
            let want = x.matmul(&deq.t().unwrap()).unwrap();
            let mut y = vec![0f32; 3 * 4096];
            mm::frozen_forward(&q, &vals(&x), 3, Dst::Init(&mut y), p).unwrap();
            assert_eq!(mm::frozen_forward_new(&q, &vals(&x), 3, p).unwrap(), y);
            let got = t(&y, &[3, 4096]);
            let diff = (want - &got).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
            assert!(diff < 1e-3, "{p:?}: {diff}");
            let want = dy.matmul(&deq).unwrap();
            let mut dx = vec![f32::NAN; 3 * 512];
            mm::frozen_backward(&q, &vals(&dy), 3, Dst::Init(&mut dx), false, p).unwrap();
            assert_eq!(mm::frozen_backward_new(&q, &vals(&dy), 3, p).unwrap(), dx);
            let got = t(&dx, &[3, 512]);
            let diff = (want - got).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
            assert!(diff < 1e-2, "{p:?}: {diff}");
        }
    }
}
