//! The frozen weights' products of the training pass in bf16: `x W^T` (forward) and `dy W`
//! (input gradient). They are about 70% of a LoRA step, and gemm's f32 AVX-512 kernel
//! already runs them at the CPU's FMA peak, so f32 cannot go faster.
//!
//! Two engines share the operands' layout. Intel AMX (Xeon 4th generation and later): its
//! bf16 tiles are rated at 16 times the multiply-adds per cycle (measured: 4-7x gemm's f32
//! rate, so three products per value still come out ahead; `amx_tiles.rs`). AVX512-BF16 without AMX (AMD
//! Zen 4 and later): `vdpbf16ps` does twice an f32 FMA's multiply-adds, which pays for one
//! product per value but not three (`amx_dots.rs`).
//!
//! `Passes::Three` splits every f32 into two bf16, `hi + lo` (16 significant bits), and adds
//! three products, `hi*hi + hi*lo + lo*hi` (what torch's `set_float32_matmul_precision("high")`
//! calls "the sum of two bfloat16 numbers"); the error per product is below 2^-16 relative.
//! `Passes::One` takes `hi*hi` alone, bf16 mixed precision. Sums are f32.
//!
//! Layout: the activations are the A operand (16 rows of 32 bf16 per tile, each tile's 1 KiB
//! contiguous), the weight the B operand (16 rows of 16 bf16 pairs), both converted once per
//! product into buffers kept per thread, so the weights stay f32 (or quantized) in the model.
//! `C[r][c]` (f32, 16 x 16) is activation row `r` against column `c`; a work item takes 256
//! rows by 32 columns, 2 x 2 tiles at a time.

use std::arch::x86_64::*;

use rayon::prelude::*;

use crate::models::decoder::packed::amx::{BF16_TILES, configure, restore};
use crate::models::decoder::packed::bf16_dots::{available as dots_available, pays as dots_pay};

/// Rows and columns of a tile; bf16 values in a tile row.
const TILE: usize = 16;
const DEPTH: usize = 32;
/// Activation rows per work item: their bf16 halves stay in the core's L2 while the item
/// goes through its weight block.
const ITEM_ROWS: usize = 256;
/// 32-deep steps per slice of an item's weight tiles (72 KiB; 4, 8, 18 and 64 measured, 18
/// fastest by 10-15% on SmolLM2's shapes: whole for its 576-deep products, fewer C round trips).
const SLICE: usize = 18;
/// u32 (bf16 pairs) in one B tile.
const B_TILE: usize = TILE * TILE;

/// Whether the CPU has AMX-BF16 and the process its tile state.
pub(super) fn available() -> bool {
    *BF16_TILES
}

/// Which instructions compute a product, and how many bf16 products make up each f32 one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// AMX tiles.
    Tiles(Passes),
    /// AVX512-BF16 dot products, one pass (three would be slower than f32 FMAs).
    Dots,
}

impl Kernel {
    /// The fastest kernel this CPU has for `passes`, if any.
    pub(crate) fn best(passes: Passes) -> Option<Self> {
        if available() {
            Some(Self::Tiles(passes))
        } else if passes == Passes::One && dots_pay() {
            Some(Self::Dots)
        } else {
            None
        }
    }

    fn passes(self) -> Passes {
        match self {
            Self::Tiles(p) => p,
            Self::Dots => Passes::One,
        }
    }

    /// Whether this CPU runs it.
    fn runs_here(self) -> bool {
        match self {
            Self::Tiles(_) => available(),
            Self::Dots => dots_available(),
        }
    }
}

/// How many bf16 products make up each f32 product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Passes {
    One,
    Three,
}

/// How the weight slice maps onto the product: `Rows` for `act W^T` (`w` is `(cols, depth)`,
/// the forward pass), `Cols` for `act W` (`w` is `(depth, cols)`, the input gradient).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Rows,
    Cols,
}

/// The output block: `dst[r * rs + c]` for `r < n`, `c < cols`.
pub(crate) struct Out<'a> {
    pub dst: &'a mut [f32],
    pub rs: usize,
    pub accumulate: bool,
}

