//! Tiling shared by hfx's kernels: work items of weight rows by activation rows on candle's
//! thread pool, each swept in small tiles by a kernel (`Tile`) over any weight and activation
//! element types (quantized blocks and Q8_1 blocks, or half floats and f32).

use std::marker::PhantomData;
use std::sync::Mutex;

use super::blocks::{BlockQ8_1, OneGroup};
#[cfg(target_arch = "x86_64")]
use super::kernels::VNNI;
use super::kernels::dot_tile;
use crate::models::decoder::decode::{lock, run};

/// Dot products of `N` weight rows with each of `M` activation rows.
pub(super) trait Tile {
    type W: Sync;
    type A: Sync;
    fn tile<const N: usize, const M: usize>(xs: [&[Self::W]; N], ys: [&[Self::A]; M]) -> [[f32; M]; N];
}

/// One-group weight blocks against Q8_1 activation blocks.
pub(super) struct Blocks<B>(PhantomData<B>);

impl<B: OneGroup> Tile for Blocks<B> {
    type W = B;
    type A = BlockQ8_1;
    fn tile<const N: usize, const M: usize>(xs: [&[B]; N], ys: [&[BlockQ8_1]; M]) -> [[f32; M]; N] {
        dot_tile(xs, ys)
    }
}

/// Prompt rows per work item of `tiled` (their activations stay in L2 while the item's weight
/// rows pass) and weight rows per item (a few hundred KiB of blocks at most).
const TILE_M: usize = 16;
const TILE_N: usize = 64;

/// `N` weight rows `xs` times each of the `m` activation rows of `ys`, `M` activation rows at a
/// time from `c` on while `M` fit; returns the first row left over.
fn sweep_by<K: Tile, const N: usize, const M: usize>(
    xs: [&[K::W]; N],
    ys: &[K::A],
    (mut c, m): (usize, usize),
    put: &mut impl FnMut(usize, usize, f32),
) -> usize {
    let kb = ys.len() / m.max(1);
    while c + M <= m {
        let d = K::tile(xs, std::array::from_fn::<_, M, _>(|i| &ys[(c + i) * kb..(c + i + 1) * kb]));
        for (r, row) in d.iter().enumerate() {
            for (i, v) in row.iter().enumerate() {
                put(c + i, r, *v);
            }
        }
        c += M;
    }
    c
}

/// Whether kernel calls take four activation rows (else two): AVX-512's 32 vector registers
/// hold a 4 x 4 tile's accumulators beside the Q5_0 operands, AVX2's 16 do not (Qwen2.5-0.5B
/// prompt 100 -> 31 tok/s with 4 x 4 there, 130 with 4 x 2).
pub(super) fn wide_tiles() -> bool {
    #[cfg(target_arch = "x86_64")]
    return *VNNI;
    #[cfg(not(target_arch = "x86_64"))]
    true
}

/// `N` weight rows `xs` times each of the `m` activation rows of `ys`, four (`wide`) or two at
/// a time and the rest one by one; `put(c, r, v)` gets activation row `c` times weight row `r`.
fn sweep<K: Tile, const N: usize>(
    xs: [&[K::W]; N],
    ys: &[K::A],
    (m, wide): (usize, bool),
    mut put: impl FnMut(usize, usize, f32),
) {
    let c = if wide {
        sweep_by::<K, N, 4>(xs, ys, (0, m), &mut put)
    } else {
        sweep_by::<K, N, 2>(xs, ys, (0, m), &mut put)
    };
    sweep_by::<K, N, 1>(xs, ys, (c, m), &mut put);
}

/// Rows `r0..r0 + n` of `weights` (`kb` elements each) times the `m.0` activation rows of `ys` (see
/// `sweep` for `m.1`), four weight rows at a time and the rest one by one; `put(c, j, v)` gets
/// activation row `c` times weight row `r0 + j`.
pub(super) fn sweep_rows<K: Tile>(
    weights: &[K::W],
    kb: usize,
    (r0, n): (usize, usize),
    ys: &[K::A],
    m: (usize, bool),
    mut put: impl FnMut(usize, usize, f32),
) {
    let row = |r: usize| &weights[r * kb..(r + 1) * kb];
    let mut j = 0;
    while j + 4 <= n {
        sweep::<K, 4>(std::array::from_fn(|i| row(r0 + j + i)), ys, m, |c, r, v| put(c, j + r, v));
        j += 4;
    }
    for j in j..n {
        sweep::<K, 1>([row(r0 + j)], ys, m, |c, _, v| put(c, j, v));
    }
}

/// The `(n, kw)` weights (`kw` elements per row) times each of the `m` activation rows of `ys`
/// (`ka` elements each): `(m, n)`. A work item is a block of `TILE_M` activation rows by
/// `TILE_N` weight rows, swept in 4 x 4 tiles (4 x 2 unless `wide`): each weight element
/// converted once per four (two) activation rows.
pub(super) fn tiled<K: Tile>(
    weights: &[K::W],
    (n, kw): (usize, usize),
    ys: &[K::A],
    (m, ka): (usize, usize),
    wide: bool,
) -> Vec<f32> {
    for_tiles(m, n, (TILE_M, TILE_N), |(r0, n), c0, pieces| {
        let m = pieces.len();
        let ys = &ys[c0 * ka..(c0 + m) * ka];
        sweep_rows::<K>(weights, kw, (r0, n), ys, (m, wide), |c, j, v| pieces[c][j] = v);
    })
}

/// An `(m, n)` output computed in work items of `tile_m` activation rows by `tile_n` weight
/// rows on candle's thread pool: `kernel((r0, nr), c0, pieces)` fills weight rows `r0..r0 + nr`
/// of activation rows `c0..c0 + pieces.len()`, one piece of `nr` values per activation row.
pub(super) fn for_tiles(
    m: usize,
    n: usize,
    (tile_m, tile_n): (usize, usize),
    kernel: impl Fn((usize, usize), usize, &mut [&mut [f32]]) + Sync,
) -> Vec<f32> {
    let mut out = vec![0f32; m * n];
    // Each item owns its block of `out`: the `tile_n`-wide pieces of `tile_m` output rows.
    let tiles_m = m.div_ceil(tile_m);
    let mut items: Vec<Vec<&mut [f32]>> = (0..tiles_m * n.div_ceil(tile_n)).map(|_| Vec::new()).collect();
    for (c, row) in out.chunks_mut(n.max(1)).enumerate() {
        for (w, piece) in row.chunks_mut(tile_n).enumerate() {
            items[w * tiles_m + c / tile_m].push(piece);
        }
    }
    let items: Vec<Mutex<Vec<&mut [f32]>>> = items.into_iter().map(Mutex::new).collect();
    run(items.len(), true, |range| {
        for i in range {
            let (w, t) = (i / tiles_m, i % tiles_m);
            let mut pieces = lock(&items[i]);
            let nr = pieces.first().map_or(0, |p| p.len());
            kernel((w * tile_n, nr), t * tile_m, &mut pieces);
        }
    });
    drop(items);
    out
}
