//! Prompt matmuls of one-group weight blocks (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) with weight rows
//! side by side in the lanes of one register: sixteen with AVX-512 VNNI, eight with AVX2.
//!
//! Why: a prompt is compute-bound, and the tiled kernels spend about 140 instructions per
//! 4 x 4 tile and group (unpack four rows, then for each of the 16 pairs a product, a
//! conversion, a scale and an accumulation over 8 lanes of one pair): Qwen2.5-Coder-0.5B
//! Q4_K_M's 896-wide Q5_0 matrices took 62% of a 256-token prompt there. Here a work item
//! unpacks its weight rows once into a panel whose 4-byte piece `t` of a group holds bytes
//! `4t..4t + 4` of each row, one row per i32 lane; each activation row then meets a group in 8
//! products with a broadcast piece of its own (one instruction covers all the rows), and the
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
use super::blocks::{BlockQ8_1, OneGroup, Packed};
use super::half::Lanes;
use super::kernels::{AVX2, VNNI};
use super::tiles::for_tiles;

/// Activation rows per work item: the panel is unpacked once for all of them, and their Q8_1
/// blocks (and piece sums) stay in L2 while it is swept (Qwen2.5-0.5B: 143 KiB at 896 wide).
const TILE_M: usize = 128;
/// 4-byte pieces of a 32-weight group, the i32 lanes of the tiled kernels' sums.
pub(super) const PIECES: usize = QK / 4;

/// Whether the CPU has the 16-lane kernel's features: AVX-512 F, BW, VL and VNNI, with AVX2,
/// FMA and F16C.
pub(super) static WIDE: LazyLock<bool> = LazyLock::new(|| *VNNI && std::arch::is_x86_feature_detected!("avx512f"));

/// Whether `matmul` serves `B` blocks: where the CPU has AVX2; Q8_0 only with VNNI
/// (its levels, shifted to unsigned bytes, would saturate AVX2's 16-bit pair sums). Every
/// prompt, whatever its length, so that a row's result does not depend on the rows beside it.
pub(super) fn serves<B: OneGroup>() -> bool {
    *WIDE || (*AVX2 && !B::SIGNED)
}

/// One group of a panel of `L` rows: piece `t` of the rows' levels (unsigned; Q8_0's signed
/// levels shifted by 128), each row's `d` and `m`.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Group<const L: usize> {
    q: [[u32; L]; PIECES],
    d: [f32; L],
    m: [f32; L],
}

/// `(n, kb)` weight blocks times the `m` quantized activation rows `ys` (`kb` blocks each):
/// `(m, n)`. Only where `serves::<B>()`.
pub(super) fn matmul<B: OneGroup>(weights: &[B], (n, kb): (usize, usize), ys: &[BlockQ8_1], m: usize) -> Vec<f32> {
    assert!(serves::<B>(), "{:?} panels on this CPU", B::DTYPE);
    if *WIDE { matmul_wide(weights, (n, kb), ys, m) } else { matmul_avx2(weights, (n, kb), ys, m) }
}

/// `matmul` in panels of 16 rows, with AVX-512 VNNI.
pub(super) fn matmul_wide<B: OneGroup>(weights: &[B], dims: (usize, usize), ys: &[BlockQ8_1], m: usize) -> Vec<f32> {
    assert!(*WIDE, "{:?} 16-lane panels on this CPU", B::DTYPE);
    // `WIDE` is the features `sweep_vnni` needs.
    panels::<B, 16>(weights, dims, ys, m, sweep_vnni::<B, 16>)
}

/// `matmul` in panels of 8 rows, with AVX2 (tests run it where the CPU has AVX-512 too).
pub(super) fn matmul_avx2<B: OneGroup>(weights: &[B], dims: (usize, usize), ys: &[BlockQ8_1], m: usize) -> Vec<f32> {
    assert!(!B::SIGNED && *AVX2, "{:?} 8-lane panels on this CPU", B::DTYPE);
    // `AVX2` is the features `sweep_avx2` needs.
    panels::<B, 8>(weights, dims, ys, m, sweep_avx2::<B, 8>)
}

