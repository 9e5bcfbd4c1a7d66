//! The AMX engine: the items' products on tiles. Eight tiles: C in tmm0..tmm3 (2 x 2 blocks
//! of 16 x 16 f32), A in tmm4/tmm5 (two 16-row blocks), B in tmm6/tmm7 (two 16-column halves).

use super::{B_TILE, DEPTH, Halves, Passes, SLICE, SharedOut, TILE};

/// All the item's row pairs (32 activation rows) against its 32 columns.
///
/// # Safety
/// AMX-BF16 with the tiles configured as 8 tiles of 16 rows of 64 bytes; AVX-512 F.
#[allow(unsafe_code)]
#[inline(never)]
pub(super) unsafe fn sweep(
    out: &SharedOut,
    a: &Halves,
    b: &[u32],
    rows: std::ops::Range<usize>,
    c0: usize,
    passes: Passes,
) {
    #[repr(C, align(64))]
    struct Scratch([[f32; TILE * TILE]; 4]);
    let zero = Scratch([[0.0; TILE * TILE]; 4]);
    let mut temp = Scratch([[0.0; TILE * TILE]; 4]);
    let kp = a.kp;
    let steps = kp / DEPTH;
    // A slice of SLICE steps of the item's weight tiles stays in cache while every row
    // pair goes through it; the products' sums go back to the output between slices.
    for s0 in (0..steps).step_by(SLICE) {
        let len = SLICE.min(steps - s0);
        let accumulate = out.accumulate || s0 > 0;
        for r0 in rows.clone().step_by(2 * TILE) {
            let full = r0 + 2 * TILE <= out.n && c0 + 2 * TILE <= out.cols;
            // SAFETY: a full block lies inside the output (`product` checked its bounds);
            // other blocks go through `temp`, copying only the elements inside. The A tiles
            // read rows `r0..r0 + 32` of the `np`-row halves from step `s0`; the B tiles
            // `len` groups of 4 tiles from step `s0`.
            unsafe {
                let direct = out.ptr.add(r0 * out.rs + c0);
                let (load, load_stride, store, store_stride) = if full {
                    let src = if accumulate { direct.cast_const() } else { zero.0.as_ptr().cast() };
                    let ls = if accumulate { out.rs * 4 } else { 0 };
                    (src, ls, direct, out.rs * 4)
                } else {
                    for (t, tile) in temp.0.iter_mut().enumerate() {
                        let (ra, cb) = (r0 + (t / 2) * TILE, c0 + (t % 2) * TILE);
                        for i in 0..TILE {
                            for j in 0..TILE {
                                let (r, c) = (ra + i, cb + j);
                                let inside = r < out.n && c < out.cols;
                                tile[i * TILE + j] =
                                    if inside && accumulate { *out.ptr.add(r * out.rs + c) } else { 0.0 };
                            }
                        }
                    }
                    (temp.0.as_ptr().cast(), 64, temp.0.as_mut_ptr().cast(), 64)
                };
                tiles_c(load, load_stride, full, false);
                // Row block r0 / 16 from step s0; the next row block is 16 * kp values on.
                let at = r0 * kp + s0 * TILE * DEPTH;
                let ah = a.hi.as_ptr().add(at);
                let al = if passes == Passes::Three { a.lo.as_ptr().add(at) } else { ah };
                steps_asm((ah, al), TILE * kp, b.as_ptr().add(s0 * 4 * B_TILE), len, passes);
                tiles_c(store.cast_const(), store_stride, full, true);
                if !full {
                    for (t, tile) in temp.0.iter().enumerate() {
                        let (ra, cb) = (r0 + (t / 2) * TILE, c0 + (t % 2) * TILE);
                        for i in 0..TILE.min(out.n.saturating_sub(ra)) {
                            for j in 0..TILE.min(out.cols.saturating_sub(cb)) {
                                *out.ptr.add((ra + i) * out.rs + cb + j) = tile[i * TILE + j];
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Loads (or, with `store`, stores) the four C tiles tmm0..tmm3 at `p`: a full block is the output itself
/// (rows `stride` bytes apart, tiles 16 rows and 16 columns apart; a zero stride repeats the
/// zero buffer's row), else the four 16 x 16 scratch tiles one after another.
///
/// # Safety
/// AMX configured as in `sweep`; `p` addresses the four tiles as described.
#[allow(unsafe_code)]
#[inline(always)]
unsafe fn tiles_c(p: *const f32, stride: usize, full: bool, store: bool) {
    // Offsets (bytes) of tiles 1, 2 and 3 from tile 0.
    let (o1, o2) = if full { (64, 16 * stride) } else { (1024, 2048) };
    let o3 = if full { o2 + 64 } else { 3072 };
    let (p1, p2, p3) =
        (p.cast::<u8>().wrapping_add(o1), p.cast::<u8>().wrapping_add(o2), p.cast::<u8>().wrapping_add(o3));
    // A full block's zero source (stride 0) has one tile row: every tile reads it.
    let (p1, p2, p3) = if stride == 0 { (p.cast(), p.cast(), p.cast()) } else { (p1, p2, p3) };
    // SAFETY: as the caller guarantees; each access is 16 rows of 64 bytes `stride` apart.
    unsafe {
        if !store {
            std::arch::asm!(
                "tileloadd tmm0, [{p0} + {s}*1]",
                "tileloadd tmm1, [{p1} + {s}*1]",
                "tileloadd tmm2, [{p2} + {s}*1]",
                "tileloadd tmm3, [{p3} + {s}*1]",
                p0 = in(reg) p, p1 = in(reg) p1, p2 = in(reg) p2, p3 = in(reg) p3, s = in(reg) stride,
                options(nostack, readonly),
            );
        } else {
            std::arch::asm!(
                "tilestored [{p0} + {s}*1], tmm0",
                "tilestored [{p1} + {s}*1], tmm1",
                "tilestored [{p2} + {s}*1], tmm2",
                "tilestored [{p3} + {s}*1], tmm3",
                p0 = in(reg) p, p1 = in(reg) p1, p2 = in(reg) p2, p3 = in(reg) p3, s = in(reg) stride,
                options(nostack),
            );
        }
    }
}

/// The four products tmm4/tmm5 (A) by tmm6/tmm7 (B) into tmm0..tmm3.
macro_rules! four {
    () => {
        concat!(
            "tdpbf16ps tmm0, tmm4, tmm6\n",
            "tdpbf16ps tmm1, tmm4, tmm7\n",
            "tdpbf16ps tmm2, tmm5, tmm6\n",
            "tdpbf16ps tmm3, tmm5, tmm7\n",
        )
    };
}

/// A step's high halves (A at `{ah0}`/`{ah1}`, B at `{b}`) and their four products.
macro_rules! hi_hi {
    () => {
        concat!(
            "tileloadd tmm4, [{ah0} + {s64}*1]\n",
            "tileloadd tmm5, [{ah1} + {s64}*1]\n",
            "tileloadd tmm6, [{b} + {s64}*1]\n",
            "tileloadd tmm7, [{b} + {s64}*1 + 2048]\n",
            four!(),
        )
    };
}

/// On to the next step's tiles, back to `2:` while steps are left in `{n}`.
macro_rules! next_step {
    () => {
        concat!("add {ah0}, 1024\n", "add {ah1}, 1024\n", "add {b}, 4096\n", "dec {n}\n", "jnz 2b\n")
    };
}

/// The products over `steps` 32-deep steps into tmm0..tmm3: A tiles (1 KiB each, one per
/// step) at `ah` (and `al`), those of the next 16 rows `next` values on; B tiles 4 (hi, lo
/// for each half) per step.
///
/// # Safety
/// AMX configured as in `sweep`, C tiles loaded; `ah`/`al` and `+ next` hold `steps` tiles,
/// `b` `steps * 4`.
#[allow(unsafe_code)]
#[inline(always)]
unsafe fn steps_asm((ah, al): (*const u16, *const u16), next: usize, b: *const u32, steps: usize, passes: Passes) {
    let ah1 = ah.wrapping_add(next);
    // tmm4/tmm5: A rows 0..16 and 16..32; tmm6/tmm7: B columns 0..16 and 16..32. tmm0 is
    // (rows 0..16, columns 0..16), tmm1 (0..16, 16..32), tmm2 (16..32, 0..16), tmm3 the last.
    // SAFETY: as the caller guarantees.
    unsafe {
        if passes == Passes::Three {
            std::arch::asm!(
                "2:",
                hi_hi!(),
                // hi * lo: the B tiles' low halves.
                "tileloadd tmm6, [{b} + {s64}*1 + 1024]",
                "tileloadd tmm7, [{b} + {s64}*1 + 3072]",
                four!(),
                // lo * hi: the A tiles' low halves, the B tiles' high ones again.
                "tileloadd tmm4, [{al0} + {s64}*1]",
                "tileloadd tmm5, [{al1} + {s64}*1]",
                "tileloadd tmm6, [{b} + {s64}*1]",
                "tileloadd tmm7, [{b} + {s64}*1 + 2048]",
                four!(),
                "add {al0}, 1024",
                "add {al1}, 1024",
                next_step!(),
                ah0 = inout(reg) ah => _, ah1 = inout(reg) ah1 => _,
                al0 = inout(reg) al => _, al1 = inout(reg) al.wrapping_add(next) => _,
                b = inout(reg) b => _, n = inout(reg) steps => _,
                s64 = in(reg) 64usize,
                options(nostack, readonly),
            );
        } else {
            std::arch::asm!(
                "2:",
                hi_hi!(),
                next_step!(),
                ah0 = inout(reg) ah => _, ah1 = inout(reg) ah1 => _,
                b = inout(reg) b => _, n = inout(reg) steps => _,
                s64 = in(reg) 64usize,
                options(nostack, readonly),
            );
        }
    }
}
