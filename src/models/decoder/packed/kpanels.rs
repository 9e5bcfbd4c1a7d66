//! Prompt matmuls of K-quant super-blocks (Q2_K to Q6_K) times Q8_K activations, weight
//! rows side by side in the lanes of one register as in `panels`: sixteen with AVX-512 VNNI,
//! eight with AVX2.
//!
//! A work item unpacks its rows' super-blocks once into a panel (piece `t` of group `g` holds
//! bytes `4t..4t + 4` of each row's levels, one row per i32 lane, beside each row's integer
//! scales and offsets); each activation row then meets a group in 8 products with broadcast
//! pieces of its own, summed in integers, multiplied by the rows' scales in integers, and only
//! once per super-block converted and scaled in f32. So the float work is per 256 weights, not
//! per 4 as in the one-group panels, and the numbers are `superblock::row`'s to the bit.

use std::arch::x86_64::*;

use super::blocks::F16;
use super::half::Lanes;
use super::panels::{PIECES, WIDE, Width, Ymm, Zmm};
use super::superblock::{BlockQ8K, Super};
use super::tiles::for_tiles;

/// Activation rows per work item: the panel is unpacked once for all of them.
const TILE_M: usize = 256;

/// One super-block of a panel of `L` rows.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Panel<const L: usize> {
    /// Group `g`, piece `t`: the rows' levels (unsigned, centre not taken away).
    q: [[[u32; L]; PIECES]; 8],
    /// Each 16 weights' integer scale.
    sc: [[i32; L]; 16],
    /// Offsets of 16-weight halves `2p` and `2p + 1` as i16 pairs.
    o: [[u32; L]; 8],
    d: [f32; L],
    e: [f32; L],
}

/// `(n, kb)` super-blocks times the `m` activation rows `a` (`kb` blocks each): `(m, n)`. The
/// CPU must have AVX2, FMA and F16C.
pub(super) fn matmul<B: Super>(weights: &[B], (n, kb): (usize, usize), a: &[BlockQ8K], m: usize) -> Vec<f32> {
    assert!(*super::kernels::AVX2 && a.len() == m * kb && weights.len() == n * kb, "K-quant panels");
    if *WIDE {
        for_tiles(m, n, (TILE_M, 16), |(r0, nr), c0, pieces| {
            let a = &a[c0 * kb..(c0 + pieces.len()) * kb];
            // SAFETY: `WIDE` is the features `sweep_vnni` needs; `for_tiles` gives rows in range.
            #[allow(unsafe_code)]
            unsafe {
                sweep_vnni::<B>(weights, kb, (r0, nr), a, pieces)
            }
        })
    } else {
        matmul_avx2(weights, (n, kb), a, m)
    }
}

/// `matmul` in panels of 8 rows, with AVX2 (tests run it where the CPU has AVX-512 too).
pub(super) fn matmul_avx2<B: Super>(weights: &[B], (n, kb): (usize, usize), a: &[BlockQ8K], m: usize) -> Vec<f32> {
    assert!(*super::kernels::AVX2 && a.len() == m * kb && weights.len() == n * kb, "K-quant panels");
    for_tiles(m, n, (TILE_M, 8), |(r0, nr), c0, pieces| {
        let a = &a[c0 * kb..(c0 + pieces.len()) * kb];
        // SAFETY: `AVX2` is the features `sweep_avx2` needs; `for_tiles` gives rows in range.
        #[allow(unsafe_code)]
        unsafe {
            sweep_avx2::<B>(weights, kb, (r0, nr), a, pieces)
        }
    })
}

/// # Safety
/// The CPU must have AVX-512 F, BW, VL and VNNI, AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
#[allow(unsafe_code)]
unsafe fn sweep_vnni<B: Super>(w: &[B], kb: usize, rows: (usize, usize), a: &[BlockQ8K], out: &mut [&mut [f32]]) {
    // SAFETY: this function's features are what `Zmm` needs.
    unsafe { sweep::<B, Zmm, 16, 4>(w, kb, rows, a, out) }
}

/// # Safety
/// The CPU must have AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
#[allow(unsafe_code)]
unsafe fn sweep_avx2<B: Super>(w: &[B], kb: usize, rows: (usize, usize), a: &[BlockQ8K], out: &mut [&mut [f32]]) {
    // SAFETY: this function's features are what `Ymm` needs.
    unsafe { sweep::<B, Ymm, 8, 2>(w, kb, rows, a, out) }
}

