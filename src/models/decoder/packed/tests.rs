use super::blocks::{BlockQ4_0, BlockQ4_1, BlockQ5_0, BlockQ5_1, BlockQ8_0, F16, parse};
#[cfg(target_arch = "x86_64")]
use super::kernels::{AVX2, VNNI, dot_avx2, dot_vnni};
use super::kernels::{dot, dot_tile, quantize, vec_dot};
use super::kquants::{BlockQ4K, BlockQ5K, BlockQ6K};
use super::kquants_low::{BlockQ2K, BlockQ3K};
use super::superblock::{self, BlockQ8K, Super};
use super::*;
use candle_core::quantized::QTensor;
use candle_core::{Device, Tensor};

/// Against candle's own path for the block type (its scalar reference dot product) on the
/// same blocks, then every kernel this CPU can run against the portable loop.
fn matches_candle<B: OneGroup>(dtype: GgmlDType, wrap: fn(BlockMatrix<B>) -> PackedMatrix) {
    let dev = Device::Cpu;
    // Two K-quant super-blocks per row.
    let (n, k) = (67, 512);
    let w = Tensor::randn(0f32, 1.0, (n, k), &dev).unwrap();
    let q = QTensor::quantize(&w, dtype).unwrap();
    let bytes = q.data().unwrap();
    let packed = PackedMatrix::from_bytes(dtype, &bytes, n, k).unwrap().unwrap();
    let blocks: Vec<B> = parse(&bytes);
    assert_eq!(packed.dims(), (n, k));
    assert_eq!(packed.size_in_bytes(), bytes.len());
    let deq: Vec<f32> = q.dequantize(&dev).unwrap().flatten_all().unwrap().to_vec1().unwrap();
    assert_eq!(packed.dequantize(), deq, "{dtype:?} dequantization");
    // Quantizing as llama.cpp does gives candle's (llama.cpp's reference) blocks.
    let mut ours = vec![B::zeros(); blocks.len()];
    B::from_float(&w.flatten_all().unwrap().to_vec1::<f32>().unwrap(), &mut ours);
    assert_eq!(ours, blocks, "{dtype:?} quantization");
    // 1, 3: tails only; 17, 70: several prompt tiles, 4 x 4 tiles and their tails; 131: two
    // panel items of activation rows, and a last row alone.
    let nw = k / B::BLCK_SIZE;
    for m in [1, 3, 17, 70, 131] {
        let xv = Tensor::randn(0f32, 1.0, (m, k), &dev).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let got = packed.matmul(&xv, m).unwrap();
        // Both tilings of the VNNI/AVX2 kernels (the one this CPU does not use must run
        // wherever they do) give the same sums; AMX's, summed in another order, agree to
        // rounding, and take every prompt on a CPU that has it.
        let whole = BlockMatrix::from_blocks(parse::<B>(&bytes), n, k).unwrap();
        let tiled = whole.matmul_tiled(&xv, m, wide_tiles()).unwrap();
        assert_eq!(whole.matmul_tiled(&xv, m, !wide_tiles()).unwrap(), tiled, "{dtype:?} tiles");
        #[cfg(target_arch = "x86_64")]
        if amx::serves() {
            for (g, t) in got.iter().zip(&tiled) {
                assert!((g - t).abs() <= 1e-4 * t.abs().max(1.0), "{dtype:?} AMX, {m} rows: {g} vs {t}");
            }
        } else {
            assert_eq!(got, tiled, "{dtype:?} tiles");
        }
        #[cfg(not(target_arch = "x86_64"))]
        assert_eq!(got, tiled, "{dtype:?} tiles");
        // The panel kernel wherever the CPU has it (it serves one-group blocks' prompts there):
        // the tiled kernels' sums to the bit, the last of 67 rows in a partial panel.
        // Both widths where the CPU has them (AVX2's leaves Q8_0 to the tiles).
        #[cfg(target_arch = "x86_64")]
        {
            let ys = quantize_rows(&xv, k);
            if *panels::WIDE {
                assert_eq!(panels::matmul_wide(&whole.blocks, (n, nw), &ys, m), tiled, "{dtype:?} panels, {m} rows");
            }
            if *AVX2 && !B::SIGNED {
                let eight = panels::matmul_avx2(&whole.blocks, (n, nw), &ys, m);
                assert_eq!(eight, tiled, "{dtype:?} AVX2 panels, {m} rows");
            }
            assert_eq!(panels::serves::<B>(), *AVX2 && (*panels::WIDE || !B::SIGNED));
        }
        // The AMX kernel itself wherever the CPU has it (it serves the model with `HFX_AMX=1`).
        #[cfg(target_arch = "x86_64")]
        if *amx::AVAILABLE {
            let ys = quantize_rows(&xv, k);
            let amx = amx::matmul(&whole.blocks, (n, k / B::BLCK_SIZE), &ys, m);
            for (g, t) in amx.iter().zip(&tiled) {
                assert!((g - t).abs() <= 1e-4 * t.abs().max(1.0), "{dtype:?} AMX kernel, {m} rows: {g} vs {t}");
            }
            // Each row as it is in the whole prompt, computed alone.
            for (c, want) in amx.chunks_exact(n).enumerate() {
                let one = amx::matmul(&whole.blocks, (n, k / B::BLCK_SIZE), &ys[c * (k / QK)..(c + 1) * (k / QK)], 1);
                assert_eq!(one, want, "{dtype:?} AMX row {c} alone");
            }
        }
        // Against candle's dequantization times the f32 activations, within what rounding the
        // activations to Q8_1 can move it: at most 0.57 d per weight (half a step, and `d`
        // through f16: 127 * 2^-11 d), plus `m * s` with `s` through f16 for Q4_1 and Q5_1.
        // (candle's own K-quant matmul rounds activations as Q8_K, independently, so comparing
        // with it needs a bound twice as wide.) A wrong kernel is off by the outputs themselves.
        for (c, xr) in xv.chunks_exact(k).enumerate() {
            for (r, wr) in deq.chunks_exact(k).enumerate() {
                let exact: f32 = wr.iter().zip(xr).map(|(a, b)| a * b).sum();
                let bound: f32 = xr
                    .chunks_exact(QK)
                    .zip(wr.chunks_exact(QK))
                    .enumerate()
                    .map(|(i, (xb, wb))| {
                        let d = xb.iter().fold(0f32, |a, v| a.max(v.abs())) / 127.0;
                        let m = blocks[r * nw + i].scales(F16.as_slice(), 0).1[0];
                        let sum = xb.iter().sum::<f32>().abs() + 64.0 * d;
                        0.57 * d * wb.iter().map(|w| w.abs()).sum::<f32>() + m.abs() * sum / 1024.0
                    })
                    .sum::<f32>()
                    + 1e-5 * wr.iter().zip(xr).map(|(a, b)| (a * b).abs()).sum::<f32>();
                let g = got[c * n + r];
                assert!((g - exact).abs() <= bound, "{dtype:?} row {r} x {c}: {g} vs {exact} (bound {bound})");
            }
        }
    }
    let nb = k / QK;
    let xs4 = Tensor::randn(0f32, 1.0, (4, k), &dev).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let mut ys4 = vec![BlockQ8_1::zeros(); 4 * nb];
    BlockQ8_1::from_float(&xs4, &mut ys4);
    let (x, ys) = (&xs4[..k], &ys4[..nb]);
    // The portable loop against a plain sum over dequantized weights and activations.
    let mut xq = vec![0f32; k];
    BlockQ8_1::to_float(ys, &mut xq);
    let plain: f32 = deq[..k].iter().zip(&xq).map(|(a, b)| a * b).sum();
    let slow = dot(&blocks[..nw], ys, F16.as_slice());
    // Exact up to float rounding, but for Q4_1's `m * s`, where `s` went through f16 as
    // llama.cpp stores it (relative error 2^-11).
    let s_rounding: f32 =
        ys.iter().enumerate().map(|(i, y)| (blocks[i].scales(F16.as_slice(), 0).1[0] * y.s).abs()).sum();
    let tol = 1e-4 * plain.abs().max(1.0) + s_rounding / 1024.0;
    assert!((plain - slow).abs() <= tol, "{dtype:?}: {plain} vs {slow}");
    // Every kernel this CPU can run, for one or four weight rows against one or four
    // activation rows, against the loop.
    let rows: [&[B]; 4] = std::array::from_fn(|r| &blocks[r * nw..(r + 1) * nw]);
    let acts: [&[BlockQ8_1]; 4] = std::array::from_fn(|c| &ys4[c * nb..(c + 1) * nb]);
    let want = rows.map(|r| acts.map(|a| dot(r, a, F16.as_slice())));
    let close = |got: [[f32; 4]; 4], what: &str| {
        for (g, w) in got.iter().flatten().zip(want.iter().flatten()) {
            assert!((g - w).abs() <= 1e-4 * w.abs().max(1.0), "{dtype:?} {what}: {g} vs {w}");
        }
    };
    let by_row = |f: &dyn Fn(&[BlockQ8_1]) -> [f32; 4]| {
        let cols = acts.map(f);
        std::array::from_fn(|r| std::array::from_fn(|c| cols[c][r]))
    };
    close(dot_tile(rows, acts), "dispatch, 4 x 4");
    close(by_row(&|a| dot_tile(rows, [a]).map(|[v]| v)), "dispatch, 4 x 1");
    close(by_row(&|a| rows.map(|r| vec_dot(r, a))), "dispatch, 1 x 1");
    // Decode steps: one sequence, and four sequences written (rows, b).
    let mut out = vec![0f32; 4];
    packed.dot_rows(0, &mut out, x, &Inputs::new([&packed], x, k), 1);
    for (g, w) in out.iter().zip(&want) {
        assert!((g - w[0]).abs() <= 1e-4 * w[0].abs().max(1.0), "{dtype:?} dot_rows: {g} vs {}", w[0]);
    }
    let mut out = vec![0f32; 16];
    packed.dot_rows(0, &mut out, &xs4, &Inputs::new([&packed], &xs4, k), 4);
    close(std::array::from_fn(|r| std::array::from_fn(|c| out[r * 4 + c])), "dot_rows, 4 sequences");
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    {
        if *AVX2 {
            // SAFETY: AVX2, FMA and F16C were checked just above.
            close(unsafe { dot_avx2(rows, acts) }, "avx2, 4 x 4");
            close(by_row(&|a| unsafe { dot_avx2(rows, [a]) }.map(|[v]| v)), "avx2, 4 x 1");
            close(by_row(&|a| rows.map(|r| unsafe { dot_avx2([r], [a]) }[0][0])), "avx2, 1 x 1");
        }
        if *VNNI {
            // SAFETY: AVX2, FMA, F16C and AVX-512 VNNI/VL/BW were checked just above.
            close(unsafe { dot_vnni(rows, acts) }, "vnni, 4 x 4");
            close(by_row(&|a| unsafe { dot_vnni(rows, [a]) }.map(|[v]| v)), "vnni, 4 x 1");
            close(by_row(&|a| rows.map(|r| unsafe { dot_vnni([r], [a]) }[0][0])), "vnni, 1 x 1");
        }
    }
    // Quantizing the activations: the AVX2 build of the loop gives the same blocks.
    let mut plain = vec![BlockQ8_1::zeros(); nb];
    quantize(x, &mut plain);
    assert_eq!(plain, ys);
    let split = packed.rows(5, 2);
    assert_eq!(split.dims(), (2, k));
    assert_eq!(split.dequantize(), deq[5 * k..7 * k]);
    let whole = wrap(BlockMatrix::from_blocks(blocks, n, k).unwrap());
    assert_eq!(whole.dequantize(), deq);
    assert!(BlockMatrix::<B>::from_blocks(Vec::new(), n, k).is_err());
}