/// The kernel a work item runs: `sweep` built for a width's features.
#[allow(unsafe_code)]
type Sweep<B> = unsafe fn(&[B], usize, (usize, usize), Acts, &mut [&mut [f32]]);

/// `matmul` with `sweep`, which the caller checked the CPU can run, on panels of `L` rows.
#[allow(unsafe_code)]
fn panels<B: OneGroup, const L: usize>(
    weights: &[B],
    (n, kb): (usize, usize),
    ys: &[BlockQ8_1],
    m: usize,
    sweep: Sweep<B>,
) -> Vec<f32> {
    debug_assert_eq!(ys.len(), m * kb);
    // `-c * sum(a)` of each piece of each activation block: the lane-wise centre the tiled
    // kernels start their products from. Q8_0's levels are shifted by 128 into unsigned
    // bytes, which a centre of 128 takes back exactly (the tiled kernels carry q's sign).
    // Blocks without a centre (Q4_1, Q5_1) start from zero and need none.
    let centre = if B::SIGNED { 128 } else { i32::from(B::CENTRE) };
    let shifts: Vec<[i32; PIECES]> = if centred::<B>() {
        ys.iter()
            .map(|y| {
                std::array::from_fn(|t| -centre * y.qs[4 * t..4 * t + 4].iter().map(|&q| i32::from(q)).sum::<i32>())
            })
            .collect()
    } else {
        Vec::new()
    };
    for_tiles(m, n, (TILE_M, L), |(r0, nr), c0, pieces| {
        let rows = c0 * kb..(c0 + pieces.len()) * kb;
        let item_shifts = if shifts.is_empty() { &[][..] } else { &shifts[rows.clone()] };
        // SAFETY: the caller checked the CPU for `sweep`'s features.
        unsafe { sweep(weights, kb, (r0, nr), (&ys[rows], item_shifts), pieces) }
    })
}

/// Whether `B`'s products start from a centre (`shifts`): centred and signed blocks.
fn centred<B: OneGroup>() -> bool {
    B::CENTRE != 0 || B::SIGNED
}

type Acts<'a> = (&'a [BlockQ8_1], &'a [[i32; PIECES]]);

/// # Safety
/// The CPU must have AVX-512 F, BW, VL and VNNI, AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
#[allow(unsafe_code)]
unsafe fn sweep_vnni<B: OneGroup, const L: usize>(
    weights: &[B],
    kb: usize,
    rows: (usize, usize),
    acts: Acts,
    pieces: &mut [&mut [f32]],
) {
    // SAFETY: this function's features are what `Zmm` needs.
    unsafe { sweep::<B, Zmm, L>(weights, kb, rows, acts, pieces) }
}

/// # Safety
/// The CPU must have AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
#[allow(unsafe_code)]
unsafe fn sweep_avx2<B: OneGroup, const L: usize>(
    weights: &[B],
    kb: usize,
    rows: (usize, usize),
    acts: Acts,
    pieces: &mut [&mut [f32]],
) {
    // SAFETY: this function's features are what `Ymm` needs.
    unsafe { sweep::<B, Ymm, L>(weights, kb, rows, acts, pieces) }
}

