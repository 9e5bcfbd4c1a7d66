//! Prompt matmuls of weight blocks on Intel AMX (Sapphire Rapids and later), where one tile
//! instruction multiplies 16 weight rows by 16 activation rows over a 32-weight group.
//!
//! Why: a prompt is compute-bound, and the VNNI kernels spend ~90 instructions per 4 x 4 tile
//! of one group (unpack, products, conversion, scaling); a 16 x 16 AMX product of the same
//! group is one `tdpbusd`, leaving the unpacking and the f32 scaling (Qwen2.5-0.5B Q4_K_M,
//! whose 896-wide Q5_0 matrices took 59% of a 256-token prompt in `dot_vnni`). candle uses AMX
//! for its repacked Q4_K tiles, which hold a second, unpacked copy of the weights; here the
//! weights stay in their GGUF blocks and each group is unpacked into the tile buffer as it is
//! used, so memory is unchanged.
//!
//! Layout: the unpacked weights are the A tile (16 rows of 32 levels, unsigned, or signed for
//! Q8_0), the Q8_1 activations the B tile in AMX's pair-of-four layout (packed once per
//! prompt), so `C[r][c]` is weight row `r` times activation row `c`. The integer products are
//! exact, as in the VNNI kernels; scales, centres and offsets are applied as they are there.

use std::arch::x86_64::*;
use std::sync::LazyLock;

use super::QK;
use super::blocks::{BlockQ8_1, OneGroup};
use super::kernels::VNNI;
use super::tiles::for_tiles;

/// Whether prompts run on AMX: asked for with `HFX_AMX=1` (truthy values as `HF_*`), and the
/// CPU has AMX-INT8 and the OS lets this process use it. Off by default: with AMX on, the
/// integration test process (many threads, child processes exiting) died once with SIGSEGV,
/// which no run of the CLI has shown; until that is understood, AMX is opt-in.
pub(super) static AMX: LazyLock<bool> = LazyLock::new(|| {
    std::env::var(crate::settings::vars::HFX_AMX).is_ok_and(|v| crate::settings::is_truthy(&v)) && *AVAILABLE
});

/// Whether the CPU has AMX-INT8 (with the AVX-512 the kernels' scaling uses) and the OS lets
/// this process use it (Linux grants the tile state on request:
/// `arch_prctl(ARCH_REQ_XCOMP_PERM)`).
pub(super) static AVAILABLE: LazyLock<bool> = LazyLock::new(|| {
    let avx512 = std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512bw");
    if !*VNNI || !avx512 {
        return false;
    }
    // `is_x86_feature_detected!("amx-int8")` is unstable: CPUID leaf 7, EDX bits 24 (AMX-TILE)
    // and 25 (AMX-INT8).
    let edx = __cpuid_count(7, 0).edx;
    if edx & (3 << 24) != 3 << 24 {
        return false;
    }
    request_tile_state()
});

/// Whether the CPU has AMX-BF16 (with AVX-512 F and BW, which the callers' conversions use)
/// and the OS lets this process use the tiles: the training pass's frozen products run there.
pub(crate) static BF16_TILES: LazyLock<bool> = LazyLock::new(|| {
    let avx512 = std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512bw");
    // CPUID leaf 7, EDX bits 24 (AMX-TILE) and 22 (AMX-BF16).
    let edx = __cpuid_count(7, 0).edx;
    avx512 && edx & (1 << 24 | 1 << 22) == (1 << 24 | 1 << 22) && request_tile_state()
});

#[cfg(target_os = "linux")]
fn request_tile_state() -> bool {
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: arch_prctl with ARCH_REQ_XCOMP_PERM takes a feature number and touches no memory;
    // it fails (non-zero) where the kernel does not offer the tile state.
    #[allow(unsafe_code)]
    let r = unsafe { libc::syscall(libc::SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) };
    r == 0
}

#[cfg(not(target_os = "linux"))]
fn request_tile_state() -> bool {
    // Other systems enable the tile state their own way; the VNNI kernels serve there.
    false
}