/// The activations: `act[r * rs + k]` for `r < n`, `k < depth`.
pub(crate) struct Act<'a> {
    pub act: &'a [f32],
    pub rs: usize,
    pub n: usize,
}

/// `dst (+)= act W^T` (`Side::Rows`) or `act W` (`Side::Cols`), `depth` the shared dimension
/// and `cols` the output's. Only where `kernel.runs_here()`.
pub(crate) fn product(out: Out, a: Act, w: &[f32], side: Side, (depth, cols): (usize, usize), kernel: Kernel) {
    assert!(kernel.runs_here(), "{kernel:?} products on a CPU without them");
    let passes = kernel.passes();
    let n = a.n;
    if n == 0 || cols == 0 {
        return;
    }
    assert!(w.len() >= depth * cols, "weight bounds");
    assert!((n - 1) * a.rs + depth <= a.act.len(), "activation bounds");
    assert!((n - 1) * out.rs + cols <= out.dst.len(), "output bounds");
    if depth == 0 {
        if !out.accumulate {
            out.dst.chunks_mut(out.rs).take(n).for_each(|r| r[..cols].fill(0.0));
        }
        return;
    }
    let kp = depth.div_ceil(DEPTH) * DEPTH;
    let np = n.div_ceil(2 * TILE) * 2 * TILE;
    let blocks = cols.div_ceil(2 * TILE);
    let block_len = kp / DEPTH * 4 * B_TILE;
    let shared = SharedOut { ptr: out.dst.as_mut_ptr(), rs: out.rs, n, cols, accumulate: out.accumulate };
    BUFFERS.with(|cell| {
        // A product started while another waits on this thread (rayon lets a waiting thread
        // run other work) gets buffers of its own.
        let mut own = Buffers::default();
        let mut held = cell.try_borrow_mut();
        let bufs = match held.as_deref_mut() {
            Ok(b) => b,
            Err(_) => &mut own,
        };
        let hi = aligned::<u16>(&mut bufs.hi, np * kp);
        let lo = aligned::<u16>(&mut bufs.lo, if passes == Passes::Three { np * kp } else { 0 });
        split_rows(&a, depth, (kp, np), (&mut *hi, &mut *lo));
        let tiles = aligned::<u32>(&mut bufs.b, block_len * blocks);
        weight_tiles(w, side, (depth, cols), passes, &mut *tiles);
        let halves = Halves { hi, lo, kp };
        let chunks = np.div_ceil(ITEM_ROWS);
        (0..chunks * blocks).into_par_iter().for_each(|item| {
            let (chunk, block) = (item / blocks, item % blocks);
            let rows = chunk * ITEM_ROWS..np.min((chunk + 1) * ITEM_ROWS);
            let b = &tiles[block * block_len..(block + 1) * block_len];
            // SAFETY: `kernel.runs_here()` was asserted: for tiles the CPU has AMX-BF16 and
            // AVX-512 F/BW and the process its tile state (the item configures the tiles and
            // gives the thread back its previous configuration); for dots AVX512-BF16, F and
            // BW. Items write disjoint blocks of the output (their rows and columns), inside
            // the bounds asserted above.
            #[allow(unsafe_code)]
            unsafe {
                match kernel {
                    Kernel::Tiles(passes) => {
                        let saved = configure(&[(64, 16); 8]);
                        tiles::sweep(&shared, &halves, b, rows, block * 2 * TILE, passes);
                        restore(&saved);
                    }
                    Kernel::Dots => dots::sweep(&shared, &halves, b, rows, block * 2 * TILE),
                }
            }
        });
    });
}

/// The converted operands, kept per thread between products (a step makes hundreds, of a few
/// MiB each, which fresh allocations would fault in and zero every time).
#[derive(Default)]
struct Buffers {
    hi: Vec<Line>,
    lo: Vec<Line>,
    b: Vec<Line>,
}

/// 64 bytes, aligned to 64: a tile row never straddles two cache lines (which doubled the
/// lines every tile load touched in a plain `Vec<u16>`).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u32; 16]);