/// Weight rows `r0..r0 + nr` (`nr <= L`) times each activation row of `a`, written into `out`
/// (one slice of `nr` values per activation row), `M` activation rows per pass.
///
/// # Safety
/// The CPU must have `W`'s features (its callers are built with them).
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn sweep<B: Super, W: Width, const L: usize, const M: usize>(
    weights: &[B],
    kb: usize,
    (r0, nr): (usize, usize),
    a: &[BlockQ8K],
    out: &mut [&mut [f32]],
) {
    assert!(L == W::LANES, "{L} lanes");
    assert!(nr > 0 && nr <= L && (r0 + nr) * kb <= weights.len(), "weight rows out of range");
    assert!(a.len() == out.len() * kb, "activation rows out of range");
    // No closure around the kernel (its body would not get this function's features): the
    // scratch is taken out of the thread's cell and put back.
    let mut lines = SCRATCH.take();
    let panel = panels::<L>(&mut lines, kb);
    // SAFETY: the caller guarantees the features; the ranges were checked above.
    unsafe {
        build::<B, W, L>(weights, kb, (r0, nr), panel);
        let mut c = 0;
        while c + M <= out.len() {
            rows::<B, W, L, M>(panel, a, c, &mut out[c..c + M]);
            c += M;
        }
        for c in c..out.len() {
            rows::<B, W, L, 1>(panel, a, c, &mut out[c..c + 1]);
        }
    }
    SCRATCH.set(lines);
}

/// A 64-byte aligned line of the panels' scratch.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; 64]);

thread_local! {
    /// Each thread's panel memory, kept between work items: a fresh vector per item was
    /// returned to the system and faulted in again (half the page faults of a prompt).
    static SCRATCH: std::cell::Cell<Vec<Line>> = const { std::cell::Cell::new(Vec::new()) };
}

/// `kb` panel super-blocks in `lines`, grown as needed (their old contents: `build` writes
/// every field of every row).
fn panels<const L: usize>(lines: &mut Vec<Line>, kb: usize) -> &mut [Panel<L>] {
    const { assert!(std::mem::size_of::<Panel<L>>().is_multiple_of(64)) };
    let need = kb * std::mem::size_of::<Panel<L>>() / 64;
    if lines.len() < need {
        lines.resize(need, Line([0; 64]));
    }
    // SAFETY: `Panel<L>` is `repr(C, align(64))`, a whole number of 64-byte lines (asserted
    // above), of integers and floats only, so any bytes are a value; the lines are 64-byte
    // aligned, `need` of them cover `kb` panels, and the slice borrows them mutably.
    #[allow(unsafe_code)]
    unsafe {
        std::slice::from_raw_parts_mut(lines.as_mut_ptr().cast::<Panel<L>>(), kb)
    }
}

/// Unpacks rows `r0..r0 + nr` into `panel` (a partial panel repeats its last row in the lanes
/// past `nr`, whose sums are not written).
///
/// # Safety
/// As `sweep`, which checked the row range.
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn build<B: Super, W: Width, const L: usize>(
    weights: &[B],
    kb: usize,
    (r0, nr): (usize, usize),
    panel: &mut [Panel<L>],
) {
    // SAFETY: the caller guarantees the features; rows `r0..r0 + nr` of `kb` blocks are inside
    // `weights` and `panel` holds `kb` super-blocks.
    unsafe {
        for (s, p) in panel.iter_mut().enumerate() {
            let block = |r: usize| weights.get_unchecked((r0 + r.min(nr - 1)) * kb + s);
            for r in 0..L {
                let x = block(r);
                // The rows are separate streams, which the hardware prefetchers lose at page
                // edges: ask for each row's blocks a few ahead.
                super::kernels::prefetch(std::ptr::from_ref(x).cast(), B::BYTES);
                let (sc, o) = x.int_scales();
                for (lane, sc) in p.sc.iter_mut().zip(sc) {
                    lane[r] = sc;
                }
                for (q, pair) in o.chunks_exact(2).enumerate() {
                    p.o[q][r] = u32::from(pair[0] as u16) | (u32::from(pair[1] as u16) << 16);
                }
                let (d, e) = x.d_e();
                (p.d[r], p.e[r]) = (F16[usize::from(d)], F16[usize::from(e)]);
            }
            // Each group's levels, one row per register, transposed into pieces (a gather per
            // piece gave wrong lanes on qemu's emulated Haswell, and costs as many loads).
            let mut levels = [_mm256_setzero_si256(); 16];
            for g in 0..8 {
                for (r, v) in levels.iter_mut().enumerate().take(L) {
                    *v = W::unpack(block(r), g);
                }
                let pieces = W::transpose(&levels);
                for (t, v) in pieces.iter().enumerate() {
                    W::store_i(p.q[g][t].as_mut_ptr(), *v);
                }
            }
        }
    }
}

