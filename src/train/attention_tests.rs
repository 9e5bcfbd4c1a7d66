use super::*;
use crate::train::ops::random;

/// Records of 3, 70 and 130 tokens: one shorter than a block, ones that end mid-block.
const LENS: [usize; 3] = [3, 70, 130];

struct Batch {
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
}

fn batch(s: &Shape, seed: u64) -> Batch {
    let n: usize = LENS.iter().sum();
    let (qw, kw) = (s.heads * s.head_dim, s.kv_heads * s.head_dim);
    Batch { q: random(n * qw, seed), k: random(n * kw, seed + 1), v: random(n * kw, seed + 2) }
}

fn records<'a>(b: &'a Batch, s: &Shape) -> Vec<Record<'a>> {
    let (qw, kw) = (s.heads * s.head_dim, s.kv_heads * s.head_dim);
    let mut start = 0;
    LENS.iter()
        .map(|&t| {
            let r = Record {
                q: &b.q[start * qw..(start + t) * qw],
                k: &b.k[start * kw..(start + t) * kw],
                v: &b.v[start * kw..(start + t) * kw],
            };
            start += t;
            r
        })
        .collect()
}

/// Attention written out position by position, in f64.
fn naive(b: &Batch, s: &Shape) -> Vec<f64> {
    let d = s.head_dim;
    let (qw, kw) = (s.heads * d, s.kv_heads * d);
    let groups = s.heads / s.kv_heads;
    let mut out = vec![0f64; b.q.len()];
    let mut start = 0;
    for &t in &LENS {
        for h in 0..s.heads {
            let g = h / groups;
            for i in 0..t {
                let keys = s.first_key(i)..=i;
                let z: Vec<f64> = keys
                    .clone()
                    .map(|j| {
                        let dot: f64 = (0..d)
                            .map(|c| {
                                f64::from(b.q[(start + i) * qw + h * d + c])
                                    * f64::from(b.k[(start + j) * kw + g * d + c])
                            })
                            .sum();
                        let z = dot * f64::from(s.scale);
                        s.softcap.map_or(z, |cap| (z / f64::from(cap)).tanh() * f64::from(cap))
                    })
                    .collect();
                let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = z.iter().map(|z| (z - max).exp()).sum();
                for (j, z) in keys.zip(&z) {
                    let p = (z - max).exp() / sum;
                    for c in 0..d {
                        out[(start + i) * qw + h * d + c] += p * f64::from(b.v[(start + j) * kw + g * d + c]);
                    }
                }
            }
        }
        start += t;
    }
    out
}

fn shapes() -> Vec<Shape> {
    let base = Shape { heads: 4, kv_heads: 2, head_dim: 8, scale: 0.6, softcap: None, window: None };
    vec![
        base,
        Shape { softcap: Some(1.5), window: Some(50), ..base },
        Shape { heads: 3, kv_heads: 3, window: Some(2), ..base },
    ]
}

#[test]
fn blocked_attention_matches_attention_written_out() {
    for s in shapes() {
        let b = batch(&s, 1);
        let (out, lse) = forward(&records(&b, &s), &s);
        assert_eq!(lse.len(), LENS.iter().sum::<usize>() * s.heads);
        let want = naive(&b, &s);
        let worst = out.iter().zip(&want).map(|(a, b)| (f64::from(*a) - b).abs()).fold(0f64, f64::max);
        assert!(worst < 1e-5, "{s:?}: worst difference {worst}");
    }
}