/// Weight rows `r0..r0 + nr` (`nr <= L`) times each activation row of `ys`, written into
/// `pieces` (one slice of `nr` values per activation row).
///
/// # Safety
/// The CPU must have `W`'s features (its callers are built with them).
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn sweep<B: OneGroup, W: Width, const L: usize>(
    weights: &[B],
    kb: usize,
    (r0, nr): (usize, usize),
    (ys, shifts): Acts,
    pieces: &mut [&mut [f32]],
) {
    assert!(L == W::LANES, "{L} lanes");
    assert!(nr > 0 && nr <= L && (r0 + nr) * kb <= weights.len(), "weight rows out of range");
    let shifted = if centred::<B>() { ys.len() } else { 0 };
    assert!(ys.len() == pieces.len() * kb && shifts.len() == shifted, "activation rows out of range");
    let empty = Group { q: [[0; L]; PIECES], d: [0.0; L], m: [0.0; L] };
    let mut panel = vec![empty; kb];
    // SAFETY: the caller guarantees the features; the ranges were checked above.
    unsafe {
        build::<B, W, L>(weights, kb, (r0, nr), &mut panel);
        let m = pieces.len();
        let mut c = 0;
        // Two activation rows per pass where the register file holds their 16 accumulators
        // beside the 8 weight pieces (AVX-512's 32 registers; AVX2's 16 take one).
        if W::LANES == 16 {
            while c + 2 <= m {
                rows::<B, W, L, 2>(&panel, (ys, shifts), c, &mut pieces[c..c + 2]);
                c += 2;
            }
        }
        for c in c..m {
            rows::<B, W, L, 1>(&panel, (ys, shifts), c, &mut pieces[c..c + 1]);
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
unsafe fn build<B: OneGroup, W: Width, const L: usize>(
    weights: &[B],
    kb: usize,
    (r0, nr): (usize, usize),
    panel: &mut [Group<L>],
) {
    // SAFETY: the caller guarantees the features; rows `r0..r0 + nr` of `kb` blocks are inside
    // `weights` and `panel` holds `kb` groups.
    unsafe {
        // Each row's levels in a register, transposed into pieces (as the K-quant panels do:
        // a gather per piece costs as many loads, and gave wrong lanes on qemu's Haswell there).
        let mut levels = [_mm256_setzero_si256(); 16];
        for (bi, group) in panel.iter_mut().enumerate() {
            for (r, v) in levels.iter_mut().enumerate().take(L) {
                let x = weights.get_unchecked((r0 + r.min(nr - 1)) * kb + bi);
                let mut q = W::unpack(x, 0);
                if B::SIGNED {
                    q = _mm256_xor_si256(q, _mm256_set1_epi8(i8::MIN));
                }
                *v = q;
                let (d, m) = x.d_lanes();
                (group.d[r], group.m[r]) = (_mm256_cvtss_f32(d), m);
            }
            for (t, v) in W::transpose(&levels).iter().enumerate() {
                W::store_i(group.q[t].as_mut_ptr(), *v);
            }
        }
    }
}

/// The panel times activation rows `c..c + M` of `ys`, written into `out` (their `M` pieces).
///
/// # Safety
/// As `sweep`, which checked that `ys` (and `shifts`, for centred blocks) hold these rows.
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn rows<B: OneGroup, W: Width, const L: usize, const M: usize>(
    panel: &[Group<L>],
    (ys, shifts): Acts,
    c: usize,
    out: &mut [&mut [f32]],
) {
    let kb = panel.len();
    // SAFETY: the caller guarantees the features and that rows `c..c + M` of `kb` blocks are in
    // `ys` and, for centred blocks, `shifts`; the loads read the panel's aligned vectors and 4 bytes of each
    // activation block's `qs`; the stores write at most `out[i].len() <= L` floats.
    unsafe {
        let mut acc = [[W::F::zero(); PIECES]; M];
        let mut offset = [W::F::zero(); M];
        // Plain loops, no closures: a closure's body would not get the callers' features.
        for (g, group) in panel.iter().enumerate() {
            let mut w = [W::zero_i(); PIECES];
            for (w, q) in w.iter_mut().zip(&group.q) {
                *w = W::load_i(q.as_ptr());
            }
            let d = W::F::load(group.d.as_ptr());
            for i in 0..M {
                let y = ys.get_unchecked((c + i) * kb + g);
                let scale = W::F::mul(d, W::F::splat(y.d));
                let a = y.qs.as_ptr().cast::<i32>();
                for t in 0..PIECES {
                    let start =
                        if centred::<B>() { W::set1_i(shifts.get_unchecked((c + i) * kb + g)[t]) } else { W::zero_i() };
                    let p = W::products(start, w[t], a.add(t).read_unaligned());
                    acc[i][t] = W::F::fma(W::cvt(p), scale, acc[i][t]);
                }
                if B::OFFSET {
                    offset[i] = W::F::add(offset[i], W::F::mul(W::F::load(group.m.as_ptr()), W::F::splat(y.s)));
                }
            }
        }
        for i in 0..M {
            // The tiled kernels' horizontal sum of their eight lanes: halves, then pairs.
            let a = &acc[i];
            let s = [W::F::add(a[0], a[4]), W::F::add(a[1], a[5]), W::F::add(a[2], a[6]), W::F::add(a[3], a[7])];
            let sum = W::F::add(W::F::add(s[0], s[2]), W::F::add(s[1], s[3]));
            W::store_f(out[i], W::F::add(sum, offset[i]));
        }
    }
}

/// A register of `LANES` weight rows (i32 sums `I`, f32 values `F`), for `sweep`. Every method
/// is `unsafe`: the CPU must have the width's features, and they are `#[inline(always)]` into
/// the kernels built for them.
#[allow(unsafe_code)]
pub(super) trait Width {
    const LANES: usize;
    type I: Copy;
    type F: Lanes;
    /// Group `g`'s 32 levels, weight `j` in byte `j`.
    unsafe fn unpack<B: Packed>(x: &B, g: usize) -> __m256i;
    /// `out[t]` lane `r`: dword `t` of `rows[r]` (`LANES` rows).
    unsafe fn transpose(rows: &[__m256i; 16]) -> [Self::I; PIECES];
    /// Stores `LANES` sums at the aligned `p`.
    unsafe fn store_i(p: *mut u32, v: Self::I);
    /// Loads `LANES` sums from the aligned `p`.
    unsafe fn load_i(p: *const u32) -> Self::I;
    unsafe fn zero_i() -> Self::I;
    unsafe fn set1_i(v: i32) -> Self::I;
    /// `start` plus each lane's four unsigned weight bytes `w` times the four activation bytes
    /// `a`, exactly.
    unsafe fn products(start: Self::I, w: Self::I, a: i32) -> Self::I;
    unsafe fn cvt(v: Self::I) -> Self::F;
    unsafe fn add_i(a: Self::I, b: Self::I) -> Self::I;
    unsafe fn sub_i(a: Self::I, b: Self::I) -> Self::I;
    /// The low 32 bits of each lane's product.
    unsafe fn mullo_i(a: Self::I, b: Self::I) -> Self::I;
    /// `start` plus each lane's two i16 products of `a` and `b` (pairs in the i32 lanes).
    unsafe fn madd16(start: Self::I, a: Self::I, b: Self::I) -> Self::I;
    /// The first `out.len()` (at most `LANES`) lanes into `out`.
    unsafe fn store_f(out: &mut [f32], v: Self::F);
}

/// Sixteen rows in AVX-512 registers, products with VNNI.
pub(super) struct Zmm;

/// Eight rows in AVX2 registers, products as `vpmaddubsw` + `vpmaddwd` (the levels are at most
/// 31, so the 16-bit pair sums do not saturate).
pub(super) struct Ymm;

#[allow(unsafe_code)]
impl Width for Zmm {
    const LANES: usize = 16;
    type I = __m512i;
    type F = __m512;

    #[inline(always)]
    unsafe fn unpack<B: Packed>(x: &B, g: usize) -> __m256i {
        // SAFETY: the caller guarantees the features `Packed`'s unpacking needs.
        unsafe { x.unpack_avx512(g) }
    }
    #[inline(always)]
    unsafe fn transpose(rows: &[__m256i; 16]) -> [__m512i; PIECES] {
        // SAFETY: the caller guarantees the width's features (AVX2 and AVX-512 F among them).
        unsafe {
            let (a, b) = (transpose8(&rows[..8]), transpose8(&rows[8..]));
            let mut out = [_mm512_setzero_si512(); PIECES];
            for t in 0..PIECES {
                out[t] = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(a[t]), b[t]);
            }
            out
        }
    }
    #[inline(always)]
    unsafe fn store_i(p: *mut u32, v: __m512i) {
        // SAFETY: the caller guarantees the width's features and the aligned vector at `p`.
        unsafe { _mm512_store_si512(p.cast(), v) }
    }
    #[inline(always)]
    unsafe fn load_i(p: *const u32) -> __m512i {
        // SAFETY: the caller guarantees the width's features and the aligned vector at `p`.
        unsafe { _mm512_load_si512(p.cast()) }
    }
    #[inline(always)]
    unsafe fn zero_i() -> __m512i {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe { _mm512_setzero_si512() }
    }
    #[inline(always)]
    unsafe fn set1_i(v: i32) -> __m512i {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe { _mm512_set1_epi32(v) }
    }
    #[inline(always)]
    unsafe fn products(start: __m512i, w: __m512i, a: i32) -> __m512i {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe { _mm512_dpbusd_epi32(start, w, _mm512_set1_epi32(a)) }
    }
    #[inline(always)]
    unsafe fn cvt(v: __m512i) -> __m512 {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe { _mm512_cvtepi32_ps(v) }
    }
    #[inline(always)]
    unsafe fn add_i(a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe { _mm512_add_epi32(a, b) }
    }
    #[inline(always)]
    unsafe fn sub_i(a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe { _mm512_sub_epi32(a, b) }
    }
    #[inline(always)]
    unsafe fn mullo_i(a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe { _mm512_mullo_epi32(a, b) }
    }
    #[inline(always)]
    unsafe fn madd16(start: __m512i, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: the caller guarantees the width's features (AVX-512 VNNI); no memory is touched.
        unsafe { _mm512_dpwssd_epi32(start, a, b) }
    }
    #[inline(always)]
    unsafe fn store_f(out: &mut [f32], v: __m512) {
        let mask = if out.len() >= 16 { u16::MAX } else { (1u16 << out.len()) - 1 };
        // SAFETY: the caller guarantees the width's features; the store covers `out` (or a local array).
        unsafe { _mm512_mask_storeu_ps(out.as_mut_ptr(), mask, v) }
    }
}

#[allow(unsafe_code)]
impl Width for Ymm {
    const LANES: usize = 8;
    type I = __m256i;
    type F = __m256;

    #[inline(always)]
    unsafe fn unpack<B: Packed>(x: &B, g: usize) -> __m256i {
        // SAFETY: the caller guarantees the features `Packed`'s unpacking needs.
        unsafe { x.unpack(g) }
    }
    #[inline(always)]
    unsafe fn transpose(rows: &[__m256i; 16]) -> [__m256i; PIECES] {
        // SAFETY: the caller guarantees AVX2.
        unsafe { transpose8(&rows[..8]) }
    }
    #[inline(always)]
    unsafe fn store_i(p: *mut u32, v: __m256i) {
        // SAFETY: the caller guarantees the width's features and the aligned vector at `p`.
        unsafe { _mm256_store_si256(p.cast(), v) }
    }
    #[inline(always)]
    unsafe fn load_i(p: *const u32) -> __m256i {
        // SAFETY: the caller guarantees the width's features and the aligned vector at `p`.
        unsafe { _mm256_load_si256(p.cast()) }
    }
    #[inline(always)]
    unsafe fn zero_i() -> __m256i {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe { _mm256_setzero_si256() }
    }
    #[inline(always)]
    unsafe fn set1_i(v: i32) -> __m256i {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe { _mm256_set1_epi32(v) }
    }
    #[inline(always)]
    unsafe fn products(start: __m256i, w: __m256i, a: i32) -> __m256i {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe {
            let pairs = _mm256_maddubs_epi16(w, _mm256_set1_epi32(a));
            _mm256_add_epi32(start, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)))
        }
    }
    #[inline(always)]
    unsafe fn cvt(v: __m256i) -> __m256 {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe { _mm256_cvtepi32_ps(v) }
    }
    #[inline(always)]
    unsafe fn add_i(a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe { _mm256_add_epi32(a, b) }
    }
    #[inline(always)]
    unsafe fn sub_i(a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe { _mm256_sub_epi32(a, b) }
    }
    #[inline(always)]
    unsafe fn mullo_i(a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe { _mm256_mullo_epi32(a, b) }
    }
    #[inline(always)]
    unsafe fn madd16(start: __m256i, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: the caller guarantees the width's features; no memory is touched.
        unsafe { _mm256_add_epi32(start, _mm256_madd_epi16(a, b)) }
    }
    #[inline(always)]
    unsafe fn store_f(out: &mut [f32], v: __m256) {
        let mut all = [0f32; 8];
        // SAFETY: the caller guarantees the width's features; the store covers `out` (or a local array).
        unsafe { _mm256_storeu_ps(all.as_mut_ptr(), v) };
        let n = out.len().min(8);
        out[..n].copy_from_slice(&all[..n]);
    }
}