#[test]
fn q4_0_matches_candle() {
    matches_candle::<BlockQ4_0>(GgmlDType::Q4_0, PackedMatrix::Q4_0);
}

#[test]
fn q4_1_matches_candle() {
    matches_candle::<BlockQ4_1>(GgmlDType::Q4_1, PackedMatrix::Q4_1);
}

#[test]
fn q5_0_matches_candle() {
    matches_candle::<BlockQ5_0>(GgmlDType::Q5_0, PackedMatrix::Q5_0);
}

#[test]
fn q5_1_matches_candle() {
    matches_candle::<BlockQ5_1>(GgmlDType::Q5_1, PackedMatrix::Q5_1);
}

#[test]
fn q8_0_matches_candle() {
    matches_candle::<BlockQ8_0>(GgmlDType::Q8_0, PackedMatrix::Q8_0);
}

/// K-quant matrices against candle's K-quant matmul (llama.cpp's dot products with Q8_K
/// activations) on the same blocks, to float rounding; then the prompt panels (both widths),
/// the decode step's rows and the dispatch against the portable loop, to the bit.
fn k_matches_candle<B: Super>(dtype: GgmlDType) {
    use candle_core::Module;
    let dev = Device::Cpu;
    // Two super-blocks per row; 67 rows: a partial panel, and candle's plain (not repacked) path.
    let (n, k) = (67, 512);
    let kb = k / 256;
    let w = Tensor::randn(0f32, 1.0, (n, k), &dev).unwrap();
    let q = QTensor::quantize(&w, dtype).unwrap();
    let bytes = q.data().unwrap();
    let packed = PackedMatrix::from_bytes(dtype, &bytes, n, k).unwrap().unwrap();
    let blocks: Vec<B> = parse(&bytes);
    let deq: Vec<f32> = q.dequantize(&dev).unwrap().flatten_all().unwrap().to_vec1().unwrap();
    assert_eq!(packed.dequantize(), deq, "{dtype:?} dequantization");
    let mut ours = vec![B::zeros(); blocks.len()];
    B::from_float(&w.flatten_all().unwrap().to_vec1::<f32>().unwrap(), &mut ours);
    assert_eq!(ours, blocks, "{dtype:?} quantization");
    let theirs = candle_core::quantized::QMatMul::from_qtensor(q).unwrap();
    // 300 rows: two panel items of activation rows.
    for m in [1, 3, 17, 70, 300] {
        let xt = Tensor::randn(0f32, 1.0, (m, k), &dev).unwrap();
        let xv = xt.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let got = packed.matmul(&xv, m).unwrap();
        let a = quantize_rows_k(&xv, k);
        let want: Vec<f32> = (0..m)
            .flat_map(|c| (0..n).map(move |r| (c, r)))
            .map(|(c, r)| superblock::row(&blocks[r * kb..(r + 1) * kb], &a[c * kb..(c + 1) * kb]))
            .collect();
        assert_eq!(got, want, "{dtype:?} prompt, {m} rows");
        #[cfg(target_arch = "x86_64")]
        if *AVX2 {
            assert_eq!(kpanels::matmul_avx2(&blocks, (n, kb), &a, m), want, "{dtype:?} AVX2 panels, {m} rows");
        }
        // The decode step: all rows, and rows 5..12 alone, written (rows, b).
        let inputs = Inputs::new([&packed], &xv, k);
        let mut out = vec![0f32; n * m];
        packed.dot_rows(0, &mut out, &xv, &inputs, m);
        let mut part = vec![0f32; 7 * m];
        packed.dot_rows(5, &mut part, &xv, &inputs, m);
        for c in 0..m {
            for r in 0..n {
                assert_eq!(out[r * m + c], want[c * n + r], "{dtype:?} decode row {r} x {c}, {m} sequences");
            }
            for r in 0..7 {
                assert_eq!(part[r * m + c], want[c * n + r + 5], "{dtype:?} decode row {} x {c}", r + 5);
            }
        }
        // One activation row: candle's vector dot products with its own Q8_K activations, which
        // round ties away from zero where llama.cpp (and hfx) round them to even, summed in
        // another float order. (With more rows candle takes other paths, which parted from
        // these by up to 4e-3 of an output on random rows.)
        if m > 1 {
            continue;
        }
        let cand: Vec<f32> = theirs.forward(&xt).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        for (c, xr) in xv.chunks_exact(k).enumerate() {
            for (r, wr) in deq.chunks_exact(k).enumerate() {
                let scale: f32 = wr.iter().zip(xr).map(|(a, b)| (a * b).abs()).sum();
                let (g, t) = (got[c * n + r], cand[c * n + r]);
                assert!((g - t).abs() <= 2e-5 * scale, "{dtype:?} row {r} x {c}: {g} vs candle {t}");
            }
        }
    }
}