/// The integer types the buffers hold: every bit pattern is a value.
trait Word: Copy {}
impl Word for u16 {}
impl Word for u32 {}

/// `v` grown to hold `len` values of `T`, as a slice of them.
fn aligned<T: Word>(v: &mut Vec<Line>, len: usize) -> &mut [T] {
    let lines = (len * size_of::<T>()).div_ceil(64);
    if v.len() < lines {
        v.resize(lines, Line([0; 16]));
    }
    // SAFETY: the lines hold at least `len * size_of::<T>()` initialized bytes, aligned to
    // 64 (more than `T` needs); `T` is u16 or u32, for which any bytes are a value; the slice
    // borrows `v` mutably for its whole life.
    #[allow(unsafe_code)]
    unsafe {
        std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<T>(), len)
    }
}

thread_local! {
    static BUFFERS: std::cell::RefCell<Buffers> = std::cell::RefCell::new(Buffers::default());
}

/// The output as a raw pointer, so items can write their disjoint blocks from many threads.
struct SharedOut {
    ptr: *mut f32,
    rs: usize,
    n: usize,
    cols: usize,
    accumulate: bool,
}

// SAFETY: the items that share it write disjoint (row, column) blocks, each inside the slice
// `product` checked; nothing reads what another item writes.
#[allow(unsafe_code)]
unsafe impl Sync for SharedOut {}

/// The activations as bf16, `np` rows (zero padded) of `kp` values, and their low halves
/// (for three passes).
struct Halves<'a> {
    hi: &'a [u16],
    lo: &'a [u16],
    kp: usize,
}

/// Converts the activations into A tiles, each 16 rows of one 32-deep step contiguous (1 KiB,
/// so a tile load reads consecutive lines): `[row block][step][16 rows][32]`.
fn split_rows(a: &Act, depth: usize, (kp, np): (usize, usize), (hi, lo): (&mut [u16], &mut [u16])) {
    debug_assert!(hi.len() == np * kp && (lo.is_empty() || lo.len() == np * kp));
    let convert = |rb: usize, hb: &mut [u16], mut lb: Option<&mut [u16]>| {
        if (rb + 1) * TILE > a.n {
            // Padding rows are zero; the rows of `act` are written whole (`split_row` pads).
            hb.fill(0);
            if let Some(l) = lb.as_deref_mut() {
                l.fill(0);
            }
        }
        for i in 0..TILE.min(a.n.saturating_sub(rb * TILE)) {
            let r = rb * TILE + i;
            // SAFETY: `product` asserted its kernel runs here: AVX-512 F and BW either way.
            #[allow(unsafe_code)]
            unsafe {
                split_row(&a.act[r * a.rs..r * a.rs + depth], i, hb, lb.as_deref_mut())
            };
        }
    };
    let block = TILE * kp;
    if lo.is_empty() {
        hi.par_chunks_mut(block).enumerate().for_each(|(rb, hb)| convert(rb, hb, None));
    } else {
        hi.par_chunks_mut(block)
            .zip(lo.par_chunks_mut(block))
            .enumerate()
            .for_each(|(rb, (hb, lb))| convert(rb, hb, Some(lb)));
    }
}

/// Word indices that take the high half of each f32 in two vectors: 32 bf16 in order.
static HIGH_WORDS: [u16; 32] = {
    let mut w = [0u16; 32];
    let mut i = 0;
    while i < 32 {
        w[i] = 2 * i as u16 + 1;
        i += 1;
    }
    w
};

/// The f32 bits of `x` rounded to bf16 (to nearest, ties to even), low 16 bits zero.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn round(x: __m512i) -> __m512i {
    let odd = _mm512_and_si512(_mm512_srli_epi32::<16>(x), _mm512_set1_epi32(1));
    let r = _mm512_add_epi32(x, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), odd));
    _mm512_and_si512(r, _mm512_set1_epi32(0xffff_0000_u32 as i32))
}