/// The panel times activation rows `c..c + M` of `a`, written into `out` (their `M` pieces).
///
/// # Safety
/// As `sweep`, which checked that `a` holds these rows.
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn rows<B: Super, W: Width, const L: usize, const M: usize>(
    panel: &[Panel<L>],
    a: &[BlockQ8K],
    c: usize,
    out: &mut [&mut [f32]],
) {
    let kb = panel.len();
    // SAFETY: the caller guarantees the features and that rows `c..c + M` of `kb` blocks are in
    // `a`; the loads read the panel's aligned vectors and 4 bytes of an activation block's `qs`
    // (piece `8 g + t < 64`); the stores write at most `out[i].len() <= L` floats.
    unsafe {
        let mut acc = [W::F::zero(); M];
        let mut acc_o = [W::F::zero(); M];
        // Plain loops, no closures: a closure's body would not get the callers' features.
        for (s, p) in panel.iter().enumerate() {
            let mut iv = [W::zero_i(); M];
            for g in 0..8 {
                let mut w = [W::zero_i(); PIECES];
                for (w, q) in w.iter_mut().zip(&p.q[g]) {
                    *w = W::load_i(q.as_ptr());
                }
                for (i, iv) in iv.iter_mut().enumerate() {
                    let pieces = a.get_unchecked((c + i) * kb + s).qs.as_ptr().cast::<i32>().add(PIECES * g);
                    // Two independent chains of four products: weights 0..16 and 16..32 (one
                    // chain of eight measured slower).
                    let (mut lo, mut hi) = (W::zero_i(), W::zero_i());
                    for t in 0..PIECES / 2 {
                        lo = W::products(lo, w[t], pieces.add(t).read_unaligned());
                        hi = W::products(hi, w[t + 4], pieces.add(t + 4).read_unaligned());
                    }
                    let sum = if B::HALF_SCALES {
                        let lo = W::mullo_i(lo, W::load_i(p.sc[2 * g].as_ptr().cast()));
                        W::add_i(lo, W::mullo_i(hi, W::load_i(p.sc[2 * g + 1].as_ptr().cast())))
                    } else {
                        W::mullo_i(W::add_i(lo, hi), W::load_i(p.sc[2 * g].as_ptr().cast()))
                    };
                    *iv = W::add_i(*iv, sum);
                }
            }
            let (d, e) = (W::F::load(p.d.as_ptr()), W::F::load(p.e.as_ptr()));
            for i in 0..M {
                let y = a.get_unchecked((c + i) * kb + s);
                let mut o = W::zero_i();
                for (q, pair) in y.sums.chunks_exact(2).enumerate() {
                    let pair = i32::from(pair[0] as u16) | (i32::from(pair[1] as u16) << 16);
                    o = W::madd16(o, W::load_i(p.o[q].as_ptr()), W::set1_i(pair));
                }
                let isum = if B::CENTRE != 0 { W::sub_i(iv[i], o) } else { iv[i] };
                acc[i] = W::F::fma(W::F::mul(d, W::F::splat(y.d)), W::cvt(isum), acc[i]);
                if B::OFFSET {
                    acc_o[i] = W::F::fma(W::F::mul(e, W::F::splat(y.d)), W::cvt(o), acc_o[i]);
                }
            }
        }
        for i in 0..M {
            // `acc - acc_o`: adding the exact negation rounds the same.
            W::store_f(out[i], W::F::add(acc[i], W::F::mul(acc_o[i], W::F::splat(-1.0))));
        }
    }
}