#[test]
fn q2_k_matches_candle() {
    k_matches_candle::<BlockQ2K>(GgmlDType::Q2K);
}

#[test]
fn q3_k_matches_candle() {
    k_matches_candle::<BlockQ3K>(GgmlDType::Q3K);
}

#[test]
fn q4_k_matches_candle() {
    k_matches_candle::<BlockQ4K>(GgmlDType::Q4K);
}

#[test]
fn q5_k_matches_candle() {
    k_matches_candle::<BlockQ5K>(GgmlDType::Q5K);
}

#[test]
fn q6_k_matches_candle() {
    k_matches_candle::<BlockQ6K>(GgmlDType::Q6K);
}

#[test]
fn the_q8_k_quantizer_is_llama_cpps() {
    // Random rows, a zero block, exact ties (to even, as llama.cpp's `nearest_int`), and two
    // values of the largest magnitude: the first one's sign decides (it maps to -127).
    let mut x = Tensor::randn(0f32, 3.0, 256 * 6, &Device::Cpu).unwrap().to_vec1::<f32>().unwrap();
    x[..256].fill(0.0);
    x[256..512].fill(0.0);
    x[256] = -127.0;
    x[257..262].copy_from_slice(&[2.5, -2.5, 0.5, 1.5, 126.5]);
    x[512 + 7] = -40.0;
    x[512 + 9] = 40.0;
    let got = quantize_rows_k(&x, 256);
    let mut plain = got.clone();
    plain.iter_mut().for_each(|b| *b = BlockQ8K { d: 0.0, qs: [0; 256], sums: [0; 16] });
    superblock::quantize(&x, &mut plain);
    assert_eq!(got, plain);
    assert_eq!((got[0].d, got[0].qs, got[0].sums), (0.0, [0; 256], [0; 16]));
    assert_eq!(got[1].d, 1.0);
    assert_eq!(got[1].qs[..6], [-127, 2, -2, 0, 2, 126]);
    assert_eq!(got[1].sums[0], -127 + 2 - 2 + 2 + 126);
    assert!(got[2].d > 0.0 && got[2].qs[7] == -127 && got[2].qs[9] == 127);
    for (b, xb) in got.iter().zip(x.chunks_exact(256)) {
        for (q, v) in b.qs.iter().zip(xb) {
            assert!((f32::from(*q) * b.d - v).abs() <= 0.5 * b.d.abs() + 1e-6, "{q} * {} vs {v}", b.d);
        }
        assert_eq!(b.sums.iter().map(|&s| i32::from(s)).sum::<i32>(), b.qs.iter().map(|&q| i32::from(q)).sum::<i32>());
    }
    // candle's block-type trait (the K-quants' `vec_dot` takes these): its quantization is this
    // one, its dequantization `d * q`, its dot product that of the dequantized values.
    let mut ours = plain.clone();
    BlockQ8K::from_float(&x, &mut ours);
    assert_eq!(ours, got);
    let mut back = vec![0f32; x.len()];
    BlockQ8K::to_float(&got, &mut back);
    let want: f32 = back.iter().map(|v| v * v).sum();
    let dot = BlockQ8K::vec_dot(x.len(), &got, &got);
    assert!((dot - want).abs() <= 1e-5 * want, "{dot} vs {want}");
}