/// A prompt continuing a cached sequence: the last record's last 75 queries at positions
/// 55.., over keys and values in a cache's `(kv_heads, positions, d)` layout whose spare rows
/// are NaN (a read past the sequence would show), equal the whole record's rows.
#[test]
fn prompt_attention_over_a_cache_matches_the_whole_sequences_rows() {
    for s in shapes() {
        let b = batch(&s, 3);
        let want = naive(&b, &s);
        let (d, qw, kw) = (s.head_dim, s.heads * s.head_dim, s.kv_heads * s.head_dim);
        let (start, total, offset) = (LENS[0] + LENS[1], LENS[2], 55);
        let cap = total + 5;
        let cache = |x: &[f32]| {
            let mut c = vec![f32::NAN; s.kv_heads * cap * d];
            for p in 0..total {
                for g in 0..s.kv_heads {
                    c[(g * cap + p) * d..][..d].copy_from_slice(&x[(start + p) * kw + g * d..][..d]);
                }
            }
            c
        };
        let (kc, vc) = (cache(&b.k), cache(&b.v));
        let (kc, vc) = (Cached { data: &kc, head: cap * d, row: d }, Cached { data: &vc, head: cap * d, row: d });
        let rows = (start + offset) * qw..(start + total) * qw;
        let out = prompt(&b.q[rows.clone()], (kc, vc), offset, &s);
        assert_eq!(out.len(), rows.len());
        let worst = out.iter().zip(&want[rows]).map(|(a, b)| (f64::from(*a) - b).abs()).fold(0f64, f64::max);
        assert!(worst < 1e-5, "{s:?}: worst difference {worst}");
    }
}

#[test]
fn blocked_attention_backward_matches_finite_differences() {
    for s in shapes() {
        let b = batch(&s, 7);
        let c = random(b.q.len(), 11);
        let loss = |b: &Batch| -> f64 { naive(b, &s).iter().zip(&c).map(|(o, c)| o * f64::from(*c)).sum() };
        let (out, lse) = forward(&records(&b, &s), &s);
        let [dq, dk, dv] = backward(&records(&b, &s), &out, &c, &lse, &s);
        let eps = 1e-3f32;
        let mut worst = 0f64;
        for (which, grad) in [(0, &dq), (1, &dk), (2, &dv)] {
            let len = grad.len();
            // Coordinates spread over all records, heads and blocks.
            for i in (0..len).step_by(len / 23 + 1).chain([len - 1]) {
                let nudged = |delta: f32| {
                    let mut b2 = Batch { q: b.q.clone(), k: b.k.clone(), v: b.v.clone() };
                    [&mut b2.q, &mut b2.k, &mut b2.v][which][i] += delta;
                    loss(&b2)
                };
                let num = (nudged(eps) - nudged(-eps)) / (2.0 * f64::from(eps));
                let err = (num - f64::from(grad[i])).abs() / (num.abs().max(f64::from(grad[i]).abs()) + 1e-2);
                worst = worst.max(err);
            }
        }
        assert!(worst < 5e-3, "{s:?}: worst relative error {worst}");
        // Every key and value receives a gradient from some query.
        assert!(dk.iter().any(|g| g.abs() > 1e-4) && dv.iter().any(|g| g.abs() > 1e-4));
    }
}

#[test]
fn rope_matches_candles_and_inverts() {
    use candle_core::{Device, Tensor};
    let (heads, t, d) = (3, 5, 8);
    let ang = random(t * d / 2, 4);
    let cos: Vec<f32> = ang.iter().map(|a| (a * 3.0).cos()).collect();
    let sin: Vec<f32> = ang.iter().map(|a| (a * 3.0).sin()).collect();
    let x = random(t * heads * d, 5);
    for interleaved in [false, true] {
        let mut y = x.clone();
        rope(&mut y, heads, d, &cos, &sin, interleaved, false);
        let dev = &Device::Cpu;
        let xt =
            Tensor::from_vec(x.clone(), (1, t, heads, d), dev).unwrap().transpose(1, 2).unwrap().contiguous().unwrap();
        let (ct, st) = (
            Tensor::from_vec(cos.clone(), (t, d / 2), dev).unwrap(),
            Tensor::from_vec(sin.clone(), (t, d / 2), dev).unwrap(),
        );
        let want = if interleaved {
            candle_nn::rotary_emb::rope_i(&xt, &ct, &st).unwrap()
        } else {
            candle_nn::rotary_emb::rope(&xt, &ct, &st).unwrap()
        };
        let want: Vec<f32> = want.transpose(1, 2).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        assert!(y.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-6), "interleaved {interleaved}");
        rope(&mut y, heads, d, &cos, &sin, interleaved, true);
        assert!(y.iter().zip(&x).all(|(a, b)| (a - b).abs() < 1e-5), "inverse, interleaved {interleaved}");
    }
}
