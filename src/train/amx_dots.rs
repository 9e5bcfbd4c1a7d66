//! The AVX512-BF16 engine: the tiles' operands (A tiles of 16 rows by 32 bf16, B tiles of 16
//! rows of 16 bf16 pairs) multiplied with `vdpbf16ps`, which adds a pair of bf16 products
//! into each of 16 f32 lanes. A B tile row is one pair of depth for 16 columns, one vector;
//! an A row's pair is broadcast to all lanes. Each 8 rows by 32 columns of output (16
//! accumulators) go through the whole depth in registers; the B block (32 columns) stays in
//! the core's cache while the item's rows pass.

use std::arch::x86_64::*;
use std::ops::Range;

use super::{B_TILE, DEPTH, Halves, SharedOut, TILE};
use crate::models::decoder::packed::bf16_dots::pairs as dot;

/// Output rows per register block.
const ROWS: usize = 8;

/// Lanes `0..n` of 16 (`n` clamped to 16).
fn lanes(n: usize) -> u16 {
    if n >= 16 { u16::MAX } else { (1u16 << n) - 1 }
}

/// All the item's rows (`rows`, multiples of 16 from `product`'s padded rows) against the 32
/// columns from `c0`, over the whole depth.
///
/// # Safety
/// AVX-512 F, BW and BF16; `a` holds the item's rows (`product`'s layout), `b` the block's
/// B tiles (4 per step, the high halves at 0 and 2); `out` as `product` checked it, with
/// `c0 < out.cols`.
#[allow(unsafe_code)]
#[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
pub(super) unsafe fn sweep(out: &SharedOut, a: &Halves, b: &[u32], rows: Range<usize>, c0: usize) {
    let kp = a.kp;
    let steps = kp / DEPTH;
    assert!(b.len() >= steps * 4 * B_TILE && a.hi.len() >= rows.end * kp);
    let left = out.cols - c0;
    let masks = [lanes(left), lanes(left.saturating_sub(TILE))];
    let pairs = a.hi.as_ptr().cast::<u32>();
    for r0 in rows.step_by(ROWS) {
        if r0 >= out.n {
            break;
        }
        let live = ROWS.min(out.n - r0);
        let mut acc = [[_mm512_setzero_ps(); 2]; ROWS];
        // SAFETY: rows `r0..r0 + live` and the masked columns lie inside the output
        // (`product` checked its bounds); this item alone writes them.
        unsafe {
            if out.accumulate {
                for (i, acc) in acc.iter_mut().enumerate().take(live) {
                    let row = out.ptr.add((r0 + i) * out.rs + c0);
                    acc[0] = _mm512_maskz_loadu_ps(masks[0], row);
                    acc[1] = _mm512_maskz_loadu_ps(masks[1], row.add(TILE));
                }
            }
        }
        // Row `r0`'s pairs in step `s`: its row block's tiles, then the step's tile, then
        // its row in the tile (all in u32 pairs).
        let first = ((r0 / TILE) * TILE * kp + (r0 % TILE) * DEPTH) / 2;
        for s in 0..steps {
            let at = first + s * TILE * DEPTH / 2;
            let bs = s * 4 * B_TILE;
            for p in 0..DEPTH / 2 {
                // SAFETY: the A pairs read are rows `r0..r0 + 8` of the padded activations
                // and the B rows inside the block's step `s` (both asserted above).
                unsafe {
                    let b0 = _mm512_loadu_si512(b.as_ptr().add(bs + p * TILE).cast());
                    let b1 = _mm512_loadu_si512(b.as_ptr().add(bs + 2 * B_TILE + p * TILE).cast());
                    for (i, acc) in acc.iter_mut().enumerate() {
                        let x = _mm512_set1_epi32(*pairs.add(at + i * DEPTH / 2 + p) as i32);
                        acc[0] = dot(acc[0], x, b0);
                        acc[1] = dot(acc[1], x, b1);
                    }
                }
            }
        }
        // SAFETY: as for the loads above.
        unsafe {
            for (i, acc) in acc.iter().enumerate().take(live) {
                let row = out.ptr.add((r0 + i) * out.rs + c0);
                _mm512_mask_storeu_ps(row, masks[0], acc[0]);
                _mm512_mask_storeu_ps(row.add(TILE), masks[1], acc[1]);
            }
        }
    }
}
