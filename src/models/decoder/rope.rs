//! Rotary position angles.

/// Rotary frequencies. The angles are computed for the positions a step needs rather than kept
/// as cos/sin tables over the whole context: SmolLM2's 8192 x 32 tables were 2 MiB resident (3 MiB
/// while built), about a tenth of everything hfx run holds besides the weights of a 135M model.
pub(super) struct Rope {
    pub(super) inv_freqs: Vec<f32>,
}

/// cos and sin of a run of positions, `(positions, head_dim / 2)` row-major.
#[derive(Default)]
pub(crate) struct Angles {
    pub(crate) cos: Vec<f32>,
    pub(crate) sin: Vec<f32>,
}

impl Rope {
    /// The same f32 arithmetic as a table made with candle (`arange` as f32 times the
    /// frequencies, then `cos`/`sin`), so results do not depend on how the angles are stored.
    pub(super) fn angles(&self, pos: usize, t: usize) -> Angles {
        let n = t * self.inv_freqs.len();
        let (mut cos, mut sin) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for p in pos..pos + t {
            for &f in &self.inv_freqs {
                let a = p as f32 * f;
                cos.push(a.cos());
                sin.push(a.sin());
            }
        }
        Angles { cos, sin }
    }
}

/// What a layer rotates by from a sequence's `(global, local)` pair: the local one on
/// sliding-window layers of models that have one.
pub(crate) fn for_layer<T>((global, local): &(T, Option<T>), sliding: bool) -> &T {
    match local {
        Some(local) if sliding => local,
        _ => global,
    }
}

/// Rotates each head (`d` values) of one position's `row` by that position's angles (`d / 2`
/// each); `inverse` rotates back (the transpose, which a gradient goes through). Pairs are
/// `(f, f + d/2)`, or `(2f, 2f + 1)` when `interleaved` (GGUF's llama order).
#[inline]
pub(crate) fn rotate(row: &mut [f32], d: usize, (cos, sin): (&[f32], &[f32]), interleaved: bool, inverse: bool) {
    let half = d / 2;
    for head in row.chunks_exact_mut(d) {
        for f in 0..half {
            let (a, b) = if interleaved { (2 * f, 2 * f + 1) } else { (f, f + half) };
            let s = if inverse { -sin[f] } else { sin[f] };
            let (x0, x1) = (head[a], head[b]);
            head[a] = x0 * cos[f] - x1 * s;
            head[b] = x0 * s + x1 * cos[f];
        }
    }
}