/// `v` as `hi + lo`, both rounded to bf16 (as f32 bits).
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn halves(v: __m512) -> (__m512i, __m512i) {
    let hi = round(_mm512_castps_si512(v));
    let lo = _mm512_sub_ps(v, _mm512_castsi512_ps(hi));
    (hi, round(_mm512_castps_si512(lo)))
}

/// Up to 16 values from `src[at..]` (zeros past its end).
///
/// # Safety
/// AVX-512 F.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
#[allow(unsafe_code)]
unsafe fn load16(src: &[f32], at: usize) -> __m512 {
    let left = src.len().saturating_sub(at).min(16);
    if left == 0 {
        return _mm512_setzero_ps();
    }
    let mask = if left == 16 { 0xffff } else { (1u16 << left) - 1 };
    // SAFETY: the mask covers only the `left` values inside `src` from `at`; masked-off
    // lanes are not read.
    unsafe { _mm512_maskz_loadu_ps(mask, src.as_ptr().add(at)) }
}

/// Writes `src` as bf16 (and the low halves) into row `i` of a row block's tiles, 32 at a
/// time; the tiles cover `src` rounded up to 32.
///
/// # Safety
/// AVX-512 F and BW.
#[target_feature(enable = "avx512f,avx512bw")]
#[allow(unsafe_code)]
unsafe fn split_row(src: &[f32], i: usize, hi: &mut [u16], mut lo: Option<&mut [u16]>) {
    // SAFETY: the loads stay inside `src` (`load16`), the stores write 32 values inside the
    // step's tile (checked).
    unsafe {
        let idx = _mm512_loadu_si512(HIGH_WORDS.as_ptr().cast());
        for (s, k) in (0..src.len()).step_by(DEPTH).enumerate() {
            let at = s * TILE * DEPTH + i * DEPTH;
            assert!(at + DEPTH <= hi.len());
            let (ah, al) = halves(load16(src, k));
            let (bh, bl) = halves(load16(src, k + 16));
            _mm512_storeu_si512(hi.as_mut_ptr().add(at).cast(), _mm512_permutex2var_epi16(ah, idx, bh));
            if let Some(lo) = lo.as_deref_mut() {
                assert!(at + DEPTH <= lo.len());
                _mm512_storeu_si512(lo.as_mut_ptr().add(at).cast(), _mm512_permutex2var_epi16(al, idx, bl));
            }
        }
    }
}

/// The weights as B tiles, per block of 32 columns and 32-deep step `[half][part][16
/// rows][16]` bf16 pairs (`half` the block's two 16-column halves, `part` hi then lo), zero
/// past the weight's depth and columns. Every tile is written (the buffer is reused).
fn weight_tiles(w: &[f32], side: Side, (depth, cols): (usize, usize), passes: Passes, b: &mut [u32]) {
    let blocks = cols.div_ceil(2 * TILE);
    b.par_chunks_mut(b.len() / blocks).enumerate().for_each(|(block, tiles)| {
        // SAFETY: `product` asserted its kernel runs here (AVX-512 F and BW) and `w`'s bounds.
        #[allow(unsafe_code)]
        unsafe {
            match side {
                Side::Rows => tiles_from_rows(w, depth, cols, block * 2 * TILE, passes, tiles),
                Side::Cols => tiles_from_cols(w, depth, cols, block * 2 * TILE, passes, tiles),
            }
        }
    });
}