/// Whether `matmul` serves one-group blocks: every prompt, whatever its length, so that a row's
/// result does not depend on the rows beside it (a server's prefix-cache hit recomputes a
/// prompt's last tokens alone and must get a fresh prefill's numbers). K-quant matrices never
/// come here: they take `superblock`'s kernels.
pub(super) fn serves() -> bool {
    *AMX
}

/// Activation rows per tile, weight rows per tile.
const ROWS: usize = 16;

/// One group of 16 activation rows as AMX's B operand: `qs[i]` holds bytes `4i..4i + 4` of
/// each row in turn; with each row's scale, `d * sum(q)` and integer `sum(q)`.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct ActTile {
    qs: [[i8; 64]; 8],
    d: [f32; ROWS],
    s: [f32; ROWS],
    sum: [i32; ROWS],
}

const EMPTY: ActTile = ActTile { qs: [[0; 64]; 8], d: [0.0; ROWS], s: [0.0; ROWS], sum: [0; ROWS] };

/// The `m` rows of `kb` Q8_1 blocks as tiles, `[tile][block]`, the last tile padded with zero
/// rows (and a zero tile added so that tiles come in pairs).
fn pack(ys: &[BlockQ8_1], m: usize, kb: usize) -> Vec<ActTile> {
    let tiles = m.div_ceil(2 * ROWS) * 2;
    let mut out = vec![EMPTY; tiles * kb];
    for (row, blocks) in ys.chunks_exact(kb).enumerate().take(m) {
        let (t, c) = (row / ROWS, row % ROWS);
        for (j, y) in blocks.iter().enumerate() {
            let tile = &mut out[t * kb + j];
            for (i, quad) in y.qs.chunks_exact(4).enumerate() {
                tile.qs[i][4 * c..4 * c + 4].copy_from_slice(quad);
            }
            tile.d[c] = y.d;
            tile.s[c] = y.s;
            tile.sum[c] = y.qs.iter().map(|&q| i32::from(q)).sum();
        }
    }
    out
}

/// `(n, kb)` weight blocks times the `m` quantized activation rows `ys` (`kb` blocks each):
/// `(m, n)`. Work items are 32 activation rows by 16 weight rows. Only where `AVAILABLE` (tests call it so; the model through `serves`).
pub(super) fn matmul<B: OneGroup>(weights: &[B], (n, kb): (usize, usize), ys: &[BlockQ8_1], m: usize) -> Vec<f32> {
    debug_assert_eq!(ys.len(), m * kb);
    let acts = pack(ys, m, kb);
    for_tiles(m, n, (2 * ROWS, ROWS), |(r0, nr), c0, pieces| {
        let t = c0 / ROWS;
        let pair = [&acts[t * kb..(t + 1) * kb], &acts[(t + 1) * kb..(t + 2) * kb]];
        // SAFETY: callers check `AMX` or `AVAILABLE`: AVX-512 (F, BW, VL and VNNI with AVX2,
        // FMA and F16C) and the AMX tile state; the item runs with this module's tile configuration and gives
        // the thread back the one it had (a few dozen cycles against the item's thousands of
        // tile products).
        #[allow(unsafe_code)]
        unsafe {
            let saved = configure(&[(64, 16), (64, 16), (32, 16), (64, 8), (64, 8)]);
            tile_pair::<B>(weights, kb, (r0, nr), pair, pieces);
            restore(&saved);
        }
    })
}

/// AMX's tile configuration: palette 1 with each tile's bytes per row and rows.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct TileConfig {
    palette: u8,
    start_row: u8,
    reserved: [u8; 14],
    colsb: [u16; 16],
    rows: [u8; 16],
}