/// Rows of 32 bytes (eight dwords) to dwords across rows: `out[t]` lane `r` is dword `t` of `rows[r]`.
///
/// # Safety
/// The CPU must have AVX2.
#[inline(always)]
#[allow(unsafe_code)]
pub(super) unsafe fn transpose8(rows: &[__m256i]) -> [__m256i; 8] {
    assert!(rows.len() >= 8, "eight rows");
    // SAFETY: the caller guarantees AVX2; no memory is touched.
    unsafe {
        let t: [__m256i; 8] = [
            _mm256_unpacklo_epi32(rows[0], rows[1]),
            _mm256_unpackhi_epi32(rows[0], rows[1]),
            _mm256_unpacklo_epi32(rows[2], rows[3]),
            _mm256_unpackhi_epi32(rows[2], rows[3]),
            _mm256_unpacklo_epi32(rows[4], rows[5]),
            _mm256_unpackhi_epi32(rows[4], rows[5]),
            _mm256_unpacklo_epi32(rows[6], rows[7]),
            _mm256_unpackhi_epi32(rows[6], rows[7]),
        ];
        // u[j]: dwords j and j + 4 of rows 0..4 (u[0..4]) and 4..8 (u[4..8]), in the two halves.
        let u: [__m256i; 8] = [
            _mm256_unpacklo_epi64(t[0], t[2]),
            _mm256_unpackhi_epi64(t[0], t[2]),
            _mm256_unpacklo_epi64(t[1], t[3]),
            _mm256_unpackhi_epi64(t[1], t[3]),
            _mm256_unpacklo_epi64(t[4], t[6]),
            _mm256_unpackhi_epi64(t[4], t[6]),
            _mm256_unpacklo_epi64(t[5], t[7]),
            _mm256_unpackhi_epi64(t[5], t[7]),
        ];
        [
            _mm256_permute2x128_si256::<0x20>(u[0], u[4]),
            _mm256_permute2x128_si256::<0x20>(u[1], u[5]),
            _mm256_permute2x128_si256::<0x20>(u[2], u[6]),
            _mm256_permute2x128_si256::<0x20>(u[3], u[7]),
            _mm256_permute2x128_si256::<0x31>(u[0], u[4]),
            _mm256_permute2x128_si256::<0x31>(u[1], u[5]),
            _mm256_permute2x128_si256::<0x31>(u[2], u[6]),
            _mm256_permute2x128_si256::<0x31>(u[3], u[7]),
        ]
    }
}