/// `Side::Rows`: column `c` of the product is weight row `c`, so a tile row holds one bf16
/// pair of each of 16 weight rows: each weight row's 32 values are converted in one pass and
/// the 16 x 16 pairs transposed into the tile.
///
/// # Safety
/// AVX-512 F and BW; `w` holds `cols` rows of `depth`.
#[target_feature(enable = "avx512f,avx512bw")]
#[allow(unsafe_code)]
unsafe fn tiles_from_rows(w: &[f32], depth: usize, cols: usize, c0: usize, passes: Passes, tiles: &mut [u32]) {
    let mut rows = [[[0u32; TILE]; TILE]; 2];
    // SAFETY: loads stay inside each weight row (`load16` on the row's slice); the stores
    // write 16 pairs into `rows`.
    unsafe {
        let idx = _mm512_loadu_si512(HIGH_WORDS.as_ptr().cast());
        for (s, k) in (0..depth).step_by(DEPTH).enumerate() {
            for half in 0..2 {
                for (j, c) in (c0 + half * TILE..c0 + (half + 1) * TILE).enumerate() {
                    if c >= cols {
                        rows[0][j] = [0; TILE];
                        rows[1][j] = [0; TILE];
                        continue;
                    }
                    let row = &w[c * depth..(c + 1) * depth];
                    let (ah, al) = halves(load16(row, k));
                    let (bh, bl) = halves(load16(row, k + 16));
                    _mm512_storeu_si512(rows[0][j].as_mut_ptr().cast(), _mm512_permutex2var_epi16(ah, idx, bh));
                    _mm512_storeu_si512(rows[1][j].as_mut_ptr().cast(), _mm512_permutex2var_epi16(al, idx, bl));
                }
                let parts = if passes == Passes::Three { 2 } else { 1 };
                // Tile row p is pair p of each of the 16 rows: a gather down the columns.
                let down = _mm512_mullo_epi32(
                    _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                    _mm512_set1_epi32(TILE as i32),
                );
                for (part, src) in rows.iter().enumerate().take(parts) {
                    let at = ((s * 2 + half) * 2 + part) * B_TILE;
                    assert!(at + B_TILE <= tiles.len());
                    for p in 0..TILE {
                        let col = _mm512_i32gather_epi32::<4>(
                            _mm512_add_epi32(down, _mm512_set1_epi32(p as i32)),
                            src.as_ptr().cast(),
                        );
                        _mm512_storeu_si512(tiles.as_mut_ptr().add(at + p * TILE).cast(), col);
                    }
                }
            }
        }
    }
}

/// `Side::Cols`: a tile row is weight rows `2p` and `2p + 1` interleaved over 16 columns.
///
/// # Safety
/// AVX-512 F and BW; `w` holds `depth` rows of `cols`.
#[target_feature(enable = "avx512f,avx512bw")]
#[allow(unsafe_code)]
unsafe fn tiles_from_cols(w: &[f32], depth: usize, cols: usize, c0: usize, passes: Passes, tiles: &mut [u32]) {
    let high = _mm512_set1_epi32(0xffff_0000_u32 as i32);
    let pair =
        |even: __m512i, odd: __m512i| _mm512_or_si512(_mm512_srli_epi32::<16>(even), _mm512_and_si512(odd, high));
    // SAFETY: loads stay inside each weight row's columns (`load16` on the row's slice cut at
    // `cols`); the stores write 16 pairs inside `tiles`' tile rows.
    unsafe {
        for s in 0..depth.div_ceil(DEPTH) {
            for half in 0..2 {
                let c = c0 + half * TILE;
                if c >= cols {
                    let at = ((s * 2 + half) * 2) * B_TILE;
                    tiles[at..at + 2 * B_TILE].fill(0);
                    continue;
                }
                for p in 0..TILE {
                    let k = s * DEPTH + 2 * p;
                    let load = |k: usize| {
                        if k < depth {
                            halves(load16(&w[k * cols..(k + 1) * cols], c))
                        } else {
                            halves(_mm512_setzero_ps())
                        }
                    };
                    let ((eh, el), (oh, ol)) = (load(k), load(k + 1));
                    let at = ((s * 2 + half) * 2) * B_TILE + p * TILE;
                    assert!(at + B_TILE + TILE <= tiles.len());
                    _mm512_storeu_si512(tiles.as_mut_ptr().add(at).cast(), pair(eh, oh));
                    if passes == Passes::Three {
                        _mm512_storeu_si512(tiles.as_mut_ptr().add(at + B_TILE).cast(), pair(el, ol));
                    }
                }
            }
        }
    }
}

#[path = "amx_tiles.rs"]
mod tiles;

#[path = "amx_dots.rs"]
mod dots;

#[cfg(test)]
#[path = "amx_tests.rs"]
mod tests;
