//! Prompt matmuls of one-group weight blocks (Q4_0, Q4_1, Q5_0, Q8_0) on AVX-512 VNNI, with
//! sixteen weight rows side by side in the lanes of one register.
//!
//! Why: a prompt is compute-bound, and the tiled kernels spend about 140 instructions per
//! 4 x 4 tile and group (unpack four rows, then for each of the 16 pairs a product, a
//! conversion, a scale and an accumulation over 8 lanes of one pair): Qwen2.5-Coder-0.5B
//! Q4_K_M's 896-wide Q5_0 matrices took 62% of a 256-token prompt there. Here a work item
//! unpacks its 16 weight rows once into a panel whose 4-byte piece `t` of a group holds bytes
//! `4t..4t + 4` of each row, one row per i32 lane; each activation row then meets a group in 8
//! products with a broadcast piece of its own (one instruction covers 16 pairs), and the
//! unpacking is spread over the item's 128 activation rows instead of four.
//!
//! The numbers are the tiled kernels' (and llama.cpp's) to the bit: lane `t` of a pair's sum
//! is the integer product of piece `t` (with the same centre), converted and scaled by the same
//! `d_w * d_a`, accumulated per group in the same order and summed over the eight pieces in the
//! same tree, and Q4_1's `m * s` is added apart as there. So a prompt row equals the decode
//! step's row, and the text is still llama.cpp's.

use std::arch::x86_64::*;
use std::sync::LazyLock;

use super::QK;
use super::blocks::{BlockQ8_1, Packed};
use super::kernels::VNNI;
use super::tiles::for_tiles;

/// Weight rows per panel: the sixteen i32 lanes of a 512-bit register.
const LANES: usize = 16;
/// Activation rows per work item: the panel is unpacked once for all of them, and their Q8_1
/// blocks (and piece sums) stay in L2 while it is swept (Qwen2.5-0.5B: 143 KiB at 896 wide).
const TILE_M: usize = 128;
/// 4-byte pieces of a 32-weight group, the i32 lanes of the tiled kernels' sums.
const PIECES: usize = QK / 4;
/// Activation rows per pass over the panel: 8 accumulators each, with the 8 weight pieces of
/// a group in registers (AVX-512 has 32).
const ROWS: usize = 2;

/// Whether the CPU has what `matmul` needs: AVX-512 F, BW, VL and VNNI, with AVX2, FMA and F16C.
pub(super) static AVAILABLE: LazyLock<bool> = LazyLock::new(|| *VNNI && std::arch::is_x86_feature_detected!("avx512f"));

/// Whether `matmul` serves `B` blocks: one-group blocks (the K-quants' eight groups keep the
/// tiled kernels, whose offsets they sum per lane) on a CPU that has the features. Every
/// prompt, whatever its length, so that a row's result does not depend on the rows beside it.
pub(super) fn serves<B: Packed>() -> bool {
    B::GROUPS == 1 && *AVAILABLE
}

/// One group of a panel: piece `t` of the 16 rows' levels (unsigned; Q8_0's signed levels
/// shifted by 128), each row's `d` and `m`.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Group {
    q: [[u32; LANES]; PIECES],
    d: [f32; LANES],
    m: [f32; LANES],
}

const EMPTY: Group = Group { q: [[0; LANES]; PIECES], d: [0.0; LANES], m: [0.0; LANES] };

/// `(n, kb)` weight blocks times the `m` quantized activation rows `ys` (`kb` blocks each):
/// `(m, n)`. Only where `AVAILABLE` (the model through `serves`).
pub(super) fn matmul<B: Packed>(weights: &[B], (n, kb): (usize, usize), ys: &[BlockQ8_1], m: usize) -> Vec<f32> {
    assert!(B::GROUPS == 1 && *AVAILABLE, "{:?} panels on this CPU", B::DTYPE);
    debug_assert_eq!(ys.len(), m * kb);
    // `-c * sum(a)` of each piece of each activation block: the lane-wise centre the tiled
    // kernels start their products from. Q8_0's levels are shifted by 128 into unsigned
    // bytes, which a centre of 128 takes back exactly (the tiled kernels carry q's sign).
    let centre = if B::SIGNED { 128 } else { i32::from(B::CENTRE) };
    let shifts: Vec<[i32; PIECES]> = ys
        .iter()
        .map(|y| std::array::from_fn(|t| -centre * y.qs[4 * t..4 * t + 4].iter().map(|&q| i32::from(q)).sum::<i32>()))
        .collect();
    for_tiles(m, n, (TILE_M, LANES), |(r0, nr), c0, pieces| {
        let rows = c0 * kb..(c0 + pieces.len()) * kb;
        // SAFETY: `AVAILABLE` (asserted above) is the features `sweep` needs.
        #[allow(unsafe_code)]
        unsafe {
            sweep(weights, kb, (r0, nr), (&ys[rows.clone()], &shifts[rows]), pieces)
        }
    })
}