/// Loads a tile configuration, `(bytes per row, rows)` for tmm0, tmm1, ..., and returns the
/// thread's previous one: candle's Q4_K kernels configure the tiles once per thread and keep
/// them, so they must find theirs (or the initial state, palette 0) again after an item here.
/// `tile_pair`'s layout: tmm0 and tmm1 the two 16 x 16 i32 products, tmm2 the weights (16
/// rows of 32 bytes), tmm3 and tmm4 the two activation tiles (8 rows of 64 bytes).
///
/// # Safety
/// The CPU must have AMX and the process its tile state (`AMX`, `AVAILABLE` or `BF16_TILES`).
#[allow(unsafe_code)]
pub(crate) unsafe fn configure(shapes: &[(u16, u8)]) -> TileConfig {
    let mut saved = TileConfig { palette: 0, start_row: 0, reserved: [0; 14], colsb: [0; 16], rows: [0; 16] };
    let mut cfg = TileConfig { palette: 1, ..saved };
    for (t, &(bytes, rows)) in shapes.iter().enumerate().take(8) {
        (cfg.colsb[t], cfg.rows[t]) = (bytes, rows);
    }
    // SAFETY: the caller guarantees AMX; `sttilecfg` writes the 64 bytes of `saved` (zeros when
    // the tiles are unconfigured), `ldtilecfg` reads the 64 bytes of `cfg`.
    unsafe {
        std::arch::asm!("sttilecfg [{}]", in(reg) &mut saved, options(nostack));
        std::arch::asm!("ldtilecfg [{}]", in(reg) &cfg, options(nostack, readonly));
    }
    saved
}

/// Gives the thread back the tile configuration `configure` returned.
///
/// # Safety
/// As `configure`.
#[allow(unsafe_code)]
pub(crate) unsafe fn restore(saved: &TileConfig) {
    // SAFETY: the caller guarantees AMX; `saved` came from `sttilecfg`, so it is a valid
    // configuration (palette 0 returns the tiles to their initial state).
    unsafe { std::arch::asm!("ldtilecfg [{}]", in(reg) saved, options(nostack, readonly)) };
}