#[test]
fn other_block_types_are_left_to_candle() {
    assert!(PackedMatrix::from_bytes(GgmlDType::Q8_0, &[0; 33], 1, 32).unwrap().is_err());
    assert!(PackedMatrix::from_bytes(GgmlDType::Q3K, &[0; 110], 1, 128).unwrap().is_err());
    assert!(PackedMatrix::from_bytes(GgmlDType::Q8K, &[0; 292], 1, 256).is_none());
    assert!(PackedMatrix::from_bytes(GgmlDType::Q5K, &[0; 176], 1, 128).unwrap().is_err());
    assert!(PackedMatrix::from_bytes(GgmlDType::Q4K, &[0; 144], 1, 128).unwrap().is_err());
    assert!(PackedMatrix::from_bytes(GgmlDType::Q5_0, &[0; 23], 1, 32).unwrap().is_err());
    assert!(PackedMatrix::from_bytes(GgmlDType::Q4_0, &[0; 19], 1, 32).unwrap().is_err());
    assert!(PackedMatrix::from_bytes(GgmlDType::Q5_1, &[0; 25], 1, 32).unwrap().is_err());
    assert!(PackedMatrix::from_bytes(GgmlDType::Q2K, &[0; 83], 1, 256).unwrap().is_err());
}

#[test]
fn prompt_rows_do_not_depend_on_the_rows_beside_them() {
    // A server's prefix-cache hit recomputes a prompt's last tokens alone: each row must get
    // the numbers it gets in the whole prompt, bit for bit, on every kernel (AMX included).
    let dev = Device::Cpu;
    let dtypes = [GgmlDType::Q4_0, GgmlDType::Q4_1, GgmlDType::Q5_0, GgmlDType::Q5_1, GgmlDType::Q8_0, GgmlDType::Q4K];
    for dtype in dtypes.into_iter().chain([GgmlDType::Q5K, GgmlDType::Q6K]) {
        let (n, k, m) = (67, 512, 37);
        let w = Tensor::randn(0f32, 1.0, (n, k), &dev).unwrap();
        let q = QTensor::quantize(&w, dtype).unwrap();
        let p = PackedMatrix::from_bytes(dtype, &q.data().unwrap(), n, k).unwrap().unwrap();
        let x = Tensor::randn(0f32, 1.0, (m, k), &dev).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let all = p.matmul(&x, m).unwrap();
        for (c, want) in all.chunks_exact(n).enumerate() {
            assert_eq!(p.matmul(&x[c * k..(c + 1) * k], 1).unwrap(), want, "{dtype:?} row {c}");
            assert_eq!(p.matmul(&x[c * k..], m - c).unwrap()[..n], *want, "{dtype:?} rows from {c}");
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn the_avx2_activation_quantizer_gives_the_portable_blocks() {
    use super::kernels::quantize_avx2;
    if !*AVX2 {
        return;
    }
    // Random rows, a zero block, and a block whose scale is 1 so that halves are exact ties
    // (rounded away from zero, as `f32::round` and llama.cpp's scalar quantizer do).
    let mut x = Tensor::randn(0f32, 3.0, 32 * 64, &Device::Cpu).unwrap().to_vec1::<f32>().unwrap();
    x[..32].fill(0.0);
    let ties = [127.0, 2.5, -2.5, 0.5, -0.5, 1.5, -1.5, 126.5, -126.5, 0.49999997, -0.49999997, 3.0];
    for (i, v) in x[32..64].iter_mut().enumerate() {
        *v = ties[i % ties.len()];
    }
    let mut want = vec![BlockQ8_1::zeros(); 64];
    let mut got = want.clone();
    quantize(&x, &mut want);
    // SAFETY: the CPU was checked for AVX2 (with FMA and F16C).
    #[allow(unsafe_code)]
    unsafe {
        quantize_avx2(&x, &mut got)
    };
    assert_eq!(got, want);
    assert_eq!(want[1].qs[..6], [127, 3, -3, 1, -1, 2]);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn panels_take_the_extreme_levels() {
    if !*panels::WIDE {
        return;
    }
    // Q8_0 levels at -128 and 127 (shifted to 0 and 255 in the panel) against activations at
    // +-127: the largest products the lanes hold, where a saturating or sign-losing shift
    // would show.
    let (n, k, m) = (19, 64, 5);
    let levels = [-128i8, 127, -127, 0];
    let mut bytes = Vec::new();
    for r in 0..n * k / QK {
        bytes.extend_from_slice(&::half::f16::from_f32(0.5 + r as f32 / 64.0).to_le_bytes());
        bytes.extend((0..QK).map(|j| levels[(j + r) % levels.len()] as u8));
    }
    let whole = BlockMatrix::from_blocks(parse::<BlockQ8_0>(&bytes), n, k).unwrap();
    let x: Vec<f32> = (0..m * k).map(|i| if (i / 3) % 2 == 0 { 9.0 } else { -9.0 }).collect();
    let ys = quantize_rows(&x, k);
    assert!(ys.iter().all(|y| y.qs.iter().all(|q| q.abs() == 127)));
    let tiled = whole.matmul_tiled(&x, m, true).unwrap();
    assert_eq!(panels::matmul_wide(&whole.blocks, (n, k / QK), &ys, m), tiled);
    // Each value is a plain sum of levels times +-127, scaled: no lane wrapped.
    let deq = whole.dequantize();
    for (c, row) in tiled.chunks_exact(n).enumerate() {
        for (r, v) in row.iter().enumerate() {
            let want: f32 = deq[r * k..(r + 1) * k].iter().zip(&x[c * k..(c + 1) * k]).map(|(w, a)| w * a).sum();
            assert!((v - want).abs() <= 1e-3 * want.abs().max(1.0), "row {r} x {c}: {v} vs {want}");
        }
    }
}