/// Weight rows `r0..r0 + nr` (`nr <= 16`) times each activation row of `ys`, written into
/// `pieces` (one slice of `nr` values per activation row).
///
/// # Safety
/// The CPU must have AVX-512 F, BW, VL and VNNI, AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
#[allow(unsafe_code)]
unsafe fn sweep<B: Packed>(
    weights: &[B],
    kb: usize,
    (r0, nr): (usize, usize),
    (ys, shifts): (&[BlockQ8_1], &[[i32; PIECES]]),
    pieces: &mut [&mut [f32]],
) {
    assert!(nr > 0 && nr <= LANES && (r0 + nr) * kb <= weights.len(), "weight rows out of range");
    assert!(ys.len() == pieces.len() * kb && shifts.len() == ys.len(), "activation rows out of range");
    let mut panel = vec![EMPTY; kb];
    // SAFETY: the caller guarantees the features; the ranges were checked above.
    unsafe {
        build(weights, kb, (r0, nr), &mut panel);
        let m = pieces.len();
        let mut c = 0;
        while c + ROWS <= m {
            rows::<B, ROWS>(&panel, (ys, shifts), c, &mut pieces[c..c + ROWS]);
            c += ROWS;
        }
        for c in c..m {
            rows::<B, 1>(&panel, (ys, shifts), c, &mut pieces[c..c + 1]);
        }
    }
}

/// Unpacks rows `r0..r0 + nr` into `panel` (a partial panel repeats its last row in the lanes
/// past `nr`, whose sums are not written).
///
/// # Safety
/// As `sweep`, which checked the row range.
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn build<B: Packed>(weights: &[B], kb: usize, (r0, nr): (usize, usize), panel: &mut [Group]) {
    #[repr(C, align(64))]
    struct Levels([[u8; QK]; LANES]);
    let mut levels = Levels([[0; QK]; LANES]);
    // SAFETY: the caller guarantees the features; rows `r0..r0 + nr` of `kb` blocks are inside
    // `weights`, `panel` holds `kb` groups, and each gather reads 4 bytes at `32 r + 4 t` of
    // `levels` (512 bytes) for `r < 16`, `t < 8`.
    unsafe {
        let at = _mm512_setr_epi32(0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, 480);
        for (bi, group) in panel.iter_mut().enumerate() {
            for r in 0..LANES {
                let x = weights.get_unchecked((r0 + r.min(nr - 1)) * kb + bi);
                let mut q = x.unpack_avx512(0);
                if B::SIGNED {
                    q = _mm256_xor_si256(q, _mm256_set1_epi8(i8::MIN));
                }
                _mm256_store_si256(levels.0[r].as_mut_ptr().cast(), q);
                let (d, m) = B::group(&x.prepare(), 0);
                (group.d[r], group.m[r]) = (_mm256_cvtss_f32(d), m);
            }
            for t in 0..PIECES {
                let piece = _mm512_i32gather_epi32::<1>(at, levels.0.as_ptr().cast::<u8>().add(4 * t).cast());
                _mm512_store_si512(group.q[t].as_mut_ptr().cast(), piece);
            }
        }
    }
}

/// The panel times activation rows `c..c + M` of `ys`, written into `out` (their `M` pieces).
///
/// # Safety
/// As `sweep`, which checked that `ys` and `shifts` hold these rows.
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn rows<B: Packed, const M: usize>(
    panel: &[Group],
    (ys, shifts): (&[BlockQ8_1], &[[i32; PIECES]]),
    c: usize,
    out: &mut [&mut [f32]],
) {
    let kb = panel.len();
    // SAFETY: the caller guarantees the features and that rows `c..c + M` of `kb` blocks are in
    // `ys` and `shifts`; the loads read the panel's 64-byte-aligned vectors and 4 bytes of
    // each activation block's `qs`; the stores write at most `out[i].len() <= 16` floats.
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); PIECES]; M];
        let mut offset = [_mm512_setzero_ps(); M];
        // Plain loops, no closures: a closure's body would not get this function's features.
        for (g, group) in panel.iter().enumerate() {
            let mut w = [_mm512_setzero_si512(); PIECES];
            for (w, q) in w.iter_mut().zip(&group.q) {
                *w = _mm512_load_si512(q.as_ptr().cast());
            }
            let d = _mm512_load_ps(group.d.as_ptr());
            for i in 0..M {
                let y = ys.get_unchecked((c + i) * kb + g);
                let shift = shifts.get_unchecked((c + i) * kb + g);
                let scale = _mm512_mul_ps(d, _mm512_set1_ps(y.d));
                let a = y.qs.as_ptr().cast::<i32>();
                for t in 0..PIECES {
                    let start =
                        if B::CENTRE != 0 || B::SIGNED { _mm512_set1_epi32(shift[t]) } else { _mm512_setzero_si512() };
                    let p = _mm512_dpbusd_epi32(start, w[t], _mm512_set1_epi32(a.add(t).read_unaligned()));
                    acc[i][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), scale, acc[i][t]);
                }
                if B::OFFSET {
                    let m = _mm512_mul_ps(_mm512_load_ps(group.m.as_ptr()), _mm512_set1_ps(y.s));
                    offset[i] = _mm512_add_ps(offset[i], m);
                }
            }
        }
        for i in 0..M {
            // The tiled kernels' horizontal sum of their eight lanes: halves, then pairs.
            let a = &acc[i];
            let s = [
                _mm512_add_ps(a[0], a[4]),
                _mm512_add_ps(a[1], a[5]),
                _mm512_add_ps(a[2], a[6]),
                _mm512_add_ps(a[3], a[7]),
            ];
            let sum = _mm512_add_ps(_mm512_add_ps(s[0], s[2]), _mm512_add_ps(s[1], s[3]));
            let sum = _mm512_add_ps(sum, offset[i]);
            let piece = &mut out[i];
            let mask = if piece.len() >= LANES { u16::MAX } else { (1u16 << piece.len()) - 1 };
            _mm512_mask_storeu_ps(piece.as_mut_ptr(), mask, sum);
        }
    }
}