/// Weight rows `r0..r0 + nr` (`nr <= 16`) times the 32 activation rows of `acts` (two tiles),
/// written into `pieces` (one slice of `nr` values per activation row, at most 32).
///
/// # Safety
/// The CPU must have AVX-512 (F, BW, VL, VNNI), AVX2, FMA, F16C and AMX-INT8, with the tiles
/// configured by `configure`.
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
#[allow(unsafe_code)]
unsafe fn tile_pair<B: OneGroup>(
    weights: &[B],
    kb: usize,
    (r0, nr): (usize, usize),
    acts: [&[ActTile]; 2],
    pieces: &mut [&mut [f32]],
) {
    #[repr(C, align(64))]
    struct Buffers {
        a: [[u8; QK]; ROWS],
        c: [[[i32; ROWS]; ROWS]; 2],
    }
    let mut buf = Buffers { a: [[0; QK]; ROWS], c: [[[0; ROWS]; ROWS]; 2] };
    let mut acc = [[_mm512_setzero_ps(); ROWS]; 2];
    // The second activation tile is all padding in the last pair of a prompt of 16 rows or
    // fewer: its product is made (one tile instruction) but not scaled.
    let live = pieces.len().div_ceil(ROWS);
    // A partial tile repeats its last row; those products are not written.
    let row = |r: usize| (r0 + r.min(nr - 1)) * kb;
    // SAFETY: the caller guarantees the CPU features; the reads stay inside `weights` (rows
    // `r0..r0 + nr` of `kb` blocks, checked below) and `acts` (`kb` tiles each, checked
    // below), and the tile loads and stores address `buf` and the `ActTile`s
    // with the strides the configuration gives them (16 x 32, 16 x 64 and 8 x 64 bytes).
    unsafe {
        assert!(nr > 0 && (r0 + nr) * kb <= weights.len(), "weight rows out of range");
        assert!(acts.iter().all(|a| a.len() == kb), "activation tiles of {kb} blocks");
        for (bi, (y0, y1)) in acts[0].iter().zip(acts[1]).enumerate() {
            let (mut d, mut m) = ([0f32; ROWS], [0f32; ROWS]);
            for r in 0..ROWS {
                let x = weights.get_unchecked(row(r) + bi);
                _mm256_store_si256(buf.a[r].as_mut_ptr().cast(), x.unpack_avx512(0));
                let (dv, mr) = x.d_lanes();
                (d[r], m[r]) = (_mm256_cvtss_f32(dv), mr);
            }
            products::<B>(&buf.a, [&y0.qs, &y1.qs], &mut buf.c);
            for (t, y) in [y0, y1].into_iter().enumerate().take(live) {
                let dy = _mm512_load_ps(y.d.as_ptr());
                let centre =
                    _mm512_mullo_epi32(_mm512_load_si512(y.sum.as_ptr().cast()), _mm512_set1_epi32(B::CENTRE.into()));
                let sy = _mm512_load_ps(y.s.as_ptr());
                for r in 0..ROWS {
                    let mut p = _mm512_load_si512(buf.c[t][r].as_ptr().cast());
                    if B::CENTRE != 0 {
                        p = _mm512_sub_epi32(p, centre);
                    }
                    let scale = _mm512_mul_ps(_mm512_set1_ps(d[r]), dy);
                    acc[t][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), scale, acc[t][r]);
                    if B::OFFSET {
                        acc[t][r] = _mm512_fmadd_ps(_mm512_set1_ps(m[r]), sy, acc[t][r]);
                    }
                }
            }
        }
        // acc[t][r] holds weight row r against activation rows 16t..16t + 16.
        let mut rows = [[0f32; ROWS]; ROWS];
        for (t, acc) in acc.iter().enumerate().take(live) {
            for (r, v) in acc.iter().enumerate() {
                _mm512_storeu_ps(rows[r].as_mut_ptr(), *v);
            }
            for (c, piece) in pieces.iter_mut().skip(t * ROWS).take(ROWS).enumerate() {
                for (r, out) in piece.iter_mut().enumerate().take(nr) {
                    *out = rows[r][c];
                }
            }
        }
    }
}

/// The two 16 x 16 integer products of the weight tile `a` with the activation tiles `b`.
///
/// # Safety
/// The CPU must have AMX-INT8, with the tiles configured by `configure`.
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn products<B: OneGroup>(a: &[[u8; QK]; ROWS], b: [&[[i8; 64]; 8]; 2], c: &mut [[[i32; ROWS]; ROWS]; 2]) {
    macro_rules! tiles {
        ($op:literal) => {
            // SAFETY: the caller guarantees AMX and the configuration; the loads read 16 rows
            // of 32 bytes from `a` and 8 rows of 64 from each `b`, the stores write 16 rows of
            // 64 bytes into each half of `c`.
            unsafe {
                std::arch::asm!(
                    "tileloadd tmm2, [{a} + {sa}*1]",
                    "tileloadd tmm3, [{b0} + {sb}*1]",
                    "tileloadd tmm4, [{b1} + {sb}*1]",
                    "tilezero tmm0",
                    "tilezero tmm1",
                    concat!($op, " tmm0, tmm2, tmm3"),
                    concat!($op, " tmm1, tmm2, tmm4"),
                    "tilestored [{c0} + {sb}*1], tmm0",
                    "tilestored [{c1} + {sb}*1], tmm1",
                    a = in(reg) a.as_ptr(),
                    b0 = in(reg) b[0].as_ptr(),
                    b1 = in(reg) b[1].as_ptr(),
                    c0 = in(reg) c[0].as_mut_ptr(),
                    c1 = in(reg) c[1].as_mut_ptr(),
                    sa = in(reg) QK,
                    sb = in(reg) 64usize,
                    options(nostack),
                )
            }
        };
    }
    // Signed weights (Q8_0) take the signed-by-signed product, the rest unsigned levels.
    if B::SIGNED { tiles!("tdpbssd") } else { tiles!("tdpbusd") }
}
